#!/usr/bin/env bash
# Runs the deployment's checks and builds the image's static binary (scripts/deploy-check.sh),
# then every test of the workspace, PostgreSQL ones included (see scripts/postgres.sh) and the
# Kubernetes manifests run with that binary (tests/kubernetes.rs), then the browser suite (see
# scripts/browser.sh). The pinned tools come from scripts/tools.sh; the `otlp` feature's test
# runs with that feature on.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh
. scripts/tools.sh
bash scripts/deploy-check.sh
export ELSA_STATIC_BIN="$PWD/target/x86_64-unknown-linux-musl/release/elsa-server"
cargo test --workspace "$@"
# OpenTelemetry export is a cargo feature; its test needs it on.
cargo test -p elsa-server --features otlp --test otlp "$@"
bash scripts/browser.sh
