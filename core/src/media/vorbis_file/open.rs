//! Opening a file: the headers of a link, its initial PCM offset, its end, and the chain.

use alloc::vec::Vec;
use embedded_io::{Read, Seek};

use super::{Error, Link};
use crate::media::ogg::io::Io;
use crate::media::ogg::packet::PageInfo;
use crate::media::ogg::timeline::{first_granule, Span};
use crate::media::vorbis::{packet_kind, Ident, PacketKind, Setup};

/// Logical streams per link we track (a Vorbis stream plus video, subtitles and the like).
pub(super) const MAX_STREAMS: usize = 16;

/// The three headers of a link's Vorbis stream and where they end.
pub(super) struct Headers {
    /// Serials of every logical stream of the link (its BOS pages).
    pub(super) serials: heapless::Vec<u32, MAX_STREAMS>,
    /// Serial of the Vorbis stream.
    pub(super) serial: u32,
    pub(super) ident: Ident,
    /// The raw comment packet.
    pub(super) comment: Vec<u8>,
    pub(super) setup: Setup,
    /// The page on which the setup packet ends; the demuxer is left on it.
    pub(super) setup_page: PageInfo,
}

/// What starts a link.
#[allow(clippy::large_enum_variant)] // a return value, moved once: boxing would only allocate
pub(super) enum Start {
    /// A link with a Vorbis stream.
    Vorbis(Headers),
    /// A link of other streams only (Opus, FLAC, ...), with these serials.
    Other(heapless::Vec<u32, MAX_STREAMS>),
}

/// Reads the BOS pages and Vorbis headers of the link starting at `start`. The comment packet
/// may use at most `comment_budget` bytes. For a Vorbis link the demuxer is left on the setup
/// page, following the Vorbis stream, so the next packet read is the first after the setup
/// header.
pub(super) fn read_headers<R: Read + Seek>(
    io: &mut Io<R>,
    start: u64,
    limit: u64,
    comment_budget: usize,
) -> Result<Start, Error> {
    io.seek_to(start)?;
    io.demux.follow(None);
    let mut serials = heapless::Vec::new();
    let mut vorbis: Option<(u32, Ident)> = None;
    let mut comment: Option<Vec<u8>> = None;
    while let Some(p) = io.next_page(limit)? {
        if p.bos && !serials.contains(&p.serial) {
            serials.push(p.serial).map_err(|_| Error::TooManyStreams)?;
        }
        if serials.is_empty() {
            continue; // pages before the first BOS page: not a link start
        }
        match vorbis {
            None if p.bos => {
                if let Some(pkt) = io.demux.next_packet() {
                    if packet_kind(pkt.data) == PacketKind::Ident {
                        vorbis = Some((p.serial, Ident::parse(pkt.data).map_err(Error::Header)?));
                        io.demux.follow(Some(p.serial));
                    }
                }
            }
            None => return Ok(Start::Other(serials)),
            Some((serial, ident)) => {
                while let Some(pkt) = io.demux.next_packet() {
                    match (packet_kind(pkt.data), &comment) {
                        (PacketKind::Comment, None) => {
                            if pkt.data.len() > comment_budget {
                                return Err(Error::Budget);
                            }
                            let mut c = Vec::new();
                            c.try_reserve_exact(pkt.data.len()).map_err(|_| Error::OutOfMemory)?;
                            c.extend_from_slice(pkt.data);
                            comment = Some(c);
                        }
                        (PacketKind::Setup, Some(_)) => {
                            let setup = Setup::parse(&ident, pkt.data).map_err(Error::Header)?;
                            return Ok(Start::Vorbis(Headers {
                                serials,
                                serial,
                                ident,
                                comment: comment.unwrap_or_default(),
                                setup,
                                setup_page: p,
                            }));
                        }
                        _ => return Err(Error::BadHeaders),
                    }
                }
            }
        }
    }
    match vorbis {
        Some(_) => Err(Error::BadHeaders),
        None if serials.is_empty() => Err(Error::NotVorbis),
        None => Ok(Start::Other(serials)),
    }
}

