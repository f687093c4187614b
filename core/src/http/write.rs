//! Writing text into a caller's byte buffer.

use core::fmt;

/// Why a head or datagram could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WriteError {
    /// The buffer was too small; the whole output needs `needed` bytes.
    BufferTooSmall {
        /// Bytes the complete output takes.
        needed: usize,
    },
    /// A header name was not an HTTP token, or a value held CR, LF or NUL (which would let a
    /// value smuggle in headers of its own).
    InvalidHeader,
    /// The underlying [`fmt::Write`] failed.
    Format,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::BufferTooSmall { needed } => {
                write!(f, "buffer too small, {needed} bytes needed")
            }
            WriteError::InvalidHeader => f.write_str("invalid header name or value"),
            WriteError::Format => f.write_str("formatter error"),
        }
    }
}

impl core::error::Error for WriteError {}

/// A [`fmt::Write`] into a byte slice that keeps counting past the end.
///
/// Writes that do not fit are not stored, but the count goes on, so after formatting a whole
/// message [`SliceWriter::finish`] can say either how many bytes were written or how many the
/// message needs. It never returns a formatting error, so a `write!` never stops half-way.
#[derive(Debug)]
pub struct SliceWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> SliceWriter<'a> {
    /// A writer that fills `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceWriter { buf, len: 0 }
    }

    /// Bytes written or wanted so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether everything written so far fits in the buffer.
    pub fn fits(&self) -> bool {
        self.len <= self.buf.len()
    }

    /// The number of bytes written, or [`WriteError::BufferTooSmall`] with the size needed.
    pub fn finish(self) -> Result<usize, WriteError> {
        if self.fits() {
            Ok(self.len)
        } else {
            Err(WriteError::BufferTooSmall { needed: self.len })
        }
    }
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.saturating_add(s.len());
        // Once a write has not fitted, `self.len` is past the end and nothing more is stored, so
        // the stored prefix is always a prefix of the message.
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(s.as_bytes());
        }
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn counts_past_the_end() {
        let mut buf = [0u8; 10];
        let mut w = SliceWriter::new(&mut buf);
        w.write_str("HTTP/1.1 ").unwrap();
        w.write_str("200").unwrap();
        assert!(!w.fits());
        w.write_str("").unwrap();
        assert_eq!(w.len(), 12);
        assert_eq!(w.finish(), Err(WriteError::BufferTooSmall { needed: 12 }));
        // The part that fitted is the start of the message; the straddling write was not split.
        assert_eq!(&buf, b"HTTP/1.1 \0");

        let mut big = [0u8; 16];
        let mut w = SliceWriter::new(&mut big);
        write!(w, "HTTP/1.1 {}", 200).unwrap();
        assert_eq!(w.finish(), Ok(12));
        assert_eq!(&big[..12], b"HTTP/1.1 200");
    }
}
