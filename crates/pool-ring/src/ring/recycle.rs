//! What a [`RingPool`]'s guards call: the [`Recycle`] hooks of borrowed
//! guards, and [`RingAnchor`], the pool's stand-in in owned guards.

use std::fmt;
use std::sync::Arc;

use pool_core::Reset;
use pool_core::engine::Recycle;
use pool_core::engine::per_thread::{PerThread, Wrapped, Wraps};

use super::{Ring, RingPool};
use crate::slot::{RingTicket, Ticket};

impl<T: Reset + Send + 'static> RingPool<T> {
    /// An anchor for an owned guard: a hold on the ring counted in this
    /// thread's slot of the per-thread layer (no shared counter).
    #[inline(always)]
    pub(super) fn anchored(&self) -> RingAnchor<T> {
        let ((), r) = self.threads.with_anchor(|_| ());
        // SAFETY: the ghost goes straight into the `RingPool` that the
        // `Wrapped` holds, never leaves it, and is what `threads` returns.
        #[allow(unsafe_code)]
        let wrapped = unsafe { r.wrap(|threads| RingPool { threads }) };
        RingAnchor(wrapped)
    }
}

impl<T: Reset + Send + 'static> Recycle for RingPool<T> {
    type Item = T;
    type Ticket = RingTicket;
    type Anchor = RingAnchor<T>;
    fn anchor(self: &Arc<Self>) -> RingAnchor<T> {
        self.anchored()
    }
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.r().leaks.as_deref()
    }
    #[inline]
    fn recycle(&self, item: T, ticket: RingTicket) {
        self.put(item, ticket);
    }
    fn note_detached(&self, ticket: RingTicket) {
        match ticket.open() {
            Ticket::Slot(t) => {
                let claim = self.r().slots[t.index()].resume(t, self.r().id);
                // The slot stays empty; its next claimer makes a new item.
                claim.counters().detached.incr();
                claim.release();
            }
            Ticket::Fallback => self.r().fallback.detached.add_shared(1),
        }
    }
}

/// What an owned guard of a [`RingPool`] holds in place of the pool: a
/// hold on the ring counted per thread (no shared counter), that gives the
/// item back to its slot when the guard drops.
pub struct RingAnchor<T: Reset + Send + 'static>(pub(super) Wrapped<Ring<T>, RingPool<T>>);

impl<T: Reset + Send + 'static> Wraps<Ring<T>> for RingPool<T> {
    #[inline]
    fn threads(&self) -> &PerThread<Ring<T>> {
        &self.threads
    }
}

impl<T: Reset + Send + 'static> pool_core::engine::Anchor for RingAnchor<T> {
    type Item = T;
    type Ticket = RingTicket;
    #[inline]
    fn recycle(self, item: T, ticket: RingTicket) {
        pool_core::engine::Recycle::recycle(&*self.0, item, ticket);
    }
    fn note_detached(self, ticket: RingTicket) {
        Recycle::note_detached(&*self.0, ticket);
    }
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.0.r().leaks.as_deref()
    }
}

impl<T: Reset + Send + 'static> fmt::Debug for RingAnchor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RingAnchor").finish()
    }
}
