//! Guards: the only way to reach a pooled item.

use std::fmt;
use std::io;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use crate::leaks::LeakTracker;
use crate::strategy::recycle::{Anchor, Recycle};
use crate::strategy::site::Site;
use crate::strategy::words::take_words;

/// `pool`'s tracker (none without the `leak-sites` feature).
#[inline]
fn tracker_of<P: Recycle>(_pool: &P) -> Option<&LeakTracker> {
    #[cfg(feature = "leak-sites")]
    let tracker = _pool.leak_tracker();
    #[cfg(not(feature = "leak-sites"))]
    let tracker = None;
    tracker
}

/// An item on loan from a pool that it borrows; dropping the guard resets
/// the item and gives it back.
///
/// # Examples
///
/// See [`Pool`](crate::Pool) and the strategy crates; a guard derefs to the item:
///
/// ```
/// # use pool_core::{Pool, PoolError, Pooled, Stats, Reset};
/// # #[derive(Default)] struct One(std::sync::Mutex<Vec<String>>);
/// # impl pool_core::strategy::Recycle for One {
/// #     type Item = String;
/// #     type Ticket = ();
/// #     type Anchor = std::sync::Arc<Self>;
/// #     fn anchor(self: &std::sync::Arc<Self>) -> std::sync::Arc<Self> { std::sync::Arc::clone(self) }
/// #     fn recycle(&self, mut s: String, _: ()) { s.reset(); self.0.lock().unwrap().push(s) }
/// #     fn note_detached(&self, _: ()) {}
/// # }
/// #
/// # impl Pool for One {
/// #     fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
/// #         Ok(Pooled::new(self.0.lock().unwrap().pop().unwrap_or_default(), (), self))
/// #     }
/// #     fn stats(&self) -> Stats { Stats::default() }
/// # }
/// # let pool = One::default();
/// let mut s = pool.try_get()?;
/// s.push_str("kept?");
/// let kept: String = Pooled::detach(s);
/// assert_eq!(kept, "kept?");
/// # Ok::<(), PoolError>(())
/// ```
#[must_use = "dropping a guard at once returns its item at once"]
pub struct Pooled<'a, P: Recycle> {
    /// The item and its ticket: `Some` from construction until drop or
    /// detach.
    inner: Option<(P::Item, P::Ticket)>,
    pool: &'a P,
    /// Its record in the pool's leak tracker (nothing without
    /// `leak-sites`).
    site: Site,
}

impl<'a, P: Recycle> Pooled<'a, P> {
    /// Wraps `item`, which `pool` handed out with `ticket`, in a guard.
    /// Strategy crates call this; item and ticket go to `pool.recycle` when
    /// the guard drops. With `leak-sites`, the caller's location is
    /// recorded in the pool's leak tracker (a strategy's getters are
    /// `#[track_caller]` too, so it is the user's call site).
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn new(item: P::Item, ticket: P::Ticket, pool: &'a P) -> Self {
        Pooled {
            inner: Some((item, ticket)),
            site: Site::record(tracker_of(pool)),
            pool,
        }
    }

    /// As [`new`](Self::new), but with `leak-sites` the guard records
    /// `site` instead of the caller's location: for a strategy whose get
    /// finishes away from the user's call, such as a future that resolves
    /// to the guard (pool-fixed's `get_async` records where the future was
    /// made, with `#[track_caller]` on the getter and
    /// `Location::caller()`), so that a leak report names the user's line,
    /// not the executor's. Without `leak-sites`, `site` is unused.
    pub fn new_at(
        item: P::Item,
        ticket: P::Ticket,
        pool: &'a P,
        site: &'static std::panic::Location<'static>,
    ) -> Self {
        Pooled {
            inner: Some((item, ticket)),
            site: Site::record_at(tracker_of(pool), site),
            pool,
        }
    }

