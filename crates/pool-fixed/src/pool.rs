//! `FixedPool`: exactly `count` items, a per-thread slot in front of a
//! shared queue, and FIFO waiters.

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use pool_core::per_thread::{PerThread, ThreadState};
use pool_core::{Counter, Counters, OwnedPooled, Pool, PoolError, Pooled, Reset, Stats};

use crate::Buffer;
use std::sync::Arc;

use crate::sync::{
    Arc as CellArc, AtomicBool, AtomicIsize, AtomicU64, Mutex, current, lock, park_until, spin,
};
use crate::wait::{Idle, Notify, Outcome, WaitCell, WaitQueue};

/// Largest pool accepted.
pub const MAX_ITEMS: usize = 1 << 24;

/// What each thread keeps for one pool, in its slot of the per-thread
/// layer (the shared half: other threads steal from `slot` and read the
/// counters).
struct Local<T> {
    /// One idle item kept for this thread; others may steal it.
    slot: Mutex<Option<Idle<T>>>,
    /// Written by the owner only.
    counters: Counters,
}

/// The calling thread's view: its slot and counters, or (while its
/// thread-locals are being destroyed) no slot and the pool's shared
/// counters, bumped with read-modify-writes.
struct Tally<'a, T> {
    slot: Option<&'a Mutex<Option<Idle<T>>>>,
    counters: &'a Counters,
    shared: bool,
}

impl<T> Clone for Tally<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Tally<'_, T> {}

impl<T> Tally<'_, T> {
    #[inline]
    fn add(&self, counter: impl Fn(&Counters) -> &Counter, n: u64) {
        let c = counter(self.counters);
        if self.shared {
            c.add_shared(n);
        } else {
            c.add(n);
        }
    }
}

/// What a [`FixedPool`] guard carries besides its item: the pool
/// generation it was handed out in, so that an item from before a
/// [`reset`](FixedPool::reset) is freed when it comes back.
#[derive(Debug)]
pub struct FixedTicket {
    generation: u64,
}

/// A bounded pool of exactly `count` items, all made up front (seed 000's
/// `BuffPool`).
///
/// - [`try_acquire`](Self::try_acquire) never blocks;
///   [`acquire`](Self::acquire) blocks until an item comes back or the pool
///   closes; [`acquire_timeout`](Self::acquire_timeout) gives up after a
///   while; [`acquire_async`](Self::acquire_async) waits without blocking a
///   thread, on any executor.
/// - Waiters are served in the order they started waiting (FIFO): a
///   returned item goes straight to the oldest waiter.
/// - Each thread keeps one idle item in a slot of its own (from
///   `pool_core::per_thread`, the layer the per-thread strategies share),
///   so a thread that takes and returns one item touches no shared cache
///   line; other threads steal from those slots before they report
///   exhaustion or wait, so no idle item is ever hidden from them. When a
///   thread exits, the item in its slot goes to the shared queue (or to the
///   oldest waiter); a guard dropped during a thread's teardown does the
///   same.
/// - The bound is exact: items are made only at construction and to replace
///   one that left (detached, reset panicked, or stale after
///   [`reset`](Self::reset)), never more than `count` at a time.
///
/// See the [crate docs](crate) for seed 000's API, mapped.
pub struct FixedPool<T: Reset + Send + 'static> {
    threads: PerThread<Core<T>>,
}

/// What every thread shares.
struct Core<T> {
    /// Idle items not in a thread's slot. Never full: at most `count`
    /// items exist.
    queue: ArrayQueue<Idle<T>>,
    /// Items in `queue` (or being pushed there) minus registered waiters.
    /// A get that takes a token (Acquire/Release read-modify-write) is
    /// owed an item from the queue; a put that finds it negative hands its
    /// item to the oldest waiter.
    avail: CachePadded<AtomicIsize>,
    waitq: Mutex<WaitQueue<T>>,
    closed: AtomicBool,
    /// Bumped by `reset`; idle items and tickets of older generations are
    /// stale.
    generation: CachePadded<AtomicU64>,
    /// Items that left for good and may be replaced by the factory.
    missing: CachePadded<AtomicIsize>,
    /// Counts of calls made by threads without a slot (shared adds).
    orphan: Counters,
    factory: Box<dyn Fn() -> T + Send + Sync>,
    count: usize,
}

