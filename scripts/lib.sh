# Shared by scripts/*.sh: install the workspace's packages when they are missing or stale.
ensure_node_modules() {
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    # npm install keeps package-lock.json's versions and, unlike npm ci, keeps the node_modules
    # already there. The lockfile is complete (every platform's optional binaries are listed),
    # so `npm ci` works too, as the Dockerfile uses it.
    echo "[setup] installing npm packages (npm install, versions from package-lock.json)"
    npm install --no-audit --no-fund --loglevel=error
  fi
}
