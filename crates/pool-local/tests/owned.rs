//! Owned guards hold a per-thread-counted anchor, not an `Arc` of the
//! pool: the promises at their edges. The pool's memory (its caches and
//! every item idle in them) lives until the last owned guard drops, on any
//! thread, in any order, and is freed then; `Tracker::live` counts the
//! items alive, so "freed" is checked, not assumed (Miri's leak check and
//! AddressSanitizer check the rest of the memory).

mod common;

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, mpsc};

use common::{Tagged, Tracker, assert_accounting};
use pool_core::OwnedPooled;
use pool_local::LocalPool;

type Pool = LocalPool<Tagged>;

fn pool(tracker: &Arc<Tracker>) -> Pool {
    let t = Arc::clone(tracker);
    LocalPool::new(move || Tagged::new(&t, 64))
}

fn live(tracker: &Tracker) -> i64 {
    tracker.live.load(SeqCst)
}

/// Iterations for the racing tests: fewer under Miri, which is slow.
fn rounds(native: usize) -> usize {
    if cfg!(miri) { 4 } else { native }
}

#[test]
fn owned_guards_outlive_the_pool_and_the_last_drop_frees_it() {
    let tracker = Arc::new(Tracker::default());
    let pool = pool(&tracker);
    drop((pool.get(), pool.get(), pool.get())); // three items made
    let a = pool.get_owned();
    let b = pool.get_owned();
    assert_eq!(pool.stats().outstanding, 2);
    drop(pool);
    assert_eq!(
        live(&tracker),
        3,
        "the pool's memory, its idle item included, lives on"
    );
    drop(a);
    assert_eq!(
        live(&tracker),
        3,
        "one guard is still out: the pool lives, its cache too"
    );
    drop(b);
    assert_eq!(
        live(&tracker),
        0,
        "the last guard freed the pool and every item in it"
    );
}

#[test]
fn the_pool_with_nothing_out_is_freed_by_its_handle() {
    let tracker = Arc::new(Tracker::default());
    let pool = pool(&tracker);
    drop(pool.get_owned());
    drop((pool.get(), pool.get()));
    drop(pool);
    assert_eq!(live(&tracker), 0);
}

#[test]
fn guards_dropped_on_other_threads_after_the_pool_free_it_once() {
    let tracker = Arc::new(Tracker::default());
    let pool = pool(&tracker);
    let guards: Vec<_> = (0..8).map(|_| pool.get_owned()).collect();
    drop(pool);
    let handles: Vec<_> = guards
        .into_iter()
        .map(|g| std::thread::spawn(move || drop(g)))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(live(&tracker), 0);
}

#[test]
fn a_guard_taken_by_a_thread_that_exited_keeps_and_frees_the_pool() {
    let tracker = Arc::new(Tracker::default());
    let pool = Arc::new(pool(&tracker));
    let p = Arc::clone(&pool);
    // The taker exits: its cache goes back to the pool, its count stays
    // with the slot.
    let guards = std::thread::spawn(move || (p.get_owned(), p.get_owned()))
        .join()
        .unwrap();
    assert_eq!(pool.threads(), 0, "the taker's slot was handed back");
    drop(pool);
    drop(guards.0);
    // A new thread takes the taker's slot over, then drops the last guard.
    std::thread::spawn(move || drop(guards.1)).join().unwrap();
    assert_eq!(live(&tracker), 0);
}

thread_local! {
    static KEPT: RefCell<Vec<OwnedPooled<Pool>>> = const { RefCell::new(Vec::new()) };
}

#[test]
fn a_guard_dropped_during_thread_local_destruction_after_the_pool_frees_it() {
    // Both orders: the pool's per-thread state destroyed before the
    // thread-local that holds the guards (the guard finds no slot and
    // counts centrally), and after it.
    for pool_first in [true, false] {
        let tracker = Arc::new(Tracker::default());
        let pool = pool(&tracker);
        let (to_main, from_thread) = mpsc::channel();
        let (to_thread, from_main) = mpsc::channel::<()>();
        let guards = (pool.get_owned(), pool.get_owned());
        let t = std::thread::spawn(move || {
            if pool_first {
                drop(pool.get()); // the pool's thread-locals registered first
            }
            KEPT.with(|k| {
                k.borrow_mut()
                    .extend([guards.0, guards.1, pool.get_owned()])
            });
            to_main.send(pool).unwrap();
            from_main.recv().unwrap();
            // The thread exits with three guards in a thread-local.
        });
        drop(from_thread.recv().unwrap()); // the pool's handle, dropped here
        assert!(live(&tracker) >= 3, "three guards are out");
        to_thread.send(()).unwrap();
        t.join().unwrap();
        assert_eq!(live(&tracker), 0, "pool_first={pool_first}");
    }
}

#[test]
fn the_pools_drop_racing_guard_drops_frees_it_exactly_once() {
    for _ in 0..rounds(200) {
        let tracker = Arc::new(Tracker::default());
        let pool = pool(&tracker);
        let threads = 4;
        let start = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let guards: Vec<_> = (0..3).map(|_| pool.get_owned()).collect();
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    start.wait();
                    // Some drop at once, some after a little work.
                    for (j, g) in guards.into_iter().enumerate() {
                        if (i + j) % 2 == 0 {
                            std::hint::black_box(&g.buf);
                        }
                        drop(g);
                    }
                })
            })
            .collect();
        start.wait();
        drop(pool);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(live(&tracker), 0);
    }
}

