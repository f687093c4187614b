//! The PCM sources renditions are made from: any decoder with an exact length and exact
//! seeks, behind one small trait.
//!
//! [`PcmSource`] is what the [`super::Transcoder`] and [`super::Converter`] need of a
//! decoder; [`VorbisFile`], [`FlacFile`] and [`AlacFile`] implement it, and [`Decoder`] is
//! any of them, chosen by the file's bytes ([`Decoder::open`]), never by its name.
//!
//! Frames come in Vorbis channel order, the order the layouts and the downmix map from. FLAC's
//! own order (RFC 9639 §9.1.3) is the WAV order, so its frames are permuted to Vorbis order
//! here and back by the layout: a FLAC rendition carries the file's channels as they are.
//! ALAC codes its channels centre first (C L R, surrounds, LFE last: [`alac::TO_WAV`]); they
//! are put in WAV order first, then in Vorbis order, so an ALAC rendition carries them in WAV
//! order, as ffmpeg decodes them.
//!
//! Ogg Opus (feature `opus`) is an [`OpusFile`], already in Vorbis order at 48 kHz. Core has
//! no Opus decoder: the platform lends one ([`OpusDecoder`], through
//! [`crate::server::Env::opus_decoder`]) to [`Decoder::open_with_opus`]; a platform without
//! one (the firmware) never probes Opus for its length, so it never offers an Opus rendition.

use embedded_io::{Read, Seek};

#[cfg(any(feature = "flac", feature = "alac"))]
use super::layout::order;
use super::stream::Error;
#[cfg(feature = "alac")]
use crate::media::alac::{self, AlacFile};
#[cfg(feature = "flac")]
use crate::media::flac::{self, FlacFile};
#[cfg(feature = "opus")]
use crate::media::opus_file::{self, OpusFile};
use crate::media::vorbis_file::VorbisFile;

/// The Opus decoder a platform lends a rendition ([`crate::server::Env::opus_decoder`]): core
/// has none of its own (see [`opus_file`]); the host's is libopus.
#[cfg(feature = "opus")]
pub type OpusDecoder = alloc::boxed::Box<dyn opus_file::Decoder + Send>;

/// A decoder with an exact length that seeks to the exact frame.
pub trait PcmSource {
    /// Sample rate of the frames the next read returns.
    fn rate(&self) -> u32;
    /// Channels of the frames the next read returns.
    fn channels(&self) -> u8;
    /// Exact number of frames.
    fn total_frames(&self) -> u64;
    /// Positions the source so the next frame read is frame `frame` (the end if past it).
    fn seek(&mut self, frame: u64) -> Result<(), Error>;
    /// Makes frames ready; `false` at the end. Afterwards [`PcmSource::rate`] and
    /// [`PcmSource::channels`] describe the next frames read.
    fn prepare(&mut self) -> Result<bool, Error>;
    /// Reads interleaved 16-bit frames into `out` (whole frames; at least one must fit);
    /// returns the frame count, 0 at the end. Sources of more than 16 bits round to the
    /// nearest, a pure function of the sample.
    fn read_i16(&mut self, out: &mut [i16]) -> Result<usize, Error>;
    /// Reads interleaved float frames in [-1, 1) into `out`; returns the frame count.
    fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, Error>;
}

impl<R: Read + Seek> PcmSource for VorbisFile<R> {
    fn rate(&self) -> u32 {
        VorbisFile::rate(self)
    }
    fn channels(&self) -> u8 {
        VorbisFile::channels(self)
    }
    fn total_frames(&self) -> u64 {
        VorbisFile::total_frames(self)
    }
    fn seek(&mut self, frame: u64) -> Result<(), Error> {
        Ok(VorbisFile::seek(self, frame)?)
    }
    fn prepare(&mut self) -> Result<bool, Error> {
        Ok(VorbisFile::prepare(self)?)
    }
    fn read_i16(&mut self, out: &mut [i16]) -> Result<usize, Error> {
        Ok(VorbisFile::read_i16(self, out)?)
    }
    fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, Error> {
        Ok(VorbisFile::read_f32(self, out)?)
    }
}

#[cfg(feature = "flac")]
impl<R: Read + Seek> PcmSource for FlacFile<R> {
    fn rate(&self) -> u32 {
        FlacFile::rate(self)
    }
    fn channels(&self) -> u8 {
        FlacFile::channels(self)
    }
    fn total_frames(&self) -> u64 {
        FlacFile::total_frames(self)
    }
    fn seek(&mut self, frame: u64) -> Result<(), Error> {
        Ok(FlacFile::seek(self, frame)?)
    }
    fn prepare(&mut self) -> Result<bool, Error> {
        Ok(FlacFile::prepare(self)?)
    }
    fn read_i16(&mut self, out: &mut [i16]) -> Result<usize, Error> {
        let n = FlacFile::read_i16(self, out)?;
        to_vorbis_order(out, self.channels(), n);
        Ok(n)
    }
    fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, Error> {
        let n = FlacFile::read_f32(self, out)?;
        to_vorbis_order(out, self.channels(), n);
        Ok(n)
    }
}

