//! The waiter protocol: blocking acquires, and the steps every wait
//! shares with the async ones (register, cancel, finish).
//!
//! A waiter registers under the wait lock: it takes a debt in `avail` (a
//! put that finds the counter negative hands its item to the oldest
//! waiter), takes an owed item if one is there (see `FixedState::owe`), then
//! looks in every slot once more, so no item parked before its debt was
//! visible stays hidden.

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use pool_core::strategy::words::{in_blocks, move_words};
use pool_core::{OwnedPooled, PoolError, Pooled, Reset};

use crate::pool::{FixedPool, FixedTicket};
use crate::sync::{Arc as CellArc, current, lock, park_until};
use crate::wait_queue::{Grant, Notify, Outcome, WaitCell};

impl<T: Reset + Send + 'static> FixedPool<T> {
    /// Waits until an item is free, and takes it (as a channel's `recv`):
    /// the bounded pool's get. `FixedPool` has no plain `get`: in this
    /// family `get` never fails and never waits, which a bounded pool
    /// cannot promise. [`try_get`](Self::try_get) never waits,
    /// [`get_timeout`](Self::get_timeout) waits at most a while and
    /// [`get_async`](Self::get_async) waits without a thread.
    ///
    /// # Errors
    ///
    /// [`PoolError::Closed`] if the pool is or gets closed.
    ///
    /// # Panics
    ///
    /// If the factory panics while this waiter makes an item owed to it
    /// (the item stays owed).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, Vec::<u8>::new)?;
    /// let first = pool.get_blocking()?;
    /// std::thread::scope(|s| {
    ///     let waiter = s.spawn(|| pool.get_blocking().map(|b| b.len()));
    ///     drop(first); // wakes the waiter
    ///     assert_eq!(waiter.join().unwrap(), Ok(0));
    /// });
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[doc(alias = "acquire")]
    #[doc(alias = "get")]
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_blocking(&self) -> Result<Pooled<'_, Self>, PoolError> {
        // Read in words, and written in 16-byte blocks for the caller's
        // move out of the `Result`: see `pool_core::strategy::words`.
        match move_words(self.take_own(self.local())) {
            Some((item, ticket)) => Ok(in_blocks(Pooled::new(item, ticket, self))),
            None => self.get_slow(),
        }
    }

    /// [`get_blocking`](Self::get_blocking) when this thread's slot had
    /// nothing.
    #[cold]
    #[inline(never)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn get_slow(&self) -> Result<Pooled<'_, Self>, PoolError> {
        let (item, ticket) = self.take_blocking(None)?;
        Ok(Pooled::new(item, ticket, self))
    }

    /// Like [`get_blocking`](Self::get_blocking), with a `Send + 'static`
    /// guard.
    ///
    /// # Errors
    ///
    /// As [`get_blocking`](Self::get_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new)?);
    /// let mut buf = pool.get_owned_blocking()?;
    /// std::thread::spawn(move || buf.push(1)).join().unwrap();
    /// assert_eq!(pool.available(), 1);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[inline(always)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_owned_blocking(&self) -> Result<OwnedPooled<Self>, PoolError> {
        // As `get_blocking`: the own slot inline, the rest out of line, the
        // guard written in blocks.
        match self.take_own_anchored() {
            Some((item, ticket, anchor)) => Ok(in_blocks(OwnedPooled::new(item, ticket, anchor))),
            None => self.get_owned_slow(),
        }
    }

    /// [`get_owned_blocking`](Self::get_owned_blocking) when this thread's
    /// slot had nothing.
    #[cold]
    #[inline(never)]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn get_owned_slow(&self) -> Result<OwnedPooled<Self>, PoolError> {
        let (item, ticket) = self.take_blocking(None)?;
        Ok(OwnedPooled::new(item, ticket, self.anchored()))
    }

    /// Waits at most `timeout` for an item. Any `Duration` is accepted:
    /// one too long to add to the clock (`Duration::MAX`) means no
    /// deadline, and `Duration::ZERO` only tries.
    ///
    /// # Errors
    ///
    /// [`PoolError::TimedOut`] when none came back in time,
    /// [`PoolError::Closed`] if the pool is or gets closed.
    ///
    /// # Panics
    ///
    /// As [`get_blocking`](Self::get_blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use pool_core::PoolError;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(1, Vec::<u8>::new)?;
    /// let _held = pool.get_blocking()?;
    /// let err = pool.get_timeout(Duration::from_millis(10)).unwrap_err();
    /// assert!(matches!(err, PoolError::TimedOut { .. }));
    /// assert_eq!(pool.stats().waits.timed_out, 1);
    /// # Ok::<(), PoolError>(())
    /// ```
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_timeout(&self, timeout: Duration) -> Result<Pooled<'_, Self>, PoolError> {
        let (item, ticket) = self.take_blocking(Some(timeout))?;
        Ok(Pooled::new(item, ticket, self))
    }

    /// Like [`get_timeout`](Self::get_timeout), with a
    /// `Send + 'static` guard.
    ///
    /// # Errors
    ///
    /// As [`get_timeout`](Self::get_timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use pool_core::PoolError;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new)?);
    /// let held = pool.get_owned_timeout(Duration::from_secs(1))?;
    /// let err = pool.get_owned_timeout(Duration::ZERO).unwrap_err();
    /// assert!(matches!(err, PoolError::TimedOut { .. }));
    /// drop(held);
    /// # Ok::<(), PoolError>(())
    /// ```
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_owned_timeout(&self, timeout: Duration) -> Result<OwnedPooled<Self>, PoolError> {
        let (item, ticket) = self.take_blocking(Some(timeout))?;
        Ok(OwnedPooled::new(item, ticket, self.anchored()))
    }

    /// Blocks until served, timed out or closed.
    #[inline(always)]
    pub(crate) fn take_blocking(
        &self,
        timeout: Option<Duration>,
    ) -> Result<(T, FixedTicket), PoolError> {
        // Read in words: see `pool_core::strategy::words`.
        match move_words(self.try_take()) {
            Err(PoolError::Exhausted { .. }) => self.wait_for(timeout),
            done => done,
        }
    }

    /// Queues until served, timed out or closed (nothing was free).
    #[cold]
    fn wait_for(&self, timeout: Option<Duration>) -> Result<(T, FixedTicket), PoolError> {
        let start = Instant::now();
        // A timeout too long to add to now (`Duration::MAX`) means no
        // deadline.
        let deadline = timeout.and_then(|t| start.checked_add(t));
        let cell = WaitCell::new(Notify::Thread(current()));
        if let Some(done) = self.register(&cell) {
            return done;
        }
        loop {
            if let Some(outcome) = cell.take_outcome() {
                self.state().waits.record(start.elapsed(), false);
                return self.finish(outcome);
            }
            if let Some(d) = deadline
                && Instant::now() >= d
            {
                return match self.cancel(&cell) {
                    None => {
                        self.state().waits.record(start.elapsed(), true);
                        Err(PoolError::TimedOut {
                            waited: timeout.unwrap_or_default(),
                        })
                    }
                    Some(outcome) => {
                        self.state().waits.record(start.elapsed(), false);
                        self.finish(outcome)
                    }
                };
            }
            park_until(deadline);
        }
    }

    /// Joins the waiters (taking a debt in `avail`), takes what is owed,
    /// then looks once more in every slot. `Some` when already done.
    pub(crate) fn register(
        &self,
        cell: &CellArc<WaitCell<T>>,
    ) -> Option<Result<(T, FixedTicket), PoolError>> {
        // Before the look in every slot below, and before anything is
        // taken (it may panic): a put that parks lightly either sees the
        // switch or has its item found by the look (`crate::slot`). Once
        // per pool.
        self.state().fencing.switch_to_full();
        {
            let mut q = lock(&self.state().waitq);
            if q.closed {
                return Some(Err(PoolError::Closed));
            }
            if self.state().avail.fetch_sub(1, SeqCst) > 0 {
                drop(q);
                let idle = self.state().pop_owed();
                return Some(self.finish(Ok(Grant::Idle(idle))));
            }
            // Under the lock: an item owed before now is seen here, one
            // owed after sees this waiter (`FixedState::serve_owed`).
            if self.state().take_missing() {
                // Not queued after all: the debt is returned (a put that
                // saw it hands its item to the next waiter or the queue).
                self.state().avail.fetch_add(1, SeqCst);
                drop(q);
                return Some(self.finish(Ok(Grant::Make)));
            }
            q.waiters.push_back(CellArc::clone(cell));
        }
        // Items parked in slots before our debt was visible are found here
        // (see `put_idle`: this look fences after the debt, so a put that
        // parks after it reads our debt). What it finds goes where
        // every returned item goes: to the oldest waiter (this one, if it
        // is the oldest), else to the queue. A waiter that kept what its
        // look found would be served ahead of older ones whenever an item
        // came back while it registered: the returning thread parks it,
        // and the look takes it before the returning thread sees the
        // debts and hands it over.
        if let Some(stolen) = self.steal_after_fence() {
            self.put_shared(stolen);
            if let Some(outcome) = cell.take_outcome() {
                // Out of the queue: whoever served it dequeued it.
                return Some(self.finish(outcome));
            }
        }
        None
    }

    /// Leaves the waiters. `None` if still waiting (its debt is returned);
    /// else the outcome it was served.
    pub(crate) fn cancel(&self, cell: &CellArc<WaitCell<T>>) -> Option<Outcome<T>> {
        let mut q = lock(&self.state().waitq);
        if q.remove(cell) {
            self.state().avail.fetch_add(1, SeqCst);
            None
        } else {
            drop(q);
            // Served (or closed) before we got the lock: the outcome is set.
            Some(match cell.take_outcome() {
                Some(outcome) => outcome,
                None => unreachable!("a waiter leaves the queue only when served"),
            })
        }
    }

    /// Turns an outcome into a guard's parts: a fresh item handed out, a
    /// stale one replaced, or an owed one made.
    pub(crate) fn finish(&self, outcome: Outcome<T>) -> Result<(T, FixedTicket), PoolError> {
        let local = self.local();
        match outcome? {
            Grant::Make => Ok(self.make_owed(local)),
            Grant::Idle(idle) => match self.fresh(local, idle) {
                Some(idle) => Ok(self.hand_out(local, idle)),
                // Stale: `fresh` freed it and owed it, to the oldest waiter
                // (maybe this one) or the next take.
                None => match self.try_take() {
                    Err(PoolError::Exhausted { .. }) => self.take_blocking(None),
                    done => done,
                },
            },
        }
    }

    /// Gives back what a waiter that will not use it was served: an item
    /// goes to the next waiter or the pool, the right to make one is owed
    /// again.
    pub(crate) fn pass_on(&self, outcome: Outcome<T>) {
        match outcome {
            Ok(Grant::Idle(idle)) => self.put_idle(self.local(), idle),
            Ok(Grant::Make) => self.state().owe(1),
            Err(_) => {}
        }
    }
}
