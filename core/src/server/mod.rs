//! The HTTP side of a Rill media server: one connection engine shared by the host and the firmware.
//!
//! A [`Connection`] is a sans-IO state machine (bytes and time in; bytes to send, the next
//! deadline and events out) that frames requests, keeps connections alive, owns every time
//! limit ([`connection::Timeouts`]) and sends the answers the [`Server`] builds; the shell keeps
//! only the socket. Everything else the platform must provide (the library behind its lock,
//! opening files, the wall clock) comes through the small [`Env`] trait. [`busy`] writes the
//! answer to a connection beyond capacity, with the same [`RETRY_AFTER`] as every other 503.
//!
//! Answers to SOAP actions and descriptions are rendered once into a growing buffer and sent
//! from it (the platform may lend a buffer an earlier answer left: [`Env::answer_buffer`]); where [`Env::answer_budget`] caps a SOAP answer, a counting pass (see
//! [`crate::xml::Render::rendered_len`]) first checks its size and reserves the buffer exactly.
//!
//! Answers, by path (see [`crate::upnp`] for the URL layout):
//! - malformed heads 400, oversized heads 431, oversized bodies 413, request bodies with a
//!   `Transfer-Encoding` 501, other HTTP versions 505; each closes the connection;
//! - a target that does not percent-decode to a clean path 400; unknown paths 404; a method a
//!   path does not take 405;
//! - SUBSCRIBE and UNSUBSCRIBE on an event URL: 200 with `SID` and `TIMEOUT`, or the refusal
//!   [`crate::gena::Error::status`] names (400, 412, 503); the subscription table lives behind
//!   [`Env::with_events`] and the platform sends the NOTIFYs it produces;
//! - media: 200 or 206 with exact `Content-Length`, 416 past the end, DLNA headers (see
//!   `media.rs`); a remux of a video (`.ts`, see `remux.rs`) 200 without a length, the
//!   connection closing after it;
//! - subtitles `/rill/caption/<video id>/<n>.<ext>`: a video's sidecar subtitle as UTF-8, and
//!   `CaptionInfo.sec` naming it on the video's answers (see `caption.rs`);
//! - album art `/rill/art/<id>.jpg`: the platform's thumbnail of an item marked as having one
//!   ([`Env::open_art`]), 404 otherwise.

#[cfg(feature = "subtitles")]
mod caption;
pub mod connection;
mod head;
mod media;
#[cfg(feature = "remux")]
mod remux;
mod reply;
mod route;

#[cfg(feature = "subtitles")]
pub use caption::{CaptionError, CaptionUrl};
pub use connection::Connection;
pub use head::{busy, MIN_TX, RETRY_AFTER};

use alloc::vec::Vec;

use crate::gena::Subscriptions;
use crate::http::request::RequestLimits;
use crate::library::{FileInfo, FileRef, Library};
use crate::player::Clients;
use crate::time::Instant;
use crate::upnp::bookmarks::Bookmarks;
use crate::upnp::description::Device;

/// What the platform gives the server: the library, files, the clocks, and the tables of
/// players and event subscriptions.
pub trait Env {
    /// An open media file, read with blocking calls (a page-cache read on the host, an SD-card
    /// block read on the firmware).
    type File: embedded_io::Read + embedded_io::Seek;

    /// Runs `f` with the library, under whatever lock the platform keeps it behind. `f` never
    /// awaits, so the lock is held only while a response is built, never while it is sent.
    fn with_library<R>(&self, f: impl FnOnce(&Library) -> R) -> R;

