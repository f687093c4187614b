//! One HTTP connection as a sans-IO state machine, shared by the host and the firmware.
//!
//! The shell owns the socket and the clock; the [`Connection`] owns everything else: framing,
//! keep-alive and pipelining, `100 Continue`, the answers (through [`Server`]), the bodies it
//! produces, and every time limit ([`Timeouts`], one set of values for both shells). Nothing
//! here blocks, reads a clock or names an executor. The loop of a shell:
//!
//! 1. [`Connection::handle_timeout`] with the current time;
//! 2. drain [`Connection::poll_event`] (log and count each [`Event`]); after
//!    [`Event::Closed`] close the socket and stop;
//! 3. [`Connection::poll_transmit`]:
//!    - [`Outgoing::Bytes`]: write what the socket takes, then
//!      [`Connection::handle_sent`] with the count;
//!    - [`Outgoing::File`]: send that span of the file (the host with `sendfile(2)`), then
//!      [`Connection::handle_sent`] with the count, or [`Connection::handle_body_error`] if the
//!      file ended early or failed; a connection only hands out files when its
//!      [`Config::send_files`] says the shell can send them, and otherwise reads them into its
//!      send buffer itself;
//!    - `None`: read into [`Connection::receive_buffer`], then
//!      [`Connection::handle_received`] with the count, [`Connection::handle_eof`] at the end
//!      of the stream;
//! 4. each wait for the socket (to write or to read) ends at [`Connection::poll_at`] at the
//!    latest; a socket error is [`Connection::handle_io_error`]. Repeat.
//!
//! Some calls block on the platform's files: [`Connection::poll_transmit`] when
//! [`Connection::produces`] (it reads or decodes the next chunk), and any call that answers a
//! request when [`Connection::opens_files`] (a media or thumbnail answer opens its file, and
//! a rendition's reads and seeks it). A shell that must not block its event loop runs those
//! calls where blocking is allowed, and one that has no room for them answers the request
//! with [`Connection::handle_busy`] instead.
//!
//! Memory: `rx` ([`Storage`]) holds one request head plus its body and whatever the client
//! pipelined after it; it grows only as far as a request needs (a head up to
//! [`RequestLimits::max_head`](crate::http::request::RequestLimits::max_head), a SOAP body up to its
//! `Content-Length`), never past its [`Storage::max_len`] (a request that would is refused: 431
//! or 413), and shrinks back once the request is answered. `tx` holds a response head
//! ([`MIN_TX`]) and, for bodies the connection produces itself (transcodes, files the shell does
//! not send), one [`Config::chunk`]; it is given back after each response. Rendered SOAP answers
//! and descriptions are sent from their own buffer, without a copy, which goes back to the
//! platform once sent ([`Env::answer_sent`]) so it may lend it to a later answer.
//!
//! Requests that cannot be framed get their status (400, 413, 431, 501, 505, see
//! [`request::Error`]) and end the connection ([`Close::Refused`]); a body that fails half-way
//! ends it too ([`Close::BodyFailed`], [`Close::Transcode`]), since its framing is broken.
//! A body of unknown length (a remux, read from its stream until it ends) is sent without a
//! `Content-Length` and ends the connection ([`Close::Done`]).

mod blocking;
mod event;
mod storage;
mod timer;

#[cfg(test)]
mod tests;

pub use event::{Close, Counters, Event, Fault};
pub use storage::{Growable, Storage};
pub use timer::{Timeouts, Timer};

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::net::IpAddr;

use embedded_io::SeekFrom;
use heapless::Deque;

use super::head::{CONTINUE, MIN_TX};
use super::reply::{Body, Reply};
use super::{Env, Server};
use crate::gena::Sid;
use crate::http::request::{self, Method, Parsed, Version, EMPTY_HEADER};
use crate::http::response::StatusCode;
use crate::time::Instant;
use crate::transcode::Transcoder;

/// Header slots parsed per request: [`crate::http::request::RequestLimits::DEFAULT`] allows 48.
const HEADER_SLOTS: usize = 48;

