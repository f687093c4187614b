//! The adaptive Golomb-Rice residual coding of ALAC (Apple's `dyn_decomp`, as FFmpeg's
//! `rice_decompress` reads it): a running mean picks each value's parameter, and runs of
//! zeros are coded as one count when the mean falls low.

use super::bits::Bits;
use super::Error;

/// Longest unary prefix before a value is escaped (written raw).
const MAX_PREFIX: u32 = 9;
/// History (mean) bound after a large value.
const HISTORY_CLAMP: u32 = 0xffff;

/// One value with Rice parameter `k` (1 to 31), escaped to `bits` raw bits after a prefix
/// of nine ones.
fn scalar(b: &mut Bits<'_>, k: u32, bits: u32) -> Result<u32, Error> {
    let ones = b.ones(MAX_PREFIX);
    if ones >= MAX_PREFIX {
        b.skip(MAX_PREFIX as usize)?;
        return b.read(bits);
    }
    b.skip(ones as usize + 1)?;
    if k == 1 {
        return Ok(ones);
    }
    let extra = b.peek(k);
    // ones * (2^k - 1), wrapping as the reference's unsigned arithmetic does.
    let mut x = (ones << k).wrapping_sub(ones);
    if extra > 1 {
        x = x.wrapping_add(extra - 1);
        b.skip(k as usize)?;
    } else {
        b.skip(k as usize - 1)?;
    }
    Ok(x)
}

/// Rice parameters of one channel: `pb` history multiplier (the cookie's `pb` times the
/// channel's factor, over 4), `mb` initial history, `kb` parameter limit.
#[derive(Clone, Copy)]
pub(super) struct Params {
    pub(super) pb: u32,
    pub(super) mb: u32,
    pub(super) kb: u32,
}

/// Decodes `out.len()` residuals of `bits` bits (the escape width) into `out`.
pub(super) fn decode(b: &mut Bits<'_>, p: Params, bits: u32, out: &mut [i32]) -> Result<(), Error> {
    if p.kb == 0 || bits == 0 || bits > 32 {
        return Err(Error::Corrupt);
    }
    let n = out.len();
    let mut history = p.mb;
    let mut sign_modifier = 0u32;
    let mut i = 0;
    while i < n {
        if b.left() == 0 {
            return Err(Error::Truncated);
        }
        let k = (31 - ((history >> 9) + 3).leading_zeros()).min(p.kb);
        let x = scalar(b, k, bits)?.wrapping_add(sign_modifier);
        sign_modifier = 0;
        // x's low bit is the sign: 0, -1, 1, -2, 2, ...
        if let Some(o) = out.get_mut(i) {
            *o = ((x >> 1) as i32) ^ -((x & 1) as i32);
        }
        if x > HISTORY_CLAMP {
            history = HISTORY_CLAMP;
        } else {
            history = history
                .wrapping_add(x.wrapping_mul(p.pb))
                .wrapping_sub(history.wrapping_mul(p.pb) >> 9);
        }
        // A low mean announces a run of zeros.
        if history < 128 && i + 1 < n {
            // 31 - leading_zeros is log2 (0 for 0, as FFmpeg's av_log2).
            let log2 = 31u32.saturating_sub((history | 1).leading_zeros());
            let k = (7 - log2 + ((history + 16) >> 6)).min(p.kb);
            let run = scalar(b, k, 16)? as usize;
            if run > 0 {
                if run >= n - i {
                    return Err(Error::Corrupt);
                }
                out.get_mut(i + 1..=i + run).ok_or(Error::Corrupt)?.fill(0);
                i += run;
            }
            if run <= 0xffff {
                sign_modifier = 1;
            }
            history = 0;
        }
        i += 1;
    }
    Ok(())
}
