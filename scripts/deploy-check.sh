#!/usr/bin/env bash
# The deployment's checks, run by scripts/test.sh before the test suite:
#  - every overlay of deploy/kubernetes renders (kubectl kustomize) and validates strictly
#    against the oldest and the newest Kubernetes schema kubernetes-validate ships;
#  - the Dockerfile passes hadolint;
#  - the static binary the image is built from builds (release, x86_64-unknown-linux-musl, as the
#    Dockerfile builds it) at target/x86_64-unknown-linux-musl/release/elsa-server, which
#    tests/kubernetes.rs then runs with the rendered manifests (ELSA_STATIC_BIN).
# Installs musl-tools and the musl target when missing (as root, as CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh

read -r oldest newest < <(python - <<'PY'
import os, kubernetes_validate
schemas = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
versions = {d.split("-")[0].lstrip("v") for d in os.listdir(schemas) if d.startswith("v")}
ordered = sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
print(ordered[0], ordered[-1])
PY
)
rendered="$PWD/target/deploy"
mkdir -p "$rendered"
for overlay in deploy/kubernetes/overlays/*/; do
  name=$(basename "$overlay")
  kubectl kustomize "$overlay" > "$rendered/$name.yaml"
  for version in "$oldest" "$newest"; do
    # Custom resources (ServiceMonitor, PrometheusRule) have no schema here: a warning, not a pass.
    kubernetes-validate --strict --quiet -k "$version" "$rendered/$name.yaml"
  done
  echo "deploy/kubernetes/overlays/$name: renders, valid for Kubernetes $oldest and $newest (strict)"
done

hadolint Dockerfile
echo "Dockerfile: hadolint passes"

if ! command -v musl-gcc >/dev/null 2>&1; then
  echo "Installing musl-tools for the static build ..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null
fi
rustup target list --installed | grep -qx x86_64-unknown-linux-musl \
  || rustup target add x86_64-unknown-linux-musl
cargo build --quiet --release --locked --target x86_64-unknown-linux-musl --bin elsa-server
static=target/x86_64-unknown-linux-musl/release/elsa-server
file "$static" | grep -q "static" || { echo "$static is not statically linked" >&2; exit 1; }
echo "$static: static, $(du -h "$static" | cut -f1)"
