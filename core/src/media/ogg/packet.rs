//! Packets out of pages: a sans-IO Ogg demuxer with bounded buffers.
//!
//! [`Demuxer`] owns two buffers, both bounded at construction:
//! - a page buffer, filled either by the caller ([`Demuxer::space`] + [`Demuxer::commit`], or
//!   [`Demuxer::feed`]) or from an [`embedded_io::Read`] source ([`Demuxer::fill_from`]). It
//!   starts at [`INITIAL_PAGE_BUF`] bytes and grows on demand to hold the largest page met, up
//!   to [`MAX_PAGE_LEN`] (the largest page Ogg can express): real streams use pages of 4-8 KiB;
//! - a packet buffer for packets that span pages, which grows up to the `max_packet` given to
//!   [`Demuxer::new`]. Longer packets are dropped and reported like a hole.
//!
//! Both grow only within the heap limit set by [`Demuxer::set_heap_limit`] (checked before
//! allocating): a page that cannot get room leaves [`Demuxer::is_stalled`] set, a packet that
//! cannot is dropped.
//!
//! A packet that begins and ends on one page is handed out zero-copy from the page buffer.
//!
//! Holes follow libogg: a gap in page sequence numbers (a lost page, or a page skipped by
//! [`sync`] because its CRC is wrong) drops the partial packet it interrupts and the
//! continuation at the start of the page after the gap; the next packet returned carries
//! [`Packet::after_hole`]. The demuxer follows one logical stream at a time: the caller decides
//! which pages to enter (see [`Demuxer::next_page`]), so multiplexed streams are skipped by not
//! asking for their packets.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use super::page::{sync, Page, Sync, HEADER_LEN, MAX_PAGE_LEN};

/// Initial size of the page buffer: one typical page (encoders close pages at about 4 KiB).
pub const INITIAL_PAGE_BUF: usize = 4096;
/// The page buffer grows in steps of this many bytes, to the length of the page that needs it.
const GROW_STEP: usize = 1024;

/// The header fields of the current page, copied out so the caller can hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageInfo {
    /// Byte offset of the page in the stream (as set by [`Demuxer::reset`]).
    pub offset: u64,
    /// Length of the page in bytes.
    pub len: usize,
    /// Granule position; -1 when no packet ends on the page.
    pub granule: i64,
    /// Logical stream serial number.
    pub serial: u32,
    /// Page sequence number.
    pub sequence: u32,
    /// The page starts with the continuation of a packet.
    pub continued: bool,
    /// First page of its logical stream.
    pub bos: bool,
    /// Last page of its logical stream.
    pub eos: bool,
}

impl PageInfo {
    /// Byte offset just past the page.
    pub fn end(&self) -> u64 {
        self.offset + self.len as u64
    }
}

/// One packet, borrowed from the demuxer until the next call on it.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// The packet bytes.
    pub data: &'a [u8],
    /// The page granule if this is the last packet that ends on its page, else -1.
    pub granule: i64,
    /// Last packet ending on a page flagged end-of-stream.
    pub eos: bool,
    /// Packets were lost just before this one (sequence gap, bad page, oversized packet).
    pub after_hole: bool,
    /// Offset of the page on which the packet ends.
    pub page_offset: u64,
}

/// State of the packet being assembled across pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    /// No packet is in progress.
    None,
    /// `partial` holds the start of a packet that continues on the next page.
    Building,
    /// The packet in progress exceeded the bound; its remaining segments are skipped.
    Dropping,
}

/// The current page in the page buffer and how far its segments have been consumed.
#[derive(Debug, Clone, Copy)]
struct Current {
    info: PageInfo,
    /// Start of the page in `buf`.
    start: usize,
    /// Next lacing value to read.
    seg: usize,
    /// Offset in the body of the next segment.
    body: usize,
    /// Packet state has been updated for this page (sequence, continuation).
    entered: bool,
}

