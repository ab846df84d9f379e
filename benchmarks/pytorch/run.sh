#!/usr/bin/env bash
# diffusion4j against PyTorch on the same machine, one after the other, three rounds: the default MNIST UNet's
# training step at batch 64 and forward passes at batch 16 and 256, from `diffusion4j bench --json` and from
# bench.py in PyTorch eager and with torch.compile (inductor, CPU). Both use 2 threads and glibc's allocator with
# large blocks kept in the heap (the MALLOC_* settings below, which diffusion4j sets itself from inside the JVM);
# PyTorch eager is also timed once without them. Needs a PyTorch CPU wheel in a virtual environment, never in the
# project's build:
#   python3 -m venv VENV && VENV/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl numpy filelock
# (torch.compile needs filelock, which the wheel does not pull in; it can also come from Debian's python3-filelock)
# Usage: benchmarks/pytorch/run.sh VENV [OUT.json]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:?usage: run.sh VENV [OUT.json]}"
out="${2:-$here/results.json}"
py="$venv/bin/python"
d4j="${D4J:-$here/../../diffusion4j}"
tmp=$(mktemp -d)
export MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=1073741824
echo "[" > "$tmp/all"
env -u MALLOC_MMAP_THRESHOLD_ -u MALLOC_TRIM_THRESHOLD_ -u MALLOC_TOP_PAD_ "$py" "$here/bench.py" --threads 2 \
  | sed 's/^{/{"side": "pytorch-eager-default-malloc", "round": 0, /' >> "$tmp/all"
for round in 1 2 3; do
  $d4j bench --memory-steps 0 --sample-batches 16,256 --json "$tmp/d4j-$round.json" > "$tmp/d4j-$round.log" 2>&1
  "$py" -c "import json,sys; f={k: v['value'] for k, v in json.load(open(sys.argv[1]))['figures'].items()}; print(json.dumps({'side':'diffusion4j','round':$round,'train_step_ms_b64':f['train_step_ms'],'forward_ms_b16':f['sample_step_ms_b16'],'forward_ms_b256':f['sample_step_ms_b256'],'peak_gflops':max(f['peak_matmul_gflops'],f['peak_conv_gflops'])}))" "$tmp/d4j-$round.json" | sed 's/^/,/' >> "$tmp/all"
  "$py" "$here/bench.py" --threads 2 | sed "s/^{/,{\"side\": \"pytorch-eager\", \"round\": $round, /" >> "$tmp/all"
  "$py" "$here/bench.py" --threads 2 --compile 2>"$tmp/compile-$round.log" | sed "s/^{/,{\"side\": \"pytorch-compile\", \"round\": $round, /" >> "$tmp/all"
done
echo "]" >> "$tmp/all"
sed -i '2s/^/ /' "$tmp/all"
cp "$tmp/all" "$out"
"$py" - "$out" <<'PY'
import json, statistics, sys
rows = json.load(open(sys.argv[1]))
print("%-34s %14s %14s %14s" % ("median of rounds 1-3", "train b64 ms", "forward b16 ms", "forward b256 ms"))
for side in ("diffusion4j", "pytorch-eager", "pytorch-compile", "pytorch-eager-default-malloc"):
    rs = [r for r in rows if r["side"] == side]
    if rs:
        med = lambda k: statistics.median(r[k] for r in rs)
        print("%-34s %14.1f %14.1f %14.1f" % (side + " (%d)" % len(rs), med("train_step_ms_b64"), med("forward_ms_b16"), med("forward_ms_b256")))
PY
echo "wrote $out"
