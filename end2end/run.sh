#!/usr/bin/env bash
# Called by `cargo leptos end-to-end` right after it starts the server, which may not be
# listening yet: wait for /healthz, then run Playwright. On success, touch $E2E_PASSED_MARKER
# (e2e.sh checks it, since cargo-leptos does not pass our exit status on).
set -euo pipefail
cd "$(dirname "$0")"
base=${E2E_BASE_URL:-http://127.0.0.1:3000}
# The second instance (multi-instance.spec.ts) and the step-up one, when e2e.sh started them.
for url in "$base" ${E2E_SECOND_URL:+"$E2E_SECOND_URL"} ${E2E_STEP_UP_URL:+"$E2E_STEP_UP_URL"}; do
    for _ in $(seq 1 240); do
        curl -fsS "$url/healthz" >/dev/null 2>&1 && break
        sleep 0.25
    done
    curl -fsS "$url/healthz" >/dev/null || { echo "the server never answered $url/healthz" >&2; exit 1; }
done
npx playwright test "$@"
[ -z "${E2E_PASSED_MARKER:-}" ] || touch "$E2E_PASSED_MARKER"
