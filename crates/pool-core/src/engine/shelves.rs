//! What every thread of an [`Engine`](super::Engine) shares (the shelves
//! of its classes, the trim epoch, the orphan counters, the byte budget)
//! and what each thread publishes, with the per-call paths that pick the
//! calling thread's cache and counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crossbeam_utils::CachePadded;

use super::budget::ByteBudget;
use super::per_thread::{self, ThreadState};
use super::shelf::{Cache, Shelf, reset_and_measure};
use super::{ClassIndex, Counter, Counters, Entry, PerClass, Trim};
use crate::Reset;

/// What all threads share.
pub(super) struct Shelves<T, X, E, const INLINE: usize> {
    pub(super) shelves: PerClass<Shelf<T>>,
    /// Bumped by a trim; read (not written) on every get and put.
    pub(super) epoch: CachePadded<AtomicU64>,
    /// Counts of calls made while the calling thread had no cache (its
    /// thread-locals being destroyed, or a re-entrant call), and of trims
    /// of the spills: shared adds, rarely.
    pub(super) orphan: PerClass<Counters>,
    /// The byte budget of every class, if there is one.
    pub(super) budget: Option<Arc<ByteBudget>>,
    /// What the pool keeps beside its classes (see [`Engine::extra`](super::Engine::extra)).
    pub(super) extra: E,
    pub(super) _notes: std::marker::PhantomData<fn() -> X>,
}

/// What each thread publishes: per-class counters and its notes.
pub(super) struct Published<X, const INLINE: usize> {
    /// Inline as the caches are (see [`ThreadState::Owned`] below).
    pub(super) counters: PerClass<Counters, INLINE>,
    pub(super) notes: X,
}

impl<
    T: Reset + Send + 'static,
    X: Default + Send + Sync + 'static,
    E: Send + Sync + 'static,
    const INLINE: usize,
> Shelves<T, X, E, INLINE>
{
    /// A trim of the shared part, from any thread: the epoch (which every
    /// thread acts on at its next get or put) and every spill. Returns the
    /// items freed from the spills.
    pub(super) fn trim_shared(&self) -> u64 {
        let epoch = self.epoch.fetch_add(1, Relaxed).wrapping_add(1);
        self.shelves
            .iter()
            .zip(self.orphan.iter())
            .map(|(shelf, c)| shelf.trim_spill(c, epoch))
            .sum()
    }

    /// [`Engine::take_noting`](super::Engine::take_noting) in `slot` (this thread's, if any).
    #[inline(always)]
    pub(super) fn take_in(
        &self,
        slot: Option<&per_thread::Slot<Self>>,
        class: impl ClassIndex,
        note: impl FnOnce(&X),
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
        shelf().take_shared(class.of(&self.orphan))
    }

    /// [`Engine::put`](super::Engine::put) in `slot` (this thread's, if any).
    ///
    /// Always inlined, as are [`Shelf::take`], [`Shelf::keep`] and
    /// `PerThread::with` under them (the slow paths stay out of line): in a
    /// program that takes guards in more than one place (borrowed and
    /// owned, or several pools), the compiler otherwise kept one of them
    /// out of line, and the call cost about 30 instructions on each side.
    /// The closures `Engine::take_noting` and `Engine::put` hand to `with`
    /// are always inlined too. Callgrind, get + 16-byte write + drop of a
    /// 4 KiB buffer: pool-local 215 -> 169 instructions (as when its only
    /// call site is inlined anyway), pool-tiered 231 -> 209, owned guards
    /// 236 -> 202 and 280 -> 250, two pools in turn 428 -> 338 per pair.
    #[inline(always)]
    pub(super) fn put_in(
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
                        shelf().keep_shared(class.of(&self.orphan), item, bytes, epoch(), entry)
                    }
                }
            }
            None => {
                let c = class.of(&self.orphan);
                let Some(bytes) = reset_and_measure(&mut item, c, true, entry) else {
                    return false;
                };
                shelf().keep_shared(c, item, bytes, epoch(), entry)
            }
        }
    }

    /// [`Engine::count`](super::Engine::count) in `slot` (this thread's, if any).
    pub(super) fn count_in(
        &self,
        slot: Option<&per_thread::Slot<Self>>,
        class: impl ClassIndex,
        which: fn(&Counters) -> &Counter,
    ) {
        match slot {
            Some(slot) => which(class.of(&slot.shared().counters)).incr(),
            None => which(class.of(&self.orphan)).add_shared(1),
        }
    }

    pub(super) fn clear_spills(&self) {
        for (shelf, c) in self.shelves.iter().zip(self.orphan.iter()) {
            shelf.clear_spill(c);
        }
    }
}

impl<
    T: Reset + Send + 'static,
    X: Default + Send + Sync + 'static,
    E: Send + Sync + 'static,
    const INLINE: usize,
> Trim for Shelves<T, X, E, INLINE>
{
    fn trim(&self) {
        self.trim_shared();
    }

    fn timed_trim(&self) {
        let freed = self.trim_shared();
        // Counted once for the pool, in its first class.
        self.orphan.first().timed_trims.add_shared(1);
        self.orphan.first().timed_trimmed.add_shared(freed);
    }
}

impl<
    T: Reset + Send + 'static,
    X: Default + Send + Sync + 'static,
    E: Send + Sync + 'static,
    const INLINE: usize,
> ThreadState for Shelves<T, X, E, INLINE>
{
    /// The caches of the first `1 + INLINE` classes inline in the
    /// thread's slot: no pointer to load before the hot class's cache.
    type Owned = PerClass<Cache<T>, INLINE>;
    type Shared = Published<X, INLINE>;

    fn new_owned(&self) -> Self::Owned {
        let epoch = self.epoch.load(Relaxed);
        self.shelves.map_inline(|s| s.new_cache(epoch))
    }

    fn new_shared(&self) -> Published<X, INLINE> {
        Published {
            counters: self.shelves.map_inline(|_| Counters::default()),
            notes: X::default(),
        }
    }

    fn thread_arrived(&self) {
        if let Some(b) = &self.budget {
            b.attach();
        }
    }

    fn thread_exited(&self, caches: Self::Owned, shared: &Published<X, INLINE>) {
        let epoch = self.epoch.load(Relaxed);
        for ((shelf, cache), c) in self.shelves.iter().zip(caches).zip(shared.counters.iter()) {
            shelf.thread_exited(cache, c, epoch);
        }
        if let Some(b) = &self.budget {
            b.detach();
        }
    }
}
