#!/usr/bin/env python3
"""Rill vs MiniDLNA: the first scan of a folder of videos, from process start until the
server's container of all videos lists every one (MiniDLNA's "All Video", `2$8`; Rill's
Video, `2`). Each server starts on an empty database (Rill: an empty state folder and
thumbnail cache); the scans alternate between the servers, REPS each, and the medians are
compared.

Run through bench/video-scan (it enters a private network namespace first: both servers and
the client see only a loopback interface, so nothing leaves this machine).
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upnp_servers import browse, rss_kib, wait_for  # noqa: E402


def with_duration(port, control, videos, n_files):
    """How many of the first `n_files` children of `videos` have a `duration` on their first
    `res`, browsed in pages of 500."""
    timed = 0
    for start in range(0, n_files, 500):
        for el in browse(port, control, videos, start, 500)[4]:
            res = el.find("{urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/}res")
            timed += res is not None and bool(res.get("duration"))
    return timed


def main():
    rill_bin, lib, work, n_files = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    reps = int(os.environ.get("REPS", "3"))
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "minidlna-db")
    conf = os.path.join(work, "minidlna.conf")
    with open(conf, "w") as f:
        f.write(f"port=8201\nnetwork_interface=lo\nmedia_dir=V,{lib}\ndb_dir={db}\n"
                f"log_dir={work}\ninotify=no\nfriendly_name=bench-minidlna\n")
    servers = {
        "minidlna": (8201, "/ctl/ContentDir", "2$8",
                     ["minidlnad", "-S", "-f", conf, "-P", os.path.join(work, "minidlna.pid")]),
        "rill": (8200, "/rill/cd/control", "2",
                 [rill_bin, "serve", lib, "--interface", "lo", "--port", "8200",
                  "--state-dir", os.path.join(work, "rill-state")]),
    }
    times = {name: [] for name in servers}
    rss = {name: [] for name in servers}
    for rep in range(reps):
        # Alternate which goes first, so neither always meets a colder page cache.
        order = list(servers) if rep % 2 == 0 else list(reversed(servers))
        for name in order:
            port, control, videos, cmd = servers[name]
            for state in (db, os.path.join(work, "rill-state"), os.path.join(work, "rill-cache")):
                shutil.rmtree(state, ignore_errors=True)
            os.makedirs(db)
            env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "rill-cache"))
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=env)
            try:
                wait_for(lambda: browse(port, control, videos, 0, 1)[1] >= n_files, 1800,
                         f"{name} to list {n_files} videos")
                times[name].append(time.perf_counter() - t0)
                rss[name].append(rss_kib(p.pid))
                # Every video listed then, and with a play time (what the scan is for).
                timed = with_duration(port, control, videos, n_files)
                print(f"{name} scan {rep + 1}: {times[name][-1]:.2f} s, "
                      f"{timed} of {n_files} with a duration", flush=True)
            finally:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    m, r = statistics.median(times["minidlna"]), statistics.median(times["rill"])
    print(f"library: {n_files} videos (MKV, MP4, AVI, TS, M2TS, MPG, WMV) in one folder; "
          f"{reps} scans each, medians")
    print(f"{'metric':<44}{'MiniDLNA':>12}{'Rill':>12}{'ratio':>10}")
    print(f"{'first scan until all are listed (s)':<44}{m:>12.2f}{r:>12.2f}{m / r:>9.2f}x")
    mr, rr = statistics.median(rss["minidlna"]), statistics.median(rss["rill"])
    print(f"{'resident memory then (KiB)':<44}{mr:>12.0f}{rr:>12.0f}{mr / rr:>9.2f}x")
    print("ratio > 1 means Rill is better (faster / smaller).")


if __name__ == "__main__":
    main()
