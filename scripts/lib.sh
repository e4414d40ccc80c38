# Shared by scripts/*.sh: install the workspace's packages when they are missing or stale.
ensure_node_modules() {
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    # npm install keeps package-lock.json's versions. npm ci would refuse the lockfile: our
    # registry serves only this platform's optional binaries, so the lockfile lacks the others.
    echo "[setup] installing npm packages (npm install, versions from package-lock.json)"
    npm install --no-audit --no-fund --loglevel=error
  fi
}
