//! The retained-byte cap, shared by every thread's cache without a shared
//! write on the fast path.
//!
//! `available` starts at the cap. A thread *reserves* bytes from it and
//! keeps the unused part as local credit; putting an item spends credit,
//! taking one gives credit back, and only a thread whose credit runs out
//! (or piles up) touches `available`. Bytes of idle items are always
//! reserved, so at every instant
//!
//! `sum(idle bytes) <= sum(reserved) = cap - available <= cap`.
//!
//! # One formula for the chunk
//!
//! A thread reserves `chunk = max(1, cap / (16 x threads))` at a time,
//! where `threads` is the number of threads that hold a slot in a pool
//! using this budget now (updated when a thread first uses a pool and
//! when it exits). A thread keeps at most `max(2 x chunk, b)` credit after
//! taking an item of `b` bytes (what it needs to give that item back), and
//! none after it sees a trim or exits. So the credit all threads hold back
//! is at most `cap / 8 + threads x largest item`, and a return is refused
//! as over the cap only when retained bytes are above
//! `cap - cap / 8 - threads x largest item - this item`: over half the cap
//! whenever `threads x largest item <= cap / 4`.

use std::sync::atomic::Ordering::Relaxed;

use crossbeam_utils::CachePadded;

use crate::sync::AtomicUsize;
use pool_core::PoolError;

/// Bytes that may still be reserved, shared by all threads.
#[derive(Debug)]
pub(crate) struct ByteBudget {
    /// The cap itself.
    pub(crate) cap: usize,
    /// Invariant: `available + sum over holders of reserved == cap`.
    available: CachePadded<AtomicUsize>,
    /// How much a thread reserves at once: `cap / (16 x threads)`; read on
    /// the fast path, written only when a thread arrives or leaves.
    chunk: CachePadded<AtomicUsize>,
    /// Threads holding a slot in a pool that uses this budget.
    threads: AtomicUsize,
}

impl ByteBudget {
    pub(crate) fn new(cap: usize) -> Self {
        ByteBudget {
            cap,
            available: CachePadded::new(AtomicUsize::new(cap)),
            chunk: CachePadded::new(AtomicUsize::new(Self::chunk_for(cap, 0))),
            threads: AtomicUsize::new(0),
        }
    }

    fn chunk_for(cap: usize, threads: usize) -> usize {
        (cap / 16usize.saturating_mul(threads.max(1))).max(1)
    }

    /// The current chunk.
    #[inline]
    pub(crate) fn chunk(&self) -> usize {
        self.chunk.load(Relaxed)
    }

    /// A thread started using a pool with this budget.
    pub(crate) fn attach(&self) {
        let n = self.threads.fetch_add(1, Relaxed) + 1;
        self.chunk.store(Self::chunk_for(self.cap, n), Relaxed);
    }

    /// A thread that used a pool with this budget exited.
    pub(crate) fn detach(&self) {
        let n = self.threads.fetch_sub(1, Relaxed).saturating_sub(1);
        self.chunk.store(Self::chunk_for(self.cap, n), Relaxed);
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
        let b = ByteBudget::new(100);
        assert_eq!(b.reserve_up_to(30, 40), 40);
        assert_eq!(b.reserve_up_to(30, 40), 40);
        assert_eq!(b.reserve_up_to(30, 40), 0, "only 20 left");
        assert_eq!(b.reserve_up_to(20, 40), 20);
        assert_eq!(b.available(), 0);
        b.release(100);
        assert_eq!(b.available(), 100);
    }

    #[test]
    fn chunk_shrinks_with_threads_and_grows_back() {
        let b = ByteBudget::new(16 << 20);
        assert_eq!(b.chunk(), 1 << 20, "cap / 16 before any thread");
        b.attach();
        assert_eq!(b.chunk(), 1 << 20);
        for _ in 1..64 {
            b.attach();
        }
        assert_eq!(b.chunk(), (16 << 20) / (16 * 64));
        for _ in 0..64 {
            b.detach();
        }
        assert_eq!(b.chunk(), 1 << 20);
        assert_eq!(ByteBudget::new(1).chunk(), 1, "never 0");
    }
}

/// A cap on the bytes idle items hold, shared by several pools (two
/// `LocalPool`s given the same cap with `shared_cap`, or the size classes
/// of one `TieredPool`): together they never retain more.
///
/// Each pool reserves the bytes of the items it keeps from the cap, so
/// `cap - available` is an upper bound of what they all hold idle.
///
/// # Examples
///
/// ```
/// use pool_engine::SharedByteCap;
///
/// let cap = SharedByteCap::new(8192)?;
/// let for_the_other_pool = cap.clone(); // the same cap, not a copy of it
/// assert_eq!(for_the_other_pool.cap(), 8192);
/// assert_eq!(cap.available(), 8192, "nothing kept yet");
/// # Ok::<(), pool_core::PoolError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SharedByteCap(pub(crate) std::sync::Arc<ByteBudget>);

impl SharedByteCap {
    /// A cap of `bytes`, at least 1.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`](pool_core::PoolError::InvalidConfig)
    /// naming `max_retained_bytes` if `bytes` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_engine::SharedByteCap;
    ///
    /// assert_eq!(SharedByteCap::new(4096)?.cap(), 4096);
    /// assert!(SharedByteCap::new(0).is_err());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn new(bytes: usize) -> Result<Self, PoolError> {
        if bytes == 0 {
            return Err(PoolError::invalid_config(
                "max_retained_bytes",
                0,
                "at least 1 byte",
            ));
        }
        Ok(SharedByteCap(std::sync::Arc::new(ByteBudget::new(bytes))))
    }

    /// The cap.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_engine::SharedByteCap;
    ///
    /// let cap = SharedByteCap::new(1 << 20)?;
    /// assert_eq!(cap.cap(), 1 << 20);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn cap(&self) -> usize {
        self.0.cap
    }

    /// Bytes not reserved by any pool right now (an upper bound of what
    /// their idle items hold is `cap - available`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_engine::SharedByteCap;
    ///
    /// let cap = SharedByteCap::new(1 << 20)?;
    /// assert_eq!(cap.available(), 1 << 20, "no pool has kept anything");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn available(&self) -> usize {
        self.0.available()
    }
}
