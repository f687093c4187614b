//! A seekable Ogg Vorbis file: exact lengths, trimmed PCM and sample-accurate seeking.
//!
//! [`VorbisFile`] plays the part of libvorbisfile over an [`embedded_io`] `Read + Seek` source.
//! Opening finds every link of a chained file by bisection over byte offsets (never a decode),
//! so its cost grows with the logarithm of the file size. For each link it records the byte
//! range, the granule position of the first decoded frame (libvorbisfile's initial PCM offset,
//! before clamping) and the end granule; lengths in frames are exact without decoding.
//!
//! Reading decodes packet by packet and hands out the frames whose granule position lies in
//! the [`Span`] of their link (from `max(start, 0)` to the last page's granule, on the Ogg
//! timeline of [`crate::media::ogg::timeline`] that Opus shares), each position at most once:
//! end trimming cuts at the last page's granule even when that cuts more than the last packet.
//! Start trimming (the first timed page claims fewer frames than its packets decode, Vorbis I
//! spec A.2) is done as libvorbis does it, which is what every player built on libvorbisfile
//! outputs: the packets before the one that completes the first timed page are output from
//! `Span::first` on, and that packet, placed by the page's granule, loses the frames the
//! earlier ones already covered (the trim count, when it is no longer than that packet). The
//! spec would drop the stream's first frames instead; both give the same length. A read never
//! mixes links; [`VorbisFile::link`] tells which link the frames came from.
//!
//! [`VorbisFile::seek`] finds the link, bisects its pages by granule, backs up so that one
//! packet of pre-roll is decoded, and discards up to the exact frame; see `seek.rs` for why this
//! is right where libvorbisfile is not (non-zero first granule).
//!
//! Memory: the demuxer's page buffer and packet buffer, the current link's setup and decoder,
//! its comment packet and the link table. The two demuxer buffers start small and grow on
//! demand to the largest page and the longest page-spanning packet met (at most
//! [`MAX_PAGE_LEN`] and [`MAX_PACKET`]); for a 44.1 kHz stereo q5 stream everything stays
//! within 64 KiB on 32-bit targets, 68 KiB on 64-bit hosts (whose inverse MDCT keeps 4 KiB of
//! scratch for a vectorised FFT). Every allocation is checked against the budget given to
//! [`VorbisFile::open_with_budget`] first: the demuxer may grow only into what the budget
//! leaves after the rest, and a page that cannot fit fails the read with [`Error::Budget`].
//!
//! Bad input (truncated, corrupt, random bytes) yields an [`Error`] or an early end of stream,
//! never a panic; every loop consumes input or narrows a byte range.

mod open;
mod seek;

use alloc::vec::Vec;
use core::fmt;

use embedded_io::{Read, Seek, SeekFrom};

use crate::media::ogg::io::{self, Io};
use crate::media::ogg::packet::{Demuxer, INITIAL_PAGE_BUF};
pub use crate::media::ogg::page::MAX_PAGE_LEN;
use crate::media::ogg::timeline::{Cursor, Span};
use crate::media::tags::Comments;
use crate::media::vorbis::{self, packet_kind, Decoder, PacketKind};

/// Largest packet the reader assembles across pages. Vorbis audio packets are a few KiB; setup
/// headers from common encoders stay well below this.
pub const MAX_PACKET: usize = 64 * 1024;

/// Budget used by [`VorbisFile::open`].
pub const DEFAULT_BUDGET: usize = 1024 * 1024;

/// Why a file cannot be opened or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The source failed.
    Io(embedded_io::ErrorKind),
    /// No Vorbis stream where a link should start.
    NotVorbis,
    /// Vorbis headers missing or out of order.
    BadHeaders,
    /// A Vorbis header is invalid.
    Header(vorbis::Error),
    /// More logical streams in one link than the reader tracks.
    TooManyStreams,
    /// Opening or continuing would exceed the memory budget.
    Budget,
    /// An allocation within the budget failed.
    OutOfMemory,
    /// The output buffer cannot hold one frame of the current link.
    BufferTooSmall,
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
            Error::NotVorbis => f.write_str("not an Ogg Vorbis stream"),
            Error::BadHeaders => f.write_str("Vorbis headers missing or out of order"),
            Error::Header(e) => write!(f, "bad Vorbis header: {e}"),
            Error::TooManyStreams => f.write_str("too many logical streams in one link"),
            Error::Budget => f.write_str("memory budget exceeded"),
            Error::OutOfMemory => f.write_str("out of memory"),
            Error::BufferTooSmall => f.write_str("buffer smaller than one frame"),
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
    /// Offset of the page on which the setup header ends.
    pub setup_offset: u64,
    /// Offset just past that page: the first page holding only audio.
    pub audio_offset: u64,
    /// Serial of the Vorbis stream.
    pub serial: u32,
    /// Sample rate in Hz.
    pub rate: u32,
    /// Channel count.
    pub channels: u8,
    /// Short and long block sizes.
    pub blocksize: [u16; 2],
    /// Granule position of the first decoded frame by the first timed page's claim; negative
    /// when the start is trimmed (the reader then places it at `span.first()`, as libvorbis does).
    pub start: i64,
    /// Its output in the file's timeline: from `max(start, 0)` (libvorbisfile's initial PCM
    /// offset) to the last page's granule.
    pub span: Span,
}

