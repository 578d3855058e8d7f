//! The targets' ratios timed a second way (`single`, `two`: two pools
//! used in turn, `threads` at the most threads of the run, `cross`:
//! taken on one thread, dropped on another, and `pipeline`, whose rows the
//! recommendations read): two contenders' plain loops in alternation, in
//! one process, round after round, and the median of the rounds' ratios.
//!
//! Criterion times each contender on its own, one after the other, over a
//! few seconds each; on a shared machine the load drifts between the two,
//! and a ratio of two such figures moves by 30% from run to run. Here both
//! loops run within a few milliseconds of each other, in the order
//! who, vs, vs, who, so a drift moves both alike and the ratio holds.
//! `cargo xtask bench` asks for the pairs its targets compare
//! (`POOL_BENCH_PAIRS`) and prints each figure beside the criterion one.

use std::time::Duration;

use crate::contenders::*;
use crate::peers::*;
use crate::pipeline;
use crate::replay::Replay;
use crate::scenarios::{run_cross, run_threads, run_two};
use crate::settings::size_label;
use crate::{records, table};

/// A contender built at one size, as a plain timed loop: `iters`
/// operations on each of its threads, and the time of the whole group.
pub type Looped = Box<dyn FnMut(u64) -> Duration>;

/// Builds a contender at a size, for a number of threads, as a
/// [`Looped`].
pub type Make = fn(usize, usize) -> Looped;

/// A `single` or `threads` loop of `C`: get, 16-byte write, put.
pub fn make_single<C: Contender + 'static>(size: usize, threads: usize) -> Looped {
    let c = C::build(size);
    Box::new(move |iters| run_threads(&c, threads, iters))
}

/// As [`make_single`], for the `two` scenario: two pools used in turn on one
/// thread.
fn make_two<C: Contender + 'static>(size: usize, _threads: usize) -> Looped {
    let (a, b) = (C::build(size), C::build(size));
    Box::new(move |iters| run_two(&a, &b, iters))
}

/// As [`make_single`], for the `cross` scenario: taken and written on this
/// thread, dropped on a consumer thread of its own (the pair of threads
/// is the scenario's; `threads` is ignored).
fn make_cross<C: Contender + 'static>(size: usize, _threads: usize) -> Looped {
    let c = C::build(size);
    Box::new(move |iters| run_cross(&c, iters))
}

/// As [`make_single`], for the `pipeline` scenario: `items` buffers
/// through `threads` threads' producers and consumers, the contender built
/// as the pipeline's criterion rows build it.
fn make_pipeline<C: Replay + 'static>(size: usize, threads: usize) -> Looped {
    let c = pipeline::build::<C>(size, threads);
    let shape = pipeline::Shape::of(size, threads);
    Box::new(move |iters| pipeline::run_pipeline(&c, shape, iters))
}

/// The contenders that can be paired in `scenario` (`single`, `two`,
/// `threads`, at the most threads of the run, `cross`, `cross-above`, or
/// `pipeline`), each with its [`Make`]; empty for another scenario.
pub fn pairable(scenario: &str) -> &'static [(&'static str, Make)] {
    match scenario {
        "single" | "threads" => PAIRABLE,
        "two" => PAIRABLE_TWO,
        "cross" => PAIRABLE_CROSS,
        "pipeline" => PAIRABLE_PIPELINE,
        table::CROSS_ABOVE => PAIRABLE_ABOVE,
        _ => &[],
    }
}

/// The contenders of [`table::CROSS_ABOVE`]: owned guards, and plain
/// allocation with the process's global allocator. `who` and `vs` (the
/// allocator) run in alternation with the hand-off of a bare `usize`
/// ([`above`]), in the `pools_mimalloc` target only, where plain
/// allocation is mimalloc's.
pub const PAIRABLE_ABOVE: &[(&str, Make)] = &[
    (table::POOL_LOCAL_OWNED.name, make_cross::<PoolLocalOwned>),
    (table::POOL_TIERED_OWNED.name, make_cross::<PoolTieredOwned>),
    (table::ALLOC_MIMALLOC, make_cross::<Alloc>),
];

