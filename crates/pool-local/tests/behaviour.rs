//! Behaviours named in the design: cross-thread returns, spill hand-off,
//! trim, the byte cap, and panic safety.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Barrier, mpsc};

use common::assert_accounting;
use pool_core::{Pool, PoolError, Pooled, Reset};
use pool_local::LocalPool;

#[test]
fn item_dropped_on_another_thread_joins_that_threads_cache() {
    let pool = LocalPool::new(|| Vec::<u8>::with_capacity(64));
    let g = pool.get();
    let ptr = g.as_ptr() as usize;
    std::thread::scope(|s| {
        s.spawn(|| {
            drop(g);
            // Same thread, next get: the very buffer it took back.
            let again = pool.get();
            assert_eq!(again.as_ptr() as usize, ptr);
        })
        // `join` waits for the thread's thread-locals to be destroyed (the
        // end of the scope alone does not).
        .join()
        .unwrap();
    });
    // That thread exited: its cache went to the spill, where this
    // thread's next get finds the same buffer.
    let back = pool.get();
    assert_eq!(back.as_ptr() as usize, ptr);
    let s = pool.stats();
    assert_eq!((s.hits, s.misses), (2, 1));
}

#[test]
fn producer_consumer_items_come_back_through_the_spill() {
    // The producer only takes, the consumer only drops: without the spill the
    // producer would miss forever.
    let pool = Arc::new(
        LocalPool::builder()
            .cache_size(16)
            .spill_size(256)
            .build(|| Vec::<u8>::with_capacity(256))
            .unwrap(),
    );
    let (tx, rx) = mpsc::sync_channel(4);
    let consumer = {
        std::thread::spawn(move || {
            for g in rx {
                drop::<pool_core::OwnedPooled<LocalPool<Vec<u8>>>>(g);
            }
        })
    };
    for _ in 0..if cfg!(miri) { 200 } else { 10_000 } {
        tx.send(pool.get_owned()).unwrap();
    }
    drop(tx);
    consumer.join().unwrap();
    let s = pool.stats();
    assert_accounting(&s);
    let floor = if cfg!(miri) { 0.7 } else { 0.9 };
    assert!(
        s.hit_rate() > floor,
        "batches came back to the producer: {s}"
    );
    assert!(s.misses < if cfg!(miri) { 60 } else { 100 }, "{s}");
}

#[test]
fn trim_frees_only_items_idle_through_two_trims() {
    let pool = LocalPool::builder()
        .cache_size(8)
        .build(|| vec![0u8; 100])
        .unwrap();
    let guards: Vec<_> = (0..4).map(|_| pool.get()).collect();
    drop(guards);
    assert_eq!(pool.stats().retained_items, 4);
    pool.trim();
    // Touch one item between the trims: the top of the stack is reused.
    drop(pool.get());
    pool.trim();
    let s = pool.stats();
    // The three untouched items went; the one used since the first trim stays.
    assert_eq!((s.trimmed, s.retained_items, s.retained_bytes), (3, 1, 100));
    pool.trim();
    assert_eq!(pool.stats().retained_items, 0);
}

#[test]
fn another_threads_cache_is_trimmed_at_its_next_use() {
    let pool = LocalPool::new(|| vec![0u8; 100]);
    let (go, wait) = (Barrier::new(2), Barrier::new(2));
    std::thread::scope(|s| {
        s.spawn(|| {
            drop((pool.get(), pool.get()));
            go.wait();
            wait.wait();
            // Two trims passed while this thread slept: its next get acts on them.
            let _g = pool.get();
        });
        go.wait();
        assert_eq!(pool.stats().retained_items, 2);
        pool.trim();
        pool.trim();
        assert_eq!(pool.stats().retained_items, 2, "not touched from here");
        wait.wait();
    });
    let s = pool.stats();
    assert_eq!((s.trimmed, s.misses), (2, 3), "{s}");
}

