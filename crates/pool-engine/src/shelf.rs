//! One class of items: its per-thread [`Cache`] and its shared [`Shelf`]
//! (the spill, the reserve of items made ahead of demand, the counters of
//! calls made without a cache), reached through a [`Class`] that also
//! carries the class's table and the byte budget.
//!
//! Nothing of a class is allocated until it is used: a thread's cache of
//! the class starts as an empty filler and takes the class's limits at its
//! first slow path, which also makes the class's shared part ([`Stock`])
//! if no thread did (before a later burst's items on the heap, which the
//! allocator can then give back after a trim). What grows with the items
//! (a cache's room, the spill's) is freed when a trim empties it.
//!
//! The engine owns every call into this module: it finds the calling
//! thread's cache, reads the trim epoch and picks the counters, so these
//! functions only take what they work on.

use std::sync::OnceLock;

use pool_core::Reset;
use pool_core::strategy::words::pop_words;
use pool_core::strategy::{Counter, Counters};

use crate::budget::ByteBudget;
use crate::class::{ClassTable, Entry};
use crate::limits::ClassLimits;
use crate::spill::Spill;
use crate::sync::{Mutex, lock};
use crate::unwind::OnUnwind;

mod trim;

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

/// What a get or put that stays in the cache reads of its class's limits
/// (its `cache_size` is the cache's room: one item, then the class's
/// limit; see `Cache::items`): copied into each cache at the thread's
/// first use of the class, so that
/// the hot path reads one line of the thread's own and looks the shared
/// [`Shelf`] up only when it leaves the cache.
#[derive(Debug, Clone, Copy)]
struct CachedLimits {
    /// 0 until the thread first uses the class (see [`Cache`]'s `Default`)
    /// and after a trim freed the cache's room; then the room.
    cache_size: usize,
    max_item_bytes: usize,
    min_item_bytes: usize,
    /// Whether the class has a byte budget.
    budgeted: bool,
}

/// One thread's idle items of one class. Only the owning thread touches it
/// (the per-thread layer guarantees that).
pub(crate) struct Cache<T> {
    /// Idle items, the most recently returned last (LIFO keeps them warm).
    /// Its room is made for one item at the first return and for
    /// `cache_size` at the first time it holds more, in one step (never by
    /// doubling: a step made during a burst and freed later could sit in
    /// the allocator's small-block cache above the burst's memory and keep
    /// the allocator from giving it back), and freed when a trim or a
    /// clear empties the cache.
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

/// A cache not set up yet: what every class's cache is until the thread
/// first uses the class, and what the [`PerClass`](crate::PerClass) fillers
/// past the last class stay. It holds nothing and keeps nothing (a
/// `cache_size` of 0), so a take or keep that reaches it goes to the slow
/// path, which looks the class up (panicking for a filler's out-of-range
/// class) and sets the cache up with the class's limits. No item is kept
/// and no limit stops an item before that lookup.
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

/// One class's part of the engine's shared state: its [`Stock`], made on
/// first use.
pub(crate) struct Shelf<T> {
    stock: OnceLock<Box<Stock<T>>>,
}

impl<T> Default for Shelf<T> {
    fn default() -> Self {
        Shelf {
            stock: OnceLock::new(),
        }
    }
}

/// What threads share of one class once it spilled, was prefilled or was
/// used without a cache.
pub(crate) struct Stock<T> {
    /// Batches of idle items shared by all threads.
    spill: Spill<Batch<T>>,
    /// Items made ahead of demand (prefill), taken only when a thread's
    /// cache and the spill are empty: returned items go round first, and
    /// these stay untouched until demand needs them.
    reserve: Mutex<Reserve<T>>,
    /// Items the reserve holds at most.
    reserve_cap: usize,
    /// Counts of calls made while the calling thread had no cache (its
    /// thread-locals being destroyed, or a re-entrant call), of prefills
    /// and of trims of the spill and reserve: shared adds, rarely.
    /// Made at its first count: a class whose threads always have their
    /// caches never needs it.
    cacheless: OnceLock<Box<Counters>>,
    /// Idle items (and their bytes) freed from the spill and the reserve
    /// by trims and clears: counted here, not in `cacheless`, so that a
    /// trim allocates nothing (made after a burst's memory was freed, a
    /// block could keep the allocator from giving that memory back).
    pub(crate) trimmed: Counter,
    pub(crate) bytes_trimmed: Counter,
}

/// Items made ahead of demand, with the trim epoch of the last one kept.
struct Reserve<T> {
    items: Vec<Idle<T>>,
    bytes: usize,
    epoch: u64,
}

/// The smallest block a batch's items take: past the largest block glibc
/// keeps in its per-thread cache (1,032 bytes). A batch is often made
/// during a burst, above the burst's memory; freed after the burst into
/// that cache, a smaller block would stay there, in use as far as the heap
/// is concerned, and keep it from shrinking. Blocks this large go back to
/// the heap and merge when freed.
const MIN_BATCH_BLOCK: usize = 1040;

/// The oldest `n` items of `items` as a batch's, in a block of at least
/// [`MIN_BATCH_BLOCK`] bytes.
fn batch_items<T>(items: &mut Vec<Idle<T>>, n: usize) -> Vec<Idle<T>> {
    let floor = MIN_BATCH_BLOCK.div_ceil(std::mem::size_of::<Idle<T>>().max(1));
    let mut batch = Vec::with_capacity(n.max(floor));
    batch.extend(items.drain(..n));
    batch
}

/// Batches of `cache_size / 2` items (at least one) move between a cache
/// and the spill.
fn batch_of(cache_size: usize) -> usize {
    (cache_size / 2).max(1)
}

impl<T> Stock<T> {
    fn new(limits: &ClassLimits) -> Self {
        let batch = batch_of(limits.cache_size);
        Stock {
            spill: Spill::new(limits.spill_size.div_ceil(batch)),
            reserve: Mutex::new(Reserve {
                items: Vec::new(),
                bytes: 0,
                epoch: 0,
            }),
            reserve_cap: limits.cache_size + limits.spill_size,
            cacheless: OnceLock::new(),
            trimmed: Counter::default(),
            bytes_trimmed: Counter::default(),
        }
    }

