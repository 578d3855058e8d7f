//! Random operation sequences on a LocalPool against a model: get, drop,
//! cross-thread drop, detach, grow, trim.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pool_core::Pooled;
use pool_local::LocalPool;

fuzz_target!(init: {
    // Registers this thread's thread-local destructors (glibc allocates
    // their list once and frees it at exit) before the leak checks start.
    let pool = LocalPool::new(Vec::<u8>::new);
    drop(pool.get());
    std::thread::scope(|s| {
        s.spawn(|| drop(pool.get()));
    });
},
|data: &[u8]| {
    let pool = LocalPool::builder()
        .cache_size(3)
        .spill_size(4)
        .max_item_bytes(256)
        .max_retained_bytes(1024)
        .build(|| Vec::<u8>::with_capacity(64))
        .unwrap();
    let mut held: Vec<Pooled<'_, LocalPool<Vec<u8>>>> = Vec::new();
    let (mut gets, mut detached) = (0u64, 0u64);
    for pair in data.chunks(2) {
        let (op, arg) = (pair[0] % 6, *pair.get(1).unwrap_or(&0) as usize);
        match op {
            0 => {
                let g = pool.get();
                assert!(g.is_empty(), "stale bytes");
                gets += 1;
                held.push(g);
            }
            1 if !held.is_empty() => drop(held.swap_remove(arg % held.len())),
            2 if !held.is_empty() => {
                let g = held.swap_remove(arg % held.len());
                std::thread::scope(|s| {
                    s.spawn(move || drop(g));
                });
            }
            3 if !held.is_empty() => {
                drop(Pooled::detach(held.swap_remove(arg % held.len())));
                detached += 1;
            }
            4 if !held.is_empty() => {
                let k = arg % held.len();
                held[k].extend(std::iter::repeat_n(1u8, arg * 2));
            }
            5 => pool.trim(),
            _ => {}
        }
        let s = pool.stats();
        assert_eq!(s.gets, gets);
        assert_eq!(s.detached, detached);
        assert_eq!(s.outstanding, held.len() as u64);
        assert_eq!(s.gets, s.hits + s.misses);
        assert_eq!(s.gets, s.returns + s.discarded.total() + s.detached + s.outstanding);
        assert!(s.retained_bytes <= 1024);
    }
});
