#!/usr/bin/env bash
# Generates the development credentials of docker/compose.yaml, never committed (git-ignored):
#   docker/.env                                  compose reads it: passwords, tokens, digests
#   docker/.generated/rabbitmq-definitions.json  broker users, vhost trx, permissions
#   docker/.generated/customer-jwt.{key,pub}.pem Ed25519 key pair for customer tokens
# Idempotent: keeps what exists and generates only what is missing (delete docker/.env and
# docker/.generated to start over; the postgres and rabbitmq volumes keep the old passwords,
# so `docker compose -f docker/compose.yaml down -v` too). Needs bash and openssl only.
# Variable names are those of the credentials model (scripts/secrets.sh writes the same for
# the local stack).
set -euo pipefail
cd "$(dirname "$0")"
umask 077
ENV_FILE=.env
OUT=.generated
mkdir -p "$OUT"
touch "$ENV_FILE"

random() { openssl rand 32 | base64 | tr '+/' '-_' | tr -d '=\n'; }
has() { grep -q "^$1=" "$ENV_FILE"; }
value() { sed -n "s/^$1=//p" "$ENV_FILE" | head -1; }
add() { has "$1" || printf '%s=%s\n' "$1" "$2" >>"$ENV_FILE"; }
digest() { printf '%s' "$(value "$1")" | sha256sum | cut -d' ' -f1; }

APPS=(TRANSACTION_SERVER ORDER_SERVICE ACCOUNT_SERVICE PRODUCT_SERVICE)
for app in "${APPS[@]}" OPERATOR; do add "TRX_TOKEN_$app" "$(random)"; done
for app in "${APPS[@]}"; do
  add "TRX_PG_PASSWORD_$app" "$(random)"
  add "TRX_AMQP_PASSWORD_$app" "$(random)"
done
add TRX_PG_SUPERUSER_PASSWORD "$(random)"
add TRX_AMQP_ADMIN_PASSWORD "$(random)"

# Every app knows every identity (digests only, never another app's token); each route decides
# who may call it, so a known caller a route does not allow gets 403, not 401.
callers() {
  local out=() id
  for id in "$@"; do
    local var=TRX_TOKEN_$(tr 'a-z-' 'A-Z_' <<<"$id")
    out+=("$id:$(digest "$var")")
  done
  (IFS=,; echo "${out[*]}")
}
sed -i '/^TRX_TRUSTED_CALLERS_/d' "$ENV_FILE"
for app in "${APPS[@]}"; do
  add "TRX_TRUSTED_CALLERS_$app" \
    "$(callers transaction-server order-service account-service product-service operator)"
done

if [[ ! -f $OUT/customer-jwt.key.pem ]]; then
  openssl genpkey -algorithm ed25519 -out "$OUT/customer-jwt.key.pem"
  openssl pkey -in "$OUT/customer-jwt.key.pem" -pubout -out "$OUT/customer-jwt.pub.pem"
fi
# One line in .env: compose turns \n back into newlines inside double quotes.
sed -i '/^TRX_CUSTOMER_JWT_PUBLIC_KEY=/d' "$ENV_FILE"
printf 'TRX_CUSTOMER_JWT_PUBLIC_KEY="%s"\n' "$(awk '{printf "%s\\n", $0}' "$OUT/customer-jwt.pub.pem")" >>"$ENV_FILE"

# RabbitMQ stores salted SHA-256 hashes: base64(salt || sha256(salt || password)).
rabbit_hash() {
  local tmp
  tmp=$(mktemp -d)
  openssl rand 4 >"$tmp/salt"
  { cat "$tmp/salt"; printf '%s' "$1"; } | openssl dgst -sha256 -binary >"$tmp/hash"
  cat "$tmp/salt" "$tmp/hash" | base64 | tr -d '\n'
  rm -rf "$tmp"
}
user() { # name password tags
  printf '{"name":"%s","password_hash":"%s","hashing_algorithm":"rabbit_password_hashing_sha256","tags":[%s]}' \
    "$1" "$(rabbit_hash "$2")" "$3"
}
perm() { printf '{"user":"%s","vhost":"trx","configure":".*","write":".*","read":".*"}' "$1"; }
# Only the coordinator may publish decision.* to the exchange.
topic() { printf '{"user":"%s","vhost":"trx","exchange":"trx-events","write":"%s","read":".*"}' "$1" "$2"; }
cat >"$OUT/rabbitmq-definitions.json" <<JSON
{
  "vhosts": [{ "name": "trx" }],
  "users": [
    $(user trx-admin "$(value TRX_AMQP_ADMIN_PASSWORD)" '"administrator"'),
    $(user trx-coordinator "$(value TRX_AMQP_PASSWORD_TRANSACTION_SERVER)" ''),
    $(user trx-order "$(value TRX_AMQP_PASSWORD_ORDER_SERVICE)" ''),
    $(user trx-account "$(value TRX_AMQP_PASSWORD_ACCOUNT_SERVICE)" ''),
    $(user trx-product "$(value TRX_AMQP_PASSWORD_PRODUCT_SERVICE)" '')
  ],
  "permissions": [
    $(perm trx-admin), $(perm trx-coordinator), $(perm trx-order), $(perm trx-account), $(perm trx-product)
  ],
  "topic_permissions": [
    $(topic trx-coordinator '.*'),
    $(topic trx-order '^(?!decision\\.).*'),
    $(topic trx-account '^(?!decision\\.).*'),
    $(topic trx-product '^(?!decision\\.).*')
  ]
}
JSON
chmod 644 "$OUT/rabbitmq-definitions.json" "$OUT/customer-jwt.pub.pem"
echo "[dev-secrets] docker/.env and docker/.generated/ are ready (management UI: trx-admin, password TRX_AMQP_ADMIN_PASSWORD in docker/.env)"
