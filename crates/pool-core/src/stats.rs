//! Statistics: a snapshot type, and counters that cost no shared write on a
//! per-thread fast path.
//!
//! A pool keeps one [`Counters`] block per thread (in its slot of the
//! [per-thread layer](crate::engine::per_thread)); the owning thread bumps them with
//! a plain load and store, never an atomic read-modify-write, and
//! [`Stats::from_counters`] sums every block into a [`Stats`] when somebody
//! asks. Strategy crates use the counters; users read [`Stats`].

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// Why items that came back were dropped instead of kept.
///
/// # Examples
///
/// ```
/// use pool_core::Discards;
///
/// let mut d = Discards::default();
/// d.too_large = 2;
/// d.full = 1;
/// assert_eq!(d.total(), 3);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Discards {
    /// The item grew past the per-item byte limit ("pool pollution").
    pub too_large: u64,
    /// The item shrank below what its pool promises (a holder called
    /// `shrink_to_fit`, or swapped or took the buffer out).
    pub too_small: u64,
    /// The pool's item limits were reached (cache and spill full).
    pub full: u64,
    /// Keeping the item would have taken retained bytes over the cap.
    pub over_byte_cap: u64,
    /// `Reset::reset` panicked, so the item was not trusted and dropped.
    pub panicked: u64,
    /// The pool was closed when the item came back.
    pub closed: u64,
    /// The item predates a `reset` of the pool and was not mixed back in.
    pub stale: u64,
}

impl Discards {
    /// The sum over every reason.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::Discards;
    ///
    /// let mut d = Discards::default();
    /// (d.panicked, d.stale) = (1, 2);
    /// assert_eq!(d.total(), 3);
    /// ```
    pub fn total(&self) -> u64 {
        self.too_large
            + self.too_small
            + self.full
            + self.over_byte_cap
            + self.panicked
            + self.closed
            + self.stale
    }
}

/// A snapshot of what a pool has done.
///
/// Counts are totals since the pool was built. In a quiescent pool they obey
///
/// - `gets == hits + misses`
/// - `gets == returns + discarded.total() + detached + outstanding`
///
/// While other threads work, the per-thread blocks are read one after the
/// other, so a snapshot can be a few operations out of step.
///
/// # Examples
///
/// ```
/// use pool_core::Stats;
///
/// let mut s = Stats::default();
/// (s.gets, s.hits, s.misses, s.returns) = (10, 9, 1, 10);
/// assert_eq!(s.hit_rate(), 0.9);
/// assert!(s.to_string().contains("hit rate 90.0%"));
/// ```
///
/// With the `serde` feature, `Stats` serializes with one more field,
/// `hit_rate` (as [`Stats::hit_rate`], `0.0..=1.0`), for whoever reads the
/// JSON without this crate; deserializing ignores it (it is derived) and
/// takes missing fields as zero, so snapshots saved by older versions
/// still load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Stats {
    /// Items handed out.
    pub gets: u64,
    /// Gets served from an idle item.
    pub hits: u64,
    /// Gets that had to create an item (the factory ran).
    pub misses: u64,
    /// Items that came back and were kept for reuse.
    pub returns: u64,
    /// Items that came back and were dropped, by reason.
    pub discarded: Discards,
    /// Items taken out of the pool for good (`detach`).
    pub detached: u64,
    /// Items handed out and not yet back: a leak shows here.
    pub outstanding: u64,
    /// Items created straight into the pool (pre-allocation), not for a get.
    pub prefilled: u64,
    /// Idle items freed by `trim` (timed or not, including those freed by a
    /// thread acting on a trim at its next get or put).
    pub trimmed: u64,
    /// Trims run by the process-wide trimmer on the pool's schedule.
    pub timed_trims: u64,
    /// Idle items timed trims freed from the pool's shared part (also
    /// counted in `trimmed`).
    pub timed_trimmed: u64,
    /// Idle items the pool holds now.
    pub retained_items: u64,
    /// Heap bytes the idle items hold now (as `Reset::heap_bytes` reports).
    pub retained_bytes: u64,
    /// Acquires that waited for a bounded pool.
    pub waits: Waits,
}

