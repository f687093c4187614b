//! What an Opus stream costs Rill (issue 13: "within 1.5x of libopus"): rill-core's
//! `OpusFile` with the host's libopus decoder (`rill::opus::LibOpus`: Ogg demuxing, libopus,
//! the header gain, pre-skip and end trim, the path every Opus rendition reads) against
//! libopusfile itself in this process (`op_read_float` and `op_read`, dither off as Rill
//! rounds), and against libopus's packet decoding alone (the packets split beforehand, no
//! demuxing, gain or trimming: the floor any Opus reader built on libopus has).
//!
//! Every file of the Opus corpus (`rill_tests::opus_corpus::standard`: CELT and SILK, 2.5 to
//! 60 ms frames, stereo to 7.1, a chained file) is read whole from memory. Before timing,
//! rill's float output must have libopusfile's length exactly and `opus_compare`'s quality
//! at least 0 against it, and its 16-bit output libopusfile's length and samples within one
//! step. The timed rounds interleave the readers; the best time of each is kept per file and
//! summed over the corpus.
//!
//! libopusfile is called through a small `extern "C"` block (Debian's libopusfile-dev): of the
//! crates binding it, `opusfile-ng` would build a second bindgen, and `opusfile-sys` pulls
//! `opus-sys` and `ogg-sys`, another libopus binding beside `audiopus_sys`.
//!
//! Run: `cargo bench -p rill-tests --bench opus_read [-- ROUNDS]` (default 5 rounds over the
//! 15 files of 3 s: a few seconds in all).

mod opus_packets;

use std::ffi::{c_int, c_uchar, c_void};
use std::io::Cursor;
use std::time::{Duration, Instant};

use embedded_io_adapters::std::FromStd;
use opus_packets::{decode, links, Libopus};
use rill::opus::LibOpus;
use rill_core::media::opus_file::OpusFile;
use rill_tests::opus_corpus::{quality, standard};

#[link(name = "opusfile")]
unsafe extern "C" {
    fn op_open_memory(data: *const c_uchar, size: usize, error: *mut c_int) -> *mut c_void;
    fn op_set_dither_enabled(of: *mut c_void, enabled: c_int);
    fn op_read_float(of: *mut c_void, pcm: *mut f32, buf_size: c_int, li: *mut c_int) -> c_int;
    fn op_read(of: *mut c_void, pcm: *mut i16, buf_size: c_int, li: *mut c_int) -> c_int;
    fn op_channel_count(of: *const c_void, li: c_int) -> c_int;
    fn op_free(of: *mut c_void);
}

/// Output buffer of every reader: 120 ms of 8 channels.
const BUF: usize = 5760 * 8;

/// A sample type both readers produce.
trait Sample: Copy + Default {
    /// libopusfile's reader for this type: frames read, the link's index into `li`.
    unsafe fn op_read(of: *mut c_void, pcm: &mut [Self], li: &mut c_int) -> c_int;
    /// rill's reader for this type.
    fn rill_read(f: &mut OpusFile<FromStd<Cursor<&[u8]>>, LibOpus>, out: &mut [Self]) -> usize;
}

impl Sample for f32 {
    unsafe fn op_read(of: *mut c_void, pcm: &mut [f32], li: &mut c_int) -> c_int {
        // SAFETY: `of` is open and `pcm` holds `len` floats.
        unsafe { op_read_float(of, pcm.as_mut_ptr(), pcm.len() as c_int, li) }
    }
    fn rill_read(f: &mut OpusFile<FromStd<Cursor<&[u8]>>, LibOpus>, out: &mut [f32]) -> usize {
        f.read_f32(out).expect("rill reads")
    }
}

impl Sample for i16 {
    unsafe fn op_read(of: *mut c_void, pcm: &mut [i16], li: &mut c_int) -> c_int {
        // SAFETY: `of` is open and `pcm` holds `len` samples.
        unsafe { op_read(of, pcm.as_mut_ptr(), pcm.len() as c_int, li) }
    }
    fn rill_read(f: &mut OpusFile<FromStd<Cursor<&[u8]>>, LibOpus>, out: &mut [i16]) -> usize {
        f.read_i16(out).expect("rill reads")
    }
}

/// libopusfile reads `bytes` whole; every sample read goes to `sink`. Returns the samples.
fn libopusfile<T: Sample>(bytes: &[u8], sink: &mut dyn FnMut(&[T])) -> usize {
    let mut buf = vec![T::default(); BUF];
    let mut total = 0;
    // SAFETY: the file is opened over `bytes`, which outlive it, and freed here; each read
    // writes at most `BUF` samples: frames of the link whose index it returns in `li`.
    unsafe {
        let mut err = 0;
        let of = op_open_memory(bytes.as_ptr(), bytes.len(), &mut err);
        assert!(!of.is_null() && err == 0, "libopusfile opens: {err}");
        op_set_dither_enabled(of, 0);
        let mut li = 0;
        loop {
            let frames = T::op_read(of, &mut buf, &mut li);
            assert!(frames >= 0, "libopusfile reads: {frames}");
            if frames == 0 {
                break;
            }
            let ch = op_channel_count(of, li) as usize;
            let n = frames as usize * ch;
            sink(&buf[..n]);
            total += n;
        }
        op_free(of);
    }
    total
}

