//! Memory that comes back by itself: one process-wide trimmer thread for
//! every pool that asked for timed trimming, and [`trim_all`] for a
//! service to call on memory pressure.
//!
//! Go's `sync.Pool` gives idle items back at every garbage collection; here
//! a pool built with a trim interval (`trim_interval` on the `LocalPool`
//! and `TieredPool` builders; [`SUGGESTED_INTERVAL`] is a good start) is
//! trimmed by one background thread every interval, so a burst's peak goes
//! away after two intervals without anyone calling `trim`. (A pool may be
//! trimmed up to an eighth of its interval early, so that pools due close
//! together share one wake of the thread; never late.)
//!
//! Off unless set: a pool nobody configured starts no thread and never
//! frees anything on its own, so its behaviour (and its tests) are exactly
//! what its calls make them. Set an interval on any pool that sees bursts.
//!
//! - Nothing is added to get or put: a trim bumps the pool's trim epoch,
//!   which get and put read already.
//! - The thread starts when the first pool asks for timed trimming and
//!   ends when no live pool needs it. It holds pools weakly: a dropped pool
//!   is forgotten, never kept alive.
//! - Every `LocalPool` and `TieredPool` registers (timed or not), so
//!   [`trim_all`] reaches every one that is alive: call it from a cgroup
//!   memory event, a signal handler's thread or an admin endpoint.
//!   `FixedPool` and `RingPool` keep a fixed set of items and have nothing
//!   to trim on a schedule.
//!
//! What a trim frees: idle items that sat unused through two trims in the
//! pool's shared part (the spill, which also holds what exited threads
//! left) at once, and in each live thread's cache at that thread's next get
//! or put. A live thread that stays idle keeps at most its cache
//! (`cache_size` items, 64 by default) until it exits or uses the pool.
//!
//! # Examples
//!
//! ```
//! use pool_engine::trimmer;
//!
//! // On memory pressure: trim every live pool of the process now.
//! let pools = trimmer::trim_all();
//! println!("trimmed {pools} pools");
//! assert!(!trimmer::is_running() || pools > 0, "a running trimmer serves a live pool");
//! ```
//!
//! A strategy crate registers its pools with [`register_trim`] and
//! implements [`Trim`] on the part the trimmer holds weakly.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

/// What the trimmer calls. Pools implement it on the part that the trimmer
/// holds weakly.
pub trait Trim: Send + Sync {
    /// Frees what the pool no longer needs (see the pool's `trim`).
    fn trim(&self);

    /// A trim run by the trimmer thread on the pool's schedule; pools count
    /// these separately. The default is [`trim`](Trim::trim).
    fn timed_trim(&self) {
        self.trim();
    }
}

/// Registers a pool: trimmed every `interval` (if `Some`) by the trimmer
/// thread, and by every [`trim_all`]. Starts the thread if it is needed and
/// not running.
///
/// # Panics
///
/// If the trimmer thread cannot be spawned (the OS refused a thread).
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicUsize, Ordering::Relaxed}};
/// use pool_engine::trimmer::{self, Trim};
///
/// struct Counting(AtomicUsize);
/// impl Trim for Counting {
///     fn trim(&self) {
///         self.0.fetch_add(1, Relaxed);
///     }
/// }
/// let pool: Arc<dyn Trim> = Arc::new(Counting(AtomicUsize::new(0)));
/// trimmer::register_trim(Arc::downgrade(&pool), None); // trim_all only, no schedule
/// assert!(trimmer::trim_all() >= 1);
/// ```
pub fn register_trim(pool: Weak<dyn Trim>, interval: Option<Duration>) {
    let mut reg = registry();
    let Some(interval) = interval.map(|i| i.max(MIN_INTERVAL)) else {
        // Dropped pools are forgotten when the list would grow: a process
        // that makes pools by the thousand pays a weak pointer for each
        // live one, and no scan per registration.
        prune_before_push(&mut reg.untimed, |p| p.strong_count() > 0);
        reg.untimed.push(pool);
        return;
    };
    prune_before_push(&mut reg.timed, |e| e.pool.strong_count() > 0);
    reg.timed.push(Registered {
        pool,
        interval,
        due: Instant::now().checked_add(interval),
    });
    if !reg.running {
        reg.running = true;
        let handle = std::thread::Builder::new()
            .name("pool-trimmer".into())
            .spawn(run)
            .expect("the trimmer thread could be spawned");
        // Under the registry lock: `wait_ended` takes the handle only once
        // `running` is false, that is, from the thread that ended.
        let old = THREAD
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(handle);
        drop(reg);
        // A previous trimmer that ended and was never joined.
        if let Some(old) = old {
            let _ = old.join();
        }
    } else {
        drop(reg);
        WAKE.notify_all();
    }
}

