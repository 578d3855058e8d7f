//! The spill: a bounded queue of batches of idle items that every thread
//! shares, allocated whole when the pool is made if it is small.

use std::sync::OnceLock;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire};

use crossbeam_queue::{ArrayQueue, SegQueue};

/// Spills of at most this many batches are allocated whole when the pool
/// is made (at most `PREALLOCATE * size_of::<Batch>()`, 40 KiB); larger
/// ones as they fill.
const PREALLOCATE: usize = 1024;

/// A bounded queue of batches.
///
/// A spill of up to [`PREALLOCATE`] entries is an `ArrayQueue` allocated
/// when the pool is made. That placement matters: a queue allocated during
/// a burst sits above the burst's buffers on the heap, and the allocator
/// cannot give their memory back after they are freed. A larger limit
/// would cost its whole size up front (hundreds of MiB for a
/// `MAX_SPILL_SIZE` spill of batches of one), so it is a
/// `SegQueue` instead, which takes blocks of a few dozen entries as it
/// fills and frees them as it drains, made at the first spill.
pub(crate) struct Spill<T> {
    queue: SpillQueue<T>,
    /// Entries pushed or being pushed; never over `cap` for long (a push
    /// that takes it over gives its place back at once).
    len: AtomicUsize,
    cap: usize,
}

enum SpillQueue<T> {
    Preallocated(Box<ArrayQueue<T>>),
    Growing(OnceLock<Box<SegQueue<T>>>),
}

impl<T> Spill<T> {
    pub(crate) fn new(cap: usize) -> Self {
        let queue = if cap <= PREALLOCATE {
            SpillQueue::Preallocated(Box::new(ArrayQueue::new(cap.max(1))))
        } else {
            SpillQueue::Growing(OnceLock::new())
        };
        Spill {
            queue,
            len: AtomicUsize::new(0),
            cap,
        }
    }

    pub(crate) fn push(&self, value: T) -> Result<(), T> {
        if self.len.fetch_add(1, AcqRel) >= self.cap {
            self.len.fetch_sub(1, AcqRel);
            return Err(value);
        }
        match &self.queue {
            // Never full here: `len` reserved the place.
            SpillQueue::Preallocated(q) => {
                if let Err(value) = q.push(value) {
                    self.len.fetch_sub(1, AcqRel);
                    return Err(value);
                }
            }
            SpillQueue::Growing(q) => q.get_or_init(|| Box::new(SegQueue::new())).push(value),
        }
        Ok(())
    }

    pub(crate) fn pop(&self) -> Option<T> {
        let value = match &self.queue {
            SpillQueue::Preallocated(q) => q.pop()?,
            SpillQueue::Growing(q) => q.get()?.pop()?,
        };
        self.len.fetch_sub(1, AcqRel);
        Some(value)
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Acquire).min(self.cap)
    }

    /// Entries it holds at most.
    #[cfg(test)]
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len.load(Acquire) >= self.cap
    }
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::Spill;

    #[test]
    fn the_spill_holds_at_most_its_cap_and_nothing_up_front() {
        // A limit this large would take gigabytes if it were allocated.
        let huge: Spill<u64> = Spill::new(usize::MAX / 2);
        assert_eq!((huge.len(), huge.is_full()), (0, false));
        assert!(matches!(huge.queue, super::SpillQueue::Growing(_)));
        assert!(huge.push(1).is_ok());
        assert_eq!(huge.pop(), Some(1));
        let s = Spill::new(3);
        for i in 0..3 {
            assert!(s.push(i).is_ok());
        }
        assert!(s.is_full());
        assert_eq!(s.push(9), Err(9), "refused, and handed back");
        assert_eq!(s.len(), 3);
        assert_eq!(s.pop(), Some(0), "first in, first out");
        assert!(s.push(3).is_ok());
        let rest: Vec<_> = std::iter::from_fn(|| s.pop()).collect();
        assert_eq!(rest, [1, 2, 3]);
        assert_eq!((s.len(), s.pop()), (0, None));
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
