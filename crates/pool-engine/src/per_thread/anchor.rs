//! [`PerThreadRef`]: a counted reference to a pool that outlives its
//! handle, counted per thread (see the
//! [implementation notes](crate::implementation#owned-references-counted-per-thread)).

use std::cell::Cell;
use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use super::{BIAS, Inner, PerThread, Slot, ThreadState};
use crate::barrier::Gate;
use crate::sync::{Arc, AtomicUsize, lock, spin_until};

/// The low bit of a slot's word: its thread is releasing a reference
/// (and has not yet read whether the handle is gone, or acted on it).
const BUSY: usize = 1;

/// One reference in a slot's word (above the [`BUSY`] bit).
const ONE: usize = 2;

/// Counts one reference taken by the thread that owns `slot` (or,
/// without a slot, centrally).
#[inline(always)]
pub(super) fn take_in<G: ThreadState>(inner: &Inner<G>, slot: Option<&Slot<G>>) {
    // Read-mostly: written by the first take only. The handle's drop,
    // which happens after every take through the handle (and a take
    // through a reference's ghost needs a reference taken so before),
    // skips its fence and its wait if no use was noted.
    inner.gate.note_use();
    match slot {
        // A plain load and store: only this thread writes its slot's word
        // (its releases included), and no release of its is under way.
        Some(slot) => {
            let word = slot.anchors.load(Relaxed);
            slot.anchors.store(word.wrapping_add(ONE), Relaxed);
        }
        None => {
            inner.anchors.fetch_add(1, Relaxed);
        }
    }
}

/// Counts one reference released by the thread whose slot's word is
/// `word` (or centrally); true if it was the last one and the handle is
/// gone: the caller frees the pool.
///
/// It reaches only atomics (the gate, the central count, the slot's word):
/// once another thread's release is the last, that thread frees the pool
/// while this call may not have returned yet, and a reference argument to
/// anything but atomics would then point into freed memory.
#[inline(always)]
fn release_in(gate: &Gate, central: &AtomicUsize, word: Option<&AtomicUsize>) -> bool {
    if let Some(anchors) = word {
        // Only this thread writes the word: plain stores (see the module
        // docs for the order the fence keeps).
        let word = anchors.load(Relaxed);
        anchors.store(word | BUSY, Relaxed);
        let dead = gate.closed_after_fence();
        // Release: what this thread did with the pool happens before the
        // handle's drop reads the word (it waits for `BUSY` to clear). If
        // the handle is gone, its drop counted the reference in this
        // word's sum (or will): leave it there, count down centrally.
        anchors.store(if dead { word } else { word.wrapping_sub(ONE) }, Release);
        if !dead {
            return false;
        }
    }
    // The handle is gone (or there is no slot): central. AcqRel: the
    // release that reaches zero sees everything done before the others.
    central.fetch_sub(1, AcqRel) == 1
}

impl<G: ThreadState> PerThread<G> {
    /// Calls `f` with the calling thread's slot, as [`with`](Self::with),
    /// then counts one owned reference to the pool in it: the reference
    /// keeps the pool's memory (its shared part and every slot) alive after
    /// this handle is dropped, until it is released. Nothing is counted if
    /// `f` panics.
    #[inline(always)]
    pub fn with_anchor<R>(&self, f: impl FnOnce(Option<&Slot<G>>) -> R) -> (R, PerThreadRef<G>) {
        let r = self.with(
            #[inline(always)]
            |slot| {
                let r = f(slot);
                // Through a ghost (a reference's copy, which no handle's drop
                // waits for): centrally, with a read-modify-write. The count
                // is at least one then (the reference's own), so it never
                // passes through zero.
                take_in(&self.inner, if self.is_ghost() { None } else { slot });
                r
            },
        );
        (r, PerThreadRef::counted(self))
    }

    /// [`shared_slot`](Self::shared_slot) and a counted reference, from one
    /// per-thread lookup (an owned get that needs both).
    #[inline(always)]
    pub fn shared_slot_anchored(&self) -> (Option<&G::Shared>, PerThreadRef<G>) {
        let (shared, r) = self.with_anchor(|slot| slot.map(|s| std::ptr::from_ref(s.shared())));
        // SAFETY: as `shared_slot`: slots are boxed and never freed or moved
        // while the pool lives, and `&self` keeps the pool alive; `G::Shared`
        // is `Sync`, so sharing the reference with any thread is sound.
        (shared.map(|p| unsafe { &*p }), r)
    }
}

