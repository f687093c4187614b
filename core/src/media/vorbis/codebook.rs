//! Codebooks: the Huffman trees and VQ value tables of the setup header (spec section 3).
//!
//! Decoding is table driven. Used entries are kept sorted by codeword; as the spec (like
//! libvorbis) only admits complete prefix codes, sorted codewords tile the code space without gaps,
//! so a codeword never needs storing: it is the running sum of `2^(32 - length)` of the entries
//! before it. A first-level table indexed by the next `fast_bits` stream bits resolves every short
//! codeword directly and points longer ones at the first sorted entry under that prefix, from
//! which a short scan finds the codeword (long codewords are rare by construction).
//!
//! VQ tables are not expanded: a lookup-type-1 book keeps its few distinct values and computes a
//! vector's elements from the entry number; a lookup-type-2 book keeps one value per element.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::bits::{ilog, Reader};
use super::{try_vec, Error};

/// Most used entries a codebook may have: far above what any encoder emits (a few thousand), and
/// it keeps entry indices in 16 bits.
const MAX_USED: usize = 1 << 16;
/// Most used entries for which first-level entries carry the codeword length.
const PACKED_MAX: usize = 1 << 11;
/// Upper limit on the first-level table's index width: 256 entries (512 bytes) at most per book.
const MAX_FAST_BITS: u32 = 8;

/// The value table of a VQ codebook.
struct Vq {
    /// 1: values are combined from `lookup_values` per-dimension values; 2: listed per entry.
    lookup_type: u8,
    /// Each element adds the previous one (`codebook_sequence_p`).
    sequence: bool,
    /// Number of distinct values per dimension (type 1).
    lookup_values: u32,
    /// `ceil(2^36 / lookup_values)`: dividing an entry number `q` of a book of two or more
    /// dimensions by `lookup_values` is then a multiply and a shift, exact as `q *
    /// lookup_values < 2^36`: `lookup_values <= 2^12` (its square is at most the entries) and
    /// `q < entries <= 2^24`. (A one-dimensional book never divides.)
    reciprocal: u64,
    /// `multiplicand * delta + minimum`, per value.
    values: Box<[f32]>,
}

/// One codebook: its Huffman decoder and optional VQ value table.
pub(crate) struct Codebook {
    /// Number of scalars in one VQ vector.
    pub(crate) dimensions: u16,
    /// Number of entries declared (used or not).
    pub(crate) entries: u32,
    /// Codeword lengths of the used entries, sorted by codeword.
    lens: Box<[u8]>,
    /// Entry numbers of the used entries, sorted by codeword: low 16 bits...
    values: Box<[u16]>,
    /// ... and the high 8 bits, only for books of more than 2^16 entries (else empty).
    values_hi: Box<[u8]>,
    /// Index width of `fast`.
    fast_bits: u32,
    /// First-level table: indexed by the next `fast_bits` bits in stream order, the sorted index
    /// of the codeword (short codes) or of the first codeword under that prefix (long codes).
    /// With at most `PACKED_MAX` used entries, the index is shifted left by 5 and the low 5 bits
    /// hold the codeword length minus one, saving a dependent load on the hot path.
    fast: Box<[u16]>,
    /// Whether `fast` entries carry lengths (see above).
    packed: bool,
    vq: Option<Vq>,
}

fn float32_unpack(x: u32) -> f32 {
    let mantissa = f64::from(x & 0x1f_ffff);
    let exponent = ((x & 0x7fe0_0000) >> 21) as i32;
    let v = crate::util::math::ldexp(mantissa, exponent - 788);
    (if x & 0x8000_0000 != 0 { -v } else { v }) as f32
}

