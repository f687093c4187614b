//! `cargo +nightly fuzz run asf`: see `rill_tests::fuzz::video` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::video::asf(data));
