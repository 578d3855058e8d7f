//! Waiting without blocking a thread: the acquire futures, the blocking
//! iterator and the stream (a Go pool's `BufferChan`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use pool_core::{OwnedPooled, PoolError, Pooled, Reset};

use crate::pool::{FixedPool, FixedTicket};
use crate::recycle::FixedAnchor;
use crate::sync::Arc as CellArc;
use crate::wait_queue::{Notify, WaitCell};

/// The state of an async wait: the cell while queued, and when it queued;
/// and where the future was made (the guard's site, with `leak-sites`).
pub(crate) struct Wait<T> {
    cell: Option<(CellArc<WaitCell<T>>, Instant)>,
    site: &'static std::panic::Location<'static>,
}

impl<T> Wait<T> {
    #[cfg_attr(feature = "leak-sites", track_caller)]
    fn new() -> Self {
        Wait {
            cell: None,
            site: std::panic::Location::caller(),
        }
    }
}

/// A borrowed guard for an item a wait got, recording where the wait began.
fn guard<'a, T: Reset + Send + 'static>(
    pool: &'a FixedPool<T>,
    (item, ticket): (T, FixedTicket),
    wait: &Wait<T>,
) -> Pooled<'a, FixedPool<T>> {
    Pooled::new_at(item, ticket, pool, wait.site)
}

impl<T: Reset + Send + 'static> FixedPool<T> {
    /// Waits for an item without blocking the thread; works on any
    /// executor. Cancellation-safe: dropping the future before it completes
    /// loses no item and no wake-up (an item already handed to it goes to
    /// the next waiter).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(2, || Vec::<u8>::with_capacity(64))?;
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let len = rt.block_on(async {
    ///     let mut buf = pool.get_async().await?;
    ///     buf.extend_from_slice(b"async");
    ///     Ok::<_, pool_core::PoolError>(buf.len())
    /// })?;
    /// assert_eq!(len, 5);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_async(&self) -> GetFuture<'_, T> {
        GetFuture {
            pool: self,
            wait: Wait::new(),
        }
    }

    /// Like [`get_async`](Self::get_async), resolving to a
    /// `Send + 'static` guard. The future itself is `'static` too (it holds
    /// the pool's anchor, as the guard will), and takes `&self` like every
    /// owned getter: no `Arc` needed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = Arc::new(FixedPool::new(1, Vec::<u8>::new)?);
    /// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let buf = rt.block_on(pool.get_owned_async())?;
    /// // `Send + 'static`: it can move into a spawned task or thread.
    /// std::thread::spawn(move || drop(buf)).join().unwrap();
    /// assert_eq!(pool.available(), 1);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn get_owned_async(&self) -> GetOwnedFuture<T> {
        GetOwnedFuture {
            anchor: Some(self.anchored()),
            wait: Wait::new(),
        }
    }

    /// Like a Go pool's `BufferChan`: an iterator that yields items as they
    /// become free (blocking) and ends when the pool closes.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::new(2, Vec::<u8>::new)?;
    /// let mut taken = 0;
    /// for mut buf in pool.blocking_iter() {
    ///     buf.push(1);
    ///     taken += 1;
    ///     if taken == 5 {
    ///         pool.close();
    ///     }
    /// }
    /// assert_eq!(taken, 5);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn blocking_iter(&self) -> BlockingIter<'_, T> {
        BlockingIter {
            pool: self,
            site: std::panic::Location::caller(),
        }
    }

    /// The async counterpart of [`blocking_iter`](Self::blocking_iter): a
    /// [`futures_core::Stream`] of items that ends when the pool closes.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_core::Stream;
    /// use pool_fixed::FixedPool;
    /// use std::pin::pin;
    /// use std::task::{Context, Poll, Waker};
    ///
    /// let pool = FixedPool::new(1, Vec::<u8>::new)?;
    /// let mut items = pin!(pool.stream());
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let Poll::Ready(Some(first)) = items.as_mut().poll_next(&mut cx) else { panic!() };
    /// // The only item is out: the stream waits ...
    /// assert!(items.as_mut().poll_next(&mut cx).is_pending());
    /// drop(first); // ... until it comes back
    /// assert!(matches!(items.as_mut().poll_next(&mut cx), Poll::Ready(Some(_))));
    /// pool.close(); // and ends when the pool closes
    /// assert!(matches!(items.as_mut().poll_next(&mut cx), Poll::Ready(None)));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[cfg_attr(feature = "leak-sites", track_caller)]
    pub fn stream(&self) -> ItemStream<'_, T> {
        ItemStream {
            pool: self,
            wait: Wait::new(),
        }
    }

    /// One poll of an async acquire.
    fn poll_take(
        &self,
        wait: &mut Wait<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(T, FixedTicket), PoolError>> {
        if let Some((cell, start)) = &wait.cell {
            return match cell.take_outcome_or_wake(cx.waker()) {
                Some(outcome) => {
                    self.state().waits.record(start.elapsed(), false);
                    wait.cell = None;
                    Poll::Ready(self.finish(outcome))
                }
                None => Poll::Pending,
            };
        }
        match self.try_take() {
            Err(PoolError::Exhausted { .. }) => {}
            done => return Poll::Ready(done),
        }
        let cell = WaitCell::new(Notify::Waker(cx.waker().clone()));
        if let Some(done) = self.register(&cell) {
            return Poll::Ready(done);
        }
        match cell.take_outcome() {
            Some(outcome) => Poll::Ready(self.finish(outcome)),
            None => {
                wait.cell = Some((cell, Instant::now()));
                Poll::Pending
            }
        }
    }

    /// A future dropped while waiting: leave, and pass on what it was
    /// already handed.
    fn abandon(&self, wait: &mut Wait<T>) {
        if let Some((cell, _)) = wait.cell.take()
            && let Some(outcome) = self.cancel(&cell)
        {
            self.pass_on(outcome);
        }
    }
}

