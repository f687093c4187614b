//! AVI (RIFF `AVI `): the play time and streams its header list declares.
//!
//! The `hdrl` list comes first in the file: `avih` (frame period, frame count, size), then
//! one `strl` list per stream with `strh` (type, time scale and rate, length) and `strf`
//! (a `BITMAPINFOHEADER` with the codec's FourCC for video, a `WAVEFORMATEX` with the format
//! tag, rate and channels for audio). [`read`] reads the first [`HEAD`] bytes and walks the
//! chunks in them; a chunk that claims more than is at hand is read as far as it goes. The
//! play time is the longest stream's `length * scale / rate`, as players compute it. Bad input
//! ends in an [`Error`] or missing fields, never a panic or a hang.

use alloc::vec;

use embedded_io::{Read, Seek, SeekFrom};

use super::{read_full, AudioCodec, Error, Info, Stream, VideoCodec, MAX_DURATION_MS};
use crate::util::wide::mul_div;

/// Bytes read from the start of the file: 64 KiB (the header list of an AVI file written by
/// ffmpeg or mencoder is a few KiB, its index reserve included).
pub const HEAD: usize = 64 * 1024;

/// The RIFF chunks of `bytes`: FourCC and body (cut to the bytes at hand).
fn chunks(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = bytes;
    core::iter::from_fn(move || {
        let id: [u8; 4] = rest.get(..4)?.try_into().ok()?;
        let size = usize::try_from(u32_at(rest, 4)?).ok()?;
        let body = rest.get(8..).unwrap_or_default();
        let body = body.get(..size.min(body.len()))?;
        // Bodies are padded to an even length.
        rest = rest.get(8usize.saturating_add(size).saturating_add(size & 1)..).unwrap_or_default();
        Some((id, body))
    })
}

/// The little-endian `u32` at `at`.
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The little-endian `u16` at `at`.
fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// The body of the `LIST` chunk of type `kind` among `bytes`' chunks, after its type.
fn list<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    chunks(bytes).find_map(|(id, body)| {
        (&id == b"LIST" && body.get(..4) == Some(kind)).then(|| body.get(4..)).flatten()
    })
}

/// The video codec an AVI FourCC names (ASCII case ignored).
pub fn video_fourcc(fourcc: [u8; 4]) -> VideoCodec {
    match &fourcc.map(|b| b.to_ascii_uppercase()) {
        b"XVID" | b"DIVX" | b"DX50" | b"FMP4" | b"MP4V" | b"M4S2" | b"3IV2" => VideoCodec::Mpeg4,
        b"H264" | b"X264" | b"AVC1" | b"DAVC" => VideoCodec::H264 { profile: 0 },
        b"HEVC" | b"H265" | b"HVC1" => VideoCodec::Hevc,
        b"MPG1" | b"MPG2" | b"MPEG" => VideoCodec::Mpeg2,
        b"VP80" | b"VP90" => VideoCodec::Vp,
        b"AV01" => VideoCodec::Av1,
        _ => VideoCodec::Other,
    }
}

/// The audio codec a `WAVEFORMATEX` format tag names.
pub fn audio_tag(tag: u16) -> AudioCodec {
    match tag {
        0x0001 | 0x0003 => AudioCodec::Pcm,
        0x0050 => AudioCodec::Mp2,
        0x0055 => AudioCodec::Mpeg,
        0x2000 => AudioCodec::Ac3,
        0x2001 => AudioCodec::Dts,
        0x00FF | 0x1600 | 0x1610 | 0x706D => AudioCodec::Aac,
        _ => AudioCodec::Other,
    }
}

/// A `WAVEFORMATEX`'s codec, rate and channels.
pub fn wave_format(b: &[u8]) -> Option<Stream<AudioCodec>> {
    let mut tag = u16_at(b, 0)?;
    if tag == 0xFFFE {
        // WAVE_FORMAT_EXTENSIBLE: the real tag opens the SubFormat GUID.
        tag = u16_at(b, 24).unwrap_or(tag);
    }
    let channels = u8::try_from(u16_at(b, 2)?).unwrap_or(0);
    let rate = super::plausible_rate(u32_at(b, 4)?);
    Some(Stream { codec: audio_tag(tag), width: 0, height: 0, rate, channels })
}

