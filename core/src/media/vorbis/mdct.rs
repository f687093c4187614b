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
    /// FFT twiddles stage by stage: the stage joining halves of `h` values uses
    /// `e^{-iπj/h}` for `j < h`, stored at `h - 1 ..2h - 1`; real and imaginary parts apart so the
    /// butterfly loops vectorize. Valid for any FFT size up to the long block's.
    twiddle_re: Vec<f32>,
    twiddle_im: Vec<f32>,
}

impl Imdct {
    /// Heap bytes `new` allocates for these block sizes.
    pub(crate) fn heap_bytes(blocksize: [u16; 2]) -> usize {
        let [b0, b1] = blocksize.map(usize::from);
        (b0 / 4 + b1 / 4) * core::mem::size_of::<Complex>() + (b1 / 4 - 1) * 8
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
        let mut twiddle_re = try_vec(l - 1, 0f32)?;
        let mut twiddle_im = try_vec(l - 1, 0f32)?;
        let mut h = 1;
        while h < l {
            for j in 0..h {
                let a = -core::f64::consts::PI * j as f64 / h as f64;
                if let (Some(r), Some(i)) =
                    (twiddle_re.get_mut(h - 1 + j), twiddle_im.get_mut(h - 1 + j))
                {
                    *r = libm::cos(a) as f32;
                    *i = libm::sin(a) as f32;
                }
            }
            h *= 2;
        }
        Ok(Imdct {
            rotate: [rotate(usize::from(blocksize[0]))?, rotate(usize::from(blocksize[1]))?],
            twiddle_re,
            twiddle_im,
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
        let (re, im) = scratch.split_at_mut(l);
        // Pre-rotation, stored in bit-reversed order for the in-place FFT; `t` counts in
        // bit-reversed order (add at the top bit, carry downwards).
        let (evens, odds) = (data.iter().step_by(2), data.iter().rev().step_by(2));
        let mut t = 0;
        for ((&w, &a), &b) in rot.iter().zip(evens).zip(odds) {
            let z = mul((a, b), w);
            if let (Some(r), Some(i)) = (re.get_mut(t), im.get_mut(t)) {
                *r = z.0;
                *i = z.1;
            }
            let mut bit = l >> 1;
            while t & bit != 0 {
                t ^= bit;
                bit >>= 1;
            }
            t |= bit;
        }
        self.fft(re, im);
        // Post-rotation.
        for (p, ((&w, &r), &i)) in rot.iter().zip(re.iter()).zip(im.iter()).enumerate() {
            let z = mul((r, i), w);
            if let Some(d) = data.get_mut(2 * p) {
                *d = z.0;
            }
            if let Some(d) = data.get_mut(m - 1 - 2 * p) {
                *d = -z.1;
            }
        }
    }

    /// In-place radix-2 decimation-in-time FFT of `re + i im`, given in bit-reversed order.
    fn fft(&self, re: &mut [f32], im: &mut [f32]) {
        let l = re.len().min(im.len());
        // First stage: twiddle 1.
        for (r, i) in re.chunks_exact_mut(2).zip(im.chunks_exact_mut(2)) {
            let (r0, r1, i0, i1) = (r[0], r[1], i[0], i[1]);
            r[0] = r0 + r1;
            r[1] = r0 - r1;
            i[0] = i0 + i1;
            i[1] = i0 - i1;
        }
        let mut h = 2;
        while h < l {
            let (Some(wr), Some(wi)) =
                (self.twiddle_re.get(h - 1..2 * h - 1), self.twiddle_im.get(h - 1..2 * h - 1))
            else {
                return;
            };
            for (r, i) in re.chunks_exact_mut(2 * h).zip(im.chunks_exact_mut(2 * h)) {
                let (ar, br) = r.split_at_mut(h);
                let (ai, bi) = i.split_at_mut(h);
                let pairs = ar.iter_mut().zip(ai.iter_mut()).zip(br.iter_mut().zip(bi.iter_mut()));
                for (((ar, ai), (br, bi)), (&wr, &wi)) in pairs.zip(wr.iter().zip(wi.iter())) {
                    let tr = *br * wr - *bi * wi;
                    let ti = *br * wi + *bi * wr;
                    *br = *ar - tr;
                    *bi = *ai - ti;
                    *ar += tr;
                    *ai += ti;
                }
            }
            h *= 2;
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