impl<T: Reset + Send + 'static> ThreadState for Core<T> {
    type Owned = ();
    type Shared = Local<T>;

    fn new_owned(&self) {}

    fn new_shared(&self) -> Local<T> {
        Local {
            slot: Mutex::new(None),
            counters: Counters::default(),
        }
    }

    /// The exiting thread's idle item goes where other threads find it.
    fn thread_exited(&self, (): (), local: &Local<T>) {
        let mut slot = lock(&local.slot);
        let Some(idle) = slot.take() else {
            return;
        };
        let stale = idle.generation != self.generation.load(Acquire);
        if stale || self.closed.load(Acquire) {
            drop(slot);
            local.counters.trimmed.incr();
            local
                .counters
                .bytes_trimmed
                .add(idle.item.heap_bytes() as u64);
            // Freed before it is owed: never more than `count` items.
            drop(idle);
            if stale && !self.closed.load(Acquire) {
                self.missing.fetch_add(1, AcqRel);
            }
            return;
        }
        // Into the queue while the slot is still locked: a thread that
        // steals from this slot meanwhile waits, then finds the item's token
        // in `avail` (see `try_take_slow`), so the item is never out of
        // sight.
        self.put_queue(idle);
        drop(slot);
        if self.closed.load(Acquire) {
            // Closed meanwhile: `close` may have drained before the push.
            while let Some(idle) = self.take_shared() {
                local.counters.trimmed.incr();
                local
                    .counters
                    .bytes_trimmed
                    .add(idle.item.heap_bytes() as u64);
            }
        }
    }
}

impl<T> Core<T> {
    /// Takes a token from `avail` if one is there, then the item it stands
    /// for from the queue.
    fn take_shared(&self) -> Option<Idle<T>> {
        self.avail
            .fetch_update(AcqRel, Relaxed, |a| (a > 0).then(|| a - 1))
            .ok()?;
        Some(self.pop_owed())
    }

    /// Pops the item a token was taken for; its putter may still be on the
    /// way between the token and the push.
    fn pop_owed(&self) -> Idle<T> {
        loop {
            if let Some(idle) = self.queue.pop() {
                return idle;
            }
            spin();
        }
    }

    /// Puts an idle item where the next get finds it: the oldest waiter,
    /// else the queue.
    fn put_queue(&self, idle: Idle<T>) {
        if self.avail.fetch_add(1, AcqRel) < 0 {
            self.hand_to_waiter(idle);
        } else if let Err(idle) = self.queue.push(idle) {
            // At most `count` items exist, and the queue holds `count`.
            debug_assert!(false, "the queue of a bounded pool overflowed");
            drop(idle);
        }
    }

    #[cold]
    fn hand_to_waiter(&self, idle: Idle<T>) {
        let mut q = lock(&self.waitq);
        match q.waiters.pop_front() {
            // Served under the wait lock, so that a waiter that is no longer
            // queued (see `cancel`) always finds its outcome set; woken
            // after.
            Some(cell) => {
                let wake = cell.serve(Ok(idle));
                drop(q);
                wake.wake();
            }
            // The waiter gave up (and returned its debt) after we took the
            // token: the item goes to the queue, where its token counts it.
            None => {
                drop(q);
                if let Err(idle) = self.queue.push(idle) {
                    debug_assert!(false, "the queue of a bounded pool overflowed");
                    drop(idle);
                }
            }
        }
    }
}

