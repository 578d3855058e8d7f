//! A slot whose item only its claimer touches (with `crate::home`, the
//! crate's `unsafe`).
//!
//! A slot is free or busy. [`Slot::try_claim`] turns free into busy with a
//! compare-exchange (Acquire) and returns a [`Claim`]; only a `Claim` can
//! reach the item. A claim ends by [`Claim::release`], a Release store of
//! "free" made after the item was put back, so the next claimer's Acquire
//! sees the item as the last holder left it; an owned guard's claim ends by
//! [`release_owned`] instead, plain stores around a fence that pair with
//! the pool's drop (see `crate::home`). A dead slot (marked) is never
//! claimed again. While a guard is out, its claim
//! is parked in a [`RingTicket`] (not `Clone`, fields private to this
//! module), which [`Slot::resume`] turns back into the same claim: there is
//! never more than one claim per busy slot, and so never two holders.

use std::fmt;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use pool_engine::barrier::Gate;

use crate::sync::{AtomicU8, UnsafeCell, spin_until};

/// A slot's state: free (claimable).
const FREE: u8 = 0;
/// The state's bit set while the slot is claimed.
const BUSY: u8 = 1;
/// The state's bit set by the pool's drop: owned guards' releases count
/// down centrally from then on, and nobody claims the slot again.
const DEAD: u8 = 2;
/// The state while an owned guard's release is under way (it has not yet
/// read whether the pool's handle is gone, or acted on it): the pool's
/// drop waits it out.
const RELEASING: u8 = 4;

/// Largest ring accepted (slots, after rounding up): a slot's index fits
/// the ticket's 32 bits.
pub const MAX_SLOTS: usize = 1 << 20;

/// What one slot counts. Only the slot's current holder writes them, and
/// claims are ordered by the slot's Acquire/Release, so plain load-and-store
/// counting loses nothing.
#[derive(Debug, Default)]
pub(crate) struct SlotCounters {
    pub(crate) hits: pool_core::strategy::Counter,
    pub(crate) misses: pool_core::strategy::Counter,
    pub(crate) returns: pool_core::strategy::Counter,
    pub(crate) detached: pool_core::strategy::Counter,
    pub(crate) panicked: pool_core::strategy::Counter,
    pub(crate) refused: pool_core::strategy::Counter,
    pub(crate) bytes_in: pool_core::strategy::Counter,
    pub(crate) bytes_out: pool_core::strategy::Counter,
    /// The heap bytes of the item now in the slot, as measured when it
    /// came in: a get counts them out without calling user code (so a get
    /// never runs `Reset::heap_bytes`, and cannot panic in it).
    pub(crate) held_bytes: std::sync::atomic::AtomicU64,
}

impl SlotCounters {
    /// Counts `bytes` in, and remembers them for the get that takes the
    /// item out.
    #[inline]
    pub(crate) fn came_in(&self, bytes: u64) {
        self.bytes_in.add(bytes);
        self.held_bytes.store(bytes, Relaxed);
    }

    /// Counts the slot's item out, by the bytes it came in with.
    #[inline]
    pub(crate) fn went_out(&self) {
        self.bytes_out.add(self.held_bytes.load(Relaxed));
    }
}

/// One slot of the ring.
pub(crate) struct Slot<T> {
    /// `BUSY` while claimed: set by a successful compare-exchange
    /// (Acquire), cleared by `Claim::release` (a Release store) or
    /// `release_owned` (Release stores around a fence, through
    /// `RELEASING`). `DEAD` once the pool's handle is gone.
    state: AtomicU8,
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
            state: AtomicU8::new(FREE),
            item: UnsafeCell::new(item),
            counters: SlotCounters::default(),
        }
    }

    /// Claims the slot if it is free.
    #[inline]
    pub(crate) fn try_claim(&self) -> Option<Claim<'_, T>> {
        // A plain load first: a busy slot costs no exclusive cache-line
        // access.
        if self.state.load(Relaxed) != FREE {
            return None;
        }
        self.state
            .compare_exchange(FREE, BUSY, Acquire, Relaxed)
            .ok()
            .map(|_| Claim { slot: self })
    }

    /// Marks the slot dead (the pool's handle is going and has closed the
    /// ring's gate, a heavy fence); true if it was busy, that is held by
    /// an owned guard, which will count down centrally when it releases.
    /// Waits out a release under way first: one that found the gate open
    /// frees the slot, and must not be counted. A release that marks the
    /// slot after that wait finds it closed (see [`release_owned`]), and
    /// is counted. AcqRel: a release before the mark happens before the
    /// ring is freed.
    pub(crate) fn mark_dead(&self) -> bool {
        spin_until(|| (self.state.load(Acquire) & RELEASING == 0).then_some(()));
        self.state.fetch_or(DEAD, AcqRel) & (BUSY | RELEASING) != 0
    }

    /// The state word, for [`release_owned`].
    #[inline(always)]
    pub(crate) fn state(&self) -> &AtomicU8 {
        &self.state
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
        // the last put wrote it moments ago (see `pool_core::strategy::words`).
        self.slot
            .item
            .with_mut(|p| pool_core::strategy::words::take_words(unsafe { &mut *p }))
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
    /// claimer. A plain store, so only while the pool's handle lives (a
    /// borrowed guard, or the pool's own calls): an owned guard, which may
    /// outlive it, releases with [`release_owned`].
    #[inline]
    pub(crate) fn release(self) {
        self.slot.state.store(FREE, Release);
    }

    /// Ends the claim without freeing the slot: the caller frees it with
    /// [`release_owned`] on the slot's [`state`](Slot::state).
    #[inline(always)]
    pub(crate) fn keep(self) {}

    /// Parks the claim in a ticket for a guard to carry. `index` is under
    /// [`MAX_SLOTS`], so it fits the ticket's 32 bits.
    #[inline]
    pub(crate) fn park(self, pool: u32, index: usize) -> RingTicket {
        debug_assert!(index < MAX_SLOTS);
        RingTicket::pack(pool, index as u32)
    }
}

/// Frees a slot claimed for an owned guard (or claimed while the pool's
/// handle may be going), given its state word and the ring's gate
/// alone; true if the pool's handle is gone (the slot stays busy and
/// dead, the handle's drop counted it, and the caller counts down
/// centrally).
///
/// Plain stores, no read-modify-write: while the slot is busy only its
/// claimer and the handle's drop write the state. The claimer marks it
/// `RELEASING`, then checks the gate (a light fence, then a read); the
/// handle's drop closes it (a heavy fence), then reads each slot
/// ([`Slot::mark_dead`]). Either this check finds it closed, or the handle's
/// read sees `RELEASING` and waits for the last store here (Release, so
/// that the next claimer, or whoever frees the ring, sees the item as it
/// was left). It takes the atomics alone: once the slot is free, the ring
/// may be freed by another thread, so no reference to the slot or ring
/// may be held across it (see `crate::home`).
#[inline(always)]
pub(crate) fn release_owned(state: &AtomicU8, gate: &Gate) -> bool {
    state.store(RELEASING, Relaxed);
    let gone = gate.closed_after_fence();
    state.store(if gone { BUSY | DEAD } else { FREE }, Release);
    gone
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
/// forwarded from the store buffer but waits for both to reach the cache,
/// a stall as long as the rest of a get and a drop.
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

    /// Whether the item was made because the ring was full (no slot).
    #[inline(always)]
    pub(crate) fn is_fallback(&self) -> bool {
        self.index() == FALLBACK
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
