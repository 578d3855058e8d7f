//! The trimmer holds pools weakly and stops when none needs it, and
//! `trim_all` reaches every pool. A test binary of their own: both are
//! process-wide.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use common::{Tagged, Tracker};
use pool_engine::trimmer;
use pool_local::LocalPool;

#[test]
fn a_dropped_pool_is_freed_and_the_trimmer_thread_ends() {
    let tracker = Arc::new(Tracker::default());
    let t = Arc::clone(&tracker);
    let pool = LocalPool::builder()
        .trim_interval(Duration::from_millis(5))
        .build(move || Tagged::new(&t, 128))
        .unwrap();
    assert!(trimmer::is_running(), "a timed pool starts the trimmer");
    let held: Vec<_> = (0..5).map(|_| pool.get()).collect();
    drop(held);
    // Idle in the pool (unless a trim freed some already).
    assert_eq!(
        tracker.live.load(SeqCst) as u64,
        pool.stats().retained_items
    );
    drop(pool);
    assert!(
        trimmer::wait_ended(Duration::from_secs(20)),
        "the trimmer ends with its last pool"
    );
    assert_eq!(
        tracker.live.load(SeqCst),
        0,
        "every idle item was dropped with the pool: the trimmer kept nothing alive"
    );
    // And starts again for the next timed pool.
    let again = LocalPool::builder()
        .trim_interval(Duration::from_millis(5))
        .build(Vec::<u8>::new)
        .unwrap();
    assert!(trimmer::is_running());
    drop(again);
    assert!(trimmer::wait_ended(Duration::from_secs(20)));
}

#[test]
fn trim_all_reaches_every_pool_timed_or_not() {
    let pools: Vec<Arc<LocalPool<Vec<u8>>>> = (0..3)
        .map(|_| Arc::new(LocalPool::new(|| Vec::with_capacity(1024))))
        .collect();
    // Each pool's items sit in its spill (left by a thread that exited).
    std::thread::scope(|s| {
        let pools = &pools;
        s.spawn(move || {
            for p in pools {
                drop((p.get(), p.get()));
            }
        })
        .join()
        .unwrap();
    });
    for p in &pools {
        assert_eq!(p.stats().retained_items, 2);
    }
    assert!(trimmer::trim_all() >= 3);
    assert!(trimmer::trim_all() >= 3);
    for p in &pools {
        assert_eq!(p.stats().retained_items, 0, "{}", p.stats());
    }
}
