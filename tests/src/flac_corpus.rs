//! The FLAC test corpus: files made on demand by the reference encoder, `flac` (libFLAC), from
//! synthesized PCM of any width (4 to 32 bits), rate and channel count, and the reference
//! decode of each by `flac -d`.
//!
//! The PCM is the Vorbis corpus's music-like signal (notes with onsets plus noise) scaled to
//! the sample width, written as a WAVE_FORMAT_EXTENSIBLE file (samples left-justified in whole
//! bytes, the valid bits declared) so `flac` can encode widths its raw input refuses. Files
//! are cached under `$TMPDIR/rill-corpus/flac/`, named by every parameter, created atomically.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::corpus::Rng;

/// One corpus file's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Bits per sample, 4 to 32.
    pub bits: u8,
    /// Channels, 1 to 8.
    pub channels: u8,
    /// Sample rate in Hz.
    pub rate: u32,
    /// Frames (samples per channel).
    pub frames: u32,
    /// Low bits forced to zero in every sample (the encoder codes them as wasted bits).
    pub wasted: u8,
    /// Options given to `flac` (compression level, block size, `--lax`, `-S-`, ...).
    pub args: Vec<&'static str>,
    /// Ogg FLAC (`flac --ogg`) instead of native FLAC.
    pub ogg: bool,
}

/// Bumped whenever the signal changes, so stale cached files are not reused.
const SIGNAL_VERSION: u32 = 1;

impl Spec {
    /// Stereo, 44.1 kHz, 16 bits, three seconds, with these `flac` options.
    pub fn cd(args: &[&'static str]) -> Spec {
        Spec {
            bits: 16,
            channels: 2,
            rate: 44_100,
            frames: 132_300,
            wasted: 0,
            args: args.to_vec(),
            ogg: false,
        }
    }

    /// A file name naming every parameter.
    pub fn name(&self) -> String {
        let args: String = self.args.iter().map(|a| a.replace(['-', ' '], "")).collect();
        format!(
            "b{}-c{}-r{}-f{}-w{}-{args}-v{SIGNAL_VERSION}.{}",
            self.bits,
            self.channels,
            self.rate,
            self.frames,
            self.wasted,
            if self.ogg { "oga" } else { "flac" }
        )
    }

    /// The synthesized samples, interleaved, each in `bits` bits (right-justified).
    pub fn samples(&self) -> Vec<i32> {
        let (ch, frames) = (usize::from(self.channels), self.frames as usize);
        let seed = u64::from(self.bits) << 48
            ^ u64::from(self.channels) << 40
            ^ u64::from(self.rate) << 8
            ^ u64::from(self.frames);
        let mut rng = Rng::new(seed);
        let max = ((1i64 << (self.bits - 1)) - 1) as f64;
        let mut out = vec![0i32; ch * frames];
        let rate = f64::from(self.rate);
        for c in 0..ch {
            // A few partials per channel, re-struck now and then, plus noise.
            let base = 110.0 * (1.0 + c as f64 * 0.37);
            let (mut onset, mut next) = (0usize, 0usize);
            for i in 0..frames {
                if i == next {
                    onset = i;
                    next =
                        i + self.rate as usize / 5 + rng.below(u64::from(self.rate / 3)) as usize;
                }
                let t = i as f64 / rate;
                let age = (i - onset) as f64 / rate;
                let env = (-age * 2.0).exp();
                let mut s = 0.02 * rng.signed();
                for h in 1..=5 {
                    let f = base * h as f64;
                    if f < rate / 2.0 {
                        s += 0.5 * env / h as f64 * (2.0 * std::f64::consts::PI * f * t).sin();
                    }
                }
                let v = (s.clamp(-1.0, 1.0) * max) as i64;
                out[i * ch + c] = ((v >> self.wasted) << self.wasted) as i32;
            }
        }
        out
    }

    /// Path of the encoded file, generating it first if it is not cached yet.
    pub fn path(&self) -> PathBuf {
        let dir = corpus_dir();
        let path = dir.join(self.name());
        if path.exists() {
            return path;
        }
        let tag = format!("{}.{}", std::process::id(), unique());
        let wav = dir.join(format!("{}.{tag}.wav", self.name()));
        let tmp = dir.join(format!("{}.{tag}.tmp", self.name()));
        std::fs::write(&wav, wav_bytes(self.channels, self.rate, self.bits, &self.samples()))
            .expect("write wav");
        let mut cmd = Command::new("flac");
        cmd.args(["-s", "-f"]).args(&self.args);
        if self.ogg {
            cmd.arg("--ogg");
        }
        let status = cmd.arg("-o").arg(&tmp).arg(&wav).status().expect("run flac (installed?)");
        let _ = std::fs::remove_file(&wav);
        assert!(status.success(), "flac {:?} failed: {status}", self.args);
        crate::corpus::publish(&tmp, &path);
        path
    }

    /// The encoded file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.path()).expect("read corpus file")
    }

