#!/usr/bin/env bash
# Builds the release bundle and runs the Playwright suite against it, with a fresh embedded
# database so every run starts from nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export DATABASE_URL="sqlite://$data/e2e.db"
export RUST_LOG=${RUST_LOG:-warn}
cargo leptos end-to-end --release
