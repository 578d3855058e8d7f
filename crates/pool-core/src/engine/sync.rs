//! The one place that chooses between `std` and `loom`, for the engine and
//! for strategy crates.
//!
//! Built with `RUSTFLAGS="--cfg pool_loom"` (which reaches every crate of
//! the build), these are loom's types, so the per-thread layer's slot
//! hand-over and a strategy's own synchronisation run on loom's model
//! checker without a second implementation. A strategy crate imports its
//! `Mutex`/`lock` and `UnsafeCell` from here instead of writing the switch
//! again; what only it uses (parking, a backoff, its thread-locals) stays
//! in its own switch.

#[cfg(pool_loom)]
pub use loom::cell::UnsafeCell;
#[cfg(pool_loom)]
pub use loom::sync::{
    Arc, Mutex, MutexGuard,
    atomic::{AtomicBool, AtomicUsize},
};
#[cfg(not(pool_loom))]
pub use std::sync::{
    Arc, Mutex, MutexGuard,
    atomic::{AtomicBool, AtomicUsize},
};

/// Locks, ignoring poisoning. For locks whose critical sections leave
/// their data consistent before anything in them can panic (the engine's
/// and the strategies' all do), so a poisoned lock holds nothing
/// half-done and a panic elsewhere does not poison the pool.
///
/// # Examples
///
/// ```
/// use pool_core::engine::sync::{Mutex, lock};
///
/// let m = Mutex::new(1);
/// let _ = std::panic::catch_unwind(|| {
///     let _g = lock(&m);
///     panic!("poisons the std lock");
/// });
/// assert_eq!(*lock(&m), 1, "still usable");
/// ```
#[inline]
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(pool_loom)]
    {
        m.lock().unwrap()
    }
    #[cfg(not(pool_loom))]
    {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `std::cell::UnsafeCell` with loom's closure-based API, so code written
/// once runs on both: under loom, every access is checked for data races.
///
/// # Examples
///
/// ```
/// use pool_core::engine::sync::UnsafeCell;
///
/// let cell = UnsafeCell::new(1);
/// // SAFETY (of the caller's code): no other access to the cell is live.
/// let two = cell.with_mut(|p| unsafe {
///     *p += 1;
///     *p
/// });
/// assert_eq!(two, 2);
/// ```
#[cfg(not(pool_loom))]
#[derive(Debug)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(pool_loom))]
impl<T> UnsafeCell<T> {
    /// A cell holding `value`.
    pub fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a raw pointer to the value; what `f` does with it is
    /// the caller's to keep sound (as with `std::cell::UnsafeCell::get`).
    #[inline(always)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
