//! The one place that chooses between `std` and `loom`.
//!
//! With `RUSTFLAGS="--cfg pool_loom"`, the waiting and waking path (the
//! token counter, the wait queue's lock, the waiter cells, parking) runs on
//! loom's model checker, and so do the threads' slots (their state word
//! and the `UnsafeCell` of the item).

#[cfg(pool_loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(pool_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicIsize, AtomicU8, AtomicU64};
#[cfg(pool_loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(pool_loom)]
pub(crate) use loom::thread::{Thread, current, park};

#[cfg(not(pool_loom))]
pub(crate) use crossbeam_utils::Backoff;
#[cfg(not(pool_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU8, AtomicU64};
#[cfg(not(pool_loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(pool_loom))]
pub(crate) use std::thread::{Thread, current, park};

/// Locks, ignoring poisoning: every critical section in this crate leaves
/// its data consistent before it can panic, so a poisoned lock holds
/// nothing half-done.
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

/// Parks until unparked or `deadline` passes (loom: until unparked).
pub(crate) fn park_until(deadline: Option<std::time::Instant>) {
    #[cfg(pool_loom)]
    {
        let _ = deadline;
        park();
    }
    #[cfg(not(pool_loom))]
    match deadline {
        None => park(),
        Some(d) => {
            let now = std::time::Instant::now();
            if d > now {
                std::thread::park_timeout(d - now);
            }
        }
    }
}

/// loom's stand-in for `crossbeam_utils::Backoff`: every snooze yields to
/// the model's other threads.
#[cfg(pool_loom)]
pub(crate) struct Backoff;

#[cfg(pool_loom)]
impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff
    }
    pub(crate) fn snooze(&self) {
        loom::thread::yield_now();
    }
}

/// `std::cell::UnsafeCell` with loom's closure-based API.
#[cfg(not(pool_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(pool_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
