//! Placeholder while the responder is written.
