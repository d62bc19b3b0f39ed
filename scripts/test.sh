#!/usr/bin/env bash
# The whole test command (`npm test`): system packages, build, lint, type check,
# backend tests (unit, integration, e2e, browser) and SPA component tests.
# Without TEST_DATABASE_URL the backend tests start an embedded PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh
echo "== clamd (offline development signatures)"
eval "$(bash scripts/clamd-start.sh | grep '^CLAMD_SOCKET=' | sed 's/^/export /')"
echo "== build (SPA + API)"
npm run -s build
echo "== lint"
npm run -s lint
echo "== type check"
npm run -s typecheck
echo "== SPA component tests (vitest)"
npm run -s test -w apps/web
echo "== backend tests (jest: unit, int, e2e, browser)"
npx jest --ci "$@"
