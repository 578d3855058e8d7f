//! A recorded workload: the request sizes a service asks a pool for, how
//! many threads ask, and how many buffers each holds at once.
//!
//! A live pool exports one with a single call (for example
//! `TieredPool::workload`, or [`Workload::from_stats`] for a pool of one
//! item size); saved as JSON (the `serde` feature), it is what
//! `cargo xtask bench --workload FILE` replays against every strategy and
//! the peer crates, to recommend a pool for that service's own sizes and
//! threads.
//!
//! ```
//! use pool_tiered::workload::Workload;
//!
//! // Three requests of 512 bytes for every one of 64 KiB, on 8 threads,
//! // each holding 4 buffers at once.
//! let w = Workload::new(8)
//!     .with_size(512, 3)
//!     .with_size(65536, 1)
//!     .with_held(4);
//! w.validate()?;
//! assert_eq!(w.max_bytes(), 65536);
//!
//! // The replay draws lengths in those proportions, the same for a seed.
//! let lengths: Vec<usize> = w.lengths(7).take(4000).collect();
//! let large = lengths.iter().filter(|&&l| l == 65536).count();
//! assert!((800..1200).contains(&large), "{large}");
//! assert!(w.lengths(7).take(4000).eq(lengths));
//!
//! // Out-of-range numbers are errors that say what was expected.
//! let err = Workload::new(0).with_size(512, 1).validate().unwrap_err();
//! assert_eq!(err.to_string(), "workload: `threads` is 0, expected 1..=1024");
//! # Ok::<(), pool_tiered::workload::WorkloadError>(())
//! ```
//!
//! # The file format
//!
//! ```json
//! {
//!   "version": 1,
//!   "threads": 8,
//!   "held": 4,
//!   "sizes": [ { "bytes": 512, "count": 3 }, { "bytes": 65536, "count": 1 } ]
//! }
//! ```
//!
//! - `version`: 1 (optional; the only version so far).
//! - `threads`: how many threads take buffers, `1..=1024`.
//! - `held` (optional, default 1): how many buffers each thread holds at
//!   once, `1..=65536`. By Little's law it is a thread's gets per second
//!   times the mean time a buffer is held.
//! - `sizes`: the histogram of request lengths, at most 65,536 entries,
//!   each `bytes` in `1..=1 GiB`, the counts not all zero. Entries of the
//!   same length add up.
//!
//! Any other field is an error (a misspelt `thread` is not silently
//! ignored), and so is a replay that would hold more than 16 GiB at once
//! (`threads * held * the largest size`).

use std::fmt;

use pool_core::Stats;

/// The most threads a workload may name.
pub const MAX_THREADS: usize = 1024;
/// The most buffers one thread may hold at once.
pub const MAX_HELD: usize = 65_536;
/// The largest request length, 1 GiB.
pub const MAX_BYTES: usize = 1 << 30;
/// The most histogram entries.
pub const MAX_SIZES: usize = 65_536;
/// The most bytes a replay may hold at once (`threads * held * largest`),
/// 16 GiB.
pub const MAX_HELD_BYTES: u64 = 16 << 30;

/// One histogram entry: `count` requests of `bytes` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct SizeCount {
    /// The request length in bytes.
    pub bytes: usize,
    /// How many requests had that length.
    pub count: u64,
}

/// A recorded workload; see the [module docs](self) for the format.
///
/// Deserializing validates (the error names the field and the range), so
/// a `Workload` read from a file is always one [`validate`](Self::validate)
/// accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawWorkload")
)]
#[non_exhaustive]
pub struct Workload {
    /// The format's version, 1.
    pub version: u32,
    /// How many threads take buffers.
    pub threads: usize,
    /// How many buffers each thread holds at once.
    pub held: usize,
    /// The request lengths and how often each was asked for.
    pub sizes: Vec<SizeCount>,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    #[serde(default = "version_one")]
    version: u32,
    threads: usize,
    #[serde(default = "one")]
    held: usize,
    sizes: Vec<SizeCount>,
}

#[cfg(feature = "serde")]
fn version_one() -> u32 {
    1
}

#[cfg(feature = "serde")]
fn one() -> usize {
    1
}

#[cfg(feature = "serde")]
impl TryFrom<RawWorkload> for Workload {
    type Error = WorkloadError;
    fn try_from(raw: RawWorkload) -> Result<Self, WorkloadError> {
        let w = Workload {
            version: raw.version,
            threads: raw.threads,
            held: raw.held,
            sizes: raw.sizes,
        };
        w.validate()?;
        Ok(w)
    }
}

