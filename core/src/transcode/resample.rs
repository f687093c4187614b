//! Sample-rate conversion by band-limited interpolation, exact under seeking.
//!
//! Output frame `n` of a conversion from rate `from` to rate `to` sits at input position
//! `p = n × from / to`, an exact rational number: with the ratio reduced to `down / up`
//! (`up = to / gcd`, `down = from / gcd`), `n × down = q × up + r`, so `p = q + r / up`. The
//! output is the band-limited interpolation of the input at `p` (J. O. Smith, "Digital Audio
//! Resampling", ccrma.stanford.edu/~jos/resample):
//!
//! `y[n] = Σ_j h(j − r/up) × x[q + j]` for `j` in `−M+1 ..= M`, input frames outside the
//! stream being zero,
//!
//! where `h` is a Kaiser-windowed sinc low-pass in input-sample units. Nothing else enters: no
//! running phase, no filter state. So `y[n]` is a pure function of `n` and the `2M` input frames
//! around `p`, and a conversion started at any `n` (after seeking the decoder to frame
//! `q − M + 1`) produces bit for bit what a conversion from the start produces there.
//!
//! ## Filter design
//! Kaiser's window method (J. F. Kaiser, "Nonrecursive digital filter design using the
//! I0-sinh window function", IEEE ISCAS 1974; as given in Oppenheim & Schafer, *Discrete-Time
//! Signal Processing*, "The Kaiser window filter design method"): for a stopband attenuation of
//! `A` dB, `β = 0.1102 (A − 8.7)`, and a filter of `N` taps has a transition band of
//! `Δf = (A − 7.95) / (14.36 N)` (as a fraction of the sampling rate). Rill uses `A` = [`STOPBAND_DB`] (90 dB, below 16-bit quantisation) and
//! `N = 2 ×` [`HALF_TAPS`] taps counted at the *lower* of the two rates, which gives
//! `Δf ≈ 0.089`. The stopband starts exactly at the lower rate's Nyquist frequency (no aliasing
//! when going down, no images when going up), so the cutoff (the sinc's −6 dB point) is
//! `0.5 − Δf/2 ≈ 0.455` of the lower rate and the passband reaches about `0.41` of it: 19.7 kHz
//! when converting 96 kHz to 48 kHz, 3.3 kHz when converting 8 kHz to 48 kHz. When going down,
//! the kernel is stretched by `from / to`, so it covers `2 × HALF_TAPS × from / to` input frames.
//!
//! ## Coefficients
//! The kernel is tabulated once per conversion at `P + 1` phases `φ = p / P` (`p = 0..=P`), each
//! row of `2M` taps scaled to sum to exactly 1 (unit gain at DC at every phase, so the phase
//! pattern cannot modulate the level). When the table of `up + 1` rows fits [`MAX_COEFFS`],
//! `P = up` and every output phase `r / up` is a row: the filter is evaluated at the exact
//! rational position. This holds for every usual rate (8, 11.025, 16, 22.05, 24, 32, 88.2, 96,
//! 176.4, 192 kHz need 1 to 6 phases). For odd rates (47,999 Hz to 48 kHz needs 48,000 phases)
//! `P` is as large as the bound allows and the coefficients are interpolated linearly between
//! the two rows around `r / up`, with a weight computed exactly from integers (as JOS's
//! `resample` interpolates its filter table): still a pure function of `n`, so still exact under
//! seeking, at a small cost in stopband depth.
//!
//! Arithmetic is `f32` in a fixed order (tap 0 first), so it is deterministic for a given
//! build; the table is computed in `f64` with `libm`.
//!
//! Memory: the table, at most [`MAX_COEFFS`] `f32` (32 KiB); for usual rates a few KiB.

use alloc::vec::Vec;

use crate::util::math;
use crate::util::wide::mul_div_rem;

/// Kernel half-length in taps, counted at the lower of the two rates.
pub const HALF_TAPS: u32 = 32;

/// Stopband attenuation the Kaiser window is designed for, in dB.
pub const STOPBAND_DB: f64 = 90.0;

/// Kaiser's `β` for [`STOPBAND_DB`]: `0.1102 (A − 8.7)`.
pub const BETA: f64 = 0.1102 * (STOPBAND_DB - 8.7);

/// The transition band's width as a fraction of the lower rate: `(A − 7.95) / (14.36 N)` with
/// `N = 2 ×` [`HALF_TAPS`].
pub const TRANSITION: f64 = (STOPBAND_DB - 7.95) / (14.36 * 2.0 * HALF_TAPS as f64);