impl<T: Reset + Send + 'static> FixedPool<T> {
    /// A pool of `count` items made now by `factory`.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] if `count` is 0 or over [`MAX_ITEMS`].
    ///
    /// # Panics
    ///
    /// If the factory panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(4, || Vec::<u8>::with_capacity(1500))?;
    /// assert_eq!((pool.capacity(), pool.available(), pool.in_use()), (4, 4, 0));
    /// let buf = pool.try_acquire()?;
    /// assert_eq!(pool.in_use(), 1);
    /// # drop(buf);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn new<F>(count: usize, factory: F) -> Result<Self, PoolError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        if !(1..=MAX_ITEMS).contains(&count) {
            return Err(PoolError::invalid_config(
                "count",
                count,
                format!("1..={MAX_ITEMS} items"),
            ));
        }
        let pool = FixedPool {
            threads: PerThread::new(Core {
                queue: ArrayQueue::new(count),
                avail: CachePadded::new(AtomicIsize::new(0)),
                waitq: Mutex::new(WaitQueue::new()),
                closed: AtomicBool::new(false),
                generation: CachePadded::new(AtomicU64::new(0)),
                missing: CachePadded::new(AtomicIsize::new(0)),
                orphan: Counters::default(),
                factory: Box::new(factory),
                count,
            }),
        };
        let local = pool.local();
        for _ in 0..count {
            let item = (pool.c().factory)();
            local.add(|c| &c.prefilled, 1);
            local.add(|c| &c.bytes_in, item.heap_bytes() as u64);
            pool.c().put_queue(Idle {
                item,
                generation: 0,
            });
        }
        Ok(pool)
    }

    /// The number of items the pool holds in all.
    pub fn capacity(&self) -> usize {
        self.c().count
    }

    /// Items that can be handed out now without waiting (idle ones, and
    /// replacements for items that left). A snapshot: other threads move on.
    pub fn available(&self) -> usize {
        if self.c().closed.load(Acquire) {
            return 0;
        }
        let idle = self.stats().retained_items as usize;
        (idle + self.c().missing.load(Relaxed).max(0) as usize).min(self.c().count)
    }

    /// Items handed out and not back yet. A snapshot.
    pub fn in_use(&self) -> usize {
        (self.stats().outstanding as usize).min(self.c().count)
    }

    /// Acquires waiting for an item right now (blocking and async).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, Vec::<u8>::new)?;
    /// let held = pool.acquire()?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| pool.acquire().is_ok());
    ///     while pool.waiting() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     drop(held);
    ///     assert!(waiter.join().unwrap());
    /// });
    /// assert_eq!(pool.waiting(), 0);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn waiting(&self) -> usize {
        lock(&self.c().waitq).waiters.len()
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.c().closed.load(Acquire)
    }

    /// A snapshot of the counters of every thread.
    pub fn stats(&self) -> Stats {
        self.threads.with_shared(|slots, core| {
            Stats::from_counters(slots.map(|l| &l.counters).chain([&core.orphan]))
        })
    }

    /// Takes an idle item without blocking.
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] when every item is out,
    /// [`PoolError::Closed`] after [`close`](Self::close).
    ///
    /// # Panics
    ///
    /// If the factory panics while replacing an item that left.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, String::new)?;
    /// let s = pool.try_acquire()?;
    /// assert_eq!(pool.try_acquire().unwrap_err(), PoolError::Exhausted { capacity: 1 });
    /// drop(s);
    /// assert!(pool.try_acquire().is_ok());
    /// # Ok::<(), PoolError>(())
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<Pooled<'_, Self>, PoolError> {
        let (item, ticket) = self.try_take()?;
        Ok(Pooled::new(item, ticket, self))
    }

    /// Like [`try_acquire`](Self::try_acquire), with a `Send + 'static`
    /// guard.
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Self::try_acquire).
    pub fn try_acquire_owned(self: &Arc<Self>) -> Result<OwnedPooled<Self>, PoolError> {
        let (item, ticket) = self.try_take()?;
        Ok(OwnedPooled::new(item, ticket, Arc::clone(self)))
    }

    /// Waits until an item is free, and takes it.
    ///
    /// # Errors
    ///
    /// [`PoolError::Closed`] if the pool is or gets closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, Vec::<u8>::new)?;
    /// let first = pool.acquire()?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| pool.acquire().map(|b| b.len()));
    ///     drop(first); // wakes the waiter
    ///     assert_eq!(waiter.join().unwrap(), Ok(0));
    /// });
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn acquire(&self) -> Result<Pooled<'_, Self>, PoolError> {
        let (item, ticket) = self.take_blocking(None)?;
        Ok(Pooled::new(item, ticket, self))
    }

    /// Waits at most `timeout` for an item.
    ///
    /// # Errors
    ///
    /// [`PoolError::TimedOut`] when none came back in time,
    /// [`PoolError::Closed`] if the pool is or gets closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use pool_core::PoolError;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, Vec::<u8>::new)?;
    /// let _held = pool.acquire()?;
    /// let err = pool.acquire_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert!(matches!(err, PoolError::TimedOut { .. }));
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<Pooled<'_, Self>, PoolError> {
        let (item, ticket) = self.take_blocking(Some(timeout))?;
        Ok(Pooled::new(item, ticket, self))
    }

    /// Waits for an item without blocking the thread; works on any
    /// executor. Cancellation-safe: dropping the future before it completes
    /// loses no item and no wake-up (an item already handed to it goes to
    /// the next waiter).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(2, || Vec::<u8>::with_capacity(64))?;
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let len = rt.block_on(async {
    ///     let mut buf = pool.acquire_async().await?;
    ///     buf.extend_from_slice(b"async");
    ///     Ok::<_, pool_core::PoolError>(buf.len())
    /// })?;
    /// assert_eq!(len, 5);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn acquire_async(&self) -> AcquireFuture<'_, T> {
        AcquireFuture {
            pool: self,
            wait: Wait { cell: None },
        }
    }

    /// Like [`acquire_async`](Self::acquire_async), resolving to a
    /// `Send + 'static` guard.
    pub fn acquire_owned_async(self: &Arc<Self>) -> AcquireOwnedFuture<T> {
        AcquireOwnedFuture {
            pool: Arc::clone(self),
            wait: Wait { cell: None },
        }
    }

    /// Seed 000's `BufferChan`: an iterator that yields items as they
    /// become free (blocking) and ends when the pool closes.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(2, Vec::<u8>::new)?;
    /// let mut taken = 0;
    /// for mut buf in pool.iter() {
    ///     buf.push(1);
    ///     taken += 1;
    ///     if taken == 5 {
    ///         pool.close();
    ///     }
    /// }
    /// assert_eq!(taken, 5);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { pool: self }
    }

    /// The async counterpart of [`iter`](Self::iter): a
    /// [`futures_core::Stream`] of items that ends when the pool closes.
    pub fn stream(&self) -> ItemStream<'_, T> {
        ItemStream {
            pool: self,
            wait: Wait { cell: None },
        }
    }

    /// Closes the pool (seed 000's pool `Release`). Idempotent. Waiters
    /// wake with [`PoolError::Closed`], later acquires fail with it, idle
    /// items are freed now, and items still out are freed when their guards
    /// drop.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(2, Vec::<u8>::new)?;
    /// let out = pool.acquire()?;
    /// pool.close();
    /// pool.close();
    /// assert_eq!(pool.try_acquire().unwrap_err(), PoolError::Closed);
    /// drop(out); // freed, not pooled
    /// assert_eq!(pool.stats().discarded.closed, 1);
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn close(&self) {
        if self.c().closed.swap(true, AcqRel) {
            return;
        }
        let wakes: Vec<_> = {
            let mut q = lock(&self.c().waitq);
            q.closed = true;
            // Served under the wait lock (see `hand_to_waiter`); each
            // waiter's debt in `avail` is cancelled with it.
            mem::take(&mut q.waiters)
                .into_iter()
                .map(|cell| {
                    self.c().avail.fetch_add(1, AcqRel);
                    cell.serve(Err(PoolError::Closed))
                })
                .collect()
        };
        wakes.into_iter().for_each(|w| w.wake());
        let local = self.local();
        for idle in self.drain_idle() {
            self.count_trim(local, &idle);
        }
    }

    /// Replaces every idle item with a fresh one from the factory (seed
    /// 000's `Reset`). Items out now are freed when they come back, and
    /// replaced then; none is mixed back in.
    ///
    /// # Panics
    ///
    /// If the factory panics (the items not yet replaced are made later, on
    /// demand).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(2, || vec![0u8; 4])?;
    /// let old = pool.acquire()?;
    /// pool.reset();
    /// drop(old); // from before the reset: freed
    /// let s = pool.stats();
    /// assert_eq!((s.discarded.stale, s.trimmed), (1, 1));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn reset(&self) {
        if self.c().closed.load(Acquire) {
            return;
        }
        let generation = self.c().generation.fetch_add(1, AcqRel) + 1;
        let local = self.local();
        let old = self.drain_idle();
        let n = old.len();
        for idle in old {
            self.count_trim(local, &idle);
        }
        // Counted as missing first, so a panicking factory leaves them to
        // be made on demand.
        self.c().missing.fetch_add(n as isize, AcqRel);
        for _ in 0..n {
            if !self.take_missing() {
                break;
            }
            let item = (self.c().factory)();
            local.add(|c| &c.prefilled, 1);
            local.add(|c| &c.bytes_in, item.heap_bytes() as u64);
            self.put_idle(Idle { item, generation });
        }
    }

    // ----- internals -----

    #[inline]
    fn c(&self) -> &Core<T> {
        self.threads.global()
    }

    /// The calling thread's slot and counters (one per-thread lookup).
    #[inline]
    fn local(&self) -> Tally<'_, T> {
        match self.threads.shared_slot() {
            Some(local) => Tally {
                slot: Some(&local.slot),
                counters: &local.counters,
                shared: false,
            },
            None => Tally {
                slot: None,
                counters: &self.c().orphan,
                shared: true,
            },
        }
    }

    fn ticket(&self) -> FixedTicket {
        FixedTicket {
            generation: self.c().generation.load(Acquire),
        }
    }

    /// Counts a hit and turns an idle item into what a guard holds.
    #[inline]
    fn hand_out(&self, local: Tally<'_, T>, idle: Idle<T>) -> (T, FixedTicket) {
        local.add(|c| &c.hits, 1);
        local.add(|c| &c.bytes_out, idle.item.heap_bytes() as u64);
        (
            idle.item,
            FixedTicket {
                generation: idle.generation,
            },
        )
    }

    fn count_trim(&self, local: Tally<'_, T>, idle: &Idle<T>) {
        local.add(|c| &c.trimmed, 1);
        local.add(|c| &c.bytes_trimmed, idle.item.heap_bytes() as u64);
    }

    /// Drops `idle` if it is from before a reset (counting it trimmed and
    /// owing a replacement).
    #[inline]
    fn fresh(&self, local: Tally<'_, T>, idle: Idle<T>) -> Option<Idle<T>> {
        if idle.generation == self.c().generation.load(Acquire) {
            Some(idle)
        } else {
            self.count_trim(local, &idle);
            // Freed before it is owed: never more than `count` items.
            drop(idle);
            self.c().missing.fetch_add(1, AcqRel);
            None
        }
    }

    /// Own slot, then the shared queue, then other threads' slots, then a
    /// replacement for an item that left.
    #[inline]
    fn try_take(&self) -> Result<(T, FixedTicket), PoolError> {
        let local = self.local();
        if let Some(idle) = local.slot.and_then(|slot| lock(slot).take())
            && let Some(idle) = self.fresh(local, idle)
        {
            return Ok(self.hand_out(local, idle));
        }
        self.try_take_slow(local)
    }

    #[cold]
    fn try_take_slow(&self, local: Tally<'_, T>) -> Result<(T, FixedTicket), PoolError> {
        loop {
            if self.c().closed.load(Acquire) {
                return Err(PoolError::Closed);
            }
            // Shared queue, other threads' slots, then the queue once more:
            // an exiting thread moves its slot's item to the queue under
            // that slot's lock, so an item missed by the first look is
            // found by the steal or the second.
            let idle = match self
                .take_shared()
                .or_else(|| self.steal())
                .or_else(|| self.take_shared())
            {
                Some(idle) => idle,
                None => return self.make_missing(local),
            };
            if let Some(idle) = self.fresh(local, idle) {
                return Ok(self.hand_out(local, idle));
            }
        }
    }

    /// Makes a replacement if an item left, else reports exhaustion.
    fn make_missing(&self, local: Tally<'_, T>) -> Result<(T, FixedTicket), PoolError> {
        if !self.take_missing() {
            return Err(PoolError::Exhausted {
                capacity: self.c().count,
            });
        }
        struct Owe<'a>(&'a AtomicIsize);
        impl Drop for Owe<'_> {
            fn drop(&mut self) {
                self.0.fetch_add(1, AcqRel);
            }
        }
        let owe = Owe(&self.c().missing);
        let item = (self.c().factory)();
        mem::forget(owe);
        local.add(|c| &c.misses, 1);
        Ok((item, self.ticket()))
    }

    fn take_missing(&self) -> bool {
        self.c()
            .missing
            .fetch_update(AcqRel, Relaxed, |m| (m > 0).then(|| m - 1))
            .is_ok()
    }

    fn take_shared(&self) -> Option<Idle<T>> {
        self.c().take_shared()
    }

    fn pop_owed(&self) -> Idle<T> {
        self.c().pop_owed()
    }

    /// Takes an idle item from any thread's slot.
    fn steal(&self) -> Option<Idle<T>> {
        self.threads
            .with_shared(|slots, _| Iterator::find_map(&mut &mut *slots, |l| lock(&l.slot).take()))
    }

    /// Every idle item: the queue's (with their tokens) and the slots'.
    fn drain_idle(&self) -> Vec<Idle<T>> {
        let mut out = Vec::new();
        while let Some(idle) = self.take_shared() {
            out.push(idle);
        }
        self.threads.with_shared(|slots, _| {
            out.extend(slots.filter_map(|l| lock(&l.slot).take()));
        });
        out
    }

    /// Puts an idle item where the next get finds it: the oldest waiter,
    /// else the queue (freed if the pool closed meanwhile).
    fn put_shared(&self, idle: Idle<T>) {
        self.c().put_queue(idle);
        if self.c().closed.load(Acquire) {
            // Returned while `close` ran: free what is idle now.
            let local = self.local();
            for idle in self.drain_idle() {
                self.count_trim(local, &idle);
            }
        }
    }

    /// An idle item: this thread's slot if free and nobody waits, else the
    /// shared path.
    #[inline]
    fn put_idle(&self, idle: Idle<T>) {
        if let Some(slot) = self.local().slot {
            let mut slot = lock(slot);
            // Read under the slot's lock: a waiter registers (takes its
            // debt) before it scans the slots, so either it finds this item
            // or this load sees its debt.
            if slot.is_none() && self.c().avail.load(Acquire) >= 0 && !self.c().closed.load(Acquire)
            {
                *slot = Some(idle);
                return;
            }
        }
        self.put_shared(idle);
    }

    #[inline]
    fn put(&self, mut item: T, ticket: FixedTicket) {
        let local = self.local();
        {
            let on_panic = OnUnwind {
                local,
                missing: &self.c().missing,
            };
            item.reset();
            mem::forget(on_panic);
        }
        if self.c().closed.load(Acquire) {
            local.add(|c| &c.discarded_closed, 1);
            return;
        }
        let generation = self.c().generation.load(Acquire);
        if ticket.generation != generation {
            local.add(|c| &c.discarded_stale, 1);
            // Freed before it is owed: never more than `count` items.
            drop(item);
            self.c().missing.fetch_add(1, AcqRel);
            return;
        }
        local.add(|c| &c.returns, 1);
        local.add(|c| &c.bytes_in, item.heap_bytes() as u64);
        self.put_idle(Idle { item, generation });
    }

    /// Blocks until served, timed out or closed.
    fn take_blocking(&self, timeout: Option<Duration>) -> Result<(T, FixedTicket), PoolError> {
        match self.try_take() {
            Err(PoolError::Exhausted { .. }) => {}
            done => return done,
        }
        // A timeout too long to add to now (`Duration::MAX`) means no
        // deadline.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let cell = WaitCell::new(Notify::Thread(current()));
        if let Some(done) = self.register(&cell) {
            return done;
        }
        loop {
            if let Some(outcome) = cell.take_outcome() {
                return self.finish(outcome);
            }
            if let Some(d) = deadline
                && Instant::now() >= d
            {
                return match self.cancel(&cell) {
                    None => Err(PoolError::TimedOut {
                        waited: timeout.unwrap_or_default(),
                    }),
                    Some(outcome) => self.finish(outcome),
                };
            }
            park_until(deadline);
        }
    }

    /// Joins the waiters (taking a debt in `avail`), then looks once more
    /// in every slot. `Some` when already done.
    fn register(&self, cell: &CellArc<WaitCell<T>>) -> Option<Result<(T, FixedTicket), PoolError>> {
        {
            let mut q = lock(&self.c().waitq);
            if q.closed {
                return Some(Err(PoolError::Closed));
            }
            if self.c().avail.fetch_sub(1, AcqRel) > 0 {
                drop(q);
                let idle = self.pop_owed();
                return Some(self.finish(Ok(idle)));
            }
            q.waiters.push_back(CellArc::clone(cell));
        }
        // Items parked in slots before our debt was visible are found here.
        if let Some(stolen) = self.steal() {
            return Some(match self.cancel(cell) {
                None => self.finish(Ok(stolen)),
                Some(outcome) => {
                    // Served meanwhile: keep that one, the stolen goes back.
                    self.put_idle(stolen);
                    self.finish(outcome)
                }
            });
        }
        None
    }

    /// Leaves the waiters. `None` if still waiting (its debt is returned);
    /// else the outcome it was served.
    fn cancel(&self, cell: &CellArc<WaitCell<T>>) -> Option<Outcome<T>> {
        let mut q = lock(&self.c().waitq);
        if q.remove(cell) {
            self.c().avail.fetch_add(1, AcqRel);
            None
        } else {
            drop(q);
            // Served (or closed) before we got the lock: the outcome is set.
            Some(match cell.take_outcome() {
                Some(outcome) => outcome,
                None => unreachable!("a waiter leaves the queue only when served"),
            })
        }
    }

    /// Turns an outcome into a guard's parts, replacing stale items.
    fn finish(&self, outcome: Outcome<T>) -> Result<(T, FixedTicket), PoolError> {
        let local = self.local();
        let idle = outcome?;
        match self.fresh(local, idle) {
            Some(idle) => Ok(self.hand_out(local, idle)),
            None => self
                .make_missing(local)
                .or_else(|_| self.take_blocking(None)),
        }
    }

    /// One poll of an async acquire.
    fn poll_take(
        &self,
        wait: &mut Wait<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(T, FixedTicket), PoolError>> {
        if let Some(cell) = &wait.cell {
            return match cell.take_outcome_or_wake(cx.waker()) {
                Some(outcome) => {
                    wait.cell = None;
                    Poll::Ready(self.finish(outcome))
                }
                None => Poll::Pending,
            };
        }
        match self.try_take() {
            Err(PoolError::Exhausted { .. }) => {}
            done => return Poll::Ready(done),
        }
        let cell = WaitCell::new(Notify::Waker(cx.waker().clone()));
        if let Some(done) = self.register(&cell) {
            return Poll::Ready(done);
        }
        match cell.take_outcome() {
            Some(outcome) => Poll::Ready(self.finish(outcome)),
            None => {
                wait.cell = Some(cell);
                Poll::Pending
            }
        }
    }

    /// A future dropped while waiting: leave, and pass on an item it was
    /// already handed.
    fn abandon(&self, wait: &mut Wait<T>) {
        if let Some(cell) = wait.cell.take()
            && let Some(Ok(idle)) = self.cancel(&cell)
        {
            self.put_idle(idle);
        }
    }
}