/// Events held until the shell polls them: a response served and the ending, with room to
/// spare. The oldest is dropped if a shell does not poll.
const EVENTS: usize = 4;

/// How a connection behaves, beyond its [`Timeouts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The time limits.
    pub timeouts: Timeouts,
    /// The shell sends file bodies itself ([`Outgoing::File`]); otherwise the connection
    /// reads them into its send buffer, a [`Config::chunk`] at a time.
    pub send_files: bool,
    /// Bytes of a body the connection produces at a time (transcodes, and files when it reads
    /// them): the size `tx` grows to while such a body is sent (capped by `tx`'s
    /// [`Storage::max_len`]).
    pub chunk: usize,
}

/// What the connection wants sent next, from [`Connection::poll_transmit`].
#[derive(Debug)]
pub enum Outgoing<'a, F> {
    /// These bytes: write as many as the socket takes and report the count.
    Bytes(&'a [u8]),
    /// `len` bytes of `file` from byte `offset` on: send as many as the socket takes and
    /// report the count ([`Connection::handle_sent`]), or that the file failed or ended early
    /// ([`Connection::handle_body_error`]).
    File {
        /// The open file.
        file: &'a mut F,
        /// Offset of the next byte to send.
        offset: u64,
        /// Bytes left to send.
        len: u64,
    },
}

/// Where the connection is between requests and responses.
enum Phase<F> {
    /// Waiting for the first byte of a request, since `since`.
    Idle { since: Instant },
    /// Receiving a request whose first byte came at `started`; `continued` is how far a
    /// `100 Continue` has been sent (`None`: not asked for, or not yet due).
    Reading { started: Instant, continued: Option<usize> },
    /// Sending a response.
    Sending(Response<F>),
    /// Over.
    Closed,
}

/// A response being sent.
struct Response<F> {
    /// Bytes of `tx` still to send (the head, then each produced chunk).
    pending: (usize, usize),
    /// The body after what is in `tx`.
    body: Source<F>,
    status: StatusCode,
    /// Bytes sent so far, head and body.
    sent: u64,
    /// When the client last took bytes (or the response began).
    progress: Instant,
    /// What happens once it is sent: `None` keeps the connection alive.
    then: Option<Close>,
    /// The SID of a subscription granted by this response: its initial event may go once the
    /// subscriber has read it.
    granted: Option<Sid>,
}

/// The body of a response still to send, after the bytes pending in `tx`.
enum Source<F> {
    /// Nothing more.
    Empty,
    /// A fixed text, from `pos` on.
    Text(&'static [u8], usize),
    /// A rendered document, from `pos` on.
    Owned(Vec<u8>, usize),
    /// `left` bytes of a file from byte `next` on; `seeked` once the file is positioned (when
    /// the connection reads it itself).
    File { file: F, next: u64, left: u64, seeked: bool },
    /// A transcoded rendition, produced a chunk at a time.
    Transcode(Box<Transcoder<F>>),
    /// A stream of unknown length read a chunk at a time until it ends (`ended`).
    Stream { stream: F, ended: bool },
}

/// One HTTP connection (see the module docs for the shell's loop).
pub struct Connection<'a, E: Env, S: Storage> {
    server: &'a Server<'a, E>,
    /// `ip:port` of the local end, the authority written into resource URLs.
    host: &'a str,
    /// The client, by which its player is remembered.
    peer: IpAddr,
    config: Config,
    rx: S,
    /// Bytes of `rx` received and not yet consumed.
    filled: usize,
    tx: S,
    phase: Phase<E::File>,
    /// The client has closed its sending side.
    eof: bool,
    events: Deque<Event, EVENTS>,
}

