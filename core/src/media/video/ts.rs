//! MPEG transport streams (`.ts`, 188-byte packets) and BDAV/M2TS (`.m2ts`, 192-byte packets:
//! a 4-byte arrival timestamp before each): the streams the PAT and PMT name, the first
//! video stream's picture size (H.264 SPS, MPEG-2 sequence header) and the first audio
//! stream's rate and channels (ADTS, AC-3, MPEG audio frame headers), and the play time from
//! the first and last presentation times.
//!
//! [`read`] reads packets from the start, [`CHUNK`] bytes at a time, until it has all of that
//! or [`HEAD`] bytes are read, then the last [`TAIL`] bytes for the last presentation time.
//! Only what a packet, section or PES header declares and the bytes at hand agree on is
//! used, so bad input ends in an [`Error`] or missing fields, never a panic or a hang.

use alloc::vec;
use alloc::vec::Vec;

use embedded_io::{Read, Seek, SeekFrom};

use super::es::{self, Pts};
use super::{read_full, AudioCodec, Error, Info, Stream, VideoCodec};
use crate::dlna::video::VideoProfile;

/// At most this many bytes are read from the start of the file: 2 MiB.
pub const HEAD: u64 = 2 * 1024 * 1024;
/// Bytes read at once from the start: 64 KiB.
pub const CHUNK: usize = 64 * 1024;
/// Bytes read from the end for the last presentation time: 256 KiB.
pub const TAIL: u64 = 256 * 1024;
/// The payload bytes of a stream's first PES packets kept to find its codec header.
const ES_BUF: usize = 16 * 1024;

/// A transport stream's packet layout, which names its DLNA profile's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Packets {
    /// 188-byte packets (ISO/IEC 13818-1): `_ISO`.
    Iso,
    /// 192-byte packets whose timestamps are set: `_T`.
    Timestamped,
    /// 192-byte packets whose timestamps are all zero: no suffix.
    ZeroTimestamps,
}

/// What a transport stream's headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ts {
    /// Play time and streams.
    pub info: Info,
    /// The packet layout.
    pub packets: Packets,
    /// The H.264 level (`level_idc`) of the video, 0 when not H.264.
    pub level: u8,
    /// The whole file's bitrate in bits per second (0 when the play time is unknown).
    pub bitrate: u32,
}

