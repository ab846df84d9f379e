#!/usr/bin/env bash
# The editing figures of docs/EDITING.md on one model: inpainting (three masks; the fast variant at 20 and 50 steps,
# RePaint on fewer images, by default on the bottom half only; completion as the class inferred from the bottom half's
# known region), SDEdit at five strengths, DDIM inversion's PSNR at 20, 50 and 100 steps.
#   scripts/eval-editing.sh CHECKPOINT CLASSIFIER OUT_DIR [N] [REPAINT_N]
set -euo pipefail
ckpt=$1; clf=$2; out=$3; n=${4:-1000}; rn=${5:-100}
data=mnist:../shared/data/mnist
mkdir -p "$out"
# D4J="java -jar FILE.jar" runs a fixed jar (the launcher rebuilds when the sources change, which a long run should not see)
d4j() { ${D4J:-"$(dirname "$0")/../diffusion4j"} "$@"; }
for mask in bottom-half left-half center; do
  for steps in ${STEPS:-20 50}; do
    d4j eval edit --checkpoint "$ckpt" --classifier "$clf" --data "$data" --num "$n" --mask "$mask" --steps "$steps" \
      | tee "$out/inpaint-$mask-dpm$steps.txt"
  done
done
for mask in ${REPAINT_MASKS:-bottom-half}; do   # REPAINT_MASKS="bottom-half left-half center": all three (about 75 min each here)
  d4j eval edit --checkpoint "$ckpt" --classifier "$clf" --data "$data" --num "$rn" --mask "$mask" --repaint \
    | tee "$out/inpaint-$mask-repaint-n$rn.txt"
done
for mask in ${INFER_MASKS:-bottom-half}; do   # the class inferred from the known region (about 20 min per mask here)
  d4j eval edit --checkpoint "$ckpt" --classifier "$clf" --data "$data" --num "$n" --mask "$mask" --infer-class \
    | tee "$out/inpaint-$mask-inferred.txt"
done
d4j eval edit --checkpoint "$ckpt" --classifier "$clf" --data "$data" --num "$n" --strength 0.2,0.4,0.6,0.8,1 --class 8 \
  | tee "$out/sdedit-to-8.txt"
d4j sample --checkpoint "$ckpt" --num 100 --seed 7 --out "$out/invert-inputs.npy" > /dev/null
for steps in 20 50 100; do
  d4j invert --checkpoint "$ckpt" --samples "$out/invert-inputs.npy" --steps "$steps" --out "$out/invert-$steps.npy" | tee "$out/invert-$steps.txt"
done