impl<T: Copy + Default + Send> FixedPool<Buffer<T>> {
    /// `count` buffers of `capacity` elements each, as seed 000's
    /// `Init(count, capacity)`.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming `count` or `capacity` when 0 (or
    /// `count` over [`MAX_ITEMS`]), or naming `capacity` when `count`
    /// buffers of it would be more than `isize::MAX` bytes or the system
    /// would not allocate one.
    ///
    /// # Panics
    ///
    /// If the system runs out of memory after the first buffers (each is
    /// allocated fallibly, but the pool is built whole or not at all).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::<pool_fixed::Buffer<u8>>::buffers(10, 1024)?;
    /// let mut buf = pool.acquire()?;
    /// buf.full_mut()[..5].copy_from_slice(b"hello");
    /// buf.set_len(5)?;
    /// assert_eq!(buf.valid(), b"hello");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn buffers(count: usize, capacity: usize) -> Result<Self, PoolError> {
        let total = capacity
            .checked_mul(size_of::<T>().max(1))
            .and_then(|b| b.checked_mul(count));
        if total.is_none_or(|b| b > isize::MAX as usize) {
            return Err(PoolError::invalid_config(
                "capacity",
                capacity,
                format!("at most isize::MAX bytes over all {count} buffers"),
            ));
        }
        Buffer::<T>::new(capacity)?;
        FixedPool::new(count, move || match Buffer::new(capacity) {
            Ok(b) => b,
            Err(e) => panic!("FixedPool::buffers: {e}"),
        })
    }
}

