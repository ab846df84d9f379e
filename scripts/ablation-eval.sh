#!/usr/bin/env bash
# Scores every finished ablation run (runs/ablation/NAME.done) at its last checkpoint:
# FID in the diffusion4j MNIST classifier's features, 1,000 DPM-Solver++ samples (20 steps)
# against 1,000 test images, with confidence and class entropy; results in runs/ablation/NAME.fid.
# Usage: scripts/ablation-eval.sh   (D4J="java -jar FILE.jar" runs a fixed jar)
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
d4j="${D4J:-./diffusion4j}"
clf=runs/eval/mnist-classifier.safetensors
for done in runs/ablation/*.done; do
  run=${done%.done}
  [ -f "$run.fid" ] && continue
  for ckpt in $(ls -d "$run"/checkpoints/step-* | sort | tail -1); do
    echo "== $ckpt"
    extra=()
    # a class-conditional run draws the classes in turn, with and without guidance
    is_conditional "$ckpt" && extra=(--class-conditional --guidance 1,2)
    $d4j eval fid --checkpoint "$ckpt" --classifier "$clf" --data mnist:../shared/data/mnist --num 1000 \
      --sampler dpm-solver++ --steps 20 "${extra[@]}" 2>/dev/null | grep -v "^$"
  done > "$run.fid.tmp" && mv "$run.fid.tmp" "$run.fid"
done
