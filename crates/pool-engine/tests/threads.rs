//! The per-thread layer at its edges: thread exit, thread-local
//! destruction in either order, thousands of short-lived threads, pools
//! dropped and rebuilt, more pools than cache entries, re-entrant use.
//! Under Miri the counts are small; the paths are the same.

use std::cell::RefCell;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Barrier, Mutex};

use pool_engine::{PerThread, ThreadState};

/// Each thread counts its calls in its owned half; at exit the count goes
/// to `exited`. Calls made without a slot count in `orphan`.
#[derive(Default)]
struct Calls {
    exited: AtomicU64,
    orphan: AtomicU64,
    /// Owned halves made (fresh per thread, even when a slot is reused).
    made: AtomicU64,
    /// Counts handed back per exit, to check none was seen twice.
    handed: Mutex<Vec<u64>>,
}

impl ThreadState for Calls {
    type Owned = u64;
    type Shared = AtomicU64;
    fn new_owned(&self) -> u64 {
        self.made.fetch_add(1, SeqCst);
        0
    }
    fn new_shared(&self) -> AtomicU64 {
        AtomicU64::new(0)
    }
    fn thread_exited(&self, calls: u64, shared: &AtomicU64) {
        shared.fetch_add(calls, SeqCst);
        self.exited.fetch_add(calls, SeqCst);
        self.handed.lock().unwrap().push(calls);
    }
}

fn call(p: &PerThread<Calls>) -> bool {
    p.with(|slot| match slot {
        Some(slot) => {
            *slot.owned().borrow_mut() += 1;
            true
        }
        None => {
            p.global().orphan.fetch_add(1, SeqCst);
            false
        }
    })
}

fn threads_n(full: usize, miri: usize) -> usize {
    if cfg!(miri) { miri } else { full }
}

#[test]
fn short_lived_threads_one_at_a_time_reuse_one_slot() {
    let p = Arc::new(PerThread::new(Calls::default()));
    let n = threads_n(2_000, 8);
    for _ in 0..n {
        let p = Arc::clone(&p);
        std::thread::spawn(move || {
            for _ in 0..3 {
                assert!(call(&p));
            }
        })
        .join()
        .unwrap();
    }
    assert_eq!(p.slots(), 1, "one slot, reused by every thread");
    assert_eq!(p.threads(), 0);
    assert_eq!(p.global().exited.load(SeqCst), 3 * n as u64);
    let handed = p.global().handed.lock().unwrap();
    assert!(handed.iter().all(|&c| c == 3), "a reused slot starts empty");
    // Shared halves keep adding up across owners.
    let total: u64 = p.with_shared(|slots, _| slots.map(|s| s.load(SeqCst)).sum());
    assert_eq!(total, 3 * n as u64);
}