/// Counts a discarded item, and owes a replacement, if `reset` unwinds.
struct OnUnwind<'a, T> {
    local: Tally<'a, T>,
    missing: &'a AtomicIsize,
}

impl<T> Drop for OnUnwind<'_, T> {
    fn drop(&mut self) {
        self.local.add(|c| &c.discarded_panicked, 1);
        self.missing.fetch_add(1, AcqRel);
    }
}

/// The state of an async wait: the cell while queued.
struct Wait<T> {
    cell: Option<CellArc<WaitCell<T>>>,
}

/// The future of [`FixedPool::acquire_async`].
#[must_use = "futures do nothing unless awaited"]
pub struct AcquireFuture<'a, T: Reset + Send + 'static> {
    pool: &'a FixedPool<T>,
    wait: Wait<T>,
}

impl<'a, T: Reset + Send + 'static> Future for AcquireFuture<'a, T> {
    type Output = Result<Pooled<'a, FixedPool<T>>, PoolError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let pool = this.pool;
        pool.poll_take(&mut this.wait, cx)
            .map(|r| r.map(|(item, ticket)| Pooled::new(item, ticket, pool)))
    }
}

impl<T: Reset + Send + 'static> Drop for AcquireFuture<'_, T> {
    fn drop(&mut self) {
        self.pool.abandon(&mut self.wait);
    }
}

