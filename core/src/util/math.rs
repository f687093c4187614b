//! The `f64` functions of the decoders' setup tables: sine and cosine (the Vorbis window
//! slopes and inverse MDCT twiddles, floor 0's line spectral pairs, the resampler's windowed
//! sinc), arctangent (floor 0's Bark scale), square root (floor 0's amplitudes, the
//! resampler's Kaiser window) and `ldexp` (the codebooks' packed floats).
//!
//! On hosts these are `libm`'s (within an ulp for every argument, so the decoders' output
//! matches the reference decoders' bit for bit). On 32-bit targets they are smaller versions:
//! `libm`'s argument reduction for arbitrarily large arguments (Payne and Hanek's, with its
//! 1,584-bit table of 2/π), its sine and cosine kernels, arctangent, square root and `scalbn`
//! were 6.6 KB of Thumb code, 2.5 % of a board's 256 KiB of flash, mostly for arguments none
//! of these tables reach; these take 1.9 KB with their coefficients. They cost more
//! instructions (soft-float `f64`, longer series than `libm`'s minimax polynomials): 1.35 M
//! more guest instructions to open a Vorbis stream on the mps2-an386, about 3 ms at 480 MHz
//! (BENCHMARKS.md, "Firmware"); nothing in a decode loop calls them.
//! - Sine and cosine: the argument is reduced by π/2 split into three parts (Cody and Waite's
//!   method: `n × π/2`'s first two parts are exact for `|n| < 2^20`) and the remainder, at most
//!   about π/4, goes through the Taylor series of sine or cosine, cut where the next term is
//!   below 2^-60 of the result. Beyond `|x| ≥ 2^20 × π/2` (about 1.6 million), and for
//!   infinities and NaN, the result is NaN: only a damaged floor 0 codebook can produce such an
//!   argument, and its output is noise either way.
//! - Arctangent: `atan(x) = π/2 − atan(1/x)` above 1, `π/4 + atan((x − 1)/(x + 1))` above
//!   tan(π/8), then the Taylor series, whose terms alternate, each at most 0.18 times the last.
//! - Square root: Newton's iteration from an estimate that halves the exponent, until it stops
//!   decreasing (from above, it decreases monotonically to within an ulp).
//! - `ldexp`: two multiplications by powers of two made from their bits, exact over the
//!   codebooks' range (`libm`'s handles every overflow and subnormal case).
//!
//! Each is within about two ulps of the true value (the tests check them against `libm`), so
//! the `f32` tables made from them are `libm`'s but for a value whose `f64` lies within an ulp
//! or two of an `f32` rounding boundary (about one in 2^28), and floor 0's Bark map, the floor
//! of an arctangent, differs only where the exact value is within 2^-50 of an integer.

#[cfg(not(target_pointer_width = "32"))]
pub(crate) use libm::{atan, cos, ldexp, sin, sqrt};

#[cfg(target_pointer_width = "32")]
pub(crate) use small::{atan, cos, ldexp, sin, sin_cos, sqrt};

/// `(sin(x), cos(x))`: `libm`'s two functions, exactly as called one by one.
#[cfg(not(target_pointer_width = "32"))]
pub(crate) fn sin_cos(x: f64) -> (f64, f64) {
    (sin(x), cos(x))
}

