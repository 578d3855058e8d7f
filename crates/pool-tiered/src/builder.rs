//! How a [`TieredPool`] is made: [`TieredPool::new`], the builder, and
//! the validation of its settings.

use std::time::Duration;

use pool_core::PoolError;
use pool_engine::SharedByteCap;
use pool_engine::{ClassLimits, Engine};

use crate::SizeClasses;
use crate::engine::{TieredExtra, Tiers};
use crate::pool::TieredPool;

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
        match TieredPoolBuilder::default().build() {
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
        TieredPoolBuilder::default()
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
    leaks: Option<std::sync::Arc<pool_core::leaks::LeakTracker>>,
}

impl Default for TieredPoolBuilder {
    /// The defaults of every setting, in one place.
    fn default() -> Self {
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
}

impl TieredPoolBuilder {
    /// The longest length [`TieredPool::checked_get`] accepts (default
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
    ///     pool.checked_get(wire_len).unwrap_err(),
    ///     PoolError::TooLarge { requested: usize::MAX, max: 1 << 20 }
    /// );
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn max_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes;
        self
    }

    /// Trims every class every `interval` from the process-wide trimmer
    /// thread (`pool_engine::trimmer`), as [`TieredPool::trim`] does, so
    /// memory comes back after a burst without a call. `None` (the
    /// default) turns timed trimming off; 10 s
    /// (`pool_engine::trimmer::SUGGESTED_INTERVAL`) is a good start. At
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
    /// assert!(pool.try_get()?.capacity() >= 4096);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn default_len(mut self, len: usize) -> Self {
        self.default_len = Some(len);
        self
    }

    /// Records where each class buffer was taken and for how long it has
    /// been out, frozen ones included until their last handle drops
    /// (`leak-sites` feature); see [`TieredPool::outstanding_sites`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::leaks::LeakTracker;
    /// use pool_tiered::{TieredBuf, TieredPool};
    ///
    /// let pool = TieredPool::builder().leak_tracker(LeakTracker::new()).build()?;
    /// let shared = TieredBuf::freeze(pool.get(100));
    /// assert_eq!(pool.outstanding_sites().sites[0].location.line(), line!() - 1);
    /// drop(shared); // the last handle: the buffer is back
    /// assert_eq!(pool.outstanding_sites().items(), 0);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg(feature = "leak-sites")]
    pub fn leak_tracker(mut self, tracker: pool_core::leaks::LeakTracker) -> Self {
        self.leaks = Some(std::sync::Arc::new(tracker));
        self
    }

    /// Builds the pool (no buffer is made until asked for; the largest
    /// class is reserved once and freed, to check that it can be).
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming the setting: `cache_size` or
    /// `spill_size` out of range, `max_retained_bytes` 0 or smaller than
    /// the largest class, `default_len` over the largest class, or
    /// `classes` whose largest the system cannot allocate (class buffers
    /// are made as `Vec::with_capacity` is, which would abort the process
    /// on the first get of that class).
    ///
    /// ```
    /// use pool_tiered::{PoolError, SizeClasses, TieredPool};
    ///
    /// let absurd = SizeClasses::custom(&[4096, isize::MAX as usize])?;
    /// let e = TieredPool::builder().classes(absurd).build().unwrap_err();
    /// assert!(matches!(e, PoolError::InvalidConfig { field: "classes", .. }), "{e}");
    /// # Ok::<(), PoolError>(())
    /// ```
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
        self.validate()?;
        // The engine makes class buffers infallibly: a class the system
        // cannot allocate is refused here, not met by an abort later.
        let largest = self.classes.largest();
        if Vec::<u8>::new().try_reserve_exact(largest).is_err() {
            return Err(PoolError::invalid_config(
                "classes",
                format!("a largest class of {largest} bytes"),
                "classes the system can allocate",
            ));
        }
        let cap = self
            .max_retained_bytes
            .map(SharedByteCap::new)
            .transpose()?;
        let sizes = self.classes.sizes();
        let table = Tiers {
            sizes: self.classes.shared_sizes(),
            cache_size: self.cache_size,
            spill_size: self.spill_size,
        };
        let extra = TieredExtra {
            zero_on_release: self.zero_on_release,
            oversize: Default::default(),
            foreign_kept: Default::default(),
            foreign_dropped: Default::default(),
            #[cfg(feature = "leak-sites")]
            leaks: self.leaks,
        };
        let engine = Engine::with_table(table, cap, self.trim_interval, extra)?;
        let default_len = self.default_len.unwrap_or(sizes[0]);
        Ok(TieredPool::from_parts(
            engine,
            self.classes,
            self.max_len,
            default_len,
        ))
    }

    /// Checks every setting, as [`build`](Self::build) does first.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// assert!(TieredPool::builder().validate().is_ok());
    /// let e = TieredPool::builder().cache_size(0).validate().unwrap_err();
    /// assert!(e.to_string().contains("cache_size"));
    /// ```
    pub fn validate(&self) -> Result<(), PoolError> {
        ClassLimits {
            cache_size: self.cache_size,
            spill_size: self.spill_size,
            ..ClassLimits::default()
        }
        .validate()?;
        pool_engine::check_trim_interval(self.trim_interval)?;
        let largest = self.classes.largest();
        if self.max_len == 0 || self.max_len > isize::MAX as usize {
            return Err(PoolError::invalid_config(
                "max_len",
                self.max_len,
                format!("1..={} bytes", isize::MAX),
            ));
        }
        if let Some(bytes) = self.max_retained_bytes
            && bytes < largest
        {
            return Err(PoolError::invalid_config(
                "max_retained_bytes",
                bytes,
                format!("at least the largest class ({largest} bytes)"),
            ));
        }
        if let Some(len) = self.default_len
            && len > largest
        {
            return Err(PoolError::invalid_config(
                "default_len",
                len,
                format!("at most the largest class ({largest} bytes)"),
            ));
        }
        Ok(())
    }
}
