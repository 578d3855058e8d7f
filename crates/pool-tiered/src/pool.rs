//! `TieredPool`: one shelf per size class behind one per-thread slot,
//! oversize and foreign buffers, and the recent request lengths.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use crossbeam_utils::CachePadded;
use std::time::Duration;

use pool_core::leaks::Site;
use pool_core::per_thread::{PerThread, ThreadState};
use pool_core::trimmer::Trim;
use pool_core::words::move_words;
use pool_core::{Counter, Counters, Pool, PoolError, Pooled, Stats};
use pool_local::shelf::{Cache, Shelf, reset_and_measure};
use pool_local::{LocalPool, SharedByteCap};

use crate::SizeClasses;
use crate::buf::{ClassBuf, OVERSIZE, OwnedTieredBuf, TieredBuf};
use crate::stats::{Calibration, ClassStats, TieredStats, calibrate};

/// Lengths remembered per thread (as a Go `BytePool`'s `recent_lengths`).
pub const RECENT: usize = 256;

/// One thread's ring of recent request lengths; only that thread writes it.
pub(crate) struct Recent {
    lengths: [AtomicU64; RECENT],
    /// Total requests recorded; the next slot is `next % RECENT`.
    next: AtomicUsize,
}

impl Recent {
    fn new() -> Self {
        Recent {
            lengths: std::array::from_fn(|_| AtomicU64::new(0)),
            next: AtomicUsize::new(0),
        }
    }

    #[inline]
    fn record(&self, len: usize) {
        let n = self.next.load(Relaxed);
        self.lengths[n % RECENT].store(len as u64, Relaxed);
        self.next.store(n.wrapping_add(1), Relaxed);
    }

    fn snapshot(&self, out: &mut Vec<usize>) {
        let n = self.next.load(Relaxed).min(RECENT);
        out.extend(self.lengths[..n].iter().map(|l| l.load(Relaxed) as usize));
    }
}

/// Configures a [`TieredPool`]; made by [`TieredPool::builder`].
///
/// # Examples
///
/// ```
/// use pool_tiered::{SizeClasses, TieredPool};
///
/// let pool = TieredPool::builder()
///     .classes(SizeClasses::stream())
///     .cache_size(16)                 // per class, per thread
///     .max_retained_bytes(32 << 20)   // across every class
///     .zero_on_release(true)          // Node.js's buf.fill(0), for secrets
///     .default_len(1500)
///     .build()?;
/// assert_eq!(pool.get(1400).capacity(), 1500);
/// # Ok::<(), pool_core::PoolError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct TieredPoolBuilder {
    classes: SizeClasses,
    cache_size: usize,
    spill_size: usize,
    max_retained_bytes: Option<usize>,
    zero_on_release: bool,
    default_len: Option<usize>,
    trim_interval: Option<Duration>,
    max_len: usize,
    #[cfg(feature = "leak-sites")]
    leaks: Option<Arc<pool_core::leaks::LeakTracker>>,
}

impl Default for TieredPoolBuilder {
    fn default() -> Self {
        TieredPool::builder()
    }
}

