//! loom models of the engine's byte budget (`RUSTFLAGS="--cfg pool_loom"
//! cargo test -p pool-core --release --lib loom_`), each named for what it
//! checks; the per-thread layer's are in `per_thread/loom_tests.rs`.

use crate::budget::ByteBudget;
use loom::sync::Arc;
use loom::sync::atomic::AtomicUsize as LoomUsize;
use loom::thread;
use std::sync::atomic::Ordering::Relaxed;

/// Two threads reserving and releasing never hold more than the cap
/// between them, and every byte comes back.
#[test]
fn loom_reservations_never_exceed_cap() {
    loom::model(|| {
        let budget = Arc::new(ByteBudget::new(100));
        let held = Arc::new(LoomUsize::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (budget, held) = (Arc::clone(&budget), Arc::clone(&held));
                thread::spawn(move || {
                    let got = budget.reserve_up_to(40, 60);
                    let now = held.fetch_add(got, Relaxed) + got;
                    assert!(now <= 100, "{now} bytes reserved under a cap of 100");
                    held.fetch_sub(got, Relaxed);
                    budget.release(got);
                    got
                })
            })
            .collect();
        let got: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        // Each thread got its whole chunk or, when the other held one,
        // exactly what it needed: never nothing, never more than fits.
        assert!(got.iter().all(|&g| g == 40 || g == 60), "{got:?}");
        assert_eq!(budget.available(), 100);
    });
}

/// Two threads arrive (the chunk shrinks), reserve, and exit handing
/// their credit back, racing each other: neither is refused while the
/// other's credit is idle beyond what the cap allows, and at the end
/// every byte and the one-thread chunk are back.
#[test]
fn loom_credit_comes_back_at_thread_exit() {
    loom::model(|| {
        let budget = Arc::new(ByteBudget::new(64));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let budget = Arc::clone(&budget);
                thread::spawn(move || {
                    budget.attach();
                    let chunk = budget.chunk();
                    assert!(chunk == 4 || chunk == 2, "cap / (16 x threads): {chunk}");
                    // One item of 16 bytes: fits whatever the other holds
                    // (at most 4 of credit plus its item).
                    let got = budget.reserve_up_to(16, 16usize.max(chunk));
                    assert!(got >= 16, "refused with the cap mostly idle");
                    // Exit: the item was trimmed and the credit goes back.
                    budget.release(got);
                    budget.detach();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(budget.available(), 64);
        assert_eq!(budget.chunk(), 4);
    });
}

/// A reservation that fails leaves the budget untouched, whatever runs
/// beside it.
#[test]
fn loom_failed_reserve_takes_nothing() {
    loom::model(|| {
        let budget = Arc::new(ByteBudget::new(10));
        let b2 = Arc::clone(&budget);
        let t = thread::spawn(move || {
            let got = b2.reserve_up_to(10, 10);
            b2.release(got);
            got
        });
        let mine = budget.reserve_up_to(10, 10);
        let theirs = t.join().unwrap();
        assert!(mine + theirs <= 20);
        budget.release(mine);
        assert_eq!(budget.available(), 10);
    });
}