/// The smaller versions (see the module documentation).
#[cfg(any(target_pointer_width = "32", test))]
mod small {
    /// π/2's first 33 significant bits: `n × PIO2_HI` is exact for `|n| < 2^20`.
    const PIO2_HI: f64 = 1.570_796_326_734_125_6;
    /// The next 33 bits of π/2.
    const PIO2_MID: f64 = 6.077_100_506_303_966e-11;
    /// The rest of π/2 (to 2^-124 of it).
    const PIO2_LO: f64 = 2.022_266_248_795_950_6e-21;
    /// The largest quotient `x / (π/2)` reduced exactly: 2^20.
    const LIMIT: f64 = 1_048_576.0;
    /// The sine's Taylor coefficients after `x`: `(-1)^k / (2k + 1)!` for k = 1..=8.
    const SIN: [f64; 8] = [
        -1.0 / 6.0,
        1.0 / 120.0,
        -1.0 / 5_040.0,
        1.0 / 362_880.0,
        -1.0 / 39_916_800.0,
        1.0 / 6_227_020_800.0,
        -1.0 / 1_307_674_368_000.0,
        1.0 / 355_687_428_096_000.0,
    ];
    /// The cosine's Taylor coefficients after 1: `(-1)^k / (2k)!` for k = 1..=9.
    const COS: [f64; 9] = [
        -1.0 / 2.0,
        1.0 / 24.0,
        -1.0 / 720.0,
        1.0 / 40_320.0,
        -1.0 / 3_628_800.0,
        1.0 / 479_001_600.0,
        -1.0 / 87_178_291_200.0,
        1.0 / 20_922_789_888_000.0,
        -1.0 / 6_402_373_705_728_000.0,
    ];

    /// `tan(π/8)`: above it, arctangent's argument is moved towards 0 around 1.
    const TAN_PI_8: f64 = 0.414_213_562_373_095_1;
    /// Arctangent's Taylor coefficients after `x`: `(-1)^k / (2k + 1)` for k = 1..=20 (at
    /// `|x| ≤ tan(π/8)` the first term left out is below 2^-58 of the result).
    const ATAN: [f64; 20] = [
        -1.0 / 3.0,
        1.0 / 5.0,
        -1.0 / 7.0,
        1.0 / 9.0,
        -1.0 / 11.0,
        1.0 / 13.0,
        -1.0 / 15.0,
        1.0 / 17.0,
        -1.0 / 19.0,
        1.0 / 21.0,
        -1.0 / 23.0,
        1.0 / 25.0,
        -1.0 / 27.0,
        1.0 / 29.0,
        -1.0 / 31.0,
        1.0 / 33.0,
        -1.0 / 35.0,
        1.0 / 37.0,
        -1.0 / 39.0,
        1.0 / 41.0,
    ];

    /// `c₀ + c₁y + c₂y² + …` by Horner's rule.
    fn series(coeffs: &[f64], y: f64) -> f64 {
        coeffs.iter().rev().fold(0.0, |acc, &c| acc * y + c)
    }

    /// `atan(x)`, in `[-π/2, π/2]`; NaN for NaN.
    pub(crate) fn atan(x: f64) -> f64 {
        use core::f64::consts::{FRAC_PI_2, FRAC_PI_4};
        // NaN stays NaN, and a zero keeps its sign.
        if x.is_nan() || x == 0.0 {
            return x;
        }
        let a = if x < 0.0 { -x } else { x };
        let (inverted, a) = if a > 1.0 { (true, 1.0 / a) } else { (false, a) };
        let (base, u) = if a > TAN_PI_8 { (FRAC_PI_4, (a - 1.0) / (a + 1.0)) } else { (0.0, a) };
        let u2 = u * u;
        let v = base + (u + u * u2 * series(&ATAN, u2));
        let v = if inverted { FRAC_PI_2 - v } else { v };
        if x < 0.0 {
            -v
        } else {
            v
        }
    }

    /// `√x`; NaN for negative `x` and NaN.
    pub(crate) fn sqrt(x: f64) -> f64 {
        if !(x > 0.0 && x < f64::INFINITY) {
            return if x == 0.0 || x == f64::INFINITY { x } else { f64::NAN };
        }
        // Half the exponent (within a factor of about 1.5 for normal numbers, 2^26 for the
        // smallest subnormal); after one step the iteration is at or above the root.
        let mut y = f64::from_bits((x.to_bits() >> 1) + (1023 << 51));
        y = 0.5 * (y + x / y);
        loop {
            let next = 0.5 * (y + x / y);
            if next >= y {
                return y;
            }
            y = next;
        }
    }

