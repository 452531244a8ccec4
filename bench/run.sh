#!/usr/bin/env bash
# The hdp-oauth benchmark: the gateway (HTTP Basic on every request, then a hop to a service)
# against the same request sent straight to oauth-profiles with an internal token, and against
# nginx doing auth_basic (bcrypt) + proxy_pass to oauth-profiles. Also creates, list pages with
# 10,000 and 1,000,000 stored rows, idle memory and start-up time. See bench/README.md.
#
#   bash bench/run.sh            full run: 10 s per case, 1,000,000 rows (about 5 minutes)
#   bash bench/run.sh --short    CI: 2 s per case, 100,000 rows (about 1 minute); checks that
#                                everything works and asserts nothing about speed
#
# Everything it starts listens on 127.0.0.1 only and is stopped on exit. It fails (exit 1) when
# a process does not start or a case has more than 1% failed requests; never on timings.
set -euo pipefail
export LC_ALL=C

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

Options: --short, --keep (keep the temporary directory with the logs and wrk outputs).
Environment: BENCH_DURATION (seconds per case), BENCH_LARGE_ROWS (the large list size),
BENCH_RUST_LOG (the stack's log filter during the run; default warn), CARGO_TARGET_DIR.
EOF
}

MODE=full
KEEP=""
for arg in "$@"; do
    case "$arg" in
        --short) MODE=short ;;
        --full) MODE=full ;;
        --keep) KEEP=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench/run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

if [ "$MODE" = short ]; then
    DURATION=${BENCH_DURATION:-2}
    LARGE_ROWS=${BENCH_LARGE_ROWS:-100000}
else
    DURATION=${BENCH_DURATION:-10}
    LARGE_ROWS=${BENCH_LARGE_ROWS:-1000000}
fi
SMALL_ROWS=10000
CONNECTIONS=(1 16 64)
PERMISSIONS="11,1,2,3,4,28"
STACK_RUST_LOG=${BENCH_RUST_LOG:-warn}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="$ROOT/bench"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/hdp-bench.XXXXXX")"
DATA="$TMP/data"
NGX="$TMP/nginx"
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------------
# Housekeeping: every process started is remembered by PID and stopped on exit.

PIDS=()

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid"
    done
    if [ -n "$KEEP" ] || [ "$status" -ne 0 ]; then
        log "logs and wrk outputs kept in $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Tools

install_tools() {
    local missing=() tool
    for tool in wrk nginx htpasswd curl; do
        command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "missing: ${missing[*]}; installing wrk nginx apache2-utils curl with apt-get"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "${missing[*]} missing, and not root to install them"
        sudo=(sudo -n)
    fi
    # The package would start the system's nginx service; Debian's policy-rc.d convention keeps
    # it from doing so (this benchmark runs its own instance only).
    local policy=/usr/sbin/policy-rc.d created=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        created=1
    fi
    local status=0
    "${sudo[@]}" apt-get update -q >&2 &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q wrk nginx apache2-utils curl >&2 || status=$?
    if [ -n "$created" ]; then "${sudo[@]}" rm -f "$policy"; fi
    [ "$status" -eq 0 ] || die "apt-get install failed"
}

install_tools
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)

log "building release binaries"
(cd "$ROOT" && cargo build --release -q -p stack -p bench \
    -p gateway -p oauth-apps -p oauth-profiles -p client-registration) ||
    die "cargo build failed"

# ---------------------------------------------------------------------------------------------
# Small helpers

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# "total idle" jiffies of the whole machine.
machine_ticks() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6; exit }' /proc/stat; }

# CPU time (clock ticks) of nginx's master and workers; 0 when it does not run.
nginx_ticks() {
    local sum=0 pid t
    [ -n "$NGINX_PID" ] || { echo 0; return 0; }
    for pid in "$NGINX_PID" $(cat "/proc/$NGINX_PID/task/$NGINX_PID/children" 2>/dev/null || true); do
        t=$(cpu_ticks "$pid" 2>/dev/null || echo 0)
        sum=$((sum + t))
    done
    echo "$sum"
}
# CHILD_CPU: CPU seconds used by this shell's finished children (the wrk that just ran), from
# `times`; not in a $(...) subshell, whose `times` would count only its own children.
CHILD_CPU=0
children_cpu() {
    times >"$TMP/times"
    CHILD_CPU=$(awk 'NR == 2 {
        n = split($0, f, /[ ms]+/); s = 0
        for (i = 1; i + 1 <= n; i += 2) s += f[i] * 60 + f[i + 1]
        printf "%.3f", s }' "$TMP/times")
}

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" || true; }

