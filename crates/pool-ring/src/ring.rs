//! `RingPool`: the slots, the per-thread probe start, and the guard paths.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use crossbeam_utils::CachePadded;
use pool_core::strategy::words::move_words;
use pool_core::strategy::{Counters, Totals};
use pool_core::{OwnedPooled, Pool, PoolError, Pooled, Reset, Stats, UnboundedPool};
use pool_engine::OnUnwind;
use pool_engine::barrier::Gate;

use crate::cursor;
use crate::home::{BIAS, CountedRing, RingHandle};
use crate::slot::{Claim, RingTicket, Slot, SlotTicket, Ticket};
use crate::sync::{AtomicU8, AtomicUsize};

pub(crate) mod recycle;

/// Hands out a distinct id to every pool, so a ticket names its pool.
static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

/// What [`RingPool::try_get`] (and [`RingPool::try_get_owned`], and
/// `Pool::try_get` in generic code) does when every probed slot is busy.
/// [`RingPool::get`] and [`RingPool::get_owned`] never fail, so they make
/// an item whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFull {
    /// Make a fresh item with the factory (counted as a miss); it is kept
    /// on return only if a slot lost its item to `detach`, else dropped.
    #[default]
    Allocate,
    /// Fail with [`PoolError::Exhausted`].
    Fail,
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
pub struct RingPool<T: Send + 'static> {
    /// The ring, which owned guards keep alive after the pool is dropped
    /// (see `crate::home`: a busy slot counts its guard).
    home: RingHandle<Ring<T>>,
}

/// What a [`RingPool`] shares with its owned guards.
pub(crate) struct Ring<T> {
    /// Each on its own cache line.
    pub(crate) slots: Box<[CachePadded<Slot<T>>]>,
    /// Holds on the ring counted centrally (see `crate::home`): `BIAS`
    /// while the handle lives, plus owned guards of items made because the
    /// ring was full; after the handle's drop, plus the owned guards whose
    /// slots were busy then. Whoever brings it to zero frees the ring.
    pub(crate) holds: AtomicUsize,
    /// Noted by the first owned guard's hold, closed by the handle's drop,
    /// checked by every owned release (see `crate::home`).
    gate: Gate,
    /// `slots.len() - 1`; `slots.len()` is a power of two.
    mask: usize,
    /// Slots tried per get, `1..=slots.len()`.
    probes: usize,
    on_full: OnFull,
    factory: Box<dyn Fn() -> T + Send + Sync>,
    /// Distinct per pool (the low 32 bits of a process-wide count);
    /// tickets carry it.
    id: u32,
    /// Counts for items that live outside the ring: written by any
    /// thread (read-modify-writes), but only when the ring is full.
    fallback: Counters,
    /// Where outstanding guards were taken, if tracked.
    #[cfg(feature = "leak-sites")]
    leaks: Option<Arc<pool_core::leaks::LeakTracker>>,
}

impl<T> CountedRing for Ring<T> {
    #[inline(always)]
    fn holds(&self) -> &AtomicUsize {
        &self.holds
    }
    #[inline(always)]
    fn gate(&self) -> &Gate {
        &self.gate
    }
    fn mark_dead(&self) -> usize {
        self.slots.iter().filter(|s| s.mark_dead()).count()
    }
    #[inline(always)]
    fn slot_state(&self, index: usize) -> &AtomicU8 {
        self.slots[index].state()
    }
}

/// Resets a returning item (user code: `reset`, `is_reusable`,
/// `heap_bytes`, any of which may panic); its heap bytes if it may be
/// kept, `None` if it is refused.
#[inline(always)]
pub(crate) fn reset_and_measure<T: Reset>(item: &mut T) -> Option<u64> {
    item.reset();
    item.is_reusable().then(|| item.heap_bytes() as u64)
}

