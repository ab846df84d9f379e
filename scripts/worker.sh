#!/usr/bin/env bash
# Runs queued jobs one at a time, so that long jobs do not fight over the cores: every QUEUE/NNN-name.sh
# (QUEUE is runs/queue unless given), in name order, each logged to QUEUE/NNN-name.log and renamed .done (or
# .failed) when it ends. New files can be added while it runs; it stops when the queue is empty and no file
# appears for 10 minutes. Two workers on two queues, each job on one intra-op thread, share two cores well.
cd "$(dirname "$0")/.."
queue="${1:-runs/queue}"
idle=0
while [ $idle -lt 60 ]; do
  job=$(ls "$queue"/*.sh 2>/dev/null | sort | head -1)
  if [ -z "$job" ]; then sleep 10; idle=$((idle + 1)); continue; fi
  idle=0
  echo "$(date -Is) start $job"
  if bash "$job" > "${job%.sh}.log" 2>&1; then mv "$job" "$job.done"; echo "$(date -Is) done $job";
  else mv "$job" "$job.failed"; echo "$(date -Is) FAILED $job"; fi
done
