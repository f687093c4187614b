//! The inverse MDCT's FFT on 64-bit hosts: real and imaginary parts in separate arrays of a
//! scratch buffer, so every butterfly stage is a plain element-wise loop the compiler vectorises.
//!
//! The pre-rotation writes straight into bit-reversed order and performs the first two radix-2
//! stages (twiddles 1 and -i) on the way, so there is no separate permutation pass; the
//! post-rotation reads the result back into the caller's buffer. The arithmetic per value is the
//! same as the in-place FFT's, in the same order, so both give bit-identical output.
//!
//! The price is a scratch buffer of the long block's `N/2` floats (4 KiB for `N` = 2048, 16 KiB
//! for 8192), which the boards' in-place transform does without.

use alloc::vec::Vec;

use super::{mul, radix4, Complex, REV8};
use crate::media::vorbis::{try_vec, Error};
use crate::util::math;

/// Split twiddles and scratch for an FFT of up to `N/4` points, `N` the long block size.
pub(super) struct SplitFft {
    /// Real parts of the stage twiddles: the stage joining halves of `h` values uses
    /// `e^{-iπj/h}` for `j < h`, stored at `h - 1..2h - 1` (`N/4 - 1` values).
    tw_re: Vec<f32>,
    /// Imaginary parts, laid out as `tw_re`.
    tw_im: Vec<f32>,
    /// The FFT's working values: real parts in the first half, imaginary in the second
    /// (`N/2` floats, `N` the long block size).
    scratch: Vec<f32>,
}

impl SplitFft {
    /// Heap bytes `new` allocates for a long block of `long` samples.
    pub(super) fn heap_bytes(long: usize) -> usize {
        (2 * (long / 4 - 1) + long / 2) * core::mem::size_of::<f32>()
    }

    /// Twiddles and scratch for a long block of `long` samples (a power of two, 64..=8192).
    pub(super) fn new(long: usize) -> Result<SplitFft, Error> {
        let l = long / 4;
        let mut tw_re = try_vec(l - 1, 0f32)?;
        let mut tw_im = try_vec(l - 1, 0f32)?;
        let mut h = 1;
        while h < l {
            let stage = tw_re.get_mut(h - 1..2 * h - 1).zip(tw_im.get_mut(h - 1..2 * h - 1));
            for (j, (re, im)) in
                stage.into_iter().flat_map(|(r, i)| r.iter_mut().zip(i)).enumerate()
            {
                let (sin, cos) = math::sin_cos(-core::f64::consts::PI * j as f64 / h as f64);
                *re = cos as f32;
                *im = sin as f32;
            }
            h *= 2;
        }
        Ok(SplitFft { tw_re, tw_im, scratch: try_vec(long / 2, 0f32)? })
    }

    /// The DCT-IV of the `2L` coefficients in `data` (`L = rot.len()`, 4..=N/4), in place: see
    /// the parent module for the pre- and post-rotation by `rot`.
    pub(super) fn inverse(&mut self, rot: &[Complex], data: &mut [f32]) {
        let l = rot.len();
        let Some(data) = data.get_mut(..2 * l) else { return };
        let Some(scratch) = self.scratch.get_mut(..2 * l) else { return };
        if l < 4 {
            return;
        }
        let (re, im) = scratch.split_at_mut(l);
        pre_rotate(rot, data, re, im);
        let mut h = 4;
        while h < l {
            let (Some(wr), Some(wi)) =
                (self.tw_re.get(h - 1..2 * h - 1), self.tw_im.get(h - 1..2 * h - 1))
            else {
                return;
            };
            stage(h, wr, wi, re, im);
            h *= 2;
        }
        // Value p of the transform gives u[2p] (its real part) and u[M-1-2p]: the output pair
        // (2p, 2p+1) takes the real part of value p and minus the imaginary part of L-1-p.
        let back = re.iter().rev().zip(im.iter().rev()).zip(rot.iter().rev());
        let front = re.iter().zip(im.iter()).zip(rot);
        for ((o, ((&ar, &ai), &wa)), ((&br, &bi), &wb)) in
            data.chunks_exact_mut(2).zip(front).zip(back)
        {
            o[0] = ar * wa.0 - ai * wa.1;
            o[1] = -(br * wb.1 + bi * wb.0);
        }
    }
}

