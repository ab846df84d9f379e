#!/usr/bin/env bash
# Evaluates the MNIST run of configs/mnist-60min.yaml (runs/mnist) with reduced sample counts that fit
# in about 20 minutes on 2 CPU cores. Usage: scripts/eval-mnist.sh [NUM_SAMPLES] [NLL_IMAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
num="${1:-1000}"
nll="${2:-500}"
data=mnist:../shared/data/mnist
out=runs/eval
mkdir -p "$out"
[ -f "$out/mnist-classifier.safetensors" ] || ./diffusion4j eval train-classifier --data "$data" --out "$out/mnist-classifier.safetensors"
t() { /usr/bin/time -f "wall %e s" -o "$out/.time" "$@" 2>/dev/null; cat "$out/.time"; }
for step in 000002800 000000700 000001400; do
  t ./diffusion4j eval fid --checkpoint "runs/mnist/checkpoints/step-$step" --classifier "$out/mnist-classifier.safetensors" \
    --data "$data" --num "$num" --sampler ddim --steps 50
done
for steps in 10 100; do
  t ./diffusion4j eval fid --checkpoint runs/mnist --classifier "$out/mnist-classifier.safetensors" \
    --data "$data" --num "$num" --sampler ddim --steps "$steps"
done
t ./diffusion4j eval nll --checkpoint runs/mnist --data "$data" --num "$nll" --timesteps 50
