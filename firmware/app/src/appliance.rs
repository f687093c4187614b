//! The appliance's side of `rill_core::server::Env`: the library built at boot, files from the
//! FAT volume, the monotonic clock, the player table, and a fixed number of decoder slots.
//!
//! A transcoded stream holds a decoder slot from the moment its file is opened until the
//! stream ends (the count is kept by the [`File`] the transcoder owns). With all
//! [`Limits::streams`] slots taken, a further stream is refused with 503 and the streams
//! already playing are untouched; each stream's Vorbis reader is bounded by
//! [`Limits::stream_budget`], so [`Limits::streams`] × that budget is the heap set aside for
//! decoding (see `heap.rs` for the whole budget).

use core::cell::RefCell;

use embassy_time::Instant as Clock;
use embedded_sdmmc::BlockDevice;
use rill_core::library::{FileRef, Library};
use rill_core::profile::Clients;
use rill_core::server::{Env, Unavailable, CLIENTS};
use rill_core::time::Instant;

use crate::storage::{File, Storage};

/// How much the appliance may take on at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Transcoded streams decoding at once.
    pub streams: usize,
    /// Heap bytes one stream's Vorbis reader may take.
    pub stream_budget: usize,
    /// Largest SOAP answer (a Browse page) rendered; larger ones, or ones the heap cannot
    /// hold at that moment, get 503.
    pub answer_budget: usize,
}

impl Limits {
    /// Two streams of 96 KiB each (a 44.1 kHz stereo q10 stream takes 67 KB, see
    /// BENCHMARKS.md); Browse pages of up to 96 KiB (about 60 Vorbis tracks with their
    /// resources).
    pub const DEFAULT: Limits =
        Limits { streams: 2, stream_budget: 96 * 1024, answer_budget: 96 * 1024 };
}

/// What every HTTP slot shares: storage, library, players, decoder slots.
pub struct Appliance<'s, D: BlockDevice> {
    storage: &'s Storage<D>,
    library: Library,
    clients: RefCell<Clients<CLIENTS>>,
    limits: Limits,
}

impl<'s, D: BlockDevice> Appliance<'s, D> {
    /// The appliance serving `library`, whose files are on `storage`.
    pub fn new(storage: &'s Storage<D>, library: Library, limits: Limits) -> Self {
        Appliance { storage, library, clients: RefCell::new(Clients::new()), limits }
    }

    /// Transcoded streams decoding now.
    pub fn streams(&self) -> usize {
        self.storage.streams()
    }
}

impl<'s, D: BlockDevice> Env for Appliance<'s, D> {
    type File = File<'s, D>;

    fn with_library<R>(&self, f: impl FnOnce(&Library) -> R) -> R {
        f(&self.library)
    }

    fn open(&self, file: &FileRef<'_>) -> Option<(File<'s, D>, u64)> {
        // One volume: every root is the volume's root folder.
        self.storage.open(file.components())
    }

    fn open_stream(&self, file: &FileRef<'_>) -> Result<(File<'s, D>, u64), Unavailable> {
        if self.storage.streams() >= self.limits.streams {
            return Err(Unavailable::Busy);
        }
        let (mut opened, size) = self.open(file).ok_or(Unavailable::Gone)?;
        opened.hold();
        Ok((opened, size))
    }

    fn stream_budget(&self) -> usize {
        self.limits.stream_budget
    }

    fn answer_budget(&self) -> usize {
        self.limits.answer_budget
    }

    fn unix_time(&self) -> Option<u64> {
        // No battery-backed clock: HTTP answers go without a `Date` (RFC 9110 allows it).
        None
    }

    fn now(&self) -> Instant {
        Instant::from_micros(Clock::now().as_micros())
    }

    fn with_clients<R>(&self, f: impl FnOnce(&mut Clients<CLIENTS>) -> R) -> R {
        f(&mut self.clients.borrow_mut())
    }
}
