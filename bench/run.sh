#!/usr/bin/env bash
# The hdp-oauth benchmark: the gateway (HTTP Basic on every request, then a hop to oauth-profiles
# with an internal token) side by side with proxies doing the same job in front of the same
# oauth-profiles process: nginx auth_basic with a {SHA} entry, HAProxy http-request auth, and, as
# context only, nginx with a bcrypt entry. For each: requests/s, latency, and the proxy's own CPU
# per request. Also the service called directly, creates, list pages with 10,000 and 1,000,000
# stored rows, idle memory and start-up time. See bench/README.md.
#
#   bash bench/run.sh            full run: 10 s per case, 1,000,000 rows (about 6 minutes)
#   bash bench/run.sh --short    CI: 2 s per case, 100,000 rows (about 2 minutes); checks that
#                                everything works and asserts nothing about speed
#
# Everything it starts listens on 127.0.0.1 only and is stopped on exit. It fails (exit 1) when
# a process does not start or a case has more than 1% failed requests; never on timings.
set -euo pipefail
export LC_ALL=C

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

Options: --short, --keep (keep the temporary directory with the logs and wrk outputs).
Environment: BENCH_DURATION (seconds per case), BENCH_LARGE_ROWS (the large list size),
BENCH_RUST_LOG (the gateway's and services' log filter during the run; default warn),
BENCH_WORKERS (worker processes/threads of every proxy; default: the number of cores),
CARGO_TARGET_DIR.
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
# Every proxy gets as many workers as the gateway: GATEWAY_WORKERS, nginx worker_processes,
# HAProxy nbthread. The gateway's default is one per core.
WORKERS=${BENCH_WORKERS:-$(nproc)}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_DIR="$ROOT/bench"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/hdp-bench.XXXXXX")"
DATA="$TMP/data"
PROXY_DIR="$TMP/proxy"
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
    for tool in wrk nginx haproxy htpasswd curl; do
        command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "missing: ${missing[*]}; installing wrk nginx haproxy apache2-utils curl with apt-get"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "${missing[*]} missing, and not root to install them"
        sudo=(sudo -n)
    fi
    # The packages would start the system's nginx and haproxy services; Debian's policy-rc.d
    # convention keeps them from doing so (this benchmark runs its own instances only).
    local policy=/usr/sbin/policy-rc.d created=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        created=1
    fi
    local status=0
    "${sudo[@]}" apt-get update -q >&2 &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q wrk nginx haproxy apache2-utils curl >&2 || status=$?
    if [ -n "$created" ]; then "${sudo[@]}" rm -f "$policy"; fi
    [ "$status" -eq 0 ] || die "apt-get install failed"
}

install_tools
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY_BIN=$(command -v haproxy || echo /usr/sbin/haproxy)
NGINX_VERSION=$("$NGINX_BIN" -v 2>&1 | sed -n 's|.*nginx/\([^ ]*\).*|\1|p' | head -n 1)
HAPROXY_VERSION=$("$HAPROXY_BIN" -v 2>&1 | sed -n 's/^HAProxy version \([^ ]*\).*/\1/p' | head -n 1)
WRK_VERSION=$({ wrk -v 2>&1 || true; } | sed -n 's/^wrk \([^ ]*\).*/\1/p' | head -n 1)

log "building release binaries"
(cd "$ROOT" && cargo build --release -q -p stack -p bench \
    -p gateway -p oauth-apps -p oauth-profiles -p client-registration) ||
    die "cargo build failed"