/// The contenders of `cross` that can be paired (the names of
/// [`table::pairable`]`("cross")`): owned guards against a shared pool's
/// borrowed ones, the pairs of the cross-thread targets.
pub const PAIRABLE_CROSS: &[(&str, Make)] = &[
    (table::POOL_LOCAL.name, make_cross::<PoolLocal>),
    (table::POOL_LOCAL_OWNED.name, make_cross::<PoolLocalOwned>),
    (table::POOL_TIERED.name, make_cross::<PoolTiered>),
    (table::POOL_TIERED_OWNED.name, make_cross::<PoolTieredOwned>),
];

/// The contenders of `pipeline` that can be paired (the names of
/// [`table::pairable`]`("pipeline")`, then plain allocation with either
/// allocator: each bench target times the pairs of its own global
/// allocator, see [`run_pipeline_pairs`]): what the pipeline's
/// recommendation compares, whose criterion rows move the most between
/// runs (two or more threads handing buffers over).
pub const PAIRABLE_PIPELINE: &[(&str, Make)] = &[
    (table::POOL_LOCAL.name, make_pipeline::<PoolLocal>),
    (
        table::POOL_LOCAL_PREFILLED.name,
        make_pipeline::<PoolLocalPrefilled>,
    ),
    (table::POOL_TIERED.name, make_pipeline::<PoolTiered>),
    (table::ARRAYQUEUE.name, make_pipeline::<SharedQueue>),
    (table::ALLOC_SYSTEM, make_pipeline::<Alloc>),
    (table::ALLOC_MIMALLOC, make_pipeline::<Alloc>),
];

/// The contenders of `two` that can be paired (the names of
/// [`table::pairable`]`("two")`).
pub const PAIRABLE_TWO: &[(&str, Make)] = &[
    (table::POOL_LOCAL.name, make_two::<PoolLocal>),
    (table::POOL_TIERED.name, make_two::<PoolTiered>),
    (table::ZEROPOOL.name, make_two::<Zeropool>),
];

/// The contenders of `single` and `threads` that can be paired (the names
/// of [`table::pairable`]`("single")`, in its order), each with its
/// [`Make`].
pub const PAIRABLE: &[(&str, Make)] = &[
    (table::POOL_LOCAL.name, make_single::<PoolLocal>),
    (table::POOL_LOCAL_TIMED.name, make_single::<PoolLocalTimed>),
    (table::POOL_LOCAL_OWNED.name, make_single::<PoolLocalOwned>),
    (table::POOL_TIERED.name, make_single::<PoolTiered>),
    (
        table::POOL_TIERED_OWNED.name,
        make_single::<PoolTieredOwned>,
    ),
    (table::POOL_FIXED.name, make_single::<PoolFixed>),
    (table::POOL_FIXED_OWNED.name, make_single::<PoolFixedOwned>),
    (table::POOL_RING.name, make_single::<PoolRing>),
    (table::POOL_RING_OWNED.name, make_single::<PoolRingOwned>),
    (table::TLS_STACK.name, make_single::<TlsStack>),
    (table::TLS_STACK_ATOMIC.name, make_single::<TlsStackAtomic>),
    (table::ZEROPOOL.name, make_single::<Zeropool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        make_single::<LockfreeObjectPool>,
    ),
];

/// Rounds per pair; the median of their ratios is reported.
pub const ROUNDS: usize = 7;

/// How long one loop of one round runs, about.
const LOOP_TIME: Duration = Duration::from_millis(10);

/// One pair to time: `who` against `vs` in `scenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair<'a> {
    /// `single`, `two`, `threads`, `cross`, `cross-above` or `pipeline`.
    pub scenario: &'a str,
    /// The contender whose time is divided.
    pub who: &'a str,
    /// The contender it is divided by.
    pub vs: &'a str,
}

