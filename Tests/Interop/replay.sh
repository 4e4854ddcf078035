#!/usr/bin/env bash
# Record → replay → load against a protoo server you point it at (the JavaScript protoo-server of
# mediasoup-demo, say): the proof `swift test` runs against `protoo serve --app conformance`
# (Tests/ProtooProxyTests, Tests/ProtooLiveReplayTests), for a server CI cannot run.
#
#   Tests/Interop/replay.sh ws://HOST:PORT/ [--candidate ws://HOST2:PORT2/] [-- DRIVER ARGS…]
#
# 1. starts `protoo proxy --upstream URL --record` on a free port;
# 2. runs the driver against the proxy: by default traces/tools/conformance_session.py (for a server
#    running the conformance app), else DRIVER ARGS… with the proxy's
#    URL appended (your own client, a browser test, …);
# 3. prints `protoo trace info` of the recording;
# 4. replays it live against URL (the server it was recorded from: must pass) and, with
#    --candidate, against another server (a new version: a divergence names the path);
# 5. runs `protoo load URL --trace … --copies 5` (every divergence listed, grouped by method and path).
#
# Needs python3 with `websockets` for the default driver. Exits non-zero when a replay diverges.
set -euo pipefail
upstream=${1:?usage: replay.sh ws://HOST:PORT/ [--candidate ws://…] [-- DRIVER ARGS…]}
shift
candidate=""
driver=()
while [ $# -gt 0 ]; do
  case "$1" in
    --candidate) candidate=$2; shift 2 ;;
    --) shift; driver=("$@"); break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${proxy:-}" ] && kill "$proxy" 2>/dev/null || true' EXIT
(cd "$root" && swift build --product protoo >/dev/null)
bin=$(cd "$root" && swift build --show-bin-path)/protoo
trace="$work/recorded.ptrace.zst"

"$bin" proxy --listen 127.0.0.1:0 --upstream "$upstream" --record "$trace" 2>"$work/proxy.log" &
proxy=$!
for _ in $(seq 1 100); do
  port=$(sed -n 's#.*listening on ws://[^:]*:\([0-9]*\)/.*#\1#p' "$work/proxy.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/proxy.log"; exit 1; }
through="ws://127.0.0.1:$port/"
echo "== recording through $through → $upstream"
if [ ${#driver[@]} -eq 0 ]; then
  python3 "$root/traces/tools/conformance_session.py" "$through"
else
  "${driver[@]}" "$through"
fi
kill -TERM "$proxy"; wait "$proxy" || true; proxy=""

echo "== the recording"
"$bin" trace info "$trace"
echo "== live replay against the server it was recorded from"
"$bin" replay "$trace" --target "$upstream" --speed max
if [ -n "$candidate" ]; then
  echo "== live replay against the candidate"
  "$bin" replay "$trace" --target "$candidate" --speed max
fi
echo "== load: 5 copies of the recording"
"$bin" load "$upstream" --trace "$trace" --copies 5
