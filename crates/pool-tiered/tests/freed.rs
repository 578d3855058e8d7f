//! What is not kept is freed, counted by the allocator: oversize buffers,
//! borrowed or owned, whatever the holder did through `DerefMut`, and
//! detached or frozen ones once their new owner lets go. The guards keep
//! their buffer in fields the drop glue never drops, so a path that forgot
//! to take it out would leak; this file would see it without a sanitizer.

use pool_testkit::{Counting, held_bytes};
use pool_tiered::{OwnedTieredBuf, TieredBuf, TieredPool};

#[global_allocator]
static COUNTING: Counting = Counting;

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
    let before = held_bytes();
    drop(pool.get(OVERSIZE));
    drop(pool.get_owned(OVERSIZE));
    assert_eq!(held_bytes(), before, "plain drops");

    let mut b = pool.get(OVERSIZE);
    b.shrink_to_fit();
    b.extend_from_slice(&[1; 100]);
    let mut o = pool.get_owned(OVERSIZE);
    std::mem::swap(&mut *b, &mut *o);
    drop((b, o));
    assert_eq!(held_bytes(), before, "after a shrink, a push and a swap");

    let mut b = pool.get(OVERSIZE);
    let taken = std::mem::take(&mut *b);
    drop(b);
    assert_eq!(
        held_bytes() - before,
        taken.capacity() as isize,
        "the taken one is the holder's"
    );
    drop(taken);
    assert_eq!(held_bytes(), before);
}

#[test]
fn detached_and_frozen_buffers_are_freed_by_their_new_owner() {
    let pool = warm();
    let before = held_bytes();
    let v = TieredBuf::detach(pool.get(OVERSIZE));
    let w = OwnedTieredBuf::detach(pool.get_owned(OVERSIZE));
    assert!(held_bytes() - before >= 2 * OVERSIZE as isize);
    drop((v, w));
    let frozen = pool.get(OVERSIZE).freeze();
    let copy = frozen.clone();
    drop(frozen);
    drop(copy);
    let frozen = pool.get_owned(OVERSIZE).freeze();
    drop(frozen);
    assert!(
        held_bytes() - before < 1024,
        "{} bytes still held",
        held_bytes() - before
    );

    // A class buffer taken for good leaves the pool: freed by its owner.
    let v = TieredBuf::detach(pool.get(4096));
    let capacity = v.capacity() as isize;
    let with = held_bytes();
    drop(v);
    assert_eq!(with - held_bytes(), capacity);
}
