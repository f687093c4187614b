//! MPEG audio files (`.mp3`): the play time, rate and channels, for Browse.
//!
//! [`read`] skips the ID3v2 tags at the start, finds the first frame (a frame header whose
//! next frame's header agrees with it, so a stray `FF Ex` in junk is not taken for one), and
//! then takes the frame count from the first frame's Xing or Info header (LAME and ffmpeg
//! write one, VBR or CBR) or its VBRI header (Fraunhofer's encoders). Without either, a file
//! whose frames at its start and at a quarter, half and three quarters of it all have the
//! first frame's bitrate is taken for CBR and its frames counted from its length; any other
//! is walked, header to header, counting the frames: a VBR file without a header has no other
//! exact play time (MiniDLNA and ffprobe estimate it from the first frame's bitrate, which
//! for a file that starts quietly is seconds off). The play time is the frame count times
//! the samples a frame holds over the rate, as ffprobe gives it (encoder delay and padding
//! are not taken off).
//!
//! The walk is bounded: the file is read in [`CHUNK`]-byte pieces, damage between frames is
//! skipped over at most [`RESYNC`] bytes, and after [`MAX_FRAMES`] frames the rest is
//! estimated from the mean frame length so far. Bad input ends in an [`Error`], never a panic
//! or a hang.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use embedded_io::{Read, Seek, SeekFrom};

use super::video::es::{mpeg_audio, MpegAudio};
use super::video::read_full;

/// Bytes read at a time: 64 KiB (some 150 frames of a 128 kb/s file).
pub const CHUNK: usize = 64 * 1024;
/// How far past the ID3v2 tags the first frame is looked for, and how far past damage
/// between frames the next one: 4 KiB (more than two of the longest frames).
pub const RESYNC: usize = 4 * 1024;
/// Frames walked at most: 4 Mi, some 30 hours at 44.1 kHz (the rest of a longer file is
/// estimated from the mean frame length).
pub const MAX_FRAMES: u64 = 1 << 22;
/// ID3v2 tags skipped at most at the start (a file may carry several).
const MAX_ID3: usize = 4;

/// Why an MP3 file's play time was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// Reading or seeking failed.
    Io,
    /// No run of MPEG audio frames where the audio should start.
    NoFrames,
    /// Free-format frames (no bitrate in the header), whose length cannot be walked.
    FreeFormat,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Io => "cannot read the file",
            Error::NoFrames => "no MPEG audio frames at its start",
            Error::FreeFormat => "free-format MPEG audio",
        })
    }
}

impl core::error::Error for Error {}

/// Where the frame count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Source {
    /// The first frame's Xing or Info header.
    Xing,
    /// The first frame's VBRI header.
    Vbri,
    /// The audio's length over the frame length of a bitrate found constant.
    Cbr,
    /// Counted, frame by frame.
    Walk,
    /// Counted up to [`MAX_FRAMES`], the rest estimated.
    Estimate,
}

/// What [`read`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Info {
    /// Sample rate in Hz.
    pub rate: u32,
    /// 1 or 2.
    pub channels: u8,
    /// Audio frames (the Xing or VBRI frame itself not counted).
    pub frames: u64,
    /// Samples per frame (384, 576 or 1152).
    pub samples_per_frame: u32,
    /// Where [`Info::frames`] came from.
    pub source: Source,
}

impl Info {
    /// The play time in milliseconds (rounded down).
    pub fn duration_ms(&self) -> u64 {
        let samples = self.frames.saturating_mul(u64::from(self.samples_per_frame));
        samples.saturating_mul(1000) / u64::from(self.rate.max(1))
    }
}

/// The file seen through one [`CHUNK`]-byte window.
struct Window<R> {
    src: R,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    base: u64,
    /// Bytes of `buf` that hold the file.
    filled: usize,
    /// Whether `buf` reaches the end of the file (the last read came up short).
    ends: bool,
}

