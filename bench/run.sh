#!/usr/bin/env bash
# Gatehouse benchmark: builds the release server, runs it against Redis + PostgreSQL and then on
# the embedded defaults (SQLite, sessions in SQLite), loads it over loopback with wrk, and writes
# bench/RESULTS.md with every figure and each budget's verdict. About 10 minutes after the build.
#
#   bash bench/run.sh            # BENCH_SECS=8 per load run, 32 connections
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/bootstrap.sh --test
apt_install wrk brotli
bash scripts/services.sh
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true

secs=${BENCH_SECS:-8}
conns=32
port=3100
base="http://127.0.0.1:$port"
password="correct horse battery"
work=$(mktemp -d)
server_pid=""
stop_server() { [ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; server_pid=""; }; }
trap 'stop_server; rm -rf "$work"' EXIT
results="$work/results.txt"   # KEY VALUE lines, turned into RESULTS.md at the end
record() { echo "$1 $2" >>"$results"; printf '    %-40s %s\n' "$1" "$2"; }

step "release build"
cargo leptos build --release --split --precompress

# Runs wrk three times and records the median run's rps, p50 and p99 (this machine shares its two
# cores with wrk, Redis and PostgreSQL, so single runs wander), and the errors of all three, under
# the name $1.
load() {
    local name=$1; shift
    local run out rps p50 p99 errors=0 requests=0 chosen
    for run in 1 2 3; do
        out="$work/wrk-$name.$run.txt"
        wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/status.lua "$@" >"$out" 2>&1
        echo "$(awk '/^RPS/ {print $2}' "$out") $out"
    done | sort -n >"$work/runs-$name.txt"
    chosen=$(sed -n 2p "$work/runs-$name.txt" | cut -d' ' -f2)
    cp "$chosen" "$work/wrk-$name.txt"
    for run in 1 2 3; do
        out="$work/wrk-$name.$run.txt"
        errors=$((errors + $(awk '/^STATUS_5XX/ {print $2}' "$out") + $(awk '/^SOCKET_ERRORS/ {print $2}' "$out")))
        requests=$((requests + $(awk '/^REQUESTS/ {print $2}' "$out")))
    done
    rps=$(awk '/^RPS/ {print $2}' "$chosen")
    p50=$(awk '/^P50_US/ {printf "%.2f", $2/1000}' "$chosen")
    p99=$(awk '/^P99_US/ {printf "%.2f", $2/1000}' "$chosen")
    record "$name.rps" "$rps"
    record "$name.p50_ms" "$p50"
    record "$name.p99_ms" "$p99"
    record "$name.errors" "$errors"
    record "$name.requests" "$requests"
    record "$name.rps_runs" "$(cut -d' ' -f1 "$work/runs-$name.txt" | paste -sd/)"
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$server_pid/status"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$server_pid/status"; }

