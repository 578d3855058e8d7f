//! What a pool costs before and after its first use, counted by the
//! allocator, and the reserve that keeps prefilled items out of the way
//! of returned ones.

use std::collections::HashSet;

use pool_local::LocalPool;
use pool_testkit::{Counting, allocations, held_bytes};

#[global_allocator]
static COUNTING: Counting = Counting;

/// Warms what the process keeps once, whatever the pool: the trimmer's
/// list (grown here well past what the tests add), this thread's
/// per-thread lists.
fn warm() {
    let pools: Vec<_> = (0..64).map(|_| LocalPool::new(Vec::<u8>::new)).collect();
    for p in &pools {
        drop(p.get());
    }
}

#[test]
fn an_empty_pool_holds_at_most_512_bytes_and_its_first_get_at_most_1_kib() {
    warm();
    let before = held_bytes();
    let pool = LocalPool::new(Vec::<u8>::new);
    let empty = held_bytes();
    let empty = empty - before + std::mem::size_of_val(&pool) as isize;
    assert!(empty <= 512, "an empty pool holds {empty} bytes");
    // `Vec::new` holds no heap: what the first get and return add is the
    // pool's own (this thread's slot, the class's shared part, room for
    // one idle item).
    drop(pool.get());
    let used = held_bytes();
    let used = used - before + std::mem::size_of_val(&pool) as isize;
    assert!(used <= 1024, "after one get, the pool holds {used} bytes");
}

#[test]
fn a_cache_takes_room_for_one_item_then_for_all_of_them_and_a_trim_frees_it() {
    warm();
    let pool = LocalPool::new(Vec::<u8>::new);
    drop(pool.get());
    let one = held_bytes();
    // Two out and back: room for the whole cache (64 items) at once.
    drop((pool.get(), pool.get()));
    let (all, made) = (held_bytes(), allocations());
    let room = all - one;
    assert!(
        (64 * 16..=64 * 64).contains(&room),
        "room for 64 items: {room} bytes"
    );
    // More items out and back make no room again.
    let out: Vec<_> = (0..60).map(|_| pool.get()).collect();
    drop(out);
    let made_after = allocations();
    assert_eq!(made_after - made, 1, "only the test's own Vec of guards");
    // Two trims with the items unused free them, and the room.
    pool.trim();
    pool.trim();
    let trimmed = held_bytes();
    assert!(
        trimmed <= one - 16,
        "after the trims: {} bytes more than one item's room",
        trimmed - one
    );
    assert_eq!(pool.memory().total().items, 0);
}

#[test]
fn thousands_of_pools_made_used_and_dropped_leave_little_behind() {
    warm();
    // Fewer under Miri, which runs this a thousand times slower.
    let n = if cfg!(miri) { 300 } else { 10_000 };
    let before = held_bytes();
    for _ in 0..n {
        let pool = LocalPool::new(Vec::<u8>::new);
        drop(pool.get());
    }
    for _ in 0..n {
        drop(LocalPool::new(Vec::<u8>::new));
    }
    let after = held_bytes();
    // A dropped pool's block is freed once the weak references to it go:
    // the trimmer's list forgets dropped pools when it would grow, this
    // thread's list at its next first use of a pool. What stays is
    // bounded by those lists' room, not by the pools made.
    assert!(
        after - before <= 64 << 10,
        "{} bytes left behind by {} dropped pools",
        after - before,
        2 * n
    );
}

#[test]
fn a_pool_made_and_dropped_unused_makes_no_allocation_for_its_class_or_a_thread() {
    warm();
    let made_before = allocations();
    let pool = LocalPool::new(Vec::<u8>::new);
    let made = allocations();
    drop(pool);
    // The pool's own block, its class table and perhaps a step of the
    // trimmer's list; nothing per class (no spill, no counters, no
    // cache), nothing per thread.
    assert!(
        made - made_before <= 3,
        "{} allocations for an unused pool",
        made - made_before
    );
    let built = LocalPool::builder()
        .cache_size(1 << 16)
        .spill_size(1 << 24)
        .build(Vec::<u8>::new)
        .unwrap();
    let made_big = allocations();
    drop(built);
    assert!(
        made_big - made <= 3,
        "the largest limits allocate nothing up front either"
    );
}

