//! `TieredPool`: the engine of `pool-core` with one class per size, its
//! class lookup, and oversize and foreign buffers.

use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::Arc;

use pool_core::strategy::Site;
use pool_core::{Pool, PoolError, Pooled, Stats, UnboundedPool};
use pool_engine::Entry;

use crate::SizeClasses;
use crate::buf::{OVERSIZE, OwnedTieredBuf, TieredBuf};
use crate::engine::{self, ClassBuf, TieredEngine, TieredEngineRef};
use crate::recent::RECENT;

/// A byte pool of size classes (Go's `BytePool`, or a
/// `SizedPool`): each class has per-thread caches and a shared spill,
/// a request goes to the smallest class that fits, and a request over the
/// largest class is allocated exactly and never pooled.
///
/// See the [crate docs](crate) for an overview.
pub struct TieredPool {
    pub(crate) engine: TieredEngine,
    pub(crate) classes: SizeClasses,
    max_len: usize,
    default_class: usize,
    default_len: usize,
}

impl TieredPool {
    /// Lengths remembered per thread for [`recent_lengths`](Self::recent_lengths)
    /// (as a Go `BytePool`'s `recent_lengths`).
    pub const RECENT: usize = RECENT;

    pub(crate) fn from_parts(
        engine: TieredEngine,
        classes: SizeClasses,
        max_len: usize,
        default_len: usize,
    ) -> Self {
        TieredPool {
            default_class: classes.class_of(default_len).unwrap_or(0),
            engine,
            classes,
            max_len,
            default_len,
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
    /// If `len` is over [`max_len`](crate::TieredPoolBuilder::max_len)
    /// (`isize::MAX` unless set), or is over the largest class and the
    /// system cannot allocate it (a panic, not the abort of
    /// `Vec::with_capacity`); [`checked_get`](Self::checked_get) returns an
    /// error instead, for lengths that come from outside.
    // Always inlined (and its siblings), as the engine's take under it:
    // with several call sites the compiler kept it out of line, a call
    // each way.
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get(&self, len: usize) -> TieredBuf<'_> {
        if len > self.max_len {
            too_large(len, self.max_len);
        }
        // Built in place: no `Result` to move the guard through. `checked_get`
        // builds the same guard; a helper shared by both was measurably
        // slower here, so it is written twice.
        match self.classes.class_of(len) {
            Some(class) => TieredBuf {
                buf: ManuallyDrop::new(engine::take(&self.engine, class, len)),
                class,
                pool: &self.engine,
                site: Site::record(self.engine.extra().leaks()),
            },
            None => self.oversize_guard(self.oversize_vec(len)),
        }
    }

    /// Like [`get`](Self::get), for lengths from outside (a header read
    /// from the network, say): a length over
    /// [`max_len`](crate::TieredPoolBuilder::max_len) is refused, never allocated.
    ///
    /// # Errors
    ///
    /// - [`PoolError::TooLarge`] naming the length and the limit;
    /// - [`PoolError::AllocFailed`] for a length over the largest class
    ///   (allocated exactly) that the system cannot allocate: refused, not
    ///   an abort, whatever `max_len` allows.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::{PoolError, TieredPool};
    ///
    /// let pool = TieredPool::builder().max_len(1 << 20).build()?;
    /// assert_eq!(pool.checked_get(1500)?.capacity(), 2048);
    /// let e = pool.checked_get(usize::MAX).unwrap_err();
    /// assert_eq!(e, PoolError::TooLarge { requested: usize::MAX, max: 1 << 20 });
    ///
    /// // The default `max_len` is `isize::MAX`: a length no system can
    /// // allocate is refused all the same.
    /// let pool = TieredPool::new();
    /// let e = pool.checked_get(isize::MAX as usize).unwrap_err();
    /// assert_eq!(e, PoolError::AllocFailed { requested: isize::MAX as usize });
    /// assert_eq!(pool.stats().oversize, 0);
    /// # Ok::<(), PoolError>(())
    /// ```
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn checked_get(&self, len: usize) -> Result<TieredBuf<'_>, PoolError> {
        if len > self.max_len {
            return Err(PoolError::TooLarge {
                requested: len,
                max: self.max_len,
            });
        }
        Ok(match self.classes.class_of(len) {
            Some(class) => TieredBuf {
                buf: ManuallyDrop::new(engine::take(&self.engine, class, len)),
                class,
                pool: &self.engine,
                site: Site::record(self.engine.extra().leaks()),
            },
            None => self.oversize_guard(self.try_oversize(len)?),
        })
    }

    /// Like [`get`](Self::get), with a buffer that owns a handle to the
    /// pool: `Send + 'static`, for another thread or task (see
    /// [`OwnedTieredBuf`]).
    ///
    /// # Panics
    ///
    /// As [`get`](Self::get): over [`max_len`](crate::TieredPoolBuilder::max_len),
    /// or an oversize length the system cannot allocate;
    /// [`checked_get_owned`](Self::checked_get_owned) returns an error instead.
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
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_owned(&self, len: usize) -> OwnedTieredBuf {
        if len > self.max_len {
            too_large(len, self.max_len);
        }
        // Built in place, as `get`: no `Result` to move it through.
        self.owned(len)
    }

