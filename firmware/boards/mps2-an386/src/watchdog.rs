//! The CMSDK APB watchdog of the mps2 boards (0x4000_8000, clocked at 25 MHz): its first
//! timeout raises an interrupt (wired to NMI), the second, unless fed in between, resets the
//! board. A task feeds it every second, so a board whose executor stops running (a hung
//! task, a livelock) restarts within twice [`PERIOD_SECS`].

use core::ptr::write_volatile;

const BASE: usize = 0x4000_8000;
const LOAD: usize = 0x000;
const CTRL: usize = 0x008;
const INTCLR: usize = 0x00c;
const LOCK: usize = 0xc00;
const UNLOCK_KEY: u32 = 0x1acc_e551;
/// CTRL: interrupt and reset enabled.
const INT_AND_RESET: u32 = 0b11;
/// Watchdog clock.
const CLOCK_HZ: u32 = 25_000_000;
/// Seconds per watchdog period.
pub const PERIOD_SECS: u32 = 4;

fn write(reg: usize, value: u32) {
    // SAFETY: a register of the watchdog block, which only this module touches.
    unsafe { write_volatile((BASE + reg) as *mut u32, value) }
}

/// Starts the watchdog.
pub fn start() {
    write(LOCK, UNLOCK_KEY);
    write(LOAD, CLOCK_HZ * PERIOD_SECS);
    write(CTRL, INT_AND_RESET);
    write(LOCK, 0);
}

/// Feeds it: clears the interrupt and reloads the counter.
pub fn feed() {
    write(LOCK, UNLOCK_KEY);
    write(INTCLR, 1);
    write(LOCK, 0);
}
