#!/usr/bin/env bash
# Gatehouse benchmark: builds the release server, runs it against Redis + PostgreSQL, against a
# Redis Cluster (3 masters + 3 replicas, scripts/redis-cluster.sh) + PostgreSQL, and on the
# embedded defaults (SQLite, sessions in SQLite), loads it over loopback with wrk, and writes
# bench/RESULTS.md with every figure and each budget's verdict. About 15 minutes after the build.
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

# One wrk run (number $2) of the figure named $1; `summarize` turns the three runs into figures.
# The figures take turns run by run — (a), (b), (c), (d), then (a) again — rather than each
# running three times in a row: this machine's speed drifts from minute to minute, and the
# budgets compare figures with each other, so each round measures them under the same
# conditions.
load_run() {
    local name=$1 run=$2; shift 2
    wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/status.lua "$@" >"$work/wrk-$name.$run.txt" 2>&1
}

# Records the median run's rps, p50 and p99, the errors and requests of all three runs, and
# every run's rps in run order (bench/report.py pairs runs of different figures by number).
summarize() {
    local name=$1 run out errors=0 requests=0 chosen runs="" refused=0
    for run in 1 2 3; do
        out="$work/wrk-$name.$run.txt"
        # Only (b) is meant to be refused; a 4xx anywhere else means the figure measured
        # something other than what it names.
        [[ $name == *b_anonymous ]] || refused=$(awk '/^STATUS_4XX/ {print $2}' "$out")
        errors=$((errors + refused + $(awk '/^STATUS_5XX/ {print $2}' "$out") + $(awk '/^SOCKET_ERRORS/ {print $2}' "$out")))
        requests=$((requests + $(awk '/^REQUESTS/ {print $2}' "$out")))
        runs="$runs${runs:+/}$(awk '/^RPS/ {print $2}' "$out")"
    done
    chosen=$(for run in 1 2 3; do
        out="$work/wrk-$name.$run.txt"
        echo "$(awk '/^RPS/ {print $2}' "$out") $out"
    done | sort -n | sed -n 2p | cut -d' ' -f2)
    record "$name.rps" "$(awk '/^RPS/ {print $2}' "$chosen")"
    record "$name.p50_ms" "$(awk '/^P50_US/ {printf "%.2f", $2/1000}' "$chosen")"
    record "$name.p99_ms" "$(awk '/^P99_US/ {printf "%.2f", $2/1000}' "$chosen")"
    record "$name.errors" "$errors"
    record "$name.requests" "$requests"
    record "$name.rps_runs" "$runs"
}