/// A counted reference to a [`PerThread`] that outlives its handle; see
/// the [implementation notes](crate::implementation#owned-references-counted-per-thread).
///
/// It reaches the shared part ([`global`](Self::global)) and the calling
/// thread's slot ([`release_with`](Self::release_with)), never the handle
/// itself: references are only taken through a handle, which is what
/// makes taking one a plain store.
pub struct PerThreadRef<G: ThreadState> {
    /// A ghost copy of the handle: owns no strong count (the reference's
    /// count keeps the memory alive), and its drop does nothing.
    ghost: PerThread<G>,
}

/// A ghost copy of `pool`: the same pool, no strong count of its own.
///
/// # Safety
///
/// The caller holds a counted reference to `pool` for as long as the copy
/// (and every reference reached through it) is used.
#[inline]
unsafe fn ghost_of<G: ThreadState>(pool: &PerThread<G>) -> PerThread<G> {
    // SAFETY: the pointer comes from a live `Arc`, and the caller's count
    // keeps its allocation alive while the copy is used; a ghost's drop
    // never gives back the strong count it does not own (`ManuallyDrop`).
    let inner = unsafe { Arc::from_raw(Arc::as_ptr(&pool.inner)) };
    PerThread {
        id: pool.id | super::GHOST_COPY_BIT,
        inner: ManuallyDrop::new(inner),
    }
}

impl<G: ThreadState> PerThreadRef<G> {
    /// The reference just counted through `pool`.
    #[inline]
    pub(super) fn counted(pool: &PerThread<G>) -> Self {
        PerThreadRef {
            // SAFETY: the count was just taken; this reference holds it.
            ghost: unsafe { ghost_of(pool) },
        }
    }

    /// The pool's shared part.
    #[inline]
    pub fn global(&self) -> &G {
        self.ghost.global()
    }

    /// The pool, reached through this reference: everything a handle
    /// does, for as long as the reference lives. References taken through
    /// it ([`PerThread::with_anchor`]) count centrally, with a
    /// read-modify-write, since no handle's drop waits for them.
    #[inline]
    pub fn pool(&self) -> &PerThread<G> {
        &self.ghost
    }

    /// Calls `f` with the shared part and the calling thread's slot (as
    /// [`PerThread::with`]), then releases the reference, in the same
    /// thread-local access. If this was the last reference and the handle
    /// is gone, the pool is freed after `f` returns (or unwinds).
    #[inline]
    pub fn release_with<R>(self, f: impl FnOnce(&G, Option<&Slot<G>>) -> R) -> R {
        let this = ManuallyDrop::new(self);
        release(&this.ghost, f)
    }

    /// As [`release_with`](Self::release_with), with the pool itself (as
    /// [`pool`](Self::pool) reaches it) in place of its shared part: for
    /// a strategy whose give-back is a method of its pool type, a
    /// `repr(transparent)` wrapper around a [`PerThread`]. The pool is
    /// reachable until `f` returns; if this was the last reference and
    /// the handle is gone, it is freed after.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_engine::{PerThread, ThreadState};
    ///
    /// struct Noisy;
    /// impl ThreadState for Noisy {
    ///     type Owned = ();
    ///     type Shared = ();
    ///     fn new_owned(&self) {}
    ///     fn new_shared(&self) {}
    ///     fn thread_exited(&self, (): (), (): &()) {}
    /// }
    ///
    /// let pool = PerThread::new(Noisy);
    /// let ((), held) = pool.with_anchor(|_slot| ());
    /// drop(pool);
    /// let threads = held.release_through(|pool, slot| {
    ///     assert!(slot.is_some(), "this thread has a slot");
    ///     pool.threads()
    /// });
    /// assert_eq!(threads, 1);
    /// ```
    #[inline]
    pub fn release_through<R>(self, f: impl FnOnce(&PerThread<G>, Option<&Slot<G>>) -> R) -> R {
        let this = ManuallyDrop::new(self);
        release(&this.ghost, |_, slot| f(&this.ghost, slot))
    }
}

