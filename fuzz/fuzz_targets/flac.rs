//! `cargo +nightly fuzz run flac`: see `rill_tests::fuzz::flac` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::flac::flac(data));
