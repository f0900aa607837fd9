#!/usr/bin/env bash
# The browser suite (tests/browser): the real Elsa Studio, served by elsa-server, in headless
# Chromium. Run by scripts/test.sh; on its own: bash scripts/browser.sh
#
# Needs Debian's chromium and Node.js with npm; as root (and so in CI) it installs them when
# missing. Anyone else without them gets a notice and a skip, since the Rust suites do not
# depend on them. The Studio package is installed with `elsa-server studio install` into
# target/studio (integrity checked, kept between runs).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing ${missing[*]} for the browser suite ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif [ "${CI:-}" = true ]; then
    echo "The browser suite needs ${missing[*]} (apt-get install ${missing[*]}), and CI must run it" >&2
    exit 1
  else
    echo "NOTICE: browser suite skipped: ${missing[*]} not installed and not root to install it (apt-get install ${missing[*]})"
    exit 0
  fi
fi

export ELSA_STUDIO_DIR="$PWD/target/studio/3.8.2"
cargo build --quiet --bin elsa-server
Elsa__Studio__Path="$ELSA_STUDIO_DIR" ./target/debug/elsa-server --content-root target studio install 2>&1 | grep -v " INFO \| WARN " || true
[ -f "$ELSA_STUDIO_DIR/_framework/blazor.webassembly.js" ] || { echo "the Studio could not be installed" >&2; exit 1; }

cd tests/browser
npm ci --no-audit --no-fund --silent
export ELSA_SERVER_BIN="$PWD/../../target/debug/elsa-server"
node --test --test-concurrency=1 --test-reporter=spec studio.test.mjs signin.test.mjs
