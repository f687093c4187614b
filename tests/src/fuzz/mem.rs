//! An in-memory `embedded_io` file: a byte slice with a position.

use core::convert::Infallible;

use embedded_io::{ErrorType, Read, Seek, SeekFrom};

/// A seekable, readable view of bytes; seeking past the end is allowed (reads then give 0).
#[derive(Debug, Clone)]
pub struct Mem<'a> {
    data: &'a [u8],
    pos: u64,
}

impl<'a> Mem<'a> {
    /// A view of `data`, at its start.
    pub fn new(data: &'a [u8]) -> Self {
        Mem { data, pos: 0 }
    }
}

impl ErrorType for Mem<'_> {
    type Error = Infallible;
}

impl Read for Mem<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let start = usize::try_from(self.pos).unwrap_or(usize::MAX).min(self.data.len());
        let rest = &self.data[start..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Mem<'_> {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, Infallible> {
        let len = self.data.len() as i64;
        let new = match pos {
            SeekFrom::Start(p) => i64::try_from(p).unwrap_or(i64::MAX),
            SeekFrom::End(d) => len.saturating_add(d),
            SeekFrom::Current(d) => (self.pos as i64).saturating_add(d),
        };
        self.pos = new.max(0) as u64;
        Ok(self.pos)
    }
}
