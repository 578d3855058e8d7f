//! What a [`RingPool`]'s guards call: the [`Recycle`] hooks of borrowed
//! guards, and [`RingAnchor`], the pool's stand-in in owned guards.

use std::fmt;
use std::sync::Arc;

use pool_core::Reset;
use pool_core::strategy::Recycle;
use pool_engine::OnUnwind;

use super::{Ring, RingPool, reset_and_measure};
use crate::home::RingHold;
use crate::slot::{RingTicket, SlotCounters, SlotTicket, Ticket};
use pool_core::strategy::Counter;

impl<T: Reset + Send + 'static> Recycle for RingPool<T> {
    type Item = T;
    type Ticket = RingTicket;
    type Anchor = RingAnchor<T>;
    /// Counted centrally (the ticket is not known here); the ring's own
    /// owned getters count a slot's guard by its busy slot instead.
    fn anchor(self: &Arc<Self>) -> RingAnchor<T> {
        RingAnchor(self.home.hold(true))
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
                let claim = self.r().resume(t);
                // The slot stays empty; its next claimer makes a new item.
                claim.counters().detached.incr();
                claim.release();
            }
            Ticket::Fallback => self.r().fallback.detached.add_shared(1),
        }
    }
}

/// What an owned guard of a [`RingPool`] holds in place of the pool: a
/// hold on the ring's memory that writes no count (the guard's busy slot
/// is the count; an item made because the ring was full counts
/// centrally), and gives the item back to its slot when the guard drops.
pub struct RingAnchor<T: Reset + Send + 'static>(pub(super) RingHold<Ring<T>>);

impl<T: Reset + Send + 'static> pool_core::strategy::Anchor for RingAnchor<T> {
    type Item = T;
    type Ticket = RingTicket;

    /// As the pool's `put`, but the slot is freed with `release_owned`
    /// (the pool's handle may be gone), as the hold's last step.
    #[inline]
    fn recycle(self, mut item: T, ticket: RingTicket) {
        let hold = self.0;
        match ticket.open() {
            Ticket::Slot(t) => {
                // User code first, before the claim is resumed: if it
                // unwinds, the item is dropped, the slot freed empty and
                // the panic counted, and the hold ends.
                let on_panic =
                    OnUnwind::new((hold, t), |(hold, t): (RingHold<Ring<T>>, SlotTicket)| {
                        release_empty(hold, t, |c| &c.panicked);
                    });
                let kept = reset_and_measure(&mut item);
                let (hold, t) = on_panic.disarm();
                let index = t.index();
                let rest = {
                    let mut claim = hold.ring().resume(t);
                    let rest = Ring::put_in(&mut claim, item, kept);
                    claim.keep();
                    rest
                };
                hold.release_slot(index);
                drop(rest);
            }
            Ticket::Fallback => {
                let dead = hold.ring().put_fallback(item);
                hold.finish(dead);
            }
        }
    }

    fn note_detached(self, ticket: RingTicket) {
        let hold = self.0;
        match ticket.open() {
            Ticket::Slot(t) => release_empty(hold, t, |c| &c.detached),
            Ticket::Fallback => {
                hold.ring().fallback.detached.add_shared(1);
                hold.finish(0);
            }
        }
    }

    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.0.ring().leaks.as_deref()
    }
}

/// Frees the slot of `t` empty (its item was dropped by a panic, or
/// detached), counting why in the counter `why` picks; ends the hold. The
/// slot stays empty: its next claimer makes a new item.
fn release_empty<T: Reset + Send + 'static>(
    hold: RingHold<Ring<T>>,
    t: SlotTicket,
    why: fn(&SlotCounters) -> &Counter,
) {
    let index = t.index();
    let claim = hold.ring().resume(t);
    why(claim.counters()).incr();
    claim.keep();
    hold.release_slot(index);
}

impl<T: Reset + Send + 'static> fmt::Debug for RingAnchor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RingAnchor").finish()
    }
}