/// The future of [`FixedPool::get_async`].
#[must_use = "futures do nothing unless awaited"]
pub struct GetFuture<'a, T: Reset + Send + 'static> {
    pool: &'a FixedPool<T>,
    wait: Wait<T>,
}

impl<'a, T: Reset + Send + 'static> Future for GetFuture<'a, T> {
    type Output = Result<Pooled<'a, FixedPool<T>>, PoolError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let pool = this.pool;
        let wait = &mut this.wait;
        pool.poll_take(wait, cx)
            .map(|r| r.map(|parts| guard(pool, parts, wait)))
    }
}

impl<T: Reset + Send + 'static> Drop for GetFuture<'_, T> {
    fn drop(&mut self) {
        self.pool.abandon(&mut self.wait);
    }
}

/// The future of [`FixedPool::get_owned_async`].
#[must_use = "futures do nothing unless awaited"]
pub struct GetOwnedFuture<T: Reset + Send + 'static> {
    /// The guard's anchor, taken when the future was made; moved into the
    /// guard when it completes.
    anchor: Option<FixedAnchor<T>>,
    wait: Wait<T>,
}

impl<T: Reset + Send + 'static> Future for GetOwnedFuture<T> {
    type Output = Result<OwnedPooled<FixedPool<T>>, PoolError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(anchor) = &this.anchor else {
            panic!("GetOwnedFuture polled after it completed");
        };
        let wait = &mut this.wait;
        match anchor.pool().poll_take(wait, cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(r) => {
                let anchor = this.anchor.take();
                Poll::Ready(r.map(|(item, ticket)| {
                    let anchor = anchor.unwrap_or_else(|| unreachable!());
                    OwnedPooled::new_at(item, ticket, anchor, wait.site)
                }))
            }
        }
    }
}

impl<T: Reset + Send + 'static> Drop for GetOwnedFuture<T> {
    fn drop(&mut self) {
        if let Some(anchor) = &self.anchor {
            anchor.pool().abandon(&mut self.wait);
        }
    }
}

/// Items as they become free, blocking: made by [`FixedPool::blocking_iter`].
pub struct BlockingIter<'a, T: Reset + Send + 'static> {
    pool: &'a FixedPool<T>,
    site: &'static std::panic::Location<'static>,
}

impl<'a, T: Reset + Send + 'static> Iterator for BlockingIter<'a, T> {
    type Item = Pooled<'a, FixedPool<T>>;

    fn next(&mut self) -> Option<Self::Item> {
        let (item, ticket) = self.pool.take_blocking(None).ok()?;
        Some(Pooled::new_at(item, ticket, self.pool, self.site))
    }
}

/// Items as they become free, async: made by [`FixedPool::stream`].
pub struct ItemStream<'a, T: Reset + Send + 'static> {
    pool: &'a FixedPool<T>,
    wait: Wait<T>,
}

impl<'a, T: Reset + Send + 'static> futures_core::Stream for ItemStream<'a, T> {
    type Item = Pooled<'a, FixedPool<T>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let pool = this.pool;
        let wait = &mut this.wait;
        pool.poll_take(wait, cx).map(|r| match r {
            Ok(parts) => Some(guard(pool, parts, wait)),
            Err(_) => None,
        })
    }
}

impl<T: Reset + Send + 'static> Drop for ItemStream<'_, T> {
    fn drop(&mut self) {
        self.pool.abandon(&mut self.wait);
    }
}

macro_rules! debug_opaque {
    ($($ty:ty => $name:literal),*) => {$(
        impl<T: Reset + Send + 'static> fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($name)
            }
        }
    )*};
}

debug_opaque!(GetFuture<'_, T> => "GetFuture", GetOwnedFuture<T> => "GetOwnedFuture", BlockingIter<'_, T> => "BlockingIter", ItemStream<'_, T> => "ItemStream");
