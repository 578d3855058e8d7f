//! [`PerThread`]: a pool's per-thread slots, found with one thread-local
//! access and handed back when a thread exits (see the
//! [implementation notes](crate::implementation#the-per-thread-layer)).

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::barrier::Gate;
use crate::sync::{Arc, AtomicUsize, Mutex, lock};
use crate::trimmer::Trim;

pub(crate) mod anchor;
#[cfg(all(test, pool_loom))]
mod loom_tests;
// The thread-local side: std's thread-locals, or under loom (whose threads
// share std's) loom's own.
#[cfg(not(pool_loom))]
mod tls;
#[cfg(pool_loom)]
#[path = "per_thread/tls_loom.rs"]
mod tls;

/// The shared part of a pool built on [`PerThread`] (its `G`), which names
/// the two halves of each thread's slot: what the thread owns and what it
/// shares.
pub trait ThreadState: Send + Sync + Sized + 'static {
    /// What only the owning thread touches: idle items, byte credit.
    type Owned: Send + 'static;
    /// What other threads may read while the owner works: counters.
    type Shared: Send + Sync + 'static;

    /// The owned half of a new slot. Runs under the pool's slot lock: it
    /// must not use the [`PerThread`] it belongs to.
    fn new_owned(&self) -> Self::Owned;

    /// The shared half of a new slot. Slots are reused: a thread that
    /// takes over a slot keeps the shared half its last owner left (so
    /// counters keep adding up). Runs under the pool's slot lock.
    fn new_shared(&self) -> Self::Shared;

    /// The thread that owned a slot exited: move what `owned` holds into
    /// the shared part (or free it, and count it in `shared`). Runs on the
    /// exiting thread, which still owns `shared` (the slot is reused only
    /// after this returns), so owner-only counters may be written.
    fn thread_exited(&self, owned: Self::Owned, shared: &Self::Shared);

    /// A thread took a slot (its first use of the pool); byte budgets
    /// size their per-thread chunks from the number of such threads. The
    /// matching departure is [`thread_exited`](Self::thread_exited).
    fn thread_arrived(&self) {}
}

/// One thread's slot in a pool.
///
/// `Slot` is not `Sync`: a `&Slot` never leaves the thread that
/// [`PerThread::with`] gave it to.
pub struct Slot<G: ThreadState> {
    owned: RefCell<G::Owned>,
    shared: G::Shared,
    /// Held while a thread-exit hand-back or [`PerThread::for_each_owned`]
    /// works on `owned`, so the two never meet.
    handover: Mutex<()>,
    /// Owned references ([`PerThreadRef`](crate::PerThreadRef)) this slot's threads took, less
    /// those they released, times two; the low bit is set while the
    /// slot's thread releases one (see [`anchor`]). Only the slot's thread
    /// writes it.
    anchors: AtomicUsize,
}

impl<G: ThreadState> Slot<G> {
    /// The owner-only half. A pool that finds it borrowed already (a
    /// re-entrant call from an item's `Drop` or a factory) should use its
    /// shared part instead of panicking.
    #[inline]
    pub fn owned(&self) -> &RefCell<G::Owned> {
        &self.owned
    }

    /// The half other threads read.
    #[inline]
    pub fn shared(&self) -> &G::Shared {
        &self.shared
    }
}

impl<G: ThreadState> fmt::Debug for Slot<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot").finish_non_exhaustive()
    }
}

/// A slot on cache lines of its own: what a thread writes on every get and
/// put shares no line with another thread's slot or another allocation.
/// One line's alignment (not `CachePadded`'s two on x86-64): no other
/// thread writes the lines, and a slot costs a line less.
#[repr(align(64))]
struct LinePadded<T>(T);

impl<T> std::ops::Deref for LinePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The slots of one pool.
struct Slots<G: ThreadState> {
    /// Every slot ever made, boxed so that its address never changes while
    /// the pool lives (threads cache it).
    all: Vec<Box<LinePadded<Slot<G>>>>,
    /// Indexes into `all` of slots no thread owns.
    free: Vec<usize>,
}

