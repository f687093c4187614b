//! Elementary streams inside MPEG program and transport streams (and AVI): the headers that
//! give a picture size or an audio rate and channel count, and the PES packet header that
//! carries a presentation time.
//!
//! Every reader here takes a borrowed slice and returns `None` when the bytes are short or
//! do not make sense; none of them indexes past what it checked, allocates or loops without
//! advancing.

/// A presentation time on the MPEG 90 kHz clock (33 bits).
pub type Pts = u64;

/// The 33-bit wrap of MPEG timestamps.
pub const PTS_WRAP: u64 = 1 << 33;

/// H.264 sequence parameters a DLNA profile depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sps {
    /// `profile_idc` (66 Baseline, 77 Main, 100 High, ...).
    pub profile: u8,
    /// `level_idc` (ten times the level: 31 is level 3.1).
    pub level: u8,
    /// Picture width after cropping.
    pub width: u32,
    /// Picture height after cropping.
    pub height: u32,
}

/// An MSB-first bit reader over an RBSP (emulation prevention bytes already removed).
struct Bits<'a> {
    bytes: &'a [u8],
    /// Position in bits.
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.bytes.get(self.pos / 8)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |v, _| Some((v << 1) | self.bit()?))
    }

    /// An unsigned Exp-Golomb code (`ue(v)`), up to 31 leading zeros.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.bits(zeros)?;
        ((1u64 << zeros) - 1 + u64::from(rest)).try_into().ok()
    }

    /// A signed Exp-Golomb code (`se(v)`).
    fn se(&mut self) -> Option<i64> {
        let k = i64::from(self.ue()?);
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

/// The bytes of an SPS NAL unit's payload (after its header byte) with emulation prevention
/// bytes (`00 00 03`) removed, into `out`; how many were written. The SPS fields needed sit
/// in the first few dozen bytes, so `out` bounds the work.
fn unescape(nal: &[u8], out: &mut [u8]) -> usize {
    let (mut n, mut zeros) = (0, 0);
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        let Some(slot) = out.get_mut(n) else { break };
        *slot = b;
        n += 1;
    }
    n
}

