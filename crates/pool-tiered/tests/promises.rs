//! The tiered pool's promises, tried through its public API the way a
//! holder or a network peer can: zeroing whatever the holder did with the
//! length, the capacity promise whatever it did to the `Vec`, untrusted
//! lengths and slice bounds.

use std::mem::MaybeUninit;

use pool_tiered::{PoolError, SizeClasses, TieredBuf, TieredPool};

/// The first `n` bytes of the buffer's spare capacity. Every byte read was
/// written earlier (by a holder, then by the pool's zeroing).
fn old_bytes(b: &mut TieredBuf<'_>, n: usize) -> Vec<u8> {
    let spare: &mut [MaybeUninit<u8>] = b.spare_capacity_mut();
    // SAFETY: the callers only read bytes a previous holder wrote.
    spare[..n]
        .iter()
        .map(|x| unsafe { x.assume_init() })
        .collect()
}

#[test]
fn zero_on_release_holds_whatever_the_holder_did_with_the_length() {
    let pool = TieredPool::builder().zero_on_release(true).build().unwrap();
    // Cleared before the drop.
    {
        let mut b = pool.get(100);
        b.extend_from_slice(&[0x5A; 100]);
        b.clear();
    }
    let mut b = pool.get(100);
    assert!(
        old_bytes(&mut b, 100).iter().all(|&x| x == 0),
        "clear() left secrets"
    );
    drop(b);
    // Truncated, then frozen and shared.
    {
        let mut b = pool.get(120);
        b.extend_from_slice(&[0xA5; 120]);
        b.truncate(4);
        let shared = b.freeze();
        drop(shared.clone());
    }
    let mut b = pool.get(120);
    assert!(
        old_bytes(&mut b, 120).iter().all(|&x| x == 0),
        "truncate + freeze left secrets"
    );
    assert_eq!(pool.stats().total.misses, 1, "the same buffer every time");
}

#[test]
fn get_keeps_its_capacity_promise_whatever_the_holder_does() {
    let pool = TieredPool::new();
    {
        let mut b = pool.get(1 << 20);
        b.shrink_to_fit();
    }
    {
        let mut b = pool.get(4096);
        drop(std::mem::take(&mut *b));
    }
    {
        let mut b = pool.get(4096);
        let mut small = Vec::with_capacity(3);
        std::mem::swap(&mut *b, &mut small);
    }
    for len in [1 << 20, 4096, 4096, 3000] {
        assert!(pool.get(len).capacity() >= len, "get({len})");
    }
    let s = pool.stats().total;
    assert_eq!(s.discarded.too_small, 3, "{s}");
    assert_eq!(s.outstanding, 0);
}

/// Under the default `max_len` (`isize::MAX`), a length over the largest
/// class that no system can allocate is refused with `AllocFailed` by
/// both checked getters: no abort, nothing counted, and the pool serves on.
#[test]
fn checked_getters_refuse_what_the_system_cannot_allocate() {
    let pool = TieredPool::new();
    for len in [
        isize::MAX as usize,
        (isize::MAX as usize) - 1,
        1 << 62,
        1 << 50,
    ] {
        assert_eq!(
            pool.checked_get(len).unwrap_err(),
            PoolError::AllocFailed { requested: len },
            "checked_get({len})"
        );
        assert_eq!(
            pool.checked_get_owned(len).unwrap_err(),
            PoolError::AllocFailed { requested: len },
            "checked_get_owned({len})"
        );
    }
    let e = PoolError::AllocFailed { requested: 1 << 50 };
    assert!(
        e.to_string().contains("1125899906842624 bytes") && e.to_string().contains("max_len"),
        "{e}"
    );
    let s = pool.stats();
    assert_eq!((s.oversize, s.total.gets, s.total.outstanding), (0, 0, 0));
    // The pool serves on, in-class and oversize alike.
    assert_eq!(pool.checked_get(100).unwrap().capacity(), 128);
    assert_eq!(pool.checked_get_owned(3 << 20).unwrap().capacity(), 3 << 20);
    assert_eq!(pool.stats().oversize, 1);
}