/// The pairs named by `spec` (`scenario/who:vs,...`, as
/// `POOL_BENCH_PAIRS`), each name looked up in [`pairable`] of its
/// scenario.
///
/// # Errors
///
/// An entry that is not `scenario/who:vs`, a scenario other than those
/// of [`pairable`], or a name that cannot be paired there.
pub fn parse_pairs(spec: &str) -> Result<Vec<Pair<'_>>, String> {
    spec.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let shape = || {
                format!("POOL_BENCH_PAIRS: `{p}` is not a pair; expected `scenario/who:vs`, such as `single/pool-tiered:pool-local`")
            };
            let (scenario, names) = p.split_once('/').ok_or_else(shape)?;
            let (who, vs) = names.split_once(':').ok_or_else(shape)?;
            let list = pairable(scenario);
            if list.is_empty() {
                return Err(format!(
                    "POOL_BENCH_PAIRS: scenario `{scenario}` (in `{p}`) cannot be paired; expected `single`, `two`, `threads`, `cross`, `{}` or `pipeline`", table::CROSS_ABOVE
                ));
            }
            let known = |n: &str| list.iter().any(|(name, _)| *name == n);
            if let Some(unknown) = [who, vs].into_iter().find(|n| !known(n)) {
                return Err(format!(
                    "POOL_BENCH_PAIRS: `{unknown}` (in `{p}`) is not a contender that can be paired in `{scenario}`; expected one of {}",
                    list.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ));
            }
            Ok(Pair { scenario, who, vs })
        })
        .collect()
}

/// `rounds` ratios of `who`'s time to `vs`'s: their median and spread. A round
/// times `who`, `vs`, `vs`, `who`, each loop about `loop_time` long, and
/// divides the sum of `who`'s two by the sum of `vs`'s: a load that grows
/// or falls steadily through the round weighs on both alike.
pub fn ratio(who: &mut Looped, vs: &mut Looped, rounds: usize, loop_time: Duration) -> Spread {
    let iters = loop_iters(&mut [who, vs], loop_time);
    let ratios: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let a = who(iters);
            let b = vs(iters) + vs(iters);
            let a = a + who(iters);
            a.as_secs_f64() / b.as_secs_f64().max(1e-12)
        })
        .collect();
    Spread::of(ratios)
}

/// Operations per loop: about `loop_time` for the slowest of `loops`,
/// sized from a short warm-up run of each.
fn loop_iters(loops: &mut [&mut Looped], loop_time: Duration) -> u64 {
    let probe = 10_000;
    let slowest = loops.iter_mut().map(|l| l(probe)).max().unwrap_or_default();
    let per_op = slowest.as_secs_f64() / probe as f64;
    ((loop_time.as_secs_f64() / per_op.max(1e-9)) as u64).clamp(1_000, 50_000_000)
}

/// A figure timed over several rounds: their median, and the spread of
/// the middle rounds (all but the lowest and the highest where there are
/// five or more), which says whether a difference is the machine's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The median round.
    pub median: f64,
    /// The lowest round of the middle ones.
    pub lo: f64,
    /// The highest round of the middle ones.
    pub hi: f64,
}

impl Spread {
    /// The spread of `figures` (at least one).
    fn of(mut figures: Vec<f64>) -> Spread {
        figures.sort_by(f64::total_cmp);
        let n = figures.len();
        let cut = usize::from(n >= 5);
        Spread {
            median: figures[n / 2],
            lo: figures[cut],
            hi: figures[n - 1 - cut],
        }
    }
}

/// The median of `rounds` figures of what `who` adds to `bare` against
/// what `alloc` adds: `(who - bare) / (alloc - bare)`, each round timing
/// `who`, `alloc`, `bare`, `bare`, `alloc`, `who` (as [`ratio`], so a
/// steady drift weighs on all three alike). A round where `alloc` is not
/// slower than `bare` reads as infinite.
pub fn above(
    who: &mut Looped,
    alloc: &mut Looped,
    bare: &mut Looped,
    rounds: usize,
    loop_time: Duration,
) -> Spread {
    let iters = loop_iters(&mut [&mut *who, &mut *alloc, &mut *bare], loop_time);
    let figures: Vec<f64> = (0..rounds.max(1))
        .map(|_| {
            let w = who(iters);
            let a = alloc(iters);
            let b = bare(iters) + bare(iters);
            let a = (a + alloc(iters)).as_secs_f64();
            let w = (w + who(iters)).as_secs_f64();
            let b = b.as_secs_f64();
            if a > b {
                (w - b).max(0.0) / (a - b)
            } else {
                f64::INFINITY
            }
        })
        .collect();
    Spread::of(figures)
}

