#!/bin/sh
# Checks that every C file of the tree follows .clang-format (part of `make test`).
# Prints the files that drift and exits non-zero; `clang-format -i FILE` mends one.
set -eu
cd "$(dirname "$0")/.."
bad=0
for f in $(git ls-files '*.c' '*.h'); do
    [ -f "$f" ] || continue
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "format: $f drifts from .clang-format (clang-format -i $f)"
        bad=1
    fi
done
exit $bad
