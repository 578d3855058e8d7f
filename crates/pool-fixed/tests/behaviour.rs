//! Blocking, timeouts, FIFO waiters, close, reset, detach, async and
//! cancellation, panics and bad input.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use pool_core::{Pool, PoolError, Pooled, Reset};
use pool_fixed::{Buffer, FixedPool};

fn counted(n: usize) -> (FixedPool<Vec<u8>>, Arc<AtomicUsize>) {
    let made = Arc::new(AtomicUsize::new(0));
    let m = Arc::clone(&made);
    let pool = FixedPool::new(n, move || {
        m.fetch_add(1, SeqCst);
        Vec::with_capacity(16)
    })
    .unwrap();
    (pool, made)
}

#[test]
fn all_items_exist_after_construction_and_no_more_are_made() {
    let (pool, made) = counted(3);
    assert_eq!(made.load(SeqCst), 3);
    let held: Vec<_> = (0..3).map(|_| pool.try_get().unwrap()).collect();
    assert_eq!(
        pool.try_get().unwrap_err(),
        PoolError::Exhausted { capacity: 3 }
    );
    assert_eq!((pool.in_use(), pool.available()), (3, 0));
    drop(held);
    for _ in 0..100 {
        drop(pool.try_get().unwrap());
    }
    assert_eq!(made.load(SeqCst), 3, "the factory ran only up front");
}

#[test]
fn timeout_is_not_early_and_a_release_ends_the_wait() {
    let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
    let held = pool.get_blocking().unwrap();
    let start = Instant::now();
    let err = pool.get_timeout(Duration::from_millis(30)).unwrap_err();
    assert!(matches!(err, PoolError::TimedOut { .. }));
    assert!(
        start.elapsed() >= Duration::from_millis(30),
        "gave up before the timeout"
    );

    // A waiter with a long timeout gets the item once it is released.
    std::thread::scope(|s| {
        let waiter = s.spawn(|| pool.get_timeout(Duration::from_secs(60)).map(|g| g.len()));
        while pool.waiting() == 0 {
            std::thread::yield_now();
        }
        drop(held);
        assert_eq!(waiter.join().unwrap(), Ok(0));
    });
}

#[test]
fn waiters_are_served_in_arrival_order() {
    let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new).unwrap());
    let held = pool.get_blocking().unwrap();
    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for i in 0..3 {
        let (p, tx) = (Arc::clone(&pool), tx.clone());
        handles.push(std::thread::spawn(move || {
            let g = p.get_blocking().unwrap();
            tx.send(i).unwrap();
            drop(g);
        }));
        // Wait until this waiter is queued before starting the next.
        while pool.waiting() < i + 1 {
            std::thread::yield_now();
        }
    }
    drop(held);
    for h in handles {
        h.join().unwrap();
    }
    let order: Vec<usize> = rx.try_iter().collect();
    assert_eq!(order, [0, 1, 2]);
}

/// An item that counts how many of its kind are alive.
#[derive(Debug)]
struct Live(Arc<AtomicUsize>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl Reset for Live {
    fn reset(&mut self) {}
}

#[test]
fn close_wakes_waiters_frees_idle_and_later_returns() {
    let tracker = Arc::new(AtomicUsize::new(0));
    let t = Arc::clone(&tracker);
    let pool = FixedPool::new(2, move || {
        t.fetch_add(1, SeqCst);
        Live(Arc::clone(&t))
    })
    .unwrap();
    let a = pool.get_blocking().unwrap();
    let b = pool.get_blocking().unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| pool.get_blocking().map(|_| ()));
        while pool.waiting() == 0 {
            std::thread::yield_now();
        }
        pool.close();
        pool.close(); // idempotent
        assert_eq!(waiter.join().unwrap(), Err(PoolError::Closed));
    });
    assert_eq!(pool.try_get().unwrap_err(), PoolError::Closed);
    assert_eq!(
        pool.get_timeout(Duration::from_secs(5)).unwrap_err(),
        PoolError::Closed
    );
    assert_eq!(tracker.load(SeqCst), 2);
    drop(a);
    drop(b);
    assert_eq!(
        tracker.load(SeqCst),
        0,
        "items returned after close are freed"
    );
    assert_eq!(pool.stats().discarded.closed, 2);
}

