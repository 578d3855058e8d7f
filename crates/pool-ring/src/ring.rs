//! `RingPool`: the slots, the per-thread probe start, and the guard paths.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use crossbeam_utils::CachePadded;
use pool_core::engine::Counter;
use pool_core::engine::unwind::OnUnwind;
use pool_core::engine::words::move_words;
use pool_core::stats::Totals;
use pool_core::{OwnedPooled, Pool, PoolError, Pooled, Reset, Stats};

use crate::cursor;
use crate::slot::{Claim, MAX_SLOTS, RingTicket, Slot, Ticket};

/// Hands out a distinct id to every pool, so a ticket names its pool.
static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

/// What a get does when every probed slot is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFull {
    /// Make a fresh item with the factory (counted as a miss); it is kept
    /// on return only if a slot lost its item to `detach`, else dropped.
    #[default]
    Allocate,
    /// Fail with [`PoolError::Exhausted`].
    Fail,
}

/// Configures a [`RingPool`]; made by [`RingPool::builder`].
///
/// # Examples
///
/// ```
/// use pool_ring::{OnFull, RingPool};
///
/// let pool = RingPool::builder()
///     .slots(6) // rounded up to 8
///     .probes(4)
///     .on_full(OnFull::Fail)
///     .build(|| Vec::<u8>::with_capacity(1500))?;
/// assert_eq!(pool.capacity(), 8);
/// # Ok::<(), pool_core::PoolError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct RingPoolBuilder {
    slots: usize,
    probes: Option<usize>,
    on_full: OnFull,
}

impl RingPoolBuilder {
    /// Slots in the ring, `1..=1048576`, rounded up to a power of two.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::builder().slots(5).build(|| vec![0u8; 64])?;
    /// assert_eq!(pool.capacity(), 8, "rounded up to a power of two");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn slots(mut self, n: usize) -> Self {
        self.slots = n;
        self
    }

    /// Slots a get tries, from the calling thread's cursor on, before it
    /// gives up (default: `min(slots, 8)`); `1..=slots`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_ring::{OnFull, RingPool};
    ///
    /// let pool = RingPool::builder().slots(4).probes(4).on_full(OnFull::Fail).build(String::new)?;
    /// let all: Vec<_> = (0..4).map(|_| pool.try_get()).collect::<Result<_, _>>()?;
    /// assert_eq!(pool.try_get().unwrap_err(), PoolError::Exhausted { capacity: 4 });
    /// drop(all);
    /// assert!(RingPool::builder().slots(4).probes(5).build(String::new).is_err());
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn probes(mut self, n: usize) -> Self {
        self.probes = Some(n);
        self
    }

    /// What a get does when every probed slot is busy (default
    /// [`OnFull::Allocate`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::{OnFull, RingPool};
    ///
    /// let pool = RingPool::builder().slots(1).on_full(OnFull::Allocate).build(|| vec![0u8; 16])?;
    /// let a = pool.get();
    /// let b = pool.get(); // the ring is full: a fresh buffer, counted as a miss
    /// assert_eq!(pool.stats().misses, 1);
    /// drop((a, b));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn on_full(mut self, on_full: OnFull) -> Self {
        self.on_full = on_full;
        self
    }

    /// Builds the ring and fills every slot with `factory`.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming `slots` or `probes` when out of
    /// range.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::builder().slots(16).build(|| String::with_capacity(32))?;
    /// assert_eq!(pool.stats().prefilled, 16);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn build<T, F>(self, factory: F) -> Result<RingPool<T>, PoolError>
    where
        T: Reset + Send,
        F: Fn() -> T + Send + Sync + 'static,
    {
        self.build_inner(factory, None)
    }

    /// As [`build`](Self::build), with a leak tracker: every guard records
    /// where it was taken (`leak-sites` feature; see
    /// [`RingPool::outstanding`]).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::leaks::LeakTracker;
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::builder().slots(2).build_tracked(String::new, LeakTracker::new())?;
    /// let held = pool.get();
    /// assert_eq!(pool.outstanding().sites[0].location.line(), line!() - 1);
    /// drop(held);
    /// assert_eq!(pool.outstanding().items(), 0);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg(feature = "leak-sites")]
    pub fn build_tracked<T, F>(
        self,
        factory: F,
        tracker: pool_core::leaks::LeakTracker,
    ) -> Result<RingPool<T>, PoolError>
    where
        T: Reset + Send,
        F: Fn() -> T + Send + Sync + 'static,
    {
        self.build_inner(factory, Some(tracker))
    }

    fn build_inner<T, F>(
        self,
        factory: F,
        _tracker: Option<pool_core::leaks::LeakTracker>,
    ) -> Result<RingPool<T>, PoolError>
    where
        T: Reset + Send,
        F: Fn() -> T + Send + Sync + 'static,
    {
        if !(1..=MAX_SLOTS).contains(&self.slots) {
            return Err(PoolError::invalid_config(
                "slots",
                self.slots,
                format!("1..={MAX_SLOTS} (rounded up to a power of two)"),
            ));
        }
        let size = self.slots.next_power_of_two();
        let probes = self.probes.unwrap_or(size.min(8));
        if !(1..=size).contains(&probes) {
            return Err(PoolError::invalid_config(
                "probes",
                probes,
                format!("1..={size} (the ring's size after rounding)"),
            ));
        }
        let slots: Box<[CachePadded<Slot<T>>]> = (0..size)
            .map(|_| CachePadded::new(Slot::new(None)))
            .collect();
        // Pre-fill: each slot gets its item, counted as prefilled.
        for slot in slots.iter() {
            let mut claim = slot.try_claim().expect("a new slot is free");
            let item = factory();
            claim.counters().bytes_in.add(item.heap_bytes() as u64);
            claim.put(item);
            claim.release();
        }
        Ok(RingPool {
            slots,
            mask: size - 1,
            probes,
            on_full: self.on_full,
            factory: Box::new(factory),
            // The low 32 bits: tickets carry them (a check, not a key).
            id: NEXT_POOL_ID.fetch_add(1, Relaxed) as u32,
            fallback: FallbackCounters::default(),
            #[cfg(feature = "leak-sites")]
            leaks: _tracker,
        })
    }
}

