#!/usr/bin/env bash
# Makes the browser test (apps/order-service/test/management-ui.int.test.ts) able to run, and says what it changed:
#   - Debian's Chromium at /usr/bin/chromium: apt-get installed when missing (root only);
#   - the RabbitMQ management UI answering on :15672: when it does not, scripts/infra.sh is run,
#     which enables the rabbitmq_management plugin on a local broker (not duplicated here).
# It never fails the test command: when something cannot be made ready it says so, and the
# browser test skips itself with the reason.
#
# Settings (environment): TRX_INSTALL_MISSING (1: apt-get install a missing Chromium),
# TRX_MANAGEMENT_URL (http://127.0.0.1:15672).
set -uo pipefail
cd "$(dirname "$0")/.."

INSTALL_MISSING=${TRX_INSTALL_MISSING:-1}
MANAGEMENT_URL=${TRX_MANAGEMENT_URL:-http://127.0.0.1:15672}
CHROMIUM=/usr/bin/chromium

say() { printf '[browser] %s\n' "$*"; }

ensure_chromium() {
  if [[ -x "$CHROMIUM" ]]; then
    say "Chromium ok ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
    return 0
  fi
  if [[ "$INSTALL_MISSING" != 1 ]]; then
    say "Chromium is missing and TRX_INSTALL_MISSING=$INSTALL_MISSING: the browser test will be skipped"
    return 0
  fi
  if [[ $(id -u) != 0 ]]; then
    say "Chromium is missing and this script is not root (run: apt-get install chromium): the browser test will be skipped"
    return 0
  fi
  say "CHANGING the machine: installing Debian's Chromium (apt-get update && apt-get install -y chromium)"
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    say "Chromium installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
  else
    say "warning: apt-get install chromium failed: the browser test will be skipped"
  fi
}

management_answers() { curl -fsS -o /dev/null --max-time 5 "$MANAGEMENT_URL/api/overview" -u guest:guest 2>/dev/null; }

ensure_management_ui() {
  if management_answers; then
    say "RabbitMQ management UI ok ($MANAGEMENT_URL)"
    return 0
  fi
  say "RabbitMQ management UI does not answer on $MANAGEMENT_URL: running scripts/infra.sh (enables rabbitmq_management on a local broker)"
  bash scripts/infra.sh || say "warning: scripts/infra.sh failed"
  if management_answers; then
    say "RabbitMQ management UI ok ($MANAGEMENT_URL)"
  else
    say "warning: the management UI still does not answer on $MANAGEMENT_URL: the browser test will be skipped"
  fi
}

ensure_chromium
ensure_management_ui
