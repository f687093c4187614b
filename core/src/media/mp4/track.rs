//! The audio track of a movie: its sample description (ALAC, AAC or MP3 in `mp4a`), its
//! timescale, duration and edit, and its sample tables, all borrowed from the movie box.
//!
//! The walk follows one fixed path (`moov/trak/mdia/{mdhd,hdlr,minf/stbl/...}` and
//! `trak/edts/elst`), so its depth is bounded by construction; every step goes through
//! [`boxes`](super::boxes), which checks each size against its parent.

use super::boxes::{find, find_path, full, Boxes, Bytes, FourCc};
use super::esds::Esds;
use super::table::SampleTable;
use super::Error;

/// What the track's first sample description holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec<'a> {
    /// Apple Lossless (`alac`), with its magic cookie (the 24-byte ALACSpecificConfig,
    /// possibly followed by a channel layout).
    Alac {
        /// The cookie's bytes.
        cookie: &'a [u8],
    },
    /// AAC (`mp4a` with an MPEG-4 or MPEG-2 AAC object type).
    Aac(Esds),
    /// MP3 in `mp4a` (object type indication 0x69 or 0x6B).
    Mp3(Esds),
    /// Another sample entry type (or an `mp4a` without a readable `esds`).
    Other(FourCc),
}

/// An edit list's first non-empty edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    /// Where the edit starts in the media, in the media timescale (the encoder delay to drop).
    pub media_time: i64,
    /// Its length in the movie timescale.
    pub duration: u64,
}

/// The fields of an AudioSampleEntry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioEntry {
    /// Channel count.
    pub channels: u16,
    /// Bits per sample (16 for compressed formats, by convention).
    pub sample_size: u16,
    /// Sample rate in Hz (the integer part of the 16.16 field).
    pub rate: u32,
}

/// The first audio track of a movie.
#[derive(Debug, Clone, Copy)]
pub struct Track<'a> {
    /// The movie timescale (`mvhd`), units per second of [`Edit::duration`].
    pub movie_timescale: u32,
    /// The media timescale (`mdhd`), units per second of the sample times.
    pub timescale: u32,
    /// The media duration (`mdhd`) in the media timescale.
    pub duration: u64,
    /// The first non-empty edit, if the track has an edit list.
    pub edit: Option<Edit>,
    /// The sample description.
    pub codec: Codec<'a>,
    /// The sample entry's fields.
    pub entry: AudioEntry,
    /// The sample tables.
    pub samples: SampleTable<'a>,
}

impl<'a> Track<'a> {
    /// The first track of `moov` (the movie box's body) whose handler is `soun`.
    pub fn find(moov: &'a [u8]) -> Result<Track<'a>, Error> {
        let movie_timescale = match find(moov, b"mvhd")? {
            Some(mvhd) => header_timescale(mvhd)?.0,
            None => 0,
        };
        let (trak, mdia) = handled(moov, b"soun")?.ok_or(Error::NoAudio)?;
        Self::parse(trak, mdia, movie_timescale)
    }

    fn parse(trak: &'a [u8], mdia: &'a [u8], movie_timescale: u32) -> Result<Self, Error> {
        let mdhd = find(mdia, b"mdhd")?.ok_or(Error::NoAudio)?;
        let (timescale, duration) = header_timescale(mdhd)?;
        let edit = match find_path(trak, &[b"edts", b"elst"])? {
            Some(elst) => first_edit(elst)?,
            None => None,
        };
        let stbl = find_path(mdia, &[b"minf", b"stbl"])?.ok_or(Error::NoAudio)?;
        let stsd = find(stbl, b"stsd")?.ok_or(Error::NoAudio)?;
        let (kind, entry_body) = {
            let (_, _, rest) = full(stsd)?;
            let mut r = Bytes::new(rest);
            r.skip(4)?; // entry count: the first entry is the one used
            Boxes::new(r.rest()).next().ok_or(Error::NoAudio)??
        };
        let (entry, children) = audio_entry(entry_body)?;
        let codec = codec(kind, children)?;
        let need = |k: &FourCc| find(stbl, k)?.ok_or(Error::BadTable);
        let sizes = match find(stbl, b"stsz")? {
            Some(b) => (b, false),
            None => (need(b"stz2")?, true),
        };
        let offsets = match find(stbl, b"stco")? {
            Some(b) => (b, false),
            None => (need(b"co64")?, true),
        };
        let samples = SampleTable::new(need(b"stts")?, need(b"stsc")?, sizes, offsets)?;
        Ok(Track { movie_timescale, timescale, duration, edit, codec, entry, samples })
    }

    /// The play time in microseconds: the media duration less the edit's start (the encoder
    /// delay), and no longer than the edit when there is one (which leaves out the padding,
    /// but is often rounded to the movie's coarser timescale).
    pub fn duration_us(&self) -> Option<u64> {
        let us = |units: u64, scale: u32| {
            (scale > 0).then(|| {
                u64::try_from(u128::from(units) * 1_000_000 / u128::from(scale)).unwrap_or(u64::MAX)
            })
        };
        let skip = self.edit.map_or(0, |e| u64::try_from(e.media_time).unwrap_or(0));
        let media = us(self.duration.saturating_sub(skip), self.timescale)?;
        match self.edit.and_then(|e| us(e.duration, self.movie_timescale)) {
            Some(edit) if edit > 0 => Some(media.min(edit)),
            _ => Some(media),
        }
    }
}

/// The bodies of a track's `trak` box and of its `mdia` box.
pub(crate) type TrackBoxes<'a> = (&'a [u8], &'a [u8]);

/// The first track of `moov` whose handler (`mdia`/`hdlr`) is `handler` (`soun`, `vide`).
pub(crate) fn handled<'a>(
    moov: &'a [u8],
    handler: &FourCc,
) -> Result<Option<TrackBoxes<'a>>, Error> {
    for child in Boxes::new(moov) {
        let (kind, trak) = child?;
        if &kind != b"trak" {
            continue;
        }
        let Some(mdia) = find(trak, b"mdia")? else { continue };
        let Some(hdlr) = find(mdia, b"hdlr")? else { continue };
        let (_, _, h) = full(hdlr)?;
        if h.get(4..8) == Some(&handler[..]) {
            return Ok(Some((trak, mdia)));
        }
    }
    Ok(None)
}

