#!/usr/bin/env bash
# Gives a LOCAL RabbitMQ the broker users of the trx credentials model (docs/security.md#broker):
# vhost `trx`; users trx-coordinator, trx-order, trx-account, trx-product (and trx-admin, the
# operator's) with the passwords
# of .trx/secrets.env (run scripts/secrets.sh first); permissions limited to the exchange's own
# objects; topic permissions so that only trx-coordinator may publish decision.*.
#
#   bash scripts/infra/rabbitmq-users.sh [exchange]      # default exchange: trx-events
#
# Idempotent: run it again after a password changed in .trx/secrets.env (the user's password
# is changed; connections already open stay authenticated until they reconnect), or with
# another exchange name (the chaos run's own) to add that exchange's permissions to those of
# the exchanges granted before. Prints what it changes, never a password (passwords go to
# rabbitmqctl on stdin, not on its command line).
#
# Environment: RABBITMQCTL (default `rabbitmqctl`; e.g. `docker exec -i trx-rabbitmq-1 rabbitmqctl`),
# TRX_SECRETS_FILE (.trx/secrets.env), TRX_RABBITMQ_VHOST (trx); for tests only,
# TRX_RABBITMQ_USER_SUFFIX (appended to every user name).
set -euo pipefail
cd "$(dirname "$0")/../.."

EXCHANGE=${1:-trx-events}
SECRETS=${TRX_SECRETS_FILE:-.trx/secrets.env}
VHOST=${TRX_RABBITMQ_VHOST:-trx}
SUFFIX=${TRX_RABBITMQ_USER_SUFFIX:-}
read -r -a CTL <<<"${RABBITMQCTL:-rabbitmqctl}"

say() { printf '[rabbitmq-users] %s\n' "$*"; }
fail() { printf '[rabbitmq-users] ERROR: %s\n' "$*" >&2; exit 1; }
# stdin closed: rabbitmqctl must not eat the lines a surrounding `while read` loop is reading.
ctl() { "${CTL[@]}" --quiet "$@" </dev/null; }
listing() { "${CTL[@]}" --silent "$@" --no-table-headers </dev/null; }
# The password on stdin, never on a command line (where ps would show it).
with_password() { printf '%s' "$1" | "${CTL[@]}" --quiet "${@:2}" >/dev/null 2>&1; }

[[ "$EXCHANGE" =~ ^[A-Za-z0-9._:-]+$ ]] || fail "exchange name '$EXCHANGE': letters, digits and . _ : - only"
[[ -f "$SECRETS" ]] || fail "$SECRETS is missing: run 'bash scripts/secrets.sh' first (it generates the broker passwords)"
command -v "${CTL[0]}" >/dev/null || fail "${CTL[0]} not found: this script is for a local RabbitMQ (set RABBITMQCTL otherwise)"

# The value of KEY in the secrets file, read (not sourced: the file only has to hold KEY=value).
secret() {
  local value
  value=$(sed -n "s/^$1=//p" "$SECRETS" | tail -n 1)
  value=${value%\"}; value=${value#\"}; value=${value%\'}; value=${value#\'}
  [[ -n "$value" ]] || fail "$SECRETS has no $1: run 'bash scripts/secrets.sh' (it adds what is missing)"
  printf '%s' "$value"
}

# The regex of one exchange name: its dots escaped.
quote() { sed 's/[.]/\\./g' <<<"$1"; }

# ---- vhost ------------------------------------------------------------------------------
if ! listing list_vhosts name | grep -Fxq -- "$VHOST"; then
  ctl add_vhost "$VHOST"
  say "created vhost $VHOST"
fi

# ---- exchanges: the one asked for, plus those granted before (read from trx-coordinator's permissions)
COORDINATOR="trx-coordinator$SUFFIX"
granted=$(listing list_permissions -p "$VHOST" | awk -F'\t' -v u="$COORDINATOR" '$1 == u { print $2 }' |
  sed -nE 's/^\^\(([^)]*)\).*/\1/p' | tr '|' '\n' | sed 's/\\\././g')
EXCHANGES=$(printf '%s\n%s\n' "$granted" "$EXCHANGE" | sed '/^$/d' | sort -u)
alternatives=$(while read -r e; do quote "$e"; done <<<"$EXCHANGES" | paste -sd '|' -)
say "exchanges: $(paste -sd ' ' - <<<"$EXCHANGES")"

# ---- users ------------------------------------------------------------------------------
USERS=$(listing list_users | cut -f1)
ensure_user() {
  local user=$1 password=$2
  if ! grep -Fxq -- "$user" <<<"$USERS"; then
    with_password "$password" add_user "$user" || fail "could not create user $user"
    say "created user $user"
  elif with_password "$password" authenticate_user "$user"; then
    : # password unchanged
  else
    with_password "$password" change_password "$user" || fail "could not change the password of $user"
    say "changed the password of $user (its open connections keep working until they reconnect)"
  fi
}

# configure/write/read on the exchange(s), the parking queues and what else the user declares:
# bindings need write on the queue and read on the exchange; a queue's dead-letter exchange
# and an exchange's alternate exchange need write on those exchanges.
grant() {
  local user=$1 own=$2 topic_write=$3 e
  local resources="^($alternatives)(\\.unroutable|\\.dead-letter$own)?\$"
  ctl set_permissions -p "$VHOST" "$user" "$resources" "$resources" "$resources"
  while read -r e; do
    ctl set_topic_permissions -p "$VHOST" "$user" "$e" "$topic_write" '.*'
  done <<<"$EXCHANGES"
  say "$user: configure/write/read $resources; topics write $topic_write"
}

# user            secrets key                              own queues                     may publish
while read -r user key own topic_write; do
  password=$(secret "$key")
  ensure_user "$user$SUFFIX" "$password"
  grant "$user$SUFFIX" "$own" "$topic_write"
done <<'TABLE'
trx-coordinator TRX_AMQP_PASSWORD_TRANSACTION_SERVER |\.audit|\.decisions\.[a-z0-9-]+ .*
trx-order       TRX_AMQP_PASSWORD_ORDER_SERVICE      |\.decisions\.order-service     ^order\.
trx-account     TRX_AMQP_PASSWORD_ACCOUNT_SERVICE    |\.decisions\.account-service   ^$
trx-product     TRX_AMQP_PASSWORD_PRODUCT_SERVICE    |\.decisions\.product-service   ^$
TABLE
# trx-admin: the operator's user on the vhost (management UI login, the scripts' resets of a
# run's queues). It may configure and read everything there and publish nothing: its topic
# permissions allow no routing key, so it can't forge a decision either.
ADMIN="trx-admin$SUFFIX"
ensure_user "$ADMIN" "$(secret TRX_AMQP_PASSWORD_ADMIN)"
ctl set_user_tags "$ADMIN" management
ctl set_permissions -p "$VHOST" "$ADMIN" '.*' '.*' '.*'
while read -r e; do ctl set_topic_permissions -p "$VHOST" "$ADMIN" "$e" '^$' '.*'; done <<<"$EXCHANGES"
say "$ADMIN: the vhost's operator (management UI), publishes nothing"
say "done: AMQP_URL=amqp://<user>:<password>@127.0.0.1:5672/$VHOST"