/// Counts for items that live outside the ring: written by any thread (a
/// read-modify-write), but only when the ring is full.
#[derive(Debug, Default)]
struct FallbackCounters {
    misses: Counter,
    kept: Counter,
    bytes_kept: Counter,
    discarded_full: Counter,
    detached: Counter,
    panicked: Counter,
}

/// A ring of `2^k` pre-filled slots, each claimed with a compare-exchange
/// and freed by its guard. A get starts at the calling thread's cursor (the
/// slot it last claimed, or its arrival number: see below) and probes the
/// next few slots if that one is busy. No per-thread state in the pool, no
/// lock, no index that every get writes; a slot never has two holders.
///
/// # Threads on one ring
///
/// Each thread remembers, in one thread-local word shared by every ring,
/// the slot it last claimed, and starts its next get there. A thread that
/// takes and returns one item at a time reuses the same slot, on a cache
/// line no other thread writes; threads start on distinct slots (the first
/// thread to use a ring starts at slot 0, the next at 1, and so on, masked
/// by the ring's size), and one that finds its slot busy moves to the next
/// free one and stays. So up to `capacity()` threads that each hold one
/// item share nothing but the ring's memory.
///
/// See the [crate docs](crate) for when to pick it.
pub struct RingPool<T> {
    /// Each on its own cache line.
    slots: Box<[CachePadded<Slot<T>>]>,
    /// `slots.len() - 1`; `slots.len()` is a power of two.
    mask: usize,
    /// Slots tried per get, `1..=slots.len()`.
    probes: usize,
    on_full: OnFull,
    factory: Box<dyn Fn() -> T + Send + Sync>,
    /// Distinct per pool (the low 32 bits of a process-wide count);
    /// tickets carry it.
    id: u32,
    fallback: FallbackCounters,
    /// Where outstanding guards were taken, if tracked.
    #[cfg(feature = "leak-sites")]
    leaks: Option<pool_core::leaks::LeakTracker>,
}

impl RingPool<()> {
    /// A builder (8 slots, `min(slots, 8)` probes, [`OnFull::Allocate`]).
    /// It names no item type: `build` infers it from the factory.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::{OnFull, RingPool};
    ///
    /// let pool = RingPool::builder().slots(64).on_full(OnFull::Fail).build(Vec::<u8>::new)?;
    /// assert_eq!(pool.capacity(), 64);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn builder() -> RingPoolBuilder {
        RingPoolBuilder {
            slots: 8,
            probes: None,
            on_full: OnFull::Allocate,
        }
    }
}

