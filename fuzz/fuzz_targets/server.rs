//! `cargo +nightly fuzz run server`: see `rill_tests::fuzz::server` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::server::server(data));
