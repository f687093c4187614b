//! MPEG program streams (`.mpg`, `.mpeg`; MPEG-1 system streams too): the first video
//! stream's picture size from its sequence header, the first audio stream's rate and
//! channels (MPEG audio, or AC-3 and DTS in private stream 1 as DVDs carry them), and the
//! play time from the first and last presentation times.
//!
//! [`read`] reads the first [`HEAD`] bytes and walks the packs and PES packets in them by
//! their declared lengths, then the last [`TAIL`] bytes from the first pack header found
//! there. A length that runs past the bytes at hand ends the walk; a byte that starts no
//! packet makes it look for the next pack header, always forwards. Bad input ends in an
//! [`Error`] or missing fields, never a panic or a hang.

use alloc::vec;
use alloc::vec::Vec;

use embedded_io::{Read, Seek, SeekFrom};

use super::es::{self, Pts};
use super::ts::audio_header;
use super::{read_full, Error, Info, Stream, VideoCodec};
use crate::dlna::video::VideoProfile;

/// Bytes read from the start of the file: 512 KiB.
pub const HEAD: usize = 512 * 1024;
/// Bytes read from the end for the last presentation time: 128 KiB.
pub const TAIL: usize = 128 * 1024;
/// Payload bytes of a stream's first packets kept to find its codec header.
const ES_BUF: usize = 16 * 1024;

const PACK: u8 = 0xBA;
const END: u8 = 0xB9;
const PRIVATE_1: u8 = 0xBD;

/// One PES packet found by [`packets`]: its stream id (and, in private stream 1, the
/// substream id), PTS and payload.
struct Packet<'a> {
    id: u8,
    sub: u8,
    pts: Option<Pts>,
    payload: &'a [u8],
}

/// The PES packets of `bytes`, walked from its first pack header.
fn packets(bytes: &[u8]) -> impl Iterator<Item = Packet<'_>> {
    let mut at = next_pack(bytes, 0);
    core::iter::from_fn(move || loop {
        let here = at?;
        let b = bytes.get(here..)?;
        if b.get(..3) != Some(&[0, 0, 1]) {
            at = next_pack(bytes, here + 1);
            continue;
        }
        let id = *b.get(3)?;
        let len = match id {
            PACK if b.get(4)? >> 6 == 1 => 14 + usize::from(b.get(13)? & 7),
            PACK if b.get(4)? >> 4 == 2 => 12,
            END => 4,
            0xBB..=0xFF => 6 + usize::from(u16::from_be_bytes([*b.get(4)?, *b.get(5)?])),
            _ => {
                at = next_pack(bytes, here + 1);
                continue;
            }
        };
        at = Some(here + len);
        if !(id == PRIVATE_1 || (0xC0..=0xEF).contains(&id)) {
            continue;
        }
        let packet = b.get(..len)?;
        let Some((pts, header)) = es::pes_header(packet) else { continue };
        let mut payload = packet.get(header..).unwrap_or_default();
        let mut sub = 0;
        if id == PRIVATE_1 {
            // Substream id; AC-3 and DTS then have a frame count and a 2-byte pointer.
            sub = *payload.first()?;
            let skip = if (0x80..=0x8F).contains(&sub) { 4 } else { 1 };
            payload = payload.get(skip..).unwrap_or_default();
        }
        return Some(Packet { id, sub, pts, payload });
    })
}

/// The position of the first pack start code at or after `from`.
fn next_pack(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    rest.windows(4).position(|w| w == [0, 0, 1, PACK]).map(|p| from + p)
}

/// The stream type (as a transport stream would name it) [`audio_header`] reads a stream by.
fn audio_type(id: u8, sub: u8) -> Option<u8> {
    match (id, sub) {
        (0xC0..=0xDF, _) => Some(0x03),
        (PRIVATE_1, 0x80..=0x87) => Some(0x81),
        (PRIVATE_1, 0x88..=0x8F) => Some(0x82),
        _ => None,
    }
}

/// What a program stream's headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ps {
    /// Play time and streams.
    pub info: Info,
    /// The video is MPEG-1 (its sequence header has no MPEG-2 extension).
    pub mpeg1: bool,
}

