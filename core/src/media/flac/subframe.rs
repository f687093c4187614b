//! Subframes (RFC 9639 §9.2): one channel of a frame, coded as a constant, verbatim samples,
//! a fixed polynomial predictor (orders 0-4) or a linear predictor (orders 1-32) plus a
//! Rice-coded residual (both methods, escaped partitions), with wasted bits shifted back.
//!
//! Samples are decoded into `i32`, or into `i64` for the one case that needs it: the side
//! channel of a 32-bit stereo frame, 33 bits wide. Predictions always accumulate in `i64`
//! (§9.2.7.3: at 24 bits, order 12 and 15-bit coefficients a sum needs 44 bits). Arithmetic
//! on decoded values wraps, so a damaged stream yields wrong samples, never a panic; the
//! frame's CRC-16 then rejects it.

use super::bits::Bits;
use super::Error;

/// A decoded sample type: `i32`, or `i64` for 33-bit side channels.
pub(super) trait Sample: Copy {
    /// The low bits of `v` (wrapping).
    fn from_i64(v: i64) -> Self;
    /// The value, sign-extended.
    fn to_i64(self) -> i64;
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

/// Largest LPC order.
const MAX_LPC_ORDER: usize = 32;

/// Decodes one subframe of `bps` bits per sample (at most 33) into `out`, whose length is the
/// block size.
pub(super) fn decode<S: Sample>(bits: &mut Bits<'_>, bps: u32, out: &mut [S]) -> Result<(), Error> {
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
        32..=63 => lpc(bits, bps, (kind - 31) as usize, out)?,
        _ => return Err(Error::Subframe),
    }
    if wasted > 0 {
        for s in out.iter_mut() {
            *s = S::from_i64(s.to_i64().wrapping_shl(wasted));
        }
    }
    Ok(())
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
    Ok(())
}

/// A linear predictor subframe (§9.2.6).
fn lpc<S: Sample>(bits: &mut Bits<'_>, bps: u32, order: usize, out: &mut [S]) -> Result<(), Error> {
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
    let mut coefs = [0i64; MAX_LPC_ORDER];
    let coefs = coefs.get_mut(..order).ok_or(Error::Subframe)?;
    for c in coefs.iter_mut().rev() {
        *c = bits.read_signed(precision)?;
    }
    residual(bits, order, out)?;
    for i in order..out.len() {
        // `order <= i < len`: the window is in bounds.
        let history = &out[i - order..i];
        let sum = history
            .iter()
            .zip(coefs.iter())
            .fold(0i64, |acc, (s, c)| acc.wrapping_add(c.wrapping_mul(s.to_i64())));
        out[i] = S::from_i64(out[i].to_i64().wrapping_add(sum >> shift));
    }
    Ok(())
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
            for s in part.iter_mut() {
                *s = S::from_i64(i64::from(bits.rice(k)?));
            }
        }
        start = end;
    }
    Ok(())
}
