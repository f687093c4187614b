//! Linear-prediction restores with AVX2, for x86-64 hosts whose CPU has it (and BMI2, for
//! `sarx`), chosen at run time (`cpufeatures`), the baseline loops kept for other CPUs: the
//! pair of [`super::subframe::restore_pair`] (two channels, orders 8 or 12, `i32` sums: 16-bit
//! `flac -5` to `-8`), and one channel of order 8 in `i64` sums ([`restore_wide`]: 24-bit
//! `flac -5`; orders 9 to 12 measured slower this way than the `f64` loop they keep).
//!
//! Four samples of each channel a step. A sample's sum has a term for each of the `N` samples
//! before it; those more than two samples older than the step's first are all known when the
//! step starts, so their terms for the four samples are summed in one vector, a lane a sample
//! ([`far_base`]): each such sample is broadcast and multiplied by the coefficients its lag
//! takes in the four lanes (`N - 2` multiplies of four products where the scalar loops issue
//! `4 * (N - 2)`). The rest, the two newest samples before the step and those of the step
//! itself (two to five terms a sample, 14 a step), are scalar ([`near_step`]), the newest
//! added last: the chain from one sample to the next stays one multiply, an add and the
//! shift, and the vector sums of a step wait only on samples restored at least three samples
//! before. The two channels' chains are independent and interleaved, as in the scalar pair.
//!
//! Exact for a conforming stream (samples within their width): the module's proof
//! ([`super::subframe`]) bounds the sum of the terms' magnitudes below `2^31`, so no partial
//! sum of them leaves `i32` either, and the lanes' wrapping `i32` sums, widened, and the scalar
//! `i64` terms add up to the `i32` loops' sum, whatever the grouping. In `i64` sums the lanes
//! are `i64` (`vpmuldq` products), exact as every product and sum is below `2^50`. (A damaged
//! stream gets wrong samples, as elsewhere, not necessarily the same ones.)

use core::arch::x86_64::{
    __m128i, __m256i, _mm256_add_epi64, _mm256_cvtepi32_epi64, _mm256_mul_epi32, _mm256_set1_epi32,
    _mm256_setr_epi64x, _mm256_setzero_si256, _mm256_sll_epi64, _mm_add_epi32, _mm_cvtsi32_si128,
    _mm_mullo_epi32, _mm_set1_epi32, _mm_setr_epi32, _mm_setzero_si128,
};

use super::subframe::Channel;

cpufeatures::new!(cpu_avx2_bmi2, "avx2", "bmi2");

/// Restores two channels of the same length as the scalar `i32` loops of order `N` do, up to
/// the last whole step of four samples; returns where the caller's loop takes over (a window
/// start: the samples from it plus `N` are left), or `None`, nothing done, when the CPU lacks
/// AVX2 or BMI2.
#[allow(unsafe_code)]
pub(super) fn restore_pair<const N: usize>(a: Channel<'_, N>, b: Channel<'_, N>) -> Option<usize> {
    if !cpu_avx2_bmi2::get() {
        return None;
    }
    // SAFETY: `pair` is compiled for AVX2 and BMI2, which `cpu_avx2_bmi2::get()` has just
    // found on this CPU (CPUID, cached); it does nothing else that needs `unsafe`.
    Some(unsafe { pair(a, b) })
}

/// [`restore_pair`]'s loop.
#[allow(unsafe_code)]
#[target_feature(enable = "avx2,bmi2")]
unsafe fn pair<const N: usize>((ca, sa, a): Channel<'_, N>, (cb, sb, b): Channel<'_, N>) -> usize {
    let (fa, fb) = (far(ca), far(cb));
    let (qa, qb) = (near(ca), near(cb));
    let (Some(&[a2, a1]), Some(&[b2, b1])) = (
        a.get(..N).and_then(|w| w.last_chunk::<2>()),
        b.get(..N).and_then(|w| w.last_chunk::<2>()),
    ) else {
        return 0;
    };
    let (mut a1, mut a2, mut b1, mut b2) =
        (i64::from(a1), i64::from(a2), i64::from(b1), i64::from(b2));
    let mut i = 0;
    while let (Some((ha, ra)), Some((hb, rb))) = (
        a.get_mut(i..).and_then(|w| w.split_first_chunk_mut::<N>()),
        b.get_mut(i..).and_then(|w| w.split_first_chunk_mut::<N>()),
    ) {
        let (Some(ra), Some(rb)) = (ra.first_chunk_mut::<4>(), rb.first_chunk_mut::<4>()) else {
            break;
        };
        let (va, vb) = (far_base(&fa, ha, ra, sa), far_base(&fb, hb, rb, sb));
        (a2, a1) = near_step(&qa, sa, va, ra, a2, a1);
        (b2, b1) = near_step(&qb, sb, vb, rb, b2, b1);
        i += 4;
    }
    i
}

