//! Shared helpers for the integration tests: corpus generation and a mock renderer.
pub mod renderer;
