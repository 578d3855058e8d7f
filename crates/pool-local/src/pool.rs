//! `LocalPool`: the per-thread caches, the global spill and trimming.

use std::cell::RefCell;
use std::fmt;
use std::mem;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use pool_core::{
    Counter, CounterRegistry, Counters, OwnedPooled, Pool, PoolError, Pooled, Reset, Stats,
};
use thread_local::ThreadLocal;

use crate::budget::ByteBudget;
use crate::config::{Config, LocalPoolBuilder};
use crate::raw::pop_words;

type Factory<T> = Box<dyn Fn() -> T + Send + Sync>;

/// An idle item and the heap bytes it was measured to hold when it came
/// back (so taking it out needs no second measurement).
struct Idle<T> {
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

/// One thread's cache. Only its owner thread touches it (the pool reaches
/// it through `ThreadLocal::get`, which returns the caller's own slot), and
/// no user code runs while it is borrowed, so the `RefCell` never fails.
struct Cache<T> {
    /// Idle items, the most recently returned last (LIFO keeps them warm).
    /// Invariant: `len <= cache_size`.
    items: Vec<Idle<T>>,
    /// Bytes reserved from the budget and not held by an item (0 without a
    /// budget).
    credit: usize,
    /// The last trim epoch this thread acted on.
    seen_epoch: u64,
    /// The lowest `items.len()` since `seen_epoch` was taken: the items
    /// below it have not been touched since.
    low_water: usize,
}

/// What each thread owns for one pool, padded so that neighbouring
/// threads' slots never share a cache line.
struct Local<T> {
    cache: RefCell<Cache<T>>,
    /// Written by this thread only; summed by `stats`.
    counters: Arc<CachePadded<Counters>>,
}

/// A pool whose get and put touch only the current thread's cache, like
/// Go's `sync.Pool` with its per-P caches.
///
/// See the [crate docs](crate) for the design, and [`LocalPool::builder`]
/// for the settings.
pub struct LocalPool<T: Send> {
    /// Each thread's cache and counters; owned by the pool, so two pools
    /// never evict each other's caches.
    locals: ThreadLocal<CachePadded<Local<T>>>,
    /// Bumped by `trim`; read (not written) on every get and put.
    epoch: CachePadded<AtomicU64>,
    /// Batches of idle items shared by all threads.
    spill: ArrayQueue<Batch<T>>,
    /// The retained-byte cap, if one is set.
    budget: Option<Arc<ByteBudget>>,
    registry: CounterRegistry,
    factory: Factory<T>,
    cfg: Config,
}

impl LocalPool<()> {
    /// A builder for a pool with other settings. It names no item type:
    /// `build` infers it from the factory.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder().cache_size(8).build(Vec::<u64>::new)?;
    /// assert!(pool.get().is_empty());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn builder() -> LocalPoolBuilder {
        LocalPoolBuilder::default()
    }
}