/// The loaded link: its decoder and comment header.
struct Stream {
    decoder: Decoder,
    comment: Vec<u8>,
    /// Heap of setup and decoder, as reported when built.
    heap: usize,
}

/// What decoding one packet gave.
struct Decoded {
    frames: usize,
    granule: i64,
    page: u64,
    /// Packets were lost just before this one.
    hole: bool,
}

/// A seekable Ogg Vorbis file reader. See the module docs.
pub struct VorbisFile<R> {
    io: Io<R>,
    links: Vec<Link>,
    budget: usize,
    /// Index of the current link.
    index: usize,
    /// The current link.
    info: Link,
    /// Its decoder; `None` while a link is being entered (so two decoders never coexist) or
    /// after its headers failed to load.
    stream: Option<Stream>,
    /// Where reading stands in the current link; its frames index the decoder's PCM.
    cursor: Cursor,
    /// The current link has no more frames.
    link_done: bool,
    /// No link has more frames.
    done: bool,
}

impl<R: Read + Seek> VorbisFile<R> {
    /// Opens `src` with [`DEFAULT_BUDGET`].
    pub fn open(src: R) -> Result<Self, Error> {
        Self::open_with_budget(src, DEFAULT_BUDGET)
    }

    /// Opens `src`, refusing with [`Error::Budget`] before any allocation that would take the
    /// reader's heap past `budget` bytes.
    pub fn open_with_budget(mut src: R, budget: usize) -> Result<Self, Error> {
        if INITIAL_PAGE_BUF > budget {
            return Err(Error::Budget);
        }
        let len = src.seek(SeekFrom::End(0)).map_err(Error::io)?;
        let mut demux = Demuxer::new(MAX_PACKET).map_err(|_| Error::OutOfMemory)?;
        demux.set_heap_limit(budget);
        let mut io = Io::new(src, demux, len);
        let links = open::scan_links(&mut io, budget)?;
        let (stream, first) = Self::load(&mut io, &links, 0, budget)?;
        let mut file = VorbisFile {
            io,
            links,
            budget,
            index: 0,
            info: first,
            stream: Some(stream),
            cursor: Cursor::default(),
            link_done: false,
            done: false,
        };
        file.at_link_start(first, first.span.first());
        Ok(file)
    }

    /// Reads the headers of link `index` and builds its decoder within `budget`; the demuxer
    /// is left just after the setup header, its growth limited to what the budget leaves.
    fn load(
        io: &mut Io<R>,
        links: &[Link],
        index: usize,
        budget: usize,
    ) -> Result<(Stream, Link), Error> {
        let link = *links.get(index).ok_or(Error::NotVorbis)?;
        let table = core::mem::size_of_val(links);
        io.demux.set_heap_limit(budget.saturating_sub(table));
        let fixed = io.demux.heap_bytes() + table;
        let rest = budget.checked_sub(fixed).ok_or(Error::Budget)?;
        let h = match open::read_headers(io, link.offset, link.end, rest)? {
            open::Start::Vorbis(h) if h.serial == link.serial => h,
            _ => return Err(Error::BadHeaders),
        };
        let heap = h.setup.heap_bytes() + Decoder::buffer_bytes(&h.ident);
        let held = heap + h.comment.capacity() + table;
        if held + io.demux.heap_bytes() > budget {
            return Err(Error::Budget);
        }
        let decoder = Decoder::new(h.ident, h.setup).map_err(Error::Header)?;
        io.demux.set_heap_limit(budget - held);
        Ok((Stream { decoder, comment: h.comment, heap }, link))
    }

    /// Makes link `index` current, positioned at its start. If its headers cannot be loaded
    /// the error is returned once and the link counts as read.
    fn enter_link(&mut self, index: usize) -> Result<(), Error> {
        self.stream = None; // the old decoder goes before the new one is built
        let link = *self.links.get(index).ok_or(Error::NotVorbis)?;
        self.index = index;
        self.info = link;
        self.at_link_start(link, link.span.first());
        self.link_done = true;
        let (stream, _) = Self::load(&mut self.io, &self.links, index, self.budget)?;
        self.stream = Some(stream);
        self.link_done = false;
        Ok(())
    }

    /// Resets the decoder for a read from a new position.
    fn reset_decoder(&mut self) {
        if let Some(s) = self.stream.as_mut() {
            s.decoder.reset();
        }
    }

