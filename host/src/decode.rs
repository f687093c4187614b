//! `rill decode FILE`: an Ogg Vorbis file to raw PCM on standard output, like `oggdec -R`.
//!
//! Samples are interleaved in Vorbis channel order, 16-bit with libvorbis' rounding by default
//! (`s16le`), or `s16be`, or 32-bit float (`f32le`). `--start` and `--end` select frames
//! `[start, end)`, each given as a frame number (`44100`) or seconds (`1.5s`, converted with the
//! first link's rate); the decoder seeks to the exact frame, so a slice equals the same frames of
//! a full decode. A chained file whose links change rate or channel count is written as it comes.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use embedded_io_adapters::std::FromStd;
use rill_core::media::vorbis_file::VorbisFile;

/// Options of `rill decode`.
#[derive(Debug, Args)]
pub struct Decode {
    /// The Ogg Vorbis file.
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
    /// Signed 16-bit little-endian (libvorbis rounding: nearest, clamped).
    S16le,
    /// Signed 16-bit big-endian.
    S16be,
    /// 32-bit IEEE float little-endian, as the decoder computes it.
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

/// Decodes `args.file` into `out`; returns the frames written.
pub fn write_pcm(args: &Decode, out: &mut impl Write) -> Result<u64> {
    let path = &args.file;
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut vf = VorbisFile::open(FromStd::new(file))
        .map_err(|e| anyhow::anyhow!("{}: not a readable Ogg Vorbis file: {e}", path.display()))?;
    let total = vf.total_frames();
    let rate = vf.rate();
    let start = args.start.map_or(0, |p| p.frame(rate)).min(total);
    let end = args.end.map_or(total, |p| p.frame(rate)).min(total);
    if end < start {
        bail!("--end ({end}) is before --start ({start})");
    }
    vf.seek(start).map_err(|e| anyhow::anyhow!("seeking to frame {start}: {e}"))?;
    let mut left = end - start;
    let mut ints = vec![0i16; 4096 * 255];
    let mut floats = vec![0f32; 4096 * 255];
    let mut bytes = Vec::with_capacity(4096 * 255 * 4);
    while left > 0 {
        bytes.clear();
        let n = match args.format {
            Format::F32le => {
                let n = vf.read_f32(&mut floats).map_err(decode_error)?;
                let n = n.min(usize::try_from(left).unwrap_or(usize::MAX));
                bytes.extend(
                    floats[..n * usize::from(vf.channels())].iter().flat_map(|s| s.to_le_bytes()),
                );
                n
            }
            Format::S16le | Format::S16be => {
                let n = vf.read_i16(&mut ints).map_err(decode_error)?;
                let n = n.min(usize::try_from(left).unwrap_or(usize::MAX));
                let samples = &ints[..n * usize::from(vf.channels())];
                if args.format == Format::S16le {
                    bytes.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
                } else {
                    bytes.extend(samples.iter().flat_map(|s| s.to_be_bytes()));
                }
                n
            }
        };
        if n == 0 {
            break;
        }
        out.write_all(&bytes)?;
        left -= n as u64;
    }
    out.flush()?;
    Ok(end - start - left)
}

fn decode_error(e: rill_core::media::vorbis_file::Error) -> anyhow::Error {
    anyhow::anyhow!("decoding failed: {e}")
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
