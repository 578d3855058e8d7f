//! The reset-before-put contract.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::mem::size_of;

/// An item that can be made ready for its next user while keeping its
/// allocation.
///
/// Pools call [`reset`](Reset::reset) themselves when a guard drops, before
/// the item becomes visible to anyone else: a caller cannot forget it (a
/// classic `sync.Pool` bug). An implementation clears contents and keeps capacity
/// (`Vec::clear`, not `Vec::new`): keeping the allocation is the point of
/// pooling.
///
/// [`heap_bytes`](Reset::heap_bytes) tells a pool how much heap memory the
/// item keeps alive, so it can drop items that grew too large ("pool
/// pollution") and keep its total under a cap. The default returns
/// 0, which turns both limits off for that type.
///
/// # Examples
///
/// ```
/// use pool_core::Reset;
///
/// struct Response {
///     status: u16,
///     body: Vec<u8>,
/// }
///
/// impl Reset for Response {
///     fn reset(&mut self) {
///         self.status = 0;
///         self.body.reset();
///     }
///     fn heap_bytes(&self) -> usize {
///         self.body.heap_bytes()
///     }
/// }
///
/// let mut r = Response { status: 200, body: Vec::with_capacity(1024) };
/// r.body.extend_from_slice(b"hello");
/// r.reset();
/// assert_eq!((r.status, r.body.len()), (0, 0));
/// assert_eq!(r.heap_bytes(), 1024);
/// ```
pub trait Reset {
    /// Clears the item for its next user, keeping its allocations.
    fn reset(&mut self);

    /// The heap bytes this item keeps alive (its retained capacity).
    ///
    /// Called after [`reset`](Reset::reset); it should be cheap (a
    /// capacity read, not a walk).
    #[inline]
    fn heap_bytes(&self) -> usize {
        0
    }

    /// Whether the item, just reset, is fit for another user (opool's
    /// `is_valid`, .NET's `IResettable.TryReset`, deadpool's `recycle`):
    /// `false` drops it instead of keeping it, counted as discarded
    /// (`refused`); the pool makes a new one when it needs one (a bounded
    /// pool owes its replacement, so it keeps its count). Called after
    /// [`reset`](Reset::reset); the default keeps every item.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::Reset;
    ///
    /// /// A connection-like item that may be found broken.
    /// struct Conn {
    ///     broken: bool,
    ///     buf: Vec<u8>,
    /// }
    ///
    /// impl Reset for Conn {
    ///     fn reset(&mut self) {
    ///         self.buf.clear();
    ///     }
    ///     fn is_reusable(&self) -> bool {
    ///         !self.broken
    ///     }
    /// }
    ///
    /// let c = Conn { broken: true, buf: Vec::new() };
    /// assert!(!c.is_reusable(), "a pool drops it and counts it refused");
    /// ```
    #[inline]
    fn is_reusable(&self) -> bool {
        true
    }
}

/// Nothing to clear: a pool of `()` (a pool used as a set of permits).
impl Reset for () {
    #[inline]
    fn reset(&mut self) {}
}

impl<T> Reset for Vec<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
    #[inline]
    fn heap_bytes(&self) -> usize {
        self.capacity().saturating_mul(size_of::<T>())
    }
}

impl Reset for String {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
    #[inline]
    fn heap_bytes(&self) -> usize {
        self.capacity()
    }
}

impl<T> Reset for VecDeque<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
    #[inline]
    fn heap_bytes(&self) -> usize {
        self.capacity().saturating_mul(size_of::<T>())
    }
}

impl<K: Eq + Hash, V, S: BuildHasher> Reset for HashMap<K, V, S> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
    /// An estimate: capacity times the size of a key and a value (the
    /// table's control bytes are not counted).
    #[inline]
    fn heap_bytes(&self) -> usize {
        self.capacity().saturating_mul(size_of::<(K, V)>())
    }
}

impl<T: Eq + Hash, S: BuildHasher> Reset for HashSet<T, S> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
    /// An estimate: capacity times the size of an element.
    #[inline]
    fn heap_bytes(&self) -> usize {
        self.capacity().saturating_mul(size_of::<T>())
    }
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }
    #[inline]
    fn heap_bytes(&self) -> usize {
        size_of_val::<T>(self).saturating_add((**self).heap_bytes())
    }
}

