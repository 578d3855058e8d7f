//! Each thread's ring of its recent request lengths (as a Go `BytePool`'s
//! `recent_lengths`), published for calibration and workloads.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// Lengths remembered per thread.
pub(crate) const RECENT: usize = 256;

/// One thread's ring of recent request lengths; only that thread writes it,
/// any thread reads it.
pub(crate) struct Recent {
    lengths: [AtomicU64; RECENT],
    /// Total requests recorded; the next slot is `next % RECENT`.
    next: AtomicUsize,
}

impl Default for Recent {
    fn default() -> Self {
        Recent {
            lengths: std::array::from_fn(|_| AtomicU64::new(0)),
            next: AtomicUsize::new(0),
        }
    }
}

impl Recent {
    /// Records `len` (the owning thread only: a load and two stores, no
    /// read-modify-write).
    #[inline]
    pub(crate) fn record(&self, len: usize) {
        let n = self.next.load(Relaxed);
        self.lengths[n % RECENT].store(len as u64, Relaxed);
        self.next.store(n.wrapping_add(1), Relaxed);
    }

    /// Appends the recorded lengths (at most [`RECENT`]) to `out`.
    pub(crate) fn snapshot(&self, out: &mut Vec<usize>) {
        let n = self.next.load(Relaxed).min(RECENT);
        out.extend(self.lengths[..n].iter().map(|l| l.load(Relaxed) as usize));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lengths_only() {
        let r = Recent::default();
        let mut out = Vec::new();
        r.snapshot(&mut out);
        assert!(out.is_empty());
        for len in 0..RECENT + 10 {
            r.record(len);
        }
        r.snapshot(&mut out);
        assert_eq!(out.len(), RECENT);
        assert!(
            out.contains(&(RECENT + 9)) && !out.contains(&9),
            "the oldest were overwritten"
        );
    }
}
