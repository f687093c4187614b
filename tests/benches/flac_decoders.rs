//! FLAC decode throughput (issue 13): rill's decoder against libFLAC in this process (Debian's
//! libflac-dev through `libflac-sys`, the library `flac -d` runs), claxon and symphonia, on the
//! same files held in memory: 16-bit 44.1 kHz stereo at `flac -5` and `-8`, 24-bit 96 kHz
//! stereo at `-5` and `-8`, made by `flac` from the FLAC corpus signal
//! (`rill_tests::flac_corpus`, cached in its directory).
//!
//! Every decoder first decodes each file once while a per-channel checksum of its samples is
//! compared with libFLAC's, so a wrong decode fails the bench; then the timed rounds run, the
//! decoders interleaved within each round. Each hand-out of samples is timed from the one
//! before it (the first from the start), and a decoder's time is the sum over its hand-outs of
//! the best of the rounds: a block that another process preempted in one round is timed
//! unhindered in another, so on a loaded machine the ratios hold where whole-file times swing. rill hands out interleaved `i32` samples (`read_i32`, what
//! `rill decode -f s32le` and the transcoder read); libFLAC, claxon and symphonia stop at
//! their planar buffers, so rill does the interleaving the others skip.
//!
//! Run: `cargo bench -p rill-tests --bench flac_decoders [-- SECONDS [ROUNDS [DECODER
//! [FILE]]]]` (default 30 s of audio per file, 5 rounds: a few seconds in all). `DECODER` and
//! `FILE` time only the decoders and files whose names contain them (`rill`, `-8`, ...), for
//! profiling one decoder under `perf`; ratios need every decoder, so they print only then.

use std::ffi::c_void;
use std::io::Cursor;
use std::time::Instant;

use rill_core::media::flac::FlacFile;
use rill_tests::flac_corpus::Spec;