#[test]
fn reset_replaces_idle_items_and_frees_stale_ones() {
    let (live, made) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (l, m) = (Arc::clone(&live), Arc::clone(&made));
    let pool = FixedPool::new(2, move || {
        m.fetch_add(1, SeqCst);
        l.fetch_add(1, SeqCst);
        Live(Arc::clone(&l))
    })
    .unwrap();
    let old = pool.get_blocking().unwrap();
    pool.renew();
    assert_eq!(made.load(SeqCst), 3, "the idle one was replaced");
    assert_eq!(live.load(SeqCst), 2, "and freed");
    drop(old);
    assert_eq!(pool.stats().discarded.stale, 1);
    assert_eq!(live.load(SeqCst), 1, "the stale one was freed, not pooled");
    // Its replacement is made on demand; there are never more than 2.
    let a = pool.get_blocking().unwrap();
    let b = pool.get_blocking().unwrap();
    assert_eq!((made.load(SeqCst), live.load(SeqCst)), (4, 2));
    assert!(pool.try_get().is_err(), "still exactly 2 items");
    drop((a, b));
}

#[test]
fn detached_items_are_replaced_on_demand() {
    let (pool, made) = counted(1);
    let kept = Pooled::detach(pool.get_blocking().unwrap());
    assert_eq!(pool.stats().detached, 1);
    let g = pool.try_get().unwrap();
    assert_eq!(made.load(SeqCst), 2);
    assert!(pool.try_get().is_err());
    drop((g, kept));
}

#[test]
fn iterator_ends_when_the_pool_closes() {
    let pool = FixedPool::<Buffer<u8>>::buffers(2, 8).unwrap();
    let n = pool
        .blocking_iter()
        .enumerate()
        .map(|(i, _)| {
            if i == 9 {
                pool.close();
            }
        })
        .count();
    assert_eq!(n, 10);
}

#[test]
fn buffers_are_zeroed_for_the_next_holder() {
    let pool = FixedPool::<Buffer<u8>>::buffers(1, 16).unwrap();
    {
        let mut b = pool.get_blocking().unwrap();
        b.full_mut().fill(7);
        b.set_len(16).unwrap();
    }
    let b = pool.get_blocking().unwrap();
    assert!(b.is_empty());
    assert!(
        b.full().iter().all(|&x| x == 0),
        "no stale bytes, even in the full view"
    );
}

#[cfg(not(miri))] // tokio's runtime uses epoll, which Miri lacks
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_acquire_waits_and_is_cancellation_safe() {
    let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new).unwrap());
    let held = pool.try_get_owned().unwrap();

    // A future that is dropped while waiting loses nothing.
    let abandoned = tokio::time::timeout(Duration::from_millis(20), pool.get_owned_async()).await;
    assert!(abandoned.is_err(), "timed out while the item was held");

    let p = Arc::clone(&pool);
    let waiter = tokio::spawn(async move { p.get_owned_async().await.map(|g| g.len()) });
    while pool.waiting() == 0 {
        tokio::task::yield_now().await;
    }
    drop(held);
    assert_eq!(waiter.await.unwrap(), Ok(0));
    assert!(pool.try_get().is_ok(), "the item is back");
}

#[cfg(not(miri))]
#[tokio::test]
async fn a_future_dropped_after_being_served_passes_the_item_on() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Waker};

    let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
    let held = pool.try_get().unwrap();
    {
        let mut fut = pin!(pool.get_async());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        drop(held); // served now: the item sits in the future's cell
    } // dropped without being polled again
    assert!(pool.try_get().is_ok(), "the served item went back");
    let s = pool.stats();
    assert_eq!(s.outstanding, 0, "{s}");
}

#[cfg(not(miri))]
#[tokio::test]
async fn stream_yields_until_close() {
    use futures_core::Stream;
    use std::future::poll_fn;
    use std::pin::Pin;

    let pool = FixedPool::new(2, Vec::<u8>::new).unwrap();
    let mut stream = pool.stream();
    let mut n = 0;
    while let Some(buf) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
        drop(buf);
        n += 1;
        if n == 4 {
            pool.close();
        }
    }
    assert_eq!(n, 4);
}

struct Fragile(bool);
impl Reset for Fragile {
    fn reset(&mut self) {
        assert!(!self.0, "reset failed");
    }
}