/// rill's `OpusFile` with libopus reads `bytes` whole; every sample read goes to `sink`.
fn rill<T: Sample>(bytes: &[u8], sink: &mut dyn FnMut(&[T])) -> usize {
    let mut f = OpusFile::open(FromStd::new(Cursor::new(bytes)), LibOpus::new()).expect("opens");
    let mut buf = vec![T::default(); BUF];
    let mut total = 0;
    loop {
        let ch = usize::from(f.channels());
        let frames = T::rill_read(&mut f, &mut buf);
        if frames == 0 {
            return total;
        }
        sink(&buf[..frames * ch]);
        total += frames * ch;
    }
}

/// A reader of a whole file: each run of samples to the sink; returns the sample count.
type Reader<T> = fn(&[u8], &mut dyn FnMut(&[T])) -> usize;

/// Every sample of a reader, collected.
fn all<T: Sample>(read: Reader<T>, bytes: &[u8]) -> Vec<T> {
    let mut out = Vec::new();
    read(bytes, &mut |s| out.extend_from_slice(s));
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let rounds: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(5);
    let names = [
        "rill f32 (OpusFile + libopus)",
        "libopusfile op_read_float",
        "rill i16",
        "libopusfile op_read",
        "libopus packets alone",
    ];
    println!("best of {rounds} rounds per file; times in ms");
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "file", "rill f32", "opf float", "rill i16", "opf i16", "libopus"
    );
    let mut total = [Duration::ZERO; 5];
    for spec in standard() {
        let bytes = spec.bytes();
        let channels = usize::from(spec.channels);
        let want = all::<f32>(libopusfile, &bytes);
        let got = all::<f32>(rill, &bytes);
        assert_eq!(got.len(), want.len(), "{}: rill's length", spec.name());
        let q = quality(&want, &got, channels);
        assert!(q >= 0.0, "{}: rill's quality {q} against libopusfile", spec.name());
        let want = all::<i16>(libopusfile, &bytes);
        let got = all::<i16>(rill, &bytes);
        assert_eq!(got.len(), want.len(), "{}: rill's 16-bit length", spec.name());
        let step = got.iter().zip(&want).map(|(a, b)| (a - b).unsigned_abs()).max().unwrap_or(0);
        assert!(step <= 1, "{}: rill's 16-bit samples {step} steps from libopusfile", spec.name());
        let split = links(&bytes);

        let mut best = [Duration::MAX; 5];
        // libopus alone: `decode` times the decoder calls only (no trimming).
        let mut alone = Duration::MAX;
        let mut time = |i: usize, run: &mut dyn FnMut()| {
            let t = Instant::now();
            run();
            best[i] = best[i].min(t.elapsed());
        };
        for _ in 0..rounds {
            let sink = &mut |s: &[f32]| {
                std::hint::black_box(s);
            };
            time(0, &mut || {
                std::hint::black_box(rill::<f32>(&bytes, sink));
            });
            time(1, &mut || {
                std::hint::black_box(libopusfile::<f32>(&bytes, sink));
            });
            let sink = &mut |s: &[i16]| {
                std::hint::black_box(s);
            };
            time(2, &mut || {
                std::hint::black_box(rill::<i16>(&bytes, sink));
            });
            time(3, &mut || {
                std::hint::black_box(libopusfile::<i16>(&bytes, sink));
            });
            let (pcm, t) = decode(&mut Libopus::new(), &split);
            assert_eq!(pcm.len(), want.len(), "{}: libopus alone's length", spec.name());
            alone = alone.min(t);
        }
        best[4] = alone;
        let ms = best.map(|t| t.as_secs_f64() * 1e3);
        println!(
            "{:<44} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            spec.name(),
            ms[0],
            ms[1],
            ms[2],
            ms[3],
            ms[4]
        );
        for (t, b) in total.iter_mut().zip(best) {
            *t += b;
        }
    }
    println!("\ntotal over the corpus (ratio: time / rill f32's time)");
    for (name, t) in names.iter().zip(total) {
        println!(
            "{name:<32} {:>9.1} ms  {:.2}",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / total[0].as_secs_f64()
        );
    }
    let r = |a: usize, b: usize| total[a].as_secs_f64() / total[b].as_secs_f64();
    println!(
        "rill f32 / op_read_float {:.2}x the time, rill i16 / op_read {:.2}x, \
         rill f32 / libopus packets alone {:.2}x",
        r(0, 1),
        r(2, 3),
        r(0, 4)
    );
}
