//! Video files' headers: play time, picture size, the codecs of the first video and audio
//! tracks, and from those the DLNA profile a TV looks for.
//!
//! Each container has its own small reader that reads a bounded part of the file (see each
//! module) and returns an [`Info`]; bad or hostile input is an [`Error`], never a panic.
//! - [`mkv`]: Matroska and WebM (`Info` and `Tracks`).
//! - [`mp4`]: MP4 and QuickTime (the movie box).
//! - [`avi`]: AVI (the RIFF header list).
//! - [`ts`]: MPEG transport streams, 188-byte and 192-byte (M2TS) packets.
//! - [`ps`]: MPEG program streams (and MPEG-1 system streams).
//! - [`asf`]: ASF (WMV, WMA): the header object.
//!
//! [`es`] reads the elementary streams' own headers inside them (H.264 SPS, MPEG-2 sequence
//! header, AAC, AC-3 and MPEG audio frame headers, PES timestamps).
//!
//! [`Tracks`] keeps the codecs of a file's first video and audio tracks in one byte, for
//! deciding which players play it and how to remux it for the others.
//!
//! DLNA profiles follow the DLNA names other servers send (see tv.md): for Matroska the
//! `AVC_MKV_*` profiles (UMS, listed by Philips TVs): `AVC_MKV_{MP,HP}_HD_{AAC_MULT5,AC3,
//! MPEG1_L3}` by the H.264 profile and the audio codec; for MP4 MiniDLNA's `AVC_MP4_*` subset
//! for Main and High by picture size and audio codec (their bitrate caps are not checked).

pub mod asf;
pub mod avi;
pub mod es;
pub mod mkv;
pub mod mp4;
pub mod ps;
mod tracks;
pub mod ts;

pub use tracks::{Tracks, VideoKind};

use core::fmt;

use embedded_io::Read;

use crate::dlna::video::VideoProfile;

/// Why a video file's headers were not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// Reading or seeking failed.
    Io,
    /// The file is not of the container format asked for.
    NotThisFormat,
    /// The headers are damaged or missing.
    Malformed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Io => "cannot read the file",
            Error::NotThisFormat => "not a file of this container format",
            Error::Malformed => "damaged or missing container headers",
        })
    }
}

impl core::error::Error for Error {}

/// A video codec, with what its DLNA profile depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum VideoCodec {
    /// H.264 / AVC, with its `profile_idc` (66 Baseline, 77 Main, 100 High, ...; 0 unknown).
    H264 {
        /// `profile_idc` from the decoder configuration.
        profile: u8,
    },
    /// H.265 / HEVC.
    Hevc,
    /// MPEG-4 part 2 (DivX, Xvid).
    Mpeg4,
    /// MPEG-1 or MPEG-2 video.
    Mpeg2,
    /// VP8 or VP9.
    Vp,
    /// AV1.
    Av1,
    /// Anything else.
    Other,
}

impl VideoCodec {
    /// The codec a Matroska `CodecID` names, with its `CodecPrivate` (for H.264 an avcC
    /// record, whose second byte is the profile).
    pub fn from_matroska(id: &str, private: &[u8]) -> VideoCodec {
        match id {
            "V_MPEG4/ISO/AVC" => VideoCodec::H264 { profile: private.get(1).copied().unwrap_or(0) },
            "V_MPEGH/ISO/HEVC" => VideoCodec::Hevc,
            "V_MPEG4/ISO/ASP" | "V_MPEG4/ISO/SP" | "V_MS/VFW/FOURCC" => VideoCodec::Mpeg4,
            "V_MPEG1" | "V_MPEG2" => VideoCodec::Mpeg2,
            "V_VP8" | "V_VP9" => VideoCodec::Vp,
            "V_AV1" => VideoCodec::Av1,
            _ => VideoCodec::Other,
        }
    }
}

/// An audio codec inside a video file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AudioCodec {
    /// AAC (any object type).
    Aac,
    /// AC-3 (Dolby Digital).
    Ac3,
    /// E-AC-3 (Dolby Digital Plus).
    Eac3,
    /// DTS.
    Dts,
    /// MPEG-1/2 audio layer III (MP3).
    Mpeg,
    /// Vorbis or Opus.
    Xiph,
    /// PCM.
    Pcm,
    /// Anything else.
    Other,
    /// MPEG-1/2 audio layer I or II.
    Mp2,
}

impl AudioCodec {
    /// The codec a Matroska `CodecID` names.
    pub fn from_matroska(id: &str) -> AudioCodec {
        match id {
            "A_AC3" => AudioCodec::Ac3,
            "A_EAC3" => AudioCodec::Eac3,
            "A_VORBIS" | "A_OPUS" => AudioCodec::Xiph,
            "A_MPEG/L3" => AudioCodec::Mpeg,
            "A_MPEG/L2" | "A_MPEG/L1" => AudioCodec::Mp2,
            id if id.starts_with("A_AAC") => AudioCodec::Aac,
            id if id.starts_with("A_DTS") => AudioCodec::Dts,
            id if id.starts_with("A_PCM") => AudioCodec::Pcm,
            _ => AudioCodec::Other,
        }
    }
}

/// One track: its codec and, as applies, picture size or sample rate and channels (0 where
/// unknown or not applicable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stream<C> {
    /// The codec.
    pub codec: C,
    /// Picture width in pixels.
    pub width: u32,
    /// Picture height in pixels.
    pub height: u32,
    /// Sample rate in Hz.
    pub rate: u32,
    /// Channel count.
    pub channels: u8,
}

