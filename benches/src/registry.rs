//! Which contenders each scenario registers, by name, and [`run_all`],
//! the body of both bench targets: every scenario for the pools and for
//! plain allocation.

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;

use crate::contenders::*;
use crate::peers::*;
use crate::scenarios::*;
use crate::settings::{size_label, size_list, thread_list};
// The statistics-off build registers neither pipelines nor replays.
#[cfg_attr(pool_no_stats, allow(unused_imports))]
use crate::{pipeline, records, replay, table};

/// Every fixed-size contender, by name, as a function that registers its
/// benchmark (pool strategies, the reference stack and the peers; plain
/// allocation is added by each bench target with its allocator's name).
pub type Register = fn(&mut BenchmarkGroup<'_, WallTime>, &str, usize, usize);

/// Built with `--cfg pool_no_stats`: pool-local and pool-tiered with every
/// statistics counter compiled out (named `-nostats`), nothing else.
#[cfg(pool_no_stats)]
pub const POOLS: &[(&str, Register)] = &[
    (table::POOL_LOCAL_NOSTATS.name, bench_threads::<PoolLocal>),
    (table::POOL_TIERED_NOSTATS.name, bench_threads::<PoolTiered>),
];

/// Built with the `leak-sites` feature: pool-local without a tracker, with
/// a sampled one and with one that records every guard (what leak sites
/// cost), nothing else.
#[cfg(all(feature = "leak-sites", not(pool_no_stats)))]
pub const POOLS: &[(&str, Register)] = &[
    (
        table::POOL_LOCAL_LEAK_SITES.name,
        bench_threads::<PoolLocalLeaks<0>>,
    ),
    (
        table::POOL_LOCAL_SAMPLED.name,
        bench_threads::<PoolLocalLeaks<128>>,
    ),
    (
        table::POOL_LOCAL_TRACKED.name,
        bench_threads::<PoolLocalLeaks<1>>,
    ),
];

/// The pools: ours, the reference and the peers.
#[cfg(not(any(pool_no_stats, feature = "leak-sites")))]
pub const POOLS: &[(&str, Register)] = &[
    (table::POOL_LOCAL.name, bench_threads::<PoolLocal>),
    (
        table::POOL_LOCAL_TIMED.name,
        bench_threads::<PoolLocalTimed>,
    ),
    (table::POOL_RING.name, bench_threads::<PoolRing>),
    (table::POOL_FIXED.name, bench_threads::<PoolFixed>),
    (table::POOL_TIERED.name, bench_threads::<PoolTiered>),
    (
        table::POOL_LOCAL_OWNED.name,
        bench_threads::<PoolLocalOwned>,
    ),
    (
        table::POOL_TIERED_OWNED.name,
        bench_threads::<PoolTieredOwned>,
    ),
    (
        table::POOL_FIXED_OWNED.name,
        bench_threads::<PoolFixedOwned>,
    ),
    (table::POOL_RING_OWNED.name, bench_threads::<PoolRingOwned>),
    (table::TLS_STACK.name, bench_threads::<TlsStack>),
    (
        table::TLS_STACK_ATOMIC.name,
        bench_threads::<TlsStackAtomic>,
    ),
    (table::ZEROPOOL.name, bench_threads::<Zeropool>),
    (table::OPOOL.name, bench_threads::<Opool>),
    (table::OBJECT_POOL.name, bench_threads::<ObjectPool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        bench_threads::<LockfreeObjectPool>,
    ),
    (table::SHARDED_SLAB.name, bench_threads::<ShardedSlab>),
    (table::ARRAYQUEUE.name, bench_threads::<SharedQueue>),
    (
        table::LOCKFREE_OBJECT_POOL_OWNED.name,
        bench_threads::<LockfreeObjectPoolOwned>,
    ),
    (
        table::OBJECT_POOL_OWNED.name,
        bench_threads::<ObjectPoolOwned>,
    ),
    (table::OPOOL_OWNED.name, bench_threads::<OpoolOwned>),
];

/// The same contenders for the cross-thread scenario.
pub type RegisterCross = fn(&mut BenchmarkGroup<'_, WallTime>, &str, usize);

/// The pools, cross-thread.
pub const POOLS_CROSS: &[(&str, RegisterCross)] = &[
    (table::POOL_LOCAL.name, bench_cross::<PoolLocal>),
    (table::POOL_RING.name, bench_cross::<PoolRing>),
    (table::POOL_FIXED.name, bench_cross::<PoolFixed>),
    (table::POOL_TIERED.name, bench_cross::<PoolTiered>),
    (table::POOL_LOCAL_OWNED.name, bench_cross::<PoolLocalOwned>),
    (
        table::POOL_TIERED_OWNED.name,
        bench_cross::<PoolTieredOwned>,
    ),
    (table::POOL_FIXED_OWNED.name, bench_cross::<PoolFixedOwned>),
    (table::POOL_RING_OWNED.name, bench_cross::<PoolRingOwned>),
    (table::TLS_STACK.name, bench_cross::<TlsStack>),
    (table::ZEROPOOL.name, bench_cross::<Zeropool>),
    (table::OPOOL.name, bench_cross::<Opool>),
    (table::OBJECT_POOL.name, bench_cross::<ObjectPool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        bench_cross::<LockfreeObjectPool>,
    ),
    (table::SHARDED_SLAB.name, bench_cross::<ShardedSlab>),
    (table::ARRAYQUEUE.name, bench_cross::<SharedQueue>),
    (
        table::LOCKFREE_OBJECT_POOL_OWNED.name,
        bench_cross::<LockfreeObjectPoolOwned>,
    ),
    (
        table::OBJECT_POOL_OWNED.name,
        bench_cross::<ObjectPoolOwned>,
    ),
    (table::OPOOL_OWNED.name, bench_cross::<OpoolOwned>),
];

/// The contenders of the tokio scenario: ours, borrowed from a `static`
/// pool and owned, and the peers' owned forms.
#[cfg(not(pool_no_stats))]
pub const POOLS_TOKIO: &[(&str, Register)] = &[
    (table::POOL_LOCAL.name, bench_tokio::<PoolLocal>),
    (table::POOL_LOCAL_OWNED.name, bench_tokio::<PoolLocalOwned>),
    (table::POOL_TIERED.name, bench_tokio::<PoolTiered>),
    (
        table::POOL_TIERED_OWNED.name,
        bench_tokio::<PoolTieredOwned>,
    ),
    (
        table::LOCKFREE_OBJECT_POOL_OWNED.name,
        bench_tokio::<LockfreeObjectPoolOwned>,
    ),
    (
        table::OBJECT_POOL_OWNED.name,
        bench_tokio::<ObjectPoolOwned>,
    ),
    (table::OPOOL_OWNED.name, bench_tokio::<OpoolOwned>),
];

/// The contenders of the two-pools scenario (two pools of one kind used in
/// turn on one thread).
pub type RegisterTwo = fn(&mut BenchmarkGroup<'_, WallTime>, &str, usize);

/// The pools with per-thread caches, and the fastest single-queue peer.
#[cfg(not(pool_no_stats))]
pub const POOLS_TWO: &[(&str, RegisterTwo)] = &[
    (table::POOL_LOCAL.name, bench_two::<PoolLocal>),
    (table::POOL_TIERED.name, bench_two::<PoolTiered>),
    (table::POOL_RING.name, bench_two::<PoolRing>),
    (table::POOL_FIXED.name, bench_two::<PoolFixed>),
    (table::ZEROPOOL.name, bench_two::<Zeropool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        bench_two::<LockfreeObjectPool>,
    ),
];

/// The contenders of the fill scenario (those that can fill a buffer
/// whole; sharded-slab hands out slab keys, not buffers).
pub type RegisterFill = fn(&mut BenchmarkGroup<'_, WallTime>, &str, usize);

/// The pools, filling whole buffers.
#[cfg(not(pool_no_stats))]
pub const POOLS_FILL: &[(&str, RegisterFill)] = &[
    (table::POOL_LOCAL.name, bench_fill::<PoolLocal>),
    (table::POOL_RING.name, bench_fill::<PoolRing>),
    (table::POOL_FIXED.name, bench_fill::<PoolFixed>),
    (table::POOL_TIERED.name, bench_fill::<PoolTiered>),
    (table::TLS_STACK.name, bench_fill::<TlsStack>),
    (table::ZEROPOOL.name, bench_fill::<Zeropool>),
    (table::OPOOL.name, bench_fill::<Opool>),
    (table::OBJECT_POOL.name, bench_fill::<ObjectPool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        bench_fill::<LockfreeObjectPool>,
    ),
    (table::ARRAYQUEUE.name, bench_fill::<SharedQueue>),
];

/// Registers a contender's pipeline; returns what it measured besides time
/// (the bytes it retains after, the buffers that came home).
pub type RegisterPipeline =
    fn(&mut BenchmarkGroup<'_, WallTime>, &str, usize, usize) -> pipeline::Extra;

/// The pools in the pipeline (every contender that hands out a buffer).
#[cfg(not(pool_no_stats))]
pub const POOLS_PIPELINE: &[(&str, RegisterPipeline)] = &[
    (
        table::POOL_LOCAL.name,
        pipeline::bench_pipeline::<PoolLocal>,
    ),
    (
        table::POOL_LOCAL_PER_PRODUCER.name,
        pipeline::bench_pipeline::<PoolLocalPerProducer>,
    ),
    (
        table::POOL_LOCAL_PREFILLED.name,
        pipeline::bench_pipeline::<PoolLocalPrefilled>,
    ),
    (table::POOL_RING.name, pipeline::bench_pipeline::<PoolRing>),
    (
        table::POOL_FIXED.name,
        pipeline::bench_pipeline::<PoolFixed>,
    ),
    (
        table::POOL_TIERED.name,
        pipeline::bench_pipeline::<PoolTiered>,
    ),
    (table::TLS_STACK.name, pipeline::bench_pipeline::<TlsStack>),
    (table::ZEROPOOL.name, pipeline::bench_pipeline::<Zeropool>),
    (table::OPOOL.name, pipeline::bench_pipeline::<Opool>),
    (
        table::OBJECT_POOL.name,
        pipeline::bench_pipeline::<ObjectPool>,
    ),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        pipeline::bench_pipeline::<LockfreeObjectPool>,
    ),
    (
        table::ARRAYQUEUE.name,
        pipeline::bench_pipeline::<SharedQueue>,
    ),
];

/// Appends `{"id": id, "retained_bytes": .., "home": ..}` to the file
/// named by `POOL_BENCH_EXTRA_OUT`, where it is set and there is anything
/// to say: what a benchmark measured besides time, for the report.
pub fn record_extra(id: &str, extra: pipeline::Extra) {
    if extra.retained.is_none() && extra.home.is_none() {
        return;
    }
    records::record(&records::ExtraRecord {
        id: id.to_string(),
        retained_bytes: extra.retained,
        home: extra.home,
        ratio: None,
        ratio_spread: None,
        instructions: None,
    });
}

/// Runs every scenario for the pools (when `with_pools`) and for plain
/// allocation named after `allocator`: the body of both bench targets.
pub fn run_all(c: &mut criterion::Criterion, allocator: &str, with_pools: bool) {
    let alloc_name = format!("alloc-{allocator}");
    let zeroed_name = format!("alloc-zeroed-{allocator}");
    let baselines: [(&str, Register); 2] = [
        (&alloc_name, bench_threads::<Alloc>),
        (&zeroed_name, bench_threads::<AllocZeroed>),
    ];
    let sizes = size_list();
    let threads = thread_list();
    let pools: &[(&str, Register)] = if with_pools { POOLS } else { &[] };
    // The statistics-off build measures its two pools and nothing else.
    let baselines: &[(&str, Register)] = if cfg!(pool_no_stats) { &[] } else { &baselines };

    for &size in &sizes {
        let mut g = c.benchmark_group(format!("single/{}/1t", size_label(size)));
        for (name, register) in pools.iter().chain(baselines.iter()) {
            register(&mut g, name, size, 1);
        }
        g.finish();
        // The same one-thread ratios, timed in alternation.
        if with_pools {
            crate::interleaved::run_pairs("single", size, 1);
        }
    }
    // Two pools in turn on one thread.
    #[cfg(not(pool_no_stats))]
    for &size in sizes.iter().filter(|s| THREADED_SIZES.contains(s)) {
        let mut g = c.benchmark_group(format!("two/{}/1t", size_label(size)));
        let two: &[(&str, RegisterTwo)] = if with_pools { POOLS_TWO } else { &[] };
        for (name, register) in two {
            register(&mut g, name, size);
        }
        bench_two::<Alloc>(&mut g, &alloc_name, size);
        g.finish();
        if with_pools {
            crate::interleaved::run_pairs("two", size, 1);
        }
    }
    for &size in sizes.iter().filter(|s| THREADED_SIZES.contains(s)) {
        for &t in &threads {
            let mut g = c.benchmark_group(format!("threads/{}/{t}t", size_label(size)));
            for (name, register) in pools.iter().chain(baselines.iter()) {
                register(&mut g, name, size, t);
            }
            g.finish();
            // The most threads' ratios, timed in alternation too.
            if with_pools && t > 1 && Some(&t) == threads.iter().max() {
                crate::interleaved::run_pairs("threads", size, t);
            }
        }
    }
    // Tokio: as many workers as the most threads asked for (at least two).
    #[cfg(not(pool_no_stats))]
    if let Some(&size) = sizes.iter().find(|s| THREADED_SIZES.contains(s)) {
        let workers = threads.iter().copied().max().unwrap_or(2).max(2);
        let mut g = c.benchmark_group(format!("tokio/{}/{workers}t", size_label(size)));
        let list: &[(&str, Register)] = if with_pools { POOLS_TOKIO } else { &[] };
        for (name, register) in list {
            register(&mut g, name, size, workers);
        }
        bench_tokio::<Alloc>(&mut g, &alloc_name, size, workers);
        g.finish();
    }
    if let Some(&size) = sizes.iter().find(|s| THREADED_SIZES.contains(s)) {
        let mut g = c.benchmark_group(format!("cross/{}/2t", size_label(size)));
        let cross: &[(&str, RegisterCross)] = if with_pools { POOLS_CROSS } else { &[] };
        for (name, register) in cross {
            register(&mut g, name, size);
        }
        bench_cross::<Alloc>(&mut g, &alloc_name, size);
        if with_pools {
            bench_cross::<HandOff>(&mut g, table::HANDOFF.name, size);
        }
        g.finish();
        // The cross-thread ratios, timed in alternation: this scenario's
        // two spinning threads on a shared machine move the most. Against
        // mimalloc where it is the global allocator.
        if with_pools {
            crate::interleaved::run_pairs("cross", size, 2);
        }
        if allocator == "mimalloc" {
            crate::interleaved::run_pairs(table::CROSS_ABOVE, size, 2);
        }
    }
    // Fill: the holder writes the whole buffer (not in the statistics-off
    // build, which measures only what statistics cost).
    #[cfg(not(pool_no_stats))]
    {
        for &size in sizes.iter().filter(|s| THREADED_SIZES.contains(s)) {
            let mut g = c.benchmark_group(format!("fill/{}/1t", size_label(size)));
            let fill: &[(&str, RegisterFill)] = if with_pools { POOLS_FILL } else { &[] };
            for (name, register) in fill {
                register(&mut g, name, size);
            }
            bench_fill::<Alloc>(&mut g, &alloc_name, size);
            g.finish();
        }
    }
    // Pipeline: producers fill, consumers give back, at every thread count
    // of two or more, for the first threaded size.
    #[cfg(not(pool_no_stats))]
    if let Some(&size) = sizes.iter().find(|s| THREADED_SIZES.contains(s)) {
        for &t in threads.iter().filter(|&&t| t >= 2) {
            let id = format!("pipeline/{}/{t}t", size_label(size));
            let mut g = c.benchmark_group(&id);
            let list: &[(&str, RegisterPipeline)] = if with_pools { POOLS_PIPELINE } else { &[] };
            for (name, register) in list {
                let extra = register(&mut g, name, size, t);
                record_extra(&format!("{id}/{name}"), extra);
            }
            let extra = pipeline::bench_pipeline::<Alloc>(&mut g, &alloc_name, size, t);
            record_extra(&format!("{id}/{alloc_name}"), extra);
            g.finish();
            // The recommendation's ratios, timed in alternation at the
            // most threads: these rows move the most from run to run. Each
            // target times the pairs of its own allocator.
            if Some(&t) == threads.iter().max() {
                crate::interleaved::run_pipeline_pairs(size, t, allocator);
            }
        }
    }
    // Replay: the workload named by POOL_BENCH_WORKLOAD.
    #[cfg(not(pool_no_stats))]
    match replay::workload_from_env() {
        Ok(Some(w)) => {
            let mut g = c.benchmark_group(format!("replay/workload/{}t", w.threads));
            let list: &[(&str, replay::RegisterReplay)] = if with_pools {
                replay::POOLS_REPLAY
            } else {
                &[]
            };
            for (name, register) in list {
                register(&mut g, name, &w);
            }
            replay::bench_replay::<Alloc>(&mut g, &alloc_name, &w);
            g.finish();
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
    let mut g = c.benchmark_group("mixed/64B-1MiB/1t");
    bench_mixed::<Alloc>(&mut g, &alloc_name);
    bench_mixed::<AllocZeroed>(&mut g, &zeroed_name);
    if with_pools {
        bench_mixed::<WriteOnly>(&mut g, table::WRITE_ONLY.name);
        bench_mixed::<PoolTiered>(&mut g, table::POOL_TIERED.name);
        bench_mixed::<Zeropool>(&mut g, table::ZEROPOOL.name);
    }
    g.finish();
}
