//! Statistics: a snapshot type, and counters that cost no shared write on a
//! per-thread fast path.
//!
//! A pool keeps one [`Counters`] block per thread (in its slot of
//! `pool_engine::PerThread`); the owning thread bumps them with a plain
//! load and store, never an atomic read-modify-write, and
//! [`Stats::from_counters`] sums every block into a [`Stats`] when somebody
//! asks. Strategy crates use the counters; users read [`Stats`].

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::waits::Waits;

/// Declares the discard reasons once: [`Discards`] (a count per reason),
/// [`DiscardCounters`] (a [`Counter`] per reason), their sum, their
/// addition, and the words [`Stats`]'s `Display` uses.
macro_rules! discard_reasons {
    ($( $(#[doc = $doc:literal])* $name:ident => $words:literal, )*) => {
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
            $( $(#[doc = $doc])* pub $name: u64, )*
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
                0 $( + self.$name )*
            }

            /// Each reason's words and count, in declaration order.
            fn by_reason(&self) -> impl Iterator<Item = (&'static str, u64)> {
                [$( ($words, self.$name), )*].into_iter()
            }
        }

        impl std::ops::AddAssign<&Discards> for Discards {
            fn add_assign(&mut self, o: &Discards) {
                $( self.$name += o.$name; )*
            }
        }

        /// Returned items dropped, a [`Counter`] per reason (the reasons
        /// of [`Discards`]).
        #[derive(Debug, Default)]
        #[non_exhaustive]
        pub struct DiscardCounters {
            $( $(#[doc = $doc])* pub $name: Counter, )*
        }

        impl DiscardCounters {
            fn add_to(&self, acc: &mut Discards) {
                $( acc.$name += self.$name.get(); )*
            }
        }
    };
}

discard_reasons! {
    /// The item grew past the per-item byte limit ("pool pollution").
    too_large => "too large",
    /// The item shrank below what its pool promises (a holder called
    /// `shrink_to_fit`, or swapped or took the buffer out).
    too_small => "too small",
    /// The pool's item limits were reached (cache and spill full).
    full => "full",
    /// Keeping the item would have taken retained bytes over the cap.
    over_byte_cap => "over byte cap",
    /// `Reset::reset` panicked, so the item was not trusted and dropped.
    panicked => "panicked",
    /// The pool was closed when the item came back.
    closed => "closed",
    /// The item predates a `renew` of the pool and was not mixed back in.
    stale => "stale",
    /// `Reset::is_reusable` said the item is unfit for another user.
    refused => "refused",
}

/// Declares the snapshot's fields once: [`Stats`], its addition, and its
/// JSON form (every field, and the hit rate).
macro_rules! snapshot {
    ($(#[$attr:meta])* pub struct Stats { $( $(#[doc = $doc:literal])* $name:ident: $ty:ty, )* }) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(default))]
        #[non_exhaustive]
        pub struct Stats {
            $( $(#[doc = $doc])* pub $name: $ty, )*
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
                $( self.$name += &o.$name; )*
            }
        }

        /// `Stats` as JSON: every field, and the hit rate people read first.
        #[cfg(feature = "serde")]
        #[derive(serde::Serialize)]
        struct StatsJson<'a> {
            hit_rate: f64,
            $( $name: &'a $ty, )*
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for Stats {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                StatsJson {
                    hit_rate: self.hit_rate(),
                    $( $name: &self.$name, )*
                }
                .serialize(serializer)
            }
        }
    };
}

snapshot! {
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
pub struct Stats {
    /// Items handed out.
    gets: u64,
    /// Gets served from an idle item.
    hits: u64,
    /// Gets that had to create an item (the factory ran).
    misses: u64,
    /// Items that came back and were kept for reuse.
    returns: u64,
    /// Items that came back and were dropped, by reason.
    discarded: Discards,
    /// Items taken out of the pool for good (`detach`).
    detached: u64,
    /// Items handed out and not yet back: a leak shows here.
    outstanding: u64,
    /// Items created straight into the pool (pre-allocation), not for a get.
    prefilled: u64,
    /// Idle items freed by `trim` (timed or not, including those freed by a
    /// thread acting on a trim at its next get or put).
    trimmed: u64,
    /// Trims run by the process-wide trimmer on the pool's schedule.
    timed_trims: u64,
    /// Idle items timed trims freed from the pool's shared part (also
    /// counted in `trimmed`).
    timed_trimmed: u64,
    /// Idle items the pool holds now.
    retained_items: u64,
    /// Heap bytes the idle items hold now (as `Reset::heap_bytes` reports).
    retained_bytes: u64,
    /// Acquires that waited for a bounded pool.
    waits: Waits,
}

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
        write!(f, "discarded {} (", d.total())?;
        for (i, (words, n)) in d.by_reason().enumerate() {
            write!(f, "{}{words} {n}", if i == 0 { "" } else { ", " })?;
        }
        writeln!(f, ")")?;
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
/// use pool_core::strategy::Counter;
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

/// Declares the counted figures once: [`Counters`] (a [`Counter`] each,
/// and the discard reasons), [`Totals`] (a sum each), and the sum of a
/// block into the totals, in the order listed.
macro_rules! counted {
    ($( $(#[doc = $doc:literal])* $name:ident, )*) => {
        /// The counters one thread keeps for one pool.
        ///
        /// Every field is a [`Counter`]; derived figures (gets, outstanding,
        /// retained items and bytes) are computed when a snapshot is taken,
        /// so the fast path writes as little as possible.
        #[derive(Debug, Default)]
        #[non_exhaustive]
        pub struct Counters {
            $( $(#[doc = $doc])* pub $name: Counter, )*
            /// Returned items dropped, by reason.
            pub discarded: DiscardCounters,
        }

        /// Raw totals, as a strategy with counters of its own sums them,
        /// for [`Stats::from_totals`] to derive the snapshot from (gets,
        /// outstanding and retained figures are derived, never counted
        /// twice).
        ///
        /// # Examples
        ///
        /// ```
        /// use pool_core::Stats;
        /// use pool_core::strategy::Totals;
        ///
        /// let mut t = Totals::default();
        /// (t.prefilled, t.hits, t.returns, t.bytes_in) = (4, 3, 2, 2048);
        /// let s = Stats::from_totals(t);
        /// assert_eq!((s.gets, s.outstanding, s.retained_items), (3, 1, 3));
        /// ```
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Totals {
            $( $(#[doc = $doc])* pub $name: u64, )*
            /// Items dropped on return, by reason.
            pub discards: Discards,
        }

        impl Totals {
            /// Adds a block's counts, in the order listed.
            pub fn add(&mut self, block: &Counters) {
                $( self.$name += block.$name.get(); )*
                block.discarded.add_to(&mut self.discards);
            }
        }
    };
}

// Items enter the idle set (returns, prefill) after they left it (a hit),
// so the entering counts come first and are read first: a snapshot taken
// while the thread works may then miss a recent return, but never counts
// one without the hit before it. The four a get and a put write (returns,
// bytes_in, hits, bytes_out) sit within 40 bytes.
counted! {
    /// Items kept on return.
    returns,
    /// Heap bytes of items entering the idle set (returns and prefill).
    bytes_in,
    /// Items created straight into the pool.
    prefilled,
    /// Gets served from an idle item.
    hits,
    /// Heap bytes of items leaving the idle set through hits.
    bytes_out,
    /// Gets that created an item.
    misses,
    /// Items taken out of the pool for good.
    detached,
    /// Idle items freed by trims.
    trimmed,
    /// Trims run by the trimmer thread.
    timed_trims,
    /// Idle items timed trims freed from the shared part.
    timed_trimmed,
    /// Heap bytes of idle items freed by trims.
    bytes_trimmed,
}

impl Stats {
    /// Sums counter blocks (one per thread, say) into a snapshot.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::Stats;
    /// use pool_core::strategy::Counters;
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
            acc.add(block);
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
        b.discarded.too_large.incr();
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
