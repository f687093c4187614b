//! Decode cost and stream heap on the board: every `.ogg` and `.flac` in the root of the card in
//! PSRAM is transcoded to L16 from start to end, then once more from a seek to its middle, and the
//! guest's CMSDK TIMER0 (25 MHz) times both. Under `qemu-system-arm -icount shift=0` one guest
//! instruction is one nanosecond of virtual time, so 40 instructions per timer count: the
//! figures are instruction counts, independent of the host. Prints one line per file on the
//! UART and exits QEMU through semihosting. `bench/firmware.sh` runs it.
#![no_std]
#![no_main]

#[path = "../uart.rs"]
mod uart;

use core::mem::MaybeUninit;
use core::ptr::{read_volatile, write_volatile};

use cortex_m_rt::entry;
use embedded_alloc::LlffHeap;
use rill_core::transcode::{Decoder, Layout, PcmSource, Transcoder, Wrapping};
use rill_firmware::appliance::Budget;
use rill_firmware::heap::Counted;
use rill_firmware::storage::{MemoryDisk, Storage};

const HEAP_SIZE: usize = 512 * 1024;
const PSRAM: usize = 0x2100_0000;
const PSRAM_SIZE: usize = 16 << 20;
/// The HTTP slots' chunk: what one `fill` produces.
const CHUNK: usize = rill_firmware::http::TX;

#[global_allocator]
static HEAP: Counted<LlffHeap> = Counted::new(LlffHeap::empty());

/// CMSDK APB TIMER0: a 32-bit down counter at the 25 MHz APB clock.
const TIMER0: usize = 0x4000_0000;

fn timer_start() {
    // SAFETY: TIMER0's RELOAD and CTRL registers; nothing else uses the timer.
    unsafe {
        write_volatile((TIMER0 + 0x8) as *mut u32, u32::MAX);
        write_volatile((TIMER0 + 0x4) as *mut u32, u32::MAX);
        write_volatile(TIMER0 as *mut u32, 1);
    }
}

/// Timer counts since [`timer_start`] (wraps after 171 s of virtual time).
fn counts() -> u64 {
    // SAFETY: TIMER0's VALUE register.
    u64::from(u32::MAX - unsafe { read_volatile((TIMER0 + 0x4) as *const u32) })
}

/// Guest instructions per timer count under `-icount shift=0`.
const INSTRUCTIONS_PER_COUNT: u64 = 40;

#[entry]
fn main() -> ! {
    uart::init(log::LevelFilter::Info);
    {
        static mut ARENA: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: called once, before any allocation.
        unsafe { HEAP.inner().init(core::ptr::addr_of_mut!(ARENA) as usize, HEAP_SIZE) };
    }
    timer_start();
    // SAFETY: QEMU's PSRAM, holding the card image.
    let image = unsafe { core::slice::from_raw_parts(PSRAM as *const u8, PSRAM_SIZE) };
    let Ok(storage) = Storage::mount(MemoryDisk(image)) else { exit(false) };
    let Some(entries) = storage.list([]) else { exit(false) };
    let mut chunk = [0u8; CHUNK];
    let budget = Budget::DEFAULT.stream_budget;
    let media =
        |e: &&rill_firmware::storage::Entry| e.name.ends_with(".ogg") || e.name.ends_with(".flac");
    for entry in entries.iter().filter(media) {
        let name = entry.name.as_str();
        let open = |first: Option<u64>| {
            let (file, _) = storage.open([name])?;
            let source = Decoder::open(file, budget).ok()?;
            let frames = source.total_frames();
            let layout = Layout::new(Wrapping::L16, source.rate(), source.channels(), frames)?;
            let first = first.map_or(0, |f| layout.frame_offset(f.min(frames)));
            let len = layout.total_len() - first;
            Some((Transcoder::new(source, layout, first, len).ok()?, layout, frames))
        };
        // Whole file: heap of the stream and decode cost.
        let base = HEAP.used();
        HEAP.reset_peak();
        let t0 = counts();
        let Some((mut stream, layout, frames)) = open(None) else {
            log::error!("{name}: cannot open");
            exit(false)
        };
        let mut bytes = 0u64;
        while let Ok(n) = stream.fill(&mut chunk) {
            if n == 0 {
                break;
            }
            bytes += n as u64;
        }
        let decode = (counts() - t0) * INSTRUCTIONS_PER_COUNT;
        let heap = HEAP.peak() - base;
        drop(stream);
        let ok = bytes == layout.total_len();
        let audio_ms = frames * 1000 / u64::from(layout.rate);
        let per_second = decode * 1000 / audio_ms.max(1);
        // A seek to the middle: open, position, first chunk out.
        let t0 = counts();
        let Some((mut stream, _, _)) = open(Some(frames / 2)) else { exit(false) };
        let first = stream.fill(&mut chunk).unwrap_or(0);
        let seek = (counts() - t0) * INSTRUCTIONS_PER_COUNT;
        log::info!(
            "bench {}: audio_ms={} complete={} instructions={} per_audio_second={} stream_heap={} seek_first_chunk_instructions={} first_chunk={}",
            name,
            audio_ms,
            ok,
            decode,
            per_second,
            heap,
            seek,
            first
        );
    }
    // Two streams at once, decoded in turns as two HTTP slots would: the heap they take. The
    // first and last Vorbis files, and each FLAC file on two streams at once.
    let mut names = entries.iter().filter(|e| e.name.ends_with(".ogg")).map(|e| e.name.as_str());
    let vorbis = names.next().zip(names.next_back());
    let flac = entries.iter().filter(|e| e.name.ends_with(".flac")).map(|e| (&*e.name, &*e.name));
    for (a, b) in vorbis.into_iter().chain(flac) {
        let base = HEAP.used();
        HEAP.reset_peak();
        let open = |name: &str| {
            let (file, _) = storage.open([name])?;
            let source = Decoder::open(file, budget).ok()?;
            let layout = Layout::new(
                Wrapping::L16,
                source.rate(),
                source.channels(),
                source.total_frames(),
            )?;
            Transcoder::new(source, layout, 0, layout.total_len()).ok()
        };
        let (Some(mut one), Some(mut two)) = (open(a), open(b)) else { exit(false) };
        let (mut left, mut right) = (true, true);
        while left || right {
            left = left && matches!(one.fill(&mut chunk), Ok(n) if n > 0);
            right = right && matches!(two.fill(&mut chunk), Ok(n) if n > 0);
        }
        log::info!("bench two streams {} + {}: heap_high_water={}", a, b, HEAP.peak() - base);
    }
    exit(true)
}

fn exit(ok: bool) -> ! {
    let code = if ok {
        cortex_m_semihosting::debug::EXIT_SUCCESS
    } else {
        cortex_m_semihosting::debug::EXIT_FAILURE
    };
    cortex_m_semihosting::debug::exit(code);
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    log::error!("panic: {info}");
    exit(false)
}
