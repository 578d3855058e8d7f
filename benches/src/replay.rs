//! The replay scenario: a recorded [`Workload`] (request lengths, threads,
//! buffers held at once) run against every contender that hands out a
//! buffer. Each operation takes a buffer of the next drawn length, writes
//! all of it, and gives back the oldest of the buffers the thread holds.

use std::collections::VecDeque;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use pool_tiered::workload::Workload;

use crate::table;
use crate::{
    Alloc, BuildPool, Burst, LockfreeObjectPool, ObjectPool, Opool, Ours, PoolFixed, PoolLocal,
    PoolLocalPerProducer, PoolRing, PoolTiered, SharedQueue, TlsStack, Zeropool,
};

/// Lengths drawn per thread (each thread cycles through its own draw).
pub const DRAWN: usize = 4096;

/// What the replay and the pipeline need besides [`Burst`]: a buffer of a
/// given length, and a build sized for the threads and buffers held.
pub trait Replay: Burst {
    /// Builds the contender for buffers of up to `max_len` bytes, used by
    /// `threads` threads each holding up to `held` buffers. A bounded pool
    /// holds enough for all of them (as its user would size it); the
    /// others build as [`Contender::build`](crate::Contender::build).
    fn build_for(max_len: usize, threads: usize, held: usize) -> Self {
        let _ = (threads, held);
        Self::build(max_len)
    }
    /// Takes a buffer for `len` bytes (a pool of one size hands out its
    /// item, which grows to `len` when written).
    fn get_len(&self, len: usize) -> Self::Item<'_> {
        let _ = len;
        self.get()
    }
}

impl Replay for TlsStack {}
impl Replay for Opool {}
impl Replay for ObjectPool {}
impl Replay for LockfreeObjectPool {}
impl Replay for SharedQueue {}

impl<P: BuildPool, const TIMED: bool, const PREFILLED: bool> Replay for Ours<P, TIMED, PREFILLED> {
    fn build_for(max_len: usize, threads: usize, held: usize) -> Self {
        Ours::make(max_len, threads.saturating_mul(held))
    }
}

impl Replay for PoolLocalPerProducer {
    /// A pool for each producer of a pipeline of `threads` threads.
    fn build_for(max_len: usize, threads: usize, held: usize) -> Self {
        let _ = held;
        PoolLocalPerProducer::new(max_len, crate::table::pipeline_split(threads).0)
    }
}

impl Replay for PoolTiered {
    #[inline]
    fn get_len(&self, len: usize) -> Self::Item<'_> {
        self.0.get(len)
    }
}

impl Replay for Zeropool {
    #[inline]
    fn get_len(&self, len: usize) -> Self::Item<'_> {
        self.0.alloc_uninit(len)
    }
}

impl Replay for Alloc {
    #[inline]
    fn get_len(&self, len: usize) -> Vec<u8> {
        Vec::with_capacity(std::hint::black_box(len))
    }
}

/// `iters` operations on each of the workload's threads, started together;
/// returns the slowest thread's time (so `time / iters` is the time per
/// operation per thread).
pub fn run_replay<C: Replay>(c: &C, w: &Workload, draws: &[Vec<usize>], iters: u64) -> Duration {
    let barrier = Barrier::new(w.threads);
    let one = |lengths: &[usize]| {
        let mut held: VecDeque<C::Item<'_>> = VecDeque::with_capacity(w.held);
        let mut op = |i: usize| {
            let len = lengths[i % lengths.len()];
            // The oldest goes back first: a thread never holds more than
            // `held` (a bounded pool sized for threads x held never waits
            // for good).
            if held.len() == w.held
                && let Some(oldest) = held.pop_front()
            {
                c.put(oldest);
            }
            let mut item = c.get_len(len);
            C::fill(&mut item, len);
            held.push_back(item);
        };
        for i in 0..w.held + 64 {
            op(i);
        }
        barrier.wait();
        let start = Instant::now();
        for i in 0..iters {
            op(i as usize);
        }
        let elapsed = start.elapsed();
        for item in held {
            c.put(item);
        }
        elapsed
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = draws
            .iter()
            .map(|lengths| s.spawn(|| one(lengths)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("replay thread panicked"))
            .max()
            .unwrap_or_default()
    })
}

