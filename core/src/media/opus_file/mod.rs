//! A seekable Ogg Opus file (RFC 7845): exact lengths, trimmed 48 kHz PCM and sample-accurate
//! seeking, with the Opus decoder itself supplied by the caller.
//!
//! [`OpusFile`] plays the part of libopusfile over an [`embedded_io`] `Read + Seek` source.
//! Rill has no Opus decoder of its own: the choice was measured (see the README, "Opus
//! decoder") and the host links libopus, so the decoder comes in through the small [`Decoder`]
//! trait; the firmware has none and never opens Opus files.
//!
//! Opening reads the page headers of the whole file once (no decoding) and records each link
//! of a chained file: its `OpusHead` ([`Head`]), where its audio pages start, the granule
//! position of its first decoded sample (the first timed page's granule minus the durations,
//! read from the TOC bytes, of the packets ending on it: larger than 0 for a cropped start)
//! and its last page's granule. A link plays the samples whose granule lies in
//! `[start + pre_skip, last granule)` (its [`Span`], on the Ogg timeline of
//! [`crate::media::ogg::timeline`] that Vorbis shares): pre-skip dropped at its start, end trim
//! at its end, so its length is exact without decoding. The output gain of the header is applied to every
//! sample; the `R128_TRACK_GAIN`/`R128_ALBUM_GAIN` tags are not (a player's normalisation
//! choice, RFC 7845 §5.2.1; libopusfile's default too). Output is always 48 kHz, interleaved
//! in Vorbis channel order (mapping family 1), like `opusdec --float --rate 48000`.
//!
//! [`OpusFile::seek`] lands on the exact sample with RFC 7845's 80 ms pre-roll (§4.6): it
//! bisects the link's pages for one whose granule is at least 3840 samples before the target,
//! learns the position of the first packet read after it from the next timed page and the TOC
//! durations (no decode), resets the decoder there and discards up to the target; when the
//! target is within 80 ms of the link's start, it decodes from the start with pre-skip instead.
//! Samples after a seek differ from a full decode's only while the decoder converges.
//!
//! Memory: the demuxer's page and packet buffers (grown on demand to the largest page, at most
//! [`MAX_PAGE_LEN`], and the longest packet, at most [`MAX_PACKET`]), one packet of decoded
//! PCM (at most 120 ms × 8 channels of `f32`, 184 KiB), the first link's `OpusTags` (at most
//! [`MAX_PACKET`]) and the link table. Bad input yields an [`Error`] or an early end of stream,
//! never a panic.

mod head;
mod scan;
mod seek;

use alloc::vec::Vec;
use core::fmt;

use embedded_io::{Read, Seek, SeekFrom};

pub use self::head::{packet_frames, Head, MAX_CHANNELS, MAX_PACKET_FRAMES};
use crate::media::ogg::io::{self, Io};
use crate::media::ogg::packet::Demuxer;
pub use crate::media::ogg::page::MAX_PAGE_LEN;
use crate::media::ogg::timeline::{Cursor, Span};
use crate::media::tags::Comments;

/// Largest packet the reader assembles across pages (and the largest `OpusTags` kept).
pub const MAX_PACKET: usize = 64 * 1024;

/// Output sample rate: Opus always decodes to 48 kHz here.
pub const RATE: u32 = 48_000;

/// Samples decoded and discarded before a seek target (80 ms, RFC 7845 §4.6).
pub const PRE_ROLL: i64 = 3840;

/// Heap the demuxer may grow to.
const DEMUX_LIMIT: usize = 4 * MAX_PACKET + MAX_PAGE_LEN;

/// What an Opus decoder reported (its own error code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecoderError(pub i32);

impl fmt::Display for DecoderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Opus decoder error {}", self.0)
    }
}

/// An Opus decoder (RFC 6716, with the multistream framing of RFC 7845) for [`OpusFile`].
pub trait Decoder {
    /// Sets the decoder up for a link with this header (channels, streams, coupled streams,
    /// mapping), at 48 kHz, in a fresh state. Called before a link's first packet.
    fn configure(&mut self, head: &Head) -> Result<(), DecoderError>;
    /// Returns to a fresh state, keeping the configuration (after a seek).
    fn reset(&mut self);
    /// Decodes one Ogg packet into interleaved `out` (room for [`MAX_PACKET_FRAMES`] frames of
    /// the link's channels, in the order of the head's mapping); returns the frame count.
    fn decode(&mut self, packet: &[u8], out: &mut [f32]) -> Result<usize, DecoderError>;
}

