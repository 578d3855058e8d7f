//! The timed scenarios (single, threads, cross, fill, mixed, and the
//! registration of pipeline and replay) and `run_all`, the body of both
//! criterion targets.

use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use crossbeam_queue::ArrayQueue;

use crate::contenders::*;
use crate::peers::*;
use crate::settings::{size_label, size_list, thread_list};
// The statistics-off build registers neither pipelines nor replays.
#[cfg_attr(pool_no_stats, allow(unused_imports))]
use crate::{pipeline, records, replay, table};

/// One get, touch and put.
///
/// A guard that returns itself is dropped where it stands, as users drop
/// one. Moving it into a call instead is the harness's doing: the move
/// copies it with 16-byte loads that stall on the field-sized stores that
/// built it moments before, a cost that grows with the guard (pool-ring on
/// one thread: 21.7 ns with the move, 14.3 ns without, the same as a plain
/// loop that drops in place).
#[inline(always)]
fn op<C: Contender>(c: &C) {
    let mut item = c.get();
    C::touch(&mut item);
    if C::PUT_IS_DROP {
        return;
    }
    c.put(item);
}

/// `iters` operations on each of `threads` threads that start together;
/// returns the time of the whole group, from the first thread's start to
/// the last thread's end (so `time / iters` is ns per op per thread, and
/// `threads / that` the aggregate rate).
///
/// The group is timed, not each thread: with more threads than cores, a
/// thread may run its whole loop alone in one time slice, and its own time
/// would flatter a design that collapses when threads do overlap.
pub fn run_threads<C: Contender>(c: &C, threads: usize, iters: u64) -> Duration {
    if threads == 1 {
        for _ in 0..64 {
            op(c);
        }
        let start = Instant::now();
        for _ in 0..iters {
            op(c);
        }
        return start.elapsed();
    }
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                s.spawn(move || {
                    for _ in 0..64 {
                        op(c);
                    }
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        op(c);
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread panicked"))
            .collect()
    });
    group_span(&spans)
}

/// From the earliest start to the latest end of `spans`.
fn group_span(spans: &[(Instant, Instant)]) -> Duration {
    match (
        spans.iter().map(|s| s.0).min(),
        spans.iter().map(|s| s.1).max(),
    ) {
        (Some(first), Some(last)) => last.saturating_duration_since(first),
        _ => Duration::ZERO,
    }
}

/// `iters` buffers taken and written on one thread and given back on
/// another; returns the total time. The hand-off is a bounded lock-free
/// queue with spinning on both sides, so that the transport costs tens of
/// nanoseconds and the pools' own behaviour shows (a blocking channel would
/// cost microseconds per message in wake-ups).
pub fn run_cross<C: Contender>(c: &C, iters: u64) -> Duration {
    let queue: ArrayQueue<C::Item<'_>> = ArrayQueue::new(256);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let backoff = crossbeam_utils::Backoff::new();
            loop {
                if let Some(item) = queue.pop() {
                    c.put(item);
                    backoff.reset();
                } else if done.load(std::sync::atomic::Ordering::Acquire) && queue.is_empty() {
                    break;
                } else {
                    backoff.snooze();
                }
            }
        });
        let start = Instant::now();
        let backoff = crossbeam_utils::Backoff::new();
        for _ in 0..iters {
            let mut item = c.get();
            C::touch(&mut item);
            let mut pending = item;
            while let Err(back) = queue.push(pending) {
                pending = back;
                backoff.snooze();
            }
            backoff.reset();
        }
        done.store(true, std::sync::atomic::Ordering::Release);
        start
    })
    .elapsed()
}

/// Tasks per worker in the tokio scenario.
const TASKS_PER_WORKER: u64 = 32;

/// `iters` buffers taken by tokio tasks on a multi-thread runtime: each
/// task takes a buffer, writes to it, yields (an `.await` across which it
/// holds the buffer, as a task waiting on a socket does) and drops it on
/// whichever worker resumed it. The contender is leaked, so that its
/// borrowed guards are `'static` (a `static` pool's); owned guards need no
/// such help. Returns the time of the whole run.
pub fn run_tokio<C: Contender + 'static>(
    c: &'static C,
    rt: &tokio::runtime::Runtime,
    workers: usize,
    iters: u64,
) -> Duration {
    let tasks = (workers as u64 * TASKS_PER_WORKER).max(1);
    let start = Instant::now();
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                // Every iteration exactly once across the tasks.
                let n = iters / tasks + u64::from(t < iters % tasks);
                tokio::spawn(async move {
                    for _ in 0..n {
                        let mut item = c.get();
                        C::touch(&mut item);
                        tokio::task::yield_now().await;
                        c.put(item);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.expect("a bench task does not panic");
        }
    });
    start.elapsed()
}

/// Registers the tokio benchmark of contender `C` on `workers` workers.
pub fn bench_tokio<C: Contender + 'static>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    size: usize,
    workers: usize,
) {
    // Leaked on purpose: one pool per benchmark, for the process's life,
    // as a `static` pool is.
    let c: &'static C = Box::leak(Box::new(C::build(size)));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("a tokio runtime");
    group.bench_function(name, |b| {
        b.iter_custom(|iters| run_tokio(c, &rt, workers, iters))
    });
}

