#!/bin/bash
# Runs once, when the postgres volume is first initialised (as the superuser): a role per app,
# not superuser, owning its own database only, with the password docker/dev-secrets.sh
# generated (passed in as TRX_PG_PASSWORD_*). The apps never get the superuser.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v pw_coordinator="${TRX_PG_PASSWORD_TRANSACTION_SERVER:?}" \
  -v pw_order="${TRX_PG_PASSWORD_ORDER_SERVICE:?}" \
  -v pw_account="${TRX_PG_PASSWORD_ACCOUNT_SERVICE:?}" \
  -v pw_product="${TRX_PG_PASSWORD_PRODUCT_SERVICE:?}" <<'SQL'
CREATE ROLE trx_coordinator LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw_coordinator';
CREATE ROLE trx_order LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw_order';
CREATE ROLE trx_account LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw_account';
CREATE ROLE trx_product LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw_product';
CREATE DATABASE trx_coordinator OWNER trx_coordinator;
CREATE DATABASE trx_order OWNER trx_order;
CREATE DATABASE trx_account OWNER trx_account;
CREATE DATABASE trx_product OWNER trx_product;
REVOKE CONNECT ON DATABASE trx_coordinator, trx_order, trx_account, trx_product FROM PUBLIC;
SQL
