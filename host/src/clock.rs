//! The bridge between tokio's clock and the core's [`rill_core::time::Instant`].
//!
//! The core never reads a clock: the shell fixes an epoch at start-up, passes "now" as
//! microseconds since it, and turns the deadlines the core returns (`poll_at`) back into tokio
//! instants to sleep until.

use rill_core::time::Instant as CoreInstant;
use tokio::time::Instant;

/// Converts between tokio instants and core instants, relative to a fixed epoch.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    epoch: Instant,
}

impl Clock {
    /// A clock whose epoch is now.
    pub fn start() -> Clock {
        Clock { epoch: Instant::now() }
    }

    /// The current time as the core sees it.
    pub fn now(&self) -> CoreInstant {
        self.to_core(Instant::now())
    }

    /// A tokio instant as a core instant (instants before the epoch map to the epoch).
    pub fn to_core(&self, at: Instant) -> CoreInstant {
        let micros = at.saturating_duration_since(self.epoch).as_micros();
        CoreInstant::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
    }

    /// A core deadline as a tokio instant to sleep until.
    pub fn to_tokio(&self, at: CoreInstant) -> Instant {
        self.epoch + std::time::Duration::from_micros(at.as_micros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn round_trips_and_clamps_before_the_epoch() {
        let clock = Clock::start();
        let later = clock.epoch + Duration::from_micros(1_234_567);
        let core = clock.to_core(later);
        assert_eq!(core.as_micros(), 1_234_567);
        assert_eq!(clock.to_tokio(core), later);
        let earlier = clock.epoch.checked_sub(Duration::from_secs(1));
        if let Some(earlier) = earlier {
            assert_eq!(clock.to_core(earlier).as_micros(), 0);
        }
    }
}
