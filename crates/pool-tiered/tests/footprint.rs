//! What a tiered pool costs before and after its classes are used,
//! counted by the allocator, and the reserve of prefilled buffers.

use std::collections::HashSet;

use pool_testkit::{Counting, allocations, held_bytes};
use pool_tiered::{SizeClasses, TieredPool};

#[global_allocator]
static COUNTING: Counting = Counting;

/// Warms what the process keeps once, whatever the pool: the trimmer's
/// list, this thread's per-thread lists.
fn warm() {
    let pools: Vec<_> = (0..64).map(|_| TieredPool::new()).collect();
    for p in &pools {
        drop(p.get(100));
    }
}

#[test]
fn an_empty_pool_holds_at_most_1_kib_and_a_class_used_at_most_1_kib_more() {
    warm();
    let before = held_bytes();
    let pool = TieredPool::new();
    let empty = held_bytes();
    let empty = empty - before + std::mem::size_of_val(&pool) as isize;
    assert!(
        empty <= 1024,
        "an empty pool of 15 classes holds {empty} bytes"
    );
    // The thread's first get makes its slot (the caches and counters of
    // every class, inline); then each class used adds its own part (its
    // shared part, room for one idle buffer).
    drop(pool.get(100));
    let slot = held_bytes();
    drop(pool.get(200));
    let second = held_bytes();
    let class = second - slot - 256;
    assert!(class <= 1024, "a second class used adds {class} bytes");
}

#[test]
fn an_unused_pool_makes_as_many_allocations_whatever_its_number_of_classes() {
    warm();
    let made = |classes: SizeClasses| {
        let before = allocations();
        let pool = TieredPool::builder().classes(classes).build().unwrap();
        let (bytes_before, after) = (held_bytes(), allocations());
        drop(pool);
        let _ = bytes_before;
        after - before
    };
    let few = made(SizeClasses::custom(&[1024, 4096]).unwrap());
    let many = made(SizeClasses::power_of_two(16, 1 << 30).unwrap());
    assert_eq!(few, many, "per-class allocations in an unused pool");
}

#[test]
fn a_prefilled_class_hands_out_returned_buffers_before_prefilled_ones() {
    let pool = TieredPool::builder()
        .cache_size(2)
        .spill_size(8)
        .build()
        .unwrap();
    assert_eq!(pool.prefill(1000, usize::MAX), 10);
    let class = pool.get(1000).class().unwrap();
    let out: Vec<_> = (0..4).map(|_| pool.get(1000)).collect();
    let returned: HashSet<usize> = out.iter().map(|b| b.as_ptr() as usize).collect();
    drop(out);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..2 {
                let b = pool.get(1000);
                assert!(returned.contains(&(b.as_ptr() as usize)));
            }
        });
    });
    let s = pool.stats();
    let c = &s.classes[class];
    // The first get took one from the reserve (it found nothing else),
    // the next four one from this thread's cache and three from the
    // reserve; the other thread's two came from what was returned.
    assert_eq!(c.memory.reserve.items, 6);
    assert_eq!(c.memory.total().items, c.stats.retained_items);
    assert_eq!(c.memory.total().bytes, c.stats.retained_bytes);
}
