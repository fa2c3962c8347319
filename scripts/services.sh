#!/usr/bin/env bash
# Makes sure the Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432) the tests use answer,
# starting the locally installed servers when they do not. Idempotent.
set -euo pipefail

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
wait_for() { # wait_for SECONDS COMMAND...
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.5
    done
}

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    step "starting redis-server on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /tmp --logfile /tmp/gatehouse-redis.log
    wait_for 10 redis-cli -h 127.0.0.1 -p 6379 ping || { echo "Redis did not start" >&2; exit 1; }
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    step "starting PostgreSQL on 127.0.0.1:5432"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for 30 pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not start" >&2; exit 1; }
fi

# The tests log in as postgres/postgres over TCP; a fresh Debian cluster has no password set.
if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
    step "setting the postgres user's password for local tests"
    as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
fi

# Databases left by earlier test runs.
PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d postgres -tAc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'gatehouse_test_%'" |
    while read -r db; do
        [ -n "$db" ] && PGPASSWORD=postgres psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE \"$db\"" || true
    done