impl<R: Read + Seek> Window<R> {
    /// The bytes from file offset `pos` on: at least `need` (at most [`CHUNK`]) unless the
    /// file ends first.
    fn at(&mut self, pos: u64, need: usize) -> Result<&[u8], Error> {
        let end = self.base.saturating_add(self.filled as u64);
        let short = pos.saturating_add(need as u64) > end && !(self.ends && pos <= end);
        if pos < self.base || short {
            self.src.seek(SeekFrom::Start(pos)).map_err(|_| Error::Io)?;
            self.filled = read_full(&mut self.src, &mut self.buf).map_err(|_| Error::Io)?;
            self.base = pos;
            self.ends = self.filled < self.buf.len();
        }
        let from = usize::try_from(pos - self.base).map_err(|_| Error::Io)?;
        Ok(self.buf.get(from..self.filled).unwrap_or_default())
    }
}

/// Whether `b` is a header of the same stream as `first` (version, layer and rate agree).
fn same(first: &MpegAudio, b: &MpegAudio) -> bool {
    (b.layer, b.mpeg1, b.rate) == (first.layer, first.mpeg1, first.rate)
}

/// The first offset in `bytes` (before `limit`) of a frame header followed by another of the
/// same stream (or by the end of `bytes`), and that header; like `like`'s stream if given.
fn sync(bytes: &[u8], limit: usize, like: Option<&MpegAudio>) -> Option<(usize, MpegAudio)> {
    (0..limit.min(bytes.len())).find_map(|i| {
        let h = mpeg_audio(bytes.get(i..)?)?;
        if like.is_some_and(|l| !same(l, &h)) || h.frame_len == 0 {
            return None;
        }
        let next = i.checked_add(usize::try_from(h.frame_len).ok()?)?;
        let follows = match bytes.get(next..).filter(|rest| rest.len() >= 4) {
            Some(rest) => mpeg_audio(rest).is_some_and(|n| same(&h, &n)),
            None => next >= bytes.len(),
        };
        follows.then_some((i, h))
    })
}

/// The big-endian `u32` at `at`.
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// The frame count in the Xing/Info or VBRI header of the Layer III frame `frame` (header
/// `h`), if it has one.
fn header_frames(frame: &[u8], h: &MpegAudio) -> Option<(u64, Source)> {
    if h.layer != 3 {
        return None;
    }
    // The Xing header follows the side information, whose size depends on version and mode.
    let side = match (h.mpeg1, h.channels) {
        (true, 1) | (false, 2) => 17,
        (true, _) => 32,
        (false, _) => 9,
    };
    let xing = frame.get(4 + side..)?;
    if xing.starts_with(b"Xing") || xing.starts_with(b"Info") {
        let flags = be32(xing, 4)?;
        return (flags & 1 == 1).then(|| Some((u64::from(be32(xing, 8)?), Source::Xing)))?;
    }
    // VBRI: always 32 bytes after the header; version 1; the frame count after the byte count.
    let vbri = frame.get(36..)?;
    let version = vbri.get(4..6)?;
    (vbri.starts_with(b"VBRI") && version == [0, 1])
        .then(|| Some((u64::from(be32(vbri, 14)?), Source::Vbri)))?
}

/// Frames checked at each of the places [`constant_bitrate`] looks.
const CBR_RUN: usize = 8;

/// The frame count of a file without a Xing or VBRI header whose first frame is `first` at
/// `start`, if its bitrate looks constant: [`CBR_RUN`] frames there and at a quarter, half and
/// three quarters of the audio all have `first`'s bitrate. The count is then the audio's
/// length (up to an ID3v1 tag at the end) over the mean frame length the bitrate gives (a CBR
/// encoder pads frames to keep exactly to it), so an old CBR file is not read whole; a file
/// whose bitrate varies, or that cannot be synced at those places, is `None` (walked).
fn constant_bitrate<R: Read + Seek>(
    w: &mut Window<R>,
    start: u64,
    first: &MpegAudio,
) -> Result<Option<u64>, Error> {
    let len = w.src.seek(SeekFrom::End(0)).map_err(|_| Error::Io)?;
    let tail = len.saturating_sub(128);
    let id3v1 = w.at(tail, 3)?.starts_with(b"TAG");
    let end = if id3v1 { tail } else { len };
    let audio = end.saturating_sub(start);
    for quarter in 0..4u64 {
        let at = start.saturating_add(audio / 4 * quarter);
        let bytes = w.at(at, CHUNK)?;
        let Some((mut i, _)) = sync(bytes, RESYNC, Some(first)) else { return Ok(None) };
        for _ in 0..CBR_RUN {
            match bytes.get(i..).and_then(mpeg_audio) {
                Some(h) if same(first, &h) && h.bitrate == first.bitrate => {
                    i = i.saturating_add(h.frame_len as usize);
                }
                // The end of the audio, or of the bytes at hand.
                None if i >= bytes.len().saturating_sub(4) => break,
                _ => return Ok(None),
            }
        }
    }
    // frames = bytes / (samples / 8 * bitrate / rate), rounded.
    let per_frame = u64::from(first.samples) * u64::from(first.bitrate);
    let bytes_x8_rate = audio.saturating_mul(8).saturating_mul(u64::from(first.rate));
    if per_frame == 0 {
        return Ok(None);
    }
    Ok(Some(bytes_x8_rate.saturating_add(per_frame / 2) / per_frame))
}

