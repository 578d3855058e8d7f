//! What every thread of an [`Engine`](crate::Engine) shares (the shelves
//! of its classes, the trim epoch, the cacheless counters, the byte budget)
//! and what each thread publishes, with the per-call paths that pick the
//! calling thread's cache and counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crossbeam_utils::CachePadded;

use pool_core::Reset;
use pool_core::strategy::{Counter, Counters};

use crate::budget::ByteBudget;
use crate::class::Entry;
use crate::per_class::{ClassIndex, PerClass};
use crate::per_thread::{self, ThreadState};
use crate::shelf::{Cache, Shelf, reset_and_measure};
use crate::trimmer::Trim;

/// What all threads share.
pub(crate) struct EngineState<T, Notes, Extra, const INLINE: usize> {
    pub(crate) shelves: PerClass<Shelf<T>>,
    /// Bumped by a trim; read (not written) on every get and put.
    pub(crate) epoch: CachePadded<AtomicU64>,
    /// Counts of calls made while the calling thread had no cache (its
    /// thread-locals being destroyed, or a re-entrant call), and of trims
    /// of the spills: shared adds, rarely.
    pub(crate) cacheless: PerClass<Counters>,
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
    /// A trim of the shared part, from any thread: the epoch (which every
    /// thread acts on at its next get or put) and every spill. Returns the
    /// items freed from the spills.
    pub(crate) fn trim_shared(&self) -> u64 {
        let epoch = self.epoch.fetch_add(1, Relaxed).wrapping_add(1);
        self.shelves
            .iter()
            .zip(self.cacheless.iter())
            .map(|(shelf, c)| shelf.trim_spill(c, epoch))
            .sum()
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
        // cache, whose take goes to `shelf`).
        let shelf = || class.of(&self.shelves);
        if let Some(slot) = slot {
            let shared = slot.shared();
            note(&shared.notes);
            if let Ok(mut caches) = slot.owned().try_borrow_mut() {
                return Shelf::take(
                    shelf,
                    class.of_filled_mut(&mut caches),
                    class.of_filled(&shared.counters),
                    self.epoch.load(Relaxed),
                );
            }
        }
        shelf().take_shared(class.of(&self.cacheless))
    }

    /// [`Engine::put`](crate::Engine::put) in `slot` (this thread's, if any).
    ///
    /// Always inlined, as are [`Shelf::take`], [`Shelf::keep`] and
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
        let shelf = || class.of(&self.shelves);
        let epoch = || self.epoch.load(Relaxed);
        match slot {
            Some(slot) => {
                // Looked up `of_filled`, as in `take_in`: a filler cache
                // keeps nothing and sends the item to `shelf`, which checks
                // the range.
                let c = class.of_filled(&slot.shared().counters);
                let Some(bytes) = reset_and_measure(&mut item, c, false, entry) else {
                    // Refused: the range check the cache's path leaves to
                    // `shelf`, done here.
                    shelf();
                    return false;
                };
                match slot.owned().try_borrow_mut() {
                    Ok(mut caches) => Shelf::keep(
                        shelf,
                        class.of_filled_mut(&mut caches),
                        c,
                        item,
                        bytes,
                        epoch(),
                        entry,
                    ),
                    Err(_) => {
                        shelf().keep_shared(class.of(&self.cacheless), item, bytes, epoch(), entry)
                    }
                }
            }
            None => {
                let c = class.of(&self.cacheless);
                let Some(bytes) = reset_and_measure(&mut item, c, true, entry) else {
                    return false;
                };
                shelf().keep_shared(c, item, bytes, epoch(), entry)
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
            None => which(class.of(&self.cacheless)).add_shared(1),
        }
    }

    pub(crate) fn clear_spills(&self) {
        for (shelf, c) in self.shelves.iter().zip(self.cacheless.iter()) {
            shelf.clear_spill(c);
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
        // Counted once for the pool, in its first class.
        self.cacheless.first().timed_trims.add_shared(1);
        self.cacheless.first().timed_trimmed.add_shared(freed);
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
        let epoch = self.epoch.load(Relaxed);
        self.shelves.map_inline(|s| s.new_cache(epoch))
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
        for ((shelf, cache), c) in self.shelves.iter().zip(caches).zip(shared.counters.iter()) {
            shelf.thread_exited(cache, c, epoch);
        }
        if let Some(b) = &self.budget {
            b.detach();
        }
    }
}
