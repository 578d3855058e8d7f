//! Where the calling thread starts probing: a per-thread cursor, so that
//! threads sharing a ring do not share a starting point.
//!
//! A ring that hands out slots from one shared index makes every get of
//! every thread write that index's cache line, and sends consecutive gets
//! of one thread to different slots (a cold line each time). Measured on 2
//! cores, such a ring was slower than one shared `ArrayQueue` as soon as
//! two threads used it. Here each thread remembers the slot it last
//! claimed, in any ring, and starts its next probe there:
//!
//! - a thread that takes and returns one item at a time claims the same
//!   slot again and again, a line no other thread writes (as a per-thread
//!   cache would, with no per-thread state in the pool);
//! - threads start apart: a thread's first cursor is its arrival number
//!   (0 for the first thread to use any ring, 1 for the next, ...), so up
//!   to `slots` threads begin on distinct slots, and a thread whose start
//!   is busy moves on to the free slot it finds and stays there.
//!
//! The cursor is a hint and nothing more: which slot a get claims never
//! decides who holds what (the slot's compare-exchange does), so a stale
//! or shared cursor costs a probe, never correctness. It is one word per
//! thread for all rings (masked by each ring's size), not per-pool state.
//! While the thread's thread-locals are being destroyed there is no
//! cursor, and probing starts at slot 0.

use std::cell::Cell;
use std::sync::atomic::Ordering::Relaxed;

use crate::sync::{ARRIVALS, CURSOR};

/// A cursor not yet set: the thread has not used a ring.
const UNSET: usize = usize::MAX;

/// The calling thread's probe start (any value; each ring masks it).
#[inline]
pub(crate) fn start() -> usize {
    CURSOR
        .try_with(|c| match c.get() {
            UNSET => first(c),
            at => at,
        })
        .unwrap_or(0)
}

/// Records the slot this thread claimed, for its next probe to start there.
#[inline]
pub(crate) fn remember(index: usize) {
    // `index` is masked, so never `UNSET`; during thread-local destruction
    // there is nothing to remember.
    let _ = CURSOR.try_with(|c| c.set(index));
}

/// The thread's first use of any ring: its arrival number.
#[cold]
fn first(cursor: &Cell<usize>) -> usize {
    // Only the sentinel itself must not be stored (it would make the next
    // call count a new arrival).
    let n = ARRIVALS.fetch_add(1, Relaxed);
    let n = if n == UNSET { 0 } else { n };
    cursor.set(n);
    n
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::*;

    #[test]
    fn threads_start_apart_and_a_thread_keeps_its_cursor() {
        let starts: Vec<usize> = (0..8)
            .map(|_| std::thread::spawn(start).join().unwrap())
            .collect();
        let mut distinct = starts.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            starts.len(),
            "arrival numbers are distinct: {starts:?}"
        );
        std::thread::spawn(|| {
            let first = start();
            assert_eq!(
                start(),
                first,
                "a cursor stays until the thread claims elsewhere"
            );
            remember(5);
            assert_eq!(start(), 5);
        })
        .join()
        .unwrap();
    }
}
