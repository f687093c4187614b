#!/usr/bin/env python3
"""Remux time to first byte after a time seek (issue 15, item 2).

Run through bench/remux-ttfb.sh, which makes the 2-hour 1080p H.264 Matroska file and enters a
private network namespace first. One server serves it; every measurement is on a fresh
connection, from sending the request to the first body byte:
- remux: `GET <id>.ts` with `TimeSeekRange.dlna.org: npt=T-`, T spread over the 2 hours (the
  server finds the keyframe with ffprobe, then starts ffmpeg);
- file: `GET <id>.mkv` with `Range: bytes=N-` at the same relative position, alternating with
  the remux requests, as the baseline of serving a file.
Prints median and p90 of each and the ratio remux/file.
"""
import os
import random
import shutil
import statistics
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_vs_old import ttfb  # noqa: E402
from upnp_servers import browse, resources, wait_for  # noqa: E402

CONTROL = "/rill/cd/control"
PORT = 8212
TITLE = "movie-2h"


def p90(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, len(xs) * 9 // 10)]


def main():
    binary, lib, work = sys.argv[1], sys.argv[2], sys.argv[3]
    reps = int(os.environ.get("REPS", "20"))
    state, cache = os.path.join(work, "state"), os.path.join(work, "cache")
    shutil.rmtree(cache, ignore_errors=True)
    size = os.path.getsize(os.path.join(lib, TITLE + ".mkv"))
    server = subprocess.Popen(
        [binary, "serve", lib, "--interface", "lo", "--port", str(PORT), "--state-dir", state],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, XDG_CACHE_HOME=cache))
    try:
        def movie():
            # Folders (64), then the served folder, then the movie in it.
            served = browse(PORT, CONTROL, "64")[2][0][0]
            return resources(PORT, CONTROL, served, TITLE)
        wait_for(movie, 300, "the server to list the movie")
        res = movie()
        original = next(url for _, url in res if url.endswith(".mkv"))
        remux = original[: -len(".mkv")] + ".ts"
        rng = random.Random(15)
        got = {"remux": [], "file": []}
        for i in range(reps):
            at = rng.uniform(60, 7140)
            seek = lambda: got["remux"].append(
                ttfb(remux, "TimeSeekRange.dlna.org", f"npt={at:.3f}-"))
            byte = int(size * at / 7200)
            ranged = lambda: got["file"].append(ttfb(original, "Range", f"bytes={byte}-"))
            for measure in ((seek, ranged) if i % 2 == 0 else (ranged, seek)):
                measure()
        print(f"{reps} time seeks into a 2-hour 1080p H.264 Matroska file ({size >> 20} MiB), "
              "fresh connection each, time to first body byte:")
        for name, xs in got.items():
            ms = [x * 1000 for x in xs]
            print(f"  {name:6} median {statistics.median(ms):7.1f} ms   p90 {p90(ms):7.1f} ms")
        ratio = statistics.median(got["remux"]) / statistics.median(got["file"])
        print(f"  remux/file median ratio {ratio:.1f}")
        target = statistics.median(got["remux"]) * 1000 <= 300
        print(f"  target (remux median <= 300 ms): {'met' if target else 'MISSED'}")
    finally:
        server.send_signal(15)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
