//! A proptest model: random try_get, acquire with a timeout, drop,
//! detach, close and reset against a simple model.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use pool_core::{PoolError, Pooled, Reset};
use pool_fixed::FixedPool;
use proptest::prelude::*;

#[derive(Debug)]
struct Item {
    id: u64,
    live: Arc<AtomicIsize>,
}

impl Drop for Item {
    fn drop(&mut self) {
        self.live.fetch_sub(1, SeqCst);
    }
}

impl Reset for Item {
    fn reset(&mut self) {}
}

#[derive(Debug, Clone)]
enum Op {
    TryAcquire,
    AcquireTimeout,
    Drop(usize),
    Detach(usize),
    Close,
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::TryAcquire),
        1 => Just(Op::AcquireTimeout),
        3 => any::<usize>().prop_map(Op::Drop),
        1 => any::<usize>().prop_map(Op::Detach),
        1 => Just(Op::Close),
        1 => Just(Op::Reset),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 256 }, ..ProptestConfig::default() })]

    #[test]
    fn pool_matches_model(count in 1usize..5, ops in proptest::collection::vec(op(), 1..80)) {
        let live = Arc::new(AtomicIsize::new(0));
        let ids = Arc::new(AtomicU64::new(0));
        let (l, i) = (Arc::clone(&live), Arc::clone(&ids));
        let pool = FixedPool::new(count, move || {
            l.fetch_add(1, SeqCst);
            Item { id: i.fetch_add(1, SeqCst), live: Arc::clone(&l) }
        }).unwrap();
        let mut held: Vec<Pooled<'_, FixedPool<Item>>> = Vec::new();
        let mut detached = Vec::new();
        let mut closed = false;
        let mut gets = 0u64;

        for op in ops {
            match op {
                Op::TryAcquire | Op::AcquireTimeout => {
                    let r = match op {
                        Op::TryAcquire => pool.try_get(),
                        _ => pool.get_timeout(Duration::from_millis(1)),
                    };
                    match r {
                        Ok(g) => {
                            prop_assert!(!closed);
                            prop_assert!(held.len() < count, "more than {} out", count);
                            gets += 1;
                            held.push(g);
                        }
                        Err(PoolError::Closed) => prop_assert!(closed),
                        Err(PoolError::Exhausted { capacity }) => {
                            prop_assert_eq!(capacity, count);
                            prop_assert_eq!(held.len(), count, "exhausted with items idle");
                        }
                        Err(PoolError::TimedOut { .. }) => prop_assert_eq!(held.len(), count),
                        Err(e) => prop_assert!(false, "unexpected {e}"),
                    }
                }
                Op::Drop(k) if !held.is_empty() => drop(held.swap_remove(k % held.len())),
                Op::Detach(k) if !held.is_empty() => detached.push(Pooled::detach(held.swap_remove(k % held.len()))),
                Op::Close => { pool.close(); closed = true; }
                Op::Reset => pool.renew(),
                _ => {}
            }
            let s = pool.stats();
            prop_assert_eq!(s.gets, gets);
            prop_assert_eq!(s.outstanding, held.len() as u64);
            prop_assert_eq!(s.gets, s.returns + s.discarded.total() + s.detached + s.outstanding);
            // Never more than `count` items belong to the pool (detached ones left it).
            let owned = live.load(SeqCst) - detached.len() as isize;
            prop_assert!(owned <= count as isize, "{} items exist for a pool of {}", owned, count);
            if closed {
                prop_assert_eq!(owned, held.len() as isize, "idle items survived close");
            }
            // The status is exact on a quiet pool, and never counts more
            // items than exist.
            let st = pool.status();
            prop_assert_eq!(st.in_use, held.len(), "{}", st);
            if closed {
                prop_assert_eq!(st.available, 0);
            } else {
                prop_assert_eq!(st.available, count - held.len(), "{}", st);
                prop_assert_eq!(st.available + st.in_use, count);
            }
            prop_assert_eq!((pool.available(), pool.in_use()), (st.available, st.in_use));
            let ids: HashSet<u64> = held.iter().map(|g| g.id).collect();
            prop_assert_eq!(ids.len(), held.len(), "an item held twice");
        }
    }
}
