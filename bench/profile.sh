#!/usr/bin/env bash
# Where the server's time goes under the 10-step load: `perf record` (cpu-clock, call graphs) of
# the server while wrk runs bench/peers' 10-step workflow at concurrency 32 on a fresh SQLite,
# then the hottest symbols (self time) and the time per thread.
#   bash bench/profile.sh [path/to/elsa-server] [out-dir]     (DURATION=10s by default)
# Needs perf (Debian's linux-perf) and wrk. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-$PWD/target/release/elsa-server}
OUT=${2:-target/profile}
DURATION=${DURATION:-10s}
mkdir -p "$OUT"
KEY=bench-api-key-0123456789abcdefghijklmnop
dir=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
(cd "$dir" && exec env -i PATH="$PATH" ASPNETCORE_URLS="http://127.0.0.1:$port" Elsa__Identity__ApiKey=$KEY \
   Elsa__Identity__Tokens__SigningKey=bench-signing-key-0123456789abcdefghijklmnop RUST_LOG=warn \
   "$BIN" >/dev/null 2>"$dir/err.log") &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 500); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.02; done
BENCH_BODY=$(python3 -c 'import json;print(json.dumps({"workflow":{"root":{"type":"Elsa.Sequence","activities":[{"id":f"s{i}","type":"Elsa.WriteLine","text":f"Step {i}"} for i in range(1,11)]}}}))')
export BENCH_BODY BENCH_AUTH="ApiKey $KEY"
perf record -q -F 499 -e cpu-clock -g -p "$pid" -o "$OUT/perf.data" -- sleep "${DURATION%s}" 2>/dev/null &
perf_pid=$!
wrk -t2 -c32 -d"$DURATION" -s bench/peers/post.lua "http://127.0.0.1:$port/elsa/api/workflow-definitions/execute" | grep RESULT | tee "$OUT/wrk.txt"
wait $perf_pid
perf report -q -i "$OUT/perf.data" --no-children -F overhead,sym --percent-limit 0.7 -g none 2>/dev/null \
  | sed 's/ *$//' | cut -c1-160 > "$OUT/symbols.txt"
perf report -q -i "$OUT/perf.data" --no-children -F overhead,comm -g none 2>/dev/null | sed 's/ *$//' > "$OUT/threads.txt"
echo "== threads"; cat "$OUT/threads.txt"
echo "== symbols (self time, >= 0.7 %)"; head -40 "$OUT/symbols.txt"