impl Stats {
    /// The share of gets served without creating an item, in `0.0..=1.0`;
    /// `0.0` before the first get.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::Stats;
    ///
    /// let mut s = Stats::default();
    /// assert_eq!(s.hit_rate(), 0.0);
    /// (s.gets, s.hits, s.misses) = (4, 3, 1);
    /// assert_eq!(s.hit_rate(), 0.75);
    /// ```
    pub fn hit_rate(&self) -> f64 {
        if self.gets == 0 {
            0.0
        } else {
            self.hits as f64 / self.gets as f64
        }
    }
}

/// `Stats` as JSON: every field, and the hit rate people read first.
#[cfg(feature = "serde")]
#[derive(serde::Serialize)]
struct StatsJson<'a> {
    gets: u64,
    hits: u64,
    misses: u64,
    hit_rate: f64,
    returns: u64,
    discarded: &'a Discards,
    detached: u64,
    outstanding: u64,
    prefilled: u64,
    trimmed: u64,
    timed_trims: u64,
    timed_trimmed: u64,
    retained_items: u64,
    retained_bytes: u64,
    waits: &'a Waits,
}

#[cfg(feature = "serde")]
impl serde::Serialize for Stats {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Destructured, so a new field cannot be forgotten here.
        let Stats {
            gets,
            hits,
            misses,
            returns,
            ref discarded,
            detached,
            outstanding,
            prefilled,
            trimmed,
            timed_trims,
            timed_trimmed,
            retained_items,
            retained_bytes,
            ref waits,
        } = *self;
        StatsJson {
            gets,
            hits,
            misses,
            hit_rate: self.hit_rate(),
            returns,
            discarded,
            detached,
            outstanding,
            prefilled,
            trimmed,
            timed_trims,
            timed_trimmed,
            retained_items,
            retained_bytes,
            waits,
        }
        .serialize(serializer)
    }
}

impl std::ops::AddAssign<&Discards> for Discards {
    fn add_assign(&mut self, o: &Discards) {
        self.too_large += o.too_large;
        self.too_small += o.too_small;
        self.full += o.full;
        self.over_byte_cap += o.over_byte_cap;
        self.panicked += o.panicked;
        self.closed += o.closed;
        self.stale += o.stale;
    }
}

/// Sums two snapshots (of two pools that make up one, say).
///
/// # Examples
///
/// ```
/// use pool_core::Stats;
///
/// let mut total = Stats::default();
/// (total.gets, total.hits) = (2, 2);
/// let mut other = Stats::default();
/// (other.gets, other.misses) = (1, 1);
/// total += &other;
/// assert_eq!((total.gets, total.hits, total.misses), (3, 2, 1));
/// ```
impl std::ops::AddAssign<&Stats> for Stats {
    fn add_assign(&mut self, o: &Stats) {
        self.gets += o.gets;
        self.hits += o.hits;
        self.misses += o.misses;
        self.returns += o.returns;
        self.discarded += &o.discarded;
        self.detached += o.detached;
        self.outstanding += o.outstanding;
        self.prefilled += o.prefilled;
        self.trimmed += o.trimmed;
        self.timed_trims += o.timed_trims;
        self.timed_trimmed += o.timed_trimmed;
        self.retained_items += o.retained_items;
        self.retained_bytes += o.retained_bytes;
        self.waits += &o.waits;
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "gets {} (hits {}, misses {}), hit rate {:.1}%",
            self.gets,
            self.hits,
            self.misses,
            self.hit_rate() * 100.0
        )?;
        writeln!(
            f,
            "returns {}, detached {}, outstanding {}, trimmed {}, prefilled {}",
            self.returns, self.detached, self.outstanding, self.trimmed, self.prefilled
        )?;
        if self.timed_trims > 0 {
            writeln!(
                f,
                "timed trims {} (freed {} items from the shared part)",
                self.timed_trims, self.timed_trimmed
            )?;
        }
        let d = &self.discarded;
        writeln!(
            f,
            "discarded {} (too large {}, too small {}, full {}, over byte cap {}, panicked {}, closed {}, stale {})",
            d.total(),
            d.too_large,
            d.too_small,
            d.full,
            d.over_byte_cap,
            d.panicked,
            d.closed,
            d.stale
        )?;
        write!(
            f,
            "retained {} items, {} bytes",
            self.retained_items, self.retained_bytes
        )?;
        let w = &self.waits;
        if w.waited > 0 {
            write!(
                f,
                "\nwaited {} (timed out {}), mean {:?}, longest {:?}",
                w.waited,
                w.timed_out,
                w.mean_wait(),
                std::time::Duration::from_nanos(w.max_wait_ns)
            )?;
        }
        Ok(())
    }
}

