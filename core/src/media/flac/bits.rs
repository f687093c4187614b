//! An MSB-first bit reader over a byte slice, as FLAC frames are coded.
//!
//! Reads past the end of the slice return [`Error::Truncated`]: a frame in a buffer that does
//! not hold all of it yet is told apart from a damaged one. Bits are served from a 64-bit
//! cache refilled a byte at a time, so no read indexes the slice directly.

use super::Error;

/// The bit reader. See the module docs.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    /// Next byte of `data` to load into the cache.
    next: usize,
    /// Unread bits, left-aligned; the bits below `count` are zero.
    cache: u64,
    /// Unread bits in the cache.
    count: u32,
}

impl<'a> Bits<'a> {
    /// A reader at the first bit of `data`.
    pub(super) fn new(data: &'a [u8]) -> Self {
        Bits { data, next: 0, cache: 0, count: 0 }
    }

    fn refill(&mut self) {
        while self.count <= 56 {
            let Some(&b) = self.data.get(self.next) else { return };
            self.cache |= u64::from(b) << (56 - self.count);
            self.count += 8;
            self.next += 1;
        }
    }

    /// Reads `n` bits (at most 32) as an unsigned number.
    #[inline]
    pub(super) fn read(&mut self, n: u32) -> Result<u32, Error> {
        if n == 0 {
            return Ok(0);
        }
        if self.count < n {
            self.refill();
            if self.count < n {
                return Err(Error::Truncated);
            }
        }
        let v = (self.cache >> (64 - n)) as u32;
        self.cache = self.cache.checked_shl(n).unwrap_or(0);
        self.count -= n;
        Ok(v)
    }

    /// Reads `n` bits (at most 64) as an unsigned number.
    pub(super) fn read_u64(&mut self, n: u32) -> Result<u64, Error> {
        if n <= 32 {
            return self.read(n).map(u64::from);
        }
        let hi = u64::from(self.read(n - 32)?);
        Ok(hi << 32 | u64::from(self.read(32)?))
    }

    /// Reads `n` bits (at most 33) as a two's complement number.
    #[inline]
    pub(super) fn read_signed(&mut self, n: u32) -> Result<i64, Error> {
        if n == 0 {
            return Ok(0);
        }
        let v = self.read_u64(n)?;
        let shift = 64 - n;
        Ok(((v << shift) as i64) >> shift)
    }

    /// Reads a unary number: the count of zero bits before the next one bit. Counts beyond
    /// `u32::MAX` saturate (such a value is rejected by every caller).
    #[inline]
    pub(super) fn unary(&mut self) -> Result<u32, Error> {
        let mut zeros: u32 = 0;
        loop {
            if self.count == 0 {
                self.refill();
                if self.count == 0 {
                    return Err(Error::Truncated);
                }
            }
            let lz = self.cache.leading_zeros();
            if lz < self.count {
                self.cache = (self.cache << lz) << 1;
                self.count -= lz + 1;
                return Ok(zeros.saturating_add(lz));
            }
            zeros = zeros.saturating_add(self.count);
            self.cache = 0;
            self.count = 0;
        }
    }

    /// Reads a Rice-coded signed number with parameter `k` (at most 31): a unary quotient, `k`
    /// low bits, folded (0, -1, 1, -2, ...). `Error::Residual` when it does not fit an `i32`.
    #[inline]
    pub(super) fn rice(&mut self, k: u32) -> Result<i32, Error> {
        let q = u64::from(self.unary()?);
        let r = u64::from(self.read(k)?);
        let v = (q << k) | r;
        if v > u64::from(u32::MAX) {
            return Err(Error::Residual);
        }
        let v = v as u32;
        Ok((v >> 1) as i32 ^ -((v & 1) as i32))
    }

    /// Skips to the next byte boundary.
    pub(super) fn align(&mut self) {
        let drop = self.count % 8;
        self.cache <<= drop;
        self.count -= drop;
    }

    /// Bytes consumed so far (after [`Bits::align`], the exact byte position).
    pub(super) fn byte_pos(&self) -> usize {
        self.next - (self.count / 8) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads() {
        let mut b = Bits::new(&[0b1010_0000, 0b0001_1111, 0xFF, 0x80, 0x01]);
        assert_eq!(b.read(3), Ok(0b101));
        assert_eq!(b.unary(), Ok(8));
        assert_eq!(b.read_signed(4), Ok(-1));
        b.align();
        assert_eq!(b.byte_pos(), 2);
        assert_eq!(b.read_signed(9), Ok(-1));
        // Seven zeros left of 0x80, seven more of 0x01, then its one: 14 folds to 7.
        assert_eq!(b.rice(0), Ok(7));
        assert_eq!(b.read(32), Err(Error::Truncated));
    }
}