# A TCP port on 127.0.0.1 nobody listens on (for nginx, which cannot be given port 0).
free_port() {
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found"
}

# 10000 -> 10k, 1000000 -> 1M
human_count() {
    awk -v n="$1" 'BEGIN {
        if (n >= 1000000 && n % 1000000 == 0) printf "%dM", n / 1000000
        else if (n >= 1000 && n % 1000 == 0) printf "%dk", n / 1000
        else printf "%d", n }'
}

field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; }

# ---------------------------------------------------------------------------------------------
# The stack, and each component alone

mkdir -p "$NGX/nginx-tmp"
ADMIN_PASSWORD="admin-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
BENCH_USER=bench
BENCH_PASSWORD="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
BASIC="Basic $(printf '%s:%s' "$BENCH_USER" "$BENCH_PASSWORD" | base64 | tr -d '\n')"

log "starting the stack on SQLite in $DATA"
: >"$TMP/stack.log"
started=$(now_us)
DATA_DIR="$DATA" GATEWAY_ADDR=127.0.0.1:0 ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    RUST_LOG="$STACK_RUST_LOG" "$BIN/stack" >"$TMP/stack.log" 2>&1 &
STACK_PID=$!
PIDS+=("$STACK_PID")
until grep -q '^hdp-oauth is running' "$TMP/stack.log"; do
    if ! kill -0 "$STACK_PID" 2>/dev/null; then
        cat "$TMP/stack.log" >&2
        die "the stack exited during start-up"
    fi
    (($(now_us) - started < 60000000)) || die "the stack did not start within 60 s"
    sleep 0.002
done
STACK_STARTUP_MS=$((($(now_us) - started) / 1000))
STACK_RSS=$(rss_mb "$STACK_PID")
ready_line=$(grep -m1 '^hdp-oauth is running' "$TMP/stack.log")
GATEWAY_PORT=$(sed -n 's|.*Gateway: http://[^/]*:\([0-9]*\)/.*|\1|p' <<<"$ready_line")
APPS_PORT=$(sed -n 's/.*oauth-apps on port \([0-9]*\).*/\1/p' <<<"$ready_line")
PROFILES_PORT=$(sed -n 's/.*oauth-profiles on port \([0-9]*\).*/\1/p' <<<"$ready_line")
CLIENTS_PORT=$(sed -n 's/.*client-registration on port \([0-9]*\).*/\1/p' <<<"$ready_line")
[ -n "$GATEWAY_PORT" ] && [ -n "$APPS_PORT" ] && [ -n "$PROFILES_PORT" ] && [ -n "$CLIENTS_PORT" ] ||
    die "cannot read the ports from: $ready_line"
GW="http://127.0.0.1:$GATEWAY_PORT"
DIRECT="http://127.0.0.1:$PROFILES_PORT"
log "stack up in ${STACK_STARTUP_MS} ms, idle RSS ${STACK_RSS} MB: gateway $GATEWAY_PORT, oauth-apps $APPS_PORT, oauth-profiles $PROFILES_PORT, client-registration $CLIENTS_PORT"

