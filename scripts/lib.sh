# Shared by scripts/*.sh: install the workspace's packages when they are missing or stale.
ensure_node_modules() {
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "[setup] installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}