impl<'a, E: Env, S: Storage> Connection<'a, E, S> {
    /// A connection accepted at `now` from `peer` on the local address `host` (`ip:port`),
    /// answered by `server`, with buffers `rx` and `tx` (see the module docs). `tx` must be able
    /// to hold [`MIN_TX`] bytes.
    pub fn new(
        server: &'a Server<'a, E>,
        host: &'a str,
        peer: IpAddr,
        config: Config,
        rx: S,
        tx: S,
        now: Instant,
    ) -> Self {
        Connection {
            server,
            host,
            peer,
            config,
            rx,
            filled: 0,
            tx,
            phase: Phase::Idle { since: now },
            eof: false,
            events: Deque::new(),
        }
    }

    /// The next deadline: call [`Connection::handle_timeout`] when it has passed, even if
    /// nothing else happened. `None` once the connection is closed.
    #[must_use]
    pub fn poll_at(&self) -> Option<Instant> {
        self.deadline().map(|(at, _)| at)
    }

    /// The next deadline and the limit it enforces.
    fn deadline(&self) -> Option<(Instant, Timer)> {
        let t = &self.config.timeouts;
        match &self.phase {
            Phase::Idle { since } => Some((*since + t.idle, Timer::Idle)),
            Phase::Reading { started, .. } => Some((*started + t.request, Timer::Request)),
            Phase::Sending(r) => Some((r.progress + t.stall, Timer::Stall)),
            Phase::Closed => None,
        }
    }