#[test]
fn retained_bytes_never_exceed_the_cap() {
    let pool = Arc::new(
        LocalPool::builder()
            .cache_size(64)
            .spill_size(1024)
            .max_item_bytes(1000)
            .max_retained_bytes(10_000)
            .build(|| Vec::<u8>::with_capacity(1000))
            .unwrap(),
    );
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..if cfg!(miri) { 3 } else { 50 } {
                    let burst: Vec<_> = (0..40).map(|_| pool.get()).collect();
                    drop(burst);
                    let r = pool.stats().retained_bytes;
                    assert!(r <= 10_000, "retained {r}");
                }
            });
        }
    });
    let s = pool.stats();
    assert_accounting(&s);
    assert!(s.retained_bytes <= 10_000, "{s}");
    assert!(s.discarded.over_byte_cap > 0, "{s}");
}

#[test]
fn grown_items_are_dropped_not_pooled() {
    let pool = LocalPool::builder()
        .max_item_bytes(4096)
        .build(|| Vec::<u8>::with_capacity(1024))
        .unwrap();
    {
        let mut g = pool.get();
        g.resize(8192, 1);
    }
    let s = pool.stats();
    assert_eq!((s.discarded.too_large, s.retained_items), (1, 0));
    assert_eq!(pool.get().capacity(), 1024);
}

struct Fragile {
    panic_on_reset: bool,
    data: Vec<u8>,
}

impl Reset for Fragile {
    fn reset(&mut self) {
        if self.panic_on_reset {
            panic!("reset failed");
        }
        self.data.clear();
    }
}

#[test]
fn panic_in_reset_drops_the_item_and_keeps_the_pool_usable() {
    let made = Arc::new(AtomicUsize::new(0));
    let m = Arc::clone(&made);
    let pool = LocalPool::new(move || {
        m.fetch_add(1, SeqCst);
        Fragile {
            panic_on_reset: false,
            data: Vec::with_capacity(8),
        }
    });
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut g = pool.get();
        g.data.push(1);
        g.panic_on_reset = true;
    }));
    assert!(r.is_err());
    let s = pool.stats();
    assert_eq!(
        (s.discarded.panicked, s.retained_items, s.outstanding),
        (1, 0, 0)
    );
    assert_accounting(&s);
    // Not half-reset into the pool: the next get makes a new one.
    let g = pool.get();
    assert!(g.data.is_empty() && !g.panic_on_reset);
    assert_eq!(made.load(SeqCst), 2);
}

#[test]
fn panic_in_factory_counts_nothing_and_the_pool_recovers() {
    let fail = Arc::new(AtomicBool::new(true));
    let f = Arc::clone(&fail);
    let pool = LocalPool::new(move || {
        if f.load(SeqCst) {
            panic!("factory failed");
        }
        Vec::<u8>::new()
    });
    assert!(catch_unwind(AssertUnwindSafe(|| drop(pool.get()))).is_err());
    assert_eq!(pool.stats().gets, 0);
    fail.store(false, SeqCst);
    drop(pool.get());
    let s = pool.stats();
    assert_eq!((s.gets, s.misses, s.returns), (1, 1, 1));
}

#[test]
fn panic_while_holding_a_guard_returns_the_item() {
    let pool = Arc::new(LocalPool::new(|| Vec::<u8>::with_capacity(32)));
    let p = Arc::clone(&pool);
    let r = std::thread::spawn(move || {
        let mut g = p.get();
        g.extend_from_slice(b"half-written");
        panic!("worker died");
    })
    .join();
    assert!(r.is_err());
    let s = pool.stats();
    assert_eq!((s.returns, s.outstanding), (1, 0));
    assert_accounting(&s);
    // Other threads are unaffected: no poisoning.
    assert!(pool.get().is_empty());
}

#[test]
fn generic_code_sees_the_same_pool_through_the_trait() {
    fn use_pool<P: Pool<Item = Vec<u8>>>(p: &P) -> usize {
        let mut g = p.try_get().unwrap();
        g.push(1);
        Pooled::detach(g).len()
    }
    let pool = LocalPool::new(Vec::new);
    assert_eq!(use_pool(&pool), 1);
    assert_eq!(Pool::stats(&pool).detached, 1);
}

