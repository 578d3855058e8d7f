//! Asymmetric fences: a cheap one for a hot path, an expensive one for a
//! rare path, that order memory between the two as a pair of `SeqCst`
//! fences would.
//!
//! The per-thread layer needs a store-then-load order (Dekker's pattern)
//! on every owned guard's drop: the dropping thread marks its slot busy,
//! then reads whether the pool's handle is gone; the handle's drop marks
//! the pool gone, then reads the slots. With symmetric fences (or a
//! read-modify-write, which is one on x86-64) the guard's drop pays a
//! store-buffer drain every time, a large part of what an owned guard
//! costs over a borrowed one. Here the drop pays a compiler fence
//! ([`light`]) and the handle's drop, once per pool, asks the kernel to
//! run a full fence on every CPU that runs one of the process's threads
//! ([`heavy`]: Linux's `membarrier`, as folly's
//! `asymmetricHeavyBarrier` and liburcu's membarrier flavour do). Either the light
//! side's load runs after that fence, and sees the heavy side's store, or
//! its store ran before, and the heavy side's load sees it.
//!
//! Where `membarrier` is not available (other systems, a kernel without
//! it, a sandbox that refuses it, Miri and loom), both sides are `SeqCst`
//! fences: correct, and as costly as before.
//!
//! # Examples
//!
//! Dekker's pattern: of two threads that each store their flag, fence,
//! then read the other's, at least one sees the other's store.
//!
//! ```
//! use pool_engine::barrier;
//! use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
//!
//! static HOT: AtomicBool = AtomicBool::new(false);
//! static RARE: AtomicBool = AtomicBool::new(false);
//!
//! barrier::prepare(); // optional: makes the first lights cheap too
//! let hot = std::thread::spawn(|| {
//!     HOT.store(true, Relaxed);
//!     barrier::light(); // a compiler fence where `membarrier` is granted
//!     RARE.load(Relaxed)
//! });
//! RARE.store(true, Relaxed);
//! barrier::heavy(); // a system call where `membarrier` is granted
//! let rare_saw = HOT.load(Relaxed);
//! let hot_saw = hot.join().unwrap();
//! assert!(hot_saw || rare_saw);
//! ```

use crate::sync::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