    /// `x × 2^e`, exact where `x × 2^(e/2)` and the result are normal numbers or zero: for
    /// the Vorbis codebooks' 21-bit mantissas and exponents `-788..=235`, always (2^-788 is
    /// far above the smallest normal, 2^-1022). Exponents are clamped to `-2044..=2046`.
    pub(crate) fn ldexp(x: f64, e: i32) -> f64 {
        let e = e.clamp(-2044, 2046);
        let half = e / 2;
        // A power of two in the normal range: its biased exponent alone.
        let pow2 = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
        x * pow2(half) * pow2(e - half)
    }

    /// `sin(x)`; NaN for `|x| ≥ 2^20 × π/2` and for non-finite `x`.
    pub(crate) fn sin(x: f64) -> f64 {
        match reduce(x) {
            Some((r, n)) => quadrant(r, n),
            None => f64::NAN,
        }
    }

    /// `cos(x)`; NaN for `|x| ≥ 2^20 × π/2` and for non-finite `x`.
    pub(crate) fn cos(x: f64) -> f64 {
        match reduce(x) {
            Some((r, n)) => quadrant(r, n.wrapping_add(1)),
            None => f64::NAN,
        }
    }

    /// `(sin(x), cos(x))`, the same values as [`sin`] and [`cos`], reducing `x` once.
    pub(crate) fn sin_cos(x: f64) -> (f64, f64) {
        match reduce(x) {
            Some((r, n)) => (quadrant(r, n), quadrant(r, n.wrapping_add(1))),
            None => (f64::NAN, f64::NAN),
        }
    }

    /// `(r, n)` with `x = n × π/2 + r`, `|r| ≲ π/4`; `None` for `|x| ≥ 2^20 × π/2` and for
    /// non-finite `x`.
    #[inline(never)]
    fn reduce(x: f64) -> Option<(f64, i32)> {
        let q = x * core::f64::consts::FRAC_2_PI;
        if !(-LIMIT < q && q < LIMIT) {
            return None;
        }
        // Rounded to the nearest; |q| < 2^20, so the conversion is exact.
        let n = (if q < 0.0 { q - 0.5 } else { q + 0.5 }) as i32;
        if n == 0 {
            // Nothing to subtract (and the subtractions would give `x` again).
            return Some((x, 0));
        }
        let nf = f64::from(n);
        Some((((x - nf * PIO2_HI) - nf * PIO2_MID) - nf * PIO2_LO, n))
    }

