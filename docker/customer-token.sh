#!/usr/bin/env bash
# Prints a customer token (EdDSA JWT, 1 hour) the order-service accepts, signed with the private
# key docker/dev-secrets.sh generated:
#   curl -H "authorization: Bearer $(bash docker/customer-token.sh 1)" ...
# Arguments: customer id (default 1), private key (default docker/.generated/customer-jwt.key.pem).
# Claims follow the credentials model: sub, iss "trx", aud "trx-orders". Needs OpenSSL 3.
set -euo pipefail
customer=${1:-1}
key=${2:-$(dirname "$0")/.generated/customer-jwt.key.pem}
b64url() { base64 | tr '+/' '-_' | tr -d '=\n'; }
now=$(date +%s)
header=$(printf '{"alg":"EdDSA","typ":"JWT"}' | b64url)
payload=$(printf '{"sub":"%s","iss":"trx","aud":"trx-orders","iat":%d,"exp":%d}' "$customer" "$now" $((now + 3600)) | b64url)
# Ed25519 signs the whole message at once: pkeyutl needs it in a file, not a pipe.
data=$(mktemp)
trap 'rm -f "$data"' EXIT
printf '%s.%s' "$header" "$payload" >"$data"
signature=$(openssl pkeyutl -sign -inkey "$key" -rawin -in "$data" | b64url)
printf '%s.%s.%s\n' "$header" "$payload" "$signature"
