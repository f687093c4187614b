//! Matroska `Cues`: the file's index of video keyframes, read to find where a stream copy of
//! the video can start (a remux answering a time seek starts at the keyframe at or before the
//! time asked, and says which).
//!
//! The `SeekHead` names where `Cues` is (muxers write it after the media, at the end);
//! [`keyframe_at_or_before`] reads the element whole, at most [`MAX_CUES`] bytes, and walks its
//! `CuePoint`s: each has a `CueTime` (in `TimestampScale` units, nanoseconds by default) and
//! `CueTrackPositions` naming the tracks it indexes. Muxers index every keyframe of the video
//! track (ffmpeg and mkvmerge by default), and ffmpeg's Matroska demuxer seeks by the same
//! index, so the cue found is where `ffmpeg -ss` starts copying. A file without `Cues`, or
//! whose `Cues` name no point for the video track, gives `None`: the caller asks another way.

use alloc::vec;

use embedded_io::{Read, Seek, SeekFrom};

use super::{elements, head, uint, vint, DEFAULT_SCALE};
use crate::media::video::{read_full, Error};

const CUE_POINT: u32 = 0xBB;
const CUE_TIME: u32 = 0xB3;
const CUE_TRACK_POSITIONS: u32 = 0xB7;
const CUE_TRACK: u32 = 0xF7;

/// Largest `Cues` element read: 4 MiB, about 200,000 cue points (a keyframe every half second
/// for a day of video). A larger one is not read (`Error::Malformed`).
pub const MAX_CUES: u64 = 4 * 1024 * 1024;

/// The time in microseconds of the last video keyframe at or before `at_us` that the file's
/// `Cues` name; `None` when the file has no `Cues` or they name no keyframe of its first video
/// track at or before `at_us`.
pub fn keyframe_at_or_before<R: Read + Seek>(mut src: R, at_us: u64) -> Result<Option<u64>, Error> {
    let (found, segment_start) = head(&mut src)?;
    let (Some(track), Some(position)) = (found.video_number, found.cues) else {
        return Ok(None);
    };
    let at = position.checked_add(segment_start).ok_or(Error::Malformed)?;
    // The element's id (4 bytes) and size (at most 8).
    let mut header = [0u8; 12];
    src.seek(SeekFrom::Start(at)).map_err(|_| Error::Io)?;
    let got = read_full(&mut src, &mut header)?;
    let header = header.get(..got).ok_or(Error::Malformed)?;
    let (id, id_len) = vint(header, true).ok_or(Error::Malformed)?;
    if id != u64::from(super::CUES) {
        return Err(Error::Malformed);
    }
    let (size, size_len) =
        vint(header.get(id_len..).unwrap_or(&[]), false).ok_or(Error::Malformed)?;
    if size > MAX_CUES {
        return Err(Error::Malformed);
    }
    let mut body = vec![0u8; usize::try_from(size).map_err(|_| Error::Malformed)?];
    let start = at.checked_add((id_len + size_len) as u64).ok_or(Error::Malformed)?;
    src.seek(SeekFrom::Start(start)).map_err(|_| Error::Io)?;
    let filled = read_full(&mut src, &mut body)?;
    body.truncate(filled);
    let scale = found.scale.unwrap_or(DEFAULT_SCALE);
    Ok(last_at_or_before(&body, track, scale, at_us))
}

/// The last time in microseconds, at or before `at_us`, of the cue points in the `Cues` body
/// `body` that index track `track`, with times in units of `scale` nanoseconds.
fn last_at_or_before(body: &[u8], track: u64, scale: u64, at_us: u64) -> Option<u64> {
    elements(body)
        .filter(|e| e.id == CUE_POINT)
        .filter_map(|point| {
            let mut time = None;
            let mut indexes_track = false;
            for f in elements(point.body) {
                match f.id {
                    CUE_TIME => time = uint(f.body),
                    CUE_TRACK_POSITIONS => {
                        indexes_track |= elements(f.body)
                            .any(|p| p.id == CUE_TRACK && uint(p.body) == Some(track));
                    }
                    _ => {}
                }
            }
            let us = u128::from(time?) * u128::from(scale) / 1000;
            u64::try_from(us).ok().filter(|_| indexes_track)
        })
        .filter(|&us| us <= at_us)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `CuePoint` at `time` indexing `track`.
    fn point(time: u8, track: u8) -> [u8; 13] {
        // CuePoint(11) { CueTime(1) = time, CueTrackPositions(6) { CueTrack(1) = track,
        // CueClusterPosition(1) = 0 } }
        [0xBB, 0x8B, 0xB3, 0x81, time, 0xB7, 0x86, 0xF7, 0x81, track, 0xF1, 0x81, 0x00]
    }

    #[test]
    fn the_last_cue_of_the_video_track_at_or_before_the_time() {
        let mut body = alloc::vec::Vec::new();
        for (time, track) in [(0, 1), (20, 1), (30, 2), (40, 1), (60, 1)] {
            body.extend(point(time, track));
        }
        // A scale of 100 ms: times 0, 2, 4, 6 s on track 1; 3 s only on track 2.
        let scale = 100_000_000;
        let at = |s: f64| last_at_or_before(&body, 1, scale, (s * 1e6) as u64);
        assert_eq!(at(0.0), Some(0));
        assert_eq!(at(3.9), Some(2_000_000), "the cue at 3 s is another track's");
        assert_eq!(at(4.0), Some(4_000_000));
        assert_eq!(at(100.0), Some(6_000_000));
        assert_eq!(last_at_or_before(&body, 3, scale, u64::MAX), None, "no cue for track 3");
        assert_eq!(last_at_or_before(&body[..7], 1, scale, u64::MAX), None, "cut short");
    }
}
