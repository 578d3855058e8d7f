//! The burst scenario: steady load, a burst of ten times more buffers out
//! at once, then all back and a trim; process RSS at each stage.

use crate::contenders::*;
use crate::peers::*;
use crate::table;

/// The process's resident set size in bytes (Linux; 0 elsewhere).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// One burst measurement.
#[derive(Debug, Clone, Copy)]
pub struct BurstResult {
    /// RSS after the steady phase.
    pub rss_steady: u64,
    /// RSS while the burst's items are all out.
    pub rss_peak: u64,
    /// RSS after the burst's items came back and the pool was trimmed.
    pub rss_after: u64,
    /// Retained bytes the pool reports after the trim, where it reports them.
    pub retained_after: Option<u64>,
    /// Retained bytes the pool reports once the burst came back, before
    /// the trim, where it reports them.
    pub retained_before_trim: Option<u64>,
    /// Where the idle items were then, where the pool says.
    pub memory_before_trim: Option<pool_core::Memory>,
}

/// Steady load holding `steady` buffers at a time, then `10 * steady` at
/// once, then all back and a trim; RSS at each stage.
pub fn run_burst<C: Burst>(size: usize, steady: usize) -> BurstResult {
    let c = C::build(size);
    let round = |n: usize| {
        let mut held: Vec<_> = (0..n).map(|_| c.get()).collect();
        for item in &mut held {
            C::fill(item, size);
        }
        held
    };
    for _ in 0..200 {
        for item in round(steady) {
            c.put(item);
        }
    }
    let rss_steady = rss_bytes();
    let burst = round(10 * steady);
    let rss_peak = rss_bytes();
    for item in burst {
        c.put(item);
    }
    let retained_before_trim = c.retained_bytes();
    let memory_before_trim = c.memory();
    c.trim();
    BurstResult {
        rss_steady,
        rss_peak,
        rss_after: rss_bytes(),
        retained_after: c.retained_bytes(),
        retained_before_trim,
        memory_before_trim,
    }
}

/// Runs the burst for one contender: `(size, steady)`.
pub type RunBurst = fn(usize, usize) -> BurstResult;

/// The contenders of the burst scenario (sharded-slab is left out: its
/// items are written only inside `create_with`, so a whole-buffer fill
/// would measure something else).
pub const BURST: &[(&str, RunBurst)] = &[
    (table::POOL_LOCAL.name, run_burst::<PoolLocal>),
    (table::POOL_LOCAL_TIMED.name, run_burst::<PoolLocalTimed>),
    (table::POOL_TIERED_TIMED.name, run_burst::<PoolTieredTimed>),
    (table::POOL_RING.name, run_burst::<PoolRing>),
    (table::POOL_FIXED.name, run_burst::<PoolFixed>),
    (table::POOL_TIERED.name, run_burst::<PoolTiered>),
    (table::TLS_STACK.name, run_burst::<TlsStack>),
    ("alloc-system", run_burst::<Alloc>),
    (table::ZEROPOOL.name, run_burst::<Zeropool>),
    (table::OPOOL.name, run_burst::<Opool>),
    (table::OBJECT_POOL.name, run_burst::<ObjectPool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        run_burst::<LockfreeObjectPool>,
    ),
    (table::ARRAYQUEUE.name, run_burst::<SharedQueue>),
];
