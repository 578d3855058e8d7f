//! [`FixedPoolBuilder`]: the settings of a bounded pool.

use pool_core::{PoolError, Reset, ResetWith};

use crate::pool::{FixedPool, MAX_ITEMS};

impl<T: Reset + Send + 'static> FixedPool<T> {
    /// Settings for a pool: `FixedPool::builder().capacity(n).build(factory)`.
    /// `build` infers the item type from the factory, and a type alias or
    /// a turbofish names it (`type Bufs = FixedPool<Vec<u8>>;
    /// Bufs::builder()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// // Items made on first need, never more than 8.
    /// let pool = FixedPool::builder().capacity(8).lazy(true).build(|| vec![0u8; 1024])?;
    /// assert_eq!(pool.stats().prefilled, 0);
    /// assert_eq!(pool.available(), 8);
    /// let buf = pool.try_get()?;
    /// assert_eq!((buf.len(), pool.stats().misses), (1024, 1));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn builder() -> FixedPoolBuilder<T> {
        FixedPoolBuilder::default()
    }
}

impl<T: Send + 'static, R: Fn(&mut T) + Clone + Send + Sync + 'static> FixedPool<ResetWith<T, R>> {
    /// As [`new`](Self::new), with `reset` clearing each item when its
    /// guard drops: for an item type with no [`Reset`] impl (one from
    /// another crate), without a newtype. See [`ResetWith`].
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::with_reset(2, BTreeMap::<u32, u32>::new, BTreeMap::clear)?;
    /// pool.try_get()?.insert(1, 1);
    /// assert!(pool.try_get()?.is_empty(), "cleared on the way back");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn with_reset<F>(capacity: usize, factory: F, reset: R) -> Result<Self, PoolError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        FixedPool::new(capacity, move || ResetWith::new(factory(), reset.clone()))
    }
}

impl<T: Send + 'static, R: Fn(&mut T) + Clone + Send + Sync + 'static>
    FixedPoolBuilder<ResetWith<T, R>>
{
    /// Builds the pool; `factory` makes its items and `reset` clears each
    /// one when its guard drops, for an item type with no [`Reset`] impl.
    /// The items are [`ResetWith<T, R>`](ResetWith), which dereference to `T`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::BTreeSet;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::builder().capacity(2).build_with_reset(BTreeSet::<u8>::new, BTreeSet::clear)?;
    /// pool.try_get()?.insert(7);
    /// assert!(pool.try_get()?.is_empty());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn build_with_reset<F>(
        self,
        factory: F,
        reset: R,
    ) -> Result<FixedPool<ResetWith<T, R>>, PoolError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        self.build(move || ResetWith::new(factory(), reset.clone()))
    }
}

impl<T: Reset + Send + 'static> FixedPool<T> {
    /// A pool of `capacity` items made now by `factory`.
    ///
    /// [`FixedPool::builder`] has the other settings (items made on
    /// demand instead of up front).
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] if `capacity` is 0 or over [`MAX_ITEMS`](crate::MAX_ITEMS).
    ///
    /// # Panics
    ///
    /// If the factory panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(4, || Vec::<u8>::with_capacity(1500))?;
    /// assert_eq!((pool.capacity(), pool.available(), pool.in_use()), (4, 4, 0));
    /// let buf = pool.try_get()?;
    /// assert_eq!(pool.in_use(), 1);
    /// # drop(buf);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn new<F>(capacity: usize, factory: F) -> Result<Self, PoolError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        Self::builder().capacity(capacity).build(factory)
    }
}

/// Settings for a [`FixedPool`], from [`FixedPool::builder`].
///
/// | setting | default | meaning |
/// |---|---|---|
/// | [`capacity`](Self::capacity) | 16 | items in the pool, `1..=MAX_ITEMS`: the bound; what [`FixedPool::capacity`] reports |
/// | [`lazy`](Self::lazy) | `false` | make items on first need instead of up front |
///
/// # Examples
///
/// ```
/// use pool_fixed::FixedPool;
///
/// let pool = FixedPool::builder().capacity(4).build(|| String::with_capacity(256))?;
/// assert_eq!(pool.capacity(), 4);
/// assert_eq!(pool.stats().prefilled, 4);
/// # Ok::<(), pool_core::PoolError>(())
/// ```
#[must_use = "a builder does nothing until `build`"]
pub struct FixedPoolBuilder<T> {
    capacity: usize,
    lazy: bool,
    #[cfg(feature = "leak-sites")]
    leaks: Option<std::sync::Arc<pool_core::leaks::LeakTracker>>,
    /// The item type, fixed by `FixedPool::<T>::builder` or by `build`'s
    /// factory.
    item: std::marker::PhantomData<fn() -> T>,
}

