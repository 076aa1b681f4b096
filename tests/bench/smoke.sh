#!/bin/sh
# CI smoke run of the load generator (run by tests/run-system.sh inside its private network
# namespace): our daemon, 1 publisher → 5 subscribers for a few seconds; fails unless every
# subscriber receives media with no loss. Prints figures but never judges speed. A second
# pass runs two media workers with every subscriber placed away from the room's home worker
# (relay.spread_busy_percent=0), so packets cross between workers (relay/inbox.c), and
# with ICE lite (relay.ice_lite=true) where the first pass has the default, full ICE.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${TB_BUILD_DIR:-$here/build}
bin=${TB_BIN:-$build/telebridge}
bench=$build/tests/bench/tb-bench
port=${TB_PORT_BASE:-18980}
out=${TB_OUT_DIR:-$here/tests/e2e/out}
mkdir -p "$out"
if [ ! -x "$bench" ]; then
    echo "smoke: $bench is missing (build the tests)"
    exit 1
fi

# run_pass NAME [daemon options...]; the daemon's log goes to $out/bench-NAME.daemon.log
run_pass() {
    name=$1
    shift
    var=$(mktemp -d)
    dlog="$out/bench-$name.daemon.log"
    "$bin" serve --config "$here/configs/telebridge.ini" -o server.port="$port" \
        -o server.var_dir="$var" -o server.web_root="$here/web" --log-level info \
        -o room:bench.allow_anonymous=true -o room:bench.anonymous_role=speaker "$@" \
        >"$dlog" 2>&1 &
    server=$!
    i=0
    while ! ss -ltn | grep -q "127.0.0.1:$port " && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$bench" --server tb --port "$port" \
        --server-pid "$server" --publishers 1 --subscribers 5 \
        --join-batch 5 --warmup 1 --duration 3 --timeout 90 --expect-media \
        --scenario "$name" --json "$out/bench-$name.json" --clip-dir "$build/bench-clips"
    prc=$?
    kill -TERM "$server" 2>/dev/null
    wait "$server"
    src=$?
    rm -rf "$var"
    if [ "$prc" -eq 0 ] && [ "$src" -ne 0 ]; then
        echo "smoke: $name: the daemon exited with status $src"
        prc=1
    fi
    return "$prc"
}

rc=0
run_pass smoke || rc=1
run_pass smoke-spread -o relay.workers=2 -o relay.spread_busy_percent=0 -o relay.ice_lite=true || rc=1
# Media alone would also flow if every subscriber had stayed on the home worker.
away=$(grep -c "on media worker 1 (the room's home worker is 0)" "$out/bench-smoke-spread.daemon.log")
if [ "$away" -lt 2 ]; then
    echo "smoke: smoke-spread: $away subscriber(s) placed away from the home worker, expected >= 2"
    rc=1
fi
[ "$rc" -eq 0 ] && echo "smoke: PASS" || echo "smoke: FAIL"
exit "$rc"
