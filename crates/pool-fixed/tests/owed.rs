//! Every item that leaves circulation is owed back to the pool, and an owed
//! item reaches a waiter already queued: detach, a stale return after
//! `reset`, a panicking `Reset`, a panicking `heap_bytes`, for blocking,
//! timed and async waiters. A waiter that is never served would hang, so
//! each test waits for it through a channel with a generous limit and
//! fails (rather than hangs) if it is not served.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use pool_core::{OwnedPooled, PoolError, Reset};
use pool_fixed::FixedPool;

/// Far longer than any wake-up takes; only a lost wake-up reaches it.
const LIMIT: Duration = Duration::from_secs(30);

/// An item whose `reset` or `heap_bytes` can be told to panic.
#[derive(Default)]
struct Item {
    panic_in_reset: bool,
    panic_in_heap_bytes: Arc<AtomicBool>,
}

impl Reset for Item {
    fn reset(&mut self) {
        if self.panic_in_reset {
            panic!("reset failed");
        }
    }
    fn heap_bytes(&self) -> usize {
        if self.panic_in_heap_bytes.load(SeqCst) {
            panic!("heap_bytes failed");
        }
        0
    }
}

fn pool_of_one() -> (Arc<FixedPool<Item>>, Arc<AtomicUsize>) {
    let made = Arc::new(AtomicUsize::new(0));
    let m = Arc::clone(&made);
    let pool = FixedPool::new(1, move || {
        m.fetch_add(1, SeqCst);
        Item::default()
    })
    .unwrap();
    (Arc::new(pool), made)
}

#[derive(Clone, Copy, Debug)]
enum Waiter {
    Blocking,
    Timed,
    Async,
}

const WAITERS: [Waiter; 3] = [Waiter::Blocking, Waiter::Timed, Waiter::Async];

/// Starts a waiter of `kind` on another thread, and returns once it is
/// queued; the receiver gets what its acquire returned.
fn start_waiter(
    pool: &Arc<FixedPool<Item>>,
    kind: Waiter,
) -> mpsc::Receiver<Result<OwnedPooled<FixedPool<Item>>, PoolError>> {
    let (tx, rx) = mpsc::channel();
    let p = Arc::clone(pool);
    std::thread::spawn(move || {
        let got = match kind {
            Waiter::Blocking => p.get_owned_blocking(),
            Waiter::Timed => p.get_owned_timeout(LIMIT * 2),
            Waiter::Async => tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(p.get_owned_async()),
        };
        let _ = tx.send(got);
    });
    while pool.waiting() == 0 {
        std::thread::yield_now();
    }
    rx
}

/// The waiter is served, and the pool still has exactly one item.
fn assert_served(
    pool: &Arc<FixedPool<Item>>,
    rx: &mpsc::Receiver<Result<OwnedPooled<FixedPool<Item>>, PoolError>>,
    what: &str,
    kind: Waiter,
) {
    let got = rx
        .recv_timeout(LIMIT)
        .unwrap_or_else(|_| panic!("{kind:?} waiter never served after {what}"));
    let guard = got.unwrap_or_else(|e| panic!("{kind:?} waiter failed after {what}: {e}"));
    assert_eq!(pool.waiting(), 0);
    assert!(
        matches!(pool.try_get(), Err(PoolError::Exhausted { capacity: 1 })),
        "{what}: more than one item exists"
    );
    drop(guard);
    assert!(pool.try_get().is_ok(), "{what}: the item was lost");
}

#[test]
fn a_detached_item_is_owed_to_the_waiter() {
    for kind in WAITERS {
        let (pool, made) = pool_of_one();
        let held = pool.try_get().unwrap();
        let rx = start_waiter(&pool, kind);
        drop(pool_core::Pooled::detach(held));
        assert_served(&pool, &rx, "detach", kind);
        assert_eq!(
            made.load(SeqCst),
            2,
            "one item made to replace the detached one"
        );
    }
}

#[test]
fn an_owned_detached_item_is_owed_to_the_waiter() {
    for kind in WAITERS {
        let (pool, _) = pool_of_one();
        let held = pool.try_get_owned().unwrap();
        let rx = start_waiter(&pool, kind);
        drop(OwnedPooled::detach(held));
        assert_served(&pool, &rx, "an owned detach", kind);
    }
}

#[test]
fn a_stale_return_is_owed_to_the_waiter() {
    for kind in WAITERS {
        let (pool, _) = pool_of_one();
        let held = pool.try_get().unwrap();
        let rx = start_waiter(&pool, kind);
        pool.renew();
        drop(held);
        assert_served(&pool, &rx, "a stale return", kind);
        assert_eq!(pool.stats().discarded.stale, 1);
    }
}

