//! Shared helpers for the integration tests: the Vorbis and FLAC test corpora, an Ogg re-paging tool, a
//! mock renderer (control point and player) that drives the real server over real sockets, the
//! checks of PCM renditions ([`rendition`]), video clips made with ffmpeg ([`video_corpus`]), a
//! FUSE file system whose reads hang on demand ([`hangfs`]), one that shows a folder as a
//! network mount does ([`mirrorfs`]), and the bodies of the fuzz targets
//! (replayed over their seeds by `tests/fuzz_replay.rs`).

pub mod corpus;
pub mod fat;
pub mod flac_corpus;
pub mod fuzz;
pub mod hangfs;
pub mod library_gen;
pub mod mirrorfs;
pub mod opus_corpus;
pub mod peak_alloc;
pub mod process;
pub mod renderer;
pub mod rendition;
pub mod repage;
pub mod video_corpus;
