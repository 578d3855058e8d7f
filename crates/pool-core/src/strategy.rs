//! What a strategy crate needs from the contract and a pool's user never
//! calls: the hooks a guard calls to give its item back ([`Recycle`],
//! [`Anchor`]), a guard's record in its pool's leak tracker ([`Site`]),
//! the per-thread counters every [`Stats`](crate::Stats) is summed from
//! ([`Counter`], [`Counters`]), and moves of small values in 8-byte words
//! ([`words`]), which the guards use to give an item back.
//!
//! The per-thread machinery that `pool-local`, `pool-tiered`, `pool-fixed`
//! and `pool-ring` share is the `pool-engine` crate's.
//!
//! # Examples
//!
//! A strategy's hooks: see [`Pool`](crate::Pool), whose example implements
//! [`Recycle`] for a one-item pool.
//!
//! ```
//! use pool_core::strategy::{Counters, Totals};
//! use pool_core::Stats;
//!
//! // Each thread bumps its own block; a snapshot sums them.
//! let (a, b) = (Counters::default(), Counters::default());
//! a.misses.incr();
//! b.hits.incr();
//! b.hits.incr();
//! let s = Stats::from_counters([&a, &b]);
//! assert_eq!((s.gets, s.hits, s.misses), (3, 2, 1));
//! assert_eq!(Stats::from_totals(Totals::default()).gets, 0);
//! ```

pub(crate) mod recycle;
pub(crate) mod site;
#[allow(unsafe_code)]
pub mod words;

pub use crate::stats::{Counter, Counters, DiscardCounters, Totals};
pub use recycle::{Anchor, Recycle};
pub use site::{Site, outstanding_sites};
