//! The crate's only `unsafe`: each thread's slot, one idle item kept
//! inline beside a state word.
//!
//! A slot is `EMPTY`, `FULL` or `BUSY`:
//!
//! - only the thread that owns the slot fills it ([`Mine::park`]): it
//!   writes the item into an `EMPTY` slot, then publishes it by storing
//!   `FULL`;
//! - the owner takes it back ([`Mine::take`]) by a compare-exchange from
//!   `FULL` to `EMPTY` and then reads it: once the slot is `EMPTY` only its
//!   owner writes the item, and the owner is the reader;
//! - any thread steals ([`Slot::steal`]) by a compare-exchange from `FULL`
//!   to `BUSY`, reads the item, and swaps `EMPTY` back when done, so the
//!   owner never writes while a thief reads.
//!
//! Every hand-over of the item is a Release (the store of `FULL`, the swap
//! back to `EMPTY`) read by an Acquire (the compare-exchanges, and the
//! park's look at `EMPTY`), so each reader sees the item as its writer left
//! it. The owner's get is one compare-exchange and its put one store, on
//! this slot's cache line only; the previous designs parked the item in a
//! box swapped in and out of an atomic pointer (two exchanges and a
//! dependent load per get and put), then inline with a swap.
//!
//! # A look that a later park cannot miss
//!
//! A waiter that has registered its debt, or `close` that has set its
//! flag, then looks in every slot (`FixedPool::steal_after_fence`); a
//! put, once parked, reads the debts and the flag and takes its item back
//! to the shared path if it sees either. Each side stores, then loads what
//! the other stores (Dekker's pattern), so each needs an order between its
//! store and its load, or both could miss the other and an item would stay
//! parked, unseen, while a waiter sleeps. The look runs a `SeqCst` fence
//! between its store and its loads; the park orders its own as the pool's
//! [`Parks`] says:
//!
//! - **Light**, from the pool's start where the asymmetric fences are cheap
//!   (`pool_core::engine::barrier::asymmetric`): the park stores `FULL`,
//!   runs a light fence (a compiler fence) and reads `Parks` again. Before
//!   its first look, a waiter or `close` switches `Parks` to fenced parks:
//!   a store, then a heavy fence (`membarrier`), once per pool. If the
//!   park still reads light parks, the heavy fence ran after its store, and
//!   the look, which comes after the heavy fence, finds the item.
//! - **Fenced**, once the switch is seen (and from the start where fences
//!   are not cheap): the park stores `FULL`, then fences (`SeqCst`). Of the
//!   park's fence and the look's, whichever comes second in their single
//!   total order sees the other side's store: the caller's read sees the
//!   debt (or the flag), or the look sees `FULL`.
//!
//! So a pool that never has a waiter pays one atomic read-modify-write per
//! get + put (the get's compare-exchange), and a pool that has had one pays
//! one `membarrier` and a fence per put from then on (on x86-64 the fence
//! is a locked instruction, as the swap that parked items before). A
//! `membarrier` per waiter instead was tried before, and made a pool whose
//! threads often wait several times slower per get.
//!
//! Only fences order the two sides, never `SeqCst` operations, which loom
//! models as Acquire and Release; and nothing but the owner writes the
//! state while it is `EMPTY` (a look only reads it), since loom orders a
//! plain store racing
//! another thread's read-modify-write of the same word loosely (it let the
//! owner read the older value after its own store, which the memory model
//! forbids). Under loom and Miri the light fence is a `SeqCst` one, so
//! their models check the fenced protocol and the switch, and the
//! asymmetric step rests on `pool_core::engine::barrier`'s argument, as
//! the per-thread layer's owned references do.
//!
//! Who owns a slot is the per-thread layer's business
//! (`pool_core::engine::per_thread`): it hands a slot's shared half to one thread
//! at a time (the thread's slot until it exits, then the next new thread's).
//! [`Mine`] is made only from that hand-out ([`mine`]) and is not `Send`,
//! so the owner-only operations cannot run on two threads at once.

use std::marker::PhantomData;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};

use pool_core::engine::barrier;
use pool_core::engine::per_thread::{self, PerThread, PerThreadRef, ThreadState};
use pool_core::engine::words::{store_words, take_words};

use crate::sync::{AtomicU8, UnsafeCell, fence};
use crate::wait_queue::Idle;

const EMPTY: u8 = 0;
const FULL: u8 = 1;
const BUSY: u8 = 2;

/// [`Parks`]: a light fence after a park's store.
const LIGHT: u8 = 0;
/// [`Parks`]: a look is switching the pool to fenced parks (its heavy
/// fence may not have run yet).
const SWITCHING: u8 = 1;
/// [`Parks`]: a `SeqCst` fence after a park's store, for good.
const FENCED: u8 = 2;

