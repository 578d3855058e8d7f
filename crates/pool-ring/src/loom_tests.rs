//! The loom models of the ring (`--cfg pool_loom`): claims, cursors and
//! the fallback path, each named for what it checks.

use crate::{OnFull, OwnedPooled, Pooled, RingPool};
use loom::sync::Arc;
use loom::thread;

fn ring(slots: usize, on_full: OnFull) -> RingPool<Vec<u64>> {
    RingPool::builder()
        .capacity(slots)
        .probes(slots)
        .on_full(on_full)
        .build(|| Vec::with_capacity(2))
        .unwrap()
}

/// Two threads, one slot: at most one holds it, and each sees the item
/// empty (the last holder's reset is published by its release).
#[test]
fn loom_one_slot_two_threads_never_share() {
    loom::model(|| {
        let pool = Arc::new(ring(1, OnFull::Fail));
        let handles: Vec<_> = (1..=2u64)
            .map(|me| {
                let pool = Arc::clone(&pool);
                thread::spawn(move || {
                    if let Ok(mut g) = pool.try_get() {
                        assert!(g.is_empty(), "stale data or a second holder");
                        g.push(me);
                        assert_eq!(*g, [me]);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let s = pool.stats();
        assert_eq!(s.outstanding, 0);
        assert_eq!(s.gets, s.returns);
    });
}

/// A slot held across the index wrapping is never handed out again.
#[test]
fn loom_wrap_around_skips_the_held_slot() {
    loom::model(|| {
        let pool = Arc::new(ring(2, OnFull::Fail));
        let mut held = pool.try_get().unwrap();
        held.push(7);
        let p2 = Arc::clone(&pool);
        let t = thread::spawn(move || {
            for _ in 0..2 {
                let mut g = p2.try_get().unwrap();
                assert!(g.is_empty());
                g.push(1);
            }
        });
        held.push(8);
        t.join().unwrap();
        assert_eq!(*held, [7, 8]);
    });
}

/// Three threads on two slots with fallback allocation: every item
/// has one holder, and the accounting adds up.
#[test]
fn loom_full_ring_falls_back_to_allocation() {
    loom::model(|| {
        let pool = Arc::new(ring(2, OnFull::Allocate));
        let handles: Vec<_> = (1..=3u64)
            .map(|me| {
                let pool = Arc::clone(&pool);
                thread::spawn(move || {
                    let mut g = pool.get();
                    assert!(g.is_empty());
                    g.push(me);
                    assert_eq!(*g, [me]);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let s = pool.stats();
        assert_eq!(s.gets, 3);
        assert_eq!(s.outstanding, 0);
        assert_eq!(s.gets, s.returns + s.discarded.total());
        assert_eq!(s.retained_items, 2);
    });
}

/// Threads whose cursors start on different slots, each taking two
/// items at once (so each probes past its own start onto the other's):
/// no item ever has two holders, each holder sees its item empty, and
/// the accounting adds up whoever wins each slot.
#[test]
fn loom_cursors_crossing_never_share_a_slot() {
    loom::model(|| {
        let pool = Arc::new(ring(2, OnFull::Allocate));
        let handles: Vec<_> = (1..=2u64)
            .map(|me| {
                let pool = Arc::clone(&pool);
                thread::spawn(move || {
                    let mut a = pool.get();
                    let mut b = pool.get();
                    assert!(
                        a.is_empty() && b.is_empty(),
                        "stale data or a second holder"
                    );
                    a.push(me);
                    b.push(me + 10);
                    assert_eq!((a.as_slice(), b.as_slice()), (&[me][..], &[me + 10][..]));
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let s = pool.stats();
        assert_eq!(s.gets, 4);
        assert_eq!(s.outstanding, 0);
        assert_eq!(s.gets, s.returns + s.discarded.total());
        assert_eq!(s.retained_items, 2);
    });
}

/// A thread whose cursor lands on a slot another thread holds moves to
/// the free one, claims it, and starts there next time.
#[test]
fn loom_cursor_on_a_held_slot_moves_on() {
    loom::model(|| {
        // The main thread uses the ring first (cursor 0); its second
        // get moves its cursor to slot 1. The spawned thread arrives
        // second: its cursor, 1, is on the held slot.
        let pool = Arc::new(ring(2, OnFull::Fail));
        let first = pool.try_get().unwrap();
        let mut held = pool.try_get().unwrap();
        drop(first);
        held.push(7);
        let p2 = Arc::clone(&pool);
        let t = thread::spawn(move || {
            let mut g = p2.try_get().expect("slot 0 is free");
            assert!(g.is_empty());
            g.push(1);
            // Its cursor moved to slot 0: both slots are busy now.
            assert!(p2.try_get().is_err());
        });
        held.push(8);
        t.join().unwrap();
        assert_eq!(*held, [7, 8]);
    });
}

/// With one probe a get tries its cursor's slot only: of two threads
/// arriving while slot 0 is held, the one whose cursor is 0 reports
/// exhaustion and the other claims slot 1, whichever arrives first.
#[test]
fn loom_one_probe_stays_on_its_cursor() {
    loom::model(|| {
        let pool = Arc::new(
            RingPool::builder()
                .capacity(2)
                .probes(1)
                .on_full(OnFull::Fail)
                .build(|| Vec::<u64>::with_capacity(2))
                .unwrap(),
        );
        // The main thread arrives first: cursor 0.
        let held = pool.try_get().unwrap();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let pool = Arc::clone(&pool);
                thread::spawn(move || pool.try_get().map(drop).is_ok())
            })
            .collect();
        let ok: Vec<bool> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(ok.iter().filter(|&&b| b).count(), 1, "{ok:?}");
        drop(held);
        let s = pool.stats();
        assert_eq!((s.gets, s.outstanding), (2, 0));
    });
}

/// A detached item's slot is refilled by the next claimer, once.
#[test]
fn loom_detach_then_refill() {
    loom::model(|| {
        let pool = Arc::new(ring(1, OnFull::Fail));
        let p2 = Arc::clone(&pool);
        let t = thread::spawn(move || {
            if let Ok(g) = p2.try_get() {
                drop(Pooled::detach(g));
            }
        });
        if let Ok(mut g) = pool.try_get() {
            g.push(1);
        }
        t.join().unwrap();
        let s = pool.stats();
        assert_eq!(s.outstanding, 0);
        assert!(s.misses <= s.detached);
    });
}

/// An item that counts how many of its kind are alive (a loom atomic, so
/// the count is part of the model).
struct Live(Arc<loom::sync::atomic::AtomicUsize>);

impl Live {
    fn new(live: &Arc<loom::sync::atomic::AtomicUsize>) -> Self {
        live.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Live(Arc::clone(live))
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl pool_core::Reset for Live {
    fn reset(&mut self) {}
}

fn live_ring(
    slots: usize,
    on_full: OnFull,
) -> (RingPool<Live>, Arc<loom::sync::atomic::AtomicUsize>) {
    let live = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
    let l = Arc::clone(&live);
    let pool = RingPool::builder()
        .capacity(slots)
        .probes(slots)
        .on_full(on_full)
        .build(move || Live::new(&l))
        .unwrap();
    (pool, live)
}

/// The pool's drop racing an owned guard's drop on another thread: the
/// guard's release reads the dead mark or the mark reads the slot free,
/// never neither, so the ring (and every item in it) is freed exactly
/// once, by whichever goes last.
#[test]
fn loom_pool_drop_racing_owned_release_frees_once() {
    loom::model(|| {
        let (pool, live) = live_ring(2, OnFull::Fail);
        let a = pool.try_get_owned().unwrap();
        let b = pool.try_get_owned().unwrap();
        let t = thread::spawn(move || drop(a));
        drop(pool);
        t.join().unwrap();
        assert_eq!(
            live.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "b keeps the ring"
        );
        drop(b);
        assert_eq!(
            live.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "the last hold freed the ring and its items"
        );
    });
}

/// Two owned guards dropped on two threads while the pool's handle drops
/// on a third: one of the three frees the ring, once.
#[test]
fn loom_owned_releases_on_two_threads_racing_pool_drop() {
    loom::model(|| {
        let (pool, live) = live_ring(2, OnFull::Fail);
        let a = pool.try_get_owned().unwrap();
        let b = pool.try_get_owned().unwrap();
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(move || OwnedPooled::detach(b));
        drop(pool);
        ta.join().unwrap();
        let kept = tb.join().unwrap();
        assert_eq!(
            live.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "only the detached item is left"
        );
        drop(kept);
        assert_eq!(live.load(std::sync::atomic::Ordering::SeqCst), 0);
    });
}

/// An owned guard of an item made because the ring was full (counted
/// centrally), dropped while the pool's handle drops: its item goes into
/// the slot a detach emptied (claimed and freed while the handle may be
/// marking it) or is dropped; either way the ring is freed once, with
/// nothing left alive.
#[test]
fn loom_pool_drop_racing_a_fallback_guard_put_into_a_free_slot() {
    loom::model(|| {
        let (pool, live) = live_ring(1, OnFull::Allocate);
        let held = pool.get_owned();
        let made = pool.get_owned(); // the ring is full: made
        drop(OwnedPooled::detach(held)); // its slot is empty and free
        let t = thread::spawn(move || drop(made));
        drop(pool);
        t.join().unwrap();
        assert_eq!(live.load(std::sync::atomic::Ordering::SeqCst), 0);
    });
}
