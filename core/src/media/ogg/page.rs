//! Ogg pages: a zero-copy view over the bytes of one page, the page CRC and capture-pattern sync.
//!
//! A page is a 27-byte header, a segment table of up to 255 lacing values and a body whose length
//! is the sum of the lacing values; at most [`MAX_PAGE_LEN`] bytes in all. [`Page::new_checked`]
//! verifies the capture pattern, the version and that the buffer holds the whole page; after that
//! no accessor can panic, because every field it reads lies inside the checked length.
//! [`sync`] finds the next page with a valid CRC in a byte stream, the way libogg's
//! `ogg_sync_pageseek` does: garbage and pages with a bad CRC are skipped.

use core::fmt;

/// The capture pattern that starts every page.
pub const CAPTURE: [u8; 4] = *b"OggS";
/// Length of the fixed part of the page header.
pub const HEADER_LEN: usize = 27;
/// The largest possible page: header, 255 lacing values, 255 segments of 255 bytes.
pub const MAX_PAGE_LEN: usize = HEADER_LEN + 255 + 255 * 255;

/// Header-type flag: the first packet on the page continues from the previous page.
const FLAG_CONTINUED: u8 = 0x01;
/// Header-type flag: first page of a logical stream.
const FLAG_BOS: u8 = 0x02;
/// Header-type flag: last page of a logical stream.
const FLAG_EOS: u8 = 0x04;

/// Byte offsets of the header fields.
mod field {
    pub const VERSION: usize = 4;
    pub const HEADER_TYPE: usize = 5;
    pub const GRANULE: usize = 6;
    pub const SERIAL: usize = 14;
    pub const SEQUENCE: usize = 18;
    pub const CHECKSUM: usize = 22;
    pub const SEGMENTS: usize = 26;
}

/// Why bytes are not an Ogg page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The buffer is shorter than the page it starts.
    Truncated,
    /// The buffer does not start with `OggS`.
    BadCapture,
    /// The stream structure version is not 0.
    BadVersion,
    /// The CRC does not match the page contents.
    BadCrc,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated Ogg page",
            Error::BadCapture => "no Ogg capture pattern",
            Error::BadVersion => "unsupported Ogg version",
            Error::BadCrc => "Ogg page CRC mismatch",
        })
    }
}

impl core::error::Error for Error {}

/// The CRC-32 lookup table for the Ogg polynomial 0x04c11db7 (unreflected, initial value 0),
/// computed at compile time.
const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut r = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            r = if r & 0x8000_0000 != 0 { (r << 1) ^ 0x04c1_1db7 } else { r << 1 };
            bit += 1;
        }
        table[i] = r;
        i += 1;
    }
    table
}

/// Continues an Ogg CRC-32 over `data`; start with `crc = 0`.
pub fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    data.iter().fold(crc, |crc, &b| (crc << 8) ^ CRC_TABLE[usize::from(((crc >> 24) as u8) ^ b)])
}

/// The Ogg CRC of a whole page, computed as if its checksum field were zero.
fn page_crc(page: &[u8]) -> u32 {
    let (head, rest) = page.split_at(page.len().min(field::CHECKSUM));
    let tail = rest.get(4..).unwrap_or(&[]);
    let crc = crc32_update(0, head);
    let crc = crc32_update(crc, &[0; 4]);
    crc32_update(crc, tail)
}

