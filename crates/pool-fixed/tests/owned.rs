//! Owned guards hold a per-thread-counted anchor, not an `Arc` of the
//! pool: the pool's memory (and its items) lives until the last owned
//! guard drops, on any thread, in any order, and is freed then.

use std::sync::atomic::{AtomicI64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use pool_core::{OwnedPooled, Reset};
use pool_fixed::FixedPool;

/// An item that counts how many of its kind are alive.
struct Counted(Arc<AtomicI64>);

impl Counted {
    fn new(live: &Arc<AtomicI64>) -> Self {
        live.fetch_add(1, SeqCst);
        Counted(Arc::clone(live))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl Reset for Counted {
    fn reset(&mut self) {}
}

fn pool(count: usize, live: &Arc<AtomicI64>) -> FixedPool<Counted> {
    let l = Arc::clone(live);
    FixedPool::new(count, move || Counted::new(&l)).unwrap()
}

fn rounds(native: usize) -> usize {
    if cfg!(miri) { 3 } else { native }
}

#[test]
fn owned_guards_outlive_the_pool_and_the_last_drop_frees_it() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(4, &live);
    let a = pool.try_get_owned().unwrap();
    let b = pool.get_owned_blocking().unwrap();
    assert_eq!(pool.in_use(), 2);
    drop(pool);
    assert_eq!(
        live.load(SeqCst),
        4,
        "every item lives while a guard is out"
    );
    std::thread::spawn(move || drop(a)).join().unwrap();
    assert_eq!(live.load(SeqCst), 4);
    drop(b);
    assert_eq!(
        live.load(SeqCst),
        0,
        "the last guard freed the pool and its items"
    );
}

#[test]
fn a_closed_pools_owned_guard_frees_its_item_and_the_pool() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(2, &live);
    let g = pool.get_owned_blocking().unwrap();
    pool.close();
    assert_eq!(live.load(SeqCst), 1, "close freed the idle item");
    drop(pool);
    drop(g);
    assert_eq!(live.load(SeqCst), 0);
}

#[test]
fn detach_after_the_pool_is_gone_keeps_the_item() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(1, &live);
    let g = pool.get_owned_blocking().unwrap();
    drop(pool);
    let kept = OwnedPooled::detach(g);
    assert_eq!(live.load(SeqCst), 1, "only the detached item is left");
    drop(kept);
    assert_eq!(live.load(SeqCst), 0);
}

#[test]
fn owned_guards_are_counted_and_the_bound_holds() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(3, &live);
    let guards: Vec<_> = (0..3).map(|_| pool.try_get_owned().unwrap()).collect();
    assert!(pool.try_get_owned().is_err(), "never more than 3 out");
    std::thread::spawn(move || drop(guards)).join().unwrap();
    let s = pool.stats();
    assert_eq!((s.gets, s.returns, s.outstanding), (3, 3, 0), "{s}");
    assert_eq!(pool.available(), 3);
}

#[test]
fn the_pools_drop_racing_guard_drops_frees_it_once() {
    for _ in 0..rounds(200) {
        let live = Arc::new(AtomicI64::new(0));
        let pool = pool(16, &live);
        let threads = 4;
        let start = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let guards: Vec<_> = (0..3).map(|_| pool.try_get_owned().unwrap()).collect();
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    start.wait();
                    drop(guards);
                })
            })
            .collect();
        start.wait();
        drop(pool);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(live.load(SeqCst), 0);
    }
}

/// The owned future is `'static` (it holds the pool's anchor, not a borrow
/// or an `Arc`), so the pool's handle may go while it waits: a guard that
/// comes back still serves it, and the last of them frees the pool.
#[test]
fn an_owned_future_waiting_past_the_pools_drop_is_served_and_frees_it() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let live = Arc::new(AtomicI64::new(0));
    let p = pool(1, &live);
    let held = p.try_get_owned().unwrap();
    let mut waiting = Box::pin(p.get_owned_async());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    drop(p);
    assert_eq!(live.load(SeqCst), 1, "the item lives while a guard is out");
    drop(held); // handed to the queued future
    let got = match waiting.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(g)) => g,
        Poll::Ready(Err(e)) => panic!("{e}"),
        Poll::Pending => panic!("the returned item was not handed over"),
    };
    drop(waiting);
    assert_eq!(live.load(SeqCst), 1);
    drop(got);
    assert_eq!(live.load(SeqCst), 0, "the last guard freed the pool");

    // A future dropped while queued, after the pool: nothing leaks.
    let p = pool(1, &live);
    let held = p.try_get_owned().unwrap();
    let mut waiting = Box::pin(p.get_owned_async());
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    drop(p);
    drop(held); // handed to the future, which never takes it
    drop(waiting); // passes it on: parked, then freed with the pool
    assert_eq!(live.load(SeqCst), 0, "nothing left alive");
}