/// The spec's `lookup1_values`: the greatest `r` with `r^dimensions <= entries`.
fn lookup1_values(entries: u32, dimensions: u16) -> u32 {
    let fits = |r: u32| {
        let mut acc: u64 = 1;
        for _ in 0..dimensions {
            acc = acc.saturating_mul(u64::from(r));
            if acc > u64::from(entries) {
                return false;
            }
        }
        true
    };
    let (mut lo, mut hi) = (0u32, entries.max(1));
    // Invariant: fits(lo), and every value above hi does not fit.
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// A boxed slice of `len` copies of `value`, allocated fallibly (a box, not a vector: books
/// are many and never grow, so two words per table are saved).
fn try_boxed<T: Clone>(len: usize, value: T) -> Result<Box<[T]>, Error> {
    try_vec(len, value).map(Vec::into_boxed_slice)
}

/// Reverses the low `n` bits of `x`.
fn reverse(x: u32, n: u32) -> u32 {
    if n == 0 {
        0
    } else {
        x.reverse_bits() >> (32 - n)
    }
}

impl Codebook {
    /// Reads one codebook from the setup header.
    pub(crate) fn parse(r: &mut Reader) -> Result<Codebook, Error> {
        let mut read = |n| r.read(n).ok_or(Error::BadSetup);
        if read(24)? != 0x56_4342 {
            return Err(Error::BadSetup);
        }
        let dimensions = read(16)? as u16;
        let entries = read(24)?;
        // Used entries in entry order as (left-justified codeword, entry, length).
        let mut used: Vec<(u32, u32, u8)> = Vec::new();
        let mut coder = CodeAssigner::new();
        let mut push = |used: &mut Vec<(u32, u32, u8)>, entry: u32, len: u32| {
            if used.len() >= MAX_USED {
                return Err(Error::Unsupported);
            }
            let code = coder.assign(len)?;
            used.try_reserve(1).map_err(|_| Error::OutOfMemory)?;
            used.push((code, entry, len as u8));
            Ok(())
        };
        let ordered = r.bit().ok_or(Error::BadSetup)?;
        if !ordered {
            let sparse = r.bit().ok_or(Error::BadSetup)?;
            // Every entry costs at least one bit, so `entries` is bounded by the packet size.
            if entries as usize > r.remaining() {
                return Err(Error::BadSetup);
            }
            for entry in 0..entries {
                if !sparse || r.bit().ok_or(Error::BadSetup)? {
                    let len = r.read(5).ok_or(Error::BadSetup)? + 1;
                    push(&mut used, entry, len)?;
                }
            }
        } else {
            let mut len = r.read(5).ok_or(Error::BadSetup)? + 1;
            let mut entry = 0u32;
            while entry < entries {
                let count = r.read(ilog(entries - entry)).ok_or(Error::BadSetup)?;
                if len > 32 || count > entries - entry {
                    return Err(Error::BadSetup);
                }
                for e in entry..entry + count {
                    push(&mut used, e, len)?;
                }
                entry += count;
                len += 1;
            }
        }
        if used.len() > 1 && !coder.complete() {
            return Err(Error::BadSetup);
        }
        let vq = Self::parse_vq(r, dimensions, entries)?;
        let mut book = Codebook {
            dimensions,
            entries,
            lens: Box::default(),
            values: Box::default(),
            values_hi: Box::default(),
            fast_bits: 0,
            fast: Box::default(),
            packed: false,
            vq,
        };
        book.build(&mut used)?;
        Ok(book)
    }

    fn parse_vq(r: &mut Reader, dimensions: u16, entries: u32) -> Result<Option<Vq>, Error> {
        let mut read = |n| r.read(n).ok_or(Error::BadSetup);
        let lookup_type = read(4)? as u8;
        if lookup_type == 0 {
            return Ok(None);
        }
        if lookup_type > 2 {
            return Err(Error::BadSetup);
        }
        let minimum = float32_unpack(read(32)?);
        let delta = float32_unpack(read(32)?);
        let value_bits = read(4)? + 1;
        let sequence = read(1)? != 0;
        let lookup_values = if lookup_type == 1 {
            lookup1_values(entries, dimensions)
        } else {
            entries.checked_mul(u32::from(dimensions)).ok_or(Error::BadSetup)?
        };
        if dimensions == 0 || lookup_values == 0 {
            return Err(Error::BadSetup);
        }
        // Each value is read from the packet, which bounds the allocation.
        if (lookup_values as usize).saturating_mul(value_bits as usize) > r.remaining() {
            return Err(Error::BadSetup);
        }
        let mut values = try_vec(lookup_values as usize, 0f32)?;
        for v in values.iter_mut() {
            let m = r.read(value_bits).ok_or(Error::BadSetup)?;
            *v = (f64::from(m) * f64::from(delta) + f64::from(minimum)) as f32;
        }
        let reciprocal = (1u64 << 36).div_ceil(u64::from(lookup_values));
        let values = values.into_boxed_slice();
        Ok(Some(Vq { lookup_type, sequence, lookup_values, reciprocal, values }))
    }

    /// Sorts the used entries by codeword and builds the first-level table.
    fn build(&mut self, used: &mut [(u32, u32, u8)]) -> Result<(), Error> {
        crate::util::heapsort::sort_unstable_by(used, |a, b| a.0.cmp(&b.0));
        self.lens = try_boxed(used.len(), 0u8)?;
        self.values = try_boxed(used.len(), 0u16)?;
        for ((l, v), u) in self.lens.iter_mut().zip(self.values.iter_mut()).zip(used.iter()) {
            *l = u.2;
            *v = u.1 as u16;
        }
        if self.entries > 1 << 16 {
            self.values_hi = try_boxed(used.len(), 0u8)?;
            for (h, u) in self.values_hi.iter_mut().zip(used.iter()) {
                *h = (u.1 >> 16) as u8;
            }
        }
        if used.len() < 2 {
            return Ok(());
        }
        let max_len = used.iter().map(|u| u32::from(u.2)).max().unwrap_or(1);
        self.fast_bits = max_len.min(ilog(used.len() as u32).clamp(4, MAX_FAST_BITS));
        let f = self.fast_bits;
        self.fast = try_boxed(1 << f, u16::MAX)?;
        self.packed = used.len() <= PACKED_MAX;
        for (i, &(code, _, len)) in used.iter().enumerate() {
            let len = u32::from(len);
            let prefix = code >> (32 - f);
            // `i < MAX_USED`, so it fits in 16 bits; packed, `i < 2^11` and `len - 1 < 2^5`.
            let slot_value =
                if self.packed { (i as u16) << 5 | (len - 1) as u16 } else { i as u16 };
            if len <= f {
                for p in prefix..prefix + (1 << (f - len)) {
                    if let Some(slot) = self.fast.get_mut(reverse(p, f) as usize) {
                        *slot = slot_value;
                    }
                }
            } else if let Some(slot) = self.fast.get_mut(reverse(prefix, f) as usize) {
                if *slot == u16::MAX {
                    *slot = slot_value;
                }
            }
        }
        Ok(())
    }

    /// Heap bytes held by this codebook.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.lens.len()
            + self.values.len() * 2
            + self.values_hi.len()
            + self.fast.len() * 2
            + self.vq.as_ref().map_or(0, |vq| vq.values.len() * 4)
    }

    /// Whether this book has a VQ value table (required for residue and floor 0 vectors).
    pub(crate) fn has_vq(&self) -> bool {
        self.vq.is_some()
    }

    /// Whether any entry is used (a book without used entries codes nothing).
    pub(crate) fn has_entries(&self) -> bool {
        !self.lens.is_empty()
    }

    /// Decodes one codeword and returns its entry number; `None` at end of packet.
    #[inline(always)]
    pub(crate) fn decode(&self, r: &mut Reader) -> Option<u32> {
        let (i, len) = if self.fast.is_empty() {
            // Zero or one used entry: the single entry reads its length in bits, whatever they
            // are. (libvorbis since 1.3.6 admits only length 1 here, older ones any length.)
            (0, u32::from(*self.lens.first()?))
        } else {
            self.lookup(r.peek32())?
        };
        if len as usize > r.remaining() {
            r.skip(r.remaining());
            return None;
        }
        r.skip(len as usize);
        let low = u32::from(*self.values.get(i)?);
        Some(self.values_hi.get(i).map_or(low, |&h| low | u32::from(h) << 16))
    }

    /// Finds the sorted index and length of the codeword at the start of `bits` (stream order).
    #[inline(always)]
    fn lookup(&self, bits: u32) -> Option<(usize, u32)> {
        let f = self.fast_bits;
        let slot = *self.fast.get((bits & ((1 << f) - 1)) as usize)?;
        let (mut i, len) = if self.packed {
            (usize::from(slot >> 5), u32::from(slot & 31) + 1)
        } else {
            (usize::from(slot), u32::from(*self.lens.get(usize::from(slot))?))
        };
        if len <= f {
            return Some((i, len));
        }
        // Scan the codewords sharing this prefix; they tile it in sorted order.
        let v = u64::from(bits.reverse_bits());
        let mut code = (v >> (32 - f)) << (32 - f);
        loop {
            let len = u32::from(*self.lens.get(i)?);
            let end = code + (1u64 << (32 - len));
            if v < end {
                return Some((i, len));
            }
            code = end;
            i += 1;
        }
    }

    /// Decodes one codeword and passes the elements of its VQ vector to `f(index, value)`.
    /// Returns `None` at end of packet (nothing is passed then) or if the book has no VQ table.
    #[inline]
    pub(crate) fn decode_vector(&self, r: &mut Reader, f: impl FnMut(usize, f32)) -> Option<()> {
        self.vector_with(r, false, f)
    }

    /// [`Codebook::decode`], never inlined: the decoder's rare paths (residue 0, floor 0,
    /// residue 1 books of unusual dimensions) share this one copy, as they share
    /// [`Codebook::decode_vector_rare`]; the hot paths inline their own.
    #[inline(never)]
    pub(crate) fn decode_rare(&self, r: &mut Reader) -> Option<u32> {
        self.decode(r)
    }

    /// [`Codebook::decode_vector`] for the rare paths (see [`Codebook::decode_rare`]): one copy,
    /// never inlined, `f` called through a pointer.
    #[inline(never)]
    pub(crate) fn decode_vector_rare(
        &self,
        r: &mut Reader,
        f: &mut dyn FnMut(usize, f32),
    ) -> Option<()> {
        self.vector_with(r, true, f)
    }

    /// [`Codebook::decode_vector`], the codeword read by [`Codebook::decode_rare`] if `rare`.
    #[inline(always)]
    fn vector_with(&self, r: &mut Reader, rare: bool, mut f: impl FnMut(usize, f32)) -> Option<()> {
        let vq = self.vq.as_ref()?;
        if !self.has_entries() {
            // A book without used entries codes nothing; libvorbis skips its vectors.
            return Some(());
        }
        let entry = if rare { self.decode_rare(r)? } else { self.decode(r)? };
        let dims = usize::from(self.dimensions);
        let mut q = u64::from(entry);
        let mut last = 0f32;
        let mut buf = [0f32; 8];
        for first in (0..dims).step_by(buf.len()) {
            let chunk = buf.get_mut(..(dims - first).min(8))?;
            vq.fill(entry, dims, first, &mut q, chunk)?;
            for (j, &m) in chunk.iter().enumerate() {
                let v = m + last;
                if vq.sequence {
                    last = v;
                }
                f(first + j, v);
            }
        }
        Some(())
    }

    /// Decodes one codeword of a book of `D` dimensions into `out`: the fast path of residue
    /// decoding, unrolled for the dimensions encoders use. The caller checks that the book has
    /// `D` dimensions and used entries. Returns `None` at end of packet or without a VQ table.
    #[inline(always)]
    pub(crate) fn decode_array<const D: usize>(
        &self,
        r: &mut Reader,
        out: &mut [f32; D],
    ) -> Option<()> {
        let vq = self.vq.as_ref()?;
        let entry = self.decode(r)?;
        let mut q = u64::from(entry);
        vq.fill(entry, D, 0, &mut q, out)?;
        if vq.sequence {
            let mut last = 0f32;
            for o in out.iter_mut() {
                *o += last;
                last = *o;
            }
        }
        Some(())
    }
}