/// The infallible getters meet a length no system can allocate (under the
/// default `max_len`) with the documented panic, never the process abort
/// of `Vec::with_capacity`; nothing is counted, and the pool serves on.
#[test]
fn infallible_getters_panic_on_what_the_system_cannot_allocate() {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    let pool = TieredPool::new();
    let message = |r: Result<(), Box<dyn std::any::Any + Send>>| -> String {
        let e = r.expect_err("an unallocatable length must panic");
        e.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    for len in [isize::MAX as usize, 1 << 62, 1 << 50] {
        let expected = PoolError::AllocFailed { requested: len }.to_string();
        for (name, m) in [
            (
                "get",
                message(catch_unwind(AssertUnwindSafe(|| drop(pool.get(len))))),
            ),
            (
                "get_owned",
                message(catch_unwind(AssertUnwindSafe(|| drop(pool.get_owned(len))))),
            ),
            (
                "get_zeroed",
                message(catch_unwind(AssertUnwindSafe(|| {
                    drop(pool.get_zeroed(len))
                }))),
            ),
        ] {
            assert!(m.contains(&expected), "{name}({len}): {m}");
        }
    }
    let s = pool.stats();
    assert_eq!((s.oversize, s.total.gets, s.total.outstanding), (0, 0, 0));
    assert_eq!(pool.get(100).capacity(), 128);
    assert_eq!(pool.get_owned(3 << 20).capacity(), 3 << 20);
    assert_eq!(pool.stats().oversize, 1);
}

#[test]
fn untrusted_lengths_are_refused_not_allocated() {
    let pool = TieredPool::builder().max_len(16 << 20).build().unwrap();
    assert_eq!(
        pool.checked_get(usize::MAX).unwrap_err(),
        PoolError::TooLarge {
            requested: usize::MAX,
            max: 16 << 20
        }
    );
    assert!(pool.checked_get((16 << 20) + 1).is_err());
    // Over the largest class and under the limit: allocated exactly.
    let big = pool.checked_get(3 << 20).unwrap();
    assert_eq!(big.capacity(), 3 << 20);
    assert_eq!(big.class(), None);
    // The default limit is what a Vec<u8> can hold.
    let e = TieredPool::new().checked_get(usize::MAX).unwrap_err();
    assert!(e.to_string().contains(&isize::MAX.to_string()), "{e}");
    // `get` panics with the same message, never "capacity overflow".
    let msg = std::panic::catch_unwind(|| drop(TieredPool::new().get(usize::MAX)))
        .unwrap_err()
        .downcast::<String>()
        .unwrap();
    assert!(
        msg.contains("requested 18446744073709551615 bytes"),
        "{msg}"
    );
}

/// A class a `Vec<u8>` could hold but no system can allocate is refused
/// when the pool is built, not met by an abort on its first get.
#[test]
fn a_class_the_system_cannot_allocate_is_refused_at_build() {
    for size in [isize::MAX as usize, 1 << 62, 1 << 50] {
        let classes = SizeClasses::custom(&[64, size]).unwrap();
        let e = TieredPool::builder().classes(classes).build().unwrap_err();
        assert!(
            matches!(
                e,
                PoolError::InvalidConfig {
                    field: "classes",
                    ..
                }
            ),
            "{size}: {e}"
        );
        assert!(e.to_string().contains(&size.to_string()), "{e}");
    }
    // The default and a large but possible class build as before.
    assert!(TieredPool::builder().build().is_ok());
    let big = SizeClasses::custom(&[64, 256 << 20]).unwrap();
    let pool = TieredPool::builder().classes(big).build().unwrap();
    assert_eq!(pool.stats().total.gets, 0, "nothing made by the check");
}

#[test]
fn classes_that_cannot_be_allocated_are_refused() {
    let e = SizeClasses::custom(&[64, usize::MAX]).unwrap_err();
    assert!(
        matches!(e, PoolError::InvalidConfig { field: "sizes", .. }),
        "{e}"
    );
    assert!(SizeClasses::power_of_two(64, 1 << 63).is_err());
    let e = TieredPool::builder().max_len(0).build().unwrap_err();
    assert!(
        matches!(
            e,
            PoolError::InvalidConfig {
                field: "max_len",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn slice_bounds_never_wrap() {
    let pool = TieredPool::new();
    let mut b = pool.get(10);
    b.extend_from_slice(b"0123456789");
    let s = b.freeze();
    assert!(s.try_slice(..=usize::MAX).is_none());
    assert!(
        s.try_slice((
            std::ops::Bound::Excluded(usize::MAX),
            std::ops::Bound::Unbounded
        ))
        .is_none()
    );
    let (from, to) = (5, 3);
    assert!(s.try_slice(from..to).is_none(), "decreasing");
    assert!(s.try_slice(0..11).is_none());
    assert_eq!(&*s.try_slice(2..=4).unwrap(), b"234");
    let slice_all = std::panic::AssertUnwindSafe(|| s.slice(..=usize::MAX));
    assert!(std::panic::catch_unwind(slice_all).is_err());
}

#[test]
fn a_buffer_can_leave_for_good() {
    let pool = TieredPool::new();
    let mut b = pool.get(64);
    b.extend_from_slice(b"mine");
    let v = TieredBuf::detach(b);
    assert_eq!(v, b"mine");
    let s = pool.stats().total;
    assert_eq!((s.detached, s.outstanding, s.returns), (1, 0, 0));
}

#[test]
fn an_owned_buffer_travels_mutable_and_comes_back() {
    fn send_static<T: Send + 'static>(_: &T) {}
    let pool = TieredPool::new();
    let mut owned = pool.get_owned(3000);
    send_static(&owned);
    assert_eq!(owned.class(), Some(pool.classes().class_of(3000).unwrap()));
    let handle = std::thread::spawn(move || {
        owned.extend_from_slice(b"written elsewhere");
        owned
    });
    let owned = handle.join().unwrap();
    assert_eq!(&owned[..], b"written elsewhere");
    drop(owned); // back in its class, from this thread
    let again = pool.get_owned(3000);
    assert!(again.is_empty());
    let kept = pool_tiered::OwnedTieredBuf::detach(again);
    assert!(kept.capacity() >= 3000);
    let frozen = pool_tiered::OwnedTieredBuf::freeze(pool.get_owned(10));
    drop(frozen);
    let s = pool.stats().total;
    assert_eq!(
        (s.gets, s.returns, s.detached, s.outstanding),
        (3, 2, 1, 0),
        "{s}"
    );
    assert!(pool.checked_get_owned(usize::MAX).is_err());
}

#[test]
fn clear_frees_every_idle_buffer() {
    let mut pool = TieredPool::new();
    std::thread::scope(|s| {
        s.spawn(|| drop((pool.get(100), pool.get(5000))))
            .join()
            .unwrap();
    });
    drop(pool.get(100));
    pool.clear();
    assert_eq!(pool.stats().total.retained_bytes, 0);
    // With a frozen buffer out (it keeps a handle to the pool).
    let frozen = pool.get(300).freeze();
    drop((pool.get(100), pool.get(70_000)));
    pool.clear();
    let s = pool.stats().total;
    assert_eq!((s.retained_items, s.retained_bytes), (0, 0), "{s}");
    drop(frozen);
    assert_eq!(pool.stats().total.retained_items, 1);
}

#[test]
fn generic_code_over_byte_vectors_takes_a_tiered_pool() {
    fn frame<P: pool_core::Pool<Item = Vec<u8>>>(pool: &P, payload: &[u8]) -> usize {
        let mut buf = pool.try_get().unwrap();
        buf.extend_from_slice(payload);
        buf.len()
    }
    let pool = TieredPool::builder().default_len(1500).build().unwrap();
    assert_eq!(frame(&pool, b"hello"), 5);
    assert_eq!(pool.stats().total.returns, 1);
}

#[test]
fn a_cap_between_the_largest_class_and_twice_it_is_accepted_as_documented() {
    // Classes 1 KiB..64 KiB, cap 96 KiB: "at least the largest class".
    let r = pool_tiered::TieredPool::builder()
        .classes(pool_tiered::SizeClasses::power_of_two(1024, 65536).unwrap())
        .max_retained_bytes(96 << 10)
        .build();
    assert!(r.is_ok(), "{:?}", r.err());
}

#[test]
fn put_says_whether_it_kept_the_buffer_and_a_full_class_counts_as_foreign_dropped() {
    let pool = pool_tiered::TieredPool::builder()
        .cache_size(1)
        .spill_size(1)
        .build()
        .unwrap();
    let mut kept = 0;
    let mut dropped = 0;
    for _ in 0..16 {
        if pool.put(Vec::with_capacity(4096)) {
            kept += 1;
        } else {
            dropped += 1;
        }
    }
    let s = pool.stats();
    assert!(dropped > 0, "the 4 KiB class is full after a few");
    assert_eq!((s.foreign_kept, s.foreign_dropped), (kept, dropped), "{s}");
}

#[test]
fn owned_buffers_are_byte_slices_like_borrowed_ones() {
    fn fill(b: &mut impl AsMut<[u8]>) {
        b.as_mut().fill(7);
    }
    fn sum(b: &impl AsRef<[u8]>) -> u32 {
        b.as_ref().iter().map(|&x| u32::from(x)).sum()
    }
    let pool = pool_tiered::TieredPool::new();
    let mut owned = pool.get_owned(0);
    owned.resize(4, 0);
    fill(&mut owned);
    let mut borrowed = pool.get(0);
    borrowed.resize(4, 0);
    fill(&mut borrowed);
    assert_eq!((sum(&owned), sum(&borrowed)), (28, 28));
}

#[test]
fn every_class_keeps_its_own_buffers_however_many_classes() {
    // 21 classes: the first 15 cached inline in each thread's slot, the
    // rest behind a box; each must serve and keep only its own size.
    let classes = SizeClasses::power_of_two(16, 16 << 20).unwrap();
    let sizes = classes.sizes().to_vec();
    assert_eq!(sizes.len(), 21);
    let pool = TieredPool::builder().classes(classes).build().unwrap();
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..2 {
                        for &size in &sizes {
                            let b = pool.get(size);
                            assert_eq!(b.capacity(), size);
                            assert_eq!(pool.classes().sizes()[b.class().unwrap()], size);
                        }
                    }
                })
            })
            .collect();
        // Joined one by one: a join waits for the thread's thread-locals
        // to be destroyed (its caches handed back), the scope's own wait
        // only for its closure to return.
        for t in threads {
            t.join().unwrap();
        }
    });
    let stats = pool.stats();
    for (c, &size) in stats.classes.iter().zip(&sizes) {
        assert_eq!(c.size, size);
        let s = &c.stats;
        assert_eq!(
            (s.gets, s.returns, s.outstanding),
            (4, 4, 0),
            "class {size}: {s}"
        );
        assert!(
            s.hits >= 2,
            "each thread's second get of {size} is a hit: {s}"
        );
        assert_eq!(s.discarded.total(), 0, "class {size}: {s}");
        assert_eq!(s.retained_bytes % size as u64, 0, "only its own size: {s}");
    }
    // The threads exited: their caches went to each class's spill, each
    // buffer to its own class, where this thread finds it.
    for &size in &sizes {
        assert_eq!(pool.get(size).capacity(), size);
    }
    let hits = |s: &pool_tiered::TieredStats| s.classes.iter().map(|c| c.stats.hits).sum::<u64>();
    assert!(
        hits(&pool.stats()) > hits(&stats),
        "the spilled buffers served this thread"
    );
}

