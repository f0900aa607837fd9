#!/usr/bin/env bash
# Runs every test of the workspace, PostgreSQL ones included (see scripts/postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh
cargo test --workspace "$@"
