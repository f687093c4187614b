#!/usr/bin/env bash
# Per request, what the server did, old engine against new: CPU time, time waiting for a CPU,
# time slices, page faults and threads that ran, read from /proc around each Browse, time seek
# and byte seek, and the system calls per request (strace -f -c): bench/request_counters.py.
# Counters that the machine's load does not change, for the requests whose wall-clock tails
# bench/engine-vs-old.sh compares. Uses what bench/engine-vs-old.sh built and generated (run
# that first): the old build in $OLD_TARGET, the new one in $CARGO_TARGET_DIR (rebuilt here),
# the library in $BENCH_DIR/engine/lib-100.
#
# Usage: REPS=200 STRACE_REPS=50 bench/request-counters.sh    (needs strace)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH_DIR:-/tmp/rill-bench}
new_target=${CARGO_TARGET_DIR:-$root/target}
old_target=${OLD_TARGET:-$bench/old-target}
lib=$bench/engine/lib-${BIG_MB:-100}
command -v strace >/dev/null || { echo "needs strace" >&2; exit 1; }
[ -f "$lib/.done" ] && [ -x "$old_target/release/rill" ] ||
    { echo "run bench/engine-vs-old.sh first (library and old build)" >&2; exit 1; }
(cd "$root" && CARGO_TARGET_DIR=$new_target nice -n 10 cargo build -q --release --locked -p rill)
echo "commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ' (with changes)'), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
exec unshare -rn sh -c 'ip link set lo up && ip route add 239.0.0.0/8 dev lo && exec "$@"' sh \
    python3 "$root/bench/request_counters.py" "$old_target/release/rill" \
    "$new_target/release/rill" "$lib" "$bench/engine/requests"
