//! Shared helpers for the integration tests: the Vorbis test corpus, an Ogg re-paging tool, and
//! a mock renderer (control point and player) that drives the real server over real sockets.

pub mod corpus;
pub mod renderer;
pub mod repage;
