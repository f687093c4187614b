//! The Vorbis test corpus: Ogg Vorbis files generated on demand from synthesized, music-like PCM
//! (sums of sines with note onsets plus seeded noise) by real encoders: `oggenc` (libvorbis),
//! ffmpeg's libvorbis wrapper and ffmpeg's native encoder.
//!
//! Files are cached under `$TMPDIR/rill-corpus/`, named by every parameter that shapes them, and
//! created atomically (written to a unique temporary name, then linked to its name unless a
//! file is there already: the first one made stays, see `publish`), so tests running in
//! parallel can share them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Which program encodes a corpus file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoder {
    /// `oggenc` from vorbis-tools (libvorbis), `-q quality`.
    Oggenc,
    /// ffmpeg with libvorbis, `-q:a quality`.
    FfmpegLibvorbis,
    /// ffmpeg's own experimental encoder (`-c:a vorbis -strict -2`; ignores quality).
    FfmpegNative,
}

/// One corpus file's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Encoder quality, -1..=10.
    pub quality: i8,
    /// Channel count.
    pub channels: u8,
    /// Sample rate in Hz.
    pub rate: u32,
    /// Frames of PCM fed to the encoder.
    pub frames: u32,
    /// The encoder.
    pub encoder: Encoder,
}

/// Bumped whenever the synthesized signal changes, so stale cached files are not reused.
const SIGNAL_VERSION: u32 = 1;

impl Spec {
    /// A stereo 44.1 kHz oggenc file of two seconds at quality `q`.
    pub const fn stereo(quality: i8) -> Spec {
        Spec { quality, channels: 2, rate: 44_100, frames: 88_200, encoder: Encoder::Oggenc }
    }

    /// A file name naming every parameter.
    pub fn name(&self) -> String {
        let enc = match self.encoder {
            Encoder::Oggenc => "oggenc",
            Encoder::FfmpegLibvorbis => "fflibvorbis",
            Encoder::FfmpegNative => "ffnative",
        };
        format!(
            "{enc}-q{}-c{}-r{}-f{}-v{SIGNAL_VERSION}.ogg",
            self.quality, self.channels, self.rate, self.frames
        )
    }

    /// The synthesized input: interleaved 16-bit PCM, deterministic for these parameters.
    pub fn pcm(&self) -> Vec<i16> {
        synthesize(self.channels, self.rate, self.frames)
    }

    /// Path of the encoded file, generating it first if it is not cached yet.
    pub fn path(&self) -> PathBuf {
        let dir = std::env::temp_dir().join("rill-corpus");
        let path = dir.join(self.name());
        if path.exists() {
            return path;
        }
        std::fs::create_dir_all(&dir).expect("create corpus dir");
        let tag = format!("{}.{}", std::process::id(), unique());
        let raw = dir.join(format!("{}.{tag}.raw", self.name()));
        let tmp = dir.join(format!("{}.{tag}.tmp.ogg", self.name()));
        let bytes: Vec<u8> = self.pcm().iter().flat_map(|s| s.to_le_bytes()).collect();
        std::fs::write(&raw, bytes).expect("write raw pcm");
        let (ch, rate, q) =
            (self.channels.to_string(), self.rate.to_string(), self.quality.to_string());
        let status = match self.encoder {
            Encoder::Oggenc => Command::new("oggenc")
                .args(["-Q", "-r", "-B", "16", "-C", &ch, "-R", &rate, "--raw-endianness", "0"])
                .args(["-q", &q, "-o"])
                .arg(&tmp)
                .arg(&raw)
                .status(),
            Encoder::FfmpegLibvorbis | Encoder::FfmpegNative => {
                let codec: &[&str] = if self.encoder == Encoder::FfmpegNative {
                    &["-c:a", "vorbis", "-strict", "-2"]
                } else {
                    &["-c:a", "libvorbis", "-q:a", &q]
                };
                Command::new("ffmpeg")
                    .args(["-nostdin", "-loglevel", "error", "-y", "-f", "s16le"])
                    .args(["-ar", &rate, "-ac", &ch, "-i"])
                    .arg(&raw)
                    .args(codec)
                    .args(["-f", "ogg"])
                    .arg(&tmp)
                    .status()
            }
        };
        let _ = std::fs::remove_file(&raw);
        let status = status.expect("run the encoder (oggenc / ffmpeg installed?)");
        assert!(status.success(), "encoding {} failed: {status}", self.name());
        publish(&tmp, &path);
        path
    }

