//! The Vorbis bit packer, read side: values are packed least significant bit first.
//!
//! [`Reader`] never reads past its slice. Reading beyond the end of the packet yields `None`
//! ("end of packet"): header parsers turn that into an error, audio decoding treats it as the
//! spec's end-of-packet condition (the rest of the packet decodes as zero).

/// An LSB-first bit reader over one packet.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    /// Position of the next unread bit.
    pos: usize,
    /// Total bits in `data`.
    len: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned at the first bit of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0, len: data.len().saturating_mul(8) }
    }

    /// Bits left before the end of the packet.
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.len - self.pos
    }

    /// The next 32 bits without consuming them, zero-padded past the end of the packet.
    #[inline]
    pub(crate) fn peek32(&self) -> u32 {
        let byte = self.pos >> 3;
        let shift = (self.pos & 7) as u32;
        let word = match self.data.get(byte..byte + 8) {
            Some(b) => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                u64::from_le_bytes(a)
            }
            None => {
                let mut a = [0u8; 8];
                for (d, s) in a.iter_mut().zip(self.data.get(byte..).unwrap_or(&[])) {
                    *d = *s;
                }
                u64::from_le_bytes(a)
            }
        };
        (word >> shift) as u32
    }

    /// Consumes `n` bits that the caller knows are present (`n <= remaining()`).
    #[inline]
    pub(crate) fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.len);
    }

    /// Reads an `n`-bit unsigned value (`n <= 32`); `None` at end of packet.
    #[inline]
    pub(crate) fn read(&mut self, n: u32) -> Option<u32> {
        if n as usize > self.remaining() {
            self.pos = self.len;
            return None;
        }
        let v = if n == 0 { 0 } else { self.peek32() & (u32::MAX >> (32 - n)) };
        self.pos += n as usize;
        Some(v)
    }

    /// Reads one bit as a flag; `None` at end of packet.
    #[inline]
    pub(crate) fn bit(&mut self) -> Option<bool> {
        self.read(1).map(|b| b != 0)
    }
}

/// The spec's `ilog`: the position of the highest set bit, 0 for 0.
pub(crate) fn ilog(x: u32) -> u32 {
    32 - x.leading_zeros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lsb_first_across_bytes() {
        let mut r =
            Reader::new(&[0b1010_1100, 0b0000_0011, 0xff, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc]);
        assert_eq!(r.read(2), Some(0));
        assert_eq!(r.read(4), Some(0b1011));
        assert_eq!(r.read(4), Some(0b1110));
        assert_eq!(r.read(32), Some(0x8d04_bfc0));
        assert_eq!(r.remaining(), 72 - 42);
        assert_eq!(r.read(31), None);
        assert_eq!(r.read(1), None);
    }

    #[test]
    fn long_skips_and_reads_agree_with_bit_by_bit() {
        let data: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8).collect();
        let bit = |i: usize| u32::from(data[i / 8] >> (i % 8) & 1);
        let mut r = Reader::new(&data);
        let mut pos = 0;
        for (step, n) in [(3, 5), (0, 32), (70, 7), (1, 1), (100, 30), (9, 17)] {
            r.skip(step);
            pos += step;
            let want = (0..n).map(|k| bit(pos + k as usize) << k).sum::<u32>();
            assert_eq!(r.read(n), Some(want));
            pos += n as usize;
            assert_eq!(r.remaining(), 320 - pos);
        }
    }

    #[test]
    fn ilog_matches_spec_examples() {
        assert_eq!([0, 1, 2, 3, 4, 7, 8].map(ilog), [0, 1, 2, 2, 3, 3, 4]);
        assert_eq!(ilog(u32::MAX), 32);
    }
}
