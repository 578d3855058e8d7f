//! [`PerThread::with`] under loom: loom threads share std's thread-locals,
//! so each model thread finds its slots through loom's own
//! `thread_local!`, with no cache in front. Model threads never hand their
//! slots back (loom drops thread-locals outside the model, where no loom
//! lock may be taken); the hand-back itself is modelled directly in
//! `loom_tests` (`loom_exit_*`).

use std::cell::RefCell;

use super::{PerThread, Slot, ThreadState};

loom::thread_local! {
    static OWNER: RefCell<Vec<(u64, *const ())>> = RefCell::new(Vec::new());
}

impl<G: ThreadState> PerThread<G> {
    /// As without loom: the calling (model) thread's slot.
    pub fn with<R>(&self, f: impl FnOnce(Option<&Slot<G>>) -> R) -> R {
        let ptr = OWNER.with(|owner| {
            let Ok(mut entries) = owner.try_borrow_mut() else {
                return std::ptr::null();
            };
            if let Some(e) = entries.iter().find(|e| e.0 == self.id()) {
                return e.1;
            }
            let (_, slot) = self.inner.assign();
            entries.push((self.id(), slot.cast()));
            slot.cast()
        });
        // SAFETY: as without loom: the slot is this model thread's for
        // as long as the pool (which the caller borrows) lives.
        f(unsafe { ptr.cast::<Slot<G>>().as_ref() })
    }
}
