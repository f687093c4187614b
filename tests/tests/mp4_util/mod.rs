//! Shared pieces of the MP4 tests: PCM made by the test, encoded by ffmpeg (ALAC and AAC in
//! MP4), ffprobe's packet list and ffmpeg's own decode as oracles.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;

use rill_tests::corpus::Rng;

/// A scratch directory for one test's files, removed when dropped.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("rill-mp4").tempdir().expect("temp dir")
}

/// `frames` frames of `channels` interleaved samples of `bits` bits: a few sines per channel
/// plus seeded noise and some full-scale peaks, so that predictors, escapes and every bit of
/// the width are exercised.
pub fn pcm(frames: usize, channels: usize, bits: u32, seed: u64) -> Vec<i32> {
    let mut rng = Rng::new(seed);
    let max = ((1i64 << (bits - 1)) - 1) as f64;
    let mut out = Vec::with_capacity(frames * channels);
    for i in 0..frames {
        for c in 0..channels {
            let t = i as f64 / 44_100.0;
            let f = 220.0 * (c + 1) as f64;
            let mut v = 0.5 * (2.0 * std::f64::consts::PI * f * t).sin()
                + 0.2 * (2.0 * std::f64::consts::PI * 3.3 * f * t).sin()
                + 0.05 * rng.signed();
            if (i / 3000) % 7 == 3 {
                v = rng.signed(); // a stretch of loud noise
            }
            let s = (v.clamp(-1.0, 1.0) * max).round() as i64;
            out.push(s.clamp(-(1 << (bits - 1)), (1 << (bits - 1)) - 1) as i32);
        }
    }
    out
}

/// Little-endian bytes of `samples` at `bytes` bytes each (2, 3 or 4).
pub fn le_bytes(samples: &[i32], bytes: usize) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()[..bytes].to_vec()).collect()
}

/// Encodes raw PCM with ffmpeg into `dir/name`, with the output options `args`.
pub fn encode(
    dir: &Path,
    name: &str,
    pcm: &[i32],
    bits: u32,
    rate: u32,
    channels: usize,
    args: &[&str],
) -> PathBuf {
    let bytes = bits.div_ceil(8) as usize;
    let fmt = match bytes {
        2 => "s16le",
        3 => "s24le",
        _ => "s32le",
    };
    let raw = dir.join(format!("{name}.raw"));
    std::fs::write(&raw, le_bytes(pcm, bytes)).expect("write pcm");
    let out = dir.join(name);
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", fmt, "-ar"])
        .arg(rate.to_string())
        .args(["-ch_layout", layout(channels)])
        .arg("-i")
        .arg(&raw)
        .args(args)
        .arg(&out)
        .status()
        .expect("run ffmpeg (installed?)");
    assert!(status.success(), "ffmpeg {name}: {status}");
    let _ = std::fs::remove_file(&raw);
    out
}

/// The ffmpeg channel layout of raw input with `channels` channels: the ones ALAC (and AAC)
/// code, where ffmpeg's default layout differs (3: 3.0 rather than 2.1, 8: 7.1(wide)).
pub fn layout(channels: usize) -> &'static str {
    ["mono", "stereo", "3.0", "4.0", "5.0", "5.1", "6.1", "7.1(wide)"][channels - 1]
}

/// One audio packet as ffprobe lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    pub pts: i64,
    pub duration: u64,
    pub size: u32,
    pub pos: u64,
}

/// The audio packets of `file` by ffprobe, in order.
pub fn ffprobe_packets(file: &Path) -> Vec<Packet> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
        .args(["packet=pts,duration,size,pos", "-of", "compact=p=0:nk=0"])
        .arg(file)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe {}", file.display());
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let field = |k: &str| {
                line.split('|')
                    .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                    .unwrap_or_else(|| panic!("{k} in {line}"))
                    .to_string()
            };
            Packet {
                pts: field("pts").parse().expect("pts"),
                duration: field("duration").parse().expect("duration"),
                size: field("size").parse().expect("size"),
                pos: field("pos").parse().expect("pos"),
            }
        })
        .collect()
}

/// ffmpeg's decode of `file` as raw little-endian PCM in `fmt` (`s16le`, `s24le`, `s32le`),
/// as i32 samples.
pub fn ffmpeg_decode(file: &Path, fmt: &str) -> Vec<i32> {
    let (codec, bytes) = match fmt {
        "s16le" => ("pcm_s16le", 2),
        "s24le" => ("pcm_s24le", 3),
        _ => ("pcm_s32le", 4),
    };
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-i"])
        .arg(file)
        .args(["-c:a", codec, "-f", fmt, "-"])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg decode {}", file.display());
    out.stdout
        .chunks_exact(bytes)
        .map(|b| {
            let mut v = [0u8; 4];
            v[4 - bytes..].copy_from_slice(b);
            i32::from_le_bytes(v) >> (8 * (4 - bytes))
        })
        .collect()
}