/// The size of the ID3v2 tag at the start of `bytes` (header, body and footer), if there is one.
fn id3v2_len(bytes: &[u8]) -> Option<u64> {
    let h = bytes.get(..10)?;
    if !h.starts_with(b"ID3") || h.get(6..10)?.iter().any(|b| b & 0x80 != 0) {
        return None;
    }
    let size = h.get(6..10)?.iter().fold(0u64, |n, &b| n << 7 | u64::from(b));
    let footer = if h.get(5)? & 0x10 != 0 { 10 } else { 0 };
    Some(10 + size + footer)
}

/// Reads the MP3 file `src`: its rate, channels and frame count (see the module docs).
pub fn read<R: Read + Seek>(src: R) -> Result<Info, Error> {
    let mut w = Window { src, buf: vec![0; CHUNK], base: 0, filled: 0, ends: false };
    let mut pos = 0u64;
    for _ in 0..MAX_ID3 {
        match id3v2_len(w.at(pos, 10)?) {
            Some(len) => pos = pos.saturating_add(len),
            None => break,
        }
    }
    let head = w.at(pos, RESYNC + 4)?;
    let (skip, first) = sync(head, RESYNC, None).ok_or(Error::NoFrames)?;
    pos = pos.saturating_add(skip as u64);
    let info = |frames, source| Info {
        rate: first.rate,
        channels: first.channels,
        frames,
        samples_per_frame: first.samples,
        source,
    };
    let frame = w.at(pos, usize::try_from(first.frame_len).unwrap_or(CHUNK))?;
    if let Some((frames, source)) = header_frames(frame, &first) {
        return Ok(info(frames, source));
    }
    if let Some(frames) = constant_bitrate(&mut w, pos, &first)? {
        return Ok(info(frames, Source::Cbr));
    }
    // No header, and the bitrate varies: walk. `pos` is at a frame, every step lands on the
    // next one.
    let start = pos;
    let mut frames = 0u64;
    while frames < MAX_FRAMES {
        let bytes = w.at(pos, RESYNC + 4)?;
        let h = match mpeg_audio(bytes) {
            Some(h) if same(&first, &h) && h.frame_len > 0 => h,
            _ => match sync(bytes, RESYNC, Some(&first)) {
                // Damage between frames: on from the next run of frames.
                Some((skip, _)) if skip > 0 => {
                    pos = pos.saturating_add(skip as u64);
                    continue;
                }
                _ => break,
            },
        };
        if bytes.len() < h.frame_len as usize {
            break; // cut inside its last frame
        }
        frames += 1;
        pos = pos.saturating_add(u64::from(h.frame_len));
    }
    if frames == 0 {
        return Err(if first.frame_len == 0 { Error::FreeFormat } else { Error::NoFrames });
    }
    if frames < MAX_FRAMES {
        return Ok(info(frames, Source::Walk));
    }
    // Bounded: the rest at the mean frame length so far.
    let end = w.src.seek(SeekFrom::End(0)).map_err(|_| Error::Io)?;
    let mean = (pos - start) / frames;
    let rest = end.saturating_sub(pos) / mean.max(1);
    Ok(info(frames.saturating_add(rest), Source::Estimate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::video::Mem;

    /// `n` MPEG-1 Layer III frames at 44.1 kHz stereo, at `kbps` each in turn (unpadded),
    /// bodies zero.
    fn frames(kbps: &[u16], n: usize) -> Vec<u8> {
        let index = |k: u16| {
            let table = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
            table.iter().position(|&t| t == k).unwrap() as u8 + 1
        };
        let mut out = Vec::new();
        for i in 0..n {
            let k = kbps[i % kbps.len()];
            let len = 144 * u32::from(k) * 1000 / 44100;
            let start = out.len();
            out.extend([0xFF, 0xFB, index(k) << 4, 0x00]);
            out.resize(start + len as usize, 0);
        }
        out
    }

    fn read_bytes(bytes: &[u8]) -> Result<Info, Error> {
        read(Mem { bytes, pos: 0 })
    }

    #[test]
    fn a_headerless_vbr_file_is_walked() {
        let mut file = b"ID3\x04\x00\x00\x00\x00\x01\x00".to_vec(); // 128-byte tag
        file.resize(10 + 128, 0);
        file.extend(frames(&[32, 320, 128, 64], 1001));
        file.extend(b"TAG");
        file.resize(file.len() + 125, b' ');
        let info = read_bytes(&file).unwrap();
        assert_eq!((info.frames, info.source), (1001, Source::Walk));
        assert_eq!((info.rate, info.channels, info.samples_per_frame), (44100, 2, 1152));
        assert_eq!(info.duration_ms(), 1001 * 1152 * 1000 / 44100);
    }

    #[test]
    fn a_headerless_cbr_file_is_counted_from_its_length() {
        // 128 kb/s at 48 kHz: 384-byte frames, no padding needed.
        let frame: Vec<u8> = [0xFF, 0xFB, 0x94, 0x00].into_iter().chain([0; 380]).collect();
        let mut file = frame.repeat(3000);
        file.extend(b"TAG");
        file.resize(file.len() + 125, b' ');
        let info = read_bytes(&file).unwrap();
        assert_eq!((info.frames, info.source), (3000, Source::Cbr));
        assert_eq!((info.rate, info.samples_per_frame), (48000, 1152));
        // A frame of another bitrate after every ninth: walked instead.
        let other: Vec<u8> = [0xFF, 0xFB, 0xA4, 0x00].into_iter().chain([0; 476]).collect();
        let vbr = [frame.repeat(9), other].concat().repeat(301);
        let info = read_bytes(&vbr).unwrap();
        assert_eq!((info.frames, info.source), (3010, Source::Walk));
    }

    #[test]
    fn damage_between_frames_is_skipped_and_junk_in_front_too() {
        let mut file = vec![0u8; 700];
        file.extend(frames(&[128], 10));
        file.extend([0xFF, 0xFB, 0x00]); // a stray sync
        file.extend([0x55; 300]);
        file.extend(frames(&[128], 10));
        let info = read_bytes(&file).unwrap();
        assert_eq!(info.frames, 20);
    }

    #[test]
    fn xing_and_vbri_frame_counts_are_taken() {
        let mut file = frames(&[128], 3);
        file[36..40].copy_from_slice(b"Xing");
        file[40..44].copy_from_slice(&3u32.to_be_bytes());
        file[44..48].copy_from_slice(&5000u32.to_be_bytes());
        assert_eq!(read_bytes(&file).unwrap().frames, 5000);
        assert_eq!(read_bytes(&file).unwrap().source, Source::Xing);
        let mut file = frames(&[128], 3);
        file[36..46].copy_from_slice(b"VBRI\x00\x01\x00\x00\x00\x32");
        file[50..54].copy_from_slice(&777u32.to_be_bytes());
        assert_eq!(read_bytes(&file).unwrap().frames, 777);
        assert_eq!(read_bytes(&file).unwrap().source, Source::Vbri);
    }

    #[test]
    fn no_frames_is_an_error() {
        assert_eq!(read_bytes(&[0x55; 10_000]), Err(Error::NoFrames));
        assert_eq!(read_bytes(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f"), Err(Error::NoFrames));
        assert_eq!(read_bytes(&[]), Err(Error::NoFrames));
        // A lone header with nothing after it is cut: one frame claimed, not walked.
        assert_eq!(read_bytes(&[0xFF, 0xFB, 0x90, 0x00]), Err(Error::NoFrames));
    }
}