/// A sans-IO Ogg demuxer: bytes in, pages and packets out. See the module docs.
#[derive(Debug)]
pub struct Demuxer {
    buf: Vec<u8>,
    head: usize,
    tail: usize,
    /// Stream offset of `buf[head]`.
    offset: u64,
    page: Option<Current>,
    partial: Vec<u8>,
    state: Partial,
    max_packet: usize,
    serial: Option<u32>,
    next_seq: Option<u32>,
    hole: bool,
    follow: Option<u32>,
    /// Most heap bytes the two buffers may hold together.
    limit: usize,
}

impl Demuxer {
    /// Heap the demuxer may use at most with this packet bound: page buffer plus packet buffer.
    pub const fn heap_bound(max_packet: usize) -> usize {
        MAX_PAGE_LEN + max_packet
    }

    /// A demuxer whose spanning packets may grow to `max_packet` bytes. Allocates the initial
    /// page buffer ([`INITIAL_PAGE_BUF`] bytes) now, fallibly; both buffers grow on demand (a
    /// packet that cannot get memory is dropped like an oversized one).
    pub fn new(max_packet: usize) -> Result<Self, TryReserveError> {
        let mut buf = Vec::new();
        buf.try_reserve_exact(INITIAL_PAGE_BUF)?;
        buf.resize(INITIAL_PAGE_BUF, 0);
        Ok(Demuxer {
            buf,
            head: 0,
            tail: 0,
            offset: 0,
            page: None,
            partial: Vec::new(),
            state: Partial::None,
            max_packet,
            serial: None,
            next_seq: None,
            hole: false,
            follow: None,
            limit: usize::MAX,
        })
    }