impl<T: Reset + Send> RingPool<T> {
    /// A ring of `slots` (rounded up to a power of two) pre-filled by
    /// `factory`, allocating when full.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] if `slots` is 0 or over
    /// [`MAX_SLOTS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::new(3, || vec![0u8; 2048])?;
    /// assert_eq!(pool.capacity(), 4);
    /// assert_eq!(pool.stats().retained_items, 4);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn new<F>(slots: usize, factory: F) -> Result<Self, PoolError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        RingPool::builder().slots(slots).build(factory)
    }

    /// The number of slots.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::new(100, Vec::<u8>::new)?;
    /// assert_eq!(pool.capacity(), 128);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Takes the item of the next free slot. When every probed slot is busy
    /// it makes a fresh item, whatever [`OnFull`] says.
    ///
    /// # Panics
    ///
    /// If the factory panics (the slot is freed first).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::new(2, || Vec::<u8>::with_capacity(64))?;
    /// let (a, b, c) = (pool.get(), pool.get(), pool.get()); // the third is made
    /// assert_eq!(pool.stats().misses, 1);
    /// # drop((a, b, c));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get(&self) -> Pooled<'_, Self> {
        // Read in words: see `pool_core::engine::words`.
        let (item, ticket) =
            move_words(self.take(OnFull::Allocate)).unwrap_or_else(|_| unreachable!());
        Pooled::new(item, ticket, self)
    }

    /// Takes the item of the next free slot; when every probed slot is busy,
    /// does what [`OnFull`] says.
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] when the probed slots are busy and the pool
    /// was built with [`OnFull::Fail`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_ring::{OnFull, RingPool};
    ///
    /// let pool = RingPool::builder().slots(1).on_full(OnFull::Fail).build(|| [0u8; 64].to_vec())?;
    /// let held = pool.try_get()?;
    /// assert_eq!(pool.try_get().unwrap_err(), PoolError::Exhausted { capacity: 1 });
    /// drop(held);
    /// assert!(pool.try_get().is_ok());
    /// # Ok::<(), PoolError>(())
    /// ```
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        let (item, ticket) = move_words(self.take(self.on_full))?;
        Ok(Pooled::new(item, ticket, self))
    }

    /// Like [`try_get`](Self::try_get), with a `Send + 'static` guard.
    ///
    /// # Errors
    ///
    /// As [`try_get`](Self::try_get).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pool_ring::RingPool;
    ///
    /// let pool = Arc::new(RingPool::new(2, Vec::<u8>::new)?);
    /// let mut buf = pool.try_get_owned()?;
    /// std::thread::spawn(move || buf.push(1)).join().unwrap();
    /// assert_eq!(pool.stats().returns, 1);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn try_get_owned(self: &Arc<Self>) -> Result<OwnedPooled<Self>, PoolError> {
        let (item, ticket) = self.take(self.on_full)?;
        Ok(OwnedPooled::new(item, ticket, Arc::clone(self)))
    }

    /// A snapshot of the counters of every slot.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::new(4, || Vec::<u8>::with_capacity(100))?;
    /// for _ in 0..10 {
    ///     drop(pool.get());
    /// }
    /// let s = pool.stats();
    /// assert_eq!((s.gets, s.hits, s.misses, s.outstanding), (10, 10, 0, 0));
    /// assert_eq!((s.retained_items, s.retained_bytes), (4, 400));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn stats(&self) -> Stats {
        let mut t = Totals::default();
        // Entering counts first, leaving ones after (see `Counters`).
        for slot in self.slots.iter() {
            let c = &slot.counters;
            t.returns += c.returns.get();
            t.bytes_in += c.bytes_in.get();
        }
        for slot in self.slots.iter() {
            let c = &slot.counters;
            t.hits += c.hits.get();
            t.misses += c.misses.get();
            t.detached += c.detached.get();
            t.discards.panicked += c.panicked.get();
            t.bytes_out += c.bytes_out.get();
        }
        let f = &self.fallback;
        t.returns += f.kept.get();
        t.bytes_in += f.bytes_kept.get();
        t.misses += f.misses.get();
        t.detached += f.detached.get();
        t.discards.full += f.discarded_full.get();
        t.discards.panicked += f.panicked.get();
        t.prefilled = self.slots.len() as u64;
        Stats::from_totals(t)
    }

    /// Where the guards out now were taken, grouped by call site (empty
    /// unless the ring was built with
    /// [`build_tracked`](RingPoolBuilder::build_tracked)).
    #[cfg(feature = "leak-sites")]
    pub fn outstanding(&self) -> pool_core::leaks::Outstanding {
        pool_core::leaks::outstanding(self.leaks.as_ref())
    }

    /// The calling thread's cursor, then up to `probes - 1` slots after
    /// it; the cursor moves to the slot claimed. The first try is inline,
    /// the probing after it is not, so the hot path stays small enough to
    /// inline into the caller.
    #[inline]
    fn claim(&self) -> Option<(usize, Claim<'_, T>)> {
        let start = cursor::start();
        let i = start & self.mask;
        match self.slots[i].try_claim() {
            Some(claim) => Some((i, claim)),
            None => self.claim_probing(start),
        }
    }

    /// The slots after the cursor's, once the cursor's was busy.
    #[cold]
    fn claim_probing(&self, start: usize) -> Option<(usize, Claim<'_, T>)> {
        for k in 1..self.probes {
            let i = start.wrapping_add(k) & self.mask;
            if let Some(claim) = self.slots[i].try_claim() {
                cursor::remember(i);
                return Some((i, claim));
            }
        }
        None
    }

    #[inline]
    fn take(&self, on_full: OnFull) -> Result<(T, RingTicket), PoolError> {
        let Some((index, mut claim)) = self.claim() else {
            return self.take_when_full(on_full);
        };
        match claim.take() {
            Some(item) => {
                let counters = claim.counters();
                counters.hits.incr();
                counters.bytes_out.add(item.heap_bytes() as u64);
                Ok((item, claim.park(self.id, index)))
            }
            None => Ok(self.refill(index, claim)),
        }
    }

    /// The claimed slot's item was detached: makes another, freeing the
    /// slot if the factory panics.
    #[cold]
    fn refill<'a>(&'a self, index: usize, claim: Claim<'a, T>) -> (T, RingTicket) {
        let counters = claim.counters();
        let claim_guard = release_on_unwind(claim, false);
        let item = (self.factory)();
        let claim = claim_guard.disarm();
        counters.misses.incr();
        (item, claim.park(self.id, index))
    }

    /// Every probed slot was busy: what [`OnFull`] says.
    #[cold]
    fn take_when_full(&self, on_full: OnFull) -> Result<(T, RingTicket), PoolError> {
        match on_full {
            OnFull::Fail => Err(PoolError::Exhausted {
                capacity: self.slots.len(),
            }),
            OnFull::Allocate => {
                let item = (self.factory)();
                self.fallback.misses.add_shared(1);
                Ok((item, RingTicket::fallback()))
            }
        }
    }

    #[inline]
    fn put(&self, mut item: T, ticket: RingTicket) {
        match ticket.open() {
            Ticket::Slot(t) => {
                let claim = self.slots[t.index()].resume(t, self.id);
                // If `reset` unwinds, the item is dropped (never pooled
                // half-reset), the slot is freed empty, and it is counted.
                let guard = release_on_unwind(claim, true);
                item.reset();
                let mut claim = guard.disarm();
                let counters = claim.counters();
                counters.returns.incr();
                counters.bytes_in.add(item.heap_bytes() as u64);
                let previous = claim.put(item);
                debug_assert!(previous.is_none(), "a busy slot's item is with its holder");
                claim.release();
                drop(previous);
            }
            Ticket::Fallback => self.put_fallback(item),
        }
    }

    /// An item made because the ring was full: kept only in a slot that
    /// lost its item to `detach`.
    #[cold]
    fn put_fallback(&self, mut item: T) {
        let on_panic = OnUnwind::new((), |()| self.fallback.panicked.add_shared(1));
        item.reset();
        on_panic.disarm();
        let start = cursor::start();
        for k in 0..self.probes {
            let i = start.wrapping_add(k) & self.mask;
            if let Some(mut claim) = self.slots[i].try_claim() {
                match claim.take() {
                    None => {
                        self.fallback.kept.add_shared(1);
                        self.fallback
                            .bytes_kept
                            .add_shared(item.heap_bytes() as u64);
                        claim.put(item);
                        claim.release();
                        return;
                    }
                    Some(own) => {
                        claim.put(own);
                        claim.release();
                    }
                }
            }
        }
        self.fallback.discarded_full.add_shared(1);
    }
}

