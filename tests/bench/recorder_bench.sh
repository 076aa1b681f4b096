#!/bin/sh
# Recorder benchmark (issue "Record sessions to disk and publish them"): the recorder's
# CPU per recorded participant (1 Mbit/s VP8 + Opus each, no transcoding) and the speed
# of compositions (x real time) for 2 and 9 participants, with both encoder pairs.
# Prints figures, never fails on speed; not part of `make test`. Everything stays on
# 127.0.0.1. Run it on an otherwise idle machine.
#
#   tests/bench/recorder_bench.sh [BUILD_DIR] [--participants 1,2,9] [--seconds 20] [--keep]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
case "$build" in /*) ;; *) build="$here/$build" ;; esac
if [ ! -x "$build/telebridge-recorder" ]; then
    echo "recorder_bench: $build/telebridge-recorder is missing; build first (make build)" >&2
    exit 2
fi
exec /usr/bin/python3 "$here/tests/bench/recorder_bench.py" "$build" "$@"
