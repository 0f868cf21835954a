//! The one clock that the Store, the cluster bookkeeping and the controller emulation share.
//!
//! `Clock::Wall` is real time (`lbsim serve`). `Clock::Virtual` is a shared instant that moves only
//! when something advances it: a test by hand, or the controller when it "sleeps" (a back-off, a
//! requeue, a wait for an NLB to become active). Scenarios hand the same virtual clock to lbsim and
//! to the controller, so NLB interfaces age exactly as long as the controller waits, and a
//! ten-minute back-off costs nothing. May call: nothing in the crate.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

/// A fixed start for virtual clocks, so replays give the same timestamps.
pub fn epoch() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

/// An instant that moves only when told to.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(start))
    }
    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock()
    }
    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock() += by;
    }
}

#[derive(Clone)]
pub enum Clock {
    Wall,
    Virtual(Arc<ManualClock>),
}

impl Clock {
    /// A virtual clock starting at [`epoch`].
    pub fn virtual_at_epoch() -> (Clock, Arc<ManualClock>) {
        let m = Arc::new(ManualClock::new(epoch()));
        (Clock::Virtual(m.clone()), m)
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::Wall => Utc::now(),
            Clock::Virtual(c) => c.now(),
        }
    }

    /// Waits `d`: really on the wall clock; on a virtual clock, moves it forward at once.
    pub async fn sleep(&self, d: Duration) {
        match self {
            Clock::Wall => tokio::time::sleep(d).await,
            Clock::Virtual(c) => c.advance(chrono::Duration::from_std(d).unwrap_or_default()),
        }
    }

    /// Moves a virtual clock forward to `t` (nothing for the wall clock or a past `t`).
    pub fn advance_to(&self, t: DateTime<Utc>) {
        if let Clock::Virtual(c) = self {
            let now = c.now();
            if t > now {
                c.advance(t - now);
            }
        }
    }

    pub fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual(_))
    }
}