#[test]
fn panic_in_reset_drops_the_item_and_a_replacement_is_made() {
    let pool = FixedPool::new(1, || Fragile(false)).unwrap();
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut g = pool.get_blocking().unwrap();
        g.0 = true;
    }));
    assert!(r.is_err());
    let g = pool.try_get().unwrap();
    assert!(!g.0, "a fresh item, not the half-reset one");
    let s = pool.stats();
    assert_eq!((s.discarded.panicked, s.misses), (1, 1), "{s}");
}

#[test]
fn bad_configuration_names_the_field() {
    let e = FixedPool::new(0, Vec::<u8>::new).unwrap_err();
    assert!(matches!(
        e,
        PoolError::InvalidConfig {
            field: "capacity",
            ..
        }
    ));
    assert!(
        e.to_string()
            .contains("`capacity` is 0, expected 1..=16777216 items"),
        "{e}"
    );
    let e = FixedPool::<Buffer<u8>>::buffers(10, 0).unwrap_err();
    assert!(
        e.to_string()
            .contains("`buffer_capacity` is 0, expected at least 1 element"),
        "{e}"
    );
    let e = FixedPool::<Buffer<u8>>::buffers(0, 10).unwrap_err();
    assert!(matches!(
        e,
        PoolError::InvalidConfig {
            field: "capacity",
            ..
        }
    ));
    let e = FixedPool::<Buffer<u64>>::buffers(2, usize::MAX).unwrap_err();
    assert!(matches!(
        e,
        PoolError::InvalidConfig {
            field: "buffer_capacity",
            ..
        }
    ));
}

/// `count` buffers that fit `isize::MAX` bytes but no machine (16 Ki
/// buffers of 16 GiB each: 256 TiB, past the 128 TiB a process can map)
/// are refused with a typed error before the first one is made. One alone
/// may be allocatable, and zeroing them one after another would have met
/// the out-of-memory killer, not an allocation error. Not under Miri, whose allocations are the host's:
/// it grants the total lazily and would then make and zero the buffers.
#[test]
#[cfg(not(miri))]
fn buffers_no_machine_holds_are_refused_before_any_is_made() {
    let e = FixedPool::<Buffer<u8>>::buffers(1 << 14, 1 << 34).unwrap_err();
    assert!(
        matches!(
            e,
            PoolError::InvalidConfig {
                field: "buffer_capacity",
                ..
            }
        ) && e
            .to_string()
            .contains("16384 buffers of it (281474976710656 bytes)"),
        "{e}"
    );
}

#[test]
fn works_through_the_common_trait() {
    fn one<P: Pool<Item = Vec<u8>>>(p: &P) -> Result<usize, PoolError> {
        let mut g = p.try_get()?;
        g.push(1);
        Ok(g.len())
    }
    let pool = FixedPool::new(1, Vec::new).unwrap();
    assert_eq!(one(&pool), Ok(1));
    let _held = pool.try_get().unwrap();
    assert_eq!(one(&pool), Err(PoolError::Exhausted { capacity: 1 }));
}

#[test]
fn a_lazy_pool_makes_items_on_demand_and_never_more_than_count() {
    let made = Arc::new(AtomicUsize::new(0));
    let m = Arc::clone(&made);
    let pool = FixedPool::builder()
        .capacity(3)
        .lazy(true)
        .build(move || {
            m.fetch_add(1, SeqCst);
            vec![7u8; 8]
        })
        .unwrap();
    assert_eq!(made.load(SeqCst), 0, "nothing made up front");
    assert_eq!((pool.available(), pool.in_use()), (3, 0));
    let a = pool.try_get().unwrap();
    drop(a);
    let a = pool.try_get().unwrap();
    assert_eq!(made.load(SeqCst), 1, "the returned item is reused");
    let b = pool.try_get().unwrap();
    let c = pool.try_get().unwrap();
    assert_eq!(
        pool.try_get().unwrap_err(),
        PoolError::Exhausted { capacity: 3 }
    );
    assert_eq!(made.load(SeqCst), 3);
    let s = pool.stats();
    assert_eq!((s.prefilled, s.misses, s.hits), (0, 3, 1), "{s}");
    drop((a, b, c));
    assert_eq!(pool.available(), 3);
}

