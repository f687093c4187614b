//! The bodies of Rill's fuzz targets, shared by the cargo-fuzz crate in `fuzz/` (nightly,
//! libFuzzer) and the stable replay test `tests/tests/fuzz_replay.rs`, which runs every file
//! under `fuzz/seeds/<target>/` through the same function. A target lives here rather than in
//! `fuzz/` so that CI replays the seed corpora and the regression inputs without nightly.
//!
//! Each `pub fn` takes the raw fuzz input and drives one entry point of `rill-core` the way the
//! shells do. The core promises that no input makes it panic, hang or allocate without bound, so
//! a panic anywhere below is a bug. The targets also assert the few properties the core documents
//! about its results (a resolved byte range lies inside the representation, a decoded path has
//! no dot segment, a rendered document is exactly as long as its counting pass said, ...).
//! Every loop is bounded, so slow inputs show up as libFuzzer timeouts of the core, not of the
//! harness.
//!
//! Input layouts (documented per target) keep real protocol bytes as real seeds: a request head,
//! a datagram, an Ogg file are fuzz inputs as they are, with at most one leading selector byte.

mod fixture;
pub mod flac;
pub mod gena;
pub mod http;
pub mod mem;
pub mod mp3;
pub mod mp4;
pub mod ogg;
pub mod playlist;
pub mod server;
pub mod soap;
pub mod ssdp;
pub mod tags;
pub mod video;

/// A fuzz target's body: takes one input, panics on a bug.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, as under `fuzz/fuzz_targets/` and `fuzz/seeds/`.
pub const TARGETS: [(&str, Target); 18] = [
    ("http_request", http::http_request),
    ("ssdp", ssdp::ssdp),
    ("soap", soap::soap),
    ("server", server::server),
    ("ogg_vorbis", ogg::ogg_vorbis),
    ("tags", tags::tags),
    ("gena", gena::gena),
    ("mp4", mp4::mp4),
    ("alac", mp4::alac),
    ("flac", flac::flac),
    ("mkv", video::mkv),
    ("mp4_video", video::mp4_video),
    ("avi", video::avi),
    ("mpeg_ts", video::mpeg_ts),
    ("mpeg_ps", video::mpeg_ps),
    ("asf", video::asf),
    ("mp3", mp3::mp3),
    ("playlist", playlist::playlist),
];
