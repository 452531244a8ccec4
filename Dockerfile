# syntax=docker/dockerfile:1.7
#
# One image holding the four hdp-oauth binaries; the command picks which one runs:
#   docker run IMAGE gateway | oauth-apps | oauth-profiles | client-registration
# Configuration comes from the environment only (deploy/README.md lists every variable); keys and
# passwords are mounted at run time, never built in.
#
# Build:  docker build -t hdp-oauth:dev .
# deploy/validate.sh checks that the cargo line below builds exactly the packages CI builds.

ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
# Build: SQLite, libpq and OpenSSL are compiled from source by their crates (bundled/vendored),
# so the official Rust image (which has make, perl and a C compiler) needs nothing more.
FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p gateway -p oauth-apps -p oauth-profiles -p client-registration \
    && mkdir -p /out \
    && cp target/release/gateway target/release/oauth-apps target/release/oauth-profiles \
          target/release/client-registration /out/

# ---------------------------------------------------------------------------------------------
# Runtime: the binaries link only glibc (libpq and OpenSSL are static), so a slim Debian of the
# same release as the build image is enough. Nothing is installed: the health check below uses
# bash's /dev/tcp, and bash is part of every Debian image.
FROM ${RUNTIME_IMAGE} AS runtime

RUN groupadd --system --gid 10001 hdp \
    && useradd --system --uid 10001 --gid hdp --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin hdp

COPY --from=build /out/ /usr/local/bin/

# Entrypoint: for each VAR below, VAR_FILE names a file whose content becomes VAR (how Docker
# Compose and Swarm secrets, mounted under /run/secrets, reach a program that reads the
# environment). Then it execs the command, so the binary is PID 1 and receives SIGTERM itself.
COPY --chmod=0755 <<'EOF' /usr/local/bin/hdp-entrypoint
#!/bin/sh
set -eu
for var in ADMIN_PASSWORD GATEWAY_DATABASE_URL OAUTH_APPS_DATABASE_URL \
    OAUTH_PROFILES_DATABASE_URL CLIENT_REGISTRATION_DATABASE_URL; do
    eval "file=\${${var}_FILE:-}"
    [ -n "$file" ] || continue
    eval "current=\${${var}:-}"
    if [ -n "$current" ]; then
        echo "hdp-entrypoint: both $var and ${var}_FILE are set; set only one" >&2
        exit 64
    fi
    if [ ! -r "$file" ]; then
        echo "hdp-entrypoint: ${var}_FILE: cannot read $file" >&2
        exit 66
    fi
    # $(...) drops trailing newlines, which is what a secret file usually ends with.
    value=$(cat "$file")
    export "$var=$value"
    unset "${var}_FILE"
done
if [ "$#" -eq 0 ]; then
    echo "hdp-entrypoint: give a command: gateway, oauth-apps, oauth-profiles or client-registration" >&2
    exit 64
fi
exec "$@"
EOF

# Health check: `hdp-healthcheck PORT [PATH]` exits 0 when GET PATH (default /readyz) on
# 127.0.0.1:PORT answers 200: the binaries are ready when their database answers with its
# migrations current (the gateway: and its services are alive). No curl or wget needed.
COPY --chmod=0755 <<'EOF' /usr/local/bin/hdp-healthcheck
#!/bin/bash
set -euo pipefail
port=${1:?usage: hdp-healthcheck PORT [PATH]}
path=${2:-/readyz}
exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "${path}" >&3
IFS= read -r -t 5 status <&3
exec 3<&-
[[ "${status}" =~ ^HTTP/1\.[01]\ 200 ]] || { echo "unhealthy: ${status}" >&2; exit 1; }
EOF

ENV RUST_LOG=info
USER 10001:10001
EXPOSE 8080 8081 8082 8083
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/hdp-entrypoint"]
CMD ["gateway"]
