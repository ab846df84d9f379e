#!/usr/bin/env bash
# Runs queued jobs one at a time, so that long jobs never share the two cores: every runs/queue/NNN-name.sh,
# in name order, each logged to runs/queue/NNN-name.log and renamed .done (or .failed) when it ends.
# New files can be added while it runs; it stops when the queue is empty and no file appears for 10 minutes.
cd "$(dirname "$0")/.."
idle=0
while [ $idle -lt 60 ]; do
  job=$(ls runs/queue/*.sh 2>/dev/null | sort | head -1)
  if [ -z "$job" ]; then sleep 10; idle=$((idle + 1)); continue; fi
  idle=0
  echo "$(date -Is) start $job"
  if bash "$job" > "${job%.sh}.log" 2>&1; then mv "$job" "$job.done"; echo "$(date -Is) done $job";
  else mv "$job" "$job.failed"; echo "$(date -Is) FAILED $job"; fi
done
