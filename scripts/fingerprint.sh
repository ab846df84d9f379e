#!/usr/bin/env bash
# Prints SHA-256 fingerprints of what the product computes for fixed seeds: training (weights, EMA,
# optimiser, losses, sample grid) with dropout and flips, DDPM / DDIM samples, the likelihood bound,
# the classifier and FID, and the audio path (log-mel training data, WAVs out, the mel round trip).
# Two code states whose fingerprints agree compute the same numbers bit for bit.
# Usage: scripts/fingerprint.sh OUT_DIR   (D4J="java -jar FILE.jar" runs a fixed jar instead of ./diffusion4j)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: scripts/fingerprint.sh OUT_DIR}"
d4j="${D4J:-./diffusion4j}"
rm -rf "$out"; mkdir -p "$out"
h() { sha256sum "$@" | sed "s| $out/| |"; }
q() { "$@" >"$out/.log" 2>&1 || { cat "$out/.log"; exit 1; }; }
cat >"$out/train.yaml" <<'YAML'
model: {baseChannels: 16, channelMults: [1, 2], attentionResolutions: [14], dropout: 0.1, normGroups: 4}
training: {steps: 24, batchSize: 16, warmupSteps: 4, randomFlip: true, seed: 5}
output: {logEvery: 4, sampleEvery: 12, checkpointEvery: 12, samples: 4, sampleSteps: 5}
YAML
q $d4j train --config "$out/train.yaml" --out "$out/run"
ck="$out/run/checkpoints/step-000000024"
h "$ck"/model.safetensors "$ck"/ema.safetensors "$ck"/optimizer.safetensors "$out"/run/samples/*.png
echo "$(cut -d, -f1-7 "$out/run/metrics.csv" | sha256sum | cut -c1-64)  metrics.csv (without images/s)"
q $d4j sample --checkpoint "$out/run" --sampler ddpm --num 3 --batch 2 --seed 7 --out "$out/ddpm.npy"
q $d4j sample --checkpoint "$out/run" --sampler ddim --steps 12 --eta 0.5 --num 5 --batch 3 --seed 8 --out "$out/ddim.npy"
h "$out/ddpm.npy" "$out/ddim.npy"
$d4j eval nll --checkpoint "$out/run" --data embedded --num 6 --batch 4 --timesteps 10 --seed 3 2>/dev/null | grep -v "wall time" | sha256sum | sed 's/-$/eval nll output/'
q $d4j eval train-classifier --data embedded --epochs 1 --batch 250 --out "$out/clf.safetensors"
h "$out/clf.safetensors"
$d4j eval fid --checkpoint "$out/run" --classifier "$out/clf.safetensors" --data embedded --num 20 --sampler ddim --steps 5 2>/dev/null \
  | grep -v "wall time" | sed "s|$out/||g" | sha256sum | sed "s/-$/eval fid output/"
mkdir -p "$out/wav"
for f in 0_jackson_0 0_jackson_7 1_theo_3 1_theo_12 2_nicolas_1 2_nicolas_30 3_george_2 3_george_40; do
  cp "../shared/data/fsdd/recordings/$f.wav" "$out/wav/"
done
cat >"$out/audio.yaml" <<'YAML'
model: {imageSize: 16, baseChannels: 16, channelMults: [1, 2], attentionResolutions: [], dropout: 0.0, normGroups: 4}
audio: {nMels: 16, frames: 16, griffinLimIters: 8}
training: {steps: 6, batchSize: 4, warmupSteps: 2, seed: 2}
output: {logEvery: 2, sampleEvery: 6, checkpointEvery: 6, samples: 2, sampleSteps: 3}
YAML
q $d4j train --config "$out/audio.yaml" --data "wav:$out/wav" --out "$out/audio"
h "$out/audio/checkpoints/step-000000006/model.safetensors"
q $d4j sample --checkpoint "$out/audio" --sampler ddim --steps 4 --num 2 --seed 4 --out "$out/audio-samples"
h "$out"/audio-samples/*.wav "$out"/audio-samples/grid.png
$d4j mel "$out/wav/1_theo_3.wav" "$out/wav/3_george_40.wav" --out "$out/mel" 2>/dev/null | sed "s|$out/||g" | sha256sum | sed 's/-$/mel output/'
h "$out"/mel/*
