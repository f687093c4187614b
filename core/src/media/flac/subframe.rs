//! Subframes (RFC 9639 §9.2): one channel of a frame, coded as a constant, verbatim samples,
//! a fixed polynomial predictor (orders 0-4) or a linear predictor (orders 1-32) plus a
//! Rice-coded residual (both methods, escaped partitions), with wasted bits shifted back.
//!
//! Samples are decoded into `i32`, or into `i64` for the one case that needs it: the side
//! channel of a 32-bit stereo frame, 33 bits wide. Arithmetic on decoded values wraps, so a
//! damaged stream yields wrong samples, never a panic; the frame's CRC-16 then rejects it.
//!
//! Speed: `i32` planes (every stream but the 33-bit side channel) take the fast paths of
//! [`Sample`]: Rice partitions decoded by [`Bits::rice_block`], and predictors restored by
//! loops specialised per order, fixed predictors' history in registers. LPC orders 8 and 12
//! (`flac -5` to `-8`) in `i32` sums have loops with every term written out, the newest
//! sample read back from memory, on every target: on hosts they decode 16-bit stereo 3 - 4 %
//! faster than the loops that carry the newest samples in registers (LLVM turns part of those
//! sums into SSE2 multiplies and shuffles: more instructions a sample, and the loop is bound
//! by instructions, not by the chain from sample to sample). The other orders 2 to 12 and the
//! `i64` sums have a const-generic loop per order on 64-bit targets, the two or three newest
//! samples in registers (there 24-bit `flac -5` decodes 12 % faster than with every sample
//! read back); on 32-bit targets, whose opt-level `"z"` unrolls no loop, the general loop.
//! On 64-bit targets a 16-bit stereo frame whose first subframe is a linear predictor of order
//! 8 to 12 in `i32` sums (`flac -5` to `-8`) has that predictor left undone
//! ([`decode_deferred`]) until the second subframe is read; [`restore_pair`] then restores both
//! channels in one loop of order 8 or 12 when the second is one too (a lower order widened
//! with zero coefficients for the oldest lags), the two newest samples of each in locals.
//! Each channel's chain from one sample to the next (a multiply, an add, the shift, the
//! residual) is latency-bound; the two chains are independent, so the core runs one while the
//! other waits (16-bit stereo `-5` decodes about 1.18x and `-8` 1.18x faster). On x86-64
//! CPUs with AVX2 and BMI2 (detected at run time) [`lpc_avx2`] runs that pair instead, the
//! older terms of four samples at a time in vector lanes (16-bit stereo `-5` and `-8` decode
//! about 1.08x and 1.09x faster again).
//! The `i64` sums (24-bit streams) are not bound by that chain but by their 64-bit
//! multiplies, one a term (a 24/96 `flac -8` sample of order 12 took 12 of them; pairing two
//! channels would not spare one): on 64-bit targets [`lpc_order_f64`] sums the older terms of
//! each sample of orders 9 to 12 in `f64` instead, two lanes a multiply, exactly (every
//! product and sum is an integer below 2^50, which `f64` holds), the three or four newest in
//! `i64` on the chain (24/96 stereo `-8` decodes about 1.11x faster; order 8, `flac -5`'s,
//! measured level or 1 - 2 % slower that way, so it keeps its `i64` loop, or on x86-64 CPUs
//! with AVX2 the one-channel loop of [`lpc_avx2`]: 24/96 stereo `-5` about 1.12x faster).
//!
//! A linear prediction accumulates in `i32` when no sum can overflow: with `bps`-bit samples,
//! `precision`-bit coefficients and `order` terms each term is below `2^(bps + precision - 2)`
//! in magnitude, so the sum (and the sum of the terms' magnitudes, which bounds every partial
//! sum) is below `2^(bps + precision - 2 + ceil(log2 order))`, which fits
//! when `bps + precision + ceil(log2 order) <= 32` (libFLAC's test too). Wider cases (24-bit
//! streams, 32-bit ones) accumulate in `i64` (§9.2.7.3: at 24 bits, order 12 and 15-bit
//! coefficients a sum needs 44 bits), on 32-bit targets through the general loop only (flash
//! before speed there). A fixed predictor always runs in wrapping `i32` on `i32` planes: it
//! only adds, subtracts and multiplies, so its result is exact modulo 2^32, and the sample it
//! restores fits in 32 bits (an LPC sum cannot wrap, as its `>> shift` is not exact modulo
//! 2^32).

use super::bits::Bits;
#[cfg(target_arch = "x86_64")]
use super::lpc_avx2;
use super::Error;

/// A decoded sample type: `i32`, or `i64` for 33-bit side channels.
pub(super) trait Sample: Copy {
    /// The low bits of `v` (wrapping).
    fn from_i64(v: i64) -> Self;
    /// The value, sign-extended.
    fn to_i64(self) -> i64;

    /// Reads a Rice partition with parameter `k` into `part`.
    #[inline]
    fn rice(bits: &mut Bits<'_>, k: u32, part: &mut [Self]) -> Result<(), Error> {
        for s in part.iter_mut() {
            *s = Self::from_i64(i64::from(bits.rice(k)?));
        }
        Ok(())
    }

    /// Restores a fixed predictor of `order` (1 to 4) over `out`, whose first `order` samples
    /// are the warm-up and the rest residuals; samples are `bps` bits wide.
    #[inline]
    fn fixed(order: usize, _bps: u32, out: &mut [Self]) {
        fixed_wide(order, out);
    }

    /// Restores a linear predictor: `coefs` (oldest first, `precision` bits each), `shift`,
    /// over `out` as for [`Sample::fixed`].
    #[inline]
    fn lpc(coefs: &[i32], _precision: u32, shift: u32, _bps: u32, out: &mut [Self]) {
        lpc_any::<Self>(coefs, shift, out);
    }
}

