//! `cargo +nightly fuzz run mpeg_ps`: see `rill_tests::fuzz::video` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::video::mpeg_ps(data));