/// The room of a list of registered pools worth giving back once most of
/// its pools are gone (entries; 16 bytes each).
const SHRINK_FROM: usize = 1024;

/// Before a push onto a list of registered pools: where the list is full,
/// drops the entries of pools that are gone, then sizes it so that the
/// next such scan is as many registrations away as pools are left (at
/// least 4). Whatever the churn, a registration costs amortized O(1), and
/// a list of [`SHRINK_FROM`] entries or more holds at most about four
/// times the live pools' entries. Returns whether it scanned.
fn prune_before_push<E>(list: &mut Vec<E>, live: impl Fn(&E) -> bool) -> bool {
    if list.len() < list.capacity() {
        return false;
    }
    list.retain(live);
    let want = 2 * list.len().max(4);
    if list.capacity() >= SHRINK_FROM && list.capacity() > 4 * want {
        // Most were gone: give the room back (a large list only, so that
        // a registration seldom allocates).
        list.shrink_to(want);
    }
    list.reserve(want - list.len());
    true
}

/// A pool was dropped: lets the trimmer see it (and end if it was the last
/// timed one) now rather than at its next interval.
///
/// # Examples
///
/// ```
/// use pool_engine::trimmer;
///
/// // A pool's drop calls this; calling it again is harmless.
/// trimmer::forget_trim();
/// ```
pub fn forget_trim() {
    // Through the lock: the trimmer checks which pools are alive and then
    // waits without letting go of it, so a notification sent between the
    // two would be lost and the trimmer would sleep through the drop (for
    // ever, with a `Duration::MAX` interval). Taking the lock first means
    // the trimmer is either before its check (and sees the drop) or
    // already waiting (and wakes). No pool is dropped under this lock.
    drop(registry());
    WAKE.notify_all();
}

/// The shortest interval accepted: below it the trimmer would spin.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// A good first interval for a service: 10 s. Memory of a burst is back
/// within 20 s, and each pool is trimmed about once every 10 s, with the
/// pools due close to it (a trim of an idle pool is one atomic add and a
/// look at an empty queue).
/// Shorter intervals give memory back sooner at the price of refilling
/// caches that a steady load still uses.
pub const SUGGESTED_INTERVAL: Duration = Duration::from_secs(10);

/// A pool trimmed on a schedule.
struct Registered {
    pool: Weak<dyn Trim>,
    interval: Duration,
    /// Next timed trim; `None` when beyond `Instant`'s range.
    due: Option<Instant>,
}

struct Registry {
    /// Pools trimmed only by [`trim_all`].
    untimed: Vec<Weak<dyn Trim>>,
    timed: Vec<Registered>,
    /// A trimmer thread is running (or starting).
    running: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    untimed: Vec::new(),
    timed: Vec::new(),
    running: false,
});
/// Wakes the trimmer: a pool registered or was dropped.
static WAKE: Condvar = Condvar::new();
/// The trimmer thread, for [`wait_ended`] to join.
static THREAD: Mutex<Option<std::thread::JoinHandle<()>>> = Mutex::new(None);
/// Signalled when the trimmer thread ends.
static ENDED: Condvar = Condvar::new();

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Trims every live pool of the process now, timed or not; returns how
/// many were reached. For memory pressure: a cgroup event, a signal, an
/// admin endpoint. Each pool frees what sat idle through two trims, so
/// call it twice to free everything idle.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicUsize, Ordering::Relaxed}};
/// use pool_engine::trimmer::{self, Trim};
///
/// struct Counting(AtomicUsize);
/// impl Trim for Counting {
///     fn trim(&self) {
///         self.0.fetch_add(1, Relaxed);
///     }
/// }
/// let pool = Arc::new(Counting(AtomicUsize::new(0)));
/// let as_trim: Arc<dyn Trim> = pool.clone();
/// trimmer::register_trim(Arc::downgrade(&as_trim), None);
/// trimmer::trim_all();
/// trimmer::trim_all(); // twice: what sat idle through both is freed
/// assert_eq!(pool.0.load(Relaxed), 2);
/// ```
pub fn trim_all() -> usize {
    let pools: Vec<_> = {
        let mut reg = registry();
        reg.untimed.retain(|p| p.strong_count() > 0);
        reg.timed.retain(|e| e.pool.strong_count() > 0);
        reg.untimed
            .iter()
            .chain(reg.timed.iter().map(|e| &e.pool))
            .filter_map(Weak::upgrade)
            .collect()
    };
    for p in &pools {
        p.trim();
    }
    pools.len()
}

