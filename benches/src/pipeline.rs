//! The pipeline scenario: producer threads take buffers and fill them
//! whole, hand them over in batches, and consumer threads give them back
//! (drop them): cross-thread return at a realistic batch size, as in a
//! parser feeding workers or a decoder feeding an encoder.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use crossbeam_queue::ArrayQueue;
use crossbeam_utils::Backoff;

use crate::replay::Replay;
use crate::table::pipeline_split;

/// Buffers per hand-over.
pub const BATCH: usize = 16;
/// Batches in flight between producers and consumers.
pub const QUEUE_BATCHES: usize = 8;

/// `C` built as the pipeline builds it for buffers of `size` bytes on
/// `threads` threads: for as many buffers out at once as a batch and the
/// batches in flight.
pub fn build<C: Replay>(size: usize, threads: usize) -> C {
    C::build_for(size, threads, BATCH * (QUEUE_BATCHES + 1))
}

/// What a pipeline moves and between how many threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Bytes per buffer.
    pub size: usize,
    /// Threads that take and fill buffers.
    pub producers: usize,
    /// Threads that give them back.
    pub consumers: usize,
    /// Whether producers write whole buffers (else 16 bytes).
    pub whole: bool,
}

impl Shape {
    /// `threads` threads split by [`pipeline_split`], buffers of `size` bytes,
    /// written as [`fills_whole`] says.
    #[must_use]
    pub fn of(size: usize, threads: usize) -> Self {
        let (producers, consumers) = pipeline_split(threads);
        Shape {
            size,
            producers,
            consumers,
            whole: fills_whole(),
        }
    }
}

/// `items` buffers of `shape.size` bytes, taken and filled by the
/// producers, batched by [`BATCH`], given back by the consumers; returns
/// the time from the start until the last one is back (so `time / items`
/// is the time per buffer over all threads).
pub fn run_pipeline<C: Replay>(c: &C, shape: Shape, items: u64) -> Duration {
    run::<C, false>(c, shape, items, None)
}

