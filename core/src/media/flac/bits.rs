//! An MSB-first bit reader over a byte slice, as FLAC frames are coded.
//!
//! Reads past the end of the slice return [`Error::Truncated`]: a frame in a buffer that does
//! not hold all of it yet is told apart from a damaged one. Bits are served from a cache of one
//! machine word ([`Native`]: `u64` on 64-bit targets, `u32` on 32-bit ones, where every shift
//! of a `u64` is a library call), refilled a whole word at a time (one big-endian load) while a
//! word remains and a byte at a time near the end, so no read indexes the slice directly. Rice
//! partitions, most of a frame's bits, are decoded by [`Bits::rice_block`], which takes a whole
//! residual from the cache at once (a leading-zero count for the unary quotient) whenever it
//! holds all of it. Every value is computed in 32 bits (Rice values, reads of up to 32 bits) but
//! the 33-bit reads of a 32-bit stream's side channel.
//!
//! Speed: `rice_block` tops its cache up before a code whenever it holds fewer than
//! `W::REFILL_BELOW` bits, not when a code turns out not to fit: refilling only then put the
//! load on the chain from one code to the next (16-bit stereo 16 % slower, 24-bit 22 - 28 %;
//! see BENCHMARKS.md). Its leading-zero count takes the cache as it is: on x86-64 LLVM presets
//! `bsr`'s destination for a zero cache (`bsr` leaves it as it was), so that case costs nothing
//! on the chain; setting the uncounted lowest bit to rule it out (the cache then never filled to
//! its last bit) put an `or` and a copy before the count instead (9 - 12 % slower).
//!
//! On x86-64 CPUs with BMI1, BMI2 and LZCNT (detected once at run time, chosen for each
//! reader, so each frame) `rice_block` runs a copy of its loop compiled for them
//! ([`Bits::rice_block_bmi`]; the build targets baseline x86-64): the chain from one code to
//! the next is then `lzcnt` and two `shlx`, about 3 cycles, where baseline x86-64 has `bsr`
//! and its fix-up, about 7, and the shift counts need no moves into `cl`. With a 64-bit cache
//! the loop stores each code as `(q << k | r) + 2^k`, which is the quotient shifted plus the
//! stop bit and the remainder read as one number, and unfolds the zig-zag of the whole
//! partition afterwards in a loop LLVM vectorizes: 4 fewer instructions a code. Together
//! 16-bit stereo decodes about 1.4x and 24/96 stereo 1.3x faster; without LZCNT (`bsr` kept)
//! the copy gained nothing on 16-bit (see BENCHMARKS.md). The boards' 32-bit cache keeps the
//! loop as it was (no flash growth).

use core::ops::{Add, BitOr, BitOrAssign, Shl, Shr, Sub};

use super::Error;

#[cfg(target_arch = "x86_64")]
cpufeatures::new!(cpu_bmi, "bmi1", "bmi2");

/// Whether this CPU has BMI1, BMI2 and LZCNT, which [`Bits::rice_block_bmi`] is compiled for.
/// BMI1 and BMI2 come from `cpu_bmi`; LZCNT, which `cpufeatures` has no name for, from CPUID
/// leaf `0x8000_0001` (ECX bit 5; every x86-64 CPU has that leaf, whose EDX holds the
/// long-mode bit). Detected once; afterwards one load.
#[cfg(target_arch = "x86_64")]
fn cpu_bmi_lzcnt() -> bool {
    use core::sync::atomic::{AtomicU8, Ordering::Relaxed};
    /// 0: no, 1: yes, anything else: not detected yet.
    static FOUND: AtomicU8 = AtomicU8::new(u8::MAX);
    match FOUND.load(Relaxed) {
        0 => false,
        1 => true,
        _ => {
            // `__cpuid` is safe from Rust 1.89 on, `unsafe` before.
            #[allow(unused_unsafe, unsafe_code)]
            // SAFETY: CPUID is available on every x86-64 CPU, with this leaf (see above).
            let ext = unsafe { core::arch::x86_64::__cpuid(0x8000_0001) };
            let found = cpu_bmi::get() && ext.ecx & 1 << 5 != 0;
            FOUND.store(u8::from(found), Relaxed);
            found
        }
    }
}