/// Frees a claimed slot, empty, if the code it guards unwinds (counting a
/// discarded item when `count_panic`); `disarm` hands the claim back
/// otherwise.
fn release_on_unwind<'a, T>(
    claim: Claim<'a, T>,
    count_panic: bool,
) -> OnUnwind<Claim<'a, T>, impl FnOnce(Claim<'a, T>)> {
    OnUnwind::new(claim, move |mut claim: Claim<'a, T>| {
        if count_panic {
            claim.counters().panicked.incr();
        }
        drop(claim.take());
        claim.release();
    })
}

impl<T: Reset + Send> Pool for RingPool<T> {
    type Item = T;
    type Ticket = RingTicket;

    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        RingPool::try_get(self)
    }

    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get_owned(self: &Arc<Self>) -> Result<OwnedPooled<Self>, PoolError> {
        RingPool::try_get_owned(self)
    }

    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.leaks.as_ref()
    }

    #[inline]
    fn recycle(&self, item: T, ticket: RingTicket) {
        self.put(item, ticket);
    }

    fn note_detached(&self, ticket: RingTicket) {
        match ticket.open() {
            Ticket::Slot(t) => {
                let claim = self.slots[t.index()].resume(t, self.id);
                // The slot stays empty; its next claimer makes a new item.
                claim.counters().detached.incr();
                claim.release();
            }
            Ticket::Fallback => self.fallback.detached.add_shared(1),
        }
    }

    fn stats(&self) -> Stats {
        RingPool::stats(self)
    }
}