/// The fraction of buffers that come home in the pipeline (see
/// [`crate::home`]): `items` buffers as [`run_pipeline`] moves them, in a
/// pass that logs every get and is not timed.
pub fn home_fraction<C: Replay>(c: &C, shape: Shape, items: u64) -> Option<f64> {
    let sink = std::sync::Mutex::new(Vec::new());
    run::<C, true>(c, shape, items, Some(&sink));
    crate::home::fraction(
        sink.into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// [`run_pipeline`], logging every get into `sink` when `LOG`.
fn run<C: Replay, const LOG: bool>(
    c: &C,
    shape: Shape,
    items: u64,
    sink: Option<&std::sync::Mutex<Vec<crate::home::Get>>>,
) -> Duration {
    let Shape {
        size,
        producers,
        consumers,
        whole,
    } = shape;
    let full: ArrayQueue<Vec<C::Item<'_>>> = ArrayQueue::new(QUEUE_BATCHES);
    let empty: ArrayQueue<Vec<C::Item<'_>>> = ArrayQueue::new(QUEUE_BATCHES * 2);
    let producing = AtomicUsize::new(producers);
    let start = Instant::now();
    std::thread::scope(|s| {
        for p in 0..producers {
            let mine = items / producers as u64 + u64::from((p as u64) < items % producers as u64);
            let (full, empty, producing) = (&full, &empty, &producing);
            s.spawn(move || {
                let backoff = Backoff::new();
                let mut log = sink
                    .filter(|_| LOG)
                    .map(|sink| crate::home::Logger::new(sink, p as u32));
                let mut batch = empty.pop().unwrap_or_else(|| Vec::with_capacity(BATCH));
                for _ in 0..mine {
                    let mut item = c.get_len(size);
                    if LOG && let Some(log) = &mut log {
                        log.note(C::addr(&item));
                    }
                    if whole {
                        C::fill(&mut item, size);
                    } else {
                        C::touch(&mut item);
                    }
                    batch.push(item);
                    if batch.len() == BATCH {
                        let mut pending = batch;
                        while let Err(back) = full.push(pending) {
                            pending = back;
                            backoff.snooze();
                        }
                        backoff.reset();
                        batch = empty.pop().unwrap_or_else(|| Vec::with_capacity(BATCH));
                    }
                }
                if !batch.is_empty() {
                    let mut pending = batch;
                    while let Err(back) = full.push(pending) {
                        pending = back;
                        backoff.snooze();
                    }
                }
                producing.fetch_sub(1, Ordering::Release);
            });
        }
        for _ in 0..consumers {
            let (full, empty, producing) = (&full, &empty, &producing);
            s.spawn(move || {
                let backoff = Backoff::new();
                loop {
                    if let Some(mut batch) = full.pop() {
                        for item in batch.drain(..) {
                            c.put(item);
                        }
                        let _ = empty.push(batch);
                        backoff.reset();
                    } else if producing.load(Ordering::Acquire) == 0 && full.is_empty() {
                        break;
                    } else {
                        backoff.snooze();
                    }
                }
            });
        }
    });
    start.elapsed()
}

/// Whether producers write whole buffers: yes, unless
/// `POOL_BENCH_PIPELINE_WRITE=16` asks for the 16-byte write of the other
/// scenarios (a diagnostic: it separates what the pools cost from where
/// the written memory lives).
#[must_use]
pub fn fills_whole() -> bool {
    std::env::var("POOL_BENCH_PIPELINE_WRITE").map_or(true, |v| v.trim() != "16")
}

/// Registers the pipeline benchmark of contender `C` for buffers of
/// `size` bytes on `threads` threads; returns, where criterion ran the
/// benchmark, the bytes the pool reports retaining once the run is over
/// (where it reports them) and the fraction of buffers that came home.
pub fn bench_pipeline<C: Replay>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    size: usize,
    threads: usize,
) -> Extra {
    let shape = Shape::of(size, threads);
    let c = build::<C>(size, threads);
    let ran = std::cell::Cell::new(false);
    group.bench_function(name, |b| {
        ran.set(true);
        b.iter_custom(|iters| run_pipeline(&c, shape, iters.max(1)));
    });
    if !ran.get() {
        return Extra::default();
    }
    // Counted after the timed runs, in a pass of its own.
    let home = home_fraction(&c, shape, HOME_ITEMS);
    Extra {
        retained: c.retained_bytes(),
        home,
    }
}

/// Buffers moved in the pass that counts those that come home: enough for
/// every buffer to come round many times.
pub const HOME_ITEMS: u64 = 20_000;

/// What a pipeline benchmark measured besides time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Extra {
    /// The bytes the pool reports retaining once the run is over.
    pub retained: Option<u64>,
    /// The fraction of buffers that came home (see [`crate::home`]).
    pub home: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Alloc, PoolFixed, PoolLocal, PoolTiered};

    #[test]
    fn splits_keep_one_of_each() {
        assert_eq!(pipeline_split(1), (1, 1));
        assert_eq!(pipeline_split(2), (1, 1));
        assert_eq!(pipeline_split(5), (3, 2));
        assert_eq!(pipeline_split(16), (8, 8));
    }

    fn shape(producers: usize, consumers: usize, whole: bool) -> Shape {
        Shape {
            size: 4096,
            producers,
            consumers,
            whole,
        }
    }

    #[test]
    fn with_one_producer_every_buffer_seen_again_comes_home() {
        // One thread gets, so a buffer's previous get was on it.
        let local = build::<PoolLocal>(4096, 2);
        assert_eq!(home_fraction(&local, shape(1, 1, false), 2000), Some(1.0));
        let alloc = Alloc::build_for(4096, 2, 1);
        let f = home_fraction(&alloc, shape(1, 1, false), 2000);
        assert!(f.is_none_or(|f| f == 1.0), "{f:?}");
        // Two producers: a fraction, and every buffer still comes back.
        let local = build::<PoolLocal>(4096, 4);
        let f = home_fraction(&local, shape(2, 2, false), 4000).expect("buffers are reused");
        assert!((0.0..=1.0).contains(&f), "{f}");
        assert_eq!(local.0.stats().outstanding, 0);
    }

    #[test]
    fn with_a_pool_per_producer_every_buffer_comes_home() {
        use crate::PoolLocalPerProducer;
        let per = build::<PoolLocalPerProducer>(4096, 4);
        // Each producer gets from its own pool, so a buffer it gets again
        // is one it held itself, whichever consumer gave it back.
        assert_eq!(home_fraction(&per, shape(2, 2, false), 4000), Some(1.0));
        let s = per.stats();
        assert_eq!((s.gets, s.outstanding), (4000, 0));
        // A second run's producers are new threads: they take the pools
        // in turn again, one each.
        run_pipeline(&per, shape(2, 2, true), 1000);
        assert_eq!(home_fraction(&per, shape(2, 2, false), 2000), Some(1.0));
        assert_eq!(per.stats().outstanding, 0);
    }

    #[test]
    fn every_buffer_comes_back() {
        fn check<C: Replay>(threads: usize) -> C {
            let (p, q) = pipeline_split(threads);
            let c = build::<C>(4096, threads);
            // 1,000 is not a multiple of the batch: the last one is partial.
            run_pipeline(&c, shape(p, q, true), 1000);
            c
        }
        let local = check::<PoolLocal>(4);
        let s = local.0.stats();
        assert_eq!((s.gets, s.outstanding), (1000, 0));
        let tiered = check::<PoolTiered>(3);
        let s = tiered.0.stats().total;
        assert_eq!((s.gets, s.outstanding), (1000, 0));
        // The bounded pool never has more out than it holds: producers
        // wait, consumers give back, and the run ends.
        let fixed = check::<PoolFixed>(16);
        assert_eq!(fixed.0.status().in_use, 0);
        check::<Alloc>(2);
    }
}
