//! Threads that come and go: a guard dropped while its thread's
//! thread-locals are destroyed, with a waiter queued for it, and an item
//! left in the per-thread slot of a thread that exits.

use std::cell::RefCell;
use std::sync::Arc;

use pool_core::OwnedPooled;
use pool_fixed::FixedPool;

type Pool = FixedPool<Vec<u8>>;

thread_local! {
    static KEPT: RefCell<Option<OwnedPooled<Pool>>> = const { RefCell::new(None) };
}

#[test]
fn a_guard_dropped_at_thread_exit_reaches_the_waiter() {
    for pool_first in [true, false] {
        let pool = Arc::new(FixedPool::new(1, || Vec::with_capacity(64)).unwrap());
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let p = Arc::clone(&pool);
        let holder = std::thread::spawn(move || {
            if pool_first {
                drop(p.try_get().unwrap()); // the pool's thread-local first
            }
            KEPT.with(|k| *k.borrow_mut() = Some(p.try_get_owned().unwrap()));
            tx.send(()).unwrap();
            // Exits once the main thread waits: the guard drops during the
            // destruction of this thread's thread-locals.
            while p.waiting() == 0 {
                std::thread::yield_now();
            }
        });
        rx.recv().unwrap();
        let got = pool.get_blocking().map(|g| g.capacity());
        assert_eq!(got, Ok(64), "pool_first={pool_first}");
        holder.join().unwrap();
        let s = pool.stats();
        assert_eq!(s.outstanding, 0, "{s}");
        assert_eq!(s.gets, s.returns + s.discarded.total() + s.detached, "{s}");
    }
}

#[test]
fn an_item_idle_in_an_exited_threads_slot_is_found() {
    let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new).unwrap());
    let p = Arc::clone(&pool);
    std::thread::spawn(move || drop(p.try_get().unwrap()))
        .join()
        .unwrap();
    assert!(pool.try_get().is_ok());
    assert_eq!(pool.available(), 1);
}

#[test]
fn an_item_moving_out_of_an_exiting_threads_slot_is_never_out_of_sight() {
    // The thread's item moves from its slot to the queue while its
    // thread-locals are destroyed, which the end of a scope does not wait
    // for: a `try_get` racing that move must still find the item.
    let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
    for _ in 0..if cfg!(miri) { 10 } else { 2000 } {
        let g = pool.try_get().unwrap();
        std::thread::scope(|s| {
            s.spawn(move || drop(g));
        });
        assert!(pool.try_get().is_ok(), "an idle item was out of sight");
    }
}

#[test]
fn any_duration_is_a_valid_timeout() {
    let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new).unwrap());
    let held = pool.try_get_owned().unwrap();
    let p = Arc::clone(&pool);
    let waiter = std::thread::spawn(move || {
        p.get_timeout(std::time::Duration::MAX)
            .map(|g| g.capacity())
    });
    while pool.waiting() == 0 {
        std::thread::yield_now();
    }
    drop(held);
    assert_eq!(
        waiter.join().unwrap(),
        Ok(0),
        "Duration::MAX means no deadline"
    );
    // And a zero timeout on an exhausted pool is an immediate `TimedOut`.
    let _held = pool.try_get().unwrap();
    let e = pool.get_timeout(std::time::Duration::ZERO).unwrap_err();
    assert!(matches!(e, pool_core::PoolError::TimedOut { .. }), "{e}");
}

#[test]
fn huge_buffers_are_a_typed_error_not_an_abort() {
    use pool_core::PoolError;
    use pool_fixed::Buffer;
    // (1, usize::MAX / 4) reaches the allocator, which refuses it; Miri
    // cannot model an allocator refusing 4 EiB, so it checks the two that
    // are refused before any allocation.
    let cases = [(1, usize::MAX / 4), (4, usize::MAX / 4), (1, usize::MAX)];
    for (count, capacity) in cases.into_iter().skip(usize::from(cfg!(miri))) {
        let e = FixedPool::<Buffer<u8>>::buffers(count, capacity).unwrap_err();
        assert!(
            matches!(
                e,
                PoolError::InvalidConfig {
                    field: "buffer_capacity",
                    ..
                }
            ),
            "{count} x {capacity}: {e}"
        );
    }
    assert!(Buffer::<u64>::new(usize::MAX / 4).is_err());
    assert!(FixedPool::<Buffer<u8>>::buffers(2, 1024).is_ok());
}

