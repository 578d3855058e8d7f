//! Leak sites (`leak-sites` feature): a guard that never comes back is
//! found by its file and line.
#![cfg(feature = "leak-sites")]

use std::sync::{Arc, Mutex};

use pool_core::leaks::{LeakReason, LeakTracker};
use pool_core::{OwnedPooled, Pooled};
use pool_local::LocalPool;

#[test]
fn a_forgotten_guard_is_found_by_file_and_line() {
    let pool = LocalPool::builder()
        .leak_tracker(LeakTracker::new())
        .build(|| Vec::<u8>::with_capacity(64))
        .unwrap();
    let kept = pool.get();
    let leaked_line = line!() + 1;
    std::mem::forget(pool.get()); // the leak
    let detached = Pooled::detach(pool.get()); // not a leak: it left for good
    drop(kept); // not a leak: it came back
    let out = pool.outstanding_sites();
    assert_eq!(out.items(), 1, "{out}");
    let site = &out.sites[0];
    assert_eq!(site.location.file(), file!());
    assert_eq!(site.location.line(), leaked_line);
    assert!(
        out.to_string().contains(&format!("leaks.rs:{leaked_line}")),
        "{out}"
    );
    drop(detached);
}

#[test]
fn owned_guards_and_the_trait_record_the_callers_site_too() {
    let pool = Arc::new(
        LocalPool::builder()
            .leak_tracker(LeakTracker::new())
            .build(|| Vec::<u8>::with_capacity(64))
            .unwrap(),
    );
    let owned_line = line!() + 1;
    let owned = pool.get_owned();
    let trait_line = line!() + 1;
    let through_trait = pool_core::Pool::try_get(&*pool).unwrap();
    let out = pool.outstanding_sites();
    let lines: Vec<u32> = out.sites.iter().map(|s| s.location.line()).collect();
    assert!(
        lines.contains(&owned_line) && lines.contains(&trait_line),
        "{out}"
    );
    std::thread::spawn(move || drop(owned)).join().unwrap();
    drop(through_trait);
    assert_eq!(pool.outstanding_sites().items(), 0);
    let detached = OwnedPooled::detach(pool.get_owned());
    assert_eq!(
        pool.outstanding_sites().items(),
        0,
        "detached guards are not leaks"
    );
    drop(detached);
}

#[test]
fn guards_out_when_the_pool_drops_are_reported_once() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&reports);
    let pool = LocalPool::builder()
        .leak_tracker(LeakTracker::new().on_report(move |rep| {
            r.lock()
                .unwrap()
                .push((rep.reason, rep.outstanding.items(), rep.to_string()));
        }))
        .build(|| Vec::<u8>::with_capacity(64))
        .unwrap();
    std::mem::forget(pool.get());
    std::mem::forget(pool.get());
    drop(pool);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!((reports[0].0, reports[0].1), (LeakReason::PoolDropped, 2));
    assert!(reports[0].2.contains("tests/leaks.rs"), "{}", reports[0].2);
}

#[test]
fn a_pool_without_a_tracker_reports_nothing() {
    let pool = LocalPool::new(Vec::<u8>::new);
    std::mem::forget(pool.get());
    assert_eq!(pool.outstanding_sites().items(), 0);
    assert_eq!(pool.stats().outstanding, 1, "the counters still see it");
}

#[test]
fn a_sampled_tracker_records_one_guard_in_n_and_forgets_them_all() {
    use pool_core::leaks::LeakTracker;
    // A fresh thread: its countdown starts at zero, so the count is exact.
    std::thread::spawn(|| {
        let pool = pool_local::LocalPool::builder()
            .leak_tracker(LeakTracker::new().sample_one_in(4))
            .build(Vec::<u8>::new)
            .unwrap();
        let held: Vec<_> = (0..40).map(|_| pool.get()).collect();
        assert_eq!(pool.outstanding_sites().items(), 10);
        drop(held);
        assert_eq!(pool.outstanding_sites().items(), 0);
        // 0 means every guard; u32::MAX records the first and then none
        // for a long while, without overflow.
        for (n, expected) in [(0, 5), (u32::MAX, 1)] {
            let pool = pool_local::LocalPool::builder()
                .leak_tracker(LeakTracker::new().sample_one_in(n))
                .build(Vec::<u8>::new)
                .unwrap();
            let held: Vec<_> = (0..5).map(|_| pool.get()).collect();
            assert_eq!(pool.outstanding_sites().items(), expected, "n={n}");
            drop(held);
        }
    })
    .join()
    .unwrap();
}
