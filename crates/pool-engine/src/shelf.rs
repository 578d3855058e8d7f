//! One class of items: its per-thread [`Cache`] and its shared [`Shelf`]
//! (the spill, the limits, the byte budget, the factory).
//!
//! The engine owns every call into this module: it finds the calling
//! thread's cache, reads the trim epoch and picks the counters, so these
//! functions only take what they work on.

use std::sync::Arc;

use pool_core::Reset;
use pool_core::strategy::words::pop_words;
use pool_core::strategy::{Counter, Counters};

use crate::budget::ByteBudget;
use crate::class::Entry;
use crate::limits::ClassLimits;
use crate::spill::Spill;
use crate::unwind::OnUnwind;

mod trim;

/// Makes an item on a miss.
pub(crate) type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;

/// A class's limits in the form the hot path reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    /// Idle items one thread keeps.
    pub(crate) cache_size: usize,
    /// Items moved between a cache and the spill at once.
    pub(crate) batch: usize,
    /// Batches the spill holds.
    pub(crate) spill_batches: usize,
    pub(crate) max_item_bytes: usize,
    pub(crate) min_item_bytes: usize,
}

impl From<&ClassLimits> for Config {
    fn from(l: &ClassLimits) -> Self {
        let batch = (l.cache_size / 2).max(1);
        Config {
            cache_size: l.cache_size,
            batch,
            spill_batches: l.spill_size.div_ceil(batch),
            max_item_bytes: l.max_item_bytes,
            min_item_bytes: l.min_item_bytes,
        }
    }
}

/// An idle item and the heap bytes it was measured to hold when it came
/// back (so taking it out needs no second measurement).
pub(crate) struct Idle<T> {
    item: T,
    bytes: usize,
}

/// Idle items moved between a thread's cache and the spill in one go.
struct Batch<T> {
    /// Never empty.
    items: Vec<Idle<T>>,
    /// Sum of `items[..].bytes`; reserved from the budget, if there is one.
    bytes: usize,
    /// The trim epoch when the batch was spilled.
    epoch: u64,
}

/// What a get or put that stays in the cache reads of its class's limits:
/// copied into each cache, so that the hot path reads one line of the
/// thread's own and looks the shared [`Shelf`] up only when it leaves the
/// cache (for pool-tiered, one class lookup fewer per get and per put).
#[derive(Debug, Clone, Copy)]
struct CachedLimits {
    cache_size: usize,
    max_item_bytes: usize,
    min_item_bytes: usize,
    /// Whether the class has a byte budget.
    budgeted: bool,
}

/// One thread's idle items of one shelf. Only the owning thread touches it
/// (the per-thread layer guarantees that).
pub(crate) struct Cache<T> {
    /// Idle items, the most recently returned last (LIFO keeps them warm).
    /// Invariant: `len <= cache_size`.
    items: Vec<Idle<T>>,
    /// Bytes reserved from the budget and not held by an item (0 without a
    /// budget).
    credit: usize,
    /// The last trim epoch this cache acted on.
    seen_epoch: u64,
    /// The lowest `items.len()` since `seen_epoch` was taken: the items
    /// below it have not been touched since.
    low_water: usize,
    /// The class's limits, as the hot path reads them.
    hot: CachedLimits,
}

/// A cache no class owns (a [`PerClass`](crate::PerClass) filler): it
/// holds nothing and keeps nothing, so a take or keep of an out-of-range
/// class that reaches it goes to the slow path, whose lookup of the
/// class's shelf panics. No item is kept and no limit stops an item
/// before that lookup.
impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache {
            items: Vec::new(),
            credit: 0,
            seen_epoch: 0,
            low_water: 0,
            hot: CachedLimits {
                cache_size: 0,
                max_item_bytes: usize::MAX,
                min_item_bytes: 0,
                budgeted: false,
            },
        }
    }
}

impl<T> std::fmt::Debug for Cache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("items", &self.items.len())
            .field("credit", &self.credit)
            .finish_non_exhaustive()
    }
}

/// What one kind of item shares across threads.
pub(crate) struct Shelf<T> {
    /// Batches of idle items shared by all threads.
    spill: Spill<Batch<T>>,
    /// The retained-byte cap, if one is set.
    budget: Option<Arc<ByteBudget>>,
    factory: Factory<T>,
    cfg: Config,
    limits: ClassLimits,
}

