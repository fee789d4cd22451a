#!/usr/bin/env bash
# Starts the dashboard with its embedded defaults (SQLite file and generated keys in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/node24.sh
ensure_deps
exec npm start
