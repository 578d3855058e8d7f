//! Object and buffer pools with one contract.
//!
//! Pick the strategy that fits, switch with one line, and see what the pool
//! does:
//!
//! ```
//! # #[cfg(feature = "local")] {
//! use pool::prelude::*;
//!
//! let pool = LocalPool::new(|| Vec::<u8>::with_capacity(4096));
//!
//! for request in 0..100u32 {
//!     let mut buf = pool.get();          // an idle buffer, or a new one
//!     buf.extend_from_slice(&request.to_be_bytes());
//! }                                      // cleared and back in the pool
//!
//! let stats = pool.stats();
//! assert_eq!(stats.gets, 100);
//! assert_eq!(stats.misses, 1);
//! assert!(stats.hit_rate() > 0.98);
//! # }
//! ```
//!
//! # Which strategy
//!
//! | you have | use | feature | notes |
//! |---|---|---|---|
//! | many threads, unknown counts, buffers of one size | [`LocalPool`] | `local` | per-thread caches like Go's `sync.Pool`; get and put touch no shared cache line; `put` adds an item made elsewhere |
//! | a hard cap on memory, back-pressure when every item is out | [`FixedPool`] | `fixed` | exactly N items; `try_get`, `get_blocking`, `get_timeout`, `get_async`; `close`, `renew`, [`Status`](fixed::Status) for health checks (like deadpool and bb8) |
//! | byte buffers of many sizes (network frames, bodies, encodings) | [`TieredPool`] | `tiered` | size classes, each a per-thread-cache pool (like .NET's `ArrayPool<byte>.Shared`); `freeze` to share by reference count, `into_bytes` for `bytes::Bytes`; per-class statistics and class calibration |
//! | a fixed working set (registered I/O buffers), no per-thread state in the pool | [`RingPool`] | `ring` | `2^k` pre-filled slots claimed by compare-exchange from a per-thread cursor; allocates or fails when full |
//!
//! Every strategy implements [`Pool`], so generic code switches between
//! them without other changes (and waits for a bounded one with
//! [`Pool::get_timeout`]).
//!
//! # One meaning per verb
//!
//! `get` never fails and never waits; `try_get` never waits and may fail;
//! a `_blocking`, `_timeout` or `_async` suffix says how a getter waits;
//! `_owned` gives a `Send + 'static` guard. Generic code whose pool cannot
//! run out bounds on [`UnboundedPool`] and calls `get` with no `?`. A
//! bounded pool cannot promise `get`, so it has none, and the compiler says
//! so:
//!
//! ```compile_fail
//! # #[cfg(feature = "fixed")] {
//! use pool::prelude::*;
//! let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
//! drop(pool.get()); // use `try_get`, `get_timeout` or `get_blocking`
//! # }
//! # #[cfg(not(feature = "fixed"))] compile_error!("needs `fixed`");
//! ```
//!
//! ```compile_fail
//! # #[cfg(feature = "fixed")] {
//! fn fill<P: pool::UnboundedPool<Item = Vec<u8>>>(pool: &P) {
//!     pool.get().push(1);
//! }
//! fill(&pool::FixedPool::new(1, Vec::<u8>::new).unwrap()); // not unbounded
//! # }
//! # #[cfg(not(feature = "fixed"))] compile_error!("needs `fixed`");
//! ```
//!
//! # The contract
//!
//! Items are reached only through guards ([`Pooled`], [`OwnedPooled`]).
//! Dropping a guard resets the item ([`Reset`]) and gives it back, so
//! use-after-put and double release do not compile, and no caller sees the
//! last caller's bytes. [`Pooled::detach`] takes an item out for good.
//! Statistics ([`Stats`]) count gets, hits, misses, returns, discards by
//! reason, detached and outstanding items, and retained items and bytes.
//! Bad configuration is a [`PoolError`] that names the field and the
//! accepted range.
//!
//! The hooks guards use to give items back
//! ([`Recycle::recycle`](pool_core::strategy::Recycle::recycle),
//! [`Recycle::note_detached`](pool_core::strategy::Recycle::note_detached),
//! [`Pooled::new`]; the strategy implementers' API in `pool_core::strategy`
//! and `pool_engine`, which this facade does not re-export) take a ticket that only the
//! pool can make, so no code outside the pool can slip in an item it never
//! handed out and skew its counts:
//!
//! ```compile_fail
//! # #[cfg(feature = "fixed")] {
//! use pool::prelude::*;
//! use pool_core::strategy::Recycle;
//! let pool = FixedPool::new(1, Vec::<u8>::new).unwrap();
//! // `FixedTicket` has private fields: this does not compile.
//! pool.recycle(Vec::new(), pool::fixed::FixedTicket { generation: 0 });
//! # }
//! ```
//!
//! ```compile_fail
//! # #[cfg(feature = "tiered")] {
//! use pool::prelude::*;
//! let pool = TieredPool::new();
//! // Neither can a size-class ticket be made.
//! let guard = Pooled::new(vec![0u8; 64], pool::tiered::TierTicket(0), &pool);
//! # }
//! ```
//!
//! # Features
//!
//! - `local` (default): [`LocalPool`].
//! - `ring` (default): [`RingPool`].
//! - `fixed` (default): [`FixedPool`] and [`Buffer`].
//! - `tiered` (default): [`TieredPool`] and [`SizeClasses`].
//! - `bytes`: [`Reset`] for `bytes::BytesMut`.
//! - `metrics`: publish a pool's statistics to the `metrics` facade when
//!   scraped (`metrics::publish_pool`, `publish_metrics`).
//! - `leak-sites`: builders take a [`LeakTracker`](leaks::LeakTracker);
//!   the pool's guards then record where they were taken, and
//!   `outstanding()` lists the guards out by call site (file, line, count,
//!   oldest age). Without the feature, guards carry nothing extra.
//! - `serde`: `serde::Serialize` and `serde::Deserialize` for [`Stats`]
//!   and the tiered statistics (the JSON carries the hit rate too).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