impl Ts {
    /// The DLNA profile (MiniDLNA's rules, tv.md), with the packet suffix (`_ISO` for 188-byte
    /// packets, `_T` for timestamped 192-byte ones, none for 192-byte ones without):
    /// - MPEG-2 video: `MPEG_TS_HD_NA` from 1280x720 up, `MPEG_TS_SD_EU` at 576 or 288
    ///   lines, else `MPEG_TS_SD_NA`;
    /// - H.264 High: `AVC_TS_HP_HD_AC3` up to 1920x1152 and 30 Mb/s with AC-3 (always `_T`
    ///   in 192-byte packets);
    /// - other H.264 (Main, and Baseline as the Main it fits in): `AVC_TS_MP_SD_*` up to
    ///   720x576 and 10 Mb/s, `AVC_TS_MP_HD_*` up to 1920x1152 and 20 Mb/s, with AAC
    ///   (`AAC_MULT5`), AC-3 or MP3 (`MPEG1_L3`) audio;
    ///
    /// `None` otherwise.
    pub fn profile(&self) -> Option<VideoProfile> {
        use VideoProfile as P;
        let video = self.info.video?;
        let within = |w: u32, h: u32, bitrate: u32| {
            video.width <= w && video.height <= h && self.bitrate <= bitrate
        };
        let packets = |high: bool| match self.packets {
            Packets::Iso => 0,
            Packets::Timestamped => 1,
            Packets::ZeroTimestamps if high => 1,
            Packets::ZeroTimestamps => 2,
        };
        match video.codec {
            VideoCodec::Mpeg2 => {
                const MPEG_TS: [[P; 3]; 3] = [
                    [P::MPEG_TS_HD_NA_ISO, P::MPEG_TS_HD_NA_T, P::MPEG_TS_HD_NA],
                    [P::MPEG_TS_SD_EU_ISO, P::MPEG_TS_SD_EU_T, P::MPEG_TS_SD_EU],
                    [P::MPEG_TS_SD_NA_ISO, P::MPEG_TS_SD_NA_T, P::MPEG_TS_SD_NA],
                ];
                let size = if video.width >= 1280 && video.height >= 720 {
                    0
                } else if matches!(video.height, 576 | 288) {
                    1
                } else {
                    2
                };
                MPEG_TS.get(size)?.get(packets(false)).copied()
            }
            VideoCodec::H264 { profile: 100 } => {
                const HP: [P; 3] =
                    [P::AVC_TS_HP_HD_AC3_ISO, P::AVC_TS_HP_HD_AC3_T, P::AVC_TS_HP_HD_AC3];
                let ac3 = self.info.audio?.codec == AudioCodec::Ac3;
                (ac3 && within(1920, 1152, 30_000_000))
                    .then(|| HP.get(packets(true)).copied())
                    .flatten()
            }
            VideoCodec::H264 { .. } => {
                const MP: [[[P; 3]; 3]; 2] = [
                    [
                        [
                            P::AVC_TS_MP_SD_AAC_MULT5_ISO,
                            P::AVC_TS_MP_SD_AAC_MULT5_T,
                            P::AVC_TS_MP_SD_AAC_MULT5,
                        ],
                        [P::AVC_TS_MP_SD_AC3_ISO, P::AVC_TS_MP_SD_AC3_T, P::AVC_TS_MP_SD_AC3],
                        [
                            P::AVC_TS_MP_SD_MPEG1_L3_ISO,
                            P::AVC_TS_MP_SD_MPEG1_L3_T,
                            P::AVC_TS_MP_SD_MPEG1_L3,
                        ],
                    ],
                    [
                        [
                            P::AVC_TS_MP_HD_AAC_MULT5_ISO,
                            P::AVC_TS_MP_HD_AAC_MULT5_T,
                            P::AVC_TS_MP_HD_AAC_MULT5,
                        ],
                        [P::AVC_TS_MP_HD_AC3_ISO, P::AVC_TS_MP_HD_AC3_T, P::AVC_TS_MP_HD_AC3],
                        [
                            P::AVC_TS_MP_HD_MPEG1_L3_ISO,
                            P::AVC_TS_MP_HD_MPEG1_L3_T,
                            P::AVC_TS_MP_HD_MPEG1_L3,
                        ],
                    ],
                ];
                let size = if within(720, 576, 10_000_000) {
                    0
                } else if within(1920, 1152, 20_000_000) {
                    1
                } else {
                    return None;
                };
                let audio = match self.info.audio?.codec {
                    AudioCodec::Aac => 0,
                    AudioCodec::Ac3 => 1,
                    AudioCodec::Mpeg => 2,
                    _ => return None,
                };
                MP.get(size)?.get(audio)?.get(packets(false)).copied()
            }
            _ => None,
        }
    }
}

/// One elementary stream being looked at: its PID, what its header said, and the first
/// payload bytes until it does.
struct Es<C> {
    pid: u16,
    stream_type: u8,
    found: Option<Stream<C>>,
    buf: Vec<u8>,
}

impl<C> Es<C> {
    fn new(pid: u16, stream_type: u8) -> Self {
        Es { pid, stream_type, found: None, buf: Vec::new() }
    }
}

/// The state of the walk over the first packets.
#[derive(Default)]
struct Walk {
    pmt_pid: Option<u16>,
    pmt_read: bool,
    video: Option<Es<VideoCodec>>,
    audio: Option<Es<AudioCodec>>,
    level: u8,
    first_pts: Option<Pts>,
}