    fn push_batch(&self, batch: Batch<T>) -> Result<(), Batch<T>> {
        self.spill.push(batch)
    }

    fn pop_batch(&self) -> Option<Batch<T>> {
        self.spill.pop()
    }

    /// For a put's slow path, which never waits for another thread: a
    /// spill held too long counts as full (see [`Spill::try_push`]).
    fn try_push_batch(&self, batch: Batch<T>) -> Result<(), Batch<T>> {
        self.spill.try_push(batch)
    }

    /// Frees the spilled batches that sat through two trims as of
    /// `epoch` (all of them with `None`); returns the items and bytes
    /// freed.
    fn drop_batches(&self, epoch: Option<u64>) -> (usize, usize) {
        let mut freed = (0, 0);
        self.spill.drop_old(
            |b| epoch.is_none_or(|e| e.wrapping_sub(b.epoch) >= 2),
            |b| {
                freed.0 += b.items.len();
                freed.1 += b.bytes;
            },
        );
        freed
    }

    /// An item from the reserve, if it holds one (waited for, as the
    /// spill is: see [`Spill::pop`]).
    fn take_reserved(&self) -> Option<Idle<T>> {
        let mut r = lock(&self.reserve);
        let idle = r.items.pop()?;
        r.bytes -= idle.bytes;
        Some(idle)
    }

    /// The calls made without a cache, prefills and trims of the shared
    /// part, counted here.
    pub(crate) fn cacheless(&self) -> &Counters {
        self.cacheless.get_or_init(Box::default)
    }

    /// [`cacheless`](Self::cacheless), if anything was counted there.
    pub(crate) fn cacheless_made(&self) -> Option<&Counters> {
        self.cacheless.get().map(|c| &**c)
    }
}

/// Where one class's idle items are: thread caches, spill, reserve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Places {
    pub(crate) spilled: (u64, u64),
    pub(crate) reserved: (u64, u64),
}

/// One class as the engine's slow paths see it: its shelf, its index in
/// the table, the table and the budget.
pub(crate) struct Class<'a, T> {
    pub(crate) shelf: &'a Shelf<T>,
    pub(crate) index: usize,
    pub(crate) table: &'a dyn ClassTable<T>,
    pub(crate) budget: Option<&'a ByteBudget>,
}

