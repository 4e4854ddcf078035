#!/usr/bin/env bash
# Builds this fixture (a separate package on swift-protoo's products) and checks what the
# "simulate your own app" API promises: same digest per seed in any process, the CLI and the
# library agree, a broken invariant exits 1 with a reproduce line, a recorded trace replays clean
# and fails once the app renames a field, the determinism check catches a Dictionary order, serve serves.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
work="${CHAT_TOOL_WORK:-$(mktemp -d)}"
mkdir -p "$work"
rm -rf "$work/ChatTool" "$work/swift-protoo"
cp -R "$repo/Tests/Fixtures/ChatTool" "$work/ChatTool"
rm -rf "$work/ChatTool/.build"
ln -s "$repo" "$work/swift-protoo"
cd "$work/ChatTool"
swift build 2>&1 | tee build.log | tail -1
if grep -E "warning:" build.log | grep -v "/swift-protoo/\|/checkouts/" ; then echo "FAIL: the fixture builds with warnings"; exit 1; fi
mychat="$(swift build --show-bin-path)/mychat"
fail() { echo "FAIL: $*"; exit 1; }

a=$("$mychat" contract); b=$("$mychat" contract)
[ "$a" = "$b" ] || fail "contract digests differ between processes: $a / $b"
echo "ok   contract digest $a, the same in two processes"
run=(simulate --scenario chat --rooms 20 --peers-per-room 10 --duration 2m --faults heavy --json)
json=$("$mychat" "${run[@]}" --seed 7)
for key in digest peers clientRequests clientRequestErrors clientRequestTimeouts messagesByKind; do
  grep -q "\"$key\"" <<<"$json" || fail "simulate --json lacks $key"
done
grep -q "\"digest\":\"$a\"" <<<"$json" || fail "mychat simulate's digest is not the library's: $json"
echo "ok   mychat simulate --json: same digest as the library run"
other=$("$mychat" "${run[@]}" --seed 8)
grep -q "\"digest\":\"$a\"" <<<"$other" && fail "seed 8 gave seed 7's digest"
echo "ok   another seed, another digest"

set +e
"$mychat" simulate --scenario chat-broken --rooms 20 --duration 2m --seed 7 > broken.out 2> broken.err
status=$?
set -e
[ $status -eq 1 ] || fail "a broken invariant exited $status"
grep -q "at most five rooms" broken.err || fail "the failure does not name the invariant: $(cat broken.err)"
grep -q "mychat simulate --scenario chat-broken" broken.err || fail "no reproduce line: $(cat broken.err)"
echo "ok   broken invariant: exit 1 with its reproduce line"

"$mychat" simulate --scenario chat --rooms 4 --duration 1m --seed 3 --record chat.ptrace.zst > /dev/null
"$mychat" replay chat.ptrace.zst --app chat > replay.out || fail "clean replay failed: $(cat replay.out)"
echo "ok   mychat replay --app chat: $(head -1 replay.out)"
set +e
"$mychat" replay chat.ptrace.zst --app chat-renamed > renamed.out
status=$?
set -e
[ $status -eq 1 ] || fail "replay against the renamed field exited $status"
grep -q "peers" renamed.out || fail "the divergence does not name the field: $(cat renamed.out)"
echo "ok   replay fails once the app renames a field"

set +e
"$mychat" replay chat.ptrace.zst --app chat-renamed --minimize -o small.ptrace.zst > minimized.out
status=$?
set -e
[ $status -eq 1 ] || fail "replay --minimize exited $status: $(cat minimized.out)"
grep -q "diverges the same way" minimized.out || fail "replay --minimize did not say it kept the divergence: $(cat minimized.out)"
"$mychat" replay small.ptrace.zst --app chat > /dev/null || fail "the cut trace does not replay clean against the fixed app"
set +e
"$mychat" replay small.ptrace.zst --app chat-renamed > /dev/null
status=$?
set -e
[ $status -eq 1 ] || fail "the cut trace does not diverge against the renamed app (exit $status)"
echo "ok   replay --minimize: $(grep records minimized.out | xargs)"

set +e
"$mychat" simulate --scenario chat-broken --rooms 20 --duration 2m --seeds 7..7 --minimize -o broken.json > swarm.out 2> swarm.err
status=$?
set -e
[ $status -eq 1 ] || fail "a minimised swarm exited $status: $(cat swarm.out swarm.err)"
[ -f broken-seed-7.json ] || fail "no repro file for seed 7: $(cat swarm.out)"
set +e
first=$("$mychat" simulate --repro broken-seed-7.json --json 2> repro.err)
status=$?
second=$("$mychat" simulate --repro broken-seed-7.json --json 2> /dev/null)
set -e
[ $status -eq 1 ] || fail "--repro exited $status: $(cat repro.err)"
grep -q "at most five rooms" repro.err || fail "--repro broke another invariant: $(cat repro.err)"
digest() { grep -o '"digest":"[0-9a-f]*"' <<<"$1"; }
[ -n "$(digest "$first")" ] && [ "$(digest "$first")" = "$(digest "$second")" ] || fail "--repro gave different digests: $first / $second"
grep -q '"peers":6' <<<"$first" || fail "the minimal run is not six rooms of one peer: $first"
echo "ok   swarm --minimize → repro file → --repro: the same digest twice, 6 peers left"

"$mychat" simulate --scenario chat --rooms 4 --duration 1m --check-determinism > determinism.out || fail "$(cat determinism.out)"
set +e
"$mychat" simulate --scenario chat-unordered --rooms 20 --duration 1m --check-determinism > unordered.out
status=$?
set -e
[ $status -eq 1 ] || fail "the determinism check missed a Dictionary order (exit $status): $(cat unordered.out)"
grep -q "first differing event" unordered.out || fail "no differing event shown: $(cat unordered.out)"
echo "ok   --check-determinism: chat passes, a Dictionary-ordered answer is caught"

"$mychat" serve --app chat --host 127.0.0.1 --port 0 2> serve.err &
server=$!
for _ in $(seq 100); do grep -q "listening" serve.err && break; sleep 0.1; done
grep -q "listening on ws://" serve.err || { kill -TERM $server; fail "mychat serve did not listen: $(cat serve.err)"; }
echo "ok   mychat serve --app chat listens"
url=$(grep -o 'ws://[^ ]*' serve.err | head -1)
set +e
load=$("$mychat" load "$url" --scenario chat --rooms 4 --peers-per-room 5 --duration 6s --faults light --seed 7 --json 2> load.err)
status=$?
set -e
kill -TERM $server; wait $server || true
[ $status -eq 0 ] || fail "mychat load --scenario chat exited $status: $load $(cat load.err)"
grep -q '"scenario":"chat"' <<<"$load" || fail "the load did not run the tool's own scenario: $load"
grep -q '"invariantBreaks":0' <<<"$load" || fail "the load broke an invariant: $load"
grep -q '"chat":' <<<"$load" || fail "no chat notification went round: $load"
echo "ok   mychat load --scenario chat: the tool's own scenario over real sockets, exit 0"
echo "ChatTool fixture: 11 passed, 0 failed"