# Starts one component binary alone on a port of its own (port 0; the port is read from its
# log), waits until /healthz answers 200, records start-up time and idle RSS, and stops it.
declare -A ALONE_MS ALONE_RSS
start_alone() {
    local name=$1 addr_var=$2
    shift 2
    local logfile="$TMP/alone-$name.log" port="" pid started
    : >"$logfile"
    started=$(now_us)
    env "$@" "$addr_var=127.0.0.1:0" RUST_LOG=info "$BIN/$name" >"$logfile" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    while :; do
        if [ -z "$port" ]; then
            port=$(sed -n "s/.*$name listening on port \([0-9]*\).*/\1/p" "$logfile" | head -n 1)
        fi
        if [ -n "$port" ] && [ "$(http_code "http://127.0.0.1:$port/healthz")" = 200 ]; then
            break
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$logfile" >&2
            die "$name exited during start-up"
        fi
        (($(now_us) - started < 60000000)) || die "$name did not answer /healthz within 60 s"
        sleep 0.002
    done
    ALONE_MS[$name]=$((($(now_us) - started) / 1000))
    ALONE_RSS[$name]=$(rss_mb "$pid")
    stop_pid "$pid"
    log "$name alone: up in ${ALONE_MS[$name]} ms, idle RSS ${ALONE_RSS[$name]} MB"
}

KEYS="$DATA/keys"
start_alone gateway GATEWAY_ADDR \
    GATEWAY_DATABASE_URL="$DATA/gateway.db" TOKEN_SIGNING_KEY_FILE="$KEYS/token-signing.pem" \
    OAUTH_APPS_URL="http://127.0.0.1:$APPS_PORT" OAUTH_PROFILES_URL="$DIRECT" \
    CLIENT_REGISTRATION_URL="http://127.0.0.1:$CLIENTS_PORT"
start_alone oauth-apps OAUTH_APPS_ADDR \
    OAUTH_APPS_DATABASE_URL="$DATA/oauth-apps.db" TOKEN_PUBLIC_KEY_FILE="$KEYS/token-public.pem" \
    OAUTH_APPS_ENCRYPTION_KEYS_FILE="$KEYS/oauth-apps-encryption.keys" OAUTH_PROFILES_URL="$DIRECT"
start_alone oauth-profiles OAUTH_PROFILES_ADDR \
    OAUTH_PROFILES_DATABASE_URL="$DATA/oauth-profiles.db" \
    TOKEN_PUBLIC_KEY_FILE="$KEYS/token-public.pem" \
    OAUTH_PROFILES_ENCRYPTION_KEYS_FILE="$KEYS/oauth-profiles-encryption.keys" \
    OAUTH_APPS_URL="http://127.0.0.1:$APPS_PORT"
start_alone client-registration CLIENT_REGISTRATION_ADDR \
    CLIENT_REGISTRATION_DATABASE_URL="$DATA/client-registration.db" \
    TOKEN_PUBLIC_KEY_FILE="$KEYS/token-public.pem" \
    CLIENT_REGISTRATION_SECRET_HASH_KEY_FILE="$KEYS/client-registration-hash.key"

# ---------------------------------------------------------------------------------------------
# The benchmark user and the seed

log "creating the benchmark user"
code=$(curl -s -o "$TMP/user.json" -w '%{http_code}' --max-time 30 \
    -u "admin:$ADMIN_PASSWORD" -H 'Content-Type: application/json' "$GW/api/admin/users" \
    -d "{\"userName\":\"$BENCH_USER\",\"password\":\"$BENCH_PASSWORD\",\"tenantId\":1,\"permissions\":[$PERMISSIONS]}" ||
    true)
[ "$code" = 201 ] || die "POST /api/admin/users answered $code: $(cat "$TMP/user.json")"
USER_ID=$(grep -o '"id":[0-9]*' "$TMP/user.json" | head -n 1 | cut -d: -f2)
[ -n "$USER_ID" ] || die "no id in $(cat "$TMP/user.json")"

# Runs the seed binary; its report line ends up in SEEDED (and in the output's footer).
SEED_LINES=()
SEEDED=""
seed() {
    local out
    out=$("$BIN/seed" "$@" --data-dir "$DATA" --owner-id "$USER_ID") || die "seed $* failed"
    SEEDED=$(grep '^seeded ' <<<"$out" | tail -n 1)
    [ -n "$SEEDED" ] || die "seed $* printed no report"
    SEED_LINES+=("$SEEDED")
    log "$SEEDED"
}

log "seeding $SMALL_ROWS OAuth applications and $SMALL_ROWS profiles"
seed apps --count "$SMALL_ROWS"
APP_ID=$(field first_id "$SEEDED")
seed profiles --count "$SMALL_ROWS" --app-id "$APP_ID"
PROFILE_MIN=$(field first_id "$SEEDED")
PROFILE_MAX=$(field last_id "$SEEDED")

# The service must read what the seed wrote (sealed with its key ring, for its rows).
body=$(curl -s --max-time 10 -H "Authorization: $BASIC" "$GW/api/mgmt/oauthprofiles/$PROFILE_MAX") || true
grep -q '"accessToken":"ya29\.' <<<"$body" || die "a seeded profile does not read back: $body"
[ "$(http_code -H "Authorization: $BASIC" "$GW/api/mgmt/oauthapps/$APP_ID")" = 200 ] ||
    die "a seeded OAuth application does not read back"

mint_token() {
    "$BIN/mint-token" --data-dir "$DATA" --user-id "$USER_ID" --user-name "$BENCH_USER" \
        --tenant-id 1 --permissions "$PERMISSIONS" || die "mint-token failed"
}

# ---------------------------------------------------------------------------------------------
# nginx: auth_basic with a bcrypt entry, proxy_pass to oauth-profiles with a fresh token

htpasswd -nbB "$BENCH_USER" "$BENCH_PASSWORD" >"$NGX/htpasswd" 2>/dev/null || die "htpasswd failed"
NGINX_PID=""
NGINX_PORT=""

start_nginx() {
    local token=$1 i
    NGINX_PORT=$(free_port)
    sed -e "s|@@DIR@@|$NGX|g" -e "s|@@PORT@@|$NGINX_PORT|g" \
        -e "s|@@UPSTREAM_PORT@@|$PROFILES_PORT|g" -e "s|@@TOKEN@@|$token|g" \
        -e "s|@@USER@@|$(id -un) $(id -gn)|g" \
        "$BENCH_DIR/nginx.conf.template" >"$NGX/nginx.conf"
    "$NGINX_BIN" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/nginx-error.log" -g 'daemon off;' \
        >>"$NGX/nginx-stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    for ((i = 0; i < 500; i++)); do
        [ "$(http_code -H "Authorization: $BASIC" "http://127.0.0.1:$NGINX_PORT/api/mgmt/oauthprofiles/$PROFILE_MIN")" = 200 ] &&
            return 0
        if ! kill -0 "$NGINX_PID" 2>/dev/null; then
            cat "$NGX/nginx-stdout.log" "$NGX/nginx-error.log" >&2 2>/dev/null || true
            die "nginx exited during start-up"
        fi
        sleep 0.01
    done
    die "nginx did not answer 200 within 5 s"
}

stop_nginx() {
    [ -n "$NGINX_PID" ] && stop_pid "$NGINX_PID"
    NGINX_PID=""
}

# ---------------------------------------------------------------------------------------------
# One wrk run: run_case KEY CONNECTIONS URL SCRIPT AUTHORIZATION [VAR=value ...]

declare -A RPS P50 P99 ERRORS CPU_US BUSY OTHERS
FAILURES=()

run_case() {
    local key=$1 conns=$2 url=$3 script=$4 auth=$5
    shift 5
    local threads=$((conns < 2 ? conns : 2))
    local out="$TMP/wrk-$key-$conns.txt"
    local ticks0 ticks1 total0 idle0 total1 idle1 result requests non2xx sockets failed
    local nginx0 nginx1 wrk0 wrk1
    ticks0=$(cpu_ticks "$STACK_PID")
    nginx0=$(nginx_ticks)
    children_cpu
    wrk0=$CHILD_CPU
    read -r total0 idle0 < <(machine_ticks)
    if ! env "$@" wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 10s --latency \
        -s "$BENCH_DIR/wrk/$script" -H "Authorization: $auth" "$url" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk failed for $key at $conns connections"
    fi
    read -r total1 idle1 < <(machine_ticks)
    ticks1=$(cpu_ticks "$STACK_PID")
    nginx1=$(nginx_ticks)
    children_cpu
    wrk1=$CHILD_CPU
    result=$(grep -m1 '^BENCH ' "$out" || true)
    [ -n "$result" ] || { cat "$out" >&2; die "no result from wrk for $key"; }
    requests=$(field requests "$result")
    non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$out" | head -n 1)
    sockets=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$out" |
        awk '{ print $1 + $2 + $3 + $4 }')
    failed=$((${non2xx:-0} + ${sockets:-0}))
    RPS[$key,$conns]=$(field rps "$result")
    P50[$key,$conns]=$(awk -v us="$(field p50_us "$result")" 'BEGIN { printf "%.3f", us / 1000 }')
    P99[$key,$conns]=$(awk -v us="$(field p99_us "$result")" 'BEGIN { printf "%.3f", us / 1000 }')
    ERRORS[$key,$conns]=$failed
    CPU_US[$key,$conns]=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" -v n="$requests" \
        'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "-" }')
    BUSY[$key,$conns]=$(awk -v t=$((total1 - total0)) -v i=$((idle1 - idle0)) \
        'BEGIN { if (t > 0) printf "%.0f", 100 * (t - i) / t; else print "-" }')
    # What the machine spent beyond the stack, wrk and nginx: other processes, and the kernel's
    # work outside any process (interrupts). High values mean the case was disturbed.
    OTHERS[$key,$conns]=$(awk -v t=$((total1 - total0)) -v i=$((idle1 - idle0)) \
        -v ours=$((ticks1 - ticks0 + nginx1 - nginx0)) -v w0="$wrk0" -v w1="$wrk1" -v hz="$CLK_TCK" \
        'BEGIN { o = (t - i) - ours - (w1 - w0) * hz; if (o < 0) o = 0
                 if (t > 0) printf "%.0f", 100 * o / t; else print "-" }')
    log "$(printf '%-16s c=%-3s %10s req/s  p50 %8s ms  p99 %8s ms  failed %s of %s' \
        "$key" "$conns" "${RPS[$key,$conns]}" "${P50[$key,$conns]}" "${P99[$key,$conns]}" "$failed" "$requests")"
    if [ "${requests:-0}" -eq 0 ] || ((failed * 100 > requests)); then
        FAILURES+=("$key at $conns connections: $failed failed of $requests requests (see $out)")
        sed -n '1,20p' "$out" >&2
        log "a few of the failed answers (one more second of the same case):"
        env "$@" BENCH_SHOW_ERRORS=1 BENCH_TAG_SUFFIX=_again wrk -t1 -c1 -d1s \
            -s "$BENCH_DIR/wrk/$script" -H "Authorization: $auth" "$url" 2>&1 |
            grep '^answer' | head -n 5 >&2 || true
        tail -n 20 "$TMP/stack.log" >&2
    fi
}

GET_BY_ID=(BENCH_PATH_PREFIX=/api/mgmt/oauthprofiles/)

# How busy the machine is while the stack idles: anything else running (a build, say) takes CPU
# from the cases, and the numbers are then low. Reported in the table's header.
read -r total0 idle0 < <(machine_ticks)
sleep 1
read -r total1 idle1 < <(machine_ticks)
BUSY_BEFORE=$(awk -v t=$((total1 - total0)) -v i=$((idle1 - idle0)) \
    'BEGIN { if (t > 0) printf "%.0f", 100 * (t - i) / t; else print 0 }')
if [ "$BUSY_BEFORE" -gt 15 ]; then
    log "WARNING: the machine is ${BUSY_BEFORE}% busy before any load; other processes will take CPU from the cases"
fi

# ---------------------------------------------------------------------------------------------
# Phase 1, 10k rows: a (gateway), b (direct), c (nginx), e (list page)

SMALL_LABEL=$(human_count "$SMALL_ROWS")
LARGE_LABEL=$(human_count "$LARGE_ROWS")
log "phase 1: GET by id and list pages with $SMALL_LABEL rows, ${DURATION}s per case"
for conns in "${CONNECTIONS[@]}"; do
    ids=(BENCH_ID_MIN="$PROFILE_MIN" BENCH_ID_MAX="$PROFILE_MAX")
    run_case get_gateway "$conns" "$GW/" get.lua "$BASIC" "${GET_BY_ID[@]}" "${ids[@]}"
    # A fresh token for each case: the services accept none older than 60 s.
    token=$(mint_token)
    run_case get_direct "$conns" "$DIRECT/" get.lua "Bearer $token" "${GET_BY_ID[@]}" "${ids[@]}"
    token=$(mint_token)
    start_nginx "$token"
    run_case get_nginx "$conns" "http://127.0.0.1:$NGINX_PORT/" get.lua "$BASIC" \
        "${GET_BY_ID[@]}" "${ids[@]}"
    stop_nginx
    run_case list_small "$conns" "$GW/" get.lua "$BASIC" \
        BENCH_PATH="/api/mgmt/oauthprofiles?limit=100"
done

# ---------------------------------------------------------------------------------------------
# Phase 2: creates through the gateway (d)

log "phase 2: creates through the gateway"
for conns in "${CONNECTIONS[@]}"; do
    run_case create_profile "$conns" "$GW/" create.lua "$BASIC" BENCH_KIND=profile \
        BENCH_PATH=/api/mgmt/oauthprofiles BENCH_APP_ID="$APP_ID" BENCH_TAG="bp$conns"
    run_case create_client "$conns" "$GW/" create.lua "$BASIC" BENCH_KIND=client \
        BENCH_PATH=/api/mgmt/oauth/client/applications BENCH_TAG="bc$conns"
done

# ---------------------------------------------------------------------------------------------
# Phase 3: the large table (e)

log "phase 3: seeding oauth-profiles up to $LARGE_ROWS rows of the benchmark user"
seed profiles --up-to "$LARGE_ROWS" --app-id "$APP_ID"
LARGE_TOTAL=$(field total_rows "$SEEDED")
LARGE_MAX=$(field last_id "$SEEDED")
[ "$LARGE_MAX" -gt 0 ] 2>/dev/null || LARGE_MAX=$PROFILE_MAX
for conns in "${CONNECTIONS[@]}"; do
    run_case get_large "$conns" "$GW/" get.lua "$BASIC" "${GET_BY_ID[@]}" \
        BENCH_ID_MIN="$PROFILE_MIN" BENCH_ID_MAX="$LARGE_MAX"
    run_case list_large "$conns" "$GW/" get.lua "$BASIC" \
        BENCH_PATH="/api/mgmt/oauthprofiles?limit=100"
done

# ---------------------------------------------------------------------------------------------
# The table

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", a - b }'; }

LABELS=(
    "get_gateway|a  GET /{id} via gateway (Basic)"
    "get_direct|b  GET /{id} direct to oauth-profiles (token)"
    "get_nginx|c  GET /{id} via nginx auth_basic+proxy_pass"
    "create_profile|d  POST oauthprofiles via gateway"
    "create_client|d  POST client applications via gateway"
    "list_small|e  GET ?limit=100 via gateway, $SMALL_LABEL rows"
    "list_large|e  GET ?limit=100 via gateway, $LARGE_LABEL rows"
    "get_large|e  GET /{id} via gateway, $LARGE_LABEL rows"
)

row_format='%-48s %5s %11s %10s %10s %7s %9s %6s %6s\n'
echo
STACK_PEAK_RSS=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$STACK_PID/status")
# VmHWM counts the pages of the mapped SQLite files (mmap_size) once per connection that
# touched them, although they are the one page cache; RssAnon is the process's own memory.
STACK_ANON_RSS=$(awk '/^RssAnon:/ { printf "%.1f", $2 / 1024 }' "/proc/$STACK_PID/status")
STACK_FILE_RSS=$(awk '/^RssFile:/ { printf "%.1f", $2 / 1024 }' "/proc/$STACK_PID/status")
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n 1)" ]; then
    COMMIT="$COMMIT with local changes"
