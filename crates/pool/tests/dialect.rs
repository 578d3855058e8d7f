//! One dialect: each verb means one thing in all four pools, and the
//! setting that sizes a bounded pool has the name of the getter that
//! reports it. Each test fails (or does not compile) on the code before
//! the verbs were unified.

#![cfg(all(
    feature = "local",
    feature = "fixed",
    feature = "ring",
    feature = "tiered"
))]

use std::sync::Arc;
use std::time::Duration;

use pool::prelude::*;
use pool::{OnFull, UnboundedPool};

/// Generic code over any pool whose `get` cannot fail: no `?`, no `unwrap`.
fn fill<P: UnboundedPool<Item = Vec<u8>>>(pool: &P, bytes: &[u8]) -> usize {
    let mut buf = pool.get();
    buf.extend_from_slice(bytes);
    buf.len()
}

/// The same, with an owned guard sent to another thread.
fn fill_elsewhere<P: UnboundedPool<Item = Vec<u8>> + 'static>(pool: &Arc<P>) -> usize {
    let mut buf = pool.get_owned();
    std::thread::spawn(move || {
        buf.push(7);
        buf.len()
    })
    .join()
    .unwrap()
}

#[test]
fn get_never_fails_in_every_pool_that_has_it() {
    let local = Arc::new(LocalPool::new(Vec::<u8>::new));
    assert_eq!(fill(&*local, b"abc"), 3);
    assert_eq!(fill_elsewhere(&local), 1);
    assert_eq!(local.stats().returns, 2);

    // A ring built to fail still gets from `get`: `OnFull` is what
    // `try_get` does.
    let ring = Arc::new(
        RingPool::builder()
            .capacity(1)
            .on_full(OnFull::Fail)
            .build(Vec::<u8>::new)
            .unwrap(),
    );
    let held = ring.try_get().unwrap();
    assert_eq!(
        ring.try_get().unwrap_err(),
        PoolError::Exhausted { capacity: 1 }
    );
    assert_eq!(fill(&*ring, b"abcd"), 4, "made, not refused");
    assert_eq!(fill_elsewhere(&ring), 1);
    drop(held);
    assert_eq!(ring.stats().misses, 2);

    // The size-class pool's trait `get` is a buffer of its default length.
    let tiered = Arc::new(TieredPool::builder().default_len(1500).build().unwrap());
    assert_eq!(fill(&*tiered, b"ab"), 2);
    assert_eq!(fill_elsewhere(&tiered), 1);
    assert!(UnboundedPool::get(&*tiered).capacity() >= 1500);
    assert_eq!(tiered.stats().total.returns, 3);
}

#[test]
fn try_get_on_a_tiered_pool_is_the_traits_with_the_prelude_in_scope() {
    // Before, the inherent `try_get(len)` shadowed `Pool::try_get()`.
    let pool = TieredPool::builder().default_len(4096).build().unwrap();
    let buf = pool.try_get().unwrap();
    assert!(buf.capacity() >= 4096);
    drop(buf);
    let pool = Arc::new(pool);
    let owned = pool.try_get_owned().unwrap();
    assert!(owned.capacity() >= 4096);
    // Lengths from outside: a typed error over `max_len`, never a panic.
    let pool = TieredPool::builder().max_len(1 << 16).build().unwrap();
    assert_eq!(
        pool.checked_get(usize::MAX).unwrap_err(),
        PoolError::TooLarge {
            requested: usize::MAX,
            max: 1 << 16
        }
    );
    assert!(matches!(
        pool.checked_get_owned((1 << 16) + 1),
        Err(PoolError::TooLarge { .. })
    ));
    assert_eq!(pool.checked_get(1 << 16).unwrap().capacity(), 1 << 16);
}

#[test]
fn every_owned_getter_takes_a_plain_reference() {
    // No `Arc` anywhere: the guards keep what they need alive.
    let local = LocalPool::new(Vec::<u8>::new);
    let ring = RingPool::new(2, Vec::<u8>::new).unwrap();
    let tiered = TieredPool::new();
    let fixed = FixedPool::new(2, Vec::<u8>::new).unwrap();
    let guards = (
        local.get_owned(),
        ring.get_owned(),
        ring.try_get_owned().unwrap(),
        tiered.get_owned(64),
        fixed.get_owned_blocking().unwrap(),
        fixed.try_get_owned().unwrap(),
    );
    drop((local, ring, tiered));
    std::thread::spawn(move || drop(guards)).join().unwrap();
    assert_eq!(fixed.available(), 2, "both came back");
}

