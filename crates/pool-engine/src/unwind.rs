//! [`OnUnwind`]: the one guard the strategies use to keep their books
//! straight when user code (a factory, `Reset::reset`, `Reset::heap_bytes`)
//! panics in the middle of a get or a put.

use std::fmt;

/// Runs `f(value)` if dropped while armed, that is when the code between
/// [`OnUnwind::new`] and [`OnUnwind::disarm`] unwinds; `disarm` hands the
/// value back instead. The value is what the clean-up needs and the happy
/// path keeps (a claimed slot, say); `()` when there is none.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::panic::{AssertUnwindSafe, catch_unwind};
/// use pool_engine::OnUnwind;
///
/// let panicked = Cell::new(0);
/// let step = |fail: bool| {
///     let guard = OnUnwind::new((), |()| panicked.set(panicked.get() + 1));
///     assert!(!fail, "user code failed");
///     guard.disarm();
/// };
/// step(false);
/// assert_eq!(panicked.get(), 0);
/// assert!(catch_unwind(AssertUnwindSafe(|| step(true))).is_err());
/// assert_eq!(panicked.get(), 1);
///
/// // With a value: the happy path gets it back.
/// let claim = OnUnwind::new(String::from("slot 3"), |s| drop(s));
/// assert_eq!(claim.disarm(), "slot 3");
/// ```
#[must_use = "an unwind guard does its work when dropped or disarmed"]
pub struct OnUnwind<V, F: FnOnce(V)> {
    armed: Option<(V, F)>,
}

impl<V, F: FnOnce(V)> OnUnwind<V, F> {
    /// Arms the guard with `value` and the clean-up `f`.
    #[inline]
    pub fn new(value: V, f: F) -> Self {
        OnUnwind {
            armed: Some((value, f)),
        }
    }

    /// The code it guarded finished: returns the value, runs nothing.
    #[inline]
    pub fn disarm(mut self) -> V {
        match self.armed.take() {
            Some((value, _)) => value,
            None => unreachable!("a guard is disarmed once"),
        }
    }

    /// The value, while armed.
    #[inline]
    pub fn value_mut(&mut self) -> &mut V {
        match &mut self.armed {
            Some((value, _)) => value,
            None => unreachable!("the value is there until disarmed"),
        }
    }
}

impl<V, F: FnOnce(V)> Drop for OnUnwind<V, F> {
    #[inline]
    fn drop(&mut self) {
        if let Some((value, f)) = self.armed.take() {
            f(value);
        }
    }
}

impl<V, F: FnOnce(V)> fmt::Debug for OnUnwind<V, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnUnwind")
            .field("armed", &self.armed.is_some())
            .finish()
    }
}