#[cfg(feature = "alac")]
impl<R: Read + Seek> PcmSource for AlacFile<R> {
    fn rate(&self) -> u32 {
        AlacFile::rate(self)
    }
    fn channels(&self) -> u8 {
        AlacFile::channels(self)
    }
    fn total_frames(&self) -> u64 {
        AlacFile::total_frames(self)
    }
    fn seek(&mut self, frame: u64) -> Result<(), Error> {
        Ok(AlacFile::seek(self, frame)?)
    }
    fn prepare(&mut self) -> Result<bool, Error> {
        Ok(AlacFile::prepare(self)?)
    }
    fn read_i16(&mut self, out: &mut [i16]) -> Result<usize, Error> {
        let n = AlacFile::read_i16(self, out)?;
        alac_to_vorbis_order(out, self.channels(), n);
        Ok(n)
    }
    fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, Error> {
        let n = AlacFile::read_f32(self, out)?;
        alac_to_vorbis_order(out, self.channels(), n);
        Ok(n)
    }
}

#[cfg(feature = "opus")]
impl<R: Read + Seek, D: opus_file::Decoder> PcmSource for OpusFile<R, D> {
    fn rate(&self) -> u32 {
        OpusFile::rate(self)
    }
    fn channels(&self) -> u8 {
        OpusFile::channels(self)
    }
    fn total_frames(&self) -> u64 {
        OpusFile::total_frames(self)
    }
    fn seek(&mut self, frame: u64) -> Result<(), Error> {
        Ok(OpusFile::seek(self, frame)?)
    }
    fn prepare(&mut self) -> Result<bool, Error> {
        Ok(OpusFile::prepare(self)?)
    }
    fn read_i16(&mut self, out: &mut [i16]) -> Result<usize, Error> {
        Ok(OpusFile::read_i16(self, out)?)
    }
    fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, Error> {
        Ok(OpusFile::read_f32(self, out)?)
    }
}

/// Permutes the first `frames` frames of `samples` from ALAC's coded order to Vorbis order
/// (through WAV order).
#[cfg(feature = "alac")]
fn alac_to_vorbis_order<T: Copy + Default>(samples: &mut [T], channels: u8, frames: usize) {
    if channels <= 2 {
        return;
    }
    let Some(map) = alac::TO_WAV.get(usize::from(channels) - 1) else { return };
    let ch = usize::from(channels);
    for frame in samples.chunks_exact_mut(ch).take(frames) {
        let mut coded = [T::default(); 8];
        for (c, s) in coded.iter_mut().zip(frame.iter()) {
            *c = *s;
        }
        for (&w, &c) in map.iter().zip(coded.iter()) {
            if let Some(slot) = frame.get_mut(w) {
                *slot = c;
            }
        }
    }
    to_vorbis_order(samples, channels, frames);
}

#[cfg(any(feature = "flac", feature = "alac"))]
/// Permutes the first `frames` frames of `samples` from WAV (FLAC) to Vorbis channel order.
fn to_vorbis_order<T: Copy + Default>(samples: &mut [T], channels: u8, frames: usize) {
    let order = order(channels);
    if channels <= 2 || order.is_empty() {
        return;
    }
    let ch = usize::from(channels);
    for frame in samples.chunks_exact_mut(ch).take(frames) {
        let mut wav = [T::default(); 8];
        for (w, s) in wav.iter_mut().zip(frame.iter()) {
            *w = *s;
        }
        for (&v, &w) in order.iter().zip(wav.iter()) {
            if let Some(slot) = frame.get_mut(v) {
                *slot = w;
            }
        }
    }
}

/// An open Ogg Vorbis, FLAC (native or Ogg), ALAC (in MP4) or Ogg Opus file.
// Held in a boxed `Transcoder`, once per stream: boxing a variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Decoder<R> {
    /// Ogg Vorbis.
    Vorbis(VorbisFile<R>),
    /// FLAC, native or in Ogg (with the `flac` feature).
    #[cfg(feature = "flac")]
    Flac(FlacFile<R>),
    /// ALAC in MP4 (with the `alac` feature: host builds; the boards leave it out for flash).
    #[cfg(feature = "alac")]
    Alac(AlacFile<R>),
    /// Ogg Opus, decoded by the platform's decoder (with the `opus` feature).
    #[cfg(feature = "opus")]
    Opus(OpusFile<R, OpusDecoder>),
}

