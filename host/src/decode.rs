//! `rill decode FILE`: an Ogg Vorbis, FLAC, Ogg FLAC, Ogg Opus or ALAC (`.m4a`) file to raw PCM
//! on standard output, like `oggdec -R`, `flac -d --force-raw-format --endian=little
//! --sign=signed`, `opusdec --float --rate 48000` (Opus: always 48 kHz, Vorbis channel order;
//! 16-bit output rounded, not dithered) or `ffmpeg -c:a pcm_s24le -f s24le` (ALAC: channels in
//! WAV order, as ffmpeg decodes them; an AAC `.m4a` is refused, AAC is not decoded).
//!
//! The format is told by the file's bytes, never its name. Samples are interleaved in the
//! codec's own channel order (Vorbis order; FLAC order, as `flac -d` writes them):
//! `s16le` (default), `s16be`, `s24le`, `s32le` or `f32le`. For FLAC and ALAC, `s24le`/`s32le` are the
//! stream's own samples at that width, narrower ones shifted up (a 24-bit FLAC as `s24le`, or
//! a 16-bit one as `s16le`, is byte for byte what `flac -d` writes; an 8-bit one as `s16le` is
//! its samples times 256); wider ones are rounded to the nearest. Vorbis, which decodes to
//! float, gives libvorbis' rounding at 16 bits and the same rounding at 24 and 32. `--start`
//! and `--end` select frames `[start, end)`, each given as a frame number (`44100`) or seconds
//! (`1.5s`, converted with the first link's rate); the decoders seek to the exact frame, so a
//! slice equals the same frames of a full decode. A chained Vorbis file whose links change
//! rate or channel count is written as it comes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use embedded_io_adapters::std::FromStd;
use rill_core::media::alac::{self, AlacFile};
use rill_core::media::flac::{self, FlacFile};
use rill_core::media::mp4::{self, Codec, Movie};
use rill_core::media::opus_file::{self, OpusFile};
use rill_core::media::vorbis_file::{self, VorbisFile};

/// Options of `rill decode`.
#[derive(Debug, Args)]
pub struct Decode {
    /// The Ogg Vorbis, FLAC, Ogg FLAC, Ogg Opus or ALAC (MP4) file.
    pub file: PathBuf,
    /// Sample format written to standard output.
    #[arg(short, long, value_enum, default_value_t = Format::S16le)]
    pub format: Format,
    /// First frame to write: a frame number, or seconds with an `s` suffix (`12.5s`).
    #[arg(long, value_name = "FRAME|SECONDSs")]
    pub start: Option<Point>,
    /// Frame to stop before: a frame number, or seconds with an `s` suffix.
    #[arg(long, value_name = "FRAME|SECONDSs")]
    pub end: Option<Point>,
}

/// Raw sample formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Signed 16-bit little-endian (nearest, clamped, as libvorbis rounds).
    S16le,
    /// Signed 16-bit big-endian.
    S16be,
    /// Signed 24-bit little-endian (3 bytes a sample).
    S24le,
    /// Signed 32-bit little-endian.
    S32le,
    /// 32-bit IEEE float little-endian (Vorbis: as the decoder computes it; FLAC: samples
    /// scaled to [-1, 1)).
    F32le,
}

/// A position given on the command line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Point {
    /// A frame number.
    Frame(u64),
    /// Seconds from the start.
    Seconds(f64),
}

impl FromStr for Point {
    type Err = String;

    fn from_str(s: &str) -> Result<Point, String> {
        let bad = || format!("{s:?} is neither a frame number nor seconds like 1.5s");
        match s.strip_suffix('s') {
            Some(secs) => {
                let v: f64 = secs.parse().map_err(|_| bad())?;
                if v.is_finite() && v >= 0.0 {
                    Ok(Point::Seconds(v))
                } else {
                    Err(bad())
                }
            }
            None => s.parse().map(Point::Frame).map_err(|_| bad()),
        }
    }
}

