#!/usr/bin/env bash
# The smoke pass against the development build, served the way a developer serves it: by
# `cargo leptos watch` (no flags: the bundle is not split), on the embedded defaults with a
# fresh database. Then a real restart of the server process (`cargo leptos serve` on the same
# database) between the two halves of the restart pair: the session lives in the embedded store,
# so the browser stays signed in.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse/tools}/bin:$PATH"

data=$(mktemp -d)
export DATABASE_URL="sqlite://$data/dev.db"
unset REDIS_URL GOOGLE_CLIENT_ID CORS_ALLOWED_ORIGINS
export RUST_LOG=${RUST_LOG:-warn}
# Every test signs up from 127.0.0.1.
export MAX_SIGNUPS_PER_IP_PER_HOUR=100000
export MAX_ANONYMOUS_SESSIONS_PER_IP=100000
export E2E_ADMIN_EMAIL=dev-admin@example.com
export E2E_BASE_URL=http://127.0.0.1:3000
export E2E_RESTART_STATE="$data/browser-state.json"
# The development build's WASM is unoptimised (tens of megabytes): each full page load compiles
# it again, so the smoke test gets Playwright's "slow" allowance there.
export E2E_DEV_BUILD=1
password="correct horse battery"

server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        # cargo-leptos and the server it started are one process group (setsid below).
        kill -TERM -- "-$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap 'stop_server; rm -rf "$data"' EXIT

# Starts `cargo leptos $1` in a process group of its own and waits for /healthz. The first
# build compiles the server and the browser bundle in debug mode: minutes on two cores; the
# second command finds them built.
serve() {
    local log="$data/$1.log" start=$SECONDS
    setsid cargo leptos "$@" >"$log" 2>&1 &
    server_pid=$!
    printf '    cargo leptos %s: building what is not built yet, then serving\n' "$*"
    until curl -fsS "$E2E_BASE_URL/healthz" >/dev/null 2>&1; do
        if ! kill -0 "$server_pid" 2>/dev/null || [ $((SECONDS - start)) -gt 1800 ]; then
            cat "$log" >&2
            echo "dev.sh: cargo leptos $* never served $E2E_BASE_URL" >&2
            exit 1
        fi
        sleep 1
    done
    printf '    serving after %ss\n' "$((SECONDS - start))"
}

serve watch
# The development binary cargo-leptos built: the customers the pages show, and the admin.
target/debug/gatehouse seed-demo >/dev/null
GATEHOUSE_PASSWORD="$password" target/debug/gatehouse user create "$E2E_ADMIN_EMAIL" "Dev Admin" --admin >/dev/null

cd end2end
E2E_RESTART_PHASE=before npx playwright test --grep '@smoke|@restart before'
cd ..
stop_server
serve serve
cd end2end
E2E_RESTART_PHASE=after npx playwright test --grep '@restart after'
