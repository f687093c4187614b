//! Reading a media file's [`Details`]: what the library shows and what the server offers.
//!
//! For Ogg Vorbis, [`vorbis`] opens the file with [`VorbisFile`] (headers and a bisection over
//! pages, never a decode): the exact length in frames, rate, channel count and the tags of the
//! first link. The length is recorded as [`Details::frames`] only when every link has the same
//! rate and channel count, because a PCM rendition has one of each.

use alloc::boxed::Box;

use embedded_io::{Read, Seek};

use super::{AudioProps, Details, Name, Tags};
use crate::media::tags::Tags as VorbisTags;
use crate::media::vorbis_file::{Error, VorbisFile};
use crate::transcode::frames_to_us;

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
