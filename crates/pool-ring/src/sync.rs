//! The one place that chooses between `std` and `loom`.
//!
//! Built with `RUSTFLAGS="--cfg pool_loom"`, every atomic and the slots'
//! `UnsafeCell` come from loom, so the ring's claim and release paths run
//! under loom's model checker without a second implementation; so do the
//! per-thread cursor and the arrival counter of `crate::cursor`.

pub(crate) use pool_engine::sync::{UnsafeCell, spin_until};

#[cfg(pool_loom)]
loom::thread_local! {
    /// Each thread's probe start (see `crate::cursor`).
    pub(crate) static CURSOR: std::cell::Cell<usize> = std::cell::Cell::new(usize::MAX);
}
#[cfg(pool_loom)]
loom::lazy_static! {
    /// Threads that have used a ring so far (see `crate::cursor`).
    pub(crate) static ref ARRIVALS: AtomicUsize = AtomicUsize::new(0);
}
#[cfg(pool_loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, AtomicUsize};

#[cfg(not(pool_loom))]
pub(crate) use std::sync::atomic::{AtomicU8, AtomicUsize};

#[cfg(not(pool_loom))]
std::thread_local! {
    /// Each thread's probe start (see `crate::cursor`).
    pub(crate) static CURSOR: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}
/// Threads that have used a ring so far (see `crate::cursor`).
#[cfg(not(pool_loom))]
pub(crate) static ARRIVALS: AtomicUsize = AtomicUsize::new(0);
