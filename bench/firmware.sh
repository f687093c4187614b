#!/usr/bin/env bash
# Firmware figures for BENCHMARKS.md (issue 5): flash and static RAM per board, decode cost in
# guest instructions per second of audio and stream heap (QEMU -icount shift=0), and the heap
# high-water of the appliance while it serves the end-to-end scenario (two concurrent streams).
# Usage: bench/firmware.sh            (needs qemu-system-arm, oggenc; runs the QEMU test under
#                                      unshare -rn, traffic stays in that namespace)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
out="$CARGO_TARGET_DIR/thumbv7em-none-eabihf/release"

echo "== flash and static RAM (release builds; bss includes the heap arena) =="
for board in mps2-an386 nucleo-h743zi2; do
    (cd "firmware/boards/$board" && cargo build -q --release --locked)
    size "$out/rill-$board"
done

echo "== decode cost under -icount shift=0 (10 s of 44.1 kHz stereo per quality) =="
card="$(mktemp --suffix=.img)"
trap 'rm -f "$card"' EXIT
cargo run -q --release -p rill-tests --example firmware_card -- "$card" 10
(cd firmware/boards/mps2-an386 && cargo build -q --release --locked --bin decode_bench)
timeout 600 qemu-system-arm -machine mps2-an386 -display none -monitor none -serial stdio \
    -icount shift=0 -semihosting-config enable=on,target=native \
    -kernel "$out/decode_bench" -device "loader,file=$card,addr=0x21000000"

echo "== heap high-water while serving (QEMU end-to-end scenario) =="
unshare -rn sh -c 'ip link set lo up && exec "$@"' sh \
    cargo test -q -p rill-tests --test firmware_qemu -- --nocapture 2>&1 \
    | grep -E "heap|library:|test result" || true