/// The highest audio sample rate a header is believed for, in Hz: above any real one (DSD256
/// is 11.3 MHz as one-bit samples, which video containers do not carry; PCM stops at 768 kHz).
/// A header that claims more is damaged, and the rate is then unknown (0).
pub const MAX_RATE_HZ: u32 = 10_000_000;

/// `hz` as a [`Stream::rate`]: 0 (unknown) when it is above [`MAX_RATE_HZ`].
pub(crate) fn plausible_rate(hz: u32) -> u32 {
    if hz <= MAX_RATE_HZ {
        hz
    } else {
        0
    }
}

/// The longest play time a header is believed for, in milliseconds (about 31,700 years): a
/// header that claims more is damaged, and the play time is then unknown.
pub const MAX_DURATION_MS: u64 = 1_000_000_000_000_000;

/// What a video file's headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Info {
    /// Play time in milliseconds, if the headers give it.
    pub duration_ms: Option<u64>,
    /// The first video track.
    pub video: Option<Stream<VideoCodec>>,
    /// The first audio track.
    pub audio: Option<Stream<AudioCodec>>,
}

impl Info {
    /// The DLNA profile of a Matroska file with these tracks: `AVC_MKV_{MP,HP}_HD_<audio>` for
    /// H.264 Main (or Baseline, a subset of it) and High with AAC, AC-3 or MP3 audio; `None`
    /// otherwise (DLNA names no other Matroska profile).
    pub fn matroska_profile(&self) -> Option<VideoProfile> {
        let VideoCodec::H264 { profile } = self.video?.codec else { return None };
        Some(match (profile, self.audio?.codec) {
            (66 | 77, AudioCodec::Aac) => VideoProfile::AVC_MKV_MP_HD_AAC_MULT5,
            (66 | 77, AudioCodec::Ac3) => VideoProfile::AVC_MKV_MP_HD_AC3,
            (66 | 77, AudioCodec::Mpeg) => VideoProfile::AVC_MKV_MP_HD_MPEG1_L3,
            (100, AudioCodec::Aac) => VideoProfile::AVC_MKV_HP_HD_AAC_MULT5,
            (100, AudioCodec::Ac3) => VideoProfile::AVC_MKV_HP_HD_AC3,
            (100, AudioCodec::Mpeg) => VideoProfile::AVC_MKV_HP_HD_MPEG1_L3,
            _ => return None,
        })
    }
}

impl Info {
    /// The DLNA profile of an MP4 file with these tracks: H.264 Main (or Baseline) up to
    /// 720x576 `AVC_MP4_MP_SD_{AAC_MULT5,AC3,MPEG1_L3}`, up to 1280x720 with AAC
    /// `AVC_MP4_MP_HD_720p_AAC`, up to 1920x1080 with AAC `AVC_MP4_MP_HD_1080i_AAC`; High up
    /// to 1920x1080 with AAC `AVC_MP4_HP_HD_AAC`; `None` otherwise.
    pub fn mp4_profile(&self) -> Option<VideoProfile> {
        let video = self.video?;
        let VideoCodec::H264 { profile } = video.codec else { return None };
        let within = |w: u32, h: u32| video.width <= w && video.height <= h;
        Some(match (profile, self.audio?.codec) {
            (66 | 77, AudioCodec::Aac) if within(720, 576) => VideoProfile::AVC_MP4_MP_SD_AAC_MULT5,
            (66 | 77, AudioCodec::Ac3) if within(720, 576) => VideoProfile::AVC_MP4_MP_SD_AC3,
            (66 | 77, AudioCodec::Mpeg) if within(720, 576) => VideoProfile::AVC_MP4_MP_SD_MPEG1_L3,
            (66 | 77, AudioCodec::Aac) if within(1280, 720) => VideoProfile::AVC_MP4_MP_HD_720p_AAC,
            (66 | 77, AudioCodec::Aac) if within(1920, 1080) => {
                VideoProfile::AVC_MP4_MP_HD_1080i_AAC
            }
            (100, AudioCodec::Aac) if within(1920, 1080) => VideoProfile::AVC_MP4_HP_HD_AAC,
            _ => return None,
        })
    }
}

/// Reads into `buf` until it is full or the file ends; how many bytes were read.
pub(crate) fn read_full<R: Read>(src: &mut R, buf: &mut [u8]) -> Result<usize, Error> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|r| !r.is_empty()) {
        match src.read(rest).map_err(|_| Error::Io)? {
            0 => break,
            got => n += got,
        }
    }
    Ok(n)
}

/// An in-memory file for the readers' tests.
#[cfg(test)]
pub(crate) struct Mem<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
}

#[cfg(test)]
impl embedded_io::ErrorType for Mem<'_> {
    type Error = core::convert::Infallible;
}

#[cfg(test)]
impl embedded_io::Read for Mem<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
impl embedded_io::Seek for Mem<'_> {
    fn seek(&mut self, pos: embedded_io::SeekFrom) -> Result<u64, Self::Error> {
        let to = match pos {
            embedded_io::SeekFrom::Start(p) => i128::from(p),
            embedded_io::SeekFrom::End(d) => self.bytes.len() as i128 + i128::from(d),
            embedded_io::SeekFrom::Current(d) => self.pos as i128 + i128::from(d),
        };
        self.pos = usize::try_from(to.max(0)).unwrap_or(usize::MAX);
        Ok(self.pos as u64)
    }
}
