//! What a [`TieredPool`](crate::TieredPool) shares with the buffers it
//! handed out: the engine (one class per size), the release settings and
//! the counters of what the engine does not see.

use std::ops::{Deref, DerefMut};

use pool_core::Reset;
use pool_core::strategy::Counter;
use pool_engine::{ClassLimits, ClassTable, Engine, EngineRef, Entry};

use crate::recent::Recent;

/// The item a size class keeps: a `Vec<u8>` of the class's capacity, whose
/// [`Reset`] clears it and whose heap bytes are its capacity. Users never
/// hold one: guards deref to the `Vec<u8>`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[repr(transparent)]
pub(crate) struct ClassBuf(pub(crate) Vec<u8>);

impl Deref for ClassBuf {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl DerefMut for ClassBuf {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl Reset for ClassBuf {
    #[inline]
    fn reset(&mut self) {
        self.0.clear();
    }

    #[inline]
    fn heap_bytes(&self) -> usize {
        self.0.capacity()
    }
}

/// What a [`TieredPool`](crate::TieredPool) keeps beside its classes, in
/// the engine, so that owned and frozen buffers reach it after the pool is
/// dropped: the release settings and the counters of what the engine does
/// not see.
#[derive(Default)]
pub(crate) struct TieredExtra {
    /// Zero a buffer's bytes before it is kept (Node.js's `buf.fill(0)`).
    pub(crate) zero_on_release: bool,
    /// Requests over the largest class (a shared counter: the oversize path
    /// allocates anyway; not padded, as it is written only on that path,
    /// and the engine keeps it off the line of the trim epoch).
    pub(crate) oversize: Counter,
    pub(crate) foreign_kept: Counter,
    pub(crate) foreign_dropped: Counter,
    /// Where outstanding class buffers were taken, if tracked.
    #[cfg(feature = "leak-sites")]
    pub(crate) leaks: Option<std::sync::Arc<pool_core::leaks::LeakTracker>>,
}

/// The classes of a tiered pool, computed from their sizes: the engine
/// asks for a class's limits and makes its buffers through this, so an
/// empty pool holds the sizes and nothing per class.
pub(crate) struct Tiers {
    /// Strictly increasing; shared with the pool's `SizeClasses`.
    pub(crate) sizes: std::sync::Arc<[usize]>,
    pub(crate) cache_size: usize,
    pub(crate) spill_size: usize,
}

impl ClassTable<ClassBuf> for Tiers {
    fn classes(&self) -> usize {
        self.sizes.len()
    }

    fn limits(&self, class: usize) -> ClassLimits {
        let size = self.sizes[class];
        // A buffer that grew into the next class's size (or past twice the
        // largest) is dropped on return: no pool pollution. One that
        // shrank under the class's size is dropped too: it could not keep
        // `get(len)`'s promise of capacity >= len.
        let max = self
            .sizes
            .get(class + 1)
            .map_or(size.saturating_mul(2), |&next| next - 1);
        ClassLimits {
            cache_size: self.cache_size,
            spill_size: self.spill_size,
            min_item_bytes: size,
            max_item_bytes: max,
        }
    }

    fn make(&self, class: usize) -> ClassBuf {
        ClassBuf(Vec::with_capacity(self.sizes[class]))
    }
}

/// Classes after the first whose per-thread caches sit inline in each
/// thread's slot: all of the default 15 (128 B to 2 MiB), so the hot path
/// loads no pointer before the cache (see `Engine`'s `INLINE`).
pub(crate) const INLINE: usize = 14;

/// The engine of a [`TieredPool`](crate::TieredPool): one class per size;
/// each thread also publishes its recent lengths.
pub(crate) type TieredEngine = Engine<ClassBuf, Recent, TieredExtra, INLINE>;

/// What owned and frozen buffers hold: a hold on the engine counted per
/// thread, that outlives the pool.
pub(crate) type TieredEngineRef = EngineRef<ClassBuf, Recent, TieredExtra, INLINE>;

impl TieredExtra {
    /// The leak tracker, if the pool has one (none without `leak-sites`).
    #[inline]
    pub(crate) fn leaks(&self) -> Option<&pool_core::leaks::LeakTracker> {
        #[cfg(feature = "leak-sites")]
        let leaks = self.leaks.as_deref();
        #[cfg(not(feature = "leak-sites"))]
        let leaks = None;
        leaks
    }

    /// Zeroes `buf` if the pool says so: `fill(0)` over the whole
    /// capacity, so whatever the holder did with the length (clear,
    /// truncate, freeze), nothing it wrote is left for the next holder.
    /// Costs a memset of the class size per release.
    #[inline]
    pub(crate) fn prepare(&self, buf: &mut ClassBuf) {
        if self.zero_on_release {
            buf.0.clear();
            buf.0
                .spare_capacity_mut()
                .fill(std::mem::MaybeUninit::new(0));
        }
    }
}

/// A buffer of class `class` from this thread's cache, recording `len`.
#[inline]
pub(crate) fn take(engine: &TieredEngine, class: usize, len: usize) -> Vec<u8> {
    engine.take_noting(class, |recent| recent.record(len)).0
}

/// [`take`], with a hold on the engine for an owned buffer.
#[inline]
pub(crate) fn take_held(
    engine: &TieredEngine,
    class: usize,
    len: usize,
) -> (Vec<u8>, TieredEngineRef) {
    let (buf, held) = engine.take_noting_anchored(class, |recent| recent.record(len));
    (buf.0, held)
}

/// Keeps `buf` in class `class` (zeroed first if the pool says so), or
/// drops it; true if kept. A buffer whose capacity fell under its
/// class's size (the holder shrank, swapped or took it) is dropped by
/// the engine as too small: keeping it would break `get(len)`'s promise
/// of capacity >= len.
#[inline]
pub(crate) fn put(engine: &TieredEngine, class: usize, mut buf: ClassBuf, entry: Entry) -> bool {
    engine.extra().prepare(&mut buf);
    engine.put(class, buf, entry)
}

/// [`put`] through a hold, which is used up.
#[inline]
pub(crate) fn put_held(held: TieredEngineRef, class: usize, mut buf: ClassBuf) -> bool {
    held.extra().prepare(&mut buf);
    held.put(class, buf, Entry::Returned)
}

/// Counts a class buffer taken out of the pool for good.
pub(crate) fn note_detached(engine: &TieredEngine, class: usize) {
    engine.count(class, |c| &c.detached);
}

/// Records a request length that no class serves.
pub(crate) fn record_only(engine: &TieredEngine, len: usize) {
    engine.note(|recent| recent.record(len));
}
