//! Matroska and WebM headers: play time, picture size and the codecs of the first video and
//! audio tracks, from the Segment's `Info` and `Tracks` elements.
//!
//! EBML is a tree of elements, each an id (a 1-4 byte variable-length integer, marker kept) and
//! a size (1-8 bytes, marker dropped; all ones means "unknown", to the end of the parent),
//! then the body. [`read`] reads the first [`HEAD`] bytes of the file and walks the Segment's
//! children in them up to the first `Cluster` (media data); muxers put `Info` and `Tracks`
//! first (ffmpeg, mkvmerge). When one of them is not there, the `SeekHead` names its position
//! and [`read`] reads [`HEAD`] bytes from there once. Nothing else is read, so a file costs at
//! most two reads of [`HEAD`] bytes however large or hostile it is; every size is checked
//! against the bytes at hand and every loop advances, so bad input ends in an [`Error`], never
//! a panic or a hang.
//!
//! [`cues`] reads the `Cues` index, which names the video keyframes' times (for a remux that
//! starts at a keyframe).

pub mod cues;

use alloc::vec;
use alloc::vec::Vec;

use embedded_io::{Read, Seek, SeekFrom};

use super::{AudioCodec, Error, Info, Stream, VideoCodec, MAX_DURATION_MS, MAX_RATE_HZ};

/// Bytes read from the start of the file, and from where the `SeekHead` points: 64 KiB.
pub const HEAD: usize = 64 * 1024;

/// Nanoseconds per timestamp unit when `Info` names no `TimestampScale`.
const DEFAULT_SCALE: u64 = 1_000_000;

const EBML: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const SEEK_HEAD: u32 = 0x114D_9B74;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_TYPE: u32 = 0x83;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const AUDIO: u32 = 0xE1;
const SAMPLING_FREQUENCY: u32 = 0xB5;
const CHANNELS: u32 = 0x9F;
const CLUSTER: u32 = 0x1F43_B675;
const CUES: u32 = 0x1C53_BB6B;

/// One element: its id and body, within the bytes at hand.
struct Element<'a> {
    id: u32,
    /// Where the body starts in the slice the element was read from.
    offset: usize,
    body: &'a [u8],
    /// The body's declared end lies beyond the bytes at hand (or is unknown).
    cut: bool,
}

/// A variable-length integer at the start of `bytes`: its value (marker kept for ids) and
/// length, or `None` if malformed or cut off.
fn vint(bytes: &[u8], keep_marker: bool) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mut value = if keep_marker { u64::from(first) } else { u64::from(first) & (0xFF >> len) };
    for &b in bytes.get(1..len)? {
        value = (value << 8) | u64::from(b);
    }
    Some((value, len))
}

/// The elements of `bytes` in order; stops at the first malformed one.
fn elements(bytes: &[u8]) -> impl Iterator<Item = Element<'_>> {
    let mut rest = bytes;
    let mut consumed = 0usize;
    core::iter::from_fn(move || {
        let (id, id_len) = vint(rest, true)?;
        if id_len > 4 {
            return None;
        }
        let (size, size_len) = vint(rest.get(id_len..)?, false)?;
        let start = id_len + size_len;
        let unknown = size == (1u64 << (7 * size_len)) - 1;
        let available = rest.len() - start;
        let (len, cut) = match usize::try_from(size) {
            Ok(n) if !unknown && n <= available => (n, false),
            _ => (available, true),
        };
        let body = rest.get(start..start + len)?;
        rest = rest.get(start + len..).unwrap_or(&[]);
        let offset = consumed + start;
        consumed = offset + len;
        Some(Element { id: id as u32, offset, body, cut })
    })
}