impl Vq {
    /// Writes elements `first..first + out.len()` of the `dims`-element vector of `entry`,
    /// before the sequence sum. For lookup type 1, `q` holds `entry / lookup_values^first` and
    /// is advanced past the elements written. `None` if a type 2 row lies outside the table.
    #[inline(always)]
    fn fill(
        &self,
        entry: u32,
        dims: usize,
        first: usize,
        q: &mut u64,
        out: &mut [f32],
    ) -> Option<()> {
        if self.lookup_type == 1 {
            let lv = u64::from(self.lookup_values);
            for o in out.iter_mut() {
                // A one-dimensional book's index is the entry; otherwise the division is
                // exact (see `reciprocal`) and yields 0 for `q < lv`.
                let next = if dims == 1 { 0 } else { (*q * self.reciprocal) >> 36 };
                *o = self.values.get((*q - next * lv) as usize).copied().unwrap_or(0.0);
                *q = next;
            }
        } else {
            let base = entry as usize * dims + first;
            out.copy_from_slice(self.values.get(base..base + out.len())?);
        }
        Some(())
    }
}

/// Assigns codewords in entry order as the spec prescribes: each entry takes the numerically
/// lowest free codeword of its length. Free space is kept as at most one free subtree per depth;
/// deeper free subtrees always lie below (numerically) shallower ones.
struct CodeAssigner {
    /// Left-justified codeword of the free subtree at each depth 0..=32.
    free: [u32; 33],
    /// Bit `d` set: there is a free subtree at depth `d`.
    has: u64,
}