/// Restores `out` (the first `N` samples the warm-up, the rest residuals) as the `i64` loops
/// of order `N` do (24-bit streams), up to the last whole step of four samples; returns where
/// the caller's loop takes over (as [`restore_pair`]), or `None`, nothing done, when the CPU
/// lacks AVX2 or BMI2. One channel: the terms are `i64`, so the lanes are too, and the far
/// products `vpmuldq` (32 by 32 bits into 64, four a multiply).
#[allow(unsafe_code)]
pub(super) fn restore_wide<const N: usize>(
    c: &[i32; N],
    shift: u32,
    out: &mut [i32],
) -> Option<usize> {
    if !cpu_avx2_bmi2::get() {
        return None;
    }
    // SAFETY: as in `restore_pair`, for `wide`.
    Some(unsafe { wide(c, shift, out) })
}

/// [`restore_wide`]'s loop.
#[allow(unsafe_code)]
#[target_feature(enable = "avx2,bmi2")]
unsafe fn wide<const N: usize>(c: &[i32; N], shift: u32, out: &mut [i32]) -> usize {
    let f: [__m256i; N] = core::array::from_fn(|j| {
        let at = |k: usize| j.checked_sub(k).and_then(|i| c.get(i)).map_or(0, |&k| i64::from(k));
        _mm256_setr_epi64x(at(0), at(1), at(2), at(3))
    });
    let q = near(c);
    let Some(&[p2, p1]) = out.get(..N).and_then(|w| w.last_chunk::<2>()) else {
        return 0;
    };
    let (mut p1, mut p2) = (i64::from(p1), i64::from(p2));
    let mut i = 0;
    while let Some((h, r)) = out.get_mut(i..).and_then(|w| w.split_first_chunk_mut::<N>()) {
        let Some(r) = r.first_chunk_mut::<4>() else { break };
        // As in `far_base`, in `i64` lanes: exact, every product and sum below 2^50.
        let (mut even, mut odd) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        let mut j = 0;
        while j + 3 < N {
            even = _mm256_add_epi64(even, _mm256_mul_epi32(_mm256_set1_epi32(h[j]), f[j]));
            odd = _mm256_add_epi64(odd, _mm256_mul_epi32(_mm256_set1_epi32(h[j + 1]), f[j + 1]));
            j += 2;
        }
        if j + 2 < N {
            even = _mm256_add_epi64(even, _mm256_mul_epi32(_mm256_set1_epi32(h[j]), f[j]));
        }
        let res = _mm256_cvtepi32_epi64(_mm_setr_epi32(r[0], r[1], r[2], r[3]));
        let res = _mm256_sll_epi64(res, _mm_cvtsi32_si128(shift as i32));
        let sum = _mm256_add_epi64(_mm256_add_epi64(even, odd), res);
        // SAFETY: `__m256i` and `[i64; 4]` have the same size, and every bit pattern is an `i64`.
        let base = core::mem::transmute::<__m256i, [i64; 4]>(sum);
        (p2, p1) = near_step(&q, shift, base, r, p2, p1);
        i += 4;
    }
    i
}

/// The vectors of [`far_base`]: for the window's sample `j` (its lag in the step's first lane
/// is `N - j`), the coefficients it takes in the four lanes, `c[j]`, `c[j - 1]`, `c[j - 2]`,
/// `c[j - 3]` (zero below the first). Only the first `N - 2` are used.
#[allow(unsafe_code)]
#[inline(always)]
unsafe fn far<const N: usize>(c: &[i32; N]) -> [__m128i; N] {
    core::array::from_fn(|j| {
        let at = |k: usize| j.checked_sub(k).and_then(|i| c.get(i)).copied().unwrap_or(0);
        _mm_setr_epi32(at(0), at(1), at(2), at(3))
    })
}

