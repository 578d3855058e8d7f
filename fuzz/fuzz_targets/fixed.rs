//! Random operation sequences on a FixedPool: try_get, drop, detach,
//! close, reset, cross-thread drop; never more than `count` out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pool_core::{PoolError, Pooled};
use pool_fixed::FixedPool;

fuzz_target!(init: {
    // Registers this thread's thread-local destructors before the leak
    // checks start.
    let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
    drop(pool.try_get());
    std::thread::scope(|s| {
        s.spawn(|| drop(pool.try_get()));
    });
},
|data: &[u8]| {
    let Some((&first, ops)) = data.split_first() else { return };
    let count = 1 + first as usize % 4;
    let pool = FixedPool::new(count, || Vec::<u8>::with_capacity(8)).unwrap();
    let mut held: Vec<Pooled<'_, FixedPool<Vec<u8>>>> = Vec::new();
    let mut closed = false;
    for pair in ops.chunks(2) {
        let (op, arg) = (pair[0] % 6, *pair.get(1).unwrap_or(&0) as usize);
        match op {
            0 => match pool.try_get() {
                Ok(g) => {
                    assert!(!closed && held.len() < count);
                    held.push(g);
                }
                Err(PoolError::Closed) => assert!(closed),
                Err(PoolError::Exhausted { .. }) => assert_eq!(held.len(), count),
                Err(e) => panic!("{e}"),
            },
            1 if !held.is_empty() => drop(held.swap_remove(arg % held.len())),
            2 if !held.is_empty() => drop(Pooled::detach(held.swap_remove(arg % held.len()))),
            3 if !held.is_empty() => {
                let g = held.swap_remove(arg % held.len());
                std::thread::scope(|s| {
                    s.spawn(move || drop(g));
                });
            }
            4 if arg % 8 == 0 => {
                pool.close();
                closed = true;
            }
            5 => pool.renew(),
            _ => {}
        }
        let s = pool.stats();
        assert_eq!(s.outstanding, held.len() as u64);
        assert_eq!(s.gets, s.returns + s.discarded.total() + s.detached + s.outstanding);
    }
});
