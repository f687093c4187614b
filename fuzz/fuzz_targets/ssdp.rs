//! `cargo +nightly fuzz run ssdp`: see `rill_tests::fuzz::ssdp` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::ssdp::ssdp(data));