/// The coefficients of lags 1 to 5 (`c[N - 1]` down to `c[N - 5]`), which [`near_step`] applies.
#[inline(always)]
fn near<const N: usize>(c: &[i32; N]) -> [i64; 5] {
    core::array::from_fn(|d| {
        N.checked_sub(d + 1).and_then(|i| c.get(i)).map_or(0, |&k| i64::from(k))
    })
}

/// For the four samples after the window `h`, lane by lane: the terms of the window's
/// samples but its two newest (wrapping `i32` sums, exact for a conforming stream: see the
/// module docs), plus the residual `r` times `2^shift` (`i64`).
#[allow(unsafe_code)]
#[inline(always)]
unsafe fn far_base<const N: usize>(
    f: &[__m128i; N],
    h: &[i32; N],
    r: &[i32; 4],
    shift: u32,
) -> [i64; 4] {
    // Two partial sums, so the adds are not one chain; `N` is a constant, so the loop unrolls
    // and its indices are checked at compile time.
    let (mut even, mut odd) = (_mm_setzero_si128(), _mm_setzero_si128());
    let mut j = 0;
    while j + 3 < N {
        even = _mm_add_epi32(even, _mm_mullo_epi32(_mm_set1_epi32(h[j]), f[j]));
        odd = _mm_add_epi32(odd, _mm_mullo_epi32(_mm_set1_epi32(h[j + 1]), f[j + 1]));
        j += 2;
    }
    if j + 2 < N {
        even = _mm_add_epi32(even, _mm_mullo_epi32(_mm_set1_epi32(h[j]), f[j]));
    }
    let far = _mm256_cvtepi32_epi64(_mm_add_epi32(even, odd));
    let r = _mm256_cvtepi32_epi64(_mm_setr_epi32(r[0], r[1], r[2], r[3]));
    let r = _mm256_sll_epi64(r, _mm_cvtsi32_si128(shift as i32));
    // SAFETY: `__m256i` and `[i64; 4]` have the same size, and every bit pattern is an `i64`.
    core::mem::transmute::<__m256i, [i64; 4]>(_mm256_add_epi64(far, r))
}

/// Restores the step's four samples in `r` (residuals in, samples out) from their `base`
/// ([`far_base`]), the coefficients `q` of lags 1 to 5 and the two samples before the step,
/// `p2` then `p1`; returns the step's last two samples.
///
/// In `i64`, the residual added before the shift (`(sum + r * 2^shift) >> shift` is
/// `r + (sum >> shift)`, exactly): the chain from one sample to the next is then a multiply,
/// an add and the shift. The sums are those of the scalar loops for a conforming stream (see
/// the module docs); 64-bit multiplies also keep LLVM from turning the terms into vector
/// multiplies and shuffles on the chain, as it does with `i32` ones.
#[inline(always)]
fn near_step(
    q: &[i64; 5],
    shift: u32,
    base: [i64; 4],
    r: &mut [i32; 4],
    p2: i64,
    p1: i64,
) -> (i64, i64) {
    let [q1, q2, q3, q4, q5] = *q;
    let [b0, b1, b2, b3] = base;
    let m = i64::wrapping_mul;
    let s0 = b0.wrapping_add(m(q2, p2)).wrapping_add(m(q1, p1)).wrapping_shr(shift);
    let s1 = b1
        .wrapping_add(m(q3, p2))
        .wrapping_add(m(q2, p1))
        .wrapping_add(m(q1, s0))
        .wrapping_shr(shift);
    let s2 = b2
        .wrapping_add(m(q4, p2))
        .wrapping_add(m(q3, p1))
        .wrapping_add(m(q2, s0))
        .wrapping_add(m(q1, s1))
        .wrapping_shr(shift);
    let s3 = b3
        .wrapping_add(m(q5, p2))
        .wrapping_add(m(q4, p1))
        .wrapping_add(m(q3, s0))
        .wrapping_add(m(q2, s1))
        .wrapping_add(m(q1, s2))
        .wrapping_shr(shift);
    *r = [s0 as i32, s1 as i32, s2 as i32, s3 as i32];
    (s2, s3)
}