/// The cutoff (the sinc's −6 dB point) as a fraction of the lower rate: the stopband begins at
/// that rate's Nyquist frequency.
pub const CUTOFF: f64 = 0.5 - TRANSITION / 2.0;

/// Highest input rate converted (8× 48 kHz); the kernel then spans at most 2 × 279 taps
/// (an odd rate just below it, going to 44.1 kHz).
pub const MAX_RATE: u32 = 384_000;

/// Most coefficients tabulated for one conversion.
pub const MAX_COEFFS: usize = 8192;

/// Why a resampler cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// A rate of 0, an input rate above [`MAX_RATE`], or a ratio `from / to` so steep that
    /// two rows of the kernel exceed [`MAX_COEFFS`].
    Rate,
    /// The coefficient table could not be allocated.
    OutOfMemory,
}

/// A rate conversion: its ratio and its coefficient table.
#[derive(Debug, Clone)]
pub struct Resampler {
    /// Input frames per `up` output frames (the reduced ratio's numerator).
    down: u64,
    /// Output frames per `down` input frames: also the number of distinct output phases.
    up: u64,
    /// Taps each side: the kernel reads input frames `q − half + 1 ..= q + half`.
    half: usize,
    /// Rows in the table minus one (`up` when exact).
    phases: u64,
    /// `phases + 1` rows of `2 × half` coefficients.
    table: Vec<f32>,
}

/// Where output frame `n` reads its input: the first input frame of its window, and its phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Input frame of the first tap (may be negative: frames before the stream are zero).
    pub first: i64,
    /// `r` of `n × down = q × up + r`: the position `r / up` between input frames `q`, `q + 1`.
    pub phase: u64,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Output frames of a conversion of `frames` input frames from rate `from` to `to`:
/// `ceil(frames × to / from)`, the frames whose position `n × from / to` lies inside the input
/// (0 when `from` is 0).
pub fn frames_out(frames: u64, from: u32, to: u32) -> u64 {
    if from == 0 {
        return 0;
    }
    match mul_div_rem(frames, u64::from(to), u64::from(from)) {
        Some((q, r)) => q.saturating_add(u64::from(r != 0)),
        None => u64::MAX,
    }
}

/// Taps each side of the kernel for a conversion of the reduced ratio `down / up`:
/// `ceil(HALF_TAPS × max(down, up) / up)`.
fn half_taps(down: u64, up: u64) -> usize {
    let half = (u64::from(HALF_TAPS) * down.max(up)).div_ceil(up);
    usize::try_from(half).unwrap_or(usize::MAX)
}

