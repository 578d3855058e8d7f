//! Where the items that never came back were taken: an opt-in record of
//! every outstanding guard's call site (`#[track_caller]`) and age, grouped
//! by site for a person to read, like Netty's leak detector.
//!
//! Built with the `leak-sites` feature, every strategy's builder takes a
//! [`LeakTracker`]; the guards of that pool then record where they were
//! taken and forget it when they drop. Pools without a tracker, and builds
//! without the feature, record nothing and pay nothing (no field in the
//! guards, no branch on get or put).
//!
//! ```
//! # #[cfg(feature = "leak-sites")] {
//! use std::time::Duration;
//! use pool_core::leaks::LeakTracker;
//!
//! let tracker = LeakTracker::new()
//!     .max_age(Duration::from_secs(30))
//!     .on_report(|report| eprintln!("pool leak: {report}"));
//! let site = tracker.record(std::panic::Location::caller());
//! let outstanding = tracker.outstanding_sites();
//! assert_eq!(outstanding.items(), 1);
//! assert_eq!(outstanding.sites[0].location.line(), line!() - 3);
//! tracker.release(site);
//! assert_eq!(tracker.outstanding_sites().items(), 0);
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Why a [`LeakReport`] was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeakReason {
    /// The pool (its tracker) was dropped with guards still out.
    PoolDropped,
    /// Guards have been out longer than the tracker's
    /// [`max_age`](LeakTracker::max_age) (each is reported once).
    OlderThan(Duration),
}

/// What a tracker reports, once per occasion, to its
/// [`on_report`](LeakTracker::on_report) callback.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LeakReport {
    /// Why now.
    pub reason: LeakReason,
    /// The guards concerned, grouped by site.
    pub outstanding: Outstanding,
}

impl fmt::Display for LeakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            LeakReason::PoolDropped => f.write_str("pool dropped with items outstanding: ")?,
            LeakReason::OlderThan(age) => write!(f, "items out longer than {age:?}: ")?,
        }
        write!(f, "{}", self.outstanding)
    }
}

/// Outstanding guards of one call site.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SiteSummary {
    /// Where the guards were taken (`file:line:column`).
    pub location: &'static Location<'static>,
    /// How many are out.
    pub count: usize,
    /// How long the oldest has been out.
    pub oldest: Duration,
}

/// The outstanding guards of a pool, grouped by call site, the site with
/// the most first; `Display` is a short table for a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outstanding {
    /// One entry per site.
    pub sites: Vec<SiteSummary>,
}

impl Outstanding {
    /// Guards out, over every site.
    pub fn items(&self) -> usize {
        self.sites.iter().map(|s| s.count).sum()
    }
}

impl fmt::Display for Outstanding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} item(s) outstanding at {} site(s)",
            self.items(),
            self.sites.len()
        )?;
        for s in &self.sites {
            write!(
                f,
                "\n  {}:{}:{}  {} item(s), oldest out for {:.1?}",
                s.location.file(),
                s.location.line(),
                s.location.column(),
                s.count,
                s.oldest
            )?;
        }
        Ok(())
    }
}

struct Entry {
    location: &'static Location<'static>,
    since: Instant,
    reported: bool,
}

type Report = Box<dyn Fn(&LeakReport) + Send + Sync>;

/// The record of one pool's outstanding guards; see the [module](self).
///
/// Recording takes a lock (a map insert on get, a remove on return): with
/// [`new`](Self::new), every guard records, a debugging aid for where a
/// leak is hunted. [`sampled`](Self::sampled) records about one guard in
/// [`DEFAULT_SAMPLE`] (Netty's default), cheap enough to leave on in
/// production: the others cost a thread-local countdown.
pub struct LeakTracker {
    /// Set once the pool-dropped report went out.
    dropped: std::sync::atomic::AtomicBool,
    next: AtomicU64,
    live: Mutex<HashMap<u64, Entry>>,
    max_age: Option<Duration>,
    /// When the age check last ran.
    scanned: Mutex<Instant>,
    report: Option<Report>,
    /// Record one guard in this many (1: every one).
    sample: u32,
}

/// The sampling rate of [`LeakTracker::sampled`]: one guard in 128 records
/// its site, as Netty's leak detector samples by default.
pub const DEFAULT_SAMPLE: u32 = 128;

