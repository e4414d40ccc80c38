#!/usr/bin/env bash
# The README's test command: every test of trx, against the local PostgreSQL and RabbitMQ.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_node_modules
bash scripts/infra.sh
bash scripts/ensure-browser.sh
echo "[test] build, type-check, lint"
npm run -s build
npm run -s typecheck
npm run -s lint
echo "[test] jest: unit and integration tests"
npx jest --ci "$@"
