//! What a [`FixedPool`]'s guards call: the [`Recycle`] hooks of borrowed
//! guards, and [`FixedAnchor`], the pool's stand-in in owned guards.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering::Acquire;

use pool_core::Reset;
use pool_core::strategy::Recycle;
use pool_core::strategy::words::move_words;
use pool_engine::{PerThread, PerThreadRef};

use crate::FixedPool;
use crate::pool::FixedTicket;
use crate::state::FixedState;

impl<T: Reset + Send + 'static> FixedPool<T> {
    /// This thread's parked item and an anchor for its owned guard, from
    /// one per-thread lookup; `None` (nothing counted) when the slot had
    /// nothing, for the getter's slow path.
    #[inline(always)]
    pub(crate) fn take_own_anchored(&self) -> Option<(T, FixedTicket, FixedAnchor<T>)> {
        let (local, r) = self.local_anchored();
        // Read in words: see `pool_core::strategy::words`.
        let (item, ticket) = move_words(self.take_own(local))?;
        Some((item, ticket, Self::anchor_of(r)))
    }

    /// An anchor for an owned guard: a hold on the pool counted in this
    /// thread's slot (no shared counter), that reaches the whole pool
    /// after its last handle is dropped.
    #[inline(always)]
    pub(crate) fn anchored(&self) -> FixedAnchor<T> {
        let ((), r) = self.threads.with_anchor(|_| ());
        Self::anchor_of(r)
    }

    /// The anchor an owned guard holds, around a counted reference.
    #[inline(always)]
    pub(crate) fn anchor_of(r: PerThreadRef<FixedState<T>>) -> FixedAnchor<T> {
        FixedAnchor(r)
    }

    /// The pool whose per-thread layer `threads` is: the same memory,
    /// seen as the wrapper around it (a counted reference reaches the
    /// layer; the give-back is a method of the pool).
    #[inline(always)]
    pub(crate) fn around(threads: &PerThread<FixedState<T>>) -> &FixedPool<T> {
        // SAFETY: `FixedPool` is `repr(transparent)` over its only field,
        // a `PerThread<FixedState<T>>`, so a reference to one is a valid
        // reference to the other, for the same lifetime.
        #[allow(unsafe_code)]
        unsafe {
            &*std::ptr::from_ref(threads).cast::<FixedPool<T>>()
        }
    }
}

impl<T: Reset + Send + 'static> Recycle for FixedPool<T> {
    type Item = T;
    type Ticket = FixedTicket;
    type Anchor = FixedAnchor<T>;
    fn anchor(self: &Arc<Self>) -> FixedAnchor<T> {
        self.anchored()
    }
    #[inline(always)]
    fn recycle(&self, item: T, ticket: FixedTicket) {
        self.put(item, ticket);
    }
    /// The item left for good: a replacement is owed, to the oldest waiter
    /// first, so the pool keeps `capacity` items.
    fn note_detached(&self, _ticket: FixedTicket) {
        self.local().add(|c| &c.detached, 1);
        // Stale or not, the item is gone from the pool: a replacement is owed.
        if !self.state().closed.load(Acquire) {
            self.state().owe(1);
        }
    }
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.state().leaks.as_deref()
    }
}

/// What an owned guard of a [`FixedPool`] holds in place of the pool: a
/// hold on the pool's memory counted per thread (no shared counter), that
/// takes the item back (or hands it to a waiter) when the guard drops.
pub struct FixedAnchor<T: Reset + Send + 'static>(pub(crate) PerThreadRef<FixedState<T>>);

impl<T: Reset + Send + 'static> FixedAnchor<T> {
    /// The pool this anchor holds (through a handle that owns no count).
    #[inline]
    pub(crate) fn pool(&self) -> &FixedPool<T> {
        FixedPool::around(self.0.pool())
    }
}

impl<T: Reset + Send + 'static> pool_core::strategy::Anchor for FixedAnchor<T> {
    type Item = T;
    type Ticket = FixedTicket;
    /// The item back and the hold released from one per-thread lookup.
    #[inline]
    fn recycle(self, item: T, ticket: FixedTicket) {
        self.0.release_through(|threads, slot| {
            let pool = FixedPool::around(threads);
            pool.put_in(pool.tally_in(slot), item, ticket);
        });
    }
    fn note_detached(self, ticket: FixedTicket) {
        self.0.release_through(|threads, _| {
            Recycle::note_detached(FixedPool::around(threads), ticket)
        });
    }
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.pool().state().leaks.as_deref()
    }
}

impl<T: Reset + Send + 'static> fmt::Debug for FixedAnchor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FixedAnchor").finish()
    }
}
