//! Threads that come and go: a guard dropped while its thread's
//! thread-locals are destroyed, thousands of short-lived threads (one at a
//! time and 64 at a time), and a byte cap shared fairly by many threads,
//! including one that arrives first. Every thread whose exit a check counts
//! on is joined (`join` waits for its thread-locals to be destroyed).

mod common;

use std::cell::RefCell;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Barrier};

use common::{Tagged, Tracker, assert_accounting};
use pool_core::OwnedPooled;
use pool_local::{LocalPool, SharedByteCap};

type Pool = LocalPool<Tagged>;

thread_local! {
    static KEPT: RefCell<Vec<OwnedPooled<Pool>>> = const { RefCell::new(Vec::new()) };
}

fn pool_with(cap: &SharedByteCap, tracker: &Arc<Tracker>, item: usize) -> Arc<Pool> {
    let t = Arc::clone(tracker);
    Arc::new(
        LocalPool::builder()
            .cache_size(8)
            .spill_size(64)
            .shared_cap(cap.clone())
            .build(move || Tagged::new(&t, item))
            .unwrap(),
    )
}

/// The live items are exactly the retained ones: nothing leaked, nothing
/// counted twice.
fn assert_no_leak(pool: &Pool, tracker: &Tracker) {
    let s = pool.stats();
    assert_accounting(&s);
    assert_eq!(s.outstanding, 0, "{s}");
    assert_eq!(tracker.live.load(SeqCst) as u64, s.retained_items, "{s}");
}

#[test]
fn a_guard_dropped_during_thread_local_destruction_is_kept_and_counted() {
    // Both orders: the pool's per-thread state destroyed before the
    // thread-local that holds the guards, and after it.
    for pool_first in [true, false] {
        let tracker = Arc::new(Tracker::default());
        let cap = SharedByteCap::new(1 << 20).unwrap();
        let pool = pool_with(&cap, &tracker, 1024);
        let p = Arc::clone(&pool);
        std::thread::spawn(move || {
            if pool_first {
                drop(p.get()); // the pool's thread-local is registered first
            }
            KEPT.with(|k| k.borrow_mut().extend([p.get_owned(), p.get_owned()]));
            drop(p.get());
        })
        .join()
        .unwrap();
        assert_no_leak(&pool, &tracker);
        let s = pool.stats();
        assert_eq!(s.returns, s.gets, "every guard came back: {s}");
        // And the items are reachable: the next gets hit.
        let before = s.misses;
        drop((pool.get(), pool.get()));
        assert_eq!(pool.stats().misses, before, "pool_first={pool_first}");
        assert_eq!(pool.threads(), 1, "only this thread holds a cache now");
    }
}

