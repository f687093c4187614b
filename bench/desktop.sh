#!/usr/bin/env bash
# Desktop figures for BENCHMARKS.md (issue 14): for `rill serve` with the built-in demo library,
# the time from start to READY=1 (sd_notify), the resident memory once idle, and the wakeups
# while idle (sum over its threads of the times each was scheduled, /proc/PID/task/*/schedstat,
# and of their context switches, /proc/PID/task/*/status, also given per thread), over SECS
# seconds (default 60). A private D-Bus session bus (dbus-daemon) runs beside it, as on a desktop,
# so the D-Bus interface is up.
# Usage: bench/desktop.sh [SECS [N_FILES]]
#        (needs python3; the server runs under unshare -rn on loopback only, so its SSDP and
#        HTTP stay in that namespace; HOME and the XDG folders point at a temp dir, so the demo
#        library is what it serves; with N_FILES, it serves N_FILES generated tagged Vorbis
#        files instead, made once in $BENCH_DIR (default /tmp/rill-bench) with vorbis-tools, as
#        bench/upnp-vs-minidlna does, to show that READY=1 does not wait for the scan)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
secs="${1:-60}"
n="${2:-}"
cargo build -q --release --locked -p rill
rill="$CARGO_TARGET_DIR/release/rill"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
lib=""
if [ -n "$n" ]; then
    work=${BENCH_DIR:-/tmp/rill-bench}
    lib=$work/desktop-lib-$n
    if [ ! -f "$lib/.done" ]; then
        echo "generating $n tagged Vorbis files in $lib ..." >&2
        rm -rf "$lib"
        mkdir -p "$lib"
        ffmpeg -loglevel error -f lavfi -i "sine=frequency=440:duration=1" -ac 2 -ar 44100 -f wav - |
            oggenc -Q -q 0 -o "$lib/.base.ogg" -
        for i in $(seq -w 1 "$n"); do
            mkdir -p "$lib/Artist $((10#$i % 97))"
            vorbiscomment -w -t "TITLE=Track $i" -t "ARTIST=Artist $((10#$i % 97))" \
                -t "ALBUM=Album $((10#$i % 1009))" -t "TRACKNUMBER=$((10#$i % 20 + 1))" \
                "$lib/.base.ogg" "$lib/Artist $((10#$i % 97))/track-$i.ogg"
        done
        rm "$lib/.base.ogg"
        touch "$lib/.done"
    fi
fi

exec unshare -rn python3 - "$rill" "$tmp" "$secs" ${lib:+"$lib"} <<'PY'
import glob, os, signal, socket, subprocess, sys, time

rill, tmp, secs, folders = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["ip", "route", "add", "239.0.0.0/8", "dev", "lo"], check=True)

sock_path = os.path.join(tmp, "notify")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sock_path)
env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp + "/config", XDG_CACHE_HOME=tmp + "/cache",
           XDG_STATE_HOME=tmp + "/state", XDG_DATA_HOME=tmp + "/data", NOTIFY_SOCKET=sock_path,
           RUST_LOG="warn")
env.pop("WATCHDOG_USEC", None)
# A session bus of its own, as a desktop session has: Rill serves its D-Bus interface on it.
bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()

def messages(timeout):
    sock.settimeout(timeout)
    try:
        return sock.recv(4096).decode().splitlines()
    except socket.timeout:
        return None

start = time.monotonic()
proc = subprocess.Popen([rill, "serve", "--interface", "lo", "--port", "0", *folders], env=env,
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
ready_ms = None
scanned_ms = None
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
        scanned_ms = (time.monotonic() - start) * 1000
        break
if ready_ms is None:
    proc.kill()
    sys.exit("no READY=1 within 30 s")
print(f"start to READY=1: {ready_ms:.1f} ms")
scan = f"{scanned_ms:.0f} ms" if scanned_ms is not None else "not over within 30 s"
print(f"status: {status} (scan over, by STATUS=: {scan})")

# Let start-up work (thumbnails, the post-scan trim) finish.
time.sleep(5)
pid = proc.pid

def scheduled():
    """Per thread (id, name): times scheduled and context switches so far."""
    tasks = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            runs = int(open(task + "/schedstat").read().split()[2])
            switches = 0
            for line in open(task + "/status"):
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches += int(line.split()[1])
            name = open(task + "/comm").read().strip()
        except FileNotFoundError:
            continue
        tasks[(os.path.basename(task), name)] = (runs, switches)
    return tasks

def rss_kb():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

rss = rss_kb()
before = scheduled()
time.sleep(secs)
after = scheduled()
runs = switches = 0
per_thread = []
for task, (r1, s1) in sorted(after.items()):
    r0, s0 = before.get(task, (0, 0))
    runs += r1 - r0
    switches += s1 - s0
    per_thread.append(f"{task[1]} {r1 - r0}")
print(f"idle RSS: {rss} kB ({rss / 1024:.1f} MiB), {len(after)} threads")
print(f"idle wakeups over {secs} s: {runs} ({runs / secs:.2f}/s); "
      f"context switches {switches} ({switches / secs:.2f}/s)")
print("wakeups per thread: " + ", ".join(per_thread))
proc.send_signal(signal.SIGTERM)
proc.wait(timeout=10)
bus.terminate()
bus.wait(timeout=10)
PY
