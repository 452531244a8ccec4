#!/usr/bin/env bash
# Creates the files behind docker-compose.yml's `secrets:` in deploy/compose/secrets/ (git-ignored):
#   token-signing.pem      Ed25519 private key, PKCS#8 PEM  -> gateway (TOKEN_SIGNING_KEY_FILE)
#   token-public.pem       its public key, SPKI PEM         -> the services (TOKEN_PUBLIC_KEY_FILE)
#   admin-password         the first administrator's password -> gateway (ADMIN_PASSWORD_FILE)
#   postgres-password      the PostgreSQL superuser's password -> postgres
#   <component>-database-url  postgres://ROLE:PASSWORD@postgres:5432/DB, one per component; the
#                          postgres init script creates each role and database from these.
#   oauth-apps-encryption.keys, oauth-profiles-encryption.keys  the key rings that seal stored
#                          client secrets and tokens, one `id:base64key` a line (AES-256: 32
#                          random bytes) -> *_ENCRYPTION_KEYS_FILE. Rotation: deploy/README.md.
#   client-registration-hash.key  the key client secrets are hashed under (32 random bytes,
#                          base64) -> client-registration (CLIENT_REGISTRATION_SECRET_HASH_KEY_FILE)
# Existing files are kept (so a running stack keeps working); --force replaces them all. After
# --force, recreate the database volume too: `docker compose down -v`.
# Needs only openssl.
set -euo pipefail

dir="$(cd "$(dirname "$0")" && pwd)/secrets"
force=false
case "${1:-}" in
    --force) force=true ;;
    "") ;;
    *) echo "usage: $0 [--force]" >&2; exit 64 ;;
esac

command -v openssl >/dev/null || { echo "make-secrets: openssl is needed" >&2; exit 69; }

# The directory is private to you; the files in it must be readable by the containers' own users
# (uid 10001 in the hdp-oauth image, 999 in postgres), because Compose mounts them as they are.
mkdir -p "$dir"
chmod 0700 "$dir"

put() { # NAME: writes stdin to the file, replacing it
    local tmp
    tmp="$(mktemp "$dir/.tmp.XXXXXX")"
    cat >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$dir/$1"
    echo "created $dir/$1"
}

write() { # NAME: like put, but keeps an existing file unless --force
    if [[ -e "$dir/$1" && "$force" == false ]]; then
        cat >/dev/null
        echo "kept    $dir/$1"
    else
        put "$1"
    fi
}

random() { openssl rand -hex "${1:-24}"; }

# The key pair is made (or kept) as a pair.
if [[ ! -e "$dir/token-signing.pem" || "$force" == true ]]; then
    key="$(openssl genpkey -algorithm ed25519)"
    put token-signing.pem <<<"$key"
    openssl pkey -pubout <<<"$key" | put token-public.pem
else
    echo "kept    $dir/token-signing.pem"
    openssl pkey -in "$dir/token-signing.pem" -pubout | put token-public.pem # always its own pair
fi

# Key rings with one key, `k1`, and the hash key. Never replace them once data is stored with
# them: rotation adds a key (deploy/README.md), and --force makes stored secrets unusable (which
# is why it also asks for `docker compose down -v`).
printf 'k1:%s\n' "$(openssl rand -base64 32)" | write oauth-apps-encryption.keys
printf 'k1:%s\n' "$(openssl rand -base64 32)" | write oauth-profiles-encryption.keys
openssl rand -base64 32 | write client-registration-hash.key

random 16 | write admin-password
random | write postgres-password
for component in gateway oauth-apps oauth-profiles client-registration; do
    name="${component//-/_}" # role and database: gateway, oauth_apps, oauth_profiles, client_registration
    printf 'postgres://%s:%s@postgres:5432/%s' "$name" "$(random)" "$name" |
        write "$component-database-url"
done

echo "The administrator's password is in $dir/admin-password (user: ADMIN_USER, default admin)."