/// The cache word of this target: its register width.
#[cfg(target_pointer_width = "64")]
pub(super) type Native = u64;
/// The cache word of this target: its register width.
#[cfg(not(target_pointer_width = "64"))]
pub(super) type Native = u32;

/// A cache word: `u32` or `u64`.
pub(super) trait Word:
    Copy
    + PartialOrd
    + From<u8>
    + From<u32>
    + Shl<u32, Output = Self>
    + Shr<u32, Output = Self>
    + BitOr<Output = Self>
    + BitOrAssign
    + Add<Output = Self>
    + Sub<Output = Self>
{
    /// Width in bits.
    const BITS: u32;
    /// Zero.
    const ZERO: Self;
    /// [`Bits::rice_block`] refills its cache when it holds fewer bits than this (at least one
    /// whole byte of room; for `u64` half the word, which all but rare codes fit).
    const REFILL_BELOW: u32;
    /// The word of the bytes at `at` of `data`, big-endian, if that many are left.
    fn load(data: &[u8], at: usize) -> Option<Self>;
    /// Leading zero bits.
    fn leading_zeros(self) -> u32;
    /// The low 32 bits.
    fn low_u32(self) -> u32;
}

impl Word for u32 {
    const BITS: u32 = 32;
    const ZERO: Self = 0;
    const REFILL_BELOW: u32 = 25;
    #[inline(always)]
    fn load(data: &[u8], at: usize) -> Option<Self> {
        data.get(at..).and_then(|d| d.first_chunk()).map(|w| u32::from_be_bytes(*w))
    }
    #[inline(always)]
    fn leading_zeros(self) -> u32 {
        u32::leading_zeros(self)
    }
    #[inline(always)]
    fn low_u32(self) -> u32 {
        self
    }
}

impl Word for u64 {
    const BITS: u32 = 64;
    const ZERO: Self = 0;
    const REFILL_BELOW: u32 = 32;
    #[inline(always)]
    fn load(data: &[u8], at: usize) -> Option<Self> {
        data.get(at..).and_then(|d| d.first_chunk()).map(|w| u64::from_be_bytes(*w))
    }
    #[inline(always)]
    fn leading_zeros(self) -> u32 {
        u64::leading_zeros(self)
    }
    #[inline(always)]
    fn low_u32(self) -> u32 {
        self as u32
    }
}

/// The bit reader. See the module docs.
pub(super) struct Bits<'a, W: Word = Native> {
    data: &'a [u8],
    /// Next byte of `data` to load into the cache.
    next: usize,
    /// Unread bits, left-aligned. The bits below `count` are zero or the bits that follow in
    /// `data` (a whole-word refill loads part of a byte it does not count yet; the next refill
    /// ORs the same bits into the same place).
    cache: W,
    /// Unread bits in the cache, at most `W::BITS`.
    count: u32,
    /// Whether [`Bits::rice_block`] runs [`Bits::rice_block_bmi`]: a 64-bit cache on a CPU
    /// [`cpu_bmi_lzcnt`] found fit, chosen once a reader (a frame).
    #[cfg(target_arch = "x86_64")]
    bmi: bool,
}

