#!/usr/bin/env bash
# Fuzzes the REST API from its own OpenAPI document with schemathesis (PyPI): starts the server
# on a fresh SQLite directory with a known API key, runs every phase for MAX_TIME seconds
# (default 120) and fails on any 5xx. The lockout after failed logins is lifted: the fuzzer's
# random logins would otherwise lock its own address out (429) for the rest of the run. Usage: bash scripts/schemathesis.sh [extra schemathesis args]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v schemathesis >/dev/null || python3 -m pip install -q 'schemathesis>=4.3,<5'
cargo build -q --bin elsa-server
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
key="schemathesis-$(date +%s)"
(cd "$work" && ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS="http://127.0.0.1:$port" Elsa__Identity__ApiKey="$key" \
    Elsa__Identity__Lockout__MaxFailuresPerAddress=1000000000 Elsa__Identity__Lockout__MaxFailuresPerUser=1000000000 \
    exec "$OLDPWD/target/debug/elsa-server" >"$work/server.log" 2>&1) &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
schemathesis run "http://127.0.0.1:$port/elsa/api/openapi.json" --url "http://127.0.0.1:$port" \
    -H "Authorization: ApiKey $key" --checks not_a_server_error \
    --max-time "${MAX_TIME:-120}" -w 1 "$@"
