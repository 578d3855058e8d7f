//! `FixedPool`: exactly `capacity` items, a per-thread slot in front of a
//! shared queue; taking and returning without waiting.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, SeqCst};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use pool_core::strategy::Counters;
use pool_core::strategy::words::{in_blocks, move_words};
use pool_core::{OwnedPooled, Pool, PoolError, Pooled, Reset, Stats};
use pool_engine::PerThread;

use crate::slot::Fencing;
use crate::state::{Factory, FixedState, Reserve, owe_on_unwind};
use crate::status::Status;
use crate::sync::{AtomicBool, AtomicIsize, AtomicU64, Mutex, lock};
use crate::wait_queue::{Idle, WaitQueue, WaitTotals};

/// Largest pool accepted.
pub const MAX_ITEMS: usize = 1 << 24;

/// What a [`FixedPool`] guard carries besides its item: the pool
/// generation it was handed out in, so that an item from before a
/// [`renew`](FixedPool::renew) is freed when it comes back.
#[derive(Debug)]
pub struct FixedTicket {
    pub(crate) generation: u64,
}

impl FixedTicket {
    pub(crate) fn new(generation: u64) -> Self {
        FixedTicket { generation }
    }
}

/// A bounded pool of exactly `capacity` items, made up front or on demand.
///
/// - [`try_get`](Self::try_get) never blocks;
///   [`get_blocking`](Self::get_blocking) blocks until an item comes back or the pool
///   closes; [`get_timeout`](Self::get_timeout) gives up after a
///   while; [`get_async`](Self::get_async) waits without blocking a
///   thread, on any executor.
/// - Waiters are served in the order they started waiting (FIFO): a
///   returned item goes straight to the oldest waiter, and so does an item
///   owed because one left circulation. A get that arrives while waiters
///   are queued does not take an item on its way to them.
/// - Each thread keeps one idle item in a slot of its own (from
///   `pool_engine::PerThread`, the layer the per-thread strategies share),
///   so a thread that takes and returns one item at a time touches no
///   shared cache line; other threads steal from those slots before they
///   report exhaustion or wait, so no idle item is ever hidden from them
///   (while waiters are queued, an item parked in a slot is on its way to
///   the oldest of them, and only they look there).
///   When a thread exits, the item in its slot stays there for other
///   threads to steal (and for the next thread that takes the slot over);
///   a guard dropped during a thread's teardown goes to the shared queue or
///   the oldest waiter.
///
/// # The bound
///
/// A pool of capacity `n` has, at every moment, exactly `n` items that
/// exist or are owed. An item leaves circulation when its guard is
/// detached, when it comes back after [`renew`](Self::renew) (stale), or
/// when its `Reset::reset` or `Reset::heap_bytes` panics (it is dropped);
/// each time, a replacement is owed, and goes to the oldest waiter if one
/// is queued (that waiter runs the factory) or to the next acquire.
/// Items are made only up front and for what is owed, so never more than
/// `capacity` exist.
// `repr(transparent)`: an owned guard's counted reference reaches the
// `PerThread`, and sees it as the pool (`FixedPool::around`).
#[repr(transparent)]
pub struct FixedPool<T: Reset + Send + 'static> {
    pub(crate) threads: PerThread<FixedState<T>>,
}

