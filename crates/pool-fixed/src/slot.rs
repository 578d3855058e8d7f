//! The crate's `unsafe` (but for `FixedPool::around`, a cast): each
//! thread's slot, one idle item kept inline beside a state word.
//!
//! A slot is `EMPTY`, `FULL` or `BUSY`:
//!
//! - only the thread that owns the slot fills it ([`Mine::park`]): it
//!   writes the item into an `EMPTY` slot, then publishes it by storing
//!   `FULL`;
//! - the owner takes it back ([`Mine::take`]): it moves the state from
//!   `FULL` to `EMPTY` and reads the item (how, below); once the slot is
//!   `EMPTY` only its owner writes the item, and the owner is the reader;
//! - any thread steals ([`Slot::steal`]) by a compare-exchange from `FULL`
//!   to `BUSY`, reads the item, and swaps `EMPTY` back when done, so the
//!   owner never writes while a thief reads.
//!
//! Every hand-over of the item is a Release (the store of `FULL`, the swap
//! back to `EMPTY`) read by an Acquire (the compare-exchanges, and the
//! park's look at `EMPTY`), so each reader sees the item as its writer left
//! it. The previous designs parked the item in a box swapped in and out of
//! an atomic pointer (two exchanges and a dependent load per get and put),
//! then inline with a compare-exchange to take it and a swap to park it.
//!
//! # Light until another thread looks
//!
//! Two things need an order between a store and a later load on both
//! sides (Dekker's pattern), where either side missing the other's store
//! would be a bug:
//!
//! - **A park and a look that must not miss it.** A waiter that has
//!   registered its debt, or `close` that has set its flag, then looks in
//!   every slot (`FixedPool::steal_after_fence`); a put, once parked,
//!   reads the debts and the flag and takes its item back to the shared
//!   path if it sees either. Missing each other, an item would stay
//!   parked, unseen, while a waiter sleeps.
//! - **An owner's take and a steal.** The owner marks its slot `taking`,
//!   then reads the state; a thief reads `taking` before its
//!   compare-exchange. Missing each other, both would hold the item.
//!
//! The looking side (waiters, `close`, `renew`, thieves) is rare; the
//! owner's side runs on every get and put. So the pool starts **light**
//! ([`Fencing`], where the asymmetric fences are cheap:
//! `pool_engine::barrier::asymmetric`; and under loom and Miri, to
//! check it): the owner orders its store and load with a light fence (a
//! compiler fence) and reads `Fencing` again after it; a thread that is
//! about to look or steal first switches `Fencing` to **full**: a store,
//! then a heavy fence (`membarrier`), once per pool. If the owner still
//! reads light after its store, the heavy fence ran after that store, and
//! the look or steal, which comes after the heavy fence, sees it: the
//! parked item, or the `taking` mark (the thief waits it out: a few
//! instructions, no user code). If the owner reads the switch (made or
//! under way), it falls back to the full protocol:
//!
//! - a park stores `FULL`, then fences (`SeqCst`); the look fences
//!   (`SeqCst`) between the waiter's debt (or `close`'s flag) and its
//!   loads, so of the two fences, whichever comes second in their single
//!   total order sees the other side's store;
//! - a take is a compare-exchange from `FULL` to `EMPTY`, which a thief's
//!   compare-exchange from `FULL` to `BUSY` cannot both win.
//!
//! So a pool that no other thread has looked into pays no atomic
//! read-modify-write and no fence per get + put, and one that has had a
//! waiter or a thief pays one `membarrier`, then a compare-exchange per
//! get and a fence per put (on x86-64 both locked instructions) from then
//! on. A `membarrier` per waiter instead was tried before, and made a pool
//! whose threads often wait several times slower per get.
//!
//! Only fences order the two sides, never `SeqCst` operations, which loom
//! models as Acquire and Release; and no other thread writes the state
//! while the owner may store to it without reading it first (a look only
//! reads, a thief's compare-exchange comes after the owner's `taking` is
//! cleared), since loom orders a plain store racing another thread's
//! read-modify-write of the same word loosely (it let the owner read the
//! older value after its own store, which the memory model forbids).
//! Under loom and Miri the light fence is a `SeqCst` one, so their models
//! check the protocol with symmetric fences and the switch, and the
//! asymmetric step rests on `pool_engine::barrier`'s argument, as
//! the per-thread layer's owned references do.
//!
//! Who owns a slot is the per-thread layer's business
//! (`pool_engine::PerThread`): it hands a slot's shared half to one thread
//! at a time (the thread's slot until it exits, then the next new thread's).
//! [`Mine`] is made only from that hand-out ([`mine`]) and is not `Send`,
//! so the owner-only operations cannot run on two threads at once.

