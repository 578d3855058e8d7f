//! The builder, validated once so the hot path never re-checks.

use std::time::Duration;

use pool_core::{PoolError, Reset, ResetWith};
use pool_engine::SharedByteCap;
use pool_engine::{ClassLimits, Engine, check_trim_interval};

use crate::LocalPool;

impl<T: Reset + Send + 'static> LocalPool<T> {
    /// A builder for a pool with other settings. `build` infers the item
    /// type from the factory, and a type alias or a turbofish names it
    /// (`type Bufs = LocalPool<Vec<u8>>; Bufs::builder()`).
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
    pub fn builder() -> LocalPoolBuilder<T> {
        LocalPoolBuilder::default()
    }
}

impl<T: Send + 'static, R: Fn(&mut T) + Clone + Send + Sync + 'static> LocalPool<ResetWith<T, R>> {
    /// A pool with the default settings whose items `factory` makes and
    /// `reset` clears: for an item type with no [`Reset`] impl (one from
    /// another crate), without a newtype. See [`ResetWith`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::with_reset(BTreeMap::<u32, String>::new, BTreeMap::clear);
    /// pool.get().insert(1, "one".into());
    /// assert!(pool.get().is_empty(), "cleared by the function on the way back");
    /// ```
    pub fn with_reset<F>(factory: F, reset: R) -> Self
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        LocalPool::new(move || ResetWith::new(factory(), reset.clone()))
    }
}

impl<T: Send + 'static, R: Fn(&mut T) + Clone + Send + Sync + 'static>
    LocalPoolBuilder<ResetWith<T, R>>
{
    /// Builds the pool; `factory` makes its items and `reset` clears each
    /// one when its guard drops (lockfree-object-pool's and opool's reset
    /// closure), for an item type with no [`Reset`] impl. The items are
    /// [`ResetWith<T, R>`](ResetWith), which dereference to `T`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::BTreeSet;
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder()
    ///     .cache_size(4)
    ///     .build_with_reset(BTreeSet::<u64>::new, BTreeSet::clear)?;
    /// pool.get().insert(7);
    /// assert!(pool.get().is_empty());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn build_with_reset<F>(
        self,
        factory: F,
        reset: R,
    ) -> Result<LocalPool<ResetWith<T, R>>, PoolError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        self.build(move || ResetWith::new(factory(), reset.clone()))
    }
}

/// Configures a [`LocalPool`]; made by [`LocalPool::builder`].
///
/// | setting | default | meaning |
/// |---|---|---|
/// | [`cache_size`](Self::cache_size) | 64 | idle items each thread keeps |
/// | [`spill_size`](Self::spill_size) | 1024 | idle items the global spill keeps (rounded up to whole batches of `cache_size / 2`) |
/// | [`max_item_bytes`](Self::max_item_bytes) | none | an item whose `Reset::heap_bytes` exceeds this is dropped on return |
/// | [`min_item_bytes`](Self::min_item_bytes) | 0 | an item whose `Reset::heap_bytes` is under this is dropped on return or `put` |
/// | [`max_retained_bytes`](Self::max_retained_bytes) | none | idle items never hold more heap bytes than this, in all |
/// | [`trim_interval`](Self::trim_interval) | none | trimmed this often by the process-wide trimmer thread |
///
/// # Examples
///
/// ```
/// use pool_local::LocalPool;
///
/// let pool = LocalPool::builder()
///     .cache_size(32)
///     .spill_size(256)
///     .max_item_bytes(64 << 10)
///     .max_retained_bytes(16 << 20)
///     .build(|| Vec::<u8>::with_capacity(4096))?;
/// assert_eq!(pool.get().capacity(), 4096);
/// # Ok::<(), pool_core::PoolError>(())
/// ```
/// `Default` is every setting's default: the engine's class limits, no
/// byte cap, no timed trim, no tracker.
#[must_use = "a builder does nothing until `build` is called"]
pub struct LocalPoolBuilder<T> {
    /// Every per-class setting (the defaults are the engine's).
    limits: ClassLimits,
    max_retained_bytes: Option<usize>,
    trim_interval: Option<Duration>,
    shared_cap: Option<SharedByteCap>,
    #[cfg(feature = "leak-sites")]
    leaks: Option<std::sync::Arc<pool_core::leaks::LeakTracker>>,
    /// The item type, fixed by `LocalPool::<T>::builder` or by `build`'s
    /// factory.
    item: std::marker::PhantomData<fn() -> T>,
}