# ---------------------------------------------------------------------------------------------
# Small helpers

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
# utime + stime of a process (all its threads, the finished ones included), in clock ticks; the
# fields are counted after the command name, which may contain spaces. 0 when it is gone.
cpu_ticks() {
    local ticks
    ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null) || ticks=0
    echo "${ticks:-0}"
}
# CPU ticks of a process and its child processes (nginx's master and workers); 0 without a PID.
tree_ticks() {
    local root=$1 sum=0 pid t children
    [ -n "$root" ] || { echo 0; return 0; }
    children=$(cat "/proc/$root/task/$root/children" 2>/dev/null || pgrep -P "$root" 2>/dev/null || true)
    for pid in "$root" $children; do
        t=$(cpu_ticks "$pid")
        sum=$((sum + t))
    done
    echo "$sum"
}
# "total idle" jiffies of the whole machine.
machine_ticks() { awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6; exit }' /proc/stat; }
# Memory of a process after the run, MB: peak RSS (VmHWM), own memory (RssAnon), mapped files.
mem_mb() { awk -v key="$2:" '$1 == key { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo -; }

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

# A TCP port on 127.0.0.1 nobody listens on (for the processes that cannot be given port 0, or
# whose port would only be printed at a log level that also logs requests).
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
# The stack (start-up time and idle RSS; oauth-apps and client-registration for the creates),
# and each component alone (start-up time and idle RSS)

mkdir -p "$PROXY_DIR/nginx-tmp"
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
STACK_GATEWAY_PORT=$(sed -n 's|.*Gateway: http://[^/]*:\([0-9]*\)/.*|\1|p' <<<"$ready_line")
APPS_PORT=$(sed -n 's/.*oauth-apps on port \([0-9]*\).*/\1/p' <<<"$ready_line")
STACK_PROFILES_PORT=$(sed -n 's/.*oauth-profiles on port \([0-9]*\).*/\1/p' <<<"$ready_line")
CLIENTS_PORT=$(sed -n 's/.*client-registration on port \([0-9]*\).*/\1/p' <<<"$ready_line")
if [ -z "$STACK_GATEWAY_PORT" ] || [ -z "$APPS_PORT" ] || [ -z "$STACK_PROFILES_PORT" ] ||
    [ -z "$CLIENTS_PORT" ]; then
    die "cannot read the ports from: $ready_line"
fi
STACK_GW="http://127.0.0.1:$STACK_GATEWAY_PORT"
APPS_URL="http://127.0.0.1:$APPS_PORT"
STACK_PROFILES_URL="http://127.0.0.1:$STACK_PROFILES_PORT"
CLIENTS_URL="http://127.0.0.1:$CLIENTS_PORT"
log "stack up in ${STACK_STARTUP_MS} ms, idle RSS ${STACK_RSS} MB: gateway $STACK_GATEWAY_PORT, oauth-apps $APPS_PORT, oauth-profiles $STACK_PROFILES_PORT, client-registration $CLIENTS_PORT"

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
# The variables of the two processes the cases measure (see start_server below).
GATEWAY_ENV=(GATEWAY_DATABASE_URL="$DATA/gateway.db"
    TOKEN_SIGNING_KEY_FILE="$KEYS/token-signing.pem"
    OAUTH_APPS_URL="$APPS_URL" CLIENT_REGISTRATION_URL="$CLIENTS_URL")
PROFILES_ENV=(OAUTH_PROFILES_DATABASE_URL="$DATA/oauth-profiles.db"
    TOKEN_PUBLIC_KEY_FILE="$KEYS/token-public.pem"
    OAUTH_PROFILES_ENCRYPTION_KEYS_FILE="$KEYS/oauth-profiles-encryption.keys"
    OAUTH_APPS_URL="$APPS_URL")
start_alone gateway GATEWAY_ADDR "${GATEWAY_ENV[@]}" OAUTH_PROFILES_URL="$STACK_PROFILES_URL"
start_alone oauth-apps OAUTH_APPS_ADDR \
    OAUTH_APPS_DATABASE_URL="$DATA/oauth-apps.db" TOKEN_PUBLIC_KEY_FILE="$KEYS/token-public.pem" \
    OAUTH_APPS_ENCRYPTION_KEYS_FILE="$KEYS/oauth-apps-encryption.keys" \
    OAUTH_PROFILES_URL="$STACK_PROFILES_URL"
start_alone oauth-profiles OAUTH_PROFILES_ADDR "${PROFILES_ENV[@]}"
start_alone client-registration CLIENT_REGISTRATION_ADDR \
    CLIENT_REGISTRATION_DATABASE_URL="$DATA/client-registration.db" \
    TOKEN_PUBLIC_KEY_FILE="$KEYS/token-public.pem" \
    CLIENT_REGISTRATION_SECRET_HASH_KEY_FILE="$KEYS/client-registration-hash.key"

# ---------------------------------------------------------------------------------------------
# The benchmark user and the seed

log "creating the benchmark user"
code=$(curl -s -o "$TMP/user.json" -w '%{http_code}' --max-time 30 \
    -u "admin:$ADMIN_PASSWORD" -H 'Content-Type: application/json' "$STACK_GW/api/admin/users" \
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

mint_token() {
    "$BIN/mint-token" --data-dir "$DATA" --user-id "$USER_ID" --user-name "$BENCH_USER" \
        --tenant-id 1 --permissions "$PERMISSIONS" --service oauth-profiles || die "mint-token failed"
}

# ---------------------------------------------------------------------------------------------
# The measured processes: oauth-profiles alone, and the gateway alone in front of it. Every
# proxy (the gateway, nginx, HAProxy) forwards to this one oauth-profiles process, so that each
# proxy's CPU is its own and the service's work behind each is the same.

# start_server NAME ADDR_VAR [VAR=value ...]: starts target/release/NAME on a free port with the
# run's log filter, waits until /healthz answers 200; sets SERVER_PID and SERVER_PORT. A port
# taken between the check and the bind costs a new attempt.
SERVER_PID=""
SERVER_PORT=""
start_server() {
    local name=$1 addr_var=$2 attempt i logfile
    shift 2
    logfile="$TMP/$name.log"
    : >"$logfile"
    for attempt in 1 2 3; do
        SERVER_PORT=$(free_port)
        env "$@" "$addr_var=127.0.0.1:$SERVER_PORT" RUST_LOG="$STACK_RUST_LOG" \
            "$BIN/$name" >>"$logfile" 2>&1 &
        SERVER_PID=$!
        PIDS+=("$SERVER_PID")
        for ((i = 0; i < 3000; i++)); do
            [ "$(http_code "http://127.0.0.1:$SERVER_PORT/healthz")" = 200 ] && return 0
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.01
        done
        kill -0 "$SERVER_PID" 2>/dev/null && die "$name did not answer /healthz within 30 s"
        log "$name exited during start-up (attempt $attempt of 3)"
    done
    cat "$logfile" >&2
    die "$name did not start"
}

log "starting oauth-profiles and the gateway as processes of their own ($WORKERS workers each)"
start_server oauth-profiles OAUTH_PROFILES_ADDR "${PROFILES_ENV[@]}" OAUTH_PROFILES_WORKERS="$WORKERS"
PROF_PID=$SERVER_PID
DIRECT="http://127.0.0.1:$SERVER_PORT"
start_server gateway GATEWAY_ADDR "${GATEWAY_ENV[@]}" OAUTH_PROFILES_URL="$DIRECT" \
    GATEWAY_WORKERS="$WORKERS"
GW_PID=$SERVER_PID
GW="http://127.0.0.1:$SERVER_PORT"
log "oauth-profiles on ${DIRECT##*:}, gateway on ${GW##*:}"

# The service must read what the seed wrote (sealed with its key ring, for its rows).
body=$(curl -s --max-time 10 -H "Authorization: $BASIC" "$GW/api/mgmt/oauthprofiles/$PROFILE_MAX") || true
grep -q '"accessToken":"ya29\.' <<<"$body" || die "a seeded profile does not read back: $body"
[ "$(http_code -H "Authorization: $BASIC" "$GW/api/mgmt/oauthapps/$APP_ID")" = 200 ] ||
    die "a seeded OAuth application does not read back"
code=$(http_code "$GW/api/mgmt/oauthprofiles/$PROFILE_MIN")
[ "$code" = 401 ] || die "the gateway answered $code to a request without credentials, not 401"

# An OAuth access token of the benchmark user (case t): a client application of theirs, then the
# password grant with scope api.access.mgmt through this gateway. It lives an hour by default.
log "getting an access token of the benchmark user (password grant)"
curl -s -o "$TMP/client.json" --max-time 30 -H "Authorization: $BASIC" \
    -H 'Content-Type: application/json' "$GW/api/mgmt/oauth/client/applications" \
    -d '{"name":"bench-client","redirectUrls":["http://127.0.0.1/callback"]}' || true
CLIENT_ID=$(grep -o '"clientId":"[^"]*"' "$TMP/client.json" | head -n 1 | cut -d'"' -f4)
CLIENT_SECRET=$(grep -o '"clientSecret":"[^"]*"' "$TMP/client.json" | head -n 1 | cut -d'"' -f4)
[ -n "$CLIENT_ID" ] && [ -n "$CLIENT_SECRET" ] || die "no client application: $(cat "$TMP/client.json")"
curl -s -o "$TMP/token.json" --max-time 30 -u "$CLIENT_ID:$CLIENT_SECRET" "$GW/oauth2/token" \
    --data-urlencode grant_type=password --data-urlencode "username=$BENCH_USER" \
    --data-urlencode "password=$BENCH_PASSWORD" --data-urlencode scope=api.access.mgmt || true
ACCESS_TOKEN=$(grep -o '"access_token":"[^"]*"' "$TMP/token.json" | head -n 1 | cut -d'"' -f4)
[ -n "$ACCESS_TOKEN" ] || die "no access token: $(cat "$TMP/token.json")"
BEARER="Bearer $ACCESS_TOKEN"
[ "$(http_code -H "Authorization: $BEARER" "$GW/api/mgmt/oauthprofiles/$PROFILE_MAX")" = 200 ] ||
    die "the gateway does not take the benchmark user's access token"
[ "$(http_code -H "Authorization: Bearer hdpat_unknown" "$GW/api/mgmt/oauthprofiles/$PROFILE_MAX")" = 401 ] ||
    die "the gateway does not refuse an unknown access token with 401"

# ---------------------------------------------------------------------------------------------
# The other proxies, in front of the same oauth-profiles process, with a fresh token each

htpasswd -nbs "$BENCH_USER" "$BENCH_PASSWORD" >"$PROXY_DIR/htpasswd-sha" 2>/dev/null ||
    die "htpasswd -s failed"
htpasswd -nbB "$BENCH_USER" "$BENCH_PASSWORD" >"$PROXY_DIR/htpasswd-bcrypt" 2>/dev/null ||
    die "htpasswd -B failed"
grep -q "^$BENCH_USER:{SHA}" "$PROXY_DIR/htpasswd-sha" || die "htpasswd -s wrote no {SHA} entry"
PROXY_PID=""
PROXY_PORT=""

# start_proxy KIND TOKEN: KIND is nginx-sha, nginx-bcrypt or haproxy. Waits until the proxy
# answers 200 to the benchmark's credentials and checks that it refuses a request without
# credentials and one with a wrong password (401). Sets PROXY_PID and PROXY_PORT.
start_proxy() {
    local kind=$1 token=$2 attempt i code url logs=()
    for attempt in 1 2 3; do
        PROXY_PORT=$(free_port)
        case "$kind" in
            nginx-*)
                sed -e "s|@@DIR@@|$PROXY_DIR|g" -e "s|@@PORT@@|$PROXY_PORT|g" \
                    -e "s|@@UPSTREAM_PORT@@|${DIRECT##*:}|g" -e "s|@@TOKEN@@|$token|g" \
                    -e "s|@@WORKERS@@|$WORKERS|g" -e "s|@@HTPASSWD@@|$PROXY_DIR/htpasswd-${kind#nginx-}|g" \
                    -e "s|@@USER@@|$(id -un) $(id -gn)|g" \
                    "$BENCH_DIR/nginx.conf.template" >"$PROXY_DIR/nginx.conf"
                logs=("$PROXY_DIR/nginx-stdout.log" "$PROXY_DIR/nginx-error.log")
                "$NGINX_BIN" -p "$PROXY_DIR" -c "$PROXY_DIR/nginx.conf" -e "$PROXY_DIR/nginx-error.log" \
                    -g 'daemon off;' >>"$PROXY_DIR/nginx-stdout.log" 2>&1 &
                ;;
            haproxy)
                sed -e "s|@@PORT@@|$PROXY_PORT|g" -e "s|@@UPSTREAM_PORT@@|${DIRECT##*:}|g" \
                    -e "s|@@TOKEN@@|$token|g" -e "s|@@WORKERS@@|$WORKERS|g" \
                    -e "s|@@USER@@|$BENCH_USER|g" -e "s|@@PASSWORD@@|$BENCH_PASSWORD|g" \
                    "$BENCH_DIR/haproxy.cfg.template" >"$PROXY_DIR/haproxy.cfg"
                logs=("$PROXY_DIR/haproxy.log")
                "$HAPROXY_BIN" -f "$PROXY_DIR/haproxy.cfg" -db >>"$PROXY_DIR/haproxy.log" 2>&1 &
                ;;
            floor)
                logs=("$PROXY_DIR/floor.log")
                FLOOR_ADDR="127.0.0.1:$PROXY_PORT" FLOOR_UPSTREAM="127.0.0.1:${DIRECT##*:}" \
                    FLOOR_TOKEN="$token" FLOOR_WORKERS="$WORKERS" \
                    "$BIN/proxy-floor" >>"$PROXY_DIR/floor.log" 2>&1 &
                ;;
            *) die "unknown proxy $kind" ;;
        esac
        PROXY_PID=$!
        PIDS+=("$PROXY_PID")
        url="http://127.0.0.1:$PROXY_PORT/api/mgmt/oauthprofiles/$PROFILE_MIN"
        for ((i = 0; i < 500; i++)); do
            code=$(http_code -H "Authorization: $BASIC" "$url")
            [ "$code" = 200 ] && break
            kill -0 "$PROXY_PID" 2>/dev/null || break
            sleep 0.01
        done
        [ "$code" = 200 ] && break
        kill -0 "$PROXY_PID" 2>/dev/null && die "$kind did not answer 200 within 5 s (last: $code)"
        cat "${logs[@]}" >&2 2>/dev/null || true
        log "$kind exited during start-up (attempt $attempt of 3)"
        PROXY_PID=""
    done
    [ -n "$PROXY_PID" ] || die "$kind did not start"
    # The floor checks no credentials: that is what it measures.
    [ "$kind" = floor ] && return 0
    code=$(http_code "$url")
    [ "$code" = 401 ] || die "$kind answered $code to a request without credentials, not 401"
    code=$(http_code -u "$BENCH_USER:not-$BENCH_PASSWORD" "$url")
    [ "$code" = 401 ] || die "$kind answered $code to a wrong password, not 401"
}

