#!/usr/bin/env bash
# Interop check: the unmodified JavaScript protoo-client library against `protoo serve --app conformance`.
#
#   Tests/Interop/run.sh PATH/TO/protoo-client     (a checkout of versatica/protoo's client/ folder)
#
# Needs Node ≥ 20 (its built-in WebSocket stands in for the `websocket` npm package) and no npm
# registry: `debug`, `retry` and `websocket` are replaced by the small stand-ins in shims/.
# The library itself is used as published; this repository does not ship it.
set -euo pipefail
client=$(cd "${1:?usage: run.sh PATH/TO/protoo-client}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true' EXIT
mkdir -p "$work/node_modules"
cp -r "$here/shims/." "$work/node_modules/"
cp "$here/protoo-client-interop.js" "$work/"
(cd "$root" && swift build --product protoo >/dev/null)
bin=$(cd "$root" && swift build --show-bin-path)/protoo
"$bin" serve --app conformance --port 0 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do
  port=$(sed -n 's#.*listening on ws://[^:]*:\([0-9]*\)/.*#\1#p' "$work/serve.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log"; exit 1; }
cd "$work"
PROTOO_CLIENT_DIR="$client" NODE_PATH="$work/node_modules" node --no-warnings --experimental-websocket protoo-client-interop.js "$port"
