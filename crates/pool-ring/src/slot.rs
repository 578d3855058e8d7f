//! The crate's only `unsafe`: a slot whose item only its claimer touches.
//!
//! A slot is free or busy. [`Slot::try_claim`] turns free into busy with a
//! compare-exchange (Acquire) and returns a [`Claim`]; only a `Claim` can
//! reach the item. A claim ends by [`Claim::release`], a Release store of
//! "free" made after the item was put back, so the next claimer's Acquire
//! sees the item as the last holder left it. While a guard is out, its claim
//! is parked in a [`RingTicket`] (not `Clone`, fields private to this
//! module), which [`Slot::resume`] turns back into the same claim: there is
//! never more than one claim per busy slot, and so never two holders.

use std::fmt;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::sync::{AtomicBool, UnsafeCell};

/// Largest ring accepted (slots, after rounding up): a slot's index fits
/// the ticket's 32 bits.
pub const MAX_SLOTS: usize = 1 << 20;

/// What one slot counts. Only the slot's current holder writes them, and
/// claims are ordered by the slot's Acquire/Release, so plain load-and-store
/// counting loses nothing.
#[derive(Debug, Default)]
pub(crate) struct SlotCounters {
    pub(crate) hits: pool_core::engine::Counter,
    pub(crate) misses: pool_core::engine::Counter,
    pub(crate) returns: pool_core::engine::Counter,
    pub(crate) detached: pool_core::engine::Counter,
    pub(crate) panicked: pool_core::engine::Counter,
    pub(crate) refused: pool_core::engine::Counter,
    pub(crate) bytes_in: pool_core::engine::Counter,
    pub(crate) bytes_out: pool_core::engine::Counter,
}

/// One slot of the ring.
pub(crate) struct Slot<T> {
    /// `true` while claimed. Set by a successful compare-exchange
    /// (Acquire), cleared by `Claim::release` (Release).
    busy: AtomicBool,
    /// The idle item, or `None` when it is out with its holder (or was
    /// detached). Touched only through a `Claim`.
    item: UnsafeCell<Option<T>>,
    pub(crate) counters: SlotCounters,
}

// SAFETY: `item` is reached only through a `Claim`, and at most one `Claim`
// exists per slot at a time (the compare-exchange in `try_claim` succeeds
// for one caller until `release`, and a parked claim lives in one
// non-`Clone` ticket). The Acquire/Release pair orders every access of one
// holder before every access of the next. So sharing a `Slot` between
// threads only moves `T` values between them, which `T: Send` allows.
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    pub(crate) fn new(item: Option<T>) -> Self {
        Slot {
            busy: AtomicBool::new(false),
            item: UnsafeCell::new(item),
            counters: SlotCounters::default(),
        }
    }

    /// Claims the slot if it is free.
    #[inline]
    pub(crate) fn try_claim(&self) -> Option<Claim<'_, T>> {
        // A plain load first: a busy slot costs no exclusive cache-line
        // access.
        if self.busy.load(Relaxed) {
            return None;
        }
        self.busy
            .compare_exchange(false, true, Acquire, Relaxed)
            .ok()
            .map(|_| Claim { slot: self })
    }

    /// Turns a parked claim back into a claim on this slot.
    ///
    /// # Panics
    ///
    /// If `ticket` was not parked by the pool `pool` (a broken invariant:
    /// tickets live only inside this pool's guards, and the caller looks
    /// the slot up by the ticket's own index).
    #[inline]
    pub(crate) fn resume(&self, ticket: SlotTicket, pool: u32) -> Claim<'_, T> {
        assert!(
            ticket.pool == pool,
            "a ring ticket came back to another pool"
        );
        Claim { slot: self }
    }
}

/// The exclusive right to a busy slot's item.
pub(crate) struct Claim<'a, T> {
    slot: &'a Slot<T>,
}

