//! The `opus_compare` re-implementation (`rill_tests::opus_corpus::quality`), which the Opus
//! tests and the decoder choice (`benches/opus_decoders.rs`) rest on, tells a faithful decode
//! from damaged ones.

use rill_tests::opus_corpus::{quality, standard};

#[test]
fn opus_compare_tells_faithful_from_damaged() {
    let spec = &standard()[0];
    let reference = spec.reference();
    assert!((quality(&reference, &reference, 2) - 100.0).abs() < 1e-9);
    let mut rng = rill_tests::corpus::Rng::new(7);
    // Noise at -90 dB of full scale passes easily; at -20 dB, or a band removed, it fails.
    let faint: Vec<f32> = reference.iter().map(|s| s + 3e-5 * rng.signed() as f32).collect();
    let q = quality(&reference, &faint, 2);
    assert!(q > 50.0, "faint noise: {q}");
    let loud: Vec<f32> = reference.iter().map(|s| s + 0.1 * rng.signed() as f32).collect();
    let q = quality(&reference, &loud, 2);
    assert!(q < 0.0, "loud noise: {q}");
    // A one-pole low-pass (the top octaves dulled) fails too.
    let mut dull = reference.clone();
    for c in 0..2 {
        let mut y = 0.0f32;
        for s in dull.iter_mut().skip(c).step_by(2) {
            y += 0.2 * (*s - y);
            *s = y;
        }
    }
    let q = quality(&reference, &dull, 2);
    assert!(q < 0.0, "low-passed: {q}");
}