/// Clears the buffer, then takes back the whole allocation where it can:
/// after `split()`, `split_to()` or `advance()` the buffer sees only the
/// rest of its allocation, and once the parts split off are dropped,
/// `BytesMut::try_reclaim` returns the full capacity without allocating.
/// A buffer whose split-off parts are still alive (sharing the
/// allocation) cannot be reclaimed: `heap_bytes` then reports its smaller
/// capacity, so a pool with a minimum item size (`LocalPool`'s
/// `min_item_bytes`) drops it instead of handing it out shrunken.
///
/// ```
/// # #[cfg(feature = "bytes")] {
/// use bytes::BytesMut;
/// use pool_core::Reset;
///
/// let mut buf = BytesMut::with_capacity(64);
/// buf.extend_from_slice(b"header");
/// let header = buf.split(); // `buf` now sees the last 58 bytes
/// assert_eq!(buf.capacity(), 58);
/// drop(header);
/// buf.reset();
/// assert_eq!(buf.heap_bytes(), 64, "the whole allocation is back");
/// # }
/// ```
#[cfg(feature = "bytes")]
impl Reset for bytes::BytesMut {
    #[inline]
    fn reset(&mut self) {
        self.clear();
        // A reclaim of more than the buffer sees succeeds only when the
        // allocation is larger and no longer shared, and then returns all of
        // it; otherwise it changes nothing.
        let more = self.capacity().saturating_add(1);
        let _reclaimed = self.try_reclaim(more);
    }
    #[inline]
    fn heap_bytes(&self) -> usize {
        self.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec_keeps_capacity_and_reports_bytes() {
        let mut v: Vec<u32> = Vec::with_capacity(100);
        v.extend(0..50);
        v.reset();
        assert!(v.is_empty());
        assert_eq!(v.capacity(), 100);
        assert_eq!(v.heap_bytes(), 400);
    }

    #[test]
    fn string_deque_map_set_clear() {
        let mut s = String::with_capacity(32);
        s.push_str("secret");
        s.reset();
        assert!(s.is_empty());
        assert_eq!(s.heap_bytes(), s.capacity());

        let mut d: VecDeque<u8> = VecDeque::with_capacity(16);
        d.push_back(1);
        d.reset();
        assert!(d.is_empty());
        assert!(d.heap_bytes() >= 16);

        let mut m: HashMap<u64, u64> = HashMap::with_capacity(8);
        m.insert(1, 2);
        let cap = m.capacity();
        m.reset();
        assert!(m.is_empty());
        assert_eq!(m.capacity(), cap);
        assert_eq!(m.heap_bytes(), cap * 16);

        let mut h: HashSet<u32> = HashSet::with_capacity(8);
        h.insert(3);
        h.reset();
        assert!(h.is_empty());
        assert_eq!(h.heap_bytes(), h.capacity() * 4);
    }

    #[test]
    fn boxed_item_resets_inner_and_counts_box() {
        let mut b: Box<Vec<u8>> = Box::new(Vec::with_capacity(10));
        b.push(1);
        b.reset();
        assert!(b.is_empty());
        assert_eq!(b.heap_bytes(), size_of::<Vec<u8>>() + 10);
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn bytes_mut_reclaims_its_whole_allocation_when_no_longer_shared() {
        let mut b = bytes::BytesMut::with_capacity(64);
        b.extend_from_slice(b"abcd");
        let front = b.split_to(2);
        let mut rest = b.split(); // b: empty view of the last 60 bytes
        assert_eq!(b.capacity(), 60);
        // Still shared with `front` and `rest`: nothing to reclaim.
        b.reset();
        assert_eq!(b.heap_bytes(), 60);
        drop(front);
        rest.clear();
        drop(rest);
        b.reset();
        assert_eq!(b.heap_bytes(), 64);
        assert!(b.is_empty());
        // Unsplit buffers keep their capacity as they are.
        let mut whole = bytes::BytesMut::with_capacity(32);
        whole.extend_from_slice(b"xyz");
        whole.reset();
        assert_eq!((whole.len(), whole.heap_bytes()), (0, 32));
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn bytes_mut_clears() {
        let mut b = bytes::BytesMut::with_capacity(64);
        b.extend_from_slice(b"abc");
        b.reset();
        assert!(b.is_empty());
        assert!(b.heap_bytes() >= 64);
    }
}

/// An item reset by a function given beside the factory, for a type that
/// has no [`Reset`] impl and that the caller cannot give one (the orphan
/// rule: a type from another crate). The builders' `build_with_reset` and
/// the pools' `with_reset` make pools of it, so no newtype or impl is
/// needed (lockfree-object-pool's and opool's reset closures).
///
/// It dereferences to the item, so a guard is used as the item is: method
/// calls and `&mut T` arguments reach through both layers.
///
/// `F` is the function's type. A function item (`BTreeMap::clear`) or a
/// closure that captures nothing takes no room and is called directly; a
/// closure that captures is cloned into each item. Such types have no
/// name, so a pool that a struct field or a `static` names uses the
/// default, a plain `fn(&mut T)` (one word per item, one indirect call per
/// reset): write `ResetWith<T>` and let the function coerce to it, naming
/// the pool's type on the call where a `Result` comes in between
/// (`type Scratch = FixedPool<ResetWith<Foo>>; Scratch::with_reset(..)?`).
/// `heap_bytes` is 0, so byte limits (`max_item_bytes`,
/// `max_retained_bytes`) do not see the item; where they matter, implement
/// [`Reset`] on a wrapper of your own.
///
/// # Examples
///
/// ```
/// use std::collections::BTreeMap;
/// use pool_core::{Reset, ResetWith};
///
/// // `BTreeMap` has no `Reset` impl here, and no crate but std's may add one.
/// let mut m = ResetWith::new(BTreeMap::from([(1, "a")]), BTreeMap::clear);
/// m.insert(2, "b");
/// assert_eq!(m.len(), 2);
/// m.reset();
/// assert!(m.is_empty());
///
/// // A closure that captures: each item keeps its own copy.
/// let keep = 16;
/// let mut v = ResetWith::new(Vec::<u8>::with_capacity(64), move |v: &mut Vec<u8>| {
///     v.clear();
///     v.shrink_to(keep);
/// });
/// v.extend_from_slice(&[1; 40]);
/// v.reset();
/// assert!(v.is_empty() && v.capacity() >= keep);
///
/// // A nameable type, for a field: the function as a plain `fn`.
/// struct Service {
///     scratch: ResetWith<BTreeMap<u32, u32>>,
/// }
/// let s = Service { scratch: ResetWith::new(BTreeMap::new(), BTreeMap::clear) };
/// assert!(s.scratch.is_empty());
/// ```
#[derive(Clone)]
pub struct ResetWith<T, F = fn(&mut T)> {
    item: T,
    reset: F,
}

impl<T, F: Fn(&mut T)> ResetWith<T, F> {
    /// `item`, reset by `reset` when it goes back to a pool.
    #[inline]
    pub fn new(item: T, reset: F) -> Self {
        ResetWith { item, reset }
    }

    /// The item, without its reset function.
    #[inline]
    pub fn into_inner(self) -> T {
        self.item
    }
}

impl<T, F: Fn(&mut T)> Reset for ResetWith<T, F> {
    #[inline]
    fn reset(&mut self) {
        (self.reset)(&mut self.item);
    }
}

impl<T, F> std::ops::Deref for ResetWith<T, F> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.item
    }
}

impl<T, F> std::ops::DerefMut for ResetWith<T, F> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.item
    }
}

impl<T, F> AsRef<T> for ResetWith<T, F> {
    #[inline]
    fn as_ref(&self) -> &T {
        &self.item
    }
}

impl<T, F> AsMut<T> for ResetWith<T, F> {
    #[inline]
    fn as_mut(&mut self) -> &mut T {
        &mut self.item
    }
}

impl<T: std::fmt::Debug, F> std::fmt::Debug for ResetWith<T, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.item.fmt(f)
    }
}