/// `repr(C)`, the shared part first: an engine keeps the line of its
/// trim epoch free of other allocations by placing it a line into this
/// (see `EngineState`).
#[repr(C)]
struct Inner<G: ThreadState> {
    global: G,
    slots: Mutex<Slots<G>>,
    /// Threads holding a slot now.
    threads: AtomicUsize,
    /// Owned references counted outside the slots, plus a bias while the
    /// handle lives (see [`anchor`]).
    anchors: AtomicUsize,
    /// Noted by the first owned reference's take (so a release may be
    /// under way when the handle drops); closed by the handle's drop:
    /// releases count centrally from then on (see [`anchor`]).
    gate: Gate,
    /// Registered for timed trims: its drop wakes the trimmer (which ends
    /// with its last timed pool); an untimed pool's drop touches nothing
    /// process-wide.
    #[cfg(not(pool_loom))]
    timed: std::sync::atomic::AtomicBool,
}

/// Per-thread state for one pool, with a shared part `G`; see the
/// [implementation notes](crate::implementation#the-per-thread-layer).
pub struct PerThread<G: ThreadState> {
    /// Compared with the thread's cache on every access (without the
    /// [`GHOST_COPY_BIT`] bit).
    id: u64,
    /// Dropped by hand: a ghost owns no strong count.
    inner: std::mem::ManuallyDrop<Arc<Inner<G>>>,
}

/// The bit that marks a ghost copy of a handle: set in the id of the copy
/// that an owned reference ([`PerThreadRef`](crate::PerThreadRef)) holds.
/// A ghost owns no strong count, its drop does nothing, and references
/// taken through it count centrally (see `anchor`). Kept in the id (ids
/// count up from 1 and never reach it) so that a reference stays two
/// words, which an owned guard moves on every get and drop.
const GHOST_COPY_BIT: u64 = 1 << 63;

/// Pool ids: never 0 (the empty cache entry), never reused.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl<G: ThreadState> PerThread<G> {
    /// Per-thread state around the shared part `global`; no slot is made
    /// until a thread asks.
    pub fn new(global: G) -> Self {
        let id = NEXT_ID.fetch_add(1, Relaxed);
        PerThread {
            id,
            inner: std::mem::ManuallyDrop::new(Arc::new(Inner {
                global,
                slots: Mutex::new(Slots {
                    all: Vec::new(),
                    free: Vec::new(),
                }),
                threads: AtomicUsize::new(0),
                anchors: AtomicUsize::new(BIAS),
                // Prepares the fences, before any release of this pool's
                // references runs its light one (see `anchor`).
                gate: Gate::new(),
                #[cfg(not(pool_loom))]
                timed: std::sync::atomic::AtomicBool::new(false),
            })),
        }
    }

    /// The shared part.
    #[inline]
    pub fn global(&self) -> &G {
        &self.inner.global
    }

    /// This pool's id: unique in the process, never reused.
    pub fn id(&self) -> u64 {
        self.id & !GHOST_COPY_BIT
    }

    /// Whether this is an owned reference's copy (see [`GHOST_COPY_BIT`]).
    #[inline]
    fn is_ghost(&self) -> bool {
        self.id & GHOST_COPY_BIT != 0
    }

    /// Threads that hold a slot now (they used the pool and have not
    /// exited). A thread's exit is over (what it held handed back) once
    /// this no longer counts it; `JoinHandle::join` waits for that, the end
    /// of a `thread::scope` does not.
    pub fn threads(&self) -> usize {
        self.inner.threads.load(Acquire)
    }

    /// Slots made so far: at most the largest number of threads that used
    /// the pool at the same time.
    pub fn slots(&self) -> usize {
        lock(&self.inner.slots).all.len()
    }

    /// Calls `f` with an iterator over every slot's shared half (for
    /// statistics) and the shared part. Takes the slot lock, so `f` must
    /// not call [`with`](Self::with) for a thread that has no slot yet.
    pub fn with_shared<R>(
        &self,
        f: impl for<'s> FnOnce(&mut dyn Iterator<Item = &'s G::Shared>, &'s G) -> R,
    ) -> R {
        let slots = lock(&self.inner.slots);
        f(
            &mut slots.all.iter().map(|slot| &slot.shared),
            &self.inner.global,
        )
    }

    /// Calls `f` with the shared part and every slot's owned and shared
    /// halves, whichever thread owns it, and returns true; returns false
    /// without calling `f` while owned references ([`PerThreadRef`](crate::PerThreadRef)) are
    /// out. `&mut self` proves that no thread is inside
    /// [`with`](Self::with) for this pool through a handle, the check that
    /// none holds a reference that no thread can be inside it through one,
    /// and a thread that exits meanwhile waits for `f` (or `f` for it).
    pub fn for_each_owned(&mut self, mut f: impl FnMut(&G, &mut G::Owned, &G::Shared)) -> bool {
        let global = &self.inner.global;
        let slots = lock(&self.inner.slots);
        if anchors_out(&self.inner, &slots.all) {
            return false;
        }
        for slot in &slots.all {
            let _handover = lock(&slot.handover);
            // Cannot fail: owners are outside `with` (`&mut self`), and a
            // hand-back holds `handover` while it borrows.
            if let Ok(mut owned) = slot.owned.try_borrow_mut() {
                f(global, &mut owned, &slot.shared);
            }
        }
        true
    }
}

