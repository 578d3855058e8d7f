//! Waiters: one cell per blocked acquire, served in FIFO order, and the
//! totals of how long they waited.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::Waker;
use std::time::Duration;

use pool_core::{PoolError, Waits};

use crate::sync::{Arc, Mutex, Thread, lock};

/// An idle item and the pool generation it belongs to.
pub(crate) struct Idle<T> {
    pub(crate) item: T,
    pub(crate) generation: u64,
}

/// How to wake a waiter.
pub(crate) enum Notify {
    Thread(Thread),
    Waker(Waker),
}

/// Wakes a served waiter.
pub(crate) struct Wake(Notify);

impl Wake {
    pub(crate) fn wake(self) {
        match self.0 {
            Notify::Thread(t) => t.unpark(),
            Notify::Waker(w) => w.wake(),
        }
    }
}

/// What a served waiter is given.
pub(crate) enum Grant<T> {
    /// An idle item.
    Idle(Idle<T>),
    /// The right to make one: an item left circulation (detached, stale,
    /// dropped by a panic), and its replacement is this waiter's to make
    /// with the factory, on its own thread.
    Make,
}

/// What a waiter gets: an item, the right to make one, or `Closed`.
pub(crate) type Outcome<T> = Result<Grant<T>, PoolError>;

struct CellState<T> {
    /// Set once, by the putter or `close` that serves this waiter.
    outcome: Option<Outcome<T>>,
    notify: Notify,
}

/// One waiting acquire.
pub(crate) struct WaitCell<T> {
    state: Mutex<CellState<T>>,
}

impl<T> WaitCell<T> {
    pub(crate) fn new(notify: Notify) -> Arc<Self> {
        Arc::new(WaitCell {
            state: Mutex::new(CellState {
                outcome: None,
                notify,
            }),
        })
    }

    /// Serves the waiter; the caller wakes it with the returned handle
    /// once it holds no lock (a woken thread should not find them held).
    #[must_use = "the waiter sleeps until woken"]
    pub(crate) fn serve(&self, outcome: Outcome<T>) -> Wake {
        let mut s = lock(&self.state);
        debug_assert!(s.outcome.is_none(), "a waiter is served once");
        s.outcome = Some(outcome);
        match &s.notify {
            Notify::Thread(t) => Wake(Notify::Thread(t.clone())),
            Notify::Waker(w) => Wake(Notify::Waker(w.clone())),
        }
    }

    /// The outcome, if served.
    pub(crate) fn take_outcome(&self) -> Option<Outcome<T>> {
        lock(&self.state).outcome.take()
    }

    /// The outcome if served; else remembers `waker` for the wake-up.
    pub(crate) fn take_outcome_or_wake(&self, waker: &Waker) -> Option<Outcome<T>> {
        let mut s = lock(&self.state);
        if s.outcome.is_none() {
            match &mut s.notify {
                Notify::Waker(w) if w.will_wake(waker) => {}
                n => *n = Notify::Waker(waker.clone()),
            }
        }
        s.outcome.take()
    }
}

/// The queue of waiters, oldest first, behind the pool's wait lock.
pub(crate) struct WaitQueue<T> {
    pub(crate) waiters: VecDeque<Arc<WaitCell<T>>>,
    pub(crate) closed: bool,
}

impl<T> WaitQueue<T> {
    pub(crate) fn new() -> Self {
        WaitQueue {
            waiters: VecDeque::new(),
            closed: false,
        }
    }

    /// Removes `cell` if it is still waiting; true if it was.
    pub(crate) fn remove(&mut self, cell: &Arc<WaitCell<T>>) -> bool {
        match self.waiters.iter().position(|c| Arc::ptr_eq(c, cell)) {
            Some(i) => {
                self.waiters.remove(i);
                true
            }
            None => false,
        }
    }
}

/// How long waiters waited, summed when each wait ends (the waiting path
/// only: an acquire that finds an item writes none of these).
#[derive(Default)]
pub(crate) struct WaitTotals {
    waited: AtomicU64,
    timed_out: AtomicU64,
    wait_ns: AtomicU64,
    max_wait_ns: AtomicU64,
}

impl WaitTotals {
    /// Counts one wait that lasted `waited`.
    pub(crate) fn record(&self, waited: Duration, timed_out: bool) {
        let ns = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        self.waited.fetch_add(1, Relaxed);
        if timed_out {
            self.timed_out.fetch_add(1, Relaxed);
        }
        // Saturating: a sum past 584 years of waiting stays at the top.
        let _ = self
            .wait_ns
            .fetch_update(Relaxed, Relaxed, |t| Some(t.saturating_add(ns)));
        self.max_wait_ns.fetch_max(ns, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Waits {
        Waits::new(
            self.waited.load(Relaxed),
            self.timed_out.load(Relaxed),
            self.wait_ns.load(Relaxed),
            self.max_wait_ns.load(Relaxed),
        )
    }
}
