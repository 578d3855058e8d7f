//! One kind of item: its per-thread [`Cache`] and its shared [`Shelf`]
//! (global spill, limits, byte budget, factory).
//!
//! [`LocalPool`](crate::LocalPool) is one shelf behind the per-thread
//! layer; `pool-tiered` puts one shelf per size class behind one layer, so
//! a get or put of any class finds every class's cache with one
//! thread-local access. The functions here take the cache they work on;
//! the layer decides whose it is.

use std::mem;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::sync::{Arc, OnceLock};

use crossbeam_queue::{ArrayQueue, SegQueue};
use pool_core::unwind::OnUnwind;
use pool_core::{Counter, Counters, Reset};

use crate::budget::ByteBudget;
use crate::config::Config;
pub use crate::raw::move_words;
use crate::raw::pop_words;

pub(crate) type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;

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

/// One thread's idle items of one shelf. Only the owning thread touches it
/// (the per-thread layer guarantees that).
pub struct Cache<T> {
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
}

impl<T> std::fmt::Debug for Cache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("items", &self.items.len())
            .field("credit", &self.credit)
            .finish_non_exhaustive()
    }
}

/// Spills of at most this many batches are allocated whole when the pool
/// is made (at most `PREALLOCATE * size_of::<Batch>()`, 40 KiB); larger
/// ones as they fill.
const PREALLOCATE: usize = 1024;

/// A bounded queue of batches.
///
/// A spill of up to [`PREALLOCATE`] entries is an `ArrayQueue` allocated
/// when the pool is made. That placement matters: a queue allocated during
/// a burst sits above the burst's buffers on the heap, and the allocator
/// cannot give their memory back after they are freed (measured: RSS after
/// a burst and two trims 7.3 MiB with a lazily allocated queue, 2.4 MiB
/// with this one). A larger limit would cost its whole size up front (a
/// `MAX_SPILL_SIZE` spill of batches of one took 667 MiB), so it is a
/// `SegQueue` instead, which takes blocks of a few dozen entries as it
/// fills and frees them as it drains, made at the first spill.
struct Spill<T> {
    queue: SpillQueue<T>,
    /// Entries pushed or being pushed; never over `cap` for long (a push
    /// that takes it over gives its place back at once).
    len: AtomicUsize,
    cap: usize,
}

enum SpillQueue<T> {
    Preallocated(Box<ArrayQueue<T>>),
    Growing(OnceLock<Box<SegQueue<T>>>),
}

impl<T> Spill<T> {
    fn new(cap: usize) -> Self {
        let queue = if cap <= PREALLOCATE {
            SpillQueue::Preallocated(Box::new(ArrayQueue::new(cap.max(1))))
        } else {
            SpillQueue::Growing(OnceLock::new())
        };
        Spill {
            queue,
            len: AtomicUsize::new(0),
            cap,
        }
    }

    fn push(&self, value: T) -> Result<(), T> {
        if self.len.fetch_add(1, AcqRel) >= self.cap {
            self.len.fetch_sub(1, AcqRel);
            return Err(value);
        }
        match &self.queue {
            // Never full here: `len` reserved the place.
            SpillQueue::Preallocated(q) => {
                if let Err(value) = q.push(value) {
                    self.len.fetch_sub(1, AcqRel);
                    return Err(value);
                }
            }
            SpillQueue::Growing(q) => q.get_or_init(|| Box::new(SegQueue::new())).push(value),
        }
        Ok(())
    }

    fn pop(&self) -> Option<T> {
        let value = match &self.queue {
            SpillQueue::Preallocated(q) => q.pop()?,
            SpillQueue::Growing(q) => q.get()?.pop()?,
        };
        self.len.fetch_sub(1, AcqRel);
        Some(value)
    }

    fn len(&self) -> usize {
        self.len.load(Acquire).min(self.cap)
    }

    fn is_full(&self) -> bool {
        self.len.load(Acquire) >= self.cap
    }
}

/// What one kind of item shares across threads.
pub struct Shelf<T> {
    /// Batches of idle items shared by all threads.
    spill: Spill<Batch<T>>,
    /// The retained-byte cap, if one is set.
    budget: Option<Arc<ByteBudget>>,
    factory: Factory<T>,
    pub(crate) cfg: Config,
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
fn entered(counters: &Counters, adopted: bool) -> &Counter {
    if adopted {
        &counters.prefilled
    } else {
        &counters.returns
    }
}

impl<T: Reset> Shelf<T> {
    pub(crate) fn new(cfg: Config, factory: Factory<T>, budget: Option<Arc<ByteBudget>>) -> Self {
        Shelf {
            spill: Spill::new(cfg.spill_batches),
            budget,
            factory,
            cfg,
        }
    }

    /// The budget, if there is one.
    pub(crate) fn budget(&self) -> Option<&ByteBudget> {
        self.budget.as_deref()
    }

    /// An empty cache for a thread, as of trim epoch `epoch`.
    pub fn new_cache(&self, epoch: u64) -> Cache<T> {
        Cache {
            items: Vec::with_capacity(self.cfg.cache_size),
            credit: 0,
            seen_epoch: epoch,
            low_water: 0,
        }
    }

