//! Reset by a function given beside the factory: a type with no `Reset`
//! impl is pooled without a newtype, in every pool that takes a factory,
//! and a reset function that panics loses nothing.

#![cfg(all(feature = "local", feature = "fixed", feature = "ring"))]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use pool::prelude::*;

/// Stands for a type from another crate: no `Reset` impl, and none can be
/// added outside its crate.
#[derive(Debug, Default)]
struct Foreign {
    bytes: Vec<u8>,
    id: usize,
}

static MADE: AtomicUsize = AtomicUsize::new(0);

fn make() -> Foreign {
    Foreign {
        bytes: Vec::with_capacity(256),
        id: MADE.fetch_add(1, Relaxed),
    }
}

fn clear(f: &mut Foreign) {
    f.bytes.clear();
}

/// Takes the foreign type itself: a guard reaches it by deref coercion.
fn write(f: &mut Foreign, b: &[u8]) {
    f.bytes.extend_from_slice(b);
}

#[test]
fn every_pool_with_a_factory_takes_a_reset_function() {
    let local = LocalPool::with_reset(make, clear);
    let fixed = FixedPool::with_reset(1, make, clear).unwrap();
    let ring = RingPool::with_reset(1, make, clear).unwrap();
    {
        let mut a = local.get();
        let mut b = fixed.try_get().unwrap();
        let mut c = ring.get();
        write(&mut a, b"local");
        write(&mut b, b"fixed");
        write(&mut c, b"ring");
        assert_eq!(c.bytes, b"ring");
    }
    // Cleared by the function, allocation kept, the same item reused.
    for (bytes, stats) in [
        (local.get().bytes.clone(), local.stats()),
        (fixed.try_get().unwrap().bytes.clone(), fixed.stats()),
        (ring.get().bytes.clone(), ring.stats()),
    ] {
        assert!(bytes.is_empty(), "{bytes:?}");
        assert_eq!(stats.returns, 1, "{stats}");
    }
    assert_eq!(local.get().bytes.capacity(), 256);
}

#[test]
fn the_builders_take_it_beside_the_factory() {
    let local = LocalPool::builder()
        .cache_size(1)
        .build_with_reset(make, clear)
        .unwrap();
    let fixed = FixedPool::builder()
        .capacity(2)
        .build_with_reset(make, clear)
        .unwrap();
    let ring = RingPool::builder()
        .capacity(2)
        .build_with_reset(make, clear)
        .unwrap();
    // Owned guards dropped on another thread are reset there.
    let guards = (
        local.get_owned(),
        fixed.try_get_owned().unwrap(),
        ring.get_owned(),
    );
    std::thread::spawn(move || {
        let (mut a, mut b, mut c) = guards;
        for g in [&mut *a, &mut *b, &mut *c] {
            write(g, b"elsewhere");
        }
    })
    .join()
    .unwrap();
    assert!(fixed.try_get().unwrap().bytes.is_empty());
    assert!(ring.try_get().unwrap().bytes.is_empty());
    assert_eq!(fixed.capacity(), 2);
    // A detached item unwraps to the foreign type.
    let item = Pooled::detach(local.get()).into_inner();
    assert!(item.bytes.is_empty());
}

fn panicking_reset(f: &mut Foreign) {
    if f.bytes == b"poison" {
        panic!("reset refused the item");
    }
    f.bytes.clear();
}

#[test]
fn a_panicking_reset_function_owes_a_replacement_to_the_queued_waiter() {
    let pool = Arc::new(FixedPool::with_reset(1, make, panicking_reset).unwrap());
    let mut held = pool.try_get().unwrap();
    let first = held.id;
    write(&mut held, b"poison");
    let (tx, rx) = mpsc::channel();
    let p = Arc::clone(&pool);
    let waiter = std::thread::spawn(move || {
        tx.send(()).unwrap();
        p.get_timeout(Duration::from_secs(30))
            .expect("served by the replacement")
            .id
    });
    rx.recv().unwrap();
    while pool.waiting() == 0 {
        std::thread::yield_now();
    }
    // The reset panics inside the guard's drop: the pool accounts for the
    // item first, then the panic reaches the dropper (as a `Reset` impl's).
    let dropped = catch_unwind(AssertUnwindSafe(|| drop(held)));
    assert!(dropped.is_err(), "the panic reaches the dropper");
    let got = waiter.join().unwrap();
    assert_ne!(got, first, "a new item, not the poisoned one");
    let s = pool.stats();
    assert_eq!(s.discarded.panicked, 1, "{s}");
    assert_eq!(pool.available(), 1, "the count holds");
    // Not poisoned: the pool keeps serving.
    assert!(pool.try_get().is_ok());
}

#[test]
fn a_panicking_reset_function_in_the_unbounded_pools_drops_only_that_item() {
    let local = LocalPool::with_reset(make, panicking_reset);
    let ring = RingPool::with_reset(1, make, panicking_reset).unwrap();
    let mut g = local.get();
    let a = g.id;
    write(&mut g, b"poison");
    assert!(catch_unwind(AssertUnwindSafe(|| drop(g))).is_err());
    let mut g = ring.get();
    let c = g.id;
    write(&mut g, b"poison");
    assert!(catch_unwind(AssertUnwindSafe(|| drop(g))).is_err());
    assert_ne!(local.get().id, a);
    assert_ne!(ring.get().id, c);
    assert_eq!(local.stats().discarded.panicked, 1);
    assert_eq!(ring.stats().discarded.panicked, 1);
}

#[test]
fn a_capturing_closure_resets_and_a_field_names_the_pool_with_a_plain_fn() {
    // Captures its setting: each item keeps a copy.
    let keep = 64;
    let pool = LocalPool::builder()
        .build_with_reset(
            || Vec::<u8>::with_capacity(1024),
            move |v: &mut Vec<u8>| {
                v.clear();
                v.shrink_to(keep);
            },
        )
        .unwrap();
    pool.get().extend_from_slice(&[1; 10]);
    let v = pool.get();
    assert!(v.is_empty());
    assert!(
        v.capacity() >= keep && v.capacity() < 1024,
        "{}",
        v.capacity()
    );
    drop(v);

    // A struct field names the pool: the function coerces to `fn` where
    // the type is named before the call (a `Result` in between needs the
    // type on the call).
    type Scratch = FixedPool<ResetWith<Foreign>>;
    struct Service {
        scratch: Scratch,
        local: LocalPool<ResetWith<Foreign>>,
    }
    let s = Service {
        scratch: Scratch::with_reset(2, make, clear).unwrap(),
        local: LocalPool::with_reset(make, clear),
    };
    write(&mut s.scratch.try_get().unwrap(), b"x");
    write(&mut s.local.get(), b"y");
    assert!(s.scratch.try_get().unwrap().bytes.is_empty());
    assert!(s.local.get().bytes.is_empty());
}
