//! The one place that chooses between `std` and `loom` atomics.
//!
//! Built with `RUSTFLAGS="--cfg pool_loom"`, the hand-written
//! synchronisation of this crate (the byte budget) runs on loom's model
//! checker; everything else imports its atomics from here.

#[cfg(pool_loom)]
pub(crate) use loom::sync::atomic::AtomicUsize;
#[cfg(not(pool_loom))]
pub(crate) use std::sync::atomic::AtomicUsize;
