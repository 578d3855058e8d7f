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
use pool_core::trimmer;
use pool_local::LocalPool;

const ITEM: usize = 64 << 10;

/// The trim interval: short, but long enough that a burst is given back
/// between two trims (under Miri an operation takes about a thousand times
/// longer; with trims every few operations, the owner thread would free
/// the burst from its cache before any of it reached the shared spill, and
/// the trimmer would have nothing of its own to free).
const INTERVAL: Duration = if cfg!(miri) {
    Duration::from_secs(2)
} else {
    Duration::from_millis(20)
};

/// Waits until `done` holds, at most 20 s (60 s under Miri; the trims come
/// every `INTERVAL`).
fn wait_for(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(if cfg!(miri) { 60 } else { 20 });
    while !done() {
        assert!(Instant::now() < deadline, "the timed trims never came");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_burst_comes_back_after_two_intervals_without_a_call() {
    let tracker = Arc::new(Tracker::default());
    let t = Arc::clone(&tracker);
    let pool = LocalPool::builder()
        .cache_size(8)
        .spill_size(256)
        .trim_interval(INTERVAL)
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
    // A burst of ten times that, all given back; then nothing at all.
    let burst: Vec<_> = (0..80).map(|_| pool.get()).collect();
    drop(burst);
    // (On a slow machine, or under Miri, timed trims may already have come
    // during the burst: nothing below depends on when they start.)
    let before = pool.stats().timed_trims;
    wait_for(|| {
        let s = pool.stats();
        s.timed_trims >= before + 2 && s.retained_bytes <= steady * 11 / 10
    });
    let s = pool.stats();
    // Nothing here calls `trim`: every trim was a timed one, whether the
    // trimmer freed the spill or this thread acted on a trim it saw.
    assert!(s.trimmed >= 72, "the burst was freed: {s}");
    assert!(s.timed_trimmed > 0, "{s}");
    assert_eq!(
        tracker.live.load(SeqCst) as u64,
        s.retained_items,
        "freed, not leaked: {s}"
    );
    // A thread's own cache is freed by the thread itself, at its first get
    // or put after two trims, as `sync.Pool` would. Where the trims fell
    // during the burst decides what this cache holds now, so fill it first
    // (one item at least stays in it: a put keeps the item it returns),
    // then let two trims pass without touching the pool.
    drop(pool.get());
    let s = pool.stats();
    let seen = s.timed_trims;
    wait_for(|| pool.stats().timed_trims >= seen + 2);
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