impl Sample for i32 {
    #[inline]
    fn from_i64(v: i64) -> Self {
        v as i32
    }
    #[inline]
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
    #[inline]
    fn rice(bits: &mut Bits<'_>, k: u32, part: &mut [i32]) -> Result<(), Error> {
        bits.rice_block(k, part)
    }
    #[inline]
    fn fixed(order: usize, _bps: u32, out: &mut [i32]) {
        fixed_narrow(order, out);
    }
    #[inline]
    fn lpc(coefs: &[i32], precision: u32, shift: u32, bps: u32, out: &mut [i32]) {
        let narrow = narrow(coefs.len(), precision, bps);
        // `i32` sums of orders 8 and 12 (`flac -5` to `-8`) by loops with every term written
        // out, on every target (see the module docs); the rest by the loops specialised per
        // order on 64-bit targets, by the general loop on 32-bit ones (flash before speed).
        match (narrow, coefs.len()) {
            (true, 8) => coefs.first_chunk().map_or((), |c| lpc_8(c, shift, out)),
            (true, 12) => coefs.first_chunk().map_or((), |c| lpc_12(c, shift, out)),
            #[cfg(target_pointer_width = "64")]
            (true, _) => lpc_dispatch::<i32>(coefs, shift, out),
            #[cfg(target_pointer_width = "64")]
            (false, _) => lpc_dispatch::<i64>(coefs, shift, out),
            #[cfg(not(target_pointer_width = "64"))]
            (true, _) => lpc_narrow_any::<i32>(coefs, shift, out),
            #[cfg(not(target_pointer_width = "64"))]
            (false, _) => lpc_narrow_any::<i64>(coefs, shift, out),
        }
    }
}

impl Sample for i64 {
    #[inline]
    fn from_i64(v: i64) -> Self {
        v
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self
    }
}

/// Whether a linear prediction of `order` terms with `precision`-bit coefficients over
/// `bps`-bit samples sums in `i32` without overflow (see the module docs).
fn narrow(order: usize, precision: u32, bps: u32) -> bool {
    // ceil(log2(order)) for order 1..=32.
    let order_bits = usize::BITS - order.saturating_sub(1).leading_zeros();
    bps + precision + order_bits <= 32
}

/// An accumulator for linear prediction over `i32` samples: `i32` where the sums provably fit
/// (see the module docs), `i64` otherwise.
trait Acc: Copy {
    const ZERO: Self;
    /// Whether this is the `i64` accumulator (the 64-bit LPC dispatch asks).
    #[cfg(target_pointer_width = "64")]
    const WIDE: bool;
    /// `self + c * s`, wrapping.
    fn mul_add(self, c: i32, s: i32) -> Self;
    /// `residual + (self >> shift)`, truncated to 32 bits.
    fn restore(self, shift: u32, residual: i32) -> i32;
}

impl Acc for i32 {
    const ZERO: Self = 0;
    #[cfg(target_pointer_width = "64")]
    const WIDE: bool = false;
    #[inline(always)]
    fn mul_add(self, c: i32, s: i32) -> Self {
        self.wrapping_add(c.wrapping_mul(s))
    }
    #[inline(always)]
    fn restore(self, shift: u32, residual: i32) -> i32 {
        residual.wrapping_add(self.wrapping_shr(shift))
    }
}

impl Acc for i64 {
    const ZERO: Self = 0;
    #[cfg(target_pointer_width = "64")]
    const WIDE: bool = true;
    #[inline(always)]
    fn mul_add(self, c: i32, s: i32) -> Self {
        self.wrapping_add(i64::from(c).wrapping_mul(i64::from(s)))
    }
    #[inline(always)]
    fn restore(self, shift: u32, residual: i32) -> i32 {
        residual.wrapping_add(self.wrapping_shr(shift) as i32)
    }
}

/// Runs the LPC loop specialised for `coefs.len()` (2 to 12), or the general one.
#[cfg(target_pointer_width = "64")]
#[inline]
fn lpc_dispatch<A: Acc>(coefs: &[i32], shift: u32, out: &mut [i32]) {
    macro_rules! orders {
        ($($n:literal)*) => {
            match coefs.len() {
                $($n => if let Some(c) = coefs.first_chunk::<$n>() {
                    // `i64` sums of order 8 (24-bit `flac -5`) by the AVX2 loop where the
                    // CPU has it (orders 9 to 12 measured slower that way than in `f64`).
                    #[cfg(target_arch = "x86_64")]
                    if A::WIDE && $n == 8 && wide_avx2(c, shift, out) {
                        return;
                    }
                    // Measured: three samples in locals win for `i64` sums and the longer
                    // `i32` ones, two for the shorter `i32` ones; from order 9, `i64` sums
                    // take their older terms in `f64` as well. (`i32` orders 8 and 12 take
                    // the written-out loops, faster still.)
                    return if A::WIDE && $n >= 9 {
                        lpc_order_f64::<$n, { far_terms($n) }>(c, shift, out)
                    } else if $n >= 3 && (A::WIDE || $n > 8) {
                        lpc_order3::<A, $n>(c, shift, out)
                    } else {
                        lpc_order::<A, $n>(c, shift, out)
                    };
                },)*
                _ => {}
            }
        };
    }
    orders!(2 3 4 5 6 7 8 9 10 11 12);
    lpc_narrow_any::<A>(coefs, shift, out);
}