impl Walk {
    fn done(&self) -> bool {
        self.pmt_read
            && self.first_pts.is_some()
            && self.video.as_ref().is_none_or(|v| v.found.is_some())
            && self.audio.as_ref().is_none_or(|a| a.found.is_some())
    }

    fn packet(&mut self, pkt: &[u8]) {
        let Some((pid, start, payload)) = payload(pkt) else { return };
        if pid == 0 && start {
            if let Some(pmt) = section(payload, 0).and_then(pat) {
                self.pmt_pid.get_or_insert(pmt);
            }
        } else if Some(pid) == self.pmt_pid && start && !self.pmt_read {
            if let Some(body) = section(payload, 2) {
                self.pmt(body);
            }
        } else if self.video.as_ref().is_some_and(|v| v.pid == pid) {
            self.pes(start, payload, true);
        } else if self.audio.as_ref().is_some_and(|a| a.pid == pid) {
            self.pes(start, payload, false);
        }
    }

    /// The PMT's section body after the 5-byte common header: the streams it lists.
    fn pmt(&mut self, body: &[u8]) {
        let Some(info_len) =
            body.get(2..4).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]) & 0xFFF))
        else {
            return;
        };
        let mut rest = body.get(4 + info_len..).unwrap_or_default();
        self.pmt_read = true;
        while let Some(e) = rest.get(..5) {
            let stream_type = e[0];
            let pid = u16::from_be_bytes([e[1], e[2]]) & 0x1FFF;
            let len = usize::from(u16::from_be_bytes([e[3], e[4]]) & 0xFFF);
            let descriptors = rest.get(5..5 + len).unwrap_or_default();
            rest = rest.get(5 + len..).unwrap_or_default();
            if self.video.is_none() && video_codec(stream_type).is_some() {
                self.video = Some(Es::new(pid, stream_type));
            } else if self.audio.is_none() {
                let codec = audio_codec(stream_type, descriptors);
                if codec != AudioCodec::Other {
                    self.audio = Some(Es::new(pid, stream_type_of(codec)));
                }
            }
        }
    }

    fn pes(&mut self, start: bool, payload: &[u8], video: bool) {
        let mut data = payload;
        if start {
            let Some((pts, header)) = es::pes_header(payload) else { return };
            if let Some(pts) = pts {
                self.first_pts = Some(self.first_pts.map_or(pts, |f| earlier(f, pts)));
            }
            data = payload.get(header..).unwrap_or_default();
        }
        if video {
            let Some(v) = self.video.as_mut().filter(|v| v.found.is_none()) else { return };
            append(&mut v.buf, data);
            if let Some((found, level)) = video_header(v.stream_type, &v.buf) {
                v.found = Some(found);
                self.level = level;
            }
        } else {
            let Some(a) = self.audio.as_mut().filter(|a| a.found.is_none()) else { return };
            append(&mut a.buf, data);
            a.found = audio_header(a.stream_type, &a.buf);
        }
    }
}

/// Whichever of two PTS values comes first, allowing for one 33-bit wrap between them.
fn earlier(a: Pts, b: Pts) -> Pts {
    if b.wrapping_sub(a) & (es::PTS_WRAP - 1) < es::PTS_WRAP / 2 {
        a
    } else {
        b
    }
}

/// Appends up to [`ES_BUF`] bytes in all.
fn append(buf: &mut Vec<u8>, data: &[u8]) {
    let room = ES_BUF.saturating_sub(buf.len());
    buf.extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
}

/// A packet's PID, whether a PES packet or section starts in it, and its payload.
fn payload(pkt: &[u8]) -> Option<(u16, bool, &[u8])> {
    let h = pkt.get(..4)?;
    if h[0] != 0x47 || h[1] & 0x80 != 0 {
        return None;
    }
    let pid = u16::from_be_bytes([h[1], h[2]]) & 0x1FFF;
    let start = h[1] & 0x40 != 0;
    let control = (h[3] >> 4) & 3;
    if control & 1 == 0 {
        return None;
    }
    let at = if control & 2 != 0 { 5 + usize::from(*pkt.get(4)?) } else { 4 };
    Some((pid, start, pkt.get(at..)?))
}