use std::marker::PhantomData;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};

use pool_core::strategy::words::{store_words, take_words};
use pool_engine::barrier;
use pool_engine::{PerThread, PerThreadRef, Slot as EngineSlot, ThreadState};

use crate::sync::{AtomicBool, AtomicU8, UnsafeCell, fence, spin_until};
use crate::wait_queue::Idle;

const EMPTY: u8 = 0;
const FULL: u8 = 1;
const BUSY: u8 = 2;

/// [`Fencing`]: light fences on the owner's side.
const LIGHT: u8 = 0;
/// [`Fencing`]: a thread is switching the pool to full fencing (its heavy
/// fence may not have run yet).
const SWITCHING: u8 = 1;
/// [`Fencing`]: full fences and compare-exchanges on the owner's side,
/// for good.
const FULL_FENCING: u8 = 2;

/// How the owners of a pool's slots order their stores and loads against
/// the threads that look into or steal from their slots: with light
/// fences until the first such thread, fully from then on (see the module
/// docs). One per pool, read by every get and put, written at most twice.
pub(crate) struct Fencing(AtomicU8);

impl Fencing {
    /// Light where the light fence is free (and under loom and Miri, whose
    /// light fence is a full one), else full from the start.
    pub(crate) fn new() -> Self {
        let light = cfg!(any(pool_loom, miri)) || barrier::asymmetric();
        Fencing(AtomicU8::new(if light { LIGHT } else { FULL_FENCING }))
    }

    /// Whether the owners' side is light (a snapshot).
    #[inline(always)]
    fn light(&self) -> bool {
        self.0.load(Relaxed) == LIGHT
    }

    /// After the owner's store, in a pool it read as light: a light
    /// fence, then whether the pool is still light (every look and steal
    /// then comes after the store: the switch's heavy fence ran after it).
    /// False: the caller takes the full path.
    #[inline(always)]
    fn still_light_after_fence(&self) -> bool {
        barrier::light();
        self.light()
    }

    /// Before a look that no later park may miss
    /// (`FixedPool::steal_after_fence`) or a steal: switches the pool to
    /// full fencing, once (a store and a heavy fence); nothing after that.
    ///
    /// # Panics
    ///
    /// As `pool_engine::barrier::heavy`, which the kernel does not
    /// do; callers switch before they take anything.
    #[inline]
    pub(crate) fn switch_to_full(&self) {
        if self.0.load(Acquire) == FULL_FENCING {
            // Switched, heavy fence and all (Acquire: after it).
            return;
        }
        self.switch_slow();
    }

    #[cold]
    fn switch_slow(&self) {
        // From light only: a switch already made stays made.
        let _ = self.0.compare_exchange(LIGHT, SWITCHING, Relaxed, Relaxed);
        barrier::heavy();
        self.0.store(FULL_FENCING, Release);
    }
}

/// One thread's idle item, if any; see the module docs for the protocol.
pub(crate) struct Slot<T> {
    /// `EMPTY`: no item, and only the owner may write one. `FULL`: an item
    /// is there for its owner or a thief. `BUSY`: a thief is reading it.
    state: AtomicU8,
    /// The owner is taking its item lightly (module docs): a thief waits
    /// until it is clear before its compare-exchange. Written by the owner
    /// only.
    taking: AtomicBool,
    /// `Some` exactly while the state is `FULL` or `BUSY` (and, in the
    /// owner's hands, between its write and its store of `FULL`).
    item: UnsafeCell<Option<Idle<T>>>,
}