/// Parses an H.264 sequence parameter set: `nal` is the NAL unit after its one-byte header.
pub fn h264_sps(nal: &[u8]) -> Option<Sps> {
    let mut buf = [0u8; 256];
    let len = unescape(nal, &mut buf);
    let mut r = Bits { bytes: buf.get(..len)?, pos: 0 };
    let profile = r.bits(8)? as u8;
    r.bits(8)?; // constraint flags
    let level = r.bits(8)? as u8;
    r.ue()?; // seq_parameter_set_id
    let mut chroma = 1;
    let mut separate_planes = false;
    if matches!(profile, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
        chroma = r.ue()?;
        if chroma == 3 {
            separate_planes = r.bit()? == 1;
        }
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.bit()?; // qpprime_y_zero_transform_bypass_flag
        if r.bit()? == 1 {
            let lists = if chroma == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            let cycle = r.ue()?;
            if cycle > 255 {
                return None;
            }
            for _ in 0..cycle {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = u64::from(r.ue()?) + 1;
    let height_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = u64::from(r.bit()?);
    if frame_mbs_only == 0 {
        r.bit()?; // mb_adaptive_frame_field_flag
    }
    r.bit()?; // direct_8x8_inference_flag
    let mut crop = [0u64; 4];
    if r.bit()? == 1 {
        for c in &mut crop {
            *c = u64::from(r.ue()?);
        }
    }
    let array_type = if separate_planes { 0 } else { chroma };
    let (sub_w, sub_h) = match array_type {
        0 => (1, 1),
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let width = (width_mbs * 16).checked_sub(sub_w * (crop[0] + crop[1]))?;
    let height = ((2 - frame_mbs_only) * height_units * 16)
        .checked_sub(sub_h * (2 - frame_mbs_only) * (crop[2] + crop[3]))?;
    Some(Sps { profile, level, width: width.try_into().ok()?, height: height.try_into().ok()? })
}

/// Skips one `scaling_list` of `size` entries.
fn scaling_list(r: &mut Bits<'_>, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i64, 8i64);
    for _ in 0..size {
        if next != 0 {
            next = (last + r.se()? + 256).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// The first H.264 SPS in an Annex B byte stream (start codes, then NAL units).
pub fn find_h264_sps(stream: &[u8]) -> Option<Sps> {
    start_codes(stream).find_map(|at| {
        let nal = stream.get(at..)?;
        (nal.first()? & 0x1F == 7).then(|| h264_sps(nal.get(1..)?)).flatten()
    })
}

/// Positions just after each `00 00 01` start code in `stream`.
pub fn start_codes(stream: &[u8]) -> impl Iterator<Item = usize> + '_ {
    stream.windows(3).enumerate().filter(|(_, w)| w == &[0, 0, 1]).map(|(i, _)| i + 3)
}

/// MPEG-1/2 video: the picture size in the first sequence header of `stream`, and whether a
/// sequence extension follows it (MPEG-2; MPEG-1 has none).
pub fn mpeg2_sequence(stream: &[u8]) -> Option<(u32, u32, bool)> {
    let at = start_codes(stream).find(|&at| stream.get(at) == Some(&0xB3))?;
    let h = stream.get(at + 1..at + 4)?;
    let width = (u32::from(h[0]) << 4) | u32::from(h[1] >> 4);
    let height = (u32::from(h[1] & 0x0F) << 8) | u32::from(h[2]);
    // The extension start code (B5) with id 1 comes right after the header and its
    // optional quantiser matrices: look in the next few hundred bytes.
    let near = stream.get(at..).map(|s| &s[..s.len().min(256)]).unwrap_or_default();
    let ext = start_codes(near).any(|x| near.get(x) == Some(&0xB5));
    (width > 0 && height > 0).then_some((width, height, ext))
}

/// An audio frame header's rate in Hz and channel count.
pub type AudioFormat = (u32, u8);

/// AAC in ADTS: the rate and channels of the frame header starting `bytes`.
pub fn adts(bytes: &[u8]) -> Option<AudioFormat> {
    let h = bytes.get(..4)?;
    if h[0] != 0xFF || h[1] & 0xF6 != 0xF0 {
        return None;
    }
    const RATES: [u32; 13] =
        [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
    let rate = *RATES.get(usize::from((h[2] >> 2) & 0x0F))?;
    let config = ((h[2] & 1) << 2) | (h[3] >> 6);
    let channels = match config {
        7 => 8,
        c => c,
    };
    Some((rate, channels))
}

/// AC-3 or E-AC-3: the rate and channels (LFE counted) of the sync frame starting `bytes`.
pub fn ac3(bytes: &[u8]) -> Option<AudioFormat> {
    let h = bytes.get(..8)?;
    if h[0] != 0x0B || h[1] != 0x77 {
        return None;
    }
    const CHANNELS: [u8; 8] = [2, 1, 2, 3, 3, 4, 4, 5];
    let bsid = h[5] >> 3;
    if bsid > 10 {
        // E-AC-3: fscod, fscod2/numblkscod, acmod, lfeon in byte 4.
        let fscod = h[4] >> 6;
        let rate = match fscod {
            3 => *[24000, 22050, 16000].get(usize::from((h[4] >> 4) & 3))?,
            f => [48000, 44100, 32000][usize::from(f)],
        };
        let acmod = (h[4] >> 1) & 7;
        return Some((rate, CHANNELS[usize::from(acmod)] + (h[4] & 1)));
    }
    let rate = *[48000, 44100, 32000].get(usize::from(h[4] >> 6))?;
    let acmod = h[6] >> 5;
    // lfeon follows acmod and 0-3 two-bit mix fields.
    let mut skip = 0;
    if acmod & 1 != 0 && acmod != 1 {
        skip += 2;
    }
    if acmod & 4 != 0 {
        skip += 2;
    }
    if acmod == 2 {
        skip += 2;
    }
    let bits = u16::from_be_bytes([h[6], h[7]]);
    let lfe = ((bits >> (12 - skip)) & 1) as u8;
    Some((rate, CHANNELS[usize::from(acmod)] + lfe))
}

/// An MPEG audio (layer I, II or III) frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MpegAudio {
    /// Sample rate in Hz.
    pub rate: u32,
    /// 1 (mono) or 2.
    pub channels: u8,
    /// Bitrate in bits per second (0 for "free format").
    pub bitrate: u32,
    /// Samples per frame (384, 576 or 1152).
    pub samples: u32,
    /// The layer: 1, 2 or 3.
    pub layer: u8,
    /// MPEG-1 (not 2 or 2.5).
    pub mpeg1: bool,
    /// The frame length in bytes (0 for "free format").
    pub frame_len: u32,
}

/// Parses the MPEG audio frame header starting `bytes`.
pub fn mpeg_audio(bytes: &[u8]) -> Option<MpegAudio> {
    let h = bytes.get(..4)?;
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
    let layer = match (h[1] >> 1) & 3 {
        3 => 1,
        2 => 2,
        1 => 3,
        _ => return None,
    };
    let base = *[44100, 48000, 32000].get(usize::from((h[2] >> 2) & 3))?;
    let rate = match version {
        3 => base,
        2 => base / 2,
        0 => base / 4,
        _ => return None,
    };
    let mpeg1 = version == 3;
    const V1: [[u16; 14]; 3] = [
        [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
        [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
        [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    ];
    const V2: [[u16; 14]; 2] = [
        [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
        [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ];
    let index = h[2] >> 4;
    if index == 15 {
        return None;
    }
    let kbps = match (index, mpeg1, layer) {
        (0, ..) => 0,
        (i, true, l) => V1[usize::from(l - 1)][usize::from(i - 1)],
        (i, false, 1) => V2[0][usize::from(i - 1)],
        (i, false, _) => V2[1][usize::from(i - 1)],
    };
    let bitrate = u32::from(kbps) * 1000;
    let samples = match (layer, mpeg1) {
        (1, _) => 384,
        (2, _) | (3, true) => 1152,
        _ => 576,
    };
    let padding = u32::from((h[2] >> 1) & 1);
    // Free format: the length is not in the header (a padding slot alone is no frame).
    let frame_len = if bitrate == 0 {
        0
    } else if layer == 1 {
        (12 * bitrate / rate + padding) * 4
    } else {
        samples / 8 * bitrate / rate + padding
    };
    let channels = if h[3] >> 6 == 3 { 1 } else { 2 };
    Some(MpegAudio { rate, channels, bitrate, samples, layer, mpeg1, frame_len })
}

/// A PES packet header at the start of `bytes` (from its `00 00 01` start code): the PTS if
/// it has one, and where the payload starts. Handles MPEG-2 PES headers and MPEG-1 system
/// stream packet headers.
pub fn pes_header(bytes: &[u8]) -> Option<(Option<Pts>, usize)> {
    if bytes.get(..3)? != [0, 0, 1] {
        return None;
    }
    let flags = *bytes.get(6)?;
    if flags & 0xC0 == 0x80 {
        // MPEG-2: flags, PES_header_data_length, then PTS when PTS_DTS_flags has bit 2.
        let len = usize::from(*bytes.get(8)?);
        let pts = if bytes.get(7)? & 0x80 != 0 { timestamp(bytes.get(9..14)?) } else { None };
        return Some((pts, 9 + len));
    }
    // MPEG-1: stuffing bytes (0xFF, at most 16), an optional STD buffer field, then the time.
    let mut at = 6;
    while *bytes.get(at)? == 0xFF {
        at += 1;
        if at > 6 + 16 {
            return None;
        }
    }
    if bytes.get(at)? & 0xC0 == 0x40 {
        at += 2;
    }
    let b = *bytes.get(at)?;
    match b >> 4 {
        2 => Some((timestamp(bytes.get(at..at + 5)?), at + 5)),
        3 => Some((timestamp(bytes.get(at..at + 5)?), at + 10)),
        _ if b == 0x0F => Some((None, at + 1)),
        _ => None,
    }
}

/// A 33-bit timestamp in the 5-byte PES form (4 bits prefix, 3 + 15 + 15 bits with marker
/// bits), or `None` when the marker bits are wrong.
pub fn timestamp(b: &[u8]) -> Option<Pts> {
    let b = b.get(..5)?;
    if b[0] & 1 == 0 || b[2] & 1 == 0 || b[4] & 1 == 0 {
        return None;
    }
    Some(
        (u64::from(b[0] >> 1 & 7) << 30)
            | (u64::from(b[1]) << 22)
            | (u64::from(b[2] >> 1) << 15)
            | (u64::from(b[3]) << 7)
            | u64::from(b[4] >> 1),
    )
}

/// Milliseconds from `first` to `last` on the 90 kHz clock, across one 33-bit wrap.
pub fn span_ms(first: Pts, last: Pts) -> u64 {
    let ticks = if last >= first { last - first } else { last + PTS_WRAP - first };
    ticks / 90
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb() {
        // 1 -> 0, 010 -> 1, 011 -> 2, 00100 -> 3
        let mut r = Bits { bytes: &[0b1010_0110, 0b0100_0000], pos: 0 };
        assert_eq!([r.ue(), r.ue(), r.ue(), r.ue()], [Some(0), Some(1), Some(2), Some(3)]);
        let mut r = Bits { bytes: &[0; 8], pos: 0 };
        assert_eq!(r.ue(), None, "32 leading zeros");
    }

    #[test]
    fn an_x264_sps() {
        // x264, High profile, level 3.0, 640x360 (cropped from 640x368).
        let sps = [
            0x64, 0x00, 0x1E, 0xAC, 0xD9, 0x40, 0xA0, 0x2F, 0xF9, 0x70, 0x11, 0x00, 0x00, 0x03,
            0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0F, 0x16, 0x2D, 0x96,
        ];
        assert_eq!(h264_sps(&sps), Some(Sps { profile: 100, level: 30, width: 640, height: 360 }));
        let mut stream = vec![0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x67];
        stream.extend_from_slice(&sps);
        assert_eq!(find_h264_sps(&stream).map(|s| s.width), Some(640));
        for cut in 0..sps.len() {
            let _ = h264_sps(&sps[..cut]);
        }
    }

    #[test]
    fn audio_headers() {
        // ADTS, AAC LC, 48 kHz, 2 channels.
        assert_eq!(adts(&[0xFF, 0xF1, 0x4C, 0x80, 0, 0, 0]), Some((48000, 2)));
        // AC-3 48 kHz, acmod 7 (3/2), lfe on: 5.1.
        assert_eq!(ac3(&[0x0B, 0x77, 0, 0, 0x10, 0x40, 0xE1, 0x40]), Some((48000, 6)));
        // MPEG-1 layer III, 128 kb/s, 44.1 kHz, joint stereo.
        let mp3 = mpeg_audio(&[0xFF, 0xFB, 0x90, 0x64]).unwrap();
        assert_eq!((mp3.rate, mp3.channels, mp3.bitrate, mp3.frame_len), (44100, 2, 128000, 417));
        assert_eq!(mpeg_audio(&[0xFF, 0xFB, 0xF0, 0x64]), None, "bad bitrate index");
        // Free format (bitrate index 0), layer I, padded: no length, not a 4-byte frame.
        let free = mpeg_audio(&[0xFF, 0xFF, 0x02, 0x18]).unwrap();
        assert_eq!((free.layer, free.bitrate, free.frame_len), (1, 0, 0));
    }

    #[test]
    fn timestamps_and_pes() {
        // PTS 0x1_2345_6789 in the 5-byte form with prefix 0010.
        let pts: u64 = 0x1_2345_6789;
        let b = [
            0x20 | ((pts >> 29) & 0x0E) as u8 | 1,
            (pts >> 22) as u8,
            ((pts >> 14) & 0xFE) as u8 | 1,
            (pts >> 7) as u8,
            ((pts << 1) & 0xFE) as u8 | 1,
        ];
        assert_eq!(timestamp(&b), Some(pts));
        let mut pes = vec![0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 5];
        pes.extend_from_slice(&b);
        assert_eq!(pes_header(&pes), Some((Some(pts), 14)));
        assert_eq!(span_ms(PTS_WRAP - 90, 90), 2);
    }
}
