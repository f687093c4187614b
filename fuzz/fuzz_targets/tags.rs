//! `cargo +nightly fuzz run tags`: see `rill_tests::fuzz::tags` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::tags::tags(data));
