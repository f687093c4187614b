//! Box headers and zero-copy views over box bodies (ISO/IEC 14496-12 §4.2).
//!
//! A box is a 32-bit big-endian size, a four-character type, an optional 64-bit size (when the
//! 32-bit one is 1) and a body. A size of 0 means "to the end of the enclosing box or file".
//! [`Header::parse`] checks every size against what encloses the box, so a body never reaches
//! past its parent; [`Boxes`] iterates the children of a body, consuming at least a header's
//! worth of bytes per step, so iteration always ends. Nothing here indexes without a check.

use super::Error;

/// A four-character box type.
pub type FourCc = [u8; 4];

/// A parsed box header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The box type.
    pub kind: FourCc,
    /// Length of the header: 8, or 16 with a 64-bit size.
    pub header_len: u8,
    /// Size of the whole box, header included; never more than the space it was parsed in.
    pub size: u64,
}

impl Header {
    /// Parses the header at the start of `buf`, for a box that may take at most `room` bytes
    /// (what is left of its parent or file). `buf` needs 16 bytes only for a 64-bit size.
    pub fn parse(buf: &[u8], room: u64) -> Result<Header, Error> {
        let mut r = Bytes::new(buf);
        let size32 = r.u32()?;
        let kind = r.fourcc()?;
        let (size, header_len) = match size32 {
            0 => (room, 8),
            1 => (r.u64()?, 16),
            n => (u64::from(n), 8),
        };
        if size < u64::from(header_len) || size > room {
            return Err(Error::BadBox);
        }
        Ok(Header { kind, header_len, size })
    }

    /// Length of the body.
    pub fn body_len(&self) -> u64 {
        self.size - u64::from(self.header_len)
    }
}

/// The child boxes of a box body, as `(type, body)` pairs borrowed from it. After an error
/// the iterator yields nothing more.
#[derive(Debug, Clone)]
pub struct Boxes<'a> {
    rest: &'a [u8],
}

impl<'a> Boxes<'a> {
    /// The children laid out in `body`.
    pub fn new(body: &'a [u8]) -> Self {
        Boxes { rest: body }
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<(FourCc, &'a [u8]), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let rest = core::mem::take(&mut self.rest);
        let item = Header::parse(rest, rest.len() as u64).and_then(|h| {
            // `size <= room == rest.len()` and `header_len <= size`: both fit in usize.
            let size = h.size as usize;
            let body = rest.get(usize::from(h.header_len)..size).ok_or(Error::BadBox)?;
            self.rest = rest.get(size..).unwrap_or_default();
            Ok((h.kind, body))
        });
        Some(item)
    }
}

/// The body of the first child of `body` of type `kind`, if any.
pub fn find<'a>(body: &'a [u8], kind: &FourCc) -> Result<Option<&'a [u8]>, Error> {
    for child in Boxes::new(body) {
        let (k, b) = child?;
        if &k == kind {
            return Ok(Some(b));
        }
    }
    Ok(None)
}

/// The body of the box at the end of `path` below `body` (the first of each type), if any.
pub fn find_path<'a>(body: &'a [u8], path: &[&FourCc]) -> Result<Option<&'a [u8]>, Error> {
    let mut at = body;
    for kind in path {
        match find(at, kind)? {
            Some(b) => at = b,
            None => return Ok(None),
        }
    }
    Ok(Some(at))
}

/// Splits a full box body into its version, flags and the rest.
pub fn full(body: &[u8]) -> Result<(u8, u32, &[u8]), Error> {
    let mut r = Bytes::new(body);
    let vf = r.u32()?;
    Ok(((vf >> 24) as u8, vf & 0x00ff_ffff, r.rest()))
}

/// A big-endian reader over a byte slice; every read checks the length.
#[derive(Debug, Clone)]
pub struct Bytes<'a> {
    buf: &'a [u8],
}

impl<'a> Bytes<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Bytes { buf }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.buf.len() {
            return Err(Error::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<(), Error> {
        self.take(n).map(|_| ())
    }

    /// What is left.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// The next byte.
    pub fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.array::<1>()?[0])
    }

    /// The next big-endian `u16`.
    pub fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// The next big-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// The next big-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// The next four-character code.
    pub fn fourcc(&mut self) -> Result<FourCc, Error> {
        self.array()
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> alloc::vec::Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn sizes_are_checked_against_the_parent() {
        assert_eq!(Header::parse(&[0, 0, 0, 8, b'f', b'r', b'e', b'e'], 8).unwrap().size, 8);
        assert_eq!(Header::parse(&[0, 0, 0, 9, b'f', b'r', b'e', b'e'], 8), Err(Error::BadBox));
        assert_eq!(Header::parse(&[0, 0, 0, 7, b'f', b'r', b'e', b'e'], 8), Err(Error::BadBox));
        assert_eq!(Header::parse(&[0, 0, 0, 0, b'm', b'd', b'a', b't'], 100).unwrap().size, 100);
        let large = [0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 1, 0, 0, 0, 0];
        let h = Header::parse(&large, 1 << 33).unwrap();
        assert_eq!((h.size, h.header_len, h.body_len()), (1 << 32, 16, (1 << 32) - 16));
        assert_eq!(Header::parse(&large, 1 << 31), Err(Error::BadBox));
        let small = [0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 0, 0, 0, 0, 15];
        assert_eq!(Header::parse(&small, 100), Err(Error::BadBox));
        assert_eq!(Header::parse(&[0, 0, 0], 100), Err(Error::Truncated));
    }

    #[test]
    fn children_and_paths() {
        let inner = boxed(b"mdhd", &[1, 2, 3]);
        let mut mdia = boxed(b"free", &[]);
        mdia.extend(boxed(b"mdia", &inner));
        let moov = boxed(b"trak", &mdia);
        assert_eq!(find_path(&moov, &[b"trak", b"mdia", b"mdhd"]).unwrap(), Some(&[1, 2, 3][..]));
        assert_eq!(find_path(&moov, &[b"trak", b"minf"]).unwrap(), None);
        let kinds: alloc::vec::Vec<FourCc> = Boxes::new(&mdia).map(|c| c.unwrap().0).collect();
        assert_eq!(kinds, [*b"free", *b"mdia"]);
        // A child claiming more than its parent holds: one error, then nothing.
        let mut bad = boxed(b"free", &[]);
        bad.extend_from_slice(&[0, 0, 1, 0, b'x', b'x', b'x', b'x']);
        let mut it = Boxes::new(&bad);
        assert!(it.next().unwrap().is_ok());
        assert_eq!(it.next(), Some(Err(Error::BadBox)));
        assert_eq!(it.next(), None);
    }
}