/// A decoder under test: decodes a whole in-memory file, feeding each block of samples (one
/// channel's slice at a time, or one interleaved slice with the channel count) to `sink`.
type Sink<'a> = &'a mut dyn FnMut(Block<'_>);

/// Samples handed out by a decoder.
enum Block<'a> {
    /// One channel's samples of one block, shifted left by the second number (symphonia
    /// scales samples to the full `i32` range).
    Planar(usize, u32, &'a [i32]),
    /// Interleaved samples of `channels` channels.
    Interleaved(usize, &'a [i32]),
}

/// rill: `FlacFile` over the bytes, read as interleaved `i32` in 4096-frame chunks.
fn rill(bytes: &'static [u8], sink: Sink<'_>) -> u64 {
    let src = embedded_io_adapters::std::FromStd::new(Cursor::new(bytes));
    let mut f = FlacFile::open(src).expect("rill opens");
    let ch = usize::from(f.channels());
    let mut buf = vec![0i32; 4096 * ch];
    let mut frames = 0u64;
    loop {
        let n = f.read_i32(&mut buf).expect("rill decodes");
        if n == 0 {
            return frames;
        }
        sink(Block::Interleaved(ch, &buf[..n * ch]));
        frames += n as u64;
    }
}

/// claxon: block by block, reusing the block buffer.
fn claxon(bytes: &'static [u8], sink: Sink<'_>) -> u64 {
    let mut reader = claxon::FlacReader::new(Cursor::new(bytes)).expect("claxon opens");
    let mut blocks = reader.blocks();
    let mut buffer = Vec::new();
    let mut frames = 0u64;
    while let Some(block) = blocks.read_next_or_eof(buffer).expect("claxon decodes") {
        for c in 0..block.channels() {
            sink(Block::Planar(c as usize, 0, block.channel(c)));
        }
        frames += u64::from(block.duration());
        buffer = block.into_buffer();
    }
    frames
}

/// symphonia: its FLAC demuxer and decoder, packet by packet (CRC checks on, as in the others).
fn symphonia(bytes: &'static [u8], sink: Sink<'_>) -> u64 {
    use symphonia::core::audio::{AudioBufferRef, Signal};
    use symphonia::core::codecs::{Decoder, DecoderOptions};
    use symphonia::core::errors::Error;
    use symphonia::core::formats::{FormatOptions, FormatReader};
    use symphonia::core::io::MediaSourceStream;

    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut reader =
        symphonia::default::formats::FlacReader::try_new(mss, &FormatOptions::default())
            .expect("symphonia opens");
    let params = reader.default_track().expect("a track").codec_params.clone();
    let mut dec = symphonia::default::codecs::FlacDecoder::try_new(
        &params,
        &DecoderOptions { verify: false },
    )
    .expect("symphonia decoder");
    let shift = 32 - params.bits_per_sample.expect("sample width");
    let mut frames = 0u64;
    loop {
        let packet = match reader.next_packet() {
            Ok(p) => p,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => panic!("symphonia demuxes: {e}"),
        };
        match dec.decode(&packet).expect("symphonia decodes") {
            AudioBufferRef::S32(buf) => {
                for c in 0..buf.spec().channels.count() {
                    sink(Block::Planar(c, shift, buf.chan(c)));
                }
                frames += buf.frames() as u64;
            }
            _ => panic!("symphonia gives FLAC as i32"),
        }
    }
    frames
}

/// libFLAC's stream decoder reading from memory; its write callback gets planar `i32` blocks.
fn libflac(bytes: &'static [u8], sink: Sink<'_>) -> u64 {
    use libflac_sys::*;

    struct State<'a> {
        data: &'static [u8],
        at: usize,
        frames: u64,
        sink: Sink<'a>,
        errors: u32,
    }

    unsafe extern "C" fn read(
        _: *const FLAC__StreamDecoder,
        buffer: *mut FLAC__byte,
        bytes: *mut usize,
        state: *mut c_void,
    ) -> FLAC__StreamDecoderReadStatus {
        // SAFETY: libFLAC passes back the `State` given at init and a buffer of `*bytes` bytes.
        unsafe {
            let s = &mut *(state as *mut State<'_>);
            let rest = &s.data[s.at..];
            let n = rest.len().min(*bytes);
            std::ptr::copy_nonoverlapping(rest.as_ptr(), buffer, n);
            s.at += n;
            *bytes = n;
            if n == 0 {
                FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM
            } else {
                FLAC__STREAM_DECODER_READ_STATUS_CONTINUE
            }
        }
    }

    unsafe extern "C" fn write(
        _: *const FLAC__StreamDecoder,
        frame: *const FLAC__Frame,
        buffer: *const *const FLAC__int32,
        state: *mut c_void,
    ) -> FLAC__StreamDecoderWriteStatus {
        // SAFETY: libFLAC passes a frame header and one pointer per channel to `blocksize`
        // samples, valid during the call.
        unsafe {
            let s = &mut *(state as *mut State<'_>);
            let h = &(*frame).header;
            let n = h.blocksize as usize;
            for c in 0..h.channels as usize {
                let plane = std::slice::from_raw_parts(*buffer.add(c), n);
                (s.sink)(Block::Planar(c, 0, plane));
            }
            s.frames += u64::from(h.blocksize);
        }
        FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE
    }

    unsafe extern "C" fn error(
        _: *const FLAC__StreamDecoder,
        _: FLAC__StreamDecoderErrorStatus,
        state: *mut c_void,
    ) {
        // SAFETY: as in `read`.
        unsafe { (*(state as *mut State<'_>)).errors += 1 };
    }

    let mut state = State { data: bytes, at: 0, frames: 0, sink, errors: 0 };
    // SAFETY: the decoder is created, used and deleted here; `state` outlives it.
    unsafe {
        let dec = FLAC__stream_decoder_new();
        assert!(!dec.is_null());
        let init = FLAC__stream_decoder_init_stream(
            dec,
            Some(read),
            None,
            None,
            None,
            None,
            Some(write),
            None,
            Some(error),
            &mut state as *mut State<'_> as *mut c_void,
        );
        assert_eq!(init, FLAC__STREAM_DECODER_INIT_STATUS_OK, "libFLAC init");
        assert!(FLAC__stream_decoder_process_until_end_of_stream(dec) != 0, "libFLAC decodes");
        FLAC__stream_decoder_finish(dec);
        FLAC__stream_decoder_delete(dec);
    }
    assert_eq!(state.errors, 0, "libFLAC reports no errors");
    state.frames
}

/// A decoder's name and entry point.
type Candidate = (&'static str, fn(&'static [u8], Sink<'_>) -> u64);

const CANDIDATES: [Candidate; 4] = [
    ("rill", rill),
    ("libFLAC 1.4 (C, in-process)", libflac),
    ("claxon 0.4", claxon),
    ("symphonia 0.5", symphonia),
];

/// Per-channel order-sensitive checksums of everything a decoder hands out.
fn checksums(run: fn(&'static [u8], Sink<'_>) -> u64, bytes: &'static [u8]) -> (u64, Vec<u64>) {
    let mut sums = vec![0u64; 8];
    let mut add = |c: usize, s: i32| {
        sums[c] = sums[c].wrapping_mul(0x100_0000_01B3).wrapping_add(s as u32 as u64);
    };
    let frames = run(bytes, &mut |b| match b {
        Block::Planar(c, shift, samples) => samples.iter().for_each(|&s| add(c, s >> shift)),
        Block::Interleaved(ch, samples) => {
            for frame in samples.chunks_exact(ch) {
                frame.iter().enumerate().for_each(|(c, &s)| add(c, s));
            }
        }
    });
    (frames, sums)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let seconds: u32 = args.first().and_then(|s| s.parse().ok()).unwrap_or(30);
    let rounds: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let decoder = args.get(2).map_or("", String::as_str);
    let file = args.get(3).map_or("", String::as_str);
    let cd = |level| Spec { frames: 44_100 * seconds, ..Spec::cd(&[level]) };
    let hires =
        |level| Spec { bits: 24, rate: 96_000, frames: 96_000 * seconds, ..Spec::cd(&[level]) };
    let files = [
        ("16/44.1 stereo -5", cd("-5")),
        ("16/44.1 stereo -8", cd("-8")),
        ("24/96 stereo -5", hires("-5")),
        ("24/96 stereo -8", hires("-8")),
    ];
    println!("{seconds} s of audio per file, best of {rounds} rounds; speed in x real time");
    println!(
        "{:>20} {:>10}  {:>8} {:>8} {:>8} {:>8}",
        "file", "bytes", "rill", "libFLAC", "claxon", "symph."
    );
    for (label, spec) in files.into_iter().filter(|(label, _)| label.contains(file)) {
        let bytes: &'static [u8] = Box::leak(spec.bytes().into_boxed_slice());
        let want = checksums(libflac, bytes);
        assert_eq!(want.0, u64::from(spec.frames), "{label}: libFLAC's length");
        for (name, run) in CANDIDATES.into_iter().filter(|(name, _)| name.contains(decoder)) {
            assert_eq!(checksums(run, bytes), want, "{label}: {name} decodes as libFLAC does");
        }
        // Per decoder, the best time of each hand-out over the rounds.
        let mut best: [Vec<f64>; CANDIDATES.len()] = Default::default();
        for _ in 0..rounds {
            for ((name, run), best) in CANDIDATES.iter().zip(best.iter_mut()) {
                if !name.contains(decoder) {
                    continue;
                }
                let (mut last, mut i) = (Instant::now(), 0);
                let frames = run(bytes, &mut |b| {
                    std::hint::black_box(b);
                    let now = Instant::now();
                    let t = (now - last).as_secs_f64();
                    last = now;
                    match best.get_mut(i) {
                        Some(b) => *b = b.min(t),
                        None => best.push(t),
                    }
                    i += 1;
                });
                assert_eq!(frames, u64::from(spec.frames));
            }
        }
        let speed = best.map(|t| f64::from(seconds) / t.iter().sum::<f64>());
        let ratios = if decoder.is_empty() {
            format!(
                "   rill/libFLAC {:.2}, /claxon {:.2}, /symphonia {:.2}",
                speed[0] / speed[1],
                speed[0] / speed[2],
                speed[0] / speed[3],
            )
        } else {
            String::new()
        };
        // A decoder left out times nothing: "-".
        let [a, b, c, d] =
            speed.map(|v| if v.is_finite() { format!("{v:.0}x") } else { "-".into() });
        println!("{label:>20} {:>10}  {a:>8} {b:>8} {c:>8} {d:>8}{ratios}", bytes.len());
    }
}
