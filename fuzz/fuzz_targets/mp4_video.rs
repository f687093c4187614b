//! `cargo +nightly fuzz run mp4_video`: see `rill_tests::fuzz::video` for the input layout.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rill_tests::fuzz::video::mp4_video(data));
