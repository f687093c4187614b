//! `cargo +nightly fuzz run ogg_vorbis`: see `rill_tests::fuzz::ogg` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::ogg::ogg_vorbis(data));
