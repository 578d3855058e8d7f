//! loom models of the waiting and waking paths and of the threads' slots
//! (park, the owner's take, steals): `RUSTFLAGS="--cfg pool_loom" cargo
//! test -p pool-fixed --release --lib loom_`.

use std::sync::Arc;

use loom::thread;
use pool_core::strategy::Recycle;
use pool_core::{OwnedPooled, PoolError};

use crate::FixedPool;
use crate::sync::current;
use crate::wait_queue::{Grant, Idle, Notify, WaitCell};

type Shared = Arc<FixedPool<Vec<u8>>>;
/// A thread blocked in `get`, returning the length of the item it got.
type Waiter = thread::JoinHandle<Result<usize, PoolError>>;

fn pool(n: usize) -> Shared {
    Arc::new(FixedPool::new(n, Vec::new).unwrap())
}

/// A pool of one whose item is held (renewed after it was taken, when
/// `renew`), and a thread blocked in `get` on it, returning the length of
/// the item it got or the error.
fn held_and_a_waiter(renew: bool) -> (Shared, OwnedPooled<FixedPool<Vec<u8>>>, Waiter) {
    let pool = pool(1);
    let held = pool.try_get_owned().unwrap();
    if renew {
        pool.renew();
    }
    let p = Arc::clone(&pool);
    let waiter = thread::spawn(move || p.get_blocking().map(|g| g.len()));
    (pool, held, waiter)
}

/// Exactly one item is idle: it can be taken, and then no other.
fn assert_one_idle(pool: &Shared, lost: &str, twice: &str) {
    let g = pool.try_get().expect(lost);
    assert!(pool.try_get().is_err(), "{twice}");
    drop(g);
}

/// A blocked acquire is always woken by a return: no lost wake-up. On a
/// new pool the return parks lightly (a store and a light fence) while
/// the waiter switches the pool to fenced parks before its look.
#[test]
fn loom_return_wakes_a_blocked_acquire() {
    loom::model(|| {
        let (pool, held, waiter) = held_and_a_waiter(false);
        drop(held);
        assert_eq!(waiter.join().unwrap(), Ok(0));
        assert_eq!(pool.stats().outstanding, 0);
    });
}

/// The same race once the pool has had a waiter: the return parks with
/// a store and a `SeqCst` fence (fenced parks, `crate::slot`), the waiter
/// fences after its debt, and one of the two sees the other.
#[test]
fn loom_a_fenced_park_racing_a_waiter_is_found() {
    loom::model(|| {
        let pool = pool(1);
        // What a first waiter does once per pool, here before the race.
        pool.state().fencing.switch_to_full();
        // Borrowed: an owned guard's release fences on its own.
        let held = pool.try_get().unwrap();
        let p = Arc::clone(&pool);
        let waiter = thread::spawn(move || p.get_blocking().map(|g| g.len()));
        drop(held);
        assert_eq!(waiter.join().unwrap(), Ok(0));
        assert_eq!(pool.stats().outstanding, 0);
    });
}

/// A `renew` racing a get that blocks: the renewal frees the idle item and
/// puts its replacement in the reserve, while the get takes the old item,
/// or waits and is served (the replacement, or the right to make one).
/// Either way the get ends with an item, and exactly one exists after.
#[test]
fn loom_renew_racing_a_waiter_serves_it_from_the_reserve() {
    loom::model(|| {
        let pool = pool(1);
        let p = Arc::clone(&pool);
        let getter = thread::spawn(move || p.get_blocking().map(|g| g.len()));
        pool.renew();
        assert_eq!(getter.join().unwrap(), Ok(0));
        assert_one_idle(&pool, "the item was lost", "two items exist");
        assert_eq!(pool.stats().outstanding, 0);
    });
}

/// An item detached while an acquire registers is owed to it: whichever
/// of the two goes first, the waiter gets an item (made by the factory)
/// and never more than one exists.
#[test]
fn loom_detach_wakes_a_blocked_acquire() {
    loom::model(|| {
        let (pool, held, waiter) = held_and_a_waiter(false);
        drop(OwnedPooled::detach(held));
        assert_eq!(waiter.join().unwrap(), Ok(0));
        assert_eq!(pool.stats().misses, 1, "one replacement made");
        assert!(pool.try_get().is_ok());
    });
}

/// A stale return (after `renew`) racing a waiter's registration: the
/// waiter is served.
#[test]
fn loom_stale_return_wakes_a_blocked_acquire() {
    loom::model(|| {
        let (pool, held, waiter) = held_and_a_waiter(true);
        drop(held);
        assert_eq!(waiter.join().unwrap(), Ok(0));
        assert_eq!(pool.stats().discarded.stale, 1);
    });
}

/// A waiter that gives up (as on a timeout) while the item comes back:
/// either it got the item or the item is idle in the pool; never lost,
/// never counted twice.
#[test]
fn loom_timeout_racing_a_return_loses_nothing() {
    loom::model(|| {
        let pool = pool(1);
        let held = pool.try_get_owned().unwrap();
        let p = Arc::clone(&pool);
        let waiter = thread::spawn(move || {
            let cell = WaitCell::new(Notify::Thread(current()));
            let got = match p.register(&cell) {
                Some(done) => done.is_ok(),
                // Give up at once, as a timeout firing now would.
                None => matches!(p.cancel(&cell), Some(Ok(_))),
            };
            if got {
                // The waiter holds the item: give it back idle.
                p.put_idle(
                    p.local(),
                    Idle {
                        item: Vec::new(),
                        generation: 0,
                    },
                );
            }
        });
        drop(held);
        waiter.join().unwrap();
        // Exactly one item is idle again.
        assert_one_idle(
            &pool,
            "the item was not lost",
            "the item was not duplicated",
        );
    });
}