/// A monotonic counter bumped by one thread at a time without an atomic
/// read-modify-write.
///
/// Built with `RUSTFLAGS="--cfg pool_no_stats"` (measurement only: `cargo
/// xtask bench` does, in its own target folder, to show what statistics
/// cost), every counter is a no-op and statistics read zeros.
///
/// [`incr`](Counter::incr) and [`add`](Counter::add) are a load and a
/// release store: on x86 a plain `mov`/`add`, no `lock` prefix, and on Arm
/// no exclusive monitor. That is exact when only one thread writes the counter
/// (the owner of a per-thread block); concurrent writers would lose counts,
/// never memory safety. [`add_shared`](Counter::add_shared) is the
/// read-modify-write form for counters that several threads write.
///
/// # Examples
///
/// ```
/// use pool_core::engine::Counter;
///
/// let c = Counter::default();
/// c.incr();
/// c.add(4);
/// c.add_shared(1);
/// assert_eq!(c.get(), 6);
/// ```
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one. Only one thread at a time may call the non-shared adders.
    #[inline]
    pub fn incr(&self) {
        self.add(1);
    }

    /// Adds `n`. Only one thread at a time may call the non-shared adders.
    #[inline]
    pub fn add(&self, n: u64) {
        if cfg!(pool_no_stats) {
            return;
        }
        // Release: a reader that sees this value (Acquire in `get`) also
        // sees every earlier count of this thread, so a snapshot never
        // counts a return without the get that preceded it.
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Release);
    }

    /// Adds `n` with an atomic read-modify-write, for counters several
    /// threads write.
    #[inline]
    pub fn add_shared(&self, n: u64) {
        if cfg!(pool_no_stats) {
            return;
        }
        self.0.fetch_add(n, Release);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> u64 {
        self.0.load(Acquire)
    }
}

/// The counters one thread keeps for one pool.
///
/// Every field is a [`Counter`]; derived figures (gets, outstanding,
/// retained items and bytes) are computed when a snapshot is taken, so the
/// fast path writes as little as possible.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Counters {
    /// Gets served from an idle item.
    pub hits: Counter,
    /// Gets that created an item.
    pub misses: Counter,
    /// Items kept on return.
    pub returns: Counter,
    /// Items detached.
    pub detached: Counter,
    /// Idle items freed by trim.
    pub trimmed: Counter,
    /// Trims run by the trimmer thread.
    pub timed_trims: Counter,
    /// Idle items timed trims freed from the shared part.
    pub timed_trimmed: Counter,
    /// Items created straight into the pool.
    pub prefilled: Counter,
    /// Returned items dropped: grew past the per-item limit.
    pub discarded_too_large: Counter,
    /// Returned items dropped: shrank below what the pool promises.
    pub discarded_too_small: Counter,
    /// Returned items dropped: the pool was full.
    pub discarded_full: Counter,
    /// Returned items dropped: over the retained-byte cap.
    pub discarded_over_byte_cap: Counter,
    /// Returned items dropped: `reset` panicked.
    pub discarded_panicked: Counter,
    /// Returned items dropped: the pool was closed.
    pub discarded_closed: Counter,
    /// Returned items dropped: older than the pool's last reset.
    pub discarded_stale: Counter,
    /// Heap bytes of items entering the idle set (returns and prefill).
    pub bytes_in: Counter,
    /// Heap bytes of items leaving the idle set through hits.
    pub bytes_out: Counter,
    /// Heap bytes of items freed by trim.
    pub bytes_trimmed: Counter,
}