/// The README's Rust snippets, compiled and run as doctests.
#[cfg(all(doctest, feature = "local"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

pub use pool_core::{
    Discards, Held, Memory, OwnedPooled, Pool, PoolError, Pooled, Reset, ResetWith, Stats,
    UnboundedPool, Waits,
};

/// Where outstanding guards were taken ([`pool_core::leaks`]).
pub use pool_core::leaks;

/// Statistics for the `metrics` facade ([`pool_core::metrics`]).
#[cfg(feature = "metrics")]
pub use pool_core::metrics;

/// A recorded workload for `cargo xtask bench --workload FILE`
/// ([`pool_tiered::workload`]: a `TieredPool` records one).
#[cfg(feature = "tiered")]
pub use pool_tiered::workload;

/// Timed trimming and [`trim_all`](trimmer::trim_all) for memory pressure
/// ([`pool_engine::trimmer`]).
pub use pool_engine::trimmer;

/// The per-thread-cache strategy ([`pool_local`]).
#[cfg(feature = "local")]
pub use pool_local as local;
#[cfg(feature = "local")]
pub use pool_local::{LocalPool, LocalPoolBuilder};

/// The bounded strategy ([`pool_fixed`]).
#[cfg(feature = "fixed")]
pub use pool_fixed as fixed;
#[cfg(feature = "fixed")]
pub use pool_fixed::{Buffer, FixedPool, FixedPoolBuilder};

/// The size-class byte pool ([`pool_tiered`]).
#[cfg(feature = "tiered")]
pub use pool_tiered as tiered;
#[cfg(feature = "tiered")]
pub use pool_tiered::{
    OwnedTieredBuf, SharedBuf, SizeClasses, TieredBuf, TieredPool, TieredPoolBuilder, TieredStats,
};

/// The lock-free ring strategy ([`pool_ring`]).
#[cfg(feature = "ring")]
pub use pool_ring as ring;
#[cfg(feature = "ring")]
pub use pool_ring::{OnFull, RingPool, RingPoolBuilder};

/// What most users import: the trait, the guards, the errors and every
/// enabled strategy.
pub mod prelude {
    pub use pool_core::{OwnedPooled, Pool, PoolError, Pooled, Reset, ResetWith, Stats};

    #[cfg(feature = "fixed")]
    pub use pool_fixed::{Buffer, FixedPool};
    #[cfg(feature = "local")]
    pub use pool_local::LocalPool;
    #[cfg(feature = "ring")]
    pub use pool_ring::{OnFull, RingPool};
    #[cfg(feature = "tiered")]
    pub use pool_tiered::{SharedBuf, SizeClasses, TieredPool};
}