/// Pre-rotates `data` into `re`/`im` (all `L` long, `data` 2L) in bit-reversed order and applies
/// the first two stages: output values `4k..4k + 4` come from inputs `j0`, `j0 + L/2`, `j0 + L/4`
/// and `j0 + 3L/4`, `j0` the bit reversal of `k` over `L/4`.
fn pre_rotate(rot: &[Complex], data: &[f32], re: &mut [f32], im: &mut [f32]) {
    let l = re.len();
    let q = l / 4;
    let m = 2 * l;
    // q <= 512: k has at most 16 bits.
    let shift = 16 - q.trailing_zeros();
    let z = |j: usize| -> Complex {
        let x = (
            data.get(2 * j).copied().unwrap_or(0.0),
            data.get(m - 1 - 2 * j).copied().unwrap_or(0.0),
        );
        mul(x, rot.get(j).copied().unwrap_or((0.0, 0.0)))
    };
    for (k, (re, im)) in re.chunks_exact_mut(4).zip(im.chunks_exact_mut(4)).enumerate() {
        let rev16 = usize::from(REV8[k & 0xff]) << 8 | usize::from(REV8[(k >> 8) & 0xff]);
        let j0 = rev16 >> shift;
        let [y0, y1, y2, y3] = radix4([z(j0), z(j0 + 2 * q), z(j0 + q), z(j0 + 3 * q)]);
        (re[0], re[1], re[2], re[3]) = (y0.0, y1.0, y2.0, y3.0);
        (im[0], im[1], im[2], im[3]) = (y0.1, y1.1, y2.1, y3.1);
    }
}

/// One radix-2 decimation-in-time stage joining halves of `h` values (a multiple of 4) with
/// twiddles `wr + i wi` (`h` long each). Four butterflies at a time, each group loaded whole
/// before anything is stored, so the compiler keeps them in one vector register each.
fn stage(h: usize, wr: &[f32], wi: &[f32], re: &mut [f32], im: &mut [f32]) {
    for (re, im) in re.chunks_exact_mut(2 * h).zip(im.chunks_exact_mut(2 * h)) {
        let (ar, br) = re.split_at_mut(h);
        let (ai, bi) = im.split_at_mut(h);
        let (a, b) = (quads(ar).zip(quads(ai)), quads(br).zip(quads(bi)));
        for (((ar, ai), (br, bi)), (wr, wi)) in a.zip(b).zip(quads_of(wr).zip(quads_of(wi))) {
            let (xr, xi, yr, yi) = (*ar, *ai, *br, *bi);
            let tr: [f32; 4] = core::array::from_fn(|k| yr[k] * wr[k] - yi[k] * wi[k]);
            let ti: [f32; 4] = core::array::from_fn(|k| yr[k] * wi[k] + yi[k] * wr[k]);
            *br = core::array::from_fn(|k| xr[k] - tr[k]);
            *bi = core::array::from_fn(|k| xi[k] - ti[k]);
            *ar = core::array::from_fn(|k| xr[k] + tr[k]);
            *ai = core::array::from_fn(|k| xi[k] + ti[k]);
        }
    }
}

/// `s` as groups of four values (a remainder is left out).
fn quads(s: &mut [f32]) -> impl Iterator<Item = &mut [f32; 4]> {
    s.chunks_exact_mut(4).filter_map(|c| c.try_into().ok())
}

/// `s` as groups of four values, read only (a remainder is left out).
fn quads_of(s: &[f32]) -> impl Iterator<Item = &[f32; 4]> {
    s.chunks_exact(4).filter_map(|c| c.try_into().ok())
}
