#!/bin/sh
# A full room (run by tests/run-system.sh inside its private network namespace): 49
# publishers with audio and video, then the 50th participant (max_participants = 50)
# joins; it must receive packets from every one of their 98 tracks. Its subscribe
# connection then has 98 m-lines: more than the 64 the relay once took, so at 33 speakers
# a newcomer's answer was refused ("66 m-lines"); the relay's limit now follows from the
# rooms' max_participants (relay.max_mlines). The load generator's publishers receive
# nothing (they leave the server's offers unanswered), so only the newcomer gets media.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${TB_BUILD_DIR:-$here/build}
bin=${TB_BIN:-$build/telebridge}
bench=$build/tests/bench/tb-bench
port=${TB_PORT_BASE:-18980}
out=${TB_OUT_DIR:-$here/tests/e2e/out}
mkdir -p "$out"
if [ ! -x "$bench" ]; then
    echo "fullroom: $bench is missing (build the tests)"
    exit 1
fi

var=$(mktemp -d)
dlog="$out/bench-fullroom.daemon.log"
# The publishers' unanswered subscribe connections fail after relay.connect_timeout; give
# them longer than the test takes, so that nothing but the m-line limit is tested.
"$bin" serve --config "$here/configs/telebridge.ini" -o server.port="$port" \
    -o server.var_dir="$var" -o server.web_root="$here/web" --log-level info \
    -o room:bench.allow_anonymous=true -o room:bench.anonymous_role=speaker \
    -o room:bench.max_participants=50 -o relay.connect_timeout=300 \
    >"$dlog" 2>&1 &
server=$!
i=0
while ! ss -ltn | grep -q "127.0.0.1:$port " && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$bench" --server tb --port "$port" \
    --server-pid "$server" --publishers 49 --subscribers 1 --join-batch 1 \
    --warmup 2 --duration 3 --timeout 150 --expect-all-tracks \
    --scenario fullroom --json "$out/bench-fullroom.json" --clip-dir "$build/bench-clips"
rc=$?
kill -TERM "$server" 2>/dev/null
wait "$server"
src=$?
rm -rf "$var"
if [ "$rc" -eq 0 ] && [ "$src" -ne 0 ]; then
    echo "fullroom: the daemon exited with status $src"
    rc=1
fi
grep -E "m-lines|refused|bad_sdp" "$dlog" | head -5
[ "$rc" -eq 0 ] && echo "fullroom: PASS" || echo "fullroom: FAIL"
exit "$rc"