/// The body (after the 8-byte section header, before the CRC) of the section of table
/// `table` that starts in `payload` after its pointer field, as far as the packet holds it.
fn section(payload: &[u8], table: u8) -> Option<&[u8]> {
    let pointer = usize::from(*payload.first()?);
    let s = payload.get(1 + pointer..)?;
    if *s.first()? != table {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([*s.get(1)?, *s.get(2)?]) & 0xFFF);
    let end = (3 + len).min(s.len()).checked_sub(4)?;
    s.get(8..end)
}

/// The PMT PID of the first program a PAT body lists.
fn pat(body: &[u8]) -> Option<u16> {
    body.chunks_exact(4)
        .find(|e| u16::from_be_bytes([e[0], e[1]]) != 0)
        .map(|e| u16::from_be_bytes([e[2], e[3]]) & 0x1FFF)
}

/// The video codec of a PMT stream type.
fn video_codec(stream_type: u8) -> Option<VideoCodec> {
    Some(match stream_type {
        0x01 | 0x02 => VideoCodec::Mpeg2,
        0x10 => VideoCodec::Mpeg4,
        0x1B => VideoCodec::H264 { profile: 0 },
        0x24 => VideoCodec::Hevc,
        0xEA => VideoCodec::Other,
        _ => return None,
    })
}

/// The audio codec of a PMT stream type and its descriptors (private data streams name
/// theirs with a descriptor: AC-3 `0x6A`, E-AC-3 `0x7A`, DTS `0x7B`, or a registration
/// descriptor).
fn audio_codec(stream_type: u8, descriptors: &[u8]) -> AudioCodec {
    match stream_type {
        0x03 | 0x04 => AudioCodec::Mpeg,
        0x0F | 0x11 => AudioCodec::Aac,
        0x81 => AudioCodec::Ac3,
        0x87 => AudioCodec::Eac3,
        0x82 | 0x85 | 0x86 => AudioCodec::Dts,
        0x80 => AudioCodec::Pcm,
        0x06 => {
            let mut rest = descriptors;
            while let [tag, len, tail @ ..] = rest {
                let body = tail.get(..usize::from(*len)).unwrap_or_default();
                match (tag, body) {
                    (0x6A, _) | (0x05, [b'A', b'C', b'-', b'3', ..]) => return AudioCodec::Ac3,
                    (0x7A, _) | (0x05, [b'E', b'A', b'C', b'3', ..]) => return AudioCodec::Eac3,
                    (0x7B, _) | (0x05, [b'D', b'T', b'S', ..]) => return AudioCodec::Dts,
                    _ => {}
                }
                rest = tail.get(usize::from(*len)..).unwrap_or_default();
            }
            AudioCodec::Other
        }
        _ => AudioCodec::Other,
    }
}

/// The stream type [`audio_header`] reads `codec` by (private streams normalised).
fn stream_type_of(codec: AudioCodec) -> u8 {
    match codec {
        AudioCodec::Mpeg | AudioCodec::Mp2 => 0x03,
        AudioCodec::Aac => 0x0F,
        AudioCodec::Ac3 | AudioCodec::Eac3 => 0x81,
        AudioCodec::Dts => 0x82,
        AudioCodec::Pcm => 0x80,
        _ => 0,
    }
}

