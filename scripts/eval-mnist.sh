#!/usr/bin/env bash
# Evaluates an MNIST checkpoint for docs/RESULTS.md, every figure with its command's wall time.
#   scripts/eval-mnist.sh CHECKPOINT OUT_DIR [PARTS...]
# PARTS (default: samplers nll): which tables to make. GUIDANCE (default 1.5, as `sample`) is the scale every part but 'guidance'
# uses on a class-conditional checkpoint (0: unconditional samples).
#   samplers  FID at 1,000 samples: DDIM and DPM-Solver++ at 10 / 20 / 50 model evaluations
#   grids     FID at 1,000 samples: DPM-Solver++ at 10 and 20 on the grid uniform in t (log-SNR is the default)
#   ddpm      FID of DDPM-1000 at $NUM_DDPM samples (default 256; 1,000 takes ~4 core-hours here), DDIM-50 at the same count
#   nll       the bound: exact on 100 test images, stratified (50 timesteps) on 1,000
#   nll10k    the stratified bound on all 10,000 test images
#   fid10k    FID at 10,000 samples: DPM-Solver++ 20 and DDIM 50
#   guidance  for a class-conditional checkpoint: FID, accuracy on the requested class, entropy at guidance 0,1,2,3,5
# The feature network is runs/eval/mnist-classifier.safetensors (made first if missing). D4J overrides ./diffusion4j.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ckpt="${1:?usage: eval-mnist.sh CHECKPOINT OUT_DIR [PARTS...]}"
out="${2:?usage: eval-mnist.sh CHECKPOINT OUT_DIR [PARTS...]}"
shift 2
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(samplers nll)
d4j="${D4J:-./diffusion4j}"
data=mnist:../shared/data/mnist
clf=runs/eval/mnist-classifier.safetensors
mkdir -p "$out" runs/eval
log="$out/eval.log"
t() { echo "\$ ${*}" | tee -a "$log"; /usr/bin/time -f "wall %e s" -o "$out/.time" "$@" 2>>"$out/stderr.log" | grep --line-buffered -v "^$" | tee -a "$log"; cat "$out/.time" | tee -a "$log"; }
[ -f "$clf" ] || t $d4j eval train-classifier --data $data --out $clf
cond=()
is_conditional "$ckpt" && cond=(--class-conditional --guidance "${GUIDANCE:-1.5}")
fid() { t $d4j eval fid --checkpoint "$ckpt" --classifier $clf --data $data "${cond[@]}" "$@"; }
for part in "${parts[@]}"; do
  case $part in
    samplers)
      for s in 10 20 50; do fid --num 1000 --sampler ddim --steps $s; done
      for s in 10 20 50; do fid --num 1000 --sampler dpm-solver++ --steps $s; done ;;
    grids)
      for s in 10 20; do fid --num 1000 --sampler dpm-solver++ --steps $s --grid uniform; done ;;
    ddpm)
      fid --num "${NUM_DDPM:-256}" --sampler ddpm
      fid --num "${NUM_DDPM:-256}" --sampler ddim --steps 50 ;;
    nll)
      t $d4j eval nll --checkpoint "$ckpt" --data $data --num 100 --batch 100
      t $d4j eval nll --checkpoint "$ckpt" --data $data --num 1000 --timesteps 50 ;;
    nll10k)
      t $d4j eval nll --checkpoint "$ckpt" --data $data --num 10000 --timesteps 50 ;;
    fid10k)
      fid --num 10000 --sampler dpm-solver++ --steps 20
      fid --num 10000 --sampler ddim --steps 50 ;;
    guidance)
      t $d4j eval fid --checkpoint "$ckpt" --classifier $clf --data $data --num 1000 --sampler dpm-solver++ --steps 20 \
        --class-conditional --guidance 0,1,2,3,5 ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