    /// Decoding state for reading `link` from its first audio packet. The first frame decoded
    /// is placed at `span.first()`: for a trimmed start that is libvorbis's placement (see the
    /// module docs); otherwise it equals `start`. Frames are handed out from granule `from` on.
    fn at_link_start(&mut self, link: Link, from: i64) {
        self.cursor.restart(link.span.first(), from);
        self.link_done = false;
        self.done = false;
    }

    /// The links of the file, in order.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// Exact number of frames in the whole file.
    pub fn total_frames(&self) -> u64 {
        self.links.last().map_or(0, |l| l.span.end_frame())
    }

    /// Index of the current link: the one the last frames read came from, or the next ones will.
    pub fn link(&self) -> usize {
        self.index
    }

    fn current(&self) -> Link {
        self.info
    }

    /// Sample rate of the current link.
    pub fn rate(&self) -> u32 {
        self.current().rate
    }

    /// Channel count of the current link.
    pub fn channels(&self) -> u8 {
        self.current().channels
    }

    /// The comment header of the current link.
    pub fn comments(&self) -> Option<Comments<'_>> {
        Comments::parse(&self.stream.as_ref()?.comment).ok()
    }

    /// Index of the next frame to be read, in the whole file.
    pub fn position(&self) -> u64 {
        if self.done {
            return self.total_frames();
        }
        self.cursor.position(&self.current().span)
    }

    /// Heap held now: buffers, current setup and decoder, comment, link table.
    pub fn heap_bytes(&self) -> usize {
        self.io.demux.heap_bytes()
            + self.stream.as_ref().map_or(0, |s| s.heap + s.comment.capacity())
            + self.links.capacity() * core::mem::size_of::<Link>()
    }

    /// The source back.
    pub fn into_inner(self) -> R {
        self.io.src
    }

    /// Decodes the next audio packet of the current link; `None` at the link's end.
    fn step(&mut self) -> Result<Option<Decoded>, Error> {
        let link = self.current();
        let Some(stream) = self.stream.as_mut() else { return Ok(None) };
        loop {
            if let Some(pkt) = self.io.demux.next_packet() {
                if packet_kind(pkt.data) != PacketKind::Audio {
                    continue;
                }
                let (granule, page, hole) = (pkt.granule, pkt.page_offset, pkt.after_hole);
                // A packet the decoder rejects is skipped, as libvorbisfile does.
                if let Ok(frames) = stream.decoder.decode(pkt.data) {
                    return Ok(Some(Decoded { frames, granule, page, hole }));
                }
                continue;
            }
            if self.io.next_page(link.end)?.is_none() {
                return Ok(None);
            }
        }
    }

    /// Accounts for a decoded packet on the link's timeline ([`Cursor::place`]): a packet
    /// placed back by a page's granule, as after a trimmed start, loses its frames that
    /// earlier packets covered.
    fn expose(&mut self, d: &Decoded) {
        if !self.cursor.place(&self.info.span, d.frames, d.granule, d.page) {
            self.link_done = true;
        }
    }

    /// Makes frames ready to read, moving to the next link when the current one is done.
    /// `false` at the end of the file. After `true`, [`VorbisFile::channels`] and
    /// [`VorbisFile::rate`] describe the frames the next read returns.
    pub fn prepare(&mut self) -> Result<bool, Error> {
        loop {
            if !self.cursor.avail().is_empty() {
                return Ok(true);
            }
            if self.done {
                return Ok(false);
            }
            if !self.link_done {
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
    /// a link change can raise the channel count, so size it after [`VorbisFile::prepare`].
    pub fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, Error> {
        if !self.ready(out.len())? {
            return Ok(0);
        }
        let Some(stream) = self.stream.as_ref() else { return Ok(0) };
        let n = stream.decoder.pcm().write_f32(self.cursor.avail(), out);
        self.cursor.consume(n);
        Ok(n)
    }

    /// Reads interleaved 16-bit frames (libvorbis rounding) of one link into `out`; returns the
    /// frame count, 0 at the end of the file.
    pub fn read_i16(&mut self, out: &mut [i16]) -> Result<usize, Error> {
        if !self.ready(out.len())? {
            return Ok(0);
        }
        let Some(stream) = self.stream.as_ref() else { return Ok(0) };
        let n = stream.decoder.pcm().write_i16(self.cursor.avail(), out);
        self.cursor.consume(n);
        Ok(n)
    }

    /// [`VorbisFile::prepare`], then checks that `len` samples hold at least one frame.
    fn ready(&mut self, len: usize) -> Result<bool, Error> {
        let ready = self.prepare()?;
        if ready && len < usize::from(self.channels()) {
            return Err(Error::BufferTooSmall);
        }
        Ok(ready)
    }
}
