#!/usr/bin/env python3
"""Rill vs MiniDLNA on the same generated library: Browse latency and file streaming throughput.

Run through bench/upnp-vs-minidlna (it enters a private network namespace first: both servers
and the client see only a loopback interface, so nothing leaves this machine).
Both servers are driven by the same client code in this one process.
"""
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

CD = "urn:schemas-upnp-org:service:ContentDirectory:1"
DIDL = "{urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/}"
DC = "{http://purl.org/dc/elements/1.1/}"


def browse(port, control, object_id, start=0, count=0, flag="BrowseDirectChildren"):
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        f'<u:Browse xmlns:u="{CD}"><ObjectID>{object_id}</ObjectID>'
        f"<BrowseFlag>{flag}</BrowseFlag><Filter>*</Filter>"
        f"<StartingIndex>{start}</StartingIndex><RequestedCount>{count}</RequestedCount>"
        "<SortCriteria></SortCriteria></u:Browse></s:Body></s:Envelope>"
    ).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t0 = time.perf_counter()
    conn.request("POST", control, body, {
        "Content-Type": 'text/xml; charset="utf-8"',
        "SOAPACTION": f'"{CD}#Browse"',
    })
    resp = conn.getresponse()
    data = resp.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"Browse {object_id} on {port}: HTTP {resp.status}: {data[:300]!r}")
    env = ET.fromstring(data)
    result = env.find(".//Result").text or ""
    total = int(env.find(".//TotalMatches").text)
    didl = ET.fromstring(result)
    children = []
    for el in didl:
        title = el.find(DC + "title").text
        res = el.find(DIDL + "res")
        children.append((el.get("id"), title, res.text if res is not None else None))
    return elapsed, total, children, len(data), didl


def resources(port, control, parent, title):
    """The (protocolInfo, URL) of each `res` of the child `title` of `parent`."""
    for el in browse(port, control, parent)[4]:
        if el.find(DC + "title").text == title:
            return [(r.get("protocolInfo", ""), r.text) for r in el.findall(DIDL + "res")]
    raise RuntimeError(f"no child {title!r} under {parent} on port {port}")