/// A boxed decoder is one: how a platform hands its decoder to code that cannot name its type
/// (the server's `OpusDecoder`, with the `opus` feature).
impl<D: Decoder + ?Sized> Decoder for alloc::boxed::Box<D> {
    fn configure(&mut self, head: &Head) -> Result<(), DecoderError> {
        (**self).configure(head)
    }
    fn reset(&mut self) {
        (**self).reset();
    }
    fn decode(&mut self, packet: &[u8], out: &mut [f32]) -> Result<usize, DecoderError> {
        (**self).decode(packet, out)
    }
}

/// Whether `src` starts with an Ogg Opus stream: its first page's first packet begins with
/// `OpusHead` (RFC 7845 §5.1), whatever the file is named. Reads one page header and 8 bytes of
/// body at most; rewinds `src`.
pub fn is_opus<R: Read + Seek>(src: &mut R) -> Result<bool, Error> {
    use crate::media::ogg::page::{CAPTURE, HEADER_LEN};
    src.seek(SeekFrom::Start(0)).map_err(Error::io)?;
    // The page header, its lacing table (at most 255 bytes), and the magic.
    let mut page = [0u8; HEADER_LEN + 255 + 8];
    let mut got = 0;
    while got < page.len() {
        match src.read(page.get_mut(got..).unwrap_or_default()).map_err(Error::io)? {
            0 => break,
            n => got += n,
        }
    }
    src.seek(SeekFrom::Start(0)).map_err(Error::io)?;
    // The lacing table's length is the header's last byte.
    let body = HEADER_LEN + usize::from(page.get(HEADER_LEN - 1).copied().unwrap_or(0));
    let magic = page.get(body..body + 8).filter(|_| body + 8 <= got);
    Ok(page.starts_with(&CAPTURE) && magic == Some(b"OpusHead".as_slice()))
}

/// Why a file cannot be opened or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The source failed.
    Io(embedded_io::ErrorKind),
    /// No Opus stream where a link should start.
    NotOpus,
    /// An `OpusHead` is malformed, or the comment header is missing.
    BadHead,
    /// A channel mapping family or channel count Rill does not play.
    Unsupported,
    /// A page or packet too large for the reader's buffers.
    Budget,
    /// An allocation failed.
    OutOfMemory,
    /// The output buffer cannot hold one frame.
    BufferTooSmall,
    /// The decoder refused the link's configuration.
    Decoder(DecoderError),
}