impl<T> std::fmt::Debug for Shelf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shelf")
            .field("config", &self.cfg)
            .field("spilled_batches", &self.spill.len())
            .finish_non_exhaustive()
    }
}

/// The counter of an item entering the idle set: a return, or an item the
/// pool never handed out (`put`).
#[inline(always)]
fn entered(counters: &Counters, entry: Entry) -> &Counter {
    if entry == Entry::Adopted {
        &counters.prefilled
    } else {
        &counters.returns
    }
}

impl<T: Reset> Shelf<T> {
    pub(crate) fn new(
        limits: &ClassLimits,
        factory: Factory<T>,
        budget: Option<Arc<ByteBudget>>,
    ) -> Self {
        let cfg = Config::from(limits);
        Shelf {
            spill: Spill::new(cfg.spill_batches),
            budget,
            factory,
            cfg,
            limits: *limits,
        }
    }

    /// The limits the shelf was made with.
    pub(crate) fn limits(&self) -> ClassLimits {
        self.limits
    }

    /// An empty cache for a thread, as of trim epoch `epoch`.
    pub(crate) fn new_cache(&self, epoch: u64) -> Cache<T> {
        Cache {
            items: Vec::with_capacity(self.cfg.cache_size),
            credit: 0,
            seen_epoch: epoch,
            low_water: 0,
            hot: CachedLimits {
                cache_size: self.cfg.cache_size,
                max_item_bytes: self.cfg.max_item_bytes,
                min_item_bytes: self.cfg.min_item_bytes,
                budgeted: self.budget.is_some(),
            },
        }
    }