/// Reads an AVI file's header list (see the module doc).
pub fn read<R: Read + Seek>(mut src: R) -> Result<Info, Error> {
    src.seek(SeekFrom::Start(0)).map_err(|_| Error::Io)?;
    let mut head = vec![0u8; HEAD];
    let got = read_full(&mut src, &mut head)?;
    let head = head.get(..got).unwrap_or_default();
    if head.get(..4) != Some(b"RIFF") || head.get(8..12) != Some(b"AVI ") {
        return Err(Error::NotThisFormat);
    }
    let hdrl = list(head.get(12..).unwrap_or_default(), b"hdrl").ok_or(Error::Malformed)?;
    let (mut video, mut audio, mut longest) = (None, None, None::<u64>);
    let mut avih_size = None;
    for (id, body) in chunks(hdrl) {
        if &id == b"avih" {
            avih_size = Some((u32_at(body, 32).unwrap_or(0), u32_at(body, 36).unwrap_or(0)));
        }
        if &id != b"LIST" || body.get(..4) != Some(b"strl") {
            continue;
        }
        let strl = body.get(4..).unwrap_or_default();
        let Some(strh) = chunks(strl).find(|(id, _)| id == b"strh").map(|(_, b)| b) else {
            continue;
        };
        let strf = chunks(strl).find(|(id, _)| id == b"strf").map(|(_, b)| b).unwrap_or_default();
        let (scale, rate, length) =
            (u32_at(strh, 20).unwrap_or(0), u32_at(strh, 24).unwrap_or(0), u32_at(strh, 32));
        // length × scale fits in 64 bits; with the 1000 it may not (a damaged header).
        let ms = length.and_then(|n| {
            mul_div(u64::from(n) * u64::from(scale), 1000, u64::from(rate))
                .filter(|&ms| ms < MAX_DURATION_MS)
        });
        if let Some(ms) = ms {
            longest = Some(longest.map_or(ms, |l| l.max(ms)));
        }
        match strh.get(..4) {
            Some(b"vids") if video.is_none() => {
                let fourcc: [u8; 4] =
                    strf.get(16..20).and_then(|f| f.try_into().ok()).unwrap_or_default();
                let (w, h) = (u32_at(strf, 4), u32_at(strf, 8).map(|h| (h as i32).unsigned_abs()));
                let (avih_w, avih_h) = avih_size.unwrap_or_default();
                video = Some(Stream {
                    codec: video_fourcc(fourcc),
                    width: w.unwrap_or(avih_w),
                    height: h.unwrap_or(avih_h),
                    rate: 0,
                    channels: 0,
                });
            }
            Some(b"auds") if audio.is_none() => audio = wave_format(strf),
            _ => {}
        }
    }
    if video.is_none() && audio.is_none() {
        return Err(Error::Malformed);
    }
    Ok(Info { duration_ms: longest, video, audio })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::video::Mem;

    #[test]
    fn hostile_sizes_end_in_errors() {
        assert_eq!(
            read(Mem { bytes: b"RIFF\0\0\0\0WAVE", pos: 0 }).err(),
            Some(Error::NotThisFormat)
        );
        let mut b = b"RIFF\xff\xff\xff\xffAVI LIST\xff\xff\xff\xffhdrlLIST\xff\xff\xff\xffstrlstrh\xff\xff\xff\xff".to_vec();
        assert_eq!(read(Mem { bytes: &b, pos: 0 }).err(), Some(Error::Malformed));
        b.extend_from_slice(b"vidsXVID");
        assert_eq!(read(Mem { bytes: &b, pos: 0 }).map(|i| i.video.is_some()), Ok(true));
        assert_eq!(chunks(b"JUNK\x00\x00\x00\x00JUNK\x01\x00\x00\x00a\0JUNK").count(), 2);
    }
}
