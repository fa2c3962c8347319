#!/usr/bin/env bash
# Runs Gatehouse for development on its embedded defaults (SQLite under data/, sessions in the
# same database): no services needed. Rebuilds and reloads on every change.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh
exec cargo leptos watch "$@"