impl<G: ThreadState> PerThread<G> {
    /// The calling thread's shared half, made on first use; `None` while
    /// the thread's thread-locals are being destroyed. The shared half is
    /// `Sync` and lives as long as the pool, so the reference may outlive
    /// the call (its owner-only counters are meant for this thread, though).
    #[inline]
    pub fn shared_slot(&self) -> Option<&G::Shared> {
        let shared = self.with(|slot| slot.map(|s| std::ptr::from_ref(s.shared())));
        // SAFETY: slots are boxed and never freed or moved while the pool
        // lives, and `&self` keeps the pool alive; `G::Shared` is `Sync`,
        // so sharing the reference with any thread is sound.
        shared.map(|p| unsafe { &*p })
    }
}

#[cfg(not(pool_loom))]
impl<G: ThreadState + Trim> Trim for Inner<G> {
    fn trim(&self) {
        self.global.trim();
    }
    fn timed_trim(&self) {
        self.global.timed_trim();
    }
}

impl<G: ThreadState + Trim> PerThread<G> {
    /// Registers the shared part with the process-wide
    /// [`trimmer`](crate::trimmer): trimmed every `interval` (if `Some`)
    /// and by every [`trim_all`](crate::trimmer::trim_all). Held weakly.
    ///
    /// Under `--cfg pool_loom` (the loom models), nothing is registered:
    /// the trimmer's thread and clock are not part of any model.
    pub fn register_trim(&self, interval: Option<std::time::Duration>) {
        #[cfg(not(pool_loom))]
        {
            if interval.is_some() {
                self.inner
                    .timed
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
            let strong: std::sync::Arc<Inner<G>> = Arc::clone(&self.inner);
            let strong: std::sync::Arc<dyn Trim> = strong;
            crate::trimmer::register_trim(std::sync::Arc::downgrade(&strong), interval);
        }
        #[cfg(pool_loom)]
        let _ = interval;
    }
}

impl<G: ThreadState> Drop for Inner<G> {
    fn drop(&mut self) {
        // The trimmer holds the shared part weakly: now that it is gone,
        // let the trimmer notice (and end, if this was its last timed
        // pool). An untimed pool is forgotten lazily (see `trim_all`).
        #[cfg(not(pool_loom))]
        if *self.timed.get_mut() {
            crate::trimmer::forget_trim();
        }
    }
}

impl<G: ThreadState> fmt::Debug for PerThread<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerThread")
            .field("id", &self.id())
            .field("threads", &self.threads())
            .finish_non_exhaustive()
    }
}

