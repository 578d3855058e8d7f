//! What every thread of an [`Engine`](crate::Engine) shares (the class
//! table, the shelves of its classes, the trim epoch, the byte budget) and
//! what each thread publishes, with the per-call paths that pick the
//! calling thread's cache and counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use pool_core::Reset;
use pool_core::strategy::{Counter, Counters};

use crate::budget::ByteBudget;
use crate::class::{ClassTable, Entry};
use crate::per_class::{ClassIndex, PerClass};
use crate::per_thread::{self, ThreadState};
use crate::shelf::{Cache, Class, Shelf, reset_and_measure};
use crate::trimmer::Trim;

/// What all threads share.
///
/// `repr(C)`: the trim epoch, read on every get and put, sits after the
/// fields that are never written once the engine is built (the table and
/// the shelves' cells, 56 bytes), and before the rest of the pool's
/// shared part (`PerThread` puts this first in its allocation, after the
/// `Arc`'s two counts). So the epoch's cache line lies inside the pool's
/// own allocation, holding only fields written when a thread first uses
/// the pool or leaves, whatever the allocator puts around it: no other
/// allocation's writes reach it, without the padding of a `CachePadded`
/// epoch (up to two lines, and an aligned allocation, per pool).
#[repr(C)]
pub(crate) struct EngineState<T, Notes, Extra, const INLINE: usize> {
    /// What the classes are: asked for a class's limits and items.
    pub(crate) table: Box<dyn ClassTable<T>>,
    /// Each class's shared part, made on first use.
    pub(crate) shelves: PerClass<Shelf<T>>,
    /// Bumped by a trim; read (not written) on every get and put.
    pub(crate) epoch: AtomicU64,
    /// Trims run by the trimmer thread, and the idle items they freed
    /// (counted in the first class's statistics).
    pub(crate) timed_trims: Counter,
    pub(crate) timed_trimmed: Counter,
    /// The byte budget of every class, if there is one.
    pub(crate) budget: Option<Arc<ByteBudget>>,
    /// What the pool keeps beside its classes (see [`Engine::extra`](crate::Engine::extra)).
    pub(crate) extra: Extra,
    pub(crate) _notes: std::marker::PhantomData<fn() -> Notes>,
}

/// What each thread publishes: per-class counters and its notes.
pub(crate) struct ThreadRecord<Notes, const INLINE: usize> {
    /// Inline as the caches are (see [`ThreadState::Owned`] below).
    pub(crate) counters: PerClass<Counters, INLINE>,
    pub(crate) notes: Notes,
}

impl<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static,
    Extra: Send + Sync + 'static,
    const INLINE: usize,