/// Request lengths drawn from a log-normal distribution (median 4 KiB,
/// sigma 1.5 in log space) clamped to 64 B..=1 MiB, from a fixed seed.
pub fn mixed_lengths(n: usize) -> Vec<usize> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        // xorshift64*: deterministic, good enough for a size mix.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            // Box-Muller.
            let (u1, u2) = (next().max(f64::MIN_POSITIVE), next());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let len = (4096f64.ln() + 1.5 * z).exp();
            len.clamp(64.0, (1 << 20) as f64) as usize
        })
        .collect()
}

/// `iters` operations over the mixed lengths.
pub fn run_mixed<C: SizedContender>(c: &C, lengths: &[usize], iters: u64) -> Duration {
    let start = Instant::now();
    let mut i = 0;
    for _ in 0..iters {
        c.op(lengths[i]);
        i = (i + 1) % lengths.len();
    }
    start.elapsed()
}

/// Registers the benchmark of contender `C` under `name` in `group` for
/// `threads` threads and buffers of `size` bytes.
pub fn bench_threads<C: Contender>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    size: usize,
    threads: usize,
) {
    let c = C::build(size);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| run_threads(&c, threads, iters))
    });
}

/// `iters` operations on one thread, on two pools of contender `C` in
/// turn (a service with a pool per message type): `time / iters` is the
/// time of one operation. A design that binds each thread's cache to one
/// pool at a time pays a rebind on every switch here.
pub fn run_two<C: Contender>(a: &C, b: &C, iters: u64) -> Duration {
    for _ in 0..64 {
        op(a);
        op(b);
    }
    let start = Instant::now();
    for _ in 0..iters / 2 {
        op(a);
        op(b);
    }
    if iters % 2 == 1 {
        op(a);
    }
    start.elapsed()
}

/// Registers the two-pools benchmark of contender `C`.
pub fn bench_two<C: Contender>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, size: usize) {
    let (a, b) = (C::build(size), C::build(size));
    group.bench_function(name, |bench| {
        bench.iter_custom(|iters| run_two(&a, &b, iters))
    });
}

/// Registers the cross-thread benchmark of contender `C`.
pub fn bench_cross<C: Contender>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    size: usize,
) {
    let c = C::build(size);
    group.bench_function(name, |b| b.iter_custom(|iters| run_cross(&c, iters)));
}

/// Registers the fill benchmark of contender `C`: get, write all `size`
/// bytes (as a read from a socket or a file does), put. First-touch and
/// page-fault costs of fresh buffers show here; 16 written bytes hide them.
pub fn bench_fill<C: Burst>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, size: usize) {
    let c = C::build(size);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            for _ in 0..8 {
                let mut item = c.get();
                C::fill(&mut item, size);
                c.put(item);
            }
            let start = Instant::now();
            for _ in 0..iters {
                let mut item = c.get();
                C::fill(&mut item, size);
                c.put(item);
            }
            start.elapsed()
        })
    });
}

/// Registers the mixed-size benchmark of contender `C`.
pub fn bench_mixed<C: SizedContender>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let c = C::build();
    let lengths = mixed_lengths(4096);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| run_mixed(&c, &lengths, iters))
    });
}

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
    use std::io::Write as _;
    let Ok(path) = std::env::var("POOL_BENCH_EXTRA_OUT") else {
        return;
    };
    if extra.retained.is_none() && extra.home.is_none() {
        return;
    }
    let line = serde_json::to_string(&records::ExtraRecord {
        id: id.to_string(),
        retained_bytes: extra.retained,
        home: extra.home,
    })
    .expect("a record serializes");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        eprintln!("cannot write {path}: {e}");
    }
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
    }
    for &size in sizes.iter().filter(|s| THREADED_SIZES.contains(s)) {
        for &t in &threads {
            let mut g = c.benchmark_group(format!("threads/{}/{t}t", size_label(size)));
            for (name, register) in pools.iter().chain(baselines.iter()) {
                register(&mut g, name, size, t);
            }
            g.finish();
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
        bench_mixed::<PoolTiered>(&mut g, table::POOL_TIERED.name);
        bench_mixed::<Zeropool>(&mut g, table::ZEROPOOL.name);
    }
    g.finish();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_pools_take_turns_and_every_op_is_counted() {
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        #[derive(Default)]
        struct Counting(AtomicU64);
        impl Contender for Counting {
            type Item<'a> = ();
            fn build(_: usize) -> Self {
                Counting::default()
            }
            fn get(&self) {
                self.0.fetch_add(1, Relaxed);
            }
            fn touch(_: &mut ()) {}
        }
        let (a, b) = (Counting::default(), Counting::default());
        run_two(&a, &b, 7);
        // 64 warm-up rounds each, then 7 ops: 4 on the first, 3 on the second.
        assert_eq!((a.0.into_inner(), b.0.into_inner()), (64 + 4, 64 + 3));
    }

    #[test]
    fn the_group_is_timed_from_first_start_to_last_end() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // Two threads that never overlapped: 3 ms and 1 ms alone, 6 ms as
        // a group.
        let spans = [(t0, t0 + ms(3)), (t0 + ms(5), t0 + ms(6))];
        assert_eq!(group_span(&spans), ms(6));
        assert_eq!(group_span(&spans[..1]), ms(3));
        assert_eq!(group_span(&[]), Duration::ZERO);
    }
}