impl<G: ThreadState> Inner<G> {
    /// Takes a free slot or makes one, for the calling thread.
    fn assign(&self) -> (usize, *const Slot<G>) {
        let (index, ptr) = {
            let mut slots = lock(&self.slots);
            let index = match slots.free.pop() {
                // Its last owner left a fresh owned half (see `release`);
                // the shared half (counters) stays.
                Some(index) => index,
                None => {
                    // Padded: neighbouring threads' slots never share a
                    // cache line.
                    let slot = Box::new(LinePadded(Slot {
                        owned: RefCell::new(self.global.new_owned()),
                        shared: self.global.new_shared(),
                        handover: Mutex::new(()),
                        anchors: AtomicUsize::new(0),
                    }));
                    if slots.all.capacity() == 0 {
                        // Most pools are used by a few threads: room for
                        // one, grown as more come.
                        slots.all.reserve_exact(1);
                    }
                    slots.all.push(slot);
                    slots.all.len() - 1
                }
            };
            let ptr: *const Slot<G> = &**slots.all[index];
            self.threads.fetch_add(1, Relaxed);
            (index, ptr)
        };
        self.global.thread_arrived();
        (index, ptr)
    }

    /// The thread that owned slot `index` exited: hands what it held to
    /// the shared part, then frees the slot for another thread.
    #[cfg_attr(all(pool_loom, not(test)), allow(dead_code))]
    fn release(&self, index: usize) {
        let ptr: *const Slot<G> = {
            let slots = lock(&self.slots);
            &**slots.all[index]
        };
        // SAFETY: slots are boxed and never removed from `all` while the
        // pool lives, and the caller holds a strong reference to the pool,
        // so the box is alive. Only a shared reference is made; `owned` is
        // reached through its `RefCell` under `handover`.
        let slot = unsafe { &*ptr };
        {
            let _handover = lock(&slot.handover);
            let owned = match slot.owned.try_borrow_mut() {
                Ok(mut owned) => Some(std::mem::replace(&mut *owned, self.global.new_owned())),
                // Borrowed: only possible if the thread is tearing down in
                // the middle of a pool call, which std never does. Leave the
                // items in the slot; the next owner or the pool's drop frees
                // them.
                Err(_) => None,
            };
            if let Some(owned) = owned {
                self.global.thread_exited(owned, &slot.shared);
            }
        }
        let mut slots = lock(&self.slots);
        slots.free.push(index);
        // Release: whoever sees the lower count sees the hand-back.
        self.threads.fetch_sub(1, Release);
    }
}

/// Added to the central count while the handle lives, so that releases
/// counted there never bring it to zero before the handle's drop has
/// added up the slots.
const BIAS: usize = 1 << (usize::BITS - 2);

/// Whether any owned reference may be out, read through the handle (`&mut`
/// or under the slot lock): takes happen only through the handle, so only
/// releases move the counts meanwhile, and a sum of zero means every
/// reference was released, and its thread is done with the pool
/// (Acquire: what it did happens before what the caller does next).
fn anchors_out<G: ThreadState>(inner: &Inner<G>, slots: &[Box<LinePadded<Slot<G>>>]) -> bool {
    let in_slots = slots.iter().fold(0usize, |sum, slot| {
        // A slot's word counts references above its low bit, the bit a
        // release under way sets (see `anchor`); that release still
        // counts: its count goes down with the store that clears the bit.
        let word = slot.anchors.load(Acquire);
        sum.wrapping_add(((word as isize) >> 1) as usize)
    });
    let central = inner.anchors.load(Acquire).wrapping_sub(BIAS);
    in_slots.wrapping_add(central) != 0
}
