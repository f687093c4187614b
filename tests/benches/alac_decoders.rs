//! ALAC decode throughput (issue 13: "at least ffmpeg's speed"): rill's decoder against
//! ffmpeg's ALAC decoder (libavcodec, in this process), on files made by `ffmpeg -c:a alac`
//! from the FLAC corpus's signal (`rill_tests::flac_corpus`): 16-bit 44.1 kHz stereo, 24-bit
//! 96 kHz stereo and 16-bit 48 kHz 5.1.
//!
//! libavformat demuxes each file once beforehand; rill's [`Decoder`] and ffmpeg's then decode
//! the same packets, each to its own output (rill: interleaved `i32`, what `AlacFile` hands
//! out; ffmpeg: planar `s16p`/`s32p`). A third row is rill's whole path, [`AlacFile`] over the
//! file in memory (MP4 sample tables, packet reads and decode). Before timing, each of the
//! three decodes the file once and its samples must equal the source PCM exactly (ffmpeg's
//! channels in its layout's order, rill's in ALAC's coded order, mapped by
//! [`rill_core::media::alac::TO_WAV`]). The timed rounds interleave the decoders so load from
//! other processes hits them alike; the best time of each is kept.
//!
//! Run: `cargo bench -p rill-tests --bench alac_decoders [-- SECONDS [ROUNDS]]` (default 30 s
//! of audio per file, 5 rounds: a few seconds in all).

mod ffmpeg_util;

use std::io::Cursor;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ffmpeg_util::{Packets, Planes};
use rill_core::media::alac::{AlacFile, Config, Decoder, TO_WAV};
use rill_tests::flac_corpus::{temp_file, wav_bytes, Spec};

/// Encodes `spec`'s signal to ALAC in MP4 at `path` with ffmpeg.
fn encode(spec: &Spec, path: &Path) {
    let wav = temp_file(
        "alac-source.wav",
        &wav_bytes(spec.channels, spec.rate, spec.bits, &spec.samples()),
    );
    let fmt = if spec.bits == 16 { "s16p" } else { "s32p" };
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-i"])
        .arg(&wav)
        .args(["-c:a", "alac", "-sample_fmt", fmt])
        .arg(path)
        .status()
        .expect("run ffmpeg (installed?)");
    let _ = std::fs::remove_file(&wav);
    assert!(status.success(), "ffmpeg -c:a alac: {status}");
}

/// rill's decoder on the demuxed packets; hands each packet's interleaved samples to `sink`.
fn rill(config: Config, packets: &Packets, sink: &mut dyn FnMut(&[i32])) -> u64 {
    let mut dec = Decoder::new(config).expect("rill decoder");
    let ch = usize::from(config.channels);
    let mut out = vec![0i32; config.frame_length as usize * ch];
    let mut frames = 0u64;
    for p in packets.data() {
        let n = dec.decode(p, &mut out).expect("rill decodes");
        sink(&out[..n * ch]);
        frames += n as u64;
    }
    frames
}

/// rill's `AlacFile` over the file's bytes: demuxing by the sample tables and decoding.
fn rill_file(bytes: &[u8], sink: &mut dyn FnMut(&[i32])) -> u64 {
    let src = embedded_io_adapters::std::FromStd::new(Cursor::new(bytes));
    let mut f = AlacFile::open(src).expect("rill opens");
    let ch = usize::from(f.channels());
    let mut buf = vec![0i32; 4096 * ch];
    let mut frames = 0u64;
    loop {
        let n = f.read(&mut buf).expect("rill reads");
        if n == 0 {
            return frames;
        }
        sink(&buf[..n * ch]);
        frames += n as u64;
    }
}

/// rill's interleaved samples (ALAC's coded channel order) in WAV order, as the source is.
fn coded_to_wav(samples: &[i32], ch: usize, into: &mut Vec<i32>) {
    let map = TO_WAV[ch - 1];
    for frame in samples.chunks_exact(ch) {
        let mut wav = [0i32; 8];
        for (i, &s) in frame.iter().enumerate() {
            wav[map[i]] = s;
        }
        into.extend_from_slice(&wav[..ch]);
    }
}

