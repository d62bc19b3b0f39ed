#!/usr/bin/env bash
# `npm start`: the whole product on the embedded defaults. Installs what npm
# cannot bring (ClamAV, when missing and run as root), starts a local clamd with
# the offline development signatures (scripts/clamd-start.sh) unless CLAMD_HOST
# or CLAMD_SOCKET point at one, builds, starts the e-Gov simulator on port 3100
# (unless EGOV_API_BASE is set), and runs the API (which serves the SPA).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh || echo "start: some Debian packages are missing (see above); uploads need clamd" >&2
if [ -z "${CLAMD_HOST:-}" ] && [ -z "${CLAMD_SOCKET:-}" ]; then
  eval "$(bash scripts/clamd-start.sh | grep '^CLAMD_SOCKET=' | sed 's/^/export /')" || echo "start: clamd did not start; uploads will answer 503 until it runs" >&2
fi
# Builds only what changed since the last start (SPA, API, simulator): nothing when nothing did.
node scripts/build-if-changed.js web api
# The e-Gov simulator (apps/egov-sim) stands in for e-Gov unless EGOV_API_BASE points elsewhere.
if [ -z "${EGOV_API_BASE:-}" ]; then
  node scripts/build-if-changed.js sim
  node dist/egov-sim/apps/egov-sim/src/main.js &
  sim=$!
  # The simulator reviews in seconds: poll it every 15 s (not every 10 minutes) so a demo filing finishes while you watch.
  export EGOV_POLL_CRON="${EGOV_POLL_CRON:-*/15 * * * * *}"
  trap 'kill "$sim" 2>/dev/null || true' EXIT
fi
node dist/apps/api/apps/api/src/main.js
