//! `cargo +nightly fuzz run mp3`: see `rill_tests::fuzz::mp3` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::mp3::mp3(data));
