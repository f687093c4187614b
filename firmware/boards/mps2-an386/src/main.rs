//! Rill on QEMU's mps2-an386: the appliance of `rill-firmware` with this board's drivers.
//!
//! Boot: the UART logger, the heap, the SysTick time driver; the FAT image QEMU placed in
//! PSRAM (`-device loader,file=media.img,addr=0x21000000`) is mounted through `embedded-sdmmc`
//! and the library built from it; the LAN9118 is started and the network stack brought up with
//! its MAC address; then the executor runs the stack, the appliance and the watchdog feeder.
#![no_std]
#![no_main]

mod lan9118;
mod time_driver;
mod uart;
mod watchdog;

use core::mem::MaybeUninit;

use cortex_m_rt::{entry, exception};
use embassy_executor::Executor;
use embassy_net::{Stack, StackResources};
use embassy_time::{Duration, Timer};
use embedded_alloc::LlffHeap;
use rill_firmware::heap::Counted;
use rill_firmware::storage::{MemoryDisk, Storage};
use rill_firmware::{appliance, library, Appliance, Buffers, Config, Identity};
use static_cell::StaticCell;

use crate::lan9118::Lan9118;

/// HTTP connection slots.
const SLOTS: usize = 4;
/// The heap: the library, two transcoded streams and the answers being sent (see
/// `rill_firmware::heap` and BENCHMARKS.md for what is used).
const HEAP_SIZE: usize = 320 * 1024;
/// Where QEMU's loader puts the media image, and the PSRAM's size.
const PSRAM: usize = 0x2100_0000;
const PSRAM_SIZE: usize = 16 << 20;

#[global_allocator]
static HEAP: Counted<LlffHeap> = Counted::new(LlffHeap::empty());

type Disk = MemoryDisk<'static>;

static STORAGE: StaticCell<Storage<Disk>> = StaticCell::new();
static APPLIANCE: StaticCell<Appliance<'static, Disk>> = StaticCell::new();
static IDENTITY: StaticCell<Identity> = StaticCell::new();
static RESOURCES: StaticCell<StackResources<{ rill_firmware::sockets(SLOTS) }>> = StaticCell::new();
static BUFFERS: StaticCell<Buffers<SLOTS>> = StaticCell::new();
static EXECUTOR: StaticCell<Executor> = StaticCell::new();

#[entry]
fn main() -> ! {
    uart::init(log::LevelFilter::Info);
    {
        static mut ARENA: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: called once, before any allocation; the arena is used by nothing else.
        unsafe { HEAP.inner().init(core::ptr::addr_of_mut!(ARENA) as usize, HEAP_SIZE) };
    }
    let Some(core) = cortex_m::Peripherals::take() else { halt("peripherals taken") };
    time_driver::init(core.SYST);

    // SAFETY: QEMU's PSRAM, holding the media image, is read by nothing else.
    let image = unsafe { core::slice::from_raw_parts(PSRAM as *const u8, PSRAM_SIZE) };
    let storage = match Storage::mount(MemoryDisk(image)) {
        Ok(storage) => STORAGE.init(storage),
        Err(e) => halt_with("no media volume in PSRAM", e),
    };
    let (library, counts) = library::build(storage, library::Capacity::DEFAULT);
    log::info!(
        "library: {} media files, {} {}, {} skipped; heap {} bytes",
        counts.media,
        counts.audio,
        library::DECODED,
        counts.skipped,
        HEAP.used()
    );
    // The GENA SIDs' seed. Not secret (QEMU gives no entropy): one byte of the image's MBR
    // disk signature mixed in.
    let seed = u64::from_le_bytes([0, 0, 1, 2, 3, 4, 5, 6]) ^ u64::from(image[0x1b8]);
    let limits = appliance::Budget::DEFAULT;
    let appliance = APPLIANCE.init(Appliance::new(storage, library, limits, seed));

    // SAFETY: the LAN9118's register block on this board, used only by this driver.
    let eth = match unsafe { Lan9118::new(lan9118::BASE) } {
        Ok(eth) => eth,
        Err(e) => halt_with("no LAN9118", e),
    };
    let identity = IDENTITY.init(Identity::from_mac(eth.mac()));
    let (stack, runner) = embassy_net::new(
        eth,
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        seed,
    );
    // SAFETY: the handler is installed (DefaultHandler below) before the line is unmasked.
    unsafe { cortex_m::peripheral::NVIC::unmask(Irq(lan9118::IRQ)) };
    watchdog::start();

    let executor = EXECUTOR.init(Executor::new());
    executor.run(|spawner| {
        // Each task is spawned once, here at boot, into its own pool of one: `spawn` can only
        // fail if that pool were full, which no input, peer or buffer can make it. A failure
        // would be a build mistake, caught by every boot in the QEMU tests.
        spawner.spawn(net(runner).expect("one network task"));
        spawner.spawn(
            serve(stack, appliance, identity, BUFFERS.init(Buffers::new()))
                .expect("one appliance task"),
        );
        spawner.spawn(feed_watchdog().expect("one feeder"));
        #[cfg(feature = "hang-test")]
        spawner.spawn(hang().expect("one hang"));
    })
}

/// The watchdog test's hang: a second after boot, a task that never yields again, so the
/// executor stops and nothing feeds the watchdog.
#[cfg(feature = "hang-test")]
#[embassy_executor::task]
async fn hang() {
    Timer::after(Duration::from_secs(1)).await;
    log::warn!("hang-test: spinning without yielding");
    loop {
        core::hint::spin_loop();
    }
}

#[embassy_executor::task]
async fn net(mut runner: embassy_net::Runner<'static, Lan9118>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn serve(
    stack: Stack<'static>,
    appliance: &'static Appliance<'static, Disk>,
    identity: &'static Identity,
    buffers: &'static mut Buffers<SLOTS>,
) -> ! {
    rill_firmware::run(stack, appliance, identity, &Config::DEFAULT, buffers).await
}

/// Feeds the watchdog and logs the heap's high-water mark when it moves.
#[embassy_executor::task]
async fn feed_watchdog() -> ! {
    let mut logged = 0;
    loop {
        watchdog::feed();
        let peak = HEAP.peak();
        if peak != logged {
            log::info!("heap: {} bytes in use, high-water {}", HEAP.used(), peak);
            logged = peak;
        }
        Timer::after(Duration::from_secs(1)).await;
    }
}

/// An interrupt number of this board.
#[derive(Clone, Copy)]
struct Irq(u16);

// SAFETY: the numbers used are the board's real interrupt lines.
unsafe impl cortex_m::interrupt::InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

/// The watchdog's first timeout: nothing fed it for a period, and the second resets the board.
#[exception]
unsafe fn NonMaskableInt() {
    log::error!("watchdog: not fed for {} s, reset follows", watchdog::PERIOD_SECS);
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == lan9118::IRQ as i16 {
        lan9118::on_interrupt();
    }
}

fn halt_with(what: &str, e: impl core::fmt::Display) -> ! {
    log::error!("{what}: {e}");
    halt(what)
}

fn halt(what: &str) -> ! {
    log::error!("halted: {what}");
    // The watchdog is not running yet at boot; spin where a debugger can see it.
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // Neither message nor location: reading either keeps a location record and a message for
    // every bounds check and `?`-free panic path in the image (30 KB of flash, 11 % of it). A
    // debugger finds the place: break on `rust_begin_unwind` (QEMU `-s -S`, README) and `bt`.
    log::error!("panic");
    // Restart at once rather than wait for the watchdog.
    cortex_m::peripheral::SCB::sys_reset()
}