/// An eager pool hands out the items that came back before the ones it
/// made up front and never handed out: a pool sized above what is out at
/// once keeps reusing the same few items (warm in a cache) instead of
/// cycling through all of them, the queue being first in, first out.
#[test]
fn returned_items_are_reused_before_untouched_ones() {
    let pool = FixedPool::new(64, || Vec::<u8>::with_capacity(16)).unwrap();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        // Three out at once: one comes back to this thread's slot, the
        // others to the shared queue.
        let held: Vec<_> = (0..3).map(|_| pool.try_get().unwrap()).collect();
        seen.extend(held.iter().map(|g| g.as_ptr() as usize));
    }
    assert_eq!(seen.len(), 3, "only the items in use circulate");
    let s = pool.stats();
    assert_eq!((s.prefilled, s.hits, s.misses), (64, 150, 0), "{s}");
    assert_eq!((pool.available(), pool.in_use()), (64, 0));
    // Every one of the 64 is still there, the untouched ones last.
    let all: Vec<_> = (0..64).map(|_| pool.try_get().unwrap()).collect();
    let distinct: std::collections::HashSet<_> = all.iter().map(|g| g.as_ptr() as usize).collect();
    assert_eq!(distinct.len(), 64);
    assert!(pool.try_get().is_err(), "a 65th item");
    drop(all);
    // The same after a renew, whose replacements are made all at once.
    let out: Vec<_> = (0..3).map(|_| pool.try_get().unwrap()).collect();
    pool.renew();
    drop(out); // stale: freed, replaced on demand
    seen.clear();
    for _ in 0..50 {
        let held: Vec<_> = (0..3).map(|_| pool.try_get().unwrap()).collect();
        seen.extend(held.iter().map(|g| g.as_ptr() as usize));
    }
    assert_eq!(seen.len(), 3, "only the items in use circulate");
    assert_eq!((pool.available(), pool.in_use()), (64, 0));
    pool.close();
    assert_eq!(pool.stats().outstanding, 0);
}

/// A factory that panics while an eager pool makes its items: the
/// constructor panics (as documented) and every item made before is freed.
#[test]
fn a_factory_panicking_while_the_pool_is_made_frees_what_it_made() {
    let live = Arc::new(AtomicUsize::new(0));
    let l = Arc::clone(&live);
    let made = std::panic::catch_unwind(move || {
        FixedPool::new(8, move || {
            assert!(l.load(SeqCst) < 5, "the sixth item fails");
            l.fetch_add(1, SeqCst);
            Live(Arc::clone(&l))
        })
    });
    assert!(made.is_err(), "the panic reaches the caller");
    assert_eq!(live.load(SeqCst), 0, "the five items made were freed");
}

/// Items never handed out (still in the reserve of those made up front)
/// are idle like any other: counted available, freed by `close`, replaced
/// by `renew`, and a waiter is served from them.
#[test]
fn items_never_handed_out_are_idle_like_the_others() {
    let live = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let pool = |n| {
        let (l, m) = (Arc::clone(&live), Arc::clone(&made));
        FixedPool::new(n, move || {
            m.fetch_add(1, SeqCst);
            l.fetch_add(1, SeqCst);
            Live(Arc::clone(&l))
        })
        .unwrap()
    };
    let p = pool(4);
    assert_eq!((p.available(), p.in_use(), live.load(SeqCst)), (4, 0, 4));
    p.close();
    assert_eq!(live.load(SeqCst), 0, "close freed the untouched items");
    assert_eq!(p.available(), 0);
    drop(p);

    let p = pool(4);
    let one = p.try_get().unwrap(); // one out, three untouched
    p.renew();
    assert_eq!(made.load(SeqCst), 4 + 4 + 3, "the three idle were replaced");
    assert_eq!(live.load(SeqCst), 4, "and freed: never more than 4");
    drop(one); // stale: freed, and made again on demand
    let all: Vec<_> = (0..4).map(|_| p.try_get().unwrap()).collect();
    assert_eq!(live.load(SeqCst), 4);
    assert!(p.try_get().is_err());
    drop(all);
    drop(p);
    assert_eq!(live.load(SeqCst), 0);

    // Blocking and timed gets find untouched items without waiting.
    let p = pool(2);
    let a = p.get_timeout(Duration::ZERO).unwrap();
    let b = p.get_blocking().unwrap();
    assert_eq!(p.stats().waits.waited, 0);
    drop((a, b));
}

