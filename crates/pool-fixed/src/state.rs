//! What every thread of a [`FixedPool`](crate::FixedPool) shares: the
//! queue of idle items, the token counter that pairs gets with puts, the
//! count of items owed, and what each thread keeps in its slot.
//!
//! # Every item is accounted for
//!
//! At every moment the pool's `count` items are each in exactly one place:
//! idle (in the queue, in a thread's slot, or in the reserve of items made
//! up front and not yet handed out), held (by a guard, or on its
//! way to a waiter), or owed (`missing`: it left circulation, detached,
//! stale after a renew or dropped by a panic, and a replacement may be
//! made). Owed items go to the oldest waiter first: [`FixedState::owe`] gives the
//! waiter the right to make one ([`Grant::Make`]), and a waiter that
//! registers while something is owed makes it at once. Both look under the
//! wait lock, so one of the two always sees the other.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, SeqCst};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use pool_core::Reset;
use pool_core::strategy::{Counter, Counters};
use pool_engine::OnUnwind;
use pool_engine::ThreadState;

use crate::slot::{Fencing, Mine, Slot};
use crate::sync::{AtomicBool, AtomicIsize, AtomicU64, AtomicUsize, Mutex, lock, spin_until};
use crate::wait_queue::{Grant, Idle, WaitQueue, WaitTotals, Wake};

/// What each thread keeps for one pool, in its slot of the per-thread
/// layer (the shared half: other threads steal from `slot` and read the
/// counters).
pub(crate) struct ThreadSlot<T> {
    /// One idle item kept for this thread; others may steal it. The owner
    /// takes and parks with plain stores and compiler fences (a
    /// compare-exchange and a fence, once another thread has looked into
    /// the slots: `crate::slot`).
    pub(crate) slot: Slot<T>,
    /// Written by the owner only.
    pub(crate) counters: Counters,
}

impl<T> AsRef<Slot<T>> for ThreadSlot<T> {
    fn as_ref(&self) -> &Slot<T> {
        &self.slot
    }
}

/// The calling thread's view: its slot and counters, or (while its
/// thread-locals are being destroyed) no slot and the pool's shared
/// counters, bumped with read-modify-writes.
pub(crate) struct ThreadView<'a, T> {
    pub(crate) slot: Option<Mine<'a, T>>,
    pub(crate) counters: &'a Counters,
    pub(crate) shared: bool,
}

impl<T> Clone for ThreadView<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for ThreadView<'_, T> {}

impl<T> ThreadView<'_, T> {
    #[inline]
    pub(crate) fn add(&self, counter: impl Fn(&Counters) -> &Counter, n: u64) {
        let c = counter(self.counters);
        if self.shared {
            c.add_shared(n);
        } else {
            c.add(n);
        }
    }
}

/// The items an eager pool made when it was built, kept apart from the
/// queue of returned ones until each is first handed out.
///
/// The queue is first in, first out: had the prefill gone there, every
/// get would take the item idle longest, and a pool sized above what is
/// usually out would cycle through all its items, so that every item's
/// memory is written and none stays in a cache. Kept apart, the items a
/// peak never needed stay as the factory made them, their memory
/// unwritten, and the ones in use circulate, so that a pool sized for its
/// peak keeps only what is in use resident (the crate docs give the
/// figures). Its `Vec` is freed once empty.
///
/// Taken under a lock, but only when the queue is empty and the reserve is
/// not: once it is empty, a read of its length is all a get pays.
/// [`renew`](crate::FixedPool::renew)'s replacements, made all at once,
/// go here too; items made on demand go through the queue.
pub(crate) struct Reserve<T> {
    /// Items left. A get that reads zero while an item is on its way in
    /// misses nothing: one that holds the item's token reads the queue and
    /// this again until it finds an item ([`FixedState::pop_owed`]), as it does
    /// for an item on its way to the queue.
    len: AtomicUsize,
    items: Mutex<Vec<Idle<T>>>,
}

impl<T> Reserve<T> {
    pub(crate) fn new(items: Vec<Idle<T>>) -> Self {
        Reserve {
            len: AtomicUsize::new(items.len()),
            items: Mutex::new(items),
        }
    }

    /// Items left (a count that may lag a concurrent take).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// Takes an item, if any is left.
    pub(crate) fn pop(&self) -> Option<Idle<T>> {
        if self.len.load(Relaxed) == 0 {
            return None;
        }
        let mut items = lock(&self.items);
        let idle = items.pop()?;
        self.len.store(items.len(), Relaxed);
        if items.is_empty() {
            // Gives its memory back: refilled only by a `renew`.
            *items = Vec::new();
        }
        Some(idle)
    }

