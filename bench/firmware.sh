#!/usr/bin/env bash
# Firmware figures for BENCHMARKS.md (issue 5): flash and static RAM per board, decode cost in
# guest instructions per second of audio and stream heap (QEMU -icount shift=0), the heap
# high-water of the appliance while it serves the end-to-end scenario (two concurrent streams),
# and the time to first byte after a seek over the network, in guest instructions.
# Usage: bench/firmware.sh [sizes] [decode] [heap] [ttfb]     (all four without arguments)
#        (needs qemu-system-arm, dnsmasq, oggenc, flac; the network parts run under unshare -rn, and
#        their traffic stays in that namespace)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
out="$CARGO_TARGET_DIR/thumbv7em-none-eabihf/release"
parts=" ${*:-sizes decode heap ttfb} "
want() { [[ "$parts" == *" $1 "* ]]; }

if want sizes; then
    echo "== flash and static RAM (release builds; bss includes the heap arena) =="
    for board in mps2-an386 nucleo-h743zi2; do
        (cd "firmware/boards/$board" && cargo build -q --release --locked)
        size "$out/rill-$board"
    done
fi

# The card of the decode and TTFB figures: 10 s of 44.1 kHz stereo at q0, q5 and q10, and 10 s
# of 16-bit 44.1 kHz stereo FLAC.
card="$(mktemp --suffix=.img)"
trap 'rm -f "$card"' EXIT
if want decode || want ttfb; then
    cargo run -q --release -p rill-tests --example firmware_card -- "$card" 10
fi

if want decode; then
    echo "== decode cost under -icount shift=0 (10 s of 44.1 kHz stereo per quality, and FLAC) =="
    (cd firmware/boards/mps2-an386 && cargo build -q --release --locked --bin decode_bench)
    timeout 600 qemu-system-arm -machine mps2-an386 -display none -monitor none -serial stdio \
        -icount shift=0 -semihosting-config enable=on,target=native \
        -kernel "$out/decode_bench" -device "loader,file=$card,addr=0x21000000"
fi

if want heap; then
    echo "== heap high-water while serving (QEMU end-to-end scenario) =="
    unshare -rn sh -c 'ip link set lo up && exec "$@"' sh \
        cargo test -q -p rill-tests --test firmware_qemu -- --nocapture 2>&1 \
        | grep -E "heap|library:|test result" || true
fi

if want ttfb; then
    echo "== time to first byte after a seek, over the network, guest time under -icount shift=0 =="
    # The bench makes its own private namespace (tap link, dnsmasq, QEMU).
    RILL_FIRMWARE_CARD="$card" cargo bench -q -p rill-tests --bench firmware_ttfb
fi
