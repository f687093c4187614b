#!/usr/bin/env bash
# Desktop figures for BENCHMARKS.md (issue 14): for `rill serve` with the built-in demo library,
# the time from start to READY=1 (sd_notify), the resident memory once idle, and the wakeups
# while idle (sum over its threads of the times each was scheduled, /proc/PID/task/*/schedstat,
# and of their context switches, /proc/PID/task/*/status), over SECS seconds (default 60).
# Usage: bench/desktop.sh [SECS]
#        (needs python3; the server runs under unshare -rn on loopback only, so its SSDP and
#        HTTP stay in that namespace; HOME and the XDG folders point at a temp dir, so the demo
#        library is what it serves)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
secs="${1:-60}"
cargo build -q --release --locked -p rill
rill="$CARGO_TARGET_DIR/release/rill"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

exec unshare -rn python3 - "$rill" "$tmp" "$secs" <<'PY'
import glob, os, signal, socket, subprocess, sys, time

rill, tmp, secs = sys.argv[1], sys.argv[2], int(sys.argv[3])
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["ip", "route", "add", "239.0.0.0/8", "dev", "lo"], check=True)

sock_path = os.path.join(tmp, "notify")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sock_path)
env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp + "/config", XDG_CACHE_HOME=tmp + "/cache",
           XDG_STATE_HOME=tmp + "/state", XDG_DATA_HOME=tmp + "/data", NOTIFY_SOCKET=sock_path,
           RUST_LOG="warn")
env.pop("WATCHDOG_USEC", None)

def messages(timeout):
    sock.settimeout(timeout)
    try:
        return sock.recv(4096).decode().splitlines()
    except socket.timeout:
        return None

start = time.monotonic()
proc = subprocess.Popen([rill, "serve", "--interface", "lo", "--port", "0"], env=env,
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
ready_ms = None
status = ""
deadline = start + 30
while time.monotonic() < deadline:
    lines = messages(deadline - time.monotonic())
    if lines is None:
        break
    if "READY=1" in lines and ready_ms is None:
        ready_ms = (time.monotonic() - start) * 1000
    status = next((l[7:] for l in lines if l.startswith("STATUS=")), status)
    if ready_ms is not None and status and not status.startswith("Scanning"):
        break
if ready_ms is None:
    proc.kill()
    sys.exit("no READY=1 within 30 s")
print(f"start to READY=1: {ready_ms:.1f} ms")
print(f"status: {status}")

# Let start-up work (thumbnails, the post-scan trim) finish.
time.sleep(5)
pid = proc.pid

def scheduled():
    runs = switches = 0
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            runs += int(open(task + "/schedstat").read().split()[2])
            for line in open(task + "/status"):
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches += int(line.split()[1])
        except FileNotFoundError:
            pass
    return runs, switches

def rss_kb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

rss = rss_kb()
runs0, switches0 = scheduled()
time.sleep(secs)
runs1, switches1 = scheduled()
threads = len(glob.glob(f"/proc/{pid}/task/*"))
print(f"idle RSS: {rss} kB ({rss / 1024:.1f} MiB), {threads} threads")
print(f"idle wakeups over {secs} s: {runs1 - runs0} ({(runs1 - runs0) / secs:.2f}/s); "
      f"context switches {switches1 - switches0} ({(switches1 - switches0) / secs:.2f}/s)")
proc.send_signal(signal.SIGTERM)
proc.wait(timeout=10)
PY