stop_proxy() {
    [ -n "$PROXY_PID" ] && stop_pid "$PROXY_PID"
    PROXY_PID=""
}

# ---------------------------------------------------------------------------------------------
# One wrk run: run_case KEY CONNECTIONS URL SCRIPT AUTHORIZATION PROXY_PID [VAR=value ...]
# PROXY_PID is the process in front of oauth-profiles (the gateway, nginx's master, HAProxy),
# empty when wrk calls oauth-profiles directly.

declare -A RPS P50 P99 ERRORS CPU_PROXY CPU_SVC CPU_ALL BUSY OTHERS OPENED
FAILURES=()

# The client ends (address:port) of the TCP connections to oauth-profiles' port, in any state
# (closed ones stay in TIME_WAIT for a minute), one a line. Those that appear during a case are
# connections opened to oauth-profiles during the case: a proxy that keeps its connections
# alive opens at most about one per client connection (its pool filling), not one per request.
upstream_connections() {
    local tables=(/proc/net/tcp)
    [ -r /proc/net/tcp6 ] && tables+=(/proc/net/tcp6)
    awk -v port="$(printf '%04X' "${DIRECT##*:}")" 'FNR > 1 {
        split($2, l, ":"); split($3, r, ":")
        if (r[2] == port) print $2
        else if (l[2] == port && r[2] != "0000") print $3 }' "${tables[@]}" | sort -u || true
}

