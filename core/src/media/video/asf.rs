//! ASF (`.wmv`, `.asf`): the play time and streams the header object declares, and the
//! `WMV*` DLNA profile they make.
//!
//! An ASF file opens with the header object (GUID, 64-bit size, object count), whose
//! children include the file properties object (play duration in 100 ns units, preroll in
//! milliseconds, the largest bitrate) and one stream properties object per stream (a
//! `BITMAPINFOHEADER` with the codec's FourCC for video, a `WAVEFORMATEX` for audio).
//! [`read`] reads the first [`HEAD`] bytes and walks the header's children within them, each
//! size checked against the bytes at hand; bad input ends in an [`Error`] or missing fields,
//! never a panic or a hang.

use alloc::vec;

use embedded_io::{Read, Seek, SeekFrom};

use super::avi::{video_fourcc, wave_format};
use super::{read_full, Error, Info, Stream, MAX_DURATION_MS};
use crate::dlna::video::VideoProfile;

/// Bytes read from the start of the file: 64 KiB (the header object of a file without
/// embedded pictures is a few KiB).
pub const HEAD: usize = 64 * 1024;

/// GUIDs as stored (the first three fields little-endian).
const HEADER: [u8; 16] =
    guid(0x75B2_2630, 0x668E, 0x11CF, [0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C]);
const FILE_PROPERTIES: [u8; 16] =
    guid(0x8CAB_DCA1, 0xA947, 0x11CF, [0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65]);
const STREAM_PROPERTIES: [u8; 16] =
    guid(0xB7DC_0791, 0xA9B7, 0x11CF, [0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65]);
const AUDIO_MEDIA: [u8; 16] =
    guid(0xF869_9E40, 0x5B4D, 0x11CF, [0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B]);
const VIDEO_MEDIA: [u8; 16] =
    guid(0xBC19_EFC0, 0x5B4D, 0x11CF, [0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B]);

/// A GUID's 16 bytes as ASF stores it.
const fn guid(a: u32, b: u16, c: u16, d: [u8; 8]) -> [u8; 16] {
    let (a, b, c) = (a.to_le_bytes(), b.to_le_bytes(), c.to_le_bytes());
    [a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]
}

/// What an ASF file's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Asf {
    /// Play time and streams.
    pub info: Info,
    /// The video's FourCC (`WMV3`, `WVC1`, ...).
    pub fourcc: [u8; 4],
    /// The first byte of the video's codec data (for WMV3 its profile), 0 if none.
    pub codec_data: u8,
    /// The audio's `WAVEFORMATEX` format tag (0x161 WMA, 0x162 WMA Pro, 0x55 MP3, ...).
    pub audio_tag: u16,
    /// The audio's bitrate in bits per second.
    pub audio_bitrate: u32,
    /// The file's largest bitrate in bits per second, as its header declares.
    pub bitrate: u32,
}