impl<T> Default for FixedPoolBuilder<T> {
    fn default() -> Self {
        FixedPoolBuilder {
            capacity: 16,
            lazy: false,
            #[cfg(feature = "leak-sites")]
            leaks: None,
            item: std::marker::PhantomData,
        }
    }
}

impl<T> Clone for FixedPoolBuilder<T> {
    fn clone(&self) -> Self {
        FixedPoolBuilder {
            capacity: self.capacity,
            lazy: self.lazy,
            #[cfg(feature = "leak-sites")]
            leaks: self.leaks.clone(),
            item: std::marker::PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for FixedPoolBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedPoolBuilder")
            .field("capacity", &self.capacity)
            .field("lazy", &self.lazy)
            .finish_non_exhaustive()
    }
}

impl<T> FixedPoolBuilder<T> {
    /// Items in the pool, `1..=`[`MAX_ITEMS`]: never more exist at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::builder().capacity(3).build(String::new)?;
    /// assert_eq!(pool.capacity(), 3);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn capacity(mut self, count: usize) -> Self {
        self.capacity = count;
        self
    }

    /// `true`: no item is made up front; each is made the first time an
    /// acquire finds nothing idle, until `capacity` exist (deadpool's way).
    /// Start-up is instant and a pool that never needs `capacity` items never
    /// makes them; the first acquires pay for the factory. `false` (the
    /// default): all `capacity` are made by `build`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::builder().capacity(100).lazy(true).build(|| vec![0u8; 1 << 20])?;
    /// assert_eq!(pool.stats().prefilled, 0, "no megabyte made yet");
    /// drop(pool.try_get()?);
    /// assert_eq!(pool.stats().misses, 1);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn lazy(mut self, lazy: bool) -> Self {
        self.lazy = lazy;
        self
    }

    /// Records where each guard was taken and for how long it has been
    /// out (`leak-sites` feature): a bounded pool whose items leak runs
    /// dry, and [`FixedPool::outstanding_sites`] says where they went.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::leaks::LeakTracker;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::builder().capacity(1).leak_tracker(LeakTracker::new()).build(String::new)?;
    /// let held = pool.get_blocking()?;
    /// assert_eq!(pool.outstanding_sites().sites[0].location.line(), line!() - 1);
    /// drop(held);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg(feature = "leak-sites")]
    pub fn leak_tracker(mut self, tracker: pool_core::leaks::LeakTracker) -> Self {
        self.leaks = Some(std::sync::Arc::new(tracker));
        self
    }

    /// Checks the settings without building.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming `capacity` if it is 0 or over
    /// [`MAX_ITEMS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// // No `build`, so no factory to infer the item type from: name it.
    /// type Bufs = FixedPool<Vec<u8>>;
    /// assert!(Bufs::builder().capacity(8).validate().is_ok());
    /// let err = Bufs::builder().capacity(0).validate().unwrap_err();
    /// assert!(err.to_string().contains("capacity"));
    /// ```
    pub fn validate(&self) -> Result<(), PoolError> {
        if !(1..=MAX_ITEMS).contains(&self.capacity) {
            return Err(PoolError::invalid_config(
                "capacity",
                self.capacity,
                format!("1..={MAX_ITEMS} items"),
            ));
        }
        Ok(())
    }

    /// Builds the pool; `factory` makes its items.
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate).
    ///
    /// # Panics
    ///
    /// If the factory panics while the items are made up front.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::builder().capacity(2).build(|| Vec::<u8>::with_capacity(512))?;
    /// assert_eq!(pool.get_blocking()?.capacity(), 512);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn build<F>(self, factory: F) -> Result<FixedPool<T>, PoolError>
    where
        T: Reset + Send + 'static,
        F: Fn() -> T + Send + Sync + 'static,
    {
        self.validate()?;
        Ok(FixedPool::from_parts(
            self.capacity,
            self.lazy,
            Box::new(factory),
            #[cfg(feature = "leak-sites")]
            self.leaks,
        ))
    }
}
