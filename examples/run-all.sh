#!/usr/bin/env bash
# Builds the examples against the installed library (mvn install -DskipTests in the repository's root first) and runs
# all three in OUT (default target/examples): sixteen sevens, 200 training steps on PNGs, WAVs from a small audio run.
# FSDD: a folder of Free Spoken Digit Dataset WAVs (default ../shared/data/fsdd/recordings).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
out="$(mkdir -p "${1:-$root/target/examples}" && cd "${1:-$root/target/examples}" && pwd)"
fsdd="${FSDD:-$root/../shared/data/fsdd/recordings}"
(cd "$here" && mvn -q -B -o package)
run() { java -Djava.awt.headless=true -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" "dev.diffusion4j.examples.$@"; }

run SixteenSevens "$out/sevens.png"

rm -rf "$out/pictures" "$out/pictures-run"
"$root/diffusion4j" sample --num 32 --out "$out/pictures" >/dev/null
run TrainOnPictures "$out/pictures" "$out/pictures-run"

rm -rf "$out/wavs" "$out/audio-run" "$out/clips"
mkdir -p "$out/wavs"
ls "$fsdd" | grep -E '^[0-9]_jackson_(1[0-9])\.wav$' | while read -r f; do cp "$fsdd/$f" "$out/wavs/"; done
"$root/diffusion4j" train --config "$here/tiny-audio.yaml" --data "wav:$out/wavs" --out "$out/audio-run" >/dev/null
run WavsFromAudioRun "$out/audio-run" "$out/clips"
ls "$out/clips" | grep -c '\.wav$' | xargs -I{} echo "examples: all three ran; {} WAVs in $out/clips"
