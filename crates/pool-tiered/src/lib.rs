//! A size-class byte pool (Go's `BytePool`, or a `SizedPool`):
//! buffers of many sizes, each class a per-thread-cache pool, with shared
//! reference-counted buffers, zero-copy `bytes::Bytes` handoff, per-class
//! statistics, and a calibration that suggests better classes from the
//! lengths actually requested.
//!
//! ```
//! use pool_tiered::{SizeClasses, TieredPool};
//!
//! let pool = TieredPool::builder()
//!     .classes(SizeClasses::power_of_two(128, 2 << 20)?) // Go's SizePowerOfTwo
//!     .max_retained_bytes(64 << 20)
//!     .build()?;
//!
//! let mut buf = pool.get(100);          // the 128 B class, length 0
//! buf.extend_from_slice(b"request");
//! let shared = buf.freeze();            // Retain/Release by clone/drop
//! let other = shared.clone();
//! assert_eq!(other.ref_count(), 2);
//! drop((shared, other));                // the last release returns it
//!
//! let big = pool.get(3 << 20);          // over the largest class: exact, not pooled
//! drop(big);
//! let s = pool.stats();
//! assert_eq!((s.total.gets, s.total.returns, s.oversize), (1, 1, 1));
//! println!("{s}");                      // a per-class table
//! # Ok::<(), pool_core::PoolError>(())
//! ```
//!
//! # Coming from Go's `BytePool`
//!
//! | Go | here |
//! |---|---|
//! | `NewPools(SizePowerOfTwo())`, `SizeStream()`, custom sizes | [`TieredPool::builder`] with [`SizeClasses::power_of_two`], [`SizeClasses::stream`], [`SizeClasses::custom`] (validated) |
//! | `Get(length)` / `Put(buf)` | [`TieredPool::get`] (dropping returns) / [`TieredPool::put`] for foreign buffers |
//! | `GetBuffer`, `Retain`, `Release`, `RefCount`, `Bytes()` | [`TieredBuf::freeze`] -> [`SharedBuf`]: `clone`, `drop`, [`SharedBuf::ref_count`], [`SharedBuf::slice`]; with `bytes`, `SharedBuf::into_bytes` |
//! | per-tier get/put, `discarded`, `total_get` vs `total_put` | [`TieredStats`]: per class [`Stats`], `oversize`, `total.outstanding` |
//! | `recent_lengths` | [`TieredPool::recent_lengths`] (the last 256 per thread) |
//! | expvar export | `serde::Serialize` for [`TieredStats`] (feature `serde`) and `Display` |
//! | generic `Pool[T]` | `pool_local::LocalPool<T>` |
//!
//! # Design
//!
//! Each class has the building blocks of `pool_local::LocalPool` (a cache
//! per thread, a global spill, limits); every class's cache, counters and
//! the recent lengths of one thread live in one slot of
//! `pool_engine::PerThread`, so a get or put of any class costs one
//! per-thread lookup. The classes share one retained-byte cap. Class lookup
//! is O(1) for powers of two (leading zeros) and a binary search for other
//! lists. A buffer that grew into the next class's size is dropped on
//! return, not kept ("pool pollution"). The recent lengths are kept per
//! thread (plain stores), so recording them puts no shared write on the
//! hot path. When a thread exits, its caches go to the spills and its byte
//! credit back to the cap, so [`TieredPool::trim`] reaches everything; a
//! buffer dropped during a thread's teardown goes straight to its spill.
//!
//! # What a pool costs
//!
//! Nothing per class until the class is used (measured by `cargo xtask
//! bench`'s footprint table, 10,000 pools on x86-64 Linux, heap bytes
//! counted by the allocator): an empty pool of the default 15 classes
//! about 760 bytes with its handle (the sizes, a word-pair per class for
//! its shared part made later, the shared block); a thread's first get
//! about 6 KiB (its slot holds every class's cache and counters inline,
//! so a get or put of any class loads no pointer before them); each class
//! a thread uses then about 260 bytes more (the class's shared part, room
//! for one idle buffer). A class's cache makes room for `cache_size`
//! buffers when it first holds two, its spill for its whole limit at its
//! first batch, and a trim that empties them frees that room (made in one
//! step, so a burst's memory can go back to the system after a trim).
//! [`TieredPool::prefill`]'s buffers wait in a reserve drawn from only
//! when a thread's cache and the spill are empty, so a generous prefill
//! does not cycle every buffer through use. [`ClassStats::memory`] shows
//! where each class's idle buffers are.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod buf;
mod builder;
mod classes;
mod engine;
mod observe;
mod pool;
mod recent;
mod stats;
pub mod workload;

pub use buf::{OwnedTieredBuf, SharedBuf, TieredBuf};
pub use builder::TieredPoolBuilder;
pub use classes::SizeClasses;
pub use pool::{TierAnchor, TierTicket, TieredPool};
pub use pool_core::{Pool, PoolError, Stats};
pub use pool_engine::SharedByteCap;
pub use stats::{Calibration, ClassStats, TieredStats};
