//! Owned and frozen buffers hold a per-thread-counted hold on the pool,
//! not an `Arc`: the pool's memory lives until the last of them drops, on
//! any thread, in any order, and is freed then. What is freed is checked
//! by Miri's leak check and AddressSanitizer (CI runs this file under
//! both); what is counted is checked here.

use std::cell::RefCell;
use std::sync::{Arc, Barrier, mpsc};

use pool_core::Pool;
use pool_tiered::{OwnedTieredBuf, SharedBuf, TieredPool};

/// Iterations for the racing tests: fewer under Miri, which is slow.
fn rounds(native: usize) -> usize {
    if cfg!(miri) { 3 } else { native }
}

#[test]
fn owned_buffers_outlive_the_pool_on_any_thread() {
    let pool = TieredPool::new();
    let mut a = pool.get_owned(1000);
    let b = pool.get_owned(5000);
    let oversize = pool.get_owned(64 << 20);
    assert_eq!(
        pool.stats().total.outstanding,
        2,
        "the oversize one is not a class buffer"
    );
    drop(pool);
    a.extend_from_slice(b"still writable");
    assert_eq!(&a[..5], b"still");
    std::thread::spawn(move || drop(a)).join().unwrap();
    drop(oversize);
    drop(b); // the last: frees the pool here
}

#[test]
fn a_frozen_buffer_outlives_the_pool_and_its_last_clone_frees_it() {
    let pool = TieredPool::new();
    let mut owned = pool.get_owned(100);
    owned.extend_from_slice(b"owned");
    let from_owned = OwnedTieredBuf::freeze(owned);
    let mut borrowed = pool.get(100);
    borrowed.extend_from_slice(b"borrowed");
    let from_borrowed: SharedBuf = borrowed.freeze();
    drop(pool);
    let clones: Vec<SharedBuf> = (0..4).map(|_| from_borrowed.clone()).collect();
    drop(from_borrowed);
    let t = std::thread::spawn(move || {
        assert!(clones.iter().all(|c| &**c == b"borrowed"));
    });
    assert_eq!(&*from_owned, b"owned");
    drop(from_owned);
    t.join().unwrap();
}

#[test]
fn detach_after_the_pool_is_gone_keeps_the_bytes() {
    let pool = TieredPool::new();
    let mut buf = pool.get_owned(64);
    buf.extend_from_slice(b"kept");
    drop(pool);
    let v = OwnedTieredBuf::detach(buf);
    assert_eq!(v, b"kept");
}

#[test]
fn generic_owned_guards_outlive_the_pool() {
    let pool = Arc::new(TieredPool::new());
    let mut g = pool.try_get_owned().unwrap();
    g.push(7);
    let s = pool.stats();
    assert_eq!((s.total.gets, s.total.outstanding), (1, 1));
    drop(pool);
    std::thread::spawn(move || assert_eq!(g[0], 7))
        .join()
        .unwrap();
}

#[test]
fn owned_buffers_are_counted_like_borrowed_ones() {
    let pool = TieredPool::new();
    let bufs: Vec<_> = (0..6).map(|i| pool.get_owned(100 << i)).collect();
    assert_eq!(pool.stats().total.outstanding, 6);
    std::thread::spawn(move || drop(bufs)).join().unwrap();
    let s = pool.stats().total;
    assert_eq!((s.gets, s.returns, s.outstanding), (6, 6, 0), "{s}");
    drop(OwnedTieredBuf::detach(pool.get_owned(10)));
    assert_eq!(pool.stats().total.detached, 1);
}

thread_local! {
    static KEPT: RefCell<Vec<OwnedTieredBuf>> = const { RefCell::new(Vec::new()) };
}

#[test]
fn a_buffer_dropped_during_thread_local_destruction_after_the_pool_frees_it() {
    for pool_first in [true, false] {
        let pool = TieredPool::new();
        let (to_main, from_thread) = mpsc::channel();
        let (to_thread, from_main) = mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            if pool_first {
                drop(pool.get(10)); // the pool's thread-locals registered first
            }
            KEPT.with(|k| {
                k.borrow_mut()
                    .extend([pool.get_owned(10), pool.get_owned(3000)])
            });
            to_main.send(pool).unwrap();
            from_main.recv().unwrap();
        });
        drop(from_thread.recv().unwrap());
        to_thread.send(()).unwrap();
        t.join().unwrap();
    }
}

#[test]
fn the_pools_drop_racing_buffer_drops_frees_it_once() {
    for _ in 0..rounds(200) {
        let pool = TieredPool::new();
        let threads = 4;
        let start = Arc::new(Barrier::new(threads + 1));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let bufs: Vec<_> = (0..3).map(|j| pool.get_owned(64 << (i + j))).collect();
                let frozen = pool.get(32).freeze();
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    start.wait();
                    drop(bufs);
                    drop(frozen);
                })
            })
            .collect();
        start.wait();
        drop(pool);
        for h in handles {
            h.join().unwrap();
        }
    }
}

#[test]
fn clear_with_owned_buffers_out_stays_sound() {
    for _ in 0..rounds(100) {
        let mut pool = TieredPool::new();
        drop((pool.get(100), pool.get(5000)));
        let bufs: Vec<_> = (0..4).map(|_| pool.get_owned(100)).collect();
        let start = Arc::new(Barrier::new(2));
        let s2 = Arc::clone(&start);
        let t = std::thread::spawn(move || {
            s2.wait();
            drop(bufs);
        });
        start.wait();
        pool.clear();
        t.join().unwrap();
        pool.clear();
        assert_eq!(pool.stats().total.retained_bytes, 0);
    }
}