    /// Like [`checked_get`](Self::checked_get), with an [`OwnedTieredBuf`].
    ///
    /// # Errors
    ///
    /// [`PoolError::TooLarge`] over [`max_len`](crate::TieredPoolBuilder::max_len);
    /// [`PoolError::AllocFailed`] where the system cannot allocate an
    /// oversize buffer, as [`checked_get`](Self::checked_get).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().max_len(4096).build()?;
    /// assert!(pool.checked_get_owned(4096).is_ok());
    /// assert!(matches!(pool.checked_get_owned(4097), Err(PoolError::TooLarge { .. })));
    /// # Ok::<(), PoolError>(())
    /// ```
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn checked_get_owned(&self, len: usize) -> Result<OwnedTieredBuf, PoolError> {
        if len > self.max_len {
            return Err(PoolError::TooLarge {
                requested: len,
                max: self.max_len,
            });
        }
        Ok(match self.classes.class_of(len) {
            Some(class) => self.owned_in(class, len),
            None => OwnedTieredBuf::new(self.try_oversize(len)?, OVERSIZE, Site::default(), None),
        })
    }

    /// An owned buffer for `len` (at most `max_len`).
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn owned(&self, len: usize) -> OwnedTieredBuf {
        match self.classes.class_of(len) {
            Some(class) => self.owned_in(class, len),
            None => OwnedTieredBuf::new(self.oversize_vec(len), OVERSIZE, Site::default(), None),
        }
    }

    /// An owned buffer of `class`, asked for with `len`.
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn owned_in(&self, class: usize, len: usize) -> OwnedTieredBuf {
        let (buf, held) = engine::take_held(&self.engine, class, len);
        let site = Site::record(held.extra().leaks());
        OwnedTieredBuf::new(buf, class, site, Some(held))
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
    ///
    /// # Panics
    ///
    /// As [`get`](Self::get): over [`max_len`](crate::TieredPoolBuilder::max_len),
    /// or an oversize length the system cannot allocate.
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_zeroed(&self, len: usize) -> TieredBuf<'_> {
        let mut buf = self.get(len);
        buf.resize(len, 0);
        buf
    }

    /// Gives the pool a buffer made elsewhere (Go's `Put`): it joins the
    /// largest class whose size is at most its capacity; one smaller than
    /// every class (or that its class cannot keep: full, at the byte cap,
    /// or grown into the next class's size) is dropped and counted. True
    /// if it was kept, as `pool_local::LocalPool::put` says.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// assert!(pool.put(Vec::with_capacity(5000)), "kept: serves the 4 KiB class");
    /// assert!(!pool.put(Vec::with_capacity(10)), "fits no class: dropped");
    /// let s = pool.stats();
    /// assert_eq!((s.foreign_kept, s.foreign_dropped), (1, 1));
    /// assert_eq!(pool.get(4096).capacity(), 5000);
    /// ```
    pub fn put(&self, buf: Vec<u8>) -> bool {
        let extra = self.engine.extra();
        match self.classes.class_for_capacity(buf.capacity()) {
            Some(class) if engine::put(&self.engine, class, ClassBuf(buf), Entry::Adopted) => {
                extra.foreign_kept.add_shared(1);
                true
            }
            // Fits no class, or the class is full or at the byte cap.
            _ => {
                extra.foreign_dropped.add_shared(1);
                false
            }
        }
    }

    /// Warm start: makes up to `n` buffers of the class that serves `len`
    /// and keeps them, as `pool_local::LocalPool::prefill`
    /// does for its one class: in the class's reserve, drawn from only
    /// when a thread's cache and the spill are empty (returned buffers go
    /// round first); at most `cache_size + spill_size` buffers, stopping
    /// at the first one refused (the reserve full, the byte cap reached),
    /// so `usize::MAX` means "as many as the class keeps"; one call makes
    /// at most `cache_size + spill_size`, even while other threads take
    /// from the reserve as it fills. Returns how
    /// many were kept (counted as prefilled); 0 for a length no class
    /// serves.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::builder().cache_size(4).spill_size(4).build()?;
    /// assert_eq!(pool.prefill(1500, 3), 3);
    /// assert_eq!(pool.stats().classes[pool.get(1500).class().unwrap()].stats.prefilled, 3);
    /// assert_eq!(pool.stats().total.misses, 0);
    /// assert!(pool.prefill(1500, usize::MAX) <= 8);
    /// assert_eq!(pool.prefill(1 << 40, 1), 0, "oversize: no class");
    /// # Ok::<(), pool_tiered::PoolError>(())
    /// ```
    pub fn prefill(&self, len: usize, n: usize) -> usize {
        // Fresh buffers hold nothing to zero: the engine's own warm start.
        self.classes
            .class_of(len)
            .map_or(0, |class| self.engine.prefill(class, n))
    }