/// Linux: `membarrier` where the kernel grants it, else fences.
#[cfg(all(target_os = "linux", not(pool_loom), not(miri)))]
mod imp {
    use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, SeqCst};
    use std::sync::atomic::{AtomicU8, compiler_fence, fence};

    /// The mode [`prepare`] chose: not yet (lights are full fences),
    /// symmetric fences, or `membarrier`.
    const UNKNOWN: u8 = 0;
    const FENCES: u8 = 1;
    const MEMBARRIER: u8 = 2;

    /// Moves once, from `UNKNOWN` to one of the others, and never again.
    static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

    /// `membarrier(2)` commands (linux/membarrier.h).
    const CMD_GLOBAL: libc::c_int = 1;
    const CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    fn membarrier(cmd: libc::c_int) -> bool {
        // SAFETY: `membarrier` takes two integers (and a CPU id, unused
        // without MEMBARRIER_CMD_FLAG_CPU) and touches no memory of ours;
        // an unknown command or a refusal is an error return, nothing more.
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd,
                0 as libc::c_uint,
                0 as libc::c_int,
            ) == 0
        }
    }

    #[inline]
    pub(super) fn prepare() {
        if MODE.load(Acquire) != UNKNOWN {
            return;
        }
        prepare_slow();
    }

    #[cold]
    #[inline(never)]
    fn prepare_slow() {
        let mode = if membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) {
            MEMBARRIER
        } else {
            FENCES
        };
        // The first choice stands: lights already run under it.
        let _ = MODE.compare_exchange(UNKNOWN, mode, AcqRel, Acquire);
    }

    #[inline]
    pub(super) fn asymmetric() -> bool {
        prepare();
        MODE.load(Relaxed) == MEMBARRIER
    }

    #[inline(always)]
    pub(super) fn light() {
        if MODE.load(Relaxed) == MEMBARRIER {
            compiler_fence(SeqCst);
        } else {
            fence(SeqCst);
        }
    }

    pub(super) fn heavy() {
        // The mode is final from here on: a light that skipped its fence
        // read `MEMBARRIER`, and so does this.
        prepare();
        if MODE.load(Relaxed) != MEMBARRIER {
            fence(SeqCst);
            return;
        }
        // The system call is a full fence on this CPU too; this keeps the
        // compiler from moving the caller's accesses across it.
        compiler_fence(SeqCst);
        // Registered, so this cannot be refused; the global command (no
        // registration, slower) is a second way all the same.
        if !membarrier(CMD_PRIVATE_EXPEDITED) && !membarrier(CMD_GLOBAL) {
            // Lights ran as compiler fences only, so no fence here would
            // do: the caller must not go on (its pool is leaked, never
            // freed early).
            panic!(
                "membarrier(2) failed after registering: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Elsewhere, and under Miri and loom: symmetric fences.
#[cfg(not(all(target_os = "linux", not(pool_loom), not(miri))))]
mod imp {
    #[cfg(pool_loom)]
    use loom::sync::atomic::fence;
    use std::sync::atomic::Ordering::SeqCst;
    #[cfg(not(pool_loom))]
    use std::sync::atomic::fence;

    #[inline]
    pub(super) fn prepare() {}

    #[inline]
    pub(super) fn asymmetric() -> bool {
        false
    }

    #[inline(always)]
    pub(super) fn light() {
        fence(SeqCst);
    }

    pub(super) fn heavy() {
        fence(SeqCst);
    }
}

/// Chooses how the fences work, once per process (on Linux, registers
/// for `membarrier`: one system call). Until then [`light`] is a full
/// fence; call it where a hot path's structure is made (the per-thread
/// layer does, in [`PerThread::new`](super::per_thread::PerThread::new)).
/// Needed for speed only, never for correctness.
#[inline]
pub fn prepare() {
    imp::prepare();
}

/// Whether [`light`] is only a compiler fence here ([`prepare`]s the
/// fences first): true where `membarrier` is granted. A hot path that has
/// a cheaper way than a `SeqCst` fence to order its store and load (a
/// read-modify-write) keeps it where this is false.
///
/// # Examples
///
/// ```
/// use pool_engine::barrier;
///
/// if !barrier::asymmetric() {
///     // `light` is a full fence here: as costly as `heavy`.
/// }
/// ```
#[inline]
pub fn asymmetric() -> bool {
    imp::asymmetric()
}

/// The hot side: between a store and a load that must not pass it, in a
/// pattern whose other side uses [`heavy`]. A compiler fence where
/// `membarrier` is granted, else a `SeqCst` fence.
#[inline(always)]
pub fn light() {
    imp::light();
}

/// The rare side: between a store and a load that must not pass it, and
/// that no [`light`]-separated store and load on another thread may pass
/// either (one of the two loads sees the other side's store). A system
/// call where `membarrier` is granted (microseconds: for paths that run
/// once per pool, say), else a `SeqCst` fence. Not for a path that runs
/// often under load: it interrupts every CPU running one of the process's
/// threads (which is why pool-fixed's waiters park with a swap instead of
/// fencing this way before they sleep).
///
/// # Panics
///
/// If `membarrier` fails after registering for it succeeded, which the
/// kernel does not do: the caller unwinds rather than go on unordered.
pub fn heavy() {
    imp::heavy();
}

/// The two flags of the pattern as the pools use it: hot paths that
/// [`note_use`](Gate::note_use) a structure, then each time they let go
/// of a part of it, mark that part, and check whether the structure's
/// owner has [`close`](Gate::close)d it; the owner closes it once, then
/// reads the marks.
///
/// `close` fences with [`heavy`] only if a use was noted, so a structure
/// no hot path used is closed for the price of a store. For that, every
/// `note_use` must happen before `close` (both made through the owner, as
/// an owned guard is taken through its pool's handle). Making a gate
/// calls [`prepare`].
///
/// # Examples
///
/// A guard's drop marks its slot busy, then checks the gate; the handle's
/// drop closes it, then reads the slot. At least one of them sees the
/// other:
///
/// ```
/// use pool_engine::barrier::Gate;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
///
/// let gate = Arc::new(Gate::new());
/// let busy = Arc::new(AtomicBool::new(false));
/// gate.note_use(); // taken through the owner, before it closes
/// let (g, b) = (Arc::clone(&gate), Arc::clone(&busy));
/// let guard_drop = std::thread::spawn(move || {
///     b.store(true, Relaxed);
///     g.closed_after_fence()
/// });
/// let must_read = gate.close();
/// assert!(must_read, "a use was noted");
/// let owner_saw = busy.load(Relaxed);
/// let guard_saw = guard_drop.join().unwrap();
/// assert!(owner_saw || guard_saw);
/// ```
#[derive(Debug)]
pub struct Gate {
    /// A hot path used the structure; written once.
    used: AtomicBool,
    /// The owner closed it; written once.
    closed: AtomicBool,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    /// An open gate, no use noted; [`prepare`]s the fences.
    pub fn new() -> Self {
        prepare();
        Gate {
            used: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    /// Notes that a hot path may later call
    /// [`closed_after_fence`](Self::closed_after_fence); must happen
    /// before [`close`](Self::close). A load, and a store the first time
    /// only: the line stays read-mostly.
    #[inline(always)]
    pub fn note_use(&self) {
        if !self.used.load(Relaxed) {
            self.used.store(true, Relaxed);
        }
    }

    /// The hot side, after its mark: a [`light`] fence, then whether the
    /// owner has closed the gate. If not, the owner's read after its
    /// [`close`](Self::close) sees the mark.
    #[inline(always)]
    pub fn closed_after_fence(&self) -> bool {
        light();
        self.closed.load(Relaxed)
    }

    /// The owner's side, once: closes the gate and, if a use was noted,
    /// fences with [`heavy`] and returns true: the caller then reads the
    /// hot sides' marks (waiting out those under way). False: no hot side
    /// ran, no mark to read.
    ///
    /// # Panics
    ///
    /// As [`heavy`].
    pub fn close(&self) -> bool {
        self.closed.store(true, Relaxed);
        let used = self.used.load(Relaxed);
        if used {
            heavy();
        }
        used
    }
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use std::sync::atomic::Ordering::Relaxed;

    /// Dekker's pattern, many times over: the light side stores its flag
    /// then reads the other's; the heavy side does the same. At least one
    /// of the two must see the other's store in every round (with no
    /// fences at all, x86-64's store buffer lets both miss).
    #[test]
    fn a_light_and_a_heavy_fence_never_both_miss() {
        prepare();
        let rounds = if cfg!(miri) { 20 } else { 2000 };
        for _ in 0..rounds {
            let a = Arc::new(AtomicBool::new(false));
            let b = Arc::new(AtomicBool::new(false));
            let barrier = Arc::new(std::sync::Barrier::new(2));
            let (a2, b2, barrier2) = (Arc::clone(&a), Arc::clone(&b), Arc::clone(&barrier));
            let light_side = std::thread::spawn(move || {
                barrier2.wait();
                a2.store(true, Relaxed);
                light();
                b2.load(Relaxed)
            });
            barrier.wait();
            b.store(true, Relaxed);
            heavy();
            let heavy_saw = a.load(Relaxed);
            let light_saw = light_side.join().unwrap();
            assert!(
                light_saw || heavy_saw,
                "both sides missed the other's store"
            );
        }
    }

    /// A gate tells its closer whether to read the hot sides' marks: only
    /// if a use was noted; and in every round, either the hot side finds
    /// it closed or the closer sees the hot side's mark.
    #[test]
    fn a_gate_asks_for_the_marks_only_after_a_use_and_never_both_miss() {
        let unused = Gate::new();
        assert!(!unused.closed_after_fence(), "open until closed");
        assert!(!unused.close(), "no use noted: nothing to read");
        assert!(unused.closed_after_fence(), "closed after close");

        let rounds = if cfg!(miri) { 20 } else { 2000 };
        for _ in 0..rounds {
            let gate = Arc::new(Gate::new());
            let mark = Arc::new(AtomicBool::new(false));
            gate.note_use();
            let barrier = Arc::new(std::sync::Barrier::new(2));
            let (g, m, b) = (Arc::clone(&gate), Arc::clone(&mark), Arc::clone(&barrier));
            let hot = std::thread::spawn(move || {
                b.wait();
                m.store(true, Relaxed);
                g.closed_after_fence()
            });
            barrier.wait();
            assert!(gate.close(), "a use was noted: the marks must be read");
            let closer_saw = mark.load(Relaxed);
            let hot_saw = hot.join().unwrap();
            assert!(hot_saw || closer_saw, "both sides missed the other");
        }
    }
}
