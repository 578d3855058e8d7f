//! The engine from a strategy implementer's side: classes kept apart, the
//! limits and the budget at their edges, thread exit, notes.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Barrier};

use pool_core::PoolError;
use pool_engine::{
    ClassLimits, ClassSpec, ClassTable, Engine, Entry, MAX_CACHE_SIZE, MAX_SPILL_SIZE, PerClass,
    SharedByteCap,
};

fn class(size: usize, limits: ClassLimits) -> ClassSpec<Vec<u8>> {
    (limits, Box::new(move || Vec::with_capacity(size)))
}

fn two_classes() -> Engine<Vec<u8>> {
    let l = ClassLimits {
        cache_size: 4,
        spill_size: 4,
        ..ClassLimits::default()
    };
    Engine::new(vec![class(64, l), class(4096, l)], None, None).unwrap()
}

#[test]
fn classes_never_mix_and_count_apart() {
    let e = two_classes();
    assert_eq!(e.classes(), 2);
    let small = e.take(0);
    let large = e.take(1);
    assert_eq!((small.capacity(), large.capacity()), (64, 4096));
    assert!(e.put(0, small, Entry::Returned));
    assert!(e.put(1, large, Entry::Returned));
    assert_eq!(e.take(0).capacity(), 64, "class 0 hands out only its own");
    assert_eq!(e.take(1).capacity(), 4096);
    let s = e.stats();
    assert_eq!((s[0].gets, s[0].hits, s[0].returns), (2, 1, 1));
    assert_eq!((s[1].gets, s[1].hits, s[1].returns), (2, 1, 1));
    assert_eq!(s[0].outstanding + s[1].outstanding, 2);
}

#[test]
fn adopted_items_count_as_prefilled_and_refusals_are_not_counted() {
    let l = ClassLimits {
        min_item_bytes: 100,
        max_item_bytes: 1000,
        ..ClassLimits::default()
    };
    let e: Engine<Vec<u8>> = Engine::new(vec![class(500, l)], None, None).unwrap();
    assert!(e.put(0, Vec::with_capacity(500), Entry::Adopted));
    assert!(
        !e.put(0, Vec::with_capacity(10), Entry::Adopted),
        "too small"
    );
    assert!(
        !e.put(0, Vec::with_capacity(5000), Entry::Adopted),
        "too large"
    );
    let s = &e.stats()[0];
    assert_eq!(
        (s.prefilled, s.discarded.total(), s.retained_items),
        (1, 0, 1)
    );
    // A return that shrank or grew is dropped and counted by reason.
    let mut v = e.take(0);
    v.shrink_to(0);
    assert!(!e.put(0, v, Entry::Returned));
    let mut v = e.take(0);
    v.reserve(10_000);
    assert!(!e.put(0, v, Entry::Returned));
    let s = &e.stats()[0];
    assert_eq!((s.discarded.too_small, s.discarded.too_large), (1, 1));
    assert_eq!(
        s.gets,
        s.returns + s.discarded.total() + s.detached + s.outstanding
    );
}