/// The future of [`FixedPool::acquire_owned_async`].
#[must_use = "futures do nothing unless awaited"]
pub struct AcquireOwnedFuture<T: Reset + Send + 'static> {
    pool: Arc<FixedPool<T>>,
    wait: Wait<T>,
}

impl<T: Reset + Send + 'static> Future for AcquireOwnedFuture<T> {
    type Output = Result<OwnedPooled<FixedPool<T>>, PoolError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let pool = &this.pool;
        pool.poll_take(&mut this.wait, cx)
            .map(|r| r.map(|(item, ticket)| OwnedPooled::new(item, ticket, Arc::clone(pool))))
    }
}

impl<T: Reset + Send + 'static> Drop for AcquireOwnedFuture<T> {
    fn drop(&mut self) {
        self.pool.abandon(&mut self.wait);
    }
}

/// Seed 000's `BufferChan`, blocking: made by [`FixedPool::iter`].
pub struct Iter<'a, T: Reset + Send + 'static> {
    pool: &'a FixedPool<T>,
}

impl<'a, T: Reset + Send + 'static> Iterator for Iter<'a, T> {
    type Item = Pooled<'a, FixedPool<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.pool.acquire().ok()
    }
}

/// Seed 000's `BufferChan`, async: made by [`FixedPool::stream`].
pub struct ItemStream<'a, T: Reset + Send + 'static> {
    pool: &'a FixedPool<T>,
    wait: Wait<T>,
}