std::thread_local! {
    /// Guards this thread skips before it records the next one (every
    /// sampled tracker shares it: what matters is the rate, not which
    /// tracker a guard belongs to).
    static COUNTDOWN: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether this guard records, at one in `rate` (a rate of 0 or 1: always).
#[inline]
fn sample(rate: u32) -> bool {
    if rate <= 1 {
        return true;
    }
    COUNTDOWN
        .try_with(|c| match c.get() {
            0 => {
                c.set(rate - 1);
                true
            }
            left => {
                c.set(left - 1);
                false
            }
        })
        // The thread's thread-locals are being destroyed: record.
        .unwrap_or(true)
}

impl Default for LeakTracker {
    fn default() -> Self {
        LeakTracker::new()
    }
}

impl fmt::Debug for LeakTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeakTracker")
            .field("outstanding", &self.lock().len())
            .field("max_age", &self.max_age)
            .field("sample", &self.sample)
            .finish_non_exhaustive()
    }
}

impl LeakTracker {
    /// A tracker with no age limit and no callback (read it with
    /// [`outstanding_sites`](Self::outstanding_sites)).
    pub fn new() -> Self {
        LeakTracker {
            dropped: std::sync::atomic::AtomicBool::new(false),
            next: AtomicU64::new(1),
            live: Mutex::new(HashMap::new()),
            max_age: None,
            scanned: Mutex::new(Instant::now()),
            report: None,
            sample: 1,
        }
    }

    /// A tracker that records about one guard in [`DEFAULT_SAMPLE`]: its
    /// reports show the sites that leak often, at a cost meant for
    /// production (see [`sample_one_in`](Self::sample_one_in)).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::leaks::{DEFAULT_SAMPLE, LeakTracker};
    ///
    /// let tracker = LeakTracker::sampled();
    /// let ids: Vec<u64> = (0..DEFAULT_SAMPLE * 4)
    ///     .map(|_| tracker.record(std::panic::Location::caller()))
    ///     .collect();
    /// assert_eq!(tracker.outstanding_sites().items(), 4, "one in 128");
    /// assert_eq!(ids.iter().filter(|&&id| id == 0).count(), 4 * 127, "0: not recorded");
    /// ```
    pub fn sampled() -> Self {
        LeakTracker::new().sample_one_in(DEFAULT_SAMPLE)
    }

    /// Records one guard in `n` (each thread counts its own guards); 0 and
    /// 1 both mean every guard. The report then shows about one in `n` of
    /// what is out, which is enough to find the sites that leak often.
    #[must_use]
    pub fn sample_one_in(mut self, n: u32) -> Self {
        self.sample = n.max(1);
        self
    }

