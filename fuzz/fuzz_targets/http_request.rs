//! `cargo +nightly fuzz run http_request`: see `rill_tests::fuzz::http` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::http::http_request(data));
