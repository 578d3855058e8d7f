//! The one place that chooses between `std` and `loom`.
//!
//! Built with `RUSTFLAGS="--cfg pool_loom"`, every atomic and the slots'
//! `UnsafeCell` come from loom, so the ring's claim and release paths run
//! under loom's model checker without a second implementation.

#[cfg(pool_loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(pool_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize};

#[cfg(not(pool_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize};

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
