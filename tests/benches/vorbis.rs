//! Decode throughput of rill's Vorbis decoder against libvorbis (vorbis_rs), ffmpeg's native
//! Vorbis decoder (libavcodec, in-process) and lewton, in one process on the same file, plus the peak heap each Rust decoder holds (a counting allocator).
//!
//! Run: `cargo bench -p rill-tests --bench vorbis [-- SECONDS [QUALITY [CHANNELS]]]` (default
//! 60 s, q5, stereo 44.1 kHz; more than two channels are encoded at 48 kHz). Times are the best
//! of five interleaved rounds; packet splitting is done beforehand for rill, lewton and ffmpeg
//! (fed the same packets, its headers as Xiph-laced extradata), while libvorbisfile reads the
//! Ogg file itself (its demuxing is cheap). ffmpeg's output is first checked against
//! libvorbis's: the same length (as lewton's against rill's) and every channel within 1e-4.
//! `vorbis_rs` bundles the SSE-optimised aoTuV/Lancer build of libvorbis; the stock libvorbis of
//! the system is timed as a whole `oggdec` process writing raw 16-bit PCM to /dev/null.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

mod ffmpeg_util;

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

    // ffmpeg's native decoder on the same packets (float out; its heap is not counted either).
    ffmpeg_util::quiet();
    let ff_packets = ffmpeg_util::Packets::from_packets(
        ffmpeg_sys_next::AVCodecID::AV_CODEC_ID_VORBIS,
        &xiph_extradata(&packets[0].data, &packets[1].data, &packets[2].data),
        audio.iter().copied(),
    );
    let mut ff_dec = ffmpeg_util::Decoder::new(&ff_packets);
    check_ffmpeg(&mut ff_dec, &ff_packets, &bytes, usize::from(channels));
    let mut ffmpeg = || {
        ff_dec.run(&ff_packets, |planes| {
            std::hint::black_box(planes);
        })
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
    let (mut t_oggdec, mut t_ffmpeg) = (f64::MAX, f64::MAX);
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
        assert_eq!(ffmpeg(), frames as u64);
        t_ffmpeg = t_ffmpeg.min(t.elapsed().as_secs_f64());
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
        ("ffmpeg native Vorbis (libavcodec, float out)", t_ffmpeg),
        ("stock libvorbis (oggdec process, i16 out)", t_oggdec),
    ];
    for (name, t) in runs {
        println!(
            "{name:>46}: {:7.1} ms  {:6.0}x real time  rill {:.2}x its speed",
            t * 1e3,
            rt / t,
            t / t_rill
        );
    }
    println!(
        "rill heap: {rill_heap} bytes (setup {setup_bytes} + buffers {buffer_bytes} reported); \
         lewton headers: {lewton_heap} bytes"
    );
}

/// The three Vorbis headers as libavcodec's Vorbis extradata: a count byte (2, the number of
/// headers less one), the first two lengths Xiph-laced, then the headers.
fn xiph_extradata(ident: &[u8], comment: &[u8], setup: &[u8]) -> Vec<u8> {
    let mut out = vec![2u8];
    for len in [ident.len(), comment.len()] {
        out.extend(std::iter::repeat_n(255u8, len / 255));
        out.push((len % 255) as u8);
    }
    for h in [ident, comment, setup] {
        out.extend_from_slice(h);
    }
    out
}

/// Checks ffmpeg's decode against libvorbis's (vorbis_rs): as many frames (libvorbisfile
/// trims the last packet to the final granule, so ffmpeg may give up to one block more), and
/// each libvorbis channel matched within 1e-4 by one of ffmpeg's planes (ffmpeg reorders
/// channels to its own layouts, so the match, not the order, is checked).
fn check_ffmpeg(
    dec: &mut ffmpeg_util::Decoder,
    packets: &ffmpeg_util::Packets,
    bytes: &[u8],
    ch: usize,
) {
    let mut ours: Vec<Vec<f32>> = vec![Vec::new(); ch];
    let frames = dec.run(packets, |planes| {
        let ffmpeg_util::Planes::F32(planes) = planes else {
            panic!("ffmpeg decodes Vorbis to float")
        };
        assert_eq!(planes.len(), ch, "ffmpeg's channel count");
        for (all, p) in ours.iter_mut().zip(planes) {
            all.extend_from_slice(p);
        }
    }) as usize;
    let mut reference: Vec<Vec<f32>> = vec![Vec::new(); ch];
    let mut d = vorbis_rs::VorbisDecoder::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    while let Some(b) = d.decode_audio_block().unwrap() {
        for (all, p) in reference.iter_mut().zip(b.samples()) {
            all.extend_from_slice(p);
        }
    }
    let len = reference[0].len();
    assert!(frames >= len && frames - len <= 8192, "ffmpeg {frames} frames, libvorbis {len}");
    let mut used = vec![false; ch];
    for (c, want) in reference.iter().enumerate() {
        let diff =
            |p: &Vec<f32>| p.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        let (p, d) =
            (0..ch).map(|p| (p, diff(&ours[p]))).min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        assert!(
            d < 1e-4 && !used[p],
            "libvorbis channel {c}: nearest ffmpeg plane {p} differs by {d}"
        );
        used[p] = true;
    }
    println!("ffmpeg checked: {frames} frames, every channel within 1e-4 of libvorbis");
}