def find_child(port, control, parent, title):
    _, _, children, _, _ = browse(port, control, parent)
    for cid, ctitle, _ in children:
        if ctitle == title:
            return cid
    raise RuntimeError(f"no child {title!r} under {parent} on port {port}: {children[:10]}")


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except (OSError, RuntimeError, AttributeError, IndexError, ET.ParseError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def stop_all(procs):
    """Stops every server still running: SIGTERM, then SIGKILL after 10 s."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def download(url):
    """GETs url over a raw socket, reading into one reused buffer (so the client is not what
    limits the rate); returns (body bytes, seconds)."""
    m = re.match(r"http://([^/:]+):(\d+)(/.*)", url)
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    buf = bytearray(4 << 20)
    view = memoryview(buf)
    t0 = time.perf_counter()
    with socket.create_connection((host, port), timeout=60) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        total = 0
        head = b""
        while b"\r\n\r\n" not in head:
            n = s.recv_into(view)
            if n == 0:
                raise RuntimeError("no response head")
            head += bytes(view[:n])
        head_end = head.index(b"\r\n\r\n") + 4
        length = int(re.search(rb"(?i)content-length:\s*(\d+)", head[:head_end]).group(1))
        total = len(head) - head_end
        while total < length:
            n = s.recv_into(view)
            if n == 0:
                break
            total += n
    return total, time.perf_counter() - t0


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    rill_bin, lib, work, n_files = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    reps = int(os.environ.get("REPS", "15"))
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "minidlna-db")
    shutil.rmtree(db, ignore_errors=True)
    os.makedirs(db)
    conf = os.path.join(work, "minidlna.conf")
    with open(conf, "w") as f:
        f.write(f"port=8201\nnetwork_interface=lo\nmedia_dir={lib}\ndb_dir={db}\n"
                f"log_dir={work}\ninotify=no\nfriendly_name=bench-minidlna\n")
    procs = []
    results = {}
    try:
        servers = {
            "minidlna": (8201, "/ctl/ContentDir", ["minidlnad", "-S", "-f", conf, "-P",
                                                   os.path.join(work, "minidlna.pid")]),
            "rill": (8200, "/rill/cd/control", [rill_bin, "serve", lib, "--interface", "lo",
                                                "--port", "8200",
                                                "--state-dir", os.path.join(work, "rill-state")]),
        }
        # ONLY=rill (or minidlna) runs one server, e.g. where the other's database would not fit.
        only = os.environ.get("ONLY")
        servers = {k: v for k, v in servers.items() if only in (None, k)}
        for name, (port, control, cmd) in servers.items():
            t0 = time.perf_counter()
            # Rill's thumbnail cache starts empty too, like MiniDLNA's database.
            cache = os.path.join(work, "rill-cache")
            shutil.rmtree(cache, ignore_errors=True)
            env = dict(os.environ, XDG_CACHE_HOME=cache)
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            procs.append(p)
            # MiniDLNA's "Browse Folders" is 64; Rill's Folders shelf is 64 too, holding the
            # served folder, whose sub-folders come next.
            root = "64"

            def scanned():
                top = browse(port, control, root)[2]
                if name == "rill":
                    top = browse(port, control, top[0][0])[2]
                all_id = [c for c in top if c[1] == "all"][0][0]
                return browse(port, control, all_id, 0, 1)[1] >= n_files
            wait_for(scanned, 1800, f"{name} to index {n_files} files")
            scan_s = time.perf_counter() - t0
            scan_rss = rss_kib(p.pid)
            if os.environ.get("SCAN_ONLY"):
                results[name] = {"scan_s": scan_s, "rss_scan_kib": scan_rss}
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
                continue
            top = browse(port, control, root)[2]
            if name == "rill":
                top = browse(port, control, top[0][0])[2]
            ids = {t: i for i, t, _ in top}
            full, thousand, page = [], [], []
            for _ in range(reps):
                e, total, kids, size, _ = browse(port, control, ids["all"])
                full.append((e, len(kids), size))
                e, _, kids, _, _ = browse(port, control, ids["all"], 0, 1000)
                assert len(kids) == 1000, f"{name} returned {len(kids)} of 1000"
                thousand.append(e)
                page.append(browse(port, control, ids["all"], 5000, 100)[0])
            big = browse(port, control, ids["big"])[2][0][2]
            speeds = []
            for _ in range(max(3, reps // 3)):
                nbytes, e = download(big)
                speeds.append(nbytes / e)
            results[name] = {
                "scan_s": scan_s,
                "rss_scan_kib": scan_rss,
                "rss_kib": rss_kib(p.pid),
                "browse_all_ms": statistics.median(x[0] for x in full) * 1e3,
                "browse_all_items": full[0][1],
                "browse_all_bytes": full[0][2],
                "browse_all_us_per_item": statistics.median(x[0] / x[1] for x in full) * 1e6,
                "browse_1000_ms": statistics.median(thousand) * 1e3,
                "browse_page_ms": statistics.median(page) * 1e3,
                "stream_mb_s": statistics.median(speeds) / 1e6,
            }
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    if len(results) == 1:
        (name, only), = results.items()
        print(f"library: {n_files} Vorbis files; {name} only")
        for key, value in only.items():
            print(f"{key:<44}{value:>14.2f}")
        return
    m, r = results["minidlna"], results["rill"]
    if os.environ.get("SCAN_ONLY"):
        print(f"library: {n_files} Vorbis files in one folder; scan time and memory only")
        print(f"{'metric':<44}{'MiniDLNA':>14}{'Rill':>14}{'ratio':>10}")
        for label, key in [("time to index the library (s)", "scan_s"),
                           ("resident memory after the scan (KiB)", "rss_scan_kib")]:
            print(f"{label:<44}{m[key]:>14.2f}{r[key]:>14.2f}{m[key] / r[key]:>9.2f}x")
        return
    print(f"library: {n_files} Vorbis files in one folder + one {os.path.getsize(os.path.join(lib, 'big', 'big.wav')) >> 20} MiB file; {reps} repetitions, medians")
    print(f"{'metric':<44}{'MiniDLNA':>14}{'Rill':>14}{'ratio':>10}")
    rows = [
        ("Browse 'all', RequestedCount=0 (ms)", "browse_all_ms", True),
        ("  items returned", "browse_all_items", None),
        ("  response bytes", "browse_all_bytes", None),
        ("  microseconds per item returned", "browse_all_us_per_item", True),
        ("Browse 'all', 1000 items from 0 (ms)", "browse_1000_ms", True),
        ("Browse 'all', 100 items from 5000 (ms)", "browse_page_ms", True),
        ("file streaming (MB/s)", "stream_mb_s", False),
        ("time to index the library (s)", "scan_s", True),
        ("resident memory after the scan (KiB)", "rss_scan_kib", True),
        ("resident memory after the runs (KiB)", "rss_kib", True),
    ]
    for label, key, lower_is_better in rows:
        mv, rv = m[key], r[key]
        if lower_is_better is None:
            print(f"{label:<44}{mv:>14}{rv:>14}")
            continue
        ratio = (mv / rv) if lower_is_better else (rv / mv)
        print(f"{label:<44}{mv:>14.2f}{rv:>14.2f}{ratio:>9.2f}x")
    print("ratio > 1 means Rill is better (faster / smaller).")


if __name__ == "__main__":
    main()
