//! What is not kept is freed, counted by the allocator: oversize buffers,
//! borrowed or owned, whatever the holder did through `DerefMut`, and
//! detached or frozen ones once their new owner lets go. The guards keep
//! their buffer in fields the drop glue never drops, so a path that forgot
//! to take it out would leak; this file would see it without a sanitizer.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use pool_tiered::{OwnedTieredBuf, TieredBuf, TieredPool};

/// The system allocator, counting the bytes each thread holds.
struct Counting;

thread_local! {
    /// Bytes allocated minus bytes freed by this thread.
    static NET: Cell<isize> = const { Cell::new(0) };
}

fn count(bytes: isize) {
    // During thread-local destruction the counter may be gone: not counted.
    let _ = NET.try_with(|n| n.set(n.get() + bytes));
}

// SAFETY: every call is passed on to `System` unchanged; the counting
// touches only a thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Bytes this thread holds now.
fn held() -> isize {
    NET.with(Cell::get)
}

/// One byte over the largest default class (2 MiB).
const OVERSIZE: usize = (2 << 20) + 1;

/// A pool this thread has used once in every way, so that its per-thread
/// state (made at the first use, kept while the thread lives) is counted
/// before the figures the tests compare.
fn warm() -> TieredPool {
    let pool = TieredPool::new();
    drop(pool.get(OVERSIZE).freeze());
    drop(pool.get_owned(OVERSIZE).freeze());
    drop(pool.get(4096));
    pool
}

#[test]
fn oversize_buffers_are_freed_on_drop_whatever_the_holder_did() {
    let pool = warm();
    let before = held();
    drop(pool.get(OVERSIZE));
    drop(pool.get_owned(OVERSIZE));
    assert_eq!(held(), before, "plain drops");

    let mut b = pool.get(OVERSIZE);
    b.shrink_to_fit();
    b.extend_from_slice(&[1; 100]);
    let mut o = pool.get_owned(OVERSIZE);
    std::mem::swap(&mut *b, &mut *o);
    drop((b, o));
    assert_eq!(held(), before, "after a shrink, a push and a swap");

    let mut b = pool.get(OVERSIZE);
    let taken = std::mem::take(&mut *b);
    drop(b);
    assert_eq!(
        held() - before,
        taken.capacity() as isize,
        "the taken one is the holder's"
    );
    drop(taken);
    assert_eq!(held(), before);
}

#[test]
fn detached_and_frozen_buffers_are_freed_by_their_new_owner() {
    let pool = warm();
    let before = held();
    let v = TieredBuf::detach(pool.get(OVERSIZE));
    let w = OwnedTieredBuf::detach(pool.get_owned(OVERSIZE));
    assert!(held() - before >= 2 * OVERSIZE as isize);
    drop((v, w));
    let frozen = pool.get(OVERSIZE).freeze();
    let copy = frozen.clone();
    drop(frozen);
    drop(copy);
    let frozen = pool.get_owned(OVERSIZE).freeze();
    drop(frozen);
    assert!(
        held() - before < 1024,
        "{} bytes still held",
        held() - before
    );

    // A class buffer taken for good leaves the pool: freed by its owner.
    let v = TieredBuf::detach(pool.get(4096));
    let capacity = v.capacity() as isize;
    let with = held();
    drop(v);
    assert_eq!(with - held(), capacity);
}
