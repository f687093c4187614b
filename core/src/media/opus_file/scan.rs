//! Finding the links of a file: one pass over the page headers, reading only the header
//! packets and those of each link's first timed audio page (for their TOC durations).

use alloc::vec::Vec;

use embedded_io::{Read, Seek};

use super::{packet_frames, Error, Head, Link, MAX_PACKET};
use crate::media::ogg::io::Io;
use crate::media::ogg::timeline::{first_granule, Span};

/// A link being scanned.
struct Building {
    offset: u64,
    serial: u32,
    head: Option<Head>,
    /// Packets of the Opus stream seen so far (head, tags, then audio).
    packets: u32,
    audio_offset: u64,
    /// Samples of the audio packets up to the first timed page.
    sum: i64,
    start: Option<i64>,
    end_granule: i64,
    last_page: u64,
}

impl Building {
    fn new(offset: u64) -> Building {
        Building {
            offset,
            serial: 0,
            head: None,
            packets: 0,
            audio_offset: offset,
            sum: 0,
            start: None,
            end_granule: 0,
            last_page: offset,
        }
    }
}

/// The links of the file and the first link's `OpusTags` packet. [`Error::NotOpus`] when the
/// first link has no Opus stream (found at its first non-header page, not at the file's end).
pub(super) fn scan_links<R: Read + Seek>(io: &mut Io<R>) -> Result<(Vec<Link>, Vec<u8>), Error> {
    io.seek_to(0)?;
    io.demux.follow(None);
    let mut links: Vec<Link> = Vec::new();
    let mut tags = Vec::new();
    let mut cur: Option<Building> = None;
    let len = io.len;
    // Each pass consumes one page of the source.
    while let Some(p) = io.next_page(len)? {
        if p.bos {
            // The first BOS page, or one after a link's audio, starts a link; other BOS pages
            // are further streams multiplexed into the same link.
            if cur.as_ref().is_none_or(|b| b.packets > 2) {
                if let Some(b) = cur.take() {
                    finish(b, p.offset, &mut links)?;
                }
                cur = Some(Building::new(p.offset));
            }
            let Some(b) = cur.as_mut() else { continue };
            if b.head.is_none() {
                if let Some(pkt) = io.demux.next_packet() {
                    match Head::parse(pkt.data) {
                        Ok(h) => {
                            b.head = Some(h);
                            b.serial = p.serial;
                            b.packets = 1;
                        }
                        Err(Error::NotOpus) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            continue;
        }
        let Some(b) = cur.as_mut() else { continue };
        if b.head.is_none() {
            if links.is_empty() {
                return Err(Error::NotOpus);
            }
            continue;
        }
        if p.serial != b.serial {
            continue;
        }
        if b.start.is_none() {
            while let Some(pkt) = io.demux.next_packet() {
                if b.packets == 1 {
                    if !pkt.data.starts_with(b"OpusTags") {
                        return Err(Error::BadHead);
                    }
                    if links.is_empty() && pkt.data.len() <= MAX_PACKET {
                        tags.try_reserve_exact(pkt.data.len()).map_err(|_| Error::OutOfMemory)?;
                        tags.extend_from_slice(pkt.data);
                    }
                    b.packets = 2;
                    // The comment header finishes its page (RFC 7845 §3).
                    b.audio_offset = p.end();
                    continue;
                }
                b.packets = b.packets.saturating_add(1);
                b.sum = b.sum.saturating_add(packet_frames(pkt.data).unwrap_or(0) as i64);
                if pkt.granule != -1 {
                    // A negative start (a trimmed start, which RFC 7845 does not allow) is
                    // clamped to 0.
                    b.start = Some(first_granule(pkt.granule, b.sum, pkt.eos).max(0));
                }
            }
        }
        if p.granule != -1 && b.packets > 2 {
            b.end_granule = p.granule;
            b.last_page = p.offset;
        }
    }
    match cur {
        Some(b) => finish(b, len, &mut links)?,
        None => return Err(Error::NotOpus),
    }
    if links.is_empty() {
        return Err(Error::NotOpus);
    }
    Ok((links, tags))
}

/// Records a scanned link ending at `end`; a link without an Opus stream is left out (the
/// first one is refused with [`Error::NotOpus`]).
fn finish(b: Building, end: u64, links: &mut Vec<Link>) -> Result<(), Error> {
    let Some(head) = b.head else {
        return if links.is_empty() { Err(Error::NotOpus) } else { Ok(()) };
    };
    if b.packets < 2 {
        return Err(Error::BadHead);
    }
    let start = b.start.unwrap_or(0);
    let pcm_start = start.saturating_add(i64::from(head.pre_skip));
    let first_frame = links.last().map_or(0, |l| l.span.end_frame());
    links.try_reserve(1).map_err(|_| Error::OutOfMemory)?;
    links.push(Link {
        offset: b.offset,
        end,
        audio_offset: b.audio_offset,
        serial: b.serial,
        head,
        start,
        span: Span::new(pcm_start, b.end_granule, b.last_page, first_frame),
    });
    Ok(())
}
