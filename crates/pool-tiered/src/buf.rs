//! The buffers: a class item, the guard a get returns, and frozen shared
//! buffers.

use std::fmt;
use std::io;
use std::mem::ManuallyDrop;
use std::ops::{Bound, Deref, DerefMut, Range, RangeBounds};
use std::sync::Arc;

use pool_core::strategy::Site;
use pool_core::strategy::words;
use pool_engine::Entry;

use crate::engine::{self, ClassBuf, TieredEngine, TieredEngineRef};

/// What a [`TieredBuf`] holds besides its bytes: the class it came from.
/// Not a class index: over the largest class (allocated exactly, never
/// pooled).
pub(crate) const OVERSIZE: usize = usize::MAX;
/// Not a class index: the bytes were moved out (by `freeze`).
pub(crate) const GONE: usize = usize::MAX - 1;

/// A buffer from a [`TieredPool`](crate::TieredPool): length 0 (or zeros, from
/// [`get_zeroed`](crate::TieredPool::get_zeroed)), capacity at least what was
/// asked. Write it as a `Vec<u8>` (it derefs to one), through
/// `std::io::Write`, or with the `bytes` feature through `bytes::BufMut`
/// (on the `Vec<u8>` it derefs to). Dropping it returns it to its class;
/// [`freeze`](TieredBuf::freeze) shares it.
#[must_use = "dropping a buffer at once returns it at once"]
pub struct TieredBuf<'a> {
    /// The bytes: a plain field, so that reaching them takes no match.
    /// `ManuallyDrop`: `Drop` takes them out whatever the path, and the
    /// drop glue's own drop of the empty `Vec` left behind cost a check on
    /// every drop.
    pub(crate) buf: ManuallyDrop<Vec<u8>>,
    /// The class index, or [`OVERSIZE`] or [`GONE`].
    pub(crate) class: usize,
    pub(crate) pool: &'a TieredEngine,
    pub(crate) site: Site,
}

impl Drop for TieredBuf<'_> {
    #[inline]
    fn drop(&mut self) {
        self.site.release(self.pool.extra().leaks());
        let buf = std::mem::take(&mut *self.buf);
        if self.class < OVERSIZE - 1 {
            engine::put(self.pool, self.class, ClassBuf(buf), Entry::Returned);
        }
    }
}

impl TieredBuf<'_> {
    /// The size class this buffer serves (the largest whose size its
    /// capacity reaches); `None` for an oversize one.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// assert_eq!(pool.get(1000).class(), Some(3), "the 1 KiB class: 128, 256, 512, 1024");
    /// assert_eq!(pool.get(64 << 20).class(), None, "oversize");
    /// ```
    pub fn class(&self) -> Option<usize> {
        (self.class < GONE).then_some(self.class)
    }

    /// Takes the buffer out of the pool for good (counted as detached for a
    /// class buffer); an associated function, so that it never shadows a
    /// method of the `Vec` it derefs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::{TieredBuf, TieredPool};
    ///
    /// let pool = TieredPool::new();
    /// let mut b = pool.get(100);
    /// b.extend_from_slice(b"kept");
    /// let v: Vec<u8> = TieredBuf::detach(b);
    /// assert_eq!(v, b"kept");
    /// assert_eq!(pool.stats().total.detached, 1);
    /// ```
    pub fn detach(mut this: Self) -> Vec<u8> {
        this.site.release(this.pool.extra().leaks());
        let class = std::mem::replace(&mut this.class, GONE);
        if class < GONE {
            engine::note_detached(this.pool, class);
        }
        std::mem::take(&mut this.buf)
    }

    /// Turns the buffer into an immutable, cheaply cloneable [`SharedBuf`]
    /// (a Go `BytePool`'s `GetBuffer` + `Retain`/`Release`): it goes back to its
    /// class when the last clone drops, on whatever thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// let mut buf = pool.get(11);
    /// buf.extend_from_slice(b"hello world");
    /// let shared = buf.freeze();
    /// let hello = shared.slice(..5); // no copy
    /// assert_eq!((&*hello, shared.ref_count()), (&b"hello"[..], 2));
    /// std::thread::spawn(move || assert_eq!(&*hello, b"hello")).join().unwrap();
    /// drop(shared); // the last handle: back in the pool
    /// assert_eq!(pool.stats().total.returns, 1);
    /// ```
    pub fn freeze(mut self) -> SharedBuf {
        // A class buffer takes its own hold on the pool.
        let held = (self.class < GONE).then(|| self.pool.anchor());
        freeze_parts(&mut self.buf, &mut self.class, &mut self.site, held)
    }
}

