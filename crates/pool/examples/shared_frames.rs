//! The tiered case: frames of many sizes come from a `TieredPool`, are
//! frozen into reference-counted `SharedBuf`s, handed to several threads
//! (and, with the `bytes` feature, to `bytes::Bytes` without a copy), and
//! each buffer goes back to its class when the last handle drops.
//!
//! `cargo run --release -p pool-toolkit --features bytes --example shared_frames`

use std::sync::mpsc;

use pool::prelude::*;
use pool::{SizeClasses, TieredBuf};

fn main() -> Result<(), PoolError> {
    let pool = TieredPool::builder()
        .classes(SizeClasses::stream())
        .max_retained_bytes(32 << 20)
        .build()?;
    // Bounded channels: the producer waits for slow readers (back-pressure).
    let (tx, rx) = mpsc::sync_channel::<SharedBuf>(16);
    std::thread::scope(|s| {
        // Three readers each get every frame (a broadcast).
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let (rtx, rrx) = mpsc::sync_channel::<SharedBuf>(16);
                s.spawn(move || rrx.into_iter().map(|f| f.len()).sum::<usize>());
                rtx
            })
            .collect();
        s.spawn(move || {
            for frame in rx {
                for r in &readers {
                    r.send(frame.clone()).expect("reader alive");
                }
            }
        });
        for n in 0..3000usize {
            let len = [64, 900, 1400, 8000, 60_000][n % 5];
            let mut buf = pool.get(len);
            buf.resize(len, (n % 251) as u8);
            let frame = TieredBuf::freeze(buf);
            #[cfg(feature = "bytes")]
            if n % 100 == 0 {
                // Zero-copy: the Bytes keeps the pooled buffer alive.
                let b: bytes::Bytes = frame.clone().into_bytes();
                assert_eq!(b.len(), len);
            }
            tx.send(frame).expect("the fan-out thread is alive");
        }
        drop(tx);
    });
    let s = pool.stats();
    println!("{s}");
    assert_eq!(s.total.outstanding, 0, "every frame came back");
    assert!(s.total.hit_rate() > 0.5, "buffers are reused: {s}");
    Ok(())
}
