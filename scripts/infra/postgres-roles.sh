#!/usr/bin/env bash
# A Postgres role per service, each owning its own database only (scripts/infra.sh runs this):
#   trx_coordinator, trx_order, trx_account, trx_product — LOGIN, NOSUPERUSER, NOCREATEDB,
#   NOCREATEROLE, with the password from .trx/secrets.env; database <role> OWNER <role>, CONNECT
#   revoked from PUBLIC. A role may COMMIT PREPARED only what it prepared itself, so one service's
#   credentials can't finish another's branches (a superuser could).
# Idempotent: an existing role gets its password set again, an existing database (from before the
# roles) is handed to its role with everything in it.
# Usage: postgres-roles.sh [extra-database:role ...]   (e.g. the chaos run's chaos_x_account:trx_account)
set -euo pipefail
cd "$(dirname "$0")/../.."
PG_URL=${TRX_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
say() { printf '[infra] %s\n' "$*"; }
secret() { node --conditions=trx-source -r ts-node/register/transpile-only scripts/local/credentials.ts get "$1"; }
psql_admin() { psql "$PG_URL" -v ON_ERROR_STOP=1 -Atq "$@"; }

declare -A KEY_OF=([trx_coordinator]=TRANSACTION_SERVER [trx_order]=ORDER_SERVICE [trx_account]=ACCOUNT_SERVICE [trx_product]=PRODUCT_SERVICE)
databases=(trx_coordinator:trx_coordinator trx_order:trx_order trx_account:trx_account trx_product:trx_product "$@")

for role in "${!KEY_OF[@]}"; do
  password=$(secret "TRX_PG_PASSWORD_${KEY_OF[$role]}")
  exists=$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$role'")
  verb=$([[ "$exists" == 1 ]] && echo ALTER || echo CREATE)
  [[ "$exists" == 1 ]] || say "CHANGING PostgreSQL: creating role $role (not a superuser)"
  # The password goes in on stdin, so it is in no process list; -v quoting escapes it.
  psql_admin -v pw="$password" <<SQL
$verb ROLE $role LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'pw';
SQL
done

for entry in "${databases[@]}"; do
  db=${entry%%:*}; role=${entry##*:}
  if [[ $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'") != 1 ]]; then
    say "CHANGING PostgreSQL: creating database $db owned by $role"
    psql_admin -c "CREATE DATABASE \"$db\" OWNER $role"
  elif [[ $(psql_admin -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$db'") != "$role" ]]; then
    say "CHANGING PostgreSQL: database $db (made before the roles) now belongs to $role, with its tables"
    psql_admin -c "ALTER DATABASE \"$db\" OWNER TO $role"
    psql "${PG_URL%/*}/$db" -v ON_ERROR_STOP=1 -Atq -v role="$role" <<'SQL'
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END,
              c.oid::regclass, :'role')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v')
   -- a sequence that belongs to a column moves with its table
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, :'role')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public'
\gexec
SQL
  fi
  psql_admin -c "REVOKE CONNECT ON DATABASE \"$db\" FROM PUBLIC"
done
say "PostgreSQL roles ok: ${!KEY_OF[*]} (each owns its database only)"
