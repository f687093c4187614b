//! Reading a media file's [`Details`]: what the library shows and what the server offers.
//!
//! For Ogg Vorbis, [`vorbis`] opens the file with [`VorbisFile`] (headers and a bisection over
//! pages, never a decode): the exact length in frames, rate, channel count and the tags of the
//! first link. The length is recorded as [`Details::frames`] only when every link has the same
//! rate and channel count, because a PCM rendition has one of each.
//!
//! For MP4 audio (`.m4a`), [`mp4()`] reads the movie box (never the media data): the codec, rate,
//! channels and play time, for ALAC its exact length in frames and bit depth, for AAC its DLNA
//! profile from the AudioSpecificConfig and the bitrate. Tags come from the shell.
//!
//! For FLAC (native or Ogg; with the `flac` feature), `flac` reads STREAMINFO (the exact
//! length; decoding the last frames only when STREAMINFO leaves it unknown), the VORBIS_COMMENT tags and whether a
//! PICTURE block holds art. `audio` tells the two apart by the file's bytes, so an Ogg FLAC
//! file named `.oga` is read as the FLAC it is.
//!
//! For Ogg Opus (with the `opus` feature: platforms that lend an Opus decoder to renditions),
//! `opus` reads the page headers only (`OpusFile` without decoding): the exact length from
//! the last granule minus pre-skip at 48 kHz, the channels, and the `OpusTags` comments (read
//! like Vorbis ones, `METADATA_BLOCK_PICTURE` included). `audio` knows it by its `OpusHead`,
//! whether the file is named `.opus`, `.ogg` or `.oga`.
//!
//! For Matroska and WebM video, [`matroska`] reads the headers ([`video::mkv`]); for MP4 and
//! QuickTime video, [`mp4_video`] ([`video::mp4`]); for AVI [`avi`], for MPEG transport and
//! program streams [`mpeg_ts`] and [`mpeg_ps`], for ASF (WMV) [`asf`].

use alloc::boxed::Box;
use core::num::NonZeroU16;

use embedded_io::{Read, Seek};

use super::{AudioProps, Details, Tags};
use crate::dlna::aac::{AacKind, AacProfile};
use crate::dlna::video::VideoProfile;
use crate::dlna::OggCodec;
#[cfg(feature = "flac")]
use crate::media::flac::{self as flac_file, FlacFile};
use crate::media::mp4::esds::{object_type, Esds};
use crate::media::mp4::{self, Codec, Movie, Track, DEFAULT_MOOV_BUDGET};
#[cfg(feature = "opus")]
use crate::media::opus_file::{self, DecoderError, Head, OpusFile};
use crate::media::tags::Tags as VorbisTags;
use crate::media::video;
use crate::media::vorbis_file::{Error, VorbisFile};
#[cfg(feature = "flac")]
use crate::transcode;
use crate::transcode::frames_to_us;

/// Reads the details of an Ogg Vorbis, FLAC (native or Ogg) or (with the `opus` feature) Ogg
/// Opus file, as its bytes say.
#[cfg(feature = "flac")]
pub fn audio<R: Read + Seek>(mut src: R) -> Result<Details, transcode::Error> {
    #[cfg(feature = "opus")]
    if opus_file::is_opus(&mut src)? {
        return Ok(opus(src)?);
    }
    if flac_file::is_flac(&mut src)? {
        Ok(flac(src)?)
    } else {
        Ok(vorbis(src)?)
    }
}

/// Reads the details of a FLAC file (native or Ogg) from `src`.
#[cfg(feature = "flac")]
pub fn flac<R: Read + Seek>(src: R) -> Result<Details, flac_file::Error> {
    let file = FlacFile::open(src)?;
    let (rate, frames) = (file.rate(), file.total_frames());
    let read = file.comments().map(|c| VorbisTags::from_comments(&c));
    let audio = AudioProps {
        sample_rate: rate,
        channels: file.channels(),
        bits_per_sample: file.bits_per_sample(),
    };
    let details = pcm_details(frames, true, audio, read.as_ref(), file.has_picture());
    Ok(Details { ogg_codec: file.is_ogg().then_some(OggCodec::Flac), ..details })
}

/// Reads the details of an Ogg Opus file from `src`: headers and page granules only. The length
/// is recorded as [`Details::frames`] only when every link has the same channel count (the
/// rate is always 48 kHz).
#[cfg(feature = "opus")]
pub fn opus<R: Read + Seek>(src: R) -> Result<Details, opus_file::Error> {
    let file = OpusFile::open(src, HeadersOnly)?;
    let channels = file.channels();
    let uniform = file.links().iter().all(|l| l.head.channels == channels);
    let read = file.comments().map(|c| VorbisTags::from_comments(&c));
    let audio = AudioProps { sample_rate: file.rate(), channels, bits_per_sample: 0 };
    let details = pcm_details(file.total_frames(), uniform, audio, read.as_ref(), false);
    Ok(Details { ogg_codec: Some(OggCodec::Opus), ..details })
}

