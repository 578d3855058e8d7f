//! A bounded, pre-allocated pool: exactly `capacity` items, made up front,
//! handed out without blocking, with blocking, with a timeout, or
//! asynchronously (Go's channel-based `BuffPool`, pre-allocated as Node.js
//! services pre-allocate their buffers).
//!
//! ```
//! use std::sync::Arc;
//! use pool_fixed::{Buffer, FixedPool};
//!
//! // Go's `pool.Init(10, 1024)`, then 20 workers share the 10 buffers.
//! let pool = Arc::new(FixedPool::<Buffer<u8>>::buffers(10, 1024)?);
//! std::thread::scope(|s| {
//!     for worker in 0..20u8 {
//!         let pool = Arc::clone(&pool);
//!         s.spawn(move || {
//!             let mut buf = pool.get_blocking().expect("the pool stays open");
//!             buf.full_mut()[0] = worker;       // GetFullData
//!             buf.set_len(1).expect("1 <= 1024"); // SetLength
//!             assert_eq!(buf.valid(), [worker]); // GetValidData
//!         }); // the guard drops: zeroed and back (buf.Release())
//!     }
//! });
//! assert_eq!(pool.stats().gets, 20);
//! assert!(pool.stats().misses == 0, "never more than 10 buffers");
//! pool.close(); // Go's pool.Release()
//! # Ok::<(), pool_core::PoolError>(())
//! ```
//!
//! # Coming from Go's channel-based `BuffPool`
//!
//! | Go | here |
//! |---|---|
//! | `NewPool[T]()` + `Init(10, 1024)` | [`FixedPool::buffers(10, 1024)`](FixedPool::buffers), or [`FixedPool::new(capacity, factory)`](FixedPool::new) for any item |
//! | `Acquire() (buf, ok)` | [`try_get`](FixedPool::try_get) (never blocks), [`get_blocking`](FixedPool::get_blocking), [`get_timeout`](FixedPool::get_timeout), [`get_async`](FixedPool::get_async) |
//! | `buf.Release()` | drop the guard |
//! | `GetFullData`, `GetValidData`, `SetLength` | [`Buffer::full`], [`Buffer::valid`], [`Buffer::set_len`] |
//! | `Available()` | [`available`](FixedPool::available), with [`capacity`](FixedPool::capacity) and [`in_use`](FixedPool::in_use) |
//! | `Reset()` (creates new buffers) | [`renew`](FixedPool::renew): idle items replaced, items out freed when they return |
//! | pool `Release()` | [`close`](FixedPool::close): idempotent, wakes every waiter with `Closed` |
//! | `BufferChan()` | [`blocking_iter`](FixedPool::blocking_iter) (blocking) and [`stream`](FixedPool::stream) (async), both end when the pool closes |
//!
//! | misuse (a runtime panic in Go) | here |
//! |---|---|
//! | releasing an already released buffer | compile error: a guard is dropped once |
//! | using a buffer after releasing it | compile error: the guard is gone |
//! | returning a buffer to a full pool | impossible: only guards return items, and at most `capacity` exist |
//! | using a buffer still marked in use | impossible: only its guard reaches it |
//! | acquiring from a released pool | [`PoolError::Closed`] |
//! | `Init(0, n)`, `Init(n, 0)` | [`PoolError::InvalidConfig`] naming `capacity` or `buffer_capacity` |
//! | `SetLength` past the capacity | [`PoolError::TooLarge`] |
//!
//! # Design
//!
//! Idle items live in a per-thread slot (one item per thread) in front of a
//! shared [`crossbeam_queue::ArrayQueue`]. A thread that takes and returns
//! one item at a time touches only its own slot: the item sits inline
//! beside a state word, taken and parked with plain stores and compiler
//! fences, no lock, no allocation and no atomic read-modify-write (the
//! `slot` module holds the crate's `unsafe`, but for one cast from the
//! per-thread layer to the `repr(transparent)` pool around it, for owned
//! guards). A counter of tokens (items in the queue minus waiters)
//! decides, with one read-modify-write, whether a get may pop the queue and
//! whether a put must hand its item to a waiter, so no wake-up is lost:
//! waiters register their debt, fence, then look in every slot one last
//! time, and a put fences between its park and its read of the debts, so
//! a put that parks after that look sees the debt and hands its item over,
//! and one that parked before it is found. Until the pool's first waiter,
//! `close`, `renew` or steal (a get that finds its slot and the queue
//! empty takes another thread's parked item), the put's fence is a
//! compiler fence and the get takes its item with plain stores, paired
//! with one `membarrier` that the first of those makes (on Linux;
//! elsewhere, and once that happened, a full fence and a compare-exchange):
//! a pool sized so that nobody waits or steals pays no atomic
//! read-modify-write per get + put. Waiters are served first come, first
//! served.
//!
//! The items made up front (and [`renew`](FixedPool::renew)'s
//! replacements) wait in a reserve of their own and are handed out only
//! when the queue of returned items is empty: a pool sized above
//! what is usually out at once keeps reusing the items in use (their
//! memory warm in a cache) instead of cycling through all of them, the
//! queue being first in, first out. Measured (a pipeline of 8 producers
//! filling 64 KiB buffers whole and 8 consumers dropping them, 2,304
//! items of which a few hundred are out at once): resident memory after
//! 200,000 buffers 28.0-28.1 MiB instead of 146.6-146.8 MiB, and 0.6-0.9
//! µs per buffer instead of 2.3-2.9.
//!
//! An item that leaves circulation (detached, stale after
//! [`renew`](FixedPool::renew), dropped because its `Reset` or
//! `heap_bytes` panicked) is owed: the oldest waiter gets the right to make
//! its replacement (it runs the factory on its own thread), or the next
//! acquire does. The owing side and a registering waiter both look under
//! the wait lock, so neither misses the other: a pool of capacity `n` always has
//! exactly `n` items that exist or are owed, and no waiter sleeps
//! while one is owed.
//!
//! Loom models check the waiting and waking paths, a timeout racing a
//! return, a park racing a waiter's last look, a steal racing the owner's
//! take and park, `close` racing a park, a detach or stale return racing
//! a waiter, and the order waiters are served in (a later waiter or get
//! never takes an item on its way to an older waiter) included
//! (`RUSTFLAGS="--cfg pool_loom" cargo test -p pool-fixed --release --lib
//! loom_`).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod buffer;
mod builder;
mod future;
mod hand_off;
#[cfg(all(test, pool_loom))]
mod loom_tests;
mod pool;
mod recycle;
#[allow(unsafe_code)]
mod slot;
mod state;
mod status;
mod sync;
mod wait_protocol;
mod wait_queue;

pub use buffer::Buffer;
pub use builder::FixedPoolBuilder;
pub use future::{BlockingIter, GetFuture, GetOwnedFuture, ItemStream};
pub use pool::{FixedPool, FixedTicket, MAX_ITEMS};
pub use pool_core::{OwnedPooled, Pool, PoolError, Pooled, Reset, Stats};
pub use recycle::FixedAnchor;
pub use status::Status;
