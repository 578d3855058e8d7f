//! A second harness for the one-thread figure against zeropool, with no
//! criterion and no contender traits: `plain-loop [ROUNDS]` times
//! pool-local's `get`, a 16-byte write and the drop, and zeropool's
//! `alloc_uninit`, a 16-byte write and the drop, in plain loops, the two
//! in alternating rounds, at 4 KiB and 64 KiB, and prints the median ratio
//! of each size with the spread of the middle half of the rounds.

use std::hint::black_box;
use std::time::Instant;

use pool::local::LocalPool;

/// Ops per round: long enough that the clock's resolution does not count.
const OPS: u64 = 200_000;

fn main() {
    let rounds = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => 31,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: plain-loop [ROUNDS] (at least 1)");
            std::process::exit(2);
        }
    };
    let data = [7u8; 16];
    for size in [4096usize, 65536] {
        let local = LocalPool::new(move || Vec::<u8>::with_capacity(size));
        let zero = zeropool::ZeroPool::new();
        let time_local = || {
            let start = Instant::now();
            for _ in 0..OPS {
                let mut b = local.get();
                b.extend_from_slice(black_box(&data));
                black_box(b.as_ptr());
            }
            start.elapsed().as_nanos() as f64 / OPS as f64
        };
        let time_zero = || {
            let start = Instant::now();
            for _ in 0..OPS {
                let mut b = zero.alloc_uninit(size);
                let buf = b.as_uninit_mut();
                buf[..16].write_copy_of_slice(black_box(&data));
                black_box(buf.as_ptr());
            }
            start.elapsed().as_nanos() as f64 / OPS as f64
        };
        // Warm both, then alternate (which goes first alternates too).
        time_local();
        time_zero();
        let mut ratios = Vec::with_capacity(rounds);
        let (mut l_sum, mut z_sum) = (0.0, 0.0);
        for r in 0..rounds {
            let (l, z) = if r % 2 == 0 {
                let l = time_local();
                (l, time_zero())
            } else {
                let z = time_zero();
                (time_local(), z)
            };
            l_sum += l;
            z_sum += z;
            ratios.push(l / z);
        }
        ratios.sort_by(f64::total_cmp);
        let q = |f: f64| ratios[((ratios.len() - 1) as f64 * f).round() as usize];
        println!(
            "{} KiB: pool-local / zeropool = {:.3} (middle half {:.3}..{:.3}; mean ns {:.2} vs {:.2}, {rounds} rounds of {OPS} ops)",
            size >> 10,
            q(0.5),
            q(0.25),
            q(0.75),
            l_sum / rounds as f64,
            z_sum / rounds as f64,
        );
    }
}
