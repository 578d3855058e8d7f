//! The timed scenarios: single, threads, cross, two pools in turn, tokio,
//! fill and mixed (which contenders run each is in `registry`).

use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use crossbeam_queue::ArrayQueue;

use crate::contenders::*;

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
            run_fill(&c, size, 8);
            run_fill(&c, size, iters)
        })
    });
}

/// `iters` rounds of the fill loop on this thread (get, write the whole
/// buffer of `size` bytes, put); returns their time.
pub fn run_fill<C: Burst>(c: &C, size: usize, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let mut item = c.get();
        C::fill(&mut item, size);
        c.put(item);
    }
    start.elapsed()
}

/// Registers the mixed-size benchmark of contender `C`.
pub fn bench_mixed<C: SizedContender>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let c = C::build();
    let lengths = mixed_lengths(4096);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| run_mixed(&c, &lengths, iters))
    });
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
