//! `LocalPool`: the engine of `pool-core` with one class.

use std::fmt;
use std::sync::Arc;

use pool_core::{OwnedPooled, Pool, PoolError, Pooled, Reset, Stats, UnboundedPool};
use pool_engine::{ClassLimits, Engine, EngineRef, Entry, OnlyClass};

/// A pool whose get and put touch only the current thread's cache, like
/// Go's `sync.Pool` with its per-P caches.
///
/// See the [crate docs](crate) for the design, and [`LocalPool::builder`]
/// for the settings.
pub struct LocalPool<T: Reset + Send + 'static> {
    engine: Engine<T, (), LocalExtra>,
}

/// What the pool keeps beside its class, in the engine, so that owned
/// guards reach it after the pool is dropped.
#[derive(Default)]
pub(crate) struct LocalExtra {
    /// Where outstanding guards were taken, if tracked.
    #[cfg(feature = "leak-sites")]
    pub(crate) leaks: Option<Arc<pool_core::leaks::LeakTracker>>,
}

/// The pool's only class, known at compile time.
const CLASS: OnlyClass = OnlyClass;

impl<T: Reset + Send + 'static> LocalPool<T> {
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
        // The builder's defaults, which are the engine's.
        match Engine::with_table(
            (ClassLimits::default(), factory),
            None,
            None,
            LocalExtra::default(),
        ) {
            Ok(engine) => LocalPool { engine },
            Err(_) => unreachable!("the default configuration is valid"),
        }
    }

    /// Where the guards out now were taken, grouped by call site (empty
    /// unless the pool was built with
    /// [`leak_tracker`](crate::LocalPoolBuilder::leak_tracker)).
    #[cfg(feature = "leak-sites")]
    pub fn outstanding_sites(&self) -> pool_core::leaks::Outstanding {
        pool_core::strategy::outstanding_sites(self.engine.extra().leaks.as_deref())
    }

    pub(crate) fn from_engine(engine: Engine<T, (), LocalExtra>) -> Self {
        LocalPool { engine }
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
    // Always inlined, as the engine's take under it: with several call
    // sites the compiler kept it out of line, a call each way.
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get(&self) -> Pooled<'_, Self> {
        Pooled::new(self.engine.take(CLASS), TICKET, self)
    }

    /// Like [`get`](Self::get), with a guard that is `Send + 'static`:
    /// hand it to another thread or task, whose cache the item joins when
    /// the guard drops there. The guard may outlive the pool: the pool's
    /// memory lives until the last owned guard drops.
    ///
    /// No `Arc` is needed, and none is cloned: the guard's hold on the pool
    /// is counted in the taking and the dropping thread's caches, so an
    /// owned get and drop write no line that other threads write. (A
    /// `static` pool needs no owned guard at all: its borrowed guards are
    /// `'static` already.)
    ///
    /// # Panics
    ///
    /// If the factory panics (nothing is counted then).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::new(|| Vec::<u8>::with_capacity(64));
    /// let mut buf = pool.get_owned();
    /// buf.push(1);
    /// std::thread::spawn(move || assert_eq!(buf[0], 1)).join().unwrap();
    /// assert_eq!(pool.stats().returns, 1);
    ///
    /// let late = pool.get_owned();
    /// drop(pool); // the guard keeps what it needs alive
    /// assert!(late.is_empty());
    /// ```
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_owned(&self) -> OwnedPooled<Self> {
        let (item, anchor) = self.engine.take_anchored(CLASS);
        OwnedPooled::new(item, TICKET, LocalAnchor(anchor))
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
        let mut classes = self.engine.stats();
        classes.swap_remove(0)
    }

    /// Warm start: makes up to `n` items with the factory now and keeps
    /// them, as `FixedPool` and `RingPool` do at construction. They wait
    /// in a reserve that every thread draws from only when its cache and
    /// the spill are empty: returned items go round first, so a generous
    /// prefill does not cycle every item through use (and its memory
    /// through the cache) in a steady load. The reserve holds at most
    /// `cache_size + spill_size` items; it stops at the first item refused
    /// (the reserve full, the byte cap reached, an item out of the
    /// limits), so `usize::MAX` means "as many as the pool keeps"; one
    /// call makes at most `cache_size + spill_size` items, even while other
    /// threads take from the reserve as it fills. Returns
    /// how many were kept (counted as prefilled). Like every idle item,
    /// prefilled ones unused through two trims are freed.
    ///
    /// # Panics
    ///
    /// If the factory, `Reset::reset` or `Reset::heap_bytes` panics (what
    /// was kept before stays).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder()
    ///     .cache_size(4)
    ///     .spill_size(8)
    ///     .build(|| Vec::<u8>::with_capacity(1024))?;
    /// assert_eq!(pool.prefill(6), 6);
    /// let s = pool.stats();
    /// assert_eq!((s.prefilled, s.retained_items), (6, 6));
    /// let full = pool.prefill(usize::MAX);
    /// assert!(full <= 4 + 8, "bounded by what the pool keeps: {full}");
    /// assert_eq!(pool.get().capacity(), 1024);
    /// assert_eq!(pool.stats().misses, 0, "served from the warm start");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn prefill(&self, n: usize) -> usize {
        self.engine.prefill(CLASS, n)
    }

    /// Where the idle items are: the threads' caches, the spill and the
    /// reserve of prefilled items (its `total()` is the retained figures
    /// of [`stats`](Self::stats)). The same work as `stats`: cheap enough
    /// for a metrics scrape (`pool_core::metrics::publish_memory`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::new(|| Vec::<u8>::with_capacity(1024));
    /// assert_eq!(pool.prefill(8), 8);
    /// drop(pool.get()); // taken from the reserve, returned to this thread's cache
    /// let m = pool.memory();
    /// assert_eq!((m.thread_caches.items, m.spill.items, m.reserve.items), (1, 0, 7));
    /// assert_eq!(m.total().bytes, pool.stats().retained_bytes);
    /// ```
    pub fn memory(&self) -> pool_core::Memory {
        self.engine.memory()[0]
    }

    /// Adds an item the pool did not hand out (a buffer made elsewhere, say;
    /// `sync.Pool`'s `Put`): reset, then kept or dropped under the same
    /// limits as a return (`min_item_bytes` refuses one too small); true if
    /// kept (counted as prefilled), false if dropped (not counted: it was
    /// never out).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::new(Vec::<u8>::new);
    /// assert!(pool.put(Vec::with_capacity(4096)));
    /// assert_eq!(pool.get().capacity(), 4096);
    /// let s = pool.stats();
    /// assert_eq!((s.prefilled, s.hits, s.misses), (1, 1, 0));
    /// ```
    pub fn put(&self, item: T) -> bool {
        self.engine.put(CLASS, item, Entry::Adopted)
    }

    /// Frees idle items that sat unused through two consecutive trims, as
    /// Go frees a `sync.Pool` item at its second GC, and takes back the
    /// byte credit threads hold idle.
    ///
    /// The spill (which holds, among others, every item of threads that
    /// have exited) and the calling thread's cache are trimmed at once.
    /// Other live threads' caches belong to those threads and are never
    /// touched by another (that is what keeps get and put free of
    /// atomics): each is trimmed at its owner's next get or put. A live
    /// thread that never uses the pool again keeps at most `cache_size`
    /// items (inside the byte cap) until it exits, [`clear`](Self::clear)
    /// or the pool's drop.
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
        self.engine.trim();
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
        self.engine.clear();
    }

    /// Threads that hold a cache in this pool now (they used it and have
    /// not exited). A thread that exits hands its cache back.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::new(Vec::<u8>::new);
    /// assert_eq!(pool.threads(), 0);
    /// drop(pool.get());
    /// std::thread::scope(|s| {
    ///     s.spawn(|| drop(pool.get()));
    /// });
    /// assert!(pool.threads() >= 1, "this thread; the other one once its exit is over");
    /// ```
    pub fn threads(&self) -> usize {
        self.engine.threads()
    }
}