impl Point {
    fn frame(self, rate: u32) -> u64 {
        match self {
            Point::Frame(f) => f,
            // Saturating float-to-int: huge values clamp, and the caller clamps to the length.
            Point::Seconds(s) => (s * f64::from(rate)).floor() as u64,
        }
    }
}

/// Runs `rill decode` with output to standard output.
pub fn run(args: &Decode) -> Result<()> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    match write_pcm(args, &mut out) {
        // A closed pipe (`rill decode f.ogg | head -c 100`) is a normal way to stop.
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other.map(drop),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Samples decoded per read, interleaved (up to 255 Vorbis channels of 4096 frames).
const CHUNK: usize = 4096 * 255;

/// Decodes `args.file` into `out`; returns the frames written.
pub fn write_pcm(args: &Decode, out: &mut impl Write) -> Result<u64> {
    let path = &args.file;
    let mut src = Source::open(path)?;
    let total = src.total_frames();
    let rate = src.rate();
    let start = args.start.map_or(0, |p| p.frame(rate)).min(total);
    let end = args.end.map_or(total, |p| p.frame(rate)).min(total);
    if end < start {
        bail!("--end ({end}) is before --start ({start})");
    }
    src.seek(start).with_context(|| format!("seeking to frame {start}"))?;
    let mut left = end - start;
    let mut bytes = Vec::with_capacity(CHUNK * 4);
    let mut buf = Buffers::default();
    while left > 0 {
        bytes.clear();
        let max = usize::try_from(left).unwrap_or(usize::MAX);
        let n = src.read(args.format, max, &mut buf, &mut bytes).context("decoding failed")?;
        if n == 0 {
            break;
        }
        out.write_all(&bytes)?;
        left -= n as u64;
    }
    out.flush()?;
    Ok(end - start - left)
}

/// Scratch sample buffers, allocated on first use.
#[derive(Default)]
struct Buffers {
    i16: Vec<i16>,
    i32: Vec<i32>,
    f32: Vec<f32>,
}

fn grown<T: Default + Clone>(v: &mut Vec<T>) -> &mut [T] {
    if v.is_empty() {
        v.resize(CHUNK, T::default());
    }
    v
}

/// An open file of one of the formats `rill decode` reads.
#[allow(clippy::large_enum_variant)] // one value per run, never moved in a loop
enum Source {
    Vorbis(VorbisFile<FromStd<File>>),
    Flac(FlacFile<FromStd<File>>),
    Opus(OpusFile<FromStd<File>, crate::opus::LibOpus>),
    Alac(AlacFile<FromStd<File>>),
}

impl Source {
    /// Opens `path` as whatever its bytes say: FLAC (native or in Ogg), else Ogg Vorbis.
    fn open(path: &Path) -> Result<Source> {
        let open = || File::open(path).with_context(|| format!("opening {}", path.display()));
        match FlacFile::open(FromStd::new(open()?)) {
            Ok(f) => return Ok(Source::Flac(f)),
            Err(flac::Error::NotFlac) => {}
            Err(e) => bail!("{}: not a readable FLAC file: {e}", path.display()),
        }
        if is_mp4(&mut open()?)? {
            let mut file = FromStd::new(open()?);
            let movie = Movie::read(&mut file, mp4::DEFAULT_MOOV_BUDGET)
                .map_err(|e| anyhow::anyhow!("{}: not a readable MP4 file: {e}", path.display()))?;
            let codec = movie.audio().map(|t| matches!(t.codec, Codec::Aac(_)));
            if let Ok(true) = codec {
                bail!("{}: AAC is not decoded", path.display());
            }
            return match AlacFile::open(file) {
                Ok(f) => Ok(Source::Alac(f)),
                Err(alac::Error::Mp4(mp4::Error::NoAudio)) => {
                    bail!("{}: an MP4 file without ALAC audio", path.display())
                }
                Err(e) => bail!("{}: not a readable ALAC file: {e}", path.display()),
            };
        }
        match OpusFile::open(FromStd::new(open()?), crate::opus::LibOpus::new()) {
            Ok(f) => return Ok(Source::Opus(f)),
            Err(opus_file::Error::NotOpus) => {}
            Err(e) => bail!("{}: not a readable Ogg Opus file: {e}", path.display()),
        }
        match VorbisFile::open(FromStd::new(open()?)) {
            Ok(f) => Ok(Source::Vorbis(f)),
            Err(vorbis_file::Error::NotVorbis) => {
                bail!("{}: neither Ogg Vorbis, Ogg Opus nor FLAC", path.display())
            }
            Err(e) => bail!("{}: not a readable Ogg Vorbis file: {e}", path.display()),
        }
    }

    fn total_frames(&self) -> u64 {
        match self {
            Source::Vorbis(f) => f.total_frames(),
            Source::Flac(f) => f.total_frames(),
            Source::Opus(f) => f.total_frames(),
            Source::Alac(f) => f.total_frames(),
        }
    }

    fn rate(&self) -> u32 {
        match self {
            Source::Vorbis(f) => f.rate(),
            Source::Flac(f) => f.rate(),
            Source::Opus(f) => f.rate(),
            Source::Alac(f) => f.rate(),
        }
    }

    fn seek(&mut self, frame: u64) -> Result<()> {
        match self {
            Source::Vorbis(f) => f.seek(frame)?,
            Source::Flac(f) => f.seek(frame)?,
            Source::Opus(f) => f.seek(frame)?,
            Source::Alac(f) => f.seek(frame)?,
        }
        Ok(())
    }

    /// Decodes up to `max` frames and appends them to `bytes` in `format`; returns the frame
    /// count, 0 at the end.
    fn read(
        &mut self,
        format: Format,
        max: usize,
        buf: &mut Buffers,
        bytes: &mut Vec<u8>,
    ) -> Result<usize> {
        let n = match (self, format) {
            (Source::Vorbis(f), Format::S16le | Format::S16be) => {
                let n = f.read_i16(grown(&mut buf.i16))?;
                let c = usize::from(f.channels());
                put_i16(&buf.i16[..n.min(max) * c], format, bytes);
                n
            }
            (Source::Vorbis(f), _) => {
                let n = f.read_f32(grown(&mut buf.f32))?;
                let c = usize::from(f.channels());
                put_f32(&buf.f32[..n.min(max) * c], format, bytes);
                n
            }
            (Source::Opus(f), Format::S16le | Format::S16be) => {
                let n = f.read_i16(grown(&mut buf.i16))?;
                let c = usize::from(f.channels());
                put_i16(&buf.i16[..n.min(max) * c], format, bytes);
                n
            }
            (Source::Opus(f), _) => {
                let n = f.read_f32(grown(&mut buf.f32))?;
                let c = usize::from(f.channels());
                put_f32(&buf.f32[..n.min(max) * c], format, bytes);
                n
            }
            (Source::Flac(f), Format::S16le | Format::S16be) => {
                let n = f.read_i16(grown(&mut buf.i16))?;
                let c = usize::from(f.channels());
                put_i16(&buf.i16[..n.min(max) * c], format, bytes);
                n
            }
            (Source::Flac(f), Format::F32le) => {
                let n = f.read_f32(grown(&mut buf.f32))?;
                let c = usize::from(f.channels());
                put_f32(&buf.f32[..n.min(max) * c], format, bytes);
                n
            }
            (Source::Flac(f), Format::S24le | Format::S32le) => {
                let n = f.read_i32(grown(&mut buf.i32))?;
                let (c, bits) = (usize::from(f.channels()), u32::from(f.bits_per_sample()));
                let width = if format == Format::S24le { 24 } else { 32 };
                for &s in &buf.i32[..n.min(max) * c] {
                    let v = requantize(s, bits, width);
                    bytes.extend_from_slice(&v.to_le_bytes()[..width as usize / 8]);
                }
                n
            }
            (Source::Alac(f), _) => {
                let n = f.read(grown(&mut buf.i32))?;
                let c = usize::from(f.channels());
                let map = alac::TO_WAV.get(c.wrapping_sub(1)).copied().unwrap_or(&[]);
                let mut wav = [0i32; 8];
                for frame in buf.i32[..n.min(max) * c].chunks_exact(c) {
                    for (&to, &s) in map.iter().zip(frame) {
                        wav[to] = s;
                    }
                    put_int(&wav[..c], u32::from(f.bits()), format, bytes);
                }
                n
            }
        };
        Ok(n.min(max))
    }
}

/// Whether `file` starts with an MP4 `ftyp` box.
fn is_mp4(file: &mut File) -> Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 8];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(&head[4..] == b"ftyp")
}

