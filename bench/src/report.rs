//! What every scenario prints and writes: its figures, the machine's own reference figures
//! measured in the same run, and each target with its ratio.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use crate::machine::Machine;

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Its unit.
    pub unit: String,
}

/// A target of the issue, with the measured value and the ratio to it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What is compared.
    pub name: String,
    /// The ratio measured (or the value, for targets that are not ratios).
    pub measured: f64,
    /// The target value.
    pub target: f64,
    /// `true` when higher is better (measured ≥ target meets it), `false` when lower is better.
    pub higher_is_better: bool,
    /// Whether the target is met.
    pub met: bool,
}

impl Target {
    /// A target met when `measured >= target`.
    pub fn at_least(name: &str, measured: f64, target: f64) -> Self {
        Self {
            name: name.to_owned(),
            measured,
            target,
            higher_is_better: true,
            met: measured >= target,
        }
    }

    /// A target met when `measured <= target`.
    pub fn at_most(name: &str, measured: f64, target: f64) -> Self {
        Self {
            name: name.to_owned(),
            measured,
            target,
            higher_is_better: false,
            met: measured <= target,
        }
    }
}

/// A scenario's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// `yrd` version.
    pub version: String,
    /// Wall-clock time the run ended, ms since the Unix epoch.
    pub finished_unix_ms: u64,
    /// Whether it ran at smoke size (figures mean nothing then).
    pub smoke: bool,
    /// The machine's reference figures, measured in this run.
    pub machine: Machine,
    /// The scenario's parameters.
    pub params: serde_json::Value,
    /// Measured figures.
    pub figures: Vec<Figure>,
    /// Targets and ratios.
    pub targets: Vec<Target>,
    /// Scenario-specific detail (per-step tables and so on).
    pub detail: serde_json::Value,
    /// What to keep in mind when reading the figures.
    pub notes: Vec<String>,
}

impl Report {
    /// An empty report for `scenario`.
    pub fn new(scenario: &str, smoke: bool, machine: Machine, params: serde_json::Value) -> Self {
        Self {
            scenario: scenario.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            finished_unix_ms: 0,
            smoke,
            machine,
            params,
            figures: Vec::new(),
            targets: Vec::new(),
            detail: serde_json::Value::Null,
            notes: Vec::new(),
        }
    }

    /// Add a figure.
    pub fn figure(&mut self, name: &str, value: f64, unit: &str) {
        self.figures.push(Figure {
            name: name.to_owned(),
            value,
            unit: unit.to_owned(),
        });
    }

    /// Print the table and write `<dir>/<scenario>.json`; returns the file.
    pub fn finish(mut self, dir: &Path) -> anyhow::Result<PathBuf> {
        self.finished_unix_ms = yrd_node::clock::unix_ms();
        println!();
        println!(
            "== yrd bench {}{} ==",
            self.scenario,
            if self.smoke { " (smoke size)" } else { "" }
        );
        println!(
            "machine: {} cores; ed25519 verify {:.0}/s on one core, {:.0}/s on all cores, {:.0}/s batched on all cores; blake3 1 KiB {:.0}/s on one core; SM2 verify {:.0}/s ({:.0}/s through the ledger's x-only rule) and SM3 1 KiB {:.0}/s on one core",
            self.machine.cores,
            self.machine.ed25519_verify_per_s_one_core,
            self.machine.ed25519_verify_per_s_all_cores,
            self.machine.ed25519_batch_verify_per_s_all_cores,
            self.machine.blake3_1kib_per_s_one_core,
            self.machine.sm2_verify_per_s_one_core,
            self.machine.sm2_scheme_verify_per_s_one_core,
            self.machine.sm3_1kib_per_s_one_core
        );
        for figure in &self.figures {
            println!(
                "  {:<58} {:>14} {}",
                figure.name,
                format_value(figure.value),
                figure.unit
            );
        }
        for target in &self.targets {
            println!(
                "  target {:<51} {:>14} {} {} {}",
                target.name,
                format_value(target.measured),
                if target.higher_is_better { ">=" } else { "<=" },
                format_value(target.target),
                if target.met { "MET" } else { "NOT MET" }
            );
        }
        for note in &self.notes {
            println!("  note: {note}");
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{}.json", self.scenario));
        std::fs::write(&path, serde_json::to_string_pretty(&self)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("  written to {}", path.display());
        Ok(path)
    }
}

fn format_value(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}

/// The `q`-quantile (0..=1) of `samples` (sorted in place), 0 when empty.
pub fn quantile(samples: &mut [f64], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(f64::total_cmp);
    let rank = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

/// What this process and the calling thread have used so far, for the difference across one
/// phase of a run (Linux): bytes the process read from the storage layer (`/proc/self/io`
/// `read_bytes`: the reads the page cache did not answer, background threads' included), and the
/// calling thread's time on a core and time waiting for one (`/proc/thread-self/schedstat`). A
/// phase whose wall time is well above the two times together spent the rest blocked, on the disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Bytes read from storage by the process.
    pub storage_read_bytes: u64,
    /// Nanoseconds the thread ran on a core.
    pub on_cpu_ns: u64,
    /// Nanoseconds the thread was ready but waited for a core.
    pub runqueue_ns: u64,
}

impl Usage {
    /// The counters now, if this system reports them.
    pub fn now() -> Option<Usage> {
        let io = std::fs::read_to_string("/proc/self/io").ok()?;
        let storage_read_bytes = io
            .lines()
            .find_map(|l| l.strip_prefix("read_bytes:"))?
            .trim()
            .parse()
            .ok()?;
        let sched = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let mut fields = sched.split_whitespace().map(str::parse::<u64>);
        let on_cpu_ns = fields.next()?.ok()?;
        let runqueue_ns = fields.next()?.ok()?;
        Some(Usage {
            storage_read_bytes,
            on_cpu_ns,
            runqueue_ns,
        })
    }

    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            storage_read_bytes: self
                .storage_read_bytes
                .saturating_sub(earlier.storage_read_bytes),
            on_cpu_ns: self.on_cpu_ns.saturating_sub(earlier.on_cpu_ns),
            runqueue_ns: self.runqueue_ns.saturating_sub(earlier.runqueue_ns),
        }
    }
}

/// Peak resident memory of this process, bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Total bytes of the files under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_bytes(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}
