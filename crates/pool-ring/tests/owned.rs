//! Owned guards hold a per-thread-counted anchor, not an `Arc` of the
//! ring: the ring's memory (and its items) lives until the last owned
//! guard drops, on any thread, in any order, and is freed then.

use std::sync::atomic::{AtomicI64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use pool_core::{OwnedPooled, Reset};
use pool_ring::{OnFull, RingPool};

/// An item that counts how many of its kind are alive.
struct Counted(Arc<AtomicI64>);

impl Counted {
    fn new(live: &Arc<AtomicI64>) -> Self {
        live.fetch_add(1, SeqCst);
        Counted(Arc::clone(live))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl Reset for Counted {
    fn reset(&mut self) {}
}

fn pool(count: usize, live: &Arc<AtomicI64>) -> RingPool<Counted> {
    let l = Arc::clone(live);
    RingPool::builder()
        .capacity(count)
        .probes(count)
        .on_full(OnFull::Fail)
        .build(move || Counted::new(&l))
        .unwrap()
}

fn rounds(native: usize) -> usize {
    if cfg!(miri) { 3 } else { native }
}

#[test]
fn owned_guards_outlive_the_pool_and_the_last_drop_frees_it() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(4, &live);
    let a = pool.try_get_owned().unwrap();
    let b = pool.try_get_owned().unwrap();
    assert_eq!(pool.stats().outstanding, 2);
    drop(pool);
    assert_eq!(
        live.load(SeqCst),
        4,
        "every item lives while a guard is out"
    );
    std::thread::spawn(move || drop(a)).join().unwrap();
    assert_eq!(live.load(SeqCst), 4);
    drop(b);
    assert_eq!(
        live.load(SeqCst),
        0,
        "the last guard freed the pool and its items"
    );
}

#[test]
fn detach_after_the_pool_is_gone_keeps_the_item() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(1, &live);
    let g = pool.try_get_owned().unwrap();
    drop(pool);
    let kept = OwnedPooled::detach(g);
    assert_eq!(live.load(SeqCst), 1, "only the detached item is left");
    drop(kept);
    assert_eq!(live.load(SeqCst), 0);
}

#[test]
fn owned_guards_are_counted_and_the_bound_holds() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(4, &live);
    let guards: Vec<_> = (0..4).map(|_| pool.try_get_owned().unwrap()).collect();
    assert!(
        pool.try_get_owned().is_err(),
        "never more than 4 out (OnFull::Fail)"
    );
    std::thread::spawn(move || drop(guards)).join().unwrap();
    let s = pool.stats();
    assert_eq!((s.gets, s.returns, s.outstanding), (4, 4, 0), "{s}");
    assert!(pool.try_get_owned().is_ok(), "the slots are free again");
}

#[test]
fn the_pools_drop_racing_guard_drops_frees_it_once() {
    for _ in 0..rounds(200) {
        let live = Arc::new(AtomicI64::new(0));
        let pool = pool(16, &live);
        let threads = 4;
        let start = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let guards: Vec<_> = (0..3).map(|_| pool.try_get_owned().unwrap()).collect();
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    start.wait();
                    drop(guards);
                })
            })
            .collect();
        start.wait();
        drop(pool);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(live.load(SeqCst), 0);
    }
}