#[test]
fn a_bounded_pool_waits_only_where_the_name_says_so() {
    let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
    let held = pool.try_get().unwrap();
    // `try_get` never waits.
    assert_eq!(
        pool.try_get().unwrap_err(),
        PoolError::Exhausted { capacity: 1 }
    );
    assert!(matches!(
        pool.get_timeout(Duration::ZERO),
        Err(PoolError::TimedOut { .. })
    ));
    std::thread::scope(|s| {
        let waiter = s.spawn(|| pool.get_blocking().map(|b| b.capacity()));
        // Queued, by polling the count of waiters: no sleep.
        while pool.waiting() == 0 {
            std::thread::yield_now();
        }
        drop(held);
        assert_eq!(waiter.join().unwrap(), Ok(0));
    });
    pool.close();
    assert_eq!(pool.get_blocking().unwrap_err(), PoolError::Closed);
    assert_eq!(pool.get_owned_blocking().unwrap_err(), PoolError::Closed);
}

#[test]
fn the_owned_async_get_needs_no_arc_and_outlives_the_handle() {
    let pool = FixedPool::new(1, || Vec::<u8>::with_capacity(8)).unwrap();
    let held = pool.try_get_owned().unwrap();
    let future = pool.get_owned_async();
    fn is_send_static<F: Send + 'static>(_: &F) {}
    is_send_static(&future);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    drop(held);
    let buf = rt.block_on(future).unwrap();
    assert_eq!(buf.capacity(), 8);
    drop(pool);
    // The guard still holds the pool's memory; dropping it frees it.
    drop(buf);
}

#[test]
fn a_dropped_owned_future_hands_its_item_to_the_next_waiter() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
    let held = pool.try_get().unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut first = pin!(pool.get_owned_async());
        assert!(first.as_mut().poll(&mut cx).is_pending(), "queued");
        assert_eq!(pool.waiting(), 1);
        drop(held); // handed to the queued future, which is then dropped
    }
    assert_eq!(pool.waiting(), 0);
    let mut second = pin!(pool.get_owned_async());
    match second.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(buf)) => drop(buf),
        other => panic!("the item was lost: {:?}", other.map(|r| r.map(|_| ()))),
    }
    assert_eq!(pool.available(), 1);
}

/// The name of the setting a configuration error blames.
fn field_of<T>(r: Result<T, PoolError>) -> &'static str {
    match r {
        Err(PoolError::InvalidConfig { field, .. }) => field,
        Err(e) => panic!("not a configuration error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn the_size_setting_is_what_capacity_reports() {
    let fixed = FixedPool::builder().capacity(3).build(String::new).unwrap();
    assert_eq!(fixed.capacity(), 3);
    let ring = RingPool::builder().capacity(5).build(String::new).unwrap();
    assert_eq!(ring.capacity(), 8, "rounded up to a power of two");
    // Bad sizes name the setting the caller used, at both ends.
    for n in [0, usize::MAX] {
        let fixed = FixedPool::builder().capacity(n).build(String::new);
        assert_eq!(field_of(fixed), "capacity");
        let ring = RingPool::builder().capacity(n).build(String::new);
        assert_eq!(field_of(ring), "capacity");
    }
    // A buffer's capacity counts its elements, as `Vec::capacity`; a
    // pool's counts its items.
    let bufs = FixedPool::<Buffer<u8>>::buffers(3, 1024).unwrap();
    assert_eq!(bufs.capacity(), 3);
    assert_eq!(bufs.try_get().unwrap().capacity(), 1024);
    assert_eq!(
        field_of(FixedPool::<Buffer<u8>>::buffers(3, 0)),
        "buffer_capacity"
    );
    assert_eq!(field_of(FixedPool::<Buffer<u8>>::buffers(0, 8)), "capacity");
}

#[test]
fn a_type_alias_names_every_pool_and_reaches_its_builder() {
    type Local = LocalPool<Vec<u8>>;
    type Fixed = FixedPool<Vec<u8>>;
    type Ring = RingPool<Vec<u8>>;
    let local: Local = Local::builder().cache_size(2).build(Vec::new).unwrap();
    let fixed: Fixed = Fixed::builder().capacity(2).build(Vec::new).unwrap();
    let ring: Ring = Ring::builder().capacity(2).build(Vec::new).unwrap();
    assert!(Fixed::builder().capacity(0).validate().is_err());
    assert!(Ring::builder().capacity(0).validate().is_err());
    assert_eq!(fill(&local, b"x") + fill(&ring, b"yz"), 3);
    assert!(fixed.try_get().is_ok());
}
