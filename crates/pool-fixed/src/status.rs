//! [`Status`]: what a bounded pool is doing, in one snapshot.

use std::fmt;

/// What a [`FixedPool`](crate::FixedPool) is doing, from
/// [`FixedPool::status`](crate::FixedPool::status): the figures a health
/// endpoint or a metrics scrape reports, as deadpool's `Status` and bb8's
/// `State` do.
///
/// `available + in_use == capacity` while the pool is open.
///
/// # Examples
///
/// ```
/// use pool_fixed::FixedPool;
///
/// let pool = FixedPool::new(2, Vec::<u8>::new)?;
/// let s = pool.status();
/// assert_eq!((s.capacity, s.available, s.in_use, s.waiting, s.closed), (2, 2, 0, 0, false));
/// # Ok::<(), pool_core::PoolError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Status {
    /// Items the pool holds in all (its bound).
    pub capacity: usize,
    /// Items that can be handed out without waiting: idle ones, and
    /// replacements owed for items that left circulation. 0 once closed.
    pub available: usize,
    /// Items handed out and not back yet.
    pub in_use: usize,
    /// Acquires queued for an item (blocking and async).
    pub waiting: usize,
    /// Whether the pool was closed.
    pub closed: bool,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} items: {} available, {} in use, {} waiting",
            self.capacity, self.available, self.in_use, self.waiting
        )?;
        if self.closed {
            f.write_str(" (closed)")?;
        }
        Ok(())
    }
}
