#!/usr/bin/env python3
"""The old HTTP connection engine against the new one (issue 16), side by side, with an A/A
control: each binary also against a second copy of itself.

Run through bench/engine-vs-old.sh, which builds both binaries and enters a private network
namespace first (the servers and the clients see only a loopback interface). Four servers run
at once over the same library, two copies of each binary, each with its own state and cache:
old-1 on port 8210, new-1 on 8211, old-2 on 8212, new-2 on 8213. Requests go to them in strict
alternation, one request to each in turn, so a change in the machine's load hits all four alike.
The turns follow a balanced Latin square (each copy first, second, third and last equally often,
and right after each other copy equally often), and the measurement runs in ROUNDS rounds whose
odd ones take the turns in reverse order.

- Browse: BrowseDirectChildren of the 1,000-item folder `all`, RequestedCount=0; median, p99.
- File streaming: GETs of the whole file in `big`; median MB/s.
- TTFB after seeks: on a fresh connection, a time seek (`TimeSeekRange.dlna.org: npt=S-`) or a
  byte seek (`Range: bytes=N-`) into the L16 rendition of the 60 s Vorbis track in `seek`; the
  time from sending the request to the first body byte; median, p99.
- Load: tests/benches/load.rs (the `load` bench executable) against each binary in turn (it
  starts its own server), its L16 phase and its file-range phase only, in the order old, new,
  new, old; requests/s and latency median and p99. A binary's first and second run are its two
  copies.

For each figure, the script reports:
- new/old: the figure over all requests to both new copies against the same over both old
  copies (percentiles of the pooled samples; for the load, the mean of the two runs);
- pairs: the lowest and highest of the four ratios new-i/old-j, each copy against each copy of
  the other binary: ratios from the same number of samples as the A/A ones;
- A/A: old-2/old-1 and new-2/new-1, each also inverted (which copy is "1" is arbitrary), so the
  range runs from 1/m to m, m the larger of the two ratios' distance from 1: how far two copies
  of one binary differ in this same run;
- rounds: the lowest and highest new/old of the single rounds (request figures only);
- a verdict: "worse" or "better" when new/old lies outside the A/A range, "within A/A noise"
  otherwise.
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
# Each binary's first copy (bench/browse_counters.py serves these two alone).
PORTS = {"old": 8210, "new": 8211}
# All four servers of this script: (binary, port).
COPIES = {"old-1": ("old", 8210), "new-1": ("new", 8211),
          "old-2": ("old", 8212), "new-2": ("new", 8213)}
NAMES = tuple(COPIES)
# A balanced Latin square (Williams) over the four copies: in the four rows together each copy
# takes each place once and follows each other copy once.
TURNS = ((0, 1, 3, 2), (1, 2, 0, 3), (2, 3, 1, 0), (3, 0, 2, 1))


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


def alternate(measure, n, rounds):
    """Runs `measure(copy)` n times for each copy, in strict alternation (the turns of TURNS,
    reversed in odd rounds), in `rounds` rounds; returns {copy: [[values of round r], ...]}."""
    got = {name: [[] for _ in range(rounds)] for name in NAMES}
    for r in range(rounds):
        for c in range(n // rounds + (r < n % rounds)):
            turn = TURNS[c % len(TURNS)]
            for i in (turn if r % 2 == 0 else turn[::-1]):
                got[NAMES[i]][r].append(measure(NAMES[i]))
    return got


class Figure:
    """One figure: the samples of each copy, per round, and the statistic to take of them."""

    def __init__(self, label, samples, stat, lower):
        self.label, self.samples, self.stat, self.lower = label, samples, stat, lower

    def of(self, *names, rounds=None):
        """The statistic over the pooled samples of `names` (all rounds, or those given)."""
        return self.stat([x for n in names for i, xs in enumerate(self.samples[n])
                          if rounds is None or i in rounds for x in xs])

    def summary(self):
        old, new = self.of("old-1", "old-2"), self.of("new-1", "new-2")
        pairs = [self.of(f"new-{i}") / self.of(f"old-{j}") for i in (1, 2) for j in (1, 2)]
        aa = [self.of(f"{b}-2") / self.of(f"{b}-1") for b in ("old", "new")]
        m = max(max(r, 1 / r) for r in aa)
        n_rounds = len(self.samples["old-1"])
        per_round = [self.of("new-1", "new-2", rounds={r}) / self.of("old-1", "old-2", rounds={r})
                     for r in range(n_rounds)] if n_rounds > 1 else []
        ratio = new / old
        worse = ratio > m if self.lower else ratio < 1 / m
        better = ratio < 1 / m if self.lower else ratio > m
        verdict = "worse" if worse else "better" if better else "within A/A noise"
        return {"old": old, "new": new, "ratio": ratio, "pairs": (min(pairs), max(pairs)),
                "aa": (1 / m, m), "rounds": per_round, "verdict": verdict,
                "copies": {n: self.of(n) for n in NAMES}}


def serve(binary, port, lib, work, name):
    """Starts one server on `lib` bound to loopback, with its own state and (emptied) cache
    under `work`, on the session bus of none."""
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    cache = os.path.join(work, f"cache-{name}")
    shutil.rmtree(cache, ignore_errors=True)
    return subprocess.Popen(
        [binary, "serve", lib, "--interface", "lo", "--port", str(port),
         "--state-dir", os.path.join(work, f"state-{name}")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(env, XDG_CACHE_HOME=cache))


def start(bins, lib, work):
    """Starts the four copies (see `serve`)."""
    return {name: serve(bins[binary], port, lib, work, name)
            for name, (binary, port) in COPIES.items()}


def measure_requests(reps, gets, rounds):
    """The request figures, all four copies alternating; returns (figures, Browse sizes)."""
    ids = {}
    for name, (_, port) in COPIES.items():
        def scanned(port=port):
            f = folders(port)
            # A folder may be missing for a moment (the index loads after HTTP answers).
            return "all" in f and "big" in f and browse(port, CONTROL, f["all"], 0, 1)[1] >= 1000
        wait_for(scanned, 300, f"the {name} server to list the library")
        ids[name] = folders(port)
    port = {name: p for name, (_, p) in COPIES.items()}
    figures = []

    # Browse.
    sizes = {}

    def browse_all(name):
        e, total, kids, size, _ = browse(port[name], CONTROL, ids[name]["all"])
        assert len(kids) == total == 1000, f"{name}: {len(kids)} of {total}"
        sizes[name] = size
        return e * 1e3
    b = alternate(browse_all, reps, rounds)
    figures.append(Figure("Browse 1,000 children, median (ms)", b, statistics.median, True))
    figures.append(Figure("Browse 1,000 children, p99 (ms)", b, p99, True))

    # File streaming, in one round (a few GETs).
    big = {n: browse(port[n], CONTROL, ids[n]["big"])[2][0][2] for n in NAMES}

    def stream(name):
        nbytes, e = download(big[name])
        return nbytes / e / 1e6
    s = alternate(stream, gets, 1)
    figures.append(Figure("file streaming, median (MB/s)", s, statistics.median, False))

    # TTFB after seeks into the L16 rendition: each copy gets the same seeks in the same order.
    l16 = {}
    for n in NAMES:
        res = resources(port[n], CONTROL, ids[n]["seek"], "seek")
        l16[n] = next(url for info, url in res if ":audio/L16" in info)
    rng = random.Random(16)
    seeks = [rng.uniform(0, 55) for _ in range(reps)]
    frame = 4  # stereo 16-bit
    offsets = [rng.randrange(0, 55 * 44_100) * frame for _ in range(reps)]
    for what, header, value in (
            ("time seek", "TimeSeekRange.dlna.org", lambda i: f"npt={seeks[i]:.3f}-"),
            ("byte seek", "Range", lambda i: f"bytes={offsets[i]}-")):
        it = {n: 0 for n in NAMES}

        def seek(name, header=header, value=value):
            i = it[name]
            it[name] += 1
            return ttfb(l16[name], header, value(i % reps)) * 1e3
        t = alternate(seek, reps, rounds)
        figures.append(Figure(f"TTFB after a {what}, median (ms)", t, statistics.median, True))
        figures.append(Figure(f"TTFB after a {what}, p99 (ms)", t, p99, True))
    return figures, sizes


def measure_load(load_exe, bins, clients, secs):
    """The 200-client load, one binary after the other (it binds port 8200 itself), twice, in
    the order old, new, new, old, so a load on the machine that grows or ebbs during the run
    hits both alike; a binary's two runs stand for its two copies. Returns (figures, errors)."""
    runs = {name: [] for name in bins}
    for name in ("old", "new", "new", "old"):
        runs[name].append(load(load_exe, bins[name], clients, secs))
    figures = []
    for phase, what in (("l16", "L16 with random seeks"), ("ranges", "file ranges")):
        for key, label, lower in (("req_s", "requests/s", False), ("median_ms", "median (ms)", True),
                                  ("p99_ms", "p99 (ms)", True)):
            samples = {f"{b}-{i + 1}": [[run[phase][key]]] for b in bins
                       for i, run in enumerate(runs[b])}
            figures.append(Figure(f"load {clients} clients, {what}: {label}", samples,
                                  statistics.mean, lower))
    errors = {n: sum(f["errors"] for r in runs[n] for f in r.values()) for n in bins}
    return figures, errors


