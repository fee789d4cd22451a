#!/usr/bin/env bash
# Runs the whole test suite: type check, lint, unit, web components, integration,
# interop against real OpenClaw gateways, end-to-end in real Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/node24.sh
ensure_deps

# Debian's Chromium for the end-to-end tests (playwright-core drives it).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian chromium" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "setup: /usr/bin/chromium is missing; install Debian's chromium package (the e2e tests need it)" >&2
    exit 1
  fi
fi
exec npm test