    fn push(&self, idle: Idle<T>) {
        let mut items = lock(&self.items);
        items.push(idle);
        self.len.store(items.len(), Relaxed);
    }
}

/// The factory, boxed.
pub(crate) type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;

/// What every thread shares.
pub(crate) struct FixedState<T> {
    /// Idle items not in a thread's slot. Never full: at most `count`
    /// items exist.
    pub(crate) queue: ArrayQueue<Idle<T>>,
    /// The items an eager pool made up front, until each is first handed
    /// out: taken only when `queue` has none (see [`Reserve`]).
    pub(crate) reserve: Reserve<T>,
    /// Items in `queue` or `reserve` (or being pushed to `queue`) minus
    /// registered waiters.
    /// A get that takes a token (Acquire/Release read-modify-write) is
    /// owed an item from the queue; a put that finds it negative hands its
    /// item to the oldest waiter.
    pub(crate) avail: CachePadded<AtomicIsize>,
    pub(crate) waitq: Mutex<WaitQueue<T>>,
    pub(crate) closed: AtomicBool,
    /// How owners order their slot's stores and loads: light fences until
    /// the first waiter, `close`, `renew` or steal, full ones after
    /// (`crate::slot`). Read by every get and put, beside `closed`: a
    /// read-mostly line.
    pub(crate) fencing: Fencing,
    /// Bumped by `renew`; idle items and tickets of older generations are
    /// stale.
    pub(crate) generation: CachePadded<AtomicU64>,
    /// Items that left circulation and may be replaced by the factory.
    pub(crate) missing: CachePadded<AtomicIsize>,
    /// Counts of calls made by threads without a slot (shared adds).
    pub(crate) orphan: Counters,
    pub(crate) waits: WaitTotals,
    pub(crate) factory: Factory<T>,
    pub(crate) count: usize,
    /// Where outstanding guards were taken, if tracked.
    #[cfg(feature = "leak-sites")]
    pub(crate) leaks: Option<std::sync::Arc<pool_core::leaks::LeakTracker>>,
}

impl<T: Reset + Send + 'static> ThreadState for FixedState<T> {
    type Owned = ();
    type Shared = ThreadSlot<T>;

    fn new_owned(&self) {}

    fn new_shared(&self) -> ThreadSlot<T> {
        ThreadSlot {
            slot: Slot::new(),
            counters: Counters::default(),
        }
    }

    /// The exiting thread's idle item stays in its slot: other threads
    /// steal it from there, and the next thread to take the slot over uses
    /// it. Nothing needs to move: the put that parked it already made sure
    /// no waiter was queued and the pool was open (or took it back), and a
    /// stale one is freed by whoever takes it.
    fn thread_exited(&self, (): (), _local: &ThreadSlot<T>) {}
}

impl<T> FixedState<T> {
    /// Takes a token from `avail` if one is there, then the item it stands
    /// for from the queue.
    pub(crate) fn take_shared(&self) -> Option<Idle<T>> {
        self.avail
            .fetch_update(SeqCst, SeqCst, |a| (a > 0).then(|| a - 1))
            .ok()?;
        Some(self.pop_owed())
    }

    /// Pops the item a token was taken for, from the queue first, then the
    /// reserve; its putter may still be on the way between the token and
    /// the push.
    pub(crate) fn pop_owed(&self) -> Idle<T> {
        spin_until(|| self.queue.pop().or_else(|| self.reserve.pop()))
    }

    /// Puts an idle item where the next get finds it: the oldest waiter,
    /// else the queue.
    pub(crate) fn put_queue(&self, idle: Idle<T>) {
        self.put_token(idle, |idle| self.push_queue(idle));
    }

    /// As [`put_queue`](Self::put_queue), for an item never handed out
    /// yet (a [`renew`](crate::FixedPool::renew)'s replacement): the oldest
    /// waiter, else the reserve.
    pub(crate) fn put_reserve(&self, idle: Idle<T>) {
        self.put_token(idle, |idle| self.reserve.push(idle));
    }

    /// Publishes a token for `idle`: to the oldest waiter if one holds a
    /// debt, else `store` keeps the item where a get with the token finds
    /// it (which may be after the get took the token: it waits for it).
    #[inline(always)]
    fn put_token(&self, idle: Idle<T>, store: impl FnOnce(Idle<T>)) {
        if self.avail.fetch_add(1, SeqCst) < 0 {
            self.hand_to_waiter(idle);
        } else {
            store(idle);
        }
    }

