//! How a [`RingPool`] is made: [`RingPool::new`], the builder, and the
//! validation of its settings.

use pool_core::{PoolError, Reset, ResetWith};

use crate::ring::{OnFull, RingPool};
use crate::slot::MAX_SLOTS;

impl<T: Reset + Send + 'static> RingPool<T> {
    /// A builder (capacity 8, `min(capacity, 8)` probes, [`OnFull::Allocate`]).
    /// `build` infers the item type from the factory, and a type alias or
    /// a turbofish names it (`type Bufs = RingPool<Vec<u8>>;
    /// Bufs::builder()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::{OnFull, RingPool};
    ///
    /// let pool = RingPool::builder().capacity(64).on_full(OnFull::Fail).build(Vec::<u8>::new)?;
    /// assert_eq!(pool.capacity(), 64);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn builder() -> RingPoolBuilder<T> {
        RingPoolBuilder::default()
    }
}

impl<T: Send + 'static, R: Fn(&mut T) + Clone + Send + Sync + 'static> RingPool<ResetWith<T, R>> {
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
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::with_reset(2, BTreeMap::<u32, u32>::new, BTreeMap::clear)?;
    /// pool.try_get()?.insert(1, 1);
    /// assert!(pool.try_get()?.is_empty(), "cleared on the way back");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn with_reset<F>(capacity: usize, factory: F, reset: R) -> Result<Self, PoolError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        RingPool::new(capacity, move || ResetWith::new(factory(), reset.clone()))
    }
}

impl<T: Send + 'static, R: Fn(&mut T) + Clone + Send + Sync + 'static>
    RingPoolBuilder<ResetWith<T, R>>
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
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::builder().capacity(2).build_with_reset(BTreeSet::<u8>::new, BTreeSet::clear)?;
    /// pool.try_get()?.insert(7);
    /// assert!(pool.try_get()?.is_empty());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn build_with_reset<F>(
        self,
        factory: F,
        reset: R,
    ) -> Result<RingPool<ResetWith<T, R>>, PoolError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        self.build(move || ResetWith::new(factory(), reset.clone()))
    }
}

impl<T: Reset + Send + 'static> RingPool<T> {
    /// A ring of `capacity` slots (rounded up to a power of two)
    /// pre-filled by `factory`, allocating when full.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] if `capacity` is 0 or over
    /// [`MAX_SLOTS`](crate::MAX_SLOTS).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::new(3, || vec![0u8; 2048])?;
    /// assert_eq!(pool.capacity(), 4);
    /// assert_eq!(pool.stats().retained_items, 4);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn new<F>(capacity: usize, factory: F) -> Result<Self, PoolError>
    where
        F: Fn() -> T + Send + Sync + 'static,
    {
        RingPool::builder().capacity(capacity).build(factory)
    }
}

/// Configures a [`RingPool`]; made by [`RingPool::builder`].
///
/// # Examples
///
/// ```
/// use pool_ring::{OnFull, RingPool};
///
/// let pool = RingPool::builder()
///     .capacity(6) // rounded up to 8
///     .probes(4)
///     .on_full(OnFull::Fail)
///     .build(|| Vec::<u8>::with_capacity(1500))?;
/// assert_eq!(pool.capacity(), 8);
/// # Ok::<(), pool_core::PoolError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct RingPoolBuilder<T> {
    slots: usize,
    probes: Option<usize>,
    on_full: OnFull,
    #[cfg(feature = "leak-sites")]
    leaks: Option<std::sync::Arc<pool_core::leaks::LeakTracker>>,
    /// The item type, fixed by `RingPool::<T>::builder` or by `build`'s
    /// factory.
    item: std::marker::PhantomData<fn() -> T>,
}

impl<T> Default for RingPoolBuilder<T> {
    /// Every setting's default, in one place: capacity 8, `min(capacity, 8)`
    /// probes, [`OnFull::Allocate`].
    fn default() -> Self {
        RingPoolBuilder {
            slots: 8,
            probes: None,
            on_full: OnFull::Allocate,
            #[cfg(feature = "leak-sites")]
            leaks: None,
            item: std::marker::PhantomData,
        }
    }
}

