#!/usr/bin/env bash
# Load test: the guide's execute request over HTTP at concurrency 1 and 32, on SQLite and on
# PostgreSQL, plus start-to-ready time and idle RSS. Loopback only; every run is bounded.
#   bash bench/load.sh            (needs: wrk, python3; PostgreSQL via scripts/postgres.sh)
#   ELSA_BIN=path/to/elsa-server bash bench/load.sh    another build (e.g. an older commit's), as is
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
if [ -z "${ELSA_BIN:-}" ]; then cargo build --release --bin elsa-server -q; fi
BIN=${ELSA_BIN:-$PWD/target/release/elsa-server}
. scripts/postgres.sh
export ELSA_BENCH_KEY=bench-api-key-0123456789abcdefghijklmnop
# Production (the default environment) refuses to start without a signing key.
export ELSA_BENCH_SIGNING_KEY=bench-signing-key-0123456789abcdefghijklmnop

run_load() { # name, env...
  local name=$1; shift
  local dir; dir=$(mktemp -d)
  local port; port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  # exec: $! is then the server itself, which `kill` below stops.
  (cd "$dir" && exec env -i PATH="$PATH" ASPNETCORE_URLS="http://127.0.0.1:$port" Elsa__Identity__ApiKey=$ELSA_BENCH_KEY \
     Elsa__Identity__Tokens__SigningKey=$ELSA_BENCH_SIGNING_KEY \
     RUST_LOG=warn Elsa__AutoMigrate=true "$@" "$BIN" >/dev/null 2>"$dir/err.log") &
  local pid=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.05; done
  for c in 1 32; do
    local threads=$(( c < 2 ? 1 : 2 ))
    local line; line=$(wrk -t"$threads" -c"$c" -d"$DURATION" -s bench/execute.lua "http://127.0.0.1:$port/elsa/api/workflow-definitions/execute" | grep RESULT)
    echo "$name c=$c $line"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

run_load sqlite
PGDB="elsa_bench_$$"
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $PGDB" >/dev/null
PGURL="${TEST_DATABASE_URL%/*}/$PGDB"
run_load postgres "ConnectionStrings__PostgreSql=$PGURL"
psql "$TEST_DATABASE_URL" -qc "DROP DATABASE $PGDB WITH (FORCE)" >/dev/null
python3 bench/startup.py "$BIN" 10
