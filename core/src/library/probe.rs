//! Reading a media file's [`Details`]: what the library shows and what the server offers.
//!
//! For Ogg Vorbis, [`vorbis`] opens the file with [`VorbisFile`] (headers and a bisection over
//! pages, never a decode): the exact length in frames, rate, channel count and the tags of the
//! first link. The length is recorded as [`Details::frames`] only when every link has the same
//! rate and channel count, because a PCM rendition has one of each.

use alloc::boxed::Box;

use embedded_io::{Read, Seek};

use super::{AudioProps, Details, Tags};
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
    let tags = file.comments().map(|c| {
        let t = VorbisTags::from_comments(&c);
        let owned = |s: Option<&str>| s.map(Box::from);
        Box::new(Tags {
            title: owned(t.title),
            artist: owned(t.artist),
            album: owned(t.album),
            genre: owned(t.genre),
            track: t.track.map(|p| p.number),
            date: owned(t.date),
        })
    });
    Ok(Details {
        duration_ms: Some(frames_to_us(frames, rate) / 1000),
        frames: uniform.then_some(frames),
        audio: Some(AudioProps { sample_rate: rate, channels, bits_per_sample: 0 }),
        tags,
    })
}