impl<'a, T> Claim<'a, T> {
    /// Takes the item out (leaving `None`).
    #[inline]
    pub(crate) fn take(&mut self) -> Option<T> {
        // SAFETY: this claim is the only one on the slot (see the module
        // docs), so nobody else reads or writes `item` now. Read in words:
        // the last put wrote it moments ago (see `pool_core::engine::words`).
        self.slot
            .item
            .with_mut(|p| pool_core::engine::words::take_words(unsafe { &mut *p }))
    }

    /// Puts an item in, returning the one that was there.
    #[inline]
    pub(crate) fn put(&mut self, item: T) -> Option<T> {
        // SAFETY: as in `take`.
        self.slot.item.with_mut(|p| unsafe { (*p).replace(item) })
    }

    /// The slot's counters (written only under a claim).
    #[inline]
    pub(crate) fn counters(&self) -> &'a SlotCounters {
        &self.slot.counters
    }

    /// Frees the slot: everything this claim wrote is visible to the next
    /// claimer.
    #[inline]
    pub(crate) fn release(self) {
        self.slot.busy.store(false, Release);
    }

    /// Parks the claim in a ticket for a guard to carry. `index` is under
    /// [`MAX_SLOTS`], so it fits the ticket's 32 bits.
    #[inline]
    pub(crate) fn park(self, pool: u32, index: usize) -> RingTicket {
        debug_assert!(index < MAX_SLOTS);
        RingTicket::pack(pool, index as u32)
    }
}

/// A parked claim, opened from a [`RingTicket`] by [`RingTicket::open`]
/// and consumed by [`Slot::resume`]; neither `Clone` nor constructible
/// elsewhere.
pub(crate) struct SlotTicket {
    pool: u32,
    index: u32,
}

impl SlotTicket {
    pub(crate) fn index(&self) -> usize {
        self.index as usize
    }
}

/// What a parked ticket stands for.
pub(crate) enum Ticket {
    /// The claim on a slot.
    Slot(SlotTicket),
    /// Nothing: the item was made because the ring was full.
    Fallback,
}

/// `index` of a ticket whose item was made because the ring was full (no
/// slot index reaches it: slots are fewer than `MAX_SLOTS`).
const FALLBACK: u32 = u32::MAX;

/// What a [`RingPool`](crate::RingPool) guard carries besides its item: the
/// claim on its slot, or nothing for an item made because the ring was
/// full. It cannot be built or copied outside the pool. One word (the low
/// 32 bits of the pool's id above the slot index), so the guard stays
/// small.
///
/// The word is one `u64`, not two `u32` fields, so that the getter writes
/// it with one store: a caller that moves the returned guard reads it as
/// one 8-byte word, and a load that spans two smaller stores is not
/// forwarded from the store buffer but waits for both to reach the cache.
/// Measured, one thread, get + 16-byte write + drop of a 4 KiB `Vec`:
/// that stall was half of the ring's time.
pub struct RingTicket {
    /// The pool's id in the high 32 bits, the slot index (or `FALLBACK`)
    /// in the low 32.
    word: u64,
}

impl RingTicket {
    #[inline(always)]
    fn pack(pool: u32, index: u32) -> Self {
        RingTicket {
            word: (u64::from(pool) << 32) | u64::from(index),
        }
    }

    /// The slot index, or `FALLBACK`.
    #[inline(always)]
    fn index(&self) -> u32 {
        self.word as u32
    }

    /// The ticket of an item made because the ring was full.
    #[inline]
    pub(crate) fn fallback() -> Self {
        RingTicket::pack(0, FALLBACK)
    }

    /// What the ticket stands for.
    #[inline]
    pub(crate) fn open(self) -> Ticket {
        if self.index() == FALLBACK {
            Ticket::Fallback
        } else {
            Ticket::Slot(SlotTicket {
                pool: (self.word >> 32) as u32,
                index: self.index(),
            })
        }
    }
}

impl fmt::Debug for RingTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index() {
            FALLBACK => f.write_str("RingTicket(fallback)"),
            i => write!(f, "RingTicket(slot {i})"),
        }
    }
}
