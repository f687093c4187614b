//! MP4 and QuickTime video: play time (`mvhd`), the first video track's codec and picture
//! size (its first `VisualSampleEntry`, and for H.264 the profile in `avcC`), and the first
//! sound track's rate and channels ([`mp4::Track`]).
//!
//! The movie box is read with [`Movie::read`] within [`DEFAULT_MOOV_BUDGET`]; the media data
//! is never read. Box sizes are checked by [`mp4::boxes`], so bad input is an error, never a
//! panic.

use embedded_io::{Read, Seek};

use super::{AudioCodec, Error, Info, Stream, VideoCodec, MAX_DURATION_MS};
use crate::media::mp4::boxes::{find, find_path, full, Boxes, Bytes};
use crate::media::mp4::track::{handled, header_timescale};
use crate::media::mp4::{self, Codec, Movie, DEFAULT_MOOV_BUDGET};

impl From<mp4::Error> for Error {
    fn from(e: mp4::Error) -> Error {
        match e {
            mp4::Error::Io(_) => Error::Io,
            mp4::Error::NoMovie => Error::NotThisFormat,
            _ => Error::Malformed,
        }
    }
}

/// Reads the play time, picture size and codecs of an MP4 or QuickTime file.
pub fn read<R: Read + Seek>(mut src: R) -> Result<Info, Error> {
    let movie = Movie::read(&mut src, DEFAULT_MOOV_BUDGET)?;
    let moov = movie.moov();
    let duration_ms = match find(moov, b"mvhd")? {
        Some(mvhd) => {
            let (scale, units) = header_timescale(mvhd)?;
            (scale > 0 && units > 0 && units != u64::from(u32::MAX))
                .then(|| u64::try_from(u128::from(units) * 1000 / u128::from(scale)).ok())
                .flatten()
                .filter(|&ms| ms < MAX_DURATION_MS)
        }
        None => None,
    };
    let audio = movie.audio().ok().map(|track| {
        let codec = match track.codec {
            Codec::Aac(_) => AudioCodec::Aac,
            Codec::Mp3(_) => AudioCodec::Mpeg,
            Codec::Other(kind) if &kind == b"ac-3" => AudioCodec::Ac3,
            Codec::Other(kind) if &kind == b"ec-3" => AudioCodec::Eac3,
            _ => AudioCodec::Other,
        };
        let (rate, channels) = match track.codec {
            Codec::Aac(esds) => match esds.config {
                Some(c) => (c.output_rate, c.channels),
                None => (track.entry.rate, 0),
            },
            _ => (track.entry.rate, 0),
        };
        let channels =
            if channels > 0 { channels } else { u8::try_from(track.entry.channels).unwrap_or(0) };
        Stream { codec, width: 0, height: 0, rate, channels }
    });
    Ok(Info { duration_ms, video: video(moov)?, audio })
}

/// The first track whose handler is `vide`: its first sample entry's codec and size.
fn video(moov: &[u8]) -> Result<Option<Stream<VideoCodec>>, Error> {
    let Some((_, mdia)) = handled(moov, b"vide")? else { return Ok(None) };
    let Some(stsd) = find_path(mdia, &[b"minf", b"stbl", b"stsd"])? else { return Ok(None) };
    let (_, _, rest) = full(stsd)?;
    let mut r = Bytes::new(rest);
    r.skip(4)?; // entry count: the first entry is the one used
    let Some(entry) = Boxes::new(r.rest()).next() else { return Ok(None) };
    let (kind, body) = entry?;
    // VisualSampleEntry: reserved (6), data reference index (2), pre-defined and
    // reserved (16), width, height, then 50 more bytes before the child boxes.
    let mut r = Bytes::new(body);
    r.skip(24)?;
    let (width, height) = (u32::from(r.u16()?), u32::from(r.u16()?));
    r.skip(50)?;
    let children = r.rest();
    let codec = match &kind {
        b"avc1" | b"avc3" => {
            let avcc = find(children, b"avcC").ok().flatten().unwrap_or_default();
            VideoCodec::H264 { profile: avcc.get(1).copied().unwrap_or(0) }
        }
        b"hvc1" | b"hev1" => VideoCodec::Hevc,
        b"mp4v" => VideoCodec::Mpeg4,
        b"vp08" | b"vp09" => VideoCodec::Vp,
        b"av01" => VideoCodec::Av1,
        _ => VideoCodec::Other,
    };
    Ok(Some(Stream { codec, width, height, rate: 0, channels: 0 }))
}