# One full run against the server started with the current environment; $1 names the setup.
bench_setup() {
    local setup=$1
    step "benchmark: $setup"
    RUST_LOG=warn LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_ENV=PROD target/release/gatehouse serve \
        >"$work/server-$setup.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

    local email="bench-$setup-$$@example.com" jar="$work/jar-$setup"
    curl -fsS -c "$jar" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Bench\"}" "$base/api/auth/signup" >/dev/null
    for i in $(seq 1 20); do
        curl -fsS -b "$jar" -H 'content-type: application/json' -d "{\"title\":\"todo $i\"}" "$base/api/todos" >/dev/null
    done
    local cookie
    cookie="gatehouse=$(awk '$6 == "gatehouse" {print $7}' "$jar")"
    # Warm up every path once.
    wrk -t2 -c"$conns" -d2s -H "Cookie: $cookie" "$base/api/users/me" >/dev/null

    if [ "$setup" = redis-postgres ]; then redis-cli -h 127.0.0.1 config resetstat >/dev/null; fi
    load "$setup.a_me" -H "Cookie: $cookie" "$base/api/users/me"
    if [ "$setup" = redis-postgres ]; then
        local calls
        calls=$(redis-cli -h 127.0.0.1 info commandstats | awk -F'[:=,]' '/^cmdstat_/ && $1 != "cmdstat_info" && $1 != "cmdstat_config" {sum += $3} END {print sum + 0}')
        record "$setup.redis_commands_per_request" \
            "$(awk -v c="$calls" -v r="$(cat "$work/wrk-$setup.a_me".[123].txt | awk '/^REQUESTS/ {s += $2} END {print s}')" 'BEGIN {printf "%.3f", c / r}')"
        local handle
        handle=$(curl -fsS -H "Cookie: $cookie" "$base/api/sessions" | python3 -c 'import json,sys; print(next(s["id"] for s in json.load(sys.stdin) if s["current"]))')
        record "$setup.redis_bytes_per_session" "$(redis-cli -h 127.0.0.1 memory usage "$handle")"
    fi
    load "$setup.b_anonymous" "$base/api/users/me"
    load "$setup.c_baseline" "$base/healthz"
    load "$setup.d_todos" -H "Cookie: $cookie" "$base/api/todos"

    # Sign-in time, one at a time.
    local times="$work/login-$setup.txt"
    : >"$times"
    for _ in $(seq 1 40); do
        curl -sS -o /dev/null -w '%{time_total}\n' -H 'content-type: application/json' \
            -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/api/auth/login" >>"$times"
    done
    record "$setup.signin_p50_ms" "$(sort -n "$times" | awk '{a[NR]=$1} END {printf "%.1f", a[int(NR*0.5)+1]*1000}')"
    record "$setup.signin_p99_ms" "$(sort -n "$times" | awk '{a[NR]=$1} END {printf "%.1f", a[NR]*1000}')"

    # (a) again while four clients sign in continuously.
    BENCH_EMAIL=$email BENCH_PASSWORD=$password wrk -t1 -c4 -d"$((secs * 3 + 2))s" -s bench/login.lua \
        "$base/api/auth/login" >"$work/logins-$setup.txt" 2>&1 &
    local logins=$!
    sleep 1
    load "$setup.a_me_with_signins" -H "Cookie: $cookie" "$base/api/users/me"
    wait "$logins"
    record "$setup.signins_during_load_per_s" "$(awk '/Requests\/sec/ {print $2}' "$work/logins-$setup.txt")"
    record "$setup.signin_failures_during_load" "$(awk '/^LOGIN_FAILURES/ {print $2}' "$work/logins-$setup.txt")"
    record "$setup.peak_rss_mb" "$(peak_rss_mb)"

    # Bursts of 2,000 concurrent connections with garbage or no cookies: once to reach a steady
    # state, then six more; memory must come back to where it was. RSS is read 3 s after the
    # last burst (the allocator returns freed memory within about a second) and, for the record,
    # right after it.
    local before after during
    wrk -t2 -c2000 -d3s -H "Cookie: gatehouse=garbage$RANDOM" "$base/api/users/me" >/dev/null 2>&1 || true
    sleep 3
    before=$(rss_mb)
    for _ in 1 2 3; do
        wrk -t2 -c2000 -d3s -H "Cookie: gatehouse=AAAAAAAAAAAAAAAAAAAAAA" "$base/api/todos" >/dev/null 2>&1 || true
        wrk -t2 -c2000 -d3s "$base/api/sessions" >/dev/null 2>&1 || true
    done
    during=$(rss_mb)
    sleep 3
    after=$(rss_mb)
    record "$setup.rss_before_bursts_mb" "$before"
    record "$setup.rss_right_after_bursts_mb" "$during"
    record "$setup.rss_after_bursts_mb" "$after"
    stop_server
}

# Redis + PostgreSQL.
db="gatehouse_bench_$$"
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
trap 'stop_server; PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; rm -rf "$work"' EXIT
DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/$db" REDIS_URL=redis://127.0.0.1:6379 \
    REDIS_KEY_PREFIX="gatehouse-bench-$$:" bench_setup redis-postgres
# The embedded defaults.
DATABASE_URL="sqlite://$work/bench.db" bench_setup embedded

step "front end"
RUST_LOG=warn LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_ENV=PROD DATABASE_URL="sqlite://$work/fe.db" \
    target/release/gatehouse serve >"$work/server-fe.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
(cd end2end && node ../bench/frontend.mjs "$base/login") | tee -a "$results"
stop_server

python3 bench/report.py "$results" bench/RESULTS.md
cat bench/RESULTS.md
