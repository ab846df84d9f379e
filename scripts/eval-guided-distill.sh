#!/usr/bin/env bash
# The guided-distillation figures of docs/DISTILLATION.md, side by side in one run: FID (classifier features, against
# the floor at the same count), accuracy on the asked digit and confidence, classes in turn, seed 0, at each guidance
# scale, for a student distilled with guidance (one network evaluation per step), the model it was distilled from under
# classifier-free guidance (two per step) and, for reference, a teacher with DPM-Solver++ 20 (two per step).
#   scripts/eval-guided-distill.sh STUDENT FROM TEACHER CLASSIFIER OUT_DIR [N] [SCALES]
# e.g. scripts/eval-guided-distill.sh runs/distill-guided builtin:mnist-fast builtin:mnist-w16 runs/eval/mnist-classifier.safetensors runs/eval/guided
set -euo pipefail
student=$1; from=$2; teacher=$3; clf=$4; out=$5; n=${6:-1000}; scales=${7:-1,1.5,2,3}
data=mnist:../shared/data/mnist
mkdir -p "$out"
# D4J="java -jar FILE.jar" runs a fixed jar (the launcher rebuilds when the sources change, which a long run should not see)
d4j() { ${D4J:-"$(dirname "$0")/../diffusion4j"} "$@"; }
fid() { d4j eval fid --classifier "$clf" --data "$data" --num "$n" --class-conditional --guidance "$scales" "$@"; }
fid --checkpoint "$student" | tee "$out/student-n$n.txt"
fid --checkpoint "$from" | tee "$out/from-n$n.txt"
fid --checkpoint "$teacher" | tee "$out/teacher-dpm20-n$n.txt"
