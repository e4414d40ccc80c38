#!/usr/bin/env bash
# Stops the processes scripts/up.sh started (SIGTERM: graceful shutdown, then SIGKILL after 15 s).
set -uo pipefail
cd "$(dirname "$0")/.."
quiet=${1:-}
shopt -s nullglob
for pidfile in .trx/run/*.pid; do
  app=$(basename "$pidfile" .pid); pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    [[ "$quiet" == --quiet ]] || echo "[down] stopping $app ($pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
done
