//! What an empty pool costs, and what its first uses add: many pools made
//! and kept, the bytes they hold counted by the allocator
//! ([`Counting`], the `pool-footprint` binary's global allocator) and the
//! process's resident memory read from `/proc/self/status`, each divided
//! by the number of pools.
//!
//! The items themselves are left out: the pools of one kind of item make
//! `Vec::new()` (no heap), and a tiered pool's buffer (its class's
//! capacity, known exactly) is subtracted from the allocator's count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

use pool::fixed::FixedPool;
use pool::local::LocalPool;
use pool::ring::RingPool;
use pool::tiered::TieredPool;

use crate::records::FootprintRecord;
use crate::table;

/// The system allocator, counting the bytes the process holds.
pub struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed on to `System` unchanged; the counting is
// one atomic add, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes held through the global allocator now, if it is [`Counting`]
/// (0 otherwise).
pub fn live_bytes() -> isize {
    LIVE.load(Relaxed)
}

/// The process's resident memory in bytes (`VmRSS`), where
/// `/proc/self/status` has it.
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A point to measure from: heap bytes and resident bytes.
#[derive(Clone, Copy)]
struct Mark {
    heap: isize,
    rss: Option<u64>,
}

fn mark() -> Mark {
    Mark {
        heap: live_bytes(),
        rss: rss_bytes(),
    }
}

/// One stage's figures per pool, from `from` to now, less `items` heap
/// bytes per pool that are the items, not the pool.
fn since(pool: &str, stage: &str, from: Mark, pools: usize, items: usize) -> FootprintRecord {
    let now = mark();
    let n = pools as f64;
    let heap = (now.heap - from.heap) as f64 / n - items as f64;
    let rss = match (from.rss, now.rss) {
        (Some(a), Some(b)) => Some((b as f64 - a as f64) / n - items as f64),
        _ => None,
    };
    FootprintRecord {
        pool: pool.to_string(),
        stage: stage.to_string(),
        pools,
        heap_bytes: heap,
        rss_bytes: rss,
    }
}

/// The stages measured: an empty pool, after one get (and its drop) on one
/// thread, and for the tiered pool after a get of a second class.
pub const STAGES: [&str; 3] = ["empty", "one get", "second class"];

/// The pools measured, by their table names.
pub const POOLS: [&str; 4] = [
    table::POOL_LOCAL.name,
    table::POOL_TIERED.name,
    table::POOL_FIXED.name,
    table::POOL_RING.name,
];

/// Measures `pool` (one of [`POOLS`]) over `pools` pools, or `None` for
/// another name. Call it from a binary whose global allocator is
/// [`Counting`], in a process of its own (resident memory freed by an
/// earlier measurement would be reused without showing), on a thread that
/// has used no pool yet.
pub fn measure(pool: &str, pools: usize) -> Option<Vec<FootprintRecord>> {
    let name = POOLS.into_iter().find(|&p| p == pool)?;
    Some(match name {
        n if n == table::POOL_LOCAL.name => stages(
            n,
            pools,
            || LocalPool::new(Vec::<u8>::new),
            |p| drop(p.get()),
            None,
        ),
        n if n == table::POOL_TIERED.name => stages(
            n,
            pools,
            TieredPool::new,
            |p| drop(p.get(100)),
            // The 128-byte class's buffer, then the 256-byte one's.
            Some((128, |p: &TieredPool| drop(p.get(200)), 256)),
        ),
        n if n == table::POOL_FIXED.name => stages(
            n,
            pools,
            || FixedPool::new(4, Vec::<u8>::new).expect("a valid capacity"),
            |p| drop(p.try_get()),
            None,
        ),
        n => stages(
            n,
            pools,
            || RingPool::new(4, Vec::<u8>::new).expect("a valid capacity"),
            |p| drop(p.get()),
            None,
        ),
    })
}

/// Item bytes per pool kept after the first get, and a second stage with
/// its item bytes.
type Second<P> = Option<(usize, fn(&P), usize)>;

fn stages<P>(
    name: &str,
    pools: usize,
    make: impl Fn() -> P,
    first: impl Fn(&P),
    second: Second<P>,
) -> Vec<FootprintRecord> {
    let mut held: Vec<P> = Vec::with_capacity(pools);
    let mut out = Vec::new();
    let start = mark();
    for _ in 0..pools {
        held.push(make());
    }
    let mut empty = since(name, STAGES[0], start, pools, 0);
    // The handle itself, where the pools are kept (in a `Vec` here).
    empty.heap_bytes += std::mem::size_of::<P>() as f64;
    out.push(empty);
    let (first_items, second) = match second {
        Some((items, f, more)) => (items, Some((f, more))),
        None => (0, None),
    };
    let before = mark();
    for p in &held {
        first(p);
    }
    out.push(since(name, STAGES[1], before, pools, first_items));
    if let Some((f, items)) = second {
        let before = mark();
        for p in &held {
            f(p);
        }
        out.push(since(name, STAGES[2], before, pools, items));
    }
    drop(held);
    out
}

/// The pipelines measured by [`pipeline`]: pool-local and pool-local
/// prefilled as full as it keeps.
pub const PIPELINES: [&str; 2] = [table::POOL_LOCAL.name, table::POOL_LOCAL_PREFILLED.name];

/// The stage name of [`pipeline`]'s records.
pub const PIPELINE_STAGE: &str = "pipeline 64 KiB, 16 threads";

/// Runs the 64 KiB pipeline (8 producers, 8 consumers, whole buffers
/// written) through `pool` (one of [`PIPELINES`]) for `items` buffers and
/// measures what the process holds afterwards (heap and resident bytes,
/// from before the pool was made), or `None` for another name. Call it in
/// a process of its own, as [`measure`].
pub fn pipeline(pool: &str, items: u64) -> Option<FootprintRecord> {
    use crate::contenders::{PoolLocal, PoolLocalPrefilled};
    if pool == table::POOL_LOCAL.name {
        Some(pipeline_of::<PoolLocal>(pool, items))
    } else if pool == table::POOL_LOCAL_PREFILLED.name {
        Some(pipeline_of::<PoolLocalPrefilled>(pool, items))
    } else {
        None
    }
}

/// [`pipeline`] through `C`, named `name`.
fn pipeline_of<C: crate::replay::Replay>(name: &str, items: u64) -> FootprintRecord {
    let shape = crate::pipeline::Shape::of(64 << 10, 16);
    let start = mark();
    let c = crate::pipeline::build::<C>(shape.size, 16);
    crate::pipeline::run_pipeline(&c, shape, items);
    // Measured with the pool still alive: heap bytes are what it retains
    // (and the run's queues left), resident bytes what the run touched.
    let record = since(name, PIPELINE_STAGE, start, 1, 0);
    drop(c);
    record
}