    /// Opens the file of a library item for reading, and returns it with its current size, or
    /// `None` if it is gone or unreadable.
    fn open(&self, file: &FileRef<'_>) -> Option<(Self::File, u64)>;

    /// Opens the `JPEG_TN` thumbnail (a JPEG of at most 160x160) the platform made of a library
    /// file, which had size and mtime `info` when scanned, and returns it with its size; `None`
    /// if there is none. Asked only for items the library marks with
    /// [`Item::thumbnail`](crate::library::Item::thumbnail).
    fn open_art(&self, file: &FileRef<'_>, info: FileInfo) -> Option<(Self::File, u64)>;

    /// Seconds since the Unix epoch, if the platform knows the time (for `Date` headers; RFC 9110
    /// lets a server without a reliable clock leave them out).
    fn unix_time(&self) -> Option<u64>;

    /// The monotonic time, for remembering which player each client is.
    fn now(&self) -> Instant;

    /// Runs `f` with the table of players recognised per client address, kept by the platform
    /// behind a lock like the library (and, like it, never held across an await).
    fn with_clients<R>(&self, f: impl FnOnce(&mut Clients<CLIENTS>) -> R) -> R;

    /// Runs `f` with the GENA subscription table, behind a lock like the library. The server
    /// calls it for SUBSCRIBE and UNSUBSCRIBE; afterwards the table may have a NOTIFY due (the
    /// initial event of a new subscription), so the platform's event sender should look at
    /// [`Subscriptions::poll_notify`] again after each call.
    fn with_events<R>(&self, f: impl FnOnce(&mut Subscriptions<SUBSCRIPTIONS>) -> R) -> R;

    /// Opens the file of a library item to transcode it. A platform with a fixed number of
    /// decoders refuses with [`Unavailable::Busy`] while they are all in use (the answer is 503)
    /// and keeps its count in the returned file, which the stream holds until it ends. By
    /// default, [`Env::open`].
    fn open_stream(&self, file: &FileRef<'_>) -> Result<(Self::File, u64), Unavailable> {
        self.open(file).ok_or(Unavailable::Gone)
    }

    /// Whether the platform remuxes videos to MPEG-TS ([`Env::open_remux`]): without a
    /// remuxer no player is offered one. By default none.
    #[cfg(feature = "remux")]
    fn remuxes(&self) -> bool {
        false
    }

    /// Starts a remux of the video of a library item to MPEG-TS as `remux` says (see
    /// [`crate::player::video`]), from the keyframe at or before `start_us` (microseconds), and
    /// returns its stream, read until it ends, with the time of that keyframe in
    /// microseconds, which the time-seek answer echoes. Refuses with [`Unavailable::Busy`]
    /// beyond the platform's cap on concurrent remuxes (503), [`Unavailable::Gone`] when it
    /// cannot start one (404). By default none is started.
    #[cfg(feature = "remux")]
    fn open_remux(
        &self,
        _file: &FileRef<'_>,
        _remux: &crate::player::Remux,
        _start_us: u64,
    ) -> Result<(Self::File, u64), Unavailable> {
        Err(Unavailable::Gone)
    }

    /// Heap bytes the Vorbis reader of one transcoded stream may take (see
    /// [`VorbisFile::open_with_budget`](crate::media::vorbis_file::VorbisFile::open_with_budget)):
    /// a stream that needs more is refused with 503. A board passes what its heap budget sets
    /// aside per stream; by default [`DEFAULT_BUDGET`](crate::media::vorbis_file::DEFAULT_BUDGET).
    fn stream_budget(&self) -> usize {
        crate::media::vorbis_file::DEFAULT_BUDGET
    }

    /// The Opus decoder for one transcoded stream of an Ogg Opus file (with the `opus`
    /// feature): core has none of its own, so a platform that can decode Opus lends one here
    /// (the host: libopus). By default none, and an Opus rendition is refused with 500; a
    /// platform without a decoder also leaves Opus out of its library's probe, so it offers
    /// none and serves Opus files as they are.
    #[cfg(feature = "opus")]
    fn opus_decoder(&self) -> Option<crate::transcode::OpusDecoder> {
        None
    }

    /// Told why a rendition's file could not be opened for decoding (over
    /// [`Env::stream_budget`], out of heap: answered 503; damaged: 500), so the platform can
    /// log the reason the status alone does not give. By default nothing is done.
    fn stream_refused(&self, _reason: &crate::transcode::Error) {}

    /// Told why the subtitle file `file` was not served (too large, unreadable, out of
    /// memory), so the platform can log the reason the status alone does not give. By default
    /// nothing is done.
    #[cfg(feature = "subtitles")]
    fn caption_refused(&self, _file: &FileRef<'_>, _reason: &CaptionError) {}

    /// Runs `f` with the playback positions Samsung TVs stored ([`Bookmarks`]), behind a lock
    /// like the library's (taken while the library's is held, and never the other way round).
    /// A platform that keeps them saves the table when its
    /// [`generation`](Bookmarks::generation) changed. By default none are kept: `f` gets an
    /// empty table of capacity 0, so `X_SetBookmark` is answered and forgotten.
    fn with_bookmarks<R>(&self, f: impl FnOnce(&mut Bookmarks) -> R) -> R {
        f(&mut Bookmarks::new(0))
    }

    /// Largest SOAP answer (a Browse or Search result) the platform has heap for. Below
    /// `usize::MAX`, an answer is measured before it is rendered, its buffer reserved exactly
    /// and fallibly, and an answer that is larger, or does not fit the heap, gets 503 instead
    /// of taking the memory. A Browse or Search page is first cut to the longest prefix that
    /// fits (see [`crate::upnp::control::Ctx::answer_budget`]), so only a single object over the
    /// budget is refused. By default unbounded (rendered into a growing buffer, no measuring
    /// pass).
    fn answer_budget(&self) -> usize {
        usize::MAX
    }

    /// An empty buffer to render the next SOAP answer or description into, sent from it as
    /// the response body. A platform may hand out one that an earlier answer left (see
    /// [`Env::answer_sent`]), with its capacity, so a large answer (a Browse of 1,000
    /// children is 1.5 MB) neither grows a fresh allocation step by step nor faults its
    /// pages in again on every request. By default a new, empty one.
    fn answer_buffer(&self) -> Vec<u8> {
        Vec::new()
    }

    /// Gives back the buffer of an answer (from [`Env::answer_buffer`], or any other rendered
    /// body) once its response is sent or its connection ended: the platform may keep it, within
    /// a bound of its own, for a later [`Env::answer_buffer`]. By default it is freed.
    fn answer_sent(&self, _buffer: Vec<u8>) {}
}

/// Why [`Env::open_stream`] gave no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Unavailable {
    /// The file is gone or unreadable: 404.
    Gone,
    /// No room for another transcoded stream right now: 503.
    Busy,
}

/// Client addresses whose player is remembered (an hour each; the least recently seen makes
/// room): 16 entries, about 520 bytes.
pub const CLIENTS: usize = 16;

/// Event subscriptions held at once, across the three services: 16 slots, about 16 KB (see
/// [`Subscriptions`]). A player subscribes to one or two services; a full table answers 503.
pub const SUBSCRIPTIONS: usize = 16;

/// The HTTP server of one device: its identity, its limits, and its [`Env`].
#[derive(Debug)]
pub struct Server<'a, E> {
    env: &'a E,
    device: Device<'a>,
    server_header: &'a str,
    limits: RequestLimits,
}

impl<'a, E: Env> Server<'a, E> {
    /// A server for `device`, answering with `SERVER: server_header` (the same product string
    /// SSDP announces, e.g. `Linux/6.1 UPnP/1.0 DLNADOC/1.50 Rill/0.1.0`).
    pub fn new(
        env: &'a E,
        device: Device<'a>,
        server_header: &'a str,
        limits: RequestLimits,
    ) -> Self {
        Server { env, device, server_header, limits }
    }
}

#[cfg(test)]
mod tests;
