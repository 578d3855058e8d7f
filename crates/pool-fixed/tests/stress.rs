//! Sixteen threads on a pool of four: never more than four out, no item
//! with two holders, nothing lost after close.

use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use pool_core::{Pooled, Reset};
use pool_fixed::FixedPool;

const THREADS: usize = 16;
const ROUNDS: usize = if cfg!(miri) { 8 } else { 5_000 };
const COUNT: usize = 4;

#[derive(Debug)]
struct Tagged {
    held: AtomicBool,
    live: Arc<AtomicIsize>,
}

impl Drop for Tagged {
    fn drop(&mut self) {
        self.live.fetch_sub(1, SeqCst);
    }
}

impl Reset for Tagged {
    fn reset(&mut self) {}
}

#[test]
fn sixteen_threads_on_four_items() {
    let live = Arc::new(AtomicIsize::new(0));
    let l = Arc::clone(&live);
    let pool = FixedPool::new(COUNT, move || {
        l.fetch_add(1, SeqCst);
        Tagged {
            held: AtomicBool::new(false),
            live: Arc::clone(&l),
        }
    })
    .unwrap();
    let out = AtomicUsize::new(0);
    let max_out = AtomicUsize::new(0);
    let barrier = Barrier::new(THREADS);
    // Detached items are the holder's, no longer the pool's: they are kept
    // here and counted (before the detach lets the pool owe a replacement)
    // so that `live - kept` is at most what the pool holds or owes.
    let kept = std::sync::Mutex::new(Vec::new());
    let kept_n = AtomicIsize::new(0);
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for t in 0..THREADS {
            let (pool, out, max_out, barrier, live) = (&pool, &out, &max_out, &barrier, &live);
            let (kept, kept_n) = (&kept, &kept_n);
            handles.push(s.spawn(move || {
                barrier.wait();
                for round in 0..ROUNDS {
                    let g = match round % 3 {
                        0 => pool.try_get().ok(),
                        1 => pool.get_timeout(Duration::from_millis(50)).ok(),
                        _ => pool.get_blocking().ok(),
                    };
                    let Some(g) = g else { continue };
                    assert!(!g.held.swap(true, SeqCst), "an item with two holders");
                    let now = out.fetch_add(1, SeqCst) + 1;
                    max_out.fetch_max(now, SeqCst);
                    assert!(now <= COUNT, "{now} items out of {COUNT}");
                    if round % 64 == 0 {
                        let st = pool.status();
                        assert!(st.available <= COUNT, "{st}");
                        assert_eq!(st.available + st.in_use, COUNT, "{st}");
                    }
                    // Live first: a replacement it counts was owed after its
                    // detached item was counted in `kept_n`.
                    let live_now = live.load(SeqCst);
                    let kept_now = kept_n.load(SeqCst);
                    assert!(
                        live_now - kept_now <= COUNT as isize,
                        "more than {COUNT} items exist in the pool's hands: {live_now} live, {kept_now} detached, round {round}, thread {t}\n{}",
                        pool.stats()
                    );
                    std::hint::spin_loop();
                    out.fetch_sub(1, SeqCst);
                    assert!(g.held.swap(false, SeqCst));
                    if (t + round) % 997 == 0 {
                        kept_n.fetch_add(1, SeqCst);
                        kept.lock().unwrap().push(Pooled::detach(g)); // replaced on demand
                    } else if (t + round) % 1999 == 0 {
                        pool.renew();
                    }
                }
            }));
        }
        // Joined: each thread's exit (its slot's item handed back) is over.
        for h in handles {
            h.join().unwrap();
        }
    });
    let s = pool.stats();
    assert_eq!(s.outstanding, 0, "{s}");
    assert_eq!(s.gets, s.hits + s.misses, "{s}");
    assert_eq!(s.gets, s.returns + s.discarded.total() + s.detached, "{s}");
    assert!(max_out.load(SeqCst) <= COUNT);
    let kept_n = kept_n.load(SeqCst);
    assert!(live.load(SeqCst) - kept_n <= COUNT as isize);
    pool.close();
    assert_eq!(live.load(SeqCst), kept_n, "close freed every idle item");
    drop(kept);
    assert_eq!(live.load(SeqCst), 0);
}