/// Moves a guard's bytes into a [`SharedBuf`], leaving the guard empty and
/// [`GONE`].
fn freeze_parts(
    buf: &mut Vec<u8>,
    class: &mut usize,
    site: &mut Site,
    held: Option<TieredEngineRef>,
) -> SharedBuf {
    let buf = std::mem::take(buf);
    let class = std::mem::replace(class, GONE);
    let frozen = match held {
        Some(held) if class < GONE => Frozen::Class(FrozenClass {
            buf: ClassBuf(buf),
            class,
            // The frozen buffer keeps the guard's record until its last
            // handle drops.
            site: std::mem::take(site),
            held: Some(held),
        }),
        _ => Frozen::Oversize(buf),
    };
    let len = frozen.len();
    SharedBuf {
        owner: Arc::new(frozen),
        range: 0..len,
    }
}

impl Deref for TieredBuf<'_> {
    type Target = Vec<u8>;
    #[inline]
    fn deref(&self) -> &Vec<u8> {
        &self.buf
    }
}

impl DerefMut for TieredBuf<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

impl AsRef<[u8]> for TieredBuf<'_> {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl AsMut<[u8]> for TieredBuf<'_> {
    fn as_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl io::Write for TieredBuf<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (**self).write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        (**self).write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for TieredBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TieredBuf")
            .field("class", &self.class())
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// A buffer from [`TieredPool::get_owned`](crate::TieredPool::get_owned):
/// a [`TieredBuf`] that owns a handle to the pool instead of borrowing it,
/// so it is `Send + 'static` and can move, mutable, to another thread or
/// task. Dropping it (on any thread) returns it to its class.
///
/// # Examples
///
/// ```
/// use pool_tiered::TieredPool;
///
/// let pool = TieredPool::new();
/// let mut buf = pool.get_owned(1500);
/// std::thread::spawn(move || {
///     buf.extend_from_slice(b"filled on another thread");
///     assert_eq!(buf.len(), 24);
/// })
/// .join()
/// .unwrap();
/// assert_eq!(pool.stats().total.returns, 1);
/// ```
#[must_use = "dropping a buffer at once returns it at once"]
pub struct OwnedTieredBuf {
    /// `ManuallyDrop`, as `held`: `Drop`, `detach` and `freeze` take both
    /// out, and the drop glue's own drop of what they leave behind (an
    /// empty `Vec`, a `None`) was calls and checks on every owned drop.
    buf: ManuallyDrop<Vec<u8>>,
    /// The class index, or [`OVERSIZE`] or [`GONE`].
    class: usize,
    site: Site,
    /// The hold on the pool, for a class buffer (`None` for an oversize
    /// one): counted per thread, no shared counter.
    held: ManuallyDrop<Option<TieredEngineRef>>,
}

impl OwnedTieredBuf {
    #[inline]
    pub(crate) fn new(
        buf: Vec<u8>,
        class: usize,
        site: Site,
        held: Option<TieredEngineRef>,
    ) -> Self {
        OwnedTieredBuf {
            buf: ManuallyDrop::new(buf),
            class,
            site,
            held: ManuallyDrop::new(held),
        }
    }

    /// The size class this buffer serves; `None` for an oversize one.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// assert_eq!(pool.get_owned(200).class(), Some(1));
    /// ```
    pub fn class(&self) -> Option<usize> {
        (self.class < GONE).then_some(self.class)
    }

