//! `Buffer<T>`: a fixed-capacity buffer, with a full and a valid
//! view, and the pool of them (`FixedPool::buffers`, as Go's `BuffPool`).

use std::fmt;

use pool_core::{PoolError, Reset};

use crate::FixedPool;

/// A buffer of fixed capacity with a valid length (as in Go's `BuffPool`):
/// [`full`](Buffer::full) is `GetFullData`, [`valid`](Buffer::valid) is
/// `GetValidData`, [`set_len`](Buffer::set_len) is `SetLength`.
///
/// Resetting it (which the pool does when a guard drops) zeroes every
/// element that was written and sets the valid length to 0, so the next
/// holder sees zeros even through the full view.
///
/// # Examples
///
/// ```
/// use pool_fixed::Buffer;
///
/// let mut buf = Buffer::<u8>::new(8)?;
/// buf.full_mut()[..3].copy_from_slice(b"abc");
/// buf.set_len(3)?;
/// assert_eq!(buf.valid(), b"abc");
/// assert_eq!(buf.full().len(), 8);
/// assert!(buf.set_len(9).is_err(), "past the capacity");
/// # Ok::<(), pool_core::PoolError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Buffer<T> {
    data: Box<[T]>,
    /// Invariant: `len <= data.len()`.
    len: usize,
    /// Elements `..dirty` may hold non-default values.
    dirty: usize,
}

impl<T: Copy + Default> Buffer<T> {
    /// A buffer of `capacity` default (zero) elements and valid length 0.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming `capacity` if it is 0, more
    /// than a slice can hold (`isize::MAX` bytes), or more than the system
    /// would allocate.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::Buffer;
    ///
    /// let b = Buffer::<u8>::new(1500)?;
    /// assert_eq!((b.capacity(), b.len()), (1500, 0));
    /// assert!(Buffer::<u8>::new(0).is_err());
    /// assert!(Buffer::<u64>::new(usize::MAX).is_err(), "a typed error, not an abort");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn new(capacity: usize) -> Result<Self, PoolError> {
        if capacity == 0 {
            return Err(PoolError::invalid_config(
                "capacity",
                0,
                "at least 1 element",
            ));
        }
        let mut data = Vec::new();
        data.try_reserve_exact(capacity).map_err(|e| {
            PoolError::invalid_config(
                "capacity",
                capacity,
                format!("a buffer the system can allocate ({e})"),
            )
        })?;
        data.resize(capacity, T::default());
        Ok(Buffer {
            data: data.into_boxed_slice(),
            len: 0,
            dirty: 0,
        })
    }
}

impl<T> Buffer<T> {
    /// Every element, whatever the valid length (Go's `GetFullData`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::Buffer;
    ///
    /// let b = Buffer::<u8>::new(4)?;
    /// assert_eq!(b.full(), [0, 0, 0, 0]);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn full(&self) -> &[T] {
        &self.data
    }

    /// Every element, to write into.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::Buffer;
    ///
    /// let mut b = Buffer::<u8>::new(4)?;
    /// b.full_mut()[..2].copy_from_slice(b"hi");
    /// b.set_len(2)?;
    /// assert_eq!(b.valid(), b"hi");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn full_mut(&mut self) -> &mut [T] {
        self.dirty = self.data.len();
        &mut self.data
    }

    /// The first [`len`](Self::len) elements (Go's `GetValidData`).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::Buffer;
    ///
    /// let mut b = Buffer::<u8>::new(8)?;
    /// b.full_mut()[0] = 7;
    /// assert!(b.valid().is_empty(), "nothing is valid until set_len");
    /// b.set_len(1)?;
    /// assert_eq!(b.valid(), [7]);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn valid(&self) -> &[T] {
        &self.data[..self.len]
    }

    /// The valid elements, to change in place.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::Buffer;
    ///
    /// let mut b = Buffer::<u32>::new(4)?;
    /// b.set_len(2)?;
    /// b.valid_mut().copy_from_slice(&[1, 2]);
    /// assert_eq!(b.valid(), [1, 2]);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn valid_mut(&mut self) -> &mut [T] {
        self.dirty = self.dirty.max(self.len);
        &mut self.data[..self.len]
    }

    /// Sets the valid length (Go's `SetLength`).
    ///
    /// # Errors
    ///
    /// [`PoolError::TooLarge`] if `len` exceeds the capacity; the length is
    /// left as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_core::PoolError;
    /// use pool_fixed::Buffer;
    ///
    /// let mut b = Buffer::<u8>::new(4)?;
    /// b.set_len(4)?;
    /// assert_eq!(b.set_len(5), Err(PoolError::TooLarge { requested: 5, max: 4 }));
    /// assert_eq!(b.len(), 4, "unchanged");
    /// # Ok::<(), PoolError>(())
    /// ```
    pub fn set_len(&mut self, len: usize) -> Result<(), PoolError> {
        if len > self.data.len() {
            return Err(PoolError::TooLarge {
                requested: len,
                max: self.data.len(),
            });
        }
        self.len = len;
        Ok(())
    }

    /// The valid length.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::Buffer;
    ///
    /// let mut b = Buffer::<u8>::new(16)?;
    /// b.set_len(3)?;
    /// assert_eq!((b.len(), b.capacity()), (3, 16));
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the valid length is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::Buffer;
    ///
    /// let mut b = Buffer::<u8>::new(16)?;
    /// assert!(b.is_empty());
    /// b.set_len(1)?;
    /// assert!(!b.is_empty());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The fixed capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::Buffer;
    ///
    /// assert_eq!(Buffer::<u64>::new(32)?.capacity(), 32);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.data.len()
    }
}