/// A new pool parks returned items with a plain store until its first
/// waiter (or `close`) switches it to swaps, once: a return racing that
/// first waiter must still reach it. Every round is a new pool of one
/// item, so every round races the switch.
#[test]
fn a_return_racing_the_pools_first_waiter_reaches_it() {
    let rounds = if cfg!(miri) { 8 } else { 2_000 };
    for round in 0..rounds {
        let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new).unwrap());
        let held = pool.try_get_owned().unwrap();
        let start = Arc::new(Barrier::new(2));
        let (p, s) = (Arc::clone(&pool), Arc::clone(&start));
        let waiter = std::thread::spawn(move || {
            s.wait();
            // A missed item would leave this waiter asleep until the
            // deadline: a failure, not a hang.
            p.get_timeout(Duration::from_secs(30)).map(|g| g.capacity())
        });
        start.wait();
        drop(held);
        assert!(
            waiter.join().unwrap().is_ok(),
            "round {round}: the return was missed"
        );
        let s = pool.stats();
        assert_eq!((s.outstanding, pool.available()), (0, 1), "round {round}");
    }
}

/// `close` racing a return on a new pool (the return parks plainly unless
/// it sees the switch `close` makes first): the item is freed either way,
/// never left parked in the returning thread's slot.
#[test]
fn close_racing_a_return_on_a_new_pool_frees_the_item() {
    let rounds = if cfg!(miri) { 8 } else { 2_000 };
    for round in 0..rounds {
        let live = Arc::new(AtomicIsize::new(1));
        let l = Arc::clone(&live);
        let pool = Arc::new(
            FixedPool::new(1, move || Tagged {
                held: AtomicBool::new(false),
                live: Arc::clone(&l),
            })
            .unwrap(),
        );
        let held = pool.try_get_owned().unwrap();
        let start = Arc::new(Barrier::new(2));
        let (p, s) = (Arc::clone(&pool), Arc::clone(&start));
        let closer = std::thread::spawn(move || {
            s.wait();
            p.close();
        });
        start.wait();
        drop(held);
        closer.join().unwrap();
        // The pool is still alive: only a freed item is not counted here.
        assert_eq!(
            live.load(SeqCst),
            0,
            "round {round}: the item stayed parked"
        );
        assert_eq!(pool.available(), 0, "round {round}");
    }
}

/// A new pool's owner takes and parks its item with plain stores until
/// the first steal switches the pool (`crate::slot`): a thief's first
/// steals racing the owner's light takes never give the item two holders,
/// and lose nothing. Every round is a new pool, so every round races the
/// switch.
#[test]
fn a_thiefs_first_steals_racing_the_owners_light_takes_never_share_the_item() {
    let rounds = if cfg!(miri) { 4 } else { 1_000 };
    let turns = if cfg!(miri) { 8 } else { 200 };
    for round in 0..rounds {
        let live = Arc::new(AtomicIsize::new(0));
        let l = Arc::clone(&live);
        let pool = FixedPool::new(1, move || {
            l.fetch_add(1, SeqCst);
            Tagged {
                held: AtomicBool::new(false),
                live: Arc::clone(&l),
            }
        })
        .unwrap();
        // Parked in this thread's slot: the thief finds the queue empty.
        drop(pool.try_get().unwrap());
        let barrier = Barrier::new(2);
        let use_it = |g: Pooled<'_, FixedPool<Tagged>>| {
            assert!(
                !g.held.swap(true, SeqCst),
                "round {round}: an item with two holders"
            );
            std::hint::spin_loop();
            g.held.store(false, SeqCst);
        };
        std::thread::scope(|s| {
            s.spawn(|| {
                barrier.wait();
                for _ in 0..turns {
                    if let Ok(g) = pool.try_get() {
                        use_it(g);
                    }
                }
            });
            barrier.wait();
            for _ in 0..turns {
                if let Ok(g) = pool.try_get() {
                    use_it(g);
                }
            }
        });
        let st = pool.status();
        assert_eq!((st.available, st.in_use), (1, 0), "round {round}: {st}");
        assert_eq!(live.load(SeqCst), 1, "round {round}: one item, never two");
    }
}
