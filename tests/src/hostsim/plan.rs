//! What a run will do, drawn from its seed before it starts: how many validators, which member
//! is Byzantine and how, the network's faults, and whether governance changes the validator set.

use super::byzantine::Behaviour;
use super::fabric::LinkFaults;
use crate::rng::SimRng;

/// A validator-set change made by governance during the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconfiguration {
    /// A validator whose key no genesis lists joins (its node runs from the start, refused by
    /// the others until the change commits).
    Add {
        /// When the proposal is sent, virtual ms.
        at_ms: u64,
    },
    /// A validator is removed (the Byzantine one when there is one); its node is stopped once
    /// the change commits.
    Remove {
        /// When the proposal is sent, virtual ms.
        at_ms: u64,
        /// The genesis validator removed.
        victim: usize,
    },
}

/// Everything a run draws from its seed.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Genesis validators (4 or 7; validator `i` is operated by province `i % 4`).
    pub validators: usize,
    /// The Byzantine validator and its behaviour.
    pub byzantine: Option<(usize, Behaviour)>,
    /// The network.
    pub link: LinkFaults,
    /// The governance change, if any.
    pub reconfiguration: Option<Reconfiguration>,
    /// An instance whose operator turned off `sync_block_commits`: a power cut can take its
    /// last committed blocks, and it must come back below the height it had reached.
    pub unsynced_commits: Option<usize>,
}

/// What a caller may force instead of drawing (to run one behaviour or one change on purpose).
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    /// Force this Byzantine behaviour (on a drawn validator).
    pub behaviour: Option<Behaviour>,
    /// Force a validator-set change: `Some(true)` adds one, `Some(false)` removes one.
    pub add_validator: Option<bool>,
    /// Force the number of genesis validators.
    pub validators: Option<usize>,
}

impl Plan {
    /// Draws the plan of a run from `rng`, applying `overrides`.
    pub fn draw(rng: &mut SimRng, overrides: Overrides, workload_ms: u64) -> Self {
        let drawn_validators = if rng.chance(150_000) { 7 } else { 4 };
        let validators = overrides.validators.unwrap_or(drawn_validators).clamp(4, 8);
        let drawn_behaviour = rng.chance(500_000).then(|| {
            let all = Behaviour::BYZANTINE;
            all[rng.index(all.len())]
        });
        let byzantine_node = rng.index(validators);
        let byzantine = overrides
            .behaviour
            .or(drawn_behaviour)
            .map(|behaviour| (byzantine_node, behaviour));
        let link = LinkFaults {
            drop_per_million: rng.range(0, 50_000),
            delay_ms: (1, rng.range(5, 80)),
            slow_per_million: rng.range(0, 20_000),
            slow_ms: (200, 2_000),
            duplicate_per_million: rng.range(0, 30_000),
        };
        let drawn_change = rng.chance(150_000).then(|| rng.chance(500_000));
        let at_ms = rng.range(1_000, workload_ms / 2);
        let honest_victim = rng.index(validators);
        let reconfiguration = overrides.add_validator.or(drawn_change).map(|add| {
            if add {
                Reconfiguration::Add { at_ms }
            } else {
                Reconfiguration::Remove {
                    at_ms,
                    victim: byzantine.map_or(honest_victim, |(node, _)| node),
                }
            }
        });
        // Drawn last, so that the draws above stay what they were for every seed.
        let unsynced_commits = rng.chance(500_000).then(|| rng.index(validators));
        Self {
            validators,
            byzantine,
            link,
            reconfiguration,
            unsynced_commits,
        }
    }

    /// The Byzantine behaviour, if any.
    pub fn behaviour(&self) -> Option<Behaviour> {
        self.byzantine.map(|(_, behaviour)| behaviour)
    }

    /// One line saying what the plan does.
    pub fn describe(&self) -> String {
        format!(
            "{} validators, byzantine {}, drop {} ppm, delay {}..{} ms, duplicates {} ppm, change {}, \
             unsynced commits {}",
            self.validators,
            self.byzantine
                .map_or("none".to_string(), |(node, b)| format!("{b:?} at {node}")),
            self.link.drop_per_million,
            self.link.delay_ms.0,
            self.link.delay_ms.1,
            self.link.duplicate_per_million,
            self.reconfiguration
                .map_or("none".to_string(), |change| format!("{change:?}")),
            self.unsynced_commits
                .map_or("none".to_string(), |node| format!("at {node}")),
        )
    }
}
