//! The contract as users meet it: the types are `Send` and `Sync` where the
//! docs say so (checked at compile time), and the public API cannot put an
//! item the pool never handed out back into it.

use std::sync::Arc;

use pool::prelude::*;

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}
fn error<E: std::error::Error + Send + Sync + 'static>() {}

// Compile-time: this constant does not build if a promise breaks.
const _: fn() = || {
    send_sync::<LocalPool<Vec<u8>>>();
    send_sync::<FixedPool<Vec<u8>>>();
    send_sync::<TieredPool>();
    send_sync::<RingPool<Vec<u8>>>();
    send_sync::<SharedBuf>();
    send_sync::<Stats>();
    // Guards: a borrowed guard moves with its borrow, an owned one anywhere.
    send::<Pooled<'static, LocalPool<Vec<u8>>>>();
    send::<OwnedPooled<LocalPool<Vec<u8>>>>();
    send::<OwnedPooled<FixedPool<Vec<u8>>>>();
    send::<OwnedPooled<RingPool<Vec<u8>>>>();
    send::<pool::OwnedTieredBuf>();
    send::<pool::TieredBuf<'static>>();
    // Futures run on multi-threaded executors.
    send::<pool::fixed::GetFuture<'static, Vec<u8>>>();
    send::<pool::fixed::GetOwnedFuture<Vec<u8>>>();
    error::<PoolError>();
};

/// Whatever a user does with guards through the public API, the counters
/// keep `gets == returns + discarded + detached + outstanding` (the hooks
/// that could break it take tickets only the pool makes).
#[test]
fn the_accounting_holds_whatever_users_do_with_guards() {
    let local = Arc::new(LocalPool::new(|| Vec::<u8>::with_capacity(64)));
    let a = local.get();
    let b = local.get_owned();
    let kept = Pooled::detach(local.get());
    let c = OwnedPooled::detach(local.get_owned());
    std::thread::spawn(move || drop(b)).join().unwrap();
    drop(a);
    assert!(local.put(Vec::with_capacity(64)), "an item made elsewhere");
    let s = local.stats();
    assert_eq!(s.gets, 4);
    assert_eq!(
        s.gets,
        s.returns + s.discarded.total() + s.detached + s.outstanding,
        "{s}"
    );
    assert_eq!((s.outstanding, s.detached, s.prefilled), (0, 2, 1), "{s}");
    drop((kept, c));

    let fixed = FixedPool::new(2, Vec::<u8>::new).unwrap();
    let g = fixed.get_blocking().unwrap();
    let d = Pooled::detach(fixed.try_get().unwrap());
    drop(g);
    let s = fixed.stats();
    assert_eq!(
        s.gets,
        s.returns + s.discarded.total() + s.detached + s.outstanding,
        "{s}"
    );
    assert_eq!(
        fixed.status().available,
        2,
        "the detached item is owed back"
    );
    drop(d);
}

#[test]
fn a_type_alias_names_every_pool_and_reaches_its_builder() {
    type Local = pool::LocalPool<Vec<u8>>;
    type Fixed = pool::FixedPool<Vec<u8>>;
    type Ring = pool::RingPool<Vec<u8>>;
    struct Service {
        local: Local,
        fixed: Fixed,
        ring: Ring,
    }
    let s = Service {
        local: Local::builder().cache_size(4).build(Vec::new).unwrap(),
        fixed: Fixed::builder().capacity(2).build(Vec::new).unwrap(),
        ring: Ring::builder().capacity(2).build(Vec::new).unwrap(),
    };
    assert!(s.local.get().is_empty());
    assert_eq!(s.fixed.capacity(), 2);
    assert_eq!(s.ring.capacity(), 2);
    // A turbofish does the same.
    let p = pool::LocalPool::<String>::builder()
        .build(String::new)
        .unwrap();
    assert!(p.get().is_empty());
}

/// What `memory()` returns is nameable from the facade alone (a user who
/// stores it, or writes a function over it, needs no `pool-core`).
#[test]
fn memory_figures_are_named_from_the_facade() {
    fn idle(m: &pool::Memory) -> pool::Held {
        m.total()
    }
    let local = pool::LocalPool::new(|| Vec::<u8>::with_capacity(256));
    assert_eq!(local.prefill(3), 3);
    drop(local.get());
    let m: pool::Memory = local.memory();
    assert_eq!(idle(&m), pool::Held::new(3, 3 * 256));
    assert_eq!(m.reserve.items, 2);
    let tiered = pool::TieredPool::new();
    drop(tiered.get(1000));
    let per_class: Vec<pool::Memory> = tiered.stats().classes.iter().map(|c| c.memory).collect();
    let held: u64 = per_class.iter().map(|m| idle(m).items).sum();
    assert_eq!(held, tiered.stats().total.retained_items);
}
