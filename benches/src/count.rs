//! The contenders whose instructions per op `cargo xtask bench` counts
//! (one thread, where a count is the same on every run): each scenario's
//! loop as [`interleaved`](crate::interleaved) builds it, run by the
//! `pool-count` binary under callgrind (see [`crate::callgrind`]).

use crate::interleaved::{Make, make_single};
#[cfg(not(any(pool_no_stats, feature = "leak-sites")))]
use crate::interleaved::{PAIRABLE, PAIRABLE_TWO};
#[cfg(not(any(pool_no_stats, feature = "leak-sites")))]
use crate::peers::*;
use crate::table;

/// The contenders of `single` counted besides the pairable ones: the peers
/// that cannot be paired, one shared queue and plain allocation.
#[cfg(not(any(pool_no_stats, feature = "leak-sites")))]
const MORE_SINGLE: &[(&str, Make)] = &[
    (table::OPOOL.name, make_single::<Opool>),
    (table::OBJECT_POOL.name, make_single::<ObjectPool>),
    (table::SHARDED_SLAB.name, make_single::<ShardedSlab>),
    (table::ARRAYQUEUE.name, make_single::<SharedQueue>),
    (table::ALLOC_SYSTEM, make_single::<Alloc>),
];

/// Every `(scenario, contender, loop)` that can be counted in this build.
/// The variant builds count their own rows only: with `--cfg
/// pool_no_stats`, pool-local and pool-tiered with every counter compiled
/// out (`-nostats`); with the `leak-sites` feature, pool-local without a
/// tracker, with a sampled one and with one that records every guard.
#[cfg(not(any(pool_no_stats, feature = "leak-sites")))]
pub fn countable() -> impl Iterator<Item = (&'static str, &'static str, Make)> {
    PAIRABLE
        .iter()
        .chain(MORE_SINGLE)
        .map(|&(name, make)| ("single", name, make))
        .chain(PAIRABLE_TWO.iter().map(|&(name, make)| ("two", name, make)))
        .chain(FILL.iter().map(|&(name, make)| ("fill", name, make)))
}

/// The contenders of `fill` (the holder writes the whole buffer), our
/// pools and plain allocation.
#[cfg(not(any(pool_no_stats, feature = "leak-sites")))]
const FILL: &[(&str, Make)] = &[
    (
        table::POOL_LOCAL.name,
        make_fill::<crate::contenders::PoolLocal>,
    ),
    (
        table::POOL_TIERED.name,
        make_fill::<crate::contenders::PoolTiered>,
    ),
    (
        table::POOL_FIXED.name,
        make_fill::<crate::contenders::PoolFixed>,
    ),
    (
        table::POOL_RING.name,
        make_fill::<crate::contenders::PoolRing>,
    ),
    (table::ZEROPOOL.name, make_fill::<Zeropool>),
    (table::ALLOC_SYSTEM, make_fill::<Alloc>),
];

/// The loop of `scenarios::bench_fill` ([`run_fill`](crate::scenarios::run_fill)).
#[cfg(not(any(pool_no_stats, feature = "leak-sites")))]
fn make_fill<C: crate::contenders::Burst + 'static>(
    size: usize,
    _threads: usize,
) -> crate::interleaved::Looped {
    let c = C::build(size);
    Box::new(move |iters| crate::scenarios::run_fill(&c, size, iters))
}

/// See the default build's `countable`.
#[cfg(pool_no_stats)]
pub fn countable() -> impl Iterator<Item = (&'static str, &'static str, Make)> {
    use crate::contenders::{PoolLocal, PoolTiered};
    [
        (
            table::POOL_LOCAL_NOSTATS.name,
            make_single::<PoolLocal> as Make,
        ),
        (table::POOL_TIERED_NOSTATS.name, make_single::<PoolTiered>),
    ]
    .into_iter()
    .map(|(name, make)| ("single", name, make))
}

/// See the default build's `countable`.
#[cfg(all(feature = "leak-sites", not(pool_no_stats)))]
pub fn countable() -> impl Iterator<Item = (&'static str, &'static str, Make)> {
    use crate::contenders::PoolLocalLeaks;
    [
        (
            table::POOL_LOCAL_LEAK_SITES.name,
            make_single::<PoolLocalLeaks<0>> as Make,
        ),
        (
            table::POOL_LOCAL_SAMPLED.name,
            make_single::<PoolLocalLeaks<128>>,
        ),
        (
            table::POOL_LOCAL_TRACKED.name,
            make_single::<PoolLocalLeaks<1>>,
        ),
    ]
    .into_iter()
    .map(|(name, make)| ("single", name, make))
}

/// The loop of `contender` in `scenario` at `size`, if it can be counted.
pub fn find(scenario: &str, contender: &str, size: usize) -> Option<crate::interleaved::Looped> {
    countable()
        .find(|&(s, n, _)| s == scenario && n == contender)
        .map(|(_, _, make)| make(size, 1))
}
