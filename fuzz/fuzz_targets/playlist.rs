//! `cargo +nightly fuzz run playlist`: see `rill_tests::fuzz::playlist` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::playlist::playlist(data));
