//! Replays the fuzz seed corpora on the stable toolchain: every file under
//! `fuzz/seeds/<target>/` (real inputs, and every input a fuzzer found a bug with) goes through
//! the same target body as `cargo +nightly fuzz run <target>` (see `rill_tests::fuzz`). A panic
//! is a bug in `rill-core` or a broken property the target checks; the file is named in the
//! test output.

use std::path::{Path, PathBuf};

use rill_tests::fuzz::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Runs every seed of `name` through its target.
fn replay(name: &str) {
    let (_, target) = TARGETS.iter().find(|(n, _)| *n == name).expect("a known target");
    let dir = fuzz_dir().join("seeds").join(name);
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    for seed in seeds {
        println!("{}", seed.display());
        target(&std::fs::read(&seed).expect("read a seed"));
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