    /// The encoded file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.path()).expect("read corpus file")
    }

    /// The file decoded by `oggdec` (the system's stock libvorbis through libvorbisfile, so
    /// trimmed by granule positions) to interleaved 16-bit PCM.
    pub fn oggdec_i16(&self) -> Vec<i16> {
        oggdec(&self.path())
    }
}

/// `ogg` decoded by `oggdec` (stock libvorbis through libvorbisfile) to interleaved 16-bit PCM.
pub fn oggdec(ogg: &std::path::Path) -> Vec<i16> {
    let tag = format!("{}.{}", std::process::id(), unique());
    let raw = ogg.with_extension(format!("{tag}.s16"));
    let status = Command::new("oggdec")
        .args(["-Q", "-R", "-b", "16", "-e", "0", "-s", "1", "-o"])
        .arg(&raw)
        .arg(ogg)
        .status()
        .expect("run oggdec (vorbis-tools installed?)");
    assert!(status.success(), "oggdec {} failed: {status}", ogg.display());
    let bytes = std::fs::read(&raw).expect("read oggdec output");
    let _ = std::fs::remove_file(&raw);
    bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

/// Writes `bytes` to a new file under the corpus directory (for tools that read files) and
/// returns its path; the caller removes it.
pub fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join("rill-corpus");
    std::fs::create_dir_all(&dir).expect("create corpus dir");
    let path = dir.join(format!("{name}.{}.{}.ogg", std::process::id(), unique()));
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

/// Publishes the corpus file made at `tmp` as `path`, unless another test got there first: then
/// the first one stays. Encoders stamp a random stream serial number, so two tests making the
/// same file at once make different bytes, and replacing the first would change a file under
/// a test that had already read or copied it.
pub(crate) fn publish(tmp: &Path, path: &Path) {
    match std::fs::hard_link(tmp, path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => panic!("publishing corpus file {}: {e}", path.display()),
    }
    let _ = std::fs::remove_file(tmp);
}

/// A process-unique counter for temporary names.
pub(crate) fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A small seeded PRNG (xorshift64*), so the corpus is the same on every machine.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A uniform float in [-1, 1).
    pub fn signed(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// A uniform integer in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }
}

/// Music-like test signal: per channel, a few notes (harmonic partials with attack/decay
/// envelopes, re-struck at random times so encoders see transients and switch block sizes) and
/// some noise. Interleaved 16-bit.
fn synthesize(channels: u8, rate: u32, frames: u32) -> Vec<i16> {
    let mut rng = Rng::new(u64::from(channels) << 40 ^ u64::from(rate) << 8 ^ u64::from(frames));
    let ch = usize::from(channels);
    let rate_f = f64::from(rate);
    struct Voice {
        freq: f64,
        start: u32,
        amp: f64,
    }
    let mut out = vec![0i16; ch * frames as usize];
    for c in 0..ch {
        let mut voices: Vec<Voice> = Vec::new();
        let mut next_onset = 0u32;
        let noise = 0.01 + 0.02 * (c % 3) as f64;
        for i in 0..frames {
            if i == next_onset {
                // A new note: 110 Hz .. 1.8 kHz, limited below Nyquist.
                let freq = (110.0 * 2f64.powf(rng.below(48) as f64 / 12.0)).min(rate_f * 0.2);
                voices.push(Voice { freq, start: i, amp: 0.15 + 0.1 * rng.signed().abs() });
                if voices.len() > 4 {
                    voices.remove(0);
                }
                next_onset = i + (rate / 8) + rng.below(u64::from(rate / 3)) as u32;
            }
            let t = f64::from(i) / rate_f;
            let mut s = noise * rng.signed();
            for v in &voices {
                let age = f64::from(i - v.start) / rate_f;
                let env = (age * 200.0).min(1.0) * (-age * 3.0).exp();
                for h in 1..=4 {
                    let f = v.freq * h as f64;
                    if f < rate_f / 2.0 {
                        s += v.amp * env / h as f64 * (2.0 * std::f64::consts::PI * f * t).sin();
                    }
                }
            }
            out[i as usize * ch + c] = (s.clamp(-1.0, 1.0) * 32767.0) as i16;
        }
    }
    out
}

/// The standard corpus: every kind of file the Vorbis tests run over.
pub fn standard() -> Vec<Spec> {
    let mut v: Vec<Spec> = (-1..=10).map(Spec::stereo).collect();
    v.extend(channel_sweep());
    v.extend(rate_sweep());
    v.extend(short_files());
    v.extend(ffmpeg());
    v
}

/// Quality 5 at 1, 3, 4, 6 (5.1) and 8 (7.1) channels, 44.1 kHz.
pub fn channel_sweep() -> Vec<Spec> {
    [1, 3, 4, 6, 8].map(|channels| Spec { channels, frames: 44_100, ..Spec::stereo(5) }).to_vec()
}

/// Quality 3 stereo at 8, 22.05, 48, 96 and 192 kHz.
pub fn rate_sweep() -> Vec<Spec> {
    [8_000, 22_050, 48_000, 96_000, 192_000]
        .map(|rate| Spec { rate, frames: rate, ..Spec::stereo(3) })
        .to_vec()
}

/// One-page files of 1, 100, 1000 and 3000 frames.
pub fn short_files() -> Vec<Spec> {
    [1, 100, 1000, 3000].map(|frames| Spec { frames, ..Spec::stereo(5) }).to_vec()
}

/// ffmpeg's libvorbis wrapper and its native encoder.
pub fn ffmpeg() -> Vec<Spec> {
    vec![
        Spec { encoder: Encoder::FfmpegLibvorbis, ..Spec::stereo(4) },
        Spec { encoder: Encoder::FfmpegNative, ..Spec::stereo(0) },
    ]
}

/// One packet of an Ogg stream, as the test-side splitter found it.
#[derive(Clone, Debug)]
pub struct Packet {
    /// The packet's bytes.
    pub data: Vec<u8>,
    /// Index of the page on which the packet ends.
    pub page: usize,
    /// Granule position of that page (-1 if none).
    pub granule: i64,
    /// Whether that page has the end-of-stream flag.
    pub eos: bool,
}

/// Splits a single-stream Ogg file into packets (a test helper: no CRC check, no chains).
pub fn split_ogg(bytes: &[u8]) -> Vec<Packet> {
    let mut packets = Vec::new();
    let mut partial: Vec<u8> = Vec::new();
    let mut pos = 0;
    let mut page = 0;
    while pos + 27 <= bytes.len() && &bytes[pos..pos + 4] == b"OggS" {
        let granule = i64::from_le_bytes(bytes[pos + 6..pos + 14].try_into().unwrap());
        let eos = bytes[pos + 5] & 4 != 0;
        let nseg = usize::from(bytes[pos + 26]);
        let lacing = &bytes[pos + 27..pos + 27 + nseg];
        let mut body = pos + 27 + nseg;
        for &l in lacing {
            partial.extend_from_slice(&bytes[body..body + usize::from(l)]);
            body += usize::from(l);
            if l < 255 {
                let data = std::mem::take(&mut partial);
                packets.push(Packet { data, page, granule, eos });
            }
        }
        pos = body;
        page += 1;
    }
    packets
}

/// Writes `tags` (`NAME=value`) with `vorbiscomment` into a copy of a short (0.1 s) corpus
/// file at `dir/rel`, creating the folders on the way.
pub fn tagged(dir: &Path, rel: &str, tags: &[&str]) {
    let out = dir.join(rel);
    std::fs::create_dir_all(out.parent().expect("a file path")).expect("creating the folders");
    let source = Spec { frames: 4410, ..Spec::stereo(0) }.path();
    let mut cmd = Command::new("vorbiscomment");
    cmd.arg("-w");
    for t in tags {
        cmd.args(["-t", t]);
    }
    let status = cmd.arg(&source).arg(&out).status().expect("vorbiscomment (vorbis-tools) runs");
    assert!(status.success(), "vorbiscomment {rel}");
}
