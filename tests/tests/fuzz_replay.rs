//! Replays the fuzz corpora on the stable toolchain, CI's short fuzz pass: every file under
//! `fuzz/seeds/<target>/` (real inputs, and every input a fuzzer found a bug with) and under
//! `fuzz/corpus-min/<target>/` (the minimised corpus of the last long run, see
//! `fuzz/README.md`) goes through the same target body as `cargo +nightly fuzz run <target>`
//! (see `rill_tests::fuzz`). A panic is a bug in `rill-core` or a broken property the target
//! checks; the file is named in the test output.

use std::path::{Path, PathBuf};

use rill_tests::fuzz::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files in `dir`, sorted; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|entry| entry.expect("a directory entry").path()).collect();
    files.sort();
    files
}

/// Runs every seed of `name`, and its minimised corpus if it has one, through its target.
fn replay(name: &str) {
    let (_, target) = TARGETS.iter().find(|(n, _)| *n == name).expect("a known target");
    let seeds = files(&fuzz_dir().join("seeds").join(name));
    assert!(!seeds.is_empty(), "no seeds for {name}");
    let corpus = files(&fuzz_dir().join("corpus-min").join(name));
    for input in seeds.iter().chain(&corpus) {
        println!("{}", input.display());
        target(&std::fs::read(input).expect("read a fuzz input"));
    }
}

#[test]
fn every_target_has_a_fuzz_binary_and_seeds() {
    for (name, _) in TARGETS {
        let bin = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(bin.is_file(), "{} is missing", bin.display());
        assert!(fuzz_dir().join("seeds").join(name).is_dir(), "no seeds for {name}");
    }
}

#[test]
fn http_request() {
    replay("http_request");
}

#[test]
fn ssdp() {
    replay("ssdp");
}

#[test]
fn soap() {
    replay("soap");
}

#[test]
fn server() {
    replay("server");
}

#[test]
fn ogg_vorbis() {
    replay("ogg_vorbis");
}

#[test]
fn tags() {
    replay("tags");
}

#[test]
fn gena() {
    replay("gena");
}

#[test]
fn mp4() {
    replay("mp4");
}

#[test]
fn alac() {
    replay("alac");
}

#[test]
fn flac() {
    replay("flac");
}

#[test]
fn mkv() {
    replay("mkv");
}

#[test]
fn mp4_video() {
    replay("mp4_video");
}

#[test]
fn avi() {
    replay("avi");
}

#[test]
fn mpeg_ts() {
    replay("mpeg_ts");
}

#[test]
fn mpeg_ps() {
    replay("mpeg_ps");
}

#[test]
fn asf() {
    replay("asf");
}

#[test]
fn playlist() {
    replay("playlist");
}
