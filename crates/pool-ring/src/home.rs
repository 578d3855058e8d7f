//! The crate's second `unsafe` module: who frees the ring's memory.
//!
//! The ring lives in one heap allocation. The pool's handle ([`RingHandle`])
//! keeps it alive while the pool exists; an owned guard ([`RingHold`]) keeps
//! it alive after that, until the guard gives its item back, on any
//! thread, in any order. The last of them frees it.
//!
//! An `Arc` would do that with one shared counter written by every owned
//! get and every owned drop, from every thread, and under contention that
//! one line costs more than the pooling saves. Here an owned guard that holds a slot is counted by
//! the slot itself: a busy slot *is* a reference to the ring.
//!
//! - **Taking** writes nothing more than a borrowed get does: the slot's
//!   claim (a compare-exchange) is the count. An item made because the
//!   ring was full has no slot; its owned guard counts in the central
//!   count, [`CountedRing::holds`], on that cold path.
//! - **Releasing** a slot from an owned guard is plain stores on the
//!   slot's state around a compiler fence: it marks the slot
//!   `RELEASING`, checks whether the ring's gate
//!   (`pool_engine::barrier::Gate`) is closed, then frees the slot
//!   (or, if the handle is gone, leaves it busy and counts down
//!   centrally) ([`release_owned`](crate::slot::release_owned)).
//! - **The handle's drop** closes the gate, which fences with
//!   `membarrier(2)` (`pool_engine::barrier::heavy`; only if an
//!   owned guard was ever taken: every hold notes a use), then marks
//!   every slot dead (a `fetch_or` that also reads whether it was busy,
//!   after waiting out a release under way), adds
//!   the busy ones to the central count and removes the bias that kept
//!   that count above zero while the handle lived. Whoever brings the
//!   count to zero (or the handle's drop, if nothing was out) frees the
//!   ring.
//!
//! The release's mark then check of the gate, against the drop's close
//! then read of the slot, is Dekker's pattern, ordered by the asymmetric
//! fence pair: either the release finds the gate closed (the drop
//! counts its slot, which it left busy), or the drop's read sees its mark
//! and waits for it to free the slot (not counted). So the ring is freed
//! once, after the last hold. Borrowed guards release with a plain store:
//! they cannot outlive the handle, so no mark can race them.
//!
//! # No reference outlives the count that kept it valid
//!
//! After an owned guard's last count goes, another thread may free the
//! ring at once. So every path of an owned guard ends with one atomic
//! operation reached through a reference to the atomic alone (as
//! `Arc::drop` does), never inside a function that still holds a `&Ring`
//! or `&Slot` argument: [`RingHold`] carries a raw pointer, and its methods
//! take the references they need in scopes that end before that last
//! operation.

use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::{AcqRel, Relaxed};

use pool_engine::barrier::Gate;

use crate::slot;
use crate::sync::{AtomicU8, AtomicUsize};

/// What lives in a [`RingHandle`]: the ring, as this module sees it. Only
/// `Ring` implements it, and the `unsafe` blocks below rely on that
/// implementation: `holds` starts at [`BIAS`], the gate open with no
/// use noted, `mark_dead` marks every slot and counts the busy ones,
/// `slot_state` is the word those marks and claims change.
pub(crate) trait CountedRing {
    /// The central count of holds: [`BIAS`] while the handle lives.
    fn holds(&self) -> &AtomicUsize;
    /// Noted by every owned guard's hold (until then no owned release can
    /// be under way, and the handle's drop needs no fence); closed by the
    /// handle's drop, before its marks; checked by every owned release.
    fn gate(&self) -> &Gate;
    /// Marks every slot dead; how many were busy.
    fn mark_dead(&self) -> usize;
    /// The state word of slot `index`.
    fn slot_state(&self, index: usize) -> &AtomicU8;
}

/// Added to [`CountedRing::holds`] while the handle lives, so
/// that holds counted there never bring it to zero before the handle's
/// drop has counted the busy slots.
pub(crate) const BIAS: usize = 1 << (usize::BITS - 2);

/// The pool's handle on its ring: the ring lives at least as long.
pub(crate) struct RingHandle<R: CountedRing> {
    ring: NonNull<R>,
    /// Owns an `R` (for drop checking).
    _owns: PhantomData<R>,
}

// SAFETY: a `RingHandle` is a `Box<R>` whose drop may be deferred to
// another thread (the last owned guard's), so it may be sent and shared
// exactly when `R` may be both (`Ring<T>` is, when `T: Send`).
unsafe impl<R: CountedRing + Send + Sync> Send for RingHandle<R> {}
// SAFETY: as above; `&RingHandle` hands out only `&R`.
unsafe impl<R: CountedRing + Send + Sync> Sync for RingHandle<R> {}

