//! Owned guards hold no `Arc` of the ring and write no count: a busy slot
//! is the guard's hold (an item made because the ring was full counts
//! centrally). The ring's memory (and its items) lives until the last
//! owned guard drops, on any thread, in any order, and is freed then.

use std::sync::atomic::{AtomicI64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use pool_core::{OwnedPooled, Reset};
use pool_ring::{OnFull, RingPool};

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

fn pool(count: usize, live: &Arc<AtomicI64>) -> RingPool<Counted> {
    let l = Arc::clone(live);
    RingPool::builder()
        .capacity(count)
        .probes(count)
        .on_full(OnFull::Fail)
        .build(move || Counted::new(&l))
        .unwrap()
}

fn rounds(native: usize) -> usize {
    if cfg!(miri) { 3 } else { native }
}

#[test]
fn owned_guards_outlive_the_pool_and_the_last_drop_frees_it() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(4, &live);
    let a = pool.try_get_owned().unwrap();
    let b = pool.try_get_owned().unwrap();
    assert_eq!(pool.stats().outstanding, 2);
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
fn detach_after_the_pool_is_gone_keeps_the_item() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(1, &live);
    let g = pool.try_get_owned().unwrap();
    drop(pool);
    let kept = OwnedPooled::detach(g);
    assert_eq!(live.load(SeqCst), 1, "only the detached item is left");
    drop(kept);
    assert_eq!(live.load(SeqCst), 0);
}

#[test]
fn owned_guards_are_counted_and_the_bound_holds() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(4, &live);
    let guards: Vec<_> = (0..4).map(|_| pool.try_get_owned().unwrap()).collect();
    assert!(
        pool.try_get_owned().is_err(),
        "never more than 4 out (OnFull::Fail)"
    );
    std::thread::spawn(move || drop(guards)).join().unwrap();
    let s = pool.stats();
    assert_eq!((s.gets, s.returns, s.outstanding), (4, 4, 0), "{s}");
    assert!(pool.try_get_owned().is_ok(), "the slots are free again");
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

/// Guards taken and dropped on worker threads, some of them made because
/// the ring was full (counted centrally), while the main thread drops the
/// pool: each release either frees its slot before the pool's drop marks
/// it, or finds the mark and counts down; the ring is freed once, after
/// the last, with every item.
#[test]
fn guards_dropped_on_their_taking_threads_racing_the_pools_drop_free_it_once() {
    for _ in 0..rounds(300) {
        let live = Arc::new(AtomicI64::new(0));
        let l = Arc::clone(&live);
        let pool = Arc::new(
            RingPool::builder()
                .capacity(8)
                .probes(8)
                .build(move || Counted::new(&l))
                .unwrap(),
        );
        let threads = 4;
        let taken = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let pool = Arc::clone(&pool);
                let taken = Arc::clone(&taken);
                std::thread::spawn(move || {
                    // 12 guards from an 8-slot ring: some are fallbacks.
                    let guards: Vec<_> = (0..3).map(|_| pool.get_owned()).collect();
                    drop(pool);
                    taken.wait();
                    drop(guards);
                })
            })
            .collect();
        taken.wait();
        let pool = Arc::into_inner(pool).expect("the last handle");
        drop(pool);
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(live.load(SeqCst), 0, "the ring and every item freed");
    }
}

/// An item whose `reset` or `heap_bytes` panics while its flag is set.
struct Touchy {
    _live: Counted,
    panic_in_reset: bool,
    panic_in_bytes: bool,
}

impl Reset for Touchy {
    fn reset(&mut self) {
        assert!(!self.panic_in_reset, "reset refused");
    }
    fn heap_bytes(&self) -> usize {
        assert!(!self.panic_in_bytes, "heap_bytes refused");
        8
    }
}

fn touchy(count: usize, live: &Arc<AtomicI64>, on_full: OnFull) -> RingPool<Touchy> {
    let l = Arc::clone(live);
    RingPool::builder()
        .capacity(count)
        .probes(count)
        .on_full(on_full)
        .build(move || Touchy {
            _live: Counted::new(&l),
            panic_in_reset: false,
            panic_in_bytes: false,
        })
        .unwrap()
}

fn quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
}

