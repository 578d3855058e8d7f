//! The trait every strategy implements.

use std::sync::Arc;

use crate::error::PoolError;
use crate::guard::{OwnedPooled, Pooled};
use crate::stats::Stats;
use crate::strategy::recycle::Recycle;

/// A pool of reusable items, whatever its strategy.
///
/// Generic code (a service, a benchmark, `cargo xtask bench`) written
/// against `Pool` switches strategy by changing the line that builds the
/// pool. Items are reached only through guards: [`Pooled`] borrows the pool,
/// [`OwnedPooled`] holds its anchor (what keeps the pool alive) and is `Send + 'static`. Dropping a
/// guard hands the item back to the pool (through its
/// [`Recycle`](crate::strategy::Recycle) hooks, the strategy implementers'
/// side of the trait), which resets it and keeps or drops it; using an item after it went back, or returning it
/// twice, does not compile.
///
/// # Examples
///
/// A function that works with any pool of byte vectors:
///
/// ```
/// use pool_core::{Pool, PoolError};
///
/// fn frame<P: Pool<Item = Vec<u8>>>(pool: &P, payload: &[u8]) -> Result<usize, PoolError> {
///     let mut buf = pool.try_get()?;
///     buf.extend_from_slice(&(payload.len() as u32).to_be_bytes());
///     buf.extend_from_slice(payload);
///     Ok(buf.len())
///     // `buf` drops here: cleared and back in the pool.
/// }
/// # use pool_core::{Stats, Reset};
/// # #[derive(Default)] struct One(std::sync::Mutex<Vec<Vec<u8>>>);
/// # impl pool_core::strategy::Recycle for One {
/// #     type Item = Vec<u8>;
/// #     type Ticket = ();
/// #     type Anchor = std::sync::Arc<Self>;
/// #     fn anchor(self: &std::sync::Arc<Self>) -> std::sync::Arc<Self> { std::sync::Arc::clone(self) }
/// #     fn recycle(&self, mut v: Vec<u8>, _: ()) { v.reset(); self.0.lock().unwrap().push(v) }
/// #     fn note_detached(&self, _: ()) {}
/// # }
/// #
/// # impl Pool for One {
/// #     fn try_get(&self) -> Result<pool_core::Pooled<'_, Self>, PoolError> {
/// #         let v = self.0.lock().unwrap().pop().unwrap_or_default();
/// #         Ok(pool_core::Pooled::new(v, (), self))
/// #     }
/// #     fn stats(&self) -> Stats { Stats::default() }
/// # }
/// # let pool = One::default();
/// assert_eq!(frame(&pool, b"hi")?, 6);
/// # Ok::<(), PoolError>(())
/// ```
pub trait Pool: Recycle + Send + Sync + Sized {
    /// Takes an item without blocking: an idle one, or a new one where the
    /// strategy creates items on demand.
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] when a bounded pool has every item out,
    /// [`PoolError::Closed`] when the pool was closed. Pools that create
    /// items on demand never fail.
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError>;

    /// Like [`try_get`](Pool::try_get), with a guard that holds the pool's
    /// [anchor](crate::strategy::Anchor) instead of borrowing it, so it can
    /// move to another thread or task and outlive the pool's handles. The
    /// per-thread pools also have an inherent `get_owned(&self)` that needs
    /// no `Arc`.
    ///
    /// # Errors
    ///
    /// As [`try_get`](Pool::try_get).
    fn try_get_owned(self: &Arc<Self>) -> Result<OwnedPooled<Self>, PoolError> {
        let guard = self.try_get()?;
        let (item, ticket) = Pooled::into_parts(guard);
        Ok(OwnedPooled::new(item, ticket, Self::anchor(self)))
    }

    /// Takes an item, waiting at most `timeout` for one where the pool is
    /// bounded and every item is out; generic code written for any pool
    /// waits for a bounded one through this. The default (pools that make
    /// items on demand, or never wait) is [`try_get`](Pool::try_get).
    ///
    /// # Errors
    ///
    /// As [`try_get`](Pool::try_get), and [`PoolError::TimedOut`] when a
    /// bounded pool had nothing free in time.
    fn get_timeout(&self, timeout: std::time::Duration) -> Result<Pooled<'_, Self>, PoolError> {
        let _ = timeout;
        self.try_get()
    }

    /// A snapshot of the pool's counters.
    fn stats(&self) -> Stats;

    /// Frees idle items the pool no longer needs; what "no longer needed"
    /// means is the strategy's (the default does nothing).
    fn trim(&self) {}
}