    /// Takes the buffer out of the pool for good (counted as detached for a
    /// class buffer).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::{OwnedTieredBuf, TieredPool};
    ///
    /// let pool = TieredPool::new();
    /// let mut buf = pool.get_owned(64);
    /// buf.extend_from_slice(b"kept");
    /// let v: Vec<u8> = OwnedTieredBuf::detach(buf);
    /// assert_eq!(v, b"kept");
    /// assert_eq!(pool.stats().total.detached, 1);
    /// ```
    pub fn detach(mut this: Self) -> Vec<u8> {
        let class = std::mem::replace(&mut this.class, GONE);
        if let Some(held) = this.held.take() {
            this.site.release(held.extra().leaks());
            if class < GONE {
                held.count(class, |c| &c.detached);
            }
        }
        std::mem::take(&mut this.buf)
    }

    /// Turns the buffer into an immutable, cheaply cloneable [`SharedBuf`],
    /// as [`TieredBuf::freeze`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// let mut buf = pool.get_owned(16);
    /// buf.extend_from_slice(b"frame");
    /// let shared = buf.freeze(); // a method, as on `TieredBuf`
    /// let copy = shared.clone();
    /// assert_eq!((&*copy, shared.ref_count()), (&b"frame"[..], 2));
    /// ```
    pub fn freeze(mut self) -> SharedBuf {
        let held = self.held.take();
        freeze_parts(&mut self.buf, &mut self.class, &mut self.site, held)
    }
}

impl Drop for OwnedTieredBuf {
    #[inline]
    fn drop(&mut self) {
        // In words: the buffer was filled moments ago with word-sized
        // stores, and a 16-byte load of the hold would stall on them (see
        // `pool_core::strategy::words`). Both taken out, whatever the path:
        // the fields are `ManuallyDrop`. The buffer is taken word-wise once,
        // which is shorter than `mem::take` and a word-wise move after it
        // (the borrowed drop's plain `mem::take` is shorter than a
        // word-wise one there).
        let buf = words::take_default_words(&mut *self.buf);
        if let Some(held) = words::take_words(&mut *self.held) {
            self.site.release(held.extra().leaks());
            if self.class < GONE {
                engine::put_held(held, self.class, ClassBuf(buf));
                return;
            }
        }
        // An oversize buffer, or one already taken: freed here.
        drop(buf);
    }
}

impl Deref for OwnedTieredBuf {
    type Target = Vec<u8>;
    #[inline]
    fn deref(&self) -> &Vec<u8> {
        &self.buf
    }
}

impl DerefMut for OwnedTieredBuf {
    #[inline]
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

impl AsRef<[u8]> for OwnedTieredBuf {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl AsMut<[u8]> for OwnedTieredBuf {
    fn as_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl io::Write for OwnedTieredBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf.write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.buf.write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for OwnedTieredBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedTieredBuf")
            .field("class", &self.class())
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// A frozen class buffer: back to its class, on the dropping thread, when
/// the last handle goes.
struct FrozenClass {
    buf: ClassBuf,
    class: usize,
    site: Site,
    /// `Some` until the drop gives the buffer back through it.
    held: Option<TieredEngineRef>,
}

impl Drop for FrozenClass {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            self.site.release(held.extra().leaks());
            let buf = std::mem::take(&mut self.buf);
            engine::put_held(held, self.class, buf);
        }
    }
}

enum Frozen {
    Class(FrozenClass),
    Oversize(Vec<u8>),
}

impl Frozen {
    fn bytes(&self) -> &[u8] {
        match self {
            Frozen::Class(c) => &c.buf,
            Frozen::Oversize(v) => v,
        }
    }
    fn len(&self) -> usize {
        self.bytes().len()
    }
}

/// An immutable pooled buffer shared by reference count (a Go `BytePool`'s
/// `Buffer` with `Retain`/`Release`/`RefCount`): `clone` is a retain,
/// `drop` a release, and the last release returns the buffer to its pool.
/// `Send + Sync`; [`slice`](SharedBuf::slice) narrows it without copying.
#[derive(Clone)]
pub struct SharedBuf {
    owner: Arc<Frozen>,
    /// Inside `0..owner.len()`.
    range: Range<usize>,
}

impl SharedBuf {
    /// How many handles share the buffer (a Go `BytePool`'s `RefCount`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::{TieredBuf, TieredPool};
    ///
    /// let pool = TieredPool::new();
    /// let shared = TieredBuf::freeze(pool.get(8));
    /// assert_eq!(shared.ref_count(), 1);
    /// let other = shared.clone();
    /// assert_eq!(shared.ref_count(), 2);
    /// drop(other);
    /// assert_eq!(shared.ref_count(), 1);
    /// ```
    pub fn ref_count(&self) -> usize {
        Arc::strong_count(&self.owner)
    }

