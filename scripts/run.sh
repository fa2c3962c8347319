#!/usr/bin/env bash
# Runs Gatehouse for development on its embedded defaults (SQLite under data/, sessions in the
# same database): no services needed. It installs what is missing (scripts/bootstrap.sh), then
# runs `cargo leptos watch`, which rebuilds and reloads on every change; after the first run,
# `cargo leptos watch` works on its own. Arguments go to `cargo leptos watch`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bootstrap.sh
if [ ! -x target/debug/gatehouse ]; then
    step "cargo leptos watch: the first build compiles the server and the browser bundle (5 to 8 minutes on 2 cores; later rebuilds take seconds to a minute)"
else
    step "cargo leptos watch"
fi
echo "    then open http://127.0.0.1:3000 (Ctrl-C stops it)"
exec cargo leptos watch "$@"