/// Restores `out` by [`lpc_avx2::restore_wide`], the last samples by the general loop, if the
/// CPU has AVX2 and BMI2 (else returns `false`, nothing done). Out of line, so that the loops
/// of [`lpc_dispatch`] keep their places: inlined there, it left 24/96 `flac -8` (orders 9 to
/// 12, not this loop) 2.5 % slower and 24/96 `-5` 7 % slower than out of line.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn wide_avx2<const N: usize>(c: &[i32; N], shift: u32, out: &mut [i32]) -> bool {
    let Some(i) = lpc_avx2::restore_wide(c, shift, out) else { return false };
    lpc_narrow_any::<i64>(c, shift, out.get_mut(i..).unwrap_or_default());
    true
}

/// The LPC loop for order `N` (at least 2): coefficients and window are arrays, so the sum
/// unrolls. The two newest samples are carried in locals rather than read back from `out`:
/// the terms of the older ones (already stored) are summed while the previous sample is still
/// being restored, so only `c[N-1] * s[n-1]` and the shift stand on the chain from one sample
/// to the next, not a store and its reload.
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn lpc_order<A: Acc, const N: usize>(coefs: &[i32; N], shift: u32, out: &mut [i32]) {
    let (Some((&c1, rest)), Some(&[p2, p1])) =
        (coefs.split_last(), out.get(..N).and_then(|w| w.last_chunk::<2>()))
    else {
        return;
    };
    let Some((&c2, older)) = rest.split_last() else { return };
    let (mut p1, mut p2) = (p1, p2);
    let mut i = 0;
    while let Some((history, [s, ..])) =
        out.get_mut(i..).and_then(|w| w.split_first_chunk_mut::<N>())
    {
        // `older` has N - 2 coefficients: the zip stops before the two newest samples.
        let sum = history.iter().zip(older).fold(A::ZERO, |a, (&h, &c)| a.mul_add(c, h));
        let v = sum.mul_add(c2, p2).mul_add(c1, p1).restore(shift, *s);
        (*s, p2, p1) = (v, p1, v);
        i += 1;
    }
}

/// [`lpc_order`] with the three newest samples in locals (`N` at least 3).
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn lpc_order3<A: Acc, const N: usize>(coefs: &[i32; N], shift: u32, out: &mut [i32]) {
    let (Some((&c1, rest)), Some(&[p3, p2, p1])) =
        (coefs.split_last(), out.get(..N).and_then(|w| w.last_chunk::<3>()))
    else {
        return;
    };
    let (Some((&c2, rest)), (mut p1, mut p2, mut p3)) = (rest.split_last(), (p1, p2, p3)) else {
        return;
    };
    let Some((&c3, older)) = rest.split_last() else { return };
    let mut i = 0;
    while let Some((history, [s, ..])) =
        out.get_mut(i..).and_then(|w| w.split_first_chunk_mut::<N>())
    {
        // `older` has N - 3 coefficients: the zip stops before the three newest samples.
        let sum = history.iter().zip(older).fold(A::ZERO, |a, (&h, &c)| a.mul_add(c, h));
        let v = sum.mul_add(c3, p3).mul_add(c2, p2).mul_add(c1, p1).restore(shift, *s);
        (*s, p3, p2, p1) = (v, p2, p1, v);
        i += 1;
    }
}

/// How many of the oldest terms of an order-`n` loop [`lpc_order_f64`] sums in `f64`: an even
/// number, leaving at least the three newest to `i64`.
#[cfg(target_pointer_width = "64")]
const fn far_terms(n: usize) -> usize {
    n.saturating_sub(3) & !1
}