    /// Takes an item: from `cache`, else a batch from the spill, else a
    /// new one (a miss). `c` is the owner's counter block; `shelf` finds
    /// the cache's shelf, which an item taken from the cache does not need
    /// (without a byte budget).
    #[inline(always)]
    pub(crate) fn take<'s>(
        shelf: impl FnOnce() -> &'s Self,
        cache: &mut Cache<T>,
        c: &Counters,
        epoch: u64,
    ) -> T
    where
        T: 's,
    {
        if cache.seen_epoch == epoch
            && let Some(idle) = pop_words(&mut cache.items)
        {
            // A store only when the mark falls (rare in a steady state).
            let len = cache.items.len();
            if len < cache.low_water {
                cache.low_water = len;
            }
            c.hits.incr();
            c.bytes_out.add(idle.bytes as u64);
            if cache.hot.budgeted
                && let Some(budget) = &shelf().budget
            {
                // The item's bytes become credit, kept for its return; what
                // piles up past two chunks goes back to the budget.
                cache.credit += idle.bytes;
                let chunk = budget.chunk();
                if cache.credit > idle.bytes.max(2 * chunk) {
                    let keep = idle.bytes.max(chunk);
                    budget.release(cache.credit - keep);
                    cache.credit = keep;
                }
            }
            return idle.item;
        }
        shelf().take_slow(cache, c, epoch)
    }

    /// A trim to act on, an empty cache: refill from the spill or make one.
    #[cold]
    #[inline(never)]
    fn take_slow(&self, cache: &mut Cache<T>, c: &Counters, epoch: u64) -> T {
        if cache.seen_epoch != epoch {
            self.observe_trim(cache, c, epoch);
            return Self::take(|| self, cache, c, epoch);
        }
        if let Some(mut batch) = self.spill.pop() {
            let first = match batch.items.pop() {
                Some(first) => first,
                None => unreachable!("spilled batches are never empty"),
            };
            cache.items.append(&mut batch.items);
            cache.low_water = 0;
            if self.budget.is_some() {
                // The batch's bytes were reserved; the taken item's become credit.
                cache.credit += first.bytes;
            }
            c.hits.incr();
            c.bytes_out.add(first.bytes as u64);
            return first.item;
        }
        let item = (self.factory)();
        c.misses.incr();
        item
    }

    /// A new item from the class's factory, counted nowhere.
    pub(crate) fn make(&self) -> T {
        (self.factory)()
    }

    /// Keeps an item that was reset already and measured at `bytes`, or
    /// drops it; true if kept. Items the pool never handed out (`adopted`)
    /// count as prefilled when kept and are not counted when dropped.
    /// `shelf` finds the cache's shelf, which an item kept in the cache
    /// does not need.
    #[inline(always)]
    pub(crate) fn keep<'s>(
        shelf: impl FnOnce() -> &'s Self,
        cache: &mut Cache<T>,
        c: &Counters,
        item: T,
        bytes: usize,
        epoch: u64,
        entry: Entry,
    ) -> bool
    where
        T: 's,
    {
        let hot = cache.hot;
        if bytes > hot.max_item_bytes || bytes < hot.min_item_bytes {
            let counter = if bytes > hot.max_item_bytes {
                &c.discarded.too_large
            } else {
                &c.discarded.too_small
            };
            discard(counter, entry);
            return false;
        }
        let credit_ok = !hot.budgeted || cache.credit >= bytes;
        if cache.seen_epoch == epoch && cache.items.len() < hot.cache_size && credit_ok {
            if hot.budgeted {
                cache.credit -= bytes;
            }
            push_kept(cache, c, Idle { item, bytes }, entry);
            return true;
        }
        shelf().keep_slow(cache, c, item, bytes, epoch, entry)
    }

    /// A trim to act on, a full cache, or no credit left.
    #[cold]
    #[inline(never)]
    fn keep_slow(
        &self,
        cache: &mut Cache<T>,
        c: &Counters,
        item: T,
        bytes: usize,
        epoch: u64,
        entry: Entry,
    ) -> bool {
        if cache.seen_epoch != epoch {
            self.observe_trim(cache, c, epoch);
        }
        if cache.items.len() >= self.cfg.cache_size && !self.spill_half(cache, epoch) {
            discard(&c.discarded.full, entry);
            return false;
        }
        if let Some(budget) = &self.budget {
            if cache.credit < bytes {
                let need = bytes - cache.credit;
                let got = budget.reserve_up_to(need, need.max(budget.chunk()));
                if got == 0 {
                    discard(&c.discarded.over_byte_cap, entry);
                    return false;
                }
                cache.credit += got;
            }
            cache.credit -= bytes;
        }
        push_kept(cache, c, Idle { item, bytes }, entry);
        true
    }

    /// Moves the older half of the cache to the spill in one batch; false
    /// if the spill is full (the cache is left as it was).
    fn spill_half(&self, cache: &mut Cache<T>, epoch: u64) -> bool {
        if self.spill.is_full() {
            return false;
        }
        let n = self.cfg.batch.min(cache.items.len());
        let items: Vec<Idle<T>> = cache.items.drain(..n).collect();
        cache.low_water = cache.low_water.saturating_sub(n);
        let bytes = items.iter().map(|i| i.bytes).sum();
        match self.spill.push(Batch {
            items,
            bytes,
            epoch,
        }) {
            Ok(()) => true,
            Err(batch) => {
                // Filled by another thread since the check: put them back.
                let mut items = batch.items;
                items.append(&mut cache.items);
                cache.items = items;
                false
            }
        }
    }

    /// The owner of `cache` exited: its items go to the spill in batches
    /// (what does not fit is freed and counted as trimmed), its credit back
    /// to the budget. `c` is still the owner's counter block. The caller
    /// also detaches from the budget.
    pub(crate) fn thread_exited(&self, mut cache: Cache<T>, c: &Counters, epoch: u64) {
        let mut freed = (0u64, 0usize);
        while !cache.items.is_empty() {
            let n = self.cfg.batch.min(cache.items.len());
            let items: Vec<Idle<T>> = cache.items.drain(..n).collect();
            let bytes = items.iter().map(|i| i.bytes).sum();
            if let Err(batch) = self.spill.push(Batch {
                items,
                bytes,
                epoch,
            }) {
                freed.0 += batch.items.len() as u64;
                freed.1 += batch.bytes;
            }
        }
        c.trimmed.add(freed.0);
        c.bytes_trimmed.add(freed.1 as u64);
        if let Some(budget) = &self.budget {
            budget.release(freed.1 + cache.credit);
        }
    }

    /// A get with no cache (the thread is being torn down, or a factory or
    /// `Drop` re-entered the pool): one item from a spilled batch, else a
    /// new one. Counts into `c` with shared adds.
    #[cold]
    pub(crate) fn take_shared(&self, c: &Counters) -> T {
        if let Some(mut batch) = self.spill.pop() {
            let first = match batch.items.pop() {
                Some(first) => first,
                None => unreachable!("spilled batches are never empty"),
            };
            batch.bytes -= first.bytes;
            if let Some(budget) = &self.budget {
                budget.release(first.bytes);
            }
            if !batch.items.is_empty()
                && let Err(rest) = self.spill.push(batch)
            {
                c.trimmed.add_shared(rest.items.len() as u64);
                c.bytes_trimmed.add_shared(rest.bytes as u64);
                if let Some(budget) = &self.budget {
                    budget.release(rest.bytes);
                }
            }
            c.hits.add_shared(1);
            c.bytes_out.add_shared(first.bytes as u64);
            return first.item;
        }
        let item = (self.factory)();
        c.misses.add_shared(1);
        item
    }

    /// A put with no cache (see [`take_shared`](Self::take_shared)): the
    /// reset item joins the spill as a batch of one, within the limits, or
    /// is dropped and counted. Counts into `c` with shared adds.
    #[cold]
    pub(crate) fn keep_shared(
        &self,
        c: &Counters,
        item: T,
        bytes: usize,
        epoch: u64,
        entry: Entry,
    ) -> bool {
        let count = |counter: &Counter| {
            if entry == Entry::Returned {
                counter.add_shared(1);
            }
        };
        if bytes > self.cfg.max_item_bytes {
            count(&c.discarded.too_large);
            return false;
        }
        if bytes < self.cfg.min_item_bytes {
            count(&c.discarded.too_small);
            return false;
        }
        if let Some(budget) = &self.budget
            && !budget.try_reserve(bytes)
        {
            count(&c.discarded.over_byte_cap);
            return false;
        }
        let batch = Batch {
            items: vec![Idle { item, bytes }],
            bytes,
            epoch,
        };
        if self.spill.push(batch).is_err() {
            if let Some(budget) = &self.budget {
                budget.release(bytes);
            }
            count(&c.discarded.full);
            return false;
        }
        if entry == Entry::Adopted {
            c.prefilled.add_shared(1);
        } else {
            c.returns.add_shared(1);
        }
        c.bytes_in.add_shared(bytes as u64);
        true
    }
}