/// The "decoder" of a probe, which reads headers and granules only and never decodes.
#[cfg(feature = "opus")]
struct HeadersOnly;

#[cfg(feature = "opus")]
impl opus_file::Decoder for HeadersOnly {
    fn configure(&mut self, _: &Head) -> Result<(), DecoderError> {
        Ok(())
    }
    fn reset(&mut self) {}
    fn decode(&mut self, _: &[u8], _: &mut [f32]) -> Result<usize, DecoderError> {
        // OPUS_UNIMPLEMENTED: a probe never reads samples.
        Err(DecoderError(-5))
    }
}

/// Reads the details of an Ogg Vorbis file from `src`.
pub fn vorbis<R: Read + Seek>(src: R) -> Result<Details, Error> {
    let file = VorbisFile::open(src)?;
    let links = file.links();
    let (rate, channels) = (file.rate(), file.channels());
    let uniform = links.iter().all(|l| l.rate == rate && l.channels == channels);
    let read = file.comments().map(|c| VorbisTags::from_comments(&c));
    let audio = AudioProps { sample_rate: rate, channels, bits_per_sample: 0 };
    let details = pcm_details(file.total_frames(), uniform, audio, read.as_ref(), false);
    Ok(Details { ogg_codec: Some(OggCodec::Vorbis), ..details })
}

/// The details of a file the core decodes (Vorbis, FLAC, Opus) of `frames` frames at `audio`'s
/// rate: the length kept as [`Details::frames`] only when `exact` (every link alike), the tags
/// `read` from its comments, art when it has a picture of its own (FLAC's PICTURE block) or a
/// `METADATA_BLOCK_PICTURE` comment.
fn pcm_details(
    frames: u64,
    exact: bool,
    audio: AudioProps,
    read: Option<&VorbisTags>,
    picture: bool,
) -> Details {
    Details {
        duration_ms: Some(frames_to_us(frames, audio.sample_rate) / 1000),
        frames: exact.then_some(frames),
        audio: Some(audio),
        tags: read.map(|t| Box::new(tags(t))),
        picture: picture || read.is_some_and(|t| t.picture.is_some()),
        aac_profile: None,
        resolution: None,
        video_profile: None,
        tracks: None,
        ogg_codec: None,
    }
}

/// Reads the details of a Matroska or WebM video ([`video::mkv`]): play time, picture size,
/// the first audio track's rate and channels, and the `AVC_MKV_*` DLNA profile.
pub fn matroska<R: Read + Seek>(src: R) -> Result<Details, video::Error> {
    let info = video::mkv::read(src)?;
    Ok(video_details(&info, info.matroska_profile()))
}

/// Reads the details of an MP4 or QuickTime video ([`video::mp4`]), as [`matroska`] does, with
/// the `AVC_MP4_*` DLNA profile.
pub fn mp4_video<R: Read + Seek>(src: R) -> Result<Details, video::Error> {
    let info = video::mp4::read(src)?;
    Ok(video_details(&info, info.mp4_profile()))
}

/// Reads the details of an AVI file ([`video::avi`]); AVI has no DLNA profile (its MIME type
/// names it).
pub fn avi<R: Read + Seek>(src: R) -> Result<Details, video::Error> {
    Ok(video_details(&video::avi::read(src)?, None))
}

/// Reads the details of an MPEG transport stream ([`video::ts`]) with its `MPEG_TS_*` or
/// `AVC_TS_*` DLNA profile.
pub fn mpeg_ts<R: Read + Seek>(src: R) -> Result<Details, video::Error> {
    let ts = video::ts::read(src)?;
    Ok(video_details(&ts.info, ts.profile()))
}

/// Reads the details of an MPEG program stream ([`video::ps`]) with its `MPEG_PS_*` or
/// `MPEG1` DLNA profile.
pub fn mpeg_ps<R: Read + Seek>(src: R) -> Result<Details, video::Error> {
    let ps = video::ps::read(src)?;
    Ok(video_details(&ps.info, ps.profile()))
}

/// Reads the details of an ASF (WMV) file ([`video::asf`]) with its `WMV*` DLNA profile.
pub fn asf<R: Read + Seek>(src: R) -> Result<Details, video::Error> {
    let asf = video::asf::read(src)?;
    Ok(video_details(&asf.info, asf.profile()))
}