/// Whether the trimmer thread is running (for tests and diagnostics).
///
/// # Examples
///
/// ```
/// use pool_engine::trimmer;
///
/// // No pool with a trim interval was registered here: no thread.
/// assert!(!trimmer::is_running());
/// ```
pub fn is_running() -> bool {
    registry().running
}

/// Waits until the trimmer thread has ended and is joined (no live pool
/// needs it), at most `timeout`; true if it has. For tests and orderly
/// shutdowns.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use pool_engine::trimmer;
///
/// // Nothing timed is alive: the trimmer is not running, or ends now.
/// assert!(trimmer::wait_ended(Duration::from_secs(10)));
/// ```
pub fn wait_ended(timeout: Duration) -> bool {
    let reg = registry();
    let (reg, _) = ENDED
        .wait_timeout_while(reg, timeout, |r| r.running)
        .unwrap_or_else(PoisonError::into_inner);
    if reg.running {
        return false;
    }
    let handle = THREAD.lock().unwrap_or_else(PoisonError::into_inner).take();
    drop(reg);
    if let Some(handle) = handle {
        let _ = handle.join();
    }
    true
}

/// How early a timed pool may be trimmed, as a fraction of its interval:
/// pools due within an eighth of their interval of a wake are trimmed at
/// that wake, so that however many pools there are, the trimmer wakes
/// about eight times per interval (each wake looks at every timed pool),
/// not once per pool.
const COALESCE: u32 = 8;

