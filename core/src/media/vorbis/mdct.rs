//! The inverse MDCT, computed through an N/4-point complex FFT.
//!
//! Vorbis' inverse transform of a block of `N` samples from `N/2` coefficients `X[k]` is
//! `y[n] = sum_k X[k] cos(2π/N (n + 1/2 + N/4)(k + 1/2))`. Writing `M = N/2`, this is the
//! DCT-IV `u[m] = sum_k X[k] cos(π/M (m + 1/2)(k + 1/2))` read at `m = n + N/4`, extended by its
//! symmetries: `y[n] = u[n + N/4]` for `n < N/4`, `-u[3N/4 - 1 - n]` for `N/4 <= n < 3N/4` and
//! `-u[n - 3N/4]` above. So only `u` (N/2 values) is computed and kept.
//!
//! The DCT-IV comes from an `L = N/4` point complex FFT: with `θ = 2π/N`,
//! `z[j] = (X[2j] + i X[M-1-2j]) e^{-iθ(j+1/8)}`, `Z = FFT(z)`, `Z'[p] = Z[p] e^{-iθ(p+1/8)}`,
//! then `u[2p] = Re Z'[p]` and `u[M-1-2p] = -Im Z'[p]` (expand the cosines of the even and the
//! reversed odd coefficients and the `4pj` term becomes the FFT kernel `2πpj/L`).
//!
//! On 64-bit hosts the FFT runs in a scratch buffer with real and imaginary parts apart, which
//! vectorises (module `split`); the boards, short of RAM, run it in place on interleaved values.

#[cfg(target_pointer_width = "64")]
mod split;

use alloc::vec::Vec;

use super::{try_vec, Error};
use crate::util::math;

/// A complex number as (re, im).
type Complex = (f32, f32);

#[inline(always)]
fn mul(a: Complex, b: Complex) -> Complex {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// The first two radix-2 stages (twiddles 1 and -i) on four values `v`, in the order both FFTs
/// keep them: `v[0]` and `v[1]` joined, `v[2]` and `v[3]` joined, then the two pairs. One
/// definition for the boards' in-place FFT and the hosts' split one, so they stay bit-identical.
#[inline(always)]
fn radix4(v: [Complex; 4]) -> [Complex; 4] {
    let [v0, v1, v2, v3] = v;
    let (s0, s1) = ((v0.0 + v1.0, v0.1 + v1.1), (v0.0 - v1.0, v0.1 - v1.1));
    let (s2, s3) = ((v2.0 + v3.0, v2.1 + v3.1), (v2.0 - v3.0, v2.1 - v3.1));
    let t = (s3.1, -s3.0);
    [
        (s0.0 + s2.0, s0.1 + s2.1),
        (s1.0 + t.0, s1.1 + t.1),
        (s0.0 - s2.0, s0.1 - s2.1),
        (s1.0 - t.0, s1.1 - t.1),
    ]
}

/// Bytes with their bits reversed (a constant table: x86 has no bit-reverse instruction).
const REV8: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).reverse_bits();
        i += 1;
    }
    t
};

/// Twiddle tables for the inverse MDCT of both block sizes of a stream.
pub(crate) struct Imdct {
    /// Per block size: `e^{-iθ(j+1/8)}` for `j < N/4`.
    rotate: [Vec<Complex>; 2],
    /// The vectorising FFT (64-bit hosts).
    #[cfg(target_pointer_width = "64")]
    fft: split::SplitFft,
    /// FFT twiddles stage by stage: the stage joining halves of `h` values uses
    /// `e^{-iπj/h}` for `j < h`, stored at `h - 1 ..2h - 1`. Valid for any FFT size up to the
    /// long block's.
    #[cfg(any(not(target_pointer_width = "64"), test))]
    twiddle: Vec<Complex>,
}

impl Imdct {
    /// Heap bytes `new` allocates for these block sizes.
    pub(crate) fn heap_bytes(blocksize: [u16; 2]) -> usize {
        let [b0, b1] = blocksize.map(usize::from);
        let rotate = (b0 / 4 + b1 / 4) * core::mem::size_of::<Complex>();
        #[cfg(target_pointer_width = "64")]
        let fft = split::SplitFft::heap_bytes(b1);
        #[cfg(not(target_pointer_width = "64"))]
        let fft = (b1 / 4 - 1) * core::mem::size_of::<Complex>();
        rotate + fft
    }