impl TieredPoolBuilder {
    /// The longest length [`TieredPool::try_get`] accepts (default
    /// `isize::MAX`, the most a `Vec<u8>` can hold): a length read from the
    /// network above it is refused with [`PoolError::TooLarge`] instead of
    /// deciding how much memory the process tries to take. Lengths over the
    /// largest class and up to this are allocated exactly (never pooled).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().max_len(1 << 20).build()?;
    /// let wire_len = usize::MAX; // read from an untrusted peer
    /// assert_eq!(
    ///     pool.try_get(wire_len).unwrap_err(),
    ///     PoolError::TooLarge { requested: usize::MAX, max: 1 << 20 }
    /// );
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn max_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes;
        self
    }

    /// Trims every class every `interval` from the process-wide trimmer
    /// thread (`pool_core::trimmer`), as [`TieredPool::trim`] does, so
    /// memory comes back after a burst without a call. `None` (the
    /// default) turns timed trimming off; 10 s
    /// (`pool_core::trimmer::SUGGESTED_INTERVAL`) is a good start. At
    /// least 1 ms.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().trim_interval(Duration::from_secs(10)).build()?;
    /// drop(pool.get(4096));
    /// assert!(TieredPool::builder().trim_interval(Duration::ZERO).build().is_err());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn trim_interval(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.trim_interval = interval.into();
        self
    }

    /// The size classes (default: 128 B to 2 MiB in powers of two).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::{SizeClasses, TieredPool};
    ///
    /// let pool = TieredPool::builder().classes(SizeClasses::custom(&[512, 1500, 9000])?).build()?;
    /// assert_eq!(pool.get(1000).capacity(), 1500);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn classes(mut self, classes: SizeClasses) -> Self {
        self.classes = classes;
        self
    }

    /// Idle buffers each thread keeps per class (default 16).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().cache_size(4).build()?;
    /// let burst: Vec<_> = (0..8).map(|_| pool.get(100)).collect();
    /// drop(burst);
    /// assert_eq!(pool.stats().total.retained_items, 8, "4 cached, 4 spilled");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn cache_size(mut self, items: usize) -> Self {
        self.cache_size = items;
        self
    }

    /// Idle buffers each class's global spill keeps (default 256).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().cache_size(2).spill_size(1).build()?;
    /// let burst: Vec<_> = (0..8).map(|_| pool.get(100)).collect();
    /// drop(burst);
    /// assert!(pool.stats().total.discarded.full > 0, "the spill is full");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn spill_size(mut self, items: usize) -> Self {
        self.spill_size = items;
        self
    }

    /// Caps the bytes idle buffers hold across every class.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().max_retained_bytes(4 << 20).build()?;
    /// let burst: Vec<_> = (0..8).map(|_| pool.get(1 << 20)).collect();
    /// drop(burst);
    /// assert!(pool.stats().total.retained_bytes <= 4 << 20);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn max_retained_bytes(mut self, bytes: usize) -> Self {
        self.max_retained_bytes = Some(bytes);
        self
    }

    /// Zeroes a buffer's bytes when it comes back (default off).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().zero_on_release(true).build()?;
    /// let mut buf = pool.get(64);
    /// buf.extend_from_slice(b"secret");
    /// buf.clear(); // the length says nothing about what was written
    /// drop(buf); // zeroed over its whole capacity before it is kept
    /// let mut next = pool.get(64);
    /// let spare = next.spare_capacity_mut();
    /// // SAFETY: these bytes were written, by the last holder and the zeroing.
    /// let old: Vec<u8> = spare[..6].iter().map(|b| unsafe { b.assume_init() }).collect();
    /// assert_eq!(old, [0; 6]);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn zero_on_release(mut self, on: bool) -> Self {
        self.zero_on_release = on;
        self
    }

    /// The length `Pool::try_get` asks for (default: the smallest class).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::Pool;
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().default_len(4096).build()?;
    /// assert!(Pool::try_get(&pool)?.capacity() >= 4096);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn default_len(mut self, len: usize) -> Self {
        self.default_len = Some(len);
        self
    }

    /// Records where each class buffer was taken and for how long it has
    /// been out, frozen ones included until their last handle drops
    /// (`leak-sites` feature); see [`TieredPool::outstanding`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::leaks::LeakTracker;
    /// use pool_tiered::{TieredBuf, TieredPool};
    ///
    /// let pool = TieredPool::builder().leak_tracker(LeakTracker::new()).build()?;
    /// let shared = TieredBuf::freeze(pool.get(100));
    /// assert_eq!(pool.outstanding().sites[0].location.line(), line!() - 1);
    /// drop(shared); // the last handle: the buffer is back
    /// assert_eq!(pool.outstanding().items(), 0);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg(feature = "leak-sites")]
    pub fn leak_tracker(mut self, tracker: pool_core::leaks::LeakTracker) -> Self {
        self.leaks = Some(Arc::new(tracker));
        self
    }

    /// Builds the pool (no buffer is made until asked for).
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming the setting: `cache_size` or
    /// `spill_size` out of range, `max_retained_bytes` 0 or smaller than
    /// the largest class, `default_len` over the largest class.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().cache_size(8).build()?;
    /// assert_eq!(pool.stats().total.gets, 0, "nothing made yet");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn build(self) -> Result<TieredPool, PoolError> {
        if let Some(i) = self.trim_interval
            && i < pool_core::trimmer::MIN_INTERVAL
        {
            return Err(PoolError::invalid_config(
                "trim_interval",
                format!("{i:?}"),
                "at least 1ms, or None for no timed trimming",
            ));
        }
        let largest = self.classes.largest();
        if self.max_len == 0 || self.max_len > isize::MAX as usize {
            return Err(PoolError::invalid_config(
                "max_len",
                self.max_len,
                format!("1..={} bytes", isize::MAX),
            ));
        }
        let cap = match self.max_retained_bytes {
            None => None,
            Some(bytes) if bytes < largest => {
                return Err(PoolError::invalid_config(
                    "max_retained_bytes",
                    bytes,
                    format!("at least the largest class ({largest} bytes)"),
                ));
            }
            Some(bytes) => Some(SharedByteCap::new(bytes)?),
        };
        let default_len = self.default_len.unwrap_or(self.classes.sizes()[0]);
        if default_len > largest {
            return Err(PoolError::invalid_config(
                "default_len",
                default_len,
                format!("at most the largest class ({largest} bytes)"),
            ));
        }
        let sizes = self.classes.sizes();
        let mut shelves = Vec::with_capacity(sizes.len());
        for (i, &size) in sizes.iter().enumerate() {
            // A buffer that grew into the next class's size (or past twice
            // the largest) is dropped on return: no pool pollution.
            let limit = sizes
                .get(i + 1)
                .map_or(size.saturating_mul(2), |&next| next - 1);
            let mut b = LocalPool::builder()
                .cache_size(self.cache_size)
                .spill_size(self.spill_size)
                .max_item_bytes(limit);
            if let Some(cap) = &cap {
                b = b.shared_cap(cap.clone());
            }
            shelves.push(b.build_shelf(move || ClassBuf(Vec::with_capacity(size)))?);
        }
        let n = shelves.len();
        let mut pool = TieredPool {
            inner: Arc::new(Shared {
                threads: PerThread::new(Classes {
                    sizes: sizes.into(),
                    shelves: shelves.into_boxed_slice(),
                    epoch: CachePadded::new(AtomicU64::new(0)),
                    orphan: (0..n).map(|_| Counters::default()).collect(),
                }),
                zero_on_release: self.zero_on_release,
                oversize: CachePadded::new(Counter::default()),
                foreign_kept: Counter::default(),
                foreign_dropped: Counter::default(),
                #[cfg(feature = "leak-sites")]
                leaks: self.leaks.clone(),
            }),
            classes: self.classes,
            max_len: self.max_len,
            default_class: 0,
            default_len,
            cap,
        };
        pool.default_class = pool.classes.class_of(default_len).unwrap_or(0);
        pool.inner.threads.register_trim(self.trim_interval);
        Ok(pool)
    }
}

