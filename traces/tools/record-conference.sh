#!/usr/bin/env bash
# Records traces/conference-room.ptrace.zst: `protoo serve --app conference` over real WebSockets,
# driven by browser-like Python clients (pip install websockets). Run from the repository root.
set -euo pipefail
out=${1:-traces/conference-room.ptrace.zst}
swift build --product protoo >/dev/null
bin=$(swift build --show-bin-path)/protoo
log=$(mktemp)
"$bin" serve --app conference --port 0 --record "$out" 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  port=$(sed -n 's#.*listening on ws://[^:]*:\([0-9]*\)/.*#\1#p' "$log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$log"; echo "server did not start" >&2; exit 1; }
python3 "$(dirname "$0")/conference_clients.py" "ws://127.0.0.1:$port" demo 5 20
kill -TERM $server
wait $server || true
trap - EXIT
echo "recorded $out"
