//! Timed trimming: memory comes back after a burst with no call from the
//! user (`trim_all`, which reaches every pool of the process, is tested in
//! `trimmer_ends.rs`, a process of its own). The waits below poll the pool's
//! own statistics for the trims to happen (with a deadline), since they are
//! driven by the trimmer's clock.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use common::{Tagged, Tracker};
use pool_core::PoolError;
use pool_engine::trimmer;
use pool_local::LocalPool;

const ITEM: usize = 64 << 10;

/// The trim interval of the first attempt: short, but long enough that a
/// burst usually runs between two trims (under Miri an operation takes
/// about a thousand times longer). A trim that lands during the burst
/// lets the owner thread free the burst itself, before any of it reaches
/// the shared spill; such an attempt proves less, so the test tries again
/// with an interval four times longer (see `burst_then_idle`).
const INTERVAL: Duration = if cfg!(miri) {
    Duration::from_secs(2)
} else {
    Duration::from_millis(20)
};

/// Attempts at a burst that no trim interrupts.
const ATTEMPTS: u32 = 4;

/// Waits until `done` holds, at most `limit`.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "the timed trims never came");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// How long the trims of `interval` may take to come: many intervals, and
/// a margin for a loaded machine (more under Miri).
fn patience(interval: Duration) -> Duration {
    interval * 10 + Duration::from_secs(if cfg!(miri) { 60 } else { 20 })
}

/// Waits for two more timed trims: after them the spill is empty (a batch
/// is freed once it sat through two) and, with no call on the pool, every
/// later trim frees nothing, so the counters read next are settled.
fn settled(pool: &LocalPool<Tagged>, interval: Duration) -> pool_core::Stats {
    let seen = pool.stats().timed_trims;
    wait_for(patience(interval), || pool.stats().timed_trims >= seen + 2);
    pool.stats()
}

/// What one attempt saw: who freed the burst.
struct Burst {
    pool: LocalPool<Tagged>,
    tracker: Arc<Tracker>,
    /// Items the owner thread freed itself, acting on a trim it saw during
    /// the burst (every free not counted as the trimmer's).
    by_owner: u64,
    /// Items the trimmer freed from the shared spill.
    by_trimmer: u64,
}

/// A steady load of eight buffers, a burst of eighty given back, then two
/// intervals without a call: the burst comes back to the steady level.
fn burst_then_idle(interval: Duration) -> Burst {
    let tracker = Arc::new(Tracker::default());
    let t = Arc::clone(&tracker);
    let pool = LocalPool::builder()
        .cache_size(8)
        .spill_size(256)
        .trim_interval(interval)
        .build(move || Tagged::new(&t, ITEM))
        .unwrap();
    // Steady: eight buffers at a time.
    for _ in 0..50 {
        let held: Vec<_> = (0..8).map(|_| pool.get()).collect();
        drop(held);
    }
    // What the steady load keeps: its eight buffers (fewer if a timed trim
    // came between two rounds on a slow machine).
    let steady = 8 * ITEM as u64;
    assert!(pool.stats().retained_bytes <= steady);
    // The steady load never fills the cache past eight, so nothing is in
    // the spill and nothing frees anything now: the counters are settled.
    // One more round first, so that this thread acts on the trims it has
    // not seen yet (freeing its cache) before the snapshot, not during the
    // burst.
    settled(&pool, interval);
    drop((0..8).map(|_| pool.get()).collect::<Vec<_>>());
    let s0 = pool.stats();
    // A burst of ten times that, all given back; then nothing at all.
    let burst: Vec<_> = (0..80).map(|_| pool.get()).collect();
    drop(burst);
    let before = pool.stats().timed_trims;
    wait_for(patience(interval), || {
        let s = pool.stats();
        s.timed_trims >= before + 2 && s.retained_bytes <= steady * 11 / 10
    });
    let s = settled(&pool, interval);
    // Nothing here calls `trim`: every free was a timed trim's, by the
    // trimmer (from the spill) or by this thread (from its cache).
    let by_trimmer = s.timed_trimmed - s0.timed_trimmed;
    let by_owner = (s.trimmed - s.timed_trimmed) - (s0.trimmed - s0.timed_trimmed);
    assert!(
        by_trimmer + by_owner >= 72,
        "the burst was freed (at most the cache's eight stay): {s}"
    );
    assert_eq!(
        tracker.live.load(SeqCst) as u64,
        s.retained_items,
        "freed, not leaked: {s}"
    );
    Burst {
        pool,
        tracker,
        by_owner,
        by_trimmer,
    }
}

#[test]
fn a_burst_comes_back_after_two_intervals_without_a_call() {
    let mut interval = INTERVAL;
    let mut clean = None;
    for _ in 0..ATTEMPTS {
        let b = burst_then_idle(interval);
        if b.by_owner == 0 {
            clean = Some((b, interval));
            break;
        }
        interval *= 4;
    }
    let Some((b, interval)) = clean else {
        panic!("a timed trim landed during every one of {ATTEMPTS} bursts");
    };
    // No trim during the burst: everything past the cache's eight went to
    // the shared spill, which only the trimmer frees.
    assert!(
        b.by_trimmer >= 72,
        "the trimmer freed the spilled burst: freed {}",
        b.by_trimmer
    );
    let (pool, tracker) = (b.pool, b.tracker);
    // A thread's own cache is freed by the thread itself, at its first get
    // or put after two trims, as `sync.Pool` would. Where the trims fell
    // decides what this cache holds now, so fill it first (one item at
    // least stays in it: a put keeps the item it returns), then let two
    // trims pass without touching the pool.
    drop(pool.get());
    let s = pool.stats();
    let seen = s.timed_trims;
    wait_for(patience(interval), || pool.stats().timed_trims >= seen + 2);
    drop(pool.get());
    let after = pool.stats();
    assert!(
        after.trimmed > s.trimmed,
        "the idle cache was freed at the next get: {after}"
    );
    assert_eq!(tracker.live.load(SeqCst) as u64, after.retained_items);
    drop(pool);
    settle();
}

/// Lets the trimmer thread end once the timed pools of this binary are
/// gone (Miri wants every thread finished when the process ends).
fn settle() {
    trimmer::wait_ended(Duration::from_secs(60));
}

#[test]
fn bad_intervals_are_refused_and_huge_ones_accepted() {
    let e = LocalPool::builder()
        .trim_interval(Duration::ZERO)
        .build(Vec::<u8>::new)
        .unwrap_err();
    assert!(
        matches!(
            e,
            PoolError::InvalidConfig {
                field: "trim_interval",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("at least 1ms"), "{e}");
    let never = LocalPool::builder()
        .trim_interval(Duration::MAX)
        .build(Vec::<u8>::new)
        .unwrap();
    drop(never.get());
    assert_eq!(never.stats().timed_trims, 0);
    drop(never);
    settle();
}
