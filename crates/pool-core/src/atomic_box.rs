//! [`AtomicBox`]: an optional box that threads swap in and out with one
//! atomic instruction, for a per-thread slot that other threads may steal
//! from without a lock.

use std::fmt;
use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::Ordering::SeqCst;

#[cfg(pool_loom)]
use loom::sync::atomic::AtomicPtr;
#[cfg(not(pool_loom))]
use std::sync::atomic::AtomicPtr;

/// An `Option<Box<T>>` that can be swapped from several threads: each
/// [`swap`](Self::swap) and [`take`](Self::take) is one sequentially
/// consistent atomic exchange of the box's address, so every box has
/// exactly one owner at every moment (the cell or one caller). It never
/// hands out a reference to its content: a box moves in or out whole.
///
/// Every access is `SeqCst`: a thread that swaps a box in and then reads
/// another atomic with `SeqCst`, against a thread that writes that atomic
/// with `SeqCst` and then takes from the cell, cannot both miss each other
/// (the store-load pattern of a lock-free hand-off).
///
/// # Examples
///
/// ```
/// use pool_core::atomic_box::AtomicBox;
///
/// let slot = AtomicBox::new(Some(Box::new(7)));
/// std::thread::scope(|s| {
///     let stolen = s.spawn(|| slot.take()).join().unwrap();
///     assert_eq!(stolen.as_deref(), Some(&7));
/// });
/// assert!(slot.take().is_none());
/// assert!(slot.swap(Some(Box::new(8))).is_none());
/// assert!(slot.is_some());
/// ```
pub struct AtomicBox<T> {
    ptr: AtomicPtr<T>,
    /// Owns a `Box<T>`: dropped with the cell, `Send` as a box is.
    _owns: PhantomData<Option<Box<T>>>,
}

// SAFETY: the cell owns at most one `Box<T>`, and the only ways to reach
// it from a shared reference move the whole box out to the caller (an
// atomic exchange gives each box to exactly one thread). No `&T` is ever
// shared between threads through the cell, so sharing the cell needs only
// that `T` may move between threads, as for `Mutex<T>`.
#[allow(unsafe_code)]
unsafe impl<T: Send> Sync for AtomicBox<T> {}

impl<T> AtomicBox<T> {
    /// A cell holding `value`.
    pub fn new(value: Option<Box<T>>) -> Self {
        AtomicBox {
            ptr: AtomicPtr::new(into_raw(value)),
            _owns: PhantomData,
        }
    }

    /// Puts `value` in and returns what was there.
    #[inline]
    pub fn swap(&self, value: Option<Box<T>>) -> Option<Box<T>> {
        let old = self.ptr.swap(into_raw(value), SeqCst);
        // SAFETY: `old` came out of the cell by an atomic exchange, so this
        // thread is the only one holding it; every non-null address the
        // cell holds came from `Box::into_raw` (`into_raw`), and the box
        // was not freed since (only its one owner frees it).
        #[allow(unsafe_code)]
        unsafe {
            from_raw(old)
        }
    }

    /// Takes the box out, leaving the cell empty.
    #[inline]
    pub fn take(&self) -> Option<Box<T>> {
        self.swap(None)
    }

    /// Whether the cell holds a box now (a snapshot).
    #[inline]
    pub fn is_some(&self) -> bool {
        !self.ptr.load(SeqCst).is_null()
    }

    /// The box, if any, from a cell no other thread can reach (no atomic
    /// instruction: ownership proves it).
    #[inline]
    pub fn into_inner(mut self) -> Option<Box<T>> {
        self.take_mut()
    }

    /// Takes the box out through `&mut self`: a plain read and write.
    #[inline]
    fn take_mut(&mut self) -> Option<Box<T>> {
        #[cfg(not(pool_loom))]
        let old = std::mem::replace(self.ptr.get_mut(), ptr::null_mut());
        #[cfg(pool_loom)]
        let old = self.ptr.with_mut(|p| std::mem::replace(p, ptr::null_mut()));
        // SAFETY: `&mut self` makes this thread the cell's only user, so
        // it owns the box the cell held (see `swap`).
        #[allow(unsafe_code)]
        unsafe {
            from_raw(old)
        }
    }
}

impl<T> Default for AtomicBox<T> {
    fn default() -> Self {
        AtomicBox::new(None)
    }
}

impl<T> Drop for AtomicBox<T> {
    #[inline]
    fn drop(&mut self) {
        drop(self.take_mut());
    }
}

impl<T> fmt::Debug for AtomicBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicBox")
            .field("is_some", &self.is_some())
            .finish()
    }
}

fn into_raw<T>(value: Option<Box<T>>) -> *mut T {
    value.map_or(ptr::null_mut(), Box::into_raw)
}

/// # Safety
///
/// `p` is null or came from `Box::into_raw`, and the caller is its only
/// owner.
#[allow(unsafe_code)]
unsafe fn from_raw<T>(p: *mut T) -> Option<Box<T>> {
    // SAFETY: as the function's contract.
    (!p.is_null()).then(|| unsafe { Box::from_raw(p) })
}

#[cfg(all(test, not(pool_loom)))]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    /// Counts its drops, to prove each box is freed exactly once.
    struct Counted<'a>(&'a AtomicUsize);
    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    #[test]
    fn every_box_has_one_owner_and_is_freed_once() {
        let drops = AtomicUsize::new(0);
        let threads = 4;
        let rounds = if cfg!(miri) { 20 } else { 10_000 };
        let slot = AtomicBox::new(None);
        let barrier = Barrier::new(threads);
        let kept = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        let mut mine = Some(Box::new(Counted(&drops)));
                        let mut swaps = 0;
                        for _ in 0..rounds {
                            mine = slot.swap(mine);
                            swaps += usize::from(mine.is_some());
                        }
                        (mine, swaps)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .collect::<Vec<_>>()
        });
        let held = kept.iter().filter(|(b, _)| b.is_some()).count();
        assert_eq!(drops.load(Relaxed), 0, "nothing freed while owned");
        assert_eq!(
            held + usize::from(slot.is_some()),
            threads,
            "no box lost or duplicated"
        );
        drop(kept);
        drop(slot);
        assert_eq!(drops.load(Relaxed), threads, "each box freed once");
    }

    #[test]
    fn into_inner_and_drop_free_what_is_held() {
        let drops = AtomicUsize::new(0);
        let a = AtomicBox::new(Some(Box::new(Counted(&drops))));
        assert!(a.into_inner().is_some());
        assert_eq!(drops.load(Relaxed), 1);
        let b = AtomicBox::new(Some(Box::new(Counted(&drops))));
        drop(b);
        assert_eq!(drops.load(Relaxed), 2);
        let empty: AtomicBox<u8> = AtomicBox::default();
        assert!(!empty.is_some());
        assert_eq!(format!("{empty:?}"), "AtomicBox { is_some: false }");
    }
}