/// A read-only view over the bytes of one Ogg page (the buffer may hold more bytes after it).
#[derive(Debug, Clone, Copy)]
pub struct Page<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Page<T> {
    /// Wraps a buffer after checking capture pattern, version and length (not the CRC: see
    /// [`Page::crc_ok`]).
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let page = Page { buffer };
        page.check()?;
        Ok(page)
    }

    fn check(&self) -> Result<(), Error> {
        let b = self.buffer.as_ref();
        let head = b.get(..HEADER_LEN).ok_or(Error::Truncated)?;
        if head.get(..4) != Some(&CAPTURE[..]) {
            return Err(Error::BadCapture);
        }
        if head.get(field::VERSION) != Some(&0) {
            return Err(Error::BadVersion);
        }
        let segments = usize::from(head.get(field::SEGMENTS).copied().unwrap_or(0));
        let table = b.get(HEADER_LEN..HEADER_LEN + segments).ok_or(Error::Truncated)?;
        let body: usize = table.iter().map(|&v| usize::from(v)).sum();
        if b.len() < HEADER_LEN + segments + body {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    fn u32_at(&self, at: usize) -> u32 {
        let mut v = [0u8; 4];
        if let Some(s) = self.bytes().get(at..at + 4) {
            v.copy_from_slice(s);
        }
        u32::from_le_bytes(v)
    }

    /// The stream structure version (always 0 for a checked page).
    pub fn version(&self) -> u8 {
        self.bytes().get(field::VERSION).copied().unwrap_or(0)
    }

    fn header_type(&self) -> u8 {
        self.bytes().get(field::HEADER_TYPE).copied().unwrap_or(0)
    }

    /// The first packet on this page continues one begun on an earlier page.
    pub fn is_continued(&self) -> bool {
        self.header_type() & FLAG_CONTINUED != 0
    }

    /// First page of its logical stream.
    pub fn is_bos(&self) -> bool {
        self.header_type() & FLAG_BOS != 0
    }

    /// Last page of its logical stream.
    pub fn is_eos(&self) -> bool {
        self.header_type() & FLAG_EOS != 0
    }

    /// Granule position at the end of the last packet that ends on this page; -1 when none does.
    pub fn granule(&self) -> i64 {
        let mut v = [0u8; 8];
        if let Some(s) = self.bytes().get(field::GRANULE..field::GRANULE + 8) {
            v.copy_from_slice(s);
        }
        i64::from_le_bytes(v)
    }

    /// Serial number of the logical stream this page belongs to.
    pub fn serial(&self) -> u32 {
        self.u32_at(field::SERIAL)
    }

    /// Page sequence number within its logical stream.
    pub fn sequence(&self) -> u32 {
        self.u32_at(field::SEQUENCE)
    }

    /// The CRC stored in the header.
    pub fn checksum(&self) -> u32 {
        self.u32_at(field::CHECKSUM)
    }

    /// The lacing values: a packet ends at each value below 255.
    pub fn segment_table(&self) -> &[u8] {
        let n = usize::from(self.bytes().get(field::SEGMENTS).copied().unwrap_or(0));
        self.bytes().get(HEADER_LEN..HEADER_LEN + n).unwrap_or(&[])
    }

    /// Length of header plus segment table.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.segment_table().len()
    }

    /// Length of the body.
    pub fn body_len(&self) -> usize {
        self.segment_table().iter().map(|&v| usize::from(v)).sum()
    }

    /// Length of the whole page.
    pub fn total_len(&self) -> usize {
        self.header_len() + self.body_len()
    }

    /// The page body: the concatenated segments.
    pub fn body(&self) -> &[u8] {
        self.bytes().get(self.header_len()..self.total_len()).unwrap_or(&[])
    }

    /// Whether the stored CRC matches the page.
    pub fn crc_ok(&self) -> bool {
        let page = self.bytes().get(..self.total_len()).unwrap_or(&[]);
        page_crc(page) == self.checksum()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Page<T> {
    /// Recomputes and stores the CRC (for writers of pages, e.g. test tools re-paging a file).
    pub fn fill_checksum(&mut self) {
        let len = self.total_len();
        let crc = page_crc(self.bytes().get(..len).unwrap_or(&[]));
        if let Some(s) = self.buffer.as_mut().get_mut(field::CHECKSUM..field::CHECKSUM + 4) {
            s.copy_from_slice(&crc.to_le_bytes());
        }
    }
}

/// What [`sync`] found at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// A complete page with a valid CRC of this many bytes starts the buffer.
    Page(usize),
    /// The buffer may start a page but is too short to tell: supply more bytes.
    Partial,
    /// These many leading bytes (at least one) are not the start of a valid page: drop them.
    Skip(usize),
}

/// Looks for a valid page at the start of `buf`, like libogg's `ogg_sync_pageseek`.
///
/// Returns [`Sync::Skip`] with the distance to the next possible capture pattern when `buf`
/// does not start a page (garbage, bad version, bad CRC), so a caller looping on it always
/// makes progress and never reads any byte more than a few times.
pub fn sync(buf: &[u8]) -> Sync {
    if !buf.starts_with(&CAPTURE) {
        if CAPTURE.starts_with(buf) {
            return Sync::Partial;
        }
        return skip_to_capture(buf);
    }
    match Page::new_checked(buf) {
        Ok(page) if page.crc_ok() => Sync::Page(page.total_len()),
        Ok(_) | Err(Error::BadVersion) | Err(Error::BadCapture) | Err(Error::BadCrc) => {
            skip_to_capture(buf)
        }
        Err(Error::Truncated) => Sync::Partial,
    }
}

/// Distance from `buf[0]` to the next position (after 0) that starts or may start `OggS`.
fn skip_to_capture(buf: &[u8]) -> Sync {
    let from = 1.min(buf.len());
    let rest = buf.get(from..).unwrap_or(&[]);
    if let Some(p) = rest.windows(4).position(|w| w == CAPTURE) {
        return Sync::Skip(from + p);
    }
    // Keep a tail that is a prefix of the capture pattern: the rest of it may follow.
    let keep = (1..4)
        .rev()
        .find(|&k| rest.len() >= k && rest.get(rest.len() - k..) == CAPTURE.get(..k))
        .unwrap_or(0);
    let skip = buf.len() - keep;
    if skip == 0 {
        Sync::Partial
    } else {
        Sync::Skip(skip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a page with the given flags, granule and packets laced into it.
    fn build(flags: u8, granule: i64, serial: u32, seq: u32, lacing: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(b"OggS\0");
        p.push(flags);
        p.extend_from_slice(&granule.to_le_bytes());
        p.extend_from_slice(&serial.to_le_bytes());
        p.extend_from_slice(&seq.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.push(lacing.len() as u8);
        p.extend_from_slice(lacing);
        let body: usize = lacing.iter().map(|&v| usize::from(v)).sum();
        p.extend((0..body).map(|i| i as u8));
        let mut page = Page::new_checked(&mut p[..]).unwrap();
        page.fill_checksum();
        p
    }

    #[test]
    fn crc_matches_known_vector() {
        // The Ogg CRC (CRC-32/MPEG-2 without reflection, init 0, no final xor) of "123456789"
        // is 0x89a1897f (CRC catalogue, "CRC-32/OGG" variant with init 0).
        assert_eq!(crc32_update(0, b"123456789"), 0x89a1_897f);
    }

    #[test]
    fn parse_fields() {
        let p = build(FLAG_BOS | FLAG_CONTINUED, 1234, 0xdead_beef, 7, &[255, 10]);
        let page = Page::new_checked(&p[..]).unwrap();
        assert!(page.is_bos() && page.is_continued() && !page.is_eos());
        assert_eq!(page.granule(), 1234);
        assert_eq!(page.serial(), 0xdead_beef);
        assert_eq!(page.sequence(), 7);
        assert_eq!(page.segment_table(), &[255, 10]);
        assert_eq!(page.body_len(), 265);
        assert_eq!(page.total_len(), 27 + 2 + 265);
        assert!(page.crc_ok());
    }

    #[test]
    fn truncated_and_garbage() {
        let p = build(0, -1, 1, 0, &[100]);
        for n in 0..p.len() {
            assert!(Page::new_checked(&p[..n]).is_err());
            assert_eq!(sync(&p[..n]), Sync::Partial);
        }
        assert_eq!(sync(&p), Sync::Page(p.len()));
        let mut bad = p.clone();
        bad[40] ^= 1;
        assert_eq!(sync(&bad), Sync::Skip(bad.len()));
        let mut g = b"xxOg".to_vec();
        assert_eq!(sync(&g), Sync::Skip(2));
        g.extend_from_slice(&p[2..]);
        assert_eq!(sync(&g[2..]), Sync::Page(p.len()));
    }
}
