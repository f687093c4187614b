//! The two checksums of a FLAC frame (RFC 9639 §9.1.8, §9.3): CRC-8 over the frame header and
//! CRC-16 over the whole frame, both MSB-first with initial value 0.
//!
//! The CRC-16 runs over every byte of every frame. On x86-64 hosts whose CPU has PCLMULQDQ (and
//! SSSE3, as every such CPU has), chosen at run time, a frame of 64 bytes or more is folded by
//! carry-less multiplication (`clmul`, about four bytes a cycle): rill decoded 5 - 8 % faster than
//! with the tables below (BENCHMARKS.md). Other hosts take sixteen bytes a step ("slicing by
//! sixteen": sixteen 256-entry tables, 8 KiB, computed at compile time). The running CRC meets only
//! the first two bytes of a step, so the chain from one step to the next is two lookups, whatever
//! the other fourteen bytes; with eight bytes a step rill decoded 16-bit stereo 2 - 3 % and 24-bit
//! 96 kHz stereo 10 - 12 % slower. The tail of fewer than sixteen bytes goes a byte at a time. On
//! bare-metal targets (`target_os = "none"`, the boards, whose 256 KiB of flash has no 7.5 KiB to
//! spare) it goes a byte at a time with the first table alone (512 B): there the checksum is a
//! small part of a frame's decoding cost. The CRC-8 covers only frame headers: on hosts a 256-byte
//! table, on bare-metal targets bit by bit.

/// The CRC-8 (polynomial x^8 + x^2 + x + 1, 0x07) of one byte `c`, bit by bit.
const fn crc8_byte(mut c: u8) -> u8 {
    let mut b = 0;
    while b < 8 {
        c = if c & 0x80 != 0 { (c << 1) ^ 0x07 } else { c << 1 };
        b += 1;
    }
    c
}

/// CRC-8 table (hosts).
#[cfg(not(target_os = "none"))]
const CRC8: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = crc8_byte(i as u8);
        i += 1;
    }
    t
};

/// Tables of the CRC-16: sixteen on hosts, one on bare-metal targets (the module's docs).
const SLICES: usize = if cfg!(target_os = "none") { 1 } else { 16 };

/// CRC-16, polynomial x^16 + x^15 + x^2 + 1 (0x8005): `CRC16[k][b]` is the CRC of byte `b`
/// followed by `k` zero bytes.
const CRC16: [[u16; 256]; SLICES] = {
    let mut t = [[0u16; 256]; SLICES];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u16) << 8;
        let mut b = 0;
        while b < 8 {
            c = if c & 0x8000 != 0 { (c << 1) ^ 0x8005 } else { c << 1 };
            b += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut k = 1;
    while k < SLICES {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    t
};

/// The CRC-8 of `data`, a table lookup a byte.
#[cfg(not(target_os = "none"))]
pub(super) fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |c, &b| CRC8[usize::from(c ^ b)])
}

/// The CRC-8 of `data`, bit by bit: it covers only frame headers (at most 16 bytes a frame),
/// so on bare-metal targets its table would be 256 bytes of flash for nothing.
#[cfg(any(test, target_os = "none"))]
fn crc8_bitwise(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |c, &b| crc8_byte(c ^ b))
}

/// The CRC-8 of `data`.
#[cfg(target_os = "none")]
pub(super) fn crc8(data: &[u8]) -> u8 {
    crc8_bitwise(data)
}

/// The CRC-16 of `data`, a byte at a time.
fn crc16_bytewise(c: u16, data: &[u8]) -> u16 {
    let [t0, ..] = &CRC16;
    data.iter().fold(c, |c, &b| (c << 8) ^ t0[usize::from((c >> 8) as u8 ^ b)])
}

/// The CRC-16 of `data`.
#[cfg(target_os = "none")]
pub(super) fn crc16(data: &[u8]) -> u16 {
    crc16_bytewise(0, data)
}

