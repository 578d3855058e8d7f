//! The limits of a class and of the timed trim, checked once when a pool
//! is built so the hot path never checks them again.

use std::time::Duration;

use pool_core::PoolError;

use crate::trimmer;

/// The largest `cache_size` a class may have (items per thread).
pub const MAX_CACHE_SIZE: usize = 1 << 16;

/// The largest `spill_size` a class may have (items shared by all threads).
pub const MAX_SPILL_SIZE: usize = 1 << 24;

/// The limits of one class, checked by [`validate`](Self::validate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassLimits {
    /// Idle items each thread keeps (`1..=MAX_CACHE_SIZE`; default 64).
    pub cache_size: usize,
    /// Idle items the class's spill keeps for all threads, rounded up to
    /// whole batches of `cache_size / 2` (`1..=MAX_SPILL_SIZE`; default
    /// 1024).
    pub spill_size: usize,
    /// An item that comes back holding fewer heap bytes is dropped
    /// (default 0).
    pub min_item_bytes: usize,
    /// An item that comes back holding more heap bytes is dropped
    /// (default `usize::MAX`: no limit).
    pub max_item_bytes: usize,
}

impl Default for ClassLimits {
    fn default() -> Self {
        ClassLimits {
            cache_size: 64,
            spill_size: 1024,
            min_item_bytes: 0,
            max_item_bytes: usize::MAX,
        }
    }
}

impl ClassLimits {
    /// Checks every limit.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming the first setting out of range
    /// (`cache_size`, `spill_size`, `max_item_bytes` or `min_item_bytes`)
    /// and the range expected.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_engine::ClassLimits;
    ///
    /// assert!(ClassLimits::default().validate().is_ok());
    /// let e = ClassLimits { cache_size: 0, ..ClassLimits::default() }.validate().unwrap_err();
    /// assert!(e.to_string().contains("cache_size"));
    /// ```
    pub fn validate(&self) -> Result<(), PoolError> {
        if !(1..=MAX_CACHE_SIZE).contains(&self.cache_size) {
            return Err(PoolError::invalid_config(
                "cache_size",
                self.cache_size,
                format!("1..={MAX_CACHE_SIZE} items"),
            ));
        }
        if !(1..=MAX_SPILL_SIZE).contains(&self.spill_size) {
            return Err(PoolError::invalid_config(
                "spill_size",
                self.spill_size,
                format!("1..={MAX_SPILL_SIZE} items"),
            ));
        }
        if self.max_item_bytes == 0 {
            return Err(PoolError::invalid_config(
                "max_item_bytes",
                0,
                "at least 1 byte",
            ));
        }
        if self.min_item_bytes > self.max_item_bytes {
            return Err(PoolError::invalid_config(
                "min_item_bytes",
                self.min_item_bytes,
                format!(
                    "at most max_item_bytes ({} bytes), or no item could be kept",
                    self.max_item_bytes
                ),
            ));
        }
        Ok(())
    }

    /// These limits held to the ranges [`validate`](Self::validate)
    /// checks: what the engine uses after the build, where a
    /// [`ClassTable`](crate::ClassTable) that breaks its promise of the
    /// same limits on every call must not make it size anything by an
    /// unchecked number (an allocation that aborts, a capacity overflow).
    pub(crate) fn clamped(self) -> Self {
        let max_item_bytes = self.max_item_bytes.max(1);
        ClassLimits {
            cache_size: self.cache_size.clamp(1, MAX_CACHE_SIZE),
            spill_size: self.spill_size.clamp(1, MAX_SPILL_SIZE),
            min_item_bytes: self.min_item_bytes.min(max_item_bytes),
            max_item_bytes,
        }
    }
}

/// Checks a timed-trim interval: `None` (no timed trimming) or at least
/// `trimmer::MIN_INTERVAL` (1 ms).
///
/// # Errors
///
/// [`PoolError::InvalidConfig`] naming `trim_interval`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use pool_engine::check_trim_interval;
///
/// assert!(check_trim_interval(None).is_ok());
/// assert!(check_trim_interval(Some(Duration::from_secs(10))).is_ok());
/// assert!(check_trim_interval(Some(Duration::ZERO)).is_err());
/// ```
pub fn check_trim_interval(interval: Option<Duration>) -> Result<(), PoolError> {
    match interval {
        Some(i) if i < trimmer::MIN_INTERVAL => Err(PoolError::invalid_config(
            "trim_interval",
            format!("{i:?}"),
            "at least 1ms, or None for no timed trimming",
        )),
        _ => Ok(()),
    }
}