/// `1.5 * 2^52`: an `f64` in `[2^52, 2^53)`, where the values are the integers, so `MAGIC + n`
/// for an integer `|n| < 2^51` is exact and its bits are `MAGIC`'s plus `n`.
#[cfg(target_pointer_width = "64")]
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// [`lpc_order3`] for `i64` sums (`N` at least 5) with the `F` oldest terms (even, at most
/// `N - 3`) summed in `f64`, two at a time: the products of the older samples by the
/// coefficients, off the chain from one sample to the next, go to the vector unit (two lanes
/// a multiply) instead of one 64-bit multiply each, which bounded the `i64` loops. Exact: a
/// coefficient has at most 15 bits and a sample 32, so every product and every sum of up to 32
/// of them is an integer below `2^50` in magnitude, which `f64` holds exactly (53 bits), in any
/// order of addition. The sum starts at [`MAGIC`], so it ends as an `f64` whose bits hold it
/// as an integer (no conversion instruction, which also saturates: four more on x86-64).
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn lpc_order_f64<const N: usize, const F: usize>(coefs: &[i32; N], shift: u32, out: &mut [i32]) {
    let Some((far, near)) = coefs.split_first_chunk::<F>() else { return };
    // As pairs (the first `F / 2`; the rest zeros: an array's length cannot be `F / 2`).
    let far: [[f64; 2]; F] = core::array::from_fn(|j| match (far.get(2 * j), far.get(2 * j + 1)) {
        (Some(&a), Some(&b)) => [f64::from(a), f64::from(b)],
        _ => [0.0; 2],
    });
    let (Some((&c1, rest)), Some(&[p3, p2, p1])) =
        (near.split_last(), out.get(..N).and_then(|w| w.last_chunk::<3>()))
    else {
        return;
    };
    let Some((&c2, rest)) = rest.split_last() else { return };
    // `mid`: the terms between the `f64` ones and the three newest (none or one).
    let Some((&c3, mid)) = rest.split_last() else { return };
    let (mut p1, mut p2, mut p3) = (p1, p2, p3);
    let mut i = 0;
    while let Some((history, [s, ..])) =
        out.get_mut(i..).and_then(|w| w.split_first_chunk_mut::<N>())
    {
        let Some((old, newer)) = history.split_first_chunk::<F>() else { return };
        let lanes =
            old.chunks_exact(2).zip(&far).fold([MAGIC, 0.0], |[a, b], (h, &[k0, k1])| match *h {
                [h0, h1] => [a + f64::from(h0) * k0, b + f64::from(h1) * k1],
                _ => [a, b],
            });
        // `MAGIC` plus an integer below 2^50 (see above): its bits are `MAGIC`'s plus that
        // integer, no conversion instruction.
        let far_sum = ((lanes[0] + lanes[1]).to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
        let sum = newer.iter().zip(mid).fold(far_sum, |a, (&h, &c)| a.mul_add(c, h));
        let v = sum.mul_add(c3, p3).mul_add(c2, p2).mul_add(c1, p1).restore(shift, *s);
        (*s, p3, p2, p1) = (v, p2, p1, v);
        i += 1;
    }
}

/// LPC loops for one order in `i32` sums, every term written out (on hosts the fastest form;
/// see the module docs): at opt-level `"z"` (the boards) LLVM unrolls no loop, so [`lpc_narrow_any`] would reload each coefficient and
/// re-slice the window for every term (about 70 instructions a sample at order 8; these take
/// about 25, the coefficients held in registers).
macro_rules! lpc_written_out {
    ($(#[$doc:meta] $name:ident $n:literal [$($j:literal)*])*) => {$(
        #[$doc]
        fn $name(coefs: &[i32; $n], shift: u32, out: &mut [i32]) {
            let c = *coefs;
            let mut i = 0;
            while let Some((h, [s, ..])) =
                out.get_mut(i..).and_then(|w| w.split_first_chunk_mut::<$n>())
            {
                let sum = 0i32 $(.wrapping_add(c[$j].wrapping_mul(h[$j])))*;
                *s = s.wrapping_add(sum.wrapping_shr(shift));
                i += 1;
            }
        }
    )*};
}

lpc_written_out! {
    /// Order 8 (`flac -5` to `-7`).
    lpc_8 8 [0 1 2 3 4 5 6 7]
    /// Order 12 (`flac -8`).
    lpc_12 12 [0 1 2 3 4 5 6 7 8 9 10 11]
}

/// The loops of [`lpc_written_out`] for two channels at once: their chains from one sample to
/// the next are independent, so the core runs one while the other waits.
#[cfg(target_pointer_width = "64")]
macro_rules! lpc_written_out_pair {
    ($(#[$doc:meta] $name:ident $n:literal [$($j:literal)*])*) => {$(
        #[$doc]
        fn $name(
            (ca, sa, a): (&[i32; $n], u32, &mut [i32]),
            (cb, sb, b): (&[i32; $n], u32, &mut [i32]),
        ) {
            let (ca, cb) = (*ca, *cb);
            let (Some(&[a2, a1]), Some(&[b2, b1])) = (
                a.get(..$n).and_then(|w| w.last_chunk::<2>()),
                b.get(..$n).and_then(|w| w.last_chunk::<2>()),
            ) else {
                return;
            };
            let (mut a1, mut a2, mut b1, mut b2) = (a1, a2, b1, b2);
            let mut i = 0;
            while let (Some((ha, [xa, ..])), Some((hb, [xb, ..]))) = (
                a.get_mut(i..).and_then(|w| w.split_first_chunk_mut::<$n>()),
                b.get_mut(i..).and_then(|w| w.split_first_chunk_mut::<$n>()),
            ) {
                let suma = 0i32 $(.wrapping_add(ca[$j].wrapping_mul(ha[$j])))*;
                let sumb = 0i32 $(.wrapping_add(cb[$j].wrapping_mul(hb[$j])))*;
                let suma = suma.wrapping_add(ca[$n - 2].wrapping_mul(a2));
                let sumb = sumb.wrapping_add(cb[$n - 2].wrapping_mul(b2));
                let va = xa.wrapping_add(suma.wrapping_add(ca[$n - 1].wrapping_mul(a1)).wrapping_shr(sa));
                let vb = xb.wrapping_add(sumb.wrapping_add(cb[$n - 1].wrapping_mul(b1)).wrapping_shr(sb));
                (*xa, a2, a1) = (va, a1, va);
                (*xb, b2, b1) = (vb, b1, vb);
                i += 1;
            }
        }
    )*};
}

#[cfg(target_pointer_width = "64")]
lpc_written_out_pair! {
    /// [`lpc_8`] for two channels.
    lpc_8_pair 8 [0 1 2 3 4 5]
    /// [`lpc_12`] for two channels.
    lpc_12_pair 12 [0 1 2 3 4 5 6 7 8 9]
}

/// A stereo channel's subframe read by [`decode_deferred`] whose linear predictor is left to
/// [`restore_pair`]: order 8 or 12, `i32` sums.
#[cfg(target_pointer_width = "64")]
pub(super) struct Deferred {
    /// Coefficients, oldest first (the first `order`).
    coefs: [i32; 12],
    /// 8 to 12.
    order: usize,
    shift: u32,
    /// Wasted bits per sample (§9.2.2), shifted back after the predictor.
    wasted: u32,
}

#[cfg(target_pointer_width = "64")]
impl Deferred {
    /// Runs the predictor over `out` alone and shifts the wasted bits back.
    fn restore(&self, out: &mut [i32]) {
        match (self.coefs.first_chunk(), self.order) {
            (Some(c), 8) => lpc_8(c, self.shift, out),
            (_, 12) => lpc_12(&self.coefs, self.shift, out),
            _ => lpc_dispatch::<i32>(
                self.coefs.get(..self.order).unwrap_or_default(),
                self.shift,
                out,
            ),
        }
        unwaste(self.wasted, out);
    }

    /// The coefficients as a predictor of order `N` (at least `order`: the oldest lags get
    /// zeros), after restoring with the predictor's own order the samples from `order` to `N`
    /// of `out`, which an order-`N` loop takes as warm-up.
    fn widen<const N: usize>(&self, out: &mut [i32]) -> [i32; N] {
        let pad = N.saturating_sub(self.order);
        let mut c = [0i32; N];
        for (w, &k) in c.iter_mut().skip(pad).zip(self.coefs.iter()) {
            *w = k;
        }
        if pad > 0 {
            let head = out.len().min(N);
            let own = self.coefs.get(..self.order).unwrap_or_default();
            lpc_narrow_any::<i32>(own, self.shift, out.get_mut(..head).unwrap_or_default());
        }
        c
    }
}

/// Finishes two channels of a stereo frame whose first one [`decode_deferred`] left as `a`
/// and whose second it left as `b` (or finished): two linear predictors over planes of the
/// same length in one loop of order 8 or 12 (`flac -8` picks orders 8 to 12 frame by frame;
/// the lower order is widened with zero coefficients), otherwise each alone.
#[cfg(target_pointer_width = "64")]
pub(super) fn restore_pair(
    a: &Deferred,
    out_a: &mut [i32],
    b: Option<&Deferred>,
    out_b: &mut [i32],
) {
    let b = match b {
        Some(b) if out_a.len() == out_b.len() => b,
        Some(b) => {
            a.restore(out_a);
            return b.restore(out_b);
        }
        None => return a.restore(out_a),
    };
    if a.order.max(b.order) <= 8 {
        restore_widened::<8>((a, out_a), (b, out_b), lpc_8_pair);
    } else {
        restore_widened::<12>((a, out_a), (b, out_b), lpc_12_pair);
    }
    unwaste(a.wasted, out_a);
    unwaste(b.wasted, out_b);
}

/// One channel for a paired LPC loop of order `N`: coefficients (oldest first), shift, plane
/// (the first `N` samples the warm-up, the rest residuals).
#[cfg(target_pointer_width = "64")]
pub(super) type Channel<'a, const N: usize> = (&'a [i32; N], u32, &'a mut [i32]);

/// [`restore_pair`]'s two predictors widened to order `N`, restored by the AVX2 loop on
/// x86-64 CPUs that have it ([`lpc_avx2`]), else by `scalar`.
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn restore_widened<const N: usize>(
    (a, out_a): (&Deferred, &mut [i32]),
    (b, out_b): (&Deferred, &mut [i32]),
    scalar: impl FnOnce(Channel<'_, N>, Channel<'_, N>),
) {
    let (ca, cb) = (a.widen::<N>(out_a), b.widen::<N>(out_b));
    #[cfg(target_arch = "x86_64")]
    if let Some(i) =
        lpc_avx2::restore_pair((&ca, a.shift, &mut *out_a), (&cb, b.shift, &mut *out_b))
    {
        // The last samples, fewer than its step of four, by the general loop.
        for (c, shift, out) in [(&ca, a.shift, out_a), (&cb, b.shift, out_b)] {
            lpc_narrow_any::<i32>(c, shift, out.get_mut(i..).unwrap_or_default());
        }
        return;
    }
    scalar((&ca, a.shift, out_a), (&cb, b.shift, out_b));
}

/// The LPC loop for any order, `i32` samples.
fn lpc_narrow_any<A: Acc>(coefs: &[i32], shift: u32, out: &mut [i32]) {
    let order = coefs.len();
    for i in order..out.len() {
        let Some((s, history)) = out.get_mut(i - order..=i).and_then(|w| w.split_last_mut()) else {
            return;
        };
        let sum = history.iter().zip(coefs.iter()).fold(A::ZERO, |a, (&h, &c)| a.mul_add(c, h));
        *s = sum.restore(shift, *s);
    }
}

/// The LPC loop for any order and sample type, accumulated in `i64` (the 33-bit side channel).
fn lpc_any<S: Sample>(coefs: &[i32], shift: u32, out: &mut [S]) {
    let order = coefs.len();
    for i in order..out.len() {
        let Some((s, history)) = out.get_mut(i - order..=i).and_then(|w| w.split_last_mut()) else {
            return;
        };
        let sum = history
            .iter()
            .zip(coefs.iter())
            .fold(0i64, |acc, (h, &c)| acc.wrapping_add(i64::from(c).wrapping_mul(h.to_i64())));
        *s = S::from_i64(s.to_i64().wrapping_add(sum >> shift));
    }
}

/// Fixed predictors in wrapping `i32` (exact: see the module docs), the history in locals.
fn fixed_narrow(order: usize, out: &mut [i32]) {
    match (order, out) {
        (1, [a, rest @ ..]) => {
            let mut a = *a;
            for s in rest {
                a = s.wrapping_add(a);
                *s = a;
            }
        }
        (2, [b, a, rest @ ..]) => {
            let (mut a, mut b) = (*a, *b);
            for s in rest {
                let v = s.wrapping_add(a.wrapping_mul(2).wrapping_sub(b));
                (a, b) = (v, a);
                *s = v;
            }
        }
        (3, [c, b, a, rest @ ..]) => {
            let (mut a, mut b, mut c) = (*a, *b, *c);
            for s in rest {
                let p = a.wrapping_sub(b).wrapping_mul(3).wrapping_add(c);
                let v = s.wrapping_add(p);
                (a, b, c) = (v, a, b);
                *s = v;
            }
        }
        (4, [d, c, b, a, rest @ ..]) => {
            let (mut a, mut b, mut c, mut d) = (*a, *b, *c, *d);
            for s in rest {
                let p = a
                    .wrapping_add(c)
                    .wrapping_mul(4)
                    .wrapping_sub(b.wrapping_mul(6))
                    .wrapping_sub(d);
                let v = s.wrapping_add(p);
                (a, b, c, d) = (v, a, b, c);
                *s = v;
            }
        }
        _ => {}
    }
}

/// Largest LPC order.
const MAX_LPC_ORDER: usize = 32;

/// Decodes one subframe of `bps` bits per sample (at most 33) into `out`, whose length is the
/// block size.
pub(super) fn decode<S: Sample>(bits: &mut Bits<'_>, bps: u32, out: &mut [S]) -> Result<(), Error> {
    decode_or_defer::<S, false>(bits, bps, out).map(|_| ())
}

/// [`decode`], but a linear predictor of order 8 or 12 in `i32` sums is left to
/// [`restore_pair`] (returned), to be run with the other channel's.
#[cfg(target_pointer_width = "64")]
pub(super) fn decode_deferred(
    bits: &mut Bits<'_>,
    bps: u32,
    out: &mut [i32],
) -> Result<Option<Deferred>, Error> {
    decode_or_defer::<i32, true>(bits, bps, out)
}

/// What [`decode_or_defer`] leaves undone: nothing on 32-bit targets.
#[cfg(target_pointer_width = "64")]
type Left = Option<Deferred>;
/// What [`decode_or_defer`] leaves undone: nothing on 32-bit targets.
#[cfg(not(target_pointer_width = "64"))]
type Left = Option<core::convert::Infallible>;

/// [`decode`]; with `DEFER`, [`decode_deferred`].
fn decode_or_defer<S: Sample, const DEFER: bool>(
    bits: &mut Bits<'_>,
    bps: u32,
    out: &mut [S],
) -> Result<Left, Error> {
    if bits.read(1)? != 0 {
        return Err(Error::Subframe);
    }
    let kind = bits.read(6)?;
    let wasted = if bits.read(1)? == 1 { bits.unary()?.saturating_add(1) } else { 0 };
    if wasted >= bps {
        return Err(Error::Subframe);
    }
    let bps = bps - wasted;
    match kind {
        0 => {
            let v = S::from_i64(bits.read_signed(bps)?);
            out.fill(v);
        }
        1 => {
            for s in out.iter_mut() {
                *s = S::from_i64(bits.read_signed(bps)?);
            }
        }
        8..=12 => fixed(bits, bps, (kind - 8) as usize, out)?,
        32..=63 => {
            let left = lpc::<S, DEFER>(bits, bps, (kind - 31) as usize, out)?;
            #[cfg(target_pointer_width = "64")]
            if let Some(mut d) = left {
                d.wasted = wasted;
                return Ok(Some(d));
            }
            #[cfg(not(target_pointer_width = "64"))]
            let _ = left;
        }
        _ => return Err(Error::Subframe),
    }
    unwaste(wasted, out);
    Ok(None)
}

/// Shifts `wasted` bits back into every sample of `out`.
fn unwaste<S: Sample>(wasted: u32, out: &mut [S]) {
    if wasted > 0 {
        for s in out.iter_mut() {
            *s = S::from_i64(s.to_i64().wrapping_shl(wasted));
        }
    }
}

/// Reads `order` warm-up samples of `bps` bits into the start of `out`.
fn warm_up<S: Sample>(
    bits: &mut Bits<'_>,
    bps: u32,
    order: usize,
    out: &mut [S],
) -> Result<(), Error> {
    let head = out.get_mut(..order).ok_or(Error::Subframe)?;
    for s in head.iter_mut() {
        *s = S::from_i64(bits.read_signed(bps)?);
    }
    Ok(())
}

/// A fixed predictor subframe (§9.2.5).
fn fixed<S: Sample>(
    bits: &mut Bits<'_>,
    bps: u32,
    order: usize,
    out: &mut [S],
) -> Result<(), Error> {
    warm_up(bits, bps, order, out)?;
    residual(bits, order, out)?;
    S::fixed(order, bps, out);
    Ok(())
}

/// Fixed predictors in `i64`, for any sample type.
fn fixed_wide<S: Sample>(order: usize, out: &mut [S]) {
    // `i` runs over order..len, so every index below is in bounds.
    let n = out.len();
    let at = |out: &[S], i: usize| out[i].to_i64();
    match order {
        1 => {
            for i in 1..n {
                out[i] = S::from_i64(at(out, i).wrapping_add(at(out, i - 1)));
            }
        }
        2 => {
            for i in 2..n {
                let p = 2i64.wrapping_mul(at(out, i - 1)).wrapping_sub(at(out, i - 2));
                out[i] = S::from_i64(at(out, i).wrapping_add(p));
            }
        }
        3 => {
            for i in 3..n {
                let d = at(out, i - 1).wrapping_sub(at(out, i - 2));
                let p = 3i64.wrapping_mul(d).wrapping_add(at(out, i - 3));
                out[i] = S::from_i64(at(out, i).wrapping_add(p));
            }
        }
        4 => {
            for i in 4..n {
                let p = 4i64
                    .wrapping_mul(at(out, i - 1).wrapping_add(at(out, i - 3)))
                    .wrapping_sub(6i64.wrapping_mul(at(out, i - 2)))
                    .wrapping_sub(at(out, i - 4));
                out[i] = S::from_i64(at(out, i).wrapping_add(p));
            }
        }
        _ => {}
    }
}

/// A linear predictor subframe (§9.2.6); with `DEFER`, one of order 8 or 12 in `i32` sums is
/// returned rather than restored.
fn lpc<S: Sample, const DEFER: bool>(
    bits: &mut Bits<'_>,
    bps: u32,
    order: usize,
    out: &mut [S],
) -> Result<Left, Error> {
    warm_up(bits, bps, order, out)?;
    let precision = bits.read(4)? + 1;
    if precision == 16 {
        return Err(Error::Subframe);
    }
    let shift = bits.read_signed(5)?;
    if shift < 0 {
        return Err(Error::Subframe);
    }
    // Coefficients oldest first, so `coefs[j]` multiplies `out[i - order + j]`.
    let mut coefs = [0i32; MAX_LPC_ORDER];
    for c in coefs.get_mut(..order).ok_or(Error::Subframe)?.iter_mut().rev() {
        *c = bits.read_signed(precision)? as i32;
    }
    residual(bits, order, out)?;
    #[cfg(target_pointer_width = "64")]
    if DEFER && (8..=12).contains(&order) && narrow(order, precision, bps) {
        if let Some(&c) = coefs.first_chunk() {
            return Ok(Some(Deferred { coefs: c, order, shift: shift as u32, wasted: 0 }));
        }
    }
    S::lpc(coefs.get(..order).unwrap_or_default(), precision, shift as u32, bps, out);
    Ok(None)
}

/// Reads the residual (§9.2.7) into `out[order..]`.
fn residual<S: Sample>(bits: &mut Bits<'_>, order: usize, out: &mut [S]) -> Result<(), Error> {
    let (param_bits, escape) = match bits.read(2)? {
        0 => (4, 15),
        1 => (5, 31),
        _ => return Err(Error::Residual),
    };
    let partition_order = bits.read(4)?;
    let n = out.len();
    let per = n >> partition_order;
    if per << partition_order != n || per < order {
        return Err(Error::Residual);
    }
    let mut start = order;
    for p in 0..1usize << partition_order {
        let end = (p + 1) * per;
        let part = out.get_mut(start..end).ok_or(Error::Residual)?;
        let k = bits.read(param_bits)?;
        if k == escape {
            let width = bits.read(5)?;
            for s in part.iter_mut() {
                *s = S::from_i64(bits.read_signed(width)?);
            }
        } else {
            S::rice(bits, k, part)?;
        }
        start = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The written-out order-8 and order-12 loops restore what the general
    /// loop does, with sums at the edge of `i32` (wrapping) and every shift.
    #[test]
    fn written_out_lpc_matches_the_general_loop() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as i32
        };
        for shift in [0, 5, 15, 31] {
            let coefs: [i32; 12] = core::array::from_fn(|_| next() >> 20);
            let input: [i32; 300] = core::array::from_fn(|_| next() >> 12);
            let (mut want, mut got) = (input, input);
            lpc_narrow_any::<i32>(&coefs[..8], shift, &mut want);
            lpc_8(coefs.first_chunk().unwrap(), shift, &mut got);
            assert_eq!(want, got, "order 8, shift {shift}");
            let (mut want, mut got) = (input, input);
            lpc_narrow_any::<i32>(&coefs, shift, &mut want);
            lpc_12(&coefs, shift, &mut got);
            assert_eq!(want, got, "order 12, shift {shift}");
        }
    }

    /// The scalar `i64` loops of orders 2 to 12 (those summing their older terms in `f64`
    /// too) restore what the general loop does, with the widest coefficients (15 bits) and
    /// samples over the whole `i32` range, where the sums come near 2^50.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn wide_lpc_matches_the_general_loop() {
        let mut next = rng(0xD1B5_4A32_D192_ED03);
        for order in 2..=12 {
            for shift in [0, 9, 14, 31] {
                // 15-bit coefficients, the extremes among them.
                let mut coefs: [i32; 12] = core::array::from_fn(|_| next() >> 17);
                coefs[0] = -(1 << 14);
                coefs[order - 1] = (1 << 14) - 1;
                let mut input: [i32; 300] = core::array::from_fn(|_| next());
                input[..order].fill(i32::MIN);
                let (mut want, mut got) = (input, input);
                lpc_narrow_any::<i64>(&coefs[..order], shift, &mut want);
                // Order 8 as `lpc_dispatch` runs it where the CPU lacks AVX2.
                macro_rules! scalar {
                    ($($n:literal)*) => {
                        match order {
                            8 => lpc_order3::<i64, 8>(coefs.first_chunk().unwrap(), shift, &mut got),
                            $($n => lpc_order_f64::<$n, { far_terms($n) }>(
                                coefs.first_chunk().unwrap(),
                                shift,
                                &mut got,
                            ),)*
                            _ => lpc_dispatch::<i64>(&coefs[..order], shift, &mut got),
                        }
                    };
                }
                scalar!(9 10 11 12);
                assert_eq!(want, got, "order {order}, shift {shift}");
            }
        }
    }

    /// `i64` sums of orders 2 to 12 as `lpc_dispatch` runs them (order 8 by the AVX2 loop
    /// where the CPU has it) restore a conforming 25-bit channel (a 24-bit stream's side
    /// channel) coded with coefficients up to the widest (15 bits), and lengths that end
    /// inside the AVX2 loop's step of four.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn wide_lpc_restores_the_signal() {
        let mut next = rng(0x2545_F491_4F6C_DD1D);
        for order in 2..=12 {
            for len in [12, 13, 14, 15, 16, 17, 300, 301, 302, 303] {
                // Shifts that keep the residuals within `i32`, as an encoder's do.
                for (precision, shift) in [(15, 15), (15, 14), (15, 12), (12, 9), (4, 0)] {
                    let coding = (order, precision, shift);
                    let (signal, mut got, coefs) = coded(&mut next, len, 25, coding);
                    lpc_dispatch::<i64>(&coefs[..order], shift, &mut got);
                    assert_eq!(got, signal, "order {order}, {len} samples, shift {shift}");
                }
            }
        }
    }

    /// A random conforming channel: `len` samples of `bps` bits (a tenth of them at the
    /// extremes) and the plane a linear predictor of `order` with coefficients of `precision`
    /// bits (the extremes among them) and `shift` codes them as (the warm-up, then the
    /// residuals), with the coefficients.
    fn coded(
        next: &mut impl FnMut() -> i32,
        len: usize,
        bps: u32,
        (order, precision, shift): (usize, u32, u32),
    ) -> (Vec<i32>, Vec<i32>, [i32; 12]) {
        let max = (1 << (bps - 1)) - 1;
        let signal: Vec<i32> = (0..len)
            .map(|_| match next() & 31 {
                0 | 1 => max,
                2 | 3 => -max - 1,
                _ => next() >> (33 - bps),
            })
            .collect();
        let mut coefs: [i32; 12] = core::array::from_fn(|_| next() >> (32 - precision));
        coefs[0] = -(1 << (precision - 1));
        coefs[order - 1] = (1 << (precision - 1)) - 1;
        let mut plane = signal.clone();
        for i in order..len {
            let sum: i64 =
                (0..order).map(|j| i64::from(coefs[j]) * i64::from(signal[i - order + j])).sum();
            plane[i] = i32::try_from(i64::from(signal[i]) - (sum >> shift)).unwrap();
        }
        (signal, plane, coefs)
    }

    /// A xorshift generator.
    fn rng(mut x: u64) -> impl FnMut() -> i32 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as i32
        }
    }

    /// The paired loops of orders 8 and 12, the scalar ones and the AVX2 one where the CPU
    /// has it, restore conforming channels as the general loop does (the signal coded), with
    /// the widest coefficients the `i32` sums allow (17-bit samples, a stereo side channel),
    /// every shift, and lengths that end inside the AVX2 loop's step of four.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn paired_loops_restore_the_signal() {
        let mut next = rng(0x5851_F42D_4C95_7F2D);
        for len in [12, 13, 16, 17, 18, 19, 299, 300, 301, 302, 4096] {
            for shift in [0, 1, 9, 14, 15] {
                let (sa, pa, ca) = coded(&mut next, len, 17, (8, 11, shift));
                let (sb, pb, cb) = coded(&mut next, len, 16, (8, 12, 15 - shift));
                let [ca8, cb8] = [&ca, &cb].map(|c| *c.first_chunk::<8>().unwrap());
                let (mut a, mut b) = (pa.clone(), pb.clone());
                lpc_8_pair((&ca8, shift, &mut a), (&cb8, 15 - shift, &mut b));
                assert_eq!((&a, &b), (&sa, &sb), "scalar order 8, {len} samples, shift {shift}");
                let (mut a, mut b) = (pa.clone(), pb.clone());
                lpc_narrow_any::<i32>(&ca8, shift, &mut a);
                lpc_narrow_any::<i32>(&cb8, 15 - shift, &mut b);
                assert_eq!((&a, &b), (&sa, &sb), "general order 8, {len} samples, shift {shift}");
                #[cfg(target_arch = "x86_64")]
                {
                    let (mut a, mut b) = (pa, pb);
                    if let Some(i) =
                        lpc_avx2::restore_pair((&ca8, shift, &mut a), (&cb8, 15 - shift, &mut b))
                    {
                        lpc_narrow_any::<i32>(&ca8, shift, &mut a[i..]);
                        lpc_narrow_any::<i32>(&cb8, 15 - shift, &mut b[i..]);
                        assert_eq!((a, b), (sa, sb), "AVX2 order 8, {len} samples, shift {shift}");
                    }
                }
                let (sa, pa, ca) = coded(&mut next, len, 17, (12, 11, shift));
                let (sb, pb, cb) = coded(&mut next, len, 16, (12, 12, shift));
                let (mut a, mut b) = (pa.clone(), pb.clone());
                lpc_12_pair((&ca, shift, &mut a), (&cb, shift, &mut b));
                assert_eq!((&a, &b), (&sa, &sb), "scalar order 12, {len} samples, shift {shift}");
                #[cfg(target_arch = "x86_64")]
                {
                    let (mut a, mut b) = (pa, pb);
                    if let Some(i) =
                        lpc_avx2::restore_pair((&ca, shift, &mut a), (&cb, shift, &mut b))
                    {
                        lpc_narrow_any::<i32>(&ca, shift, &mut a[i..]);
                        lpc_narrow_any::<i32>(&cb, shift, &mut b[i..]);
                        assert_eq!((a, b), (sa, sb), "AVX2 order 12, {len} samples, shift {shift}");
                    }
                }
            }
        }
    }

    /// `restore_pair` restores two conforming channels (the signal coded), wasted bits
    /// shifted back: orders 8 to 12 widened to the paired loops' 8 or 12, a lone or unequal
    /// second channel left to the first's own loop.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn restore_pair_restores_the_signal() {
        let mut next = rng(0x9E37_79B9_7F4A_7C15);
        for (oa, ob, wasted) in
            [(8, 8, 0), (12, 12, 0), (8, 8, 2), (12, 12, 1), (8, 12, 0), (10, 9, 0), (11, 12, 3)]
        {
            let shift = (next() as u32) % 16;
            let (sa, mut ga, coefs) = coded(&mut next, 300, 17 - wasted, (oa, 11, shift));
            let a = Deferred { coefs, order: oa, shift, wasted };
            let (sb, mut gb, coefs) = coded(&mut next, 300, 16, (ob, 12, shift));
            let b = Deferred { coefs, order: ob, shift, wasted: 0 };
            let sa: Vec<i32> = sa.iter().map(|&s| s << wasted).collect();
            let input = gb.clone();
            restore_pair(&a, &mut ga, Some(&b), &mut gb);
            assert_eq!((ga, gb), (sa, sb), "orders {oa} and {ob}, wasted {wasted}");
            // A second channel decoded whole is left as it is.
            let (mut ga, mut alone) = (input.clone(), input.clone());
            restore_pair(&a, &mut ga, None, &mut alone);
            assert_eq!(alone, input);
        }
    }
}