    /// Ends the connection if its deadline has passed at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((at, timer)) = self.deadline() {
            if now >= at {
                self.close(Close::TimedOut(timer));
            }
        }
    }

    /// The next event, if any; [`Event::Closed`] is the last.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether the connection is over (its [`Event::Closed`] is queued or was polled).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Where the shell reads the client's bytes into; report them with
    /// [`Connection::handle_received`]. Empty when there is no room (the connection is
    /// sending, and the client pipelined more than `rx` holds): read later.
    pub fn receive_buffer(&mut self) -> &mut [u8] {
        let filled = self.filled;
        self.rx.bytes_mut().get_mut(filled..).unwrap_or_default()
    }

    /// `n` bytes were read into [`Connection::receive_buffer`] at `now`.
    pub fn handle_received(&mut self, now: Instant, n: usize) {
        let room = self.rx.bytes().len().saturating_sub(self.filled);
        self.filled = self.filled.saturating_add(n.min(room));
        if n > 0 {
            if let Phase::Idle { .. } = self.phase {
                self.phase = Phase::Reading { started: now, continued: None };
            }
        }
        self.advance(now);
    }

    /// Copies as much of `data` as fits into the receive buffer, as if read at `now`; returns
    /// how many bytes were taken (for shells, and tests, that receive into their own buffer).
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) -> usize {
        let free = self.receive_buffer();
        let n = free.len().min(data.len());
        if let (Some(to), Some(from)) = (free.get_mut(..n), data.get(..n)) {
            to.copy_from_slice(from);
        }
        self.handle_received(now, n);
        n
    }

    /// The client closed its sending side (a read returned 0) at `now`. Requests already
    /// received are still answered.
    pub fn handle_eof(&mut self, now: Instant) {
        self.eof = true;
        self.advance(now);
    }

    /// Reading or writing the socket failed (a reset, a broken pipe): the client is gone.
    pub fn handle_io_error(&mut self) {
        self.close(Close::ClientGone);
    }

    /// The file of an [`Outgoing::File`] failed or ended before the announced length.
    pub fn handle_body_error(&mut self) {
        self.close(Close::BodyFailed);
    }

    /// The shell has no room now for the work the request being received needs (see
    /// [`Connection::opens_files`]): the request is answered `503 Service Unavailable`, with
    /// [`RETRY_AFTER`](super::RETRY_AFTER), and the connection ends after it
    /// ([`Close::Refused`]). Returns whether it was: while a response is being sent, the
    /// request waits its turn and nothing happens.
    pub fn handle_busy(&mut self, now: Instant) -> bool {
        match self.phase {
            Phase::Idle { .. } | Phase::Reading { .. } => {
                self.refuse(now, StatusCode::SERVICE_UNAVAILABLE, Version::Http11);
                true
            }
            Phase::Sending(_) | Phase::Closed => false,
        }
    }

    /// Whether the next [`Connection::poll_transmit`] produces a chunk of a body: reads a file
    /// (when the connection reads files itself) or decodes a transcode, which blocks on the
    /// platform's file.
    #[must_use]
    pub fn produces(&self) -> bool {
        match &self.phase {
            Phase::Sending(r) if r.pending.0 >= r.pending.1 && !body_done(&r.body) => {
                match r.body {
                    Source::File { .. } => !self.config.send_files,
                    Source::Transcode(_) | Source::Stream { .. } => true,
                    Source::Empty | Source::Text(..) | Source::Owned(..) => false,
                }
            }
            _ => false,
        }
    }

    /// Whether a response is being sent: the next request, if any, is answered once it is.
    #[must_use]
    pub fn is_sending(&self) -> bool {
        matches!(self.phase, Phase::Sending(_))
    }

    /// Whether the next request to answer, in the bytes received (and `unread` more just read
    /// into [`Connection::receive_buffer`], not yet reported), may open a file: a media or
    /// thumbnail answer, or a target that may decode to one. The call that answers it
    /// ([`Connection::handle_received`] or [`Connection::handle_eof`] once it is all here,
    /// [`Connection::handle_sent`] or [`Connection::poll_transmit`] when they finish the
    /// response before it) then blocks on the platform's file.
    #[must_use]
    pub fn opens_files(&self, unread: usize) -> bool {
        let len = self.filled.saturating_add(unread).min(self.rx.bytes().len());
        blocking::opens_files(self.rx.bytes().get(..len).unwrap_or_default())
    }

    /// When the next request to answer is all here (in the bytes received and `unread` more,
    /// as for [`Connection::opens_files`]) and answering it only opens one library file as it
    /// is ([`Env::open`]) besides work in memory (a `GET` or `HEAD` of a media file, not of a
    /// rendition or a remux), runs `f` with that file, under the library's lock, and returns
    /// what it gave; `None` for any other request, or one not all here yet. A shell that can
    /// open that file without blocking may then answer the request where it must not block,
    /// handing the file it opened to its [`Env::open`].
    pub fn with_file_to_open<R>(
        &self,
        unread: usize,
        f: impl FnOnce(&crate::library::FileRef<'_>) -> R,
    ) -> Option<R> {
        if self.is_closed() {
            return None;
        }
        let len = self.filled.saturating_add(unread).min(self.rx.bytes().len());
        let received = self.rx.bytes().get(..len).unwrap_or_default();
        let mut storage = [EMPTY_HEADER; HEADER_SLOTS];
        let Ok(Parsed::Complete(req)) = request::parse(received, &mut storage, &self.server.limits)
        else {
            return None;
        };
        let end = usize::try_from(req.content_length).ok()?.checked_add(req.head_len)?;
        if end > len {
            return None;
        }
        self.server.file_answered(&req, f)
    }

    /// What to send next, or `None` when the connection waits for the client (or is closed).
    /// Producing a body chunk may fail and close the connection: poll events afterwards.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Outgoing<'_, E::File>> {
        if let Phase::Sending(r) = &mut self.phase {
            if r.pending.0 >= r.pending.1 {
                match produce(r, &mut self.tx, &self.config) {
                    Ok(true) => {}
                    Ok(false) => {
                        self.finish(now);
                        return self.poll_transmit(now);
                    }
                    Err(close) => {
                        self.close(close);
                        return None;
                    }
                }
            }
        }
        match &mut self.phase {
            Phase::Reading { continued: Some(at), .. } => {
                CONTINUE.get(*at..).filter(|rest| !rest.is_empty()).map(Outgoing::Bytes)
            }
            Phase::Sending(r) => {
                if r.pending.0 < r.pending.1 {
                    return self.tx.bytes().get(r.pending.0..r.pending.1).map(Outgoing::Bytes);
                }
                match &mut r.body {
                    Source::Text(text, pos) => text.get(*pos..).map(Outgoing::Bytes),
                    Source::Owned(bytes, pos) => bytes.get(*pos..).map(Outgoing::Bytes),
                    Source::File { file, next, left, .. } => {
                        Some(Outgoing::File { file, offset: *next, len: *left })
                    }
                    Source::Empty | Source::Transcode(_) | Source::Stream { .. } => None,
                }
            }
            _ => None,
        }
    }

    /// The client took `n` bytes of what [`Connection::poll_transmit`] gave, at `now`.
    pub fn handle_sent(&mut self, now: Instant, n: usize) {
        match &mut self.phase {
            Phase::Reading { continued: Some(at), .. } => *at = at.saturating_add(n),
            Phase::Sending(r) => {
                if n > 0 {
                    r.progress = now;
                }
                r.sent = r.sent.saturating_add(n as u64);
                if r.pending.0 < r.pending.1 {
                    r.pending.0 = r.pending.0.saturating_add(n).min(r.pending.1);
                } else {
                    match &mut r.body {
                        Source::Text(_, pos) | Source::Owned(_, pos) => {
                            *pos = pos.saturating_add(n)
                        }
                        Source::File { next, left, .. } => {
                            let n = (n as u64).min(*left);
                            *next = next.saturating_add(n);
                            *left -= n;
                        }
                        Source::Empty | Source::Transcode(_) | Source::Stream { .. } => {}
                    }
                }
                if r.pending.0 >= r.pending.1 && body_done(&r.body) {
                    self.finish(now);
                }
            }
            _ => {}
        }
    }

    /// The response in flight is sent in full at `now`: report it, then keep the connection
    /// for the next request or close it.
    fn finish(&mut self, now: Instant) {
        let Phase::Sending(r) = core::mem::replace(&mut self.phase, Phase::Idle { since: now })
        else {
            return;
        };
        self.push(Event::Served { status: r.status.as_u16(), bytes: r.sent });
        if let Some(sid) = &r.granted {
            self.server.env.with_events(|table| table.answered(sid));
        }
        let then = r.then;
        self.give_back(r.body);
        self.tx.shrink(0);
        match then {
            None => self.advance(now),
            Some(reason) => self.close(reason),
        }
    }

    /// Moves the connection on with what `rx` holds: frames the next request, asks for its
    /// body, answers it, or ends the connection.
    fn advance(&mut self, now: Instant) {
        loop {
            match self.phase {
                Phase::Idle { .. } if self.filled > 0 => {
                    self.phase = Phase::Reading { started: now, continued: None };
                }
                Phase::Idle { .. } => {
                    self.rx.shrink(0);
                    if self.eof {
                        self.close(Close::ClientClosed);
                    }
                    return;
                }
                Phase::Reading { .. } => {
                    self.read_request(now);
                    return;
                }
                Phase::Sending(_) | Phase::Closed => return,
            }
        }
    }

    /// Frames, and once it is all here answers, the request at the start of `rx`.
    fn read_request(&mut self, now: Instant) {
        let limits = self.server.limits;
        let mut storage = [EMPTY_HEADER; HEADER_SLOTS];
        let received = self.rx.bytes().get(..self.filled).unwrap_or_default();
        let (end, expect_continue, version) = match request::parse(received, &mut storage, &limits)
        {
            Ok(Parsed::Partial) => {
                let len = self.rx.bytes().len();
                if self.eof {
                    self.close(Close::ClientGone);
                } else if self.filled >= len {
                    // The head needs more room: up to the most a head may take.
                    let want = len.saturating_mul(2).max(1).min(limits.max_head);
                    if want <= len || !self.rx.grow(want) {
                        self.refuse(now, request::Error::HeadTooLarge.status(), Version::Http11);
                    }
                }
                return;
            }
            Err(e) => return self.refuse(now, e.status(), Version::Http11),
            Ok(Parsed::Complete(req)) => {
                let end = usize::try_from(req.content_length)
                    .ok()
                    .and_then(|body| req.head_len.checked_add(body));
                (end, req.headers.has_token("expect", "100-continue"), req.version)
            }
        };
        let Some(end) = end.filter(|&end| end <= self.rx.max_len()) else {
            return self.refuse(now, request::Error::BodyTooLarge.status(), version);
        };
        if !self.rx.grow(end) {
            return self.close(Close::OutOfMemory);
        }
        if self.filled < end {
            if self.eof {
                self.close(Close::ClientGone);
            } else if let Phase::Reading { continued: continued @ None, .. } = &mut self.phase {
                if expect_continue {
                    *continued = Some(0);
                }
            }
            return;
        }
        self.answer(now, end);
    }

    /// Answers the complete request in `rx[..end]` and drops it from `rx`.
    fn answer(&mut self, now: Instant, end: usize) {
        let server = self.server;
        let mut storage = [EMPTY_HEADER; HEADER_SLOTS];
        let received = self.rx.bytes().get(..end).unwrap_or_default();
        let (reply, version, keep_alive, head_only) =
            match request::parse(received, &mut storage, &server.limits) {
                Ok(Parsed::Complete(req)) => {
                    let body = received.get(req.head_len..).unwrap_or_default();
                    let at = server.env.now();
                    let player =
                        server.env.with_clients(|c| c.observe(at, self.peer, &req.headers));
                    let reply = server.route(&req, body, self.host, self.peer, &player.quirks());
                    (reply, req.version, req.keep_alive, req.method == Method::Head)
                }
                // The same bytes parsed complete a moment ago.
                _ => (Reply::fatal(StatusCode::BAD_REQUEST), Version::Http11, false, false),
            };
        self.rx.bytes_mut().copy_within(end..self.filled, 0);
        self.filled -= end;
        self.rx.shrink(self.filled);
        // A body of unknown length ends with the connection.
        let keep_alive = keep_alive && !reply.close && reply.body.len().is_some();
        let then = match (keep_alive, reply.close) {
            (true, _) => None,
            (false, true) => Some(Close::Refused(reply.status.as_u16())),
            (false, false) => Some(Close::Done),
        };
        self.respond(now, reply, version, keep_alive, head_only, then);
    }

    /// Refuses a request that cannot be framed with `status`; the connection ends after it.
    fn refuse(&mut self, now: Instant, status: StatusCode, version: Version) {
        self.filled = 0;
        let reply = Reply::fatal(status);
        self.respond(now, reply, version, false, false, Some(Close::Refused(status.as_u16())));
    }

    /// Starts sending `reply`.
    fn respond(
        &mut self,
        now: Instant,
        reply: Reply<E::File>,
        version: Version,
        keep_alive: bool,
        head_only: bool,
        then: Option<Close>,
    ) {
        // A `100 Continue` the shell began to write is finished first.
        let unsent = match self.phase {
            Phase::Reading { continued: Some(at), .. } if at > 0 => CONTINUE.get(at..),
            _ => None,
        };
        let unsent = unsent.unwrap_or_default();
        if !self.tx.grow(MIN_TX.saturating_add(unsent.len())) {
            return self.close(Close::OutOfMemory);
        }
        let Some((first, rest)) = self.tx.bytes_mut().split_at_mut_checked(unsent.len()) else {
            return self.close(Close::OutOfMemory);
        };
        first.copy_from_slice(unsent);
        let Ok(len) = self.server.head(rest, version, &reply, keep_alive) else {
            return self.close(Close::OutOfMemory);
        };
        let len = len.saturating_add(unsent.len());
        let body = if head_only {
            Source::Empty
        } else {
            match reply.body {
                Body::Text(text) => Source::Text(text.as_bytes(), 0),
                Body::Owned(bytes) => Source::Owned(bytes, 0),
                Body::File { file, first, len } => {
                    Source::File { file, next: first, left: len, seeked: false }
                }
                Body::Transcode(transcoder) => Source::Transcode(transcoder),
                Body::Stream(stream) => Source::Stream { stream, ended: false },
            }
        };
        self.phase = Phase::Sending(Response {
            pending: (0, len),
            body,
            status: reply.status,
            sent: 0,
            progress: now,
            then,
            granted: reply.subscription.map(|a| a.sid),
        });
    }

    /// Ends the connection for `reason` (once; later calls do nothing).
    fn close(&mut self, reason: Close) {
        match core::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Closed => return,
            Phase::Sending(r) => self.give_back(r.body),
            Phase::Idle { .. } | Phase::Reading { .. } => {}
        }
        self.filled = 0;
        self.rx.shrink(0);
        self.tx.shrink(0);
        self.push(Event::Closed(reason));
    }

    /// Hands a rendered body's buffer back to the platform ([`Env::answer_sent`]) for a later
    /// answer; any other body is dropped.
    fn give_back(&self, body: Source<E::File>) {
        if let Source::Owned(bytes, _) = body {
            self.server.env.answer_sent(bytes);
        }
    }

    /// Queues `event`, dropping the oldest if the shell has not polled.
    fn push(&mut self, event: Event) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(event);
    }
}

