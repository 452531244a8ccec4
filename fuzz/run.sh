#!/usr/bin/env bash
# Fuzz the whole stack through its own OpenAPI document with schemathesis.
#
#   bash fuzz/run.sh           # CI mode: bounded examples per operation, a few minutes
#   bash fuzz/run.sh --long    # many more examples per operation and longer stateful scenarios
#
# Builds and starts `target/release/stack` on a free loopback port with a fresh data directory,
# runs `schemathesis run` against GET /openapi.json as the administrator (every check, positive
# and negative data, every phase including the stateful one), then stops the stack. Exits
# non-zero when schemathesis reports a failure or an error.
#
# Environment: FUZZ_MAX_EXAMPLES overrides the examples per operation (150; --long 500);
# FUZZ_SEED the seed (42); FUZZ_WORKERS schemathesis's concurrency (1); FUZZ_REPORT_DIR where
# the reports go (target/fuzz-report); FUZZ_EXTRA_CONFIG a schemathesis.toml fragment to add.
# Arguments after `--` go to `schemathesis run` unchanged.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MODE=ci
EXTRA=()
while [ $# -gt 0 ]; do
    case "$1" in
        --long) MODE=long ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "fuzz/run.sh: unknown argument '$1' (usage: bash fuzz/run.sh [--long] [-- schemathesis args])" >&2; exit 2 ;;
    esac
    shift
done

if [ "$MODE" = long ]; then
    MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-500}"
    MAX_STEPS=20
else
    MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-150}"
    MAX_STEPS=10
fi
SEED="${FUZZ_SEED:-42}"
# One worker: schemathesis runs workers as threads, and CPython 3.11's ast.parse (which
# hypothesis calls to describe strategies) can then fail with "SystemError: AST constructor
# recursion depth mismatch" (cpython#106905), an error of the tool that fails the run.
WORKERS="${FUZZ_WORKERS:-1}"
REPORT_DIR="${FUZZ_REPORT_DIR:-$ROOT/target/fuzz-report}"
ADMIN_PASSWORD='fuzz-admin-Passw0rd'
VENV="$ROOT/target/fuzz-venv"

# ---- schemathesis, in its own venv (reinstalled only when requirements.txt changes) ----
if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating $VENV"
    python3 -m venv "$VENV"
fi
REQ_HASH="$(sha256sum fuzz/requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)" != "$REQ_HASH" ]; then
    echo "==> pip install -r fuzz/requirements.txt"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r fuzz/requirements.txt
    echo "$REQ_HASH" > "$VENV/.requirements.sha256"
fi
"$VENV/bin/schemathesis" --version

# ---- the stack ----
echo "==> cargo build --release -p stack"
cargo build --release -p stack

DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/hdp-fuzz.XXXXXX")"
STACK_OUT="$DATA_DIR/stack.out"
STACK_LOG="$REPORT_DIR/stack.log"
mkdir -p "$REPORT_DIR"
STACK_PID=""

