#!/usr/bin/env bash
# Runs Gatehouse for development on its embedded defaults (SQLite under data/, sessions in the
# same database): no services needed. It installs what is missing (scripts/bootstrap.sh), then
# runs `cargo leptos watch`, which rebuilds and reloads on every change; after the first run,
# `cargo leptos watch` works on its own. Arguments go to `cargo leptos watch`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh
# Two-factor sign-in needs a key that seals the apps' secrets (SECRETS_KEY): development gets
# one of its own, made once and kept beside its database (data/ is not in git).
if [ -z "${SECRETS_KEY:-}" ]; then
    mkdir -p data
    [ -s data/secrets-key ] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > data/secrets-key
    SECRETS_KEY=$(cat data/secrets-key)
    export SECRETS_KEY
fi
if [ ! -x target/debug/gatehouse ]; then
    step "cargo leptos watch: the first build compiles the server and the browser bundle (5 to 8 minutes on 2 cores; later rebuilds take seconds to a minute)"
else
    step "cargo leptos watch"
fi
echo "    then open http://127.0.0.1:3000 (Ctrl-C stops it)"
exec cargo leptos watch "$@"
