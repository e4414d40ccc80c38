#!/usr/bin/env bash
# Makes the local infrastructure ready for trx and says what it changed, or what is wrong:
#   - PostgreSQL reachable, with max_prepared_transactions > 0 (participants vote with
#     PREPARE TRANSACTION; stock PostgreSQL has 0) and enough connections;
#   - RabbitMQ reachable, with its management plugin (UI on :15672) where the broker is local.
# A local server that is installed but stopped is started; one whose settings are too low is
# changed with ALTER SYSTEM and restarted, and every change is printed. A remote server is
# never changed: the script says what to change and exits non-zero.
#
# Settings (environment): TRX_PG_ADMIN_URL, TRX_AMQP_URL, TRX_MIN_PREPARED (512),
# TRX_MIN_CONNECTIONS (300), TRX_INSTALL_MISSING (1: apt-get install a missing local server).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${TRX_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
AMQP_URL=${TRX_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
MIN_PREPARED=${TRX_MIN_PREPARED:-512}
MIN_CONNECTIONS=${TRX_MIN_CONNECTIONS:-300}
INSTALL_MISSING=${TRX_INSTALL_MISSING:-1}

say() { printf '[infra] %s\n' "$*"; }
fail() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

host_of() { sed -E 's#^[a-z]+://([^@/]*@)?([^:/]+).*#\2#' <<<"$1"; }
port_of() { local p; p=$(sed -nE 's#^[a-z]+://([^@/]*@)?[^:/]+:([0-9]+).*#\2#p' <<<"$1"); echo "${p:-$2}"; }
is_local() { [[ "$1" == 127.* || "$1" == localhost || "$1" == ::1 ]]; }
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_tcp() { for _ in $(seq 1 "${3:-60}"); do tcp_open "$1" "$2" && return 0; sleep 1; done; return 1; }

apt_install() {
  [[ "$INSTALL_MISSING" == 1 ]] || fail "$1 is not installed (set TRX_INSTALL_MISSING=1 to let this script apt-get install it)"
  [[ $(id -u) == 0 ]] || fail "$1 is not installed and this script is not root: install it with apt-get"
  say "installing $* (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ---- PostgreSQL -------------------------------------------------------------------------
PG_HOST=$(host_of "$PG_URL"); PG_PORT=$(port_of "$PG_URL" 5432)
command -v psql >/dev/null || apt_install postgresql-client
local_cluster() { ls /etc/postgresql 2>/dev/null | sort -V | tail -1; }
pg_ctl_local() { pg_ctlcluster --skip-systemctl-redirect "$(local_cluster)" main "$@"; }

if ! tcp_open "$PG_HOST" "$PG_PORT"; then
  is_local "$PG_HOST" || fail "PostgreSQL at $PG_HOST:$PG_PORT is not reachable"
  [[ -n "$(local_cluster)" ]] || apt_install postgresql
  say "PostgreSQL $(local_cluster)/main is not running: starting it"
  pg_ctl_local start || true
  wait_tcp "$PG_HOST" "$PG_PORT" 60 || fail "PostgreSQL did not start on $PG_HOST:$PG_PORT"
fi

pg_setting() { psql "$PG_URL" -Atqc "SHOW $1"; }
prepared=$(pg_setting max_prepared_transactions) || fail "cannot query PostgreSQL at $PG_HOST:$PG_PORT as $(sed -E 's#^[a-z]+://([^:@/]*).*#\1#' <<<"$PG_URL")"
connections=$(pg_setting max_connections)
if (( prepared < MIN_PREPARED || connections < MIN_CONNECTIONS )); then
  want_prepared=$(( prepared > MIN_PREPARED ? prepared : MIN_PREPARED ))
  want_connections=$(( connections > MIN_CONNECTIONS ? connections : MIN_CONNECTIONS ))
  if ! is_local "$PG_HOST" || [[ -z "$(local_cluster)" ]]; then
    fail "PostgreSQL at $PG_HOST has max_prepared_transactions=$prepared, max_connections=$connections; trx needs at least $MIN_PREPARED and $MIN_CONNECTIONS. Ask its administrator to run: ALTER SYSTEM SET max_prepared_transactions = $want_prepared; ALTER SYSTEM SET max_connections = $want_connections; and restart it."
  fi
  say "CHANGING PostgreSQL $(local_cluster)/main: max_prepared_transactions $prepared -> $want_prepared, max_connections $connections -> $want_connections (ALTER SYSTEM, stored in postgresql.auto.conf), then restarting it"
  psql "$PG_URL" -qc "ALTER SYSTEM SET max_prepared_transactions = $want_prepared" -c "ALTER SYSTEM SET max_connections = $want_connections"
  pg_ctl_local restart
  wait_tcp "$PG_HOST" "$PG_PORT" 60 || fail "PostgreSQL did not come back after the restart"
  for _ in $(seq 1 30); do psql "$PG_URL" -Atqc 'select 1' >/dev/null 2>&1 && break; sleep 1; done
  prepared=$(pg_setting max_prepared_transactions)
fi
(( prepared > 0 )) || fail "PostgreSQL still has max_prepared_transactions=$prepared"
say "PostgreSQL $PG_HOST:$PG_PORT ok (max_prepared_transactions=$prepared, max_connections=$(pg_setting max_connections))"

# ---- Credentials and the roles that use them ---------------------------------------------
# Secrets are generated once into .trx/secrets.env (git-ignored, mode 600) and printed nowhere.
bash scripts/secrets.sh | sed 's/^\[secrets\]/[infra]/'
if is_local "$PG_HOST"; then
  TRX_PG_ADMIN_URL=$PG_URL bash scripts/infra/postgres-roles.sh
else
  say "PostgreSQL at $PG_HOST is not changed: its administrator creates a role per service (see docs/security.md)"
fi

# ---- RabbitMQ ---------------------------------------------------------------------------
MQ_HOST=$(host_of "$AMQP_URL"); MQ_PORT=$(port_of "$AMQP_URL" 5672)
if ! tcp_open "$MQ_HOST" "$MQ_PORT"; then
  is_local "$MQ_HOST" || fail "RabbitMQ at $MQ_HOST:$MQ_PORT is not reachable"
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  say "RabbitMQ is not running: starting it (rabbitmq-server -detached)"
  rabbitmq-server -detached || true
  wait_tcp "$MQ_HOST" "$MQ_PORT" 90 || fail "RabbitMQ did not start on $MQ_HOST:$MQ_PORT"
fi
if is_local "$MQ_HOST" && command -v rabbitmq-plugins >/dev/null; then
  if ! rabbitmq-plugins list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
    say "CHANGING RabbitMQ: enabling the rabbitmq_management plugin (UI on http://$MQ_HOST:15672, guest/guest)"
    rabbitmq-plugins enable rabbitmq_management >/dev/null
  fi
  wait_tcp "$MQ_HOST" 15672 60 || say "warning: the management UI is not answering on :15672 yet"
fi
if is_local "$MQ_HOST" && command -v rabbitmqctl >/dev/null; then
  bash scripts/infra/rabbitmq-users.sh
else
  say "RabbitMQ at $MQ_HOST is not changed: its administrator creates a user per service (see docs/security.md)"
fi
say "RabbitMQ $MQ_HOST:$MQ_PORT ok"
