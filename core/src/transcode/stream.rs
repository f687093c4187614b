//! Producing the bytes of a byte range of a rendition.

use core::fmt;

use embedded_io::{Read, Seek};
use heapless::Vec;

use super::convert::Converter;
use super::layout::{Layout, Position, Wrapping, MAX_CHANNELS, MAX_HEADER};
use super::source::{Decoder, PcmSource};
#[cfg(feature = "flac")]
use crate::media::flac;
#[cfg(feature = "opus")]
use crate::media::opus_file;
use crate::media::vorbis_file;
#[cfg(feature = "alac")]
use crate::media::{alac, mp4};

/// Why a rendition could not be produced to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// Reading or decoding a Vorbis file failed.
    Decode(vorbis_file::Error),
    /// Reading or decoding a FLAC file failed.
    #[cfg(feature = "flac")]
    Flac(flac::Error),
    /// Reading or decoding an ALAC (MP4) file failed.
    #[cfg(feature = "alac")]
    Alac(alac::Error),
    /// Reading an Ogg Opus file failed.
    #[cfg(feature = "opus")]
    Opus(opus_file::Error),
    /// An Ogg Opus file, and the platform lent no Opus decoder.
    #[cfg(feature = "opus")]
    NoDecoder,
    /// The file holds fewer frames than its length promised (damaged since it was indexed).
    Truncated,
    /// A link of the file has another channel count (or, for a converted rendition, rate)
    /// than the rendition.
    ChannelsChanged,
    /// The file's rate or channels cannot be converted to the rendition's.
    Unsupported,
    /// The converter's tables could not be allocated.
    OutOfMemory,
}

impl From<vorbis_file::Error> for Error {
    fn from(e: vorbis_file::Error) -> Self {
        Error::Decode(e)
    }
}

#[cfg(feature = "alac")]
impl From<alac::Error> for Error {
    fn from(e: alac::Error) -> Self {
        Error::Alac(e)
    }
}

#[cfg(feature = "opus")]
impl From<opus_file::Error> for Error {
    fn from(e: opus_file::Error) -> Self {
        Error::Opus(e)
    }
}

#[cfg(feature = "flac")]
impl From<flac::Error> for Error {
    fn from(e: flac::Error) -> Self {
        Error::Flac(e)
    }
}

impl Error {
    /// The decoder was refused memory (its budget, or the allocator): the stream cannot be
    /// served now, though the file is fine.
    pub fn is_memory(&self) -> bool {
        #[cfg(feature = "flac")]
        if let Error::Flac(flac::Error::Budget | flac::Error::OutOfMemory) = self {
            return true;
        }
        #[cfg(feature = "alac")]
        if let Error::Alac(alac::Error::OutOfMemory | alac::Error::Mp4(mp4::Error::Budget)) = self {
            return true;
        }
        #[cfg(feature = "opus")]
        if let Error::Opus(opus_file::Error::Budget | opus_file::Error::OutOfMemory) = self {
            return true;
        }
        matches!(
            self,
            Error::Decode(vorbis_file::Error::Budget | vorbis_file::Error::OutOfMemory)
                | Error::OutOfMemory
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "decoding failed: {e}"),
            #[cfg(feature = "flac")]
            Error::Flac(e) => write!(f, "decoding failed: {e}"),
            #[cfg(feature = "alac")]
            Error::Alac(e) => write!(f, "decoding failed: {e}"),
            #[cfg(feature = "opus")]
            Error::Opus(e) => write!(f, "decoding failed: {e}"),
            #[cfg(feature = "opus")]
            Error::NoDecoder => f.write_str("no Opus decoder on this platform"),
            Error::Truncated => f.write_str("the file ended before its indexed length"),
            Error::ChannelsChanged => f.write_str("a chained link changes the channel count"),
            Error::Unsupported => f.write_str("no conversion to the rendition's rate and channels"),
            Error::OutOfMemory => f.write_str("out of memory for the converter"),
        }
    }
}

impl core::error::Error for Error {}

/// Samples decoded per step (interleaved): 4 KiB of `i16` on the transcoder.
const SCRATCH: usize = 2048;

/// Produces bytes `first..first + len` of a [`Layout`] rendition of a Vorbis, FLAC, ALAC or
/// Opus file.
///
/// Memory: the [`Decoder`] (its heap is bounded by its budget) plus 4 KiB of sample scratch
/// and the 68-byte header inside this struct, and for [`Wrapping::Lpcm`] a [`Converter`]
/// (bounded in its docs).
pub struct Transcoder<R> {
    file: Decoder<R>,
    layout: Layout,
    /// The conversion of a [`Wrapping::Lpcm`] rendition.
    convert: Option<Converter>,
    /// Next byte of the rendition to produce.
    offset: u64,
    /// One past the last byte to produce.
    end: u64,
    header: [u8; MAX_HEADER],
    /// Bytes of the last encoded frame that did not fit the caller's buffer.
    carry: Vec<u8, { 2 * MAX_CHANNELS as usize }>,
    scratch: [i16; SCRATCH],
}

impl<R> Transcoder<R> {
    /// Bytes still to produce.
    pub fn remaining(&self) -> u64 {
        self.end.saturating_sub(self.offset)
    }
}

