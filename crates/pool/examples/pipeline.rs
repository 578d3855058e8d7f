//! A producer-to-consumer pipeline: producer threads fill buffers from a
//! `LocalPool` and send them on; consumer threads read and drop them, so
//! every buffer comes back on another thread than the one that took it.
//! The statistics show the hand-back through the consumers' caches and the
//! shared spill, and what the pool retains at the end.
//!
//! `cargo run --release -p pool-toolkit --example pipeline [items]`

use std::sync::{Arc, mpsc};
use std::time::Instant;

use pool::prelude::*;

fn main() -> Result<(), PoolError> {
    let items: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("items: a number"))
        .unwrap_or(200_000);
    let pool = Arc::new(
        LocalPool::builder()
            .max_retained_bytes(16 << 20)
            .build(|| Vec::<u8>::with_capacity(16 << 10))?,
    );
    let (producers, consumers) = (2, 2);
    let start = Instant::now();
    let checksum: u64 = std::thread::scope(|s| {
        let mut senders = Vec::new();
        let mut sums = Vec::new();
        for _ in 0..consumers {
            let (tx, rx) = mpsc::sync_channel::<OwnedPooled<LocalPool<Vec<u8>>>>(64);
            senders.push(tx);
            sums.push(s.spawn(move || {
                rx.into_iter()
                    .map(|buf| buf.iter().map(|&b| u64::from(b)).sum::<u64>())
                    .sum::<u64>()
            }));
        }
        for p in 0..producers {
            let pool = Arc::clone(&pool);
            let senders = senders.clone();
            s.spawn(move || {
                for i in 0..items / producers {
                    let mut buf = pool.get_owned();
                    buf.resize(4096, (i % 7) as u8);
                    senders[(i + p) % consumers]
                        .send(buf)
                        .expect("consumer alive");
                }
            });
        }
        drop(senders);
        sums.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let s = pool.stats();
    println!(
        "{producers} producers -> {consumers} consumers: {} buffers in {:.2?} (checksum {checksum})",
        s.gets,
        start.elapsed()
    );
    println!("{s}");
    assert_eq!(s.outstanding, 0);
    assert!(s.retained_bytes <= 16 << 20);
    Ok(())
}