/// The video stream's codec and size from its first payload bytes, with the H.264 level.
fn video_header(stream_type: u8, buf: &[u8]) -> Option<(Stream<VideoCodec>, u8)> {
    let stream = |codec, width, height| Stream { codec, width, height, rate: 0, channels: 0 };
    match stream_type {
        0x1B => {
            let sps = es::find_h264_sps(buf)?;
            let codec = VideoCodec::H264 { profile: sps.profile };
            Some((stream(codec, sps.width, sps.height), sps.level))
        }
        0x01 | 0x02 => {
            let (w, h, _) = es::mpeg2_sequence(buf)?;
            Some((stream(VideoCodec::Mpeg2, w, h), 0))
        }
        // Other codecs are named without a size once the buffer is full.
        t => (buf.len() >= ES_BUF).then(|| Some((stream(video_codec(t)?, 0, 0), 0))).flatten(),
    }
}

/// The audio stream's codec, rate and channels from its first payload bytes.
pub(super) fn audio_header(stream_type: u8, buf: &[u8]) -> Option<Stream<AudioCodec>> {
    let stream = |codec, (rate, channels)| Stream { codec, width: 0, height: 0, rate, channels };
    let mut syncs = buf.windows(2).enumerate();
    match stream_type {
        0x03 => syncs.find_map(|(i, _)| {
            let h = es::mpeg_audio(buf.get(i..)?)?;
            let codec = if h.layer == 3 { AudioCodec::Mpeg } else { AudioCodec::Mp2 };
            Some(stream(codec, (h.rate, h.channels)))
        }),
        0x0F => syncs.find_map(|(i, _)| Some(stream(AudioCodec::Aac, es::adts(buf.get(i..)?)?))),
        0x81 => syncs.find_map(|(i, _)| {
            let head = buf.get(i..)?;
            let format = es::ac3(head)?;
            let eac3 = head.get(5).is_some_and(|b| b >> 3 > 10);
            Some(stream(if eac3 { AudioCodec::Eac3 } else { AudioCodec::Ac3 }, format))
        }),
        0x82 => Some(stream(AudioCodec::Dts, (0, 0))),
        _ => (buf.len() >= ES_BUF).then(|| stream(AudioCodec::Other, (0, 0))),
    }
}

/// The packet size (188 or 192) and the offset of the first packet: where the sync byte
/// repeats at that spacing four times within `head`.
fn layout(head: &[u8]) -> Option<(usize, usize)> {
    for size in [188, 192] {
        let lead = size - 188;
        for sync in lead..size + lead {
            if (0..4).all(|k| head.get(sync + k * size) == Some(&0x47)) {
                return Some((size, sync - lead));
            }
        }
    }
    None
}

/// Reads a transport stream's headers (see the module doc).
pub fn read<R: Read + Seek>(mut src: R) -> Result<Ts, Error> {
    let len = src.seek(SeekFrom::End(0)).map_err(|_| Error::Io)?;
    src.seek(SeekFrom::Start(0)).map_err(|_| Error::Io)?;
    let mut buf = vec![0u8; CHUNK];
    let got = read_full(&mut src, &mut buf)?;
    let (size, first) = layout(buf.get(..got).unwrap_or_default()).ok_or(Error::NotThisFormat)?;
    let lead = size - 188;
    let packets = if size == 188 {
        Packets::Iso
    } else if buf.get(first..got).unwrap_or_default().chunks_exact(size).take(8).any(|p| {
        // The top two bits are copy permission; the arrival time is the other 30.
        p.get(..4).is_some_and(|t| {
            t != [0; 4] && (u32::from_be_bytes([t[0], t[1], t[2], t[3]]) & 0x3FFF_FFFF) != 0
        })
    }) {
        Packets::Timestamped
    } else {
        Packets::ZeroTimestamps
    };
    let chunk = size * (CHUNK / size);
    let mut walk = Walk::default();
    let mut at = first as u64;
    while at < HEAD.min(len) && !walk.done() {
        src.seek(SeekFrom::Start(at)).map_err(|_| Error::Io)?;
        let n = read_full(&mut src, buf.get_mut(..chunk).ok_or(Error::Malformed)?)?;
        let whole = n - n % size;
        if whole == 0 {
            break;
        }
        for pkt in buf.get(..whole).unwrap_or_default().chunks_exact(size) {
            walk.packet(pkt.get(lead..).unwrap_or_default());
        }
        at += whole as u64;
    }
    if !walk.pmt_read {
        return Err(Error::Malformed);
    }
    let video = walk.video.as_ref().and_then(|v| v.found);
    let audio = walk.audio.as_ref().and_then(|a| a.found);
    let pids = [walk.video.as_ref().map(|v| v.pid), walk.audio.as_ref().map(|a| a.pid)];
    let duration_ms = match walk.first_pts {
        Some(first_pts) => last_span(&mut src, &mut buf, len, (size, first), pids, first_pts)?,
        None => None,
    };
    let bitrate = duration_ms
        .filter(|&ms| ms > 0)
        .map_or(0, |ms| u32::try_from(u128::from(len) * 8000 / u128::from(ms)).unwrap_or(u32::MAX));
    Ok(Ts { info: Info { duration_ms, video, audio }, packets, level: walk.level, bitrate })
}

