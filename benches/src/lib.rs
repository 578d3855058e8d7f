//! The contenders and scenarios shared by the bench targets.
//!
//! - [`contenders`]: the traits, and our strategies as their docs
//!   recommend; [`peers`]: the peer crates, plain allocation and the
//!   references;
//! - [`scenarios`]: single, threads, cross, two, tokio, fill and mixed;
//!   [`registry`]: which contenders each scenario runs, and `run_all`;
//! - [`pipeline`] and [`replay`]: producers and consumers, and a recorded
//!   workload replayed; [`home`]: how many buffers come back to the
//!   thread that took them;
//! - [`interleaved`]: the targets' ratios timed with the two loops in
//!   alternation;
//! - [`burst`]: memory before, at and after a burst; [`footprint`]: what
//!   an empty pool costs, and its first uses;
//! - [`table`]: the one table of contender names and kinds, and
//!   [`records`]: the records written for the report (both read by xtask).
//!
//! Settings come from the environment so that a bench binary copied to
//! another machine takes them too:
//!
//! - `POOL_BENCH_THREADS`: thread counts for the threaded scenarios
//!   (default `1,2,<available parallelism>`);
//! - `POOL_BENCH_SIZES`: buffer sizes in bytes (default
//!   `64,4096,65536,1048576`);
//! - `POOL_BENCH_WORKLOAD`: a workload file to replay;
//! - `POOL_BENCH_PIPELINE_WRITE=16`: pipeline producers write 16 bytes
//!   instead of the whole buffer (a diagnostic);
//! - `POOL_BENCH_PAIRS`: `scenario/who:vs,...` (`single`, `two`, or
//!   `threads` at the most threads of the run), ratios to time again with
//!   the two loops in alternation (see [`interleaved`]);
//! - `POOL_BENCH_EXTRA_OUT`, `POOL_BENCH_BURST_OUT`: where records go.

// Several peers' pool types implement no `Debug`; neither can ours that hold them.
#![allow(missing_debug_implementations)]

#[cfg(feature = "harness")]
pub mod burst;
pub mod callgrind;
#[cfg(feature = "harness")]
pub mod contenders;
#[cfg(feature = "harness")]
pub mod count;
#[cfg(feature = "harness")]
pub mod footprint;
#[cfg(feature = "harness")]
pub mod home;
#[cfg(feature = "harness")]
pub mod interleaved;
#[cfg(feature = "harness")]
pub mod peers;
#[cfg(feature = "harness")]
pub mod pipeline;
pub mod records;
#[cfg(feature = "harness")]
pub mod registry;
#[cfg(feature = "harness")]
pub mod replay;
#[cfg(feature = "harness")]
pub mod scenarios;
#[cfg(feature = "harness")]
pub mod settings;
pub mod table;

#[cfg(feature = "harness")]
pub use burst::*;
#[cfg(feature = "harness")]
pub use contenders::*;
#[cfg(feature = "harness")]
pub use peers::*;
#[cfg(feature = "harness")]
pub use registry::*;
#[cfg(feature = "harness")]
pub use scenarios::*;
#[cfg(feature = "harness")]
pub use settings::*;

#[cfg(all(test, feature = "harness"))]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn lists_parse_and_reject_clearly() {
        use crate::table::{SIZES, THREADS};
        assert_eq!(
            parse_list("16,1, 2,2", "t", THREADS, false).unwrap(),
            vec![1, 2, 16]
        );
        assert_eq!(
            parse_list("64,4k,1M", "s", SIZES, true).unwrap(),
            vec![64, 4096, 1 << 20]
        );
        let e = parse_list("1,x", "POOL_BENCH_THREADS", THREADS, false).unwrap_err();
        assert!(e.contains("POOL_BENCH_THREADS: `x` is not valid"), "{e}");
        assert!(parse_list("0", "t", THREADS, false).is_err());
        assert!(
            parse_list("", "t", THREADS, false)
                .unwrap_err()
                .contains("``")
        );
        // Untrusted numbers: overflow with a suffix, past the range.
        let e = parse_list(&format!("{}k", usize::MAX), "s", SIZES, true).unwrap_err();
        assert!(e.contains("1..=1073741824"), "{e}");
        assert!(parse_list("2g", "s", SIZES, true).is_err());
        assert!(
            parse_list("4k", "t", THREADS, false).is_err(),
            "no suffix for threads"
        );
    }

    #[test]
    fn mixed_lengths_are_fixed_and_in_range() {
        let a = mixed_lengths(1000);
        assert_eq!(a, mixed_lengths(1000));
        assert!(a.iter().all(|&l| (64..=1 << 20).contains(&l)));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        let median = sorted[500];
        assert!((1024..16384).contains(&median), "median {median}");
    }

    #[test]
    fn every_contender_writes_and_returns() {
        fn check<C: Contender>() {
            let c = C::build(4096);
            let d = run_threads(&c, 2, 100);
            assert!(d > Duration::ZERO);
            run_cross(&c, 100);
        }
        check::<PoolLocal>();
        check::<PoolRing>();
        check::<PoolFixed>();
        check::<PoolTiered>();
        check::<TlsStack>();
        check::<TlsStackAtomic>();
        check::<Alloc>();
        check::<AllocZeroed>();
        check::<Zeropool>();
        check::<Opool>();
        check::<ObjectPool>();
        check::<LockfreeObjectPool>();
        check::<ShardedSlab>();
        check::<SharedQueue>();
    }

    #[test]
    fn pool_local_gives_memory_back_after_a_burst() {
        let r = run_burst::<PoolLocal>(4096, 4);
        // The pool's own figures, not the process's RSS: tests beside this
        // one allocate and free at the same time.
        assert!(
            r.retained_before_trim.is_some_and(|b| b >= 4 * 4096),
            "{r:?}"
        );
        assert_eq!(r.retained_after, Some(0));
    }

    #[test]
    fn size_labels() {
        assert_eq!(size_label(64), "64B");
        assert_eq!(size_label(4096), "4KiB");
        assert_eq!(size_label(1 << 20), "1MiB");
    }
}
