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

use alloc::vec::Vec;

use super::{try_vec, Error};

/// A complex number as (re, im).
type Complex = (f32, f32);

#[inline(always)]
fn mul(a: Complex, b: Complex) -> Complex {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// Twiddle tables for the inverse MDCT of both block sizes of a stream.
pub(crate) struct Imdct {
    /// Per block size: `e^{-iθ(j+1/8)}` for `j < N/4`.
    rotate: [Vec<Complex>; 2],
    /// `e^{-2πij/L}` for `j < L/2`, `L` the long block's FFT size; shorter FFTs stride through it.
    fft: Vec<Complex>,
}

impl Imdct {
    /// Heap bytes `new` allocates for these block sizes.
    pub(crate) fn heap_bytes(blocksize: [u16; 2]) -> usize {
        let [b0, b1] = blocksize.map(usize::from);
        (b0 / 4 + b1 / 4 + b1 / 8) * core::mem::size_of::<Complex>()
    }

    /// Builds the tables for `blocksize` (powers of two, 64..=8192).
    pub(crate) fn new(blocksize: [u16; 2]) -> Result<Imdct, Error> {
        let rotate = |n: usize| -> Result<Vec<Complex>, Error> {
            let mut t = try_vec(n / 4, (0f32, 0f32))?;
            let theta = 2.0 * core::f64::consts::PI / n as f64;
            for (j, w) in t.iter_mut().enumerate() {
                let a = -theta * (j as f64 + 0.125);
                *w = (libm::cos(a) as f32, libm::sin(a) as f32);
            }
            Ok(t)
        };
        let l = usize::from(blocksize[1]) / 4;
        let mut fft = try_vec(l / 2, (0f32, 0f32))?;
        for (j, w) in fft.iter_mut().enumerate() {
            let a = -2.0 * core::f64::consts::PI * j as f64 / l as f64;
            *w = (libm::cos(a) as f32, libm::sin(a) as f32);
        }
        Ok(Imdct {
            rotate: [rotate(usize::from(blocksize[0]))?, rotate(usize::from(blocksize[1]))?],
            fft,
        })
    }

    /// Transforms the `N/2` coefficients in `data` (block size class `long`) into `u` in place.
    /// `scratch` holds at least `N/2` floats.
    pub(crate) fn inverse(&self, long: bool, data: &mut [f32], scratch: &mut [f32]) {
        let rot = &self.rotate[usize::from(long)];
        let l = rot.len();
        let m = 2 * l;
        let (Some(data), Some(scratch)) = (data.get_mut(..m), scratch.get_mut(..m)) else {
            return;
        };
        if l < 2 {
            return;
        }
        let bits = l.trailing_zeros();
        // Pre-rotation, stored in bit-reversed order for the in-place FFT.
        for (j, &w) in rot.iter().enumerate() {
            let a = data.get(2 * j).copied().unwrap_or(0.0);
            let b = data.get(m - 1 - 2 * j).copied().unwrap_or(0.0);
            let z = mul((a, b), w);
            let t = (j.reverse_bits() >> (usize::BITS - bits)) * 2;
            if let Some(s) = scratch.get_mut(t..t + 2) {
                s[0] = z.0;
                s[1] = z.1;
            }
        }
        self.fft(scratch, l);
        // Post-rotation.
        for (p, (&w, s)) in rot.iter().zip(scratch.chunks_exact(2)).enumerate() {
            let z = mul((s[0], s[1]), w);
            if let Some(d) = data.get_mut(2 * p) {
                *d = z.0;
            }
            if let Some(d) = data.get_mut(m - 1 - 2 * p) {
                *d = -z.1;
            }
        }
    }

    /// In-place radix-2 decimation-in-time FFT of `l` complex values in bit-reversed order.
    fn fft(&self, x: &mut [f32], l: usize) {
        let full = self.fft.len() * 2;
        let mut half = 1;
        while half < l {
            let stride = full / (2 * half);
            for block in x.chunks_exact_mut(4 * half) {
                let (lo, hi) = block.split_at_mut(2 * half);
                for (j, (a, b)) in lo.chunks_exact_mut(2).zip(hi.chunks_exact_mut(2)).enumerate() {
                    let w = self.fft.get(j * stride).copied().unwrap_or((1.0, 0.0));
                    let t = mul((b[0], b[1]), w);
                    b[0] = a[0] - t.0;
                    b[1] = a[1] - t.1;
                    a[0] += t.0;
                    a[1] += t.1;
                }
            }
            half *= 2;
        }
    }
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
            let t = Imdct::new(blocks).unwrap();
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
            let mut scratch = vec![0f32; n / 2];
            t.inverse(long, &mut u, &mut scratch);
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
