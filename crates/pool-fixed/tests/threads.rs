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
                drop(p.try_acquire().unwrap()); // the pool's thread-local first
            }
            KEPT.with(|k| *k.borrow_mut() = Some(p.try_acquire_owned().unwrap()));
            tx.send(()).unwrap();
            // Exits once the main thread waits: the guard drops during the
            // destruction of this thread's thread-locals.
            while p.waiting() == 0 {
                std::thread::yield_now();
            }
        });
        rx.recv().unwrap();
        let got = pool.acquire().map(|g| g.capacity());
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
    std::thread::spawn(move || drop(p.try_acquire().unwrap()))
        .join()
        .unwrap();
    assert!(pool.try_acquire().is_ok());
    assert_eq!(pool.available(), 1);
}

#[test]
fn an_item_moving_out_of_an_exiting_threads_slot_is_never_out_of_sight() {
    // The thread's item moves from its slot to the queue while its
    // thread-locals are destroyed, which the end of a scope does not wait
    // for: a `try_acquire` racing that move must still find the item.
    let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
    for _ in 0..if cfg!(miri) { 10 } else { 2000 } {
        let g = pool.try_acquire().unwrap();
        std::thread::scope(|s| {
            s.spawn(move || drop(g));
        });
        assert!(pool.try_acquire().is_ok(), "an idle item was out of sight");
    }
}