    /// Heap in use now.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.partial.capacity()
    }

    /// Limits the heap both buffers may hold together to `limit` bytes from now on (growth is
    /// checked against it before allocating; what is held already stays).
    pub fn set_heap_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// The page buffer is full without holding a whole page and may not grow (heap limit or
    /// allocation failure): more input cannot be taken.
    pub fn is_stalled(&self) -> bool {
        self.page.is_none() && self.head == 0 && self.tail == self.buf.len()
    }

    /// Grows the page buffer so that the page starting at `buf[head]` fits (or by one step when
    /// its length is not known yet), within [`MAX_PAGE_LEN`] and the heap limit.
    fn grow_page_buf(&mut self) {
        let pending = self.buf.get(self.head..self.tail).unwrap_or(&[]);
        let need = match Page::new_checked(pending) {
            Err(super::page::Error::Truncated) if pending.len() >= HEADER_LEN => {
                let table = pending.get(HEADER_LEN..).unwrap_or(&[]);
                let nseg = usize::from(pending.get(HEADER_LEN - 1).copied().unwrap_or(0));
                match table.get(..nseg) {
                    Some(t) => HEADER_LEN + nseg + t.iter().map(|&v| usize::from(v)).sum::<usize>(),
                    None => HEADER_LEN + nseg,
                }
            }
            _ => 0,
        };
        let len = need.max(self.buf.len() + 1).next_multiple_of(GROW_STEP).min(MAX_PAGE_LEN);
        let extra = len.saturating_sub(self.buf.len());
        let within = self.buf.capacity() + extra + self.partial.capacity() <= self.limit;
        if extra > 0 && within && self.buf.try_reserve_exact(extra).is_ok() {
            self.buf.resize(len, 0);
        }
    }

    /// Forgets all buffered bytes and packet state; the next byte supplied is at `offset` in the
    /// stream. Call after seeking the source.
    pub fn reset(&mut self, offset: u64) {
        self.head = 0;
        self.tail = 0;
        self.offset = offset;
        self.page = None;
        self.partial.clear();
        self.state = Partial::None;
        self.serial = None;
        self.next_seq = None;
        self.hole = false;
    }

    /// Stream offset of the next byte to be supplied.
    pub fn input_offset(&self) -> u64 {
        self.offset + (self.tail - self.head) as u64
    }

    /// Restricts [`Demuxer::next_packet`] to pages of one logical stream (`None`: any stream;
    /// the packet state then restarts whenever the serial changes). Survives
    /// [`Demuxer::reset`].
    pub fn follow(&mut self, serial: Option<u32>) {
        self.follow = serial;
    }

    /// Stream offset of the first byte not yet synced past: no page found later starts
    /// before it.
    pub fn scan_offset(&self) -> u64 {
        self.offset
    }

    /// Free space for more input, after compacting and, when the buffer is full without a
    /// whole page, growing it; write into it and call [`Demuxer::commit`]. Empty while a page
    /// occupies the whole buffer (then call [`Demuxer::next_page`]) or when the buffer may not
    /// grow ([`Demuxer::is_stalled`]).
    pub fn space(&mut self) -> &mut [u8] {
        let keep_from = self.page.map_or(self.head, |p| p.start.min(self.head));
        if keep_from > 0 {
            self.buf.copy_within(keep_from..self.tail, 0);
            self.head -= keep_from;
            self.tail -= keep_from;
            if let Some(p) = self.page.as_mut() {
                p.start -= keep_from;
            }
        }
        if self.tail == self.buf.len() && self.page.is_none() {
            self.grow_page_buf();
        }
        self.buf.get_mut(self.tail..).unwrap_or(&mut [])
    }

    /// Marks `n` bytes written into [`Demuxer::space`] as input.
    pub fn commit(&mut self, n: usize) {
        self.tail = (self.tail + n).min(self.buf.len());
    }

    /// Copies as much of `data` as fits into the buffer; returns how much was taken.
    pub fn feed(&mut self, data: &[u8]) -> usize {
        let space = self.space();
        let n = space.len().min(data.len());
        space.get_mut(..n).unwrap_or(&mut []).copy_from_slice(data.get(..n).unwrap_or(&[]));
        self.commit(n);
        n
    }

    /// Reads once from `src` into the buffer (at most `max` bytes); `Ok(0)` means end of input
    /// or a full buffer.
    pub fn fill_from<R: embedded_io::Read>(
        &mut self,
        src: &mut R,
        max: usize,
    ) -> Result<usize, R::Error> {
        let space = self.space();
        let len = space.len().min(max);
        let n = src.read(space.get_mut(..len).unwrap_or(&mut []))?;
        self.commit(n);
        Ok(n)
    }

    /// Advances to the next valid page in the buffer, leaving the current one (its packets not
    /// yet taken are dropped if the page was entered, skipped otherwise). `None`: more input is
    /// needed. A page becomes part of the packet stream only when [`Demuxer::next_packet`] is
    /// called on it, so the caller can skip pages of other logical streams.
    pub fn next_page(&mut self) -> Option<PageInfo> {
        if let Some(p) = self.page.take() {
            if p.entered && self.state == Partial::None && p.seg < seg_count(&self.buf, p.start) {
                // Unread packets of an entered page are lost: the next packet is after a hole.
                self.hole = true;
            }
        }
        loop {
            let avail = self.buf.get(self.head..self.tail).unwrap_or(&[]);
            match sync(avail) {
                Sync::Partial => return None,
                Sync::Skip(n) => {
                    self.head += n;
                    self.offset += n as u64;
                }
                Sync::Page(len) => {
                    let page = Page::new_checked(avail.get(..len).unwrap_or(&[])).ok()?;
                    let info = PageInfo {
                        offset: self.offset,
                        len,
                        granule: page.granule(),
                        serial: page.serial(),
                        sequence: page.sequence(),
                        continued: page.is_continued(),
                        bos: page.is_bos(),
                        eos: page.is_eos(),
                    };
                    self.page =
                        Some(Current { info, start: self.head, seg: 0, body: 0, entered: false });
                    self.head += len;
                    self.offset += len as u64;
                    return Some(info);
                }
            }
        }
    }

    /// The current page, if any.
    pub fn page(&self) -> Option<PageInfo> {
        self.page.map(|p| p.info)
    }

    /// Updates the packet state for entering the current page: serial switch, sequence gap,
    /// continuation handling.
    fn enter(&mut self) {
        let Some(mut cur) = self.page else { return };
        let info = cur.info;
        if self.serial != Some(info.serial) {
            self.serial = Some(info.serial);
            self.next_seq = None;
            self.partial.clear();
            self.state = Partial::None;
        }
        if self.next_seq.is_some_and(|n| n != info.sequence) {
            self.hole = true;
            self.partial.clear();
            self.state = Partial::None;
        }
        self.next_seq = Some(info.sequence.wrapping_add(1));
        if !info.continued && self.state != Partial::None {
            // A packet was promised to continue and did not: it is lost.
            self.hole = true;
            self.partial.clear();
            self.state = Partial::None;
        }
        if info.continued && self.state == Partial::None {
            // The continuation of a packet we never saw the start of: skip it.
            let page = Page::new_checked(self.page_bytes(&cur)).ok();
            let table = page.as_ref().map_or(&[][..], |p| p.segment_table());
            for &v in table {
                cur.seg += 1;
                cur.body += usize::from(v);
                if v < 255 {
                    break;
                }
            }
        }
        cur.entered = true;
        self.page = Some(cur);
    }

    fn page_bytes(&self, cur: &Current) -> &[u8] {
        self.buf.get(cur.start..cur.start + cur.info.len).unwrap_or(&[])
    }

    /// The next complete packet of the current page (assembling packets that began on earlier
    /// pages). `None`: the page holds no further packet end; call [`Demuxer::next_page`].
    pub fn next_packet(&mut self) -> Option<Packet<'_>> {
        // Each pass consumes at least one segment or returns, so the loop is bounded by the
        // page's 255 lacing values.
        loop {
            let cur = self.page?;
            if self.follow.is_some_and(|s| s != cur.info.serial) {
                return None;
            }
            if !cur.entered {
                self.enter();
                continue;
            }
            let nseg = seg_count(&self.buf, cur.start);
            let table_start = cur.start + HEADER_LEN;
            let body_start = table_start + nseg;
            let table = self.buf.get(table_start..body_start).unwrap_or(&[]);
            let last_end = table.iter().rposition(|&v| v < 255);
            let (mut seg, mut body, mut end) = (cur.seg, cur.body, None);
            while let Some(&v) = table.get(seg) {
                seg += 1;
                body += usize::from(v);
                if v < 255 {
                    end = Some(seg - 1);
                    break;
                }
            }
            let piece = body_start + cur.body..body_start + body;
            self.page = Some(Current { seg, body, ..cur });
            let Some(end) = end else {
                if !piece.is_empty() {
                    self.append(piece);
                }
                return None;
            };
            let last = Some(end) == last_end;
            let granule = if last { cur.info.granule } else { -1 };
            let eos = cur.info.eos && last;
            let page_offset = cur.info.offset;
            let mut state = self.state;
            if state == Partial::Building && !self.grow(piece.len()) {
                state = Partial::Dropping;
            }
            match state {
                Partial::None => {
                    let after_hole = core::mem::take(&mut self.hole);
                    let data = self.buf.get(piece).unwrap_or(&[]);
                    return Some(Packet { data, granule, eos, after_hole, page_offset });
                }
                Partial::Building => {
                    self.state = Partial::None;
                    self.partial.extend_from_slice(self.buf.get(piece).unwrap_or(&[]));
                    let after_hole = core::mem::take(&mut self.hole);
                    let data = &self.partial[..];
                    return Some(Packet { data, granule, eos, after_hole, page_offset });
                }
                Partial::Dropping => {
                    self.hole = true;
                    self.state = Partial::None;
                    self.partial.clear();
                }
            }
        }
    }

    /// Appends the start of a spanning packet (`buf[piece]`) to the packet buffer, within the
    /// bound.
    fn append(&mut self, piece: core::ops::Range<usize>) {
        if self.state == Partial::None {
            self.partial.clear();
            self.state = Partial::Building;
        }
        if self.state == Partial::Dropping {
            return;
        }
        if self.grow(piece.len()) {
            self.partial.extend_from_slice(self.buf.get(piece).unwrap_or(&[]));
        } else {
            self.partial.clear();
            self.state = Partial::Dropping;
        }
    }

    /// Makes room for `more` bytes in the packet buffer within the bound; `false` if the
    /// packet would exceed it or memory is short.
    fn grow(&mut self, more: usize) -> bool {
        let len = self.partial.len().saturating_add(more);
        if len > self.max_packet {
            return false;
        }
        if len <= self.partial.capacity() {
            return true;
        }
        // Grow to the exact need: the buffer ends up the size of the longest spanning packet.
        let extra = len - self.partial.len();
        let heap = self.buf.capacity() + len;
        heap <= self.limit && self.partial.try_reserve_exact(extra).is_ok()
    }
}