# shellcheck disable=SC2329 # called by the EXIT trap
cleanup() {
    local rc=$?
    if [ -n "$STACK_PID" ] && kill -0 "$STACK_PID" 2>/dev/null; then
        kill -TERM "$STACK_PID" 2>/dev/null || true
        # Give requests in flight time to finish, then insist.
        for _ in $(seq 1 100); do
            kill -0 "$STACK_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$STACK_PID" 2>/dev/null || true
        wait "$STACK_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> starting target/release/stack (data in $DATA_DIR, log in $STACK_LOG)"
GATEWAY_ADDR=127.0.0.1:0 DATA_DIR="$DATA_DIR/data" ADMIN_PASSWORD="$ADMIN_PASSWORD" STACK_WORKERS=2 \
    RUST_LOG="${RUST_LOG:-warn}" \
    target/release/stack >"$STACK_OUT" 2>"$STACK_LOG" &
STACK_PID=$!

PORT=""
for _ in $(seq 1 300); do
    if ! kill -0 "$STACK_PID" 2>/dev/null; then
        echo "fuzz/run.sh: the stack exited before it was ready:" >&2
        cat "$STACK_OUT" "$STACK_LOG" >&2 || true
        exit 1
    fi
    LINE="$(grep -m1 '^hdp-oauth is running' "$STACK_OUT" || true)"
    if [ -n "$LINE" ]; then
        PORT="$(sed -n 's|.*http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' <<<"$LINE")"
        break
    fi
    sleep 0.2
done
if [ -z "$PORT" ]; then
    echo "fuzz/run.sh: the stack did not say it was running within 60 s" >&2
    cat "$STACK_OUT" "$STACK_LOG" >&2 || true
    exit 1
fi
BASE="http://127.0.0.1:$PORT"
echo "==> stack is up at $BASE"

# ---- schemathesis ----
# Every check (ignored_auth included: it resends successful requests without and with wrong
# credentials); positive and negative data; the examples, coverage, fuzzing and stateful phases.
# The document has no OpenAPI `links`: schemathesis infers them for the stateful phase (from the
# response schemas and path parameters, and from Location headers seen in earlier phases).
# fuzz/schemathesis.toml gives some draws of the fields the document cannot fully describe a value
# the services accept, so that creates succeed and later requests reach real objects.
CONFIG="$DATA_DIR/schemathesis.toml"
cp fuzz/schemathesis.toml "$CONFIG"
cat >>"$CONFIG" <<EOF

# Failing cases for \`st replay\`, kept out of the work tree.
[cache]
directory = "$REPORT_DIR/cache"

[phases.stateful]
max-steps = $MAX_STEPS
EOF
# FUZZ_EXTRA_CONFIG: a TOML file appended to that configuration (e.g. to pin a parameter).
if [ -n "${FUZZ_EXTRA_CONFIG:-}" ]; then
    cat "$FUZZ_EXTRA_CONFIG" >>"$CONFIG"
fi

PHASES=examples,coverage,fuzzing,stateful
REPORTS=junit,ndjson
ARGS=(
    --no-color
    --config-file "$CONFIG"
    run "$BASE/openapi.json"
    --auth "admin:$ADMIN_PASSWORD"
    --checks all
    --mode all
    --phases "$PHASES"
    --max-examples "$MAX_EXAMPLES"
    --seed "$SEED"
    --workers "$WORKERS"
    --generation-database none
    --request-timeout 30
    --continue-on-failure
    --output-sanitize false
    --report "$REPORTS"
    --report-junit-path "$REPORT_DIR/junit.xml"
    --report-ndjson-path "$REPORT_DIR/events.ndjson"
)
ARGS+=("${EXTRA[@]}")
echo "==> schemathesis ${ARGS[*]}" | sed "s/admin:$ADMIN_PASSWORD/admin:***/"

START=$(date +%s)
set +e
"$VENV/bin/schemathesis" "${ARGS[@]}" 2>&1 | tee "$REPORT_DIR/schemathesis.log"
RC=${PIPESTATUS[0]}
set -e
ELAPSED=$(( $(date +%s) - START ))

# schemathesis's own summary is above; repeat the count of test cases as the last lines.
CASES="$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$REPORT_DIR/schemathesis.log" | tail -n1)"
SUMMARY="$(grep -E '^ *[0-9]+ generated' "$REPORT_DIR/schemathesis.log" | tail -n1 | sed 's/^ *//')"
echo
echo "fuzz: mode $MODE, max-examples $MAX_EXAMPLES, seed $SEED: ${CASES:-?} test cases (${SUMMARY:-no summary}) in ${ELAPSED} s; schemathesis exited $RC"
echo "fuzz: reports in $REPORT_DIR (schemathesis.log, junit.xml, events.ndjson; stack.log)"
exit "$RC"