/// How the owners of a pool's slots order a park's store before their
/// read of the debts: with a light fence until the first look that no
/// park may miss, with a `SeqCst` fence from then on (see the module
/// docs). One per pool, read by every park, written at most twice.
pub(crate) struct Parks(AtomicU8);

impl Parks {
    /// Light parks where the light fence is free (and under loom and
    /// Miri, whose light fence is a full one), else fenced from the start.
    pub(crate) fn new() -> Self {
        let light = cfg!(any(pool_loom, miri)) || barrier::asymmetric();
        Parks(AtomicU8::new(if light { LIGHT } else { FENCED }))
    }

    /// Whether parks are light (a snapshot).
    #[inline(always)]
    fn light(&self) -> bool {
        self.0.load(Relaxed) == LIGHT
    }

    /// After a park's store: whether a light fence orders it, as parks are
    /// still light when read after that fence (every look that no park may
    /// miss then comes after the store: its switch's heavy fence ran after
    /// it). False: the caller fences for real. The first read skips the
    /// light fence where it would not do.
    #[inline(always)]
    fn light_after_store(&self) -> bool {
        self.light() && {
            barrier::light();
            self.light()
        }
    }

    /// Before a look that no later park may miss
    /// (`FixedPool::steal_after_fence`): switches the pool to fenced
    /// parks, once (a store and a heavy fence); nothing after that.
    ///
    /// # Panics
    ///
    /// As `pool_core::engine::barrier::heavy`, which the kernel does not
    /// do; callers switch before they take anything.
    pub(crate) fn switch_to_fenced(&self) {
        if self.0.load(Acquire) == FENCED {
            // Switched, heavy fence and all (Acquire: after it).
            return;
        }
        // From light only: a switch already made stays made.
        let _ = self.0.compare_exchange(LIGHT, SWITCHING, Relaxed, Relaxed);
        barrier::heavy();
        self.0.store(FENCED, Release);
    }
}

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
    /// dry looking for an idle item, or a look that no park may miss,
    /// after its fence: see the module docs).
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
    /// parked already or a thief is still reading one. `parks` says how
    /// the store is ordered before the caller's read of the debts and the
    /// flag (see the module docs).
    #[inline]
    pub(crate) fn park(self, idle: Idle<T>, parks: &Parks) -> Result<(), Idle<T>> {
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
        // Release publishes the item.
        self.slot.state.store(FULL, Release);
        if !parks.light_after_store() {
            // The caller's read of the debts and the flag must not pass
            // the store (see the module docs).
            fence(SeqCst);
        }
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

    /// Both kinds of park: light (a pool that never had a waiter) and
    /// fenced (after the switch, or where fences are not cheap).
    fn both_parks() -> [Parks; 2] {
        [Parks(AtomicU8::new(LIGHT)), Parks(AtomicU8::new(FENCED))]
    }

    #[test]
    fn park_take_steal_each_move_the_item_once() {
        for parks in both_parks() {
            let slot = Slot::new();
            let me = Mine {
                slot: &slot,
                _owner: PhantomData,
            };
            assert!(me.take().is_none());
            assert!(me.park(idle(1), &parks).is_ok());
            assert!(slot.is_full());
            // A second park finds it full and hands the item back.
            assert_eq!(me.park(idle(2), &parks).unwrap_err().item, [2]);
            assert_eq!(me.take().unwrap().item, [1]);
            assert!(me.take().is_none() && slot.steal().is_none());
            assert!(me.park(idle(3), &parks).is_ok());
            let stolen = std::thread::scope(|s| s.spawn(|| slot.steal()).join().unwrap());
            assert_eq!(stolen.unwrap().item, [3]);
            assert!(!slot.is_full() && me.take().is_none());
            // The slot is empty again: the owner may park.
            assert!(me.park(idle(4), &parks).is_ok());
            // A look after a park finds the item, in either kind.
            parks.switch_to_fenced();
            assert_eq!(slot.steal().unwrap().item, [4]);
            assert!(me.park(idle(5), &parks).is_ok());
            drop(slot); // frees the parked item (Miri checks it is not leaked)
        }
    }

    /// The switch goes one way, once: light parks become fenced and stay
    /// fenced, however often a look asks again.
    #[test]
    fn parks_switch_to_fenced_once_and_for_good() {
        let [light, fenced] = both_parks();
        assert!(light.light() && light.light_after_store());
        assert!(!fenced.light() && !fenced.light_after_store());
        for _ in 0..3 {
            light.switch_to_fenced();
            assert!(!light.light_after_store());
            assert_eq!(light.0.load(Relaxed), FENCED);
        }
        fenced.switch_to_fenced();
        assert_eq!(fenced.0.load(Relaxed), FENCED);
        // A new pool parks lightly wherever the light fence is free.
        assert_eq!(
            Parks::new().light(),
            cfg!(miri) || pool_core::engine::barrier::asymmetric()
        );
    }
}