/// The CRC-16 of `data`: by carry-less multiplication where the CPU has it (x86-64 hosts,
/// frames of at least [`clmul::MIN_LEN`] bytes), else sixteen bytes a step.
#[cfg(not(target_os = "none"))]
pub(super) fn crc16(data: &[u8]) -> u16 {
    #[cfg(target_arch = "x86_64")]
    if data.len() >= clmul::MIN_LEN && cpu_pclmulqdq_ssse3::get() {
        // SAFETY: the CPU has PCLMULQDQ and SSSE3, as CPUID just told.
        #[allow(unsafe_code)]
        return unsafe { clmul::crc16(data) };
    }
    crc16_sliced(data)
}

/// The CRC-16 of `data`, sixteen bytes a step.
#[cfg(not(target_os = "none"))]
fn crc16_sliced(data: &[u8]) -> u16 {
    let [rest @ .., t14, t15] = &CRC16;
    let mut chunks = data.chunks_exact(SLICES);
    let mut c = 0u16;
    for chunk in chunks.by_ref() {
        if let Some((&[b0, b1], bytes)) = chunk.split_first_chunk::<2>() {
            // The fourteen bytes the running CRC does not touch, summed off the chain from
            // one step's CRC to the next: that chain is two lookups and two `^` per step.
            let tail = rest.iter().rev().zip(bytes).fold(0, |a, (t, &b)| a ^ t[usize::from(b)]);
            let [h, l] = (c ^ u16::from_be_bytes([b0, b1])).to_be_bytes();
            c = (t15[usize::from(h)] ^ t14[usize::from(l)]) ^ tail;
        }
    }
    crc16_bytewise(c, chunks.remainder())
}

#[cfg(target_arch = "x86_64")]
cpufeatures::new!(cpu_pclmulqdq_ssse3, "pclmulqdq", "ssse3");

