//! An MSB-first bit reader over one ALAC packet; every read is checked against its end.

use super::Error;

/// Reads bits from a byte slice, most significant first.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    /// Position in bits.
    pos: usize,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Bits { data, pos: 0 }
    }

    /// The 64 bits from the current position (zeros past the end).
    fn window(&self) -> u64 {
        let byte = self.pos / 8;
        let word = match self.data.get(byte..byte + 8) {
            Some(b) => u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            None => {
                let mut b = [0u8; 8];
                let tail = self.data.get(byte..).unwrap_or_default();
                let n = tail.len().min(8);
                b[..n].copy_from_slice(&tail[..n]);
                u64::from_be_bytes(b)
            }
        };
        word << (self.pos % 8)
    }

    /// Bits left.
    pub(super) fn left(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    /// Moves `n` bits on.
    pub(super) fn skip(&mut self, n: usize) -> Result<(), Error> {
        if n > self.left() {
            return Err(Error::Truncated);
        }
        self.pos += n;
        Ok(())
    }

    /// The next `n <= 32` bits, not consumed.
    pub(super) fn peek(&self, n: u32) -> u32 {
        if n == 0 {
            0
        } else {
            (self.window() >> (64 - n)) as u32
        }
    }

    /// The next `n <= 32` bits.
    pub(super) fn read(&mut self, n: u32) -> Result<u32, Error> {
        let v = self.peek(n);
        self.skip(n as usize)?;
        Ok(v)
    }

    /// The next `n <= 32` bits as a signed, sign-extended value.
    pub(super) fn read_signed(&mut self, n: u32) -> Result<i32, Error> {
        let v = self.read(n)?;
        Ok(sign_extend(v, n))
    }

    /// Leading one bits from the position, at most `max` (not consumed).
    pub(super) fn ones(&self, max: u32) -> u32 {
        (!self.window()).leading_zeros().min(max)
    }

    /// Moves to the next byte boundary.
    pub(super) fn align(&mut self) {
        self.pos = self.pos.div_ceil(8) * 8;
    }
}

/// `v`'s low `bits` bits (1 to 32) as a signed value.
pub(super) fn sign_extend(v: u32, bits: u32) -> i32 {
    let shift = 32 - bits.clamp(1, 32);
    ((v << shift) as i32) >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_bytes_and_stops_at_the_end() {
        let mut b = Bits::new(&[0b1011_0011, 0xff, 0x01]);
        assert_eq!(b.read(3).unwrap(), 0b101);
        assert_eq!(b.read_signed(5).unwrap(), 0b10011 - 32);
        assert_eq!(b.ones(9), 8);
        assert_eq!(b.read(12).unwrap(), 0xff0);
        assert_eq!(b.left(), 4);
        assert_eq!(b.read(5), Err(Error::Truncated));
        assert_eq!(b.read(4).unwrap(), 1);
        assert_eq!(sign_extend(0xffff_ffff, 32), -1);
        assert_eq!(sign_extend(0x8_0000, 20), -(1 << 19));
    }
}