/// Adds a kept item to the cache and counts it entering the idle set.
#[inline(always)]
fn push_kept<T>(cache: &mut Cache<T>, c: &Counters, idle: Idle<T>, entry: Entry) {
    let bytes = idle.bytes as u64;
    cache.items.push(idle);
    entered(c, entry).incr();
    c.bytes_in.add(bytes);
}

/// Counts a dropped return (an adopted item that is dropped was never out,
/// so it is not counted).
#[inline]
fn discard(counter: &Counter, entry: Entry) {
    if entry == Entry::Returned {
        counter.incr();
    }
}

/// Resets `item`, counting it as discarded (reason `panicked`) in `c` if
/// `reset`, `heap_bytes` or `is_reusable` unwinds (the unwinding drops the
/// item, never pooled half-reset); `shared` picks the counter's shared
/// add. Returns the heap bytes the reset item holds, or `None` if
/// [`Reset::is_reusable`] refused it (counted as discarded, reason
/// `refused`, for a return; the caller drops it).
#[inline]
pub(crate) fn reset_and_measure<T: Reset>(
    item: &mut T,
    c: &Counters,
    shared: bool,
    entry: Entry,
) -> Option<usize> {
    let count = |counter: &Counter| match (entry, shared) {
        (Entry::Adopted, _) => {}
        (Entry::Returned, true) => counter.add_shared(1),
        (Entry::Returned, false) => counter.incr(),
    };
    let on_panic = OnUnwind::new((), |()| count(&c.discarded.panicked));
    item.reset();
    let bytes = item.heap_bytes();
    let reusable = item.is_reusable();
    on_panic.disarm();
    if reusable {
        Some(bytes)
    } else {
        count(&c.discarded.refused);
        None
    }
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_spill_rounds_up_to_whole_batches() {
        let limits = |cache_size, spill_size| ClassLimits {
            cache_size,
            spill_size,
            ..ClassLimits::default()
        };
        let c = Config::from(&limits(10, 11));
        assert_eq!((c.batch, c.spill_batches), (5, 3));
        let c = Config::from(&limits(1, 1));
        assert_eq!((c.batch, c.spill_batches), (1, 1));
    }
}
