#!/usr/bin/env bash
# Trains every configs/ablation/*.yaml named on the command line (all of them by default) into
# runs/ablation/NAME, one after the other; a run that has checkpoints is resumed, a finished one skipped.
# Wall time and peak memory of each go to runs/ablation/NAME.time.
# Usage: scripts/ablation-train.sh [NAME...]   (D4J="java -jar FILE.jar" runs a fixed jar)
set -uo pipefail
cd "$(dirname "$0")/.."
d4j="${D4J:-./diffusion4j}"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(ls configs/ablation/*.yaml | xargs -n1 basename | sed 's/\.yaml$//'))
mkdir -p runs/ablation
for n in "${names[@]}"; do
  run=runs/ablation/$n
  if [ -f "$run.done" ]; then continue; fi
  if ls "$run"/checkpoints/step-*/state.json >/dev/null 2>&1; then
    steps=$(grep -o 'steps: [0-9]*' configs/ablation/$n.yaml | head -1 | cut -d' ' -f2)
    cmd=($d4j train --resume "$run" --steps "$steps")
  else
    cmd=($d4j train --config configs/ablation/$n.yaml --out "$run")
  fi
  echo "$(date -Is) start $n: ${cmd[*]}"
  if /usr/bin/time -v -o "$run.time" "${cmd[@]}" > "$run.log" 2>&1; then
    touch "$run.done"; echo "$(date -Is) done $n"
  else
    echo "$(date -Is) FAILED $n (see $run.log)"
  fi
done
