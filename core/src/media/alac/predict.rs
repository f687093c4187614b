//! ALAC's adaptive FIR predictor (Apple's `unpc_block`, as FFmpeg's `lpc_prediction` writes
//! it): each sample is predicted from the `order` before it, relative to the one before
//! those, and the coefficients adapt by the sign of each residual. Arithmetic wraps at 32
//! bits as the reference's does, so hostile input cannot overflow.

use super::bits::sign_extend;

/// Rebuilds `out` from the residuals `err` with `coefs` (in the order read; adapted in
/// place), `order` taps (31: plain first-order prediction), `quant` shift, to `bits`-bit
/// samples. `err` and `out` have the same length.
pub(super) fn restore(err: &[i32], out: &mut [i32], coefs: &mut [i16], quant: u32, bits: u32) {
    let n = err.len().min(out.len());
    if n == 0 {
        return;
    }
    let (err, out) = (&err[..n], &mut out[..n]);
    let order = coefs.len();
    if order == 31 {
        // The reference's special case: plain first-order prediction, coefficients unused.
        out.copy_from_slice(err);
        first_order(out, bits);
        return;
    }
    out[0] = err[0];
    if order == 0 {
        out[1..].copy_from_slice(&err[1..]);
        return;
    }
    let warm = (order + 1).min(n);
    for i in 1..warm {
        out[i] = sign_extend(out[i - 1].wrapping_add(err[i]) as u32, bits);
    }
    let round = if quant > 0 { 1i64 << (quant - 1) } else { 0 };
    for (i, &residual) in err.iter().enumerate().skip(warm) {
        let base = i - order - 1;
        let (before, rest) = out.split_at_mut(i);
        let d = before[base];
        let hist = &before[base + 1..];
        let mut val: i32 = 0;
        for (&h, &c) in hist.iter().zip(coefs.iter()) {
            val = val.wrapping_add(h.wrapping_sub(d).wrapping_mul(i32::from(c)));
        }
        let val = ((i64::from(val) + round) >> quant) as i32;
        let mut e = residual;
        rest[0] = sign_extend(val.wrapping_add(d).wrapping_add(e) as u32, bits);
        let sign = e.signum();
        if sign != 0 {
            for (j, (&h, c)) in hist.iter().zip(coefs.iter_mut()).enumerate() {
                if e.wrapping_mul(sign) <= 0 {
                    break;
                }
                let v = d.wrapping_sub(h);
                let s = v.signum() * sign;
                *c = c.wrapping_sub(s as i16);
                let v = v.wrapping_mul(s);
                e = e.wrapping_sub((v >> quant).wrapping_mul(j as i32 + 1));
            }
        }
    }
}

/// The first-order pass of prediction mode 15 (Apple: any non-zero mode), in place.
pub(super) fn first_order(buf: &mut [i32], bits: u32) {
    for i in 1..buf.len() {
        buf[i] = sign_extend(buf[i - 1].wrapping_add(buf[i]) as u32, bits);
    }
}
