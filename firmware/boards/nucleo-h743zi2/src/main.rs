//! Rill on the NUCLEO-H743ZI2: the appliance of `rill-firmware` with embassy-stm32's Ethernet
//! (the board's LAN8742A PHY over RMII) and an SD card on SDMMC1 (a microSD breakout wired to
//! the Zio/Morpho pins: CK PC12, CMD PD2, D0-D3 PC8-PC11; the board has no slot of its own).
//!
//! Boot: clocks at 400 MHz, the heap, the card mounted through `embedded-sdmmc` and the library
//! built from it; the MAC address and the UUID derived from the chip's unique ID; the network
//! stack brought up (DHCP, static fallback); then the executor runs the stack, the appliance
//! and the independent-watchdog feeder. Logs go out over defmt-rtt (`probe-rs run`).
#![no_std]
#![no_main]

use core::cell::RefCell;
use core::mem::MaybeUninit;

use defmt::{info, unwrap};
use defmt_rtt as _;
use embassy_executor::Spawner;
use embassy_net::{Stack, StackResources};
use embassy_stm32::eth::{Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::peripherals::{ETH, ETH_SMA, IWDG1};
use embassy_stm32::sdmmc::sd::{Addressable, Card, CmdBlock, DataBlock, StorageDevice};
use embassy_stm32::sdmmc::Sdmmc;
use embassy_stm32::time::Hertz;
use embassy_stm32::wdg::IndependentWatchdog;
use embassy_stm32::{bind_interrupts, eth, peripherals, sdmmc, Config};
use embassy_time::{Duration, Timer};
use embedded_alloc::LlffHeap;
use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx};
use rill_firmware::heap::Counted;
use rill_firmware::storage::Storage;
use rill_firmware::{appliance, library, Appliance, Buffers, Identity};
use static_cell::StaticCell;

/// HTTP connection slots.
const SLOTS: usize = 4;
/// The heap: the library, two transcoded streams and the answers being sent (see
/// `rill_firmware::heap`).
const HEAP_SIZE: usize = 320 * 1024;
/// The watchdog's timeout: a board whose executor stops restarts after this.
const WATCHDOG_US: u32 = 8_000_000;

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    SDMMC1 => sdmmc::InterruptHandler<peripherals::SDMMC1>;
});

#[global_allocator]
static HEAP: Counted<LlffHeap> = Counted::new(LlffHeap::empty());

type Eth = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

static SDMMC: StaticCell<Sdmmc<'static>> = StaticCell::new();
static STORAGE: StaticCell<Storage<SdCard>> = StaticCell::new();
static APPLIANCE: StaticCell<Appliance<'static, SdCard>> = StaticCell::new();
static IDENTITY: StaticCell<Identity> = StaticCell::new();
static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
static RESOURCES: StaticCell<StackResources<{ rill_firmware::sockets(SLOTS) }>> = StaticCell::new();
static BUFFERS: StaticCell<Buffers<SLOTS>> = StaticCell::new();

/// The SD card as `embedded-sdmmc`'s blocking block device: each read waits for the SDMMC
/// transfer (a 512-byte block takes about 0.1 ms on the 4-bit bus at 25 MHz).
pub struct SdCard(RefCell<StorageDevice<'static, 'static, Card>>);

/// A failed SD-card transfer.
#[derive(Debug)]
pub struct SdError(sdmmc::Error);

impl core::fmt::Display for SdError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SD card: {:?}", self.0)
    }
}

impl core::error::Error for SdError {}