/// Each thread's drawn lengths (a seed per thread).
#[must_use]
pub fn draws(w: &Workload) -> Vec<Vec<usize>> {
    (0..w.threads)
        .map(|t| w.lengths(t as u64).take(DRAWN).collect())
        .collect()
}

/// Registers the replay benchmark of contender `C`.
pub fn bench_replay<C: Replay>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, w: &Workload) {
    let c = C::build_for(w.max_bytes(), w.threads, w.held);
    let draws = draws(w);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| run_replay(&c, w, &draws, iters));
    });
}

/// Registers a contender's replay.
pub type RegisterReplay = fn(&mut BenchmarkGroup<'_, WallTime>, &str, &Workload);

/// The pools replayed (every contender that hands out a buffer).
pub const POOLS_REPLAY: &[(&str, RegisterReplay)] = &[
    (table::POOL_LOCAL.name, bench_replay::<PoolLocal>),
    (table::POOL_RING.name, bench_replay::<PoolRing>),
    (table::POOL_FIXED.name, bench_replay::<PoolFixed>),
    (table::POOL_TIERED.name, bench_replay::<PoolTiered>),
    (table::TLS_STACK.name, bench_replay::<TlsStack>),
    (table::ZEROPOOL.name, bench_replay::<Zeropool>),
    (table::OPOOL.name, bench_replay::<Opool>),
    (table::OBJECT_POOL.name, bench_replay::<ObjectPool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        bench_replay::<LockfreeObjectPool>,
    ),
    (table::ARRAYQUEUE.name, bench_replay::<SharedQueue>),
];

/// The workload named by `POOL_BENCH_WORKLOAD` (a JSON file), if set.
///
/// # Errors
///
/// A message naming the file and what is wrong in it.
pub fn workload_from_env() -> Result<Option<Workload>, String> {
    let Ok(path) = std::env::var("POOL_BENCH_WORKLOAD") else {
        return Ok(None);
    };
    crate::records::load_workload(std::path::Path::new(&path)).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::load_workload as load;

    #[test]
    fn every_contender_replays_and_gives_everything_back() {
        let w = Workload::new(3)
            .with_size(100, 5)
            .with_size(5000, 2)
            .with_size(70_000, 1)
            .with_held(4);
        let d = draws(&w);
        let local = PoolLocal::build_for(w.max_bytes(), 3, 4);
        run_replay(&local, &w, &d, 500);
        let s = local.0.stats();
        assert_eq!(s.outstanding, 0);
        assert_eq!(s.gets, 3 * (500 + 4 + 64));
        let tiered = PoolTiered::build_for(w.max_bytes(), 3, 4);
        run_replay(&tiered, &w, &d, 500);
        let s = tiered.0.stats();
        assert_eq!(s.total.outstanding, 0);
        // Tiered was asked for each drawn length.
        assert!(
            s.recent_lengths
                .iter()
                .all(|l| [100, 5000, 70_000].contains(l))
        );
        // A bounded pool sized for threads x held never blocks for good.
        let many = Workload::new(4).with_size(64, 1).with_held(100);
        let fixed = PoolFixed::build_for(64, 4, 100);
        run_replay(&fixed, &many, &draws(&many), 50);
        assert_eq!(fixed.0.status().in_use, 0);
        fn quick<C: Replay>(w: &Workload) {
            let c = C::build_for(w.max_bytes(), w.threads, w.held);
            assert!(run_replay(&c, w, &draws(w), 20) > Duration::ZERO);
        }
        quick::<PoolRing>(&w);
        quick::<TlsStack>(&w);
        quick::<Zeropool>(&w);
        quick::<Opool>(&w);
        quick::<ObjectPool>(&w);
        quick::<LockfreeObjectPool>(&w);
        quick::<SharedQueue>(&w);
        quick::<Alloc>(&w);
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let dir = std::env::temp_dir().join(format!("replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = load(&dir.join("missing.json")).unwrap_err();
        assert!(e.contains("missing.json: cannot read it"), "{e}");
        let f = dir.join("bad.json");
        std::fs::write(
            &f,
            r#"{"threads": 2000, "sizes": [{"bytes": 1, "count": 1}]}"#,
        )
        .unwrap();
        let e = load(&f).unwrap_err();
        assert!(e.contains("`threads` is 2000, expected 1..=1024"), "{e}");
        std::fs::write(&f, "not json").unwrap();
        assert!(load(&f).unwrap_err().contains("bad.json: expected"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
