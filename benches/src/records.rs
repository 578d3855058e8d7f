//! The records the bench targets write and `cargo xtask` reads: one type
//! each, shared (xtask includes this file as a module), so a field renamed
//! on one side fails to build on the other instead of reading as missing.

use serde::{Deserialize, Serialize};

/// One line of `burst.jsonl`: process RSS before, at the peak and after a
/// burst of buffers, for one contender in its own process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurstRecord {
    /// Always `burst`.
    pub scenario: String,
    /// The contender's name (the table's).
    pub contender: String,
    /// The buffer size in bytes.
    pub size: usize,
    /// Buffers held at a time in the steady phase.
    pub held_steady: usize,
    /// Buffers held at the peak.
    pub held_peak: usize,
    /// RSS after the steady phase, bytes.
    pub rss_steady: u64,
    /// RSS at the peak, bytes.
    pub rss_peak: u64,
    /// RSS after the burst came back and the pool was trimmed, bytes.
    pub rss_after: u64,
    /// Retained bytes the pool reports before the trim, where it reports
    /// them.
    pub retained_before_trim: Option<u64>,
    /// Retained bytes the pool reports after the trim, where it reports
    /// them.
    pub retained_after: Option<u64>,
    /// Where the idle items were once the burst came back, before the
    /// trim (thread caches, spill, reserve), where the pool says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_before_trim: Option<pool_core::Memory>,
}

/// One line of `extra.jsonl`: what a benchmark measured besides time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraRecord {
    /// The benchmark id (`scenario/size/threads/contender`).
    pub id: String,
    /// The bytes the pool reported retaining once the benchmark was over,
    /// where it reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retained_bytes: Option<u64>,
    /// The fraction of buffers that came back to the thread that took
    /// them last (see `pool_benches::home`), where it was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<f64>,
    /// A ratio of two contenders' times, where the id names a pair
    /// (`interleaved/<size>/1t/<who>/<vs>`: see
    /// `pool_benches::interleaved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// The spread of that ratio's middle rounds (`lo`, `hi`), where it was
    /// timed over rounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_spread: Option<(f64, f64)>,
    /// Instructions per op, counted by callgrind (see
    /// `pool_benches::callgrind`), where the run counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<f64>,
}

/// One line of `footprint.jsonl`: what one of our pools holds per pool at
/// one stage of its use, many pools made and kept (see
/// `pool_benches::footprint`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FootprintRecord {
    /// The pool's name (the table's).
    pub pool: String,
    /// `empty`, `one get` or `second class`.
    pub stage: String,
    /// How many pools were made and kept.
    pub pools: usize,
    /// Heap bytes per pool the stage added, counted by the allocator
    /// (the items left out).
    pub heap_bytes: f64,
    /// Resident bytes per pool the stage added, where the process's
    /// resident memory could be read.
    pub rss_bytes: Option<f64>,
}

/// Reads every line of a JSON-lines file that parses as `T` (a missing
/// file is no record); returns the records and how many lines did not
/// parse.
pub fn read_lines<T: for<'de> Deserialize<'de>>(path: &std::path::Path) -> (Vec<T>, usize) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut bad = 0;
    let records = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).map_err(|_| bad += 1).ok())
        .collect();
    (records, bad)
}

/// Reads and validates a workload file (the JSON of
/// `pool_tiered::workload::Workload`): what `--workload FILE` and
/// `POOL_BENCH_WORKLOAD` name.
///
/// # Errors
///
/// A message naming the file and what is wrong in it (unreadable, not
/// JSON, an unknown or missing field, a number out of range).
pub fn load_workload(path: &std::path::Path) -> Result<pool_tiered::workload::Workload, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("workload {}: cannot read it: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("workload {}: {e}", path.display()))
}

/// Appends `r` to the file named by `POOL_BENCH_EXTRA_OUT`, where it is
/// set.
pub fn record(r: &ExtraRecord) {
    let Ok(path) = std::env::var("POOL_BENCH_EXTRA_OUT") else {
        return;
    };
    if let Err(e) = append(std::path::Path::new(&path), r) {
        eprintln!("{e}");
    }
}

/// Appends `r` to the JSON-lines file at `path` (made if missing).
///
/// # Errors
///
/// When the file cannot be opened or written: a message naming it.
pub fn append(path: &std::path::Path, r: &ExtraRecord) -> Result<(), String> {
    use std::io::Write as _;
    let line = serde_json::to_string(r).expect("a record serializes");
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| writeln!(f, "{line}"))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