impl BlockDevice for SdCard {
    type Error = SdError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), SdError> {
        let mut card = self.0.borrow_mut();
        let mut data = DataBlock::new();
        for (idx, block) in (start.0..).zip(blocks.iter_mut()) {
            embassy_futures::block_on(card.read_block(idx, &mut data)).map_err(SdError)?;
            for (out, word) in block.contents.chunks_exact_mut(4).zip(data.0.iter()) {
                out.copy_from_slice(&word.to_le_bytes());
            }
        }
        Ok(())
    }

    fn write(&self, _blocks: &[Block], _start: BlockIdx) -> Result<(), SdError> {
        // The appliance never writes to the card.
        Err(SdError(sdmmc::Error::UnsupportedCardType))
    }

    fn num_blocks(&self) -> Result<BlockCount, SdError> {
        let bytes = self.0.borrow().card().size();
        Ok(BlockCount(u32::try_from(bytes / 512).unwrap_or(u32::MAX)))
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_stm32::init(clocks());
    {
        static mut ARENA: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: called once, before any allocation; the arena is used by nothing else.
        unsafe { HEAP.inner().init(core::ptr::addr_of_mut!(ARENA) as usize, HEAP_SIZE) };
    }

    let sdmmc = SDMMC.init(Sdmmc::new_4bit(
        p.SDMMC1,
        Irqs,
        p.PC12,
        p.PD2,
        p.PC8,
        p.PC9,
        p.PC10,
        p.PC11,
        Default::default(),
    ));
    let mut cmd = CmdBlock::new();
    let card = unwrap!(StorageDevice::new_sd_card(sdmmc, &mut cmd, Hertz::mhz(25)).await);
    let storage = match Storage::mount(SdCard(RefCell::new(card))) {
        Ok(storage) => STORAGE.init(storage),
        // At boot, before anything is served and before the watchdog runs: without a FAT volume
        // there is no library to serve, so the board stops here with the reason in its log
        // until it is given a formatted card and reset. No network input reaches this.
        Err(e) => defmt::panic!("no FAT volume on the SD card: {}", e),
    };
    let (library, counts) = library::build(storage, library::Capacity::DEFAULT);
    info!(
        "library: {} media files, {} {=str}, {} skipped; heap {} bytes",
        counts.media,
        counts.audio,
        library::DECODED,
        counts.skipped,
        HEAP.used()
    );
    let uid = embassy_stm32::uid::uid();
    // The seed of the GENA SIDs and the network stack: unique per chip (not secret).
    let seed = u64::from_le_bytes([uid[0], uid[1], uid[2], uid[3], uid[4], uid[5], uid[6], uid[7]]);
    let limits = appliance::Budget::DEFAULT;
    let appliance = APPLIANCE.init(Appliance::new(storage, library, limits, seed));

    let mac = Identity::mac_from_unique_id(&uid);
    let identity = IDENTITY.init(Identity::from_mac(mac));
    let eth = Ethernet::new(
        PACKETS.init(PacketQueue::new()),
        p.ETH,
        Irqs,
        p.PA1,
        p.PA7,
        p.PC4,
        p.PC5,
        p.PG13,
        p.PB13,
        p.PG11,
        mac,
        p.ETH_SMA,
        p.PA2,
        p.PC1,
    );
    let (stack, runner) = embassy_net::new(
        eth,
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        seed,
    );
    let mut watchdog = IndependentWatchdog::new(p.IWDG1, WATCHDOG_US);
    watchdog.unleash();

    spawner.spawn(unwrap!(net(runner)));
    spawner.spawn(unwrap!(serve(stack, appliance, identity, BUFFERS.init(Buffers::new()))));
    spawner.spawn(unwrap!(feed(watchdog)));
}

/// 400 MHz from the HSI through PLL1; PLL1_Q (100 MHz) clocks SDMMC1.
fn clocks() -> Config {
    use embassy_stm32::rcc::{
        AHBPrescaler, APBPrescaler, HSIPrescaler, Pll, PllDiv, PllMul, PllPreDiv, PllSource,
        Sysclk, VoltageScale,
    };
    let mut config = Config::default();
    config.rcc.hsi = Some(HSIPrescaler::DIV1);
    config.rcc.csi = true;
    config.rcc.pll1 = Some(Pll {
        source: PllSource::HSI,
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL50,
        divp: Some(PllDiv::DIV2),
        divq: Some(PllDiv::DIV8),
        divr: None,
        fracn: None,
    });
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.ahb_pre = AHBPrescaler::DIV2;
    config.rcc.apb1_pre = APBPrescaler::DIV2;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.apb3_pre = APBPrescaler::DIV2;
    config.rcc.apb4_pre = APBPrescaler::DIV2;
    config.rcc.voltage_scale = VoltageScale::Scale1;
    config
}

#[embassy_executor::task]
async fn net(mut runner: embassy_net::Runner<'static, Eth>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn serve(
    stack: Stack<'static>,
    appliance: &'static Appliance<'static, SdCard>,
    identity: &'static Identity,
    buffers: &'static mut Buffers<SLOTS>,
) -> ! {
    rill_firmware::run(stack, appliance, identity, &rill_firmware::Config::DEFAULT, buffers).await
}

/// Pets the watchdog every second and logs the heap's high-water mark when it moves.
#[embassy_executor::task]
async fn feed(mut watchdog: IndependentWatchdog<'static, IWDG1>) -> ! {
    let mut logged = 0;
    loop {
        watchdog.pet();
        let peak = HEAP.peak();
        if peak != logged {
            info!("heap: {} bytes in use, high-water {}", HEAP.used(), peak);
            logged = peak;
        }
        Timer::after(Duration::from_secs(1)).await;
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // Neither message nor location: reading either keeps a location record and a message for
    // every bounds check in the image (30 KB of flash, 11 % of it). The backtrace says where.
    defmt::error!("panic");
    // Stop in a hard fault, as panic-probe does: `probe-rs run` prints the backtrace; with no
    // probe attached the fault handler spins and the watchdog restarts the board.
    cortex_m::asm::udf()
}
