//! `cargo +nightly fuzz run mp4`: see `rill_tests::fuzz::mp4` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::mp4::mp4(data));