/// What all threads share: one shelf per class, the trim epoch, and the
/// counters of calls served without a slot (shared adds).
pub(crate) struct Classes {
    /// Each class's size: a buffer that comes back smaller is not kept.
    sizes: Box<[usize]>,
    shelves: Box<[Shelf<ClassBuf>]>,
    epoch: CachePadded<AtomicU64>,
    orphan: Box<[Counters]>,
}

/// What each thread publishes: per-class counters and its recent lengths.
pub(crate) struct ThreadCounts {
    counters: Box<[Counters]>,
    recent: Recent,
}

impl Classes {
    /// A trim of the shared part, from any thread: the epoch and every
    /// spill. Returns the items freed from the spills.
    fn trim_shared(&self) -> u64 {
        let epoch = self.epoch.fetch_add(1, Relaxed).wrapping_add(1);
        self.shelves
            .iter()
            .zip(self.orphan.iter())
            .map(|(shelf, c)| shelf.trim_spill(c, epoch))
            .sum()
    }
}

impl Trim for Classes {
    fn trim(&self) {
        self.trim_shared();
    }

    fn timed_trim(&self) {
        let freed = self.trim_shared();
        // Counted once for the pool (in its first class).
        self.orphan[0].timed_trims.add_shared(1);
        self.orphan[0].timed_trimmed.add_shared(freed);
    }
}

impl ThreadState for Classes {
    /// One cache per class: a get or put of any class is one slot lookup.
    type Owned = Box<[Cache<ClassBuf>]>;
    type Shared = ThreadCounts;

    fn new_owned(&self) -> Self::Owned {
        let epoch = self.epoch.load(Relaxed);
        self.shelves.iter().map(|s| s.new_cache(epoch)).collect()
    }

    fn new_shared(&self) -> ThreadCounts {
        ThreadCounts {
            counters: self.shelves.iter().map(|_| Counters::default()).collect(),
            recent: Recent::new(),
        }
    }

    fn thread_arrived(&self) {
        // Every class shares one budget (if any): attach once.
        self.shelves[0].thread_arrived();
    }

