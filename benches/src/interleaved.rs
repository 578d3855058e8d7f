//! The one-thread ratios timed a second way: two contenders' plain loops
//! in alternation, in one process, round after round, and the median of
//! the rounds' ratios.
//!
//! Criterion times each contender on its own, one after the other, over a
//! few seconds each; on a shared machine the load drifts between the two,
//! and a ratio of two such figures moves by 30% from run to run. Here both
//! loops run within a few milliseconds of each other, in the order
//! who, vs, vs, who, so a drift moves both alike and the ratio holds. `cargo xtask bench` asks for the pairs its one-thread
//! targets compare (`POOL_BENCH_PAIRS`) and prints each figure beside the
//! criterion one.

use std::time::Duration;

use crate::contenders::*;
use crate::peers::*;
use crate::scenarios::run_threads;
use crate::settings::size_label;
use crate::{records, table};

/// A contender built at one size, as a plain timed loop: `iters`
/// operations on this thread, and their time.
pub type Looped = Box<dyn FnMut(u64) -> Duration>;

/// Builds a contender at a size as a [`Looped`].
pub type Make = fn(usize) -> Looped;

fn make<C: Contender + 'static>(size: usize) -> Looped {
    let c = C::build(size);
    Box::new(move |iters| run_threads(&c, 1, iters))
}

/// The contenders that can be paired ([`table::PAIRABLE`], in its order),
/// each with its [`Make`].
pub const PAIRABLE: &[(&str, Make)] = &[
    (table::POOL_LOCAL.name, make::<PoolLocal>),
    (table::POOL_LOCAL_TIMED.name, make::<PoolLocalTimed>),
    (table::POOL_LOCAL_OWNED.name, make::<PoolLocalOwned>),
    (table::POOL_TIERED.name, make::<PoolTiered>),
    (table::POOL_TIERED_OWNED.name, make::<PoolTieredOwned>),
    (table::POOL_FIXED.name, make::<PoolFixed>),
    (table::POOL_FIXED_OWNED.name, make::<PoolFixedOwned>),
    (table::POOL_RING.name, make::<PoolRing>),
    (table::POOL_RING_OWNED.name, make::<PoolRingOwned>),
    (table::TLS_STACK.name, make::<TlsStack>),
    (table::ZEROPOOL.name, make::<Zeropool>),
    (table::LOCKFREE_OBJECT_POOL.name, make::<LockfreeObjectPool>),
];

/// The sizes at which pairs are timed: those the one-thread targets read.
pub const SIZES: &[usize] = &[4096, 65536];

/// Rounds per pair; the median of their ratios is reported.
pub const ROUNDS: usize = 7;

/// How long one loop of one round runs, about.
const LOOP_TIME: Duration = Duration::from_millis(10);

/// The pairs named by `spec` (`who:vs,who:vs`, as `POOL_BENCH_PAIRS`),
/// each name looked up in `list`.
///
/// # Errors
///
/// A pair that is not two names joined by `:`, or a name not in `list`.
pub fn parse_pairs<'a>(
    spec: &'a str,
    list: &[(&'a str, Make)],
) -> Result<Vec<(&'a str, &'a str)>, String> {
    let known = |n: &str| list.iter().any(|(name, _)| *name == n);
    spec.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once(':') {
            Some((who, vs)) if known(who) && known(vs) => Ok((who, vs)),
            Some((who, vs)) => {
                let unknown = if known(who) { vs } else { who };
                Err(format!(
                    "POOL_BENCH_PAIRS: `{unknown}` (in `{p}`) is not a contender that can be paired; expected one of {}",
                    list.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ))
            }
            None => Err(format!(
                "POOL_BENCH_PAIRS: `{p}` is not a pair; expected `who:vs`"
            )),
        })
        .collect()
}