/// Modified Bessel function of the first kind, order 0, by its power series
/// `Σ ((x/2)^k / k!)²`, summed until the terms no longer change the sum.
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    let half = x / 2.0;
    for k in 1..200 {
        let f = half / f64::from(k);
        term *= f * f;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// The continuous kernel at `t` input frames from the output position: `2fc sinc(2fc t)`
/// under a Kaiser window of half-width `width` (zero outside it).
pub fn kernel(t: f64, fc: f64, width: f64) -> f64 {
    let x = t / width;
    if x.abs() >= 1.0 {
        return 0.0;
    }
    let arg = 2.0 * fc * t;
    let sinc = if arg == 0.0 {
        1.0
    } else {
        math::sin(core::f64::consts::PI * arg) / (core::f64::consts::PI * arg)
    };
    let window = bessel_i0(BETA * math::sqrt(1.0 - x * x)) / bessel_i0(BETA);
    2.0 * fc * sinc * window
}

impl Resampler {
    /// A conversion from `from` to `to` frames per second.
    pub fn new(from: u32, to: u32) -> Result<Resampler, Error> {
        if from == 0 || to == 0 || from > MAX_RATE {
            return Err(Error::Rate);
        }
        let g = gcd(u64::from(from), u64::from(to));
        let (down, up) = (u64::from(from) / g, u64::from(to) / g);
        let half = half_taps(down, up);
        let taps = half.saturating_mul(2);
        // At least two rows (one phase interval) must fit: this bounds `from / to` by about 64.
        if taps.saturating_mul(2) > MAX_COEFFS {
            return Err(Error::Rate);
        }
        let rows_fit = (MAX_COEFFS / taps) as u64;
        let phases = if up < rows_fit { up } else { rows_fit - 1 };
        let len = taps.saturating_mul(phases as usize + 1);
        let mut table = Vec::new();
        table.try_reserve_exact(len).map_err(|_| Error::OutOfMemory)?;
        // Kernel in input-frame units: bandwidth scaled to the lower rate, width stretched.
        let scale = (up as f64 / down as f64).min(1.0);
        let fc = CUTOFF * scale;
        let width = f64::from(HALF_TAPS) / scale;
        let mut row = Vec::new();
        row.try_reserve_exact(taps).map_err(|_| Error::OutOfMemory)?;
        for p in 0..=phases {
            let phi = p as f64 / phases as f64;
            row.clear();
            row.extend((0..taps).map(|j| kernel(j as f64 - (half as f64 - 1.0) - phi, fc, width)));
            let sum: f64 = row.iter().sum();
            table.extend(row.iter().map(|&c| (c / sum) as f32));
        }
        Ok(Resampler { down, up, half, phases, table })
    }

    /// Taps per output sample: input frames each output frame reads.
    pub fn taps(&self) -> usize {
        2 * self.half
    }

    /// Whether every output phase has its own row of coefficients (no interpolation).
    pub fn is_exact(&self) -> bool {
        self.phases == self.up
    }

    /// The input window of output frame `n`.
    pub fn window(&self, n: u64) -> Window {
        // q <= n × MAX_RATE: fits i64 for any n a stream of u64 frames reaches in practice;
        // saturate otherwise. r < up.
        let (q, r) = mul_div_rem(n, self.down, self.up).unwrap_or((u64::MAX, 0));
        let q = i64::try_from(q).unwrap_or(i64::MAX);
        Window { first: q.saturating_sub(self.half as i64 - 1), phase: r }
    }

    /// The output sample at `phase` (see [`Resampler::window`]) of one channel whose
    /// [`Resampler::taps`] input samples from the window's first frame are `input`.
    ///
    /// Exact phases: `Σ h[j] x[j]`. Interpolated ones: `A + w (B − A)` with `A`, `B` the sums
    /// over the two rows around the phase and `w` their exact distance ratio, the same as
    /// interpolating the coefficients (the sum is linear in them).
    pub fn convolve(&self, phase: u64, input: &[f32]) -> f32 {
        let taps = self.taps();
        // phase < up, so phase × phases / up < phases; both rows exist.
        let (row, rem) = mul_div_rem(phase, self.phases, self.up).unwrap_or_default();
        let row = row as usize;
        let coeffs = |row: usize| self.table.get(row * taps..(row + 1) * taps).unwrap_or_default();
        let a = dot(coeffs(row), input);
        if rem == 0 {
            return a;
        }
        let w = rem as f32 / self.up as f32;
        a + w * (dot(coeffs(row + 1), input) - a)
    }
}

/// `Σ h[j] x[j]`, in eight running sums combined in a fixed order: deterministic, and free for
/// the compiler to vectorise.
fn dot(h: &[f32], x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (hc, xc) = (h.chunks_exact(8), x.chunks_exact(8));
    let tail = hc.remainder().iter().zip(xc.remainder()).fold(0.0, |s, (h, x)| s + h * x);
    for (h8, x8) in hc.zip(xc) {
        for ((a, h), x) in acc.iter_mut().zip(h8).zip(x8) {
            *a += h * x;
        }
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_numbers() {
        assert!((BETA - 8.959).abs() < 1e-3);
        assert!((TRANSITION - 0.0894).abs() < 1e-3);
        assert!((CUTOFF - 0.455).abs() < 1e-3);
        assert_eq!(frames_out(96_000, 96_000, 48_000), 48_000);
        assert_eq!(frames_out(96_001, 96_000, 48_000), 48_001);
        assert_eq!(frames_out(1, 8_000, 48_000), 6);
        assert_eq!(frames_out(7, 22_050, 44_100), 14);
        assert_eq!(frames_out(0, 8_000, 48_000), 0);
        assert!(Resampler::new(0, 48_000).is_err());
        assert!(Resampler::new(MAX_RATE + 1, 48_000).is_err());
        assert_eq!(Resampler::new(MAX_RATE, 1).unwrap_err(), Error::Rate);
    }

    #[test]
    fn tables_for_usual_and_odd_rates() {
        for (from, to, taps, exact) in [
            (96_000, 48_000, 128, true),
            (192_000, 48_000, 256, true),
            (8_000, 48_000, 64, true),
            (22_050, 44_100, 64, true),
            (47_999, 48_000, 64, false),
            (MAX_RATE, 44_100, 2 * 279, false),
        ] {
            let r = Resampler::new(from, to).unwrap();
            assert_eq!((r.taps(), r.is_exact()), (taps, exact), "{from} -> {to}");
            assert!(r.table.len() <= MAX_COEFFS);
            for row in r.table.chunks(r.taps()) {
                let sum: f32 = row.iter().sum();
                assert!((sum - 1.0).abs() < 1e-5, "{from} -> {to}: row sums to {sum}");
            }
        }
    }

    /// Output positions are exact rationals: 2:1 up alternates phases on one window, 1:2 down
    /// steps two input frames per output frame.
    #[test]
    fn windows_and_positions() {
        let r = Resampler::new(22_050, 44_100).unwrap();
        assert_eq!(r.window(0), Window { first: -31, phase: 0 });
        assert_eq!(r.window(1), Window { first: -31, phase: 1 });
        assert_eq!(r.window(2), Window { first: -30, phase: 0 });
        let d = Resampler::new(96_000, 48_000).unwrap();
        assert_eq!(d.window(10), Window { first: 20 - 63, phase: 0 });
        // A constant input passes unchanged (rows sum to 1).
        let out = d.convolve(0, &[0.25f32; 128]);
        assert!((out - 0.25).abs() < 1e-6, "{out}");
    }

    /// Converts `input` (one channel) from start to end, zeros outside it.
    fn run(r: &Resampler, input: &[f32], frames: u64) -> Vec<f32> {
        let taps = r.taps() as i64;
        (0..frames)
            .map(|n| {
                let w = r.window(n);
                let window: Vec<f32> = (w.first..w.first + taps)
                    .map(|k| usize::try_from(k).ok().and_then(|k| input.get(k)).copied())
                    .map(|x| x.unwrap_or(0.0))
                    .collect();
                r.convolve(w.phase, &window)
            })
            .collect()
    }

    fn sine(freq: f64, rate: u32, frames: usize) -> Vec<f32> {
        let w = 2.0 * core::f64::consts::PI * freq / f64::from(rate);
        (0..frames).map(|i| (0.5 * libm::sin(w * i as f64)) as f32).collect()
    }

    /// The amplitude of `y`'s component at `freq` (one DFT bin, as a Goertzel filter computes
    /// it) and the energy of the rest relative to the whole.
    fn tone(y: &[f32], freq: f64, rate: u32) -> (f64, f64) {
        let w = 2.0 * core::f64::consts::PI * freq / f64::from(rate);
        let (mut re, mut im, mut energy) = (0.0, 0.0, 0.0);
        for (i, &v) in y.iter().enumerate() {
            let v = f64::from(v);
            re += v * libm::cos(w * i as f64);
            im -= v * libm::sin(w * i as f64);
            energy += v * v;
        }
        let n = y.len() as f64;
        let amp = 2.0 * libm::sqrt(re * re + im * im) / n;
        let tone_energy = amp * amp / 2.0 * n;
        (amp, (energy - tone_energy).max(0.0) / energy)
    }

    /// A real resampler: a 1 kHz tone comes out as a 1 kHz tone of the same amplitude with
    /// nothing else above -80 dB (no images when going up, no aliases when going down), and a
    /// tone above the output's Nyquist frequency is removed rather than folded back.
    #[test]
    fn tones_pass_and_aliases_are_stopped() {
        for (from, to, residual) in [
            (96_000, 48_000, 1e-8),
            (8_000, 48_000, 1e-8),
            (22_050, 44_100, 1e-8),
            (192_000, 48_000, 1e-8),
            // Interpolated coefficients: a shallower stopband.
            (47_999, 44_100, 1e-6),
        ] {
            let r = Resampler::new(from, to).unwrap();
            let input = sine(1000.0, from, from as usize / 2);
            let out = run(&r, &input, frames_out(input.len() as u64, from, to));
            // Away from the edges, over a whole number of periods (50 ms).
            let skip = to as usize / 20;
            let body = &out[skip..skip + to as usize / 20 * 4];
            let (amp, rest) = tone(body, 1000.0, to);
            assert!((amp - 0.5).abs() < 5e-4, "{from} -> {to}: amplitude {amp}");
            assert!(rest < residual, "{from} -> {to}: {rest:e} of the energy elsewhere");
        }
        // 30 kHz at 96 kHz has no place at 48 kHz: naive decimation would fold it to 18 kHz at
        // full level.
        let r = Resampler::new(96_000, 48_000).unwrap();
        let out = run(&r, &sine(30_000.0, 96_000, 48_000), 24_000);
        let rms = |v: &[f32]| {
            libm::sqrt(v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / v.len() as f64)
        };
        let ratio = rms(&out[1000..23_000]) / rms(&sine(30_000.0, 96_000, 44_000));
        assert!(ratio < 1e-4, "30 kHz leaks at {ratio:e}");
    }
}
