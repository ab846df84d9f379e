#!/usr/bin/env bash
# Scores a class-conditional spoken-digit model from its WAVs: 30 clips of each digit drawn with `sample` (its default
# sampler and guidance unless SAMPLE_ARGS says otherwise), then what PocketSphinx understands of them beside the real
# test clips (eval intelligibility), and FID, confidence and accuracy on the requested digit in the project's classifier
# (eval fid --samples, the clips analysed again).
#   scripts/eval-fsdd-speech.sh CHECKPOINT CLASSIFIER OUT_DIR [DATA]
#   e.g. scripts/eval-fsdd-speech.sh builtin:fsdd runs/audio/clf-linear-128x64.safetensors runs/eval/fsdd
#   SAMPLE_ARGS="--sampler ddim --steps 50 --eta 1" scripts/eval-fsdd-speech.sh ...
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt="$1"; clf="$2"; out="$3"; data="${4:-wav:../shared/data/fsdd/recordings}"
mkdir -p "$out"
rm -rf "$out/clips"
# shellcheck disable=SC2086
./diffusion4j sample --checkpoint "$ckpt" --class all --num 30 --seed 0 ${SAMPLE_ARGS:-} --out "$out/clips/" | tee "$out/sample.txt"
./diffusion4j eval intelligibility --data "$data" | tee "$out/intelligibility-real.txt"
./diffusion4j eval intelligibility --samples "$out/clips" | tee "$out/intelligibility-generated.txt"
./diffusion4j eval fid --samples "$out/clips" --classifier "$clf" --data "$data" --num 300 | tee "$out/fid.txt"