/// What is wrong with a [`Workload`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// A format version this code does not know.
    #[error("workload: `version` is {found}, expected 1")]
    Version {
        /// The version found.
        found: u32,
    },
    /// A number out of its range.
    #[error("workload: `{field}` is {value}, expected {expected}")]
    OutOfRange {
        /// The field (`threads`, `held`, `sizes[3].bytes`, ...).
        field: String,
        /// Its value.
        value: u64,
        /// The range accepted.
        expected: &'static str,
    },
    /// No request lengths, or every count is zero.
    #[error(
        "workload: `sizes` has no request (it is empty or every count is 0), expected at least one entry with a count above 0"
    )]
    NoRequests,
    /// The counts add up past `u64::MAX`.
    #[error("workload: the counts in `sizes` add up past {max}, expected a smaller total", max = u64::MAX)]
    CountsOverflow,
    /// The replay would hold too much memory at once.
    #[error("workload: `threads` {threads} x `held` {held} x the largest size {bytes} B is over {max} GiB held at once, expected at most {max} GiB", max = MAX_HELD_BYTES >> 30)]
    TooMuchMemory {
        /// The threads.
        threads: usize,
        /// The buffers held per thread.
        held: usize,
        /// The largest size.
        bytes: usize,
    },
}

impl Workload {
    /// A workload of `threads` threads, each holding one buffer at a time,
    /// with no sizes yet (add them with [`with_size`](Self::with_size)).
    #[must_use]
    pub fn new(threads: usize) -> Self {
        Workload {
            version: 1,
            threads,
            held: 1,
            sizes: Vec::new(),
        }
    }

    /// Adds `count` requests of `bytes` bytes (to the entry of that length,
    /// if there is one; the count saturates at `u64::MAX`).
    #[must_use]
    pub fn with_size(mut self, bytes: usize, count: u64) -> Self {
        match self.sizes.iter_mut().find(|s| s.bytes == bytes) {
            Some(s) => s.count = s.count.saturating_add(count),
            None => self.sizes.push(SizeCount { bytes, count }),
        }
        self
    }

    /// Sets how many buffers each thread holds at once.
    #[must_use]
    pub fn with_held(mut self, held: usize) -> Self {
        self.held = held;
        self
    }

    /// The workload of these request lengths (for example a pool's recent
    /// lengths), one count per request.
    ///
    /// ```
    /// use pool_tiered::workload::Workload;
    ///
    /// let w = Workload::from_lengths(&[100, 1500, 100], 2);
    /// assert_eq!(w.sizes.len(), 2);
    /// assert_eq!(w.sizes[0].count, 2);
    /// ```
    #[must_use]
    pub fn from_lengths(lengths: &[usize], threads: usize) -> Self {
        let mut sorted = lengths.to_vec();
        sorted.sort_unstable();
        let mut w = Workload::new(threads);
        for chunk in sorted.chunk_by(|a, b| a == b) {
            w.sizes.push(SizeCount {
                bytes: chunk[0],
                count: chunk.len() as u64,
            });
        }
        w
    }

    /// The workload of a pool whose items are `bytes` long, from its
    /// statistics: one size, counted by its gets.
    ///
    /// ```
    /// use pool_core::Stats;
    /// use pool_tiered::workload::Workload;
    ///
    /// let mut stats = Stats::default();
    /// stats.gets = 1000;
    /// let w = Workload::from_stats(&stats, 4096, 4);
    /// assert_eq!(w.sizes[0].bytes, 4096);
    /// assert_eq!(w.sizes[0].count, 1000);
    /// ```
    #[must_use]
    pub fn from_stats(stats: &Stats, bytes: usize, threads: usize) -> Self {
        Workload::new(threads).with_size(bytes, stats.gets.max(1))
    }

