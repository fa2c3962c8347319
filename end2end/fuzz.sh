#!/usr/bin/env bash
# Spec-driven fuzzing of the running server at $1: validates /api/openapi.json as OpenAPI 3.1,
# then schemathesis generates requests for every documented operation and fails on any 5xx, any
# undocumented status, and any response that breaks the document's schema. Bounded: a fixed
# number of examples per operation and a time limit, and a fixed seed so CI is repeatable (set
# FUZZ_SEED to explore other inputs; FUZZ_EXAMPLES for more per operation). Run by e2e.sh.
set -euo pipefail
base=${1:?usage: fuzz.sh BASE_URL}
tools=${GATEHOUSE_TOOLS:-$HOME/.cache/gatehouse/tools}
st="$tools/venv/bin/schemathesis"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
password="correct horse battery"

curl -fsS "$base/api/openapi.json" -o "$work/openapi.json"
"$tools/venv/bin/openapi-spec-validator" "$work/openapi.json"

# A cookie for a fresh user, and one for the administrator e2e.sh created.
sign_in() { # sign_in PATH JSON -> Cookie header value
    curl -fsS -c "$work/jar" -H 'content-type: application/json' -d "$2" "$base$1" >/dev/null
    echo "gatehouse=$(awk '$6 == "gatehouse" {print $7}' "$work/jar")"
}
user=$(sign_in /api/auth/signup "{\"email\":\"fuzz-$$-$RANDOM@example.com\",\"password\":\"$password\",\"name\":\"Fuzz\"}")
admin=$(sign_in /api/auth/login "{\"email\":\"${E2E_ADMIN_EMAIL:-e2e-admin@example.com}\",\"password\":\"$password\"}")

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
run() { # run NAME COOKIE [schemathesis options...]
    local name=$1 cookie=$2; shift 2
    printf '\033[1m==> schemathesis: %s\033[0m\n' "$name"
    # From the scratch folder: schemathesis keeps a cache in the working directory.
    (cd "$work" && timeout 300 "$st" run "$work/openapi.json" --url "$base" -H "Cookie: $cookie" \
        --checks "$checks" --max-examples "${FUZZ_EXAMPLES:-20}" --seed "${FUZZ_SEED:-20261126}" \
        --request-timeout 10 --warnings off "$@") | tee "$work/$name.log"
    grep -Eo '[0-9]+ generated' "$work/$name.log" | tail -1 | awk '{print $1}' >>"$work/counts"
}
# Everything a user can do, except what ends the fuzzing session itself.
ending='^/api/(auth/logout|sessions.*|users/me/password|admin/users/\{id\}/sessions)$'
run user "$user" --exclude-path-regex "$ending"
# The admin console and customer management, as an administrator.
run admin "$admin" --include-path-regex '^/api/(admin|customers)' --exclude-path-regex "$ending"
# Finally the operations that end sessions (each may end this one: 401s are documented).
run endings "$user" --include-path-regex "$ending"
echo "schemathesis generated $(awk '{s += $1} END {print s}' "$work/counts") requests, every one conforming"