#[test]
fn the_builder_refuses_bad_counts() {
    for count in [0, pool_fixed::MAX_ITEMS + 1, usize::MAX] {
        let err = FixedPool::builder()
            .capacity(count)
            .build(Vec::<u8>::new)
            .unwrap_err();
        assert!(
            matches!(
                err,
                PoolError::InvalidConfig {
                    field: "capacity",
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn blocking_owned_acquire_waits_and_travels() {
    let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new).unwrap());
    let held = pool.get_owned_blocking().unwrap();
    let p = Arc::clone(&pool);
    let waiter = std::thread::spawn(move || {
        let mut g = p.get_owned_blocking().unwrap();
        g.push(9);
        g
    });
    while pool.waiting() == 0 {
        std::thread::yield_now();
    }
    drop(held);
    let g = waiter.join().unwrap();
    assert_eq!(*g, [9]);
    assert_eq!(pool.in_use(), 1);
    drop(g);
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn waits_are_counted_with_their_length() {
    let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
    assert_eq!(pool.stats().waits, pool_core::Waits::default());
    // An acquire that finds an item does not count as a wait.
    drop(pool.get_blocking().unwrap());
    assert_eq!(pool.stats().waits.waited, 0);
    let held = pool.get_blocking().unwrap();
    let timeout = Duration::from_millis(20);
    assert!(pool.get_timeout(timeout).is_err());
    let w = pool.stats().waits;
    assert_eq!((w.waited, w.timed_out), (1, 1));
    assert!(w.max_wait_ns >= timeout.as_nanos() as u64, "{w:?}");
    assert_eq!(w.wait_ns, w.max_wait_ns);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| pool.get_blocking().map(drop));
        while pool.waiting() == 0 {
            std::thread::yield_now();
        }
        drop(held);
        waiter.join().unwrap().unwrap();
    });
    let w = pool.stats().waits;
    assert_eq!((w.waited, w.timed_out), (2, 1));
    assert!(w.wait_ns >= w.max_wait_ns);
    assert!(pool.stats().to_string().contains("waited 2 (timed out 1)"));
}

#[test]
fn generic_code_waits_for_a_bounded_pool_through_the_trait() {
    fn take_within<P: Pool<Item = Vec<u8>>>(pool: &P, t: Duration) -> Result<usize, PoolError> {
        pool.get_timeout(t).map(|g| g.capacity())
    }
    let pool = FixedPool::new(1, || Vec::with_capacity(32)).unwrap();
    let held = pool.try_get().unwrap();
    assert!(matches!(
        take_within(&pool, Duration::from_millis(5)),
        Err(PoolError::TimedOut { .. })
    ));
    std::thread::scope(|s| {
        let waiter = s.spawn(|| take_within(&pool, Duration::MAX));
        while pool.waiting() == 0 {
            std::thread::yield_now();
        }
        drop(held);
        assert_eq!(waiter.join().unwrap(), Ok(32));
    });
}

#[test]
fn status_is_one_consistent_snapshot() {
    let pool = FixedPool::new(3, Vec::<u8>::new).unwrap();
    let a = pool.try_get().unwrap();
    let b = Pooled::detach(pool.try_get().unwrap());
    let st = pool.status();
    // The detached item is owed: available, not in use.
    assert_eq!(
        (st.available, st.in_use, st.waiting, st.closed),
        (2, 1, 0, false)
    );
    assert_eq!(st.to_string(), "3 items: 2 available, 1 in use, 0 waiting");
    pool.close();
    let st = pool.status();
    assert_eq!((st.available, st.in_use, st.closed), (0, 1, true));
    assert!(st.to_string().ends_with("(closed)"));
    drop((a, b));
}

#[cfg(feature = "serde")]
#[test]
fn status_serializes_like_the_other_statistics() {
    let pool = pool_fixed::FixedPool::new(3, Vec::<u8>::new).unwrap();
    let _held = pool.try_get().unwrap();
    let json = serde_json::to_value(pool.status()).unwrap();
    assert_eq!(json["capacity"], 3);
    assert_eq!(json["in_use"], 1);
    let back: pool_fixed::Status = serde_json::from_value(json).unwrap();
    assert_eq!(back, pool.status());
}
