//! The Vorbis bit packer, read side: values are packed least significant bit first.
//!
//! [`Reader`] never reads past its slice. Reading beyond the end of the packet yields `None`
//! ("end of packet"): header parsers turn that into an error, audio decoding treats it as the
//! spec's end-of-packet condition (the rest of the packet decodes as zero).

/// An LSB-first bit reader over one packet.
///
/// The next unread bits are cached in a 64-bit word, refilled a whole number of bytes at a time
/// (one 8-byte load away from the packet's end), so decoding a codeword is a mask, a table
/// lookup and a shift, with no memory access in the dependency chain from one codeword to the
/// next.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    /// Bytes of `data` loaded into `bits` so far.
    next: usize,
    /// The next unread bits, least significant first: `avail` of them counted; the bits above
    /// are zero or the stream bits that follow (a refill ORs the same bits in again).
    bits: u64,
    /// Bits counted in `bits`, at most 63.
    avail: u32,
    /// Bits left before the end of the packet.
    left: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned at the first bit of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, next: 0, bits: 0, avail: 0, left: data.len().saturating_mul(8) }
    }

    /// Bits left before the end of the packet.
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.left
    }

    /// Loads whole bytes into `bits` while they fit: afterwards `avail >= 56`, or every byte
    /// of the packet is loaded.
    #[inline(always)]
    fn refill(&mut self) {
        if let Some(b) = self.data.get(self.next..self.next + 8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            // avail < 64, and the bytes not counted below are loaded again next time.
            self.bits |= u64::from_le_bytes(a) << self.avail;
            let bytes = (63 - self.avail) / 8;
            self.next += bytes as usize;
            self.avail += bytes * 8;
        } else {
            while self.avail <= 56 {
                let Some(&b) = self.data.get(self.next) else { break };
                self.bits |= u64::from(b) << self.avail;
                self.next += 1;
                self.avail += 8;
            }
        }
    }

    /// The next 32 bits without consuming them, zero-padded past the end of the packet.
    #[inline(always)]
    pub(crate) fn peek32(&mut self) -> u32 {
        if self.avail < 32 {
            self.refill();
        }
        self.bits as u32
    }

    /// Consumes `n` bits that the caller knows are present (`n <= remaining()`); beyond the
    /// end of the packet it stops there.
    #[inline(always)]
    pub(crate) fn skip(&mut self, n: usize) {
        if n <= self.avail as usize && n <= self.left {
            // n < 64.
            self.bits >>= n;
            self.avail -= n as u32;
            self.left -= n;
        } else {
            self.seek(self.data.len() * 8 - self.left + n);
        }
    }

    /// Moves to bit position `pos` (clamped to the end of the packet), emptying the cache.
    fn seek(&mut self, pos: usize) {
        let total = self.data.len() * 8;
        let pos = pos.min(total);
        self.left = total - pos;
        self.next = pos / 8;
        self.bits = 0;
        self.avail = 0;
        self.refill();
        let drop = (pos % 8) as u32;
        // The byte holding `pos` was loaded, so at least 8 > drop bits are counted.
        self.bits >>= drop;
        self.avail = self.avail.saturating_sub(drop);
    }

    /// Reads an `n`-bit unsigned value (`n <= 32`); `None` at end of packet.
    #[inline]
    pub(crate) fn read(&mut self, n: u32) -> Option<u32> {
        if n as usize > self.remaining() {
            self.skip(self.left);
            return None;
        }
        let v = if n == 0 { 0 } else { self.peek32() & (u32::MAX >> (32 - n)) };
        self.skip(n as usize);
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
