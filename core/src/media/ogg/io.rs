//! Page access over a seekable source, for the Opus, Vorbis and Ogg FLAC readers: forward scans
//! bounded by an offset, backward searches and the bisections that keep open and seek
//! logarithmic in the file size.
//!
//! Every loop here either consumes input (the demuxer skips or returns at least one byte per
//! step) or narrows a byte range, so each terminates within the size of the source.

use embedded_io::{Read, Seek, SeekFrom};

use super::packet::{Demuxer, PageInfo};

/// Why reading pages failed. Each reader built on [`Io`] turns it into its own error (`From`,
/// so `?` converts); [`Io`] is generic over the source alone, so readers of the same source
/// type (the firmware's Vorbis and Ogg FLAC) share one copy of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Error {
    /// The source failed.
    Io(embedded_io::ErrorKind),
    /// A page is longer than the demuxer may grow to within its heap limit.
    Budget,
}

impl Error {
    fn io(e: impl embedded_io::Error) -> Self {
        Error::Io(e.kind())
    }
}

/// Bytes requested from the source per read.
pub(crate) const CHUNK: u64 = 8192;

/// A source with a demuxer over it.
pub(crate) struct Io<R> {
    pub(crate) src: R,
    pub(crate) demux: Demuxer,
    /// Length of the source in bytes.
    pub(crate) len: u64,
}

impl<R: Read + Seek> Io<R> {
    /// Pages of `src`, `len` bytes long, through `demux`.
    pub(crate) fn new(src: R, demux: Demuxer, len: u64) -> Self {
        Io { src, demux, len }
    }

    /// Positions source and demuxer at `offset`.
    pub(crate) fn seek_to(&mut self, offset: u64) -> Result<(), Error> {
        self.src.seek(SeekFrom::Start(offset)).map_err(Error::io)?;
        self.demux.reset(offset);
        Ok(())
    }

    /// The next page that starts before `limit`, reading as needed; `None` at the end of the
    /// source or when the next page starts at or after `limit`.
    pub(crate) fn next_page(&mut self, limit: u64) -> Result<Option<PageInfo>, Error> {
        loop {
            if let Some(p) = self.demux.next_page() {
                return Ok((p.offset < limit).then_some(p));
            }
            if self.demux.scan_offset() >= limit {
                return Ok(None);
            }
            if self.demux.fill_from(&mut self.src, CHUNK as usize).map_err(Error::io)? == 0 {
                if self.demux.is_stalled() {
                    // A page longer than the buffer may grow to within the budget.
                    return Err(Error::Budget);
                }
                return Ok(None);
            }
        }
    }

    /// The first page at or after `from` (and before `limit`) that satisfies `want`.
    pub(crate) fn find_page(
        &mut self,
        from: u64,
        limit: u64,
        want: impl Fn(&PageInfo) -> bool,
    ) -> Result<Option<PageInfo>, Error> {
        self.seek_to(from)?;
        while let Some(p) = self.next_page(limit)? {
            if want(&p) {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    /// The last page starting in `[begin, end)` that satisfies `want`, searching backwards in
    /// growing windows (as libvorbisfile's `_get_prev_page` does).
    pub(crate) fn last_page(
        &mut self,
        begin: u64,
        end: u64,
        want: impl Fn(&PageInfo) -> bool,
    ) -> Result<Option<PageInfo>, Error> {
        let mut hi = end;
        let mut window = CHUNK;
        while hi > begin {
            let lo = hi.saturating_sub(window).max(begin);
            self.seek_to(lo)?;
            let mut best = None;
            while let Some(p) = self.next_page(hi)? {
                if want(&p) {
                    best = Some(p);
                }
            }
            if best.is_some() {
                return Ok(best);
            }
            hi = lo;
            window = window.saturating_mul(2);
        }
        Ok(None)
    }

    /// Offset of the first page in `[lo, end)` whose serial is not in `serials`, given that the
    /// pages before `lo` belong to the link and a foreign page (or the end) follows the link:
    /// libvorbisfile's `_bisect_forward_serialno`. Returns `end` when every page belongs.
    pub(crate) fn link_end(
        &mut self,
        mut lo: u64,
        end: u64,
        serials: &[u32],
    ) -> Result<u64, Error> {
        let (mut hi, mut found) = (end, end);
        while lo < hi {
            let probe = if hi - lo < CHUNK { lo } else { lo + (hi - lo) / 2 };
            self.seek_to(probe)?;
            match self.next_page(hi)? {
                Some(p) if serials.contains(&p.serial) => lo = p.end(),
                Some(p) => {
                    hi = probe;
                    found = p.offset;
                }
                None => hi = probe,
            }
        }
        Ok(found)
    }

    /// The last page of stream `serial` with a granule at most `key` among the pages starting
    /// in `[lo, hi)`, by bisection over byte offsets then a short linear scan.
    pub(crate) fn bisect_granule(
        &mut self,
        mut lo: u64,
        mut hi: u64,
        serial: u32,
        key: i64,
    ) -> Result<Option<PageInfo>, Error> {
        let timed = |p: &PageInfo| p.serial == serial && p.granule != -1;
        let mut best = None;
        while hi.saturating_sub(lo) > CHUNK {
            let mid = lo + (hi - lo) / 2;
            match self.find_page(mid, hi, timed)? {
                Some(p) if p.granule <= key => {
                    best = Some(p);
                    lo = p.end();
                }
                _ => hi = mid,
            }
        }
        self.seek_to(lo)?;
        while let Some(p) = self.next_page(hi)? {
            if timed(&p) {
                if p.granule > key {
                    break;
                }
                best = Some(p);
            }
        }
        Ok(best)
    }
}
