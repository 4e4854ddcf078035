#!/usr/bin/env bash
# Records traces/conformance-session.ptrace.zst: `protoo serve --app conformance` behind
# `protoo proxy --record`, driven by traces/tools/conformance_session.py (pip install websockets):
# the record path a team uses for a server it cannot change. Run from the repository root.
set -euo pipefail
out=${1:-traces/conformance-session.ptrace.zst}
swift build --product protoo >/dev/null
bin=$(swift build --show-bin-path)/protoo
work=$(mktemp -d)
trap 'kill ${proxy:-} ${server:-} 2>/dev/null || true; rm -rf "$work"' EXIT
port_of() {
  for _ in $(seq 1 100); do
    p=$(sed -n 's#.*listening on ws://[^:]*:\([0-9]*\)/.*#\1#p' "$1")
    [ -n "$p" ] && { echo "$p"; return; }
    sleep 0.1
  done
  cat "$1" >&2; exit 1
}
"$bin" serve --app conformance --port 0 2>"$work/serve.log" & server=$!
upstream="ws://127.0.0.1:$(port_of "$work/serve.log")/"
"$bin" proxy --listen 127.0.0.1:0 --upstream "$upstream" --record "$out" 2>"$work/proxy.log" & proxy=$!
python3 "$(dirname "$0")/conformance_session.py" "ws://127.0.0.1:$(port_of "$work/proxy.log")/"
kill -TERM $proxy; wait $proxy || true
kill -TERM $server; wait $server || true
proxy=""; server=""
echo "recorded $out"
