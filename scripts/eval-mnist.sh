#!/usr/bin/env bash
# Evaluates the MNIST run of configs/mnist-60min.yaml (runs/mnist) at its checkpoints after 1/4, 1/2 and
# all of the run, with sample counts reduced to fit in about 40 minutes on 2 CPU cores (the issue's
# 10,000 samples and the exact bound on all 10,000 test images would take about 20 hours here).
# Usage: scripts/eval-mnist.sh [NUM_DDIM] [NUM_DDPM] [NLL_IMAGES]
#   (D4J="java -jar FILE.jar" runs a fixed jar instead of ./diffusion4j)
set -euo pipefail
cd "$(dirname "$0")/.."
num="${1:-500}"
num_ddpm="${2:-256}"
nll="${3:-200}"
data=mnist:../shared/data/mnist
out=runs/eval
mkdir -p "$out"
d4j="${D4J:-./diffusion4j}"
clf="$out/mnist-classifier.safetensors"
# the wall time of each command; its stderr (progress bars, engine warnings) goes to a log
t() { echo "\$ ${*}"; /usr/bin/time -f "wall %e s" -o "$out/.time" "$@" 2>>"$out/eval-mnist.stderr"; cat "$out/.time"; }
[ -f "$clf" ] || t $d4j eval train-classifier --data "$data" --out "$clf"
for step in 000000700 000001400 000002800; do
  ckpt="runs/mnist/checkpoints/step-$step"
  for steps in 10 50 100; do
    t $d4j eval fid --checkpoint "$ckpt" --classifier "$clf" --data "$data" --num "$num" --sampler ddim --steps "$steps"
  done
  t $d4j eval nll --checkpoint "$ckpt" --data "$data" --num "$nll" --timesteps 50
done
# the 1000-step ancestral sampler at the last checkpoint, with DDIM-50 at the same count beside it
ckpt=runs/mnist/checkpoints/step-000002800
t $d4j eval fid --checkpoint "$ckpt" --classifier "$clf" --data "$data" --num "$num_ddpm" --sampler ddim --steps 50
t $d4j eval fid --checkpoint "$ckpt" --classifier "$clf" --data "$data" --num "$num_ddpm" --sampler ddpm
