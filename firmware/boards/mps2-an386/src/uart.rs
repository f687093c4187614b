//! Logging to the CMSDK UART0 of the mps2 boards (QEMU's first serial port), through `log`.

use core::fmt::Write;
use core::ptr::write_volatile;

const UART0: usize = 0x4000_4000;
const DATA: usize = 0x00;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;

struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for byte in s.bytes() {
            // SAFETY: UART0's data register; QEMU's model never reports the TX FIFO full.
            unsafe { write_volatile((UART0 + DATA) as *mut u32, u32::from(byte)) };
        }
        Ok(())
    }
}

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        critical_section::with(|_| {
            let _ = writeln!(Uart, "[{}] {}", record.level(), record.args());
        });
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

/// Enables the transmitter and installs the logger.
pub fn init(level: log::LevelFilter) {
    // SAFETY: UART0's control and baud divisor registers, written once before any output.
    unsafe {
        write_volatile((UART0 + BAUDDIV) as *mut u32, 16);
        write_volatile((UART0 + CTRL) as *mut u32, 1);
    }
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}