# CPU ticks of every server process: the stack, the gateway, oauth-profiles and the proxy.
server_ticks() {
    local proxy=$1 sum
    sum=$(($(cpu_ticks "$STACK_PID") + $(cpu_ticks "$GW_PID") + $(cpu_ticks "$PROF_PID")))
    if [ -n "$proxy" ] && [ "$proxy" != "$GW_PID" ]; then
        sum=$((sum + $(tree_ticks "$proxy")))
    fi
    echo "$sum"
}

us_per_request() {
    awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" \
        'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "-" }'
}

run_case() {
    local key=$1 conns=$2 url=$3 script=$4 auth=$5 proxy=$6
    shift 6
    local threads=$((conns < 2 ? conns : 2))
    local out="$TMP/wrk-$key-$conns.txt"
    local total0 idle0 total1 idle1 result requests non2xx sockets failed pid
    local proxy0 proxy1 svc0 svc1 all0 all1 wrk0 wrk1
    upstream_connections >"$TMP/upstream-before"
    proxy0=$(tree_ticks "$proxy")
    svc0=$(cpu_ticks "$PROF_PID")
    all0=$(server_ticks "$proxy")
    children_cpu
    wrk0=$CHILD_CPU
    read -r total0 idle0 < <(machine_ticks)
    if ! env "$@" wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 10s --latency \
        -s "$BENCH_DIR/wrk/$script" -H "Authorization: $auth" "$url" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk failed for $key at $conns connections"
    fi
    read -r total1 idle1 < <(machine_ticks)
    proxy1=$(tree_ticks "$proxy")
    svc1=$(cpu_ticks "$PROF_PID")
    all1=$(server_ticks "$proxy")
    children_cpu
    wrk1=$CHILD_CPU
    upstream_connections >"$TMP/upstream-after"
    OPENED[$key,$conns]=$(comm -13 "$TMP/upstream-before" "$TMP/upstream-after" | wc -l)
    for pid in "$STACK_PID" "$GW_PID" "$PROF_PID" "${proxy:-$GW_PID}"; do
        kill -0 "$pid" 2>/dev/null || die "process $pid exited during $key at $conns connections (logs in $TMP)"
    done
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
    if [ -n "$proxy" ]; then
        CPU_PROXY[$key,$conns]=$(us_per_request $((proxy1 - proxy0)) "$requests")
    else
        CPU_PROXY[$key,$conns]=-
    fi
    CPU_SVC[$key,$conns]=$(us_per_request $((svc1 - svc0)) "$requests")
    CPU_ALL[$key,$conns]=$(us_per_request $((all1 - all0)) "$requests")
    BUSY[$key,$conns]=$(awk -v t=$((total1 - total0)) -v i=$((idle1 - idle0)) \
        'BEGIN { if (t > 0) printf "%.0f", 100 * (t - i) / t; else print "-" }')
    # What the machine spent beyond the server processes and wrk: other processes, and the
    # kernel's work outside any process (interrupts). High values mean the case was disturbed.
    OTHERS[$key,$conns]=$(awk -v t=$((total1 - total0)) -v i=$((idle1 - idle0)) \
        -v ours=$((all1 - all0)) -v w0="$wrk0" -v w1="$wrk1" -v hz="$CLK_TCK" \
        'BEGIN { o = (t - i) - ours - (w1 - w0) * hz; if (o < 0) o = 0
                 if (t > 0) printf "%.0f", 100 * o / t; else print "-" }')
    log "$(printf '%-18s c=%-3s %10s req/s  p50 %8s ms  p99 %8s ms  proxy %5s us/req  failed %s of %s' \
        "$key" "$conns" "${RPS[$key,$conns]}" "${P50[$key,$conns]}" "${P99[$key,$conns]}" \
        "${CPU_PROXY[$key,$conns]}" "$failed" "$requests")"
    if [ -n "$proxy" ] && ((OPENED[$key,$conns] > 2 * conns + 10 && OPENED[$key,$conns] * 100 > ${requests:-0})); then
        log "WARNING: ${OPENED[$key,$conns]} connections to oauth-profiles were opened during $key at $conns connections: the proxy does not keep them alive"
    fi
    if [ "${requests:-0}" -eq 0 ] || ((failed * 100 > requests)); then
        FAILURES+=("$key at $conns connections: $failed failed of $requests requests (see $out)")
        sed -n '1,20p' "$out" >&2
        log "a few of the failed answers (one more second of the same case):"
        env "$@" BENCH_SHOW_ERRORS=1 BENCH_TAG_SUFFIX=_again wrk -t1 -c1 -d1s \
            -s "$BENCH_DIR/wrk/$script" -H "Authorization: $auth" "$url" 2>&1 |
            grep '^answer' | head -n 5 >&2 || true
        tail -n 20 "$TMP/gateway.log" "$TMP/oauth-profiles.log" "$TMP/stack.log" >&2 || true
    fi
}

