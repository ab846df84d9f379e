#!/usr/bin/env bash
# Evaluates the class-conditional spoken-digit run of configs/fsdd.yaml (runs/fsdd), everything scored from
# sound: generated mel images become WAV signals (NNLS + Griffin-Lim) and are analysed again, as real clips are.
# Parts (default: all but dpm): classifier, guidance, unseen, dpm, roundtrip, wavs, stats. Two hours or more on 2 CPU cores.
# Usage: scripts/eval-fsdd.sh [PART...]
#   RUN=runs/fsdd  WAVS=../shared/data/fsdd/recordings  D4J="java -jar FILE.jar" (a fixed jar instead of ./diffusion4j)
#   CONFIG=configs/fsdd.yaml (the representation the classifier part trains on)  CLF=runs/eval/fsdd/classifier.safetensors
#   GUIDANCE=0,1,2,3,5 (the guidance part's scales)  UNSEEN_GUIDANCE=0,1,2 (the unseen part's)
set -euo pipefail
cd "$(dirname "$0")/.."
run="${RUN:-runs/fsdd}"
wavs="${WAVS:-../shared/data/fsdd/recordings}"
data="wav:$wavs"
out=runs/eval/fsdd
mkdir -p "$out"
d4j="${D4J:-./diffusion4j}"
clf="${CLF:-$out/classifier.safetensors}"
config="${CONFIG:-configs/fsdd.yaml}"
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(classifier guidance unseen roundtrip wavs stats)
t() { /usr/bin/time -f "wall %e s" "$@"; }
for part in "${parts[@]}"; do
  case "$part" in
    classifier)  # the digit recogniser, trained on mels of the real training clips in the run's representation
      [ -f "$clf" ] || t $d4j eval train-classifier --data "$data" --config "$config" --epochs 30 --out "$clf" ;;
    guidance)    # 300 samples, the digits in turn, against all 300 test clips, at each guidance scale; stochastic DDIM
                 # (eta 1, 50 steps): with the v-prediction model the deterministic DPM-Solver++ 20 names the requested
                 # digit less often (0.79 against 0.89), with epsilon-prediction it leaves many clips as noise (docs/RESULTS.md)
      t $d4j eval fid --checkpoint "$run" --classifier "$clf" --data "$data" --num 300 --sampler ddim --steps 50 --eta 1 \
        --class-conditional --guidance "${GUIDANCE:-0,1,2,3,5}" ;;
    unseen)      # 150 samples against 150 test clips, which leaves 150 other test clips for the test-vs-test floor
      t $d4j eval fid --checkpoint "$run" --classifier "$clf" --data "$data" --num 150 --sampler ddim --steps 50 --eta 1 \
        --class-conditional --guidance "${UNSEEN_GUIDANCE:-0,1,2}" ;;
    dpm)         # the same at guidance 1 with the deterministic samplers
      t $d4j eval fid --checkpoint "$run" --classifier "$clf" --data "$data" --num 300 --sampler dpm-solver++ --steps 20 \
        --class-conditional --guidance 1 ;;
    roundtrip)   # what the representation loses on the 300 real test clips, random and advanced phase starts
      t $d4j eval roundtrip --data "$data" --classifier "$clf"
      t $d4j eval roundtrip --data "$data" --classifier "$clf" --phase-init ADVANCE ;;
    wavs)        # one generated clip per digit and a real test clip per digit with its round trip, for docs/fsdd
      t $d4j sample --checkpoint "$run" --class all --num 1 --sampler ddim --steps 50 --eta 1 --guidance 2 --out docs/fsdd/generated
      speakers=(jackson nicolas theo yweweler george lucas)
      clips=(); for d in 0 1 2 3 4 5 6 7 8 9; do clips+=("$wavs/${d}_${speakers[$((d % 6))]}_0.wav"); done
      t $d4j mel --checkpoint "$run" --out docs/fsdd/real "${clips[@]}"
      t $d4j sample --checkpoint "$run" --class all --num 4 --sampler ddim --steps 50 --eta 1 --guidance 2 --out docs/fsdd/generated.png ;;
    stats)       # spectral statistics of 100 generated WAVs (the digits in turn) against the real test clips
      t $d4j sample --checkpoint "$run" --num 100 --seed 7 --sampler ddim --steps 50 --eta 1 --out "$out/samples"
      t $d4j eval audio-stats --checkpoint "$run" --generated "$out/samples" --real "$wavs" ;;
    *) echo "unknown part: $part" >&2; exit 2 ;;
  esac
done
