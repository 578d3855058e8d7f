//! loom models of the per-thread layer's slot hand-over
//! (`RUSTFLAGS="--cfg pool_loom" cargo test -p pool-core --release --lib
//! loom_`), each named for what it checks.

use super::*;
use loom::thread;
use std::sync::atomic::Ordering::SeqCst;

/// Items a thread holds; handed to `spill` when it exits.
struct Items {
    spill: Mutex<Vec<u32>>,
}

impl ThreadState for Items {
    type Owned = Vec<u32>;
    type Shared = AtomicUsize;
    fn new_owned(&self) -> Vec<u32> {
        Vec::new()
    }
    fn new_shared(&self) -> AtomicUsize {
        AtomicUsize::new(0)
    }
    fn thread_exited(&self, owned: Vec<u32>, shared: &AtomicUsize) {
        shared.fetch_add(owned.len(), SeqCst);
        lock(&self.spill).extend(owned);
    }
}

fn pool() -> PerThread<Items> {
    PerThread::new(Items {
        spill: Mutex::new(Vec::new()),
    })
}

/// A thread exits (hands its slot back) while another clears every
/// slot: each item ends in exactly one place.
#[test]
fn loom_exit_races_clear() {
    loom::model(|| {
        let mut pool = pool();
        let (index, slot) = pool.inner.assign();
        // SAFETY: the slot is alive while `pool` is, and only this
        // thread uses it until `release`.
        unsafe { &*slot }.owned.borrow_mut().extend([1, 2]);
        let inner = Arc::clone(&pool.inner);
        let exiting = thread::spawn(move || inner.release(index));
        let mut cleared = Vec::new();
        pool.for_each_owned(|_, owned, _| cleared.append(owned));
        exiting.join().unwrap();
        let mut all = cleared;
        all.extend(lock(&pool.global().spill).iter().copied());
        all.sort();
        assert_eq!(all, [1, 2], "every item exactly once");
        assert_eq!(pool.threads(), 0);
    });
}

/// A thread exits while a new thread takes a slot: the newcomer never
/// sees the leaver's items, and at most two slots exist.
#[test]
fn loom_exit_races_a_newcomer() {
    loom::model(|| {
        let pool = pool();
        let (index, slot) = pool.inner.assign();
        // SAFETY: as above.
        unsafe { &*slot }.owned.borrow_mut().push(7);
        let inner = Arc::clone(&pool.inner);
        let exiting = thread::spawn(move || inner.release(index));
        let (i, slot) = pool.inner.assign();
        // SAFETY: this thread owns the slot it was assigned until it
        // releases it.
        let seen = unsafe { &*slot }.owned.borrow().clone();
        pool.inner.release(i);
        exiting.join().unwrap();
        assert!(seen.is_empty(), "a slot is handed over empty: {seen:?}");
        assert_eq!(*lock(&pool.global().spill), [7]);
        assert_eq!(pool.threads(), 0);
        assert!(pool.slots() <= 2);
    });
}

// ----- owned references (`anchor`): the handle's drop racing releases -----

/// A shared part that counts its own drop: the pool's memory freed.
struct Freed(Arc<AtomicUsize>);

