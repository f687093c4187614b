#!/usr/bin/env python3
"""The old HTTP connection engine against the new one (issue 16), side by side.

Run through bench/engine-vs-old.sh, which builds both binaries and enters a private network
namespace first (both servers and the clients see only a loopback interface). Both servers run
at once, on ports 8210 (old) and 8211 (new), over the same library, and every measurement
alternates between them request by request, so a change in the machine's load hits both alike.

- Browse: BrowseDirectChildren of the 1,000-item folder `all`, RequestedCount=0; median, p99.
- File streaming: GETs of the whole file in `big`; median MB/s.
- TTFB after seeks: on a fresh connection, a time seek (`TimeSeekRange.dlna.org: npt=S-`) or a
  byte seek (`Range: bytes=N-`) into the L16 rendition of the 60 s Vorbis track in `seek`; the
  time from sending the request to the first body byte; median, p99.
- Load: tests/benches/load.rs (the `load` bench executable) against each binary in turn, its
  L16 phase and its file-range phase only, in the order old, new, new, old; requests/s and
  latency percentiles, each the mean of a binary's two runs.
Ratios are new/old: below 1 is better for times, above 1 for rates.
"""
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from upnp_servers import browse, download, resources, stop_all, wait_for  # noqa: E402

CONTROL = "/rill/cd/control"
PORTS = {"old": 8210, "new": 8211}


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, len(xs) * 99 // 100)]


def folders(port):
    """The served folder's sub-folders, by title: Folders (64), then the served folder."""
    top = browse(port, CONTROL, "64")[2]
    return {t: i for i, t, _ in browse(port, CONTROL, top[0][0])[2]}


def ttfb(url, header, value):
    """Seconds from sending a GET with `header: value` to the first body byte, on a fresh
    connection; checks the status (200 for a time seek, 206 for a range)."""
    m = re.match(r"http://([^/:]+):(\d+)(/.*)", url)
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    with socket.create_connection((host, port), timeout=30) as s:
        t0 = time.perf_counter()
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{header}: {value}\r\n\r\n".encode())
        got = b""
        while b"\r\n\r\n" not in got or len(got) <= got.index(b"\r\n\r\n") + 4:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError(f"{url} {header}: {value}: closed after {got[:200]!r}")
            got += chunk
        elapsed = time.perf_counter() - t0
    status = int(got.split(b" ", 2)[1])
    want = 206 if header == "Range" else 200
    if status != want:
        raise RuntimeError(f"{url} {header}: {value}: status {status}")
    return elapsed


def load(exe, rill, clients, secs):
    """Runs the load bench's two Rill phases against `rill`; returns {phase: figures}."""
    env = dict(os.environ, RILL_BIN=rill, RILL_LOAD_CLIENTS=str(clients),
               RILL_LOAD_SECS=str(secs), RILL_LOAD_PHASES="load-l16,load-raw-rill")
    out = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"load bench failed: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    figures, phase = {}, None
    for line in out.stdout.splitlines():
        if line.startswith("Rill, L16"):
            phase = "l16"
        elif line.startswith("Rill, file ranges"):
            phase = "ranges"
        elif phase and (m := re.search(r"requests (\d+) \((\d+)/s\), errors (\d+)", line)):
            figures[phase] = {"req_s": float(m.group(2)), "errors": int(m.group(3))}
        elif phase and (m := re.search(r"median ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms",
                                       line)):
            figures[phase].update(median_ms=float(m.group(1)), p99_ms=float(m.group(3)))
        elif phase and (m := re.search(r"\(([\d.]+) MB/s\)", line)):
            figures[phase]["mb_s"] = float(m.group(1))
    return figures


