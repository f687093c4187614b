#!/usr/bin/env python3
"""Browse of 1,000 children on the old engine and the new one, with the server's own counters.

Run through bench/browse-counters.sh (which enters a private network namespace holding only
loopback). Both servers serve the library of bench/engine-vs-old.sh on ports 8210 (old) and
8211 (new). For each server in turn (old, new, new, old) the same client loop runs: N Browse
requests (BrowseDirectChildren of the folder `all`, RequestedCount=0), each on a fresh
connection as the UPnP control points do, timed from sending the request to the last body
byte, while `perf stat` counts the server process (every thread): page faults, context
switches and CPU time (a virtual machine without a PMU has no instruction counter; count
instructions with `valgrind --tool=callgrind` and `callgrind_control -z`/`-d` around a loop
instead). Each server is first left to settle (its background check of the library done).
Then `strace -f -c` counts its system calls for a shorter loop, and `strace -f` lists the
size of every write, mmap, munmap and mremap. Every counter is printed per Browse, with the
time's median and p99 over all the loops of a server.

Usage (inside the namespace): browse_counters.py OLD_RILL NEW_RILL LIBRARY WORKDIR
  REPS=200 Browse requests per loop (each server runs two loops), STRACE_REPS=20.
"""
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_vs_old import CONTROL, PORTS, folders, p99, serve  # noqa: E402
from upnp_servers import CD, stop_all, wait_for  # noqa: E402

# No hardware counters on a virtual machine without a PMU: CPU time stands for instructions.
EVENTS = "page-faults,minor-faults,major-faults,context-switches,cpu-migrations,task-clock"


