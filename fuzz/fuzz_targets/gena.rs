//! `cargo +nightly fuzz run gena`: see `rill_tests::fuzz::gena` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::gena::gena(data));