    /// Builds the tables for `blocksize` (powers of two, 64..=8192).
    pub(crate) fn new(blocksize: [u16; 2]) -> Result<Imdct, Error> {
        let rotate = |n: usize| -> Result<Vec<Complex>, Error> {
            let mut t = try_vec(n / 4, (0f32, 0f32))?;
            let theta = 2.0 * core::f64::consts::PI / n as f64;
            for (j, w) in t.iter_mut().enumerate() {
                let a = -theta * (j as f64 + 0.125);
                let (sin, cos) = math::sin_cos(a);
                *w = (cos as f32, sin as f32);
            }
            Ok(t)
        };
        Ok(Imdct {
            rotate: [rotate(usize::from(blocksize[0]))?, rotate(usize::from(blocksize[1]))?],
            #[cfg(target_pointer_width = "64")]
            fft: split::SplitFft::new(usize::from(blocksize[1]))?,
            #[cfg(any(not(target_pointer_width = "64"), test))]
            twiddle: twiddles(usize::from(blocksize[1]) / 4)?,
        })
    }

    /// Transforms the `N/2` coefficients in `data` (block size class `long`) into `u` in place.
    #[inline(never)] // a hot loop nest of its own: it gets the registers to itself
    pub(crate) fn inverse(&mut self, long: bool, data: &mut [f32]) {
        #[cfg(target_pointer_width = "64")]
        self.fft.inverse(&self.rotate[usize::from(long)], data);
        #[cfg(not(target_pointer_width = "64"))]
        self.inverse_in_place(long, data);
    }

    /// Transforms the `N/2` coefficients in `data` (block size class `long`) into `u` in place,
    /// without scratch memory: the FFT runs on `data` as `N/4` interleaved complex values.
    ///
    /// Pre-rotation reads `X[2j]`, `X[M-1-2j]` for `z[j]` and `X[M-2-2j]`, `X[2j+1]` for
    /// `z[L-1-j]`: exactly the slots of complex values `j` and `L-1-j`, so both are rotated in
    /// place. Post-rotation writes `u` from `Z'[p]` and `Z'[L-1-p]` into the same four slots.
    /// (The boards' transform; built on hosts for the test comparing both.)
    #[cfg(any(not(target_pointer_width = "64"), test))]
    fn inverse_in_place(&self, long: bool, data: &mut [f32]) {
        let rot = &self.rotate[usize::from(long)];
        let l = rot.len();
        let m = 2 * l;
        let Some(data) = data.get_mut(..m) else { return };
        if l < 4 {
            return;
        }
        let (front, back) = data.split_at_mut(l);
        let (rot_lo, rot_hi) = rot.split_at(l / 2);
        // Pair j (front chunk j) with L-1-j (back chunk l/2-1-j, read backwards).
        let pairs = front.chunks_exact_mut(2).zip(back.chunks_exact_mut(2).rev());
        for ((f, b), (&w0, &w1)) in pairs.zip(rot_lo.iter().zip(rot_hi.iter().rev())) {
            let z0 = mul((f[0], b[1]), w0);
            let z1 = mul((b[0], f[1]), w1);
            f[0] = z0.0;
            f[1] = z0.1;
            b[0] = z1.0;
            b[1] = z1.1;
        }
        self.fft(data);
        let (front, back) = data.split_at_mut(l);
        let pairs = front.chunks_exact_mut(2).zip(back.chunks_exact_mut(2).rev());
        for ((f, b), (&w0, &w1)) in pairs.zip(rot_lo.iter().zip(rot_hi.iter().rev())) {
            let z0 = mul((f[0], f[1]), w0);
            let z1 = mul((b[0], b[1]), w1);
            f[0] = z0.0;
            b[1] = -z0.1;
            b[0] = z1.0;
            f[1] = -z1.1;
        }
    }