impl Ps {
    /// The DLNA profile (MiniDLNA's rules, tv.md): MPEG-2 video `MPEG_PS_PAL` at 576 or 288
    /// lines, else `MPEG_PS_NTSC`; MPEG-1 video up to 352x288 `MPEG1`; `None` otherwise.
    pub fn profile(&self) -> Option<VideoProfile> {
        let video = self.info.video?;
        if self.mpeg1 {
            return (video.width <= 352 && video.height <= 288).then_some(VideoProfile::MPEG1);
        }
        Some(if matches!(video.height, 576 | 288) {
            VideoProfile::MPEG_PS_PAL
        } else {
            VideoProfile::MPEG_PS_NTSC
        })
    }
}

/// Reads a program stream's headers (see the module doc).
pub fn read<R: Read + Seek>(mut src: R) -> Result<Ps, Error> {
    let len = src.seek(SeekFrom::End(0)).map_err(|_| Error::Io)?;
    src.seek(SeekFrom::Start(0)).map_err(|_| Error::Io)?;
    let mut head = vec![0u8; HEAD];
    let got = read_full(&mut src, &mut head)?;
    let head = head.get(..got).unwrap_or_default();
    if head.get(..4) != Some(&[0, 0, 1, PACK]) {
        return Err(Error::NotThisFormat);
    }
    let (mut video_id, mut audio_id) = (None, None);
    let (mut video_buf, mut audio_buf) = (Vec::new(), Vec::new());
    let (mut video, mut audio) = (None, None);
    let mut first_pts: Option<Pts> = None;
    let mut mpeg1 = false;
    for p in packets(head) {
        let key = (p.id, p.sub);
        let is_video = (0xE0..=0xEF).contains(&p.id);
        if is_video && video_id.is_none() {
            video_id = Some(key);
        } else if !is_video && audio_id.is_none() && audio_type(p.id, p.sub).is_some() {
            audio_id = Some(key);
        }
        if Some(key) != video_id && Some(key) != audio_id {
            continue;
        }
        if let Some(pts) = p.pts {
            first_pts = Some(first_pts.map_or(pts, |f: Pts| f.min(pts)));
        }
        if is_video && video.is_none() {
            keep(&mut video_buf, p.payload);
            video = es::mpeg2_sequence(&video_buf).map(|(width, height, ext)| {
                mpeg1 = !ext;
                Stream { codec: VideoCodec::Mpeg2, width, height, rate: 0, channels: 0 }
            });
        } else if !is_video && audio.is_none() {
            keep(&mut audio_buf, p.payload);
            audio = audio_type(p.id, p.sub).and_then(|t| audio_header(t, &audio_buf));
        }
        if video.is_some() && audio.is_some() && first_pts.is_some() {
            break;
        }
    }
    if video_id.is_none() && audio_id.is_none() {
        return Err(Error::Malformed);
    }
    let duration_ms = match first_pts {
        Some(first) => {
            let from = len.saturating_sub(TAIL as u64);
            src.seek(SeekFrom::Start(from)).map_err(|_| Error::Io)?;
            let mut tail = vec![0u8; TAIL];
            let got = read_full(&mut src, &mut tail)?;
            packets(tail.get(..got).unwrap_or_default())
                .filter(|p| [video_id, audio_id].contains(&Some((p.id, p.sub))))
                .filter_map(|p| p.pts.map(|pts| es::span_ms(first, pts)))
                .filter(|&span| span < es::span_ms(0, es::PTS_WRAP / 2))
                .max()
        }
        None => None,
    };
    Ok(Ps { info: Info { duration_ms, video, audio }, mpeg1 })
}

/// Appends up to [`ES_BUF`] bytes in all.
fn keep(buf: &mut Vec<u8>, data: &[u8]) {
    let room = ES_BUF.saturating_sub(buf.len());
    buf.extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::video::Mem;

    #[test]
    fn garbage_loops_and_cuts() {
        assert_eq!(read(Mem { bytes: b"RIFF....", pos: 0 }).err(), Some(Error::NotThisFormat));
        // A pack header followed by a PES packet claiming 65535 bytes, cut short.
        let mut b = vec![0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1, 1, 0x89, 0xC3, 0xF8];
        b.extend_from_slice(&[0, 0, 1, 0xE0, 0xFF, 0xFF, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1]);
        assert_eq!(read(Mem { bytes: &b, pos: 0 }).err(), Some(Error::Malformed));
        // Pack headers only: the walk advances and ends.
        let packs: Vec<u8> = b[..14].iter().copied().cycle().take(14 * 1000).collect();
        assert_eq!(read(Mem { bytes: &packs, pos: 0 }).err(), Some(Error::Malformed));
        assert_eq!(packets(&[0, 0, 1, 0xBA, 0, 0, 1, 0x00]).count(), 0);
    }
}