    /// Reports guards out longer than `age` (each once) to the callback,
    /// checked as guards are taken (at most every `age / 4`). Any
    /// `Duration` is accepted; `Duration::MAX` never fires.
    #[must_use]
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Where reports go: guards out longer than [`max_age`](Self::max_age),
    /// and guards still out when the pool is dropped. Without a callback,
    /// nothing is reported (read [`outstanding_sites`](Self::outstanding_sites)).
    #[must_use]
    pub fn on_report(mut self, f: impl Fn(&LeakReport) + Send + Sync + 'static) -> Self {
        self.report = Some(Box::new(f));
        self
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Entry>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a guard taken at `location`; the id goes back to
    /// [`release`](Self::release). Strategies call this; ids are never 0,
    /// and 0 means "not recorded" (a guard the sampling skipped).
    #[inline]
    pub fn record(&self, location: &'static Location<'static>) -> u64 {
        if !sample(self.sample) {
            return 0;
        }
        self.record_now(location)
    }

    fn record_now(&self, location: &'static Location<'static>) -> u64 {
        let id = self.next.fetch_add(1, Relaxed);
        let now = Instant::now();
        self.lock().insert(
            id,
            Entry {
                location,
                since: now,
                reported: false,
            },
        );
        if let Some(age) = self.max_age {
            self.check_age(age, now);
        }
        id
    }

    /// The guard `id` came back (or left for good).
    pub fn release(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// The guards out now, grouped by site.
    pub fn outstanding_sites(&self) -> Outstanding {
        let now = Instant::now();
        summarize(self.lock().values(), now)
    }

    fn check_age(&self, age: Duration, now: Instant) {
        {
            let mut scanned = self.scanned.lock().unwrap_or_else(PoisonError::into_inner);
            if now.saturating_duration_since(*scanned) < age / 4 {
                return;
            }
            *scanned = now;
        }
        let old = {
            let mut live = self.lock();
            let mut old: Vec<&mut Entry> = live
                .values_mut()
                .filter(|s| !s.reported && now.saturating_duration_since(s.since) >= age)
                .collect();
            old.iter_mut().for_each(|s| s.reported = true);
            summarize(old.into_iter().map(|s| &*s), now)
        };
        if !old.sites.is_empty() {
            self.emit(LeakReason::OlderThan(age), old);
        }
    }

    fn emit(&self, reason: LeakReason, outstanding: Outstanding) {
        if let Some(report) = &self.report {
            report(&LeakReport {
                reason,
                outstanding,
            });
        }
    }
}

impl LeakTracker {
    /// The user's handle of the pool was dropped: reports the guards still
    /// out (once; the tracker's own drop then stays quiet). Strategies
    /// whose guards keep the pool's shared part alive call this from the
    /// handle's `Drop`; otherwise the tracker's drop reports.
    pub fn pool_dropped(&self) {
        if self.dropped.swap(true, Relaxed) {
            return;
        }
        let outstanding = self.outstanding_sites();
        if !outstanding.sites.is_empty() {
            self.emit(LeakReason::PoolDropped, outstanding);
        }
    }
}

impl Drop for LeakTracker {
    fn drop(&mut self) {
        self.pool_dropped();
    }
}

fn summarize<'a>(sites: impl Iterator<Item = &'a Entry>, now: Instant) -> Outstanding {
    let mut by_site: HashMap<&'static Location<'static>, SiteSummary> = HashMap::new();
    for s in sites {
        let age = now.saturating_duration_since(s.since);
        let e = by_site.entry(s.location).or_insert(SiteSummary {
            location: s.location,
            count: 0,
            oldest: Duration::ZERO,
        });
        e.count += 1;
        e.oldest = e.oldest.max(age);
    }
    let mut sites: Vec<SiteSummary> = by_site.into_values().collect();
    sites.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.oldest.cmp(&a.oldest))
            .then_with(|| {
                (a.location.file(), a.location.line()).cmp(&(b.location.file(), b.location.line()))
            })
    });
    Outstanding { sites }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[track_caller]
    fn here() -> &'static Location<'static> {
        Location::caller()
    }

    #[test]
    fn groups_by_site_and_forgets_what_came_back() {
        let t = LeakTracker::new();
        let a = here();
        let b = here();
        let ids: Vec<u64> = [a, a, b].iter().map(|l| t.record(l)).collect();
        let o = t.outstanding_sites();
        assert_eq!((o.items(), o.sites.len()), (3, 2));
        assert_eq!(o.sites[0].location, a, "the busiest site first");
        assert_eq!(o.sites[0].count, 2);
        let text = o.to_string();
        assert!(
            text.starts_with("3 item(s) outstanding at 2 site(s)"),
            "{text}"
        );
        assert!(text.contains(&format!("leaks.rs:{}", a.line())), "{text}");
        for id in ids {
            t.release(id);
        }
        assert_eq!(t.outstanding_sites(), Outstanding::default());
    }

    #[test]
    fn reports_old_guards_once_and_the_rest_at_drop() {
        let reports = Arc::new(Mutex::new(Vec::new()));
        let r = Arc::clone(&reports);
        let t = LeakTracker::new()
            .max_age(Duration::ZERO)
            .on_report(move |rep| {
                r.lock()
                    .unwrap()
                    .push((rep.reason, rep.outstanding.items()))
            });
        let first = t.record(here());
        // Each record checks ages: the first guard is reported once, then
        // the second (the first is not reported again).
        let _second = t.record(here());
        t.release(first);
        drop(t);
        let reports = reports.lock().unwrap();
        assert_eq!(reports[0], (LeakReason::OlderThan(Duration::ZERO), 1));
        assert!(reports[1..].iter().all(|&(_, n)| n == 1), "{reports:?}");
        assert_eq!(reports.last().unwrap().0, LeakReason::PoolDropped);
    }

    #[test]
    fn a_tracker_without_callback_or_age_reports_nothing_and_any_age_is_valid() {
        let t = LeakTracker::new().max_age(Duration::MAX);
        let id = t.record(here());
        assert_eq!(t.outstanding_sites().items(), 1);
        t.release(id);
        t.release(id); // twice: harmless
        assert_eq!(t.outstanding_sites().items(), 0);
    }
}
