#!/usr/bin/env bash
# The README's test command: every test of trx, against the local PostgreSQL and RabbitMQ.
#   1. install, prepare the infrastructure (scripts/infra.sh says what it changes: the local
#      secrets, a Postgres role and a RabbitMQ user per service), Chromium for the management-UI
#      browser test, Go + sprig and promtool for the chart and alert-rule tests;
#   2. build, type-check, lint;
#   3. jest: unit tests and integration tests (each test file has its own databases and exchange);
#   4. the benchmark's smoke run (bench --quick: fails on errors or a crash, never on speed);
#   5. the short chaos run (chaos --quick: SIGKILLs, a RabbitMQ and a PostgreSQL restart under
#      load, then every invariant). It restarts the local PostgreSQL and RabbitMQ, so it runs last.
# Arguments are passed to jest (e.g. a path to run one suite); with arguments, steps 4-5 are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_node_modules
bash scripts/infra.sh
bash scripts/ensure-browser.sh
bash scripts/ensure-chart-tools.sh
echo "[test] build, type-check, lint"
npm run -s build
npm run -s typecheck
npm run -s lint
echo "[test] jest: unit and integration tests"
npx jest --ci "$@"
if [[ $# -gt 0 ]]; then exit 0; fi
echo "[test] benchmark smoke run (npm run bench -- --quick)"
npm run -s bench -- --quick
echo "[test] short chaos run (npm run chaos -- --quick)"
npm run -s chaos -- --quick
