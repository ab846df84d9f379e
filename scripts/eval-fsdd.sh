#!/usr/bin/env bash
# Evaluates the spoken-digit run of configs/fsdd.yaml (runs/fsdd): the digit classifier on real mels,
# FID / confidence / entropy of generated mels in its features, the mel round trip of the real test
# clips, and spectral statistics of generated WAVs against real ones. About 15 minutes on 2 CPU cores.
# Usage: scripts/eval-fsdd.sh [FSDD_RECORDINGS_DIR]   (D4J="java -jar FILE.jar" runs a fixed jar instead of ./diffusion4j)
set -euo pipefail
cd "$(dirname "$0")/.."
wavs="${1:-../shared/data/fsdd/recordings}"
data="wav:$wavs"
out=runs/eval
mkdir -p "$out"
d4j="${D4J:-./diffusion4j}"
t() { /usr/bin/time -f "wall %e s" -o "$out/.time" "$@" 2>/dev/null; cat "$out/.time"; }
[ -f "$out/fsdd-classifier.safetensors" ] || t $d4j eval train-classifier --data "$data" --epochs 30 \
  --out "$out/fsdd-classifier.safetensors"
# every one of the 300 test clips against 300 samples (DDIM-50 and DDIM-100), with the floor from 300 random
# training clips; then 150 samples against 150 test clips, which leaves 150 other test clips for the unseen floor
for steps in 50 100; do
  t $d4j eval fid --checkpoint runs/fsdd --classifier "$out/fsdd-classifier.safetensors" --data "$data" \
    --num 300 --sampler ddim --steps "$steps"
done
t $d4j eval fid --checkpoint runs/fsdd --classifier "$out/fsdd-classifier.safetensors" --data "$data" \
  --num 150 --sampler ddim --steps 50
t $d4j sample --checkpoint runs/fsdd --sampler ddim --steps 100 --num 100 --out "$out/fsdd-samples" --seed 7
t $d4j eval audio-stats --checkpoint runs/fsdd --generated "$out/fsdd-samples" --real "$wavs"
t $d4j mel --checkpoint runs/fsdd --out "$out/fsdd-roundtrip" "$wavs"/*_[0-4].wav > "$out/fsdd-roundtrip.txt"
tail -2 "$out/fsdd-roundtrip.txt"