    fn thread_exited(&self, caches: Self::Owned, shared: &ThreadCounts) {
        let epoch = self.epoch.load(Relaxed);
        for ((shelf, cache), c) in self
            .shelves
            .iter()
            .zip(caches.into_vec())
            .zip(shared.counters.iter())
        {
            shelf.thread_exited(cache, c, epoch);
        }
        self.shelves[0].thread_left();
    }
}

/// The part of a [`TieredPool`] that frozen buffers keep alive: they give
/// their buffer back to the thread that drops them.
pub(crate) struct Shared {
    threads: PerThread<Classes>,
    /// Zero a buffer's bytes before it is kept (Node.js's `buf.fill(0)`).
    zero_on_release: bool,
    /// Requests over the largest class (a shared counter: the oversize path
    /// allocates anyway).
    oversize: CachePadded<Counter>,
    foreign_kept: Counter,
    foreign_dropped: Counter,
    /// Where outstanding class buffers were taken, if tracked.
    #[cfg(feature = "leak-sites")]
    pub(crate) leaks: Option<Arc<pool_core::leaks::LeakTracker>>,
}

impl Shared {
    /// The leak tracker, if the pool has one (none without `leak-sites`).
    #[inline]
    pub(crate) fn leaks(&self) -> Option<&pool_core::leaks::LeakTracker> {
        #[cfg(feature = "leak-sites")]
        let leaks = self.leaks.as_deref();
        #[cfg(not(feature = "leak-sites"))]
        let leaks = None;
        leaks
    }

    /// A buffer of class `class` from this thread's cache, recording `len`.
    #[inline]
    fn take(&self, class: usize, len: usize) -> ClassBuf {
        let g = self.threads.global();
        let shelf = &g.shelves[class];
        // Word-wise: the fast and slow paths meet in a stack slot.
        move_words(self.threads.with(|slot| {
            if let Some(slot) = slot {
                let shared = slot.shared();
                shared.recent.record(len);
                if let Ok(mut caches) = slot.owned().try_borrow_mut() {
                    return shelf.take(
                        &mut caches[class],
                        &shared.counters[class],
                        g.epoch.load(Relaxed),
                    );
                }
            }
            shelf.take_shared(&g.orphan[class])
        }))
    }

    /// Resets `buf` and keeps it in class `class`, or drops it; true if
    /// kept. `adopted`: a foreign buffer (counted as prefilled).
    #[inline]
    pub(crate) fn put(&self, class: usize, mut buf: ClassBuf, adopted: bool) -> bool {
        let g = self.threads.global();
        if buf.0.capacity() < g.sizes[class] {
            // The holder shrank, swapped or took the buffer: keeping it
            // would break `get(len)`'s promise of capacity >= len.
            self.count_too_small(class, adopted);
            return false;
        }
        if self.zero_on_release {
            // `fill(0)`, over the whole capacity: whatever the
            // holder did with the length (clear, truncate, freeze), nothing
            // it wrote is left for the next holder. Costs a memset of the
            // class size per release.
            buf.0.clear();
            buf.0
                .spare_capacity_mut()
                .fill(std::mem::MaybeUninit::new(0));
        }
        let shelf = &g.shelves[class];
        let epoch = || g.epoch.load(Relaxed);
        self.threads.with(|slot| match slot {
            Some(slot) => {
                let c = &slot.shared().counters[class];
                let bytes = reset_and_measure(&mut buf, c, false, adopted);
                match slot.owned().try_borrow_mut() {
                    Ok(mut caches) => {
                        shelf.keep(&mut caches[class], c, buf, bytes, epoch(), adopted)
                    }
                    Err(_) => shelf.keep_shared(&g.orphan[class], buf, bytes, epoch(), adopted),
                }
            }
            None => {
                let c = &g.orphan[class];
                let bytes = reset_and_measure(&mut buf, c, true, adopted);
                shelf.keep_shared(c, buf, bytes, epoch(), adopted)
            }
        })
    }

    #[cold]
    fn count_too_small(&self, class: usize, adopted: bool) {
        if adopted {
            return; // never out: not counted
        }
        let g = self.threads.global();
        self.threads.with(|slot| match slot {
            Some(slot) => slot.shared().counters[class].discarded_too_small.incr(),
            None => g.orphan[class].discarded_too_small.add_shared(1),
        });
    }

    pub(crate) fn note_detached(&self, class: usize) {
        let g = self.threads.global();
        self.threads.with(|slot| match slot {
            Some(slot) => slot.shared().counters[class].detached.incr(),
            None => g.orphan[class].detached.add_shared(1),
        });
    }