impl<'a, T: Reset + Send + 'static> futures_core::Stream for ItemStream<'a, T> {
    type Item = Pooled<'a, FixedPool<T>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let pool = this.pool;
        pool.poll_take(&mut this.wait, cx).map(|r| match r {
            Ok((item, ticket)) => Some(Pooled::new(item, ticket, pool)),
            Err(_) => None,
        })
    }
}

impl<T: Reset + Send + 'static> Drop for ItemStream<'_, T> {
    fn drop(&mut self) {
        self.pool.abandon(&mut self.wait);
    }
}

impl<T: Reset + Send + 'static> Pool for FixedPool<T> {
    type Item = T;
    type Ticket = FixedTicket;

    #[inline]
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        self.try_acquire()
    }

    fn try_get_owned(self: &Arc<Self>) -> Result<OwnedPooled<Self>, PoolError> {
        self.try_acquire_owned()
    }

    #[inline]
    fn recycle(&self, item: T, ticket: FixedTicket) {
        self.put(item, ticket);
    }

    /// The item left for good: a replacement is made on demand, so the
    /// pool keeps `count` items.
    fn note_detached(&self, _ticket: FixedTicket) {
        self.local().add(|c| &c.detached, 1);
        // Stale or not, the item is gone from the pool: a replacement is owed.
        if !self.c().closed.load(Acquire) {
            self.c().missing.fetch_add(1, AcqRel);
        }
    }

    fn stats(&self) -> Stats {
        FixedPool::stats(self)
    }
}