def x(v):
    return f"{v:.2f}x"


def main():
    bins = {"old": sys.argv[1], "new": sys.argv[2]}
    lib, work, load_exe = sys.argv[3], sys.argv[4], sys.argv[5]
    os.makedirs(work, exist_ok=True)
    reps = int(os.environ.get("REPS", "30"))
    rounds = max(1, min(reps, int(os.environ.get("ROUNDS", "4"))))
    gets = int(os.environ.get("GETS", "3"))
    clients = int(os.environ.get("LOAD_CLIENTS", "200"))
    secs = int(os.environ.get("LOAD_SECS", "8"))
    t0 = time.monotonic()
    procs = start(bins, lib, work)
    try:
        figures, sizes = measure_requests(reps, gets, rounds)
    finally:
        stop_all(procs.values())
    t_requests = time.monotonic() - t0
    load_figures, errors = measure_load(load_exe, bins, clients, secs)
    figures += load_figures
    t_all = time.monotonic() - t0

    print(f"old {bins['old']}\nnew {bins['new']}")
    print(f"two copies of each binary; {reps} Browse/seek requests per copy in {rounds} rounds "
          f"and {gets} file GETs per copy, alternating; load {clients} clients x {secs} s per "
          f"phase, old, new, new, old")
    print(f"run time: {t_requests:.0f} s for the requests, {t_all:.0f} s in all")
    print(f"{'figure':<56}{'old-1':>9}{'old-2':>9}{'new-1':>9}{'new-2':>9}"
          f"{'new/old':>9}{'pairs':>13}{'A/A':>13}{'rounds':>13}")
    summaries = [(f, f.summary()) for f in figures]
    for f, s in summaries:
        c = s["copies"]
        rr = f"{x(min(s['rounds']))}-{x(max(s['rounds']))}" if s["rounds"] else ""
        print(f"{f.label:<56}{c['old-1']:>9.2f}{c['old-2']:>9.2f}{c['new-1']:>9.2f}"
              f"{c['new-2']:>9.2f}{x(s['ratio']):>9}{x(s['pairs'][0]) + '-' + x(s['pairs'][1]):>13}"
              f"{x(s['aa'][0]) + '-' + x(s['aa'][1]):>13}{rr:>13}")
    print(f"load errors: old {errors['old']}, new {errors['new']}")
    print("Browse answer: " + ", ".join(f"{n} {sizes[n]:,} bytes" for n in NAMES))
    print(f"load average after the run: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print("\nSummary (lower is better for times, higher for rates):")
    for f, s in summaries:
        print(f"{f.label}: new/old {x(s['ratio'])} (A/A range {x(s['aa'][0])}-{x(s['aa'][1])})"
              f": {s['verdict']}")
    print("\nAs Markdown rows (| figure | old | new | new/old | pairs | A/A range | verdict |):")
    for f, s in summaries:
        print(f"| {f.label} | {s['old']:,.2f} | {s['new']:,.2f} | {x(s['ratio'])} | "
              f"{x(s['pairs'][0])}-{x(s['pairs'][1])} | {x(s['aa'][0])}-{x(s['aa'][1])} | "
              f"{s['verdict']} |")


if __name__ == "__main__":
    main()