    /// Checks every number against its range (see the module docs).
    ///
    /// # Errors
    ///
    /// The first [`WorkloadError`] found.
    pub fn validate(&self) -> Result<(), WorkloadError> {
        let range = |field: &str, value: usize, max: usize, expected: &'static str| {
            if (1..=max).contains(&value) {
                Ok(())
            } else {
                Err(WorkloadError::OutOfRange {
                    field: field.to_string(),
                    value: value as u64,
                    expected,
                })
            }
        };
        if self.version != 1 {
            return Err(WorkloadError::Version {
                found: self.version,
            });
        }
        range("threads", self.threads, MAX_THREADS, "1..=1024")?;
        range("held", self.held, MAX_HELD, "1..=65536")?;
        if self.sizes.len() > MAX_SIZES {
            return Err(WorkloadError::OutOfRange {
                field: "sizes (entries)".into(),
                value: self.sizes.len() as u64,
                expected: "at most 65536 entries",
            });
        }
        let mut total: u64 = 0;
        for (i, s) in self.sizes.iter().enumerate() {
            if !(1..=MAX_BYTES).contains(&s.bytes) {
                return Err(WorkloadError::OutOfRange {
                    field: format!("sizes[{i}].bytes"),
                    value: s.bytes as u64,
                    expected: "1..=1073741824 (1 GiB)",
                });
            }
            total = total
                .checked_add(s.count)
                .ok_or(WorkloadError::CountsOverflow)?;
        }
        if total == 0 {
            return Err(WorkloadError::NoRequests);
        }
        let bytes = self.max_bytes();
        let held = (self.threads as u64)
            .checked_mul(self.held as u64)
            .and_then(|n| n.checked_mul(bytes as u64));
        if held.is_none_or(|h| h > MAX_HELD_BYTES) {
            return Err(WorkloadError::TooMuchMemory {
                threads: self.threads,
                held: self.held,
                bytes,
            });
        }
        Ok(())
    }

    /// The largest request length (0 with no sizes).
    #[must_use]
    pub fn max_bytes(&self) -> usize {
        self.sizes.iter().map(|s| s.bytes).max().unwrap_or(0)
    }

    /// The mean request length, weighted by the counts (0 with no request).
    #[must_use]
    pub fn mean_bytes(&self) -> f64 {
        let (mut n, mut sum) = (0f64, 0f64);
        for s in &self.sizes {
            n += s.count as f64;
            sum += s.count as f64 * s.bytes as f64;
        }
        if n > 0.0 { sum / n } else { 0.0 }
    }

    /// Request lengths drawn in the workload's proportions from `seed`,
    /// without end (the same stream for the same seed; nothing when the
    /// workload has no request). Take as many as needed: the draw holds
    /// only the cumulative counts, whatever the number taken.
    pub fn lengths(&self, seed: u64) -> Lengths {
        let mut cumulative = Vec::with_capacity(self.sizes.len());
        let mut total: u128 = 0;
        for s in self.sizes.iter().filter(|s| s.count > 0) {
            total += u128::from(s.count);
            cumulative.push((total, s.bytes));
        }
        Lengths {
            cumulative,
            total,
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }
}

/// The endless stream of drawn lengths of [`Workload::lengths`].
#[derive(Debug, Clone)]
pub struct Lengths {
    cumulative: Vec<(u128, usize)>,
    total: u128,
    state: u64,
}

