#!/usr/bin/env bash
# Runs every test: formatting, clippy for the server and the wasm build, the unit and
# integration tests (SQLite and PostgreSQL, embedded store and Redis), and the Playwright
# end-to-end suite in Chromium against the release build and, as a smoke pass, against the
# development build that `cargo leptos watch` serves.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh --test
bash scripts/services.sh

# Runs a step and prints how long it took.
timed() {
    local start=$SECONDS
    "$@"
    printf '    (%ss)\n' "$((SECONDS - start))"
}

export TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}

step "cargo fmt --check"
timed cargo fmt --all -- --check

step "clippy (server)"
timed cargo clippy --features ssr --all-targets -- -D warnings

step "clippy (browser, wasm32)"
timed cargo clippy --lib --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "cargo test"
timed cargo test --features ssr

step "end-to-end (release build, Chromium)"
E2E_REDIS_URL=$TEST_REDIS_URL E2E_POSTGRES_ADMIN_URL=$TEST_POSTGRES_URL timed bash end2end/e2e.sh

step "end-to-end smoke pass (development build from cargo leptos watch, Chromium)"
timed bash end2end/dev.sh