/// `waves` x `per_wave` threads, each taking two items at once and giving
/// them back before it exits; every thread of a wave holds its items at the
/// same time.
fn churn(pool: &Arc<Pool>, waves: usize, per_wave: usize) {
    for _ in 0..waves {
        let barrier = Arc::new(Barrier::new(per_wave));
        let handles: Vec<_> = (0..per_wave)
            .map(|_| {
                let (pool, barrier) = (Arc::clone(pool), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    let held = (pool.get(), pool.get());
                    barrier.wait();
                    drop(held);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}

fn churn_returns_to_steady_state(waves: usize, per_wave: usize) {
    const ITEM: usize = 64 << 10;
    const CAP: usize = 16 << 20;
    let tracker = Arc::new(Tracker::default());
    let cap = SharedByteCap::new(CAP).unwrap();
    let pool = pool_with(&cap, &tracker, ITEM);
    churn(&pool, waves, per_wave);
    assert_eq!(pool.threads(), 0, "every thread handed its cache back");
    assert_no_leak(&pool, &tracker);
    let s = pool.stats();
    assert!(s.retained_bytes <= CAP as u64, "{s}");
    assert_eq!(
        s.discarded.over_byte_cap, 0,
        "2 x {per_wave} items of 64 KiB fit a 16 MiB cap: {s}"
    );
    // What the exited threads left is in the spill: two trims free it, and
    // every byte of the cap (items and idle credit) is back.
    pool.trim();
    pool.trim();
    let s = pool.stats();
    assert_eq!((s.retained_items, s.retained_bytes), (0, 0), "{s}");
    assert_eq!(tracker.live.load(SeqCst), 0);
    assert_eq!(cap.available(), CAP, "no credit stranded by exited threads");
    // The cap serves a live thread in full: 64 returns of 64 KiB, all kept.
    let held: Vec<_> = (0..64).map(|_| pool.get()).collect();
    drop(held);
    let s2 = pool.stats();
    assert_eq!(s2.discarded.over_byte_cap, 0, "{s2}");
    assert_eq!(s2.retained_bytes, 64 * ITEM as u64, "{s2}");
}

#[test]
fn ten_thousand_short_lived_threads_one_at_a_time() {
    let n = if cfg!(miri) { 6 } else { 10_000 };
    churn_returns_to_steady_state(n, 1);
}

#[test]
fn ten_thousand_short_lived_threads_sixty_four_at_a_time() {
    let (waves, per_wave) = if cfg!(miri) { (2, 4) } else { (157, 64) };
    churn_returns_to_steady_state(waves, per_wave);
}

/// `threads` threads, each returning `each` items of `item` bytes while all
/// of them are alive; `first` items are returned by one thread that
/// arrives before all others and then waits, alive, holding its credit.
/// `shared`: a `SharedByteCap`, else the builder's `max_retained_bytes`.
fn returns_under_a_shared_cap(
    cap_bytes: usize,
    item: usize,
    threads: usize,
    each: usize,
    first: usize,
    shared: bool,
) {
    let tracker = Arc::new(Tracker::default());
    let pool = if shared {
        pool_with(&SharedByteCap::new(cap_bytes).unwrap(), &tracker, item)
    } else {
        // The builder's own cap, with no per-item limit.
        let t = Arc::clone(&tracker);
        Arc::new(
            LocalPool::builder()
                .cache_size(8)
                .spill_size(64)
                .max_retained_bytes(cap_bytes)
                .build(move || Tagged::new(&t, item))
                .unwrap(),
        )
    };
    // The thread that arrives first returns its items, then waits (alive).
    let arrived = Arc::new(Barrier::new(2));
    let done = Arc::new(Barrier::new(threads + 2)); // the workers, the early thread, this one
    let early = {
        let (pool, arrived, done) = (Arc::clone(&pool), Arc::clone(&arrived), Arc::clone(&done));
        std::thread::spawn(move || {
            let held: Vec<_> = (0..first).map(|_| pool.get()).collect();
            drop(held);
            arrived.wait();
            done.wait();
        })
    };
    arrived.wait();
    let go = Arc::new(Barrier::new(threads));
    let returned = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (pool, go, returned, done) = (
                Arc::clone(&pool),
                Arc::clone(&go),
                Arc::clone(&returned),
                Arc::clone(&done),
            );
            std::thread::spawn(move || {
                let held: Vec<_> = (0..each).map(|_| pool.get()).collect();
                go.wait(); // all hold their items at once
                drop(held);
                returned.wait();
                done.wait(); // and stay alive until the checks are done
            })
        })
        .collect();
    // Checked while every thread is alive and holds its credit.
    returned.wait();
    let s = pool.stats();
    // Every item ever made came back and is idle (some were reused through
    // the spill, so fewer were made than returned).
    assert_eq!(s.retained_items, s.misses, "{s}");
    assert_eq!(s.retained_bytes, s.retained_items * item as u64, "{s}");
    assert!(
        s.retained_bytes < cap_bytes as u64 / 2,
        "the test keeps under half the cap: {s}"
    );
    assert_eq!(
        s.discarded.over_byte_cap, 0,
        "{threads} threads under half of a {cap_bytes}-byte cap: {s}"
    );
    done.wait();
    early.join().unwrap();
    for h in handles {
        h.join().unwrap();
    }
    assert_no_leak(&pool, &tracker);
}

#[test]
fn sixty_four_threads_share_the_cap() {
    let threads = if cfg!(miri) { 3 } else { 64 };
    // 64 threads x 2 x 64 KiB = 8 MiB... under half of 20 MiB.
    returns_under_a_shared_cap(20 << 20, 64 << 10, threads, 2, 1, true);
}

#[test]
fn one_thread_arriving_first_does_not_take_the_cap() {
    let threads = if cfg!(miri) { 3 } else { 63 };
    // No per-item limit: the old chunk rule gave the first thread the whole
    // cap. It returns 16 items, then 63 threads return one each.
    returns_under_a_shared_cap(16 << 20, 64 << 10, threads, 1, 16, false);
}

#[test]
fn the_readmes_settings_serve_a_hundred_threads() {
    // 1 MiB item limit, 64 MiB cap (the README's quick start), 100 threads
    // returning 4 KiB buffers: none is refused.
    let threads = if cfg!(miri) { 3 } else { 100 };
    let tracker = Arc::new(Tracker::default());
    let t = Arc::clone(&tracker);
    let pool = Arc::new(
        LocalPool::builder()
            .cache_size(64)
            .max_item_bytes(1 << 20)
            .max_retained_bytes(64 << 20)
            .build(move || Tagged::new(&t, 4096))
            .unwrap(),
    );
    let go = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (pool, go) = (Arc::clone(&pool), Arc::clone(&go));
            std::thread::spawn(move || {
                let held: Vec<_> = (0..8).map(|_| pool.get()).collect();
                go.wait();
                drop(held);
                go.wait();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let s = pool.stats();
    assert_eq!(s.discarded.over_byte_cap, 0, "{s}");
    assert_no_leak(&pool, &tracker);
}

#[test]
fn trim_takes_idle_credit_back_from_a_live_thread() {
    let tracker = Arc::new(Tracker::default());
    let cap = SharedByteCap::new(1 << 20).unwrap();
    let pool = pool_with(&cap, &tracker, 1000);
    drop(pool.get());
    drop(pool.get());
    assert!(
        cap.available() < (1 << 20) - 1000,
        "this thread holds credit"
    );
    pool.trim();
    // The idle item survives one trim; the credit beside it does not.
    assert_eq!(cap.available(), (1 << 20) - 1000);
    pool.trim();
    assert_eq!(cap.available(), 1 << 20);
}
