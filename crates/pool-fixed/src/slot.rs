//! The crate's only `unsafe`: each thread's slot, one idle item kept
//! inline beside a state word.
//!
//! A slot is `EMPTY`, `FULL` or `BUSY`:
//!
//! - only the thread that owns the slot fills it ([`Mine::park`]): it
//!   writes the item into an `EMPTY` slot, then publishes it by swapping
//!   the state to `FULL`;
//! - the owner takes it back ([`Mine::take`]) by a compare-exchange from
//!   `FULL` to `EMPTY` and then reads it: once the slot is `EMPTY` only its
//!   owner writes the item, and the owner is the reader;
//! - any thread steals ([`Slot::steal`]) by a compare-exchange from `FULL`
//!   to `BUSY`, reads the item, and swaps `EMPTY` back when done, so the
//!   owner never writes while a thief reads.
//!
//! Every hand-over of the item is a Release (the swap to `FULL`, the swap
//! back to `EMPTY`) read by an Acquire (the compare-exchanges), so each
//! reader sees the item as its writer left it. The owner's get and put are
//! one atomic instruction each and touch only this slot's cache line; the
//! previous design parked the item in a box swapped in and out of an
//! atomic pointer (two exchanges and a dependent load per get and put).
//!
//! # A look that a later park cannot miss
//!
//! Every change of the state is a read-modify-write, so the state's
//! modification order is one chain of them. A waiter that has registered
//! its debt, or `close` that has set its flag, then looks at each slot with
//! [`Slot::steal_after_mark`], whose first step is a read-modify-write that
//! changes nothing (the mark, Release). Either the mark comes before an
//! owner's park in that chain, and the park's swap (Acquire) reads a value
//! of the mark's release sequence, so the owner sees the debt or the flag
//! after parking and takes its item back to the shared path; or the park
//! comes first, and the mark reads `FULL` (or a later state: then someone
//! else took the item). Either way no item stays parked, unseen, while a
//! waiter sleeps. Acquire and Release suffice; the argument needs no
//! sequentially consistent order, which loom models exactly.
//!
//! Who owns a slot is the per-thread layer's business
//! (`pool_core::engine::per_thread`): it hands a slot's shared half to one thread
//! at a time (the thread's slot until it exits, then the next new thread's).
//! [`Mine`] is made only from that hand-out ([`mine`]) and is not `Send`,
//! so the owner-only operations cannot run on two threads at once.

use std::marker::PhantomData;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

use pool_core::engine::per_thread::{self, PerThread, PerThreadRef, ThreadState};
use pool_core::engine::words::{store_words, take_words};

use crate::sync::{AtomicU8, UnsafeCell};
use crate::wait_queue::Idle;

const EMPTY: u8 = 0;
const FULL: u8 = 1;
const BUSY: u8 = 2;

/// One thread's idle item, if any; see the module docs for the protocol.
pub(crate) struct Slot<T> {
    /// `EMPTY`: no item, and only the owner may write one. `FULL`: an item
    /// is there for its owner or a thief. `BUSY`: a thief is reading it.
    state: AtomicU8,
    /// `Some` exactly while the state is `FULL` or `BUSY` (and, in the
    /// owner's hands, between its write and its swap to `FULL`).
    item: UnsafeCell<Option<Idle<T>>>,
}

// SAFETY: the item is written only by the slot's owner, while the state
// is `EMPTY` (and no thief is reading: thieves read only under `BUSY`,
// and store `EMPTY` after), and read only by the caller whose
// compare-exchange moved the state out of `FULL` (one caller per `FULL`).
// Each hand-over is a Release/Acquire pair on `state`. So sharing a slot
// only moves `T` values between threads, which `T: Send` allows.
#[allow(unsafe_code)]
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    pub(crate) fn new() -> Self {
        Slot {
            state: AtomicU8::new(EMPTY),
            item: UnsafeCell::new(None),
        }
    }

    /// Whether an item is parked (a snapshot).
    pub(crate) fn is_full(&self) -> bool {
        self.state.load(Acquire) == FULL
    }

    /// Takes the parked item, from any thread (a thread whose queue ran
    /// dry looking for an idle item).
    pub(crate) fn steal(&self) -> Option<Idle<T>> {
        if self.state.load(Acquire) != FULL
            || self
                .state
                .compare_exchange(FULL, BUSY, Acquire, Relaxed)
                .is_err()
        {
            return None;
        }
        // SAFETY: our compare-exchange moved the state from `FULL` to
        // `BUSY`: no other thief can (the state is not `FULL`), and the
        // owner writes only under `EMPTY`, so we are the only one to touch
        // the item until the swap below.
        #[allow(unsafe_code)]
        let idle = self.item.with_mut(|p| take_words(unsafe { &mut *p }));
        self.state.swap(EMPTY, AcqRel);
        idle
    }

    /// Marks the slot, then steals its item: the look of a waiter that has
    /// registered its debt, or of `close` that has set its flag, which no
    /// later park can miss (see the module docs).
    pub(crate) fn steal_after_mark(&self) -> Option<Idle<T>> {
        if self.state.fetch_or(0, AcqRel) != FULL {
            return None;
        }
        self.steal()
    }
}

