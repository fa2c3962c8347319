#!/usr/bin/env bash
# Installs everything Gatehouse needs on a Debian machine that reaches only the package
# registries. Idempotent: a second run checks versions and finishes in seconds.
#
#   scripts/bootstrap.sh          what building and running the app needs (toolchain,
#                                 cargo-leptos, wasm-bindgen, wasm-opt for release builds)
#   scripts/bootstrap.sh --test   and what the tests need (Playwright, Chromium, schemathesis,
#                                 Redis and PostgreSQL servers when absent)
#
# Each step that installs something says what it is doing and about how long it takes on two
# cores; on a machine that has everything, nothing is printed.
#
# Source it (`. scripts/bootstrap.sh`) to keep the PATH it sets up.
set -euo pipefail

GATEHOUSE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CARGO_LEPTOS_VERSION=0.3.11
BINARYEN_VERSION=132.0.0
SCHEMATHESIS_VERSION=4.32.5
OPENAPI_VALIDATOR_VERSION=0.9.0
# Tools installed outside the clone, so fresh clones reuse them.
GATEHOUSE_TOOLS=${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse/tools}
export PATH="$HOME/.cargo/bin:$GATEHOUSE_TOOLS/bin:$PATH"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=""
apt_install() { # installs those of the named Debian packages that are missing
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    step "apt-get install ${missing[*]} (a minute or two)"
    if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_rust() {
    if ! command -v rustup >/dev/null 2>&1; then
        apt_install curl ca-certificates
        step "installing rustup (seconds)"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
    fi
    local channel
    channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$GATEHOUSE_ROOT/rust-toolchain.toml")
    if ! rustup run "$channel" rustc --print target-list >/dev/null 2>&1 ||
        ! rustup target list --installed --toolchain "$channel" 2>/dev/null | grep -qx wasm32-unknown-unknown ||
        ! rustup component list --installed --toolchain "$channel" 2>/dev/null | grep -q '^clippy'; then
        step "installing Rust $channel with the wasm32 target (about a minute)"
        rustup toolchain install "$channel" --profile minimal \
            --component rustfmt --component clippy --target wasm32-unknown-unknown
    fi
}

install_cargo_leptos() {
    if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
        step "installing cargo-leptos $CARGO_LEPTOS_VERSION: compiling it from source (about 15 minutes on 2 cores)"
        (cd "$GATEHOUSE_ROOT" && cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked)
    fi
}

install_wasm_bindgen() {
    # Must equal the wasm-bindgen in Cargo.lock exactly, or the generated glue will not match.
    local want
    want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$GATEHOUSE_ROOT/Cargo.lock")
    [ -n "$want" ] || die "no wasm-bindgen in Cargo.lock"
    if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
        step "installing wasm-bindgen-cli $want: compiling it from source (about 3 minutes)"
        # Not --locked: its lock file names a webpki-roots version the registry lacks.
        (cd "$GATEHOUSE_ROOT" && cargo install wasm-bindgen-cli --version "$want" --force)
    fi
}

install_node() {
    command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

install_wasm_opt() {
    # From npm's binaryen: Debian's binaryen package is too old and silently breaks hydration.
    if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "${BINARYEN_VERSION%%.*}" ] ||
        [ "$(command -v wasm-opt)" != "$GATEHOUSE_TOOLS/bin/wasm-opt" ]; then
        step "installing wasm-opt (npm binaryen $BINARYEN_VERSION, under a minute)"
        npm install --global --prefix "$GATEHOUSE_TOOLS" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
    fi
    case "$(command -v wasm-opt)" in
        /usr/bin/*) die "Debian's wasm-opt shadows the npm one; remove the binaryen package" ;;
    esac
}

install_playwright() {
    local stamp="$GATEHOUSE_ROOT/end2end/node_modules/.gatehouse-lock"
    if ! cmp -s "$GATEHOUSE_ROOT/end2end/package-lock.json" "$stamp" 2>/dev/null; then
        step "installing end-to-end packages (npm ci, under a minute)"
        (cd "$GATEHOUSE_ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
        cp "$GATEHOUSE_ROOT/end2end/package-lock.json" "$stamp"
    fi
}

install_vendor() {
    # Swagger UI for /api/docs, served from the app's own origin (no CDN at run time).
    local stamp="$GATEHOUSE_ROOT/vendor/node_modules/.gatehouse-lock"
    local target="$GATEHOUSE_ROOT/public/api-docs/vendor"
    if ! cmp -s "$GATEHOUSE_ROOT/vendor/package-lock.json" "$stamp" 2>/dev/null ||
        [ ! -f "$target/swagger-ui-bundle.js" ]; then
        step "installing browser packages for /api/docs (npm ci, under a minute)"
        # --ignore-scripts: a dependency (scarf) would otherwise phone home on install.
        (cd "$GATEHOUSE_ROOT/vendor" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
        mkdir -p "$target"
        local dist="$GATEHOUSE_ROOT/vendor/node_modules/swagger-ui-dist"
        cp "$dist/swagger-ui-bundle.js" "$dist/swagger-ui.css" "$dist/LICENSE" "$target/"
        cp "$GATEHOUSE_ROOT/vendor/package-lock.json" "$stamp"
    fi
}

install_fuzzer() {
    # schemathesis (spec-driven API fuzzing) and an OpenAPI validator, from PyPI, in a venv.
    local venv="$GATEHOUSE_TOOLS/venv"
    if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $3}')" != "$SCHEMATHESIS_VERSION" ]; then
        apt_install python3 python3-venv
        step "installing schemathesis $SCHEMATHESIS_VERSION (about a minute)"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION" \
            "openapi-spec-validator==$OPENAPI_VALIDATOR_VERSION"
    fi
}

main() {
    local test=""
    [ "${1:-}" = "--test" ] && test=1
    apt_install ca-certificates curl gcc libc6-dev pkg-config
    install_rust
    install_cargo_leptos
    install_wasm_bindgen
    install_node
    install_vendor
    # Release builds (`cargo leptos build --release`) run wasm-opt; cargo-leptos would otherwise
    # try to download one, which fails on a machine that reaches only the package registries.
    install_wasm_opt
    if [ -n "$test" ]; then
        install_playwright
        install_fuzzer
        apt_install chromium redis-server postgresql
    fi
}

main "$@"