/// The longest span from `first_pts` to a PTS of the streams `pids` in the last [`TAIL`]
/// bytes of the file, in milliseconds.
fn last_span<R: Read + Seek>(
    src: &mut R,
    buf: &mut [u8],
    len: u64,
    (size, first): (usize, usize),
    pids: [Option<u16>; 2],
    first_pts: Pts,
) -> Result<Option<u64>, Error> {
    let size64 = size as u64;
    let from = len.saturating_sub(TAIL).max(first as u64);
    let at = from + (size64 - (from - first as u64) % size64) % size64;
    src.seek(SeekFrom::Start(at)).map_err(|_| Error::Io)?;
    let mut longest: Option<u64> = None;
    // Whole packets per read, so that each read starts on a packet.
    let whole_len = buf.len() - buf.len() % size;
    let buf = buf.get_mut(..whole_len).ok_or(Error::Malformed)?;
    loop {
        let n = read_full(src, buf)?;
        let whole = n - n % size;
        for pkt in buf.get(..whole).unwrap_or_default().chunks_exact(size) {
            let Some((pid, true, payload)) = payload(pkt.get(size - 188..).unwrap_or_default())
            else {
                continue;
            };
            if !pids.contains(&Some(pid)) {
                continue;
            }
            if let Some((Some(pts), _)) = es::pes_header(payload) {
                let span = es::span_ms(first_pts, pts);
                // A PTS a little before the first (B-frames) is not a wrap of 26 hours.
                if span < es::span_ms(0, es::PTS_WRAP / 2) {
                    longest = Some(longest.map_or(span, |l| l.max(span)));
                }
            }
        }
        if n < buf.len() || whole == 0 {
            break;
        }
    }
    Ok(longest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::video::Mem;

    #[test]
    fn garbage_and_cuts_end_in_errors() {
        assert_eq!(read(Mem { bytes: &[0x47; 100], pos: 0 }).err(), Some(Error::NotThisFormat));
        // Sync bytes every 188 bytes and nothing else: no PAT, so no PMT.
        let mut packets = vec![0u8; 188 * 10];
        for p in packets.chunks_mut(188) {
            p[0] = 0x47;
            p[3] = 0x10;
        }
        assert_eq!(read(Mem { bytes: &packets, pos: 0 }).err(), Some(Error::Malformed));
    }

    #[test]
    fn pmt_streams_and_descriptors() {
        assert_eq!(audio_codec(0x06, &[0x0A, 1, 0, 0x6A, 1, 0]), AudioCodec::Ac3);
        assert_eq!(audio_codec(0x06, &[0x05, 4, b'D', b'T', b'S', b'1']), AudioCodec::Dts);
        assert_eq!(audio_codec(0x06, &[0x05, 200]), AudioCodec::Other, "cut descriptor");
        assert_eq!(earlier(es::PTS_WRAP - 10, 5), es::PTS_WRAP - 10);
        assert_eq!(earlier(5, 100), 5);
    }
}
