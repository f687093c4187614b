//! The memory a [`Connection`](super::Connection) receives into and sends from.
//!
//! A board gives each connection fixed buffers carved from its static memory (`&mut [u8]`,
//! never grown); the host gives a [`Growable`] that starts small, grows only for what a request
//! or a response needs, up to a bound, and shrinks back when that is done, so an idle
//! connection holds only its initial size.

use alloc::vec::Vec;

/// A byte buffer the connection may ask to grow, and offer to shrink.
pub trait Storage {
    /// The usable bytes.
    fn bytes(&self) -> &[u8];
    /// The usable bytes, to write into.
    fn bytes_mut(&mut self) -> &mut [u8];
    /// Makes at least `len` bytes usable, keeping the contents; false if the buffer cannot
    /// grow that far (its bound, or no memory).
    fn grow(&mut self, len: usize) -> bool;
    /// Gives back memory beyond `len` bytes (and beyond the initial size); the first `len`
    /// bytes are kept.
    fn shrink(&mut self, len: usize);
    /// The most bytes [`Storage::grow`] can ever make usable.
    fn max_len(&self) -> usize;
}

/// A fixed buffer: never grows, never shrinks.
impl Storage for &mut [u8] {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        self
    }

    fn grow(&mut self, len: usize) -> bool {
        len <= self.len()
    }

    fn shrink(&mut self, _len: usize) {}

    fn max_len(&self) -> usize {
        self.len()
    }
}

/// A heap buffer of `initial` bytes that grows on demand up to `max` bytes (fallibly: a failed
/// allocation is a refusal, not an abort) and shrinks back to `initial`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Growable {
    buf: Vec<u8>,
    initial: usize,
    max: usize,
}

impl Growable {
    /// A buffer of `initial` zeroed bytes (no more than `max`) that may grow to `max`.
    pub fn new(initial: usize, max: usize) -> Self {
        let initial = initial.min(max);
        let mut buf = Vec::new();
        if buf.try_reserve_exact(initial).is_ok() {
            buf.resize(initial, 0);
        }
        Growable { buf, initial, max }
    }
}

impl Storage for Growable {
    fn bytes(&self) -> &[u8] {
        &self.buf
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    fn grow(&mut self, len: usize) -> bool {
        if len <= self.buf.len() {
            return true;
        }
        if len > self.max || self.buf.try_reserve_exact(len - self.buf.len()).is_err() {
            return false;
        }
        self.buf.resize(len, 0);
        true
    }

    fn shrink(&mut self, len: usize) {
        let keep = len.max(self.initial);
        if self.buf.len() > keep {
            self.buf.truncate(keep);
            self.buf.shrink_to_fit();
        }
    }

    fn max_len(&self) -> usize {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growable_grows_to_its_bound_and_shrinks_to_its_start() {
        let mut b = Growable::new(4, 16);
        assert_eq!(b.bytes().len(), 4);
        b.bytes_mut().copy_from_slice(b"abcd");
        assert!(b.grow(10));
        assert_eq!(b.bytes().get(..4), Some(&b"abcd"[..]));
        assert!(!b.grow(17));
        assert_eq!(b.bytes().len(), 10);
        b.shrink(2);
        assert_eq!(b.bytes(), b"abcd");
        assert_eq!(b.max_len(), 16);
    }

    #[test]
    fn a_slice_never_grows() {
        let mut mem = [0u8; 8];
        let mut b: &mut [u8] = &mut mem;
        assert!(b.grow(8));
        assert!(!b.grow(9));
        b.shrink(0);
        assert_eq!(b.bytes().len(), 8);
    }
}
