//! Reading a media file's [`Details`]: what the library shows and what the server offers.
//!
//! For Ogg Vorbis, [`vorbis`] opens the file with [`VorbisFile`] (headers and a bisection over
//! pages, never a decode): the exact length in frames, rate, channel count and the tags of the
//! first link. The length is recorded as [`Details::frames`] only when every link has the same
//! rate and channel count, because a PCM rendition has one of each.
//!
//! For FLAC (native or Ogg; with the `flac` feature), `flac` reads STREAMINFO (the exact length; decoding the last
//! frames only when STREAMINFO leaves it unknown), the VORBIS_COMMENT tags and whether a
//! PICTURE block holds art. `audio` tells the two apart by the file's bytes, so an Ogg FLAC
//! file named `.oga` is read as the FLAC it is.

use alloc::boxed::Box;

use embedded_io::{Read, Seek};

use super::{AudioProps, Details, Name, Tags};
#[cfg(feature = "flac")]
use crate::media::flac::{self as flac_file, FlacFile};
use crate::media::tags::Tags as VorbisTags;
use crate::media::vorbis_file::{Error, VorbisFile};
#[cfg(feature = "flac")]
use crate::transcode;
use crate::transcode::frames_to_us;

/// Reads the details of an Ogg Vorbis or FLAC file (native or Ogg), as its bytes say.
#[cfg(feature = "flac")]
pub fn audio<R: Read + Seek>(mut src: R) -> Result<Details, transcode::Error> {
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
    let picture = file.has_picture() || read.as_ref().is_some_and(|t| t.picture.is_some());
    Ok(Details {
        duration_ms: Some(frames_to_us(frames, rate) / 1000),
        frames: Some(frames),
        audio: Some(AudioProps {
            sample_rate: rate,
            channels: file.channels(),
            bits_per_sample: file.bits_per_sample(),
        }),
        tags: read.as_ref().map(|t| Box::new(tags(t))),
        picture,
    })
}

/// Reads the details of an Ogg Vorbis file from `src`.
pub fn vorbis<R: Read + Seek>(src: R) -> Result<Details, Error> {
    let file = VorbisFile::open(src)?;
    let links = file.links();
    let (rate, channels) = (file.rate(), file.channels());
    let uniform = links.iter().all(|l| l.rate == rate && l.channels == channels);
    let frames = file.total_frames();
    let read = file.comments().map(|c| VorbisTags::from_comments(&c));
    let picture = read.as_ref().is_some_and(|t| t.picture.is_some());
    let tags = read.as_ref().map(|t| Box::new(tags(t)));
    Ok(Details {
        duration_ms: Some(frames_to_us(frames, rate) / 1000),
        frames: uniform.then_some(frames),
        audio: Some(AudioProps { sample_rate: rate, channels, bits_per_sample: 0 }),
        tags,
        picture,
    })
}

/// The library's [`Tags`] from the fields of a Vorbis comment header (also used for FLAC and
/// Opus, which carry the same comments).
pub fn tags(t: &VorbisTags<'_>) -> Tags {
    let name = |s: Option<&str>| s.map(Name::from);
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