impl<T: Reset + Send> LocalPool<T> {
    /// A pool with the default settings that makes items with `factory`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::new(|| String::with_capacity(256));
    /// let mut s = pool.get();
    /// s.push_str("hello");
    /// drop(s); // cleared and cached for this thread
    /// assert!(pool.get().is_empty());
    /// assert_eq!(pool.stats().hits, 1);
    /// ```
    pub fn new<F>(factory: F) -> Self
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        LocalPool::from_config(
            Config::from(&LocalPoolBuilder::default()),
            Box::new(factory),
            None,
        )
    }

    pub(crate) fn from_config(
        cfg: Config,
        factory: Factory<T>,
        shared: Option<Arc<ByteBudget>>,
    ) -> Self {
        let budget = shared.or_else(|| {
            cfg.max_retained_bytes.map(|cap| {
                // Reserve in chunks of 1/256 of the cap (or one item's limit, if
                // larger) so that a thread goes to the shared counter rarely,
                // while idle threads hold back at most two chunks each.
                let chunk = (cap / 256).max(cfg.max_item_bytes.min(cap)).max(1);
                Arc::new(ByteBudget::new(cap, chunk))
            })
        });
        LocalPool {
            locals: ThreadLocal::new(),
            epoch: CachePadded::new(AtomicU64::new(0)),
            spill: ArrayQueue::new(cfg.spill_batches),
            budget,
            registry: CounterRegistry::default(),
            factory,
            cfg,
        }
    }

    /// Takes an idle item from this thread's cache, else a batch from the
    /// spill, else makes one with the factory (a miss).
    ///
    /// # Panics
    ///
    /// If the factory panics; the pool stays usable and nothing is counted.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::new(|| Vec::<u8>::with_capacity(4096));
    /// {
    ///     let mut buf = pool.get();
    ///     buf.extend_from_slice(b"payload");
    /// }
    /// let buf = pool.get();
    /// assert!(buf.is_empty(), "no stale bytes");
    /// assert_eq!(buf.capacity(), 4096, "the allocation was kept");
    /// ```
    #[inline]
    pub fn get(&self) -> Pooled<'_, Self> {
        Pooled::new(self.take(), (), self)
    }

    /// Like [`get`](Self::get), with a guard that holds an `Arc` of the pool
    /// and is `Send + 'static`: hand it to another thread, whose cache the
    /// item joins when the guard drops there.
    ///
    /// # Panics
    ///
    /// If the factory panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pool_local::LocalPool;
    ///
    /// let pool = Arc::new(LocalPool::new(|| Vec::<u8>::with_capacity(64)));
    /// let mut buf = pool.get_owned();
    /// buf.push(1);
    /// std::thread::spawn(move || assert_eq!(buf[0], 1)).join().unwrap();
    /// assert_eq!(pool.stats().returns, 1);
    /// ```
    #[inline]
    pub fn get_owned(self: &Arc<Self>) -> OwnedPooled<Self> {
        OwnedPooled::new(self.take(), (), Arc::clone(self))
    }

    /// A snapshot of the counters of every thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::new(|| Vec::<u8>::with_capacity(100));
    /// for _ in 0..10 {
    ///     drop(pool.get());
    /// }
    /// let s = pool.stats();
    /// assert_eq!((s.gets, s.hits, s.misses), (10, 9, 1));
    /// assert_eq!((s.retained_items, s.retained_bytes), (1, 100));
    /// ```
    pub fn stats(&self) -> Stats {
        let mut stats = self.registry.snapshot();
        if let Some(budget) = &self.budget {
            let cap = budget.cap;
            // Per-thread counters are read one after the other while their
            // threads work, so the derived figure can run ahead of the truth
            // for a moment; the bytes reserved from the budget are an exact
            // upper bound of what idle items hold.
            let reserved = cap.saturating_sub(budget.available()) as u64;
            stats.retained_bytes = stats.retained_bytes.min(reserved);
        }
        stats
    }

    /// Adds an item the pool did not hand out (a buffer made elsewhere, say):
    /// reset, then kept or dropped under the same limits as a return; true
    /// if kept (counted as prefilled), false if dropped (not counted: it
    /// was never out).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::new(Vec::<u8>::new);
    /// assert!(pool.give(Vec::with_capacity(4096)));
    /// assert_eq!(pool.get().capacity(), 4096);
    /// let s = pool.stats();
    /// assert_eq!((s.prefilled, s.hits, s.misses), (1, 1, 0));
    /// ```
    pub fn give(&self, item: T) -> bool {
        self.put(item, true)
    }

    /// Frees idle items that sat unused through two consecutive trims, as
    /// Go frees a `sync.Pool` item at its second GC.
    ///
    /// The spill and the calling thread's cache are trimmed at once. Other
    /// threads' caches belong to those threads and are never touched by
    /// another (that is what keeps get and put free of atomics): each is
    /// trimmed at its owner's next get or put. A thread that never uses the
    /// pool again keeps at most `cache_size` items (inside the byte cap)
    /// until [`clear`](Self::clear) or the pool's drop.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::new(|| vec![0u8; 1024]);
    /// drop(pool.get());
    /// pool.trim(); // the idle item survives one trim...
    /// assert_eq!(pool.stats().retained_items, 1);
    /// pool.trim(); // ...and is freed at the second
    /// assert_eq!(pool.stats().retained_items, 0);
    /// assert_eq!(pool.stats().trimmed, 1);
    /// ```
    pub fn trim(&self) {
        let epoch = self.epoch.fetch_add(1, Relaxed).wrapping_add(1);
        let local = self.local();
        let n = self.spill.len();
        let mut young = Vec::with_capacity(n);
        let (mut freed, mut freed_bytes) = (0usize, 0usize);
        for _ in 0..n {
            let Some(batch) = self.spill.pop() else { break };
            if epoch.wrapping_sub(batch.epoch) >= 2 {
                freed += batch.items.len();
                freed_bytes += batch.bytes;
                drop(batch);
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
        local.counters.trimmed.add(freed as u64);
        local.counters.bytes_trimmed.add(freed_bytes as u64);
        if let Some(budget) = &self.budget {
            budget.release(freed_bytes);
        }
        self.observe_trim(local, self.epoch.load(Relaxed));
    }

    /// Frees every idle item in every cache and in the spill, at once.
    ///
    /// Takes `&mut self`: no guard can be out, so every thread's cache can
    /// be reached safely. Freed items count as trimmed.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let mut pool = LocalPool::new(|| vec![0u8; 1024]);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| drop(pool.get()));
    /// });
    /// assert_eq!(pool.stats().retained_items, 1);
    /// pool.clear();
    /// assert_eq!(pool.stats().retained_bytes, 0);
    /// ```
    pub fn clear(&mut self) {
        let mut released = 0usize;
        for local in self.locals.iter_mut() {
            let Local {
                cache,
                counters: local_counters,
            } = &mut **local;
            let cache = cache.get_mut();
            let bytes: usize = cache.items.iter().map(|i| i.bytes).sum();
            local_counters.trimmed.add(cache.items.len() as u64);
            local_counters.bytes_trimmed.add(bytes as u64);
            released += bytes + mem::take(&mut cache.credit);
            cache.items.clear();
            cache.low_water = 0;
        }
        let mut freed = (0usize, 0usize);
        while let Some(batch) = self.spill.pop() {
            freed.0 += batch.items.len();
            freed.1 += batch.bytes;
        }
        released += freed.1;
        let local = self.local();
        local.counters.trimmed.add(freed.0 as u64);
        local.counters.bytes_trimmed.add(freed.1 as u64);
        if let Some(budget) = &self.budget {
            budget.release(released);
        }
    }

    /// The calling thread's slot, made on first use.
    #[inline]
    fn local(&self) -> &Local<T> {
        match self.locals.get() {
            Some(local) => local,
            None => self.new_local(),
        }
    }

    #[cold]
    #[inline(never)]
    fn new_local(&self) -> &Local<T> {
        self.locals.get_or(|| {
            CachePadded::new(Local {
                cache: RefCell::new(Cache {
                    items: Vec::with_capacity(self.cfg.cache_size),
                    credit: 0,
                    seen_epoch: self.epoch.load(Relaxed),
                    low_water: 0,
                }),
                counters: self.registry.register(),
            })
        })
    }

    /// The fast path of a get: pop from this thread's cache.
    #[inline]
    fn take(&self) -> T {
        let local = self.local();
        let epoch = self.epoch.load(Relaxed);
        let mut cache = local.cache.borrow_mut();
        if cache.seen_epoch == epoch
            && let Some(idle) = pop_words(&mut cache.items)
        {
            let len = cache.items.len();
            cache.low_water = cache.low_water.min(len);
            local.counters.hits.incr();
            local.counters.bytes_out.add(idle.bytes as u64);
            if let Some(budget) = &self.budget {
                cache.credit += idle.bytes;
                if cache.credit > 2 * budget.chunk {
                    // Give back all but one chunk so idle credit stays small.
                    let excess = cache.credit - budget.chunk;
                    cache.credit = budget.chunk;
                    budget.release(excess);
                }
            }
            return idle.item;
        }
        drop(cache);
        self.take_slow(local, epoch)
    }

    /// A trim to act on, an empty cache: refill from the spill or make one.
    #[cold]
    #[inline(never)]
    fn take_slow(&self, local: &Local<T>, epoch: u64) -> T {
        if local.cache.borrow().seen_epoch != epoch {
            self.observe_trim(local, epoch);
            return self.take();
        }
        if let Some(mut batch) = self.spill.pop() {
            let mut cache = local.cache.borrow_mut();
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
            local.counters.hits.incr();
            local.counters.bytes_out.add(first.bytes as u64);
            return first.item;
        }
        let item = (self.factory)();
        local.counters.misses.incr();
        item
    }

    /// Resets `item` and keeps it in this thread's cache, or drops it.
    /// Resets `item` and keeps it, or drops it; true if kept. Items the
    /// pool never handed out (`adopted`) count as prefilled when kept and
    /// are not counted when dropped (they were never out).
    #[inline]
    fn put(&self, mut item: T, adopted: bool) -> bool {
        let local = self.local();
        {
            // Counts the item as discarded if `reset` unwinds; the item
            // itself is dropped by the unwinding, never pooled half-reset.
            let on_panic = CountOnUnwind((!adopted).then_some(&local.counters.discarded_panicked));
            item.reset();
            mem::forget(on_panic);
        }
        let bytes = item.heap_bytes();
        if bytes > self.cfg.max_item_bytes {
            discard(&local.counters.discarded_too_large, adopted);
            return false;
        }
        let epoch = self.epoch.load(Relaxed);
        let mut cache = local.cache.borrow_mut();
        let credit_ok = self.budget.is_none() || cache.credit >= bytes;
        if cache.seen_epoch == epoch && cache.items.len() < self.cfg.cache_size && credit_ok {
            if self.budget.is_some() {
                cache.credit -= bytes;
            }
            cache.items.push(Idle { item, bytes });
            entered(&local.counters, adopted).incr();
            local.counters.bytes_in.add(bytes as u64);
            return true;
        }
        drop(cache);
        self.put_slow(local, item, bytes, epoch, adopted)
    }

    /// A trim to act on, a full cache, or no credit left.
    #[cold]
    #[inline(never)]
    fn put_slow(&self, local: &Local<T>, item: T, bytes: usize, epoch: u64, adopted: bool) -> bool {
        if local.cache.borrow().seen_epoch != epoch {
            self.observe_trim(local, epoch);
        }
        if local.cache.borrow().items.len() >= self.cfg.cache_size && !self.spill_half(local) {
            discard(&local.counters.discarded_full, adopted);
            return false;
        }
        let mut cache = local.cache.borrow_mut();
        if let Some(budget) = &self.budget {
            if cache.credit < bytes {
                let need = bytes - cache.credit;
                let got = budget.reserve_up_to(need, need.max(budget.chunk));
                if got == 0 {
                    drop(cache);
                    discard(&local.counters.discarded_over_byte_cap, adopted);
                    return false;
                }
                cache.credit += got;
            }
            cache.credit -= bytes;
        }
        cache.items.push(Idle { item, bytes });
        entered(&local.counters, adopted).incr();
        local.counters.bytes_in.add(bytes as u64);
        true
    }

    /// Moves the older half of this thread's cache to the spill in one
    /// batch; false if the spill is full (the cache is left as it was).
    fn spill_half(&self, local: &Local<T>) -> bool {
        if self.spill.is_full() {
            return false;
        }
        let mut cache = local.cache.borrow_mut();
        let n = self.cfg.batch.min(cache.items.len());
        let items: Vec<Idle<T>> = cache.items.drain(..n).collect();
        cache.low_water = cache.low_water.saturating_sub(n);
        let bytes = items.iter().map(|i| i.bytes).sum();
        let batch = Batch {
            items,
            bytes,
            epoch: self.epoch.load(Relaxed),
        };
        match self.spill.push(batch) {
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

    /// Acts on trims this thread has not seen: frees the items that stayed
    /// below the low-water mark since the last trim (all of them if two or
    /// more trims passed).
    #[cold]
    fn observe_trim(&self, local: &Local<T>, epoch: u64) {
        let freed: Vec<Idle<T>> = {
            let mut cache = local.cache.borrow_mut();
            let behind = epoch.wrapping_sub(cache.seen_epoch);
            let idle = if behind >= 2 {
                cache.items.len()
            } else if behind == 1 {
                cache.low_water.min(cache.items.len())
            } else {
                0
            };
            let freed = cache.items.drain(..idle).collect();
            cache.seen_epoch = epoch;
            cache.low_water = cache.items.len();
            freed
        };
        let bytes: usize = freed.iter().map(|i| i.bytes).sum();
        local.counters.trimmed.add(freed.len() as u64);
        local.counters.bytes_trimmed.add(bytes as u64);
        if let Some(budget) = &self.budget {
            budget.release(bytes);
        }
        // `freed` drops here, outside the borrow: item destructors may use
        // the pool.
    }
}

/// The counter of an item entering the idle set: a return, or an item the
/// pool never handed out (`give`).
#[inline(always)]
fn entered(counters: &Counters, adopted: bool) -> &Counter {
    if adopted {
        &counters.prefilled
    } else {
        &counters.returns
    }
}

/// Counts a dropped return (an adopted item that is dropped was never out,
/// so it is not counted).
#[inline]
fn discard(counter: &Counter, adopted: bool) {
    if !adopted {
        counter.incr();
    }
}

/// Bumps a counter when dropped during unwinding (forgotten otherwise).
struct CountOnUnwind<'a>(Option<&'a Counter>);

impl Drop for CountOnUnwind<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.0 {
            c.incr();
        }
    }
}

impl<T: Reset + Send> Pool for LocalPool<T> {
    type Item = T;
    type Ticket = ();

    /// Never fails: a miss makes a new item.
    #[inline]
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        Ok(self.get())
    }

    #[inline]
    fn try_get_owned(self: &Arc<Self>) -> Result<OwnedPooled<Self>, PoolError> {
        Ok(self.get_owned())
    }

    #[inline]
    fn recycle(&self, item: T, (): ()) {
        self.put(item, false);
    }

    fn note_detached(&self, (): ()) {
        self.local().counters.detached.incr();
    }

    fn stats(&self) -> Stats {
        LocalPool::stats(self)
    }

    fn trim(&self) {
        LocalPool::trim(self);
    }
}

impl<T: Send> fmt::Debug for LocalPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalPool")
            .field("config", &self.cfg)
            .field("stats", &self.registry.snapshot())
            .finish_non_exhaustive()
    }
}
