#!/usr/bin/env bash
# Editing spoken digits with a class-conditional model of sound, scored by PocketSphinx (eval intelligibility) and the
# project's classifier (eval edit), on real test clips (the same N that eval edit takes as its inputs):
#   inpainting: SPAN seconds cut out of every clip (default 0.15-0.30: an FSDD clip starts with its word and lasts 0.34-0.51 s between its quartiles, median 0.42 s, so this is the middle of most words), completed as
#               its own digit (--true-class); the recogniser hears the originals' round trips, the clips with the span
#               silenced, and the completions
#   SDEdit:     every clip edited toward "eight" at strengths 0.4, 0.6 and 0.8; the recogniser is asked whether it hears "eight"
# and three examples with their pictures in OUT_DIR/examples: a span filled in, a "three" turned toward "eight", and
# frames between two speakers saying "seven".
#   scripts/eval-fsdd-editing.sh CHECKPOINT CLASSIFIER OUT_DIR [N] [DATA]
#   e.g. scripts/eval-fsdd-editing.sh builtin:fsdd runs/audio/clf-linear-128x64.safetensors runs/edit-fsdd 150
# Settings from the environment: SPAN (0.15-0.30), STRENGTHS (0.4,0.6,0.8), D4J (a fixed command, e.g. "java -jar FILE.jar").
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt="$1"; clf="$2"; out="$3"; n="${4:-150}"; data="${5:-wav:../shared/data/fsdd/recordings}"
span="${SPAN:-0.15-0.30}"; strengths="${STRENGTHS:-0.4,0.6,0.8}"
rec="${data#wav:}"
d4j() { ${D4J:-./diffusion4j} "$@"; }
mkdir -p "$out"
rm -rf "$out/inpaint" "$out/sdedit" "$out/examples"
d4j eval edit --checkpoint "$ckpt" --classifier "$clf" --data "$data" --num "$n" --mask "seconds:$span" --true-class \
    --out "$out/inpaint" --picture "$out/inpaint.png" | tee "$out/inpaint.txt"
for sub in original masked completed; do
  d4j eval intelligibility --samples "$out/inpaint/$sub" | tee "$out/inpaint-$sub-intelligibility.txt"
done
d4j eval edit --checkpoint "$ckpt" --classifier "$clf" --data "$data" --num "$n" --strength "$strengths" --class eight \
    --out "$out/sdedit" --picture "$out/sdedit.png" | tee "$out/sdedit.txt"
for dir in "$out"/sdedit/strength-*; do
  d4j eval intelligibility --samples "$dir" | tee "$out/sdedit-$(basename "$dir")-intelligibility.txt"
done
mkdir -p "$out/examples"
# each directory holds the WAVs and mel pictures, and rows.png (input, masked input, result one above the other)
d4j inpaint --checkpoint "$ckpt" --wav "$rec/3_jackson_0.wav" --mask "seconds:$span" --class three --out "$out/examples/inpaint-three"
d4j edit --checkpoint "$ckpt" --wav "$rec/3_theo_0.wav" --strength 0.6 --class eight --out "$out/examples/three-to-eight"
d4j interpolate "$rec/7_jackson_1.wav" "$rec/7_theo_1.wav" --checkpoint "$ckpt" --frames 6 --class seven --out "$out/examples/seven-jackson-to-theo"   # its grid.png is the strip
