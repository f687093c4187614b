//! The Opus test corpus: Ogg Opus files made on demand by `opusenc` (libopus through
//! libopusenc) from synthesized PCM, the reference decode of each by libopusfile
//! (`opusdec --float --rate 48000`: raw f32le at 48 kHz, Vorbis channel order, header gain,
//! pre-skip and end trim applied), and `opus_compare`'s quality measure.
//!
//! Two signals: a music-like one (harmonic notes with onsets, a little noise; a different
//! voice per channel) and a speech-like one (a glottal pulse train of varying pitch through
//! two formant resonators, in syllables with pauses), so the encoder picks CELT, SILK or hybrid
//! as the options ask. Files are cached under `$TMPDIR/rill-corpus/opus/`, named by every
//! parameter, created atomically.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::corpus::Rng;

/// The signal a corpus file encodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Harmonic notes with onsets plus noise.
    Music,
    /// Voiced syllables with pauses.
    Speech,
}

/// One corpus file's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Channels, 1 to 8 (more than 2: mapping family 1).
    pub channels: u8,
    /// Length of the input in 48 kHz frames.
    pub frames: u32,
    /// The signal.
    pub signal: Signal,
    /// Options given to `opusenc` (`--bitrate`, `--framesize`, `--comp`, ...).
    pub args: Vec<&'static str>,
    /// Number of links: more than one makes a chained file (each link encodes the same input
    /// with a different serial number).
    pub links: u8,
}

/// Bumped whenever the signal changes, so stale cached files are not reused.
const SIGNAL_VERSION: u32 = 1;

impl Spec {
    /// Three seconds of `signal` on `channels` channels, with these `opusenc` options.
    pub fn new(signal: Signal, channels: u8, args: &[&'static str]) -> Spec {
        Spec { channels, frames: 144_000, signal, args: args.to_vec(), links: 1 }
    }

    /// A file name naming every parameter.
    pub fn name(&self) -> String {
        let args: String = self.args.iter().map(|a| a.replace(['-', ' ', '.'], "")).collect();
        format!(
            "{:?}-c{}-f{}-l{}-{args}-v{SIGNAL_VERSION}.opus",
            self.signal, self.channels, self.frames, self.links
        )
        .to_lowercase()
    }

    /// The synthesized input: interleaved 16-bit PCM at 48 kHz.
    pub fn pcm(&self) -> Vec<i16> {
        synthesize(self.signal, self.channels, self.frames)
    }

    /// Path of the encoded file, generating it first if it is not cached yet.
    pub fn path(&self) -> PathBuf {
        let dir = std::env::temp_dir().join("rill-corpus").join("opus");
        let path = dir.join(self.name());
        if path.exists() {
            return path;
        }
        std::fs::create_dir_all(&dir).expect("create corpus dir");
        let tag = format!("{}.{}", std::process::id(), crate::corpus::unique());
        let raw = dir.join(format!("{}.{tag}.raw", self.name()));
        let bytes: Vec<u8> = self.pcm().iter().flat_map(|s| s.to_le_bytes()).collect();
        std::fs::write(&raw, bytes).expect("write raw pcm");
        let mut file = Vec::new();
        for link in 0..self.links {
            let tmp = dir.join(format!("{}.{tag}.{link}.tmp", self.name()));
            let status = Command::new("opusenc")
                .args(["--quiet", "--raw", "--raw-bits", "16", "--raw-rate", "48000"])
                .args(["--raw-chan", &self.channels.to_string()])
                .args(["--serial", &(1000 + u32::from(link)).to_string()])
                .args(&self.args)
                .arg(&raw)
                .arg(&tmp)
                .status()
                .expect("run opusenc (opus-tools installed?)");
            assert!(status.success(), "opusenc {} failed: {status}", self.name());
            file.extend(std::fs::read(&tmp).expect("read opusenc output"));
            let _ = std::fs::remove_file(&tmp);
        }
        let _ = std::fs::remove_file(&raw);
        let tmp = dir.join(format!("{}.{tag}.tmp", self.name()));
        std::fs::write(&tmp, file).expect("write corpus file");
        crate::corpus::publish(&tmp, &path);
        path
    }

    /// The encoded file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.path()).expect("read corpus file")
    }

    /// The file decoded by libopusfile (see [`opusdec`]).
    pub fn reference(&self) -> Vec<f32> {
        opusdec(&self.path())
    }
}