impl<T> Default for LocalPoolBuilder<T> {
    /// Every setting's default (the engine's, in [`ClassLimits::default`]).
    fn default() -> Self {
        LocalPoolBuilder {
            limits: ClassLimits::default(),
            max_retained_bytes: None,
            trim_interval: None,
            shared_cap: None,
            #[cfg(feature = "leak-sites")]
            leaks: None,
            item: std::marker::PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for LocalPoolBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalPoolBuilder")
            .field("limits", &self.limits)
            .field("max_retained_bytes", &self.max_retained_bytes)
            .field("trim_interval", &self.trim_interval)
            .field("shared_cap", &self.shared_cap)
            .finish_non_exhaustive()
    }
}

impl<T> Clone for LocalPoolBuilder<T> {
    fn clone(&self) -> Self {
        LocalPoolBuilder {
            limits: self.limits,
            max_retained_bytes: self.max_retained_bytes,
            trim_interval: self.trim_interval,
            shared_cap: self.shared_cap.clone(),
            #[cfg(feature = "leak-sites")]
            leaks: self.leaks.clone(),
            item: std::marker::PhantomData,
        }
    }
}

impl<T> LocalPoolBuilder<T> {
    /// Idle items each thread keeps before half of them move to the global
    /// spill; `1..=65536`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder().cache_size(2).build(|| Vec::<u8>::with_capacity(64))?;
    /// let held: Vec<_> = (0..4).map(|_| pool.get()).collect();
    /// drop(held); // two stay in this thread's cache, the rest go to the spill
    /// assert_eq!(pool.stats().retained_items, 4);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn cache_size(mut self, items: usize) -> Self {
        self.limits.cache_size = items;
        self
    }

