//! A guard's record in its pool's [`LeakTracker`], for strategies: what
//! every guard type holds, and the body of every pool's
//! `outstanding_sites()`. Users reach the tracker through
//! [`crate::leaks`]; this half is the strategy implementers'.

use std::panic::Location;

use crate::leaks::{LeakTracker, Outstanding};

/// What `tracker` holds, or nothing: the body of every strategy's
/// `outstanding_sites()` (a pool built without a tracker has nothing to say).
pub fn outstanding_sites(tracker: Option<&LeakTracker>) -> Outstanding {
    tracker
        .map(LeakTracker::outstanding_sites)
        .unwrap_or_default()
}

/// A guard's record in its pool's tracker, for every guard type of every
/// strategy: the record's id with the `leak-sites` feature (0 when the pool
/// has no tracker), nothing at all without it.
#[derive(Debug, Default)]
pub struct Site(#[cfg(feature = "leak-sites")] u64);

impl Site {
    /// Records the caller's location in `tracker`, if there is one.
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn record(tracker: Option<&LeakTracker>) -> Site {
        Site::record_at(tracker, Location::caller())
    }

    /// Records `at` (where a future that resolves to the guard was made).
    #[inline]
    pub fn record_at(tracker: Option<&LeakTracker>, at: &'static Location<'static>) -> Site {
        #[cfg(feature = "leak-sites")]
        let site = Site(tracker.map_or(0, |t| t.record(at)));
        #[cfg(not(feature = "leak-sites"))]
        let site = {
            let _ = (tracker, at);
            Site()
        };
        site
    }

    /// Forgets the record, once (the guard came back or left for good).
    #[inline]
    pub fn release(&mut self, tracker: Option<&LeakTracker>) {
        #[cfg(feature = "leak-sites")]
        if self.0 != 0
            && let Some(t) = tracker
        {
            t.release(std::mem::take(&mut self.0));
        }
        #[cfg(not(feature = "leak-sites"))]
        let _ = tracker;
    }
}
