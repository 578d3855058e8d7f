//! Random operation sequences on a RingPool: get, try_get, drop, detach,
//! cross-thread drop; no slot ever has two holders, accounting adds up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pool_core::Pooled;
use pool_ring::{OnFull, RingPool};

fuzz_target!(init: {
    // Registers this thread's thread-local destructors before the leak
    // checks start.
    let pool = RingPool::new(1, Vec::<u8>::new).unwrap();
    drop(pool.get());
    std::thread::scope(|s| {
        s.spawn(|| drop(pool.get()));
    });
},
|data: &[u8]| {
    let Some((&first, ops)) = data.split_first() else { return };
    let on_full = if first % 2 == 0 { OnFull::Allocate } else { OnFull::Fail };
    let slots = 1 + (first as usize / 2) % 4;
    let pool = RingPool::builder().capacity(slots).on_full(on_full).build(|| Vec::<u8>::with_capacity(8)).unwrap();
    let mut held: Vec<Pooled<'_, RingPool<Vec<u8>>>> = Vec::new();
    let mut gets = 0u64;
    for pair in ops.chunks(2) {
        let (op, arg) = (pair[0] % 5, *pair.get(1).unwrap_or(&0) as usize);
        match op {
            0 => {
                if let Ok(mut g) = pool.try_get() {
                    assert!(g.is_empty());
                    g.push(arg as u8);
                    gets += 1;
                    held.push(g);
                } else {
                    assert_eq!(on_full, OnFull::Fail);
                }
            }
            1 if !held.is_empty() => drop(held.swap_remove(arg % held.len())),
            2 if !held.is_empty() => drop(Pooled::detach(held.swap_remove(arg % held.len()))),
            3 if !held.is_empty() => {
                let g = held.swap_remove(arg % held.len());
                std::thread::scope(|s| {
                    s.spawn(move || drop(g));
                });
            }
            _ => {}
        }
        // Every held item is distinct memory with its own first byte.
        let mut ptrs: Vec<usize> = held.iter().map(|g| g.as_ptr() as usize).collect();
        ptrs.sort_unstable();
        ptrs.dedup();
        assert_eq!(ptrs.len(), held.len(), "two holders of one item");
        let s = pool.stats();
        assert_eq!(s.gets, gets);
        assert_eq!(s.outstanding, held.len() as u64);
        assert_eq!(s.gets, s.returns + s.discarded.total() + s.detached + s.outstanding);
    }
});
