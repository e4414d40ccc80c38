#!/usr/bin/env bash
# Makes the chart and monitoring tests (k8s/test/chart-render.test.ts, k8s/test/monitoring.test.ts)
# able to run, and says what it changed:
#   - Go and sprig (Debian's golang-go, golang-github-masterminds-sprig-dev and the YAML
#     libraries) for the chart renderer under k8s/test/render, which builds offline in GOPATH mode;
#   - promtool (Debian's prometheus package) for `promtool test rules`.
# apt-get installs what is missing (root only). It never fails the test command: when something
# cannot be installed it says so, and the tests that need it skip themselves with the reason.
# helm is not installed here (not a Debian package); the tests use it when it is on the PATH.
#
# Settings (environment): TRX_INSTALL_MISSING (1: apt-get install what is missing).
set -uo pipefail
cd "$(dirname "$0")/.."

INSTALL_MISSING=${TRX_INSTALL_MISSING:-1}
GOCODE=/usr/share/gocode/src

say() { printf '[chart-tools] %s\n' "$*"; }

missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
[[ -d $GOCODE/github.com/Masterminds/sprig ]] || missing+=(golang-github-masterminds-sprig-dev)
[[ -d $GOCODE/gopkg.in/yaml.v2 ]] || missing+=(golang-gopkg-yaml.v2-dev)
[[ -d $GOCODE/gopkg.in/yaml.v3 ]] || missing+=(golang-gopkg-yaml.v3-dev)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)

if [[ ${#missing[@]} -eq 0 ]]; then
  say "ok: $(go version), sprig, $(promtool --version 2>&1 | head -1)"
  exit 0
fi
if [[ "$INSTALL_MISSING" != 1 ]]; then
  say "missing ${missing[*]} and TRX_INSTALL_MISSING=$INSTALL_MISSING: the chart render / promtool tests will be skipped"
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  say "missing ${missing[*]} and this script is not root (run: apt-get install ${missing[*]}): those tests will be skipped"
  exit 0
fi
say "CHANGING the machine: apt-get install ${missing[*]}"
# --no-install-recommends: promtool comes with the prometheus package; nothing else is wanted.
if DEBIAN_FRONTEND=noninteractive apt-get update -qq \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  say "installed ${missing[*]}"
else
  say "warning: apt-get install ${missing[*]} failed: the tests that need them will be skipped"
fi