impl<R: Read + Seek> Decoder<R> {
    /// Opens `file` as FLAC when its bytes say so (`flac::is_flac`, with the `flac` feature),
    /// as ALAC when it is an MP4 file (an `ftyp` box first, with the `alac` feature), else as
    /// Ogg Vorbis; the decoder's heap stays within `budget` bytes.
    #[cfg_attr(not(any(feature = "flac", feature = "alac")), allow(unused_mut))]
    pub fn open(mut file: R, budget: usize) -> Result<Self, Error> {
        #[cfg(feature = "flac")]
        if flac::is_flac(&mut file)? {
            return Ok(Decoder::Flac(FlacFile::open_with_budget(file, budget)?));
        }
        #[cfg(feature = "alac")]
        if is_mp4(&mut file)? {
            let f = AlacFile::open(file)?;
            if f.heap_bytes() > budget {
                return Err(Error::Alac(alac::Error::OutOfMemory));
            }
            return Ok(Decoder::Alac(f));
        }
        Ok(Decoder::Vorbis(VorbisFile::open_with_budget(file, budget)?))
    }

    /// Opens `file` as [`Decoder::open`] does, but as Ogg Opus, decoded by `opus`, when its
    /// first packet is an `OpusHead` ([`opus_file::is_opus`]); such a file with no decoder
    /// is [`Error::NoDecoder`]. An [`OpusFile`]'s heap has its own fixed bound (its docs,
    /// about 0.6 MiB), not `budget`.
    #[cfg(feature = "opus")]
    pub fn open_with_opus(
        mut file: R,
        budget: usize,
        opus: Option<OpusDecoder>,
    ) -> Result<Self, Error> {
        if !opus_file::is_opus(&mut file)? {
            return Self::open(file, budget);
        }
        let decoder = opus.ok_or(Error::NoDecoder)?;
        Ok(Decoder::Opus(OpusFile::open(file, decoder)?))
    }

    fn source(&mut self) -> &mut dyn PcmSource {
        match self {
            Decoder::Vorbis(f) => f,
            #[cfg(feature = "flac")]
            Decoder::Flac(f) => f,
            #[cfg(feature = "alac")]
            Decoder::Alac(f) => f,
            #[cfg(feature = "opus")]
            Decoder::Opus(f) => f,
        }
    }

    fn source_ref(&self) -> &dyn PcmSource {
        match self {
            Decoder::Vorbis(f) => f,
            #[cfg(feature = "flac")]
            Decoder::Flac(f) => f,
            #[cfg(feature = "alac")]
            Decoder::Alac(f) => f,
            #[cfg(feature = "opus")]
            Decoder::Opus(f) => f,
        }
    }
}

impl<R: Read + Seek> From<VorbisFile<R>> for Decoder<R> {
    fn from(f: VorbisFile<R>) -> Self {
        Decoder::Vorbis(f)
    }
}

#[cfg(feature = "flac")]
impl<R: Read + Seek> From<FlacFile<R>> for Decoder<R> {
    fn from(f: FlacFile<R>) -> Self {
        Decoder::Flac(f)
    }
}

/// Whether `src` is an MP4 file: its first box is `ftyp`. Rewinds it.
#[cfg(feature = "alac")]
fn is_mp4<R: Read + Seek>(src: &mut R) -> Result<bool, Error> {
    let io = |e: R::Error| Error::Alac(alac::Error::Io(embedded_io::Error::kind(&e)));
    src.seek(embedded_io::SeekFrom::Start(0)).map_err(io)?;
    let mut head = [0u8; 8];
    let mut got = 0;
    while got < head.len() {
        match src.read(head.get_mut(got..).unwrap_or_default()).map_err(io)? {
            0 => break,
            n => got += n,
        }
    }
    src.seek(embedded_io::SeekFrom::Start(0)).map_err(io)?;
    Ok(head.get(4..8) == Some(b"ftyp".as_slice()))
}

#[cfg(feature = "alac")]
impl<R: Read + Seek> From<AlacFile<R>> for Decoder<R> {
    fn from(f: AlacFile<R>) -> Self {
        Decoder::Alac(f)
    }
}

impl<R: Read + Seek> PcmSource for Decoder<R> {
    fn rate(&self) -> u32 {
        self.source_ref().rate()
    }
    fn channels(&self) -> u8 {
        self.source_ref().channels()
    }
    fn total_frames(&self) -> u64 {
        self.source_ref().total_frames()
    }
    fn seek(&mut self, frame: u64) -> Result<(), Error> {
        self.source().seek(frame)
    }
    fn prepare(&mut self) -> Result<bool, Error> {
        self.source().prepare()
    }
    fn read_i16(&mut self, out: &mut [i16]) -> Result<usize, Error> {
        self.source().read_i16(out)
    }
    fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, Error> {
        self.source().read_f32(out)
    }
}
