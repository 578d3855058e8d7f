//! A lock-free ring of `2^k` pre-filled slots, each claimed with a
//! compare-exchange: the ring pool often written in Go, without its race,
//! and without the shared index that makes it collapse under contention.
//!
//! ```
//! use pool_ring::RingPool;
//!
//! // 16 registered I/O buffers, say: a fixed working set, no per-thread state.
//! let pool = RingPool::new(16, || Vec::<u8>::with_capacity(2048))?;
//! std::thread::scope(|s| {
//!     for t in 0..4u8 {
//!         let pool = &pool;
//!         s.spawn(move || {
//!             for _ in 0..1000 {
//!                 let mut buf = pool.get();   // claims one slot, or makes one if all are busy
//!                 buf.push(t);                // nobody else holds this buffer
//!             }                               // reset and back in its own slot
//!         });
//!     }
//! });
//! let s = pool.stats();
//! assert_eq!(s.gets, 4000);
//! assert_eq!(s.outstanding, 0);
//! # Ok::<(), pool_core::PoolError>(())
//! ```
//!
//! # What the usual Go ring pool gets wrong
//!
//! ```go
//! func (p *RingPool) Get() []byte {
//!     idx := atomic.AddInt64(&p.index, 1) & p.mask
//!     return p.buffers[idx][:0]   // nobody checks that buffers[idx] is free
//! }
//! ```
//!
//! Buffers are never given back and never marked in use: once the index
//! wraps while a buffer is still held, two callers write the same memory.
//! Here each slot has an atomic state: a get claims a slot with a
//! compare-exchange, trying the next few slots (`probes`) if it is busy;
//! the guard puts the reset item back into *its* slot and frees it with a
//! Release store. No slot ever has two holders, and when every probed slot
//! is busy the pool makes a fresh item ([`OnFull::Allocate`]) or reports
//! [`PoolError::Exhausted`] ([`OnFull::Fail`]).
//!
//! Nor is there one index that every get of every thread bumps: each
//! thread starts probing at its own cursor, the slot it last claimed (one
//! thread-local word shared by all rings, not per-pool state), and threads
//! arrive on distinct slots. A thread that takes and returns one item at a
//! time reuses one slot, a cache line no other thread writes; a shared
//! index would make every get of every thread write one line, which is
//! no faster than one shared `ArrayQueue` (`cargo xtask bench` measures
//! both).
//!
//! # When to pick the ring
//!
//! - A fixed working set of items that must stay the same (registered or
//!   pinned I/O buffers, DMA regions), at most one slot per item, and no
//!   per-thread state in the pool (threads come and go freely).
//! - Up to `capacity()` threads that each hold one item at a time share
//!   nothing; past that, threads probe each other's slots and contend.
//!   Pick `pool-local` for many threads and unknown counts: its caches
//!   grow with the threads, where the ring's slots are fixed.
//!
//! # Implementation notes
//!
//! The `unsafe` is in two modules. In `slot`, a slot's item sits in an
//! `UnsafeCell` reached only through a claim, which exists once per busy
//! slot (see the module's docs). In `home`, the ring lives in one heap
//! allocation that the pool's handle and its owned guards keep alive: an
//! owned guard writes no count of its own (its busy slot is the count, read
//! by the handle's drop), so an owned get costs what a borrowed one does,
//! and its drop two plain stores and a compiler fence instead of one store
//! (the handle's drop pays a `membarrier(2)` for it, once: see
//! `pool_engine::barrier`). Loom models check
//! the claim and release paths and the handle's drop racing owned guards'
//! releases (`RUSTFLAGS="--cfg pool_loom" cargo test -p pool-ring --release
//! --lib loom_`), and Miri runs the tests.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod builder;
mod cursor;
#[allow(unsafe_code)]
mod home;
#[cfg(all(test, pool_loom))]
mod loom_tests;
mod ring;
#[allow(unsafe_code)]
mod slot;
mod sync;

pub use builder::RingPoolBuilder;
pub use pool_core::{OwnedPooled, Pool, PoolError, Pooled, Reset, Stats};
pub use ring::recycle::RingAnchor;
pub use ring::{OnFull, RingPool};
pub use slot::MAX_SLOTS;
pub use slot::RingTicket;
