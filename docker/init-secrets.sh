#!/usr/bin/env bash
# Makes the secret files docker/compose.yaml mounts (docker/secrets/ by default),
# once. Never overwrites a file that exists: regenerating the master key or the
# signing key would make every tenant's data and every signed manifest
# unreadable, so rotation goes through the CLI (docs/deploying.md).
#
#   bash docker/init-secrets.sh [--self-signed HOSTNAME] [SECRETS_DIR]
#
# Generated here: postgres_password and database_url, master_key.json (the KEK
# file, format charlotte-master-key/1), signing_key.pem (Ed25519), mac_key
# (32 bytes), the S3 credentials of the three object stores, smtp_url (the
# relay, no credentials inside the internal network).
# Provided by you (the script stops and names the missing ones):
#   egov_client_secret     the API key of the e-Gov software registration
#   smtp_relay_password    the smarthost password of the relay (may be empty)
#   tls_cert.pem, tls_key.pem   the server certificate chain and its key
#                          (--self-signed makes a throwaway pair for a trial)
#   remote_s3_*            replace with the off-site store's keys when the
#                          remote store is elsewhere (BACKUP_REMOTE_S3_ENDPOINT)
#
# Run as root: the files get mode 0600 and the owner of the process that reads
# them (10001 = the API image's user, 999 = postgres). Keep a copy of
# master_key.json and signing_key.pem apart from the backups (docs/deploying.md).
set -euo pipefail
umask 077

self_signed=''
if [ "${1:-}" = '--self-signed' ]; then
  self_signed="${2:?--self-signed needs a host name}"
  shift 2
fi
dir="${1:-$(cd "$(dirname "$0")" && pwd)/secrets}"
mkdir -p "$dir"
chmod 700 "$dir"

API_UID=10001
PG_UID=999

rand() { openssl rand -hex "$1"; }
# put NAME OWNER: writes stdin to NAME unless it exists.
put() {
  local f="$dir/$1"
  if [ -e "$f" ]; then
    cat >/dev/null
    echo "kept      $1"
    return
  fi
  cat >"$f.tmp"
  chmod 600 "$f.tmp"
  if [ "$(id -u)" = 0 ]; then chown "$2:$2" "$f.tmp"; fi
  mv "$f.tmp" "$f"
  echo "created   $1"
}

if [ ! -e "$dir/postgres_password" ]; then
  pw="$(rand 24)"
  printf '%s\n' "$pw" | put postgres_password "$PG_UID"
  printf 'postgres://charlotte:%s@postgres:5432/charlotte\n' "$pw" | put database_url "$API_UID"
else
  echo "kept      postgres_password"
  [ -e "$dir/database_url" ] || { echo "database_url is missing but postgres_password exists: write it by hand" >&2; exit 1; }
fi
printf '{\n  "format": "charlotte-master-key/1",\n  "current": 1,\n  "keks": [{ "version": 1, "key": "%s", "createdAt": "%s" }]\n}\n' \
  "$(openssl rand -base64 32)" "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" | put master_key.json "$API_UID"
if [ ! -e "$dir/signing_key.pem" ]; then openssl genpkey -algorithm ed25519 | put signing_key.pem "$API_UID"; else echo "kept      signing_key.pem"; fi
if [ ! -e "$dir/mac_key" ]; then openssl rand 32 | put mac_key "$API_UID"; else echo "kept      mac_key"; fi
for store in blob backup remote; do
  printf 'charlotte-%s-%s\n' "$store" "$(rand 4)" | put "${store}_s3_access_key_id" "$API_UID"
  rand 24 | put "${store}_s3_secret_access_key" "$API_UID"
done
echo 'smtp://smtp-relay:587' | put smtp_url "$API_UID"

if [ -n "$self_signed" ] && [ ! -e "$dir/tls_cert.pem" ] && [ ! -e "$dir/tls_key.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=$self_signed" \
    -addext "subjectAltName=DNS:$self_signed" -keyout "$dir/tls_key.pem" -out "$dir/tls_cert.pem" 2>/dev/null
  chmod 600 "$dir/tls_key.pem" "$dir/tls_cert.pem"
  echo "created   tls_cert.pem, tls_key.pem (self-signed for $self_signed, 30 days: a trial only)"
fi

missing=()
for f in egov_client_secret smtp_relay_password tls_cert.pem tls_key.pem; do
  [ -e "$dir/$f" ] || missing+=("$f")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "still to provide in $dir (mode 0600): ${missing[*]}" >&2
  exit 1
fi
echo "all secrets present in $dir"