impl<T: Reset + Send + 'static> fmt::Debug for FixedPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedPool")
            .field("count", &self.c().count)
            .field("closed", &self.c().closed.load(Relaxed))
            .finish_non_exhaustive()
    }
}

macro_rules! debug_opaque {
    ($($ty:ty => $name:literal),*) => {$(
        impl<T: Reset + Send + 'static> fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($name)
            }
        }
    )*};
}

debug_opaque!(AcquireFuture<'_, T> => "AcquireFuture", AcquireOwnedFuture<T> => "AcquireOwnedFuture", Iter<'_, T> => "Iter", ItemStream<'_, T> => "ItemStream");

/// loom models of the waiting and waking path: `RUSTFLAGS="--cfg
/// pool_loom" cargo test -p pool-fixed --release --lib loom_`.
#[cfg(all(test, pool_loom))]
mod loom_tests {
    use super::*;
    use loom::thread;

    fn pool(n: usize) -> Arc<FixedPool<Vec<u8>>> {
        Arc::new(FixedPool::new(n, Vec::new).unwrap())
    }

    /// A blocked acquire is always woken by a return: no lost wake-up.
    #[test]
    fn loom_return_wakes_a_blocked_acquire() {
        loom::model(|| {
            let pool = pool(1);
            let held = pool.try_acquire_owned().unwrap();
            let p = Arc::clone(&pool);
            let waiter = thread::spawn(move || p.acquire().map(|g| g.len()));
            drop(held);
            assert_eq!(waiter.join().unwrap(), Ok(0));
            assert_eq!(pool.stats().outstanding, 0);
        });
    }

    /// A waiter that gives up (as on a timeout) while the item comes back:
    /// either it got the item or the item is idle in the pool; never lost,
    /// never counted twice.
    #[test]
    fn loom_timeout_racing_a_return_loses_nothing() {
        loom::model(|| {
            let pool = pool(1);
            let held = pool.try_acquire_owned().unwrap();
            let p = Arc::clone(&pool);
            let waiter = thread::spawn(move || {
                let cell = WaitCell::new(Notify::Thread(current()));
                let got = match p.register(&cell) {
                    Some(done) => done.is_ok(),
                    // Give up at once, as a timeout firing now would.
                    None => matches!(p.cancel(&cell), Some(Ok(_))),
                };
                if got {
                    // The waiter holds the item: give it back idle.
                    p.put_idle(Idle {
                        item: Vec::new(),
                        generation: 0,
                    });
                }
            });
            drop(held);
            waiter.join().unwrap();
            // Exactly one item is idle again.
            let g = pool.try_acquire().expect("the item was not lost");
            assert!(pool.try_acquire().is_err(), "the item was not duplicated");
            drop(g);
        });
    }

    /// Closing wakes a blocked acquire with `Closed`.
    #[test]
    fn loom_close_wakes_a_blocked_acquire() {
        loom::model(|| {
            let pool = pool(1);
            let held = pool.try_acquire_owned().unwrap();
            let p = Arc::clone(&pool);
            let waiter = thread::spawn(move || p.acquire().map(|_| ()));
            pool.close();
            assert_eq!(waiter.join().unwrap(), Err(PoolError::Closed));
            drop(held);
            assert_eq!(pool.stats().discarded.closed, 1);
        });
    }

    /// Two threads returning and taking concurrently on a pool of one:
    /// never two holders, and the item ends idle.
    #[test]
    fn loom_two_threads_share_one_item() {
        loom::model(|| {
            let pool = pool(1);
            let handles: Vec<_> = (0..2u8)
                .map(|me| {
                    let p = Arc::clone(&pool);
                    thread::spawn(move || {
                        if let Ok(mut g) = p.try_acquire() {
                            assert!(g.is_empty());
                            g.push(me);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            assert!(pool.try_acquire().is_ok());
        });
    }
}
