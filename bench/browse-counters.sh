#!/usr/bin/env bash
# Browse of 1,000 children on the old engine and the new one, with the server's counters per
# Browse (perf stat: instructions, page faults, context switches, CPU time; strace: system
# calls, write and mmap sizes): bench/browse_counters.py. Uses what bench/engine-vs-old.sh
# built and generated (bench/engine-built.sh).
#
# Usage: REPS=200 STRACE_REPS=20 bench/browse-counters.sh    (needs perf and strace)
set -euo pipefail
command -v perf >/dev/null || { echo "needs perf" >&2; exit 1; }
command -v strace >/dev/null || { echo "needs strace" >&2; exit 1; }
source "$(dirname "$0")/engine-built.sh"
exec unshare -rn sh -c 'ip link set lo up && ip route add 239.0.0.0/8 dev lo && exec "$@"' sh \
    python3 "$root/bench/browse_counters.py" "$old_target/release/rill" \
    "$new_target/release/rill" "$lib" "$bench/engine/browse"