GET_BY_ID=(BENCH_PATH_PREFIX=/api/mgmt/oauthprofiles/)

# How busy the machine is while the servers idle: anything else running (a build, say) takes
# CPU from the cases, and the numbers are then low. Reported in the table's header.
read -r total0 idle0 < <(machine_ticks)
sleep 1
read -r total1 idle1 < <(machine_ticks)
BUSY_BEFORE=$(awk -v t=$((total1 - total0)) -v i=$((idle1 - idle0)) \
    'BEGIN { if (t > 0) printf "%.0f", 100 * (t - i) / t; else print 0 }')
if [ "$BUSY_BEFORE" -gt 15 ]; then
    log "WARNING: the machine is ${BUSY_BEFORE}% busy before any load; other processes will take CPU from the cases"
fi

# ---------------------------------------------------------------------------------------------
# Phase 1, 10k rows: a (gateway), t (gateway, Bearer), b (direct), n (nginx {SHA}), h (HAProxy),
# f (the floor, context), c (nginx bcrypt, context), e (list page), one after the other at each
# connection count

SMALL_LABEL=$(human_count "$SMALL_ROWS")
LARGE_LABEL=$(human_count "$LARGE_ROWS")
log "phase 1: GET by id through each proxy and list pages with $SMALL_LABEL rows, ${DURATION}s per case"
for conns in "${CONNECTIONS[@]}"; do
    ids=(BENCH_ID_MIN="$PROFILE_MIN" BENCH_ID_MAX="$PROFILE_MAX")
    run_case get_gateway "$conns" "$GW/" get.lua "$BASIC" "$GW_PID" "${GET_BY_ID[@]}" "${ids[@]}"

    # t: the same through an OAuth access token (scope api.access.mgmt) in place of Basic: its
    # check is cached like a verified Basic credential (at most GATEWAY_USER_CACHE_MS).
    run_case get_gateway_bearer "$conns" "$GW/" get.lua "$BEARER" "$GW_PID" \
        "${GET_BY_ID[@]}" "${ids[@]}"

    # A fresh token for each case: the services accept none older than 60 s.
    token=$(mint_token)
    run_case get_direct "$conns" "$DIRECT/" get.lua "Bearer $token" "" "${GET_BY_ID[@]}" "${ids[@]}"
    token=$(mint_token)
    start_proxy nginx-sha "$token"
    run_case get_nginx "$conns" "http://127.0.0.1:$PROXY_PORT/" get.lua "$BASIC" "$PROXY_PID" \
        "${GET_BY_ID[@]}" "${ids[@]}"
    stop_proxy
    token=$(mint_token)
    start_proxy haproxy "$token"
    run_case get_haproxy "$conns" "http://127.0.0.1:$PROXY_PORT/" get.lua "$BASIC" "$PROXY_PID" \
        "${GET_BY_ID[@]}" "${ids[@]}"
    stop_proxy
    # f, context: the least a proxy made of the gateway's libraries costs (actix-web in front,
    # hyper's kept-alive connections behind, nothing else: crates/bench/src/bin/proxy-floor.rs).
    token=$(mint_token)
    start_proxy floor "$token"
    run_case get_floor "$conns" "http://127.0.0.1:$PROXY_PORT/" get.lua "$BASIC" "$PROXY_PID" \
        "${GET_BY_ID[@]}" "${ids[@]}"
    stop_proxy
    token=$(mint_token)
    start_proxy nginx-bcrypt "$token"
    run_case get_nginx_bcrypt "$conns" "http://127.0.0.1:$PROXY_PORT/" get.lua "$BASIC" "$PROXY_PID" \
        "${GET_BY_ID[@]}" "${ids[@]}"
    stop_proxy
    run_case list_small "$conns" "$GW/" get.lua "$BASIC" "$GW_PID" \
        BENCH_PATH="/api/mgmt/oauthprofiles?limit=100"