    /// Frees idle buffers unused across two trims, in every class, as
    /// `pool_local::LocalPool::trim` does for one: the spills (which hold the caches
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
        self.engine.trim();
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
        self.engine.clear();
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
        self.engine.threads()
    }

    /// An oversize buffer of capacity `len`, allocated fallibly (for the
    /// checked getters: a length from outside must not abort the process).
    #[cold]
    fn try_oversize(&self, len: usize) -> Result<Vec<u8>, PoolError> {
        let mut buf = Vec::new();
        buf.try_reserve_exact(len)
            .map_err(|_| PoolError::AllocFailed { requested: len })?;
        self.count_oversize(len);
        Ok(buf)
    }

    /// An oversize buffer of capacity `len`, for the infallible getters:
    /// a length the system cannot allocate panics with
    /// [`PoolError::AllocFailed`]'s message (where `Vec::with_capacity`
    /// would abort the process), and nothing is counted.
    #[cold]
    #[track_caller]
    fn oversize_vec(&self, len: usize) -> Vec<u8> {
        match self.try_oversize(len) {
            Ok(buf) => buf,
            Err(e) => panic!("TieredPool::get: {e}"),
        }
    }

    /// Records `len` and counts one oversize request.
    fn count_oversize(&self, len: usize) {
        engine::record_only(&self.engine, len);
        self.engine.extra().oversize.add_shared(1);
    }

    /// The guard of an oversize buffer: never pooled, never tracked.
    #[cold]
    fn oversize_guard(&self, buf: Vec<u8>) -> TieredBuf<'_> {
        TieredBuf {
            buf: ManuallyDrop::new(buf),
            class: OVERSIZE,
            pool: &self.engine,
            site: Site::default(),
        }
    }
}

/// The panic of [`TieredPool::get`] over `max_len`.
#[cold]
#[inline(never)]
#[track_caller]
fn too_large(len: usize, max: usize) -> ! {
    panic!(
        "TieredPool::get: {}",
        PoolError::TooLarge {
            requested: len,
            max
        }
    )
}

/// Which class a [`TieredPool`] item belongs to, for the [`Pool`] trait.
#[derive(Debug)]
pub struct TierTicket(usize);

/// Items are plain `Vec<u8>`s, so generic code written for any pool of
/// byte vectors (`P: Pool<Item = Vec<u8>>`) takes a `TieredPool` as it is.
impl pool_core::strategy::Recycle for TieredPool {
    type Item = Vec<u8>;
    type Ticket = TierTicket;
    type Anchor = TierAnchor;
    fn anchor(self: &Arc<Self>) -> TierAnchor {
        TierAnchor(self.engine.anchor())
    }
    fn recycle(&self, item: Vec<u8>, ticket: TierTicket) {
        engine::put(&self.engine, ticket.0, ClassBuf(item), Entry::Returned);
    }
    fn note_detached(&self, ticket: TierTicket) {
        engine::note_detached(&self.engine, ticket.0);
    }
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.engine.extra().leaks()
    }
}

/// What a generic owned guard of a [`TieredPool`]
/// ([`Pool::try_get_owned`]) holds in place of the pool: a hold on the
/// pool's memory counted per thread, as [`OwnedTieredBuf`] has.
pub struct TierAnchor(TieredEngineRef);

impl pool_core::strategy::Anchor for TierAnchor {
    type Item = Vec<u8>;
    type Ticket = TierTicket;
    fn recycle(self, item: Vec<u8>, ticket: TierTicket) {
        engine::put_held(self.0, ticket.0, ClassBuf(item));
    }
    fn note_detached(self, ticket: TierTicket) {
        self.0.count(ticket.0, |c| &c.detached);
    }
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&pool_core::leaks::LeakTracker> {
        self.0.extra().leaks()
    }
}

impl fmt::Debug for TierAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TierAnchor").finish()
    }
}

impl Pool for TieredPool {
    /// A buffer of the default length's class; never fails.
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        Ok(UnboundedPool::get(self))
    }

    fn stats(&self) -> Stats {
        TieredPool::stats(self).total
    }

    fn trim(&self) {
        TieredPool::trim(self);
    }
}

/// Reports the buffers still out when the pool is dropped (owned and
/// frozen ones keep the pool's shared part alive, so the tracker's own
/// drop would come only after them).
#[cfg(feature = "leak-sites")]
impl Drop for TieredPool {
    fn drop(&mut self) {
        if let Some(t) = &self.engine.extra().leaks {
            t.pool_dropped();
        }
    }
}

impl UnboundedPool for TieredPool {
    /// A buffer of the default length's class, as [`Pool::try_get`]; never
    /// fails. On a `TieredPool` itself, the inherent
    /// [`get(len)`](TieredPool::get) comes first: call this one as
    /// `UnboundedPool::get(&pool)`, or from generic code.
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn get(&self) -> Pooled<'_, Self> {
        let class = self.default_class;
        let item = engine::take(&self.engine, class, self.default_len);
        Pooled::new(item, TierTicket(class), self)
    }
}

impl fmt::Debug for TieredPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TieredPool")
            .field("classes", &self.classes.sizes())
            .finish_non_exhaustive()
    }
}