/// A waiter that gives up while an owed item is granted to it passes the
/// grant on: the item stays owed, never lost, never made twice.
#[test]
fn loom_timeout_racing_a_detach_loses_nothing() {
    loom::model(|| {
        let pool = pool(1);
        let held = pool.try_get_owned().unwrap();
        let p = Arc::clone(&pool);
        let waiter = thread::spawn(move || {
            let cell = WaitCell::new(Notify::Thread(current()));
            match p.register(&cell) {
                // Served at once (made it): give the item back.
                Some(done) => {
                    let (item, ticket) = done.unwrap();
                    p.recycle(item, ticket);
                }
                None => {
                    if let Some(outcome) = p.cancel(&cell) {
                        assert!(matches!(outcome, Ok(Grant::Make)));
                        p.pass_on(outcome);
                    }
                }
            }
        });
        drop(OwnedPooled::detach(held));
        waiter.join().unwrap();
        assert_one_idle(&pool, "the owed item was not lost", "never two items");
    });
}

/// A pool of one whose item is held, a first waiter queued on this thread,
/// then `late` run on a second thread while the item is returned: `late`
/// (true if it was served) must never be served, and the first waiter
/// must get the item. The first waiter is woken through a waker that does
/// nothing: it never sleeps, and an unpark of the model's main thread
/// would confuse `join`.
fn the_first_waiter_is_served_before(late: impl FnOnce(Shared) -> bool + Send + 'static) {
    let pool = pool(1);
    let held = pool.try_get_owned().unwrap();
    let first = WaitCell::new(Notify::Waker(std::task::Waker::noop().clone()));
    assert!(pool.register(&first).is_none(), "the item is held");
    let p = Arc::clone(&pool);
    let late = thread::spawn(move || late(p));
    drop(held);
    assert!(!late.join().unwrap(), "a later arrival was served first");
    let outcome = first.take_outcome().expect("the first waiter is served");
    let (item, ticket) = pool.finish(outcome).unwrap();
    pool.recycle(item, ticket);
    assert_one_idle(&pool, "the item was not lost", "never two items");
}

/// An item returned while a second waiter registers goes to the first:
/// the second's last look may find it parked in the returning thread's
/// slot, and must hand it to the oldest waiter, not keep it.
#[test]
fn loom_an_item_returned_while_a_later_waiter_registers_goes_to_the_first() {
    loom::model(|| {
        the_first_waiter_is_served_before(|p| {
            let cell = WaitCell::new(Notify::Thread(current()));
            match p.register(&cell) {
                Some(done) => done.is_ok(),
                // Give up now: served only if it was handed the item.
                None => match p.cancel(&cell) {
                    Some(outcome) => {
                        p.pass_on(outcome);
                        true
                    }
                    None => false,
                },
            }
        });
    });
}

/// A get that arrives while an item is returned to a queued waiter never
/// takes it (the item may sit parked in the returning thread's slot for a
/// moment, on its way to the waiter).
#[test]
fn loom_a_get_arriving_while_an_item_returns_to_a_waiter_never_takes_it() {
    loom::model(|| the_first_waiter_is_served_before(|p| p.try_get().is_ok()));
}

/// Closing wakes a blocked acquire with `Closed`.
#[test]
fn loom_close_wakes_a_blocked_acquire() {
    loom::model(|| {
        let (pool, held, waiter) = held_and_a_waiter(false);
        pool.close();
        assert_eq!(waiter.join().unwrap(), Err(PoolError::Closed));
        drop(held);
        assert_eq!(pool.stats().discarded.closed, 1);
    });
}

/// Two threads returning and taking concurrently on a pool of one:
/// never two holders, and the item ends idle.
#[test]
fn loom_two_threads_share_one_item() {
    loom::model(|| {
        let pool = pool(1);
        let handles: Vec<_> = (0..2u8)
            .map(|me| {
                let p = Arc::clone(&pool);
                thread::spawn(move || {
                    if let Ok(mut g) = p.try_get() {
                        assert!(g.is_empty());
                        g.push(me);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert!(pool.try_get().is_ok());
    });
}

/// A thief steals from a thread's slot while its owner takes from it and
/// parks again: the item has one holder at a time, a park that meets a
/// thief mid-read sends the item to the queue, and one item ends idle.
#[test]
fn loom_steal_racing_the_owners_take_and_park() {
    loom::model(|| {
        let pool = pool(1);
        // Parked in the main thread's slot.
        drop(pool.try_get().unwrap());
        let p = Arc::clone(&pool);
        let thief = thread::spawn(move || {
            if let Ok(mut g) = p.try_get() {
                assert!(g.is_empty(), "a second holder wrote it");
                g.push(2);
            }
        });
        for _ in 0..2 {
            if let Ok(mut g) = pool.try_get() {
                assert!(g.is_empty(), "a second holder wrote it");
                g.push(1);
            }
        }
        thief.join().unwrap();
        assert_one_idle(&pool, "the item was not lost", "never two items");
        assert_eq!(pool.stats().outstanding, 0);
    });
}

/// `close` racing a return that parks in the returning thread's slot: the
/// item is freed by one of them (discarded as closed or trimmed), never
/// left parked in a closed pool.
#[test]
fn loom_close_racing_a_park_leaves_nothing_idle() {
    loom::model(|| {
        let pool = pool(1);
        let held = pool.try_get_owned().unwrap();
        let p = Arc::clone(&pool);
        let returner = thread::spawn(move || drop(held));
        p.close();
        returner.join().unwrap();
        let s = pool.stats();
        assert_eq!(s.discarded.closed + s.trimmed, 1, "{s}");
        assert_eq!(s.retained_items, 0, "an item stayed parked: {s}");
        assert_eq!(pool.status().available, 0);
    });
}