impl<T> Clone for Class<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Class<'_, T> {}

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

impl<'a, T: Reset + 'static> Class<'a, T> {
    /// The class's shared part, made now if it was not.
    pub(crate) fn stock(self) -> &'a Stock<T> {
        self.shelf
            .stock
            .get_or_init(|| Box::new(Stock::new(&self.limits())))
    }

    /// The class's shared part, if it was made.
    pub(crate) fn made(self) -> Option<&'a Stock<T>> {
        self.shelf.stock.get().map(|b| &**b)
    }

    /// The limits the class was made with (held to the checked ranges).
    pub(crate) fn limits(self) -> ClassLimits {
        self.table.limits(self.index).clamped()
    }

    /// A new item from the class's factory, counted nowhere.
    pub(crate) fn make(self) -> T {
        self.table.make(self.index)
    }

    /// Where the class's shared idle items are.
    pub(crate) fn places(self) -> Places {
        self.made().map_or_else(Places::default, |s| {
            let r = lock(&s.reserve);
            Places {
                spilled: s.spill.fold((0, 0), |(n, b), batch| {
                    (n + batch.items.len() as u64, b + batch.bytes as u64)
                }),
                reserved: (r.items.len() as u64, r.bytes as u64),
            }
        })
    }

    /// Sets up a thread's cache of this class at its first slow path (a
    /// cache starts as an empty filler, see [`Cache`]'s `Default`).
    ///
    /// The class's shared part is made here too, if it was not: made at a
    /// first use, it sits below a later burst's items on the heap (made
    /// during the burst, at the first spill, it would sit above them and
    /// keep the allocator from giving their memory back after a trim).
    #[inline]
    fn set_up(self, cache: &mut Cache<T>, epoch: u64) {
        if cache.hot.cache_size == 0 {
            self.stock();
            let l = self.limits();
            cache.hot = CachedLimits {
                // Room for one item first (see `Cache::items`).
                cache_size: 1,
                max_item_bytes: l.max_item_bytes,
                min_item_bytes: l.min_item_bytes,
                budgeted: self.budget.is_some(),
            };
            cache.seen_epoch = epoch;
            cache.low_water = 0;
        }
    }

    /// Room for the whole cache, in one step, once it holds more than one
    /// item (see `Cache::items`).
    #[cold]
    fn make_room(self, cache: &mut Cache<T>) {
        let full = self.limits().cache_size;
        if cache.hot.cache_size < full {
            cache
                .items
                .reserve_exact(full.saturating_sub(cache.items.len()));
            cache.hot.cache_size = full;
        }
    }

    /// Takes an item: from `cache`, else a batch from the spill, else one
    /// from the reserve, else a new one (a miss). `c` is the owner's
    /// counter block; `class` finds the cache's class, which an item taken
    /// from the cache does not need (without a byte budget).
    #[inline(always)]
    pub(crate) fn take(
        class: impl FnOnce() -> Self,
        cache: &mut Cache<T>,
        c: &Counters,
        epoch: u64,
    ) -> T {
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
                && let Some(budget) = class().budget
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
        class().take_slow(cache, c, epoch)
    }

    /// A cache to set up, a trim to act on, an empty cache: refill from
    /// the spill, take from the reserve or make one.
    #[cold]
    #[inline(never)]
    fn take_slow(self, cache: &mut Cache<T>, c: &Counters, epoch: u64) -> T {
        self.set_up(cache, epoch);
        if cache.seen_epoch != epoch {
            self.observe_trim(cache, c, epoch);
            return Self::take(|| self, cache, c, epoch);
        }
        if let Some(stock) = self.made() {
            if let Some(mut batch) = stock.pop_batch() {
                let first = match batch.items.pop() {
                    Some(first) => first,
                    None => unreachable!("spilled batches are never empty"),
                };
                self.make_room(cache);
                cache.items.append(&mut batch.items);
                cache.low_water = 0;
                return self.hand_out(cache, c, first);
            }
            if let Some(first) = stock.take_reserved() {
                return self.hand_out(cache, c, first);
            }
        }
        let item = self.make();
        c.misses.incr();
        item
    }

    /// An item taken from the shared part, counted as a hit; its bytes,
    /// reserved from the budget, become the cache's credit.
    fn hand_out(self, cache: &mut Cache<T>, c: &Counters, idle: Idle<T>) -> T {
        if self.budget.is_some() {
            cache.credit += idle.bytes;
        }
        c.hits.incr();
        c.bytes_out.add(idle.bytes as u64);
        idle.item
    }

    /// Keeps an item that was reset already and measured at `bytes`, or
    /// drops it; true if kept. Items the pool never handed out (`adopted`)
    /// count as prefilled when kept and are not counted when dropped.
    /// `class` finds the cache's class, which an item kept in the cache
    /// does not need.
    #[inline(always)]
    pub(crate) fn keep(
        class: impl FnOnce() -> Self,
        cache: &mut Cache<T>,
        c: &Counters,
        item: T,
        bytes: usize,
        epoch: u64,
        entry: Entry,
    ) -> bool {
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
        class().keep_slow(cache, c, item, bytes, epoch, entry)
    }

    /// A cache to set up, a trim to act on, a full cache, or no credit
    /// left.
    #[cold]
    #[inline(never)]
    fn keep_slow(
        self,
        cache: &mut Cache<T>,
        c: &Counters,
        item: T,
        bytes: usize,
        epoch: u64,
        entry: Entry,
    ) -> bool {
        if cache.hot.cache_size != 0 && cache.seen_epoch != epoch {
            // May free the cache's room (and set it up again below).
            self.observe_trim(cache, c, epoch);
        }
        if cache.hot.cache_size == 0 {
            self.set_up(cache, epoch);
            // The first item: room for one, so a class a thread keeps one
            // item of costs one item's room.
            cache.items.reserve_exact(1);
            // The limits the filler let through, checked now.
            return Self::keep(|| self, cache, c, item, bytes, epoch, entry);
        }
        if cache.items.len() >= cache.hot.cache_size {
            let full = self.limits().cache_size;
            if cache.hot.cache_size < full {
                self.make_room(cache);
            } else if !self.spill_half(cache, epoch) {
                discard(&c.discarded.full, entry);
                return false;
            }
        }
        if let Some(budget) = self.budget {
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
    fn spill_half(self, cache: &mut Cache<T>, epoch: u64) -> bool {
        let stock = self.stock();
        if stock.spill.is_full() {
            return false;
        }
        let n = batch_of(cache.hot.cache_size).min(cache.items.len());
        let items = batch_items(&mut cache.items, n);
        cache.low_water = cache.low_water.saturating_sub(n);
        let bytes = items.iter().map(|i| i.bytes).sum();
        match stock.try_push_batch(Batch {
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
    pub(crate) fn thread_exited(self, mut cache: Cache<T>, c: &Counters, epoch: u64) {
        let mut freed = (0u64, 0usize);
        if !cache.items.is_empty() {
            let stock = self.stock();
            let batch = batch_of(self.limits().cache_size);
            while !cache.items.is_empty() {
                let n = batch.min(cache.items.len());
                let items = batch_items(&mut cache.items, n);
                let bytes = items.iter().map(|i| i.bytes).sum();
                if let Err(batch) = stock.push_batch(Batch {
                    items,
                    bytes,
                    epoch,
                }) {
                    freed.0 += batch.items.len() as u64;
                    freed.1 += batch.bytes;
                }
            }
        }
        c.trimmed.add(freed.0);
        c.bytes_trimmed.add(freed.1 as u64);
        if let Some(budget) = self.budget {
            budget.release(freed.1 + cache.credit);
        }
    }

    /// A get with no cache (the thread is being torn down, or a factory or
    /// `Drop` re-entered the pool): one item from a spilled batch, else
    /// from the reserve, else a new one. Counts in the class's cacheless
    /// counters.
    #[cold]
    pub(crate) fn take_shared(self) -> T {
        let stock = self.stock();
        let c = stock.cacheless();
        let first = match stock.pop_batch() {
            Some(mut batch) => {
                let first = match batch.items.pop() {
                    Some(first) => first,
                    None => unreachable!("spilled batches are never empty"),
                };
                batch.bytes -= first.bytes;
                if !batch.items.is_empty()
                    && let Err(rest) = stock.push_batch(batch)
                {
                    c.trimmed.add_shared(rest.items.len() as u64);
                    c.bytes_trimmed.add_shared(rest.bytes as u64);
                    if let Some(budget) = self.budget {
                        budget.release(rest.bytes);
                    }
                }
                Some(first)
            }
            None => stock.take_reserved(),
        };
        if let Some(first) = first {
            if let Some(budget) = self.budget {
                budget.release(first.bytes);
            }
            c.hits.add_shared(1);
            c.bytes_out.add_shared(first.bytes as u64);
            return first.item;
        }
        let item = self.make();
        c.misses.add_shared(1);
        item
    }

    /// A put with no cache (see [`take_shared`](Self::take_shared)): the
    /// item, reset and measured at `bytes` already, joins the spill as a
    /// batch of one, within the limits, or is dropped and counted. Counts
    /// in the class's cacheless counters.
    #[cold]
    pub(crate) fn keep_shared(self, item: T, bytes: usize, epoch: u64, entry: Entry) -> bool {
        let stock = self.stock();
        let c = stock.cacheless();
        let count = |counter: &Counter| {
            if entry == Entry::Returned {
                counter.add_shared(1);
            }
        };
        let l = self.limits();
        if bytes > l.max_item_bytes {
            count(&c.discarded.too_large);
            return false;
        }
        if bytes < l.min_item_bytes {
            count(&c.discarded.too_small);
            return false;
        }
        if let Some(budget) = self.budget
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
        if stock.push_batch(batch).is_err() {
            if let Some(budget) = self.budget {
                budget.release(bytes);
            }
            count(&c.discarded.full);
            return false;
        }
        entered(c, entry).add_shared(1);
        c.bytes_in.add_shared(bytes as u64);
        true
    }

    /// How many items the class's reserve holds at most.
    pub(crate) fn reserve_cap(self) -> usize {
        self.stock().reserve_cap
    }

    /// Makes an item and keeps it in the reserve (see [`Stock`]), counted
    /// as prefilled; false (the item dropped, uncounted) if the reserve is
    /// full, the item is out of the class's limits, refused by
    /// [`Reset::is_reusable`] or over the byte budget.
    pub(crate) fn prefill_one(self, epoch: u64) -> bool {
        let stock = self.stock();
        if lock(&stock.reserve).items.len() >= stock.reserve_cap {
            return false;
        }
        let mut item = self.make();
        let c = stock.cacheless();
        let Some(bytes) = reset_and_measure(&mut item, c, true, Entry::Adopted) else {
            return false;
        };
        let l = self.limits();
        if bytes > l.max_item_bytes || bytes < l.min_item_bytes {
            return false;
        }
        if let Some(budget) = self.budget
            && !budget.try_reserve(bytes)
        {
            return false;
        }
        {
            let mut r = lock(&stock.reserve);
            // Another thread's prefill may have filled it meanwhile.
            if r.items.len() < stock.reserve_cap {
                r.items.push(Idle { item, bytes });
                r.bytes += bytes;
                r.epoch = epoch;
                c.prefilled.add_shared(1);
                c.bytes_in.add_shared(bytes as u64);
                return true;
            }
        }
        if let Some(budget) = self.budget {
            budget.release(bytes);
        }
        false
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
    fn a_batch_takes_a_block_the_allocators_thread_cache_does_not_keep() {
        let mut items: Vec<Idle<u64>> = (0..8).map(|i| Idle { item: i, bytes: 8 }).collect();
        let batch = batch_items(&mut items, 3);
        assert_eq!(
            batch.iter().map(|i| i.item).collect::<Vec<_>>(),
            [0, 1, 2],
            "the oldest"
        );
        assert_eq!(items.len(), 5);
        assert!(batch.capacity() * std::mem::size_of::<Idle<u64>>() >= MIN_BATCH_BLOCK);
    }

    #[test]
    fn the_spill_rounds_up_to_whole_batches() {
        let limits = |cache_size, spill_size| ClassLimits {
            cache_size,
            spill_size,
            ..ClassLimits::default()
        };
        let s = Stock::<u8>::new(&limits(10, 11));
        assert_eq!((batch_of(10), s.spill.cap()), (5, 3));
        let s = Stock::<u8>::new(&limits(1, 1));
        assert_eq!((batch_of(1), s.spill.cap()), (1, 1));
    }
}
