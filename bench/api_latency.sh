#!/usr/bin/env bash
# p50/p99 latency of the routes Studio calls most: the definition list (as Studio asks for it,
# over 100 stored definitions) and the descriptor routes. One client (c=1), release build,
# fresh SQLite, loopback only.   bash bench/api_latency.sh   (needs wrk, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
cargo build --release --bin elsa-server -q
BIN=$PWD/target/release/elsa-server
export ELSA_BENCH_KEY=bench-api-key-0123456789abcdefghijklmnop
dir=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
(cd "$dir" && env -i PATH="$PATH" ASPNETCORE_URLS="http://127.0.0.1:$port" Elsa__Identity__ApiKey=$ELSA_BENCH_KEY \
   Elsa__Identity__Tokens__SigningKey=bench-signing-key-0123456789abcdefghijklmnop \
   RUST_LOG=warn "$BIN" >/dev/null 2>"$dir/err.log") &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 200); do curl -sf "$base/health/ready" >/dev/null && break; sleep 0.05; done
for i in $(seq 1 100); do
  curl -sf -o /dev/null -X POST "$base/elsa/api/workflow-definitions" -H "Authorization: ApiKey $ELSA_BENCH_KEY" \
    -H 'Content-Type: application/json' \
    -d "{\"model\":{\"name\":\"Bench $i\",\"root\":{\"type\":\"Elsa.Flowchart\",\"activities\":[{\"id\":\"w\",\"type\":\"Elsa.WriteLine\",\"text\":{\"typeName\":\"String\",\"expression\":{\"type\":\"Literal\",\"value\":\"hi\"}}}],\"connections\":[]}},\"publish\":$([ $((i % 2)) = 0 ] && echo true || echo false)}"
done
for path in \
  "/elsa/api/workflow-definitions?versionOptions=Latest&Page=0&PageSize=10&SearchTerm=&IsSystem=False&OrderDirection=Ascending" \
  "/elsa/api/descriptors/activities?Refresh=True" \
  "/elsa/api/descriptors/expression-descriptors" \
  "/elsa/api/descriptors/workflow-activation-strategies"; do
  line=$(wrk -t1 -c1 -d"$DURATION" -s bench/get.lua "$base$path" | grep RESULT)
  echo "GET ${path%%\?*} $line"
done