/// The calling thread's own slot: made only by [`mine`], not `Send`.
pub(crate) struct Mine<'a, T> {
    slot: &'a Slot<T>,
    /// Not `Send` or `Sync`: the owner-only operations stay on the owner.
    _owner: PhantomData<*const ()>,
}

impl<T> Clone for Mine<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Mine<'_, T> {}

/// The calling thread's slot and counters in `threads`, or `None` while
/// its thread-locals are being destroyed.
#[inline]
pub(crate) fn mine<T, G>(threads: &PerThread<G>) -> Own<'_, T, G>
where
    G: ThreadState,
    G::Shared: AsRef<Slot<T>>,
{
    own::<T, G>(threads.shared_slot())
}

/// The calling thread's own slot and its shared half, as [`mine`] gives.
pub(crate) type Own<'a, T, G> = Option<(Mine<'a, T>, &'a <G as ThreadState>::Shared)>;

/// The owner's handle on `local`, the calling thread's shared half:
/// `shared_slot` and `shared_slot_anchored` give each slot to one thread
/// at a time, the thread that owns it (see `pool_core::engine::per_thread`).
#[inline(always)]
fn own<T, G>(local: Option<&G::Shared>) -> Own<'_, T, G>
where
    G: ThreadState,
    G::Shared: AsRef<Slot<T>>,
{
    local.map(|local| {
        (
            Mine {
                slot: local.as_ref(),
                _owner: PhantomData,
            },
            local,
        )
    })
}

/// [`mine`] from `slot`, the calling thread's slot as the per-thread
/// layer hands it to a closure (`PerThread::with` and the closures of the
/// owned references): the owner's, as `shared_slot` gives it.
#[inline(always)]
pub(crate) fn mine_in<T, G>(slot: Option<&per_thread::Slot<G>>) -> Own<'_, T, G>
where
    G: ThreadState,
    G::Shared: AsRef<Slot<T>>,
{
    own::<T, G>(slot.map(per_thread::Slot::shared))
}

/// [`mine`], and a counted reference to the pool for an owned guard, from
/// one per-thread lookup.
#[inline]
pub(crate) fn mine_anchored<T, G>(threads: &PerThread<G>) -> (Own<'_, T, G>, PerThreadRef<G>)
where
    G: ThreadState,
    G::Shared: AsRef<Slot<T>>,
{
    let (shared, r) = threads.shared_slot_anchored();
    (own::<T, G>(shared), r)
}

impl<T> Mine<'_, T> {
    /// Takes this thread's parked item, if a thief did not.
    #[inline]
    pub(crate) fn take(self) -> Option<Idle<T>> {
        if self.slot.state.load(Relaxed) != FULL
            || self
                .slot
                .state
                .compare_exchange(FULL, EMPTY, Acquire, Relaxed)
                .is_err()
        {
            return None;
        }
        // SAFETY: the state was `FULL` and we made it `EMPTY`: no thief
        // reads now (they need `FULL`), and under `EMPTY` only the owner,
        // this thread (`Mine` is made only for the owner and stays on
        // it), writes the item. Read in words: the park that wrote it was
        // moments ago (`pool_core::engine::words`).
        #[allow(unsafe_code)]
        self.slot.item.with_mut(|p| take_words(unsafe { &mut *p }))
    }

    /// Parks `idle` if the slot is empty; hands it back if an item is
    /// parked already or a thief is still reading one.
    #[inline]
    pub(crate) fn park(self, idle: Idle<T>) -> Result<(), Idle<T>> {
        if self.slot.state.load(Acquire) != EMPTY {
            return Err(idle);
        }
        // SAFETY: the state is `EMPTY` (the Acquire load saw the last
        // thief's Release swap to it, so its read is over), and only the
        // owner, this thread, moves a slot out of `EMPTY`: nobody else
        // touches the item until the swap below publishes it.
        #[allow(unsafe_code)]
        // Written in words: see `pool_core::engine::words`.
        self.slot
            .item
            .with_mut(|p| store_words(unsafe { &mut *p }, Some(idle)));
        // Release publishes the item; Acquire reads a waiter's mark (see
        // the module docs).
        let was = self.slot.state.swap(FULL, AcqRel);
        debug_assert_eq!(was, EMPTY, "only the owner leaves EMPTY");
        Ok(())
    }
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::*;

    fn idle(n: u64) -> Idle<Vec<u64>> {
        Idle {
            item: vec![n],
            generation: 0,
        }
    }

    #[test]
    fn park_take_steal_each_move_the_item_once() {
        let slot = Slot::new();
        let me = Mine {
            slot: &slot,
            _owner: PhantomData,
        };
        assert!(me.take().is_none());
        assert!(me.park(idle(1)).is_ok());
        assert!(slot.is_full());
        // A second park finds it full and hands the item back.
        assert_eq!(me.park(idle(2)).unwrap_err().item, [2]);
        assert_eq!(me.take().unwrap().item, [1]);
        assert!(me.take().is_none() && slot.steal().is_none());
        assert!(me.park(idle(3)).is_ok());
        let stolen = std::thread::scope(|s| s.spawn(|| slot.steal()).join().unwrap());
        assert_eq!(stolen.unwrap().item, [3]);
        assert!(!slot.is_full() && me.take().is_none());
        // The slot is empty again: the owner may park.
        assert!(me.park(idle(4)).is_ok());
        drop(slot); // frees the parked item (Miri checks it is not leaked)
    }
}