    /// `sin(r + k × π/2)` for `|r| ≲ π/4`: the series of sine or cosine at `r` by the
    /// quadrant `k`.
    #[inline(never)]
    fn quadrant(r: f64, k: i32) -> f64 {
        let r2 = r * r;
        let v = match k & 1 {
            // A zero keeps its sign, as sin(-0) is -0.
            0 if r2 == 0.0 => r,
            0 => r + r * r2 * series(&SIN, r2),
            _ => 1.0 + r2 * series(&COS, r2),
        };
        if k & 2 == 0 {
            v
        } else {
            -v
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// The distance between `a` and `b` in ulps of `b`'s binade (at least 2^-1074).
        fn ulps(a: f64, b: f64) -> f64 {
            let ulp = (b.abs() * f64::EPSILON).max(f64::from_bits(1));
            (a - b).abs() / ulp
        }

        /// Every argument the tables use: within two ulps of `libm` (and of the true value,
        /// which `libm` has within one), and the same `f32`.
        #[test]
        fn match_libm_on_the_tables_arguments() {
            let mut args = Vec::new();
            for n in [64u32, 128, 256, 512, 1024, 2048, 4096, 8192] {
                let theta = 2.0 * core::f64::consts::PI / f64::from(n);
                args.extend((0..n / 4).map(|j| -theta * (f64::from(j) + 0.125)));
                let l = f64::from(n / 2);
                args.extend(
                    (0..n / 2).map(|i| (f64::from(i) + 0.5) / l * core::f64::consts::FRAC_PI_2),
                );
                let h = f64::from(n / 4);
                args.extend((0..n / 4).map(|j| -core::f64::consts::PI * f64::from(j) / h));
            }
            // Floor 0's LSP values and bark map, the resampler's sinc arguments.
            args.extend((-20_000..20_000).map(|i| f64::from(i) * 0.000_173));
            args.extend(
                (0..5_000).map(|i| core::f64::consts::PI * (f64::from(i) * 0.013_7 - 30.0)),
            );
            let (mut f32_diffs, mut worst) = (0, 0f64);
            for &x in &args {
                assert_eq!(sin_cos(x), (sin(x), cos(x)));
                for (ours, theirs) in [(sin(x), libm::sin(x)), (cos(x), libm::cos(x))] {
                    worst = worst.max(ulps(ours, theirs));
                    f32_diffs += usize::from(ours as f32 != theirs as f32);
                }
            }
            assert!(worst <= 2.0, "{worst} ulps from libm");
            assert!(f32_diffs <= args.len() / 100_000, "{f32_diffs} f32 values differ");
        }

        #[test]
        fn exact_at_the_axes_and_signed() {
            assert_eq!(sin(0.0), 0.0);
            assert_eq!(cos(0.0), 1.0);
            assert!(sin(-0.0).is_sign_negative());
            for k in -8..=8 {
                let x = f64::from(k) * core::f64::consts::FRAC_PI_2;
                assert!(ulps(sin(x), libm::sin(x)) <= 2.0, "sin at {k} π/2");
                assert!(ulps(cos(x), libm::cos(x)) <= 2.0, "cos at {k} π/2");
            }
            // Up to the limit, still within the reduction's exact range.
            let x = 1_000_000.0 * core::f64::consts::FRAC_PI_2 + 0.3;
            assert!(ulps(sin(x), libm::sin(x)) <= 2.0);
        }

        /// Arguments from 10^-12 to 10^20, both signs, as floor 0's Bark scale makes them
        /// (`0.00074 x` and `1.85e-8 x²` of frequencies up to any 32-bit rate).
        fn logspace() -> impl Iterator<Item = f64> {
            (-1_200..2_000).flat_map(|i| {
                let x = libm::pow(10.0, f64::from(i) / 100.0) * 1.000_173;
                [x, -x]
            })
        }

        #[test]
        fn atan_within_two_ulps_of_libm() {
            let mut worst = 0f64;
            for x in logspace().chain((-2_000..=2_000).map(|i| f64::from(i) / 997.0)) {
                worst = worst.max(ulps(atan(x), libm::atan(x)));
            }
            assert!(worst <= 2.0, "{worst} ulps from libm");
            assert_eq!(atan(f64::INFINITY), core::f64::consts::FRAC_PI_2);
            assert_eq!(atan(1.0), core::f64::consts::FRAC_PI_4);
            assert!(atan(f64::NAN).is_nan());
            assert!(atan(-0.0).is_sign_negative());
        }

        #[test]
        fn sqrt_within_an_ulp_of_libm() {
            let mut worst = 0f64;
            let tiny = [f64::from_bits(1), f64::from_bits(12_345), f64::MIN_POSITIVE, f64::MAX];
            for x in logspace().filter(|&x| x > 0.0).chain(tiny) {
                worst = worst.max(ulps(sqrt(x), libm::sqrt(x)));
            }
            assert!(worst <= 1.0, "{worst} ulps from libm");
            assert_eq!(sqrt(4.0), 2.0);
            assert_eq!(sqrt(0.0), 0.0);
            assert_eq!(sqrt(f64::INFINITY), f64::INFINITY);
            assert!(sqrt(-1.0).is_nan() && sqrt(f64::NAN).is_nan());
        }

        #[test]
        fn ldexp_is_libms_over_the_codebooks_range() {
            for mantissa in [0u32, 1, 3, 0x1f_ffff, 0x12_3456] {
                for e in -788..=235 {
                    let x = f64::from(mantissa);
                    assert_eq!(ldexp(x, e).to_bits(), libm::ldexp(x, e).to_bits(), "{x} {e}");
                }
            }
        }

        #[test]
        fn nan_beyond_the_range() {
            for x in [2e6, -2e6, 1e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
                assert!(sin(x).is_nan() && cos(x).is_nan(), "{x}");
            }
        }
    }
}
