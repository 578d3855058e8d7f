//! `Reset::is_reusable`: an item found unfit when it comes back is dropped,
//! counted as refused, and replaced when needed, in every pool; a bounded
//! pool keeps its count and serves a waiter queued meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use pool::{FixedPool, LocalPool, RingPool};
use pool_core::Reset;

/// A connection-like item: `broken` is set by its holder.
#[derive(Debug)]
struct Conn {
    id: usize,
    broken: bool,
}

impl Reset for Conn {
    fn reset(&mut self) {}
    fn is_reusable(&self) -> bool {
        !self.broken
    }
}

fn factory() -> impl Fn() -> Conn + Send + Sync + 'static {
    let next = Arc::new(AtomicUsize::new(0));
    move || Conn {
        id: next.fetch_add(1, SeqCst),
        broken: false,
    }
}

#[test]
fn local_pool_drops_a_refused_item_and_makes_a_new_one() {
    let pool = LocalPool::new(factory());
    let mut c = pool.get();
    let first = c.id;
    c.broken = true;
    drop(c);
    let s = pool.stats();
    assert_eq!(
        (s.discarded.refused, s.returns, s.retained_items),
        (1, 0, 0),
        "{s}"
    );
    let next = pool.get();
    assert_ne!(next.id, first, "a new item, not the broken one");
    assert_eq!(pool.stats().misses, 2);
    // A foreign item found unfit is refused by `put` too (not counted: it
    // was never out).
    assert!(!pool.put(Conn {
        id: 99,
        broken: true
    }));
}

#[test]
fn ring_pool_drops_a_refused_item_and_its_slot_makes_a_new_one() {
    let pool = RingPool::new(1, factory()).unwrap();
    let mut c = pool.get();
    let first = c.id;
    c.broken = true;
    drop(c);
    let s = pool.stats();
    assert_eq!((s.discarded.refused, s.returns), (1, 0), "{s}");
    assert_ne!(pool.get().id, first);
}

#[test]
fn fixed_pool_owes_a_refused_item_to_the_waiter_queued_meanwhile() {
    let pool = Arc::new(FixedPool::new(1, factory()).unwrap());
    let mut held = pool.get_blocking().unwrap();
    let first = held.id;
    held.broken = true;
    let (tx, rx) = mpsc::channel();
    let p = Arc::clone(&pool);
    let waiter = std::thread::spawn(move || {
        tx.send(()).unwrap();
        let c = p
            .get_timeout(Duration::from_secs(30))
            .expect("served by the replacement");
        c.id
    });
    rx.recv().unwrap();
    // Wait until the waiter is queued (no sleep: poll the pool's own count).
    while pool.waiting() == 0 {
        std::thread::yield_now();
    }
    drop(held);
    let got = waiter.join().unwrap();
    assert_ne!(got, first, "the waiter got a new item, not the broken one");
    let s = pool.stats();
    assert_eq!(s.discarded.refused, 1, "{s}");
    assert_eq!(pool.capacity(), 1);
    assert_eq!(pool.available(), 1, "the count holds: one item, idle again");
}
