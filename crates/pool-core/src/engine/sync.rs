//! The one place that chooses between `std` and `loom` for the per-thread
//! layer: with `RUSTFLAGS="--cfg pool_loom"`, slot hand-over runs on loom's
//! model checker.

#[cfg(pool_loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard, atomic::AtomicUsize};
#[cfg(not(pool_loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard, atomic::AtomicUsize};

/// Locks, ignoring poisoning: the layer's critical sections leave their
/// data consistent before anything in them can panic.
#[inline]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(pool_loom)]
    {
        m.lock().unwrap()
    }
    #[cfg(not(pool_loom))]
    {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
