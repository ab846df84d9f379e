#!/usr/bin/env bash
# Images per second of class-conditional MNIST sampling, on the same machine one after the other, three rounds:
#   pytorch-eager, pytorch-compile  sample_rate.py: the network of builtin:mnist-w16 in PyTorch with its weights,
#                                   DPM-Solver++(2M) in 20 steps on diffusion4j's log-SNR grid, guidance GUIDANCE (1:
#                                   one forward pass per step; 1.5: two, batched), batch 64; median of REPEATS whole
#                                   batches after WARMUP
#   diffusion4j-teacher             `diffusion4j sample --checkpoint builtin:mnist-w16 --guidance GUIDANCE --num NUM
#                                   --batch 64` (the default sampler, DPM-Solver++ in 20 steps)
#   diffusion4j-student             the same with the distilled checkpoint given as the second argument (its own
#                                   default sampler, e.g. DDIM on a 4-step grid), --num NUM_STUDENT; with several,
#                                   comma-separated, one side each: diffusion4j-student, diffusion4j-student-2, ...
# diffusion4j's images per second are NUM over the "sampling loop" seconds that `sample` prints (engine start and
# weights excluded; printed to 0.1 s, hence the student's larger NUM_STUDENT); its wall time is kept too. Everything
# runs with THREADS intra-op threads (2) and glibc's allocator keeping large blocks in the heap (the MALLOC_*
# settings of run.sh). The PyTorch wheel goes in a virtual environment outside the build, as for run.sh:
#   python3 -m venv VENV && VENV/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl numpy filelock
# Usage: benchmarks/pytorch/sample-rate.sh VENV STUDENT_CHECKPOINT[,STUDENT_CHECKPOINT...] [OUT.json]
# Settings from the environment (defaults): D4J_JAR (target/diffusion4j.jar), TEACHER (builtin:mnist-w16),
# GUIDANCE (1), NUM (640), NUM_STUDENT (5 x NUM), REPEATS (10), WARMUP (3), ROUNDS (3), THREADS (2), WEIGHTS (the teacher's
# models/mnist-w16/ema.safetensors; empty for random weights), JAVA_OPTS.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:?usage: sample-rate.sh VENV STUDENT_CHECKPOINT [OUT.json]}"
students="${2:?usage: sample-rate.sh VENV STUDENT_CHECKPOINT[,STUDENT_CHECKPOINT...] [OUT.json]}"
out="${3:-$here/sample-rate.json}"
py="$venv/bin/python"
jar="${D4J_JAR:-$here/../../target/diffusion4j.jar}"
teacher="${TEACHER:-builtin:mnist-w16}"
guidance="${GUIDANCE:-1}"
num="${NUM:-640}"
num_student="${NUM_STUDENT:-$((5 * num))}"
repeats="${REPEATS:-10}"
warmup="${WARMUP:-3}"
rounds="${ROUNDS:-3}"
threads="${THREADS:-2}"
weights="${WEIGHTS-$here/../../models/mnist-w16/ema.safetensors}"
[ -f "$jar" ] || { echo "sample-rate.sh: no $jar (build it, or set D4J_JAR)" >&2; exit 1; }
tmp=$(mktemp -d)
export MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=1073741824
rows="$tmp/rows"
: > "$rows"

pytorch() { # SIDE ROUND [--compile]
  local side="$1" round="$2"
  shift 2
  "$py" "$here/sample_rate.py" --threads "$threads" --batch 64 --steps 20 --guidance "$guidance" --repeats "$repeats" --warmup "$warmup" \
      ${weights:+--weights "$weights"} "$@" 2> "$tmp/$side-$round.err" > "$tmp/$side-$round.json" \
    || { cat "$tmp/$side-$round.err" >&2; exit 1; }
  "$py" -c 'import json,sys; r=json.load(open(sys.argv[3])); print(json.dumps({"side": sys.argv[1], "round": int(sys.argv[2]), **r}))' \
    "$side" "$round" "$tmp/$side-$round.json" >> "$rows"
}

diffusion4j() { # SIDE ROUND CHECKPOINT N
  local side="$1" round="$2" ckpt="$3" n="$4" start end
  start=$(date +%s.%N)
  java ${JAVA_OPTS:-} -Dai.djl.pytorch.num_threads="$threads" -XX:ErrorFile="${TMPDIR:-/tmp}/diffusion4j-hs_err_pid%p.log" \
      -Djava.awt.headless=true -jar "$jar" sample --checkpoint "$ckpt" --guidance "$guidance" --num "$n" --batch 64 \
      --out "$tmp/$side-$round.npy" > "$tmp/$side-$round.log" 2>&1 \
    || { cat "$tmp/$side-$round.log" >&2; exit 1; }
  end=$(date +%s.%N)
  rm -f "$tmp/$side-$round.npy"
  "$py" - "$side" "$round" "$ckpt" "$n" "$start" "$end" "$tmp/$side-$round.log" >> "$rows" <<'PY'
import json, re, sys
side, rnd, ckpt, n, start, end, log = sys.argv[1:]
text = open(log).read()
m = re.search(r", ([^,]+?) with (\d+) steps \((\d+) network evaluations each\), from (.+?): ([\d.]+) s \(sampling loop ([\d.]+) s, "
              r"engine start and weights ([\d.]+) s\)", text)
if not m:
    sys.exit("no timing line in the output of sample:\n" + text)
n, loop, wall = int(n), float(m.group(6)), float(end) - float(start)
print(json.dumps({"side": side, "round": int(rnd), "checkpoint": ckpt, "sampler": m.group(1),
                  "steps": int(m.group(2)), "evaluations": int(m.group(3)), "model": m.group(4), "num": n, "batch": 64,
                  "images_per_s": n / loop, "seconds_per_batch": loop * 64 / n, "loop_s": loop,
                  "sample_s": float(m.group(5)), "engine_start_s": float(m.group(7)), "wall_s": round(wall, 3),
                  "images_per_s_wall": n / wall}))
PY
}

for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  pytorch pytorch-eager "$round"
  pytorch pytorch-compile "$round" --compile
  diffusion4j diffusion4j-teacher "$round" "$teacher" "$num"
  i=0
  for student in ${students//,/ }; do
    i=$((i + 1))
    diffusion4j "diffusion4j-student$([ "$i" -gt 1 ] && echo "-$i" || true)" "$round" "$student" "$num_student"
  done
done
"$py" - "$rows" "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
with open(sys.argv[2], "w") as f:
    f.write("[\n" + ",\n".join(" " + json.dumps(r) for r in rows) + "\n]\n")
sides = list(dict.fromkeys(r["side"] for r in rows))
med = {s: statistics.median(r["images_per_s"] for r in rows if r["side"] == s) for s in sides}
print("%-21s %-26s %9s %12s %12s  %s" % ("images/s, batch 64", "sampler", "images/s", "s per batch", "x teacher", "each round"))
for s, v in med.items():
    rs = [r for r in rows if r["side"] == s]
    sampler = rs[0].get("sampler") or "DPM-Solver++(2M)"
    print("%-21s %-26s %9.1f %12.3f %12.2f  %s" % (s, "%s, %d steps" % (sampler, rs[0]["steps"]), v, 64 / v,
          v / med["diffusion4j-teacher"] if "diffusion4j-teacher" in med else float("nan"),
          " / ".join("%.1f" % r["images_per_s"] for r in rs)))
PY
echo "wrote $out"
