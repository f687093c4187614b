//! The bounded pool for the blocking work of HTTP connections, which never holds up the async
//! workers.
//!
//! Opening a served file (and probing it, for a rendition), sending it with `sendfile(2)`, and
//! the reads, seeks and decoding of a transcode block on the disk, or for as long as a network
//! mount likes. A connection runs each such step ([`crate::connection`] asks the core's
//! `Connection::produces` and `Connection::opens_files` which calls are such) after taking one
//! of [`SIZE`] places here; everything else (descriptions, Browse and the other SOAP actions
//! under the library's lock, event subscriptions, reading and writing sockets) stays on the
//! async workers and never takes a place.
//!
//! A step runs with tokio's `block_in_place`: the worker thread the connection's task is on
//! becomes a blocking thread for the step, and tokio hands the worker's other tasks to a fresh
//! worker thread from its blocking pool before the step starts, so no other connection waits
//! for it. The step runs where the connection lives, on its own buffers: the core's
//! `Connection` stays the single owner of its HTTP state (it borrows the server, so it could
//! not move to `spawn_blocking`'s `'static` jobs), and no chunk is copied between threads.
//! This needs tokio's multi-thread runtime, which `main` and the tests build.
//!
//! A hand-over is not free: it wakes a blocking thread to take over the worker, and the
//! worker's tasks move between threads. Counted per request by `bench/request-counters.sh` on
//! the 2-core VM, one hand-over costs a seek into an L16 rendition about 1.4 ms of CPU time
//! (4.4 ms instead of 2.9-3.0 ms, kernel included), 3 to 5 more time slices, one or two more
//! threads, about 2.7 more `futex` and 2 more `epoll_wait` calls: a build whose [`Place::run`]
//! ran the step in place (decoding on the async worker, which this module exists to prevent)
//! measured 2.8-2.9 ms, as the engine before the pool. Taken around every `sendfile` and
//! every transcoded chunk, it cost the 200-client load of `bench/engine-vs-old.sh` a third of
//! its file ranges and a tenth of its L16 requests against the engine before the pool. So a
//! connection hands over only what may really block, and as much of it at once as it can:
//! - a span of a file that is all in the page cache, on a file system that reads without
//!   blocking ([`crate::page_cache`]), is sent on the worker: `sendfile` then copies no byte
//!   and waits for nothing, and a cached file is what a loaded server mostly sends;
//! - a step on a place does not stop at one call: it answers the request, then writes the
//!   head and the body, producing chunk after chunk and sending uncached spans, for as long
//!   as the socket takes them without waiting (up to a bound), so a range or a transcoded
//!   stream costs one hand-over while the client keeps up, not one per chunk.
//!
//! - a request for a file as it is whose open cannot block (a local file system, the lookup
//!   all in the kernel's name cache: [`crate::opened`]) is answered on the worker, so a range
//!   of a cached file costs no hand-over at all; one on a network or FUSE mount, or whose
//!   lookup would read the disk, is opened on a place as before.
//!
//! Measured with `bench/engine-vs-old.sh` against the engine before the sans-IO connection
//! (BENCHMARKS.md, "Connection engine"): before the last step, the file-range load answered
//! 0.73x to 0.93x the old engine's requests, each range paying one hand-over for its open.
//!
//! Bounds, in one place: at most [`SIZE`] steps block at once, so at most that many threads sit
//! in a hung mount, and the workers never do. A place held by a step that hangs stays taken
//! until the step returns. When all are taken, a new request that needs a file waits up to
//! [`WAIT`] for one, then is answered `503 Service Unavailable` with `Retry-After` (logged as a
//! warning with the reason); the next step of a stream already under way waits for a place as
//! long as its stall timeout allows. Nobody else waits: requests that need no file never come
//! here.

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// Places: steps that may block at once. More than the streams a home plays at once or a disk
/// serves well in parallel, few enough that a hung network mount ties up at most this many
/// threads.
pub const SIZE: usize = 16;

/// Longest a new request that needs a file waits for a place before it is answered 503: below
/// the `Retry-After` of every 503 and well below players' own request timeouts.
pub const WAIT: Duration = Duration::from_secs(2);

/// The places (see the module docs).
#[derive(Debug)]
pub struct Pool {
    places: Semaphore,
}

impl Default for Pool {
    fn default() -> Self {
        Pool { places: Semaphore::new(SIZE) }
    }
}

impl Pool {
    /// Waits for a free place (callers bound the wait with a timeout); `None` only if the pool
    /// were closed, which it never is.
    pub async fn enter(&self) -> Option<Place<'_>> {
        self.places.acquire().await.ok().map(|taken| Place { _taken: taken })
    }
}

/// A place in the [`Pool`], taken until [`Place::run`] returns.
#[derive(Debug)]
pub struct Place<'a> {
    _taken: SemaphorePermit<'a>,
}

impl Place<'_> {
    /// Runs `step`, which may block, off the async workers (see the module docs).
    pub fn run<R>(self, step: impl FnOnce() -> R) -> R {
        let out = tokio::task::block_in_place(step);
        drop(self);
        out
    }
}
