//! Threads that come and go: buffers dropped while their thread's
//! thread-locals are destroyed, and 10,000 short-lived threads under a
//! byte cap. Threads whose exit a check counts on are joined.

use std::cell::RefCell;
use std::sync::{Arc, LazyLock};

use pool_tiered::{SharedBuf, TieredBuf, TieredPool};

static POOL: LazyLock<TieredPool> = LazyLock::new(TieredPool::new);

thread_local! {
    static KEPT: RefCell<Vec<TieredBuf<'static>>> = const { RefCell::new(Vec::new()) };
    static SHARED: RefCell<Vec<SharedBuf>> = const { RefCell::new(Vec::new()) };
}

#[test]
fn buffers_dropped_during_thread_local_destruction_come_back() {
    for pool_first in [true, false] {
        let before = POOL.stats().total;
        std::thread::spawn(move || {
            if pool_first {
                drop(POOL.get(100)); // the pool's thread-local first
            }
            KEPT.with(|k| k.borrow_mut().extend([POOL.get(1000), POOL.get(5000)]));
            let mut b = POOL.get(300);
            b.extend_from_slice(b"frozen");
            SHARED.with(|s| s.borrow_mut().push(b.freeze()));
            drop(POOL.get(100));
        })
        .join()
        .unwrap();
        let s = POOL.stats().total;
        let gets = s.gets - before.gets;
        assert_eq!(gets, if pool_first { 5 } else { 4 });
        assert_eq!(
            s.returns - before.returns,
            gets,
            "every buffer came back: {s}"
        );
        assert_eq!(s.outstanding, 0, "{s}");
    }
}

#[test]
fn ten_thousand_short_lived_threads_leave_nothing_stranded() {
    const MIB: usize = 1 << 20;
    let n = if cfg!(miri) { 8 } else { 10_000 };
    let pool = Arc::new(
        TieredPool::builder()
            .max_retained_bytes(16 * MIB)
            .build()
            .unwrap(),
    );
    // Waves of 8 at once, so that exiting threads' ids are not simply
    // reused by the next one.
    for wave in 0..n / 8 {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let pool = Arc::clone(&pool);
                std::thread::spawn(move || {
                    let mut a = pool.get(MIB);
                    a.push((wave + i) as u8);
                    drop((a, pool.get(4096)));
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
    assert_eq!(pool.threads(), 0);
    let s = pool.stats();
    assert_eq!(s.total.outstanding, 0);
    assert!(s.total.retained_bytes <= 16 * MIB as u64, "{s}");
    assert_eq!(s.total.discarded.over_byte_cap, 0, "{s}");
    // Exited threads' caches went to the spills: two trims free them all.
    pool.trim();
    pool.trim();
    let s = pool.stats();
    assert_eq!(
        (s.total.retained_items, s.total.retained_bytes),
        (0, 0),
        "{s}"
    );
    // The whole cap serves a live thread again: ten 1 MiB returns, all kept.
    let held: Vec<_> = (0..10).map(|_| pool.get(MIB)).collect();
    drop(held);
    let s = pool.stats();
    assert_eq!(s.total.discarded.over_byte_cap, 0, "{s}");
    assert_eq!(s.total.retained_bytes, 10 * MIB as u64, "{s}");
}

#[test]
fn one_slot_serves_every_class() {
    let pool = TieredPool::new();
    for len in [100, 1000, 10_000, 100_000, 1_000_000] {
        drop(pool.get(len));
    }
    assert_eq!(pool.threads(), 1);
    let s = pool.stats();
    assert_eq!((s.total.gets, s.total.returns), (5, 5));
    assert_eq!(s.recent_lengths.len(), 5);
}