    /// Idle items the global spill keeps; `1..=16777216`, rounded up to
    /// whole batches of `max(cache_size / 2, 1)` items.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder()
    ///     .cache_size(2)
    ///     .spill_size(1) // one batch of one item
    ///     .build(|| Vec::<u8>::with_capacity(64))?;
    /// let held: Vec<_> = (0..6).map(|_| pool.get()).collect();
    /// drop(held);
    /// let s = pool.stats();
    /// assert!(s.retained_items <= 3, "cache 2 + spill 1: {s}");
    /// assert!(s.discarded.full >= 3);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn spill_size(mut self, items: usize) -> Self {
        self.limits.spill_size = items;
        self
    }

    /// Drops, instead of keeping, an item whose `Reset::heap_bytes` exceeds
    /// `bytes` when it comes back ("pool pollution"); at least 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder().max_item_bytes(1024).build(|| Vec::<u8>::with_capacity(256))?;
    /// let mut buf = pool.get();
    /// buf.reserve(1 << 20); // this holder needed a huge buffer once
    /// drop(buf); // not kept: it would pin a megabyte
    /// assert_eq!(pool.stats().discarded.too_large, 1);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn max_item_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_item_bytes = bytes;
        self
    }

    /// Drops, instead of keeping, an item whose `Reset::heap_bytes` is under
    /// `bytes` when it comes back or is [`put`](crate::LocalPool::put) in
    /// (counted as `discarded.too_small`): a pool of 1024-byte buffers then
    /// never hands out a 16-byte one that a holder shrank, swapped in or
    /// gave. At most `max_item_bytes` when both are set.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder()
    ///     .min_item_bytes(1024)
    ///     .build(|| Vec::<u8>::with_capacity(1024))?;
    /// assert!(!pool.put(Vec::with_capacity(16)), "too small: dropped");
    /// let mut buf = pool.get();
    /// buf.shrink_to_fit(); // the holder shrinks it
    /// drop(buf);
    /// assert!(pool.get().capacity() >= 1024);
    /// assert_eq!(pool.stats().discarded.too_small, 1);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn min_item_bytes(mut self, bytes: usize) -> Self {
        self.limits.min_item_bytes = bytes;
        self
    }

    /// Caps the heap bytes held by idle items, across all threads; at least
    /// Replaces a [`shared_cap`](Self::shared_cap) set before (the last of
    /// the two wins).
    ///
    /// 1, and at least `max_item_bytes` when both are set.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder()
    ///     .max_retained_bytes(4096)
    ///     .build(|| Vec::<u8>::with_capacity(1024))?;
    /// let burst: Vec<_> = (0..16).map(|_| pool.get()).collect();
    /// drop(burst);
    /// let s = pool.stats();
    /// assert!(s.retained_bytes <= 4096, "{s}");
    /// assert!(s.discarded.over_byte_cap > 0);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn max_retained_bytes(mut self, bytes: usize) -> Self {
        // The last of this and `shared_cap` wins: a cap of the pool's own
        // replaces a shared one set before.
        self.max_retained_bytes = Some(bytes);
        self.shared_cap = None;
        self
    }

    /// Trims the pool every `interval` from the process-wide trimmer thread
    /// (`pool_engine::trimmer`), so idle memory comes back after a burst
    /// without a call to [`LocalPool::trim`]: what sat idle through two
    /// intervals is freed. `None` (the default) turns timed trimming off;
    /// `pool_engine::trimmer::SUGGESTED_INTERVAL` (10 s) is a good start. At
    /// least 1 ms; `Duration::MAX` is accepted and never comes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder()
    ///     .trim_interval(Duration::from_secs(10))
    ///     .build(|| Vec::<u8>::with_capacity(4096))?;
    /// drop(pool.get());
    /// assert!(LocalPool::builder().trim_interval(Duration::ZERO).build(Vec::<u8>::new).is_err());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn trim_interval(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.trim_interval = interval.into();
        self
    }

    /// Shares a retained-byte cap with other pools instead of having one
    /// of its own (replaces [`max_retained_bytes`](Self::max_retained_bytes)).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::{LocalPool, SharedByteCap};
    ///
    /// let cap = SharedByteCap::new(1 << 20)?;
    /// let a = LocalPool::builder().shared_cap(cap.clone()).build(|| Vec::<u8>::with_capacity(4096))?;
    /// let b = LocalPool::builder().shared_cap(cap.clone()).build(|| Vec::<u8>::with_capacity(8192))?;
    /// drop((a.get(), b.get()));
    /// assert!(cap.available() <= (1 << 20) - 4096 - 8192);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    ///
    /// The last of this and [`max_retained_bytes`](Self::max_retained_bytes)
    /// wins: each replaces the other if it was set before.
    pub fn shared_cap(mut self, cap: SharedByteCap) -> Self {
        self.max_retained_bytes = Some(cap.cap());
        self.shared_cap = Some(cap);
        self
    }

    /// Records where each guard of the pool was taken and for how long it
    /// has been out (`leak-sites` feature); read it with
    /// [`LocalPool::outstanding_sites`], or let `tracker` report old guards and
    /// guards still out when the pool drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::leaks::LeakTracker;
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder()
    ///     .leak_tracker(LeakTracker::new())
    ///     .build(|| Vec::<u8>::with_capacity(64))?;
    /// let forgotten = pool.get();
    /// let report = pool.outstanding_sites();
    /// assert_eq!(report.items(), 1);
    /// assert_eq!(report.sites[0].location.line(), line!() - 3, "the get above");
    /// drop(forgotten);
    /// assert_eq!(pool.outstanding_sites().items(), 0);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg(feature = "leak-sites")]
    pub fn leak_tracker(mut self, tracker: pool_core::leaks::LeakTracker) -> Self {
        self.leaks = Some(std::sync::Arc::new(tracker));
        self
    }

    /// Checks every setting and returns the first that is out of range.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming the setting, its value and the
    /// accepted range.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// // No `build`, so no factory to infer the item type from: name it.
    /// type Bufs = LocalPool<Vec<u8>>;
    /// assert!(Bufs::builder().cache_size(8).validate().is_ok());
    /// let err = Bufs::builder().cache_size(0).validate().unwrap_err();
    /// assert!(err.to_string().contains("cache_size"), "{err}");
    /// ```
    pub fn validate(&self) -> Result<(), PoolError> {
        self.limits.validate()?;
        check_trim_interval(self.trim_interval)?;
        match self.max_retained_bytes {
            Some(0) => Err(PoolError::invalid_config(
                "max_retained_bytes",
                0,
                "at least 1 byte",
            )),
            Some(cap)
                if self.limits.max_item_bytes != usize::MAX && cap < self.limits.max_item_bytes =>
            {
                Err(PoolError::invalid_config(
                    "max_retained_bytes",
                    cap,
                    format!(
                        "at least max_item_bytes ({} bytes), or no item could be kept",
                        self.limits.max_item_bytes
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Builds the pool; `factory` makes an item on a miss.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] as [`validate`](Self::validate).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_local::LocalPool;
    ///
    /// let pool = LocalPool::builder().cache_size(16).build(|| String::with_capacity(80))?;
    /// assert!(pool.get().capacity() >= 80);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn build<F>(self, factory: F) -> Result<LocalPool<T>, PoolError>
    where
        T: Reset + Send + 'static,
        F: Fn() -> T + Send + Sync + 'static,
    {
        self.validate()?;
        // An own cap, or one shared with other pools.
        let cap = match (self.shared_cap, self.max_retained_bytes) {
            (Some(shared), _) => Some(shared),
            (None, Some(bytes)) => Some(SharedByteCap::new(bytes)?),
            (None, None) => None,
        };
        let engine = Engine::with_table(
            (self.limits, factory),
            cap,
            self.trim_interval,
            crate::pool::LocalExtra {
                #[cfg(feature = "leak-sites")]
                leaks: self.leaks,
            },
        )?;
        Ok(LocalPool::from_engine(engine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pool_engine::MAX_CACHE_SIZE;

    fn field_of(b: LocalPoolBuilder<Vec<u8>>) -> (&'static str, String) {
        let b = b.clone();
        match b.build(Vec::<u8>::new) {
            Err(e @ PoolError::InvalidConfig { field, .. }) => (field, e.to_string()),
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_value_names_its_field_and_range() {
        let b = LocalPoolBuilder::default;
        let (f, m) = field_of(b().cache_size(0));
        assert_eq!(f, "cache_size");
        assert!(m.contains("is 0") && m.contains("1..=65536"), "{m}");
        let (f, m) = field_of(b().cache_size(MAX_CACHE_SIZE + 1));
        assert_eq!(f, "cache_size");
        assert!(m.contains("65537"), "{m}");
        let (f, m) = field_of(b().spill_size(0));
        assert_eq!(f, "spill_size");
        assert!(m.contains("1..=16777216"), "{m}");
        let (f, m) = field_of(b().max_item_bytes(0));
        assert_eq!(f, "max_item_bytes");
        assert!(m.contains("at least 1 byte"), "{m}");
        let (f, m) = field_of(b().max_retained_bytes(0));
        assert_eq!(f, "max_retained_bytes");
        assert!(m.contains("at least 1 byte"), "{m}");
        let (f, m) = field_of(b().max_item_bytes(4096).max_retained_bytes(1000));
        assert_eq!(f, "max_retained_bytes");
        assert!(
            m.contains("is 1000") && m.contains("max_item_bytes (4096 bytes)"),
            "{m}"
        );
    }
}
