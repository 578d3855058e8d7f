//! A proptest model: random sequences of get, put (drop), cross-thread
//! drop, detach, grow and trim, checked against a simple model after every
//! step.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{Tagged, Tracker, assert_accounting};
use pool_core::Pooled;
use pool_local::LocalPool;
use proptest::prelude::*;

const ITEM: usize = 64;
const MAX_ITEM: usize = 256;
const CAP: usize = 1024;

#[derive(Debug, Clone)]
enum Op {
    Get,
    Drop(usize),
    DropOnOtherThread(usize),
    Detach(usize),
    Grow(usize, usize),
    Trim,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Get),
        3 => any::<usize>().prop_map(Op::Drop),
        1 => any::<usize>().prop_map(Op::DropOnOtherThread),
        1 => any::<usize>().prop_map(Op::Detach),
        1 => (any::<usize>(), 0usize..400).prop_map(|(i, n)| Op::Grow(i, n)),
        1 => Just(Op::Trim),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 4 } else { 256 }, ..ProptestConfig::default() })]

    #[test]
    fn pool_matches_model(ops in proptest::collection::vec(op(), 1..120), cache in 1usize..6) {
        let tracker = Arc::new(Tracker::default());
        let t2 = Arc::clone(&tracker);
        let pool = LocalPool::builder()
            .cache_size(cache)
            .spill_size(4)
            .max_item_bytes(MAX_ITEM)
            .max_retained_bytes(CAP)
            .build(move || Tagged::new(&t2, ITEM))
            .unwrap();

        let mut held: Vec<Pooled<'_, LocalPool<Tagged>>> = Vec::new();
        let mut gets = 0u64;
        let mut detached = Vec::new();
        let mut too_large = 0u64;

        for op in ops {
            match op {
                Op::Get => {
                    let g = pool.get();
                    prop_assert!(g.buf.is_empty(), "stale bytes visible after get");
                    g.claim(1);
                    gets += 1;
                    held.push(g);
                }
                Op::Drop(i) if !held.is_empty() => {
                    let g = held.swap_remove(i % held.len());
                    if g.buf.capacity() > MAX_ITEM { too_large += 1; }
                    g.release(1);
                    drop(g);
                }
                Op::DropOnOtherThread(i) if !held.is_empty() => {
                    let g = held.swap_remove(i % held.len());
                    if g.buf.capacity() > MAX_ITEM { too_large += 1; }
                    g.release(1);
                    // Joined: the thread's exit (its cache handed back) is over.
                    std::thread::scope(|s| s.spawn(move || drop(g)).join().unwrap());
                }
                Op::Detach(i) if !held.is_empty() => {
                    let g = held.swap_remove(i % held.len());
                    g.release(1);
                    detached.push(Pooled::detach(g));
                }
                Op::Grow(i, n) if !held.is_empty() => {
                    let k = i % held.len();
                    held[k].buf.reserve(n);
                    held[k].buf.extend(std::iter::repeat_n(7u8, n));
                }
                Op::Trim => pool.trim(),
                _ => {}
            }

            let s = pool.stats();
            assert_accounting(&s);
            prop_assert_eq!(s.gets, gets);
            prop_assert_eq!(s.outstanding, held.len() as u64);
            prop_assert_eq!(s.detached, detached.len() as u64);
            prop_assert_eq!(s.misses, tracker.next_id.load(std::sync::atomic::Ordering::SeqCst));
            prop_assert_eq!(s.discarded.too_large, too_large);
            prop_assert!(s.retained_bytes <= CAP as u64, "retained {} > cap", s.retained_bytes);
            // Every live item is held, detached or idle in the pool: none leaked.
            let live = tracker.live.load(std::sync::atomic::Ordering::SeqCst);
            prop_assert_eq!(live as u64, held.len() as u64 + detached.len() as u64 + s.retained_items);
            // No id is held twice.
            let ids: HashSet<u64> = held.iter().map(|g| g.id).collect();
            prop_assert_eq!(ids.len(), held.len());
        }
    }
}
