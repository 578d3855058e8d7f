//! `TieredPool::workload`: what a live pool exports for
//! `cargo xtask bench --workload FILE`, at the edges.

use pool_tiered::TieredPool;

#[test]
fn a_workload_survives_the_threads_that_made_it() {
    let pool = TieredPool::new();
    std::thread::scope(|s| {
        for len in [100, 5000, 5000] {
            let pool = &pool;
            s.spawn(move || drop(pool.get(len)));
        }
    });
    // Every requesting thread has exited: what is exported still counts
    // their requests (by length, or by class if their lengths went with
    // them), and it validates.
    let w = pool.workload(3);
    w.validate().expect("a valid workload");
    let total: u64 = w.sizes.iter().map(|s| s.count).sum();
    assert_eq!(total, 3, "{w:?}");
    assert!(w.max_bytes() >= 5000, "{w:?}");
}

#[test]
fn an_unused_pool_exports_a_workload_that_says_it_is_empty() {
    let w = TieredPool::new().workload(1);
    assert!(w.sizes.is_empty());
    assert_eq!(
        w.validate(),
        Err(pool_tiered::workload::WorkloadError::NoRequests)
    );
}

#[test]
fn out_of_range_thread_counts_are_caught_by_validate_not_by_a_panic() {
    let pool = TieredPool::new();
    drop(pool.get(64));
    for threads in [0, usize::MAX] {
        let err = pool.workload(threads).validate().unwrap_err();
        assert!(err.to_string().contains("`threads`"), "{err}");
    }
}

#[cfg(feature = "serde")]
#[test]
fn the_exported_json_reads_back_as_the_same_workload() {
    let pool = TieredPool::new();
    for len in [512, 1460, 512, 70_000] {
        drop(pool.get(len));
    }
    let w = pool.workload(8).with_held(4);
    let json = serde_json::to_string(&w).unwrap();
    let back: pool_tiered::workload::Workload = serde_json::from_str(&json).unwrap();
    assert_eq!(back, w);
}