/// A [`Pool`] whose `get` never fails and never waits: it hands out an idle
/// item, or makes one when none is idle (the per-thread pools, the
/// size-class pool and the ring, which makes an unpooled item when its
/// probed slots are busy). A bounded pool (`FixedPool`) does not implement
/// it: there, a get can find every item out, so it is `try_get` (never
/// waits, may fail), `get_timeout` or the pool's blocking getter, and
/// generic code bound on this trait does not compile with it.
///
/// One meaning per verb across the family: `get` never fails and never
/// waits; `try_get` never waits and may fail; a `_timeout`, `_blocking` or
/// `_async` suffix says how a getter waits; `_owned` gives a
/// `Send + 'static` guard.
///
/// # Examples
///
/// Generic code that cannot fail, so it has no `?`:
///
/// ```
/// use pool_core::{Pool, UnboundedPool};
///
/// fn frame<P: UnboundedPool<Item = Vec<u8>>>(pool: &P, payload: &[u8]) -> usize {
///     let mut buf = pool.get();
///     buf.extend_from_slice(payload);
///     buf.len()
/// }
/// # use pool_core::{PoolError, Stats, Reset};
/// # #[derive(Default)] struct One(std::sync::Mutex<Vec<Vec<u8>>>);
/// # impl pool_core::strategy::Recycle for One {
/// #     type Item = Vec<u8>;
/// #     type Ticket = ();
/// #     type Anchor = std::sync::Arc<Self>;
/// #     fn anchor(self: &std::sync::Arc<Self>) -> std::sync::Arc<Self> { std::sync::Arc::clone(self) }
/// #     fn recycle(&self, mut v: Vec<u8>, _: ()) { v.reset(); self.0.lock().unwrap().push(v) }
/// #     fn note_detached(&self, _: ()) {}
/// # }
/// # impl Pool for One {
/// #     fn try_get(&self) -> Result<pool_core::Pooled<'_, Self>, PoolError> { Ok(self.get()) }
/// #     fn stats(&self) -> Stats { Stats::default() }
/// # }
/// # impl UnboundedPool for One {
/// #     fn get(&self) -> pool_core::Pooled<'_, Self> {
/// #         let v = self.0.lock().unwrap().pop().unwrap_or_default();
/// #         pool_core::Pooled::new(v, (), self)
/// #     }
/// # }
/// # let pool = One::default();
/// assert_eq!(frame(&pool, b"hello"), 5);
/// ```
///
/// The trait is not in the facade's prelude: on a concrete
/// `Arc<TieredPool>`, its `get_owned()` would be found before the inherent
/// `get_owned(len)`. Import it where generic code bounds on it.
pub trait UnboundedPool: Pool {
    /// Takes an idle item, or makes a new one: never fails, never waits.
    ///
    /// # Panics
    ///
    /// If the pool's factory panics while making the item.
    fn get(&self) -> Pooled<'_, Self>;

    /// Like [`get`](UnboundedPool::get), with a `Send + 'static` guard that
    /// holds the pool's [anchor](crate::strategy::Anchor).
    ///
    /// # Panics
    ///
    /// As [`get`](UnboundedPool::get).
    fn get_owned(self: &Arc<Self>) -> OwnedPooled<Self> {
        let (item, ticket) = Pooled::into_parts(self.get());
        OwnedPooled::new(item, ticket, Self::anchor(self))
    }
}