/// What a [`LocalPool`] guard carries besides its item: nothing but the
/// proof that the item came from the pool. Only the pool makes one, so
/// [`Recycle::recycle`](pool_core::strategy::Recycle::recycle) and [`Pooled::new`] cannot be called from outside with
/// an item the pool never handed out (which would corrupt its counters).
///
/// ```compile_fail
/// // No ticket can be made outside the pool ...
/// let ticket = pool_local::LocalTicket { _private: () };
/// ```
///
/// ```compile_fail
/// use pool_core::strategy::Recycle;
/// let pool = pool_local::LocalPool::new(Vec::<u8>::new);
/// // ... so an item the pool never handed out cannot be slipped in.
/// pool.recycle(Vec::new(), ());
/// ```
///
/// ```compile_fail
/// let pool = pool_local::LocalPool::new(Vec::<u8>::new);
/// let guard = pool.get();
/// // Nor can a guard be taken apart to forge a second one.
/// let (item, ticket) = pool_core::Pooled::into_parts(guard);
/// ```
#[derive(Debug)]
pub struct LocalTicket {
    _private: (),
}

const TICKET: LocalTicket = LocalTicket { _private: () };

/// What an owned guard of a [`LocalPool`] holds in place of the pool: a
/// hold on the pool's memory counted per thread (no shared counter), that
/// takes the item back when the guard drops.
pub struct LocalAnchor<T: Reset + Send + 'static>(EngineRef<T, (), LocalExtra>);

