//! `cargo +nightly fuzz run soap`: see `rill_tests::fuzz::soap` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::soap::soap(data));