/// The objects in `bytes`: GUID and body (cut to the bytes at hand).
fn objects(bytes: &[u8]) -> impl Iterator<Item = ([u8; 16], &[u8])> {
    let mut rest = bytes;
    core::iter::from_fn(move || {
        let id: [u8; 16] = rest.get(..16)?.try_into().ok()?;
        let size = u64::from_le_bytes(rest.get(16..24)?.try_into().ok()?);
        let size = usize::try_from(size).ok().filter(|&s| s >= 24)?;
        let body = rest.get(24..size.min(rest.len()))?;
        rest = rest.get(size..).unwrap_or_default();
        Some((id, body))
    })
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Reads an ASF file's header object (see the module doc).
pub fn read<R: Read + Seek>(mut src: R) -> Result<Asf, Error> {
    src.seek(SeekFrom::Start(0)).map_err(|_| Error::Io)?;
    let mut head = vec![0u8; HEAD];
    let got = read_full(&mut src, &mut head)?;
    let head = head.get(..got).unwrap_or_default();
    if head.get(..16) != Some(&HEADER) {
        return Err(Error::NotThisFormat);
    }
    let (_, header) = objects(head).next().ok_or(Error::Malformed)?;
    let mut asf = Asf {
        info: Info { duration_ms: None, video: None, audio: None },
        fourcc: [0; 4],
        codec_data: 0,
        audio_tag: 0,
        audio_bitrate: 0,
        bitrate: 0,
    };
    // The header object's body: object count (4), two reserved bytes, then its children.
    for (id, body) in objects(header.get(6..).unwrap_or_default()) {
        if id == FILE_PROPERTIES {
            let play = u64_at(body, 40).unwrap_or(0);
            let preroll = u64_at(body, 56).unwrap_or(0);
            let broadcast = u32_at(body, 64).is_some_and(|f| f & 1 != 0);
            asf.info.duration_ms = (!broadcast && play > 0)
                .then(|| (play / 10_000).saturating_sub(preroll))
                .filter(|&ms| ms < MAX_DURATION_MS);
            asf.bitrate = u32_at(body, 76).unwrap_or(0);
        } else if id == STREAM_PROPERTIES {
            let Some(kind) = body.get(..16) else { continue };
            let data = body.get(54..).unwrap_or_default();
            let data = data
                .get(..usize::try_from(u32_at(body, 40).unwrap_or(0)).unwrap_or(0).min(data.len()))
                .unwrap_or_default();
            if kind == VIDEO_MEDIA && asf.info.video.is_none() {
                // Width, height, flags, format data size, then a BITMAPINFOHEADER.
                let bitmap = data.get(11..).unwrap_or_default();
                asf.fourcc = bitmap.get(16..20).and_then(|f| f.try_into().ok()).unwrap_or_default();
                asf.codec_data = bitmap.get(40).copied().unwrap_or(0);
                asf.info.video = Some(Stream {
                    codec: video_fourcc(asf.fourcc),
                    width: u32_at(data, 0).unwrap_or(0),
                    height: u32_at(data, 4).unwrap_or(0),
                    rate: 0,
                    channels: 0,
                });
            } else if kind == AUDIO_MEDIA && asf.info.audio.is_none() {
                asf.info.audio = wave_format(data);
                asf.audio_tag = u16_at(data, 0).unwrap_or(0);
                asf.audio_bitrate = u32_at(data, 8).unwrap_or(0).saturating_mul(8);
            }
        }
    }
    if asf.info.video.is_none() && asf.info.audio.is_none() {
        return Err(Error::Malformed);
    }
    Ok(asf)
}

impl Asf {
    /// The DLNA profile of a WMV file (MiniDLNA's rules, tv.md): only WMV 9 (`WMV3`) and VC-1
    /// (`WVC1`, `WMVA`) video; Simple profile `WMVSPLL_*` up to 176x144 and `WMVSPML_*` up to
    /// 352x288 and 384 kb/s with WMA (`BASE`) or MP3; `WMVMED_*` up to 720x576 and 10 Mb/s
    /// and `WMVHIGH_*` up to 1920x1080 and 20 Mb/s with WMA up to 193 kb/s (`BASE`, MED only),
    /// up to 385 kb/s (`FULL`) or WMA Pro (`PRO`); `None` otherwise.
    pub fn profile(&self) -> Option<VideoProfile> {
        let video = self.info.video?;
        let vc1 =
            matches!(&self.fourcc.map(|b| b.to_ascii_uppercase()), b"WMV3" | b"WVC1" | b"WMVA");
        if !vc1 {
            return None;
        }
        let simple =
            &self.fourcc.map(|b| b.to_ascii_uppercase()) == b"WMV3" && self.codec_data >> 6 == 0;
        let within = |w: u32, h: u32| video.width <= w && video.height <= h;
        #[derive(PartialEq)]
        enum Wma {
            Base,
            Full,
            Pro,
            Mp3,
            Other,
        }
        let wma = match self.audio_tag {
            0x160 | 0x161 if self.audio_bitrate <= 193_000 => Wma::Base,
            0x160 | 0x161 if self.audio_bitrate <= 385_000 => Wma::Full,
            0x162 => Wma::Pro,
            0x55 => Wma::Mp3,
            _ => Wma::Other,
        };
        use VideoProfile as P;
        Some(match wma {
            Wma::Base if simple && within(176, 144) => P::WMVSPLL_BASE,
            Wma::Mp3 if simple && within(176, 144) => P::WMVSPLL_MP3,
            Wma::Base if simple && within(352, 288) && self.bitrate <= 384_000 => P::WMVSPML_BASE,
            Wma::Mp3 if simple && within(352, 288) && self.bitrate <= 384_000 => P::WMVSPML_MP3,
            _ if within(720, 576) && self.bitrate <= 10_000_000 => match wma {
                Wma::Base => P::WMVMED_BASE,
                Wma::Full => P::WMVMED_FULL,
                Wma::Pro => P::WMVMED_PRO,
                _ => return None,
            },
            _ if within(1920, 1080) && self.bitrate <= 20_000_000 => match wma {
                Wma::Base | Wma::Full => P::WMVHIGH_FULL,
                Wma::Pro => P::WMVHIGH_PRO,
                _ => return None,
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::video::Mem;

    #[test]
    fn guids_as_stored_and_hostile_sizes() {
        assert_eq!(HEADER[..4], [0x30, 0x26, 0xB2, 0x75]);
        assert_eq!(read(Mem { bytes: &[0; 64], pos: 0 }).err(), Some(Error::NotThisFormat));
        let mut b = HEADER.to_vec();
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        b.extend_from_slice(&[0; 6]);
        b.extend_from_slice(&STREAM_PROPERTIES);
        b.extend_from_slice(&3u64.to_le_bytes());
        assert_eq!(read(Mem { bytes: &b, pos: 0 }).err(), Some(Error::Malformed));
        assert_eq!(objects(&b[30..]).count(), 0, "a size under 24 ends the walk");
    }

    #[test]
    fn wmv_profiles() {
        let stream = |width, height| Stream {
            codec: super::super::VideoCodec::Other,
            width,
            height,
            rate: 0,
            channels: 0,
        };
        let mut asf = Asf {
            info: Info { duration_ms: None, video: Some(stream(640, 480)), audio: None },
            fourcc: *b"WMV3",
            codec_data: 0x40,
            audio_tag: 0x161,
            audio_bitrate: 128_000,
            bitrate: 2_000_000,
        };
        assert_eq!(asf.profile(), Some(VideoProfile::WMVMED_BASE));
        asf.audio_tag = 0x162;
        asf.info.video = Some(stream(1280, 720));
        assert_eq!(asf.profile(), Some(VideoProfile::WMVHIGH_PRO));
        asf.fourcc = *b"WMV2";
        assert_eq!(asf.profile(), None, "WMV 8 has no DLNA profile");
    }
}