done

# ---------------------------------------------------------------------------------------------
# Phase 2: creates through the gateway (d)

log "phase 2: creates through the gateway"
for conns in "${CONNECTIONS[@]}"; do
    run_case create_profile "$conns" "$GW/" create.lua "$BASIC" "$GW_PID" BENCH_KIND=profile \
        BENCH_PATH=/api/mgmt/oauthprofiles BENCH_APP_ID="$APP_ID" BENCH_TAG="bp$conns"
    run_case create_client "$conns" "$GW/" create.lua "$BASIC" "$GW_PID" BENCH_KIND=client \
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
    run_case get_large "$conns" "$GW/" get.lua "$BASIC" "$GW_PID" "${GET_BY_ID[@]}" \
        BENCH_ID_MIN="$PROFILE_MIN" BENCH_ID_MAX="$LARGE_MAX"
    run_case list_large "$conns" "$GW/" get.lua "$BASIC" "$GW_PID" \
        BENCH_PATH="/api/mgmt/oauthprofiles?limit=100"
done

# ---------------------------------------------------------------------------------------------
# The table

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", a - b }'; }

LABELS=(
    "get_gateway|a  GET /{id} via gateway (Basic)"
    "get_gateway_bearer|t  GET /{id} via gateway (Bearer token)"
    "get_direct|b  GET /{id} direct to oauth-profiles (token)"
    "get_nginx|n  GET /{id} via nginx auth_basic {SHA}"
    "get_haproxy|h  GET /{id} via HAProxy http-request auth"
    "get_floor|f  context: floor, actix-web + hyper, no checks"
    "get_nginx_bcrypt|c  context: via nginx auth_basic bcrypt"
    "create_profile|d  POST oauthprofiles via gateway"
    "create_client|d  POST client applications via gateway"
    "list_small|e  GET ?limit=100 via gateway, $SMALL_LABEL rows"
    "list_large|e  GET ?limit=100 via gateway, $LARGE_LABEL rows"
    "get_large|e  GET /{id} via gateway, $LARGE_LABEL rows"
)

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n 1)" ]; then
    COMMIT="$COMMIT with local changes"