// SAFETY: the item is written only by the slot's owner, while the state
// is `EMPTY` (and no thief is reading: thieves read only under `BUSY`,
// and store `EMPTY` after), and read only by the one caller that moved
// the state out of `FULL`: a thief's compare-exchange, the owner's, or the
// owner's light take, which no thief's compare-exchange overlaps (a thief
// waits for `taking` to clear, and one that read it clear before the
// take came after the switch the take read as not made: module docs).
// Each hand-over is a Release/Acquire pair on `state` (or on `taking`).
// So sharing a slot only moves `T` values between threads, which
// `T: Send` allows.
#[allow(unsafe_code)]
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    pub(crate) fn new() -> Self {
        Slot {
            state: AtomicU8::new(EMPTY),
            taking: AtomicBool::new(false),
            item: UnsafeCell::new(None),
        }
    }

    /// Whether an item is parked (a snapshot).
    pub(crate) fn is_full(&self) -> bool {
        self.state.load(Acquire) == FULL
    }

    /// Takes the parked item, from any thread (a thread whose queue ran
    /// dry looking for an idle item, or a look that no park may miss,
    /// after its fence). The caller has switched `fencing` to full first
    /// (see the module docs).
    pub(crate) fn steal(&self) -> Option<Idle<T>> {
        if self.state.load(Acquire) != FULL {
            return None;
        }
        // An owner's light take that began before the switch may still
        // run: wait it out (a few instructions, no user code), then the
        // compare-exchange sees its `EMPTY` (Acquire: after it).
        spin_until(|| (!self.taking.load(Acquire)).then_some(()));
        if self
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

/// How a park was ordered (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parked {
    /// Lightly, in a pool still light after the store: every look that no
    /// park may miss comes after it and finds the item, so the caller reads
    /// no debt and no flag.
    Light,
    /// With a full fence: the caller reads the debts and the flag, and
    /// takes the item back to the shared path if it sees either.
    Fenced,
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
/// at a time, the thread that owns it (see `pool_engine::PerThread`).
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
pub(crate) fn mine_in<T, G>(slot: Option<&EngineSlot<G>>) -> Own<'_, T, G>
where
    G: ThreadState,
    G::Shared: AsRef<Slot<T>>,
{
    own::<T, G>(slot.map(EngineSlot::shared))
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
    /// Takes this thread's parked item, if a thief did not: lightly (a
    /// mark, a compiler fence and plain stores) while `fencing` is light,
    /// with a compare-exchange after (see the module docs).
    #[inline]
    pub(crate) fn take(self, fencing: &Fencing) -> Option<Idle<T>> {
        if self.slot.state.load(Relaxed) != FULL {
            return None;
        }
        if fencing.light() {
            self.slot.taking.store(true, Relaxed);
            if fencing.still_light_after_fence() {
                // No thief's compare-exchange overlaps this (module docs):
                // the state is ours to move, and it is `FULL` (only a
                // thief would have changed it).
                self.slot.state.store(EMPTY, Relaxed);
                // SAFETY: as below: the state was `FULL` and is `EMPTY`
                // now, moved by us alone (a thief waits for `taking`).
                #[allow(unsafe_code)]
                let idle = self.slot.item.with_mut(|p| take_words(unsafe { &mut *p }));
                // Release: a thief that waited for the mark sees `EMPTY`.
                self.slot.taking.store(false, Release);
                return idle;
            }
            self.slot.taking.store(false, Release);
        }
        if self
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
        // moments ago (`pool_core::strategy::words`).
        #[allow(unsafe_code)]
        self.slot.item.with_mut(|p| take_words(unsafe { &mut *p }))
    }

    /// Parks `idle` if the slot is empty; hands it back if an item is
    /// parked already or a thief is still reading one. `fencing` says how
    /// the store is ordered (see the module docs), and the result whether
    /// the caller must then read the debts and the flag.
    #[inline]
    pub(crate) fn park(self, idle: Idle<T>, fencing: &Fencing) -> Result<Parked, Idle<T>> {
        if self.slot.state.load(Acquire) != EMPTY {
            return Err(idle);
        }
        // SAFETY: the state is `EMPTY` (the Acquire load saw the last
        // thief's Release swap to it, so its read is over), and only the
        // owner, this thread, moves a slot out of `EMPTY`: nobody else
        // touches the item until the store below publishes it.
        #[allow(unsafe_code)]
        // Written in words: see `pool_core::strategy::words`.
        self.slot
            .item
            .with_mut(|p| store_words(unsafe { &mut *p }, Some(idle)));
        // Release publishes the item.
        self.slot.state.store(FULL, Release);
        if fencing.light() && fencing.still_light_after_fence() {
            return Ok(Parked::Light);
        }
        // The caller's read of the debts and the flag must not pass the
        // store (see the module docs).
        fence(SeqCst);
        Ok(Parked::Fenced)
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

    /// The test thread as the slot's owner.
    fn owner_of<T>(slot: &Slot<T>) -> Mine<'_, T> {
        Mine {
            slot,
            _owner: PhantomData,
        }
    }

    /// Both kinds of fencing: light (a pool no other thread has looked
    /// into) and full (after the switch, or where fences are not cheap).
    /// Each test switches a light one before it steals, as thieves do.
    fn both_fencings() -> [Fencing; 2] {
        [
            Fencing(AtomicU8::new(LIGHT)),
            Fencing(AtomicU8::new(FULL_FENCING)),
        ]
    }

    #[test]
    fn park_take_steal_each_move_the_item_once() {
        for fencing in both_fencings() {
            let slot = Slot::new();
            let me = owner_of(&slot);
            assert!(me.take(&fencing).is_none());
            let how = if fencing.light() {
                Parked::Light
            } else {
                Parked::Fenced
            };
            assert_eq!(me.park(idle(1), &fencing).ok(), Some(how));
            assert!(slot.is_full());
            // A second park finds it full and hands the item back.
            assert_eq!(me.park(idle(2), &fencing).unwrap_err().item, [2]);
            assert_eq!(me.take(&fencing).unwrap().item, [1]);
            assert!(me.take(&fencing).is_none());
            // Thieves switch the pool before they steal (module docs).
            fencing.switch_to_full();
            assert!(slot.steal().is_none());
            assert!(me.park(idle(3), &fencing).is_ok());
            let stolen = std::thread::scope(|s| s.spawn(|| slot.steal()).join().unwrap());
            assert_eq!(stolen.unwrap().item, [3]);
            assert!(!slot.is_full() && me.take(&fencing).is_none());
            // The slot is empty again: the owner may park.
            assert!(me.park(idle(4), &fencing).is_ok());
            // A look after a park finds the item.
            assert_eq!(slot.steal().unwrap().item, [4]);
            assert!(me.take(&fencing).is_none());
            assert!(me.park(idle(5), &fencing).is_ok());
            drop(slot); // frees the parked item (Miri checks it is not leaked)
        }
    }

    /// The switch goes one way, once: light fencing becomes full and stays
    /// full, however often a look or a steal asks again.
    #[test]
    fn fencing_switches_to_full_once_and_for_good() {
        let [light, full] = both_fencings();
        assert!(light.light() && light.still_light_after_fence());
        assert!(!full.light() && !full.still_light_after_fence());
        for _ in 0..3 {
            light.switch_to_full();
            assert!(!light.still_light_after_fence());
            assert_eq!(light.0.load(Relaxed), FULL_FENCING);
        }
        full.switch_to_full();
        assert_eq!(full.0.load(Relaxed), FULL_FENCING);
        // A new pool is light wherever the light fence is free.
        assert_eq!(
            Fencing::new().light(),
            cfg!(miri) || pool_engine::barrier::asymmetric()
        );
    }

    /// A light take never leaves its mark behind, found or not, and a
    /// thief after it finds nothing to take.
    #[test]
    fn a_light_take_clears_its_mark() {
        let [light, _] = both_fencings();
        let slot = Slot::new();
        let me = owner_of(&slot);
        assert!(me.take(&light).is_none());
        assert_eq!(me.park(idle(7), &light).ok(), Some(Parked::Light));
        assert_eq!(me.take(&light).unwrap().item, [7]);
        assert!(!slot.taking.load(Relaxed) && !slot.is_full());
        light.switch_to_full();
        assert!(slot.steal().is_none());
    }
}