#[test]
fn min_item_bytes_refuses_what_a_holder_shrank_swapped_or_took() {
    let pool = LocalPool::builder()
        .min_item_bytes(1024)
        .build(|| Vec::<u8>::with_capacity(1024))
        .unwrap();
    // Whatever the holder did through `DerefMut`, the next get has 1024.
    let mut a = pool.get();
    a.shrink_to_fit();
    let mut b = pool.get();
    let _taken = std::mem::take(&mut *b);
    let mut c = pool.get();
    let mut small = Vec::with_capacity(8);
    std::mem::swap(&mut *c, &mut small);
    let mut d = pool.get();
    d.clear(); // keeps the capacity: kept
    drop((a, b, c, d));
    let s = pool.stats();
    assert_eq!((s.discarded.too_small, s.returns), (3, 1), "{s}");
    for _ in 0..4 {
        assert!(pool.get().capacity() >= 1024);
    }
    // An item given from outside is held to the same bound.
    assert!(!pool.put(Vec::with_capacity(16)));
    assert!(pool.put(Vec::with_capacity(4096)));
    assert_eq!(pool.stats().prefilled, 1);
}

#[test]
fn min_item_bytes_over_max_item_bytes_is_refused() {
    let e = LocalPool::builder()
        .min_item_bytes(4096)
        .max_item_bytes(1024)
        .build(Vec::<u8>::new)
        .unwrap_err();
    assert!(
        matches!(
            e,
            PoolError::InvalidConfig {
                field: "min_item_bytes",
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("at most max_item_bytes (1024 bytes)"),
        "{e}"
    );
    // Any size is a valid minimum on its own (usize::MAX keeps nothing).
    let none_kept = LocalPool::builder()
        .min_item_bytes(usize::MAX)
        .build(|| Vec::<u8>::with_capacity(64))
        .unwrap();
    drop(none_kept.get());
    assert_eq!(none_kept.stats().discarded.too_small, 1);
}

#[test]
fn the_last_of_shared_cap_and_max_retained_bytes_wins() {
    let shared = pool_local::SharedByteCap::new(1 << 20).unwrap();
    // A shared cap, then a cap of the pool's own: the pool's own is used,
    // and the shared one is left alone.
    let own = pool_local::LocalPool::builder()
        .shared_cap(shared.clone())
        .max_retained_bytes(8192)
        .build(|| Vec::<u8>::with_capacity(4096))
        .unwrap();
    drop((own.get(), own.get(), own.get()));
    assert_eq!(shared.available(), 1 << 20, "the shared cap was not used");
    assert!(own.stats().retained_bytes <= 8192);
    // The other order: the shared cap is used.
    let on_shared = pool_local::LocalPool::builder()
        .max_retained_bytes(8192)
        .shared_cap(shared.clone())
        .build(|| Vec::<u8>::with_capacity(4096))
        .unwrap();
    drop(on_shared.get());
    assert!(shared.available() < 1 << 20, "the shared cap was used");
}

#[test]
fn a_warm_start_serves_other_threads_from_the_spill_and_never_overfills() {
    let pool = pool_local::LocalPool::builder()
        .cache_size(2)
        .spill_size(4)
        .max_retained_bytes(64 * 1024)
        .build(|| Vec::<u8>::with_capacity(1024))
        .unwrap();
    let kept = pool.prefill(usize::MAX);
    assert!(
        (2..=6).contains(&kept),
        "the cache and the spill, no more: {kept}"
    );
    let s = pool.stats();
    assert_eq!(
        (s.prefilled, s.retained_items, s.misses),
        (kept as u64, kept as u64, 0)
    );
    std::thread::scope(|t| {
        t.spawn(|| drop(pool.get()));
    });
    assert_eq!(
        pool.stats().misses,
        0,
        "another thread took a prefilled item from the spill"
    );
}