/// What Browse shows of a video with headers `info` and DLNA profile `profile`.
fn video_details(info: &video::Info, profile: Option<VideoProfile>) -> Details {
    let audio = info.audio.map(|a| AudioProps {
        sample_rate: a.rate,
        channels: a.channels,
        bits_per_sample: 0,
    });
    let resolution = info.video.and_then(|v| {
        let size = |n: u32| u16::try_from(n).ok().and_then(NonZeroU16::new);
        Some((size(v.width)?, size(v.height)?))
    });
    Details {
        duration_ms: info.duration_ms,
        audio,
        resolution,
        video_profile: profile,
        tracks: Some(video::Tracks::of(info)),
        ..Details::default()
    }
}

/// Reads the audio details of an MP4 file (ALAC or AAC; other codecs get only a play time).
pub fn mp4<R: Read + Seek>(mut src: R) -> Result<Details, mp4::Error> {
    let movie = Movie::read(&mut src, DEFAULT_MOOV_BUDGET)?;
    let track = movie.audio()?;
    let mut details = Details {
        duration_ms: track.duration_us().map(|us| us / 1000),
        audio: Some(AudioProps {
            sample_rate: track.entry.rate,
            channels: u8::try_from(track.entry.channels).unwrap_or(0),
            bits_per_sample: 0,
        }),
        ..Details::default()
    };
    match track.codec {
        Codec::Alac { cookie } => {
            let config =
                crate::media::alac::Config::parse(cookie).map_err(|_| mp4::Error::BadConfig)?;
            let frames = alac_frames(&track, config.rate);
            // Renditions need the exact length in frames, which `AlacFile` reads only from a
            // media timescale that is the sample rate.
            details.frames = (track.timescale == config.rate).then_some(frames);
            details.duration_ms = Some(frames_to_us(frames, config.rate) / 1000);
            details.audio = Some(AudioProps {
                sample_rate: config.rate,
                channels: config.channels,
                bits_per_sample: config.bit_depth,
            });
        }
        Codec::Aac(esds) => {
            let Some(c) = esds.config else { return Ok(details) };
            let channels = if c.channels > 0 { c.channels } else { track.entry.channels as u8 };
            details.audio =
                Some(AudioProps { sample_rate: c.output_rate, channels, bits_per_sample: 0 });
            let kind = match (c.object_type, c.sbr, c.ps) {
                (object_type::AAC_LC, true, true) => AacKind::HeV2,
                (object_type::AAC_LC, true, false) => AacKind::He,
                (object_type::AAC_LC | object_type::ER_AAC_LC, false, _) => AacKind::Lc,
                _ => AacKind::Other,
            };
            let bitrate = bitrate(&esds, &track);
            details.aac_profile = AacProfile::of(kind, c.rate, channels, bitrate);
        }
        Codec::Mp3(_) | Codec::Other(_) => {}
    }
    Ok(details)
}

/// Frames of an ALAC track: the sum of its sample durations, in the media timescale, which is
/// normally the sample rate (converted when it is not).
fn alac_frames(track: &Track<'_>, rate: u32) -> u64 {
    let units = track.samples.duration();
    if track.timescale == rate || track.timescale == 0 {
        return units;
    }
    u64::try_from(u128::from(units) * u128::from(rate) / u128::from(track.timescale)).unwrap_or(0)
}

/// The bitrate in bits per second: the esds average, else the media's size over its duration.
fn bitrate(esds: &Esds, track: &Track<'_>) -> u32 {
    if esds.avg_bitrate > 0 {
        return esds.avg_bitrate;
    }
    match track.duration_us() {
        Some(us) if us > 0 => {
            let bits = u128::from(track.samples.total_size()) * 8 * 1_000_000 / u128::from(us);
            u32::try_from(bits).unwrap_or(u32::MAX)
        }
        _ => esds.max_bitrate,
    }
}

/// The library's [`Tags`] from the fields of a Vorbis comment header (also used for FLAC and
/// Opus, which carry the same comments).
pub fn tags(t: &VorbisTags<'_>) -> Tags {
    let name = |s: Option<&str>| s.map(Box::from);
    Tags {
        title: t.title.map(Box::from),
        artist: name(t.artist),
        album_artist: name(t.album_artist),
        album: name(t.album),
        genre: name(t.genre),
        track: t.track.map(|p| p.number),
        disc: t.disc.map(|p| p.number),
        date: name(t.date),
        compilation: t.compilation,
    }
}
