//! The contract shared by every pool in the family.
//!
//! A pool hands out items through guards; dropping a guard **resets** the
//! item ([`Reset`]) and gives it back, so an item is never used after it
//! went back, never returned twice, and never reaches its next user with the
//! last user's data. Every strategy crate (`pool-local`, `pool-fixed`,
//! `pool-tiered`, `pool-ring`) implements [`Pool`], reports [`Stats`] and
//! fails with [`PoolError`].
//!
//! ```
//! use pool_core::{Reset, Stats, PoolError};
//!
//! // Reset keeps the allocation: that is what pooling saves.
//! let mut buf: Vec<u8> = Vec::with_capacity(4096);
//! buf.extend_from_slice(b"request 1");
//! buf.reset();
//! assert!(buf.is_empty());
//! assert_eq!(buf.heap_bytes(), 4096);
//!
//! // Errors say what was wrong and what was expected.
//! let err = PoolError::invalid_config("cache_size", 0, "at least 1");
//! assert!(err.to_string().contains("expected at least 1"));
//!
//! // Statistics obey gets = hits + misses.
//! let s = Stats::default();
//! assert_eq!(s.gets, s.hits + s.misses);
//! ```
//!
//! [`strategy`] holds what a strategy crate needs from the contract (the
//! hooks a guard calls, the per-thread counters, word moves); the
//! per-thread machinery the strategies share is the `pool-engine` crate.
//! The facade re-exports neither, so a pool's user never meets them.
//!
//! # Pooling mistakes from other languages, and what happens here
//!
//! | mistake | here |
//! |---|---|
//! | use after `Put` (Go's `sync.Pool`) | compile error: the item is reached only through its guard, which is gone |
//! | returning a pooled buffer to a caller (`sync.Pool`) | compile error for [`Pooled`] (it borrows the pool); [`Pooled::detach`] hands the item over explicitly |
//! | forgetting `Reset` before `Put` (`sync.Pool`) | impossible: the pool runs [`Reset::reset`] when the guard drops |
//! | releasing a buffer twice (a runtime panic in Go's channel-based buffer pools) | compile error: a guard is dropped once |
//! | a buffer that grew huge polluting the pool ("pool pollution") | dropped on return and counted ([`Discards::too_large`]) where a byte limit is set |
//!
//! # Features
//!
//! - `bytes`: [`Reset`] for `bytes::BytesMut`.
//! - `metrics`: [`metrics::publish`] sends a snapshot to the `metrics`
//!   facade (Prometheus and the other exporters).
//! - `leak-sites`: guards of pools built with a
//!   [`LeakTracker`](leaks::LeakTracker) record where they were taken.
//! - `serde`: `serde::Serialize` and `serde::Deserialize` for [`Stats`],
//!   [`Discards`] and [`Waits`] (the JSON also carries the hit rate).
//!
// The link to `metrics::publish` resolves where the feature builds it;
// without it, to the published docs (no broken link warning either way).
#![cfg_attr(
    feature = "metrics",
    doc = "[`metrics::publish`]: crate::metrics::publish"
)]
#![cfg_attr(
    not(feature = "metrics"),
    doc = "[`metrics::publish`]: https://docs.rs/pool-core/latest/pool_core/metrics/fn.publish.html"
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod error;
mod guard;
pub mod leaks;
mod memory;
#[cfg(feature = "metrics")]
pub mod metrics;
mod pool;
mod reset;
mod stats;
pub mod strategy;
mod waits;

pub use error::PoolError;
pub use guard::{OwnedPooled, Pooled};
pub use memory::{Held, Memory};
pub use pool::{Pool, UnboundedPool};
pub use reset::{Reset, ResetWith};
pub use stats::{Discards, Stats};
pub use waits::Waits;