#[test]
fn a_panicking_reset_is_owed_to_the_waiter() {
    for kind in WAITERS {
        let (pool, _) = pool_of_one();
        let mut held = pool.try_get().unwrap();
        held.panic_in_reset = true;
        let rx = start_waiter(&pool, kind);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(held))).is_err());
        assert_served(&pool, &rx, "a panicking Reset", kind);
        assert_eq!(pool.stats().discarded.panicked, 1);
    }
}

#[test]
fn a_panicking_heap_bytes_is_owed_to_the_waiter() {
    for kind in WAITERS {
        let (pool, _) = pool_of_one();
        let held = pool.try_get().unwrap();
        let rx = start_waiter(&pool, kind);
        held.panic_in_heap_bytes.store(true, SeqCst);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(held))).is_err());
        assert_served(&pool, &rx, "a panicking heap_bytes", kind);
        assert_eq!(pool.stats().discarded.panicked, 1);
    }
}

#[test]
fn a_panicking_heap_bytes_with_nobody_waiting_is_replaced() {
    let (pool, made) = pool_of_one();
    let held = pool.try_get().unwrap();
    held.panic_in_heap_bytes.store(true, SeqCst);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(held))).is_err());
    assert_eq!(pool.available(), 1);
    let g = pool.try_get().expect("the item is owed, not lost");
    assert_eq!(made.load(SeqCst), 2);
    assert_eq!(pool.available(), 0);
    drop(g);
}

#[test]
fn a_panicking_heap_bytes_on_the_way_out_loses_nothing() {
    let (pool, _) = pool_of_one();
    // The idle item panics when the next get measures it.
    {
        let g = pool.try_get().unwrap();
        let flag = Arc::clone(&g.panic_in_heap_bytes);
        drop(g);
        flag.store(true, SeqCst);
    }
    assert!(catch_unwind(AssertUnwindSafe(|| pool.try_get().map(drop))).is_err());
    let g = pool.try_get().expect("a replacement is owed");
    assert!(!g.panic_in_heap_bytes.load(SeqCst), "a fresh item");
}

/// The factory panics while making the owed item for a waiter: the waiter
/// sees the panic (it ran the factory), and the debt stays, so the next
/// acquire makes it.
#[test]
fn a_panicking_factory_keeps_the_debt() {
    let fail = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&fail);
    let pool = Arc::new(
        FixedPool::new(1, move || {
            assert!(!f.load(SeqCst), "factory failed");
            Item::default()
        })
        .unwrap(),
    );
    let held = pool.try_get().unwrap();
    let p = Arc::clone(&pool);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(|| p.get_blocking().map(drop)));
        let _ = tx.send(r.is_err());
    });
    while pool.waiting() == 0 {
        std::thread::yield_now();
    }
    fail.store(true, SeqCst);
    drop(pool_core::Pooled::detach(held));
    assert!(
        rx.recv_timeout(LIMIT).expect("waiter never woke"),
        "the waiter saw the factory's panic"
    );
    fail.store(false, SeqCst);
    assert!(pool.try_get().is_ok(), "the debt survived the panic");
}

/// Several waiters and several items leaving at once: every waiter is
/// served, in order, and never more than `count` items exist.
#[test]
fn many_waiters_each_get_an_owed_item() {
    let made = Arc::new(AtomicUsize::new(0));
    let m = Arc::clone(&made);
    let pool = Arc::new(
        FixedPool::new(3, move || {
            m.fetch_add(1, SeqCst);
            Item::default()
        })
        .unwrap(),
    );
    let held: Vec<_> = (0..3).map(|_| pool.try_get_owned().unwrap()).collect();
    let rxs: Vec<_> = (0..3)
        .map(|i| {
            let rx = start_waiter(&pool, WAITERS[i]);
            while pool.waiting() < i + 1 {
                std::thread::yield_now();
            }
            rx
        })
        .collect();
    for h in held {
        drop(OwnedPooled::detach(h));
    }
    let guards: Vec<_> = rxs
        .iter()
        .map(|rx| {
            rx.recv_timeout(LIMIT)
                .expect("a waiter was never served")
                .unwrap()
        })
        .collect();
    assert_eq!(made.load(SeqCst), 6);
    assert!(pool.try_get().is_err());
    drop(guards);
    assert_eq!(pool.available(), 3);
}
