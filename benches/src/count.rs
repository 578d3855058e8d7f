//! The contenders whose instructions per op `cargo xtask bench` counts
//! (one thread, where a count is the same on every run): each scenario's
//! loop as [`interleaved`](crate::interleaved) builds it, run by the
//! `pool-count` binary under callgrind (see [`crate::callgrind`]).

use crate::interleaved::{Make, PAIRABLE, PAIRABLE_TWO, make_single};
use crate::peers::*;
use crate::table;

/// The contenders of `single` counted besides the pairable ones: the peers
/// that cannot be paired, one shared queue and plain allocation.
const MORE_SINGLE: &[(&str, Make)] = &[
    (table::OPOOL.name, make_single::<Opool>),
    (table::OBJECT_POOL.name, make_single::<ObjectPool>),
    (table::SHARDED_SLAB.name, make_single::<ShardedSlab>),
    (table::ARRAYQUEUE.name, make_single::<SharedQueue>),
    (table::ALLOC_SYSTEM, make_single::<Alloc>),
];

/// Every `(scenario, contender, loop)` that can be counted.
pub fn countable() -> impl Iterator<Item = (&'static str, &'static str, Make)> {
    PAIRABLE
        .iter()
        .chain(MORE_SINGLE)
        .map(|&(name, make)| ("single", name, make))
        .chain(PAIRABLE_TWO.iter().map(|&(name, make)| ("two", name, make)))
}

/// The loop of `contender` in `scenario` at `size`, if it can be counted.
pub fn find(scenario: &str, contender: &str, size: usize) -> Option<crate::interleaved::Looped> {
    countable()
        .find(|&(s, n, _)| s == scenario && n == contender)
        .map(|(_, _, make)| make(size, 1))
}