impl<T> fmt::Debug for RingPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingPool")
            .field("slots", &self.slots.len())
            .field("probes", &self.probes)
            .field("on_full", &self.on_full)
            .finish_non_exhaustive()
    }
}

/// loom models: `RUSTFLAGS="--cfg pool_loom" cargo test -p pool-ring
/// --release --lib loom_` (set `LOOM_MAX_PREEMPTIONS=3` to bound the
/// three-thread model).
#[cfg(all(test, pool_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    fn ring(slots: usize, on_full: OnFull) -> RingPool<Vec<u64>> {
        RingPool::builder()
            .slots(slots)
            .probes(slots)
            .on_full(on_full)
            .build(|| Vec::with_capacity(2))
            .unwrap()
    }

    /// Two threads, one slot: at most one holds it, and each sees the item
    /// empty (the last holder's reset is published by its release).
    #[test]
    fn loom_one_slot_two_threads_never_share() {
        loom::model(|| {
            let pool = Arc::new(ring(1, OnFull::Fail));
            let handles: Vec<_> = (1..=2u64)
                .map(|me| {
                    let pool = Arc::clone(&pool);
                    thread::spawn(move || {
                        if let Ok(mut g) = pool.try_get() {
                            assert!(g.is_empty(), "stale data or a second holder");
                            g.push(me);
                            assert_eq!(*g, [me]);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            let s = pool.stats();
            assert_eq!(s.outstanding, 0);
            assert_eq!(s.gets, s.returns);
        });
    }

    /// A slot held across the index wrapping is never handed out again.
    #[test]
    fn loom_wrap_around_skips_the_held_slot() {
        loom::model(|| {
            let pool = Arc::new(ring(2, OnFull::Fail));
            let mut held = pool.try_get().unwrap();
            held.push(7);
            let p2 = Arc::clone(&pool);
            let t = thread::spawn(move || {
                for _ in 0..2 {
                    let mut g = p2.try_get().unwrap();
                    assert!(g.is_empty());
                    g.push(1);
                }
            });
            held.push(8);
            t.join().unwrap();
            assert_eq!(*held, [7, 8]);
        });
    }

    /// Three threads on two slots with fallback allocation: every item
    /// has one holder, and the accounting adds up.
    #[test]
    fn loom_full_ring_falls_back_to_allocation() {
        loom::model(|| {
            let pool = Arc::new(ring(2, OnFull::Allocate));
            let handles: Vec<_> = (1..=3u64)
                .map(|me| {
                    let pool = Arc::clone(&pool);
                    thread::spawn(move || {
                        let mut g = pool.get();
                        assert!(g.is_empty());
                        g.push(me);
                        assert_eq!(*g, [me]);
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            let s = pool.stats();
            assert_eq!(s.gets, 3);
            assert_eq!(s.outstanding, 0);
            assert_eq!(s.gets, s.returns + s.discarded.total());
            assert_eq!(s.retained_items, 2);
        });
    }

    /// Threads whose cursors start on different slots, each taking two
    /// items at once (so each probes past its own start onto the other's):
    /// no item ever has two holders, each holder sees its item empty, and
    /// the accounting adds up whoever wins each slot.
    #[test]
    fn loom_cursors_crossing_never_share_a_slot() {
        loom::model(|| {
            let pool = Arc::new(ring(2, OnFull::Allocate));
            let handles: Vec<_> = (1..=2u64)
                .map(|me| {
                    let pool = Arc::clone(&pool);
                    thread::spawn(move || {
                        let mut a = pool.get();
                        let mut b = pool.get();
                        assert!(
                            a.is_empty() && b.is_empty(),
                            "stale data or a second holder"
                        );
                        a.push(me);
                        b.push(me + 10);
                        assert_eq!((a.as_slice(), b.as_slice()), (&[me][..], &[me + 10][..]));
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            let s = pool.stats();
            assert_eq!(s.gets, 4);
            assert_eq!(s.outstanding, 0);
            assert_eq!(s.gets, s.returns + s.discarded.total());
            assert_eq!(s.retained_items, 2);
        });
    }

    /// A thread whose cursor lands on a slot another thread holds moves to
    /// the free one, claims it, and starts there next time.
    #[test]
    fn loom_cursor_on_a_held_slot_moves_on() {
        loom::model(|| {
            // The main thread uses the ring first (cursor 0); its second
            // get moves its cursor to slot 1. The spawned thread arrives
            // second: its cursor, 1, is on the held slot.
            let pool = Arc::new(ring(2, OnFull::Fail));
            let first = pool.try_get().unwrap();
            let mut held = pool.try_get().unwrap();
            drop(first);
            held.push(7);
            let p2 = Arc::clone(&pool);
            let t = thread::spawn(move || {
                let mut g = p2.try_get().expect("slot 0 is free");
                assert!(g.is_empty());
                g.push(1);
                // Its cursor moved to slot 0: both slots are busy now.
                assert!(p2.try_get().is_err());
            });
            held.push(8);
            t.join().unwrap();
            assert_eq!(*held, [7, 8]);
        });
    }

    /// With one probe a get tries its cursor's slot only: of two threads
    /// arriving while slot 0 is held, the one whose cursor is 0 reports
    /// exhaustion and the other claims slot 1, whichever arrives first.
    #[test]
    fn loom_one_probe_stays_on_its_cursor() {
        loom::model(|| {
            let pool = Arc::new(
                RingPool::builder()
                    .slots(2)
                    .probes(1)
                    .on_full(OnFull::Fail)
                    .build(|| Vec::<u64>::with_capacity(2))
                    .unwrap(),
            );
            // The main thread arrives first: cursor 0.
            let held = pool.try_get().unwrap();
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let pool = Arc::clone(&pool);
                    thread::spawn(move || pool.try_get().map(drop).is_ok())
                })
                .collect();
            let ok: Vec<bool> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            assert_eq!(ok.iter().filter(|&&b| b).count(), 1, "{ok:?}");
            drop(held);
            let s = pool.stats();
            assert_eq!((s.gets, s.outstanding), (2, 0));
        });
    }

    /// A detached item's slot is refilled by the next claimer, once.
    #[test]
    fn loom_detach_then_refill() {
        loom::model(|| {
            let pool = Arc::new(ring(1, OnFull::Fail));
            let p2 = Arc::clone(&pool);
            let t = thread::spawn(move || {
                if let Ok(g) = p2.try_get() {
                    drop(Pooled::detach(g));
                }
            });
            if let Ok(mut g) = pool.try_get() {
                g.push(1);
            }
            t.join().unwrap();
            let s = pool.stats();
            assert_eq!(s.outstanding, 0);
            assert!(s.misses <= s.detached);
        });
    }
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::*;

    /// Neighbouring slots never share a cache line (64 bytes; 128 on
    /// cores that fetch lines in pairs): a holder's writes to its slot
    /// (state, item, counters) never touch a line another slot's holder
    /// writes.
    #[test]
    fn slots_sit_on_lines_of_their_own() {
        let pool = RingPool::new(4, || Vec::<u8>::with_capacity(8)).unwrap();
        for pair in pool.slots.windows(2) {
            let (a, b) = (
                std::ptr::from_ref(&*pair[0]) as usize,
                std::ptr::from_ref(&*pair[1]) as usize,
            );
            assert!(b - a >= 128 && a % 64 == 0, "slots at {a:#x} and {b:#x}");
        }
        // And a slot's own state fits its first line with the item.
        assert!(size_of::<Slot<Vec<u8>>>() <= 128);
    }
}
