//! A pool whose get and put touch only the current thread's cache, like Go's
//! `sync.Pool` and its per-P caches: the strategy most services want.
//!
//! ```
//! use std::sync::Arc;
//! use pool_local::LocalPool;
//!
//! let pool = Arc::new(
//!     LocalPool::builder()
//!         .cache_size(32)
//!         .max_item_bytes(1 << 20)      // drop buffers that grew past 1 MiB
//!         .max_retained_bytes(64 << 20) // idle buffers hold at most 64 MiB
//!         .build(|| Vec::<u8>::with_capacity(4096))?,
//! );
//!
//! std::thread::scope(|s| {
//!     for t in 0..4u8 {
//!         let pool = &pool;
//!         s.spawn(move || {
//!             for _ in 0..1000 {
//!                 let mut buf = pool.get();       // from this thread's cache
//!                 buf.extend_from_slice(&[t; 16]);
//!             }                                   // cleared and cached again
//!         });
//!     }
//! });
//!
//! let stats = pool.stats();
//! assert_eq!(stats.gets, 4000);
//! assert_eq!(stats.outstanding, 0);
//! assert!(stats.hit_rate() > 0.99);
//! # Ok::<(), pool_core::PoolError>(())
//! ```
//!
//! # What it promises, and what it costs
//!
//! - **Get and put touch only this thread's cache**: no lock, no atomic
//!   read-modify-write, no write to a cache line another thread writes,
//!   as `sync.Pool`'s per-P caches. A full cache moves half of itself to a
//!   shared spill in one batch, an empty one takes a batch back before it
//!   makes a new item, so a producer thread and a consumer thread pass
//!   items in batches.
//! - **A guard dropped on another thread** gives its item to *that*
//!   thread's cache, as `sync.Pool.Put` does.
//! - **Never over the caps**: an item whose [`Reset::heap_bytes`] is over
//!   `max_item_bytes` is dropped on return; the idle items' bytes never
//!   exceed `max_retained_bytes`, and while they are under half of it no
//!   return is refused.
//! - **Memory comes back**: an item idle through two [`LocalPool::trim`]
//!   calls (or two timed trims) is freed, as `sync.Pool` frees at its
//!   second GC.
//! - **Statistics cost no shared write**: counted per thread, summed by
//!   [`LocalPool::stats`].
//!
//! Pick it for items of one kind used by many threads; pick `pool-tiered`
//! for byte buffers of many sizes, `pool-fixed` for a hard bound with
//! waiting, `pool-ring` for a fixed set of slots. A `LocalPool` is
//! `pool-engine`'s `Engine` with one class; how the engine works (caches,
//! spill, byte budget, trim) is in its
//! [implementation notes](pool_engine::implementation).
//!
//! # Threads come and go
//!
//! Services run on thread pools that grow and shrink. When a thread exits,
//! its cached items go to the spill (those that do not fit are freed and
//! counted as trimmed) and its byte credit back to the cap, so
//! [`LocalPool::trim`] and [`LocalPool::clear`] reach them; its slot is
//! reused by the next new thread, so 10,000 short-lived threads one after
//! the other leave one slot, not 10,000. A guard may be dropped anywhere,
//! even in another thread-local's destructor after the pool's per-thread
//! state is gone: the item then goes straight to the spill (or is freed)
//! and is counted, never an abort. A thread's hand-back happens while its
//! thread-locals are destroyed, which `JoinHandle::join` waits for and the
//! end of a `std::thread::scope` does not.
//!
//! # Memory
//!
//! What each setting keeps, and what gives it back:
//!
//! | setting | keeps at most | given back by | costs |
//! |---|---|---|---|
//! | `cache_size` (64) | that many idle items per thread that used the pool | a trim (at the thread's next get or put), the thread's exit, [`LocalPool::clear`] | nothing on the hot path |
//! | `spill_size` (1024) | that many idle items shared by all threads (among them what exited threads left) | [`LocalPool::trim`], timed trims, `trim_all`, `clear` | nothing on the hot path |
//! | [`LocalPool::prefill`] | `cache_size + spill_size` items made ahead, in a reserve drawn from only when a thread's cache and the spill are empty | as the spill | nothing on the hot path |
//! | `max_item_bytes` | - | an item that grew past it is dropped on return | one compare per put |
//! | `max_retained_bytes` | that many heap bytes of idle items, in all | as above | a shared atomic only when a thread's credit runs out or piles up |
//! | `trim_interval` (off) | - | the process-wide trimmer trims the pool every interval: what sat idle through two intervals is freed | one background thread for the whole process while a timed pool lives; nothing on get or put (measured by `cargo xtask bench`: `pool-local-timed`) |
//!
//! An idle item is freed at the second trim that finds it idle, as Go's
//! `sync.Pool` frees at its second GC. A live thread that stops using the
//! pool keeps its cache (at most `cache_size` items) until it uses the pool
//! again or exits. Without `trim_interval`, memory comes back only when
//! someone calls [`LocalPool::trim`] (twice) or
//! `pool_engine::trimmer::trim_all`; with it, a burst's peak is gone two
//! intervals after the burst.
//!
//! What a pool costs before it holds anything (measured by `cargo xtask
//! bench`'s footprint table, 10,000 pools on x86-64 Linux, heap bytes
//! counted by the allocator; resident memory adds the allocator's
//! overhead): an empty pool about 260 bytes (its shared block, its class
//! table and a weak pointer in the trimmer's list; no spill, no cache).
//! The first get and return on a thread add about 660 bytes: the
//! thread's slot (320, on cache lines of its own), the class's shared part
//! and room for one idle item. A cache makes room for `cache_size` items
//! at once when it first holds two, the spill for its whole limit at its
//! first batch, and both give their room back when a trim empties them.
//! Room is made in one step, not by doubling, so that a burst's memory
//! can be given back to the system after a trim (a small block made
//! during the burst and freed later can keep the allocator from shrinking
//! its heap).
//!
//! [`LocalPool::memory`] shows where the idle items are: the threads'
//! caches, the spill, the reserve of prefilled items.
//!
//! ```
//! use std::time::Duration;
//! use pool_local::LocalPool;
//!
//! let pool = LocalPool::builder()
//!     .trim_interval(Duration::from_secs(10)) // memory back within ~20 s of a burst
//!     .build(|| Vec::<u8>::with_capacity(64 << 10))?;
//! drop(pool.get());
//! assert_eq!(pool.stats().timed_trims, 0); // the first comes after 10 s
//! # Ok::<(), pool_core::PoolError>(())
//! ```
//!
//! # `sync.Pool`'s pitfalls, here
//!
//! | `sync.Pool` pitfall | here |
//! |---|---|
//! | using an object after `Put` | compile error: the guard is gone |
//! | returning the pooled buffer to a caller | compile error for [`Pooled`]; [`Pooled::detach`] to keep it |
//! | forgetting `Reset` | impossible: the pool resets on drop |
//! | pooling tiny objects | still a bad idea below ~256 B: `cargo xtask bench` shows where it stops paying |
//!
//! # Panics
//!
//! A panicking factory propagates to the caller of `get`; nothing is counted
//! and the pool stays usable. A panicking `Reset::reset` drops the item
//! (counted as discarded, reason `panicked`) and propagates; if that happens
//! while the thread is already unwinding, Rust aborts, as for any drop.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod builder;
mod pool;

pub use builder::LocalPoolBuilder;
pub use pool::{LocalAnchor, LocalPool, LocalTicket};
pub use pool_core::{OwnedPooled, Pool, PoolError, Pooled, Reset, Stats};
pub use pool_engine::SharedByteCap;
pub use pool_engine::{MAX_CACHE_SIZE, MAX_SPILL_SIZE};
