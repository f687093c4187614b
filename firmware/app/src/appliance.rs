//! The appliance's side of `rill_core::server::Env`: the library built at boot, files from the
//! FAT volume, the monotonic clock, the player table, and a fixed number of decoder slots.
//!
//! A transcoded stream holds a decoder slot from the moment its file is opened until the
//! stream ends (the count is kept by the [`File`] the transcoder owns). With all
//! [`Budget::streams`] slots taken, a further stream is refused with 503 and the streams
//! already playing are untouched; each stream's Vorbis or FLAC reader is bounded by
//! [`Budget::stream_budget`], so [`Budget::streams`] × that budget is the heap set aside for
//! decoding (see `heap.rs` for the whole budget). A stream over it (a FLAC whose largest block
//! × channels needs more sample and frame buffer than the budget) is refused with 503 and the
//! reason logged ([`Env::stream_refused`]).
//!
//! The subscription table is filled by SUBSCRIBE requests through [`Env::with_events`], which
//! wakes the event sender ([`crate::events`]) after every call: a new subscription's initial
//! event is then due. The library is built before the table exists and never changes after,
//! so the table learns its SystemUpdateID once, in [`Appliance::new`], and subscribers get only
//! their initial events.

use core::cell::RefCell;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::Instant as Clock;
use embedded_sdmmc::BlockDevice;
use rill_core::gena::Subscriptions;
use rill_core::library::{FileInfo, FileRef, Library};
use rill_core::player::Clients;
use rill_core::server::{Env, Unavailable, CLIENTS, SUBSCRIPTIONS};
use rill_core::time::Instant;

use crate::storage::{File, Storage};

/// How much the appliance may take on at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Transcoded streams decoding at once.
    pub streams: usize,
    /// Heap bytes one stream's Vorbis or FLAC reader may take.
    pub stream_budget: usize,
    /// Largest SOAP answer (a Browse page) rendered; larger ones, or ones the heap cannot
    /// hold at that moment, get 503.
    pub answer_budget: usize,
}

impl Budget {
    /// Two streams of 96 KiB each (a 44.1 kHz stereo q10 stream takes 67 KB, a 16-bit stereo
    /// FLAC of 4096-frame blocks 50 KB, see BENCHMARKS.md); Browse pages of up to 96 KiB (about 60 Vorbis tracks with their
    /// resources).
    pub const DEFAULT: Budget =
        Budget { streams: 2, stream_budget: 96 * 1024, answer_budget: 96 * 1024 };
}

/// What every HTTP slot and the event sender share: storage, library, players, event
/// subscriptions, decoder slots. Everything runs in one task, so plain `RefCell`s are the locks
/// (never held across an await).
pub struct Appliance<'s, D: BlockDevice> {
    storage: &'s Storage<D>,
    library: Library,
    clients: RefCell<Clients<CLIENTS>>,
    events: RefCell<Subscriptions<SUBSCRIPTIONS>>,
    /// Set by [`Env::with_events`]: the table may have a NOTIFY due.
    events_changed: Signal<NoopRawMutex, ()>,
    limits: Budget,
}

impl<'s, D: BlockDevice> Appliance<'s, D> {
    /// The appliance serving `library`, whose files are on `storage`. `seed` makes the GENA
    /// SIDs unguessable: any value works, one that differs per boot is best.
    pub fn new(storage: &'s Storage<D>, mut library: Library, limits: Budget, seed: u64) -> Self {
        let mut events = Subscriptions::new(seed);
        // The library is complete: the table needs its SystemUpdateID for initial events. No
        // one has subscribed yet, so the changed containers go to no one (and their list is
        // freed).
        let containers = library.take_container_updates();
        events.changed(library.system_update_id(), &containers);
        Appliance {
            storage,
            library,
            clients: RefCell::new(Clients::new()),
            events: RefCell::new(events),
            events_changed: Signal::new(),
            limits,
        }
    }

    /// Transcoded streams decoding now.
    pub fn streams(&self) -> usize {
        self.storage.streams()
    }

    /// Runs `f` with the subscription table without waking the event sender (the sender's own
    /// calls, which must not wake it again).
    pub(crate) fn events<R>(&self, f: impl FnOnce(&mut Subscriptions<SUBSCRIPTIONS>) -> R) -> R {
        f(&mut self.events.borrow_mut())
    }

    /// Waits until [`Env::with_events`] has been called since the last wait returned.
    pub(crate) async fn events_changed(&self) {
        self.events_changed.wait().await;
    }
}

impl<'s, D: BlockDevice> Env for Appliance<'s, D> {
    type File = File<'s, D>;

    fn with_library<R>(&self, f: impl FnOnce(&Library) -> R) -> R {
        f(&self.library)
    }

    fn open(&self, file: &FileRef<'_>) -> Option<(File<'s, D>, u64)> {
        // One volume: every root is the volume's root folder.
        let opened = self.storage.open(file.components());
        if opened.is_none() {
            // Indexed at boot, so it should be there: the card or its file system failed.
            warn!("HTTP: cannot open a library file");
        }
        opened
    }

    /// The appliance makes no thumbnails (no image scaler on the board), so no item is marked
    /// as having one and this is never asked.
    fn open_art(&self, _file: &FileRef<'_>, _info: FileInfo) -> Option<(File<'s, D>, u64)> {
        None
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

    fn stream_refused(&self, reason: &rill_core::transcode::Error) {
        warn!("HTTP: stream refused: {}", reason);
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

    fn with_events<R>(&self, f: impl FnOnce(&mut Subscriptions<SUBSCRIPTIONS>) -> R) -> R {
        let out = self.events(f);
        self.events_changed.signal(());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory budget (`heap.rs`, `lib.rs`) counts the subscription table at about 15 KiB,
    /// an upper bound: this host build has 8-byte pointers, the boards 4-byte ones.
    #[test]
    fn the_subscription_table_fits_its_budget() {
        let size = core::mem::size_of::<Subscriptions<SUBSCRIPTIONS>>();
        std::println!("Subscriptions<{SUBSCRIPTIONS}>: {size} bytes");
        assert!(size <= 16 * 1024, "{size} bytes");
    }
}