#[test]
fn every_limit_is_checked_at_its_edges() {
    let ok = ClassLimits::default();
    assert!(ok.validate().is_ok());
    let field = |l: ClassLimits| match l.validate() {
        Err(PoolError::InvalidConfig { field, .. }) => field,
        other => panic!("expected InvalidConfig, got {other:?}"),
    };
    assert_eq!(
        field(ClassLimits {
            cache_size: 0,
            ..ok
        }),
        "cache_size"
    );
    assert_eq!(
        field(ClassLimits {
            cache_size: MAX_CACHE_SIZE + 1,
            ..ok
        }),
        "cache_size"
    );
    assert_eq!(
        field(ClassLimits {
            cache_size: usize::MAX,
            ..ok
        }),
        "cache_size"
    );
    assert_eq!(
        field(ClassLimits {
            spill_size: 0,
            ..ok
        }),
        "spill_size"
    );
    assert_eq!(
        field(ClassLimits {
            spill_size: usize::MAX,
            ..ok
        }),
        "spill_size"
    );
    assert_eq!(
        field(ClassLimits {
            max_item_bytes: 0,
            ..ok
        }),
        "max_item_bytes"
    );
    assert_eq!(
        field(ClassLimits {
            min_item_bytes: 11,
            max_item_bytes: 10,
            ..ok
        }),
        "min_item_bytes"
    );
    // The largest accepted values build (and allocate nothing up front).
    let big = ClassLimits {
        cache_size: MAX_CACHE_SIZE,
        spill_size: MAX_SPILL_SIZE,
        min_item_bytes: usize::MAX,
        max_item_bytes: usize::MAX,
    };
    let e: Engine<Vec<u8>> = Engine::new(vec![class(8, big)], None, None).unwrap();
    assert!(
        !e.put(0, Vec::new(), Entry::Returned),
        "under min_item_bytes"
    );
    // No class, or a bad interval, is a typed error too.
    let none: Result<Engine<Vec<u8>>, _> = Engine::new(Vec::new(), None, None);
    assert!(matches!(
        none,
        Err(PoolError::InvalidConfig {
            field: "classes",
            ..
        })
    ));
    let zero: Result<Engine<Vec<u8>>, _> =
        Engine::new(vec![class(8, ok)], None, Some(std::time::Duration::ZERO));
    assert!(matches!(
        zero,
        Err(PoolError::InvalidConfig {
            field: "trim_interval",
            ..
        })
    ));
    let max: Result<Engine<Vec<u8>>, _> =
        Engine::new(vec![class(8, ok)], None, Some(std::time::Duration::MAX));
    assert!(max.is_ok(), "Duration::MAX is accepted and never comes");
    // The timed engine started the trimmer thread; once it is gone, the
    // thread ends and is joined (no thread outlives the test).
    drop(max);
    assert!(pool_engine::trimmer::wait_ended(
        std::time::Duration::from_secs(30)
    ));
}

#[test]
#[should_panic(expected = "class 2 out of range: the engine has 2 classes")]
fn a_class_out_of_range_is_a_documented_panic() {
    let e = two_classes();
    drop(e.take(2));
}

/// An item whose holder says it may not be reused (`is_reusable`), or
/// that may be.
#[derive(Debug, Default)]
struct Item {
    broken: bool,
}

impl pool_core::Reset for Item {
    fn reset(&mut self) {}
    fn is_reusable(&self) -> bool {
        !self.broken
    }
}

/// With fewer classes than it keeps inline, the engine's per-thread lookups
/// reach filler caches and counters for a class past the last one (they
/// skip the range check); every call with such a class still panics with
/// the documented message, keeps nothing and counts nothing, and the
/// engine serves its classes on.
#[test]
fn a_class_out_of_range_panics_where_fillers_sit_inline() {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    let l = ClassLimits {
        cache_size: 4,
        spill_size: 4,
        ..ClassLimits::default()
    };
    let make = || -> ClassSpec<Item> { (l, Box::new(Item::default)) };
    let e: Engine<Item, (), (), 6> = Engine::new(vec![make(), make()], None, None).unwrap();
    let panics = |what: &str, f: &dyn Fn()| {
        let m = catch_unwind(AssertUnwindSafe(f)).expect_err(what);
        let m = m.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            m.contains("out of range: the engine has 2 classes"),
            "{what}: {m}"
        );
    };
    // Warm: this thread has a slot, so the per-thread path runs.
    assert!(e.put(0, e.take(0), Entry::Returned));
    for class in [2, 3, 6, 7, 100, usize::MAX] {
        panics(&format!("take({class})"), &|| {
            let _ = e.take(class);
        });
        for entry in [Entry::Returned, Entry::Adopted] {
            panics(&format!("put({class}, {entry:?})"), &|| {
                e.put(class, Item::default(), entry);
            });
            panics(&format!("put({class}) of a refused item"), &|| {
                e.put(class, Item { broken: true }, entry);
            });
        }
        panics(&format!("prefill({class})"), &|| {
            e.prefill(class, 3);
        });
    }
    let s = e.stats();
    assert_eq!(s.len(), 2);
    let total: u64 = s
        .iter()
        .map(|c| c.gets + c.returns + c.prefilled + c.discarded.refused)
        .sum();
    assert_eq!(total, 2, "only class 0's take and return: {s:?}");
    assert_eq!(s[0].retained_items, 1);
    let item = e.take(1);
    assert!(e.put(1, item, Entry::Returned));
    assert_eq!(e.stats()[1].returns, 1);

    // Items with heap bytes meet the filler's limits first: they must not
    // stop them (counted as too large or too small) before the range check.
    let v: Engine<Vec<u8>, (), (), 6> =
        Engine::new(vec![class(64, l), class(4096, l)], None, None).unwrap();
    drop(v.take(0));
    for class in [2, 5] {
        panics(&format!("put({class}) of a buffer"), &|| {
            v.put(class, Vec::with_capacity(100), Entry::Returned);
        });
    }
    let s = v.stats();
    assert!(s.iter().all(|c| c.discarded == Default::default()), "{s:?}");
}

