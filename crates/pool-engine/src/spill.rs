//! The spill: a bounded stack of batches of idle items that every thread
//! shares, behind a lock; its room is made in one step at the first batch
//! and freed when a trim or a clear empties it.
//!
//! Batches move through it on slow paths only (a thread's cache full or
//! empty, every `cache_size / 2` gets or puts at most), each move one short
//! critical section. A queue allocated up front would cost its whole room
//! in every class of every pool, used or not.
//!
//! The room is made whole (not grown by doubling) and trims allocate
//! nothing, for the allocator's sake: the first batch often comes during
//! a burst, and a small block made then and freed later can sit in the
//! allocator's per-thread cache above the burst's memory, which keeps the
//! allocator from giving that memory back (glibc's heap shrinks from the
//! top only).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::sync::{Mutex, MutexGuard, lock, try_lock_briefly};

/// The most batches' room made at the first batch (a spill limit of up
/// to `MAX_SPILL_SIZE` batches would otherwise be gigabytes up front).
const ROOM_AT_ONCE: usize = 1 << 12;

/// A bounded stack of batches.
pub(crate) struct Spill<B> {
    batches: Mutex<Vec<B>>,
    /// `batches.len()`, written under the lock, read without it (a hint
    /// for a thread deciding whether to make a batch).
    len: AtomicUsize,
    cap: usize,
}

impl<B> Spill<B> {
    /// An empty spill of at most `cap` batches; allocates nothing.
    pub(crate) fn new(cap: usize) -> Self {
        Spill {
            batches: Mutex::new(Vec::new()),
            len: AtomicUsize::new(0),
            cap,
        }
    }

    /// Keeps `batch`, or hands it back if the spill is full; waits for
    /// the lock (for the rare paths: a thread's exit, a call without a
    /// cache).
    pub(crate) fn push(&self, batch: B) -> Result<(), B> {
        self.push_locked(lock(&self.batches), batch)
    }

    /// [`push`](Self::push) for a get's or put's slow path: hands the
    /// batch back, as if the spill were full, rather than wait for a lock
    /// another thread holds for long (see `sync::try_lock_briefly`).
    pub(crate) fn try_push(&self, batch: B) -> Result<(), B> {
        match try_lock_briefly(&self.batches) {
            Some(b) => self.push_locked(b, batch),
            None => Err(batch),
        }
    }

    fn push_locked(&self, mut b: MutexGuard<'_, Vec<B>>, batch: B) -> Result<(), B> {
        if b.len() >= self.cap {
            return Err(batch);
        }
        if b.capacity() == 0 {
            // The whole room at once; a room too large to allocate (a
            // limit near `MAX_SPILL_SIZE` of large batches) grows as
            // batches come instead.
            let _ = b.try_reserve_exact(self.cap.min(ROOM_AT_ONCE));
        }
        b.push(batch);
        self.len.store(b.len(), Relaxed);
        Ok(())
    }

    /// The batch kept last (its items were in use most recently), or
    /// `None` at once if the spill looks empty; else waits for the lock.
    /// Its critical sections are a push or a pop (a trim's drops run
    /// outside it), so the wait is short unless the holder was preempted;
    /// a get that gave up instead would allocate an item while idle ones
    /// sit here, and on a loaded machine the items made that way pile up
    /// to the byte cap and returns get refused.
    pub(crate) fn pop(&self) -> Option<B> {
        if self.len() == 0 {
            return None;
        }
        self.pop_locked(lock(&self.batches))
    }

    fn pop_locked(&self, mut b: MutexGuard<'_, Vec<B>>) -> Option<B> {
        let batch = b.pop()?;
        self.len.store(b.len(), Relaxed);
        Some(batch)
    }

    /// Drops every batch `old` says is old, outside the lock (an item's
    /// `Drop` may use the pool), calling `dropped` on each first; frees
    /// the room if the spill is left empty. Allocates nothing.
    pub(crate) fn drop_old(&self, mut old: impl FnMut(&B) -> bool, mut dropped: impl FnMut(&B)) {
        let mut all = {
            let mut b = lock(&self.batches);
            self.len.store(0, Relaxed);
            std::mem::take(&mut *b)
        };
        all.retain(|batch| {
            let is_old = old(batch);
            if is_old {
                dropped(batch);
            }
            !is_old
        });
        if all.is_empty() {
            // Freed here, outside the lock.
            return;
        }
        let mut b = lock(&self.batches);
        if b.is_empty() {
            // Nobody spilled meanwhile: the room goes back as it was.
            std::mem::swap(&mut *b, &mut all);
        } else {
            let room = self.cap.saturating_sub(b.len());
            let keep = all.len().min(room);
            b.extend(all.drain(..keep));
        }
        self.len.store(b.len(), Relaxed);
        drop(b);
        // What no longer fits (others spilled meanwhile) is idle: freed.
        for batch in &all {
            dropped(batch);
        }
    }

