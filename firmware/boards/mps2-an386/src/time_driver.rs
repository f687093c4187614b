//! An embassy-time driver on SysTick: a 1 kHz interrupt counts milliseconds and checks the timer
//! queue; the time read is in microseconds, the part within the millisecond read from SysTick's
//! counter. The mps2 CPU clock is 25 MHz (under `-icount shift=0`, QEMU's virtual clock, so that
//! time inside the guest counts instructions: 1 µs is 1000 guest instructions).

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// The CPU clock of QEMU's mps2 boards.
const CPU_HZ: u32 = 25_000_000;
/// SysTick interrupts per second.
const IRQ_HZ: u32 = 1_000;
/// SysTick's reload value: it counts down from this to 0 in a millisecond.
const RELOAD: u32 = CPU_HZ / IRQ_HZ - 1;
/// embassy-time ticks per second; must match its `tick-hz-1_000_000` feature.
const TICK_HZ: u32 = 1_000_000;

struct SysTickDriver {
    /// Milliseconds since boot.
    ms: Mutex<Cell<u64>>,
    queue: Mutex<RefCell<Queue>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    ms: Mutex::new(Cell::new(0)),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| {
            let mut ms = self.ms.borrow(cs).get();
            let mut left = SYST::get_current();
            // A wrap whose interrupt has not run yet (interrupts are masked here) shows as a
            // pending SysTick: count its millisecond, and read the counter again after it.
            if SCB::is_pendst_pending() {
                ms += 1;
                left = SYST::get_current();
            }
            let cycles = u64::from(RELOAD.saturating_sub(left));
            ms * u64::from(TICK_HZ / IRQ_HZ) + cycles * u64::from(TICK_HZ) / u64::from(CPU_HZ)
        })
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut queue = self.queue.borrow(cs).borrow_mut();
            queue.schedule_wake(at, waker);
            // Already due: the next interrupt wakes it (at most 1 ms late).
        });
    }
}

/// Starts the tick.
pub fn init(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let ms = DRIVER.ms.borrow(cs);
        ms.set(ms.get() + 1);
        let now = ms.get() * u64::from(TICK_HZ / IRQ_HZ);
        DRIVER.queue.borrow(cs).borrow_mut().next_expiration(now);
    });
}