> EngineState<T, Notes, Extra, INLINE>
{
    /// `class` as the slow paths see it.
    ///
    /// # Panics
    ///
    /// If `class` is out of range.
    #[inline(always)]
    pub(crate) fn class(&self, class: impl ClassIndex) -> Class<'_, T> {
        Class {
            shelf: class.of(&self.shelves),
            index: class.index(),
            table: &*self.table,
            budget: self.budget.as_deref(),
        }
    }

    /// Every class, in order.
    pub(crate) fn classes(&self) -> impl Iterator<Item = Class<'_, T>> {
        (0..self.shelves.len()).map(|i| self.class(i))
    }

    /// A trim of the shared part, from any thread: the epoch (which every
    /// thread acts on at its next get or put) and every spill and reserve.
    /// Returns the items freed from them.
    pub(crate) fn trim_shared(&self) -> u64 {
        let epoch = self.epoch.fetch_add(1, Relaxed).wrapping_add(1);
        self.classes().map(|c| c.trim_spill(epoch)).sum()
    }

    /// [`Engine::take_noting`](crate::Engine::take_noting) in `slot` (this thread's, if any).
    #[inline(always)]
    pub(crate) fn take_in(
        &self,
        slot: Option<&per_thread::Slot<Self>>,
        class: impl ClassIndex,
        note: impl FnOnce(&Notes),
    ) -> T {
        // Looked up only off the cache's fast path; the range check of
        // `class` is there too (the thread's cache and counters are looked
        // up `of_filled`: an out-of-range class finds an empty filler
        // cache, whose take goes to the slow path).
        let shelf = || self.class(class);
        if let Some(slot) = slot {
            let shared = slot.shared();
            note(&shared.notes);
            if let Ok(mut caches) = slot.owned().try_borrow_mut() {
                return Class::take(
                    shelf,
                    class.of_filled_mut(&mut caches),
                    class.of_filled(&shared.counters),
                    self.epoch.load(Relaxed),
                );
            }
        }
        shelf().take_shared()
    }

    /// [`Engine::put`](crate::Engine::put) in `slot` (this thread's, if any).
    ///
    /// Always inlined, as are [`Class::take`], [`Class::keep`] and
    /// `PerThread::with` under them (the slow paths stay out of line): in a
    /// program that takes guards in more than one place (borrowed and
    /// owned, or several pools), the compiler otherwise kept one of them
    /// out of line, and the call cost about 30 instructions on each side.
    /// The closures `Engine::take_noting` and `Engine::put` hand to `with`
    /// are always inlined too.
    #[inline(always)]
    pub(crate) fn put_in(
        &self,
        slot: Option<&per_thread::Slot<Self>>,
        class: impl ClassIndex,
        mut item: T,
        entry: Entry,
    ) -> bool {
        // Looked up only off the cache's fast path.
        let shelf = || self.class(class);
        let epoch = || self.epoch.load(Relaxed);
        match slot {
            Some(slot) => {
                // Looked up `of_filled`, as in `take_in`: a filler cache
                // keeps nothing and sends the item to the slow path, which
                // checks the range.
                let c = class.of_filled(&slot.shared().counters);
                let Some(bytes) = reset_and_measure(&mut item, c, false, entry) else {
                    // Refused: the range check the cache's path leaves to
                    // the slow path, done here.
                    shelf();
                    return false;
                };
                match slot.owned().try_borrow_mut() {
                    Ok(mut caches) => Class::keep(
                        shelf,
                        class.of_filled_mut(&mut caches),
                        c,
                        item,
                        bytes,
                        epoch(),
                        entry,
                    ),
                    Err(_) => shelf().keep_shared(item, bytes, epoch(), entry),
                }
            }
            None => {
                let class = shelf();
                let c = class.stock().cacheless();
                let Some(bytes) = reset_and_measure(&mut item, c, true, entry) else {
                    return false;
                };
                class.keep_shared(item, bytes, epoch(), entry)
            }
        }
    }

    /// [`Engine::count`](crate::Engine::count) in `slot` (this thread's, if any).
    pub(crate) fn count_in(
        &self,
        slot: Option<&per_thread::Slot<Self>>,
        class: impl ClassIndex,
        which: fn(&Counters) -> &Counter,
    ) {
        match slot {
            Some(slot) => which(class.of(&slot.shared().counters)).incr(),
            None => which(self.class(class).stock().cacheless()).add_shared(1),
        }
    }

    pub(crate) fn clear_spills(&self) {
        for class in self.classes() {
            class.clear_spill();
        }
    }
}

impl<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static,
    Extra: Send + Sync + 'static,
    const INLINE: usize,
> Trim for EngineState<T, Notes, Extra, INLINE>
{
    fn trim(&self) {
        self.trim_shared();
    }

    fn timed_trim(&self) {
        let freed = self.trim_shared();
        self.timed_trims.add_shared(1);
        self.timed_trimmed.add_shared(freed);
    }
}

impl<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static,
    Extra: Send + Sync + 'static,
    const INLINE: usize,
> ThreadState for EngineState<T, Notes, Extra, INLINE>
{
    /// The caches of the first `1 + INLINE` classes inline in the
    /// thread's slot: no pointer to load before the hot class's cache.
    type Owned = PerClass<Cache<T>, INLINE>;
    type Shared = ThreadRecord<Notes, INLINE>;

    fn new_owned(&self) -> Self::Owned {
        // Set up at the thread's first use of each class (see `Cache`).
        self.shelves.map_inline(|_| Cache::default())
    }

    fn new_shared(&self) -> ThreadRecord<Notes, INLINE> {
        ThreadRecord {
            counters: self.shelves.map_inline(|_| Counters::default()),
            notes: Notes::default(),
        }
    }

    fn thread_arrived(&self) {
        if let Some(b) = &self.budget {
            b.attach();
        }
    }

    fn thread_exited(&self, caches: Self::Owned, shared: &ThreadRecord<Notes, INLINE>) {
        let epoch = self.epoch.load(Relaxed);
        for ((class, cache), c) in self.classes().zip(caches).zip(shared.counters.iter()) {
            class.thread_exited(cache, c, epoch);
        }
        if let Some(b) = &self.budget {
            b.detach();
        }
    }
}
#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::EngineState;

    #[test]
    fn the_epoch_sits_a_line_into_the_pools_allocation() {
        // The `Arc`'s two counts come first (16 bytes), then this state:
        // the 64 bytes either side of the epoch stay inside the block when
        // the epoch is at least 48 bytes in (see `EngineState`).
        type S = EngineState<Vec<u8>, (), (), 0>;
        assert!(std::mem::offset_of!(S, epoch) >= 48);
        type Wide = EngineState<Vec<u8>, (), (), 14>;
        assert!(std::mem::offset_of!(Wide, epoch) >= 48);
    }
}