# Redis commands served so far (by every master, on a cluster), not counting the bench's own
# INFO and CONFIG calls, nor the cluster's own CLUSTER and PING.
redis_calls() {
    local port sum=0
    for port in $redis_ports; do
        redis-cli -h 127.0.0.1 -p "$port" role | head -1 | grep -q master || continue
        sum=$((sum + $(redis-cli -h 127.0.0.1 -p "$port" info commandstats |
            awk -F'[:=,]' '/^cmdstat_/ && $1 != "cmdstat_info" && $1 != "cmdstat_config" && $1 != "cmdstat_cluster" && $1 != "cmdstat_ping" {sum += $3} END {print sum + 0}')))
    done
    echo "$sum"
}
redis_ports=6379

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
    # The signing-in clients use an account of their own: signing in over and over ends a user's
    # oldest sessions beyond max_sessions_per_user, which would end the session being measured.
    local signer="bench-signer-$setup-$$@example.com"
    curl -fsS -o /dev/null -H 'content-type: application/json' \
        -d "{\"email\":\"$signer\",\"password\":\"$password\",\"name\":\"Signer\"}" "$base/api/auth/signup"
    for i in $(seq 1 20); do
        curl -fsS -b "$jar" -H 'content-type: application/json' -d "{\"title\":\"todo $i\"}" "$base/api/todos" >/dev/null
    done
    local cookie
    cookie="gatehouse=$(awk '$6 == "gatehouse" {print $7}' "$jar")"
    # Warm up every path once.
    wrk -t2 -c"$conns" -d2s -H "Cookie: $cookie" "$base/api/users/me" >/dev/null

    local run calls=0 before logins
    for run in 1 2 3; do
        [ "$setup" = embedded ] || before=$(redis_calls)
        load_run "$setup.a_me" "$run" -H "Cookie: $cookie" "$base/api/users/me"
        [ "$setup" = embedded ] || calls=$((calls + $(redis_calls) - before))
        load_run "$setup.b_anonymous" "$run" "$base/api/users/me"
        load_run "$setup.c_baseline" "$run" "$base/healthz"
        load_run "$setup.d_todos" "$run" -H "Cookie: $cookie" "$base/api/todos"
        # (a) again while four clients sign in continuously.
        BENCH_EMAIL=$signer BENCH_PASSWORD=$password wrk -t1 -c4 -d"$((secs + 2))s" -s bench/login.lua \
            "$base/api/auth/login" >"$work/logins-$setup.$run.txt" 2>&1 &
        logins=$!
        sleep 1
        load_run "$setup.a_me_with_signins" "$run" -H "Cookie: $cookie" "$base/api/users/me"
        wait "$logins"
    done
    local figure
    for figure in a_me b_anonymous c_baseline d_todos a_me_with_signins; do
        summarize "$setup.$figure"
    done
    if [ "$setup" != embedded ]; then
        record "$setup.redis_commands_per_request" \
            "$(awk -v c="$calls" -v r="$(cat "$work/wrk-$setup.a_me".[123].txt | awk '/^REQUESTS/ {s += $2} END {print s}')" 'BEGIN {printf "%.3f", c / r}')"
        local handle port key
        handle=$(curl -fsS -H "Cookie: $cookie" "$base/api/sessions" | python3 -c 'import json,sys; print(next(s["id"] for s in json.load(sys.stdin) if s["current"]))')
        # The session's key: `{prefix}session:{id}`, or with its hash tag on a cluster.
        for port in $redis_ports; do
            key=$(redis-cli -h 127.0.0.1 -p "$port" --scan --pattern "${REDIS_KEY_PREFIX}*session:$handle" | head -1)
            [ -z "$key" ] || { record "$setup.redis_bytes_per_session" "$(redis-cli -h 127.0.0.1 -p "$port" memory usage "$key")"; break; }
        done
    fi

    # Sign-in time, one at a time.
    local times="$work/login-$setup.txt"
    : >"$times"
    for _ in $(seq 1 40); do
        curl -sS -o /dev/null -w '%{time_total}\n' -H 'content-type: application/json' \
            -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/api/auth/login" >>"$times"
    done
    record "$setup.signin_p50_ms" "$(sort -n "$times" | awk '{a[NR]=$1} END {printf "%.1f", a[int(NR*0.5)+1]*1000}')"
    record "$setup.signin_p99_ms" "$(sort -n "$times" | awk '{a[NR]=$1} END {printf "%.1f", a[NR]*1000}')"
    record "$setup.signins_during_load_per_s" \
        "$(cat "$work/logins-$setup".[123].txt | awk '/Requests\/sec/ {s += $2; n++} END {printf "%.1f", s / n}')"
    record "$setup.signin_failures_during_load" \
        "$(cat "$work/logins-$setup".[123].txt | awk '/^LOGIN_FAILURES/ {s += $2} END {print s + 0}')"
    record "$setup.peak_rss_mb" "$(peak_rss_mb)"

    # Bursts of 2,000 concurrent connections with garbage or no cookies: one round of each kind
    # to reach a steady state (the first 2,000 concurrent store loads size the buffers that later
    # rounds reuse), then three more rounds; memory must come back to where it was. RSS is read
    # 3 s after the last burst (the allocator returns freed memory within about a second) and,
    # for the record, right after it.
    local before after during
    bursts() {
        wrk -t2 -c2000 -d3s -H "Cookie: gatehouse=AAAAAAAAAAAAAAAAAAAAAA" "$base/api/todos" >/dev/null 2>&1 || true
        wrk -t2 -c2000 -d3s "$base/api/sessions" >/dev/null 2>&1 || true
    }
    wrk -t2 -c2000 -d3s -H "Cookie: gatehouse=garbage$RANDOM" "$base/api/users/me" >/dev/null 2>&1 || true
    bursts
    sleep 3
    before=$(rss_mb)
    for _ in 1 2 3; do
        bursts
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
# Redis Cluster: three masters and three replicas on this machine, the same PostgreSQL.
step "starting a Redis Cluster (scripts/redis-cluster.sh)"
cluster_url=$(bash scripts/redis-cluster.sh start)
trap 'stop_server; bash scripts/redis-cluster.sh stop; PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; rm -rf "$work"' EXIT
redis_ports=$(seq 7100 7105)
DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/$db" REDIS_URL=$cluster_url \
    REDIS_KEY_PREFIX="gatehouse-bench-cluster-$$:" bench_setup redis-cluster-postgres
bash scripts/redis-cluster.sh stop
redis_ports=6379
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