/// The pools of `timed` due at `now` (or within their slack, see
/// [`COALESCE`]), their next trims set; and when the next one is due.
/// Each pool is trimmed between seven eighths of its interval and its
/// interval after its last trim, never later.
fn take_due(timed: &mut [Registered], now: Instant) -> (Vec<Weak<dyn Trim>>, Option<Instant>) {
    let mut due = Vec::new();
    let mut next: Option<Instant> = None;
    for e in timed {
        if let Some(at) = e.due {
            // Before the clock's range: no slack.
            let early = at.checked_sub(e.interval / COALESCE).unwrap_or(at);
            if early <= now {
                due.push(e.pool.clone());
                e.due = now.checked_add(e.interval);
            }
            if let Some(at) = e.due {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
    }
    (due, next)
}

/// The trimmer thread: trims each timed pool when it is due, sleeps until
/// the next one, ends when none is left.
fn run() {
    let mut reg = registry();
    loop {
        reg.timed.retain(|e| e.pool.strong_count() > 0);
        let now = Instant::now();
        let timed = !reg.timed.is_empty();
        let (due, next) = take_due(&mut reg.timed, now);
        if !timed {
            reg.running = false;
            drop(reg);
            ENDED.notify_all();
            return;
        }
        if !due.is_empty() {
            drop(reg);
            for pool in due {
                // Upgraded only for the trim: a pool dropped meanwhile is
                // freed here or by its owner, whichever lets go last.
                if let Some(pool) = pool.upgrade() {
                    pool.timed_trim();
                }
            }
            reg = registry();
            continue;
        }
        reg = match next {
            Some(at) => {
                WAKE.wait_timeout(reg, at.saturating_duration_since(now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            // Every timed pool's next trim is beyond `Instant`'s range.
            None => WAKE.wait(reg).unwrap_or_else(PoisonError::into_inner),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::{Registered, Trim, prune_before_push, take_due};
    use std::sync::{Arc, Weak};
    use std::time::{Duration, Instant};

    struct Nothing;
    impl Trim for Nothing {
        fn trim(&self) {}
    }

    #[test]
    fn pools_due_close_together_share_a_wake_and_none_is_trimmed_late() {
        let n = if cfg!(miri) { 50 } else { 1000 };
        let interval = Duration::from_secs(1);
        let pools: Vec<Arc<dyn Trim>> =
            (0..n).map(|_| Arc::new(Nothing) as Arc<dyn Trim>).collect();
        let start = Instant::now();
        // Registered one after another over one interval.
        let mut timed: Vec<Registered> = pools
            .iter()
            .enumerate()
            .map(|(k, p)| Registered {
                pool: Arc::downgrade(p),
                interval,
                due: Some(start + interval * k as u32 / n as u32 + interval),
            })
            .collect();
        let mut last: Vec<Instant> = timed.iter().map(|e| e.due.unwrap() - interval).collect();
        let (mut now, mut wakes, mut trims) = (start, 0, 0);
        // Ten intervals of the trimmer's loop, on a simulated clock that
        // jumps to each wake.
        while now < start + interval * 10 {
            let (due, next) = take_due(&mut timed, now);
            if !due.is_empty() {
                wakes += 1;
            }
            trims += due.len();
            for (e, l) in timed.iter().zip(&mut last) {
                if e.due == now.checked_add(interval) && *l != now {
                    let gap = now - *l;
                    assert!(gap <= interval, "trimmed late: {gap:?}");
                    assert!(gap >= interval * 7 / 8, "trimmed too early: {gap:?}");
                    *l = now;
                }
            }
            now = next.expect("a pool is due");
        }
        // One wake per pool and interval without coalescing (10 x n).
        assert!(
            wakes <= 10 * 9,
            "{wakes} wakes for {n} pools over ten intervals"
        );
        assert!(
            trims >= 9 * n,
            "every pool trimmed about once an interval: {trims}"
        );
    }

    #[test]
    fn a_pool_due_beyond_the_clock_is_never_due() {
        let pool: Arc<dyn Trim> = Arc::new(Nothing);
        let now = Instant::now();
        let mut timed = vec![Registered {
            pool: Arc::downgrade(&pool),
            interval: Duration::MAX,
            due: now.checked_add(Duration::MAX),
        }];
        let (due, next) = take_due(&mut timed, now);
        assert!(due.is_empty());
        assert_eq!(next, timed[0].due);
    }

    /// Fewer under Miri, where each registration is slow.
    const SCALE: u32 = if cfg!(miri) { 10 } else { 1 };

    #[test]
    fn churn_beside_many_live_pools_scans_rarely_and_keeps_the_list_small() {
        let live: Vec<Arc<u32>> = (0..1000 / SCALE).map(Arc::new).collect();
        let mut list: Vec<Weak<u32>> = Vec::new();
        let mut scans = 0;
        let mut push = |list: &mut Vec<Weak<u32>>, w: Weak<u32>| {
            scans += usize::from(prune_before_push(list, |p| p.strong_count() > 0));
            list.push(w);
        };
        for a in &live {
            push(&mut list, Arc::downgrade(a));
        }
        // Ten thousand pools made and dropped, one at a time.
        for i in 0..10_000 / SCALE {
            let gone = Arc::new(i);
            push(&mut list, Arc::downgrade(&gone));
        }
        // A scan each time the list doubles while the live ones arrive,
        // then one per as many registrations as pools are alive: not one
        // every few.
        assert!(scans <= 30, "{scans} scans");
        assert!(
            list.capacity() <= (4 * live.len()).max(super::SHRINK_FROM),
            "{}",
            list.capacity()
        );
        let alive = list.iter().filter(|p| p.strong_count() > 0).count();
        assert_eq!(alive, live.len(), "no live pool forgotten");
    }

    #[test]
    fn once_the_pools_are_gone_the_room_goes_too() {
        let many: Vec<Arc<u32>> = (0..10_000 / SCALE).map(Arc::new).collect();
        let mut list: Vec<Weak<u32>> = Vec::new();
        for a in &many {
            prune_before_push(&mut list, |p| p.strong_count() > 0);
            list.push(Arc::downgrade(a));
        }
        drop(many);
        for _ in 0..list.capacity() - list.len() + 1 {
            let gone = Arc::new(0);
            prune_before_push(&mut list, |p| p.strong_count() > 0);
            list.push(Arc::downgrade(&gone));
        }
        assert!(list.capacity() <= 64, "{}", list.capacity());
    }
}
