//! Fixed-bucket histograms for `/metrics`, lock-free: one atomic counter per bucket, a count and
//! a sum (in microseconds, so it stays an integer). Rendered in Prometheus text format 0.0.4
//! (`_bucket{le=…}` cumulative, `_sum`, `_count`).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bucket bounds in seconds for consensus timings (commit latency, block interval): from 10 ms
/// to a minute.
pub const SECONDS_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Bucket bounds in seconds for RPC call latency: from half a millisecond to five seconds.
pub const RPC_SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The node's timing histograms as `/metrics` shows them: commit latency and block interval.
pub fn render_timings(commit_latency: &Histogram, block_interval: &Histogram) -> String {
    let mut out = commit_latency.render(
        "yrd_commit_latency_seconds",
        "Seconds from a block's timestamp (its proposer's clock) to its commit at this node.",
    );
    out.push_str(&block_interval.render(
        "yrd_block_interval_seconds",
        "Seconds between consecutive commits at this node.",
    ));
    out
}

/// The storage engine's series as `/metrics` shows them.
pub fn render_engine(stats: &crate::storage::EngineStats) -> String {
    let mut out = String::new();
    let series: [(&str, &str, &str, u64); 6] = [
        (
            "yrd_db_sst_bytes",
            "gauge",
            "Bytes of RocksDB SST files on disk, all tables.",
            stats.sst_bytes,
        ),
        (
            "yrd_db_pending_compaction_bytes",
            "gauge",
            "Bytes RocksDB estimates compaction still has to rewrite (a backlog that keeps growing slows writes).",
            stats.pending_compaction_bytes,
        ),
        (
            "yrd_db_running_compactions",
            "gauge",
            "RocksDB compactions running now.",
            stats.running_compactions,
        ),
        (
            "yrd_db_memtable_bytes",
            "gauge",
            "Bytes held in RocksDB memtables, all tables.",
            stats.memtable_bytes,
        ),
        (
            "yrd_tree_cache_hits_total",
            "counter",
            "State-tree node reads answered by the node cache.",
            stats.tree_cache_hits,
        ),
        (
            "yrd_tree_cache_misses_total",
            "counter",
            "State-tree node reads that went to the database (hit rate: hits / (hits + misses)).",
            stats.tree_cache_misses,
        ),
    ];
    for (name, kind, help, value) in series {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let _ = writeln!(out, "{name} {value}");
    }
    out
}

/// A histogram of seconds.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Per bucket (not cumulative); the last counts values above every bound.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending).
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    /// Records one value (negative values count as 0).
    pub fn observe(&self, seconds: f64) {
        let seconds = if seconds.is_finite() {
            seconds.max(0.0)
        } else {
            0.0
        };
        let index = self
            .bounds
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(self.bounds.len());
        if let Some(bucket) = self.buckets.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// The exposition of this histogram under `name`.
    pub fn render(&self, name: &str, help: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        self.write_samples(&mut out, name, "");
        out
    }

    /// This histogram's sample lines under `name`, each with `labels` (`key="value",…`, already
    /// escaped; empty for none) before `le`. The caller writes `# HELP` and `# TYPE` once per
    /// family.
    pub fn write_samples(&self, out: &mut String, name: &str, labels: &str) {
        let prefix = if labels.is_empty() {
            String::new()
        } else {
            format!("{labels},")
        };
        let mut cumulative = 0u64;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative = cumulative.saturating_add(bucket.load(Ordering::Relaxed));
            let _ = writeln!(out, "{name}_bucket{{{prefix}le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{prefix}le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standard_parser_reads_the_buckets_cumulatively() {
        let histogram = Histogram::new(SECONDS_BUCKETS);
        for seconds in [0.005, 0.3, 0.3, 4.0, 120.0, -1.0] {
            histogram.observe(seconds);
        }
        let text = histogram.render("yrd_test_seconds", "A test.");
        let lines = text.lines().map(|line| Ok(line.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
        let sample = scrape
            .samples
            .iter()
            .find(|s| s.metric == "yrd_test_seconds")
            .unwrap();
        let prometheus_parse::Value::Histogram(buckets) = &sample.value else {
            panic!("not read as a histogram: {:?}", sample.value);
        };
        let at = |le: f64| {
            buckets
                .iter()
                .find(|b| b.less_than == le || (b.less_than - le).abs() < 1e-9)
                .map(|b| b.count)
                .unwrap()
        };
        assert_eq!(at(0.01), 2.0, "0.005 and the negative value");
        assert_eq!(at(0.5), 4.0);
        assert_eq!(at(5.0), 5.0);
        assert_eq!(at(60.0), 5.0, "120 s is above every bound");
        assert_eq!(at(f64::INFINITY), 6.0);
        assert!(text.contains("yrd_test_seconds_count 6"));
        assert!(text.contains("yrd_test_seconds_sum 124.605"));
    }
}