impl Drop for Freed {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

impl ThreadState for Freed {
    type Owned = ();
    type Shared = ();
    fn new_owned(&self) {}
    fn new_shared(&self) {}
    fn thread_exited(&self, (): (), (): &()) {}
}

fn freed_pool() -> (PerThread<Freed>, Arc<AtomicUsize>) {
    let freed = Arc::new(AtomicUsize::new(0));
    (PerThread::new(Freed(Arc::clone(&freed))), freed)
}

/// A reference taken on this thread, released on another while this one
/// drops the handle: the pool is freed exactly once, by whichever comes
/// last, and never while the other still uses it.
#[test]
fn loom_handle_drop_racing_a_release_on_another_thread_frees_once() {
    loom::model(|| {
        let (pool, freed) = freed_pool();
        let ((), held) = pool.with_anchor(|_| ());
        let releasing = thread::spawn(move || {
            held.release_with(|g, _| assert_eq!(g.0.load(SeqCst), 0, "used after free"));
        });
        drop(pool);
        releasing.join().unwrap();
        assert_eq!(freed.load(SeqCst), 1);
    });
}

/// The handle dropped on another thread while this one releases its own
/// reference (its slot's count goes from one to zero as the handle adds
/// up the slots).
#[test]
fn loom_release_on_the_taking_thread_racing_the_handle_drop_frees_once() {
    loom::model(|| {
        let (pool, freed) = freed_pool();
        let ((), held) = pool.with_anchor(|_| ());
        let dropping = thread::spawn(move || drop(pool));
        held.release_with(|g, _| assert_eq!(g.0.load(SeqCst), 0, "used after free"));
        dropping.join().unwrap();
        assert_eq!(freed.load(SeqCst), 1);
    });
}

/// Two references, taken on this thread, released on two others (their
/// slots' counts go below zero), the handle dropped here meanwhile.
#[test]
fn loom_two_releases_on_two_threads_racing_the_handle_drop_free_once() {
    loom::model(|| {
        let (pool, freed) = freed_pool();
        let ((), a) = pool.with_anchor(|_| ());
        let ((), b) = pool.with_anchor(|_| ());
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(move || drop(b));
        drop(pool);
        ta.join().unwrap();
        tb.join().unwrap();
        assert_eq!(freed.load(SeqCst), 1);
    });
}

/// A reference counted without a slot (by a thread whose thread-locals
/// are being destroyed: centrally from the start), released on a thread
/// with a slot while the handle adds up the slots and another reference
/// is still out: the central count must not reach zero early (the bias
/// is what prevents it).
#[test]
fn loom_a_reference_counted_without_a_slot_never_frees_early() {
    loom::model(|| {
        let (pool, freed) = freed_pool();
        anchor::take_in(&pool.inner, None);
        let slotless = anchor::PerThreadRef::counted(&pool);
        let ((), held) = pool.with_anchor(|_| ());
        let releasing = thread::spawn(move || drop(slotless));
        drop(pool);
        held.release_with(|g, _| assert_eq!(g.0.load(SeqCst), 0, "used after free"));
        releasing.join().unwrap();
        assert_eq!(freed.load(SeqCst), 1);
    });
}

/// A reference taken through another reference's ghost (as an owned
/// guard's pool takes one, with no handle): counted centrally, while the
/// handle's drop adds up the slots. Freed once, after both.
#[test]
fn loom_a_reference_taken_through_a_ghost_racing_the_handle_drop_frees_once() {
    loom::model(|| {
        let (pool, freed) = freed_pool();
        let ((), held) = pool.with_anchor(|_| ());
        let taking = thread::spawn(move || {
            let ((), second) = held.pool().with_anchor(|_| ());
            drop(held);
            second.release_with(|g, _| assert_eq!(g.0.load(SeqCst), 0, "used after free"));
        });
        drop(pool);
        taking.join().unwrap();
        assert_eq!(freed.load(SeqCst), 1);
    });
}

/// The only reference, counted without a slot, released on a thread with
/// one (its slot's count goes below zero, with plain stores) while the
/// handle drops: the handle's drop must still wait the release out,
/// though no slot ever counted a take.
#[test]
fn loom_a_lone_slotless_reference_released_in_a_slot_racing_the_handle_drop_frees_once() {
    loom::model(|| {
        let (pool, freed) = freed_pool();
        anchor::take_in(&pool.inner, None);
        let slotless = anchor::PerThreadRef::counted(&pool);
        let releasing = thread::spawn(move || {
            slotless.release_with(|g, slot| {
                assert!(slot.is_some(), "released in a slot");
                assert_eq!(g.0.load(SeqCst), 0, "used after free");
            });
        });
        drop(pool);
        releasing.join().unwrap();
        assert_eq!(freed.load(SeqCst), 1);
    });
}
