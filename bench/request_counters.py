#!/usr/bin/env python3
"""Per request, what each server did: the old HTTP connection engine against the new one.

Run through bench/request-counters.sh (which enters a private network namespace holding only
loopback). Wall-clock tails on a shared machine are mostly other processes' doing; the
server's own counters are not. Both servers serve the library of bench/engine-vs-old.sh (old
on port 8210, new on 8211), are left to settle, then get the same requests in alternation
(old, new, new, old, ...): Browse of the 1,000-item folder, and on fresh connections a time
seek and a byte seek into the L16 rendition of the 60 s track (the requests and the timing
of bench/engine_vs_old.py and bench/browse_counters.py). Around each request the script
reads, for every thread of the server, /proc/PID/task/TID/schedstat (CPU time, time spent
runnable but waiting for a CPU, time slices) and the process's minor page faults, so each
request gets:

- cpu: CPU time of all the server's threads, kernel included (ms);
- wait: time its threads were runnable but not running, waiting for a CPU (ms): the
  machine's load, and the wake-ups of threads the request hands work to;
- slices: times a thread of the server was put on a CPU (each wake-up is one);
- faults: minor page faults;
- threads: how many threads of the server ran (a hand-over to another thread shows here).

Each counter is printed with its median, p90, p99 and maximum over the requests, for old and
new, with the sets of threads that ran. Then `strace -f -c` counts the system calls of a
shorter loop of each kind (STRACE_REPS), per request. The server's work between two of its
requests (the other server's turn) is counted with the request before it.

Usage (inside the namespace): request_counters.py OLD_RILL NEW_RILL LIBRARY WORKDIR
  REPS=200 requests of each kind per server, STRACE_REPS=50 (0: no strace).
"""
import collections
import os
import random
import signal
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browse_counters import browse_once, request, settle, tids  # noqa: E402
from engine_vs_old import CONTROL, PORTS, folders, p99, serve, ttfb  # noqa: E402
from upnp_servers import resources, stop_all, wait_for  # noqa: E402

COUNTERS = ("time (ms)", "cpu (ms)", "wait (ms)", "slices", "faults", "threads")