fi
echo "hdp-oauth benchmark ($MODE: ${DURATION}s per case, wrk threads min(conns,2), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), commit $COMMIT)"
echo "machine busy before the run (stack idle): ${BUSY_BEFORE}%"
echo "stack CPU: CPU time of the stack process (gateway and services) per request; busy: the whole machine;"
echo "others: CPU neither the stack, wrk nor nginx used (other processes, interrupts): high means disturbed"
# shellcheck disable=SC2059
printf "$row_format" case conns "req/s" "p50 ms" "p99 ms" failed "stack CPU" busy others
# shellcheck disable=SC2059
printf "$row_format" "" "" "" "" "" "" "us/req" "%" "%"
for entry in "${LABELS[@]}"; do
    key=${entry%%|*}
    label=${entry#*|}
    for conns in "${CONNECTIONS[@]}"; do
        # shellcheck disable=SC2059
        printf "$row_format" "$label" "$conns" "${RPS[$key,$conns]}" "${P50[$key,$conns]}" \
            "${P99[$key,$conns]}" "${ERRORS[$key,$conns]}" "${CPU_US[$key,$conns]}" \
            "${BUSY[$key,$conns]}" "${OTHERS[$key,$conns]}"
    done
done
echo "ratios                                           conns       req/s    p50 (ms)   p99 (ms)"
ratio_format='%-48s %5s %11s %10s %10s\n'
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$ratio_format" "a/b gateway/direct (p: hop adds)" "$conns" \
        "$(ratio "${RPS[get_gateway,$conns]}" "${RPS[get_direct,$conns]}")x" \
        "$(delta "${P50[get_gateway,$conns]}" "${P50[get_direct,$conns]}")" \
        "$(delta "${P99[get_gateway,$conns]}" "${P99[get_direct,$conns]}")"
done
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$ratio_format" "a/c gateway/nginx (p: gateway minus nginx)" "$conns" \
        "$(ratio "${RPS[get_gateway,$conns]}" "${RPS[get_nginx,$conns]}")x" \
        "$(delta "${P50[get_gateway,$conns]}" "${P50[get_nginx,$conns]}")" \
        "$(delta "${P99[get_gateway,$conns]}" "${P99[get_nginx,$conns]}")"
done
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$ratio_format" "e list page $LARGE_LABEL/$SMALL_LABEL rows (p: ratio)" "$conns" \
        "$(ratio "${RPS[list_large,$conns]}" "${RPS[list_small,$conns]}")x" \
        "$(ratio "${P50[list_large,$conns]}" "${P50[list_small,$conns]}")x" \
        "$(ratio "${P99[list_large,$conns]}" "${P99[list_small,$conns]}")x"
done
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$ratio_format" "e GET /{id} $LARGE_LABEL/$SMALL_LABEL rows (p: ratio)" "$conns" \
        "$(ratio "${RPS[get_large,$conns]}" "${RPS[get_gateway,$conns]}")x" \
        "$(ratio "${P50[get_large,$conns]}" "${P50[get_gateway,$conns]}")x" \
        "$(ratio "${P99[get_large,$conns]}" "${P99[get_gateway,$conns]}")x"
done
echo "processes (idle: right after start, before any load)     idle RSS MB   start-up ms"
proc_format='%-56s %11s %13s\n'
# shellcheck disable=SC2059
printf "$proc_format" "stack: all four components in one process, fresh data dir" "$STACK_RSS" "$STACK_STARTUP_MS"
# shellcheck disable=SC2059
printf "$proc_format" "stack: peak RSS during the run (VmHWM, not idle)" "$STACK_PEAK_RSS" "-"
# shellcheck disable=SC2059
printf "$proc_format" "stack: after the run, own memory (RssAnon)" "$STACK_ANON_RSS" "-"
# shellcheck disable=SC2059
printf "$proc_format" "stack: after the run, mapped database files (RssFile)" "$STACK_FILE_RSS" "-"
for name in gateway oauth-apps oauth-profiles client-registration; do
    # shellcheck disable=SC2059
    printf "$proc_format" "$name alone (until /healthz is 200)" "${ALONE_RSS[$name]}" "${ALONE_MS[$name]}"
done
echo "seeding (the seed binary, through the services' own insert code):"
for line in "${SEED_LINES[@]}"; do
    echo "  $line"
done
echo "oauth-profiles rows of the benchmark user in the large cases: $LARGE_TOTAL"

if [ ${#FAILURES[@]} -gt 0 ]; then
    for failure in "${FAILURES[@]}"; do
        log "FAILED: $failure"
    done
fi

echo "summary gateway/direct=$(ratio "${RPS[get_gateway,64]}" "${RPS[get_direct,64]}") gateway/nginx=$(ratio "${RPS[get_gateway,64]}" "${RPS[get_nginx,64]}") gateway_p99_ms=$(awk -v p="${P99[get_gateway,64]}" 'BEGIN { printf "%.2f", p }') rows_1m/rows_10k=$(ratio "${P50[list_large,1]}" "${P50[list_small,1]}")"

[ ${#FAILURES[@]} -eq 0 ] || exit 1