/// Whether criterion was asked only to list the benchmarks (`--list`, as
/// `cargo xtask bench` does to count them): nothing is timed then.
fn listing() -> bool {
    std::env::args().any(|a| a == "--list")
}

/// Times every pair of `POOL_BENCH_PAIRS` in `scenario` at `size` on
/// `threads` threads and records each ratio
/// (`interleaved/<scenario>/<size>/<threads>t/<who>/<vs>`) for the
/// report. Nothing when the variable is unset, when criterion only lists
/// the benchmarks, when `size` is not one of
/// [`THREADED_SIZES`] (the sizes the targets read), or in the builds
/// whose `pools` target lacks the contenders (statistics off, leak
/// sites).
///
/// # Panics
///
/// Never; a malformed `POOL_BENCH_PAIRS` ends the process with a message
/// naming what was wrong (exit status 2), as a bad workload does.
pub fn run_pairs(scenario: &str, size: usize, threads: usize) {
    run_pairs_where(scenario, size, threads, |_| true);
}

/// [`run_pairs`] for the `pipeline` scenario in the bench target whose
/// global allocator is `allocator` (`system`, `mimalloc`): the pairs
/// against plain allocation with that allocator (`alloc-<allocator>`, the
/// target's `Alloc`), and, in the target that times our pools (the
/// system's), the pairs with no allocator in them.
pub fn run_pipeline_pairs(size: usize, threads: usize, allocator: &str) {
    run_pairs_where("pipeline", size, threads, |p| timed_under(p, allocator));
}

/// Whether the bench target whose global allocator is `allocator` times
/// `pair` (see [`run_pipeline_pairs`]).
fn timed_under(pair: &Pair<'_>, allocator: &str) -> bool {
    let allocs: Vec<&str> = [pair.who, pair.vs]
        .into_iter()
        .filter(|n| n.starts_with("alloc-"))
        .collect();
    if allocs.is_empty() {
        allocator == "system"
    } else {
        allocs
            .iter()
            .all(|n| n.strip_prefix("alloc-") == Some(allocator))
    }
}