impl<R: Read + Seek> Transcoder<R> {
    /// Positions `file` for bytes `first..first + len` of `layout`. The file's links must all
    /// have one rate and channel count (the library offers transcodes only then): `layout`'s,
    /// or for [`Wrapping::Lpcm`] those that convert to `layout`'s ([`Error::Unsupported`]
    /// otherwise).
    pub fn new(
        file: impl Into<Decoder<R>>,
        layout: Layout,
        first: u64,
        len: u64,
    ) -> Result<Self, Error> {
        let mut file = file.into();
        let mut convert = match layout.wrapping {
            Wrapping::Lpcm => {
                let c = Converter::new(file.rate(), file.channels(), file.total_frames())?;
                if (c.rate_out(), c.channels_out()) != (layout.rate, layout.channels) {
                    return Err(Error::Unsupported);
                }
                Some(c)
            }
            Wrapping::L16 | Wrapping::Wav => None,
        };
        if let Position::Sample { frame, .. } = layout.locate(first) {
            let frame = frame.min(layout.frames);
            match convert.as_mut() {
                Some(c) => c.seek(&mut file, frame)?,
                None => file.seek(frame)?,
            }
        }
        let mut header = [0u8; MAX_HEADER];
        layout.write_header(&mut header);
        let end = first.saturating_add(len).min(layout.total_len());
        Ok(Transcoder {
            file,
            layout,
            convert,
            offset: first,
            end,
            header,
            carry: Vec::new(),
            scratch: [0; SCRATCH],
        })
    }

    /// Fills `out` with the next bytes; returns how many, 0 when the range is complete. A
    /// stream that ends early (a damaged file) returns [`Error::Truncated`] once the decodable
    /// frames are out.
    pub fn fill(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        let mut n = 0;
        while n < out.len() && self.offset < self.end {
            let room = out.len() - n;
            let want = usize::try_from(self.remaining()).unwrap_or(usize::MAX).min(room);
            let Some(dst) = out.get_mut(n..n + want) else { break };
            let wrote = if !self.carry.is_empty() {
                let n = copy(Some(&self.carry), dst);
                self.carry.rotate_left(n);
                self.carry.truncate(self.carry.len() - n);
                n
            } else {
                match self.layout.locate(self.offset) {
                    Position::Header(at) => {
                        copy(self.header.get(at..self.layout.header_len()), dst)
                    }
                    Position::Sample { skip, .. } => self.samples(skip, dst)?,
                }
            };
            if wrote == 0 {
                return if n == 0 { Err(Error::Truncated) } else { Ok(n) };
            }
            n += wrote;
            self.offset += wrote as u64;
        }
        Ok(n)
    }

    /// Decodes frames and encodes them into `dst`, dropping the first `skip` bytes of the first
    /// frame (non-zero only for a range starting inside a frame); returns the bytes written (0
    /// at the end of the decodable stream). A frame cut by the end of `dst` leaves its other
    /// bytes in `carry`.
    fn samples(&mut self, skip: usize, dst: &mut [u8]) -> Result<usize, Error> {
        let channels = usize::from(self.layout.channels);
        let fb = self.layout.frame_bytes();
        // Whole frames that fit (at least one: a partial frame is encoded whole, then cut).
        let frames = ((dst.len() + skip).div_ceil(fb)).clamp(1, SCRATCH / channels);
        let scratch = self.scratch.get_mut(..frames * channels).unwrap_or_default();
        let got = match self.convert.as_mut() {
            Some(c) => c.read(&mut self.file, scratch)?,
            None => {
                if self.file.prepare()? && usize::from(self.file.channels()) != channels {
                    return Err(Error::ChannelsChanged);
                }
                self.file.read_i16(scratch)?
            }
        };
        let whole = got * fb;
        if skip == 0 && whole <= dst.len() && channels <= 2 {
            // The common case: whole frames of one or two channels, whose order WAV and L16
            // share with the source's, encoded straight into `dst` (the loop below builds and
            // copies each frame: about 25 instructions a byte on the boards, these about 5).
            let src = self.scratch.get(..got * channels).unwrap_or_default();
            let put = |d: &mut [u8], b: [u8; 2]| {
                if let [x, y] = d {
                    [*x, *y] = b;
                }
            };
            let pairs = dst.chunks_exact_mut(2).zip(src);
            if self.layout.wrapping == Wrapping::Wav {
                pairs.for_each(|(d, s)| put(d, s.to_le_bytes()));
            } else {
                pairs.for_each(|(d, s)| put(d, s.to_be_bytes()));
            }
            return Ok(whole);
        }
        let mut written = 0;
        let mut frame_buf = [0u8; 2 * MAX_CHANNELS as usize];
        for f in 0..got {
            let samples = self.scratch.get(f * channels..(f + 1) * channels).unwrap_or_default();
            for (o, out) in frame_buf.chunks_exact_mut(2).take(channels).enumerate() {
                let s = samples.get(self.layout.source_channel(o)).copied().unwrap_or(0);
                out.copy_from_slice(&match self.layout.wrapping {
                    Wrapping::L16 | Wrapping::Lpcm => s.to_be_bytes(),
                    Wrapping::Wav => s.to_le_bytes(),
                });
            }
            let from = if f == 0 { skip } else { 0 };
            let part = frame_buf.get(from..fb).unwrap_or_default();
            let Some(rest) = dst.get_mut(written..) else { break };
            let take = part.len().min(rest.len());
            if let (Some(d), Some(s)) = (rest.get_mut(..take), part.get(..take)) {
                d.copy_from_slice(s);
            }
            written += take;
            if take < part.len() {
                // Only the last decoded frame can be cut: `frames` fits `dst` up to one frame.
                let _ = self.carry.extend_from_slice(part.get(take..).unwrap_or_default());
                break;
            }
        }
        Ok(written)
    }
}

fn copy(src: Option<&[u8]>, dst: &mut [u8]) -> usize {
    let src = src.unwrap_or_default();
    let n = src.len().min(dst.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}
