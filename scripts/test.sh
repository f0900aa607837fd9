#!/usr/bin/env bash
# Runs every test of the workspace, PostgreSQL ones included (see scripts/postgres.sh), then
# the browser suite (see scripts/browser.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh
cargo test --workspace "$@"
bash scripts/browser.sh