impl<'a, W: Word> Bits<'a, W> {
    /// A reader at the first bit of `data`.
    pub(super) fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            next: 0,
            cache: W::ZERO,
            count: 0,
            #[cfg(target_arch = "x86_64")]
            bmi: W::BITS == 64 && cpu_bmi_lzcnt(),
        }
    }

    /// Tops the cache up to at least `W::BITS - 7` bits, or to the end of `data`. Only called
    /// with `count < W::BITS`, so every shift is in range.
    #[inline]
    fn refill(&mut self) {
        if let Some(word) = W::load(self.data, self.next) {
            // Whole bytes are counted, the part of the next byte is not.
            let bytes = (W::BITS - self.count) / 8;
            self.cache |= word >> self.count;
            self.next += bytes as usize;
            self.count += bytes * 8;
            return;
        }
        while self.count <= W::BITS - 8 {
            let Some(&b) = self.data.get(self.next) else { return };
            self.cache |= W::from(b) << (W::BITS - 8 - self.count);
            self.count += 8;
            self.next += 1;
        }
    }

    /// Reads `n` bits (at most 32) as an unsigned number.
    #[inline]
    pub(super) fn read(&mut self, n: u32) -> Result<u32, Error> {
        if n > W::BITS - 8 {
            // More than a refill guarantees (a 32-bit cache, over 24 bits): in two parts.
            let hi = self.read_short(n - 16)?;
            return Ok(hi << 16 | self.read_short(16)?);
        }
        self.read_short(n)
    }

    /// Reads `n` bits, at most `W::BITS - 8`.
    #[inline]
    fn read_short(&mut self, n: u32) -> Result<u32, Error> {
        if n == 0 {
            return Ok(0);
        }
        if self.count < n {
            self.refill();
            if self.count < n {
                return Err(Error::Truncated);
            }
        }
        let v = (self.cache >> (W::BITS - n)).low_u32();
        self.cache = self.cache << n;
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

    /// Reads `n` bits (at most 33) as a two's complement number; up to 32 bits in 32-bit
    /// arithmetic.
    #[inline]
    pub(super) fn read_signed(&mut self, n: u32) -> Result<i64, Error> {
        if n == 0 {
            return Ok(0);
        }
        if n <= 32 {
            let shift = 32 - n;
            return Ok(i64::from(((self.read(n)? << shift) as i32) >> shift));
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
            self.cache = W::ZERO;
            self.count = 0;
        }
    }

    /// Reads a Rice-coded signed number with parameter `k` (at most 31): a unary quotient, `k`
    /// low bits, folded (0, -1, 1, -2, ...). `Error::Residual` when it does not fit an `i32`.
    #[inline]
    pub(super) fn rice(&mut self, k: u32) -> Result<i32, Error> {
        let q = self.unary()?;
        let r = self.read(k)?;
        if q > u32::MAX >> k {
            return Err(Error::Residual);
        }
        Ok(unfold(q << k | r))
    }

    /// Reads Rice-coded signed numbers with parameter `k` (at most 31) into every element of
    /// `out`, as [`Bits::rice`] does one at a time: from the cache in one step when it holds the
    /// whole code, through [`Bits::rice`] otherwise. The reader's state is kept in locals (in
    /// registers) across the fast path and written back before the slow one. On x86-64 CPUs
    /// with BMI1, BMI2 and LZCNT, through [`Bits::rice_block_bmi`] (see the module docs).
    #[inline]
    pub(super) fn rice_block(&mut self, k: u32, out: &mut [i32]) -> Result<(), Error> {
        #[cfg(target_arch = "x86_64")]
        if self.bmi {
            #[allow(unsafe_code)]
            // SAFETY: `self.bmi` says `cpu_bmi_lzcnt` found BMI1, BMI2 and LZCNT on this CPU.
            return unsafe { self.rice_block_bmi(k, out) };
        }
        self.rice_block_any(k, out)
    }

    /// [`Bits::rice_block_any`] compiled with BMI1, BMI2 and LZCNT: to be called only on a CPU
    /// that has them, as [`cpu_bmi_lzcnt`] tells (otherwise undefined behaviour).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "bmi1,bmi2,lzcnt")]
    #[allow(unsafe_code)]
    unsafe fn rice_block_bmi(&mut self, k: u32, out: &mut [i32]) -> Result<(), Error> {
        self.rice_block_any(k, out)
    }

    /// [`Bits::rice_block`] for any CPU.
    #[inline(always)]
    fn rice_block_any(&mut self, k: u32, out: &mut [i32]) -> Result<(), Error> {
        // A quotient the cache can hold overflows `q << k | r` only when `k > 26` (a 64-bit
        // cache holds quotients up to 63 - k; a 32-bit one none that overflow): the common
        // parameters run a loop without that check.
        if W::BITS > 32 && k > 26 {
            self.rice_block_k::<true>(k, out)
        } else {
            self.rice_block_k::<false>(k, out)
        }
    }

    /// [`Bits::rice_block`]; `CHECK`: whether a quotient may overflow `q << k | r`.
    #[inline(always)]
    fn rice_block_k<const CHECK: bool>(&mut self, k: u32, out: &mut [i32]) -> Result<(), Error> {
        let data = self.data;
        // A quotient above this makes `q << k | r` overflow `u32` (and `rice` rejects it).
        let limit = u32::MAX >> k;
        // Whole-word loads start at most here (none if `data` is shorter than a word).
        let last = data.len().checked_sub(W::BITS as usize / 8);
        // A 64-bit cache stores each code as `(q << k | r) + 2^k` (wrapping), which is the
        // quotient shifted plus the code's stop bit and remainder read as one number, and
        // unfolds the whole partition afterwards in a loop the compiler vectorizes: fewer
        // instructions a code. A 32-bit cache (the boards) unfolds each code as it goes.
        let deferred = W::BITS > 32;
        let bias = 1u32 << k;
        let mut rest = &mut *out;
        loop {
            let (mut cache, mut count, mut next) = (self.cache, self.count, self.next);
            let mut samples = rest.iter_mut();
            let mut slow = None;
            for s in samples.by_ref() {
                if count < W::REFILL_BELOW && last.is_some_and(|last| next <= last) {
                    if let Some(word) = W::load(data, next) {
                        cache |= word >> count;
                        // As `refill`, whole bytes counted. A 64-bit cache counts up to
                        // `W::BITS - 8 + count % 8` bits, which for `count < 32` is `count |
                        // (W::BITS - 8)`: one instruction fewer; a 32-bit one (the boards) keeps
                        // `refill`'s count, which Thumb codes in fewer bytes.
                        if W::BITS > 32 {
                            next += ((W::BITS - 1 - count) / 8) as usize;
                            count |= W::BITS - 8;
                        } else {
                            let bytes = (W::BITS - count) / 8;
                            next += bytes as usize;
                            count += bytes * 8;
                        }
                    }
                }
                let lz = cache.leading_zeros();
                // From here `lz + 1 + k <= count <= W::BITS`, so `lz < W::BITS` and every
                // shift below is in range.
                let len = lz + 1 + k;
                if len > count {
                    slow = Some(s);
                    break;
                }
                if CHECK && lz > limit {
                    return Err(Error::Residual);
                }
                count -= len;
                if deferred {
                    // The code from its stop bit on, on top: the stop bit and the `k` low
                    // bits read as one number are `2^k + r`; the cache moves past them with
                    // one shift by `k + 1 <= 32`.
                    let code = cache << lz;
                    let top = (code >> (W::BITS - 1 - k)).low_u32();
                    cache = code << (k + 1);
                    // `lz <= limit`: `lz << k` does not overflow (the sum wraps, see above).
                    *s = (lz << k).wrapping_add(top) as i32;
                } else {
                    // The code without its quotient and stop bit: `k` low bits on top.
                    let low = (cache << lz) << 1;
                    let r = ((low >> 1) >> (W::BITS - 1 - k)).low_u32();
                    cache = low << k;
                    // `lz <= limit`: no overflow.
                    *s = unfold(lz << k | r);
                }
            }
            (self.cache, self.count, self.next) = (cache, count, next);
            let Some(s) = slow else { break };
            let v = self.rice(k)?;
            // Deferred: folded back, `(v << 1) ^ (v >> 31)`, and biased as the fast path's.
            *s = if deferred { ((v << 1) ^ (v >> 31)).wrapping_add(bias as i32) } else { v };
            rest = samples.into_slice();
        }
        if deferred {
            for s in out.iter_mut() {
                *s = unfold((*s as u32).wrapping_sub(bias));
            }
        }
        Ok(())
    }

    /// Skips to the next byte boundary.
    pub(super) fn align(&mut self) {
        let drop = self.count % 8;
        self.cache = self.cache << drop;
        self.count -= drop;
    }

    /// Bytes consumed so far (after [`Bits::align`], the exact byte position).
    pub(super) fn byte_pos(&self) -> usize {
        self.next - (self.count / 8) as usize
    }
}