    /// The file decoded by `flac -d`: interleaved samples, right-justified.
    pub fn reference(&self) -> Vec<i32> {
        reference_decode(&self.path(), self.bits, self.ogg)
    }
}

/// The corpus directory.
fn corpus_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("rill-corpus").join("flac");
    std::fs::create_dir_all(&dir).expect("create corpus dir");
    dir
}

/// `path` decoded by `flac -d` to interleaved samples of `bits` bits, right-justified: as raw
/// signed little-endian (`--force-raw-format`) for 8, 16, 24 and 32 bits, which is the byte
/// stream `rill decode` must match, and through a WAV file for the widths raw output refuses.
pub fn reference_decode(path: &Path, bits: u8, ogg: bool) -> Vec<i32> {
    let raw = reference_raw(path, bits, ogg);
    let width = usize::from(bits).div_ceil(8);
    let shift = width as u32 * 8 - u32::from(bits);
    raw.chunks_exact(width)
        .map(|b| {
            let mut v = [0u8; 4];
            v[4 - width..].copy_from_slice(b);
            (i32::from_le_bytes(v) >> (32 - 8 * width as u32)) >> shift
        })
        .collect()
}

/// The sample bytes `flac -d` writes for `path`: raw signed little-endian samples of
/// `ceil(bits / 8)` bytes, left-justified for 12 and 20 bits (from its WAV output, whose raw
/// output refuses those widths).
pub fn reference_raw(path: &Path, bits: u8, ogg: bool) -> Vec<u8> {
    let out = corpus_dir().join(format!("ref.{}.{}", std::process::id(), unique()));
    let mut cmd = Command::new("flac");
    cmd.args(["-d", "-s", "-f"]);
    if ogg {
        cmd.arg("--ogg");
    }
    let wav = !matches!(bits, 8 | 16 | 24 | 32);
    if !wav {
        cmd.args(["--force-raw-format", "--endian=little", "--sign=signed"]);
    }
    let status = cmd.arg("-o").arg(&out).arg(path).status().expect("run flac -d");
    let bytes = std::fs::read(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    assert!(status.success() || !bytes.is_empty(), "flac -d {} failed", path.display());
    if wav {
        wav_data(&bytes).to_vec()
    } else {
        bytes
    }
}

/// The body of the `data` chunk of a RIFF WAVE file.
fn wav_data(wav: &[u8]) -> &[u8] {
    let mut at = 12;
    while at + 8 <= wav.len() {
        let len = u32::from_le_bytes(wav[at + 4..at + 8].try_into().unwrap()) as usize;
        if &wav[at..at + 4] == b"data" {
            return &wav[at + 8..(at + 8 + len).min(wav.len())];
        }
        at += 8 + len + (len & 1);
    }
    panic!("no data chunk");
}

/// A WAVE_FORMAT_EXTENSIBLE file of `samples` (right-justified, `bits` wide), each stored
/// left-justified in `ceil(bits / 8)` bytes.
pub fn wav_bytes(channels: u8, rate: u32, bits: u8, samples: &[i32]) -> Vec<u8> {
    let width = u32::from(bits).div_ceil(8);
    let shift = width * 8 - u32::from(bits);
    let mut data = Vec::with_capacity(samples.len() * width as usize);
    for &s in samples {
        let v = if width == 1 { ((s << shift) + 128) as u32 } else { (s << shift) as u32 };
        data.extend_from_slice(&v.to_le_bytes()[..width as usize]);
    }
    let mask: u32 = match channels {
        1 => 0x4,
        2 => 0x3,
        3 => 0x7,
        4 => 0x33,
        5 => 0x37,
        6 => 0x3F,
        7 => 0x70F,
        _ => 0x63F,
    };
    let block = u16::from(channels) * width as u16;
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&0xFFFEu16.to_le_bytes());
    fmt.extend_from_slice(&u16::from(channels).to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&(width as u16 * 8).to_le_bytes());
    fmt.extend_from_slice(&22u16.to_le_bytes());
    fmt.extend_from_slice(&u16::from(bits).to_le_bytes());
    fmt.extend_from_slice(&mask.to_le_bytes());
    // KSDATAFORMAT_SUBTYPE_PCM.
    fmt.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(4 + 8 + fmt.len() as u32 + 8 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    out.extend_from_slice(&fmt);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

/// Writes `bytes` to a new file in the corpus directory and returns its path; the caller
/// removes it.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = corpus_dir().join(format!("{}.{}.{name}", std::process::id(), unique()));
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

/// A process-unique counter for temporary names.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Every kind of file the FLAC tests run over: each compression level, no seek table, odd and
/// tiny and huge block sizes, LPC order 32, every common width, hi-res, many channels, Ogg.
pub fn standard() -> Vec<Spec> {
    let mut v: Vec<Spec> = ["-0", "-1", "-2", "-3", "-4", "-5", "-6", "-7", "-8"]
        .into_iter()
        .map(|l| Spec::cd(&[l]))
        .collect();
    v.push(Spec::cd(&["-5", "-S-"]));
    v.push(Spec::cd(&["--lax", "-b", "1000"]));
    v.push(Spec::cd(&["--lax", "-b", "17", "-S-"]));
    v.push(Spec::cd(&["-8", "--lax", "-l", "32", "-b", "8192"]));
    v.push(Spec { frames: 150_000, ..Spec::cd(&["--lax", "-b", "65535", "-S-"]) });
    v.push(Spec { ogg: true, ..Spec::cd(&["-5"]) });
    v.push(Spec { ogg: true, channels: 6, ..Spec::cd(&["-8"]) });
    for (bits, channels) in [(8, 1), (8, 2), (12, 1), (16, 1), (20, 2), (24, 2), (32, 2), (32, 1)] {
        v.push(Spec { bits, channels, ..Spec::cd(&["-8"]) });
    }
    v.push(Spec { bits: 24, rate: 96_000, frames: 288_000, ..Spec::cd(&["-5"]) });
    v.push(Spec { bits: 24, rate: 192_000, frames: 100_000, ..Spec::cd(&["-8", "-S-"]) });
    v.push(Spec { channels: 6, ..Spec::cd(&["-5"]) });
    v.push(Spec { channels: 8, bits: 24, rate: 48_000, ..Spec::cd(&["-3"]) });
    v.push(Spec { channels: 3, rate: 11_025, ..Spec::cd(&["-7"]) });
    v.push(Spec { rate: 37_800, ..Spec::cd(&["-5", "-S-"]) });
    v.push(Spec { rate: 7_999, frames: 30_000, ..Spec::cd(&["-5"]) });
    v.push(Spec { wasted: 3, ..Spec::cd(&["-5"]) });
    v.push(Spec { bits: 24, wasted: 8, ..Spec::cd(&["-8"]) });
    v
}