/// Thousands of short-lived threads, eight at a time, on a pool of four:
/// each parks its item in its own slot and exits, slots are taken over by
/// later threads, and items parked by exited threads are stolen or reused.
/// Never a fifth item, never a get that fails for good, and every item idle
/// at the end.
#[test]
fn thousands_of_short_lived_threads_share_four_items() {
    const ROUNDS: usize = if cfg!(miri) { 3 } else { 250 };
    let pool = FixedPool::new(4, Vec::<u8>::new).unwrap();
    for _ in 0..ROUNDS {
        std::thread::scope(|s| {
            for me in 0..8u8 {
                let pool = &pool;
                s.spawn(move || {
                    let mut g = pool.get_blocking().expect("the pool stays open");
                    assert!(g.is_empty(), "a previous holder's bytes");
                    g.push(me);
                });
            }
        });
    }
    let s = pool.stats();
    assert_eq!(s.gets, (ROUNDS * 8) as u64);
    assert_eq!((s.misses, s.outstanding), (0, 0), "{s}");
    assert_eq!(s.returns, s.gets);
    assert_eq!(pool.available(), 4);
    let all: Vec<_> = (0..4).map(|_| pool.try_get().unwrap()).collect();
    assert!(pool.try_get().is_err(), "a fifth item");
    drop(all);
}

/// An item idle in the slot of a thread that lives on (parked, not exited)
/// is counted as available and reached by every way of taking one, by
/// `close` (which frees it) and by `renew` (which replaces it): each case
/// on a new pool, so each is the pool's first steal or drain.
#[test]
fn an_item_idle_in_a_live_threads_slot_is_reached_every_way() {
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::time::Duration;

    #[derive(Debug)]
    struct Live(Arc<AtomicUsize>);
    impl Drop for Live {
        fn drop(&mut self) {
            self.0.fetch_sub(1, SeqCst);
        }
    }
    impl pool_core::Reset for Live {
        fn reset(&mut self) {}
    }
    /// A pool of one whose item another thread took and gave back (into
    /// its own slot); `f` runs while that thread waits, alive.
    fn parked(f: impl FnOnce(&FixedPool<Live>, &AtomicUsize)) {
        let live = Arc::new(AtomicUsize::new(0));
        let l = Arc::clone(&live);
        let pool = FixedPool::new(1, move || {
            l.fetch_add(1, SeqCst);
            Live(Arc::clone(&l))
        })
        .unwrap();
        let (parked, done) = (Barrier::new(2), Barrier::new(2));
        std::thread::scope(|s| {
            s.spawn(|| {
                drop(pool.try_get().unwrap());
                parked.wait();
                done.wait(); // alive until `f` is done
            });
            parked.wait();
            f(&pool, &live);
            done.wait();
        });
    }

    parked(|p, _| assert_eq!((p.available(), p.in_use()), (1, 0)));
    parked(|p, _| assert!(p.try_get().is_ok()));
    parked(|p, _| assert!(p.try_get_owned().is_ok()));
    parked(|p, _| assert!(p.get_timeout(Duration::ZERO).is_ok()));
    parked(|p, _| assert!(p.get_timeout(Duration::MAX).is_ok()));
    parked(|p, _| assert!(p.get_blocking().is_ok()));
    parked(|p, _| {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut fut = std::pin::pin!(p.get_async());
        let got = fut.as_mut().poll(&mut cx);
        assert!(matches!(got, std::task::Poll::Ready(Ok(_))), "{got:?}");
    });
    parked(|p, live| {
        p.close();
        assert_eq!(live.load(SeqCst), 0, "close left the idle item alive");
    });
    parked(|p, live| {
        p.renew();
        assert_eq!(live.load(SeqCst), 1, "renew: exactly one item lives");
        drop(p.try_get().expect("the replacement"));
        assert_eq!(p.stats().discarded.stale, 0, "the idle item was not stale");
    });
}
