#!/usr/bin/env bash
# Per request, what the server did, old engine against new: CPU time, time waiting for a CPU,
# time slices, page faults and threads that ran, read from /proc around each Browse, time seek
# and byte seek, and the system calls per request (strace -f -c): bench/request_counters.py.
# Counters that the machine's load does not change, for the requests whose wall-clock tails
# bench/engine-vs-old.sh compares. Uses what bench/engine-vs-old.sh built and generated
# (bench/engine-built.sh).
#
# Usage: REPS=200 STRACE_REPS=50 bench/request-counters.sh    (needs strace)
set -euo pipefail
command -v strace >/dev/null || { echo "needs strace" >&2; exit 1; }
source "$(dirname "$0")/engine-built.sh"
exec unshare -rn sh -c 'ip link set lo up && ip route add 239.0.0.0/8 dev lo && exec "$@"' sh \
    python3 "$root/bench/request_counters.py" "$old_target/release/rill" \
    "$new_target/release/rill" "$lib" "$bench/engine/requests"
