//! The per-thread machinery the pool strategies share, for those who write
//! a pool strategy: not what a pool's user calls (the strategy crates and
//! the facade `pool-toolkit` re-export what users need).
//!
//! - [`Engine`]: per-thread caches of one or more classes of items, each
//!   class with a shared spill, item-size limits and a factory; one byte
//!   budget across the classes ([`SharedByteCap`] shares one between
//!   pools); the trim epoch; hand-back of a thread's items when it exits;
//!   counting of calls made without a cache. `pool_local::LocalPool` is
//!   the engine with one class, `pool_tiered::TieredPool` the engine with
//!   one class per size and its class lookup. A get or put is one
//!   thread-local access, whatever the number of classes.
//! - [`PerThread`]: the per-thread layer under the engine (and under
//!   `pool-fixed`'s per-thread slots), with [`PerThreadRef`], the counted
//!   reference an owned guard holds.
//! - [`trimmer`]: the process-wide trimmer thread, and
//!   [`trim_all`](trimmer::trim_all) for memory pressure.
//! - [`barrier`]: asymmetric fences, a cheap one for a hot path and an
//!   expensive one for a rare path.
//! - [`OnUnwind`]: the guard that keeps the books straight when user code
//!   panics in the middle of a get or a put.
//! - [`sync`]: the switch between `std` and `loom`, shared with the
//!   strategy crates and outside the semver promise (the
//!   [implementation notes](implementation#one-stdloom-switch-for-the-family)
//!   say why).
//!
//! The contract these build on (the guards, [`Reset`](pool_core::Reset),
//! the statistics and the hooks a guard calls) is `pool-core`'s; the
//! [`implementation`] notes describe how the engine and the per-thread
//! layer work.
//!
//! # Examples
//!
//! A two-class pool of `Vec<u8>`: one thread-local access per get or put.
//!
//! ```
//! use pool_engine::{ClassLimits, Engine, Entry};
//!
//! let classes = [64usize, 4096].map(|size| {
//!     let limits = ClassLimits { max_item_bytes: 2 * size, ..ClassLimits::default() };
//!     (limits, Box::new(move || Vec::<u8>::with_capacity(size)) as _)
//! });
//! let engine: Engine<Vec<u8>> = Engine::new(classes.into(), None, None)?;
//! let mut buf = engine.take(1); // a miss: made by the 4 KiB factory
//! buf.extend_from_slice(b"payload");
//! assert!(engine.put(1, buf, Entry::Returned), "reset, then kept");
//! assert_eq!(engine.take(1).capacity(), 4096);
//! let s = engine.stats();
//! assert_eq!((s[1].gets, s[1].hits, s[1].misses, s[0].gets), (2, 1, 1, 0));
//! # Ok::<(), pool_core::PoolError>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

#[allow(unsafe_code)]
pub mod barrier;
mod budget;
mod class;
mod engine;
pub mod implementation;
mod limits;
#[cfg(all(test, pool_loom))]
mod loom_tests;
mod per_class;
#[allow(unsafe_code)]
mod per_thread;
mod shelf;
mod spill;
mod state;
pub mod sync;
pub mod trimmer;
mod unwind;

pub use budget::SharedByteCap;
pub use class::{ClassSpec, ClassTable, Entry};
pub use engine::{Engine, EngineRef};
pub use limits::{ClassLimits, MAX_CACHE_SIZE, MAX_SPILL_SIZE, check_trim_interval};
pub use per_class::{ClassIndex, MAX_INLINE, OnlyClass, PerClass};
pub use per_thread::anchor::PerThreadRef;
pub use per_thread::{PerThread, Slot, ThreadState};
pub use unwind::OnUnwind;