#[test]
fn waves_of_concurrent_threads_use_at_most_one_slot_each() {
    const WAVE: usize = 16;
    let p = Arc::new(PerThread::new(Calls::default()));
    let waves = threads_n(40, 2);
    for _ in 0..waves {
        let barrier = Arc::new(Barrier::new(WAVE));
        let handles: Vec<_> = (0..WAVE)
            .map(|_| {
                let (p, barrier) = (Arc::clone(&p), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    call(&p);
                    // Every thread of the wave holds its slot at once.
                    barrier.wait();
                    call(&p);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
    assert!(p.slots() <= WAVE, "{} slots for waves of {WAVE}", p.slots());
    assert_eq!(p.threads(), 0);
    assert_eq!(p.global().exited.load(SeqCst), (2 * WAVE * waves) as u64);
}

thread_local! {
    /// Dropped at thread exit, before or after the layer's own
    /// thread-local depending on which was first used.
    static LATE: RefCell<Option<LateCall>> = const { RefCell::new(None) };
}

/// Calls the layer from a thread-local destructor and reports whether a
/// slot was there.
struct LateCall {
    pool: Arc<PerThread<Calls>>,
    had_slot: Arc<Mutex<Option<bool>>>,
}

impl Drop for LateCall {
    fn drop(&mut self) {
        let had = call(&self.pool);
        *self.had_slot.lock().unwrap() = Some(had);
    }
}

#[test]
fn a_call_during_thread_local_destruction_never_aborts() {
    for layer_first in [false, true] {
        let p = Arc::new(PerThread::new(Calls::default()));
        let had_slot = Arc::new(Mutex::new(None));
        let (p2, h2) = (Arc::clone(&p), Arc::clone(&had_slot));
        std::thread::spawn(move || {
            if layer_first {
                // The layer's thread-local is registered first, so it is
                // destroyed after `LATE` (destructors run in reverse).
                call(&p2);
                LATE.with(|l| {
                    *l.borrow_mut() = Some(LateCall {
                        pool: p2,
                        had_slot: h2,
                    })
                });
            } else {
                LATE.with(|l| {
                    *l.borrow_mut() = Some(LateCall {
                        pool: Arc::clone(&p2),
                        had_slot: h2,
                    })
                });
                call(&p2);
            }
        })
        .join()
        .unwrap();
        let had = had_slot.lock().unwrap().expect("the destructor ran");
        let g = p.global();
        // Every call is counted exactly once: in the slot (handed back at
        // exit) or, once the slot is gone, in the shared part.
        assert_eq!(
            g.exited.load(SeqCst) + g.orphan.load(SeqCst),
            2,
            "layer_first={layer_first}"
        );
        if had {
            assert_eq!(g.orphan.load(SeqCst), 0);
        } else {
            assert_eq!(g.orphan.load(SeqCst), 1);
        }
        assert_eq!(p.threads(), 0);
    }
}

#[test]
fn a_pool_rebuilt_in_place_gets_fresh_slots() {
    // The same thread drops a pool and builds another (often at the same
    // address): the thread's cached slot must not be mistaken for the new
    // pool's.
    for _ in 0..threads_n(100, 4) {
        let p = PerThread::new(Calls::default());
        call(&p);
        call(&p);
        let seen = p.with(|slot| *slot.unwrap().owned().borrow());
        assert_eq!(seen, 2, "a new pool starts at zero");
        drop(p);
    }
}

#[test]
fn pools_whose_ids_share_a_cache_set_each_keep_their_slot() {
    // Ids 4 apart share a set of the per-thread cache: two fit, a third
    // evicts. Each must still find its own slot, whatever the order.
    let pools: Vec<_> = (0..13).map(|_| PerThread::new(Calls::default())).collect();
    let first = pools[0].id();
    let same_set: Vec<_> = pools.iter().filter(|p| (p.id() - first) % 4 == 0).collect();
    assert!(same_set.len() >= 3, "ids are consecutive");
    for round in 1..=6u64 {
        for (i, p) in same_set.iter().enumerate() {
            // Uneven use: pool i is called i + 1 times a round.
            for _ in 0..=i {
                assert!(call(p));
            }
        }
        for (i, p) in same_set.iter().rev().enumerate() {
            let i = same_set.len() - 1 - i;
            let calls = p.with(|s| *s.unwrap().owned().borrow());
            assert_eq!(calls, round * (i as u64 + 1), "pool {i}");
        }
    }
    // One slot each: the cache never made a second.
    for p in &same_set {
        assert_eq!(p.global().made.load(SeqCst), 1);
    }
}

#[test]
fn more_pools_than_cache_entries_each_keep_their_slot() {
    let pools: Vec<_> = (0..17).map(|_| PerThread::new(Calls::default())).collect();
    for round in 1..=5u64 {
        for p in &pools {
            call(p);
        }
        for p in &pools {
            assert_eq!(p.with(|s| *s.unwrap().owned().borrow()), round);
        }
    }
}

#[test]
fn a_thread_outliving_its_pool_exits_cleanly() {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let p = Arc::new(PerThread::new(Calls::default()));
    let p2 = Arc::clone(&p);
    let t = std::thread::spawn(move || {
        call(&p2);
        drop(p2);
        rx.recv().unwrap();
        // The pool is gone by now; a new one works on this thread.
        let q = PerThread::new(Calls::default());
        assert!(call(&q));
    });
    drop(p); // the last handle: the pool is dropped while the thread lives
    tx.send(()).unwrap();
    t.join().unwrap();
}

#[test]
fn a_re_entrant_call_sees_its_slot_borrowed() {
    let p = PerThread::new(Calls::default());
    p.with(|outer| {
        let outer = outer.unwrap();
        let _held = outer.owned().borrow_mut();
        p.with(|inner| {
            let inner = inner.unwrap();
            assert!(std::ptr::eq(inner, outer), "one slot per thread");
            assert!(inner.owned().try_borrow_mut().is_err());
        });
    });
}

#[test]
fn shared_half_outlives_the_call() {
    let p = PerThread::new(Calls::default());
    let a = p.shared_slot().unwrap();
    a.fetch_add(5, SeqCst);
    let b = p.shared_slot().unwrap();
    assert!(std::ptr::eq(a, b));
    assert_eq!(b.load(SeqCst), 5);
}

/// The shared part: says when it is freed.
struct Freed(Arc<AtomicU64>);

impl Drop for Freed {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

impl ThreadState for Freed {
    type Owned = u64;
    type Shared = ();
    fn new_owned(&self) -> u64 {
        0
    }
    fn new_shared(&self) {}
    fn thread_exited(&self, _: u64, (): &()) {}
}

/// One owned reference taken through `pool`.
fn reference(pool: &PerThread<Freed>) -> pool_engine::PerThreadRef<Freed> {
    pool.with_anchor(|_| ()).1
}

#[test]
fn release_through_hands_the_pool_and_slot_over_then_frees_the_pool() {
    let freed = Arc::new(AtomicU64::new(0));
    let pool = PerThread::new(Freed(Arc::clone(&freed)));
    let (a, b) = (reference(&pool), reference(&pool));

    // While the handle lives: the calling thread's slot, the pool itself
    // (its own lookup finds the same slot), the pool kept.
    let seen = a.release_through(|threads, slot| {
        *slot
            .expect("a live thread has its slot")
            .owned()
            .borrow_mut() += 1;
        threads.with(|s| *s.unwrap().owned().borrow())
    });
    assert_eq!(seen, 1, "the same slot as the pool's own lookup");
    assert_eq!(freed.load(SeqCst), 0);

    // The handle goes first: the last release, on another thread, frees
    // the pool after the call.
    drop(pool);
    assert_eq!(freed.load(SeqCst), 0, "a reference is still out");
    let freed2 = Arc::clone(&freed);
    std::thread::spawn(move || {
        b.release_through(|threads, slot| {
            assert!(slot.is_some(), "a new thread gets a slot of its own");
            assert_eq!(threads.threads(), 2, "reachable during the call");
            assert_eq!(freed2.load(SeqCst), 0, "alive during the call");
        });
    })
    .join()
    .unwrap();
    assert_eq!(freed.load(SeqCst), 1, "freed by the last release");
}

#[test]
fn release_through_that_panics_still_releases() {
    let freed = Arc::new(AtomicU64::new(0));
    let pool = PerThread::new(Freed(Arc::clone(&freed)));
    let a = reference(&pool);
    drop(pool);
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        a.release_through(|_, _| panic!("the give-back panicked"))
    }));
    assert!(unwound.is_err());
    assert_eq!(freed.load(SeqCst), 1, "the last reference released: freed");
}