#[test]
fn a_prefilled_pool_hands_out_returned_items_before_prefilled_ones() {
    let pool = LocalPool::builder()
        .cache_size(2)
        .spill_size(8)
        .build(|| Vec::<u8>::with_capacity(64))
        .unwrap();
    assert_eq!(pool.prefill(usize::MAX), 10, "cache_size + spill_size");
    assert_eq!(pool.memory().reserve.items, 10);
    // Four taken from the reserve and returned: two stay in this thread's
    // cache, a batch of one spills... whatever the split, they are the
    // items every get sees first, on this thread and on another.
    let out: Vec<_> = (0..4).map(|_| pool.get()).collect();
    let returned: HashSet<usize> = out.iter().map(|b| b.as_ptr() as usize).collect();
    drop(out);
    assert_eq!(pool.memory().reserve.items, 6, "untouched");
    for _ in 0..100 {
        let b = pool.get();
        assert!(returned.contains(&(b.as_ptr() as usize)), "this thread");
    }
    std::thread::scope(|s| {
        s.spawn(|| {
            // This thread's cache is empty: the spill's returned items
            // come before the reserve.
            let b = pool.get();
            assert!(returned.contains(&(b.as_ptr() as usize)), "another thread");
        });
    });
    let m = pool.memory();
    assert_eq!(m.reserve.items, 6, "still untouched");
    assert_eq!(m.total().items, pool.stats().retained_items);
    assert_eq!(m.total().bytes, pool.stats().retained_bytes);
}

#[test]
fn the_reserve_is_drawn_from_when_returned_items_run_out() {
    let pool = LocalPool::new(|| Vec::<u8>::with_capacity(64));
    assert_eq!(pool.prefill(3), 3);
    let out: Vec<_> = (0..5).map(|_| pool.get()).collect();
    let s = pool.stats();
    assert_eq!(
        (s.hits, s.misses),
        (3, 2),
        "three from the reserve, then made"
    );
    assert_eq!(pool.memory().reserve.items, 0);
    drop(out);
    assert_eq!(pool.memory().thread_caches.items, 5);
}

#[test]
fn trims_free_an_unused_reserve_and_clear_frees_it_at_once() {
    let mut pool = LocalPool::new(|| Vec::<u8>::with_capacity(64));
    assert_eq!(pool.prefill(5), 5);
    pool.trim();
    assert_eq!(pool.memory().reserve.items, 5, "one trim: kept");
    pool.trim();
    assert_eq!(pool.memory().reserve.items, 0, "two trims unused: freed");
    let s = pool.stats();
    assert_eq!((s.trimmed, s.retained_items, s.retained_bytes), (5, 0, 0));
    assert_eq!(pool.prefill(5), 5);
    pool.clear();
    assert_eq!(pool.memory().total().items, 0);
    assert_eq!(pool.stats().retained_items, 0);
}

#[test]
fn a_prefill_stays_under_the_byte_cap() {
    let pool = LocalPool::builder()
        .max_retained_bytes(10 * 1024)
        .build(|| Vec::<u8>::with_capacity(1024))
        .unwrap();
    assert_eq!(pool.prefill(usize::MAX), 10, "stopped by the cap");
    assert!(pool.stats().retained_bytes <= 10 * 1024);
    // Taken and returned, the items stay under the cap too.
    let out: Vec<_> = (0..10).map(|_| pool.get()).collect();
    drop(out);
    let s = pool.stats();
    assert_eq!((s.retained_items, s.retained_bytes), (10, 10 * 1024));
}

#[test]
fn a_thread_that_used_the_pool_and_exited_leaves_its_items_in_the_spill() {
    let pool = LocalPool::new(|| Vec::<u8>::with_capacity(64));
    std::thread::scope(|s| {
        s.spawn(|| {
            let out: Vec<_> = (0..3).map(|_| pool.get()).collect();
            drop(out);
        });
    });
    // The scope's end does not wait for thread-local destructors: wait
    // for the hand-back.
    while pool.threads() > 0 {
        std::thread::yield_now();
    }
    let m = pool.memory();
    assert_eq!((m.thread_caches.items, m.spill.items), (0, 3));
}