/// Where the first decoded frame of a link lies in granule space, as libvorbisfile's
/// `_initial_pcmoffset` computes it (without its clamping, which the caller applies): the
/// granule of the first page that carries one, minus the frames the packets up to it produce.
/// A stream whose first timed page is also its last (EOS) and claims fewer frames than decoded
/// is cut at the end, not the start (Vorbis I spec, as libvorbis does), so it starts at 0.
/// Returns the start and the first timed page (`None` when the link has no timed audio page).
fn initial_position<R: Read + Seek>(
    io: &mut Io<R>,
    h: &Headers,
    limit: u64,
) -> Result<(i64, Option<PageInfo>), Error> {
    let mut produced: i64 = 0;
    let mut last_bs: Option<u16> = None;
    let mut page = h.setup_page;
    loop {
        while let Some(pkt) = io.demux.next_packet() {
            if packet_kind(pkt.data) != PacketKind::Audio {
                continue;
            }
            if let Some(bs) = h.setup.packet_blocksize(pkt.data) {
                if let Some(prev) = last_bs {
                    produced += (i64::from(prev) + i64::from(bs)) / 4;
                }
                last_bs = Some(bs);
            }
        }
        if page.offset != h.setup_page.offset && page.granule != -1 {
            return Ok((first_granule(page.granule, produced, page.eos), Some(page)));
        }
        page = loop {
            match io.next_page(limit)? {
                None => return Ok((0, None)),
                Some(p) if p.bos => return Ok((0, None)),
                Some(p) if p.serial == h.serial => break p,
                Some(_) => {}
            }
        };
    }
}

/// Finds every Vorbis link of the source: their headers, byte ranges, start and end positions.
/// Links without a Vorbis stream are passed over; the chain ends at bytes that start no link.
/// `budget` bounds the transient setup and the link table.
pub(super) fn scan_links<R: Read + Seek>(
    io: &mut Io<R>,
    budget: usize,
) -> Result<Vec<Link>, Error> {
    let mut links: Vec<Link> = Vec::new();
    let mut start = 0;
    let mut first_frame: u64 = 0;
    // The serial of the last page decides whether the first link runs to the end.
    let last_serial = io.last_page(0, io.len, |_| true)?.map(|p| p.serial);
    // Each round moves `start` past at least one page, so the loop ends.
    while start < io.len {
        let in_last = |serials: &[u32]| last_serial.is_some_and(|s| serials.contains(&s));
        let table = links.len() * core::mem::size_of::<Link>();
        io.demux.set_heap_limit(budget.saturating_sub(table));
        let comment_budget = budget.saturating_sub(table + io.demux.heap_bytes());
        let h = match read_headers(io, start, io.len, comment_budget) {
            Ok(Start::Vorbis(h)) => h,
            Ok(Start::Other(serials)) => {
                let end =
                    if in_last(&serials) { io.len } else { io.link_end(start, io.len, &serials)? };
                if end <= start {
                    break;
                }
                start = end;
                continue;
            }
            Err(e) if links.is_empty() => return Err(e),
            Err(_) => break, // trailing garbage or a link we cannot read: the chain ends
        };
        let held = (links.len() + 1) * core::mem::size_of::<Link>()
            + h.setup.heap_bytes()
            + h.comment.capacity();
        io.demux.set_heap_limit(budget.saturating_sub(held));
        let (start_pos, first_page) = initial_position(io, &h, io.len)?;
        let end = if in_last(&h.serials) {
            io.len
        } else {
            io.link_end(h.setup_page.end(), io.len, &h.serials)?
        };
        let audio = h.setup_page.end();
        let serial = h.serial;
        let last = match first_page {
            Some(_) => io.last_page(audio, end, |p| p.serial == serial && p.granule != -1)?,
            None => None,
        };
        let pcm_offset = start_pos.max(0);
        let last_granule = last.map_or(pcm_offset, |p| p.granule);
        let span = Span::new(pcm_offset, last_granule, last.map_or(end, |p| p.offset), first_frame);
        if held + io.demux.heap_bytes() > budget {
            return Err(Error::Budget);
        }
        links.try_reserve(1).map_err(|_| Error::OutOfMemory)?;
        links.push(Link {
            offset: start,
            end,
            setup_offset: h.setup_page.offset,
            audio_offset: audio,
            serial,
            rate: h.ident.rate,
            channels: h.ident.channels,
            blocksize: h.ident.blocksize,
            start: start_pos,
            span,
        });
        first_frame = span.end_frame();
        if end <= start {
            break;
        }
        start = end;
    }
    if links.is_empty() {
        return Err(Error::NotVorbis);
    }
    Ok(links)
}