/// [`run_pairs`], for the pairs `keep` accepts.
fn run_pairs_where(scenario: &str, size: usize, threads: usize, keep: impl Fn(&Pair<'_>) -> bool) {
    if cfg!(any(pool_no_stats, feature = "leak-sites"))
        || !THREADED_SIZES.contains(&size)
        || listing()
    {
        return;
    }
    let Ok(spec) = std::env::var("POOL_BENCH_PAIRS") else {
        return;
    };
    let pairs = match parse_pairs(&spec) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let list = pairable(scenario);
    let find = |n: &str| list.iter().find(|(name, _)| *name == n).map(|p| p.1);
    for Pair { who, vs, .. } in pairs
        .into_iter()
        .filter(|p| p.scenario == scenario && keep(p))
    {
        let (Some(make_who), Some(make_vs)) = (find(who), find(vs)) else {
            continue;
        };
        let (mut a, mut b) = (make_who(size, threads), make_vs(size, threads));
        let label = size_label(size);
        // `cross-above`: a figure of three loops, recorded on `who`'s
        // `cross` row as against `above:<vs>`.
        let (r, row, against) = if scenario == table::CROSS_ABOVE {
            let mut bare = make_cross::<HandOff>(size, threads);
            let r = above(&mut a, &mut b, &mut bare, ROUNDS, LOOP_TIME);
            (r, "cross", table::above(vs))
        } else {
            (
                ratio(&mut a, &mut b, ROUNDS, LOOP_TIME),
                scenario,
                vs.to_string(),
            )
        };
        println!(
            "interleaved {scenario} {label}, {threads}t: {who} / {against} = {:.2}x (median of {ROUNDS} rounds, middle rounds {:.2}-{:.2}x)",
            r.median, r.lo, r.hi
        );
        records::record(&records::ExtraRecord {
            id: format!("interleaved/{row}/{label}/{threads}t/{who}/{against}"),
            retained_bytes: None,
            home: None,
            ratio: Some(r.median),
            ratio_spread: Some((r.lo, r.hi)),
            instructions: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pairable_name_has_its_loop() {
        for scenario in ["single", "two", "threads", "cross", "pipeline"] {
            let names: Vec<&str> = pairable(scenario).iter().map(|p| p.0).collect();
            let mut table: Vec<&str> = table::pairable(scenario).iter().map(|e| e.name).collect();
            if scenario == "pipeline" {
                table.extend([table::ALLOC_SYSTEM, table::ALLOC_MIMALLOC]);
            }
            assert_eq!(names, table, "{scenario}");
        }
        assert_eq!(pairable("threads").len(), PAIRABLE.len());
        assert_eq!(pairable("cross").len(), PAIRABLE_CROSS.len());
        assert!(pairable("tokio").is_empty());
        // `cross-above` pairs the owned guards of `cross` with mimalloc.
        for (name, _) in PAIRABLE_ABOVE {
            assert!(
                *name == table::ALLOC_MIMALLOC
                    || table::pairable("cross").iter().any(|e| e.name == *name),
                "{name}"
            );
        }
    }

    #[test]
    fn every_pipeline_loop_moves_its_buffers_and_takes_time() {
        for (name, make) in PAIRABLE_PIPELINE {
            let mut looped = make(4096, 2);
            assert!(looped(2_000) > Duration::ZERO, "{name}");
        }
        let (mut a, mut b) = (
            PAIRABLE_PIPELINE[0].1(4096, 2),
            PAIRABLE_PIPELINE[4].1(4096, 2),
        );
        let r = ratio(&mut a, &mut b, 3, Duration::from_millis(1));
        assert!(r.median.is_finite() && r.median > 0.0, "{r:?}");
        assert!(r.lo <= r.median && r.median <= r.hi, "{r:?}");
    }

    #[test]
    fn each_target_times_the_pipeline_pairs_of_its_own_allocator() {
        let pairs = parse_pairs(
            "pipeline/pool-local:alloc-system,pipeline/pool-local:alloc-mimalloc,pipeline/pool-local:arrayqueue",
        )
        .unwrap();
        let under = |allocator| {
            pairs
                .iter()
                .filter(|p| timed_under(p, allocator))
                .map(|p| p.vs)
                .collect::<Vec<_>>()
        };
        assert_eq!(under("system"), ["alloc-system", "arrayqueue"]);
        assert_eq!(under("mimalloc"), ["alloc-mimalloc"]);
    }

    #[test]
    fn pairs_parse_and_what_is_wrong_is_named() {
        let p = parse_pairs("single/pool-tiered:pool-local, two/pool-local:zeropool,").unwrap();
        let pair = |scenario, who, vs| Pair { scenario, who, vs };
        assert_eq!(
            p,
            [
                pair("single", "pool-tiered", "pool-local"),
                pair("two", "pool-local", "zeropool")
            ]
        );
        let e = parse_pairs("single/pool-local:nosuch").unwrap_err();
        assert!(e.contains("`nosuch`") && e.contains("pool-tiered"), "{e}");
        // pool-fixed runs in `single`, not in the paired loops of `two`.
        let e = parse_pairs("two/pool-fixed:pool-local").unwrap_err();
        assert!(e.contains("`pool-fixed`") && e.contains("in `two`"), "{e}");
        let e = parse_pairs("tokio/pool-local:pool-tiered").unwrap_err();
        assert!(
            e.contains("expected `single`, `two`, `threads`, `cross`, `cross-above` or `pipeline`"),
            "{e}"
        );
        let p = parse_pairs("pipeline/pool-local:alloc-system").unwrap();
        assert_eq!(p, [pair("pipeline", "pool-local", "alloc-system")]);
        // Plain allocation pairs in the pipeline, not in `single`.
        let e = parse_pairs("single/pool-local:alloc-system").unwrap_err();
        assert!(e.contains("`alloc-system`"), "{e}");
        let p = parse_pairs("cross-above/pool-local-owned:alloc-mimalloc").unwrap();
        assert_eq!(
            p,
            [pair(
                table::CROSS_ABOVE,
                "pool-local-owned",
                table::ALLOC_MIMALLOC
            )]
        );
        // zeropool has no cross-thread loop to pair.
        let e = parse_pairs("cross/pool-local:zeropool").unwrap_err();
        assert!(e.contains("`zeropool`") && e.contains("in `cross`"), "{e}");
        let p = parse_pairs("cross/pool-tiered-owned:pool-tiered").unwrap();
        assert_eq!(p, [pair("cross", "pool-tiered-owned", "pool-tiered")]);
        let p = parse_pairs("threads/pool-tiered:pool-local").unwrap();
        assert_eq!(p, [pair("threads", "pool-tiered", "pool-local")]);
        for bad in ["pool-local:zeropool", "single/pool-local"] {
            let e = parse_pairs(bad).unwrap_err();
            assert!(e.contains("expected `scenario/who:vs`"), "{e}");
        }
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
        assert!((1.96..2.06).contains(&r.median), "{r:?}");
        assert!(r.lo <= r.median && r.median <= r.hi, "{r:?}");
        // Equal loops read 1x, though who, first and last in each round,
        // ran slower and faster than vs.
        let mut who = timed(10.0, None);
        let mut vs = timed(10.0, None);
        let r = ratio(&mut who, &mut vs, 7, Duration::from_millis(1));
        assert!((0.97..1.03).contains(&r.median), "{r:?}");
    }

    /// The spread leaves out the lowest and the highest round where there
    /// are five or more, and keeps every round where there are fewer.
    #[test]
    fn a_spread_is_the_middle_rounds() {
        let s = Spread::of(vec![5.0, 1.0, 3.0, 2.0, 9.0, 4.0, 0.5]);
        assert_eq!((s.median, s.lo, s.hi), (3.0, 1.0, 5.0));
        let s = Spread::of(vec![2.0, 7.0, 1.0]);
        assert_eq!((s.median, s.lo, s.hi), (2.0, 1.0, 7.0));
        let s = Spread::of(vec![4.0]);
        assert_eq!((s.median, s.lo, s.hi), (4.0, 4.0, 4.0));
    }

    /// Three loops on a fake clock that slows by a tenth at every loop:
    /// `who` adds 20 ns to a 10 ns hand-off, the allocator 40 ns: 0.5x,
    /// the drift cancelled (to 3%); an allocator faster than the hand-off
    /// reads as infinite, not as a division by zero or a negative figure.
    #[test]
    fn what_is_added_to_the_bare_hand_off_is_compared() {
        use std::cell::Cell;
        use std::rc::Rc;
        let clock = Rc::new(Cell::new(1.0f64));
        let timed = |ns_per_op: f64| -> Looped {
            let clock = Rc::clone(&clock);
            Box::new(move |iters| {
                let slow = clock.get();
                clock.set(slow * 1.1);
                Duration::from_secs_f64(iters as f64 * ns_per_op * slow * 1e-9)
            })
        };
        let (mut who, mut alloc, mut bare) = (timed(30.0), timed(50.0), timed(10.0));
        let x = above(&mut who, &mut alloc, &mut bare, 7, Duration::from_millis(1));
        assert!((0.47..0.53).contains(&x.median), "{x:?}");
        let (mut who, mut alloc, mut bare) = (timed(30.0), timed(8.0), timed(10.0));
        let x = above(&mut who, &mut alloc, &mut bare, 3, Duration::from_millis(1));
        assert!(x.median.is_infinite(), "{x:?}");
    }
}
