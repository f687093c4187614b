#!/usr/bin/env bash
# Remux time to first byte (issue 15, item 2): time seeks into a 2-hour 1080p H.264 Matroska
# file, remuxed to MPEG-TS by ffmpeg; median and p90 of the time from sending the request to
# the first body byte (target: median at most 300 ms), beside a byte-range GET of the original
# file measured in the same run (the ratio shows what the remux costs over serving a file).
#
# Usage: bench/remux-ttfb.sh
#   REPS=20      time seeks (and as many range GETs), alternating
#   BENCH_DIR    where the 2-hour file is cached (default ${XDG_CACHE_HOME:-~/.cache}/rill-bench)
# The file is made cheaply once: a 1-minute 1920x1080 H.264 clip at a low bitrate with a
# keyframe every 2 s and AC-3 audio, then 120 copies concatenated with `-c copy`.
# Builds rill in release (nice -n 10) into $CARGO_TARGET_DIR (default target/). Needs ffmpeg.
# The server runs inside a private network namespace (unshare -rn) holding only loopback.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rill-bench}/remux
target=${CARGO_TARGET_DIR:-$root/target}
command -v ffmpeg >/dev/null || { echo "needs ffmpeg" >&2; exit 1; }
command -v ffprobe >/dev/null || { echo "needs ffprobe" >&2; exit 1; }

lib=$work/lib
movie=$lib/movie-2h.mkv
if [ ! -f "$movie" ]; then
    echo "making the 2-hour file in $lib ..." >&2
    mkdir -p "$lib"
    nice -n 10 ffmpeg -nostdin -y -loglevel error \
        -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=60" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=60" -ac 2 \
        -c:v libx264 -preset ultrafast -b:v 500k -pix_fmt yuv420p \
        -x264-params keyint=50:min-keyint=50:scenecut=0 -c:a ac3 -b:a 128k "$work/minute.mkv"
    for _ in $(seq 120); do echo "file '$work/minute.mkv'"; done >"$work/list.txt"
    nice -n 10 ffmpeg -nostdin -y -loglevel error -f concat -safe 0 -i "$work/list.txt" \
        -c copy -f matroska "$movie.part"
    mv "$movie.part" "$movie"
fi

echo "building rill ($(git -C "$root" rev-parse --short HEAD), release) ..." >&2
(cd "$root" && CARGO_TARGET_DIR=$target nice -n 10 cargo build -q --release --locked -p rill)
exec unshare -rn sh -c 'ip link set lo up && exec "$@"' sh \
    python3 "$root/bench/remux_ttfb.py" "$target/release/rill" "$lib" "$work"