fi
echo
echo "hdp-oauth benchmark ($MODE: ${DURATION}s per case, wrk threads min(conns,2), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), commit $COMMIT)"
echo "machine busy before the run (servers idle): ${BUSY_BEFORE}%"
echo "proxies: $WORKERS workers each (gateway GATEWAY_WORKERS=$WORKERS, nginx ${NGINX_VERSION:-?} worker_processes $WORKERS, HAProxy ${HAPROXY_VERSION:-?} nbthread $WORKERS);"
echo "  each forwards to the same oauth-profiles process ($WORKERS workers) over kept-alive connections with the same"
echo "  Authorization: Bearer <internal token>; no access log anywhere (RUST_LOG=$STACK_RUST_LOG, access_log off, no HAProxy log)"
echo "proxy: CPU of the proxy's own processes per request (gateway; nginx master+workers; haproxy); oauth-p: of the"
echo "  oauth-profiles process; server: of every server process (proxy, oauth-profiles, and the stack, which serves"
echo "  oauth-apps and client-registration for the creates); busy: the whole machine, wrk included;"
echo "  others: CPU neither the server processes nor wrk used (other processes, interrupts): high means disturbed"
row_format='%-50s %5s %10s %9s %9s %6s %6s %7s %6s %5s %6s\n'
# shellcheck disable=SC2059
printf "$row_format" case conns "req/s" "p50 ms" "p99 ms" failed proxy oauth-p server busy others
# shellcheck disable=SC2059
printf "$row_format" "" "" "" "" "" "" "us/req" "us/req" "us/req" "%" "%"
for entry in "${LABELS[@]}"; do
    key=${entry%%|*}
    label=${entry#*|}
    for conns in "${CONNECTIONS[@]}"; do
        # shellcheck disable=SC2059
        printf "$row_format" "$label" "$conns" "${RPS[$key,$conns]}" "${P50[$key,$conns]}" \
            "${P99[$key,$conns]}" "${ERRORS[$key,$conns]}" "${CPU_PROXY[$key,$conns]}" \
            "${CPU_SVC[$key,$conns]}" "${CPU_ALL[$key,$conns]}" "${BUSY[$key,$conns]}" \
            "${OTHERS[$key,$conns]}"
    done
done

echo "the proxies side by side (cases a, n, h; f, c)     conns    gateway nginx{SHA}    HAProxy | context: floor  nginx bcrypt"
cpu_format='%-50s %5s %10s %10s %10s | %14s %13s\n'
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$cpu_format" "  the proxy's own CPU, us/req" "$conns" "${CPU_PROXY[get_gateway,$conns]}" \
        "${CPU_PROXY[get_nginx,$conns]}" "${CPU_PROXY[get_haproxy,$conns]}" \
        "${CPU_PROXY[get_floor,$conns]}" "${CPU_PROXY[get_nginx_bcrypt,$conns]}"
done
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$cpu_format" "  oauth-profiles' CPU behind it, us/req (b: ${CPU_SVC[get_direct,$conns]})" "$conns" \
        "${CPU_SVC[get_gateway,$conns]}" "${CPU_SVC[get_nginx,$conns]}" \
        "${CPU_SVC[get_haproxy,$conns]}" "${CPU_SVC[get_floor,$conns]}" "${CPU_SVC[get_nginx_bcrypt,$conns]}"
done
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$cpu_format" "  connections to oauth-profiles opened in the case" "$conns" \
        "${OPENED[get_gateway,$conns]}" "${OPENED[get_nginx,$conns]}" \
        "${OPENED[get_haproxy,$conns]}" "${OPENED[get_floor,$conns]}" "${OPENED[get_nginx_bcrypt,$conns]}"
done
echo "ratios                                             conns      req/s  p50 (ms)  p99 (ms)"
ratio_format='%-50s %5s %10s %9s %9s\n'
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$ratio_format" "a/b gateway/direct (p: the hop adds)" "$conns" \
        "$(ratio "${RPS[get_gateway,$conns]}" "${RPS[get_direct,$conns]}")x" \
        "$(delta "${P50[get_gateway,$conns]}" "${P50[get_direct,$conns]}")" \
        "$(delta "${P99[get_gateway,$conns]}" "${P99[get_direct,$conns]}")"
done
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$ratio_format" "a/n gateway/nginx {SHA} (p: gateway minus nginx)" "$conns" \
        "$(ratio "${RPS[get_gateway,$conns]}" "${RPS[get_nginx,$conns]}")x" \
        "$(delta "${P50[get_gateway,$conns]}" "${P50[get_nginx,$conns]}")" \
        "$(delta "${P99[get_gateway,$conns]}" "${P99[get_nginx,$conns]}")"
done
for conns in "${CONNECTIONS[@]}"; do
    # shellcheck disable=SC2059
    printf "$ratio_format" "a/h gateway/HAProxy (p: gateway minus HAProxy)" "$conns" \
        "$(ratio "${RPS[get_gateway,$conns]}" "${RPS[get_haproxy,$conns]}")x" \
        "$(delta "${P50[get_gateway,$conns]}" "${P50[get_haproxy,$conns]}")" \
        "$(delta "${P99[get_gateway,$conns]}" "${P99[get_haproxy,$conns]}")"
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

echo "processes (idle: right after start, before any load)          idle RSS MB   start-up ms"
proc_format='%-62s %11s %13s\n'
# shellcheck disable=SC2059
printf "$proc_format" "stack: all four components in one process, fresh data dir" "$STACK_RSS" "$STACK_STARTUP_MS"
for name in gateway oauth-apps oauth-profiles client-registration; do
    # shellcheck disable=SC2059
    printf "$proc_format" "$name alone (until /healthz is 200)" "${ALONE_RSS[$name]}" "${ALONE_MS[$name]}"
done
echo "processes after the run, MB               peak RSS (VmHWM)   own memory (RssAnon)   mapped files (RssFile)"
mem_format='%-40s %18s %22s %24s\n'
for entry in "gateway|$GW_PID" "oauth-profiles|$PROF_PID" "stack (oauth-apps, client-registration)|$STACK_PID"; do
    # shellcheck disable=SC2059
    printf "$mem_format" "${entry%%|*}" "$(mem_mb "${entry#*|}" VmHWM)" \
        "$(mem_mb "${entry#*|}" RssAnon)" "$(mem_mb "${entry#*|}" RssFile)"
done
echo "seeding (the seed binary, through the services' own insert code):"
for line in "${SEED_LINES[@]}"; do
    echo "  $line"
done
echo "oauth-profiles rows of the benchmark user in the large cases: $LARGE_TOTAL"
echo "tools: wrk ${WRK_VERSION:-?}, nginx ${NGINX_VERSION:-?}, HAProxy ${HAPROXY_VERSION:-?}"

if [ ${#FAILURES[@]} -gt 0 ]; then
    for failure in "${FAILURES[@]}"; do
        log "FAILED: $failure"
    done
fi

echo "summary gateway/nginx=$(ratio "${RPS[get_gateway,64]}" "${RPS[get_nginx,64]}") gateway/haproxy=$(ratio "${RPS[get_gateway,64]}" "${RPS[get_haproxy,64]}") gateway_us=${CPU_PROXY[get_gateway,64]} gateway_bearer_us=${CPU_PROXY[get_gateway_bearer,64]} bearer/basic=$(ratio "${RPS[get_gateway_bearer,64]}" "${RPS[get_gateway,64]}") nginx_us=${CPU_PROXY[get_nginx,64]} haproxy_us=${CPU_PROXY[get_haproxy,64]} hop_p50_1c_ms=$(awk -v a="${P50[get_gateway,1]}" -v b="${P50[get_direct,1]}" 'BEGIN { printf "%.3f", a - b }') rows_1m/rows_10k=$(ratio "${P50[list_large,1]}" "${P50[list_small,1]}") floor_us=${CPU_PROXY[get_floor,64]}"

[ ${#FAILURES[@]} -eq 0 ] || exit 1