fn uint(body: &[u8]) -> Option<u64> {
    if body.len() > 8 {
        return None;
    }
    Some(body.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
}

fn float(body: &[u8]) -> Option<f64> {
    match body.len() {
        4 => Some(f64::from(f32::from_be_bytes(body.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(body.try_into().ok()?)),
        _ => None,
    }
}

/// What the Segment's `Info` and `Tracks` said so far.
#[derive(Default)]
struct Found {
    scale: Option<u64>,
    duration: Option<f64>,
    info: bool,
    tracks: bool,
    video: Option<Stream<VideoCodec>>,
    /// The track number of the first video track (what `Cues` name it by).
    video_number: Option<u64>,
    audio: Option<Stream<AudioCodec>>,
    /// Segment-relative positions of `Info` and `Tracks` from the `SeekHead`.
    seek: [Option<u64>; 2],
    /// Segment-relative position of `Cues` from the `SeekHead`.
    cues: Option<u64>,
}

impl Found {
    /// Reads the Segment children in `bytes` until a Cluster.
    fn children(&mut self, bytes: &[u8]) {
        for e in elements(bytes) {
            match e.id {
                SEEK_HEAD => self.seek_head(e.body),
                INFO => self.info(e.body),
                TRACKS => self.tracks(e.body),
                CLUSTER => return,
                _ => {}
            }
        }
    }

    fn seek_head(&mut self, body: &[u8]) {
        for seek in elements(body).filter(|e| e.id == SEEK) {
            let mut id = None;
            let mut position = None;
            for f in elements(seek.body) {
                match f.id {
                    SEEK_ID => id = uint(f.body),
                    SEEK_POSITION => position = uint(f.body),
                    _ => {}
                }
            }
            match id.and_then(|i| u32::try_from(i).ok()) {
                Some(INFO) => self.seek[0] = position,
                Some(TRACKS) => self.seek[1] = position,
                Some(CUES) => self.cues = position,
                _ => {}
            }
        }
    }

    fn info(&mut self, body: &[u8]) {
        self.info = true;
        for e in elements(body) {
            match e.id {
                TIMECODE_SCALE => self.scale = uint(e.body),
                DURATION => self.duration = float(e.body),
                _ => {}
            }
        }
    }

    fn tracks(&mut self, body: &[u8]) {
        self.tracks = true;
        for entry in elements(body).filter(|e| e.id == TRACK_ENTRY && !e.cut) {
            let mut kind = None;
            let mut number = None;
            let mut codec: &[u8] = &[];
            let mut private: &[u8] = &[];
            let (mut width, mut height, mut rate, mut channels) = (0, 0, 0.0, 0);
            for f in elements(entry.body) {
                match f.id {
                    TRACK_TYPE => kind = uint(f.body),
                    TRACK_NUMBER => number = uint(f.body),
                    CODEC_ID => codec = f.body,
                    CODEC_PRIVATE => private = f.body,
                    VIDEO => {
                        for v in elements(f.body) {
                            match v.id {
                                PIXEL_WIDTH => width = uint(v.body).unwrap_or(0),
                                PIXEL_HEIGHT => height = uint(v.body).unwrap_or(0),
                                _ => {}
                            }
                        }
                    }
                    AUDIO => {
                        for a in elements(f.body) {
                            match a.id {
                                SAMPLING_FREQUENCY => rate = float(a.body).unwrap_or(0.0),
                                CHANNELS => channels = uint(a.body).unwrap_or(0),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            let codec = core::str::from_utf8(codec).unwrap_or("").trim_end_matches('\0');
            match kind {
                Some(1) if self.video.is_none() => {
                    self.video_number = number;
                    self.video = Some(Stream {
                        codec: VideoCodec::from_matroska(codec, private),
                        width: u32::try_from(width).unwrap_or(0),
                        height: u32::try_from(height).unwrap_or(0),
                        rate: 0,
                        channels: 0,
                    });
                }
                Some(2) if self.audio.is_none() => {
                    self.audio = Some(Stream {
                        codec: AudioCodec::from_matroska(codec),
                        width: 0,
                        height: 0,
                        // Sampling rates are whole numbers of Hz in practice.
                        rate: if (1.0..=f64::from(MAX_RATE_HZ)).contains(&rate) {
                            rate as u32
                        } else {
                            0
                        },
                        channels: u8::try_from(channels).unwrap_or(0),
                    });
                }
                _ => {}
            }
        }
    }
}

/// Reads up to [`HEAD`] bytes at `at`.
fn read_at<R: Read + Seek>(src: &mut R, at: u64) -> Result<Vec<u8>, Error> {
    src.seek(SeekFrom::Start(at)).map_err(|_| Error::Io)?;
    let mut buf = vec![0u8; HEAD];
    let filled = super::read_full(src, &mut buf)?;
    buf.truncate(filled);
    Ok(buf)
}

/// The Segment's `Info` and `Tracks` (read where the `SeekHead` says if not at the start) and
/// where the Segment's body starts in the file (`SeekHead` positions count from there).
fn head<R: Read + Seek>(src: &mut R) -> Result<(Found, u64), Error> {
    let head = read_at(src, 0)?;
    let mut top = elements(&head);
    let ebml = top.next().filter(|e| e.id == EBML).ok_or(Error::NotThisFormat)?;
    let doc_type = elements(ebml.body).find(|e| e.id == DOC_TYPE).map(|e| e.body);
    if !matches!(doc_type, Some(b"matroska" | b"webm")) {
        return Err(Error::NotThisFormat);
    }
    let segment = top.next().filter(|e| e.id == SEGMENT).ok_or(Error::Malformed)?;
    let segment_start = segment.offset as u64;
    let mut found = Found::default();
    found.children(segment.body);
    for (wanted, at) in [(found.info, found.seek[0]), (found.tracks, found.seek[1])] {
        let Some(at) = at.filter(|_| !wanted) else { continue };
        let at = at.checked_add(segment_start).ok_or(Error::Malformed)?;
        let bytes = read_at(src, at)?;
        found.children(&bytes);
    }
    if !found.tracks {
        return Err(Error::Malformed);
    }
    Ok((found, segment_start))
}

/// Reads the play time, picture size and codecs of a Matroska or WebM file.
pub fn read<R: Read + Seek>(mut src: R) -> Result<Info, Error> {
    let (found, _) = head(&mut src)?;
    let scale = found.scale.unwrap_or(DEFAULT_SCALE);
    let duration_ms = found
        .duration
        .filter(|d| d.is_finite() && *d > 0.0)
        .map(|d| d * scale as f64 / 1e6)
        .filter(|ms| *ms < MAX_DURATION_MS as f64)
        .map(|ms| ms as u64);
    Ok(Info { duration_ms, video: found.video, audio: found.audio })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vints() {
        assert_eq!(vint(&[0x81], false), Some((1, 1)));
        assert_eq!(vint(&[0x40, 0x02], false), Some((2, 2)));
        assert_eq!(vint(&[0x1A, 0x45, 0xDF, 0xA3], true), Some((0x1A45_DFA3, 4)));
        assert_eq!(vint(&[0x00], false), None);
        assert_eq!(vint(&[0x40], false), None, "cut off");
        assert_eq!(vint(&[], false), None);
    }

    #[test]
    fn hostile_sizes_and_garbage_end_in_errors() {
        let cases: [&[u8]; 5] = [
            b"",
            b"not matroska at all",
            // EBML header claiming a huge size.
            &[0x1A, 0x45, 0xDF, 0xA3, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            // EBML with doc type matroska, then a Segment of unknown size holding garbage.
            &[
                0x1A, 0x45, 0xDF, 0xA3, 0x8B, 0x42, 0x82, 0x88, b'm', b'a', b't', b'r', b'o', b's',
                b'k', b'a', 0x18, 0x53, 0x80, 0x67, 0xFF, 0x00, 0x00, 0x00,
            ],
            // The same with a SeekHead pointing far past the end.
            &[
                0x1A, 0x45, 0xDF, 0xA3, 0x8B, 0x42, 0x82, 0x88, b'm', b'a', b't', b'r', b'o', b's',
                b'k', b'a', 0x18, 0x53, 0x80, 0x67, 0xFF, 0x11, 0x4D, 0x9B, 0x74, 0x8E, 0x4D, 0xBB,
                0x8B, 0x53, 0xAB, 0x84, 0x15, 0x49, 0xA9, 0x66, 0x53, 0xAC, 0x81, 0xFF,
            ],
        ];
        for bytes in cases {
            assert!(read(super::super::Mem { bytes, pos: 0 }).is_err(), "{bytes:?}");
        }
    }
}