    fn push_queue(&self, idle: Idle<T>) {
        if let Err(idle) = self.queue.push(idle) {
            // At most `count` items exist, and the queue holds `count`.
            debug_assert!(false, "the queue of a bounded pool overflowed");
            drop(idle);
        }
    }

    #[cold]
    fn hand_to_waiter(&self, idle: Idle<T>) {
        let mut q = lock(&self.waitq);
        match q.waiters.pop_front() {
            // Served under the wait lock, so that a waiter that is no longer
            // queued (see `cancel`) always finds its outcome set; woken
            // after.
            Some(cell) => {
                let wake = cell.serve(Ok(Grant::Idle(idle)));
                drop(q);
                wake.wake();
            }
            // The waiter gave up (and returned its debt) after we took the
            // token: the item goes to the queue, where its token counts it.
            None => {
                drop(q);
                self.push_queue(idle);
            }
        }
    }

    /// Takes one owed item, to make now.
    pub(crate) fn take_missing(&self) -> bool {
        self.missing
            .fetch_update(AcqRel, Relaxed, |m| (m > 0).then(|| m - 1))
            .is_ok()
    }

    /// `n` items left circulation (already freed or detached): owes their
    /// replacements, to the oldest waiters first.
    pub(crate) fn owe(&self, n: usize) {
        if n == 0 {
            return;
        }
        self.missing.fetch_add(n as isize, AcqRel);
        self.serve_owed();
    }

    /// Gives what is owed to the waiters, oldest first, as the right to
    /// make an item each. Under the wait lock: a waiter registers under it
    /// and then takes what is owed itself, so no debt and no waiter miss
    /// each other.
    #[cold]
    pub(crate) fn serve_owed(&self) {
        let mut wakes: Vec<Wake> = Vec::new();
        {
            let mut q = lock(&self.waitq);
            while !q.waiters.is_empty() && self.take_missing() {
                let Some(cell) = q.waiters.pop_front() else {
                    break;
                };
                // The waiter's debt in `avail` is cancelled, as `cancel`
                // does for a waiter that leaves.
                self.avail.fetch_add(1, SeqCst);
                wakes.push(cell.serve(Ok(Grant::Make)));
            }
        }
        wakes.into_iter().for_each(Wake::wake);
    }

    /// Counts an idle item freed by a trim (close, renew),
    /// in `counters` with plain adds or shared ones.
    pub(crate) fn count_trim(&self, tally: ThreadView<'_, T>, idle: &Idle<T>)
    where
        T: Reset,
    {
        tally.add(|c| &c.trimmed, 1);
        tally.add(|c| &c.bytes_trimmed, heap_bytes_quietly(&idle.item));
    }
}

/// `heap_bytes` of an item being freed: a panic there only loses the
/// figure (0), not the item's accounting, and never unwinds out of a
/// thread-local destructor (which would abort).
pub(crate) fn heap_bytes_quietly<T: Reset>(item: &T) -> u64 {
    catch_unwind(AssertUnwindSafe(|| item.heap_bytes())).map_or(0, |b| b as u64)
}

/// Picks one counter out of a block.
type CounterOf = fn(&Counters) -> &Counter;

/// Owes one item back (and serves a waiter) if the user code it wraps
/// (factory, `Reset`, `heap_bytes`) unwinds while an item is on its way in
/// or out, so that a panic there loses no item; `count` records the item's
/// end (`None` when the factory panicked: no item existed). The item itself
/// is dropped by the unwinding first (its binding is declared after the
/// guard). `disarm()` once past the user code.
///
/// The tally is borrowed, not copied: the guard is built on every get and
/// put, and a copy of the tally's words (one of them a `bool` written by a
/// byte store) stalled on store forwarding there.
pub(crate) fn owe_on_unwind<'a, T>(
    core: &'a FixedState<T>,
    count: Option<(&'a ThreadView<'a, T>, CounterOf)>,
) -> OnUnwind<(), impl FnOnce(()) + 'a> {
    OnUnwind::new((), move |()| {
        if let Some((tally, counter)) = count {
            tally.add(counter, 1);
        }
        if !core.closed.load(Acquire) {
            core.owe(1);
        }
    })
}

/// Around a returning item's `Reset` and `heap_bytes`: counted as
/// discarded because of a panic.
pub(crate) const PANICKED_ON_RETURN: CounterOf = |c| &c.discarded.panicked;
/// Around an idle item's `heap_bytes` on its way out: counted as trimmed
/// (it leaves the idle set).
pub(crate) const TRIMMED_ON_LEAVING: CounterOf = |c| &c.trimmed;