impl<T: Reset + Send + 'static> pool_core::strategy::Anchor for LocalAnchor<T> {
    type Item = T;
    type Ticket = LocalTicket;
    #[inline]
    fn recycle(self, item: T, _: LocalTicket) {
        self.0.put(CLASS, item, Entry::Returned);
    }
    fn note_detached(self, _: LocalTicket) {
        self.0.count(CLASS, |c| &c.detached);
    }
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.0.extra().leaks.as_deref()
    }
}

impl<T: Reset + Send + 'static> fmt::Debug for LocalAnchor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LocalAnchor").finish()
    }
}

impl<T: Reset + Send + 'static> pool_core::strategy::Recycle for LocalPool<T> {
    type Item = T;
    type Ticket = LocalTicket;
    type Anchor = LocalAnchor<T>;
    fn anchor(self: &Arc<Self>) -> LocalAnchor<T> {
        LocalAnchor(self.engine.anchor())
    }
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.engine.extra().leaks.as_deref()
    }
    #[inline]
    fn recycle(&self, item: T, _: LocalTicket) {
        self.engine.put(CLASS, item, Entry::Returned);
    }
    fn note_detached(&self, _: LocalTicket) {
        self.engine.count(CLASS, |c| &c.detached);
    }
}

impl<T: Reset + Send + 'static> Pool for LocalPool<T> {
    /// Never fails: a miss makes a new item.
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        Ok(self.get())
    }

    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get_owned(self: &Arc<Self>) -> Result<OwnedPooled<Self>, PoolError> {
        Ok(self.get_owned())
    }

    fn stats(&self) -> Stats {
        LocalPool::stats(self)
    }

    fn trim(&self) {
        LocalPool::trim(self);
    }
}

impl<T: Reset + Send + 'static> UnboundedPool for LocalPool<T> {
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn get(&self) -> Pooled<'_, Self> {
        LocalPool::get(self)
    }

    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn get_owned(self: &Arc<Self>) -> OwnedPooled<Self> {
        LocalPool::get_owned(self)
    }
}

impl<T: Reset + Send + 'static> fmt::Debug for LocalPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalPool")
            .field("limits", &self.engine.limits(0))
            .field("threads", &self.engine.threads())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
