//! The bounded-pool case: 20 workers share 10 buffers of a `FixedPool`;
//! each waits (with a timeout) for a buffer, fills it, and gives it back.
//! Never more than 10 buffers exist; the statistics show how often and how
//! long workers waited.
//!
//! `cargo run --release -p pool-toolkit --example bounded_workers [rounds]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use pool::prelude::*;

fn main() -> Result<(), PoolError> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("rounds: a number"))
        .unwrap_or(2_000);
    let pool = Arc::new(FixedPool::<Buffer<u8>>::buffers(10, 1024)?);
    let start = Instant::now();
    let timeouts = std::thread::scope(|s| {
        let workers: Vec<_> = (0..20u8)
            .map(|w| {
                let pool = Arc::clone(&pool);
                s.spawn(move || {
                    let mut timeouts = 0;
                    for round in 0..rounds {
                        match pool.get_timeout(Duration::from_secs(1)) {
                            Ok(mut buf) => {
                                let n = 1 + round % 1000;
                                buf.full_mut()[..n].fill(w);
                                buf.set_len(n).expect("n <= 1024");
                                assert!(buf.valid().iter().all(|&b| b == w));
                            }
                            Err(PoolError::TimedOut { .. }) => timeouts += 1,
                            Err(e) => panic!("{e}"),
                        }
                    }
                    timeouts
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum::<usize>()
    });
    let took = start.elapsed();
    let s = pool.stats();
    println!("20 workers x {rounds} rounds on 10 buffers in {took:.2?}");
    println!("{}", pool.status());
    println!("{s}");
    assert_eq!(s.gets as usize + timeouts, 20 * rounds);
    assert_eq!(s.misses, 0, "never more than the 10 buffers made up front");
    assert_eq!(pool.status().in_use, 0);
    Ok(())
}
