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
    // What the steady load keeps: four buffers of each class (fewer if a
    // timed trim came between two rounds on a slow machine).
    let steady = 4 * lens
        .map(|l| pool.get(l).capacity() as u64)
        .iter()
        .sum::<u64>();
    assert!(pool.stats().total.retained_bytes <= steady);
    // A burst of 40 of each, all given back. (On a slow machine timed trims
    // may come during the burst already: nothing below depends on when.)
    let burst: Vec<_> = (0..40).flat_map(|_| lens.map(|l| pool.get(l))).collect();
    drop(burst);
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
    drop(pool);
    // Lets the trimmer thread end (Miri wants every thread finished).
    assert!(pool_engine::trimmer::wait_ended(Duration::from_secs(60)));
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
