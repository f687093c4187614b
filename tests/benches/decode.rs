//! Decode throughput and heap: Rill's decoder side by side with libvorbis (vorbis_rs) and lewton
//! on the same files, in one process.
//!
//! Run: `cargo bench -p rill-tests --bench decode` (set `SECONDS=60` for shorter files).
//! Each decoder decodes each whole file to interleaved 16-bit PCM (Rill: `read_i16`, libvorbis
//! and lewton: their float/int output), best of several runs; heap is the peak of a counting
//! global allocator while one stream is opened and decoded (Rust allocations only, so libvorbis'
//! own `malloc`s are not seen: its figure comes from `valgrind --tool=massif`, see BENCHMARKS.md).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rill_core::media::vorbis_file::VorbisFile;
use rill_tests::corpus::{Encoder, Spec};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak heap above the current level while `f` runs.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed) - base)
}

/// The file in memory, borrowed (so its bytes do not count as the decoder's heap).
struct Mem<'a>(Cursor<&'a [u8]>);

impl embedded_io::ErrorType for Mem<'_> {
    type Error = core::convert::Infallible;
}
impl embedded_io::Read for Mem<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        Ok(std::io::Read::read(&mut self.0, buf).unwrap_or(0))
    }
}
impl embedded_io::Seek for Mem<'_> {
    fn seek(&mut self, pos: embedded_io::SeekFrom) -> Result<u64, Self::Error> {
        let pos = match pos {
            embedded_io::SeekFrom::Start(p) => std::io::SeekFrom::Start(p),
            embedded_io::SeekFrom::End(d) => std::io::SeekFrom::End(d),
            embedded_io::SeekFrom::Current(d) => std::io::SeekFrom::Current(d),
        };
        Ok(std::io::Seek::seek(&mut self.0, pos).unwrap_or(0))
    }
}

/// Decodes with Rill into `buf`; returns the frames decoded.
fn rill(file: &[u8], buf: &mut [i16]) -> u64 {
    let mut vf = VorbisFile::open(Mem(Cursor::new(file))).expect("rill open");
    let mut frames = 0;
    loop {
        let n = vf.read_i16(buf).expect("rill decode");
        if n == 0 {
            return frames;
        }
        frames += n as u64;
    }
}

/// Decodes with libvorbis (vorbis_rs) to floats, then converts to 16 bits as oggdec would.
fn libvorbis(file: &[u8]) -> u64 {
    let mut dec = vorbis_rs::VorbisDecoder::<&[u8]>::new(file).expect("libvorbis open");
    let mut frames = 0;
    let mut out: Vec<i16> = Vec::with_capacity(4096 * 8);
    while let Some(block) = dec.decode_audio_block().expect("libvorbis decode") {
        let s = block.samples();
        out.clear();
        for i in 0..s[0].len() {
            for ch in s {
                out.push((ch[i] * 32768.0 + 0.5).floor().clamp(-32768.0, 32767.0) as i16);
            }
        }
        frames += s[0].len() as u64;
    }
    std::hint::black_box(&out);
    frames
}

/// Decodes with lewton (which produces 16-bit samples itself).
fn lewton(file: &[u8]) -> u64 {
    let mut r = lewton::inside_ogg::OggStreamReader::new(Cursor::new(file)).expect("lewton open");
    let channels = u64::from(r.ident_hdr.audio_channels);
    let mut samples = 0;
    while let Some(pck) = r.read_dec_packet_itl().expect("lewton decode") {
        samples += pck.len() as u64;
    }
    samples / channels
}

fn best_of(runs: usize, mut f: impl FnMut() -> u64) -> (f64, u64) {
    let mut best = f64::MAX;
    let mut frames = 0;
    for _ in 0..runs {
        let t = Instant::now();
        frames = std::hint::black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, frames)
}

fn main() {
    let seconds: u32 = std::env::var("SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(180);
    let runs: usize = std::env::var("RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let files = [
        (
            "44.1 kHz stereo q0",
            Spec { quality: 0, channels: 2, rate: 44_100, frames: 0, encoder: Encoder::Oggenc },
        ),
        (
            "44.1 kHz stereo q5",
            Spec { quality: 5, channels: 2, rate: 44_100, frames: 0, encoder: Encoder::Oggenc },
        ),
        (
            "44.1 kHz stereo q10",
            Spec { quality: 10, channels: 2, rate: 44_100, frames: 0, encoder: Encoder::Oggenc },
        ),
        (
            "48 kHz 5.1 q5",
            Spec { quality: 5, channels: 6, rate: 48_000, frames: 0, encoder: Encoder::Oggenc },
        ),
    ];
    println!("{seconds} s per file, best of {runs} runs; x = real-time factor; ratio = peer time / Rill time");
    println!(
        "{:<22}{:>10}{:>10}{:>10}{:>12}{:>12}{:>12}{:>14}{:>14}",
        "file",
        "Rill ms",
        "libv ms",
        "lewton ms",
        "Rill x",
        "vs libv",
        "vs lewton",
        "Rill heap KiB",
        "lewton KiB"
    );
    for (name, spec) in files {
        let spec = Spec { frames: seconds * spec.rate, ..spec };
        let file = spec.bytes();
        let mut buf = vec![0i16; 4096 * 8];
        let (rill_frames, rill_heap) = peak_heap(|| rill(&file, &mut buf));
        let (_, lewton_heap) = peak_heap(|| lewton(&file));
        let (r, rf) = best_of(runs, || rill(&file, &mut buf));
        let (l, lf) = best_of(runs, || libvorbis(&file));
        let (w, _) = best_of(runs, || lewton(&file));
        assert_eq!(rf, rill_frames);
        assert_eq!(rf, lf, "Rill and libvorbis disagree on the length of {name}");
        println!(
            "{:<22}{:>10.1}{:>10.1}{:>10.1}{:>12.0}{:>11.2}x{:>11.2}x{:>14.1}{:>14.1}",
            name,
            r * 1e3,
            l * 1e3,
            w * 1e3,
            f64::from(seconds) / r,
            l / r,
            w / r,
            rill_heap as f64 / 1024.0,
            lewton_heap as f64 / 1024.0,
        );
    }
}
