//! The thread-local side of [`PerThread`] (not under loom): the
//! per-thread cache of slot addresses, the list of the thread's slots and
//! its destructor, which hands the slots back when the thread exits.

use std::cell::{Cell, RefCell};
use std::ptr;

use std::sync::{Arc, Weak};

use super::{Inner, PerThread, Slot, ThreadState};

/// Entries in the per-thread cache: `WAYS / 2` sets of two, a set
/// chosen by the pool id. Pool ids are consecutive, so up to this many
/// pools used by one thread in turn never evict each other, and two
/// pools whose ids fall in one set (ids `WAYS / 2` apart) both stay:
/// with one way per set, two such pools used in turn would evict each
/// other on every call, each get and put going the slow way.
const WAYS: usize = 8;

/// The first way of the set of pool `id`.
#[inline(always)]
fn set_of(id: u64) -> usize {
    (id as usize & (WAYS / 2 - 1)) * 2
}

type Way = Cell<(u64, *const ())>;

thread_local! {
    /// `(pool id, slot address)` of recently used slots, direct-mapped
    /// by id. `const` and without a destructor: reading it is a plain
    /// load from thread-local storage, valid until the thread is gone.
    static RECENT: [Way; WAYS] = const { [const { Cell::new((0, ptr::null())) }; WAYS] };

    /// Every slot this thread holds; its destructor hands them back.
    static OWNER: Owner = const { Owner { entries: RefCell::new(Vec::new()) } };
}

/// What a thread's exit needs from a pool, whatever its `G`.
trait Release: Send + Sync {
    fn release(&self, index: usize);
}

impl<G: ThreadState> Release for Inner<G> {
    fn release(&self, index: usize) {
        Inner::release(self, index);
    }
}

struct Entry {
    id: u64,
    slot: *const (),
    index: usize,
    /// Weak: a thread never keeps a dropped pool alive.
    pool: Weak<dyn Release>,
}

struct Owner {
    entries: RefCell<Vec<Entry>>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        // Forget every cached slot first: from here on `with` finds
        // none (this thread-local is destroyed, so it cannot register
        // again) and pools serve this thread from their shared part.
        RECENT.with(|ways| {
            for way in ways {
                way.set((0, ptr::null()));
            }
        });
        let entries = std::mem::take(self.entries.get_mut());
        for entry in entries {
            if let Some(pool) = entry.pool.upgrade() {
                pool.release(entry.index);
            }
        }
    }
}

impl<G: ThreadState> PerThread<G> {
    /// Calls `f` with the calling thread's slot, made on first use, or
    /// with `None` while the thread's thread-locals are being destroyed
    /// (or on a re-entrant first use): the pool then serves the call
    /// from its shared part.
    ///
    /// One thread-local read and one compare when the slot is cached.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(Option<&Slot<G>>) -> R) -> R {
        let (id, cached) = RECENT.with(|ways| ways[set_of(self.id)].get());
        let ptr = if id == self.id & !super::GHOST_COPY_BIT {
            cached
        } else {
            self.second_way()
        };
        // SAFETY: a cache entry (what `second_way` and `slow_slot` answer) holds the
        // address of the slot this thread owns in the pool with that id,
        // or null. Ids are never reused, and the caller borrows the pool
        // with this id, so that pool (and every boxed slot of it) is
        // alive. The slot stays this thread's until the thread's `Owner`
        // destructor, which clears the entry before it gives the slot
        // back; that destructor cannot run while this thread is inside
        // `with`. `Slot` is not `Sync`, so the reference cannot leave
        // this thread, and the higher-ranked closure cannot keep it.
        //
        // One call of `f`, so that the compiler inlines it.
        f(unsafe { ptr.cast::<Slot<G>>().as_ref() })
    }

    /// The slot cached in the second way of this pool's set, or the
    /// slow way.
    #[inline(never)]
    fn second_way(&self) -> *const () {
        let (id, cached) = RECENT.with(|ways| ways[set_of(self.id) + 1].get());
        if id == self.id() {
            cached
        } else {
            self.slow_slot()
        }
    }

    /// Finds or takes this thread's slot and caches it in the first way
    /// of its set (what was there moves to the second); null if the
    /// thread is being torn down.
    #[cold]
    #[inline(never)]
    fn slow_slot(&self) -> *const () {
        let found = OWNER.try_with(|owner| {
            let Ok(mut entries) = owner.entries.try_borrow_mut() else {
                return ptr::null();
            };
            if let Some(e) = entries.iter().find(|e| e.id == self.id()) {
                return e.slot;
            }
            // Forget pools that were dropped (their ids never come
            // back), so a long-lived thread's list stays short.
            entries.retain(|e| e.pool.strong_count() > 0);
            let (index, slot) = self.inner.assign();
            let pool: Arc<Inner<G>> = Arc::clone(&self.inner);
            let pool: Arc<dyn Release> = pool;
            entries.push(Entry {
                id: self.id(),
                slot: slot.cast(),
                index,
                pool: Arc::downgrade(&pool),
            });
            slot.cast()
        });
        let slot = found.unwrap_or(ptr::null());
        if !slot.is_null() {
            RECENT.with(|ways| {
                let first = set_of(self.id);
                ways[first + 1].set(ways[first].get());
                ways[first].set((self.id(), slot));
            });
        }
        slot
    }
}
