//! How long callers waited for a bounded pool.

/// Acquires that had to wait for a bounded pool (bb8's `Statistics`):
/// zeros for pools that never make a caller wait.
///
/// # Examples
///
/// ```
/// use pool_core::Waits;
///
/// let w = Waits::new(4, 1, 8_000, 5_000);
/// assert_eq!(w.mean_wait(), std::time::Duration::from_micros(2));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Waits {
    /// Acquires that found nothing free and queued (blocking or async).
    pub waited: u64,
    /// Of those, the ones that gave up at their timeout.
    pub timed_out: u64,
    /// Time spent queued, summed over every wait, in nanoseconds.
    pub wait_ns: u64,
    /// The longest single wait, in nanoseconds.
    pub max_wait_ns: u64,
}

impl Waits {
    /// The figures, in the order of the fields (times in nanoseconds), for
    /// bounded pools reporting their waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::Waits;
    ///
    /// let w = Waits::new(3, 1, 900, 500);
    /// assert_eq!((w.waited, w.timed_out, w.wait_ns, w.max_wait_ns), (3, 1, 900, 500));
    /// ```
    pub fn new(waited: u64, timed_out: u64, wait_ns: u64, max_wait_ns: u64) -> Self {
        Waits {
            waited,
            timed_out,
            wait_ns,
            max_wait_ns,
        }
    }

    /// The mean time a wait lasted; zero before the first.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use pool_core::Waits;
    ///
    /// assert_eq!(Waits::default().mean_wait(), Duration::ZERO);
    /// assert_eq!(Waits::new(2, 0, 3_000, 2_000).mean_wait(), Duration::from_nanos(1_500));
    /// ```
    pub fn mean_wait(&self) -> std::time::Duration {
        match self.wait_ns.checked_div(self.waited) {
            Some(ns) => std::time::Duration::from_nanos(ns),
            None => std::time::Duration::ZERO,
        }
    }
}

impl std::ops::AddAssign<&Waits> for Waits {
    fn add_assign(&mut self, o: &Waits) {
        self.waited += o.waited;
        self.timed_out += o.timed_out;
        self.wait_ns = self.wait_ns.saturating_add(o.wait_ns);
        self.max_wait_ns = self.max_wait_ns.max(o.max_wait_ns);
    }
}
