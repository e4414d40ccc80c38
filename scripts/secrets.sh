#!/usr/bin/env bash
# Generates what is missing of the local secrets (.trx/secrets.env, mode 600, git-ignored, and the
# customer signing key .trx/customer-jwt.*.pem); never replaces one and prints none.
# Rotate one: delete its line from .trx/secrets.env, run this, then scripts/infra.sh and restart.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --conditions=trx-source -r ts-node/register/transpile-only scripts/local/credentials.ts generate