impl Error {
    fn io(e: impl embedded_io::Error) -> Self {
        Error::Io(e.kind())
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e {
            io::Error::Io(kind) => Error::Io(kind),
            io::Error::Budget => Error::Budget,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(k) => write!(f, "read error: {k:?}"),
            Error::NotOpus => f.write_str("not an Ogg Opus stream"),
            Error::BadHead => f.write_str("bad Opus headers"),
            Error::Unsupported => f.write_str("unsupported Opus channel mapping"),
            Error::Budget => f.write_str("page or packet too large"),
            Error::OutOfMemory => f.write_str("out of memory"),
            Error::BufferTooSmall => f.write_str("buffer smaller than one frame"),
            Error::Decoder(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for Error {}

/// One link of a (possibly chained) file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Byte offset of the link's first page.
    pub offset: u64,
    /// Byte offset just past the link.
    pub end: u64,
    /// Offset of the first page after the comment header: the first audio page.
    pub audio_offset: u64,
    /// Serial of the Opus stream.
    pub serial: u32,
    /// Its identification header.
    pub head: Head,
    /// Granule position of the first decoded sample.
    pub start: i64,
    /// Its output in the file's timeline: from `start + pre_skip` to the last page's granule.
    pub span: Span,
}

/// What decoding one packet gave.
struct Decoded {
    frames: usize,
    granule: i64,
    page: u64,
}

/// A seekable Ogg Opus file reader. See the module docs.
pub struct OpusFile<R, D> {
    io: Io<R>,
    decoder: D,
    links: Vec<Link>,
    /// The first link's `OpusTags` packet.
    tags: Vec<u8>,
    /// Index of the current link.
    index: usize,
    /// The decoder is configured for the current link.
    configured: bool,
    /// Decoded PCM of the last packet, interleaved.
    pcm: Vec<f32>,
    /// Where reading stands in the current link; its frames index `pcm`.
    cursor: Cursor,
    /// The current link has no more frames.
    link_done: bool,
    /// No link has more frames.
    done: bool,
}

impl<R: Read + Seek, D: Decoder> OpusFile<R, D> {
    /// Opens `src`, decoding with `decoder`. [`Error::NotOpus`] when the file does not start
    /// with an Ogg Opus stream (so callers can try other formats).
    pub fn open(mut src: R, decoder: D) -> Result<Self, Error> {
        let len = src.seek(SeekFrom::End(0)).map_err(Error::io)?;
        let mut demux = Demuxer::new(MAX_PACKET).map_err(|_| Error::OutOfMemory)?;
        demux.set_heap_limit(DEMUX_LIMIT);
        let mut io = Io::new(src, demux, len);
        let (links, tags) = scan::scan_links(&mut io)?;
        let mut pcm = Vec::new();
        pcm.try_reserve_exact(MAX_PACKET_FRAMES * MAX_CHANNELS).map_err(|_| Error::OutOfMemory)?;
        pcm.resize(MAX_PACKET_FRAMES * MAX_CHANNELS, 0.0);
        let mut file = OpusFile {
            io,
            decoder,
            links,
            tags,
            index: 0,
            configured: false,
            pcm,
            cursor: Cursor::default(),
            link_done: false,
            done: false,
        };
        file.enter_link(0)?;
        Ok(file)
    }

    /// Makes link `index` current, positioned at its first audio packet.
    fn enter_link(&mut self, index: usize) -> Result<(), Error> {
        let link = *self.links.get(index).ok_or(Error::NotOpus)?;
        self.index = index;
        self.configured = false;
        self.link_done = true;
        self.decoder.configure(&link.head).map_err(Error::Decoder)?;
        self.configured = true;
        self.restart_link(link.span.first())
    }

    /// Restarts the current link from its first audio packet, handing out frames from `g` on.
    fn restart_link(&mut self, g: i64) -> Result<(), Error> {
        let link = self.current();
        self.io.seek_to(link.audio_offset)?;
        self.io.demux.follow(Some(link.serial));
        self.decoder.reset();
        self.cursor.restart(link.start, g);
        self.link_done = false;
        self.done = false;
        Ok(())
    }

    fn current(&self) -> Link {
        self.links.get(self.index).copied().unwrap_or(Link {
            offset: 0,
            end: 0,
            audio_offset: 0,
            serial: 0,
            head: Head {
                channels: 1,
                pre_skip: 0,
                input_rate: 0,
                gain: 0,
                family: 0,
                streams: 1,
                coupled: 0,
                mapping: [0; MAX_CHANNELS],
            },
            start: 0,
            span: Span::new(0, 0, 0, 0),
        })
    }

    /// The links of the file, in order.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// Exact number of frames in the whole file.
    pub fn total_frames(&self) -> u64 {
        self.links.last().map_or(0, |l| l.span.end_frame())
    }

    /// Index of the current link.
    pub fn link(&self) -> usize {
        self.index
    }

    /// Sample rate of the output: always 48 kHz.
    pub fn rate(&self) -> u32 {
        RATE
    }

    /// Channel count of the current link.
    pub fn channels(&self) -> u8 {
        self.current().head.channels
    }

    /// The first link's comment header (`OpusTags`: the fields of a Vorbis comment, without
    /// its packet type and `vorbis` magic, after the 8-byte `OpusTags` magic; RFC 7845 §5.2).
    pub fn comments(&self) -> Option<Comments<'_>> {
        Comments::parse_block(self.tags.get(8..)?).ok()
    }

    /// Index of the next frame to be read, in the whole file.
    pub fn position(&self) -> u64 {
        if self.done {
            return self.total_frames();
        }
        self.cursor.position(&self.current().span)
    }

    /// The source back.
    pub fn into_inner(self) -> R {
        self.io.src
    }

    /// Decodes the next audio packet of the current link; `None` at the link's end. A packet
    /// the decoder refuses becomes silence of its TOC duration (or is skipped if it has none),
    /// so positions stay right.
    fn step(&mut self) -> Result<Option<Decoded>, Error> {
        let link = self.current();
        let channels = usize::from(link.head.channels);
        loop {
            if let Some(pkt) = self.io.demux.next_packet() {
                let (granule, page) = (pkt.granule, pkt.page_offset);
                let Some(toc) = packet_frames(pkt.data) else { continue };
                let out = self.pcm.get_mut(..MAX_PACKET_FRAMES * channels).unwrap_or(&mut []);
                let frames = match self.decoder.decode(pkt.data, out) {
                    Ok(n) => n.min(MAX_PACKET_FRAMES),
                    Err(_) => {
                        out.iter_mut().take(toc * channels).for_each(|s| *s = 0.0);
                        toc
                    }
                };
                return Ok(Some(Decoded { frames, granule, page }));
            }
            if self.io.next_page(link.end)?.is_none() {
                return Ok(None);
            }
        }
    }

    /// Accounts for a decoded packet on the link's timeline ([`Cursor::place`]) and applies
    /// the header's output gain to the frames it makes available.
    fn expose(&mut self, d: &Decoded) {
        let link = self.current();
        if !self.cursor.place(&link.span, d.frames, d.granule, d.page) {
            self.link_done = true;
            return;
        }
        if link.head.gain != 0 {
            let gain = link.head.gain_factor();
            let (avail, c) = (self.cursor.avail(), usize::from(link.head.channels));
            let range = avail.start * c..avail.end * c;
            self.pcm.get_mut(range).unwrap_or(&mut []).iter_mut().for_each(|s| *s *= gain);
        }
    }

    /// Makes frames ready to read, moving to the next link when the current one is done.
    /// `false` at the end of the file. After `true`, [`OpusFile::channels`] describes the
    /// frames the next read returns.
    pub fn prepare(&mut self) -> Result<bool, Error> {
        loop {
            if !self.cursor.avail().is_empty() {
                return Ok(true);
            }
            if self.done {
                return Ok(false);
            }
            if !self.link_done && self.configured {
                match self.step()? {
                    Some(d) => self.expose(&d),
                    None => self.link_done = true,
                }
                continue;
            }
            let next = self.index + 1;
            if next >= self.links.len() {
                self.done = true;
            } else {
                self.enter_link(next)?;
            }
        }
    }

    /// Reads interleaved float frames of one link into `out`; returns the frame count, 0 at
    /// the end of the file. `out` must hold at least one frame ([`Error::BufferTooSmall`]);
    /// a link change can raise the channel count, so size it after [`OpusFile::prepare`].
    pub fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, Error> {
        let Some(src) = self.ready(out.len())? else { return Ok(0) };
        let n = src.len().min(out.len());
        if let Some(dst) = out.get_mut(..n) {
            dst.copy_from_slice(src.get(..n).unwrap_or(&[]));
        }
        let frames = n / usize::from(self.channels());
        self.cursor.consume(frames);
        Ok(frames)
    }

    /// Reads interleaved 16-bit frames (rounded to the nearest and clamped, no dither) of one
    /// link into `out`; returns the frame count, 0 at the end of the file.
    pub fn read_i16(&mut self, out: &mut [i16]) -> Result<usize, Error> {
        let Some(src) = self.ready(out.len())? else { return Ok(0) };
        let n = src.len().min(out.len());
        for (d, &s) in out.iter_mut().zip(src.iter().take(n)) {
            // Saturating float-to-int after clamping.
            *d = libm::roundf(s * 32_768.0).clamp(-32_768.0, 32_767.0) as i16;
        }
        let frames = n / usize::from(self.channels());
        self.cursor.consume(frames);
        Ok(frames)
    }

    /// [`OpusFile::prepare`], then the samples ready (whole frames that fit in `len`).
    fn ready(&mut self, len: usize) -> Result<Option<&[f32]>, Error> {
        if !self.prepare()? {
            return Ok(None);
        }
        let c = usize::from(self.channels());
        if len < c {
            return Err(Error::BufferTooSmall);
        }
        let avail = self.cursor.avail();
        let frames = avail.len().min(len / c);
        let from = avail.start * c;
        Ok(Some(self.pcm.get(from..from + frames * c).unwrap_or(&[])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes in memory, seekable from the start.
    struct Mem(Vec<u8>, usize);

    impl embedded_io::ErrorType for Mem {
        type Error = core::convert::Infallible;
    }

    impl Read for Mem {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
            let rest = self.0.get(self.1..).unwrap_or_default();
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.1 += n;
            Ok(n)
        }
    }

    impl Seek for Mem {
        fn seek(&mut self, pos: SeekFrom) -> Result<u64, Self::Error> {
            if let SeekFrom::Start(p) = pos {
                self.1 = p as usize;
            }
            Ok(self.1 as u64)
        }
    }

    /// A first page (header fields zero) whose lacing table has `lacing` entries of 255 and
    /// whose body starts with `body`.
    fn page(lacing: usize, body: &[u8]) -> Vec<u8> {
        let mut p = b"OggS".to_vec();
        p.resize(26, 0);
        p.push(lacing as u8);
        p.extend(core::iter::repeat_n(255, lacing));
        p.extend_from_slice(body);
        p
    }

    #[test]
    fn the_first_packet_decides_whether_a_file_is_opus() {
        let is = |bytes: Vec<u8>| {
            let mut m = Mem(bytes, 5);
            let r = is_opus(&mut m).unwrap();
            assert_eq!(m.1, 0, "rewound");
            r
        };
        assert!(is(page(1, b"OpusHead\x01\x02")));
        assert!(is(page(255, b"OpusHead")));
        assert!(!is(page(1, b"\x01vorbis\x00\x00")));
        assert!(!is(page(1, b"\x7FFLAC\x01\x00")));
        assert!(!is(page(1, b"OpusHea")));
        assert!(!is(page(255, b"")));
        assert!(!is(b"fLaC".to_vec()));
        assert!(!is(Vec::new()));
        let mut bad = page(1, b"OpusHead");
        bad[0] = b'X';
        assert!(!is(bad));
    }
}