/// ffmpeg's planes interleaved, samples at the stream's width (`s32p` holds 24-bit samples
/// shifted left by `shift`).
fn interleave(planes: Planes<'_>, shift: u32, into: &mut Vec<i32>) {
    match planes {
        Planes::S16(p) => {
            (0..p[0].len()).for_each(|i| into.extend(p.iter().map(|c| i32::from(c[i]))))
        }
        Planes::S32(p) => {
            (0..p[0].len()).for_each(|i| into.extend(p.iter().map(|c| c[i] >> shift)))
        }
        Planes::F32(_) => panic!("ffmpeg decodes ALAC to integers"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let seconds: u32 = args.first().and_then(|s| s.parse().ok()).unwrap_or(30);
    let rounds: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    ffmpeg_util::quiet();
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = |bits, channels, rate| Spec {
        bits,
        channels,
        rate,
        frames: rate * seconds,
        ..Spec::cd(&[])
    };
    let files = [
        ("16/44.1 stereo", spec(16, 2, 44_100)),
        ("24/96 stereo", spec(24, 2, 96_000)),
        ("16/48 5.1", spec(16, 6, 48_000)),
    ];
    println!("{seconds} s of audio per file, best of {rounds} rounds; speed in x real time");
    println!(
        "{:>16} {:>10}  {:>12} {:>12} {:>12}   rill decoder/ffmpeg, file/ffmpeg",
        "file", "bytes", "rill decoder", "rill file", "ffmpeg"
    );
    for (label, spec) in files {
        let path = dir.path().join(format!("{}.m4a", label.replace(['/', ' ', '.'], "_")));
        encode(&spec, &path);
        let bytes = std::fs::read(&path).expect("read ALAC file");
        let packets = Packets::demux(&path);
        let config = Config::parse(packets.extradata().get(12..).expect("ALAC extradata"))
            .expect("rill parses the cookie");
        let ch = usize::from(spec.channels);
        let shift = if spec.bits == 16 { 0 } else { 32 - u32::from(spec.bits) };
        let mut ff = ffmpeg_util::Decoder::new(&packets);
        assert_eq!(ff.channels(), ch, "{label}: ffmpeg's channel count");

        // Each decoder once, every sample compared with the source.
        let source = spec.samples();
        let mut got = Vec::with_capacity(source.len());
        ff.run(&packets, |p| interleave(p, shift, &mut got));
        assert!(got == source, "{label}: ffmpeg's decode differs from the source");
        got.clear();
        rill(config, &packets, &mut |s| coded_to_wav(s, ch, &mut got));
        assert!(got == source, "{label}: rill's decoder differs from the source");
        got.clear();
        rill_file(&bytes, &mut |s| coded_to_wav(s, ch, &mut got));
        assert!(got == source, "{label}: rill's AlacFile differs from the source");
        drop((got, source));

        let mut best = [f64::MAX; 3];
        for _ in 0..rounds {
            let t = Instant::now();
            let n = rill(config, &packets, &mut |s| {
                std::hint::black_box(s);
            });
            best[0] = best[0].min(t.elapsed().as_secs_f64());
            assert_eq!(n, u64::from(spec.frames));
            let t = Instant::now();
            let n = rill_file(&bytes, &mut |s| {
                std::hint::black_box(s);
            });
            best[1] = best[1].min(t.elapsed().as_secs_f64());
            assert_eq!(n, u64::from(spec.frames));
            let t = Instant::now();
            let n = ff.run(&packets, |p| {
                std::hint::black_box(p);
            });
            best[2] = best[2].min(t.elapsed().as_secs_f64());
            assert_eq!(n, u64::from(spec.frames));
        }
        let speed = best.map(|t| f64::from(seconds) / t);
        println!(
            "{label:>16} {:>10}  {:>11.0}x {:>11.0}x {:>11.0}x   {:.2}, {:.2}",
            bytes.len(),
            speed[0],
            speed[1],
            speed[2],
            speed[0] / speed[2],
            speed[1] / speed[2],
        );
    }
}