/// Every getter serves a length with the smallest class that holds it, at
/// each class's edges (0 included), whatever the class list (looked up by
/// table for powers of two, by search otherwise); past the largest class a
/// length is served exactly, and past `max_len` refused, even where the
/// limit falls inside a class.
#[test]
fn every_getter_picks_the_smallest_class_that_holds_the_length() {
    let lists = [
        SizeClasses::default(),
        SizeClasses::power_of_two(2, 1 << 12).unwrap(),
        SizeClasses::power_of_two(1, 64).unwrap(),
        SizeClasses::stream(),
        SizeClasses::custom(&[100, 1000, 10_000]).unwrap(),
    ];
    for classes in lists {
        let sizes = classes.sizes().to_vec();
        let largest = *sizes.last().unwrap();
        // A limit inside the largest class: its lengths past the limit
        // are refused although a class would hold them.
        let max_len = largest - largest / 4;
        let pool = TieredPool::builder()
            .classes(classes.clone())
            .max_len(max_len)
            .build()
            .unwrap();
        let edges = sizes.iter().flat_map(|&s| [s - 1, s, s + 1]);
        for len in [0, 1, 2, 3].into_iter().chain(edges) {
            let want = sizes.iter().position(|&s| s >= len);
            if len > max_len {
                assert!(
                    matches!(pool.checked_get(len), Err(PoolError::TooLarge { .. })),
                    "len {len} over max_len {max_len} in {sizes:?}"
                );
                assert!(pool.checked_get_owned(len).is_err());
                continue;
            }
            let class = want.expect("under max_len, so within the largest class");
            let (b, o) = (pool.get(len), pool.get_owned(len));
            let (c, co) = (
                pool.checked_get(len).unwrap(),
                pool.checked_get_owned(len).unwrap(),
            );
            for (cap, got) in [
                (b.capacity(), b.class()),
                (o.capacity(), o.class()),
                (c.capacity(), c.class()),
                (co.capacity(), co.class()),
            ] {
                assert_eq!(got, Some(class), "len {len} in {sizes:?}");
                assert_eq!(cap, sizes[class], "len {len} in {sizes:?}");
            }
        }
        // Past the largest class, with the limit lifted: served exactly.
        let open = TieredPool::builder().classes(classes).build().unwrap();
        let over = open.get(largest + 1);
        assert_eq!((over.class(), over.capacity()), (None, largest + 1));
    }
}
