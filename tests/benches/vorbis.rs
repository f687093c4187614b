//! Decode throughput of rill's Vorbis decoder against libvorbis (vorbis_rs) and lewton, in one
//! process on the same file, plus the peak heap each Rust decoder holds (a counting allocator).
//!
//! Run: `cargo bench -p rill-tests --bench vorbis [-- SECONDS [QUALITY [CHANNELS]]]` (default
//! 60 s, q5, stereo 44.1 kHz; more than two channels are encoded at 48 kHz). Times are the best
//! of five interleaved rounds; packet splitting is done beforehand for rill and lewton, while libvorbisfile reads the Ogg file itself (its demuxing is cheap).
//! `vorbis_rs` bundles the SSE-optimised aoTuV/Lancer build of libvorbis; the stock libvorbis of
//! the system is timed as a whole `oggdec` process writing raw 16-bit PCM to /dev/null.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rill_core::media::vorbis::{Decoder, Ident, Setup};
use rill_tests::corpus::{split_ogg, Spec};

/// Counts live heap bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Resets the peak to the current live size and returns that baseline.
fn heap_mark() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let seconds: u32 = args.first().and_then(|s| s.parse().ok()).unwrap_or(60);
    let quality: i8 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    // Optional channel count; 5.1 (6 channels) is measured at 48 kHz, as such files usually are.
    let channels: u8 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let rate = if channels > 2 { 48_000 } else { 44_100 };
    let spec = Spec { frames: rate * seconds, channels, rate, ..Spec::stereo(quality) };
    let bytes = spec.bytes();
    let packets = split_ogg(&bytes);
    let audio: Vec<&[u8]> = packets[3..].iter().map(|p| p.data.as_slice()).collect();
    println!("{} ({} bytes, {} audio packets)", spec.name(), bytes.len(), audio.len());

    // rill: headers, decoder, then every packet to interleaved i16 (what the server streams).
    let base = heap_mark();
    let ident = Ident::parse(&packets[0].data).unwrap();
    let setup = Setup::parse(&ident, &packets[2].data).unwrap();
    let (setup_bytes, buffer_bytes) = (setup.heap_bytes(), Decoder::buffer_bytes(&ident));
    let mut dec = Decoder::new(ident, setup).unwrap();
    let rill_heap = PEAK.load(Ordering::Relaxed) - base;
    let mut pcm = vec![0i16; usize::from(channels) * 4096];
    let mut rill = || {
        dec.reset();
        let mut frames = 0;
        for p in &audio {
            let n = dec.decode(p).unwrap();
            frames += dec.pcm().write_i16(0..n, &mut pcm);
        }
        frames
    };

    // lewton, on the same packets.
    let base = heap_mark();
    let l_ident = lewton::header::read_header_ident(&packets[0].data).unwrap();
    let l_comment = lewton::header::read_header_comment(&packets[1].data).unwrap();
    let l_setup = lewton::header::read_header_setup(
        &packets[2].data,
        l_ident.audio_channels,
        (l_ident.blocksize_0, l_ident.blocksize_1),
    )
    .unwrap();
    drop(l_comment);
    let lewton_heap = PEAK.load(Ordering::Relaxed) - base;
    let lewton = || {
        let mut pwr = lewton::audio::PreviousWindowRight::new();
        let mut frames = 0;
        for p in &audio {
            let d: lewton::samples::InterleavedSamples<i16> =
                lewton::audio::read_audio_packet_generic(&l_ident, &l_setup, p, &mut pwr).unwrap();
            frames += d.samples.len() / usize::from(channels);
        }
        frames
    };

    // libvorbis through libvorbisfile (float output; its heap is C malloc, not counted here).
    let libvorbis = || {
        let mut d = vorbis_rs::VorbisDecoder::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let mut frames = 0;
        while let Some(b) = d.decode_audio_block().unwrap() {
            frames += b.samples()[0].len();
        }
        frames
    };

    // Interleaved rounds, best time of each, so load from other processes hits all alike.
    let path = spec.path();
    let oggdec = || {
        let status = std::process::Command::new("oggdec")
            .args(["-Q", "-R", "-o", "/dev/null"])
            .arg(&path)
            .status()
            .expect("oggdec");
        assert!(status.success());
    };
    let (mut t_rill, mut t_lewton, mut t_libvorbis) = (f64::MAX, f64::MAX, f64::MAX);
    let mut t_oggdec = f64::MAX;
    let mut frames = 0;
    for _ in 0..5 {
        let t = Instant::now();
        frames = rill();
        t_rill = t_rill.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        assert_eq!(lewton(), frames);
        t_lewton = t_lewton.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        libvorbis();
        t_libvorbis = t_libvorbis.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        oggdec();
        t_oggdec = t_oggdec.min(t.elapsed().as_secs_f64());
    }

    let rt = f64::from(seconds);
    println!("frames decoded by rill: {frames}");
    let runs = [
        ("rill (i16 out)", t_rill),
        ("lewton (i16 out)", t_lewton),
        ("aoTuV/Lancer libvorbis (vorbis_rs, float out)", t_libvorbis),
        ("stock libvorbis (oggdec process, i16 out)", t_oggdec),
    ];
    for (name, t) in runs {
        println!("{name:>46}: {:7.1} ms  {:6.0}x real time", t * 1e3, rt / t);
    }
    println!(
        "rill heap: {rill_heap} bytes (setup {setup_bytes} + buffers {buffer_bytes} reported); \
         lewton headers: {lewton_heap} bytes"
    );
}
