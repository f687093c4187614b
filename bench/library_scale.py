#!/usr/bin/env python3
"""The library at scale: Rill beside MiniDLNA (or alone, ONLY=rill) on one generated library.

Run through bench/library-scale.sh (it enters a private network namespace first). For each
server, from a fresh start with an empty database: the first-scan time, from process start
until All Tracks (MiniDLNA's "1$4", Rill's "4") lists every file; the resident memory 2 s after
that; Browse latency of 100-item pages of All Tracks from random offsets (median and p99 of
PAGES); then, after a clean stop, the index's size on disk.
"""
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time

from upnp_servers import browse, rss_kib, wait_for

PAGES = int(os.environ.get("PAGES", "300"))


def disk_bytes(paths):
    return sum(os.path.getsize(p) for p in paths if os.path.exists(p))


def main():
    rill_bin, lib, work, n_files = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    db = os.path.join(work, "minidlna-db")
    os.makedirs(db)
    conf = os.path.join(work, "minidlna.conf")
    with open(conf, "w") as f:
        f.write(f"port=8201\nnetwork_interface=lo\nmedia_dir=A,{lib}\ndb_dir={db}\n"
                f"log_dir={work}\ninotify=no\nfriendly_name=bench-minidlna\n")
    cache = os.path.join(work, "rill-cache")
    servers = {
        "minidlna": (8201, "/ctl/ContentDir", "1$4",
                     ["minidlnad", "-S", "-f", conf, "-P", os.path.join(work, "minidlna.pid")],
                     [os.path.join(db, "files.db")]),
        "rill": (8200, "/rill/cd/control", "4",
                 [rill_bin, "serve", lib, "--interface", "lo", "--port", "8200",
                  "--state-dir", os.path.join(work, "rill-state"), "--cache-dir", cache],
                 [os.path.join(cache, "index.sqlite")]),
    }
    only = os.environ.get("ONLY")
    servers = {k: v for k, v in servers.items() if only in (None, k)}
    rng = random.Random(17)
    results = {}
    for name, (port, control, all_tracks, cmd, files) in servers.items():
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, XDG_CACHE_HOME=cache))
        try:
            wait_for(lambda: browse(port, control, all_tracks, 0, 1)[1] >= n_files,
                     7200, f"{name} to list {n_files} tracks")
            scan_s = time.perf_counter() - t0
            time.sleep(2)
            rss = rss_kib(p.pid)
            lat, totals = [], set()
            for _ in range(PAGES):
                start = rng.randrange(0, max(1, n_files - 100))
                e, total, kids, _, _ = browse(port, control, all_tracks, start, 100)
                assert len(kids) == 100, f"{name}: {len(kids)} of 100 at {start} (of {total})"
                totals.add(total)
                lat.append(e * 1e3)
            if totals != {n_files}:
                # Reported, not fatal: MiniDLNA once answered fewer after listing them all.
                print(f"{name}: TotalMatches of All Tracks while paging: {sorted(totals)}")
            lat.sort()
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
        results[name] = {
            "first scan, start to all tracks listed (s)": scan_s,
            "resident memory once listed (MiB)": rss / 1024,
            "index on disk after a clean stop (MiB)": disk_bytes(files) / 2**20,
            f"Browse 100 from random offsets, median of {PAGES} (ms)": statistics.median(lat),
            "Browse 100 from random offsets, p99 (ms)": lat[min(len(lat) - 1, len(lat) * 99 // 100)],
        }
    print(f"library: {n_files} tagged FLAC files in {lib}")
    names = list(results)
    print(f"{'metric':<56}" + "".join(f"{k:>12}" for k in names)
          + (f"{'ratio':>10}" if len(names) == 2 else ""))
    for key in results[names[0]]:
        vals = [results[k][key] for k in names]
        ratio = f"{vals[0] / vals[1]:>9.2f}x" if len(vals) == 2 and vals[1] else ""
        print(f"{key:<56}" + "".join(f"{v:>12.2f}" for v in vals) + ratio)
    if len(names) == 2:
        print("ratio: MiniDLNA / Rill (> 1: Rill faster or smaller)")


if __name__ == "__main__":
    main()