/// Integer samples of `bits` bits in `format`: at 16, 24 or 32 bits as [`requantize`] puts
/// them, or scaled to [-1, 1) as `f32le`.
fn put_int(samples: &[i32], bits: u32, format: Format, bytes: &mut Vec<u8>) {
    for &s in samples {
        match format {
            Format::S16le => {
                bytes.extend_from_slice(&(requantize(s, bits, 16) as i16).to_le_bytes())
            }
            Format::S16be => {
                bytes.extend_from_slice(&(requantize(s, bits, 16) as i16).to_be_bytes())
            }
            Format::S24le => bytes.extend_from_slice(&requantize(s, bits, 24).to_le_bytes()[..3]),
            Format::S32le => bytes.extend_from_slice(&requantize(s, bits, 32).to_le_bytes()),
            Format::F32le => {
                let v = s as f32 / (1u64 << (bits.clamp(1, 32) - 1)) as f32;
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// `s`, a sample of `bits` bits, at `width` bits: shifted up when narrower, rounded to the
/// nearest (halves up) and clamped when wider.
fn requantize(s: i32, bits: u32, width: u32) -> i32 {
    if bits <= width {
        return s << (width - bits);
    }
    let shift = bits - width;
    let v = (i64::from(s) + (1i64 << (shift - 1))) >> shift;
    let max = (1i64 << (width - 1)) - 1;
    v.clamp(-max - 1, max) as i32
}

fn put_i16(samples: &[i16], format: Format, bytes: &mut Vec<u8>) {
    if format == Format::S16be {
        bytes.extend(samples.iter().flat_map(|s| s.to_be_bytes()));
    } else {
        bytes.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
    }
}

/// Float samples as `f32le`, or rounded to 24 or 32 bits (`s24le`, `s32le`).
fn put_f32(samples: &[f32], format: Format, bytes: &mut Vec<u8>) {
    let width = match format {
        Format::S24le => 24,
        Format::S32le => 32,
        _ => {
            bytes.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
            return;
        }
    };
    let scale = f64::from(1u32 << (width - 1));
    for &s in samples {
        // Saturating float-to-int after clamping to the width's range.
        let v = (f64::from(s) * scale).round().clamp(-scale, scale - 1.0) as i32;
        bytes.extend_from_slice(&v.to_le_bytes()[..width / 8]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_parse() {
        assert_eq!("44100".parse::<Point>(), Ok(Point::Frame(44_100)));
        assert_eq!("1.5s".parse::<Point>(), Ok(Point::Seconds(1.5)));
        assert_eq!("0s".parse::<Point>(), Ok(Point::Seconds(0.0)));
        for bad in ["", "s", "-1", "-1s", "1.5", "abc", "nans", "infs"] {
            assert!(bad.parse::<Point>().is_err(), "{bad}");
        }
        assert_eq!(Point::Seconds(1.5).frame(44_100), 66_150);
        assert_eq!(Point::Seconds(1e300).frame(44_100), u64::MAX);
    }
}