impl Iterator for Lengths {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.total == 0 {
            return None;
        }
        // splitmix64: every seed, zero included, gives a good stream.
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let pick = (u128::from(z) * self.total) >> 64;
        let i = self.cumulative.partition_point(|&(c, _)| c <= pick);
        Some(self.cumulative[i].1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.total == 0 {
            (0, Some(0))
        } else {
            (usize::MAX, None)
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} thread{}, {} held each, {} size{} (mean {:.0} B, largest {} B)",
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            self.held,
            self.sizes.len(),
            if self.sizes.len() == 1 { "" } else { "s" },
            self.mean_bytes(),
            self.max_bytes()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Workload {
        Workload::new(4).with_size(4096, 10)
    }

    #[test]
    fn every_range_is_checked_at_its_edges() {
        assert!(valid().validate().is_ok());
        assert!(
            Workload::new(MAX_THREADS)
                .with_size(1, 1)
                .validate()
                .is_ok()
        );
        let out = |w: Workload, field: &str| match w.validate() {
            Err(WorkloadError::OutOfRange { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        };
        out(Workload::new(0).with_size(1, 1), "threads");
        out(Workload::new(MAX_THREADS + 1).with_size(1, 1), "threads");
        out(Workload::new(usize::MAX).with_size(1, 1), "threads");
        out(valid().with_held(0), "held");
        out(valid().with_held(usize::MAX), "held");
        out(valid().with_size(0, 1), "sizes[1].bytes");
        out(valid().with_size(usize::MAX, 1), "sizes[1].bytes");
        assert!(Workload::new(1).with_size(MAX_BYTES, 1).validate().is_ok());
        assert_eq!(Workload::new(1).validate(), Err(WorkloadError::NoRequests));
        assert_eq!(
            Workload::new(1).with_size(64, 0).validate(),
            Err(WorkloadError::NoRequests)
        );
        assert_eq!(
            valid().with_size(64, u64::MAX).validate(),
            Err(WorkloadError::CountsOverflow)
        );
        let big = Workload::new(1024).with_size(MAX_BYTES, 1).with_held(65536);
        assert!(matches!(
            big.validate(),
            Err(WorkloadError::TooMuchMemory { .. })
        ));
        let mut v = valid();
        v.version = 2;
        assert_eq!(v.validate(), Err(WorkloadError::Version { found: 2 }));
        let mut many = valid();
        // One entry past the limit (built, not validated one by one).
        many.sizes = (1..=MAX_SIZES + 1)
            .map(|b| SizeCount { bytes: b, count: 1 })
            .collect();
        assert!(many.validate().is_err());
    }

    #[test]
    fn lengths_follow_the_counts_and_the_seed() {
        let w = Workload::new(1)
            .with_size(100, 1)
            .with_size(200, 0)
            .with_size(300, 3);
        // Miri runs this too: fewer draws there.
        let n = if cfg!(miri) { 4_000 } else { 40_000 };
        let l: Vec<usize> = w.lengths(1).take(n).collect();
        assert!(!l.contains(&200), "a zero count is never drawn");
        let big = l.iter().filter(|&&x| x == 300).count() as f64 / l.len() as f64;
        let band = if cfg!(miri) { 0.68..0.82 } else { 0.72..0.78 };
        assert!(band.contains(&big), "{big}");
        assert!(!w.lengths(2).take(n).eq(l.iter().copied()));
        assert_eq!(Workload::new(1).lengths(0).next(), None);
        // Drawing is lazy: a huge count costs nothing up front.
        let far = if cfg!(miri) { 10_000 } else { 1_000_000 };
        assert_eq!(w.lengths(3).nth(far).map(|x| x % 100), Some(0));
        // One size with the largest count still draws only it.
        let one = Workload::new(1).with_size(7, u64::MAX);
        assert!(one.lengths(0).take(100).all(|x| x == 7));
    }

    #[test]
    fn same_lengths_add_up() {
        let w = Workload::new(1).with_size(64, 2).with_size(64, 3);
        assert_eq!(
            w.sizes,
            vec![SizeCount {
                bytes: 64,
                count: 5
            }]
        );
        let s = Workload::new(1).with_size(64, u64::MAX).with_size(64, 1);
        assert_eq!(s.sizes[0].count, u64::MAX);
        assert_eq!(
            Workload::from_lengths(&[3, 1, 3], 1).sizes,
            vec![
                SizeCount { bytes: 1, count: 1 },
                SizeCount { bytes: 3, count: 2 }
            ]
        );
        assert!((Workload::from_lengths(&[100, 300], 1).mean_bytes() - 200.0).abs() < 1e-9);
        assert!(valid().to_string().contains("4 threads, 1 held each"));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn json_round_trips_and_rejects_bad_files_clearly() {
        let w = valid().with_held(3);
        let text = serde_json::to_string(&w).unwrap();
        assert_eq!(serde_json::from_str::<Workload>(&text).unwrap(), w);
        let min: Workload =
            serde_json::from_str(r#"{"threads": 2, "sizes": [{"bytes": 64, "count": 1}]}"#)
                .unwrap();
        assert_eq!((min.version, min.held), (1, 1));
        let err = |text: &str| {
            serde_json::from_str::<Workload>(text)
                .unwrap_err()
                .to_string()
        };
        let e = err(r#"{"thread": 2, "sizes": []}"#);
        assert!(e.contains("unknown field `thread`"), "{e}");
        let e = err(r#"{"threads": 0, "sizes": [{"bytes": 64, "count": 1}]}"#);
        assert!(e.contains("`threads` is 0, expected 1..=1024"), "{e}");
        let e = err(r#"{"threads": 1, "sizes": [{"bytes": -1, "count": 1}]}"#);
        assert!(e.contains("invalid value"), "{e}");
        let e = err(r#"{"threads": 1, "sizes": []}"#);
        assert!(e.contains("no request"), "{e}");
        let e = err(r#"{"threads": 1}"#);
        assert!(e.contains("missing field `sizes`"), "{e}");
    }
}