#[test]
fn one_budget_caps_every_class_together() {
    let cap = SharedByteCap::new(8192).unwrap();
    let l = ClassLimits::default();
    let e: Engine<Vec<u8>> = Engine::new(
        vec![class(4096, l), class(8192, l)],
        Some(cap.clone()),
        None,
    )
    .unwrap();
    let held: Vec<_> = (0..4).map(|i| e.take(i % 2)).collect();
    for (i, v) in held.into_iter().enumerate() {
        e.put(i % 2, v, Entry::Returned);
    }
    let s = e.stats();
    let retained: u64 = s.iter().map(|s| s.retained_bytes).sum();
    assert!(
        retained <= 8192,
        "{retained} bytes kept under a cap of 8192"
    );
    assert!(s.iter().map(|s| s.discarded.over_byte_cap).sum::<u64>() >= 1);
    assert!(cap.available() <= 8192 - retained as usize);
}

#[test]
fn thousands_of_short_lived_threads_hand_their_items_back() {
    let e = Arc::new(two_classes());
    let threads = if cfg!(miri) { 32 } else { 2000 };
    let mut first_round_misses = 0;
    for chunk in 0..threads / 8 {
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (e, barrier) = (Arc::clone(&e), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    let class = (chunk + i) % 2;
                    let v = e.take(class);
                    e.put(class, v, Entry::Returned);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        if chunk == 0 {
            first_round_misses = e.stats().iter().map(|s| s.misses).sum::<u64>();
        }
    }
    assert_eq!(e.threads(), 0, "every exited thread gave its caches back");
    let s = e.stats();
    let total: u64 = s.iter().map(|s| s.gets).sum();
    assert_eq!(total, threads as u64);
    for s in &s {
        assert_eq!(s.outstanding, 0);
        assert_eq!(s.gets, s.hits + s.misses);
        // What the exited threads left went to the spill, never over its
        // cap (4 items), and the rest was freed and counted.
        assert!(s.retained_items <= 4, "{s:?}");
        assert!(s.retained_items > 0, "the spill kept some: {s:?}");
    }
    // A new thread is served from what the exited ones left.
    let hits = e.stats()[0].hits;
    drop(e.take(0));
    assert_eq!(e.stats()[0].hits, hits + 1);
    // Later threads reuse what earlier ones left: fewer items were made
    // after the first round than gets were served.
    let later = e.stats().iter().map(|s| s.misses).sum::<u64>() - first_round_misses;
    assert!(
        later < total - 8,
        "{later} items made for {} later gets",
        total - 8
    );
}

#[test]
fn notes_are_per_thread_and_readable_from_any() {
    #[derive(Default)]
    struct Seen(AtomicUsize);
    let e: Engine<Vec<u8>, Seen> =
        Engine::new(vec![class(16, ClassLimits::default())], None, None).unwrap();
    drop(e.take_noting(0, |n| {
        n.0.fetch_add(1, Relaxed);
    }));
    e.note(|n| {
        n.0.fetch_add(10, Relaxed);
    });
    std::thread::scope(|s| {
        s.spawn(|| {
            e.note(|n| {
                n.0.fetch_add(100, Relaxed);
            })
        });
    });
    let mut seen = Vec::new();
    e.for_each_note(|n| seen.push(n.0.load(Relaxed)));
    seen.sort_unstable();
    assert!(seen == [11, 100] || seen == [111], "{seen:?}");
}

#[test]
fn trim_and_clear_free_every_class() {
    let mut e = two_classes();
    for class in 0..2 {
        let v = e.take(class);
        e.put(class, v, Entry::Returned);
    }
    e.trim();
    assert_eq!(e.stats().iter().map(|s| s.retained_items).sum::<u64>(), 2);
    e.trim();
    assert_eq!(e.stats().iter().map(|s| s.retained_items).sum::<u64>(), 0);
    for class in 0..2 {
        let v = e.take(class);
        e.put(class, v, Entry::Returned);
    }
    e.clear();
    let s = e.stats();
    assert_eq!(s.iter().map(|s| s.retained_bytes).sum::<u64>(), 0);
    assert_eq!(s.iter().map(|s| s.trimmed).sum::<u64>(), 4);
}

#[test]
fn per_class_holds_one_value_per_class() {
    let mut p = PerClass::from_vec(vec![1, 2, 3]).unwrap();
    *p.get_mut(2) += 10;
    assert_eq!(p.iter().copied().collect::<Vec<_>>(), [1, 2, 13]);
    assert_eq!(p.into_iter().collect::<Vec<_>>(), [1, 2, 13]);
}

/// A table that breaks its promise to return the same limits on every
/// call: valid when the engine is built, out of range afterwards.
struct Fickle {
    calls: AtomicUsize,
}

impl ClassTable<Vec<u8>> for Fickle {
    fn classes(&self) -> usize {
        1
    }
    fn limits(&self, _class: usize) -> ClassLimits {
        if self.calls.fetch_add(1, Relaxed) == 0 {
            ClassLimits {
                cache_size: 4,
                spill_size: 8,
                ..ClassLimits::default()
            }
        } else {
            ClassLimits {
                cache_size: usize::MAX,
                spill_size: usize::MAX,
                min_item_bytes: usize::MAX,
                max_item_bytes: 0,
            }
        }
    }
    fn make(&self, _class: usize) -> Vec<u8> {
        Vec::with_capacity(64)
    }
}

#[test]
fn limits_out_of_range_after_the_build_are_held_to_the_checked_ranges() {
    let mut engine: Engine<Vec<u8>> = Engine::with_table(
        Fickle {
            calls: AtomicUsize::new(0),
        },
        None,
        None,
        (),
    )
    .expect("valid at the build");
    // Items go round, overflow the cache into the spill and come back,
    // with nothing sized by the out-of-range numbers (which would abort on
    // allocation or overflow a capacity).
    let items: Vec<Vec<u8>> = (0..200).map(|_| engine.take(0)).collect();
    for item in items {
        engine.put(0, item, Entry::Returned);
    }
    let again: Vec<Vec<u8>> = (0..200).map(|_| engine.take(0)).collect();
    assert!(again.iter().all(|b| b.capacity() >= 64));
    let limits = engine.limits(0);
    assert_eq!(limits.cache_size, MAX_CACHE_SIZE);
    assert_eq!(limits.spill_size, MAX_SPILL_SIZE);
    assert!(limits.validate().is_ok(), "{limits:?}");
    drop(again);
    engine.trim();
    engine.clear();
}
