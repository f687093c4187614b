#!/usr/bin/env bash
# The library at scale (issue 17): first scan, memory, Browse, then a restart on the index and
# Browse during Rill's background check, of Rill beside MiniDLNA, or Rill alone at a million
# files, on a generated tagged FLAC library (rill_tests::library_gen), loopback only.
# (bench/library_scale.py says what is measured and how.)
# Usage: bench/library-scale.sh [N_FILES] [nested|flat]   (default 100000 nested; both servers)
#        ONLY=rill bench/library-scale.sh 1000000         (Rill alone: index time, memory,
#                                                          index size, Browse median and p99,
#                                                          restart and background check)
# Everything runs inside a private network namespace (unshare -rn) holding only a loopback
# interface, so neither server can announce itself beyond this machine. The library is made
# once under $BENCH_DIR (default /tmp/rill-scale) and kept for later runs.
# RILL_BENCH_NS marks the script's own re-execution inside the namespace: set by hand, it skips
# the build and runs whatever release/rill the target directory already holds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100000}
layout=${2:-nested}
work=${BENCH_DIR:-/tmp/rill-scale}
lib=$work/lib-$layout-$n
target=${CARGO_TARGET_DIR:-$root/target}
if [ -z "${RILL_BENCH_NS:-}" ]; then
    [ "${ONLY:-}" = rill ] || command -v minidlnad >/dev/null \
        || { echo "needs minidlna: apt-get install minidlna" >&2; exit 1; }
    cargo build --release -q -p rill --manifest-path "$root/Cargo.toml"
    # The generator's time is the file system's: a debug build (shared with the tests) will do.
    cargo build -q -p rill-tests --bin library-gen --manifest-path "$root/Cargo.toml"
    if [ ! -f "$lib/.done" ]; then
        rm -rf "$lib"
        "$target/debug/library-gen" "$lib" "$n" "$layout"
        touch "$lib/.done"
    fi
    exec unshare -rn env RILL_BENCH_NS=1 "$0" "$@"
fi
ip link set lo up
ip route add 239.0.0.0/8 dev lo
exec python3 "$root/bench/library_scale.py" "$target/release/rill" "$lib" "$work/run" "$n"
