//! Sockets: SSDP discovery over UDP and the HTTP listeners, bound per served interface.

pub mod http;
pub mod ssdp;