/// `opus` decoded by `opusdec --float --rate 48000` (libopusfile's `op_read_float`: header
/// gain, pre-skip and end trim applied, chains concatenated) to interleaved f32 in Vorbis
/// channel order.
pub fn opusdec(opus: &Path) -> Vec<f32> {
    let tag = format!("{}.{}", std::process::id(), crate::corpus::unique());
    let raw = opus.with_extension(format!("{tag}.f32"));
    let output = Command::new("opusdec")
        .args(["--quiet", "--float", "--rate", "48000"])
        .arg(opus)
        .arg(&raw)
        .output()
        .expect("run opusdec (opus-tools installed?)");
    assert!(output.status.success(), "opusdec {} failed: {output:?}", opus.display());
    let bytes = std::fs::read(&raw).expect("read opusdec output");
    let _ = std::fs::remove_file(&raw);
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Interleaved 16-bit PCM of `signal` on `channels` channels, `frames` long at 48 kHz.
fn synthesize(signal: Signal, channels: u8, frames: u32) -> Vec<i16> {
    let mut rng = Rng::new(0x0905 ^ u64::from(channels) << 8 ^ signal as u64);
    let rate = 48_000.0f64;
    let mut out = Vec::with_capacity(frames as usize * usize::from(channels));
    // Per channel: the phase of the fundamental and the resonator state (speech).
    let mut phase = vec![0.0f64; usize::from(channels)];
    let mut res = vec![[0.0f64; 4]; usize::from(channels)];
    let notes = [220.0, 261.63, 329.63, 392.0, 440.0, 523.25, 587.33, 659.25];
    for n in 0..frames {
        let t = f64::from(n) / rate;
        for c in 0..usize::from(channels) {
            let noise = rng.signed();
            let v = match signal {
                Signal::Music => {
                    let note = (n / 12_000) as usize + c;
                    let f = notes[note % notes.len()] * (1.0 + c as f64 * 0.003);
                    let since = f64::from(n % 12_000) / rate;
                    let env = (-since * 3.0).exp() * (since * 200.0).min(1.0);
                    phase[c] += f / rate;
                    let p = 2.0 * std::f64::consts::PI * phase[c];
                    let tone: f64 = (1..=6).map(|h| (p * f64::from(h)).sin() / f64::from(h)).sum();
                    0.35 * env * tone + 0.01 * noise
                }
                Signal::Speech => {
                    // 4 syllables a second, every fourth one silent.
                    let syl = (t * 4.0) as u64;
                    let within = t * 4.0 - syl as f64;
                    let env = if (syl + c as u64) % 4 == 3 {
                        0.0
                    } else {
                        (std::f64::consts::PI * within).sin().powi(2)
                    };
                    let f0 = 110.0 + 30.0 * (t * 2.3 + c as f64).sin();
                    phase[c] += f0 / rate;
                    let pulse = if phase[c] >= 1.0 {
                        phase[c] -= 1.0;
                        1.0
                    } else {
                        0.0
                    };
                    let excite = env * pulse + 0.002 * env * noise;
                    // Two resonators (formants near 700 Hz and 1200 Hz), in series.
                    let mut x = excite;
                    for (k, (fc, bw)) in [(700.0f64, 90.0f64), (1200.0, 110.0)].iter().enumerate() {
                        let r = (-std::f64::consts::PI * bw / rate).exp();
                        let a1 = 2.0 * r * (2.0 * std::f64::consts::PI * fc / rate).cos();
                        let a2 = -r * r;
                        let y = x + a1 * res[c][2 * k] + a2 * res[c][2 * k + 1];
                        res[c][2 * k + 1] = res[c][2 * k];
                        res[c][2 * k] = y;
                        x = y * (1.0 - r);
                    }
                    0.6 * x
                }
            };
            out.push((v.clamp(-1.0, 1.0) * 32_767.0) as i16);
        }
    }
    out
}

/// The corpus the decoder choice and the `OpusFile` tests run on: CELT music at several
/// bitrates and frame sizes, SILK speech at a low bitrate, hybrid, mono to 7.1 (mapping family
/// 1), a low encoder complexity, and a chained file.
pub fn standard() -> Vec<Spec> {
    use Signal::{Music, Speech};
    let mut chained = Spec::new(Music, 2, &["--bitrate", "96"]);
    chained.links = 2;
    chained.frames = 96_000;
    vec![
        Spec::new(Music, 2, &["--bitrate", "128"]),
        Spec::new(Music, 2, &["--bitrate", "32"]),
        Spec::new(Music, 2, &["--bitrate", "256", "--framesize", "2.5"]),
        Spec::new(Music, 2, &["--bitrate", "96", "--framesize", "5"]),
        Spec::new(Music, 1, &["--bitrate", "64", "--framesize", "10"]),
        Spec::new(Music, 2, &["--bitrate", "96", "--framesize", "40"]),
        Spec::new(Music, 2, &["--bitrate", "96", "--framesize", "60"]),
        Spec::new(Music, 2, &["--bitrate", "64", "--comp", "0"]),
        Spec::new(Speech, 1, &["--bitrate", "12", "--speech"]),
        Spec::new(Speech, 1, &["--bitrate", "8", "--speech", "--framesize", "60"]),
        Spec::new(Speech, 2, &["--bitrate", "32", "--speech"]),
        Spec::new(Speech, 1, &["--bitrate", "24", "--speech"]),
        Spec::new(Music, 6, &["--bitrate", "256"]),
        Spec::new(Music, 8, &["--bitrate", "320"]),
        chained,
    ]
}

/// Bands (in 100 Hz bins of a 480-sample window at 48 kHz) on which `opus_compare` weighs the
/// error: Bark-like CELT bands.
const BANDS: [usize; 22] =
    [0, 2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 68, 80, 96, 120, 156, 200];
/// Analysis window and step of `opus_compare`, in 48 kHz samples.
const WINDOW: usize = 480;
const STEP: usize = 120;

/// `opus_compare`'s quality of `test` against `reference` (interleaved, `channels` of them, at
/// 48 kHz, full scale 1.0; rounded to 16 bits as the tool reads them): 100 is identical, and at least 0 passes
/// (RFC 6716 §6, RFC 8251 §11). Re-implemented from its description: per 480-sample Hann
/// window stepped by 120, power spectra plus a floor; the reference's band energies spread by
/// frequency masking (10 dB/Bark up, 15 dB/Bark down), temporal masking (-3 dB per step) and
/// 1% cross-talk between a stereo pair, added at -10 dB to both spectra; both spectra summed
/// with the previous window; per bin `r − ln r − 1` of the power ratio `r` (de-weighted around
/// the SILK/CELT cross-over at 8 kHz), averaged per band, squared, averaged over the bands,
/// raised to the 4th power, averaged over windows and the 16th root taken; then
/// `Q = 100·(1 − 0.5·ln(1+err)/ln 1.13)`. One or two channels are compared together as
/// `opus_compare` does; more are compared one by one and the lowest quality returned.
///
/// Panics if the lengths differ or are shorter than a window (the tool refuses those too).
pub fn quality(reference: &[f32], test: &[f32], channels: usize) -> f64 {
    assert_eq!(reference.len(), test.len(), "sample counts differ");
    if channels <= 2 {
        return quality_pair(reference, test, channels);
    }
    (0..channels)
        .map(|c| {
            let pick =
                |x: &[f32]| -> Vec<f32> { x.iter().skip(c).step_by(channels).copied().collect() };
            quality_pair(&pick(reference), &pick(test), 1)
        })
        .fold(f64::INFINITY, f64::min)
}

/// [`quality`] for one or two channels.
fn quality_pair(x: &[f32], y: &[f32], nch: usize) -> f64 {
    let len = x.len() / nch;
    assert!(len >= WINDOW, "fewer samples than one window");
    let nframes = (len - WINDOW + STEP) / STEP;
    let nbands = BANDS.len() - 1;
    let nfreqs = WINDOW / 2;
    let (xb, mut xs) = spectrum(x, nch, nframes);
    let (_, mut ys) = spectrum(y, nch, nframes);
    let mut xb = xb;
    let at = |f: usize, b: usize, c: usize| (f * nbands + b) * nch + c;
    let sat = |f: usize, j: usize, c: usize| (f * nfreqs + j) * nch + c;
    for f in 0..nframes {
        for b in 1..nbands {
            for c in 0..nch {
                xb[at(f, b, c)] += 0.1 * xb[at(f, b - 1, c)];
            }
        }
        for b in (0..nbands - 1).rev() {
            for c in 0..nch {
                xb[at(f, b, c)] += 0.03 * xb[at(f, b + 1, c)];
            }
        }
        if f > 0 {
            for b in 0..nbands {
                for c in 0..nch {
                    xb[at(f, b, c)] += 0.5 * xb[at(f - 1, b, c)];
                }
            }
        }
        if nch == 2 {
            for b in 0..nbands {
                let (l, r) = (xb[at(f, b, 0)], xb[at(f, b, 1)]);
                xb[at(f, b, 0)] += 0.01 * r;
                xb[at(f, b, 1)] += 0.01 * l;
            }
        }
        for b in 0..nbands {
            for j in BANDS[b]..BANDS[b + 1] {
                for c in 0..nch {
                    xs[sat(f, j, c)] += 0.1 * xb[at(f, b, c)];
                    ys[sat(f, j, c)] += 0.1 * xb[at(f, b, c)];
                }
            }
        }
    }
    // Each window summed with the previous one (as it was before this pass).
    for j in 0..BANDS[nbands] {
        for c in 0..nch {
            let (mut xp, mut yp) = (xs[sat(0, j, c)], ys[sat(0, j, c)]);
            for f in 1..nframes {
                let (xc, yc) = (xs[sat(f, j, c)], ys[sat(f, j, c)]);
                xs[sat(f, j, c)] += xp;
                ys[sat(f, j, c)] += yp;
                (xp, yp) = (xc, yc);
            }
        }
    }
    let mut err = 0.0f64;
    for f in 0..nframes {
        let mut ef = 0.0f64;
        for b in 0..nbands {
            let mut eb = 0.0f64;
            for j in BANDS[b]..BANDS[b + 1] {
                for c in 0..nch {
                    let r = f64::from(ys[sat(f, j, c)] / xs[sat(f, j, c)]);
                    let mut im = r - r.ln() - 1.0;
                    if (79..=81).contains(&j) {
                        im *= 0.1;
                    }
                    if j == 80 {
                        im *= 0.1;
                    }
                    eb += im;
                }
            }
            eb /= ((BANDS[b + 1] - BANDS[b]) * nch) as f64;
            ef += eb * eb;
        }
        ef /= nbands as f64;
        ef *= ef;
        err += ef * ef;
    }
    let err = (err / nframes as f64).powf(1.0 / 16.0);
    100.0 * (1.0 - 0.5 * (1.0 + err).ln() / 1.13f64.ln())
}

/// Per window: band energies (mean power per bin, `nframes × bands × nch`) and power spectrum
/// plus the floor (`nframes × 240 × nch`) of `x` (interleaved, scaled to 16-bit full scale).
fn spectrum(x: &[f32], nch: usize, nframes: usize) -> (Vec<f32>, Vec<f32>) {
    let nbands = BANDS.len() - 1;
    let nfreqs = WINDOW / 2;
    let tau = 2.0 * std::f32::consts::PI;
    let window: Vec<f32> =
        (0..WINDOW).map(|k| 0.5 - 0.5 * (tau / (WINDOW - 1) as f32 * k as f32).cos()).collect();
    let cos: Vec<f32> = (0..WINDOW).map(|k| (tau / WINDOW as f32 * k as f32).cos()).collect();
    let sin: Vec<f32> = (0..WINDOW).map(|k| (tau / WINDOW as f32 * k as f32).sin()).collect();
    let mut bands = vec![0.0f32; nframes * nbands * nch];
    let mut ps = vec![0.0f32; nframes * nfreqs * nch];
    let mut w = vec![0.0f32; WINDOW];
    for f in 0..nframes {
        for c in 0..nch {
            for (k, wk) in w.iter_mut().enumerate() {
                *wk = window[k] * to_i16(x[(f * STEP + k) * nch + c]);
            }
            for b in 0..nbands {
                let mut p = 0.0f32;
                for j in BANDS[b]..BANDS[b + 1] {
                    let (mut re, mut im, mut t) = (0.0f32, 0.0f32, 0usize);
                    for &wk in &w {
                        re += cos[t] * wk;
                        im -= sin[t] * wk;
                        t += j;
                        if t >= WINDOW {
                            t -= WINDOW;
                        }
                    }
                    let v = re * re + im * im + 100_000.0;
                    ps[(f * nfreqs + j) * nch + c] = v;
                    p += v;
                }
                bands[(f * nbands + b) * nch + c] = p / (BANDS[b + 1] - BANDS[b]) as f32;
            }
        }
    }
    (bands, ps)
}

/// A float sample as `opus_compare` reads it: rounded to 16 bits.
fn to_i16(s: f32) -> f32 {
    (s * 32_768.0).round().clamp(-32_768.0, 32_767.0)
}

/// `bytes` (an Ogg Opus file) with its first `OpusHead` changed by `edit` and that page's CRC
/// recomputed, so readers see a valid page with the edited header.
pub fn patch_head(bytes: &[u8], edit: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = out.windows(8).position(|w| w == b"OpusHead").expect("an OpusHead");
    edit(&mut out[at..]);
    // The head is alone on the first page, which starts the file.
    let mut page = rill_core::media::ogg::page::Page::new_checked(&mut out[..]).expect("page");
    page.fill_checksum();
    out
}