    /// Folds `f` over the batches held now, under the lock (for a
    /// report: `f` must not use the pool).
    pub(crate) fn fold<A>(&self, init: A, f: impl FnMut(A, &B) -> A) -> A {
        lock(&self.batches).iter().fold(init, f)
    }

    /// Batches held now (without the lock: a moment's figure).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Relaxed)
    }

    /// Whether a push would be refused now (without the lock).
    pub(crate) fn is_full(&self) -> bool {
        self.len() >= self.cap
    }

    /// Batches it holds at most.
    #[cfg(all(test, not(pool_loom)))]
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// The room it has allocated, in batches (for the tests).
    #[cfg(all(test, not(pool_loom)))]
    fn room(&self) -> usize {
        lock(&self.batches).capacity()
    }
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::Spill;

    #[test]
    fn the_spill_holds_at_most_its_cap_and_nothing_up_front() {
        // A limit this large would take gigabytes if it were allocated.
        let huge: Spill<u64> = Spill::new(usize::MAX / 2);
        assert_eq!((huge.len(), huge.is_full(), huge.room()), (0, false, 0));
        assert!(huge.push(1).is_ok());
        assert!(huge.room() <= super::ROOM_AT_ONCE);
        assert_eq!(huge.pop(), Some(1));
        let s = Spill::new(3);
        for i in 0..3 {
            assert!(s.push(i).is_ok());
        }
        assert!(s.is_full());
        assert_eq!(s.push(9), Err(9), "refused, and handed back");
        assert_eq!(s.len(), 3);
        assert_eq!(s.pop(), Some(2), "last in, first out");
        assert!(s.push(3).is_ok());
        let rest: Vec<_> = std::iter::from_fn(|| s.pop()).collect();
        assert_eq!(rest, [3, 1, 0]);
        assert_eq!((s.len(), s.pop()), (0, None));
    }

    #[test]
    fn dropping_the_old_batches_keeps_the_rest_and_frees_an_empty_spill() {
        let s = Spill::new(8);
        for i in 0..6 {
            assert!(s.push(i).is_ok());
        }
        assert_eq!(s.room(), 8, "the whole room at the first batch");
        let mut old = Vec::new();
        s.drop_old(|&b| b % 2 == 0, |&b| old.push(b));
        old.sort_unstable();
        assert_eq!(old, [0, 2, 4]);
        assert_eq!(
            (s.len(), s.room()),
            (3, 8),
            "the room kept while batches are left"
        );
        let mut n = 0;
        s.drop_old(|_| true, |_| n += 1);
        assert_eq!(n, 3);
        assert_eq!((s.len(), s.room()), (0, 0), "emptied: its room freed");
        assert!(s.push(7).is_ok());
        assert_eq!(s.room(), 8, "made again at the next batch");
    }

    #[test]
    fn a_put_gives_up_on_a_spill_held_by_another_thread() {
        let s = Spill::new(4);
        assert!(s.push(1).is_ok());
        let held = crate::sync::lock(&s.batches);
        // As if the spill were full: the caller drops an item instead of
        // sleeping behind a preempted holder.
        assert_eq!(s.try_push(2), Err(2));
        drop(held);
        assert!(s.try_push(3).is_ok());
        assert_eq!((s.len(), s.pop()), (2, Some(3)));
    }

    #[test]
    fn a_get_waits_for_a_held_spill_that_has_batches_and_not_for_an_empty_one() {
        let s = Spill::new(4);
        let held = crate::sync::lock(&s.batches);
        assert_eq!(s.pop(), None, "empty: no wait, whoever holds it");
        drop(held);
        assert!(s.push(1).is_ok());
        let held = crate::sync::lock(&s.batches);
        std::thread::scope(|scope| {
            let getter = scope.spawn(|| s.pop());
            // Watched for a while: a getter that gave up would be done
            // within microseconds; this one waits for the lock.
            let start = std::time::Instant::now();
            while start.elapsed() < std::time::Duration::from_millis(50) {
                assert!(!getter.is_finished(), "gave up on a spill with a batch");
                std::thread::yield_now();
            }
            drop(held);
            assert_eq!(getter.join().unwrap(), Some(1), "the batch, not a miss");
        });
    }

    #[test]
    fn concurrent_pushes_never_go_over_the_cap() {
        let s = Spill::new(64);
        let kept = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|sc| {
            for _ in 0..4 {
                sc.spawn(|| {
                    for i in 0..if cfg!(miri) { 20 } else { 1000 } {
                        if s.push(i).is_ok() {
                            kept.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(kept.into_inner(), 64);
        assert_eq!(std::iter::from_fn(|| s.pop()).count(), 64);
    }
}