    /// In-place FFT of `x` (interleaved re, im; a power-of-two count of at least 4 values, at
    /// most the long block's `N/4`), natural order in and out: a bit-reversal permutation, a
    /// radix-4 first pass, then radix-2 decimation-in-time stages.
    #[cfg(any(not(target_pointer_width = "64"), test))]
    fn fft(&self, x: &mut [f32]) {
        let l = x.len() / 2;
        // l <= 2048 (long block 8192 at most): indices have at most 16 bits.
        let shift = 16 - l.trailing_zeros();
        for i in 0..l {
            let rev16 = usize::from(REV8[i & 0xff]) << 8 | usize::from(REV8[(i >> 8) & 0xff]);
            let r = rev16 >> shift;
            if i < r {
                // i < r < l: both complex values lie in `x`, value i before value r.
                let (lo, hi) = x.split_at_mut(2 * r);
                if let (Some([a0, a1]), Some([b0, b1])) =
                    (lo.get_mut(2 * i..2 * i + 2), hi.get_mut(..2))
                {
                    core::mem::swap(a0, b0);
                    core::mem::swap(a1, b1);
                }
            }
        }
        // Stages h = 1 and 2 as one radix-4 pass: twiddles 1 and -i.
        for q in x.chunks_exact_mut(8) {
            let [y0, y1, y2, y3] = radix4([(q[0], q[1]), (q[2], q[3]), (q[4], q[5]), (q[6], q[7])]);
            (q[0], q[1], q[2], q[3]) = (y0.0, y0.1, y1.0, y1.1);
            (q[4], q[5], q[6], q[7]) = (y2.0, y2.1, y3.0, y3.1);
        }
        let mut h = 4;
        while h < l {
            let Some(tw) = self.twiddle.get(h - 1..2 * h - 1) else { return };
            for block in x.chunks_exact_mut(4 * h) {
                let (a, b) = block.split_at_mut(2 * h);
                for ((a, b), &w) in a.chunks_exact_mut(2).zip(b.chunks_exact_mut(2)).zip(tw) {
                    let t = mul((b[0], b[1]), w);
                    b[0] = a[0] - t.0;
                    b[1] = a[1] - t.1;
                    a[0] += t.0;
                    a[1] += t.1;
                }
            }
            h *= 2;
        }
    }
}

/// The in-place FFT's twiddles for up to `l` points, stage by stage (see [`Imdct`]).
#[cfg(any(not(target_pointer_width = "64"), test))]
fn twiddles(l: usize) -> Result<Vec<Complex>, Error> {
    let mut twiddle = try_vec(l - 1, (0f32, 0f32))?;
    let mut h = 1;
    while h < l {
        for j in 0..h {
            let a = -core::f64::consts::PI * j as f64 / h as f64;
            if let Some(w) = twiddle.get_mut(h - 1 + j) {
                let (sin, cos) = math::sin_cos(a);
                *w = (cos as f32, sin as f32);
            }
        }
        h *= 2;
    }
    Ok(twiddle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defining sum, in f64.
    fn reference(x: &[f32]) -> Vec<f64> {
        let n = x.len() * 2;
        (0..n)
            .map(|i| {
                x.iter()
                    .enumerate()
                    .map(|(k, &v)| {
                        let a = 2.0 * core::f64::consts::PI / n as f64
                            * (i as f64 + 0.5 + n as f64 / 4.0)
                            * (k as f64 + 0.5);
                        f64::from(v) * a.cos()
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn matches_the_defining_sum() {
        for (bs, long) in [(64u16, false), (2048, true), (256, false)] {
            let blocks = if long { [64, bs] } else { [bs, 2048] };
            let mut t = Imdct::new(blocks).unwrap();
            let n = usize::from(bs);
            let mut seed = 12345u32;
            let x: Vec<f32> = (0..n / 2)
                .map(|_| {
                    seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
                    (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                })
                .collect();
            let want = reference(&x);
            let mut u = x.clone();
            t.inverse(long, &mut u);
            let mut in_place = x.clone();
            t.inverse_in_place(long, &mut in_place);
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&u), bits(&in_place), "n={n}: both transforms give the same bits");
            for (i, w) in want.iter().enumerate() {
                let got = if i < n / 4 {
                    u[i + n / 4]
                } else if i < 3 * n / 4 {
                    -u[3 * n / 4 - 1 - i]
                } else {
                    -u[i - 3 * n / 4]
                };
                assert!((f64::from(got) - w).abs() < 1e-4, "n={n} i={i} got {got} want {w}");
            }
        }
    }
}