impl<T> Clone for RingPoolBuilder<T> {
    fn clone(&self) -> Self {
        RingPoolBuilder {
            slots: self.slots,
            probes: self.probes,
            on_full: self.on_full,
            #[cfg(feature = "leak-sites")]
            leaks: self.leaks.clone(),
            item: std::marker::PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for RingPoolBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingPoolBuilder")
            .field("slots", &self.slots)
            .field("probes", &self.probes)
            .field("on_full", &self.on_full)
            .finish_non_exhaustive()
    }
}

impl<T> RingPoolBuilder<T> {
    /// Slots in the ring, `1..=1048576`, rounded up to a power of two:
    /// what [`RingPool::capacity`] then reports (as `FixedPool`'s
    /// `capacity` setting and getter).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::builder().capacity(5).build(|| vec![0u8; 64])?;
    /// assert_eq!(pool.capacity(), 8, "rounded up to a power of two");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn capacity(mut self, slots: usize) -> Self {
        self.slots = slots;
        self
    }

    /// Slots a get tries, from the calling thread's cursor on, before it
    /// gives up (default: `min(capacity, 8)`); `1..=capacity`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_ring::{OnFull, RingPool};
    ///
    /// let pool = RingPool::builder().capacity(4).probes(4).on_full(OnFull::Fail).build(String::new)?;
    /// let all: Vec<_> = (0..4).map(|_| pool.try_get()).collect::<Result<_, _>>()?;
    /// assert_eq!(pool.try_get().unwrap_err(), PoolError::Exhausted { capacity: 4 });
    /// drop(all);
    /// assert!(RingPool::builder().capacity(4).probes(5).build(String::new).is_err());
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn probes(mut self, n: usize) -> Self {
        self.probes = Some(n);
        self
    }

    /// What a get does when every probed slot is busy (default
    /// [`OnFull::Allocate`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::{OnFull, RingPool};
    ///
    /// let pool = RingPool::builder().capacity(1).on_full(OnFull::Allocate).build(|| vec![0u8; 16])?;
    /// let a = pool.get();
    /// let b = pool.get(); // the ring is full: a fresh buffer, counted as a miss
    /// assert_eq!(pool.stats().misses, 1);
    /// drop((a, b));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn on_full(mut self, on_full: OnFull) -> Self {
        self.on_full = on_full;
        self
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
    /// use pool_ring::RingPool;
    ///
    /// // No `build`, so no factory to infer the item type from: name it.
    /// type Bufs = RingPool<Vec<u8>>;
    /// assert!(Bufs::builder().capacity(64).validate().is_ok());
    /// let e = Bufs::builder().capacity(4).probes(5).validate().unwrap_err();
    /// assert!(e.to_string().contains("probes"));
    /// ```
    pub fn validate(&self) -> Result<(), PoolError> {
        self.checked().map(|_| ())
    }

    /// The ring's size and probes, if the settings are valid.
    fn checked(&self) -> Result<(usize, usize), PoolError> {
        if !(1..=MAX_SLOTS).contains(&self.slots) {
            return Err(PoolError::invalid_config(
                "capacity",
                self.slots,
                format!("1..={MAX_SLOTS} (rounded up to a power of two)"),
            ));
        }
        let size = self.slots.next_power_of_two();
        let probes = self.probes.unwrap_or(size.min(8));
        if !(1..=size).contains(&probes) {
            return Err(PoolError::invalid_config(
                "probes",
                probes,
                format!("1..={size} (the ring's size after rounding)"),
            ));
        }
        Ok((size, probes))
    }

    /// Builds the ring and fills every slot with `factory`.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming `capacity` or `probes` when out of
    /// range.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::builder().capacity(16).build(|| String::with_capacity(32))?;
    /// assert_eq!(pool.stats().prefilled, 16);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn build<F>(self, factory: F) -> Result<RingPool<T>, PoolError>
    where
        T: Reset + Send,
        F: Fn() -> T + Send + Sync + 'static,
    {
        let (size, probes) = self.checked()?;
        Ok(RingPool::prefilled(
            size,
            probes,
            self.on_full,
            Box::new(factory),
            #[cfg(feature = "leak-sites")]
            self.leaks,
        ))
    }

    /// Records where each guard was taken (`leak-sites` feature; see
    /// [`RingPool::outstanding_sites`]), as the other pools' builders do.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::leaks::LeakTracker;
    /// use pool_ring::RingPool;
    ///
    /// let pool = RingPool::builder().capacity(2).leak_tracker(LeakTracker::new()).build(String::new)?;
    /// let held = pool.get();
    /// assert_eq!(pool.outstanding_sites().sites[0].location.line(), line!() - 1);
    /// drop(held);
    /// assert_eq!(pool.outstanding_sites().items(), 0);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg(feature = "leak-sites")]
    pub fn leak_tracker(mut self, tracker: pool_core::leaks::LeakTracker) -> Self {
        self.leaks = Some(std::sync::Arc::new(tracker));
        self
    }
}
