//! Wrap-around, full rings, fallback items, detach, panics and bad input.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

use pool_core::{Pool, PoolError, Pooled, Reset};
use pool_ring::{MAX_SLOTS, OnFull, RingPool};

#[test]
fn wrap_around_skips_a_held_slot() {
    let pool = RingPool::builder()
        .capacity(2)
        .probes(2)
        .on_full(OnFull::Fail)
        .build(|| Vec::<u8>::with_capacity(8))
        .unwrap();
    let mut held = pool.try_get().unwrap();
    held.push(7);
    // The index wraps past the held slot many times: never handed out again.
    for _ in 0..10 {
        let mut other = pool.try_get().unwrap();
        assert_ne!(other.as_ptr(), held.as_ptr());
        assert!(other.is_empty());
        other.push(1);
    }
    assert_eq!(*held, [7]);
}

#[test]
fn full_ring_fails_or_allocates_as_configured() {
    let fail = RingPool::builder()
        .capacity(2)
        .on_full(OnFull::Fail)
        .build(Vec::<u8>::new)
        .unwrap();
    let (a, b) = (fail.try_get().unwrap(), fail.try_get().unwrap());
    let err = fail.try_get().unwrap_err();
    assert_eq!(err, PoolError::Exhausted { capacity: 2 });
    assert!(err.to_string().contains("all 2 items are in use"));
    drop((a, b));

    let alloc = RingPool::new(2, || Vec::<u8>::with_capacity(16)).unwrap();
    let held: Vec<_> = (0..3).map(|_| alloc.try_get().unwrap()).collect();
    let s = alloc.stats();
    assert_eq!((s.hits, s.misses), (2, 1));
    drop(held);
    let s = alloc.stats();
    // The made item found no empty slot: dropped, counted as full.
    assert_eq!(
        (s.returns, s.discarded.full, s.retained_items),
        (2, 1, 2),
        "{s}"
    );
}

#[test]
fn detached_slot_is_refilled_and_can_keep_a_fallback_item() {
    let pool = RingPool::builder()
        .capacity(1)
        .build(|| Vec::<u8>::with_capacity(32))
        .unwrap();
    let g = pool.get();
    let extra = pool.get(); // ring full: made
    let kept = Pooled::detach(g); // the slot is now empty
    assert_eq!(kept.capacity(), 32);
    drop(extra); // the made item fills the empty slot
    let s = pool.stats();
    assert_eq!(
        (s.detached, s.returns, s.discarded.total(), s.retained_items),
        (1, 1, 0, 1),
        "{s}"
    );
    let again = pool.get();
    assert_eq!(pool.stats().misses, 1, "no new item was needed");
    drop(again);
}

#[test]
fn items_are_reset_before_reuse() {
    let pool = RingPool::new(1, || String::with_capacity(16)).unwrap();
    pool.get().push_str("secret");
    assert!(pool.get().is_empty());
}

struct Fragile(bool);
impl Reset for Fragile {
    fn reset(&mut self) {
        assert!(!self.0, "reset failed");
    }
}

#[test]
fn panic_in_reset_frees_the_slot_and_drops_the_item() {
    let pool = RingPool::builder()
        .capacity(1)
        .on_full(OnFull::Fail)
        .build(|| Fragile(false))
        .unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut g = pool.try_get().unwrap();
        g.0 = true;
    }));
    assert!(r.is_err());
    let s = pool.stats();
    assert_eq!((s.discarded.panicked, s.outstanding), (1, 0), "{s}");
    // The slot is usable again, with a fresh item.
    let g = pool.try_get().unwrap();
    assert!(!g.0);
    assert_eq!(pool.stats().misses, 1);
}

#[test]
fn panic_in_factory_frees_the_slot() {
    let fail = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&fail);
    let pool = RingPool::builder()
        .capacity(1)
        .on_full(OnFull::Fail)
        .build(move || {
            assert!(!f.load(SeqCst), "factory failed");
            Vec::<u8>::new()
        })
        .unwrap();
    drop(Pooled::detach(pool.try_get().unwrap())); // empty the slot
    fail.store(true, SeqCst);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(pool.try_get()))).is_err());
    fail.store(false, SeqCst);
    assert!(pool.try_get().is_ok(), "the slot was freed");
    let s = pool.stats();
    assert_eq!(
        s.gets,
        s.returns + s.discarded.total() + s.detached + s.outstanding
    );
}

#[test]
fn panic_while_holding_returns_the_item() {
    let pool = Arc::new(
        RingPool::builder()
            .capacity(1)
            .on_full(OnFull::Fail)
            .build(Vec::<u8>::new)
            .unwrap(),
    );
    let p = Arc::clone(&pool);
    assert!(
        std::thread::spawn(move || {
            let _g = p.try_get().unwrap();
            panic!("worker died");
        })
        .join()
        .is_err()
    );
    assert_eq!(pool.stats().returns, 1);
    assert!(
        pool.try_get().is_ok(),
        "the slot was freed by the unwinding"
    );
}

#[test]
fn bad_configuration_names_the_field_and_range() {
    let e = RingPool::new(0, Vec::<u8>::new).unwrap_err();
    assert!(matches!(
        e,
        PoolError::InvalidConfig {
            field: "capacity",
            ..
        }
    ));
    assert!(
        e.to_string()
            .contains("`capacity` is 0, expected 1..=1048576"),
        "{e}"
    );
    let e = RingPool::new(MAX_SLOTS + 1, Vec::<u8>::new).unwrap_err();
    assert!(e.to_string().contains("1048577"), "{e}");
    let e = RingPool::builder()
        .capacity(4)
        .probes(5)
        .build(Vec::<u8>::new)
        .unwrap_err();
    assert!(matches!(
        e,
        PoolError::InvalidConfig {
            field: "probes",
            ..
        }
    ));
    assert!(
        e.to_string().contains("`probes` is 5, expected 1..=4"),
        "{e}"
    );
    let e = RingPool::builder()
        .capacity(4)
        .probes(0)
        .build(Vec::<u8>::new)
        .unwrap_err();
    assert!(e.to_string().contains("`probes` is 0"), "{e}");
}

#[test]
fn works_through_the_common_trait() {
    fn fill<P: Pool<Item = Vec<u8>>>(p: &P) -> usize {
        let mut g = p.try_get().unwrap();
        g.extend_from_slice(b"abc");
        g.len()
    }
    let pool = RingPool::new(2, Vec::new).unwrap();
    assert_eq!(fill(&pool), 3);
    assert_eq!(Pool::stats(&pool).returns, 1);
}