def main():
    bins = {"old": sys.argv[1], "new": sys.argv[2]}
    lib, work, load_exe = sys.argv[3], sys.argv[4], sys.argv[5]
    os.makedirs(work, exist_ok=True)
    reps = int(os.environ.get("REPS", "30"))
    gets = int(os.environ.get("GETS", "3"))
    clients = int(os.environ.get("LOAD_CLIENTS", "200"))
    secs = int(os.environ.get("LOAD_SECS", "8"))
    procs = {}
    rows = []
    try:
        for name, binary in bins.items():
            state = os.path.join(work, f"state-{name}")
            cache = os.path.join(work, f"cache-{name}")
            shutil.rmtree(cache, ignore_errors=True)
            procs[name] = subprocess.Popen(
                [binary, "serve", lib, "--interface", "lo", "--port", str(PORTS[name]),
                 "--state-dir", state],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=dict(os.environ, XDG_CACHE_HOME=cache))
        ids = {}
        for name, port in PORTS.items():
            def scanned(port=port):
                f = folders(port)
                # A folder may be missing for a moment (the index loads after HTTP answers).
                return "all" in f and "big" in f and browse(port, CONTROL, f["all"], 0, 1)[1] >= 1000
            wait_for(scanned, 300, f"the {name} server to list the library")
            ids[name] = folders(port)

        def side_by_side(measure, n):
            got = {"old": [], "new": []}
            for i in range(n):
                for name in (("old", "new") if i % 2 == 0 else ("new", "old")):
                    got[name].append(measure(name))
            return got

        # Browse.
        sizes = {}

        def browse_all(name):
            e, total, kids, size, _ = browse(PORTS[name], CONTROL, ids[name]["all"])
            assert len(kids) == total == 1000, f"{name}: {len(kids)} of {total}"
            sizes[name] = size
            return e * 1e3
        b = side_by_side(browse_all, reps)
        rows.append(("Browse 1,000 children, median (ms)", b, statistics.median, True))
        rows.append(("Browse 1,000 children, p99 (ms)", b, p99, True))

        # File streaming.
        big = {n: browse(PORTS[n], CONTROL, ids[n]["big"])[2][0][2] for n in PORTS}

        def stream(name):
            nbytes, e = download(big[name])
            return nbytes / e / 1e6
        s = side_by_side(stream, gets)
        rows.append(("file streaming, median (MB/s)", s, statistics.median, False))

        # TTFB after seeks into the L16 rendition.
        l16 = {}
        for n in PORTS:
            res = resources(PORTS[n], CONTROL, ids[n]["seek"], "seek")
            l16[n] = next(url for info, url in res if ":audio/L16" in info)
        rng = random.Random(16)
        seeks = [rng.uniform(0, 55) for _ in range(reps)]
        frame = 4  # stereo 16-bit
        offsets = [rng.randrange(0, 55 * 44_100) * frame for _ in range(reps)]
        it = {"old": 0, "new": 0}

        def time_seek(name):
            t = seeks[it[name] % reps]
            it[name] += 1
            return ttfb(l16[name], "TimeSeekRange.dlna.org", f"npt={t:.3f}-") * 1e3
        t = side_by_side(time_seek, reps)
        rows.append(("TTFB after a time seek, median (ms)", t, statistics.median, True))
        rows.append(("TTFB after a time seek, p99 (ms)", t, p99, True))
        it = {"old": 0, "new": 0}

        def byte_seek(name):
            o = offsets[it[name] % reps]
            it[name] += 1
            return ttfb(l16[name], "Range", f"bytes={o}-") * 1e3
        r = side_by_side(byte_seek, reps)
        rows.append(("TTFB after a byte seek, median (ms)", r, statistics.median, True))
        rows.append(("TTFB after a byte seek, p99 (ms)", r, p99, True))
    finally:
        stop_all(procs.values())

    # The 200-client load, one binary after the other (it binds port 8200 itself), twice, in
    # the order old, new, new, old, so a load on the machine that grows or ebbs during the run
    # hits both alike; each figure is the mean of a binary's two runs.
    runs = {name: [] for name in bins}
    for name in ("old", "new", "new", "old"):
        runs[name].append(load(load_exe, bins[name], clients, secs))
    loads = {name: {phase: {key: statistics.mean(r[phase][key] for r in rs)
                            for key in rs[0][phase]}
                     for phase in rs[0]}
             for name, rs in runs.items()}
    for phase, what in (("l16", "L16 with random seeks"), ("ranges", "file ranges")):
        for key, label, lower in (("req_s", "requests/s", False), ("median_ms", "median (ms)", True),
                                  ("p99_ms", "p99 (ms)", True)):
            vals = {n: [loads[n][phase][key]] for n in bins}
            rows.append((f"load {clients} clients, {what}: {label}", vals, lambda v: v[0], lower))
    errors = {n: sum(f["errors"] for r in runs[n] for f in r.values()) for n in bins}

    print(f"old {bins['old']}\nnew {bins['new']}")
    print(f"{reps} Browse/seek requests and {gets} file GETs per server, alternating; "
          f"load {clients} clients x {secs} s per phase")
    print(f"{'metric':<58}{'old':>10}{'new':>10}{'new/old':>9}")
    for label, vals, stat, lower in rows:
        o, n = stat(vals["old"]), stat(vals["new"])
        better = "lower is better" if lower else "higher is better"
        print(f"{label:<58}{o:>10.2f}{n:>10.2f}{n / o:>8.2f}x  ({better})")
    print(f"load errors: old {errors['old']}, new {errors['new']}")
    print(f"Browse answer: old {sizes['old']:,} bytes, new {sizes['new']:,} bytes")
    print(f"load average after the run: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print("\nAs Markdown rows (| figure | old | new | new/old |):")
    for label, vals, stat, lower in rows:
        o, n = stat(vals["old"]), stat(vals["new"])
        worse = (n > o) if lower else (n < o)
        print(f"| {label} | {o:,.2f} | {n:,.2f} | {n / o:.2f}x{' (worse)' if worse else ''} |")


if __name__ == "__main__":
    main()