def snapshot(pid):
    """{tid: (run ns, wait ns, slices, name)} of every thread of `pid`, and its minor faults."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            run, wait, slices = map(int, open(f"/proc/{pid}/task/{tid}/schedstat").read().split())
            name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
        except OSError:  # the thread ended meanwhile
            continue
        threads[tid] = (run, wait, slices, name)
    stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return threads, int(stat[7])


def between(before, after):
    """The counters of one request from two snapshots (a thread new since counts whole)."""
    cpu = wait = slices = 0
    ran = []
    for tid, (run, w, s, name) in after[0].items():
        r0, w0, s0, _ = before[0].get(tid, (0, 0, 0, name))
        cpu, wait, slices = cpu + run - r0, wait + w - w0, slices + s - s0
        if run != r0:
            ran.append(name)
    return cpu / 1e6, wait / 1e6, slices, after[1] - before[1], len(ran), ",".join(sorted(ran))


def kinds(ids, reps):
    """{kind: {server: request function returning seconds}} for Browse and the two seeks."""
    rng = random.Random(16)
    seeks = [rng.uniform(0, 55) for _ in range(reps)]
    offsets = [rng.randrange(0, 55 * 44_100) * 4 for _ in range(reps)]
    l16 = {}
    for name, port in PORTS.items():
        res = resources(port, CONTROL, ids[name]["seek"], "seek")
        l16[name] = next(url for info, url in res if ":audio/L16" in info)

    def seeker(name, header, value):
        count = iter(range(1 << 30))
        return lambda: ttfb(l16[name], header, value(next(count) % reps))
    return {
        "Browse 1,000 children": {
            n: (lambda n=n: browse_once(PORTS[n], request(ids[n]["all"]))) for n in PORTS},
        "time seek into L16 (TTFB)": {
            n: seeker(n, "TimeSeekRange.dlna.org", lambda i: f"npt={seeks[i]:.3f}-")
            for n in PORTS},
        "byte seek into L16 (TTFB)": {
            n: seeker(n, "Range", lambda i: f"bytes={offsets[i]}-") for n in PORTS},
    }


def counted(pids, calls, reps):
    """`reps` requests to each server in alternation; {server: [counters per request]}."""
    rows = {n: [] for n in pids}
    last = {n: snapshot(pid) for n, pid in pids.items()}
    for i in range(reps):
        for name in (("old", "new") if i % 2 == 0 else ("new", "old")):
            elapsed = calls[name]()
            time.sleep(0.002)  # the server finishes its part (closing, counting)
            now = snapshot(pids[name])
            rows[name].append((elapsed * 1e3, *between(last[name], now)))
            last[name] = now
    return rows


def straced(pid, call, n, out):
    """System calls per request of `n` calls under `strace -f -c` on every thread of `pid`."""
    tracer = subprocess.Popen(["strace", "-f", "-c", "-o", out, "-p", tids(pid)],
                              stderr=subprocess.DEVNULL)
    time.sleep(1)  # strace attaches to every thread
    for _ in range(n):
        call()
    time.sleep(0.2)
    tracer.send_signal(signal.SIGINT)
    tracer.wait(timeout=30)
    calls = {}
    for line in open(out):
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            calls[fields[-1]] = int(fields[3]) / n
    return calls


def main():
    bins = {"old": sys.argv[1], "new": sys.argv[2]}
    lib, work = sys.argv[3], sys.argv[4]
    reps = int(os.environ.get("REPS", "200"))
    strace_reps = int(os.environ.get("STRACE_REPS", "50"))
    os.makedirs(work, exist_ok=True)
    procs, results = {}, {}
    try:
        for name, binary in bins.items():
            procs[name] = serve(binary, PORTS[name], lib, work, name)
        ids = {}
        for name, port in PORTS.items():
            wait_for(lambda port=port: {"all", "seek"} <= set(folders(port)), 300,
                     f"the {name} server")
            ids[name] = folders(port)
        pids = {n: p.pid for n, p in procs.items()}
        for kind, calls in kinds(ids, reps).items():
            # Warm up (the first answers fault in the library's and the allocator's pages),
            # then let both servers settle.
            for _ in range(10):
                for call in calls.values():
                    call()
            for pid in pids.values():
                settle(pid)
            rows = counted(pids, calls, reps)
            syscalls = {}
            if strace_reps:
                for n in bins:
                    syscalls[n] = straced(pids[n], calls[n], strace_reps,
                                          os.path.join(work, f"strace-{n}"))
            results[kind] = (rows, syscalls)
    finally:
        stop_all(procs.values())

    print(f"{reps} requests of each kind per server, alternating old and new; "
          f"per request (the server's threads, kernel included):")
    for kind, (rows, syscalls) in results.items():
        print(f"\n{kind}")
        print(f"  {'':<12}{'':>5}{'median':>9}{'p90':>9}{'p99':>9}{'max':>9}")
        for k, label in enumerate(COUNTERS):
            for n in bins:
                xs = sorted(r[k] for r in rows[n])
                print(f"  {label:<12}{n:>5}{statistics.median(xs):>9.2f}"
                      f"{xs[len(xs) * 9 // 10]:>9.2f}{p99(xs):>9.2f}{xs[-1]:>9.2f}")
        for n in bins:
            sets = collections.Counter(r[-1] for r in rows[n]).most_common(3)
            print(f"  threads that ran, {n}: " + "; ".join(f"{c} x [{s}]" for s, c in sets))
        if syscalls:
            print(f"  system calls per request (strace -f -c, {strace_reps} requests):"
                  f"{'old':>8}{'new':>8}")
            names = sorted(set(syscalls["old"]) | set(syscalls["new"]),
                           key=lambda s: -max(syscalls["old"].get(s, 0),
                                              syscalls["new"].get(s, 0)))
            for s in names:
                print(f"    {s:<58}{syscalls['old'].get(s, 0):>8.2f}"
                      f"{syscalls['new'].get(s, 0):>8.2f}")
    print(f"\nload average after the run: {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