    /// A thread started using this shelf (sizes the budget's chunk). Pools
    /// whose shelves share one budget call this for one shelf only.
    pub fn thread_arrived(&self) {
        if let Some(b) = &self.budget {
            b.attach();
        }
    }

    /// A thread that used this shelf exited; pairs with
    /// [`thread_arrived`](Self::thread_arrived).
    pub fn thread_left(&self) {
        if let Some(b) = &self.budget {
            b.detach();
        }
    }

    /// Takes an item: from `cache`, else a batch from the spill, else a
    /// new one (a miss). `c` is the owner's counter block.
    #[inline]
    pub fn take(&self, cache: &mut Cache<T>, c: &Counters, epoch: u64) -> T {
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
            if let Some(budget) = &self.budget {
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
        self.take_slow(cache, c, epoch)
    }

    /// A trim to act on, an empty cache: refill from the spill or make one.
    #[cold]
    #[inline(never)]
    fn take_slow(&self, cache: &mut Cache<T>, c: &Counters, epoch: u64) -> T {
        if cache.seen_epoch != epoch {
            self.observe_trim(cache, c, epoch);
            return self.take(cache, c, epoch);
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

    /// Keeps an item that was reset already and measured at `bytes`, or
    /// drops it; true if kept. Items the pool never handed out (`adopted`)
    /// count as prefilled when kept and are not counted when dropped.
    #[inline]
    pub fn keep(
        &self,
        cache: &mut Cache<T>,
        c: &Counters,
        item: T,
        bytes: usize,
        epoch: u64,
        adopted: bool,
    ) -> bool {
        if bytes > self.cfg.max_item_bytes || bytes < self.cfg.min_item_bytes {
            let counter = if bytes > self.cfg.max_item_bytes {
                &c.discarded_too_large
            } else {
                &c.discarded_too_small
            };
            discard(counter, adopted);
            return false;
        }
        let credit_ok = self.budget.is_none() || cache.credit >= bytes;
        if cache.seen_epoch == epoch && cache.items.len() < self.cfg.cache_size && credit_ok {
            if self.budget.is_some() {
                cache.credit -= bytes;
            }
            push_kept(cache, c, Idle { item, bytes }, adopted);
            return true;
        }
        self.keep_slow(cache, c, item, bytes, epoch, adopted)
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
        adopted: bool,
    ) -> bool {
        if cache.seen_epoch != epoch {
            self.observe_trim(cache, c, epoch);
        }
        if cache.items.len() >= self.cfg.cache_size && !self.spill_half(cache, epoch) {
            discard(&c.discarded_full, adopted);
            return false;
        }
        if let Some(budget) = &self.budget {
            if cache.credit < bytes {
                let need = bytes - cache.credit;
                let got = budget.reserve_up_to(need, need.max(budget.chunk()));
                if got == 0 {
                    discard(&c.discarded_over_byte_cap, adopted);
                    return false;
                }
                cache.credit += got;
            }
            cache.credit -= bytes;
        }
        push_kept(cache, c, Idle { item, bytes }, adopted);
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

    /// Acts on trims this cache has not seen: frees the items that stayed
    /// below the low-water mark since the last trim (all of them if two or
    /// more trims passed), and gives all idle credit back.
    #[cold]
    pub fn observe_trim(&self, cache: &mut Cache<T>, c: &Counters, epoch: u64) {
        let behind = epoch.wrapping_sub(cache.seen_epoch);
        let idle = if behind >= 2 {
            cache.items.len()
        } else if behind == 1 {
            cache.low_water.min(cache.items.len())
        } else {
            0
        };
        let freed: Vec<Idle<T>> = cache.items.drain(..idle).collect();
        cache.seen_epoch = epoch;
        cache.low_water = cache.items.len();
        let bytes: usize = freed.iter().map(|i| i.bytes).sum();
        c.trimmed.add(freed.len() as u64);
        c.bytes_trimmed.add(bytes as u64);
        if let Some(budget) = &self.budget {
            budget.release(bytes + mem::take(&mut cache.credit));
        }
    }

    /// The trim of the shared part: frees spilled batches that sat through
    /// two trims. Counts into `c` with shared adds (any thread may trim);
    /// returns the items freed.
    pub fn trim_spill(&self, c: &Counters, epoch: u64) -> u64 {
        let n = self.spill.len();
        let mut young = Vec::with_capacity(n);
        let (mut freed, mut freed_bytes) = (0usize, 0usize);
        for _ in 0..n {
            let Some(batch) = self.spill.pop() else { break };
            if epoch.wrapping_sub(batch.epoch) >= 2 {
                freed += batch.items.len();
                freed_bytes += batch.bytes;
            } else {
                young.push(batch);
            }
        }
        for batch in young {
            if let Err(batch) = self.spill.push(batch) {
                // Other threads spilled meanwhile: this batch is idle, free it.
                freed += batch.items.len();
                freed_bytes += batch.bytes;
            }
        }
        c.trimmed.add_shared(freed as u64);
        c.bytes_trimmed.add_shared(freed_bytes as u64);
        if let Some(budget) = &self.budget {
            budget.release(freed_bytes);
        }
        freed as u64
    }

    /// Frees every item of a cache and its credit (the owner is not using
    /// it); counts into the cache's own counters `c`.
    pub fn clear_cache(&self, cache: &mut Cache<T>, c: &Counters) {
        let bytes: usize = cache.items.iter().map(|i| i.bytes).sum();
        c.trimmed.add(cache.items.len() as u64);
        c.bytes_trimmed.add(bytes as u64);
        cache.items.clear();
        cache.low_water = 0;
        if let Some(budget) = &self.budget {
            budget.release(bytes + mem::take(&mut cache.credit));
        }
    }

    /// Frees every spilled batch; counts into `c` with shared adds.
    pub fn clear_spill(&self, c: &Counters) {
        let (mut items, mut bytes) = (0u64, 0usize);
        while let Some(batch) = self.spill.pop() {
            items += batch.items.len() as u64;
            bytes += batch.bytes;
        }
        c.trimmed.add_shared(items);
        c.bytes_trimmed.add_shared(bytes as u64);
        if let Some(budget) = &self.budget {
            budget.release(bytes);
        }
    }

    /// The owner of `cache` exited: its items go to the spill in batches
    /// (what does not fit is freed and counted as trimmed), its credit back
    /// to the budget. `c` is still the owner's counter block. The caller
    /// also calls [`thread_left`](Self::thread_left).
    pub fn thread_exited(&self, mut cache: Cache<T>, c: &Counters, epoch: u64) {
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
    pub fn take_shared(&self, c: &Counters) -> T {
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
    pub fn keep_shared(
        &self,
        c: &Counters,
        item: T,
        bytes: usize,
        epoch: u64,
        adopted: bool,
    ) -> bool {
        let count = |counter: &Counter| {
            if !adopted {
                counter.add_shared(1);
            }
        };
        if bytes > self.cfg.max_item_bytes {
            count(&c.discarded_too_large);
            return false;
        }
        if bytes < self.cfg.min_item_bytes {
            count(&c.discarded_too_small);
            return false;
        }
        if let Some(budget) = &self.budget
            && !budget.try_reserve(bytes)
        {
            count(&c.discarded_over_byte_cap);
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
            count(&c.discarded_full);
            return false;
        }
        if adopted {
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
fn push_kept<T>(cache: &mut Cache<T>, c: &Counters, idle: Idle<T>, adopted: bool) {
    let bytes = idle.bytes as u64;
    cache.items.push(idle);
    entered(c, adopted).incr();
    c.bytes_in.add(bytes);
}

/// Counts a dropped return (an adopted item that is dropped was never out,
/// so it is not counted).
#[inline]
fn discard(counter: &Counter, adopted: bool) {
    if !adopted {
        counter.incr();
    }
}

/// Resets `item`, counting it as discarded (reason `panicked`) in `c` if
/// `reset` or `heap_bytes` unwinds (the unwinding drops the item, never
/// pooled half-reset); `shared` picks the counter's shared add. Returns the
/// heap bytes the reset item holds.
#[inline]
pub fn reset_and_measure<T: Reset>(
    item: &mut T,
    c: &Counters,
    shared: bool,
    adopted: bool,
) -> usize {
    let on_panic = OnUnwind::new((), |()| match (adopted, shared) {
        (true, _) => {}
        (false, true) => c.discarded_panicked.add_shared(1),
        (false, false) => c.discarded_panicked.incr(),
    });
    item.reset();
    let bytes = item.heap_bytes();
    on_panic.disarm();
    bytes
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::Spill;

    #[test]
    fn the_spill_holds_at_most_its_cap_and_nothing_up_front() {
        // A limit this large would take gigabytes if it were allocated.
        let huge: Spill<u64> = Spill::new(usize::MAX / 2);
        assert_eq!((huge.len(), huge.is_full()), (0, false));
        assert!(matches!(huge.queue, super::SpillQueue::Growing(_)));
        assert!(huge.push(1).is_ok());
        assert_eq!(huge.pop(), Some(1));
        let s = Spill::new(3);
        for i in 0..3 {
            assert!(s.push(i).is_ok());
        }
        assert!(s.is_full());
        assert_eq!(s.push(9), Err(9), "refused, and handed back");
        assert_eq!(s.len(), 3);
        assert_eq!(s.pop(), Some(0), "first in, first out");
        assert!(s.push(3).is_ok());
        let rest: Vec<_> = std::iter::from_fn(|| s.pop()).collect();
        assert_eq!(rest, [1, 2, 3]);
        assert_eq!((s.len(), s.pop()), (0, None));
    }

    #[test]
    fn concurrent_pushes_never_go_over_the_cap() {
        let s = Spill::new(64);
        let kept = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|sc| {
            for _ in 0..4 {
                sc.spawn(|| {
                    for i in 0..if cfg!(miri) { 20 } else { 1000 } {
                        if s.push(i).is_ok() {
                            kept.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(kept.into_inner(), 64);
        assert_eq!(std::iter::from_fn(|| s.pop()).count(), 64);
    }
}
