#!/usr/bin/env bash
# Builds the release bundle and runs the Playwright suite against it, with a fresh embedded
# database so every run starts from nothing.
#
# `cargo leptos end-to-end` can exit 0 when the build or the tests fail, so success is judged
# by the marker that end2end/run.sh writes only after Playwright passed.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tools scripts/bootstrap.sh installed: cargo-leptos would otherwise try to download wasm-opt.
export PATH="$HOME/.cargo/bin:${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse/tools}/bin:$PATH"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export DATABASE_URL="sqlite://$data/e2e.db"
unset REDIS_URL
export RUST_LOG=${RUST_LOG:-warn}
# Google Sign-In against a local stand-in for Google's key endpoint, serving the public half of
# the test key that the Playwright tests sign ID tokens with.
jwks_port=3999
python3 -m http.server "$jwks_port" --bind 127.0.0.1 --directory tests/fixtures >/dev/null 2>&1 &
jwks_pid=$!
trap 'stop_second; kill $jwks_pid $origin_pids $maildev_pid 2>/dev/null; rm -rf "$data"' EXIT
export GOOGLE_CLIENT_ID=e2e-client.apps.googleusercontent.com
export GOOGLE_JWKS_URL="http://127.0.0.1:$jwks_port/google_jwks_1.json"
# Two more origins for cors.spec.ts: a page on the first may call the API with the cookie.
python3 -m http.server 4000 --bind 127.0.0.1 --directory end2end/cors-origin >/dev/null 2>&1 &
origin_pids="$!"
python3 -m http.server 4001 --bind 127.0.0.1 --directory end2end/cors-origin >/dev/null 2>&1 &
origin_pids="$origin_pids $!"
maildev_pid=""
export CORS_ALLOWED_ORIGINS=http://127.0.0.1:4000
# A real SMTP catcher with an HTTP API (npm maildev): the app sends it mail over SMTP, and
# email.spec.ts reads the links from it.
end2end/node_modules/.bin/maildev --smtp 1025 --web 1080 --ip 127.0.0.1 --silent >/dev/null 2>&1 &
maildev_pid=$!
export SMTP_URL=smtp://127.0.0.1:1025 E2E_MAILDEV_URL=http://127.0.0.1:1080
export MAIL_FROM="Gatehouse <no-reply@gatehouse.test>"
for _ in $(seq 1 120); do curl -fsS "$E2E_MAILDEV_URL/email" >/dev/null 2>&1 && break; sleep 0.25; done
curl -fsS "$E2E_MAILDEV_URL/email" >/dev/null || { echo "e2e.sh: maildev never answered" >&2; exit 1; }
export E2E_CORS_ALLOWED_ORIGIN=http://127.0.0.1:4000 E2E_CORS_OTHER_ORIGIN=http://127.0.0.1:4001
# Fresh throttling counters per run: every test signs in from 127.0.0.1. Every test signs up
# from there too, far more than the hourly sign-ups one address gets.
export REDIS_KEY_PREFIX="gatehouse-e2e-$$:"
export MAX_SIGNUPS_PER_IP_PER_HOUR=100000
export MAX_ANONYMOUS_SESSIONS_PER_IP=100000
# The key that seals two-factor secrets (two-factor.spec.ts); a test key, never a real one.
export SECRETS_KEY=9d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4

# The administrator the admin specs sign in as, created by the release binary's own command.
export E2E_ADMIN_EMAIL=e2e-admin@example.com
e2e_password="correct horse battery"
# A second server process on the same database and session store: multi-instance.spec.ts.
second_port=3002
export E2E_SECOND_URL="http://127.0.0.1:$second_port"
second_pid=""
# A third, whose re-authentication window is three seconds: step-up.spec.ts lets a session grow
# old there.
step_up_port=3003
export E2E_STEP_UP_URL="http://127.0.0.1:$step_up_port" E2E_STEP_UP_WINDOW_SECS=3
step_up_pid=""
stop_second() {
    local pid
    for pid in $second_pid $step_up_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    second_pid=""
    step_up_pid=""
}

# One pass per session-store/database pair: the embedded defaults, then Redis + PostgreSQL.
run_pass() {
    local name=$1
    export E2E_PASSED_MARKER="$data/passed-$name"
    printf '\033[1m==> end-to-end pass: %s\033[0m\n' "$name"
    # The release binary's own seed command fills the customer table the pages show.
    target/release/gatehouse seed-demo
    GATEHOUSE_PASSWORD="$e2e_password" target/release/gatehouse user create "$E2E_ADMIN_EMAIL" "E2E Admin" --admin
    LEPTOS_SITE_ADDR="127.0.0.1:$second_port" LEPTOS_ENV=PROD target/release/gatehouse serve &
    second_pid=$!
    REAUTH_WINDOW_SECS=$E2E_STEP_UP_WINDOW_SECS LEPTOS_SITE_ADDR="127.0.0.1:$step_up_port" \
        LEPTOS_ENV=PROD target/release/gatehouse serve &
    step_up_pid=$!
    cargo leptos end-to-end --release --split --precompress
    if [ ! -f "$E2E_PASSED_MARKER" ]; then
        echo "end-to-end ($name): the build or the Playwright suite failed (see above)" >&2
        exit 1
    fi
    # Spec-driven fuzzing against the same release build (the second instance is still up).
    bash end2end/fuzz.sh "$E2E_SECOND_URL"
    stop_second
}

# --split: /admin and /sessions become WASM chunks loaded on demand; --precompress: .br/.gz.
cargo leptos build --release --split --precompress
# The build really is split (build.rs tells the browser build so): a chunk for each private page.
for page in todos profile customers sessions security admin; do
    compgen -G "target/site/pkg/split___${page}_route_view_*.wasm" >/dev/null ||
        { echo "e2e.sh: the --split build has no WASM chunk for /$page" >&2; exit 1; }
done
run_pass embedded

if [ -n "${E2E_REDIS_URL:-}" ] && [ -n "${E2E_POSTGRES_ADMIN_URL:-}" ]; then
    db="gatehouse_e2e_$$"
    psql "$E2E_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE $db"
    trap 'stop_second; kill $jwks_pid $origin_pids $maildev_pid 2>/dev/null; psql "$E2E_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; rm -rf "$data"' EXIT
    export DATABASE_URL="${E2E_POSTGRES_ADMIN_URL%/*}/$db"
    export REDIS_URL="$E2E_REDIS_URL"
    run_pass redis-postgres
fi
