#!/usr/bin/env bash
# Installs what npm cannot bring, from Debian's packages, when it is missing.
# Used by `npm test` (and .ci/run). Needs root for apt-get; as another user it
# only reports what is missing.
#   chromium  - the real browser for the SPA tests (driven by playwright-core)
#   openssl   - self-signed IdP certificates in the SAML tests
#   softhsm2  - the PKCS#11 HSM the pkcs11 key provider is tested against
#   clamav-daemon - clamd, the malware scanner for uploads (dev/CI: scripts/clamd-start.sh
#               runs its own clamd with offline signatures; the package's own clamd and
#               freshclam services are not used: on systemd machines clamd's service
#               is skipped until an official database exists; freshclam retries in the background)
#   clamdscan - clamd's own client: `npm run bench` times `clamdscan --stream` of the same
#               file as the reference of the upload row
set -euo pipefail

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
have chromium || [ -x /usr/bin/chromium ] || need+=(chromium)
# test IdP certificates for the SAML tests
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# SoftHSM: softhsm2-util (scripts/softhsm-init.sh) and libsofthsm2.so (the key provider tests)
have softhsm2 || { command -v softhsm2-util >/dev/null 2>&1 && [ -e /usr/lib/softhsm/libsofthsm2.so ]; } || need+=(softhsm2)
# Japanese glyphs for the browser (screenshots) and, later, PDFs
have fonts-ipaexfont-gothic || need+=(fonts-ipaexfont-gothic)
# ClamAV: clamd, started by scripts/clamd-start.sh for dev and tests
have clamav-daemon || [ -x /usr/sbin/clamd ] || need+=(clamav-daemon)
# clamdscan: the reference the upload benchmark compares with (bench/scenarios/attachments.ts)
have clamdscan || command -v clamdscan >/dev/null 2>&1 || need+=(clamdscan)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "setup-system: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
echo "setup-system: installing ${need[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
