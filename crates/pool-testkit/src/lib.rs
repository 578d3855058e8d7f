//! Test support shared by the pool crates' integration tests; not
//! published.
//!
//! [`Counting`] is a global allocator that passes every call on to the
//! system allocator and counts, per thread, the bytes held and the
//! allocations made, so that a test can tell what a pool costs, or that
//! a path freed what it should, without a sanitizer. The counts are per
//! thread because tests run in parallel: another test's allocations never
//! move this thread's figures.
//!
//! ```
//! use pool_testkit::{Counting, allocations, held_bytes};
//!
//! #[global_allocator]
//! static COUNTING: Counting = Counting;
//!
//! let (bytes, made) = (held_bytes(), allocations());
//! let v = vec![0u8; 1000];
//! assert_eq!(held_bytes() - bytes, 1000);
//! assert_eq!(allocations() - made, 1);
//! drop(v);
//! assert_eq!(held_bytes(), bytes);
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting the bytes and allocations of each
/// thread. Install it with `#[global_allocator]` in a test file; read the
/// counts with [`held_bytes`] and [`allocations`].
///
/// A block freed by another thread than the one that allocated it counts
/// on the thread that frees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counting;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread.
    static NET: Cell<isize> = const { Cell::new(0) };
    /// Allocations made by this thread.
    static MADE: Cell<usize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    // During thread-local destruction the counters may be gone: not counted.
    let _ = NET.try_with(|n| n.set(n.get() + bytes));
    if bytes > 0 {
        let _ = MADE.try_with(|n| n.set(n.get() + 1));
    }
}

/// A layout's size as a count (sizes never pass `isize::MAX`).
fn signed(layout: Layout) -> isize {
    isize::try_from(layout.size()).unwrap_or(isize::MAX)
}

// SAFETY: every call is passed on to `System` unchanged; the counting
// touches only thread-local `Cell`s with const initialisers, which never
// allocate. `realloc` and `alloc_zeroed` keep their default bodies, which
// go through `alloc` and `dealloc` and so are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(signed(layout));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-signed(layout));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Bytes this thread holds now: allocated minus freed since it started
/// (only where [`Counting`] is the global allocator; 0 elsewhere).
pub fn held_bytes() -> isize {
    NET.with(Cell::get)
}

/// Allocations this thread has made since it started (only where
/// [`Counting`] is the global allocator; 0 elsewhere).
pub fn allocations() -> usize {
    MADE.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static COUNTING: Counting = Counting;

    #[test]
    fn growing_and_shrinking_in_place_of_a_new_block_is_counted() {
        let (bytes, made) = (held_bytes(), allocations());
        let mut v: Vec<u64> = Vec::with_capacity(4);
        v.extend(0..100);
        assert_eq!(held_bytes() - bytes, (v.capacity() * 8) as isize);
        assert!(allocations() - made >= 2, "the growth reallocated");
        v.truncate(10);
        v.shrink_to_fit();
        assert_eq!(held_bytes() - bytes, (v.capacity() * 8) as isize);
        drop(v);
        assert_eq!(held_bytes(), bytes);
    }

    #[test]
    fn another_thread_counts_its_own() {
        let bytes = held_bytes();
        let v = std::thread::spawn(|| {
            let before = held_bytes();
            let v = vec![1u8; 4096];
            assert_eq!(held_bytes() - before, 4096);
            v
        })
        .join()
        .unwrap();
        // Allocated there, held here: this thread's count moves only when
        // it frees the block.
        let here = held_bytes();
        drop(v);
        assert_eq!(held_bytes(), here - 4096);
        assert!(held_bytes() < bytes, "a block from elsewhere freed here");
    }
}
