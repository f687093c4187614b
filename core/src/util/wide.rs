//! `a × b / c` for 64-bit numbers, exact through a 128-bit product, in one place.
//!
//! On 32-bit targets a 128-bit product and quotient is some 700 bytes of Thumb code, and LLVM
//! inlines it at every call site: the length and time arithmetic of renditions, the
//! resampler's phases, a FLAC seek's interpolation and DIDL-Lite's bitrate had ten copies
//! (7.6 KB of the mps2 image). Here it is written once and never inlined; on hosts the call
//! costs nothing that matters (none of the callers is in a per-sample loop but the
//! resampler's, whose dot products dwarf it).

/// `floor(a × b / c)` and `(a × b) mod c`, exact; `None` when `c` is zero or the quotient does
/// not fit in 64 bits (the remainder, below `c`, always does).
#[inline(never)]
pub(crate) fn mul_div_rem(a: u64, b: u64, c: u64) -> Option<(u64, u64)> {
    if c == 0 {
        return None;
    }
    let (p, c) = (u128::from(a) * u128::from(b), u128::from(c));
    Some((u64::try_from(p / c).ok()?, (p % c) as u64))
}

/// `floor(a × b / c)`: [`mul_div_rem`]'s quotient.
pub(crate) fn mul_div(a: u64, b: u64, c: u64) -> Option<u64> {
    mul_div_rem(a, b, c).map(|(q, _)| q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_at_the_edges() {
        let max = u64::MAX;
        assert_eq!(mul_div_rem(max, max, max), Some((max, 0)));
        assert_eq!(mul_div_rem(max, 2, 3), Some((max / 3 * 2, 0)));
        assert_eq!(mul_div_rem(max, 3, 2), None, "the quotient needs 65 bits");
        assert_eq!(mul_div_rem(7, 5, 0), None);
        assert_eq!(mul_div_rem(7, 5, 6), Some((5, 5)));
        assert_eq!(mul_div(1 << 40, 1_000_000, 44_100), Some(24_932_236_457_505));
    }
}
