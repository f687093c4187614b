//! `cargo +nightly fuzz run alac`: see `rill_tests::fuzz::mp4::alac` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::mp4::alac(data));
