//! Leak sites (`leak-sites` feature): borrowed, owned and frozen buffers
//! are found by their file and line until they come back.
#![cfg(feature = "leak-sites")]

use std::sync::{Arc, Mutex};

use pool_core::leaks::{LeakReason, LeakTracker};
use pool_tiered::{OwnedTieredBuf, TieredBuf, TieredPool};

fn tracked() -> TieredPool {
    TieredPool::builder()
        .leak_tracker(LeakTracker::new())
        .build()
        .unwrap()
}

#[test]
fn every_guard_kind_is_tracked_until_it_comes_back() {
    let pool = tracked();
    let l1 = line!() + 1;
    let a = pool.get(100);
    let l2 = line!() + 1;
    let b = pool.get_owned(5000);
    let l3 = line!() + 1;
    let frozen = TieredBuf::freeze(pool.get(300));
    let copy = frozen.clone();
    let l4 = line!() + 1;
    let through_trait = pool_core::Pool::try_get(&pool).unwrap();
    let oversize = pool.get(64 << 20); // never pooled: not tracked
    let out = pool.outstanding_sites();
    let mut lines: Vec<u32> = out.sites.iter().map(|s| s.location.line()).collect();
    lines.sort_unstable();
    assert_eq!(lines, [l1, l2, l3, l4], "{out}");
    drop((a, through_trait, oversize));
    std::thread::spawn(move || drop(b)).join().unwrap();
    drop(frozen);
    assert_eq!(
        pool.outstanding_sites().items(),
        1,
        "a clone still holds the frozen buffer"
    );
    drop(copy);
    assert_eq!(pool.outstanding_sites().items(), 0);
}

#[test]
fn detached_buffers_are_not_leaks_and_forgotten_ones_are_reported_at_drop() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&reports);
    let pool = TieredPool::builder()
        .leak_tracker(LeakTracker::new().on_report(move |rep| {
            r.lock().unwrap().push((rep.reason, rep.to_string()));
        }))
        .build()
        .unwrap();
    drop(TieredBuf::detach(pool.get(10)));
    drop(OwnedTieredBuf::detach(pool.get_owned(10)));
    let leak_line = line!() + 1;
    std::mem::forget(pool.get_owned(10));
    assert_eq!(pool.outstanding_sites().items(), 1);
    drop(pool);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].0, LeakReason::PoolDropped);
    assert!(
        reports[0]
            .1
            .contains(&format!("tests/leaks.rs:{leak_line}")),
        "{}",
        reports[0].1
    );
}