    fn record_only(&self, len: usize) {
        self.threads.with(|slot| {
            if let Some(slot) = slot {
                slot.shared().recent.record(len);
            }
        });
    }
}

/// A byte pool of size classes (Go's `BytePool`, or a
/// `SizedPool`): each class is a [`LocalPool`] with per-thread caches,
/// a request goes to the smallest class that fits, and a request over the
/// largest class is allocated exactly and never pooled.
///
/// See the [crate docs](crate) for an overview.
pub struct TieredPool {
    pub(crate) inner: Arc<Shared>,
    classes: SizeClasses,
    max_len: usize,
    default_class: usize,
    default_len: usize,
    cap: Option<SharedByteCap>,
}

impl Default for TieredPool {
    fn default() -> Self {
        TieredPool::new()
    }
}

impl TieredPool {
    /// 128 B to 2 MiB in powers of two, no byte cap.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// let buf = pool.get(1000);
    /// assert_eq!((buf.len(), buf.capacity()), (0, 1024));
    /// ```
    pub fn new() -> Self {
        match TieredPool::builder().build() {
            Ok(pool) => pool,
            Err(_) => unreachable!("the default configuration is valid"),
        }
    }

    /// A builder for other classes and limits.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::{SizeClasses, TieredPool};
    ///
    /// let pool = TieredPool::builder().classes(SizeClasses::stream()).cache_size(8).build()?;
    /// assert_eq!(pool.get(1400).capacity(), 1500);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn builder() -> TieredPoolBuilder {
        TieredPoolBuilder {
            classes: SizeClasses::default(),
            cache_size: 16,
            spill_size: 256,
            max_retained_bytes: None,
            zero_on_release: false,
            default_len: None,
            trim_interval: None,
            max_len: isize::MAX as usize,
            #[cfg(feature = "leak-sites")]
            leaks: None,
        }
    }

    /// The size classes.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// assert_eq!(pool.classes().sizes().first(), Some(&128));
    /// ```
    pub fn classes(&self) -> &SizeClasses {
        &self.classes
    }

    /// A buffer of length 0 and capacity at least `len`, from the smallest
    /// class that fits; over the largest class, one allocated exactly
    /// (counted as oversize, never pooled). No earlier holder's bytes are
    /// readable: the length is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// let mut buf = pool.get(200);
    /// write!(buf, "status={}", 200)?;
    /// assert_eq!(&buf[..], b"status=200");
    /// assert_eq!(buf.capacity(), 256);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// If `len` is over [`max_len`](TieredPoolBuilder::max_len)
    /// (`isize::MAX` unless set); [`try_get`](Self::try_get) returns an
    /// error instead, for lengths that come from outside.
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get(&self, len: usize) -> TieredBuf<'_> {
        // Read in words: the guard was just written field by field, and a
        // wider load would stall on those stores (see `pool_core::words`).
        match move_words(self.try_get(len)) {
            Ok(buf) => buf,
            Err(e) => panic!("TieredPool::get: {e}"),
        }
    }

    /// Like [`get`](Self::get), for lengths from outside (a header read
    /// from the network, say): a length over
    /// [`max_len`](TieredPoolBuilder::max_len) is refused, never allocated.
    ///
    /// # Errors
    ///
    /// [`PoolError::TooLarge`] naming the length and the limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::{PoolError, TieredPool};
    ///
    /// let pool = TieredPool::builder().max_len(1 << 20).build()?;
    /// assert_eq!(pool.try_get(1500)?.capacity(), 2048);
    /// let e = pool.try_get(usize::MAX).unwrap_err();
    /// assert_eq!(e, PoolError::TooLarge { requested: usize::MAX, max: 1 << 20 });
    /// # Ok::<(), PoolError>(())
    /// ```
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn try_get(&self, len: usize) -> Result<TieredBuf<'_>, PoolError> {
        if len > self.max_len {
            return Err(PoolError::TooLarge {
                requested: len,
                max: self.max_len,
            });
        }
        Ok(match self.classes.class_of(len) {
            Some(class) => TieredBuf {
                buf: self.inner.take(class, len).0,
                class,
                pool: self,
                site: Site::record(self.inner.leaks()),
            },
            None => self.oversize(len),
        })
    }

    /// Like [`get`](Self::get), with a buffer that owns a handle to the
    /// pool: `Send + 'static`, for another thread or task (see
    /// [`OwnedTieredBuf`]).
    ///
    /// # Panics
    ///
    /// As [`get`](Self::get), over [`max_len`](TieredPoolBuilder::max_len);
    /// [`try_get_owned`](Self::try_get_owned) returns an error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// let mut buf = pool.get_owned(1024);
    /// let t = std::thread::spawn(move || {
    ///     buf.extend_from_slice(b"written on another thread");
    ///     buf.len()
    /// });
    /// assert_eq!(t.join().unwrap(), 25);
    /// assert_eq!(pool.stats().total.returns, 1);
    /// ```
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_owned(&self, len: usize) -> OwnedTieredBuf {
        match self.try_get_owned(len) {
            Ok(buf) => buf,
            Err(e) => panic!("TieredPool::get_owned: {e}"),
        }
    }

    /// Like [`try_get`](Self::try_get), with an [`OwnedTieredBuf`].
    ///
    /// # Errors
    ///
    /// [`PoolError::TooLarge`] over [`max_len`](TieredPoolBuilder::max_len).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().max_len(4096).build()?;
    /// assert!(pool.try_get_owned(4096).is_ok());
    /// assert!(matches!(pool.try_get_owned(4097), Err(PoolError::TooLarge { .. })));
    /// # Ok::<(), PoolError>(())
    /// ```
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn try_get_owned(&self, len: usize) -> Result<OwnedTieredBuf, PoolError> {
        let mut buf = self.try_get(len)?;
        let (vec, class) = (std::mem::take(&mut buf.buf), buf.class);
        let site = std::mem::take(&mut buf.site);
        buf.class = crate::buf::GONE;
        Ok(OwnedTieredBuf::new(
            vec,
            class,
            site,
            Arc::clone(&self.inner),
        ))
    }

    /// A buffer of length `len`, all zeros.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// let buf = pool.get_zeroed(300);
    /// assert_eq!(buf.len(), 300);
    /// assert!(buf.iter().all(|&b| b == 0));
    /// ```
    pub fn get_zeroed(&self, len: usize) -> TieredBuf<'_> {
        let mut buf = self.get(len);
        buf.resize(len, 0);
        buf
    }

    /// Gives the pool a buffer made elsewhere (`Put`): it joins
    /// the largest class whose size is at most its capacity; one smaller
    /// than every class (or that its class cannot keep: full, at the byte
    /// cap, or grown into the next class's size) is dropped and counted.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// pool.put(Vec::with_capacity(5000)); // serves the 4 KiB class
    /// pool.put(Vec::with_capacity(10));   // fits no class: dropped
    /// let s = pool.stats();
    /// assert_eq!((s.foreign_kept, s.foreign_dropped), (1, 1));
    /// assert_eq!(pool.get(4096).capacity(), 5000);
    /// ```
    pub fn put(&self, buf: Vec<u8>) {
        let inner = &self.inner;
        match self.classes.class_for_capacity(buf.capacity()) {
            Some(class) if inner.put(class, ClassBuf(buf), true) => {
                inner.foreign_kept.add_shared(1);
            }
            // Fits no class, or the class is full or at the byte cap.
            _ => inner.foreign_dropped.add_shared(1),
        }
    }

    /// Frees idle buffers unused across two trims, in every class, as
    /// [`LocalPool::trim`] does for one: the spills (which hold the caches
    /// of threads that exited) and this thread's caches now, other live
    /// threads' caches at their next get or put.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// drop(pool.get(4096));
    /// pool.trim();
    /// assert_eq!(pool.stats().total.retained_items, 1, "one trim: still in use lately");
    /// pool.trim();
    /// assert_eq!(pool.stats().total.retained_items, 0, "idle across two trims: freed");
    /// ```
    pub fn trim(&self) {
        let threads = &self.inner.threads;
        let g = threads.global();
        g.trim_shared();
        let epoch = g.epoch.load(Relaxed);
        threads.with(|slot| {
            if let Some(slot) = slot
                && let Ok(mut caches) = slot.owned().try_borrow_mut()
            {
                for ((shelf, cache), c) in g
                    .shelves
                    .iter()
                    .zip(caches.iter_mut())
                    .zip(slot.shared().counters.iter())
                {
                    shelf.observe_trim(cache, c, epoch);
                }
            }
        });
    }

    /// Frees every idle buffer in every class, at once: every thread's
    /// caches and the spills. `&mut self` proves no [`TieredBuf`] is out; if
    /// frozen or owned buffers are still out (they keep a handle to the
    /// pool), other threads' caches cannot be reached safely, so they are
    /// freed at their owners' next get or put instead (as after two trims)
    /// and the spills and this thread's caches are freed now.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let mut pool = TieredPool::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| drop((pool.get(100), pool.get(5000))));
    /// });
    /// drop(pool.get(100));
    /// pool.clear();
    /// assert_eq!(pool.stats().total.retained_bytes, 0);
    /// ```
    pub fn clear(&mut self) {
        if let Some(shared) = Arc::get_mut(&mut self.inner) {
            shared.threads.for_each_owned(|g, caches, counts| {
                for ((shelf, cache), c) in g
                    .shelves
                    .iter()
                    .zip(caches.iter_mut())
                    .zip(counts.counters.iter())
                {
                    shelf.clear_cache(cache, c);
                }
            });
            let g = shared.threads.global();
            for (shelf, c) in g.shelves.iter().zip(g.orphan.iter()) {
                shelf.clear_spill(c);
            }
        } else {
            // Two epochs: every cache frees all it holds at its next use.
            self.inner.threads.global().trim_shared();
            self.trim();
            let g = self.inner.threads.global();
            for (shelf, c) in g.shelves.iter().zip(g.orphan.iter()) {
                shelf.clear_spill(c);
            }
        }
    }

    /// Threads that hold caches in this pool now (they used it and have not
    /// exited).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// drop(pool.get(10));
    /// assert_eq!(pool.threads(), 1);
    /// ```
    pub fn threads(&self) -> usize {
        self.inner.threads.threads()
    }

    /// Per-class and total statistics, oversize and foreign counts, and
    /// the recent request lengths.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// drop(pool.get(100));
    /// drop(pool.get(100));
    /// let s = pool.stats();
    /// assert_eq!((s.total.gets, s.total.hits, s.classes[0].size), (2, 1, 128));
    /// println!("{s}"); // a table per class
    /// ```
    pub fn stats(&self) -> TieredStats {
        let sizes = self.classes.sizes();
        let classes: Vec<ClassStats> = self.inner.threads.with_shared(|slots, g| {
            let slots: Vec<&ThreadCounts> = slots.collect();
            sizes
                .iter()
                .enumerate()
                .map(|(class, &size)| ClassStats {
                    size,
                    stats: Stats::from_counters(
                        slots
                            .iter()
                            .map(|s| &s.counters[class])
                            .chain([&g.orphan[class]]),
                    ),
                })
                .collect()
        });
        let mut total = Stats::default();
        for c in &classes {
            total += &c.stats;
        }
        if let Some(cap) = &self.cap {
            total.retained_bytes = total
                .retained_bytes
                .min((cap.cap() - cap.available()) as u64);
        }
        TieredStats {
            classes,
            total,
            oversize: self.inner.oversize.get(),
            foreign_kept: self.inner.foreign_kept.get(),
            foreign_dropped: self.inner.foreign_dropped.get(),
            recent_lengths: self.recent_lengths(),
        }
    }

    /// Where the class buffers out now were taken, grouped by call site,
    /// frozen ones included (empty unless the pool was built with
    /// [`leak_tracker`](TieredPoolBuilder::leak_tracker)).
    #[cfg(feature = "leak-sites")]
    pub fn outstanding(&self) -> pool_core::leaks::Outstanding {
        pool_core::leaks::outstanding(self.inner.leaks())
    }

    /// Publishes the statistics to the `metrics` facade (`metrics`
    /// feature): every class's figures under `pool = name` and
    /// `class = <size in bytes>` (the metrics of `pool_core::metrics`),
    /// and `pool_oversize_total`. Call it when scraped; get and put carry
    /// no metrics code.
    ///
    /// # Examples
    ///
    /// ```
    /// use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// drop(pool.get(100));
    /// let recorder = DebuggingRecorder::new();
    /// let snapshots = recorder.snapshotter();
    /// metrics::with_local_recorder(&recorder, || pool.publish_metrics("frames"));
    /// let gets_of_128 = snapshots.snapshot().into_vec().into_iter().find(|(k, ..)| {
    ///     k.key().name() == "pool_gets_total" && k.key().labels().any(|l| l.key() == "class" && l.value() == "128")
    /// });
    /// assert_eq!(gets_of_128.map(|(.., v)| v), Some(DebugValue::Counter(1)));
    /// ```
    #[cfg(feature = "metrics")]
    pub fn publish_metrics(&self, name: &str) {
        let s = self.stats();
        for c in &s.classes {
            pool_core::metrics::publish(name, &[("class", c.size.to_string())], &c.stats);
        }
        metrics::counter!("pool_oversize_total", "pool" => name.to_owned()).absolute(s.oversize);
    }

    /// This pool's workload, for `cargo xtask bench --workload FILE`: the
    /// recent request lengths (the last [`RECENT`] of each thread) as a
    /// histogram, or, before any was recorded, each class's gets; with
    /// `threads` threads, each holding one buffer at a time (set more with
    /// [`Workload::with_held`](pool_core::workload::Workload::with_held)).
    /// Save it as JSON (the `serde` feature) and replay it against every
    /// strategy.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// for len in [100, 1500, 100] {
    ///     drop(pool.get(len));
    /// }
    /// let w = pool.workload(8).with_held(2);
    /// w.validate()?;
    /// assert_eq!((w.threads, w.held, w.sizes.len()), (8, 2, 2));
    /// assert_eq!((w.sizes[0].bytes, w.sizes[0].count), (100, 2));
    /// # Ok::<(), pool_core::workload::WorkloadError>(())
    /// ```
    #[must_use]
    pub fn workload(&self, threads: usize) -> pool_core::workload::Workload {
        use pool_core::workload::Workload;
        let recent = self.recent_lengths();
        if !recent.is_empty() {
            return Workload::from_lengths(&recent, threads);
        }
        let mut w = Workload::new(threads);
        for c in self.stats().classes {
            if c.stats.gets > 0 {
                w = w.with_size(c.size, c.stats.gets);
            }
        }
        w
    }

    /// The recorded request lengths: the last [`RECENT`] of each thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// for len in [100, 1500, 100] {
    ///     drop(pool.get(len));
    /// }
    /// assert_eq!(pool.recent_lengths(), [100, 1500, 100]);
    /// ```
    pub fn recent_lengths(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.inner.threads.with_shared(|slots, _| {
            for s in slots {
                s.recent.snapshot(&mut out);
            }
        });
        out
    }

    /// Suggests at most `max_classes` sizes that cover the 95th percentile
    /// of the recorded request lengths with the least wasted capacity, and
    /// compares their waste with the current classes'.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// for _ in 0..50 {
    ///     drop(pool.get(1500)); // MTU-sized frames...
    ///     drop(pool.get(9000)); // ...and jumbo frames
    /// }
    /// let c = pool.calibrate(4);
    /// assert_eq!(c.suggested, [1500, 9000]);
    /// assert_eq!(c.waste_suggested, 0);
    /// assert!(c.waste_current > 0, "1500 -> 2048 and 9000 -> 16384 waste");
    /// ```
    pub fn calibrate(&self, max_classes: usize) -> Calibration {
        calibrate(&self.recent_lengths(), max_classes, &self.classes)
    }

    #[cold]
    fn oversize(&self, len: usize) -> TieredBuf<'_> {
        self.inner.record_only(len);
        self.inner.oversize.add_shared(1);
        TieredBuf {
            buf: Vec::with_capacity(len),
            class: OVERSIZE,
            pool: self,
            site: Site::default(),
        }
    }
}