impl<T: Copy + Default> Reset for Buffer<T> {
    fn reset(&mut self) {
        let dirty = self.dirty.max(self.len).min(self.data.len());
        self.data[..dirty].fill(T::default());
        self.len = 0;
        self.dirty = 0;
    }

    fn heap_bytes(&self) -> usize {
        size_of_val::<[T]>(&self.data)
    }
}

impl<T> fmt::Debug for Buffer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffer")
            .field("len", &self.len)
            .field("capacity", &self.data.len())
            .finish()
    }
}

impl<T: Copy + Default + Send> FixedPool<Buffer<T>> {
    /// `count` buffers of `buffer_capacity` elements each, as Go's
    /// channel-based pools' `Init(count, capacity)`: the pool's
    /// [`capacity`](Self::capacity) is `count`, each buffer's
    /// [`capacity`](Buffer::capacity) is `buffer_capacity` (a capacity is
    /// always a count of what the container holds, as `Vec::capacity`).
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming `capacity` (the pool's) when
    /// `count` is 0 or over [`MAX_ITEMS`](crate::MAX_ITEMS), or naming `buffer_capacity`
    /// when it is 0, when `count` buffers of it would be more than
    /// `isize::MAX` bytes, or when the system would not allocate them all
    /// in one piece (checked before any is made).
    ///
    /// # Panics
    ///
    /// If the system runs out of memory while making the buffers all the
    /// same (each is allocated fallibly, but the pool is built whole or not
    /// at all).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_fixed::FixedPool;
    ///
    /// let pool = FixedPool::<pool_fixed::Buffer<u8>>::buffers(10, 1024)?;
    /// assert_eq!(pool.capacity(), 10);
    /// let mut buf = pool.try_get()?;
    /// assert_eq!(buf.capacity(), 1024);
    /// buf.full_mut()[..5].copy_from_slice(b"hello");
    /// buf.set_len(5)?;
    /// assert_eq!(buf.valid(), b"hello");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn buffers(count: usize, buffer_capacity: usize) -> Result<Self, PoolError> {
        FixedPool::<Buffer<T>>::builder()
            .capacity(count)
            .validate()?;
        if buffer_capacity == 0 {
            return Err(PoolError::invalid_config(
                "buffer_capacity",
                0,
                "at least 1 element",
            ));
        }
        // No trial buffer: the reservation below answers for all of them.
        let total = buffer_capacity
            .checked_mul(size_of::<T>().max(1))
            .and_then(|b| b.checked_mul(count));
        let Some(total) = total.filter(|&b| b <= isize::MAX as usize) else {
            return Err(PoolError::invalid_config(
                "buffer_capacity",
                buffer_capacity,
                format!("at most isize::MAX bytes over all {count} buffers"),
            ));
        };
        // Every buffer is made (and zeroed, so touched) now: a total the
        // system would not give in one piece is refused here, before the
        // first page is written, not met by the out-of-memory killer
        // halfway through.
        if Vec::<u8>::new().try_reserve_exact(total).is_err() {
            return Err(PoolError::invalid_config(
                "buffer_capacity",
                buffer_capacity,
                format!("{count} buffers of it ({total} bytes) the system can allocate"),
            ));
        }
        FixedPool::new(count, move || match Buffer::new(buffer_capacity) {
            Ok(b) => b,
            Err(e) => panic!("FixedPool::buffers: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_zeroes_what_was_written() {
        let mut b = Buffer::<u8>::new(16).unwrap();
        b.full_mut()[10] = 9;
        b.set_len(4).unwrap();
        b.valid_mut()[0] = 1;
        b.reset();
        assert!(b.full().iter().all(|&x| x == 0));
        assert_eq!(b.len(), 0);
        assert_eq!(b.heap_bytes(), 16);
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(matches!(
            Buffer::<u8>::new(0),
            Err(PoolError::InvalidConfig {
                field: "capacity",
                ..
            })
        ));
        let mut b = Buffer::<u32>::new(2).unwrap();
        assert_eq!(
            b.set_len(3),
            Err(PoolError::TooLarge {
                requested: 3,
                max: 2
            })
        );
        assert_eq!(b.len(), 0);
    }
}
