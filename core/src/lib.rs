//! # rill-core
//!
//! The protocol and media core of Rill, a UPnP/DLNA media server that transcodes Ogg Vorbis to
//! seekable, exact-length PCM. The same code runs in the host server (`rill serve`) and in the
//! firmware of a networked ARM board, so this crate is `#![no_std]`, never reads a clock, never
//! spawns a task and never names an executor.
//!
//! Layers, from the bytes up:
//! - [`http`], [`ssdp`], [`xml`]: wire formats. Parsers borrow their input and take caller storage;
//!   writers emit into caller buffers.
//! - [`ssdp::responder::Responder`]: the sans-IO discovery machine (datagrams and time in, datagrams and
//!   deadlines out).
//! - [`upnp`], [`dlna`]: device and service descriptions, SOAP actions, DIDL-Lite, protocolInfo.
//! - [`media`]: the Ogg demuxer and the Vorbis decoder.
//! - [`player`]: recognising players from request headers, and what each one needs.
//! - [`library`]: the media library model the ContentDirectory browses.
//! - [`gena`]: eventing: SUBSCRIBE/UNSUBSCRIBE, the subscription table and its NOTIFYs.
//! - [`server`]: the HTTP connection that ties them together, a sans-IO state machine driven
//!   by the host's and the firmware's sockets alike.
//! - `util`: a string search and two sorts, smaller in flash than the standard library's.
//!
//! Features: `alloc` enables the heap-backed parts (library model, Vorbis decoder state), each with a
//! documented bound; `flac` (implies `alloc`) adds the FLAC decoder and FLAC renditions; `defmt`
//! derives `defmt::Format` on public types for firmware logging. There is no `std` feature: the
//! crate is `no_std` outside its own unit tests, and its errors implement `core::error::Error`.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]
// The crate docs describe every module; without `alloc` (or `flac`, `alac`, `opus`) the links to
// the modules those features add have nothing to point at, which is not a broken doc.
#![cfg_attr(
    not(all(feature = "alloc", feature = "flac", feature = "alac", feature = "opus")),
    allow(rustdoc::broken_intra_doc_links)
)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod dlna;
#[cfg(feature = "alloc")]
pub mod gena;
pub mod http;
#[cfg(feature = "alloc")]
pub mod library;
pub mod media;
pub mod player;
#[cfg(feature = "alloc")]
pub mod server;
pub mod ssdp;
pub mod time;
#[cfg(feature = "alloc")]
pub mod transcode;
#[cfg(feature = "alloc")]
pub mod upnp;
mod util;
pub mod xml;
