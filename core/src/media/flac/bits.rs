//! An MSB-first bit reader over a byte slice, as FLAC frames are coded.
//!
//! Reads past the end of the slice return [`Error::Truncated`]: a frame in a buffer that does
//! not hold all of it yet is told apart from a damaged one. Bits are served from a 64-bit
//! cache, refilled eight bytes at a time (one big-endian load) while eight remain and a byte
//! at a time near the end, so no read indexes the slice directly. Rice partitions, most of a
//! frame's bits, are decoded by [`Bits::rice_block`], which takes a whole residual from the
//! cache at once (a leading-zero count for the unary quotient) whenever it holds all of it.

use super::Error;

/// The bit reader. See the module docs.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    /// Next byte of `data` to load into the cache.
    next: usize,
    /// Unread bits, left-aligned. The bits below `count` are zero or the bits that follow in
    /// `data` (a whole-word refill loads part of a byte it does not count yet; the next refill
    /// ORs the same bits into the same place).
    cache: u64,
    /// Unread bits in the cache.
    count: u32,
}

impl<'a> Bits<'a> {
    /// A reader at the first bit of `data`.
    pub(super) fn new(data: &'a [u8]) -> Self {
        Bits { data, next: 0, cache: 0, count: 0 }
    }

    /// Tops the cache up to at least 57 bits, or to the end of `data`.
    #[inline]
    fn refill(&mut self) {
        if let Some(word) = self.data.get(self.next..).and_then(|d| d.first_chunk::<8>()) {
            // `count < 64` here (callers refill only a cache short of bits), so the shift is
            // in range; whole bytes are counted, the part of the next byte is not.
            let bytes = (64 - self.count) / 8;
            self.cache |= u64::from_be_bytes(*word) >> self.count;
            self.next += bytes as usize;
            self.count += bytes * 8;
            return;
        }
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

    /// Reads Rice-coded signed numbers with parameter `k` (at most 31) into every element of
    /// `out`, as [`Bits::rice`] does one at a time: from the cache in one step when it holds the
    /// whole code, through [`Bits::rice`] otherwise. The reader's state is kept in locals (in
    /// registers) across the fast path and written back before the slow one.
    #[inline]
    pub(super) fn rice_block(&mut self, k: u32, out: &mut [i32]) -> Result<(), Error> {
        let data = self.data;
        let mut rest = out;
        loop {
            let (mut cache, mut count, mut next) = (self.cache, self.count, self.next);
            let mut samples = rest.iter_mut();
            let mut slow = None;
            for s in samples.by_ref() {
                if count < 32 {
                    if let Some(word) = data.get(next..).and_then(|d| d.first_chunk::<8>()) {
                        // As `refill`: whole bytes counted, `count < 64` so the shift is in range.
                        let bytes = (64 - count) / 8;
                        cache |= u64::from_be_bytes(*word) >> count;
                        next += bytes as usize;
                        count += bytes * 8;
                    }
                }
                let lz = cache.leading_zeros();
                // `lz < 64` (else `len > count`), `k <= 31`: every shift below is under 64.
                let len = lz + 1 + k;
                if len > count {
                    slow = Some(s);
                    break;
                }
                // The stop bit and `k` low bits, the stop bit on top: `2^k + r`.
                let low = (cache << lz) >> (63 - k);
                let v = (u64::from(lz) << k) + low - (1u64 << k);
                if v > u64::from(u32::MAX) {
                    return Err(Error::Residual);
                }
                cache = (cache << lz) << (1 + k);
                count -= len;
                let v = v as u32;
                *s = (v >> 1) as i32 ^ -((v & 1) as i32);
            }
            (self.cache, self.count, self.next) = (cache, count, next);
            let Some(s) = slow else { return Ok(()) };
            *s = self.rice(k)?;
            rest = samples.into_slice();
        }
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

    /// `rice_block` decodes as `rice` does one value at a time, on the fast path (codes wholly
    /// in the cache), across refills, and at the end of the data.
    #[test]
    fn rice_block_matches_rice() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut data = [0u8; 700];
        for (i, b) in data.iter_mut().enumerate() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Runs of zero bytes make long unary quotients.
            *b = if i % 97 < 5 { 0 } else { x as u8 };
        }
        for k in [0, 1, 4, 9, 14, 20, 31] {
            for skip in [0, 3, 13] {
                let mut one = Bits::new(&data);
                let mut block = Bits::new(&data);
                assert_eq!(one.read(skip), block.read(skip));
                let mut want = [0i32; 64];
                let mut got = [0i32; 64];
                loop {
                    let w: Result<(), Error> = want.iter_mut().try_for_each(|s| {
                        *s = one.rice(k)?;
                        Ok(())
                    });
                    let g = block.rice_block(k, &mut got);
                    assert_eq!(w, g, "k {k}");
                    if w.is_err() {
                        break;
                    }
                    assert_eq!(want, got, "k {k}");
                    assert_eq!(one.byte_pos(), block.byte_pos());
                    assert_eq!(one.read(7), block.read(7));
                }
            }
        }
    }
}