impl<R: CountedRing> RingHandle<R> {
    /// Moves `ring` to the heap; its hold count must start at [`BIAS`].
    pub(crate) fn new(ring: R) -> Self {
        debug_assert_eq!(ring.holds().load(Relaxed), BIAS);
        RingHandle {
            ring: NonNull::from(Box::leak(Box::new(ring))),
            _owns: PhantomData,
        }
    }

    /// The ring.
    #[inline(always)]
    pub(crate) fn ring(&self) -> &R {
        // SAFETY: the ring is freed only once `holds` reaches zero, and it
        // stays at least `BIAS` until this handle's drop.
        unsafe { self.ring.as_ref() }
    }

    /// A hold for an owned guard whose item sits in a slot the caller
    /// claimed (`counted` false: the busy slot counts it), or for one with
    /// no slot (`counted` true: counted centrally here). Taken through the
    /// handle, so never concurrently with its drop.
    #[inline(always)]
    pub(crate) fn hold(&self, counted: bool) -> RingHold<R> {
        // Read-mostly: written by the first hold only.
        self.ring().gate().note_use();
        if counted {
            // Relaxed, as an `Arc` clone: the handle keeps the count above
            // zero meanwhile.
            self.ring().holds().fetch_add(1, Relaxed);
        }
        RingHold {
            ring: self.ring,
            counted: usize::from(counted),
        }
    }
}

impl<R: CountedRing> Drop for RingHandle<R> {
    fn drop(&mut self) {
        let ring = self.ring();
        // Every hold was taken through this handle, before this drop, so
        // the close fences if one was. Either an owned release finds the
        // gate closed, or the marks below see it under way (see the
        // module docs).
        ring.gate().close();
        let busy = ring.mark_dead();
        // No borrowed guard is out (they borrow the handle), so each busy
        // slot is an owned guard's hold (or a fallback item's brief claim
        // of it, counted the same way): they count centrally from now.
        let settle = BIAS - busy;
        let holds = self.ring().holds();
        if holds.fetch_sub(settle, AcqRel) == settle {
            // SAFETY: the count reached zero: no hold is left, and no new
            // one can be taken (holds are taken through the handle).
            unsafe { free(self.ring) };
        }
    }
}

/// An owned guard's hold on the ring: the ring lives until [`finish`]
/// (which the guard calls once, last).
///
/// [`finish`]: RingHold::finish
pub(crate) struct RingHold<R> {
    ring: NonNull<R>,
    /// Counts of this hold in `CountedRing::holds`: 1, or 0 for a hold that
    /// stands for a busy slot. A word, not a `bool`: the guard that carries
    /// the hold is written whole moments before its drop reads it in words,
    /// and a word-wide load of a byte-wide store is not forwarded from the
    /// store buffer (it waits for the store to reach the cache).
    counted: usize,
}

// SAFETY: as for `RingHandle`: a hold gives `&Ring` access and may free it.
unsafe impl<R: Send + Sync> Send for RingHold<R> {}
// SAFETY: as above.
unsafe impl<R: Send + Sync> Sync for RingHold<R> {}

impl<R: CountedRing> RingHold<R> {
    /// The ring, until [`finish`](Self::finish) or
    /// [`release_slot`](Self::release_slot).
    #[inline(always)]
    pub(crate) fn ring(&self) -> &R {
        // SAFETY: this hold keeps the ring alive: it is counted in `holds`,
        // or its slot is busy (counted there by the handle's drop, or the
        // handle is still alive), until `finish` or `release_slot`, which
        // end its use.
        unsafe { self.ring.as_ref() }
    }

    /// Frees slot `index` (claimed for this hold), then finishes the hold.
    /// The slot's item must be back (or gone) and its counters written:
    /// after this, the ring may be freed by another thread at any moment.
    #[inline(always)]
    pub(crate) fn release_slot(self, index: usize) {
        let gone = {
            let ring = self.ring();
            slot::release_owned(ring.slot_state(index), ring.gate())
        };
        self.finish(usize::from(gone));
    }

    /// Ends the hold: drops its own count if it has one, and `dead` more
    /// (slots this hold's thread released after the handle's drop had
    /// counted them); frees the ring if that was the last.
    #[inline(always)]
    pub(crate) fn finish(self, dead: usize) {
        let n = dead + self.counted;
        if n == 0 {
            return;
        }
        let last = {
            let holds = self.ring().holds();
            holds.fetch_sub(n, AcqRel) == n
        };
        if last {
            // SAFETY: the count reached zero (the handle's bias is gone, so
            // the handle is too): no hold is left to use the ring.
            unsafe { free(self.ring) };
        }
    }
}

/// Frees the ring and everything it holds.
///
/// # Safety
///
/// `ring` came from [`RingHandle::new`] and its hold count just reached zero:
/// nothing will use it again.
unsafe fn free<R>(ring: NonNull<R>) {
    // SAFETY: the caller's promise; `RingHandle::new` made it from a `Box`.
    drop(unsafe { Box::from_raw(ring.as_ptr()) });
}