/// Calls `f` in the calling thread's slot of `ghost`, then releases one
/// reference; frees the pool if it was the last and the handle is gone.
/// Panic-safe: the release and the free happen on unwind too.
#[inline]
fn release<G: ThreadState, R>(
    ghost: &PerThread<G>,
    f: impl FnOnce(&G, Option<&Slot<G>>) -> R,
) -> R {
    struct Freeing<'a, G: ThreadState> {
        inner: &'a Arc<Inner<G>>,
        last: Cell<bool>,
    }
    impl<G: ThreadState> Drop for Freeing<'_, G> {
        fn drop(&mut self) {
            if self.last.get() {
                // SAFETY: the last reference was released and the handle is
                // gone, so the strong count the handle's drop left for the
                // references is ours to give back, and nobody else reaches
                // the pool any more.
                drop(unsafe { Arc::from_raw(Arc::as_ptr(self.inner)) });
            }
        }
    }
    /// Releases the reference when dropped, after `f` and the slot lookup
    /// have returned, so that no reference argument into the pool is live
    /// when another thread's release frees it. If `f` unwinds, the slot's
    /// word is not known here and the reference is released centrally,
    /// which counts the same (the sum over the slots and the central
    /// count is what is out).
    struct Releasing<'a, G: ThreadState> {
        /// The pool, reached only by its atomics' places.
        inner: *const Inner<G>,
        /// The calling thread's slot word, null without a slot.
        word: *const AtomicUsize,
        last: &'a Cell<bool>,
    }
    impl<G: ThreadState> Drop for Releasing<'_, G> {
        #[inline]
        fn drop(&mut self) {
            // SAFETY: the pool, and so its slots, live until the release
            // counted here (this reference is not released before it);
            // the references made are to atomics only.
            let (gate, central, word) = unsafe {
                (
                    &(*self.inner).gate,
                    &(*self.inner).anchors,
                    self.word.as_ref(),
                )
            };
            self.last.set(release_in(gate, central, word));
        }
    }

    let freeing = Freeing {
        inner: &ghost.inner,
        last: Cell::new(false),
    };
    let mut releasing = Releasing {
        inner: Arc::as_ptr(&ghost.inner),
        word: std::ptr::null(),
        last: &freeing.last,
    };
    let (r, word) = ghost.with(|slot| {
        let word = slot.map_or(std::ptr::null(), |s| std::ptr::from_ref(&s.anchors));
        (f(ghost.global(), slot), word)
    });
    releasing.word = word;
    drop(releasing);
    drop(freeing);
    r
}

impl<G: ThreadState> Drop for PerThreadRef<G> {
    fn drop(&mut self) {
        release(&self.ghost, |_, _| ());
    }
}

impl<G: ThreadState> fmt::Debug for PerThreadRef<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerThreadRef")
            .field("id", &self.ghost.id())
            .finish_non_exhaustive()
    }
}

impl<G: ThreadState> Drop for PerThread<G> {
    /// The handle goes: switch every slot to central counting, add up what
    /// they hold, and free the pool now if nothing is out (else the last
    /// reference does).
    #[inline]
    fn drop(&mut self) {
        // A reference's copy: nothing to settle, no count to give back
        // (checked inline: ghosts are dropped on every owned guard's drop).
        if !self.is_ghost() {
            self.drop_handle();
        }
    }
}

impl<G: ThreadState> PerThread<G> {
    /// The handle's drop: see [`Drop`].
    #[inline(never)]
    fn drop_handle(&mut self) {
        let in_slots = {
            let slots = lock(&self.inner.slots);
            // Closing fences (if a reference was ever taken): a release
            // that read the gate open marked its word busy before, and the
            // wait below sees the mark; one that reads it after sees it
            // closed.
            if self.inner.gate.close() {
                slots.all.iter().fold(0usize, |sum, slot| {
                    // The word is twice a count that may be below zero.
                    let word = idle_word(&slot.anchors);
                    sum.wrapping_add(((word as isize) >> 1) as usize)
                })
            } else {
                // No reference was ever taken: every word is zero, and no
                // release can be under way.
                0
            }
        };
        // The references' own strong count, taken before they can see the
        // central count reach zero.
        let kept = Arc::into_raw(Arc::clone(&self.inner));
        let delta = in_slots.wrapping_sub(BIAS);
        let left = self
            .inner
            .anchors
            .fetch_add(delta, AcqRel)
            .wrapping_add(delta);
        if left == 0 {
            // SAFETY: `kept` was made just above by `into_raw`, and with
            // nothing out no reference will give it back.
            drop(unsafe { Arc::from_raw(kept) });
        }
        // SAFETY: the handle's own strong count, given back once, here;
        // `inner` is not used after this.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

/// A slot's word once no release is under way on it (Acquire: the
/// release's use of the pool happens before what the caller does next).
/// A release's window holds no user code and no lock, so the wait is a
/// few instructions long, unless the releasing thread is preempted in it.
fn idle_word(word: &AtomicUsize) -> usize {
    spin_until(|| {
        let w = word.load(Acquire);
        (w & BUSY == 0).then_some(w)
    })
}