/// A folded Rice value's signed number: 0, -1, 1, -2, ... for 0, 1, 2, 3, ...
#[inline(always)]
fn unfold(v: u32) -> i32 {
    (v >> 1) as i32 ^ -((v & 1) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both cache words: the host's `u64` and the 32-bit targets' `u32`.
    fn reads<W: Word>() {
        let mut b = Bits::<W>::new(&[0b1010_0000, 0b0001_1111, 0xFF, 0x80, 0x01]);
        assert_eq!(b.read(3), Ok(0b101));
        assert_eq!(b.unary(), Ok(8));
        assert_eq!(b.read_signed(4), Ok(-1));
        b.align();
        assert_eq!(b.byte_pos(), 2);
        assert_eq!(b.read_signed(9), Ok(-1));
        // Seven zeros left of 0x80, seven more of 0x01, then its one: 14 folds to 7.
        assert_eq!(b.rice(0), Ok(7));
        assert_eq!(b.read(32), Err(Error::Truncated));
        // Wide reads, signed and not, from any bit position.
        let data = [0x80, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFE, 0x5A, 0xC3, 0x0F];
        let mut b = Bits::<W>::new(&data);
        assert_eq!(b.read(32), Ok(0x8000_0001));
        assert_eq!(b.read_signed(32), Ok(-2));
        assert_eq!(b.read(1), Ok(0));
        assert_eq!(b.read(31), Err(Error::Truncated));
        let mut b = Bits::<W>::new(&data);
        assert_eq!(b.read(1), Ok(1));
        assert_eq!(b.read_signed(33), Ok(7));
        assert_eq!(b.read(30), Ok(0x3FFF_FFFE));
        assert_eq!(b.read_u64(24), Ok(0x5A_C30F));
    }

    #[test]
    fn reads_u64() {
        reads::<u64>();
    }

    #[test]
    fn reads_u32() {
        reads::<u32>();
    }

    /// A way to decode a Rice partition: [`Bits::rice_block_any`] or a CPU variant.
    type Block<W> = fn(&mut Bits<'_, W>, u32, &mut [i32]) -> Result<(), Error>;

    /// `block` decodes as `rice` does one value at a time, on the fast path (codes wholly in
    /// the cache), across refills, and at the end of the data; and both cache words read the
    /// same values.
    fn rice_block_matches_rice<W: Word>(block: Block<W>) {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut data = [0u8; 700];
        for (i, b) in data.iter_mut().enumerate() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Runs of zero bytes make long unary quotients.
            *b = if i % 97 < 5 { 0 } else { x as u8 };
        }
        for k in [0, 1, 4, 9, 14, 20, 24, 25, 26, 27, 31] {
            for skip in [0, 3, 13] {
                let mut one = Bits::<u64>::new(&data);
                let mut many = Bits::<W>::new(&data);
                assert_eq!(one.read(skip), many.read(skip));
                let mut want = [0i32; 64];
                let mut got = [0i32; 64];
                loop {
                    let w: Result<(), Error> = want.iter_mut().try_for_each(|s| {
                        *s = one.rice(k)?;
                        Ok(())
                    });
                    let g = block(&mut many, k, &mut got);
                    assert_eq!(w, g, "k {k}");
                    if w.is_err() {
                        break;
                    }
                    assert_eq!(want, got, "k {k}");
                    assert_eq!(one.byte_pos(), many.byte_pos());
                    assert_eq!(one.read(7), many.read(7));
                }
            }
        }
    }

    #[test]
    fn rice_block_matches_rice_u64() {
        rice_block_matches_rice::<u64>(|b, k, out| b.rice_block_any(k, out));
    }

    #[test]
    fn rice_block_matches_rice_u32() {
        rice_block_matches_rice::<u32>(|b, k, out| b.rice_block_any(k, out));
    }

    /// The BMI variant, on a CPU that has what it is compiled for (the one `rice_block` then
    /// picks), decodes as `rice` does.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn rice_block_bmi_matches_rice() {
        assert_eq!(Bits::<u64>::new(&[]).bmi, cpu_bmi_lzcnt());
        assert!(!Bits::<u32>::new(&[]).bmi);
        if cpu_bmi_lzcnt() {
            #[allow(unsafe_code)]
            rice_block_matches_rice::<u64>(|b, k, out| {
                // SAFETY: `cpu_bmi_lzcnt` found the features the variant is compiled for.
                unsafe { b.rice_block_bmi(k, out) }
            });
        }
    }
}
