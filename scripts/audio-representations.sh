#!/usr/bin/env bash
# Measures each audio representation candidate (configs/audio/c*.yaml; the fsdd-*.yaml beside them are
# training recipes) on the 300 FSDD test clips: a classifier trained on that representation (30 epochs),
# then 'eval roundtrip' (what the mel-to-linear stage, Griffin-Lim and the whole way back lose, and whether
# the classifier still hears the digit).
# Then the way back to sound on the candidate named by $BEST: Griffin-Lim iterations and start, NNLS iterations.
# Results in runs/audio/NAME.roundtrip.   Usage: scripts/audio-representations.sh [NAME...]
set -uo pipefail
cd "$(dirname "$0")/.."
d4j="${D4J:-./diffusion4j}"
data=wav:../shared/data/fsdd/recordings
mkdir -p runs/audio
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(ls configs/audio/c[0-9]*.yaml | xargs -n1 basename | sed 's/\.yaml$//'))
for n in "${names[@]}"; do
  [ -f runs/audio/$n.roundtrip ] && continue
  clf=runs/audio/clf-$n.safetensors
  [ -f "$clf" ] || $d4j eval train-classifier --data $data --config configs/audio/$n.yaml --epochs 30 --out "$clf" 2>/dev/null > runs/audio/$n.classifier
  $d4j eval roundtrip --data $data --classifier "$clf" 2>/dev/null > runs/audio/$n.roundtrip.tmp && mv runs/audio/$n.roundtrip.tmp runs/audio/$n.roundtrip
done
best="${BEST:-}"
[ -n "$best" ] || exit 0
for v in "--griffin-lim-iters 128" "--phase-init ADVANCE" "--phase-init ADVANCE --griffin-lim-iters 128" "--phase-init ADVANCE --griffin-lim-iters 256" "--mel-iters 1000 --phase-init ADVANCE --griffin-lim-iters 128"; do
  tag=$(echo "$v" | tr -d '-' | tr ' ' '_')
  [ -f runs/audio/$best.$tag.roundtrip ] && continue
  $d4j eval roundtrip --data $data --classifier runs/audio/clf-$best.safetensors $v 2>/dev/null > runs/audio/$best.$tag.roundtrip
done