    /// A handle on part of this buffer, relative to it; no copy.
    ///
    /// # Panics
    ///
    /// If the range is out of bounds or decreasing, as slicing does (an
    /// end of `..=usize::MAX` included); [`try_slice`](Self::try_slice)
    /// returns `None` instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// let mut b = pool.get(5);
    /// b.extend_from_slice(b"hello");
    /// let s = b.freeze();
    /// assert_eq!(&*s.slice(1..=2), b"el");
    /// assert!(s.try_slice(..=usize::MAX).is_none());
    /// ```
    pub fn slice(&self, range: impl RangeBounds<usize>) -> SharedBuf {
        let len = self.range.len();
        match self.try_slice((range.start_bound().cloned(), range.end_bound().cloned())) {
            Some(s) => s,
            None => panic!(
                "range {:?}..{:?} out of a buffer of {len} bytes",
                range.start_bound(),
                range.end_bound()
            ),
        }
    }

    /// Like [`slice`](Self::slice), with `None` for a range out of bounds
    /// or decreasing.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::{TieredBuf, TieredPool};
    ///
    /// let pool = TieredPool::new();
    /// let mut buf = pool.get(8);
    /// buf.extend_from_slice(b"header+body");
    /// let shared = TieredBuf::freeze(buf);
    /// assert_eq!(shared.try_slice(..6).as_deref(), Some(&b"header"[..]));
    /// assert!(shared.try_slice(..=usize::MAX).is_none(), "out of bounds: None, not a panic");
    /// assert!(shared.try_slice(5..2).is_none());
    /// ```
    pub fn try_slice(&self, range: impl RangeBounds<usize>) -> Option<SharedBuf> {
        let len = self.range.len();
        let start = match range.start_bound() {
            Bound::Included(&s) => s,
            Bound::Excluded(&s) => s.checked_add(1)?,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&e) => e.checked_add(1)?,
            Bound::Excluded(&e) => e,
            Bound::Unbounded => len,
        };
        (start <= end && end <= len).then(|| SharedBuf {
            owner: Arc::clone(&self.owner),
            range: self.range.start + start..self.range.start + end,
        })
    }

    /// A `bytes::Bytes` over this buffer, without copying; the buffer goes
    /// back to its pool when the last `Bytes` clone (and handle) drops.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// let mut buf = pool.get(4);
    /// buf.extend_from_slice(b"ping");
    /// let bytes = buf.freeze().into_bytes();
    /// let copy = bytes.clone();
    /// drop(bytes);
    /// assert_eq!(pool.stats().total.returns, 0, "a clone is still out");
    /// assert_eq!(&copy[..], b"ping");
    /// drop(copy);
    /// assert_eq!(pool.stats().total.returns, 1);
    /// ```
    #[cfg(feature = "bytes")]
    pub fn into_bytes(self) -> bytes::Bytes {
        bytes::Bytes::from_owner(self)
    }
}

impl Deref for SharedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.owner.bytes()[self.range.clone()]
    }
}

impl AsRef<[u8]> for SharedBuf {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl fmt::Debug for SharedBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedBuf")
            .field("len", &self.range.len())
            .field("ref_count", &self.ref_count())
            .finish()
    }
}
