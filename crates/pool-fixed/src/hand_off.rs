//! How items move inside a [`FixedPool`]: taken from this thread's slot,
//! stolen from another's or from the shared queue, made for what is owed,
//! parked again, or handed to the oldest waiter.

use std::sync::atomic::Ordering::{Acquire, SeqCst};

use pool_core::{PoolError, Reset};
use pool_engine::PerThreadRef;

use crate::FixedPool;
use crate::FixedTicket;
use crate::slot::{Mine, Parked, mine, mine_anchored, mine_in};
use crate::state::{
    FixedState, PANICKED_ON_RETURN, TRIMMED_ON_LEAVING, ThreadSlot, ThreadView, owe_on_unwind,
};
use crate::sync::fence;
use crate::wait_queue::Idle;

impl<T: Reset + Send + 'static> FixedPool<T> {
    #[inline]
    pub(crate) fn state(&self) -> &FixedState<T> {
        self.threads.global()
    }

    /// The calling thread's slot and counters (one per-thread lookup).
    #[inline]
    pub(crate) fn local(&self) -> ThreadView<'_, T> {
        self.tally(mine(&self.threads))
    }

    /// [`local`](Self::local), and a counted reference for an owned
    /// guard, from one per-thread lookup.
    #[inline]
    pub(crate) fn local_anchored(&self) -> (ThreadView<'_, T>, PerThreadRef<FixedState<T>>) {
        let (mine, r) = mine_anchored(&self.threads);
        (self.tally(mine), r)
    }

    /// The slot and counters of `slot`, the calling thread's slot as the
    /// per-thread layer hands it to a closure (`None` while its
    /// thread-locals are being destroyed).
    #[inline(always)]
    pub(crate) fn tally_in<'a>(
        &'a self,
        slot: Option<&'a pool_engine::Slot<FixedState<T>>>,
    ) -> ThreadView<'a, T> {
        self.tally(mine_in(slot))
    }

    /// The thread's slot and counters, or the shared ones without a slot.
    #[inline(always)]
    fn tally<'a>(&'a self, mine: Option<(Mine<'a, T>, &'a ThreadSlot<T>)>) -> ThreadView<'a, T> {
        match mine {
            Some((slot, local)) => ThreadView {
                slot: Some(slot),
                counters: &local.counters,
                shared: false,
            },
            None => ThreadView {
                slot: None,
                counters: &self.state().orphan,
                shared: true,
            },
        }
    }

    /// Frees every idle item (counted as trimmed); how many.
    pub(crate) fn trim_idle(&self) -> usize {
        let local = self.local();
        let idle = self.drain_idle();
        for i in &idle {
            self.state().count_trim(local, i);
        }
        idle.len()
    }

    /// Counts a hit and turns an idle item into what a guard holds.
    #[inline]
    pub(crate) fn hand_out(&self, local: ThreadView<'_, T>, idle: Idle<T>) -> (T, FixedTicket) {
        let owe = owe_on_unwind(self.state(), Some((&local, TRIMMED_ON_LEAVING)));
        let item = idle.item;
        let bytes = item.heap_bytes() as u64;
        owe.disarm();
        local.add(|c| &c.hits, 1);
        local.add(|c| &c.bytes_out, bytes);
        (item, FixedTicket::new(idle.generation))
    }

    /// Drops `idle` if it is from before a renewal (counting it trimmed and
    /// owing a replacement).
    #[inline]
    pub(crate) fn fresh(&self, local: ThreadView<'_, T>, idle: Idle<T>) -> Option<Idle<T>> {
        if idle.generation == self.state().generation.load(Acquire) {
            Some(idle)
        } else {
            self.state().count_trim(local, &idle);
            // Freed before it is owed: never more than `count` items.
            drop(idle);
            self.state().owe(1);
            None
        }
    }

    /// Own slot, then the shared queue, then other threads' slots, then a
    /// replacement for an item that left.
    #[inline]
    pub(crate) fn try_take(&self) -> Result<(T, FixedTicket), PoolError> {
        let local = self.local();
        match self.take_own(local) {
            Some(taken) => Ok(taken),
            None => self.try_take_slow(local),
        }
    }

    /// The item parked in this thread's slot, if any (and not stale): the
    /// hot path of every get. It returns an `Option` of the item and its
    /// ticket, half the size of the `Result` the slow paths return, which
    /// the caller would otherwise copy through memory on every get.
    #[inline(always)]
    pub(crate) fn take_own(&self, local: ThreadView<'_, T>) -> Option<(T, FixedTicket)> {
        let idle = local
            .slot
            .and_then(|mine| mine.take(&self.state().fencing))?;
        let idle = self.fresh(local, idle)?;
        Some(self.hand_out(local, idle))
    }

    /// Shared queue, other threads' slots, then a replacement for an item
    /// that left: after this thread's own slot had nothing.
    #[cold]
    pub(crate) fn try_take_slow(
        &self,
        local: ThreadView<'_, T>,
    ) -> Result<(T, FixedTicket), PoolError> {
        loop {
            if self.state().closed.load(Acquire) {
                return Err(PoolError::Closed);
            }
            // Shared queue, other threads' slots, then the queue once more:
            // a put that parked its item in a slot and then saw a waiter
            // moves it to the queue, so an item missed by the first look is
            // found by the steal or the second. No steal while waiters are
            // queued: an item parked then is on its way to the oldest of
            // them (its thread hands it over once it reads their debts, or
            // a registering waiter's last look does), and this get, which
            // came later, would be served first.
            let idle = match self
                .state()
                .take_shared()
                .or_else(|| {
                    if self.state().avail.load(SeqCst) >= 0 {
                        self.steal()
                    } else {
                        None
                    }
                })
                .or_else(|| self.state().take_shared())
            {
                Some(found) => found,
                None if self.state().take_missing() => return Ok(self.make_owed(local)),
                None => {
                    return Err(PoolError::Exhausted {
                        capacity: self.state().count,
                    });
                }
            };
            if let Some(idle) = self.fresh(local, idle) {
                return Ok(self.hand_out(local, idle));
            }
        }
    }

    /// Makes an item owed (one taken from `missing`): a panicking factory
    /// leaves it owed.
    pub(crate) fn make_owed(&self, local: ThreadView<'_, T>) -> (T, FixedTicket) {
        let owe = owe_on_unwind(self.state(), None);
        let item = (self.state().factory)();
        owe.disarm();
        local.add(|c| &c.misses, 1);
        (
            item,
            FixedTicket::new(self.state().generation.load(Acquire)),
        )
    }

    /// Takes an idle item from any thread's slot (switching the pool to
    /// full fencing first, once: `crate::slot`).
    pub(crate) fn steal(&self) -> Option<Idle<T>> {
        self.state().fencing.switch_to_full();
        self.threads
            .with_shared(|slots, _| Iterator::find_map(&mut &mut *slots, |l| l.slot.steal()))
    }

    /// Takes an idle item from any thread's slot with a look that no later
    /// park misses: for a waiter that has switched the pool to full
    /// fencing (`crate::slot`; `register` does, before anything is taken),
    /// then registered its debt.
    pub(crate) fn steal_after_fence(&self) -> Option<Idle<T>> {
        // Between the debt and the looks: a put whose park's fence comes
        // later reads the debt, and one whose fence came first is found.
        fence(SeqCst);
        self.threads
            .with_shared(|slots, _| Iterator::find_map(&mut &mut *slots, |l| l.slot.steal()))
    }

    /// Every idle item: the queue's (with their tokens) and the slots'.
    pub(crate) fn drain_idle(&self) -> Vec<Idle<T>> {
        // Before anything is taken (it may panic): the looks below steal.
        self.state().fencing.switch_to_full();
        let mut out = Vec::new();
        while let Some(idle) = self.state().take_shared() {
            out.push(idle);
        }
        // Between `close`'s flag and the looks, as in `steal_after_fence`.
        fence(SeqCst);
        self.threads.with_shared(|slots, _| {
            out.extend(slots.filter_map(|l| l.slot.steal()));
        });
        out
    }

    /// Puts an idle item where the next get finds it: the oldest waiter,
    /// else the queue (freed if the pool closed meanwhile).
    pub(crate) fn put_shared(&self, idle: Idle<T>) {
        self.state().put_queue(idle);
        if self.state().closed.load(Acquire) {
            // Returned while `close` ran: free what is idle now.
            self.trim_idle();
        }
    }

    /// Parks an idle item in this thread's slot; a waiter queued, the pool
    /// closing, or a slot already in use send it down the shared path
    /// instead.
    #[inline(always)]
    pub(crate) fn put_idle(&self, local: ThreadView<'_, T>, idle: Idle<T>) {
        let Some(mine) = local.slot else {
            return self.put_shared(idle);
        };
        match mine.park(idle, &self.state().fencing) {
            // An item is parked already (this thread holds several), or a
            // thief is still reading the last one.
            Err(idle) => return self.put_shared(idle),
            // No look that must find the item can miss it (`crate::slot`):
            // nothing to read.
            Ok(Parked::Light) => return,
            Ok(Parked::Fenced) => {}
        }
        // A waiter takes its debt before it looks in every slot, and
        // `close` sets its flag before it drains them; both switch the
        // pool to full fencing first and fence before they look
        // (`crate::slot`): if their fence came first, we see their debt or
        // flag here; if the park's came first, they find the item.
        if (self.state().avail.load(SeqCst) < 0 || self.state().closed.load(SeqCst))
            && let Some(idle) = mine.take(&self.state().fencing)
        {
            self.put_shared(idle);
        }
    }

    #[inline(always)]
    pub(crate) fn put(&self, item: T, ticket: FixedTicket) {
        self.put_in(self.local(), item, ticket);
    }

    /// [`put`](Self::put) with the calling thread's slot and counters
    /// looked up already (an owned guard's drop, which looks them up once
    /// for the item and its hold on the pool).
    #[inline(always)]
    pub(crate) fn put_in(&self, local: ThreadView<'_, T>, item: T, ticket: FixedTicket) {
        // A panic in `reset` or `heap_bytes` drops the item (this binding
        // unwinds before `owe`), counts it and owes it.
        let owe = owe_on_unwind(self.state(), Some((&local, PANICKED_ON_RETURN)));
        let mut item = item;
        item.reset();
        let bytes = item.heap_bytes() as u64;
        let reusable = item.is_reusable();
        owe.disarm();
        if !reusable {
            local.add(|c| &c.discarded.refused, 1);
            // Freed before it is owed: never more than `count` items; the
            // debt goes to the oldest waiter, or to the next get.
            drop(item);
            self.state().owe(1);
            return;
        }
        if self.state().closed.load(Acquire) {
            local.add(|c| &c.discarded.closed, 1);
            return;
        }
        let generation = self.state().generation.load(Acquire);
        if ticket.generation != generation {
            local.add(|c| &c.discarded.stale, 1);
            // Freed before it is owed: never more than `count` items.
            drop(item);
            self.state().owe(1);
            return;
        }
        local.add(|c| &c.returns, 1);
        local.add(|c| &c.bytes_in, bytes);
        self.put_idle(local, Idle { item, generation });
    }
}