/// Each guard is taken and dropped on the same thread (its count goes up
/// and down in that thread's slot, with plain stores) while another
/// thread drops the pool: every release must be either in the sum the
/// pool's drop takes or counted after it, never in neither (a leak) nor
/// both (an early free).
#[test]
fn guards_dropped_on_their_taking_threads_racing_the_pools_drop_free_it_once() {
    for _ in 0..rounds(300) {
        let tracker = Arc::new(Tracker::default());
        let pool = Arc::new(pool(&tracker));
        let threads = 4;
        let taken = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let pool = Arc::clone(&pool);
                let taken = Arc::clone(&taken);
                std::thread::spawn(move || {
                    let guards: Vec<_> = (0..3).map(|_| pool.get_owned()).collect();
                    // The handle is the main thread's alone from here.
                    drop(pool);
                    taken.wait();
                    for (j, g) in guards.into_iter().enumerate() {
                        if (i + j) % 2 == 0 {
                            std::hint::black_box(&g.buf);
                        }
                        drop(g);
                    }
                })
            })
            .collect();
        taken.wait();
        let pool = Arc::into_inner(pool).expect("the last handle");
        drop(pool);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(live(&tracker), 0, "the pool and every item freed");
    }
}

#[test]
fn owned_guards_are_counted_like_borrowed_ones() {
    let tracker = Arc::new(Tracker::default());
    let pool = Arc::new(pool(&tracker));
    let guards: Vec<_> = (0..5).map(|_| pool.get_owned()).collect();
    let s = pool.stats();
    assert_eq!((s.gets, s.outstanding), (5, 5), "{s}");
    let p = Arc::clone(&pool);
    std::thread::spawn(move || {
        drop(guards);
        drop(p.get_owned());
    })
    .join()
    .unwrap();
    let s = pool.stats();
    assert_accounting(&s);
    assert_eq!((s.gets, s.returns, s.outstanding), (6, 6, 0), "{s}");
    let detached = OwnedPooled::detach(pool.get_owned());
    drop(detached);
    assert_eq!(pool.stats().detached, 1);
    drop(pool);
    assert_eq!(live(&tracker), 0);
}

#[test]
fn clear_with_owned_guards_out_frees_what_it_can_and_stays_sound() {
    // `clear` takes `&mut self`, but owned guards out may be dropped on
    // other threads meanwhile: it must not touch their caches then (Miri
    // and ThreadSanitizer check that it does not).
    for _ in 0..rounds(100) {
        let tracker = Arc::new(Tracker::default());
        let mut pool = pool(&tracker);
        drop((pool.get(), pool.get()));
        let guards: Vec<_> = (0..4).map(|_| pool.get_owned()).collect();
        let start = Arc::new(Barrier::new(2));
        let s2 = Arc::clone(&start);
        let t = std::thread::spawn(move || {
            s2.wait();
            drop(guards);
        });
        start.wait();
        pool.clear();
        t.join().unwrap();
        pool.clear();
        pool.clear(); // nothing out any more: every cache is cleared
        assert_eq!(pool.stats().retained_items, 0);
        assert_eq!(live(&tracker), 0, "cleared everywhere");
        drop(pool);
    }
}

/// An item whose reset panics while `PANIC` is set.
struct Touchy(Arc<AtomicUsize>);

static PANIC: AtomicBool = AtomicBool::new(false);

impl Drop for Touchy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl pool_core::Reset for Touchy {
    fn reset(&mut self) {
        assert!(!PANIC.load(SeqCst), "reset refused");
    }
}

#[test]
fn a_panicking_reset_in_the_last_owned_guard_still_frees_the_pool() {
    let alive = Arc::new(AtomicUsize::new(0));
    let a = Arc::clone(&alive);
    let pool = LocalPool::new(move || {
        a.fetch_add(1, SeqCst);
        Touchy(Arc::clone(&a))
    });
    drop(pool.get()); // one idle
    let g = pool.get_owned();
    drop(pool);
    PANIC.store(true, SeqCst);
    let r = std::thread::spawn(move || drop(g)).join();
    PANIC.store(false, SeqCst);
    assert!(r.is_err(), "the reset's panic goes on");
    assert_eq!(
        alive.load(SeqCst),
        0,
        "the item and the idle one were dropped"
    );
    // The closure's own `Arc` clone went with the pool's memory.
    assert_eq!(Arc::strong_count(&alive), 1);
}

#[test]
fn a_static_pool_gives_static_borrowed_guards() {
    static POOL: std::sync::LazyLock<LocalPool<Vec<u8>>> =
        std::sync::LazyLock::new(|| LocalPool::new(|| Vec::with_capacity(32)));
    let mut g = POOL.get();
    g.push(1);
    // `'static`: it moves to another thread like an owned one.
    std::thread::spawn(move || assert_eq!(*g, [1]))
        .join()
        .unwrap();
    assert_eq!(POOL.stats().returns, 1);
}
