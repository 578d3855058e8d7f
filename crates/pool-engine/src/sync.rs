//! The one place that chooses between `std` and `loom`, for the engine and
//! for strategy crates.
//!
//! Built with `RUSTFLAGS="--cfg pool_loom"` (which reaches every crate of
//! the build), these are loom's types, so the per-thread layer's slot
//! hand-over and a strategy's own synchronisation run on loom's model
//! checker without a second implementation. A strategy crate imports its
//! `Mutex`/`lock` and `UnsafeCell` from here instead of writing the switch
//! again, and waits out another thread's short window with [`spin_until`];
//! what only it uses (parking, its thread-locals) stays in its own switch.

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
/// use pool_engine::sync::{Mutex, lock};
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

/// Takes `m` if it is free, or freed within a short spin and a few
/// yields of the CPU; `None` otherwise. For a path that does without what
/// `m` guards rather than wait (a put's slow path, which frees an item the
/// spill has no room for just then): a holder that was preempted would otherwise make every thread
/// behind it sleep until it runs again. A poisoned lock is taken as it
/// is. Under loom, one try.
///
/// # Examples
///
/// ```
/// use pool_engine::sync::{Mutex, lock, try_lock_briefly};
///
/// let m = Mutex::new(1);
/// assert_eq!(try_lock_briefly(&m).map(|g| *g), Some(1));
/// let held = lock(&m);
/// assert!(try_lock_briefly(&m).is_none(), "held: given up, not waited for");
/// drop(held);
/// ```
#[inline]
pub fn try_lock_briefly<T>(m: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    #[cfg(pool_loom)]
    {
        m.try_lock().ok()
    }
    #[cfg(not(pool_loom))]
    {
        let backoff = crossbeam_utils::Backoff::new();
        loop {
            match m.try_lock() {
                Ok(g) => return Some(g),
                Err(std::sync::TryLockError::Poisoned(p)) => return Some(p.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => {
                    if backoff.is_completed() {
                        return None;
                    }
                    backoff.snooze();
                }
            }
        }
    }
}

/// Spins until `ready` returns `Some`, and returns what it held: with
/// crossbeam's `Backoff` (spinning, then yielding the CPU), or under loom
/// yielding to the model's other threads at every try. For waits on a
/// window of another thread that holds no lock and no user code (a
/// release under way, a putter between its token and its push), which
/// last a few instructions unless that thread is preempted.
///
/// # Examples
///
/// ```
/// use pool_engine::sync::spin_until;
/// use std::sync::atomic::{AtomicUsize, Ordering::Acquire};
///
/// let word = AtomicUsize::new(4);
/// let idle = spin_until(|| {
///     let w = word.load(Acquire);
///     (w & 1 == 0).then_some(w)
/// });
/// assert_eq!(idle, 4);
/// ```
#[inline]
pub fn spin_until<T>(mut ready: impl FnMut() -> Option<T>) -> T {
    #[cfg(not(pool_loom))]
    let backoff = crossbeam_utils::Backoff::new();
    loop {
        if let Some(done) = ready() {
            return done;
        }
        #[cfg(pool_loom)]
        loom::thread::yield_now();
        #[cfg(not(pool_loom))]
        backoff.snooze();
    }
}

/// `std::cell::UnsafeCell` with loom's closure-based API, so code written
/// once runs on both: under loom, every access is checked for data races.
///
/// # Examples
///
/// ```
/// use pool_engine::sync::UnsafeCell;
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