/// The CRC-16 by carry-less multiplication (x86-64 with PCLMULQDQ and SSSE3): the frame is
/// folded sixteen bytes at a time into four 128-bit remainders, as in Intel's "Fast CRC
/// Computation for Generic Polynomials Using PCLMULQDQ".
///
/// Read MSB-first, the bytes are the coefficients of a polynomial `M`, and the CRC is
/// `M·x^16 mod P`. A 128-bit value `A = H·x^64 + L` congruent (mod `P`) to the bytes read so
/// far stays so with the next sixteen bytes `B` appended, `d` bits after `A`'s end, as
/// `H·(x^(d+64) mod P) ⊕ L·(x^d mod P) ⊕ B`: two carry-less products of 64 by 16 bits, each
/// under 80 bits. Four such remainders take every fourth block (`d` = 512), so the four chains
/// of product and `⊕` overlap; they are then folded into one (`d` = 128), with any further
/// whole blocks. The last remainder's sixteen bytes are then checksummed by the table, whose
/// CRC of them is that of the bytes read, and the tail of fewer than sixteen bytes follows.
///
/// Safety: every function here needs a CPU with PCLMULQDQ and SSSE3 (x86-64 has SSE2), the
/// one contract of each `unsafe fn`; the only pointer, an unaligned 16-byte load, is made
/// from a reference to 16 bytes.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod clmul {
    use core::arch::x86_64::{
        __m128i, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_loadu_si128, _mm_set_epi64x,
        _mm_set_epi8, _mm_setzero_si128, _mm_shuffle_epi8, _mm_unpackhi_epi64, _mm_xor_si128,
    };

    /// Shorter data goes through the tables (fewer than four blocks need no folding).
    pub(super) const MIN_LEN: usize = 64;

    /// `x^n mod P` for the CRC-16 polynomial `P` = x^16 + x^15 + x^2 + 1.
    const fn x_pow_mod(n: u32) -> i64 {
        let mut r: u32 = 1;
        let mut i = 0;
        while i < n {
            r <<= 1;
            if r & 0x1_0000 != 0 {
                r ^= 0x1_8005;
            }
            i += 1;
        }
        r as i64
    }

    /// The two constants that move a remainder `D` bits on (the parent's docs), computed at
    /// compile time.
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn fold_by<const D: u32>() -> __m128i {
        let k: [i64; 2] = const { [x_pow_mod(D), x_pow_mod(D + 64)] };
        _mm_set_epi64x(k[1], k[0])
    }

    /// `a` moved on by the constants `k` of [`fold_by`], `⊕ b`.
    #[inline]
    #[target_feature(enable = "pclmulqdq,sse2")]
    unsafe fn fold(a: __m128i, k: __m128i, b: __m128i) -> __m128i {
        let lo = _mm_clmulepi64_si128(a, k, 0x00);
        let hi = _mm_clmulepi64_si128(a, k, 0x11);
        _mm_xor_si128(_mm_xor_si128(lo, hi), b)
    }

    /// Sixteen bytes as a 128-bit polynomial: the first byte's top bit is `x^127`.
    #[inline]
    #[target_feature(enable = "ssse3")]
    unsafe fn block(b: &[u8; 16]) -> __m128i {
        let reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        // An unaligned load of the 16 bytes of `b`.
        _mm_shuffle_epi8(_mm_loadu_si128(b.as_ptr().cast()), reverse)
    }

    /// The CRC-16 of `data` (by the tables when shorter than [`MIN_LEN`] bytes).
    #[target_feature(enable = "pclmulqdq,ssse3,sse2")]
    pub(super) unsafe fn crc16(data: &[u8]) -> u16 {
        let mut quads = data.chunks_exact(64);
        let Some(first) = quads.next() else {
            return super::crc16_sliced(data);
        };
        let mut acc = [_mm_setzero_si128(); 4];
        for (a, b) in acc.iter_mut().zip(first.chunks_exact(16)) {
            if let Some(b) = b.first_chunk::<16>() {
                *a = block(b);
            }
        }
        let k512 = fold_by::<512>();
        for quad in quads.by_ref() {
            for (a, b) in acc.iter_mut().zip(quad.chunks_exact(16)) {
                if let Some(b) = b.first_chunk::<16>() {
                    *a = fold(*a, k512, block(b));
                }
            }
        }
        let k128 = fold_by::<128>();
        let [a0, a1, a2, a3] = acc;
        let mut a = fold(fold(fold(a0, k128, a1), k128, a2), k128, a3);
        let mut rest = quads.remainder().chunks_exact(16);
        for b in rest.by_ref() {
            if let Some(b) = b.first_chunk::<16>() {
                a = fold(a, k128, block(b));
            }
        }
        let lo = _mm_cvtsi128_si64(a) as u64;
        let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(a, a)) as u64;
        let c = super::crc16_bytewise(0, &((u128::from(hi) << 64) | u128::from(lo)).to_be_bytes());
        super::crc16_bytewise(c, rest.remainder())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        // The standard check values of CRC-8/SMBUS and CRC-16/UMTS (= BUYPASS) over "123456789".
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc8_bitwise(b"123456789"), 0xF4);
        assert_eq!(crc16(b"123456789"), 0xFEE8);
    }

    /// Sixteen bytes a step give the byte-at-a-time CRC, at every length and alignment.
    #[test]
    fn sliced_matches_bytewise() {
        let data: [u8; 61] = core::array::from_fn(|i| (i as u8).wrapping_mul(73) ^ 0x5A);
        let bytewise = |d: &[u8]| crc16_bytewise(0, d);
        for start in 0..9 {
            for end in start..data.len() {
                assert_eq!(crc16_sliced(&data[start..end]), bytewise(&data[start..end]));
            }
        }
    }

    /// Carry-less folding gives the byte-at-a-time CRC, at every length from its minimum over
    /// a few multiples of 64 bytes (whole quads, left-over blocks, a tail) and every
    /// alignment; on a CPU without PCLMULQDQ there is nothing to compare.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn clmul_matches_bytewise() {
        if !cpu_pclmulqdq_ssse3::get() {
            return;
        }
        let data: [u8; 400] =
            core::array::from_fn(|i| (i as u8).wrapping_mul(151) ^ (i >> 3) as u8);
        for fill in [None, Some(0x00), Some(0xFF)] {
            let data = data.map(|b| fill.unwrap_or(b));
            for start in 0..17 {
                for end in start + clmul::MIN_LEN..data.len() {
                    let d = &data[start..end];
                    // SAFETY: the CPU has PCLMULQDQ and SSSE3 (checked above).
                    #[allow(unsafe_code)]
                    let got = unsafe { clmul::crc16(d) };
                    assert_eq!(got, crc16_bytewise(0, d), "bytes {start}..{end}");
                }
            }
        }
    }
}
