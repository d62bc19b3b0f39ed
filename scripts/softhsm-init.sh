#!/usr/bin/env bash
# Creates, or reuses, a SoftHSM token for development and tests, kept apart from
# the system's /etc/softhsm: configuration, token files and PINs live under DIR.
#
#   scripts/softhsm-init.sh [DIR] [TOKEN_LABEL]
#     DIR          default: a new temporary directory
#     TOKEN_LABEL  default: charlotte ([A-Za-z0-9._-], at most 32 characters)
#     PKCS11_PIN, PKCS11_SO_PIN   PINs for a new token; default: random
#     PKCS11_LIBRARY              default: Debian's libsofthsm2.so
#
# Prints `export` lines on stdout, so:  eval "$(scripts/softhsm-init.sh data/hsm)"
#   SOFTHSM2_CONF PKCS11_LIBRARY PKCS11_TOKEN_LABEL PKCS11_PIN
# SOFTHSM2_CONF must be in the environment before the process loads the PKCS#11
# library (SoftHSM reads it in C_Initialize).
#
# Idempotent: the same DIR and label reuse the token and the PINs recorded in
# DIR/token-LABEL.env (mode 0600). Several labels may share a DIR: they are then
# slots of one SOFTHSM2_CONF, visible to one process together.
# Needs the softhsm2 package (scripts/setup-system.sh), not root.
set -euo pipefail
umask 077

label="${2:-charlotte}"
if ! [[ "$label" =~ ^[A-Za-z0-9._-]{1,32}$ ]]; then
  echo "softhsm-init: token label must be 1-32 of [A-Za-z0-9._-]" >&2
  exit 2
fi
if ! command -v softhsm2-util >/dev/null 2>&1; then
  echo "softhsm-init: softhsm2-util not found; install Debian's softhsm2 (scripts/setup-system.sh as root)" >&2
  exit 1
fi
library="${PKCS11_LIBRARY:-}"
if [ -z "$library" ]; then
  for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*-linux-gnu/softhsm/libsofthsm2.so; do
    if [ -e "$candidate" ]; then library="$candidate"; break; fi
  done
fi
if [ -z "$library" ] || [ ! -e "$library" ]; then
  echo "softhsm-init: libsofthsm2.so not found (set PKCS11_LIBRARY)" >&2
  exit 1
fi

if [ -n "${1:-}" ]; then
  mkdir -p "$1"
  dir="$(cd "$1" && pwd)"
else
  dir="$(mktemp -d "${TMPDIR:-/tmp}/charlotte-softhsm.XXXXXX")"
fi
# SoftHSM's configuration parser splits on whitespace.
if [[ "$dir" =~ [[:space:]] ]]; then
  echo "softhsm-init: DIR must not contain white space: $dir" >&2
  exit 2
fi
mkdir -p "$dir/tokens"
conf="$dir/softhsm2.conf"
if [ ! -f "$conf" ]; then
  cat >"$conf" <<CONF
# Written by scripts/softhsm-init.sh
directories.tokendir = $dir/tokens/
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
fi
export SOFTHSM2_CONF="$conf"

random_pin() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
token_exists() {
  softhsm2-util --show-slots 2>/dev/null |
    awk -v want="$label" '/^[[:space:]]*Label:/ { sub(/^[^:]*:[[:space:]]*/, ""); sub(/[[:space:]]+$/, ""); if ($0 == want) found = 1 } END { exit !found }'
}

envfile="$dir/token-$label.env"
if [ -f "$envfile" ]; then
  # shellcheck disable=SC1090
  pin="$(. "$envfile" && printf '%s' "$PKCS11_PIN")"
  so_pin="$(. "$envfile" && printf '%s' "$PKCS11_SO_PIN")"
else
  pin="${PKCS11_PIN:-$(random_pin)}"
  so_pin="${PKCS11_SO_PIN:-$(random_pin)}"
fi
# Printed inside single quotes below: keep PINs to characters that need no escaping.
for p in "$pin" "$so_pin"; do
  if ! [[ "$p" =~ ^[A-Za-z0-9._~+=@%:,-]{4,255}$ ]]; then
    echo "softhsm-init: PINs must be 4-255 of [A-Za-z0-9._~+=@%:,-]" >&2
    exit 2
  fi
done

if token_exists; then
  if [ ! -f "$envfile" ] && [ -z "${PKCS11_PIN:-}" ]; then
    echo "softhsm-init: token '$label' exists in $dir but its PIN is unknown (set PKCS11_PIN)" >&2
    exit 1
  fi
  # The SO PIN of a token we did not create is unknown: do not record a guess.
  [ -f "$envfile" ] || so_pin=""
  echo "softhsm-init: reusing token '$label' in $dir" >&2
else
  # The PINs go on the command line (softhsm2-util otherwise prompts on the
  # terminal): acceptable for a development/test token, not for production.
  softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >&2
  echo "softhsm-init: initialised token '$label' in $dir" >&2
fi
if [ ! -f "$envfile" ]; then
  printf "PKCS11_PIN='%s'\nPKCS11_SO_PIN='%s'\n" "$pin" "$so_pin" >"$envfile"
fi

printf "export SOFTHSM2_CONF='%s'\n" "$conf"
printf "export PKCS11_LIBRARY='%s'\n" "$library"
printf "export PKCS11_TOKEN_LABEL='%s'\n" "$label"
printf "export PKCS11_PIN='%s'\n" "$pin"
