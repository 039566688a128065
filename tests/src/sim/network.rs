//! The simulated network: per-message latency, loss, duplication and partitions.
//!
//! Reordering comes from independent latencies. A partition assigns every node a group; a message
//! between groups is dropped when sent and again when it would arrive if a partition separates
//! the two nodes at that moment.

use super::rng::SimRng;

/// Link behaviour, in milliseconds and parts per million.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkConfig {
    /// Lowest one-way latency.
    pub latency_min_ms: u64,
    /// Highest latency of the common case.
    pub latency_max_ms: u64,
    /// Chance that a message takes a slow path instead.
    pub slow_per_million: u64,
    /// Highest latency of the slow path.
    pub slow_max_ms: u64,
    /// Chance a message is lost.
    pub loss_per_million: u64,
    /// Chance a message is delivered twice.
    pub duplicate_per_million: u64,
}

impl NetworkConfig {
    /// A reliable network with a fixed latency (for benchmarks).
    pub fn fixed(latency_ms: u64) -> Self {
        Self {
            latency_min_ms: latency_ms,
            latency_max_ms: latency_ms,
            slow_per_million: 0,
            slow_max_ms: latency_ms,
            loss_per_million: 0,
            duplicate_per_million: 0,
        }
    }
}

/// Network state: configuration and the current partition.
#[derive(Clone, Debug)]
pub struct Network {
    config: NetworkConfig,
    /// Group of each node while a partition is in force.
    groups: Option<Vec<u8>>,
    rng: SimRng,
}

impl Network {
    /// A network without partitions.
    pub fn new(config: NetworkConfig, rng: SimRng) -> Self {
        Self {
            config,
            groups: None,
            rng,
        }
    }

    /// Split nodes into groups (`groups[i]` is node `i`'s group).
    pub fn partition(&mut self, groups: Vec<u8>) {
        self.groups = Some(groups);
    }

    /// Remove the partition.
    pub fn heal(&mut self) {
        self.groups = None;
    }

    /// Change the loss rate.
    pub fn set_loss(&mut self, loss_per_million: u64) {
        self.config.loss_per_million = loss_per_million;
    }

    /// True when `from` and `to` can talk now.
    pub fn connected(&self, from: usize, to: usize) -> bool {
        match &self.groups {
            None => true,
            Some(groups) => groups.get(from) == groups.get(to),
        }
    }

    /// Delivery delays for one message from `from` to `to`: none if lost or partitioned, two if
    /// duplicated.
    pub fn delays(&mut self, from: usize, to: usize) -> Vec<u64> {
        if !self.connected(from, to) || self.rng.chance(self.config.loss_per_million) {
            return Vec::new();
        }
        let mut delays = vec![self.latency()];
        if self.rng.chance(self.config.duplicate_per_million) {
            delays.push(self.latency());
        }
        delays
    }

    fn latency(&mut self) -> u64 {
        if self.rng.chance(self.config.slow_per_million) {
            self.rng
                .range(self.config.latency_max_ms, self.config.slow_max_ms)
        } else {
            self.rng
                .range(self.config.latency_min_ms, self.config.latency_max_ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_drops_and_heal_restores() {
        let mut network = Network::new(NetworkConfig::fixed(10), SimRng::new(1));
        assert_eq!(network.delays(0, 1), vec![10]);
        network.partition(vec![0, 1, 0]);
        assert!(network.delays(0, 1).is_empty());
        assert_eq!(network.delays(0, 2), vec![10]);
        network.heal();
        assert_eq!(network.delays(0, 1), vec![10]);
    }

    #[test]
    fn total_loss_drops_everything() {
        let mut config = NetworkConfig::fixed(10);
        config.loss_per_million = 1_000_000;
        let mut network = Network::new(config, SimRng::new(1));
        assert!((0..100).all(|_| network.delays(0, 1).is_empty()));
    }
}
