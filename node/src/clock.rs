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
