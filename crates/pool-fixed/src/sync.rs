//! The one place that chooses between `std` and `loom` for what only this
//! crate uses; the lock and the `UnsafeCell` shim are pool-engine's
//! (`pool_engine::sync`), switched by the same `cfg`.
//!
//! With `RUSTFLAGS="--cfg pool_loom"`, the waiting and waking path (the
//! token counter, the wait queue's lock, the waiter cells, parking) runs on
//! loom's model checker, and so do the threads' slots (their state word
//! and the `UnsafeCell` of the item).

pub(crate) use pool_engine::sync::{Arc, Mutex, UnsafeCell, lock, spin_until};

#[cfg(pool_loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicIsize, AtomicU8, AtomicU64, AtomicUsize, fence,
};
#[cfg(pool_loom)]
pub(crate) use loom::thread::{Thread, current, park};

#[cfg(not(pool_loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicIsize, AtomicU8, AtomicU64, AtomicUsize, fence,
};
#[cfg(not(pool_loom))]
pub(crate) use std::thread::{Thread, current, park};

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
