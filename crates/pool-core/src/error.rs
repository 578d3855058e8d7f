//! The one error type shared by every pool in the family.

use std::borrow::Cow;
use std::time::Duration;

/// Everything a pool operation or a pool configuration can fail with.
///
/// Every message names what was wrong and what was expected, so it can be
/// shown to a person as it is.
///
/// # Examples
///
/// ```
/// use pool_core::PoolError;
///
/// let err = PoolError::invalid_config("cache_size", 0, "at least 1");
/// assert_eq!(
///     err.to_string(),
///     "invalid pool configuration: `cache_size` is 0, expected at least 1"
/// );
/// assert!(matches!(err, PoolError::InvalidConfig { field: "cache_size", .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// A bounded pool has every item out and the caller asked not to wait.
    #[error("pool exhausted: all {capacity} items are in use")]
    Exhausted {
        /// How many items the pool holds in all.
        capacity: usize,
    },
    /// The pool was closed; no item will be handed out again.
    #[error("pool is closed")]
    Closed,
    /// No item came back before the deadline.
    #[error("timed out after {waited:?} waiting for an item")]
    TimedOut {
        /// The timeout the caller gave: it waited that long (at least),
        /// and nothing came.
        waited: Duration,
    },
    /// A configuration value is out of its range.
    #[error("invalid pool configuration: `{field}` is {value}, expected {expected}")]
    InvalidConfig {
        /// The builder method or field that was wrong.
        field: &'static str,
        /// The value it was given, as text.
        value: String,
        /// What would have been accepted.
        expected: Cow<'static, str>,
    },
    /// A request is larger than the pool is configured to serve.
    #[error("requested {requested} bytes, but this pool serves at most {max} bytes")]
    TooLarge {
        /// The size asked for.
        requested: usize,
        /// The largest size the pool serves.
        max: usize,
    },
    /// The system could not allocate a buffer of the size asked for, and
    /// the getter is one that reports failures (`checked_get` of
    /// pool-tiered, for lengths that come from outside): refused, where an
    /// infallible getter would abort the process.
    #[error(
        "cannot allocate {requested} bytes: the system refused; cap lengths from outside with a smaller `max_len`"
    )]
    AllocFailed {
        /// The size asked for, in bytes.
        requested: usize,
    },
}

impl PoolError {
    /// Builds [`PoolError::InvalidConfig`] for `field`, which was given
    /// `value` where `expected` was expected.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    ///
    /// let err = PoolError::invalid_config("max_item_bytes", 0, "at least 1 byte");
    /// assert!(err.to_string().contains("`max_item_bytes` is 0"));
    /// ```
    pub fn invalid_config(
        field: &'static str,
        value: impl std::fmt::Display,
        expected: impl Into<Cow<'static, str>>,
    ) -> Self {
        PoolError::InvalidConfig {
            field,
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}
