//! Sixteen threads on a small ring: each holder writes its thread id into
//! the item and checks it is still there before release, so two holders of
//! one slot would be caught.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use pool_core::{OwnedPooled, Pooled, Reset};
use pool_ring::{OnFull, RingPool};

const THREADS: u64 = 16;
const ROUNDS: usize = if cfg!(miri) { 10 } else { 20_000 };

#[derive(Debug, Default)]
struct Tagged {
    holder: AtomicU64,
    data: Vec<u64>,
}

impl Reset for Tagged {
    fn reset(&mut self) {
        self.data.clear();
    }
    fn heap_bytes(&self) -> usize {
        self.data.capacity() * 8
    }
}

fn hold(item: &mut Tagged, me: u64) {
    assert_eq!(item.holder.swap(me, SeqCst), 0, "an item with two holders");
    item.data.push(me);
}

fn release(item: &mut Tagged, me: u64) {
    assert_eq!(item.data, [me], "someone else wrote into a held item");
    assert_eq!(item.holder.swap(0, SeqCst), me, "an item with two holders");
}

#[test]
fn sixteen_threads_never_share_a_slot() {
    for on_full in [OnFull::Allocate, OnFull::Fail] {
        let pool = Arc::new(
            RingPool::builder()
                .capacity(4)
                .on_full(on_full)
                .build(|| Tagged {
                    holder: AtomicU64::new(0),
                    data: Vec::with_capacity(4),
                })
                .unwrap(),
        );
        let detached = AtomicU64::new(0);
        std::thread::scope(|s| {
            for me in 1..=THREADS {
                let (pool, detached) = (&pool, &detached);
                s.spawn(move || {
                    for round in 0..ROUNDS {
                        let Ok(mut g) = pool.try_get() else { continue };
                        hold(&mut g, me);
                        std::hint::spin_loop();
                        release(&mut g, me);
                        if round % 1000 == 999 {
                            drop(Pooled::detach(g));
                            detached.fetch_add(1, SeqCst);
                        }
                    }
                });
            }
        });
        let s = pool.stats();
        assert_eq!(s.outstanding, 0, "{s}");
        assert_eq!(s.gets, s.hits + s.misses, "{s}");
        assert_eq!(s.gets, s.returns + s.discarded.total() + s.detached, "{s}");
        assert_eq!(s.detached, detached.load(SeqCst));
        if on_full == OnFull::Fail {
            // Only detached slots are ever refilled.
            assert!(s.misses <= s.detached, "{s}");
        }
        // Owned guards cross threads too.
        let mut g: OwnedPooled<RingPool<Tagged>> = pool
            .try_get_owned()
            .unwrap_or_else(|_| panic!("a quiet ring has a free slot"));
        hold(&mut g, 99);
        std::thread::spawn(move || {
            release(&mut g, 99);
            drop(g);
        })
        .join()
        .unwrap();
        assert_eq!(pool.stats().outstanding, 0);
    }
}
