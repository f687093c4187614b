#!/usr/bin/env bash
# The old HTTP connection engine against the new one (issue 16), side by side in one script,
# with an A/A control: two copies of each binary run at once and every request figure is taken
# of all four in strict alternation, so each new/old ratio comes with the spread between two
# copies of the same binary measured in the same run (bench/engine_vs_old.py says how). The
# figures: Browse of a 1,000-item container, file streaming, time to first byte after time and
# byte seeks into an L16 rendition, and the 200-client load (tests/benches/load.rs, its L16 and
# file-range phases; run old, new, new, old: a binary's two runs are its two copies). Prints each
# figure for every copy, the ratio new/old, the A/A range and a verdict per figure.
#
# Usage: bench/engine-vs-old.sh
#   OLD=<rev>        the old engine (default 799e6d2, the parent of the commit that made the HTTP
#                    connection a sans-IO state machine; checked below)
#   BIG_MB=100       size of the streamed file      REPS=30   Browse and seek requests per copy
#   ROUNDS=4         rounds the requests are split into (odd ones in reverse order)
#   GETS=3           whole-file GETs per copy       LOAD_CLIENTS=200, LOAD_SECS=8   the load
#   BENCH_DIR        where the library, the old source, the old build and the runs go
#                    (default /tmp/rill-bench)
#   OLD_TARGET       the old engine's target dir, kept between runs (default
#                    $BENCH_DIR/old-target)
# With REPS=1000 the requests take about 3 minutes on an idle 2-core machine, the load (8 s
# phases) a minute and a half more.
# Builds both in release (nice -n 10): the current tree into $CARGO_TARGET_DIR (default target/),
# the old one, from `git archive`, into $OLD_TARGET (seeded once with the new build's
# dependencies, which the old Cargo.lock mostly shares). The old build is kept there with the
# revision it was built from, so a re-run only builds the current tree (delete $OLD_TARGET to
# build the old one afresh). Needs vorbis-tools and ffmpeg. All servers run inside a private
# network namespace (unshare -rn) holding only loopback. The figures are printed as a table
# and again as Markdown rows for BENCHMARKS.md, after the commit and the load average.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old_rev=${OLD:-799e6d2}
bench=${BENCH_DIR:-/tmp/rill-bench}
work=$bench/engine
new_target=${CARGO_TARGET_DIR:-$root/target}
old_target=${OLD_TARGET:-$bench/old-target}
lib=$work/lib-${BIG_MB:-100}
command -v oggenc >/dev/null || { echo "needs vorbis-tools" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "needs ffmpeg" >&2; exit 1; }

# The old engine is the parent of the commit that brought the sans-IO connection.
engine=$(git -C "$root" log --no-merges --format=%H --grep='HTTP connection as a sans-IO state machine' |
    tail -1)
if [ -n "$engine" ] && [ "$(git -C "$root" rev-parse "$engine^")" != "$(git -C "$root" rev-parse "$old_rev^{commit}")" ]; then
    echo "note: $old_rev is not the parent of $engine (the sans-IO engine)" >&2
fi

echo "building the new engine ($(git -C "$root" rev-parse --short HEAD), release) ..." >&2
(cd "$root" && CARGO_TARGET_DIR=$new_target nice -n 10 cargo build -q --release --locked -p rill)
load_exe=$(cd "$root" && CARGO_TARGET_DIR=$new_target nice -n 10 cargo bench --locked -p rill-tests \
    --bench load --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)
[ -x "$load_exe" ] || { echo "no load bench executable found" >&2; exit 1; }

src=$work/old-src
if [ "$(cat "$src/.rev" 2>/dev/null)" != "$old_rev" ]; then
    rm -rf "$src"
    mkdir -p "$src"
    git -C "$root" archive "$old_rev" | tar -x -C "$src"
    echo "$old_rev" >"$src/.rev"
fi
if [ -x "$old_target/release/rill" ] && [ "$(cat "$old_target/.rev" 2>/dev/null)" = "$old_rev" ]; then
    echo "the old engine ($old_rev) is built already, in $old_target" >&2
else
    if [ ! -d "$old_target/release" ]; then
        mkdir -p "$old_target/release"
        cp -a --reflink=auto "$new_target/release/deps" "$new_target/release/build" \
            "$new_target/release/.fingerprint" "$old_target/release/"
    fi
    echo "building the old engine ($old_rev, release) into $old_target ..." >&2
    (cd "$src" && CARGO_TARGET_DIR=$old_target nice -n 10 cargo build -q --release --locked -p rill)
    echo "$old_rev" >"$old_target/.rev"
fi

if [ ! -f "$lib/.done" ]; then
    echo "generating the library in $lib ..." >&2
    rm -rf "$lib"
    mkdir -p "$lib/all" "$lib/big" "$lib/seek"
    ffmpeg -loglevel error -f lavfi -i "sine=frequency=440:duration=1" -ac 2 -ar 44100 -f wav - |
        oggenc -Q -q 0 -o "$work/base.ogg" -
    for i in $(seq -w 1 1000); do
        vorbiscomment -w -t "TITLE=Track $i" -t "ARTIST=Artist $((10#$i % 97))" \
            -t "ALBUM=Album $((10#$i % 101))" "$work/base.ogg" "$lib/all/track-$i.ogg"
    done
    # 16-bit stereo noise at 44.1 kHz: 176,400 bytes a second.
    ffmpeg -loglevel error -f lavfi -i "anoisesrc=d=$(( ${BIG_MB:-100} * 1000000 / 176400 )):c=white:r=44100" \
        -ac 2 "$lib/big/big.wav"
    ffmpeg -loglevel error -f lavfi -i "sine=frequency=330:duration=60" -ac 2 -ar 44100 -f wav - |
        oggenc -Q -q 4 -t seek -o "$lib/seek/seek.ogg" -
    touch "$lib/.done"
fi

echo "commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ' (with changes)'), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
exec unshare -rn sh -c 'ip link set lo up && ip route add 239.0.0.0/8 dev lo && exec "$@"' sh \
    python3 "$root/bench/engine_vs_old.py" "$old_target/release/rill" "$new_target/release/rill" \
    "$lib" "$work/run" "$load_exe"