impl Counters {
    /// Adds this block's counts into `acc`.
    ///
    /// Items enter the idle set (returns, prefill) after they left it (a
    /// hit), so the entering counts are read first and the leaving ones
    /// after: a snapshot taken while the thread works may then miss a recent
    /// return, but never counts one without the hit before it.
    fn add_to(&self, acc: &mut Totals) {
        acc.returns += self.returns.get();
        acc.prefilled += self.prefilled.get();
        acc.bytes_in += self.bytes_in.get();
        acc.hits += self.hits.get();
        acc.misses += self.misses.get();
        acc.detached += self.detached.get();
        acc.trimmed += self.trimmed.get();
        acc.timed_trims += self.timed_trims.get();
        acc.timed_trimmed += self.timed_trimmed.get();
        acc.discards.too_large += self.discarded_too_large.get();
        acc.discards.too_small += self.discarded_too_small.get();
        acc.discards.full += self.discarded_full.get();
        acc.discards.over_byte_cap += self.discarded_over_byte_cap.get();
        acc.discards.panicked += self.discarded_panicked.get();
        acc.discards.closed += self.discarded_closed.get();
        acc.discards.stale += self.discarded_stale.get();
        acc.bytes_out += self.bytes_out.get();
        acc.bytes_trimmed += self.bytes_trimmed.get();
    }
}

/// Raw totals, as a strategy with counters of its own sums them, for
/// [`Stats::from_totals`] to derive the snapshot from (gets, outstanding
/// and retained figures are derived, never counted twice).
///
/// # Examples
///
/// ```
/// use pool_core::stats::{Stats, Totals};
///
/// let mut t = Totals::default();
/// (t.prefilled, t.hits, t.returns, t.bytes_in) = (4, 3, 2, 2048);
/// let s = Stats::from_totals(t);
/// assert_eq!((s.gets, s.outstanding, s.retained_items), (3, 1, 3));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Totals {
    /// Gets served from an idle item.
    pub hits: u64,
    /// Gets that created an item.
    pub misses: u64,
    /// Items kept on return.
    pub returns: u64,
    /// Items taken out for good.
    pub detached: u64,
    /// Idle items freed by trims.
    pub trimmed: u64,
    /// Timed trims run.
    pub timed_trims: u64,
    /// Idle items timed trims freed from the shared part.
    pub timed_trimmed: u64,
    /// Items created straight into the pool.
    pub prefilled: u64,
    /// Items dropped on return, by reason.
    pub discards: Discards,
    /// Heap bytes of items entering the idle set.
    pub bytes_in: u64,
    /// Heap bytes of items leaving it for a holder.
    pub bytes_out: u64,
    /// Heap bytes of idle items trims freed.
    pub bytes_trimmed: u64,
}

impl Stats {
    /// Sums counter blocks (one per thread, say) into a snapshot.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::Stats;
    /// use pool_core::engine::Counters;
    ///
    /// let (a, b) = (Counters::default(), Counters::default());
    /// a.misses.incr();
    /// b.returns.incr();
    /// b.bytes_in.add(64);
    /// let s = Stats::from_counters([&a, &b]);
    /// assert_eq!((s.gets, s.returns, s.outstanding, s.retained_bytes), (1, 1, 0, 64));
    /// ```
    pub fn from_counters<'a>(blocks: impl IntoIterator<Item = &'a Counters>) -> Stats {
        let mut acc = Totals::default();
        for block in blocks {
            block.add_to(&mut acc);
        }
        Stats::from_totals(acc)
    }

    /// Derives the snapshot from raw totals (see [`Totals`]); the waits
    /// are zero.
    pub fn from_totals(a: Totals) -> Stats {
        finish(a)
    }
}