#[test]
fn guards_of_items_made_when_full_outlive_the_pool_and_the_last_frees_it() {
    let live = Arc::new(AtomicI64::new(0));
    let l = Arc::clone(&live);
    let pool = RingPool::builder()
        .capacity(1)
        .on_full(OnFull::Allocate)
        .build(move || Counted::new(&l))
        .unwrap();
    let in_slot = pool.get_owned();
    let made = pool.get_owned(); // the ring is full: made, counted centrally
    let made_too = pool.try_get_owned().unwrap();
    assert_eq!(pool.stats().misses, 2);
    drop(pool);
    assert_eq!(live.load(SeqCst), 3);
    std::thread::spawn(move || drop(made)).join().unwrap();
    assert_eq!(live.load(SeqCst), 2, "no slot was free for it: dropped");
    drop(in_slot);
    assert_eq!(
        live.load(SeqCst),
        2,
        "the ring (with the slot's item) waits for the last guard"
    );
    std::thread::spawn(move || drop(made_too)).join().unwrap();
    assert_eq!(live.load(SeqCst), 0, "the last guard freed the ring");
}

#[test]
fn a_panicking_reset_or_heap_bytes_frees_the_slot_even_after_the_pool_is_gone() {
    for in_bytes in [false, true] {
        let live = Arc::new(AtomicI64::new(0));
        let pool = touchy(2, &live, OnFull::Fail);
        let mut a = pool.try_get_owned().unwrap();
        let mut b = pool.try_get().unwrap();
        a.panic_in_reset = !in_bytes;
        a.panic_in_bytes = in_bytes;
        b.panic_in_reset = !in_bytes;
        b.panic_in_bytes = in_bytes;
        assert!(
            quietly(|| drop(b)).is_err(),
            "the borrowed guard's drop panics"
        );
        let s = pool.stats();
        assert_eq!((s.discarded.panicked, s.outstanding), (1, 1), "{s}");
        // The slot was freed empty: the ring still serves it (refilled).
        let again = pool.try_get().expect("the slot is free again");
        drop(again);
        assert_eq!(pool.stats().misses, 1);
        drop(pool);
        assert_eq!(live.load(SeqCst), 2, "a keeps the ring");
        assert!(
            std::thread::spawn(move || quietly(|| drop(a)).is_err())
                .join()
                .unwrap(),
            "the owned guard's drop panics"
        );
        assert_eq!(
            live.load(SeqCst),
            0,
            "and still freed the ring: in_bytes {in_bytes}"
        );
    }
}

/// Counts the calls of its `heap_bytes`.
struct Measured;

static MEASURED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Reset for Measured {
    fn reset(&mut self) {}
    fn heap_bytes(&self) -> usize {
        MEASURED.fetch_add(1, SeqCst);
        8
    }
}

#[test]
fn a_get_never_calls_heap_bytes() {
    // The bytes a get counts out are the ones its item came in with: no
    // user code runs on a get (so none can panic there).
    let pool = RingPool::builder().capacity(1).build(|| Measured).unwrap();
    assert_eq!(MEASURED.load(SeqCst), 1, "the prefill measures");
    for round in 1..=3 {
        let g = pool.try_get().unwrap();
        assert_eq!(MEASURED.load(SeqCst), round, "the get did not measure");
        drop(g);
        assert_eq!(MEASURED.load(SeqCst), round + 1, "the put did");
    }
    let s = pool.stats();
    assert_eq!((s.gets, s.returns, s.retained_bytes), (3, 3, 8), "{s}");
}

thread_local! {
    static KEPT: std::cell::RefCell<Vec<OwnedPooled<RingPool<Counted>>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

#[test]
fn owned_guards_dropped_in_thread_local_destructors_after_the_pool_free_it() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(4, &live);
    let guards: Vec<_> = (0..4).map(|_| pool.try_get_owned().unwrap()).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        KEPT.with(|k| k.borrow_mut().extend(guards));
        // Exits holding them: they drop with the thread's locals.
        tx.send(()).unwrap();
    });
    rx.recv().unwrap();
    drop(pool);
    t.join().unwrap();
    assert_eq!(live.load(SeqCst), 0, "the thread's exit freed the ring");
}

#[test]
fn thousands_of_short_lived_threads_drop_owned_guards() {
    let live = Arc::new(AtomicI64::new(0));
    let pool = pool(8, &live);
    for _ in 0..rounds(2000) {
        let g = pool.try_get_owned().unwrap();
        std::thread::spawn(move || drop(g)).join().unwrap();
    }
    let s = pool.stats();
    assert_eq!(
        (s.gets, s.returns, s.outstanding),
        (rounds(2000) as u64, rounds(2000) as u64, 0)
    );
    let last = pool.try_get_owned().unwrap();
    drop(pool);
    assert_eq!(live.load(SeqCst), 8);
    drop(last);
    assert_eq!(live.load(SeqCst), 0);
}