/// Whether nothing of `body` is left to hand out.
fn body_done<F>(body: &Source<F>) -> bool {
    match body {
        Source::Empty => true,
        Source::Text(text, pos) => *pos >= text.len(),
        Source::Owned(bytes, pos) => *pos >= bytes.len(),
        Source::File { left, .. } => *left == 0,
        Source::Transcode(t) => t.remaining() == 0,
        Source::Stream { ended, .. } => *ended,
    }
}

/// Refills `tx` with the next chunk of a body the connection produces itself. `Ok(true)` when
/// there is something to send (in `tx` or handed out as it is), `Ok(false)` when the body is
/// complete.
fn produce<F: embedded_io::Read + embedded_io::Seek, S: Storage>(
    r: &mut Response<F>,
    tx: &mut S,
    config: &Config,
) -> Result<bool, Close> {
    if body_done(&r.body) {
        return Ok(false);
    }
    let chunk = config.chunk.clamp(1, tx.max_len().max(1));
    match &mut r.body {
        Source::File { .. } if config.send_files => Ok(true),
        Source::File { file, next, left, seeked } => {
            if !*seeked {
                file.seek(SeekFrom::Start(*next)).map_err(|_| Close::BodyFailed)?;
                *seeked = true;
            }
            let want = usize::try_from(*left).unwrap_or(usize::MAX).min(chunk);
            if !tx.grow(want) {
                return Err(Close::OutOfMemory);
            }
            let buf = tx.bytes_mut().get_mut(..want).ok_or(Close::OutOfMemory)?;
            let n = match file.read(buf) {
                Ok(0) | Err(_) => return Err(Close::BodyFailed),
                Ok(n) => n,
            };
            *next = next.saturating_add(n as u64);
            *left = left.saturating_sub(n as u64);
            r.pending = (0, n);
            Ok(true)
        }
        Source::Transcode(transcoder) => {
            let want = usize::try_from(transcoder.remaining()).unwrap_or(usize::MAX).min(chunk);
            if !tx.grow(want) {
                return Err(Close::OutOfMemory);
            }
            let buf = tx.bytes_mut().get_mut(..want).ok_or(Close::OutOfMemory)?;
            match transcoder.fill(buf) {
                Ok(0) => Err(Close::Transcode(crate::transcode::Error::Truncated)),
                Err(e) => Err(Close::Transcode(e)),
                Ok(n) => {
                    r.pending = (0, n);
                    Ok(true)
                }
            }
        }
        Source::Stream { stream, ended } => {
            if !tx.grow(chunk) {
                return Err(Close::OutOfMemory);
            }
            let buf = tx.bytes_mut().get_mut(..chunk).ok_or(Close::OutOfMemory)?;
            match stream.read(buf) {
                Ok(0) => {
                    *ended = true;
                    Ok(false)
                }
                Ok(n) => {
                    r.pending = (0, n);
                    Ok(true)
                }
                Err(_) => Err(Close::BodyFailed),
            }
        }
        Source::Empty | Source::Text(..) | Source::Owned(..) => Ok(true),
    }
}
