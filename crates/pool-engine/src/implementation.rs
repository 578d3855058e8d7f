//! How the engine and the per-thread layer work: notes for whoever reads
//! or changes this crate, and for strategy authors who want to know what
//! the hot path does. Nothing here is API.
//!
//! # The engine
//!
//! `pool_local::LocalPool` is an [`Engine`](crate::Engine) of one class of
//! items; `pool_tiered::TieredPool` is the same engine with one class per
//! size and its class lookup.
//!
//! - **Per-thread cache.** Each thread has its own stack of idle items in
//!   a slot of the [per-thread layer](#the-per-thread-layer), which every
//!   per-thread strategy of the family uses: one thread-local read and one compare
//!   find it (a `const` thread-local cache keyed by pool ids that are never
//!   reused), and slots are padded to their own cache lines. Get pops and
//!   put pushes there: no lock, no atomic read-modify-write, no write to a
//!   line another thread writes. The only shared read is the trim epoch,
//!   which changes only when `trim` runs.
//! - **Global spill.** When a thread's cache is full, its older half moves
//!   to a global queue in one batch; when a cache is empty, it takes a batch
//!   from there before making a new item. A producer that only takes and a
//!   consumer that only drops thus pass items back in batches. The spill is
//!   a stack of batches behind a lock (a batch moves at most every
//!   `cache_size / 2` gets or puts of a thread, in one short critical
//!   section): it allocates nothing until a batch comes, the batch used
//!   last is taken first (its items are the warmest), and its room is
//!   freed when a trim empties it. Items made by `prefill` wait beside it
//!   in a reserve, taken only when the spill is empty.
//! - **Cross-thread drops.** A guard dropped on another thread returns its
//!   item to *that* thread's cache, as `sync.Pool.Put` does, at the cost of
//!   a same-thread return.
//! - **Limits.** An item whose [`Reset::heap_bytes`](pool_core::Reset::heap_bytes)
//!   exceeds `max_item_bytes` is dropped on return ("pool
//!   pollution"). Retained bytes never exceed `max_retained_bytes`: each
//!   thread reserves byte credit from one shared counter in chunks of
//!   `cap / (16 x threads using the pool)`, keeps at most two chunks (or
//!   the item it just took) idle, and gives all of it back when it sees a
//!   trim or exits. So the counter is touched only when a thread's credit
//!   runs out or piles up, and the cap goes to whoever returns items, not
//!   to whoever came first: while retained bytes are under half the cap,
//!   no return is refused (when threads x largest item <= cap / 4). The
//!   counter is the engine's one piece of hand-written synchronisation;
//!   loom models in this crate check it.
//! - **Trim.** `sync.Pool` frees an idle item at its second GC; here an idle
//!   item that sat unused through two `trim` calls is freed.
//!   See [`Engine::trim`](crate::Engine::trim) for how other threads'
//!   caches are reached, and [`Engine::clear`](crate::Engine::clear) to
//!   free everything at once.
//! - **Statistics.** Counted per thread with plain stores, summed by
//!   [`Engine::stats`](crate::Engine::stats); `cargo xtask bench` measures
//!   their cost against a build with the counters compiled out.
//!
//! # The per-thread layer
//!
//! [`PerThread`](crate::PerThread)(crate::PerThread), the layer every per-thread strategy is built on: one
//! thread-local access per get and per put, safe while the thread's
//! thread-locals are being destroyed, and nothing stranded when a thread
//! exits.
//!
//! A pool owns a [`PerThread`](crate::PerThread): its shared part `G` (spill queues, byte
//! budget, configuration) and one [`Slot`](crate::Slot) per thread that uses it. A slot
//! has two halves:
//!
//! - [`Slot::owned`](crate::Slot::owned): what only the owning thread touches (idle items, byte
//!   credit), in a `RefCell`; no lock, no atomic read-modify-write;
//! - [`Slot::shared`](crate::Slot::shared): what other threads may read (counters), `Sync`.
//!
//! ## How the current thread's slot is found
//!
//! Each pool gets an id from a global counter (never reused, unlike an
//! address or a thread id). Every thread keeps a small direct-mapped cache
//! of `(pool id, slot address)` pairs in a `const`-initialised
//! `thread_local!` without a destructor, so [`PerThread::with`](crate::PerThread::with) costs one
//! thread-local read and one compare when it hits. On a miss it looks in the
//! thread's list of slots (a `thread_local!` with a destructor), and on the
//! thread's first use of the pool it takes a free slot (one a thread that
//! exited left behind) or makes one.
//!
//! The `thread_local` crate's `ThreadLocal` would give per-object slots
//! too, but it keeps each thread's value until the `ThreadLocal` itself is
//! dropped and reaches other threads' values only through `&mut`, so an
//! exited thread's cache would be stranded; this layer hands it back.
//!
//! ## When a thread exits
//!
//! The destructor of that list first empties the cache, then hands every
//! slot back to its pool (if the pool is still alive):
//! [`ThreadState::thread_exited`](crate::ThreadState::thread_exited) moves what the slot held into the pool's
//! shared part, and the slot goes on the pool's free list for the next new
//! thread. A pool used by 10,000 short-lived threads one after the other
//! thus has one slot, not 10,000.
//!
//! Code that runs later in the thread's teardown (a guard kept in another
//! thread-local, dropped after the list) finds no slot: `with` passes
//! `None`, and the pool serves it from its shared part. Nothing aborts,
//! nothing is lost, whatever the order in which thread-locals are destroyed.
//!
//!
//! ## Example
//!
//! A per-thread counter of calls, summed over threads, that survives thread
//! exit:
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
//! use pool_engine::{PerThread, ThreadState};
//!
//! #[derive(Default)]
//! struct Calls {
//!     /// Calls counted by threads that have exited.
//!     exited: AtomicU64,
//! }
//!
//! impl ThreadState for Calls {
//!     type Owned = u64;             // this thread's calls, owner-only
//!     type Shared = ();
//!     fn new_owned(&self) -> u64 { 0 }
//!     fn new_shared(&self) {}
//!     fn thread_exited(&self, calls: u64, (): &()) {
//!         self.exited.fetch_add(calls, Relaxed);
//!     }
//! }
//!
//! let calls = PerThread::new(Calls::default());
//! std::thread::scope(|s| {
//!     let threads: Vec<_> = (0..4)
//!         .map(|_| {
//!             s.spawn(|| {
//!                 for _ in 0..10 {
//!                     calls.with(|slot| match slot {
//!                         Some(slot) => *slot.owned().borrow_mut() += 1,
//!                         None => { calls.global().exited.fetch_add(1, Relaxed); }
//!                     });
//!                 }
//!             })
//!         })
//!         .collect();
//!     // `join` waits for each thread's thread-locals to be destroyed (the
//!     // end of the scope alone does not).
//!     threads.into_iter().for_each(|t| t.join().unwrap());
//! });
//! // Every thread has exited and handed its count back.
//! assert_eq!(calls.global().exited.load(Relaxed), 40);
//! assert_eq!(calls.threads(), 0);
//! ```
//!
//! # Owned references, counted per thread
//!
//! A [`PerThreadRef`](crate::PerThreadRef) is a reference to a pool that
//! outlives its handle, counted per thread: what an owned guard holds
//! instead of an `Arc` of the pool.
//!
//! An `Arc` clone per owned guard writes one shared counter on every get
//! and every drop, from every thread, and under contention that one line
//! costs more than the pooling saves. Here a guard's reference is counted in the slot of
//! the thread that takes or drops it:
//!
//! - **Taking** ([`PerThread::with_anchor`](crate::PerThread::with_anchor)) adds one to the calling
//!   thread's slot word with a plain load and store: only the slot's
//!   thread writes that word, and a reference is only taken through a
//!   borrowed handle, so every take happens before the handle's drop.
//! - **Releasing** ([`PerThreadRef::release_with`](crate::PerThreadRef::release_with), or dropping the
//!   reference) subtracts one from the releasing thread's slot word, with
//!   plain stores too: it marks the word busy, reads whether the handle is
//!   gone, then writes the count less one (or, if the handle is gone, the
//!   count as it was, and counts down centrally). A slot's word may go
//!   below zero (taken on one thread, released on another); the sum over
//!   slots is what is out.
//! - **The handle's drop** (the pool's) marks the pool gone, then reads
//!   every slot word, waiting out a release that has marked one busy,
//!   adds their sum to the central count and removes the bias that kept
//!   that count above zero while the handle lived. The one that brings
//!   it to zero (a central release, or the handle's drop if nothing was
//!   out) frees the pool.
//!
//! A release's busy mark and its read of the pool's mark, against the
//! handle's drop's write of that mark and its read of the slots, is
//! Dekker's pattern: without a fence between each store and the load
//! after it, both could miss the other's store, and a release would be
//! neither in the sum nor counted centrally. The release pays a compiler
//! fence only; the handle's drop (once per pool) pays a `membarrier(2)`,
//! a fence on every CPU running one of the process's threads (the pool's
//! [`Gate`](crate::barrier::Gate) keeps the two flags; where
//! `membarrier` is not available, both are `SeqCst` fences).
//! The read-modify-write this replaces was most of what an owned guard
//! cost over a borrowed one.
//!
//! Calls made without a slot (a thread whose thread-locals are being
//! destroyed) count centrally from the start, and so do references taken
//! through a reference's own copy of the handle (a *ghost*: the same pool,
//! no strong count of its own, marked in its id), since no handle's drop
//! waits for those. The memory of the pool thus
//! lives until the last owned reference is released, on any thread, in
//! any order, and is freed then.
//!
//! The model is Linux's `percpu_ref`, with the grace period replaced by
//! the handle's borrow (a take can never race the switch to central
//! counting) and by the asymmetric fence (a release's window is waited
//! out), so neither needs an atomic read-modify-write.
//!
//! ## Example
//!
//! ```
//! use pool_engine::{PerThread, ThreadState};
//!
//! struct Noisy;
//! impl ThreadState for Noisy {
//!     type Owned = ();
//!     type Shared = ();
//!     fn new_owned(&self) {}
//!     fn new_shared(&self) {}
//!     fn thread_exited(&self, (): (), (): &()) {}
//! }
//!
//! let pool = PerThread::new(Noisy);
//! let ((), held) = pool.with_anchor(|_slot| ());
//! drop(pool); // the handle goes; `held` keeps the memory alive
//! std::thread::spawn(move || held.release_with(|_noisy, _slot| ()))
//!     .join()
//!     .unwrap(); // released on another thread: the pool is freed there
//! ```
//!
//! # One std/loom switch for the family
//!
//! [`sync`](crate::sync) chooses between `std` and `loom` for this crate
//! and for the strategy crates built on it (`pool-fixed`, `pool-ring`).
//! It is shared rather than written again in each crate because the
//! per-thread layer hands those crates its own lock and cell types
//! ([`Slot`](crate::Slot), [`PerThreadRef`](crate::PerThreadRef)): under
//! loom, both sides must use loom's types for the model to see every
//! access. Each strategy crate keeps a private `sync` module for what only
//! it uses (its atomics, parking, its thread-locals). The module is public
//! for those crates only and, like crossbeam-epoch's loom switch, outside
//! the semver promise.