impl<T: Reset + Send + 'static> RingPool<T> {
    /// A ring of `size` slots (a power of two), each filled by `factory`
    /// (counted as prefilled); the builder checked the settings.
    pub(crate) fn prefilled(
        size: usize,
        probes: usize,
        on_full: OnFull,
        factory: Box<dyn Fn() -> T + Send + Sync>,
        #[cfg(feature = "leak-sites")] tracker: Option<Arc<pool_core::leaks::LeakTracker>>,
    ) -> Self {
        let slots: Box<[CachePadded<Slot<T>>]> = (0..size)
            .map(|_| CachePadded::new(Slot::new(None)))
            .collect();
        // Pre-fill: each slot gets its item, counted as prefilled.
        for slot in slots.iter() {
            let mut claim = slot.try_claim().expect("a new slot is free");
            let item = factory();
            claim.counters().came_in(item.heap_bytes() as u64);
            claim.put(item);
            claim.release();
        }
        RingPool::from_ring(Ring {
            slots,
            holds: AtomicUsize::new(BIAS),
            gate: Gate::new(),
            mask: size - 1,
            probes,
            on_full,
            factory,
            // The low 32 bits: tickets carry them (a check, not a key).
            id: NEXT_POOL_ID.fetch_add(1, Relaxed) as u32,
            fallback: Counters::default(),
            #[cfg(feature = "leak-sites")]
            leaks: tracker,
        })
    }

    fn from_ring(ring: Ring<T>) -> Self {
        RingPool {
            home: RingHandle::new(ring),
        }
    }

    /// The ring.
    #[inline(always)]
    fn r(&self) -> &Ring<T> {
        self.home.ring()
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
        self.r().slots.len()
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
        // Read in words: see `pool_core::strategy::words`.
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
    /// let pool = RingPool::builder().capacity(1).on_full(OnFull::Fail).build(|| [0u8; 64].to_vec())?;
    /// let held = pool.try_get()?;
    /// assert_eq!(pool.try_get().unwrap_err(), PoolError::Exhausted { capacity: 1 });
    /// drop(held);
    /// assert!(pool.try_get().is_ok());
    /// # Ok::<(), PoolError>(())
    /// ```
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        let (item, ticket) = move_words(self.take(self.r().on_full))?;
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
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn try_get_owned(&self) -> Result<OwnedPooled<Self>, PoolError> {
        let (item, ticket) = move_words(self.take(self.r().on_full))?;
        let anchor = self.anchor_for(&ticket);
        Ok(OwnedPooled::new(item, ticket, anchor))
    }

    /// Like [`get`](Self::get), with a `Send + 'static` guard: never fails,
    /// never waits (a full ring makes an unpooled item, whatever [`OnFull`]
    /// says). No `Arc` is cloned and no count is written: the guard's busy
    /// slot is what keeps the ring's memory alive after the pool is
    /// dropped (an item made because the ring was full counts centrally).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::{OnFull, RingPool};
    ///
    /// let pool = RingPool::builder().capacity(1).on_full(OnFull::Fail).build(Vec::<u8>::new)?;
    /// let a = pool.get_owned();
    /// let b = pool.get_owned(); // the ring is full: made, not refused
    /// std::thread::spawn(move || drop((a, b))).join().unwrap();
    /// assert_eq!(pool.stats().misses, 1);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_owned(&self) -> OwnedPooled<Self> {
        let (item, ticket) =
            move_words(self.take(OnFull::Allocate)).unwrap_or_else(|_| unreachable!());
        let anchor = self.anchor_for(&ticket);
        OwnedPooled::new(item, ticket, anchor)
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
        // Slots count in a compact block of their own (a slot stays
        // within its 128 bytes); entering counts first, leaving ones after
        // (see `Counters`).
        for slot in self.r().slots.iter() {
            let c = &slot.counters;
            t.returns += c.returns.get();
            t.bytes_in += c.bytes_in.get();
        }
        for slot in self.r().slots.iter() {
            let c = &slot.counters;
            t.hits += c.hits.get();
            t.misses += c.misses.get();
            t.detached += c.detached.get();
            t.discards.panicked += c.panicked.get();
            t.discards.refused += c.refused.get();
            t.bytes_out += c.bytes_out.get();
        }
        t.add(&self.r().fallback);
        t.prefilled = self.r().slots.len() as u64;
        Stats::from_totals(t)
    }

    /// Where the guards out now were taken, grouped by call site (empty
    /// unless the ring was built with
    /// [`leak_tracker`](crate::RingPoolBuilder::leak_tracker)).
    #[cfg(feature = "leak-sites")]
    pub fn outstanding_sites(&self) -> pool_core::leaks::Outstanding {
        pool_core::strategy::outstanding_sites(self.r().leaks.as_deref())
    }

    /// The anchor of an owned guard holding `ticket`'s item: its busy slot
    /// counts it, or (an item made because the ring was full) the
    /// central count, on that cold path.
    #[inline(always)]
    fn anchor_for(&self, ticket: &RingTicket) -> recycle::RingAnchor<T> {
        recycle::RingAnchor(self.home.hold(ticket.is_fallback()))
    }

    /// The calling thread's cursor, then up to `probes - 1` slots after
    /// it; the cursor moves to the slot claimed. The first try is inline,
    /// the probing after it is not, so the hot path stays small enough to
    /// inline into the caller.
    #[inline]
    fn claim(&self) -> Option<(usize, Claim<'_, T>)> {
        let start = cursor::start();
        let i = start & self.r().mask;
        match self.r().slots[i].try_claim() {
            Some(claim) => Some((i, claim)),
            None => self.claim_probing(start),
        }
    }

    /// The slots after the cursor's, once the cursor's was busy.
    #[cold]
    fn claim_probing(&self, start: usize) -> Option<(usize, Claim<'_, T>)> {
        for k in 1..self.r().probes {
            let i = start.wrapping_add(k) & self.r().mask;
            if let Some(claim) = self.r().slots[i].try_claim() {
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
                counters.went_out();
                Ok((item, claim.park(self.r().id, index)))
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
        let item = (self.r().factory)();
        let claim = claim_guard.disarm();
        counters.misses.incr();
        (item, claim.park(self.r().id, index))
    }

    /// Every probed slot was busy: what [`OnFull`] says.
    #[cold]
    fn take_when_full(&self, on_full: OnFull) -> Result<(T, RingTicket), PoolError> {
        match on_full {
            OnFull::Fail => Err(PoolError::Exhausted {
                capacity: self.r().slots.len(),
            }),
            OnFull::Allocate => {
                let item = (self.r().factory)();
                self.r().fallback.misses.add_shared(1);
                Ok((item, RingTicket::fallback()))
            }
        }
    }

    /// A borrowed guard's item comes back (the handle lives: its slot is
    /// freed with a plain store).
    #[inline(always)]
    fn put(&self, mut item: T, ticket: RingTicket) {
        match ticket.open() {
            Ticket::Slot(t) => {
                let claim = self.r().resume(t);
                // If `reset`, `is_reusable` or `heap_bytes` unwinds, the
                // item is dropped (never pooled half-reset), the slot is
                // freed empty, and it is counted.
                let guard = release_on_unwind(claim, true);
                let kept = reset_and_measure(&mut item);
                let mut claim = guard.disarm();
                let rest = Ring::put_in(&mut claim, item, kept);
                claim.release();
                drop(rest);
            }
            Ticket::Fallback => {
                let dead = self.r().put_fallback(item);
                debug_assert_eq!(dead, 0, "no slot is dead while the handle lives");
            }
        }
    }
}

impl<T: Reset + Send + 'static> Ring<T> {
    /// The claim that `ticket` parked, on this ring's slot.
    ///
    /// # Panics
    ///
    /// If the ticket is another pool's (a broken invariant: see
    /// `Slot::resume`).
    #[inline(always)]
    pub(crate) fn resume(&self, ticket: SlotTicket) -> Claim<'_, T> {
        self.slots[ticket.index()].resume(ticket, self.id)
    }

    /// Puts a returning item, settled (`kept`: its bytes, or `None` if
    /// refused), into its claimed slot and counts it; hands back what the
    /// caller drops once the slot is free (a refused item).
    #[inline(always)]
    pub(crate) fn put_in(claim: &mut Claim<'_, T>, item: T, kept: Option<u64>) -> Option<T> {
        let counters = claim.counters();
        match kept {
            Some(bytes) => {
                counters.returns.incr();
                counters.came_in(bytes);
                let previous = claim.put(item);
                debug_assert!(previous.is_none(), "a busy slot's item is with its holder");
                previous
            }
            None => {
                // Dropped; the slot stays empty, as after a detach, and
                // its next claimer makes a new item.
                counters.refused.incr();
                Some(item)
            }
        }
    }

    /// An item made because the ring was full: kept only in a slot that
    /// lost its item to `detach`. Returns how many of the slots it claimed
    /// on the way were dead when freed (the pool's handle went meanwhile:
    /// the caller, an owned guard, counts them down), 0 while the handle
    /// lives.
    #[cold]
    pub(crate) fn put_fallback(&self, mut item: T) -> usize {
        let on_panic = OnUnwind::new((), |()| self.fallback.discarded.panicked.add_shared(1));
        let kept = reset_and_measure(&mut item);
        on_panic.disarm();
        let Some(bytes) = kept else {
            self.fallback.discarded.refused.add_shared(1);
            return 0;
        };
        // Slots are freed with `release_owned`: the handle may be going
        // (this may be an owned guard's item). The caller's hold keeps the
        // ring alive throughout.
        let mut dead = 0;
        let start = cursor::start();
        for k in 0..self.probes {
            let i = start.wrapping_add(k) & self.mask;
            if let Some(mut claim) = self.slots[i].try_claim() {
                match claim.take() {
                    None => {
                        self.fallback.returns.add_shared(1);
                        self.fallback.bytes_in.add_shared(bytes);
                        claim.counters().held_bytes.store(bytes, Relaxed);
                        claim.put(item);
                        claim.keep();
                        dead += usize::from(crate::slot::release_owned(
                            self.slots[i].state(),
                            &self.gate,
                        ));
                        return dead;
                    }
                    Some(own) => {
                        claim.put(own);
                        claim.keep();
                        dead += usize::from(crate::slot::release_owned(
                            self.slots[i].state(),
                            &self.gate,
                        ));
                    }
                }
            }
        }
        self.fallback.discarded.full.add_shared(1);
        dead
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

impl<T: Reset + Send + 'static> Pool for RingPool<T> {
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        RingPool::try_get(self)
    }

    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get_owned(self: &Arc<Self>) -> Result<OwnedPooled<Self>, PoolError> {
        RingPool::try_get_owned(self)
    }

    fn stats(&self) -> Stats {
        RingPool::stats(self)
    }
}

impl<T: Reset + Send + 'static> UnboundedPool for RingPool<T> {
    /// Never fails: a full ring makes an unpooled item (see
    /// [`RingPool::get`]).
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn get(&self) -> Pooled<'_, Self> {
        RingPool::get(self)
    }

    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn get_owned(self: &Arc<Self>) -> OwnedPooled<Self> {
        RingPool::get_owned(self)
    }
}

impl<T: Reset + Send + 'static> fmt::Debug for RingPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingPool")
            .field("slots", &self.r().slots.len())
            .field("probes", &self.r().probes)
            .field("on_full", &self.r().on_full)
            .finish_non_exhaustive()
    }
}

/// loom models: `RUSTFLAGS="--cfg pool_loom" cargo test -p pool-ring
/// --release --lib loom_` (set `LOOM_MAX_PREEMPTIONS=3` to bound the
/// three-thread model).
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
        for pair in pool.r().slots.windows(2) {
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
