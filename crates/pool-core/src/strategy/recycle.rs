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

    /// What an [`OwnedPooled`](crate::OwnedPooled) holds in place of the
    /// pool: it keeps the pool's memory alive until the guard drops, on
    /// any thread, and takes the item back. `Arc<Self>` for a strategy
    /// without one of its own (an `Arc` clone per owned get); the
    /// per-thread pools count theirs per thread instead
    /// (`pool_engine::EngineRef`).
    type Anchor: Anchor<Item = Self::Item, Ticket = Self::Ticket>;

    /// An anchor for an owned guard taken through `self`
    /// (`Arc::clone(self)` for a strategy whose anchor is `Arc<Self>`).
    fn anchor(self: &std::sync::Arc<Self>) -> Self::Anchor;

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

/// What an owned guard holds in place of its pool (a [`Recycle::Anchor`]):
/// it keeps the pool's memory alive, and is consumed when the guard gives
/// its item back or detaches it.
///
/// `Arc<P>` is one, for every pool `P`; the per-thread pools use an
/// `pool_engine::EngineRef`, which outlives the pool's
/// handle without a shared counter.
///
/// # Examples
///
/// See [`Pool`](crate::Pool): its example uses `Arc<Self>`.
pub trait Anchor: Send + Sync + Sized {
    /// What the pool hands out.
    type Item;
    /// As [`Recycle::Ticket`].
    type Ticket;

    /// As [`Recycle::recycle`], through the anchor, which is used up.
    fn recycle(self, item: Self::Item, ticket: Self::Ticket);

    /// As [`Recycle::note_detached`], through the anchor, which is used up.
    fn note_detached(self, ticket: Self::Ticket);

    /// As [`Recycle::leak_tracker`].
    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&crate::leaks::LeakTracker> {
        None
    }
}

impl<P: Recycle + Send + Sync> Anchor for std::sync::Arc<P> {
    type Item = P::Item;
    type Ticket = P::Ticket;

    #[inline]
    fn recycle(self, item: P::Item, ticket: P::Ticket) {
        (*self).recycle(item, ticket);
    }

    fn note_detached(self, ticket: P::Ticket) {
        (*self).note_detached(ticket);
    }

    #[cfg(feature = "leak-sites")]
    fn leak_tracker(&self) -> Option<&crate::leaks::LeakTracker> {
        (**self).leak_tracker()
    }
}
