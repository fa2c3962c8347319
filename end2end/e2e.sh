#!/usr/bin/env bash
# Builds the release bundle and runs the Playwright suite against it, with a fresh embedded
# database so every run starts from nothing.
#
# `cargo leptos end-to-end` can exit 0 when the build or the tests fail, so success is judged
# by the marker that end2end/run.sh writes only after Playwright passed.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export DATABASE_URL="sqlite://$data/e2e.db"
export RUST_LOG=${RUST_LOG:-warn}
export E2E_PASSED_MARKER="$data/passed"
cargo leptos end-to-end --release
if [ ! -f "$E2E_PASSED_MARKER" ]; then
    echo "end-to-end: the build or the Playwright suite failed (see above)" >&2
    exit 1
fi