impl CodeAssigner {
    fn new() -> CodeAssigner {
        CodeAssigner { free: [0; 33], has: 1 }
    }

    /// Takes the lowest free codeword of `len` bits (1..=32), left-justified.
    fn assign(&mut self, len: u32) -> Result<u32, Error> {
        let mask = self.has & ((2u64 << len) - 1);
        if mask == 0 {
            return Err(Error::BadSetup); // over-full tree
        }
        let depth = 63 - mask.leading_zeros();
        let code = self.free[depth as usize];
        self.has &= !(1 << depth);
        for d in depth + 1..=len {
            self.free[d as usize] = code.checked_add(1 << (32 - d)).ok_or(Error::BadSetup)?;
            self.has |= 1 << d;
        }
        Ok(code)
    }

    /// Whether every codeword is taken.
    fn complete(&self) -> bool {
        self.has == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assigns_codewords_like_the_spec_example() {
        // Spec section 3.2.1: lengths 2 4 4 4 4 2 3 3 give 00 0100 0101 0110 0111 10 110 111.
        let mut c = CodeAssigner::new();
        let codes: Vec<u32> =
            [2, 4, 4, 4, 4, 2, 3, 3].iter().map(|&l| c.assign(l).unwrap() >> (32 - l)).collect();
        assert_eq!(codes, [0b00, 0b0100, 0b0101, 0b0110, 0b0111, 0b10, 0b110, 0b111]);
        assert!(c.complete());
        assert_eq!(c.assign(1), Err(Error::BadSetup));
    }

    #[test]
    fn lookup1_values_is_the_integer_root() {
        assert_eq!(lookup1_values(81, 4), 3);
        assert_eq!(lookup1_values(80, 4), 2);
        assert_eq!(lookup1_values(1, 8), 1);
        assert_eq!(lookup1_values(1 << 24, 1), 1 << 24);
        assert_eq!(lookup1_values(1000, 65535), 1);
    }

    #[test]
    fn float32_unpack_decodes_the_vorbis_float_format() {
        // mantissa 1, exponent 788: 1.0; sign bit negates.
        assert_eq!(float32_unpack((788 << 21) | 1), 1.0);
        assert_eq!(float32_unpack(0x8000_0000 | (788 << 21) | 3), -3.0);
        assert_eq!(float32_unpack((780 << 21) | 1), 1.0 / 256.0);
    }
}
