#!/usr/bin/env bash
# PostgreSQL init script for docker-compose.yml, mounted into /docker-entrypoint-initdb.d: the
# official image runs it once, when the data volume is empty.
#
# One role and one database per hdp-oauth component, each read from that component's own database
# URL (a Compose secret, postgres://ROLE:PASSWORD@HOST:PORT/DB, written by make-secrets.sh), so the
# URL a component connects with and the role that exists can never disagree. Each role owns only
# its database; PUBLIC may not connect to any of them, so one component cannot open another's.
#
# The body runs in a subshell: the image sources scripts that are not executable, and the options
# set here must not leak into its entrypoint.
main() (
    set -euo pipefail
    secrets=${HDP_OAUTH_SECRETS_DIR:-/run/secrets}
    for name in gateway oauth_apps oauth_profiles client_registration; do
        file="$secrets/${name}_database_url"
        [[ -r "$file" ]] || { echo "init-databases: cannot read $file" >&2; exit 1; }
        url="$(<"$file")"
        url="${url%%[[:space:]]*}"
        rest="${url#*://}"
        userinfo="${rest%%@*}"
        role="${userinfo%%:*}"
        password="${userinfo#*:}"
        database="${rest#*/}"
        database="${database%%\?*}"
        if [[ "$url" != postgres://* && "$url" != postgresql://* ]] || [[ "$userinfo" != *:* ]] ||
            [[ ! "$role" =~ ^[a-z_][a-z0-9_]*$ ]] || [[ ! "$database" =~ ^[a-z_][a-z0-9_]*$ ]] ||
            [[ -z "$password" || "$password" == *%* ]]; then
            echo "init-databases: $file is not postgres://ROLE:PASSWORD@HOST:PORT/DB with a" \
                "lower-case role and database and a password without %-escapes" >&2
            exit 1
        fi
        echo "init-databases: role $role, database $database"
        psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
            --dbname "${POSTGRES_DB:-postgres}" \
            -v role="$role" -v password="$password" -v database="$database" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"role";
SQL
    done
)
main
