#!/usr/bin/env python3
"""The library at scale: Rill beside MiniDLNA (or alone, ONLY=rill) on one generated library.

Run through bench/library-scale.sh (it enters a private network namespace first). For each
server, one after the other:
1. from a fresh start with an empty database, the first-scan time, from process start until
   All Tracks (MiniDLNA's "1$4", Rill's "4") lists every file; the resident memory 2 s after
   that, and how much of it is anonymous memory (heap, stacks) and how much file-backed (the
   program's and its libraries' pages, which the page cache shares), and the peak resident
   memory (VmHWM) until then, the first scan's included; Browse latency of 100-item pages of All Tracks from random offsets (median and p99 of
   PAGES); ALBUMS albums picked at random from the Albums container (MiniDLNA's "1$7",
   Rill's "7") with their track counts; then, after a clean stop (SIGTERM), the index's size
   on disk;
2. while stopped, CHANGED files picked at random get a new modification time (as a tag
   editor or a copy would leave them);
3. the restart on that index: from process start until All Tracks lists every file and each
   picked album lists its tracks, polled every POLL seconds;
4. Rill only: Browse latency (the same pages) while its background check of the index against
   the disk runs, from the restart until it logs that the library is built ("library built"),
   how long that check took from the start, and the peak resident memory (VmHWM) until then; MiniDLNA checks nothing at a restart
   (`inotify=no`, no `-R`), so it has no such column.
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
ALBUMS = int(os.environ.get("ALBUMS", "5"))
CHANGED = int(os.environ.get("CHANGED", "100"))
POLL = 0.005
# The line Rill logs once its first walk (a first scan, or the check after a restart) is done.
BUILT = b"library built; watching for changes"


def status_kib(pid):
    """The memory figures of a process's /proc status (KiB), by name."""
    parts = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.startswith(("Rss", "Vm")) and value.strip().endswith("kB"):
                parts[key] = int(value.split()[0])
    return parts


def rss_parts_kib(pid):
    """The anonymous and the file-backed parts of a process's resident memory (KiB)."""
    parts = status_kib(pid)
    return parts.get("RssAnon", 0), parts.get("RssFile", 0) + parts.get("RssShmem", 0)


def peak_rss_kib(pid):
    """The most resident memory the process has had so far (VmHWM, KiB): the first scan's
    peak counts for a small machine even when the memory is given back after it."""
    return status_kib(pid).get("VmHWM", 0)


def program_kib_and_threads(pid):
    """The resident pages of the program's own file (its code and read-only data: the rest of
    the file-backed part is shared libraries) (KiB), and its number of threads."""
    exe = os.readlink(f"/proc/{pid}/exe")
    kib, mapping = 0, None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and ":" not in fields[0]:
                mapping = fields[5] if len(fields) > 5 else None
            elif fields[0] == "Rss:" and mapping == exe:
                kib += int(fields[1])
    with open(f"/proc/{pid}/status") as f:
        threads = next(int(l.split()[1]) for l in f if l.startswith("Threads:"))
    return kib, threads


def disk_bytes(paths):
    return sum(os.path.getsize(p) for p in paths if os.path.exists(p))


