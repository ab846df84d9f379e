#!/usr/bin/env bash
# Sampling over Spark on this machine: `sample` alone, then SampleJob at local[1] and local[2], for the same request,
# side by side in one run, and a check that the three hold the same bytes. Without a Spark distribution: the job runs
# in a JVM started as spark-submit starts one (Spark's jars from the local Maven repository on the classpath, the
# packages Spark opens on Java 17). Build first: mvn -q -o install -DskipTests.
#   scripts/spark-local-bench.sh [NUM] [CHECKPOINT] [OUT_DIR]      e.g. scripts/spark-local-bench.sh 2000 builtin:mnist runs/spark-bench
# Optionally THREADS_PER_TASK=1 gives each Spark task one intra-op thread (ai.djl.pytorch.num_threads).
set -euo pipefail
cd "$(dirname "$0")/.."
num="${1:-2000}"
ckpt="${2:-builtin:mnist}"
out="${3:-runs/spark-bench}"
seed=0
cp_file="$out/spark-classpath.txt"
mkdir -p "$out"
rm -rf "$out/sample.npy" "$out/local-1" "$out/local-2"
mvn -q -o dependency:build-classpath -pl spark -Dmdep.includeScope=provided -Dmdep.outputFile="$(realpath -m "$cp_file")" >/dev/null
opens=""
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
    java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done
threads=()
if [[ -n "${THREADS_PER_TASK:-}" ]]; then threads=("-Dai.djl.pytorch.num_threads=$THREADS_PER_TASK"); fi
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >"$out/last.log" 2>&1 || { cat "$out/last.log"; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }

s0=$(seconds java -jar target/diffusion4j.jar sample --checkpoint "$ckpt" --num "$num" --seed "$seed" --out "$out/sample.npy")
echo "sample alone:      $num samples in $s0 s"
for m in 1 2; do
  s=$(SPARK_LOCAL_IP=127.0.0.1 seconds java -Xmx8g $opens -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true \
      -Dspark.master="local[$m]" -Dspark.ui.enabled=false "${threads[@]}" -cp "target/diffusion4j-spark.jar:$(cat "$cp_file")" \
      dev.diffusion4j.spark.SampleJob --checkpoint "$ckpt" --num "$num" --seed "$seed" --partitions "$m" --out "$out/local-$m")
  echo "SampleJob local[$m]: $num samples in $s s ($(grep "samples in" "$out/last.log" | tail -1))"
done
python3 - "$out" <<'PY'
import sys, json, os, hashlib, glob
out = sys.argv[1]
def npy_bytes(path):
    b = open(path, 'rb').read()
    hl = int.from_bytes(b[8:10], 'little'); return b[10 + hl:]
whole = npy_bytes(os.path.join(out, 'sample.npy'))
for m in (1, 2):
    idx = json.load(open(os.path.join(out, f'local-{m}', 'index.json')))
    joined = b''.join(npy_bytes(os.path.join(out, f'local-{m}', s['pixels'])) for s in idx['shards'])
    print(f"local[{m}]: {len(idx['shards'])} shards, pixels {'identical to' if joined == whole else 'DIFFERENT from'} sample's")
PY