impl<T: Reset + Send + 'static> FixedPool<T> {
    pub(crate) fn from_parts(
        count: usize,
        lazy: bool,
        factory: Factory<T>,
        #[cfg(feature = "leak-sites")] leaks: Option<std::sync::Arc<pool_core::leaks::LeakTracker>>,
    ) -> Self {
        // An eager pool's items, made before the pool is shared: counted
        // as idle at once (one token each), kept in the reserve.
        let mut bytes = 0u64;
        let made: Vec<Idle<T>> = if lazy {
            Vec::new()
        } else {
            (0..count)
                .map(|_| {
                    let item = factory();
                    bytes = bytes.saturating_add(item.heap_bytes() as u64);
                    Idle {
                        item,
                        generation: 0,
                    }
                })
                .collect()
        };
        let prefilled = made.len() as u64;
        let pool = FixedPool {
            threads: PerThread::new(FixedState {
                queue: ArrayQueue::new(count),
                avail: CachePadded::new(AtomicIsize::new(made.len() as isize)),
                reserve: Reserve::new(made),
                waitq: Mutex::new(WaitQueue::new()),
                closed: AtomicBool::new(false),
                fencing: Fencing::new(),
                generation: CachePadded::new(AtomicU64::new(0)),
                missing: CachePadded::new(AtomicIsize::new(0)),
                orphan: Counters::default(),
                waits: WaitTotals::default(),
                factory,
                count,
                #[cfg(feature = "leak-sites")]
                leaks,
            }),
        };
        if lazy {
            pool.state().missing.store(count as isize, Relaxed);
        } else {
            let local = pool.local();
            local.add(|c| &c.prefilled, prefilled);
            local.add(|c| &c.bytes_in, bytes);
        }
        pool
    }

    /// The number of items the pool holds in all.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(5, String::new)?;
    /// let _held = pool.try_get()?;
    /// assert_eq!(pool.capacity(), 5, "whatever is out");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.state().count
    }

    /// Items that can be handed out now without waiting: idle ones, and
    /// replacements owed for items that left. 0 once closed. As
    /// [`status`](Self::status), which gives every figure at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(2, String::new)?;
    /// let held = pool.try_get()?;
    /// assert_eq!(pool.available(), 1);
    /// let _gone = pool_core::Pooled::detach(held); // owed back: still available
    /// assert_eq!(pool.available(), 2);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn available(&self) -> usize {
        self.status().available
    }

    /// Items handed out and not back yet. As [`status`](Self::status).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(2, String::new)?;
    /// let a = pool.try_get()?;
    /// assert_eq!(pool.in_use(), 1);
    /// drop(a);
    /// assert_eq!(pool.in_use(), 0);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn in_use(&self) -> usize {
        self.status().in_use
    }

    /// Acquires waiting for an item right now (blocking and async).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, Vec::<u8>::new)?;
    /// let held = pool.get_blocking()?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| pool.get_blocking().is_ok());
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
        lock(&self.state().waitq).waiters.len()
    }

    /// One snapshot of what the pool is doing: capacity, available, in use
    /// and waiting (as deadpool's `Status` and bb8's `State`), for a health
    /// endpoint or a metrics scrape.
    ///
    /// `available + in_use == capacity` always, and `available` never
    /// exceeds the capacity. The figures are exact when no other thread is
    /// taking or returning items; while they are, an item on its way is
    /// counted in use. After [`close`](Self::close), `available` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::{FixedPool, Status};
    ///
    /// let pool = FixedPool::new(3, Vec::<u8>::new)?;
    /// let held = pool.get_blocking()?;
    /// let s: Status = pool.status();
    /// assert_eq!((s.capacity, s.available, s.in_use, s.waiting), (3, 2, 1, 0));
    /// assert_eq!(s.to_string(), "3 items: 2 available, 1 in use, 0 waiting");
    /// # drop(held);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn status(&self) -> Status {
        let c = self.state();
        let count = c.count;
        let waiting = self.waiting();
        let closed = c.closed.load(Acquire);
        let idle = c.queue.len()
            + c.reserve.len()
            + self
                .threads
                .with_shared(|slots, _| slots.filter(|l| l.slot.is_full()).count());
        let owed = c.missing.load(Acquire).max(0) as usize;
        let available = if closed {
            0
        } else {
            idle.saturating_add(owed).min(count)
        };
        let in_use = if closed {
            (self.stats().outstanding as usize).min(count)
        } else {
            count - available
        };
        Status {
            capacity: count,
            available,
            in_use,
            waiting,
            closed,
        }
    }

    /// Where the guards out now were taken, grouped by call site (empty
    /// unless the pool was built with
    /// [`leak_tracker`](crate::FixedPoolBuilder::leak_tracker)).
    #[cfg(feature = "leak-sites")]
    pub fn outstanding_sites(&self) -> pool_core::leaks::Outstanding {
        pool_core::strategy::outstanding_sites(self.state().leaks.as_deref())
    }

    /// Publishes the statistics and the status to the `metrics` facade
    /// (`metrics` feature): the metrics of `pool_core::metrics` under
    /// `pool = name`, and the gauges `pool_capacity`, `pool_available`,
    /// `pool_in_use` and `pool_waiting` (deadpool's and bb8's status). Call
    /// it when scraped; get and put carry no metrics code.
    ///
    /// # Examples
    ///
    /// ```
    /// use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(4, String::new)?;
    /// let _held = pool.get_blocking()?;
    /// let recorder = DebuggingRecorder::new();
    /// let snapshots = recorder.snapshotter();
    /// metrics::with_local_recorder(&recorder, || pool.publish_metrics("conns"));
    /// let in_use = snapshots.snapshot().into_vec().into_iter()
    ///     .find(|(k, ..)| k.key().name() == "pool_in_use")
    ///     .map(|(.., v)| v);
    /// assert_eq!(in_use, Some(DebugValue::Gauge(1.0.into())));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg(feature = "metrics")]
    pub fn publish_metrics(&self, name: &str) {
        pool_core::metrics::publish(name, &[], &self.stats());
        let st = self.status();
        let label = || vec![metrics::Label::new("pool", name.to_owned())];
        metrics::gauge!("pool_capacity", label()).set(st.capacity as f64);
        metrics::gauge!("pool_available", label()).set(st.available as f64);
        metrics::gauge!("pool_in_use", label()).set(st.in_use as f64);
        metrics::gauge!("pool_waiting", label()).set(st.waiting as f64);
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, String::new)?;
    /// assert!(!pool.is_closed());
    /// pool.close();
    /// assert!(pool.is_closed());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.state().closed.load(Acquire)
    }

    /// A snapshot of the counters of every thread, and of the waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, String::new)?;
    /// let held = pool.get_blocking()?;
    /// assert!(pool.get_timeout(Duration::from_millis(1)).is_err());
    /// drop(held);
    /// let s = pool.stats();
    /// assert_eq!((s.gets, s.hits, s.prefilled, s.waits.timed_out), (1, 1, 1, 1));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn stats(&self) -> Stats {
        let mut stats = self.threads.with_shared(|slots, core| {
            Stats::from_counters(slots.map(|l| &l.counters).chain([&core.orphan]))
        });
        stats.waits = self.state().waits.snapshot();
        stats
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
    /// If the factory panics while making an item owed (the item stays
    /// owed), or the item's `heap_bytes` panics (it is dropped and owed).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, String::new)?;
    /// let s = pool.try_get()?;
    /// assert_eq!(pool.try_get().unwrap_err(), PoolError::Exhausted { capacity: 1 });
    /// drop(s);
    /// assert!(pool.try_get().is_ok());
    /// # Ok::<(), PoolError>(())
    /// ```
    #[doc(alias = "acquire")]
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        // Read in words, and written in 16-byte blocks for the caller's
        // move out of the `Result`: see `pool_core::strategy::words`.
        match move_words(self.take_own(self.local())) {
            Some((item, ticket)) => Ok(in_blocks(Pooled::new(item, ticket, self))),
            None => self.try_get_slow(),
        }
    }

    /// [`try_get`](Self::try_get) when this thread's slot had nothing.
    #[cold]
    #[inline(never)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get_slow(&self) -> Result<Pooled<'_, Self>, PoolError> {
        let (item, ticket) = self.try_take_slow(self.local())?;
        Ok(Pooled::new(item, ticket, self))
    }

    /// Like [`try_get`](Self::try_get), with a `Send + 'static`
    /// guard.
    ///
    /// # Errors
    ///
    /// As [`try_get`](Self::try_get).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new)?);
    /// let mut buf = pool.try_get_owned()?;
    /// let worker = std::thread::spawn(move || buf.push(1));
    /// worker.join().unwrap();
    /// assert_eq!(pool.in_use(), 0);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn try_get_owned(&self) -> Result<OwnedPooled<Self>, PoolError> {
        // As `try_get`: the own slot inline, the rest out of line, the
        // guard written in blocks.
        match self.take_own_anchored() {
            Some((item, ticket, anchor)) => Ok(in_blocks(OwnedPooled::new(item, ticket, anchor))),
            None => self.try_get_owned_slow(),
        }
    }

    /// [`try_get_owned`](Self::try_get_owned) when this thread's slot had
    /// nothing.
    #[cold]
    #[inline(never)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get_owned_slow(&self) -> Result<OwnedPooled<Self>, PoolError> {
        let (item, ticket) = self.try_take_slow(self.local())?;
        Ok(OwnedPooled::new(item, ticket, self.anchored()))
    }

    /// Closes the pool (`Release` of a Go channel-based pool). Idempotent. Waiters
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
    /// let out = pool.get_blocking()?;
    /// pool.close();
    /// pool.close();
    /// assert_eq!(pool.try_get().unwrap_err(), PoolError::Closed);
    /// drop(out); // freed, not pooled
    /// assert_eq!(pool.stats().discarded.closed, 1);
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn close(&self) {
        // SeqCst, against a put's park then look at `closed`: the put sees
        // the flag or the drain below finds its item (the drain switches
        // the pool to full fencing first, so a put that parks lightly has
        // its item found too: `crate::slot`).
        if self.state().closed.swap(true, SeqCst) {
            return;
        }
        let wakes: Vec<_> = {
            let mut q = lock(&self.state().waitq);
            q.closed = true;
            // Served under the wait lock (see `hand_to_waiter`); each
            // waiter's debt in `avail` is cancelled with it.
            std::mem::take(&mut q.waiters)
                .into_iter()
                .map(|cell| {
                    self.state().avail.fetch_add(1, SeqCst);
                    cell.serve(Err(PoolError::Closed))
                })
                .collect()
        };
        wakes.into_iter().for_each(|w| w.wake());
        self.trim_idle();
    }

    /// Replaces every idle item with a fresh one from the factory (`Reset`
    /// of a Go channel-based pool). Items out now are freed when they come back, and
    /// replaced then; none is mixed back in.
    ///
    /// # Panics
    ///
    /// If the factory panics (the items not yet replaced stay owed, and are
    /// made on demand).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(2, || vec![0u8; 4])?;
    /// let old = pool.get_blocking()?;
    /// pool.renew();
    /// drop(old); // from before the renewal: freed
    /// let s = pool.stats();
    /// assert_eq!((s.discarded.stale, s.trimmed), (1, 1));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[doc(alias = "reset")]
    pub fn renew(&self) {
        if self.state().closed.load(Acquire) {
            return;
        }
        let generation = self.state().generation.fetch_add(1, AcqRel) + 1;
        let n = self.trim_idle();
        // Owed first (waiters queued now take theirs), so that a panicking
        // factory leaves the rest to be made on demand.
        self.state().owe(n);
        let local = self.local();
        for _ in 0..n {
            if !self.state().take_missing() {
                break;
            }
            let owe = owe_on_unwind(self.state(), None);
            let item = (self.state().factory)();
            owe.disarm();
            local.add(|c| &c.prefilled, 1);
            local.add(|c| &c.bytes_in, item.heap_bytes() as u64);
            // Behind the items that come back, as the items made up front
            // are (`Reserve`).
            self.state().put_reserve(Idle { item, generation });
            if self.state().closed.load(Acquire) {
                // Closed meanwhile: free what is idle now.
                self.trim_idle();
                break;
            }
        }
    }
}

impl<T: Reset + Send + 'static> Pool for FixedPool<T> {
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        FixedPool::try_get(self)
    }

    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get_owned(self: &Arc<Self>) -> Result<OwnedPooled<Self>, PoolError> {
        FixedPool::try_get_owned(self)
    }

    /// Waits at most `timeout` for an item, as
    /// [`get_timeout`](FixedPool::get_timeout).
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn get_timeout(&self, timeout: std::time::Duration) -> Result<Pooled<'_, Self>, PoolError> {
        FixedPool::get_timeout(self, timeout)
    }

    fn stats(&self) -> Stats {
        FixedPool::stats(self)
    }
}

impl<T: Reset + Send + 'static> fmt::Debug for FixedPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedPool")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}
