#!/usr/bin/env bash
# The README's first command: brings trx up on this machine — installs the npm packages,
# makes PostgreSQL and RabbitMQ ready (scripts/infra.sh says what it changes), builds, and
# starts the transaction-server and the order, account and product services as background
# processes (logs in .trx/logs, pids in .trx/run). Running it again restarts them.
# Each app runs with credentials of its own, generated into .trx/secrets.env by infra.sh: its
# Postgres role, its RabbitMQ user, its service token; customers need a token (npm run token).
# Stop with: bash scripts/down.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_node_modules
bash scripts/infra.sh
echo "[up] building"
npm run -s build

mkdir -p .trx/logs .trx/run
bash scripts/down.sh --quiet

# name:port — the transaction-server first: the participants ask it about their branches on start.
APPS=(transaction-server:8888 product-service:8082 account-service:8081 order-service:8080)
credentials() { node --conditions=trx-source -r ts-node/register/transpile-only scripts/local/credentials.ts "$@"; }
for entry in "${APPS[@]}"; do
  app=${entry%%:*}
  echo "[up] starting $app (log: .trx/logs/$app.log)"
  app_env=$(credentials env "$app")
  # In a subshell: each app sees its own credentials only.
  (eval "$app_env"; exec nohup node "apps/$app/dist/main.js" >>".trx/logs/$app.log" 2>&1) &
  echo $! >".trx/run/$app.pid"
done

wait_ready() {
  local app=$1 port=$2
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(cat ".trx/run/$app.pid")" 2>/dev/null; then
      echo "[up] ERROR: $app exited; the end of .trx/logs/$app.log:" >&2
      tail -n 20 ".trx/logs/$app.log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "[up] ERROR: $app is not ready on :$port after 60 s; see .trx/logs/$app.log" >&2
  curl -sS "http://127.0.0.1:$port/health/ready" >&2 || true
  return 1
}
for entry in "${APPS[@]}"; do wait_ready "${entry%%:*}" "${entry##*:}"; done

token=$(credentials token 1)
cat <<TXT

trx is up, every call authenticated (secrets: .trx/secrets.env; docs/security.md).
  order-service        http://127.0.0.1:8080   (POST /orders, GET /orders/{id})
  account-service      http://127.0.0.1:8081   (GET /accounts?customerId=1: order-service or operator token)
  product-service      http://127.0.0.1:8082   (GET /products)
  transaction-server   http://127.0.0.1:8888   (GET /v1/transactions with a service or operator token; /openapi.json)
  RabbitMQ management  http://127.0.0.1:15672  (user trx-admin, password: npm run -s secret -- TRX_AMQP_PASSWORD_ADMIN;
                                               vhost trx: exchange trx-events, queue trx-events.audit)

Place an order as customer 1 (a token for another customer: npm run -s token -- <customerId>):
  curl -s -X POST http://127.0.0.1:8080/orders -H 'content-type: application/json' \\
       -H 'authorization: Bearer $token' \\
       -d '{"customerId":1,"productId":1,"quantity":2}'

Stop everything: bash scripts/down.sh
TXT
