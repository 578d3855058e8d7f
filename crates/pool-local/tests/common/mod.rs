//! Tagged items shared by the integration tests.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::SeqCst};

use pool_core::{Reset, Stats};

/// Counts live items and hands out ids, per test (tests run in parallel).
#[derive(Debug, Default)]
pub struct Tracker {
    pub next_id: AtomicU64,
    pub live: AtomicI64,
}

/// An item that knows its id, whether someone holds it, and how many of
/// its kind are alive.
#[derive(Debug)]
pub struct Tagged {
    pub id: u64,
    pub in_use: AtomicBool,
    pub holder: AtomicU64,
    pub buf: Vec<u8>,
    tracker: Arc<Tracker>,
}

impl Tagged {
    pub fn new(tracker: &Arc<Tracker>, capacity: usize) -> Self {
        tracker.live.fetch_add(1, SeqCst);
        Tagged {
            id: tracker.next_id.fetch_add(1, SeqCst),
            in_use: AtomicBool::new(false),
            holder: AtomicU64::new(0),
            buf: Vec::with_capacity(capacity),
            tracker: Arc::clone(tracker),
        }
    }

    /// Marks the item held; panics if someone else holds it.
    pub fn claim(&self, who: u64) {
        assert!(
            !self.in_use.swap(true, SeqCst),
            "item {} handed to two holders at once",
            self.id
        );
        self.holder.store(who, SeqCst);
    }

    /// Checks the holder is still `who`, then marks the item free.
    pub fn release(&self, who: u64) {
        assert_eq!(
            self.holder.load(SeqCst),
            who,
            "item {} changed hands while held",
            self.id
        );
        assert!(self.in_use.swap(false, SeqCst));
    }
}

impl Drop for Tagged {
    fn drop(&mut self) {
        self.tracker.live.fetch_sub(1, SeqCst);
    }
}

impl Reset for Tagged {
    fn reset(&mut self) {
        self.buf.clear();
    }
    fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }
}

/// The accounting identities every quiescent pool obeys.
pub fn assert_accounting(s: &Stats) {
    assert_eq!(s.gets, s.hits + s.misses, "gets = hits + misses: {s:?}");
    assert_eq!(
        s.gets,
        s.returns + s.discarded.total() + s.detached + s.outstanding,
        "gets = returns + discarded + detached + outstanding: {s:?}"
    );
}
