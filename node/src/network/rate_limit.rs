//! Per-peer token bucket for inbound messages.
//!
//! Integer arithmetic in thousandths of a token: a peer earns `messages_per_sec` thousandths per
//! millisecond, holds at most `burst_messages` whole tokens, and spends one whole token per
//! message. Time is passed in, so the bucket is testable without sleeping.

use std::time::Instant;

/// Thousandths of a token per whole token.
const MILLI_TOKENS_PER_TOKEN: u64 = 1_000;

/// A token bucket counting messages.
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    /// Tokens refilled per second (thousandths per millisecond).
    messages_per_sec: u64,
    /// Capacity in thousandths of a token.
    capacity_milli_tokens: u64,
    /// Current content in thousandths of a token.
    available_milli_tokens: u64,
    /// When the content was last brought up to date.
    last_refill: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(messages_per_sec: u32, burst_messages: u32, now: Instant) -> Self {
        let capacity_milli_tokens =
            u64::from(burst_messages).saturating_mul(MILLI_TOKENS_PER_TOKEN);
        Self {
            messages_per_sec: u64::from(messages_per_sec),
            capacity_milli_tokens,
            available_milli_tokens: capacity_milli_tokens,
            last_refill: now,
        }
    }

    /// Takes one token if there is one; `false` means the message must be dropped.
    pub(crate) fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        match self
            .available_milli_tokens
            .checked_sub(MILLI_TOKENS_PER_TOKEN)
        {
            Some(rest) => {
                self.available_milli_tokens = rest;
                true
            }
            None => false,
        }
    }

    fn refill(&mut self, now: Instant) {
        // A clock that goes backwards (`now` earlier than the last refill) refills nothing.
        let elapsed_ms = now.saturating_duration_since(self.last_refill).as_millis();
        if elapsed_ms == 0 {
            return;
        }
        let elapsed_ms = u64::try_from(elapsed_ms).unwrap_or(u64::MAX);
        let earned = elapsed_ms.saturating_mul(self.messages_per_sec);
        self.available_milli_tokens = self
            .available_milli_tokens
            .saturating_add(earned)
            .min(self.capacity_milli_tokens);
        self.last_refill = now;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn burst_is_admitted_then_refused() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 5, start);
        let admitted = (0..8).filter(|_| bucket.try_take(start)).count();
        assert_eq!(admitted, 5);
    }

    #[test]
    fn tokens_come_back_at_the_configured_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 5, start);
        for _ in 0..5 {
            assert!(bucket.try_take(start));
        }
        assert!(!bucket.try_take(start));
        // 10 per second: one token per 100 ms, nothing after 99 ms.
        assert!(!bucket.try_take(start + Duration::from_millis(99)));
        assert!(bucket.try_take(start + Duration::from_millis(100)));
        assert!(!bucket.try_take(start + Duration::from_millis(100)));
        // A long pause refills only up to the burst.
        let later = start + Duration::from_secs(60);
        let admitted = (0..20).filter(|_| bucket.try_take(later)).count();
        assert_eq!(admitted, 5);
    }

    #[test]
    fn time_going_backwards_refills_nothing() {
        let start = Instant::now() + Duration::from_secs(1);
        let mut bucket = TokenBucket::new(1_000, 1, start);
        assert!(bucket.try_take(start));
        assert!(!bucket.try_take(start - Duration::from_millis(500)));
    }
}