def p99(values):
    values = sorted(values)
    return values[min(len(values) - 1, len(values) * 99 // 100)]


def some_files(lib, rng, count):
    """`count` files of the library at random, from the first folders walked (enough to pick
    from without listing a million files)."""
    found = []
    for dirpath, _, names in os.walk(lib):
        found.extend(os.path.join(dirpath, n) for n in names if n.endswith(".flac"))
        if len(found) >= 50 * count:
            break
    return rng.sample(found, min(count, len(found)))


def poll_until(pred, timeout, what):
    """Seconds until pred() holds, asked every POLL (errors: not yet)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            if pred():
                return
        except Exception:  # not answering yet, or answering half
            pass
        time.sleep(POLL)
    raise RuntimeError(f"timed out waiting for {what}")


def pages(port, control, all_tracks, n_files, rng, count, until=None):
    """Browse latency (ms) of `count` pages of 100 at random offsets (or, with `until`, as many
    as fit before until() holds), and the TotalMatches seen."""
    lat, totals = [], set()
    while len(lat) < count and not (until and until()):
        start = rng.randrange(0, max(1, n_files - 100))
        e, total, kids, _, _ = browse(port, control, all_tracks, start, 100)
        assert len(kids) == 100, f"{len(kids)} of 100 at {start} (of {total})"
        totals.add(total)
        lat.append(e * 1e3)
    return lat, totals


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
        "minidlna": (8201, "/ctl/ContentDir", "1$4", "1$7",
                     ["minidlnad", "-S", "-f", conf, "-P", os.path.join(work, "minidlna.pid")],
                     [os.path.join(db, "files.db")]),
        "rill": (8200, "/rill/cd/control", "4", "7",
                 [rill_bin, "serve", lib, "--interface", "lo", "--port", "8200",
                  "--state-dir", os.path.join(work, "rill-state"), "--cache-dir", cache],
                 [os.path.join(cache, "index.sqlite")]),
    }
    only = os.environ.get("ONLY")
    servers = {k: v for k, v in servers.items() if only in (None, k)}
    rng = random.Random(17)
    results = {}
    for name, (port, control, all_tracks, albums_id, cmd, files) in servers.items():
        log_path = os.path.join(work, f"{name}.log")

        def start():
            log = open(log_path, "wb")
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log,
                                 env=dict(os.environ, XDG_CACHE_HOME=cache))
            log.close()
            return p

        def built():
            with open(log_path, "rb") as f:
                return BUILT in f.read()

        def stop(p):
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)

        r = results[name] = {}
        t0 = time.perf_counter()
        p = start()
        try:
            wait_for(lambda: browse(port, control, all_tracks, 0, 1)[1] >= n_files,
                     7200, f"{name} to list {n_files} tracks")
            r["first scan, start to all tracks listed (s)"] = time.perf_counter() - t0
            time.sleep(2)
            r["resident memory once listed (MiB)"] = rss_kib(p.pid) / 1024
            anon_kib, file_kib = rss_parts_kib(p.pid)
            r["  of it anonymous (MiB)"] = anon_kib / 1024
            r["  of it file-backed (MiB)"] = file_kib / 1024
            r["peak resident memory until then (MiB)"] = peak_rss_kib(p.pid) / 1024
            program_kib, threads = program_kib_and_threads(p.pid)
            r["    of which the program's own file (MiB)"] = program_kib / 1024
            r["threads once listed"] = threads
            lat, totals = pages(port, control, all_tracks, n_files, rng, PAGES)
            if totals != {n_files}:
                # Reported, not fatal: MiniDLNA once answered fewer after listing them all.
                print(f"{name}: TotalMatches of All Tracks while paging: {sorted(totals)}")
            r[f"Browse 100 from random offsets, median of {PAGES} (ms)"] = statistics.median(lat)
            r["Browse 100 from random offsets, p99 (ms)"] = p99(lat)
            n_albums = browse(port, control, albums_id, 0, 1)[1]
            albums = []
            for start_at in rng.sample(range(n_albums), min(ALBUMS, n_albums)):
                aid = browse(port, control, albums_id, start_at, 1)[2][0][0]
                albums.append((aid, browse(port, control, aid, 0, 0)[1]))
            if name == "rill":
                # The index is written as the library fills: let the writer finish first.
                poll_until(built, 600, "rill's library built")
            stop(p)
        finally:
            if p.poll() is None:
                p.kill()
        r["index on disk after a clean stop (MiB)"] = disk_bytes(files) / 2**20

        now = time.time()
        for path in some_files(lib, rng, CHANGED):
            os.utime(path, (now, now))

        def complete():
            if browse(port, control, all_tracks, 0, 1)[1] != n_files:
                return False
            return all(browse(port, control, aid, 0, 0)[1] == count for aid, count in albums)

        t0 = time.perf_counter()
        p = start()
        try:
            poll_until(complete, 600, f"{name} to list every track again")
            r[f"restart, start to all tracks and {len(albums)} albums listed (s)"] = (
                time.perf_counter() - t0)
            if name == "rill":
                lat, _ = pages(port, control, all_tracks, n_files, rng, 100_000, until=built)
                r["background check after the restart, start to done (s)"] = (
                    time.perf_counter() - t0)
                r["peak resident memory of the restart and check (MiB)"] = (
                    peak_rss_kib(p.pid) / 1024)
                r["Browse pages answered during the check"] = len(lat)
                if lat:
                    r["Browse 100 during the check, median (ms)"] = statistics.median(lat)
                    r["Browse 100 during the check, p99 (ms)"] = p99(lat)
            stop(p)
        finally:
            if p.poll() is None:
                p.kill()

    print(f"library: {n_files} tagged FLAC files in {lib}; {CHANGED} touched before each restart")
    print(f"load average at the end: {os.getloadavg()}")
    names = list(results)
    print(f"{'metric':<64}" + "".join(f"{k:>12}" for k in names)
          + (f"{'ratio':>10}" if len(names) == 2 else ""))
    keys = list(dict.fromkeys(k for v in results.values() for k in v))
    for key in keys:
        vals = [results[k].get(key) for k in names]
        ratio = (f"{vals[0] / vals[1]:>9.2f}x"
                 if len(vals) == 2 and None not in vals and vals[1] else "")
        print(f"{key:<64}" + "".join(f"{v:>12.2f}" if v is not None else f"{'-':>12}"
                                     for v in vals) + ratio)
    if len(names) == 2:
        print("ratio: MiniDLNA / Rill (> 1: Rill faster or smaller)")


if __name__ == "__main__":
    main()