    /// Takes the item out for good; the pool counts it as detached.
    ///
    /// An associated function (`Pooled::detach(guard)`) so that it never
    /// shadows a method of the item.
    ///
    /// # Examples
    ///
    /// ```
    /// # #![allow(unused_imports)]
    /// # use pool_core::{Pool, PoolError, Pooled, OwnedPooled, Stats, Reset};
    /// # use std::sync::{Arc, Mutex, atomic::{AtomicU64, Ordering::Relaxed}};
    /// # #[derive(Default)] struct Stack(Mutex<Vec<String>>, AtomicU64);
    /// # struct Ticket(());
    /// # impl pool_core::strategy::Recycle for Stack {
    /// #     type Item = String;
    /// #     type Ticket = Ticket;
    /// #     type Anchor = std::sync::Arc<Self>;
    /// #     fn anchor(self: &std::sync::Arc<Self>) -> std::sync::Arc<Self> { std::sync::Arc::clone(self) }
    /// #     fn recycle(&self, mut s: String, _: Ticket) { s.reset(); self.0.lock().unwrap().push(s) }
    /// #     fn note_detached(&self, _: Ticket) { self.1.fetch_add(1, Relaxed); }
    /// # }
    /// #
    /// # impl Pool for Stack {
    /// #     fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
    /// #         Ok(Pooled::new(self.0.lock().unwrap().pop().unwrap_or_default(), Ticket(()), self))
    /// #     }
    /// #     fn stats(&self) -> Stats { let mut s = Stats::default(); s.detached = self.1.load(Relaxed); s }
    /// # }
    /// let pool = Stack::default();
    /// let mut s = pool.try_get()?;
    /// s.push_str("mine now");
    /// let kept: String = Pooled::detach(s); // not reset, not returned
    /// assert_eq!((kept.as_str(), pool.stats().detached), ("mine now", 1));
    /// # Ok::<(), PoolError>(())
    /// ```
    #[inline]
    pub fn detach(mut this: Self) -> P::Item {
        let (item, ticket) = this.take();
        this.site.release(tracker_of(this.pool));
        this.pool.note_detached(ticket);
        item
    }

    /// The pool the item came from.
    ///
    /// # Examples
    ///
    /// ```
    /// # #![allow(unused_imports)]
    /// # use pool_core::{Pool, PoolError, Pooled, OwnedPooled, Stats, Reset};
    /// # use std::sync::{Arc, Mutex, atomic::{AtomicU64, Ordering::Relaxed}};
    /// # #[derive(Default)] struct Stack(Mutex<Vec<String>>, AtomicU64);
    /// # struct Ticket(());
    /// # impl pool_core::strategy::Recycle for Stack {
    /// #     type Item = String;
    /// #     type Ticket = Ticket;
    /// #     type Anchor = std::sync::Arc<Self>;
    /// #     fn anchor(self: &std::sync::Arc<Self>) -> std::sync::Arc<Self> { std::sync::Arc::clone(self) }
    /// #     fn recycle(&self, mut s: String, _: Ticket) { s.reset(); self.0.lock().unwrap().push(s) }
    /// #     fn note_detached(&self, _: Ticket) { self.1.fetch_add(1, Relaxed); }
    /// # }
    /// #
    /// # impl Pool for Stack {
    /// #     fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
    /// #         Ok(Pooled::new(self.0.lock().unwrap().pop().unwrap_or_default(), Ticket(()), self))
    /// #     }
    /// #     fn stats(&self) -> Stats { let mut s = Stats::default(); s.detached = self.1.load(Relaxed); s }
    /// # }
    /// let pool = Stack::default();
    /// let s = pool.try_get()?;
    /// assert!(std::ptr::eq(Pooled::pool(&s), &pool));
    /// # Ok::<(), PoolError>(())
    /// ```
    #[inline]
    pub fn pool(this: &Self) -> &'a P {
        this.pool
    }

    /// Takes item and ticket out of the guard without counting anything
    /// (the default `Pool::try_get_owned` turns a borrowed guard into an
    /// owned one with it). Not public: an item taken apart and never given
    /// back would be counted as outstanding forever.
    pub(crate) fn into_parts(mut this: Self) -> (P::Item, P::Ticket) {
        this.site.release(tracker_of(this.pool));
        this.take()
    }

    #[inline]
    fn take(&mut self) -> (P::Item, P::Ticket) {
        match self.inner.take() {
            Some(parts) => parts,
            None => unreachable!("a guard holds its item until drop or detach"),
        }
    }
}

