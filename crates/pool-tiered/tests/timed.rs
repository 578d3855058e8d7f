//! Timed trimming of every class: a burst comes back with no call.

use std::time::{Duration, Instant};

use pool_tiered::{PoolError, TieredPool};

#[test]
fn a_burst_of_every_class_comes_back_without_a_call() {
    let pool = TieredPool::builder()
        .cache_size(4)
        .trim_interval(Duration::from_millis(20))
        .build()
        .unwrap();
    let lens = [1000, 5000, 70_000];
    // Steady: four of each at a time (what each class's cache keeps).
    for _ in 0..20 {
        let held: Vec<_> = (0..4).flat_map(|_| lens.map(|l| pool.get(l))).collect();
        drop(held);
    }
    let steady = pool.stats().total.retained_bytes;
    // A burst of 40 of each, all given back.
    let burst: Vec<_> = (0..40).flat_map(|_| lens.map(|l| pool.get(l))).collect();
    drop(burst);
    assert!(pool.stats().total.retained_bytes >= 10 * steady);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = pool.stats().total;
        if s.timed_trims >= 2 && s.retained_bytes <= steady * 11 / 10 {
            break;
        }
        assert!(Instant::now() < deadline, "the timed trims never came: {s}");
        std::thread::sleep(Duration::from_millis(2));
    }
    let s = pool.stats().total;
    assert!(s.timed_trimmed > 0, "{s}");
    assert_eq!(s.outstanding, 0);
}

#[test]
fn a_zero_interval_is_refused() {
    let e = TieredPool::builder()
        .trim_interval(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            e,
            PoolError::InvalidConfig {
                field: "trim_interval",
                ..
            }
        ),
        "{e}"
    );
}
