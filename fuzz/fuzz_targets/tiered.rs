//! Random lengths and operations on a TieredPool: get, get_zeroed, fill,
//! drop, freeze and clone, foreign put, trim.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pool_tiered::{SharedBuf, SizeClasses, TieredBuf, TieredPool};

fuzz_target!(init: {
    // Registers this thread's thread-local destructors before the leak
    // checks start.
    let pool = TieredPool::new();
    drop(pool.get(100));
    std::thread::scope(|s| {
        s.spawn(|| drop(pool.get(100)));
    });
},
|data: &[u8]| {
    let classes = SizeClasses::power_of_two(64, 4096).unwrap();
    let pool = TieredPool::builder().classes(classes.clone()).cache_size(2).max_retained_bytes(16 << 10).build().unwrap();
    let mut held: Vec<TieredBuf<'_>> = Vec::new();
    let mut shared: Vec<SharedBuf> = Vec::new();
    for chunk in data.chunks(3) {
        let op = chunk[0] % 7;
        let arg = u16::from_le_bytes([*chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)]) as usize;
        match op {
            0 => {
                let b = pool.get(arg);
                assert!(b.capacity() >= arg && b.is_empty());
                held.push(b);
            }
            1 => {
                let b = pool.get_zeroed(arg % 5000);
                assert!(b.iter().all(|&x| x == 0));
                held.push(b);
            }
            2 if !held.is_empty() => {
                let k = arg % held.len();
                let n = held[k].capacity();
                held[k].resize(n, 0xEE);
            }
            3 if !held.is_empty() => drop(held.swap_remove(arg % held.len())),
            4 if !held.is_empty() => {
                let s = held.swap_remove(arg % held.len()).freeze();
                shared.push(s.clone());
                shared.push(s);
            }
            5 if !shared.is_empty() => drop(shared.swap_remove(arg % shared.len())),
            6 => {
                let _kept = pool.put(Vec::with_capacity(arg));
            }
            _ => pool.trim(),
        }
        let s = pool.stats();
        assert_eq!(s.total.gets, s.total.returns + s.total.discarded.total() + s.total.detached + s.total.outstanding);
        assert!(s.total.retained_bytes <= 16 << 10);
    }
});