/// Derives the snapshot from summed counters.
fn finish(a: Totals) -> Stats {
    let gets = a.hits + a.misses;
    let ended = a.returns + a.discards.total() + a.detached;
    // Items enter the idle set by return or prefill and leave it by hit or
    // trim (discarded items never entered it).
    let idle_in = a.returns + a.prefilled;
    let idle_out = a.hits + a.trimmed;
    Stats {
        gets,
        hits: a.hits,
        misses: a.misses,
        returns: a.returns,
        discarded: a.discards,
        detached: a.detached,
        outstanding: gets.saturating_sub(ended),
        prefilled: a.prefilled,
        trimmed: a.trimmed,
        timed_trims: a.timed_trims,
        timed_trimmed: a.timed_trimmed,
        retained_items: idle_in.saturating_sub(idle_out),
        retained_bytes: a.bytes_in.saturating_sub(a.bytes_out + a.bytes_trimmed),
        waits: Waits::default(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_derives_invariants() {
        let (a, b) = (Counters::default(), Counters::default());
        // Thread a: 3 misses, one item comes back on thread b, one detached,
        // one too large.
        a.misses.add(3);
        b.returns.incr();
        b.bytes_in.add(100);
        a.detached.incr();
        b.discarded_too_large.incr();
        let s = Stats::from_counters([&a, &b]);
        assert_eq!(s.gets, 3);
        assert_eq!(s.outstanding, 0);
        assert_eq!(
            s.gets,
            s.returns + s.discarded.total() + s.detached + s.outstanding
        );
        assert_eq!((s.retained_items, s.retained_bytes), (1, 100));
        // Trim the idle one.
        b.trimmed.incr();
        b.bytes_trimmed.add(100);
        let s = Stats::from_counters([&a, &b]);
        assert_eq!((s.retained_items, s.retained_bytes, s.trimmed), (0, 0, 1));
    }

    #[test]
    fn hit_rate_before_any_get_is_zero() {
        assert_eq!(Stats::default().hit_rate(), 0.0);
    }

    #[test]
    fn display_names_every_figure() {
        let s = Stats {
            gets: 4,
            hits: 3,
            misses: 1,
            ..Stats::default()
        };
        let text = s.to_string();
        for word in [
            "gets 4",
            "hits 3",
            "misses 1",
            "hit rate 75.0%",
            "outstanding",
            "retained",
        ] {
            assert!(text.contains(word), "{text:?} lacks {word:?}");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serializes_to_json() {
        let s = Stats {
            gets: 2,
            hits: 1,
            misses: 1,
            ..Stats::default()
        };
        let v = serde_json::to_value(s).unwrap();
        assert_eq!(v["gets"], 2);
        assert_eq!(v["discarded"]["too_large"], 0);
        assert_eq!(v["hit_rate"], 0.5);
        assert_eq!(v["waits"]["waited"], 0);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn round_trips_through_json_and_loads_partial_snapshots() {
        let s = Stats {
            gets: 7,
            hits: 5,
            misses: 2,
            returns: 6,
            outstanding: 1,
            retained_items: 3,
            retained_bytes: 4096,
            discarded: Discards {
                panicked: 1,
                ..Discards::default()
            },
            waits: Waits {
                waited: 2,
                timed_out: 1,
                wait_ns: 30,
                max_wait_ns: 20,
            },
            ..Stats::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        let back: Stats = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s, "{json}");
        // Older snapshots: no waits, no hit rate, fields missing.
        let old: Stats = serde_json::from_str(r#"{"gets": 3, "hits": 3}"#).unwrap();
        assert_eq!((old.gets, old.hits, old.waits), (3, 3, Waits::default()));
        // Wrong types are a clear error, not a panic.
        let err = serde_json::from_str::<Stats>(r#"{"gets": -1}"#).unwrap_err();
        assert!(err.to_string().contains("invalid value"), "{err}");
    }
}
