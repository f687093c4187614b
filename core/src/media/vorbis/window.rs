//! The Vorbis window and the overlap-add of consecutive blocks (spec section 4.3.1 and 4.3.8).
//!
//! A block's window rises over a slope as long as half the smaller of it and its neighbour, so a
//! long block next to a short one is flat (1) in the middle and zero at its far ends. The slope is
//! `sin(π/2 · sin²((i + 1/2) / L · π/2))` for `i < L`, `L` half the neighbouring block size: it
//! satisfies `w² + w_reversed² = 1`, which makes overlap-add reconstruct the signal.

use alloc::vec::Vec;

use super::{try_vec, Error};

/// The rising window slopes of both block sizes.
pub(crate) struct Windows {
    /// Slope for a neighbour of each block size: `blocksize / 2` values.
    slopes: [Vec<f32>; 2],
}

impl Windows {
    /// Heap bytes `new` allocates.
    pub(crate) fn heap_bytes(blocksize: [u16; 2]) -> usize {
        (usize::from(blocksize[0]) + usize::from(blocksize[1])) / 2 * 4
    }

    /// Computes the slopes for `blocksize`.
    pub(crate) fn new(blocksize: [u16; 2]) -> Result<Windows, Error> {
        let slope = |bs: u16| -> Result<Vec<f32>, Error> {
            let l = usize::from(bs / 2);
            let mut w = try_vec(l, 0f32)?;
            for (i, v) in w.iter_mut().enumerate() {
                let x = (i as f64 + 0.5) / l as f64 * core::f64::consts::FRAC_PI_2;
                let s = crate::util::math::sin(x);
                *v = crate::util::math::sin(core::f64::consts::FRAC_PI_2 * s * s) as f32;
            }
            Ok(w)
        };
        Ok(Windows { slopes: [slope(blocksize[0])?, slope(blocksize[1])?] })
    }

    /// Unfolds the left half of a block of size `n` from the inverse MDCT's `u`, windows it for
    /// a left neighbour of window class `neighbour_long`, and adds its values from index `skip`
    /// on to `out` (as far as `out` reaches).
    pub(crate) fn add_left_half(
        &self,
        u: &[f32],
        n: usize,
        neighbour_long: bool,
        skip: usize,
        out: &mut [f32],
    ) {
        let q = n / 4;
        let Some(u) = u.get(..2 * q) else { return };
        let slope = &self.slopes[usize::from(neighbour_long)];
        let begin = q.saturating_sub(slope.len() / 2);
        let from = skip.max(begin);
        let Some(out) = out.get_mut(from - skip..) else { return };
        // Value i of the half is u[q + i] below q and -u[3q - 1 - i] from q on (both in
        // u[q..2q]); the window is the slope from `begin` on, then flat (1).
        let flat = (begin + slope.len()).clamp(from, 2 * q);
        let mid = q.clamp(from, 2 * q);
        let slope = slope.get(from - begin..).unwrap_or(&[]);
        let (out_rise, out_flat) = out.split_at_mut((flat - from).min(out.len()));
        let (rise_lo, rise_hi) = out_rise.split_at_mut((mid.min(flat) - from).min(out_rise.len()));
        let (slope_lo, slope_hi) = slope.split_at(rise_lo.len().min(slope.len()));
        for ((o, &w), &x) in rise_lo.iter_mut().zip(slope_lo).zip(u.get(from + q..).unwrap_or(&[]))
        {
            *o += x * w;
        }
        // From index max(from, q) on, reading u downwards from 3q - 1 - max(from, q).
        let hi_start = from.max(q);
        let down = u.get(..(3 * q).saturating_sub(hi_start)).unwrap_or(&[]);
        for ((o, &w), &x) in rise_hi.iter_mut().zip(slope_hi).zip(down.iter().rev()) {
            *o -= x * w;
        }
        let flat_down = u.get(q..3 * q - flat.max(q)).unwrap_or(&[]);
        let flat_up = u.get(flat.min(q) + q..2 * q).unwrap_or(&[]);
        let (flat_lo, flat_hi) =
            out_flat.split_at_mut((q.saturating_sub(flat)).min(out_flat.len()));
        for (o, &x) in flat_lo.iter_mut().zip(flat_up) {
            *o += x;
        }
        for (o, &x) in flat_hi.iter_mut().zip(flat_down.iter().rev()) {
            *o -= x;
        }
    }

    /// Unfolds the right half of a block of size `n` from `u` into `right` and windows it for a
    /// right neighbour of window class `neighbour_long`.
    pub(crate) fn right_half(&self, u: &[f32], n: usize, neighbour_long: bool, right: &mut [f32]) {
        let q = n / 4;
        let (Some(u), Some(right)) = (u.get(..q), right.get_mut(..2 * q)) else { return };
        let (a, b) = right.split_at_mut(q);
        for (d, s) in a.iter_mut().zip(u.iter().rev()) {
            *d = -*s;
        }
        for (d, s) in b.iter_mut().zip(u.iter()) {
            *d = -*s;
        }
        let slope = &self.slopes[usize::from(neighbour_long)];
        let begin = q.saturating_sub(slope.len() / 2);
        for (d, w) in right.iter_mut().skip(begin).zip(slope.iter().rev()) {
            *d *= *w;
        }
        for d in right.iter_mut().skip(begin + slope.len()) {
            *d = 0.0;
        }
    }
}
