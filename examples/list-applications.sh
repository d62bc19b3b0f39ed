#!/usr/bin/env bash
# Lists applications with an API token (scope applications:read), then pages on.
#   CHARLOTTE_URL=https://charlotte.example.jp CHARLOTTE_TOKEN=chr_... ./examples/list-applications.sh
# CHARLOTTE_PATH points it at another list, e.g. the audit trail with a token
# that has audit:read: CHARLOTTE_PATH=/api/v1/audit-events
set -euo pipefail
: "${CHARLOTTE_URL:?set CHARLOTTE_URL}" "${CHARLOTTE_TOKEN:?set CHARLOTTE_TOKEN}"
path="${CHARLOTTE_PATH:-/api/v1/applications}"
cursor=""
while :; do
  url="${CHARLOTTE_URL}${path}?limit=50${cursor:+&cursor=${cursor}}"
  page=$(curl -sS --max-time 30 --fail-with-body -H "Authorization: Bearer ${CHARLOTTE_TOKEN}" -H 'Accept: application/json' "$url")
  echo "$page" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s);for(const i of p.items)console.log(JSON.stringify(i));})'
  cursor=$(echo "$page" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const c=JSON.parse(s).nextCursor;process.stdout.write(c?encodeURIComponent(c):"")})')
  [ -n "$cursor" ] || break
done
