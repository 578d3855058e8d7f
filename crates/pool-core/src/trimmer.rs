//! Memory that comes back by itself: one process-wide trimmer thread for
//! every pool that asked for timed trimming, and [`trim_all`] for a
//! service to call on memory pressure.
//!
//! Go's `sync.Pool` gives idle items back at every garbage collection; here
//! a pool built with a trim interval (`trim_interval` on the `LocalPool`
//! and `TieredPool` builders; [`SUGGESTED_INTERVAL`] is a good start) is
//! trimmed by one background thread every interval, so a burst's peak goes
//! away after two intervals without anyone calling `trim`.
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
//! use pool_core::trimmer;
//!
//! // On memory pressure: trim every live pool of the process now.
//! let pools = trimmer::trim_all();
//! println!("trimmed {pools} pools");
//! assert!(!trimmer::is_running() || pools > 0, "a running trimmer serves a live pool");
//! ```
//!
//! A strategy crate registers its pools with
//! [`engine::register_trim`](crate::engine::register_trim).

pub use crate::engine::trimmer::{
    MIN_INTERVAL, SUGGESTED_INTERVAL, is_running, trim_all, wait_ended,
};