/// An item on loan that holds its pool's [anchor](crate::strategy::Anchor)
/// instead of borrowing it: `Send + 'static` when the item is `Send`, so
/// it can move to another thread or task, and it may outlive every handle
/// of the pool (the pool's memory lives until the last such guard drops).
/// Dropping it, on any thread, resets the item and gives it back.
///
/// What the anchor costs is the strategy's: the per-thread pools count
/// their owned guards per thread (no shared counter on get or drop); a
/// strategy whose anchor is `Arc<Self>` clones it.
#[must_use = "dropping a guard at once returns its item at once"]
pub struct OwnedPooled<P: Recycle> {
    /// The item, its ticket and the anchor: `Some` from construction until
    /// drop or detach. `ManuallyDrop`: `Drop` and `detach` take it out, and
    /// the drop glue's own drop of the `None` left behind was a call on
    /// every owned drop (about 15 instructions: the compiler could not
    /// prove it `None` after the anchor's give-back).
    inner: ManuallyDrop<Option<OwnedParts<P>>>,
    /// Its record in the pool's leak tracker (nothing without
    /// `leak-sites`).
    site: Site,
}

/// The tracker an anchor reaches (none without the `leak-sites` feature).
#[inline]
fn anchor_tracker<A: Anchor>(_anchor: &A) -> Option<&LeakTracker> {
    #[cfg(feature = "leak-sites")]
    let tracker = _anchor.leak_tracker();
    #[cfg(not(feature = "leak-sites"))]
    let tracker = None;
    tracker
}

/// What an owned guard holds: the item, its ticket and the anchor.
type OwnedParts<P> = (
    <P as Recycle>::Item,
    <P as Recycle>::Ticket,
    <P as Recycle>::Anchor,
);

impl<P: Recycle> OwnedPooled<P> {
    /// Wraps `item`, which the pool handed out with `ticket`, in an owned
    /// guard holding `anchor` (recording the caller's location, as
    /// [`Pooled::new`]).
    #[inline]
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn new(item: P::Item, ticket: P::Ticket, anchor: P::Anchor) -> Self {
        OwnedPooled {
            site: Site::record(anchor_tracker(&anchor)),
            inner: ManuallyDrop::new(Some((item, ticket, anchor))),
        }
    }

    /// As [`new`](Self::new), but with `leak-sites` the guard records
    /// `site` instead of the caller's location (see
    /// [`Pooled::new_at`]: for a get that finishes away from the user's
    /// call, such as a future). Without `leak-sites`, `site` is unused.
    pub fn new_at(
        item: P::Item,
        ticket: P::Ticket,
        anchor: P::Anchor,
        site: &'static std::panic::Location<'static>,
    ) -> Self {
        OwnedPooled {
            site: Site::record_at(anchor_tracker(&anchor), site),
            inner: ManuallyDrop::new(Some((item, ticket, anchor))),
        }
    }

    /// Takes the item out for good; the pool counts it as detached.
    ///
    /// # Examples
    ///
    /// ```
    /// # #![allow(unused_imports)]
    /// # use pool_core::{Pool, PoolError, Pooled, OwnedPooled, Stats, Reset};
    /// # use std::sync::{Arc, Mutex, atomic::{AtomicU64, Ordering::Relaxed}};
    /// # #[derive(Default)] struct Stack(Mutex<Vec<String>>, AtomicU64);
    /// # struct Ticket(());
    /// # impl pool_core::strategy::Recycle for Stack {
    /// #     type Item = String;
    /// #     type Ticket = Ticket;
    /// #     type Anchor = Arc<Self>;
    /// #     fn anchor(self: &Arc<Self>) -> Arc<Self> { Arc::clone(self) }
    /// #     fn recycle(&self, mut s: String, _: Ticket) { s.reset(); self.0.lock().unwrap().push(s) }
    /// #     fn note_detached(&self, _: Ticket) { self.1.fetch_add(1, Relaxed); }
    /// # }
    /// #
    /// # impl Pool for Stack {
    /// #     fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
    /// #         Ok(Pooled::new(self.0.lock().unwrap().pop().unwrap_or_default(), Ticket(()), self))
    /// #     }
    /// #     fn stats(&self) -> Stats { let mut s = Stats::default(); s.detached = self.1.load(Relaxed); s }
    /// # }
    /// let pool = Arc::new(Stack::default());
    /// let s = pool.try_get_owned()?;
    /// let kept = std::thread::spawn(move || OwnedPooled::detach(s)).join().unwrap();
    /// assert_eq!((kept, pool.stats().detached), (String::new(), 1));
    /// # Ok::<(), PoolError>(())
    /// ```
    #[inline]
    pub fn detach(mut this: Self) -> P::Item {
        let (item, ticket, anchor) = match this.inner.take() {
            Some(parts) => parts,
            None => unreachable!("a guard holds its item until drop or detach"),
        };
        this.site.release(anchor_tracker(&anchor));
        anchor.note_detached(ticket);
        item
    }