/// Which class a [`TieredPool`] item belongs to, for the [`Pool`] trait.
#[derive(Debug)]
pub struct TierTicket(usize);

/// Items are plain `Vec<u8>`s, so generic code written for any pool of
/// byte vectors (`P: Pool<Item = Vec<u8>>`) takes a `TieredPool` as it is.
impl Pool for TieredPool {
    type Item = Vec<u8>;
    type Ticket = TierTicket;

    /// A buffer of the default length's class; never fails.
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        let class = self.default_class;
        let item = self.inner.take(class, self.default_len).0;
        Ok(Pooled::new(item, TierTicket(class), self))
    }

    fn recycle(&self, item: Vec<u8>, ticket: TierTicket) {
        self.inner.put(ticket.0, ClassBuf(item), false);
    }

    fn note_detached(&self, ticket: TierTicket) {
        self.inner.note_detached(ticket.0);
    }

    fn stats(&self) -> Stats {
        TieredPool::stats(self).total
    }

    fn trim(&self) {
        TieredPool::trim(self);
    }

    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.inner.leaks()
    }
}

/// Reports the buffers still out when the pool is dropped (owned and
/// frozen ones keep the pool's shared part alive, so the tracker's own
/// drop would come only after them).
#[cfg(feature = "leak-sites")]
impl Drop for TieredPool {
    fn drop(&mut self) {
        if let Some(t) = &self.inner.leaks {
            t.pool_dropped();
        }
    }
}

impl fmt::Debug for TieredPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TieredPool")
            .field("classes", &self.classes.sizes())
            .finish_non_exhaustive()
    }
}