/// The median of `rounds` ratios of `who`'s time to `vs`'s. A round
/// times `who`, `vs`, `vs`, `who`, each loop about `loop_time` long, and
/// divides the sum of `who`'s two by the sum of `vs`'s: a load that grows
/// or falls steadily through the round weighs on both alike.
pub fn ratio(who: &mut Looped, vs: &mut Looped, rounds: usize, loop_time: Duration) -> f64 {
    // Warm both, then size the loops from the slower of two short ones.
    let probe = 10_000;
    let per_op = who(probe).max(vs(probe)).as_secs_f64() / probe as f64;
    let iters = ((loop_time.as_secs_f64() / per_op.max(1e-9)) as u64).clamp(1_000, 50_000_000);
    let mut ratios: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let a = who(iters);
            let b = vs(iters) + vs(iters);
            let a = a + who(iters);
            a.as_secs_f64() / b.as_secs_f64().max(1e-12)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

/// Times every pair of `POOL_BENCH_PAIRS` at `size` and records each
/// ratio (`interleaved/<size>/1t/<who>/<vs>`) for the report. Nothing
/// when the variable is unset or `size` is not one of [`SIZES`].
///
/// # Panics
///
/// Never; a malformed `POOL_BENCH_PAIRS` ends the process with a message
/// naming what was wrong (exit status 2), as a bad workload does.
pub fn run_pairs(size: usize) {
    let Ok(spec) = std::env::var("POOL_BENCH_PAIRS") else {
        return;
    };
    if !SIZES.contains(&size) {
        return;
    }
    let pairs = match parse_pairs(&spec, PAIRABLE) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let find = |n: &str| PAIRABLE.iter().find(|(name, _)| *name == n).map(|p| p.1);
    for (who, vs) in pairs {
        let (Some(make_who), Some(make_vs)) = (find(who), find(vs)) else {
            continue;
        };
        let (mut a, mut b) = (make_who(size), make_vs(size));
        let r = ratio(&mut a, &mut b, ROUNDS, LOOP_TIME);
        let label = size_label(size);
        println!("interleaved {label}, 1 thread: {who} / {vs} = {r:.2}x (median of {ROUNDS} rounds)");
        crate::registry::record(&records::ExtraRecord {
            id: format!("interleaved/{label}/1t/{who}/{vs}"),
            retained_bytes: None,
            home: None,
            ratio: Some(r),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pairable_name_has_its_loop() {
        let names: Vec<&str> = PAIRABLE.iter().map(|p| p.0).collect();
        let table: Vec<&str> = table::PAIRABLE.iter().map(|e| e.name).collect();
        assert_eq!(names, table);
    }

    #[test]
    fn pairs_parse_and_unknown_names_are_named() {
        let p = parse_pairs("pool-tiered:pool-local, pool-local:zeropool,", PAIRABLE).unwrap();
        assert_eq!(p, [("pool-tiered", "pool-local"), ("pool-local", "zeropool")]);
        let e = parse_pairs("pool-local:nosuch", PAIRABLE).unwrap_err();
        assert!(e.contains("`nosuch`") && e.contains("pool-tiered"), "{e}");
        let e = parse_pairs("pool-local", PAIRABLE).unwrap_err();
        assert!(e.contains("expected `who:vs`"), "{e}");
    }

    /// Loops on a fake clock: `who` costs twice `vs` per operation while
    /// the machine slows by a tenth at every loop, and one loop of `who`
    /// is hit by a tenfold stall. The who-vs-vs-who order cancels the
    /// drift (to 1%) and the median drops the stall's round: 2x.
    #[test]
    fn the_ratio_is_the_median_of_alternating_rounds() {
        use std::cell::Cell;
        use std::rc::Rc;
        let clock = Rc::new(Cell::new(1.0f64));
        let timed = |ns_per_op: f64, stall_at: Option<u32>| -> Looped {
            let clock = Rc::clone(&clock);
            let mut calls = 0;
            Box::new(move |iters| {
                calls += 1;
                let slow = clock.get();
                clock.set(slow * 1.1);
                let stall = if Some(calls) == stall_at { 10.0 } else { 1.0 };
                Duration::from_secs_f64(iters as f64 * ns_per_op * slow * stall * 1e-9)
            })
        };
        let mut who = timed(20.0, Some(4));
        let mut vs = timed(10.0, None);
        let r = ratio(&mut who, &mut vs, 7, Duration::from_millis(1));
        assert!((1.96..2.06).contains(&r), "{r}");
        // Equal loops read 1x, though who, first and last in each round,
        // ran slower and faster than vs.
        let mut who = timed(10.0, None);
        let mut vs = timed(10.0, None);
        let r = ratio(&mut who, &mut vs, 7, Duration::from_millis(1));
        assert!((0.97..1.03).contains(&r), "{r}");
    }
}