    #[inline]
    fn item(&self) -> &P::Item {
        match &*self.inner {
            Some((item, _, _)) => item,
            None => unreachable!("a guard holds its item until drop or detach"),
        }
    }

    #[inline]
    fn item_mut(&mut self) -> &mut P::Item {
        match &mut *self.inner {
            Some((item, _, _)) => item,
            None => unreachable!("a guard holds its item until drop or detach"),
        }
    }
}

impl<P: Recycle> Drop for OwnedPooled<P> {
    #[inline]
    fn drop(&mut self) {
        // In words: the guard was filled moments ago, and a wider load
        // would stall on those stores (see `crate::strategy::words`).
        if let Some((item, ticket, anchor)) = take_words(&mut *self.inner) {
            self.site.release(anchor_tracker(&anchor));
            anchor.recycle(item, ticket);
        }
    }
}

impl<'a, P: Recycle> Pooled<'a, P> {
    #[inline]
    fn item(&self) -> &P::Item {
        match &self.inner {
            Some((item, _)) => item,
            None => unreachable!("a guard holds its item until drop or detach"),
        }
    }

    #[inline]
    fn item_mut(&mut self) -> &mut P::Item {
        match &mut self.inner {
            Some((item, _)) => item,
            None => unreachable!("a guard holds its item until drop or detach"),
        }
    }
}

impl<P: Recycle> Drop for Pooled<'_, P> {
    #[inline]
    fn drop(&mut self) {
        // In words: the guard was filled moments ago, and a wider load
        // would stall on those stores (see `crate::strategy::words`).
        if let Some((item, ticket)) = take_words(&mut self.inner) {
            self.site.release(tracker_of(self.pool));
            self.pool.recycle(item, ticket);
        }
    }
}

macro_rules! guard_impls {
    ($($ty:ty => $name:literal),*) => {$(
        impl<P: Recycle> Deref for $ty {
            type Target = P::Item;
            #[inline]
            fn deref(&self) -> &P::Item {
                self.item()
            }
        }

        impl<P: Recycle> DerefMut for $ty {
            #[inline]
            fn deref_mut(&mut self) -> &mut P::Item {
                self.item_mut()
            }
        }

        impl<P: Recycle> fmt::Debug for $ty
        where
            P::Item: fmt::Debug,
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple($name).field(&**self).finish()
            }
        }

        impl<P: Recycle, U: ?Sized> AsRef<U> for $ty
        where
            P::Item: AsRef<U>,
        {
            #[inline]
            fn as_ref(&self) -> &U {
                (**self).as_ref()
            }
        }

        impl<P: Recycle, U: ?Sized> AsMut<U> for $ty
        where
            P::Item: AsMut<U>,
        {
            #[inline]
            fn as_mut(&mut self) -> &mut U {
                (**self).as_mut()
            }
        }

        impl<P: Recycle> io::Write for $ty
        where
            P::Item: io::Write,
        {
            #[inline]
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                (**self).write(buf)
            }
            #[inline]
            fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
                (**self).write_all(buf)
            }
            #[inline]
            fn flush(&mut self) -> io::Result<()> {
                (**self).flush()
            }
        }
    )*};
}

guard_impls!(Pooled<'_, P> => "Pooled", OwnedPooled<P> => "OwnedPooled");
