//! The simulator's only source of randomness: SplitMix64, seeded from the run's seed.
//!
//! SplitMix64 is tiny, fast and passes BigCrush; every random choice of a run (latencies, losses,
//! fault times, payload sizes) is drawn from streams forked off the one seed, so a run replays
//! exactly.

/// A deterministic pseudo-random stream.
#[derive(Clone, Debug)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    /// A stream from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// An independent stream for `purpose`, derived from this one's seed without consuming it.
    pub fn fork(&self, purpose: u64) -> Self {
        let mut mixer = Self {
            state: self.state ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        };
        Self {
            state: mixer.next_u64(),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`0` when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Multiply-shift: bias is below 2^-64 × bound, irrelevant here.
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        low + self.below(high - low + 1)
    }

    /// True with probability `per_million / 1_000_000`.
    pub fn chance(&mut self, per_million: u64) -> bool {
        self.below(1_000_000) < per_million
    }

    /// A uniformly chosen element index of a slice of length `len` (`0` when empty).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_forks_differ() {
        let mut a = SimRng::new(42);
        let mut b = SimRng::new(42);
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let second: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(first, second);
        let mut fork1 = SimRng::new(42).fork(1);
        let mut fork2 = SimRng::new(42).fork(2);
        assert_ne!(fork1.next_u64(), fork2.next_u64());
    }

    #[test]
    fn range_stays_in_bounds() {
        let mut rng = SimRng::new(7);
        for _ in 0..10_000 {
            let value = rng.range(3, 9);
            assert!((3..=9).contains(&value));
        }
        assert_eq!(rng.below(0), 0);
    }
}