def request(object_id):
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        f'<u:Browse xmlns:u="{CD}"><ObjectID>{object_id}</ObjectID>'
        "<BrowseFlag>BrowseDirectChildren</BrowseFlag><Filter>*</Filter>"
        "<StartingIndex>0</StartingIndex><RequestedCount>0</RequestedCount>"
        "<SortCriteria></SortCriteria></u:Browse></s:Body></s:Envelope>"
    ).encode()
    return (f"POST {CONTROL} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f'Content-Type: text/xml; charset="utf-8"\r\nSOAPACTION: "{CD}#Browse"\r\n'
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def browse_once(port, req):
    """Seconds from sending `req` on a fresh connection to the last byte of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        t0 = time.perf_counter()
        s.sendall(req)
        got = bytearray()
        while b"\r\n\r\n" not in got:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise RuntimeError(f"port {port}: closed in the head")
            got += chunk
        head, _, body = bytes(got).partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"port {port}: {head[:100]!r}")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        left = length - len(body)
        while left > 0:
            n = len(s.recv(1 << 20))
            if n == 0:
                raise RuntimeError(f"port {port}: closed in the body")
            left -= n
        return time.perf_counter() - t0


def client(port, object_id, n, out):
    """The client loop (run under perf or strace): `n` Browses, times written to `out`."""
    req = request(object_id)
    times = [browse_once(port, req) for _ in range(n)]
    with open(out, "w") as f:
        f.write("\n".join(f"{t * 1e3:.4f}" for t in times))


def cpu_ticks(pid):
    """User and system CPU time of process `pid` so far, in clock ticks."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def settle(pid, timeout=120):
    """Waits until server `pid` is idle (its background check of the library done): no CPU
    time used in a whole second."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        before = cpu_ticks(pid)
        time.sleep(1)
        if cpu_ticks(pid) == before:
            return
    raise RuntimeError(f"server {pid} still busy after {timeout} s")


def tids(pid):
    return ",".join(os.listdir(f"/proc/{pid}/task"))


def perf_loop(pid, port, object_id, n, work, tag):
    """One client loop of `n` Browses under `perf stat` on server `pid`: (times, counters)."""
    stat, times = os.path.join(work, f"perf-{tag}.csv"), os.path.join(work, f"times-{tag}")
    subprocess.run(["perf", "stat", "-x,", "-o", stat, "-e", EVENTS, "-p", str(pid), "--",
                    sys.executable, __file__, "client", str(port), object_id, str(n), times],
                   check=True)
    counters = {}
    for line in open(stat):
        fields = line.strip().split(",")
        if len(fields) > 3 and fields[0] and fields[0][0].isdigit():
            counters[fields[2].split(":")[0]] = float(fields[0])
    return [float(x) for x in open(times).read().split()], counters


def traced(pid, args, port, object_id, n, times):
    """Runs the client loop of `n` Browses while `strace -f` with `args` follows server `pid`
    (all its threads), then detaches it."""
    tracer = subprocess.Popen(["strace", "-f", *args, "-p", tids(pid)],
                              stderr=subprocess.DEVNULL)
    time.sleep(1)  # strace attaches to every thread
    client(port, object_id, n, times)
    time.sleep(0.2)
    tracer.send_signal(signal.SIGINT)
    tracer.wait(timeout=30)


def strace_loop(pid, port, object_id, n, work, tag):
    """`n` Browses under `strace -f` on server `pid`: per-Browse system calls by name, and the
    sizes of the writes and memory maps."""
    summary, trace = os.path.join(work, f"strace-c-{tag}"), os.path.join(work, f"strace-{tag}")
    times = os.path.join(work, f"strace-times-{tag}")
    traced(pid, ["-c", "-o", summary], port, object_id, n, times)
    calls = {}
    for line in open(summary):
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$", line)
        if m:
            calls[m.group(2)] = int(m.group(1)) / n
    traced(pid, ["-o", trace, "-e", "trace=write,writev,sendto,sendmsg,mmap,munmap,mremap,brk,"
                 "madvise"], port, object_id, n, times)
    sizes = {}
    for line in open(trace):
        m = re.search(r"\b(write|writev|sendto|sendmsg)\(\d+, .*\) = (\d+)", line)
        if m:
            sizes.setdefault("bytes per write", []).append(int(m.group(2)))
        m = re.search(r"\b(mmap|munmap|mremap)\((?:NULL|0x[0-9a-f]+), (\d+)", line)
        if m:
            sizes.setdefault(f"{m.group(1)} bytes", []).append(int(m.group(2)))
    return calls, sizes


def main():
    bins = {"old": sys.argv[1], "new": sys.argv[2]}
    lib, work = sys.argv[3], sys.argv[4]
    reps = int(os.environ.get("REPS", "200"))
    strace_reps = int(os.environ.get("STRACE_REPS", "20"))
    os.makedirs(work, exist_ok=True)
    procs = {}
    try:
        for name, binary in bins.items():
            procs[name] = serve(binary, PORTS[name], lib, work, name)
        ids = {}
        for name, port in PORTS.items():
            wait_for(lambda port=port: "all" in folders(port), 300, f"the {name} server")
            ids[name] = folders(port)["all"]
            # Warm up: the first answers fault in the library's pages and the allocator's.
            for _ in range(20):
                browse_once(port, request(ids[name]))
        for p in procs.values():
            settle(p.pid)
        times = {n: [] for n in bins}
        counters = {n: {} for n in bins}
        for i, name in enumerate(("old", "new", "new", "old")):
            t, c = perf_loop(procs[name].pid, PORTS[name], ids[name], reps, work, f"{name}{i}")
            times[name] += t
            for k, v in c.items():
                counters[name][k] = counters[name].get(k, 0) + v / (2 * reps)
        calls, sizes = {}, {}
        for name in bins:
            calls[name], sizes[name] = strace_loop(procs[name].pid, PORTS[name], ids[name],
                                                   strace_reps, work, name)
    finally:
        stop_all(procs.values())

    print(f"{reps} x 2 Browses per server under perf stat (old, new, new, old), "
          f"{strace_reps} under strace; per Browse:")
    print(f"{'':<34}{'old':>14}{'new':>14}{'new/old':>9}")

    def row(label, o, n, fmt="{:,.0f}"):
        ratio = f"{n / o:.2f}x" if o else "-"
        print(f"{label:<34}{fmt.format(o):>14}{fmt.format(n):>14}{ratio:>9}")
    row("time median (ms)", statistics.median(times["old"]), statistics.median(times["new"]),
        "{:.2f}")
    row("time p99 (ms)", p99(times["old"]), p99(times["new"]), "{:.2f}")
    for k in EVENTS.split(","):
        fmt = "{:.3f}" if k == "task-clock" else "{:,.1f}"
        row(k + (" (ms)" if k == "task-clock" else ""), counters["old"].get(k, 0),
            counters["new"].get(k, 0), fmt)
    print("system calls per Browse (strace -f -c):")
    for k in sorted(set(calls["old"]) | set(calls["new"])):
        row(f"  {k}", calls["old"].get(k, 0), calls["new"].get(k, 0), "{:.2f}")
    print("sizes (strace -f): count per Browse, median bytes")
    for k in sorted(set(sizes["old"]) | set(sizes["new"])):
        o, n = sizes["old"].get(k, []), sizes["new"].get(k, [])
        print(f"  {k:<32}{len(o) / strace_reps:>8.2f} x {statistics.median(o) if o else 0:>9,.0f}"
              f"{len(n) / strace_reps:>8.2f} x {statistics.median(n) if n else 0:>9,.0f}")


if __name__ == "__main__":
    if sys.argv[1] == "client":
        client(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        main()
