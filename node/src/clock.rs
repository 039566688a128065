//! The node's one reader of the wall clock. Whatever needs "now" as ms since the Unix epoch (the
//! consensus core's steps, mempool lifetimes, verifier-auth windows, peer records, genesis times)
//! reads it here, so there is one place where time enters the node. Monotonic deadlines
//! (`Instant`) for timers and rate limits are separate and never stored.

use std::time::{SystemTime, UNIX_EPOCH};

/// The wall clock in ms since the Unix epoch (0 if the clock is before 1970, `u64::MAX` past
/// year 584 million).
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Where a node reads "now" (ms since the Unix epoch): the wall clock in a running node
/// ([`SystemClock`]), a virtual clock in the simulator. The host, admission, sync serving and the
/// RPC read it through [`crate::host::shared::Shared::now_ms`], never the system time directly.
pub trait Clock: std::fmt::Debug + Send + Sync + 'static {
    /// Now, in ms since the Unix epoch.
    fn unix_ms(&self) -> u64;
}

/// The wall clock ([`unix_ms`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn unix_ms(&self) -> u64 {
        unix_ms()
    }
}

/// A clock that starts at `start_ms` and advances with the async runtime's monotonic clock
/// (`tokio::time::Instant`), so a runtime with paused time (the simulator) moves it only as
/// virtual time passes.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeClock {
    start_ms: u64,
    origin: tokio::time::Instant,
}

impl RuntimeClock {
    /// A clock reading `start_ms` now.
    pub fn starting_at(start_ms: u64) -> Self {
        Self {
            start_ms,
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for RuntimeClock {
    fn unix_ms(&self) -> u64 {
        let elapsed = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.start_ms.saturating_add(elapsed)
    }
}
