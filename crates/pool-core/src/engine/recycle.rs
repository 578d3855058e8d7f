//! The hooks a guard calls to give its item back: the strategy
//! implementers' side of [`Pool`](crate::Pool).

/// What a pool does with an item its guard gives back, and with the ticket
/// a detached guard leaves: the half of [`Pool`](crate::Pool) that guards
/// call and users never do. A strategy implements both traits; users name
/// only `Pool` (`P: Pool<Item = Vec<u8>>` binds this trait's `Item`), and
/// these hooks stay out of their way unless this trait is imported.
///
/// # Examples
///
/// See [`Pool`](crate::Pool): its example implements both.
pub trait Recycle {
    /// What the pool hands out.
    type Item;

    /// What a guard keeps besides the item so that the pool can take it
    /// back: a generation for a pool that can be reset, a slot for a ring,
    /// a class for a size-class pool, or just the proof that the item came
    /// from the pool.
    ///
    /// Every pool of this family makes its ticket impossible to build or
    /// copy outside the pool (private fields, no `Clone`), so only its own
    /// guards ever hold one. That is what keeps the hooks below harmless:
    /// [`recycle`](Recycle::recycle), [`note_detached`](Recycle::note_detached)
    /// and [`Pooled::new`](crate::Pooled::new) cannot be called with an item the pool never
    /// handed out, and the counters stay exact. A strategy written outside
    /// this family should do the same.
    type Ticket: Send + Sync;

    /// Takes back an item whose guard dropped: resets it, then keeps it or
    /// drops it (and counts which). Guards call this with the ticket the
    /// item was handed out with; nobody else holds one.
    fn recycle(&self, item: Self::Item, ticket: Self::Ticket);

    /// Counts an item taken out for good by [`Pooled::detach`](crate::Pooled::detach) or
    /// [`OwnedPooled::detach`](crate::OwnedPooled::detach), and frees whatever its ticket held.
    fn note_detached(&self, ticket: Self::Ticket);

    /// The pool's leak tracker, if it was built with one: guards record
    /// their call site in it (the `leak-sites` feature; the default is
    /// none).
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&crate::leaks::LeakTracker> {
        None
    }
}
