# Sourced by the scripts that count what each engine does per request (browse-counters.sh,
# request-counters.sh): takes what bench/engine-vs-old.sh built and generated (run that first),
# the old build in $OLD_TARGET and the library in $BENCH_DIR/engine/lib-100, rebuilds the new
# engine into $CARGO_TARGET_DIR and prints the commit line. Sets root, bench, new_target,
# old_target and lib.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=${BENCH_DIR:-/tmp/rill-bench}
new_target=${CARGO_TARGET_DIR:-$root/target}
old_target=${OLD_TARGET:-$bench/old-target}
lib=$bench/engine/lib-${BIG_MB:-100}
[ -f "$lib/.done" ] && [ -x "$old_target/release/rill" ] ||
    { echo "run bench/engine-vs-old.sh first (library and old build)" >&2; exit 1; }
(cd "$root" && CARGO_TARGET_DIR=$new_target nice -n 10 cargo build -q --release --locked -p rill)
echo "commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ' (with changes)'), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
