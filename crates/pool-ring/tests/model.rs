//! A proptest model of the ring on one thread: random gets, drops and
//! detaches against a plain model of which slots are held. Whatever slot
//! the thread's cursor starts on, a get with `probes == slots` fails only
//! when every slot is held, no buffer ever has two holders, and the
//! statistics add up.

use std::collections::HashSet;

use pool_core::{PoolError, Pooled};
use pool_ring::{OnFull, RingPool};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Get,
    /// Drop the n-th held guard (modulo the number held).
    Drop(usize),
    /// Detach the n-th held guard.
    Detach(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Get),
        2 => any::<usize>().prop_map(Op::Drop),
        1 => any::<usize>().prop_map(Op::Detach),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { 256 }))]

    #[test]
    fn full_probes_fail_only_when_every_slot_is_held(
        slots_log in 0u32..4,
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        let slots = 1usize << slots_log;
        let pool = RingPool::builder()
            .capacity(slots)
            .probes(slots)
            .on_full(OnFull::Fail)
            .build(|| Vec::<u64>::with_capacity(4))
            .unwrap();
        let mut held: Vec<Pooled<'_, RingPool<Vec<u64>>>> = Vec::new();
        let mut tag = 0u64;
        let (mut gets, mut detached) = (0u64, 0u64);
        for op in ops {
            match op {
                Op::Get => match pool.try_get() {
                    Ok(mut g) => {
                        prop_assert!(g.is_empty(), "a previous holder's data");
                        tag += 1;
                        g.push(tag);
                        gets += 1;
                        held.push(g);
                    }
                    Err(e) => {
                        prop_assert_eq!(e, PoolError::Exhausted { capacity: slots });
                        prop_assert_eq!(held.len(), slots, "a get failed with a slot free");
                    }
                },
                Op::Drop(n) if !held.is_empty() => {
                    let i = n % held.len();
                    drop(held.swap_remove(i));
                }
                Op::Detach(n) if !held.is_empty() => {
                    let i = n % held.len();
                    let v = Pooled::detach(held.swap_remove(i));
                    prop_assert_eq!(v.len(), 1);
                    detached += 1;
                }
                _ => {}
            }
            // No two holders: every held buffer is distinct and keeps its tag.
            let ptrs: HashSet<*const u64> = held.iter().map(|g| g.as_ptr()).collect();
            prop_assert_eq!(ptrs.len(), held.len());
            prop_assert!(held.iter().all(|g| g.len() == 1));
            let s = pool.stats();
            prop_assert_eq!(s.gets, gets);
            prop_assert_eq!(s.outstanding, held.len() as u64);
            prop_assert_eq!(s.detached, detached);
            prop_assert_eq!(s.gets, s.returns + s.discarded.total() + s.detached + s.outstanding);
            prop_assert!(s.retained_items <= slots as u64);
        }
    }
}

/// Thousands of short-lived threads, each arriving with a new cursor: every
/// one finds the free slot of a ring whose other slots are held, however
/// its arrival number falls on the ring.
#[test]
fn thousands_of_short_lived_threads_find_the_free_slot() {
    const THREADS: usize = if cfg!(miri) { 20 } else { 2000 };
    let pool = RingPool::builder()
        .capacity(8)
        .probes(8)
        .on_full(OnFull::Fail)
        .build(|| Vec::<u64>::with_capacity(1))
        .unwrap();
    let held: Vec<_> = (0..7).map(|_| pool.try_get().unwrap()).collect();
    let free: *const u64 = {
        let g = pool.try_get().unwrap();
        g.as_ptr()
    };
    let free = free as usize;
    for _ in 0..THREADS {
        let got = std::thread::scope(|s| {
            s.spawn(|| pool.try_get().map(|g| g.as_ptr() as usize))
                .join()
                .unwrap()
        });
        assert_eq!(got, Ok(free));
    }
    drop(held);
    let s = pool.stats();
    assert_eq!(
        (s.gets, s.outstanding, s.misses),
        (8 + THREADS as u64, 0, 0)
    );
}
