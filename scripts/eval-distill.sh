#!/usr/bin/env bash
# The figures of docs/DISTILLATION.md, side by side in one run: FID (classifier features, against the floor at the
# same count), accuracy on the asked digit and confidence, classes in turn, guidance 1, seed 0, for the teacher with
# DPM-Solver++ 20 and SDE-DPM-Solver++ 20 and for each round's student on its own grid.
#   scripts/eval-distill.sh TEACHER DISTILL_DIR CLASSIFIER OUT_DIR [N]
set -euo pipefail
teacher=$1; distill=$2; clf=$3; out=$4; n=${5:-1000}
data=mnist:../shared/data/mnist
mkdir -p "$out"
# D4J="java -jar FILE.jar" runs a fixed jar (the launcher rebuilds when the sources change, which a long run should not see)
d4j() { ${D4J:-"$(dirname "$0")/../diffusion4j"} "$@"; }
fid() { d4j eval fid --classifier "$clf" --data "$data" --num "$n" --class-conditional --guidance 1 "$@"; }
fid --checkpoint "$teacher" | tee "$out/teacher-dpm20-n$n.txt"
fid --checkpoint "$teacher" --sampler sde-dpm-solver++ --steps 20 | tee "$out/teacher-sde-dpm20-n$n.txt"
for round in $(ls -d "$distill"/steps-* | sort -t- -k2 -n -r); do
  fid --checkpoint "$round" | tee "$out/student-$(basename "$round")-n$n.txt"
done
