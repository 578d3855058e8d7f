//! Several threads share one `LocalPool` of 4 KiB buffers, some buffers are
//! handed to another thread and dropped there, and the pool's statistics
//! are printed at the end.
//!
//! `cargo run --release -p pool-toolkit --example local_threads [threads] [rounds]`

use std::sync::{Arc, mpsc};
use std::time::Instant;

use pool::prelude::*;

fn main() -> Result<(), PoolError> {
    let mut args = std::env::args().skip(1);
    let threads: usize = parse(args.next(), 4, "threads");
    let rounds: usize = parse(args.next(), 200_000, "rounds");

    let pool = Arc::new(
        LocalPool::builder()
            .cache_size(64)
            .max_item_bytes(64 << 10)
            .max_retained_bytes(32 << 20)
            .build(|| Vec::<u8>::with_capacity(4096))?,
    );

    let start = Instant::now();
    let (tx, rx) = mpsc::channel::<OwnedPooled<LocalPool<Vec<u8>>>>();
    std::thread::scope(|s| {
        // A consumer thread drops what the workers hand over.
        s.spawn(move || rx.into_iter().for_each(drop));
        for t in 0..threads {
            let (pool, tx) = (Arc::clone(&pool), tx.clone());
            s.spawn(move || {
                for i in 0..rounds {
                    let mut buf = pool.get_owned();
                    buf.extend_from_slice(&[t as u8; 16]);
                    if i % 64 == 0 {
                        tx.send(buf).expect("the consumer outlives the workers");
                    }
                }
            });
        }
        drop(tx);
    });
    let elapsed = start.elapsed();

    let stats = pool.stats();
    println!("{threads} threads x {rounds} get+write+put of a 4 KiB Vec<u8> in {elapsed:.2?}");
    println!("{stats}");
    println!("hit rate: {:.2}%", stats.hit_rate() * 100.0);
    Ok(())
}

fn parse(arg: Option<String>, default: usize, what: &str) -> usize {
    match arg {
        None => default,
        Some(text) => match text.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("{what} must be a positive whole number, got {text:?}");
                std::process::exit(2);
            }
        },
    }
}
