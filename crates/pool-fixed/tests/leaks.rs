//! Leak sites (`leak-sites` feature): where a bounded pool's items went.
#![cfg(feature = "leak-sites")]

use std::sync::Arc;

use pool_core::leaks::LeakTracker;
use pool_fixed::FixedPool;

fn tracked(n: usize) -> Arc<FixedPool<Vec<u8>>> {
    Arc::new(
        FixedPool::builder()
            .capacity(n)
            .leak_tracker(LeakTracker::new())
            .build(Vec::new)
            .unwrap(),
    )
}

#[test]
fn every_way_of_taking_records_the_callers_line() {
    let pool = tracked(6);
    let mut lines = Vec::new();
    lines.push(line!() + 1);
    let a = pool.get_blocking().unwrap();
    lines.push(line!() + 1);
    let b = pool.try_get().unwrap();
    lines.push(line!() + 1);
    let c = pool.get_owned_blocking().unwrap();
    lines.push(line!() + 1);
    let d = pool.get_timeout(std::time::Duration::from_secs(1)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    lines.push(line!() + 1);
    let fut = pool.get_async();
    let e = rt.block_on(fut).unwrap();
    lines.push(line!() + 1);
    let mut iter = pool.blocking_iter();
    let f = iter.next().unwrap();
    let out = pool.outstanding_sites();
    assert_eq!(out.items(), 6, "{out}");
    let mut seen: Vec<u32> = out.sites.iter().map(|s| s.location.line()).collect();
    seen.sort_unstable();
    assert_eq!(seen, lines, "{out}");
    assert!(
        out.sites.iter().all(|s| s.location.file() == file!()),
        "{out}"
    );
    drop((a, b, c, d, e, f));
    assert_eq!(pool.outstanding_sites().items(), 0);
}

#[test]
fn a_leaked_item_is_found_and_detached_ones_are_not_leaks() {
    let pool = tracked(2);
    let leak_line = line!() + 1;
    std::mem::forget(pool.get_blocking().unwrap());
    drop(pool_core::Pooled::detach(pool.get_blocking().unwrap()));
    let out = pool.outstanding_sites();
    assert_eq!(out.items(), 1);
    assert_eq!(out.sites[0].location.line(), leak_line);
    assert!(
        out.to_string()
            .contains(&format!("tests/leaks.rs:{leak_line}")),
        "{out}"
    );
}
