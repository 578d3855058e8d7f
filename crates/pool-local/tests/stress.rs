//! Eight threads, tagged items, cross-thread drops, detach and trim: no item
//! ever has two holders, and the accounting adds up afterwards.

mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::sync::{Arc, Barrier};

use common::{Tagged, Tracker, assert_accounting};
use pool_core::OwnedPooled;
use pool_local::LocalPool;

const THREADS: usize = 8;
const ROUNDS: usize = if cfg!(miri) { 20 } else { 20_000 };
const CAP: usize = 64 * 1024;

#[test]
fn eight_threads_never_share_an_item() {
    let tracker = Arc::new(Tracker::default());
    let t2 = Arc::clone(&tracker);
    let mut pool = Arc::new(
        LocalPool::builder()
            .cache_size(8)
            .spill_size(32)
            .max_item_bytes(4096)
            .max_retained_bytes(CAP)
            .build(move || Tagged::new(&t2, 512))
            .unwrap(),
    );
    let barrier = Barrier::new(THREADS);
    // Each thread sends some guards to the next one, which drops them.
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..THREADS)
        .map(|_| mpsc::channel::<OwnedPooled<LocalPool<Tagged>>>())
        .unzip();
    let mut detached = Vec::new();

    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (t, rx) in receivers.into_iter().enumerate() {
            let tx = senders[(t + 1) % THREADS].clone();
            let (pool, barrier) = (&pool, &barrier);
            handles.push(s.spawn(move || {
                let me = t as u64 + 1;
                let mut kept = Vec::new();
                barrier.wait();
                for round in 0..ROUNDS {
                    let mut a = pool.get_owned();
                    a.claim(me);
                    let b = pool.get();
                    b.claim(me);
                    a.buf.extend_from_slice(&me.to_le_bytes());
                    if round % 97 == 0 {
                        // Grow past the per-item limit: must be discarded.
                        a.buf.reserve(8192);
                    }
                    assert_eq!(a.buf[..8], me.to_le_bytes());
                    b.release(me);
                    drop(b);
                    a.release(me);
                    if round % 3 == 0 {
                        tx.send(a).unwrap();
                    } else if round % 1001 == 0 {
                        kept.push(OwnedPooled::detach(a));
                    } else {
                        drop(a);
                    }
                    while let Ok(g) = rx.try_recv() {
                        drop(g);
                    }
                    if round % 5000 == 0 {
                        pool.trim();
                    }
                }
                drop(tx);
                barrier.wait();
                // Everyone has stopped sending: drain what is left.
                while let Ok(g) = rx.try_recv() {
                    drop(g);
                }
                kept
            }));
        }
        drop(senders);
        for h in handles {
            detached.extend(h.join().unwrap());
        }
    });

    let s = pool.stats();
    assert_accounting(&s);
    assert_eq!(s.outstanding, 0, "{s}");
    assert_eq!(s.gets, (THREADS * ROUNDS * 2) as u64);
    assert_eq!(s.detached, detached.len() as u64);
    assert!(s.discarded.too_large > 0, "grown items were discarded: {s}");
    assert!(s.retained_bytes <= CAP as u64, "{s}");
    assert!(s.hit_rate() > 0.5, "{s}");
    // Nothing leaked: every live item is idle in the pool or detached.
    let live = tracker.live.load(SeqCst) as u64;
    assert_eq!(live, s.retained_items + detached.len() as u64, "{s}");
    drop(detached);
    Arc::get_mut(&mut pool).unwrap().clear();
    assert_eq!(tracker.live.load(SeqCst), 0);
    assert_eq!(pool.stats().retained_bytes, 0);
}

/// The reserve of prefilled items under contention: threads take and give
/// back (some on other threads), one thread prefills, trims and clears
/// nothing while another reads `memory()` and `stats()`: no item has two
/// holders, the byte cap holds at every reading, and afterwards every live
/// item is idle somewhere `memory()` names.
#[test]
fn prefill_trim_and_memory_race_with_gets_and_puts() {
    const WORKERS: usize = 4;
    let rounds = if cfg!(miri) { 30 } else { 10_000 };
    let tracker = Arc::new(Tracker::default());
    let t2 = Arc::clone(&tracker);
    let mut pool = Arc::new(
        LocalPool::builder()
            .cache_size(4)
            .spill_size(16)
            .max_retained_bytes(CAP)
            .build(move || Tagged::new(&t2, 1024))
            .unwrap(),
    );
    // Workers, the prefiller and the reader start together.
    let barrier = Barrier::new(WORKERS + 2);
    let (tx, rx) = mpsc::channel::<OwnedPooled<LocalPool<Tagged>>>();
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        // Joined one by one at the end: a scope alone returns before its
        // threads' thread-locals are destroyed, which is when their caches
        // go to the spill.
        let mut handles = Vec::new();
        for t in 0..WORKERS {
            let (pool, barrier, done, tx) = (&pool, &barrier, &done, tx.clone());
            handles.push(s.spawn(move || {
                let me = t as u64 + 1;
                barrier.wait();
                for round in 0..rounds {
                    let a = pool.get_owned();
                    a.claim(me);
                    let b = pool.get();
                    b.claim(me);
                    b.release(me);
                    drop(b);
                    a.release(me);
                    if round % 4 == 0 {
                        // Dropped on the receiving thread, below.
                        tx.send(a).unwrap();
                    } else {
                        drop(a);
                    }
                }
                done.fetch_add(1, SeqCst);
            }));
        }
        drop(tx);
        let (p, b, d) = (&pool, &barrier, &done);
        handles.push(s.spawn(move || {
            b.wait();
            while d.load(SeqCst) < WORKERS {
                let kept = p.prefill(usize::MAX);
                assert!(
                    kept <= 4 + 16,
                    "the reserve holds at most cache + spill: {kept}"
                );
                p.trim();
            }
        }));
        handles.push(s.spawn(move || {
            b.wait();
            while d.load(SeqCst) < WORKERS {
                let m = p.memory();
                let st = p.stats();
                assert!(st.retained_bytes <= CAP as u64, "{st}");
                assert!(m.spill.bytes + m.reserve.bytes <= CAP as u64, "{m:?}");
                // Guards in transit on the channel are dropped here.
                while let Ok(g) = rx.try_recv() {
                    drop(g);
                }
            }
            while let Ok(g) = rx.try_recv() {
                drop(g);
            }
        }));
        for h in handles {
            h.join().unwrap();
        }
    });
    let s = pool.stats();
    assert_accounting(&s);
    assert_eq!(s.outstanding, 0, "{s}");
    assert!(s.retained_bytes <= CAP as u64, "{s}");
    let m = pool.memory();
    assert_eq!(m.total().items, s.retained_items, "{m:?} vs {s}");
    assert_eq!(m.total().bytes, s.retained_bytes, "{m:?} vs {s}");
    // Every live item is idle in one of the places `memory()` names.
    assert_eq!(tracker.live.load(SeqCst) as u64, m.total().items, "{m:?}");
    Arc::get_mut(&mut pool).unwrap().clear();
    assert_eq!(tracker.live.load(SeqCst), 0);
}
