//! The retained-byte cap, shared by every thread's cache without a shared
//! write on the fast path.
//!
//! `available` starts at the cap. A thread *reserves* bytes from it in
//! chunks and keeps the unused part as local credit; putting an item spends
//! credit, taking one gives credit back, and only a thread whose credit runs
//! out (or piles up past two chunks) touches `available`. Bytes of idle
//! items are always reserved, so at every instant
//!
//! `sum(idle bytes) <= sum(reserved) = cap - available <= cap`.

use std::sync::atomic::Ordering::Relaxed;

use crossbeam_utils::CachePadded;

use crate::sync::AtomicUsize;

/// Bytes that may still be reserved, shared by all threads.
#[derive(Debug)]
pub(crate) struct ByteBudget {
    /// The cap itself.
    pub(crate) cap: usize,
    /// Invariant: `available + sum over holders of reserved == cap`.
    available: CachePadded<AtomicUsize>,
    /// How much a thread reserves at once when its credit runs out.
    pub(crate) chunk: usize,
}

impl ByteBudget {
    pub(crate) fn new(cap: usize, chunk: usize) -> Self {
        ByteBudget {
            cap,
            available: CachePadded::new(AtomicUsize::new(cap)),
            chunk: chunk.max(1),
        }
    }

    /// Reserves `n` bytes; false (and nothing reserved) if fewer remain.
    ///
    /// Relaxed is enough: the invariant concerns this one atomic, whose
    /// read-modify-writes are totally ordered.
    #[inline]
    pub(crate) fn try_reserve(&self, n: usize) -> bool {
        self.available
            .fetch_update(Relaxed, Relaxed, |a| a.checked_sub(n))
            .is_ok()
    }

    /// Reserves `want` bytes if it can, else exactly `need`; returns how
    /// many were reserved (0 when not even `need` was left).
    #[cold]
    pub(crate) fn reserve_up_to(&self, need: usize, want: usize) -> usize {
        if want > need && self.try_reserve(want) {
            want
        } else if self.try_reserve(need) {
            need
        } else {
            0
        }
    }

    /// Gives `n` reserved bytes back.
    #[inline]
    pub(crate) fn release(&self, n: usize) {
        if n != 0 {
            self.available.fetch_add(n, Relaxed);
        }
    }

    /// Bytes not reserved by anyone right now.
    pub(crate) fn available(&self) -> usize {
        self.available.load(Relaxed)
    }
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::*;

    #[test]
    fn reserve_never_goes_below_zero() {
        let b = ByteBudget::new(100, 40);
        assert_eq!(b.reserve_up_to(30, 40), 40);
        assert_eq!(b.reserve_up_to(30, 40), 40);
        assert_eq!(b.reserve_up_to(30, 40), 0, "only 20 left");
        assert_eq!(b.reserve_up_to(20, 40), 20);
        assert_eq!(b.available(), 0);
        b.release(100);
        assert_eq!(b.available(), 100);
    }
}

/// loom models: `RUSTFLAGS="--cfg pool_loom" cargo test -p pool-local
/// --release --lib loom_`.
#[cfg(all(test, pool_loom))]
mod tests {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize as LoomUsize;
    use loom::thread;

    /// Two threads reserving and releasing never hold more than the cap
    /// between them, and every byte comes back.
    #[test]
    fn loom_reservations_never_exceed_cap() {
        loom::model(|| {
            let budget = Arc::new(ByteBudget::new(100, 60));
            let held = Arc::new(LoomUsize::new(0));
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let (budget, held) = (Arc::clone(&budget), Arc::clone(&held));
                    thread::spawn(move || {
                        let got = budget.reserve_up_to(40, 60);
                        let now = held.fetch_add(got, Relaxed) + got;
                        assert!(now <= 100, "{now} bytes reserved under a cap of 100");
                        held.fetch_sub(got, Relaxed);
                        budget.release(got);
                        got
                    })
                })
                .collect();
            let got: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            // Each thread got its whole chunk or, when the other held one,
            // exactly what it needed: never nothing, never more than fits.
            assert!(got.iter().all(|&g| g == 40 || g == 60), "{got:?}");
            assert_eq!(budget.available(), 100);
        });
    }

    /// A reservation that fails leaves the budget untouched, whatever runs
    /// beside it.
    #[test]
    fn loom_failed_reserve_takes_nothing() {
        loom::model(|| {
            let budget = Arc::new(ByteBudget::new(10, 10));
            let b2 = Arc::clone(&budget);
            let t = thread::spawn(move || {
                let got = b2.reserve_up_to(10, 10);
                b2.release(got);
                got
            });
            let mine = budget.reserve_up_to(10, 10);
            let theirs = t.join().unwrap();
            assert!(mine + theirs <= 20);
            budget.release(mine);
            assert_eq!(budget.available(), 10);
        });
    }
}

/// A cap on the bytes idle items hold, shared by several pools (the size
/// classes of a tiered pool, say): together they never retain more.
///
/// # Examples
///
/// ```
/// use pool_local::{LocalPool, SharedByteCap};
///
/// let cap = SharedByteCap::new(8192)?;
/// let small = LocalPool::builder().shared_cap(cap.clone()).build(|| Vec::<u8>::with_capacity(4096))?;
/// let large = LocalPool::builder().shared_cap(cap.clone()).build(|| Vec::<u8>::with_capacity(8192))?;
/// drop(small.get());
/// drop(large.get()); // would take the total to 12 KiB: dropped instead
/// assert_eq!(large.stats().discarded.over_byte_cap, 1);
/// assert!(cap.available() < 8192);
/// # Ok::<(), pool_core::PoolError>(())
/// ```
#[cfg(not(pool_loom))]
#[derive(Debug, Clone)]
pub struct SharedByteCap(pub(crate) std::sync::Arc<ByteBudget>);

#[cfg(not(pool_loom))]
impl SharedByteCap {
    /// A cap of `bytes`, at least 1.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`](pool_core::PoolError::InvalidConfig)
    /// naming `max_retained_bytes` if `bytes` is 0.
    pub fn new(bytes: usize) -> Result<Self, pool_core::PoolError> {
        if bytes == 0 {
            return Err(pool_core::PoolError::invalid_config(
                "max_retained_bytes",
                0,
                "at least 1 byte",
            ));
        }
        Ok(SharedByteCap(std::sync::Arc::new(ByteBudget::new(
            bytes,
            bytes / 256,
        ))))
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.0.cap
    }

    /// Bytes not reserved by any pool right now (an upper bound of what
    /// their idle items hold is `cap - available`).
    pub fn available(&self) -> usize {
        self.0.available()
    }
}