/// Timescale and duration of an `mvhd` or `mdhd` body (versions 0 and 1).
pub(crate) fn header_timescale(body: &[u8]) -> Result<(u32, u64), Error> {
    let (version, _, rest) = full(body)?;
    let mut r = Bytes::new(rest);
    if version == 1 {
        r.skip(16)?;
        Ok((r.u32()?, r.u64()?))
    } else {
        r.skip(8)?;
        Ok((r.u32()?, u64::from(r.u32()?)))
    }
}

/// The first edit of an `elst` body whose media time is not -1 (an empty edit).
fn first_edit(body: &[u8]) -> Result<Option<Edit>, Error> {
    let (version, _, rest) = full(body)?;
    let mut r = Bytes::new(rest);
    let count = r.u32()?;
    // Each round consumes at least 12 bytes or fails.
    for _ in 0..count {
        let (duration, media_time) = if version == 1 {
            (r.u64()?, r.u64()? as i64)
        } else {
            (u64::from(r.u32()?), i64::from(r.u32()? as i32))
        };
        r.skip(4)?; // media rate
        if media_time != -1 {
            return Ok(Some(Edit { media_time, duration }));
        }
    }
    Ok(None)
}

/// The fields of an AudioSampleEntry body (QuickTime sound description versions 0-2) and the
/// child boxes after them.
fn audio_entry(body: &[u8]) -> Result<(AudioEntry, &[u8]), Error> {
    let mut r = Bytes::new(body);
    r.skip(8)?; // reserved, data reference index
    let version = r.u16()?;
    r.skip(6)?; // revision, vendor
    let channels = r.u16()?;
    let sample_size = r.u16()?;
    r.skip(4)?; // compression id, packet size
    let rate = r.u32()? >> 16;
    match version {
        1 => r.skip(16)?,
        2 => r.skip(36)?,
        _ => {}
    }
    Ok((AudioEntry { channels, sample_size, rate }, r.rest()))
}

/// The child box `kind` of a sample entry, or of a QuickTime `wave` box among its children.
fn entry_child<'a>(children: &'a [u8], kind: &FourCc) -> Result<Option<&'a [u8]>, Error> {
    if let Some(b) = find(children, kind)? {
        return Ok(Some(b));
    }
    match find(children, b"wave")? {
        Some(wave) => find(wave, kind),
        None => Ok(None),
    }
}

fn codec<'a>(kind: FourCc, children: &'a [u8]) -> Result<Codec<'a>, Error> {
    Ok(match &kind {
        b"alac" => {
            let body = entry_child(children, b"alac")?.ok_or(Error::BadConfig)?;
            let (_, _, cookie) = full(body)?;
            if cookie.len() < 24 {
                return Err(Error::BadConfig);
            }
            Codec::Alac { cookie }
        }
        b"mp4a" => match entry_child(children, b"esds")? {
            Some(body) => {
                let esds = Esds::parse(body)?;
                if esds.is_mp3() {
                    Codec::Mp3(esds)
                } else {
                    Codec::Aac(esds)
                }
            }
            None => Codec::Other(kind),
        },
        _ => Codec::Other(kind),
    })
}