/// Number of lacing values of the page starting at `buf[start]`.
fn seg_count(buf: &[u8], start: usize) -> usize {
    usize::from(buf.get(start + HEADER_LEN - 1).copied().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of stream 1 with sequence `seq` holding `lacing` over a body of `fill` bytes.
    fn page(seq: u32, continued: bool, granule: i64, lacing: &[u8], fill: u8) -> Vec<u8> {
        let mut p = b"OggS\0".to_vec();
        p.push(u8::from(continued));
        p.extend_from_slice(&granule.to_le_bytes());
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(&seq.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.push(lacing.len() as u8);
        p.extend_from_slice(lacing);
        let body: usize = lacing.iter().map(|&v| usize::from(v)).sum();
        p.extend(core::iter::repeat_n(fill, body));
        Page::new_checked(&mut p[..]).unwrap().fill_checksum();
        p
    }

    /// All packets of `bytes` fed in chunks of `chunk`: (length, first byte, granule, hole).
    fn packets(bytes: &[u8], chunk: usize, max_packet: usize) -> Vec<(usize, u8, i64, bool)> {
        let mut d = Demuxer::new(max_packet).unwrap();
        let mut out = Vec::new();
        let mut rest = bytes;
        loop {
            while d.next_page().is_some() {
                while let Some(p) = d.next_packet() {
                    out.push((p.data.len(), p.data[0], p.granule, p.after_hole));
                }
            }
            if rest.is_empty() {
                return out;
            }
            let n = d.feed(&rest[..chunk.min(rest.len())]);
            rest = &rest[n..];
        }
    }

    #[test]
    fn packets_within_and_across_pages() {
        let mut s = page(0, false, 10, &[5, 255, 10], 1); // 5 | 265
        s.extend(page(1, false, -1, &[255, 255], 2)); // a packet begins...
        s.extend(page(2, true, -1, &[255], 3)); // ...continues...
        s.extend(page(3, true, 40, &[0, 7], 4)); // ...ends (765 bytes), then 7
        for chunk in [1, 7, 100, 100_000] {
            let got = packets(&s, chunk, 4096);
            assert_eq!(
                got,
                [(5, 1, -1, false), (265, 1, 10, false), (765, 2, -1, false), (7, 4, 40, false)]
            );
        }
    }

    #[test]
    fn holes_drop_the_packets_they_touch() {
        let mut s = page(0, false, 10, &[5], 1);
        s.extend(page(1, false, -1, &[255], 2)); // starts a packet
                                                 // page 2 is lost: its end of that packet and its own packet are gone
        s.extend(page(3, true, 50, &[20, 6], 4)); // continuation of an unseen start, then 6
        s.extend(page(4, false, 60, &[8], 5));
        let got = packets(&s, 64, 4096);
        assert_eq!(got, [(5, 1, 10, false), (6, 4, 50, true), (8, 5, 60, false)]);
        // A bad CRC is a hole too: the page is skipped by sync.
        let mut bad = page(0, false, 10, &[5], 1);
        let mut p1 = page(1, false, 20, &[9], 2);
        p1[30] ^= 1;
        bad.extend(p1);
        bad.extend(page(2, false, 30, &[3], 3));
        assert_eq!(packets(&bad, 13, 4096), [(5, 1, 10, false), (3, 3, 30, true)]);
    }

    #[test]
    fn oversized_packets_are_dropped() {
        let mut s = page(0, false, -1, &[255; 4], 1);
        s.extend(page(1, true, 10, &[255, 1, 3], 2));
        s.extend(page(2, false, 20, &[4], 3));
        assert_eq!(packets(&s, 512, 1000), [(3, 2, 10, true), (4, 3, 20, false)]);
        assert_eq!(packets(&s, 512, 2000)[0], (1276, 1, -1, false));
    }
}
