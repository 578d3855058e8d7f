//! What a class is made of, and how an item enters it.

use crate::limits::ClassLimits;

/// How an item came to [`Engine::put`](crate::Engine::put): returned by a
/// guard, or adopted (never handed out); it decides what is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// It was handed out by [`Engine::take`](crate::Engine::take) and comes back: counted as a
    /// return when kept, as a discard (with its reason) when dropped.
    Returned,
    /// The pool never handed it out (a user's `put`, a prefill): counted
    /// as prefilled when kept, not counted when dropped (it was never out).
    Adopted,
}

/// A class's limits and the factory that makes its items on a miss.
pub type ClassSpec<T> = (ClassLimits, Box<dyn Fn() -> T + Send + Sync>);
