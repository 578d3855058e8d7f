//! Size classes: powers of two, the stream preset, or a validated list.

use std::fmt;

use pool_core::PoolError;

/// The buffer sizes a [`TieredPool`](crate::TieredPool) keeps, smallest
/// first.
///
/// # Examples
///
/// ```
/// use pool_tiered::SizeClasses;
///
/// let c = SizeClasses::power_of_two(128, 2 << 20)?; // Go's SizePowerOfTwo
/// assert_eq!(c.sizes().len(), 15);
/// assert_eq!(c.class_of(100), Some(0));       // 128 B
/// assert_eq!(c.class_of(129), Some(1));       // 256 B
/// assert_eq!(c.class_of(3 << 20), None);      // over the largest: oversize
///
/// let custom = SizeClasses::custom(&[1500, 9000])?;
/// assert_eq!(custom.class_of(1600), Some(1));
/// assert!(SizeClasses::custom(&[4096, 1024]).is_err());
/// # Ok::<(), pool_core::PoolError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SizeClasses {
    /// Strictly increasing, all positive.
    /// Shared with the pool's class table (see `Tiers`): one copy.
    sizes: std::sync::Arc<[usize]>,
    /// When the sizes are consecutive powers of two from 2 bytes up: the
    /// class of a length `len` (1 or more) at `ilog2((len - 1) | 1)`, or
    /// [`NO_CLASS`] over the largest size; a binary search otherwise.
    by_log2: Option<[u8; 64]>,
}

/// A [`SizeClasses::by_log2`] entry past the largest class.
const NO_CLASS: u8 = u8::MAX;

impl fmt::Debug for SizeClasses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SizeClasses")
            .field("sizes", &self.sizes)
            .finish_non_exhaustive()
    }
}

impl SizeClasses {
    /// Classes of `sizes` (validated: strictly increasing, all positive),
    /// with the table lookup where they are consecutive powers of two from
    /// 2 bytes up.
    fn of_sizes(sizes: Vec<usize>) -> Self {
        let pow2 = sizes[0] >= 2
            && sizes.iter().all(|s| s.is_power_of_two())
            && sizes.windows(2).all(|w| w[1] == w[0] * 2);
        let by_log2 = pow2.then(|| {
            let shift = sizes[0].trailing_zeros();
            // Entry `i` serves the lengths in (2^i, 2^(i+1)] (and 1 at 0,
            // which the smallest class, of 2 bytes or more, serves too):
            // the class of size 2^(i+1), or the smallest.
            std::array::from_fn(|i| {
                let class = (i as u32 + 1).saturating_sub(shift) as usize;
                // At most 63 classes (sizes up to 2^62): every index fits.
                u8::try_from(class)
                    .ok()
                    .filter(|_| class < sizes.len())
                    .unwrap_or(NO_CLASS)
            })
        });
        SizeClasses {
            sizes: sizes.into(),
            by_log2,
        }
    }

    /// Powers of two from `min` to `max` bytes (a Go `BytePool`'s
    /// `SizePowerOfTwo` is 128 B to 2 MiB).
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming `min` or `max` if either is not
    /// a power of two, or `min > max`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::SizeClasses;
    ///
    /// let c = SizeClasses::power_of_two(256, 4096)?;
    /// assert_eq!(c.sizes(), [256, 512, 1024, 2048, 4096]);
    /// assert!(SizeClasses::power_of_two(300, 4096).is_err());
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn power_of_two(min: usize, max: usize) -> Result<Self, PoolError> {
        if !min.is_power_of_two() {
            return Err(PoolError::invalid_config(
                "min",
                min,
                "a power of two, at least 1",
            ));
        }
        if !max.is_power_of_two() || max < min || max > isize::MAX as usize {
            return Err(PoolError::invalid_config(
                "max",
                max,
                format!(
                    "a power of two, at least min ({min}) and at most {}",
                    isize::MAX as usize / 2 + 1
                ),
            ));
        }
        let sizes = (min.trailing_zeros()..=max.trailing_zeros())
            .map(|s| 1usize << s)
            .collect();
        Ok(SizeClasses::of_sizes(sizes))
    }

    /// Sizes for byte streams (Go's `SizeStream`): 512 B (small
    /// frames), 1500 (an Ethernet MTU), 4 KiB (a page), 9000 (a jumbo
    /// frame), 16 KiB (a TLS record), 64 KiB (a socket read), 256 KiB and
    /// 1 MiB (chunks of large bodies).
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::SizeClasses;
    ///
    /// let c = SizeClasses::stream();
    /// assert_eq!(c.class_of(1400).map(|i| c.sizes()[i]), Some(1500), "one Ethernet frame");
    /// ```
    pub fn stream() -> Self {
        SizeClasses::of_sizes(vec![512, 1500, 4096, 9000, 16384, 65536, 262_144, 1 << 20])
    }

    /// Any list of sizes.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] if the list is empty, or naming the
    /// first entry that is 0, over `isize::MAX` (more than a `Vec<u8>` can
    /// hold) or not larger than the one before it.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::SizeClasses;
    ///
    /// let c = SizeClasses::custom(&[100, 1000, 10_000])?;
    /// assert_eq!(c.largest(), 10_000);
    /// assert!(SizeClasses::custom(&[1000, 100]).is_err(), "not increasing");
    /// assert!(SizeClasses::custom(&[64, usize::MAX]).is_err(), "more than a Vec can hold");
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn custom(sizes: &[usize]) -> Result<Self, PoolError> {
        if sizes.is_empty() {
            return Err(PoolError::invalid_config(
                "sizes",
                "[]",
                "at least one size",
            ));
        }
        for (i, &s) in sizes.iter().enumerate() {
            if s == 0 {
                return Err(PoolError::invalid_config(
                    "sizes",
                    format!("sizes[{i}] = 0"),
                    "positive sizes",
                ));
            }
            if s > isize::MAX as usize {
                return Err(PoolError::invalid_config(
                    "sizes",
                    format!("sizes[{i}] = {s}"),
                    format!("sizes a Vec<u8> can hold (at most {})", isize::MAX),
                ));
            }
            if i > 0 && s <= sizes[i - 1] {
                return Err(PoolError::invalid_config(
                    "sizes",
                    format!("sizes[{i}] = {s} after {}", sizes[i - 1]),
                    "strictly increasing sizes",
                ));
            }
        }
        Ok(SizeClasses::of_sizes(sizes.to_vec()))
    }

    /// The sizes, smallest first.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::SizeClasses;
    ///
    /// assert_eq!(SizeClasses::custom(&[10, 20])?.sizes(), [10, 20]);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The sizes, shared.
    pub(crate) fn shared_sizes(&self) -> std::sync::Arc<[usize]> {
        std::sync::Arc::clone(&self.sizes)
    }

    /// The largest size.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::SizeClasses;
    ///
    /// assert_eq!(SizeClasses::power_of_two(128, 1 << 20)?.largest(), 1 << 20);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn largest(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }

    /// The smallest class that holds `len` bytes; `None` over the largest.
    /// O(1) for powers of two (leading zeros), a binary search otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::SizeClasses;
    ///
    /// let c = SizeClasses::power_of_two(128, 1024)?;
    /// assert_eq!(c.class_of(0), Some(0));
    /// assert_eq!(c.class_of(129), Some(1));
    /// assert_eq!(c.class_of(1025), None);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    #[inline]
    pub fn class_of(&self, len: usize) -> Option<usize> {
        match &self.by_log2 {
            Some(by_log2) => {
                // One table load, no branch on the length but the rare one
                // for 0 (wrapped to `usize::MAX`, past every class): fewer
                // instructions than computing ceil(log2(len)) -
                // log2(smallest) behind a branch for the lengths up to the
                // smallest.
                let class = by_log2[((len.wrapping_sub(1) | 1).ilog2() & 63) as usize];
                if class != NO_CLASS {
                    Some(usize::from(class))
                } else {
                    (len == 0).then_some(0)
                }
            }
            None => {
                let i = self.sizes.partition_point(|&s| s < len);
                (i < self.sizes.len()).then_some(i)
            }
        }
    }

    /// The largest class whose size is at most `capacity` (where a foreign
    /// buffer of that capacity can serve); `None` below the smallest.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::SizeClasses;
    ///
    /// let c = SizeClasses::power_of_two(128, 1024)?;
    /// assert_eq!(c.class_for_capacity(600), Some(2), "serves the 512 class");
    /// assert_eq!(c.class_for_capacity(100), None);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn class_for_capacity(&self, capacity: usize) -> Option<usize> {
        self.sizes
            .partition_point(|&s| s <= capacity)
            .checked_sub(1)
    }
}

impl Default for SizeClasses {
    /// 128 B to 2 MiB in powers of two.
    fn default() -> Self {
        match SizeClasses::power_of_two(128, 2 << 20) {
            Ok(c) => c,
            Err(_) => unreachable!("the default classes are valid"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow2_lookup_matches_a_linear_search() {
        let top = isize::MAX as usize / 2 + 1;
        for c in [
            SizeClasses::default(),
            SizeClasses::power_of_two(1, 1 << 16).unwrap(),
            SizeClasses::power_of_two(2, 1 << 10).unwrap(),
            SizeClasses::power_of_two(1 << 12, top).unwrap(),
            SizeClasses::custom(&[64, 128, 256]).unwrap(),
        ] {
            let (min, max) = (c.sizes()[0], *c.sizes().last().unwrap());
            let edges = [min, max, 2 << 20, top]
                .into_iter()
                .flat_map(|s| [s - 1, s, s + 1]);
            for len in (0..70_000).chain(edges).chain([usize::MAX - 1, usize::MAX]) {
                let linear = c.sizes().iter().position(|&s| s >= len);
                assert_eq!(c.class_of(len), linear, "len {len} in {:?}", c.sizes());
            }
        }
    }

    #[test]
    fn a_max_past_isize_is_refused_with_the_largest_accepted() {
        let top = isize::MAX as usize / 2 + 1;
        assert!(SizeClasses::power_of_two(1, top).is_ok());
        let e = SizeClasses::power_of_two(1, top << 1).unwrap_err();
        assert!(
            e.to_string().contains(&format!("at most {top}")),
            "names the largest power of two a Vec<u8> can hold: {e}"
        );
    }

    #[test]
    fn custom_lists_are_validated_with_the_offending_value() {
        let e = SizeClasses::custom(&[]).unwrap_err();
        assert!(e.to_string().contains("at least one size"), "{e}");
        let e = SizeClasses::custom(&[64, 0]).unwrap_err();
        assert!(e.to_string().contains("sizes[1] = 0"), "{e}");
        let e = SizeClasses::custom(&[64, 128, 128]).unwrap_err();
        assert!(
            e.to_string().contains("sizes[2] = 128 after 128")
                && e.to_string().contains("strictly increasing"),
            "{e}"
        );
        let e = SizeClasses::power_of_two(100, 1024).unwrap_err();
        assert!(matches!(e, PoolError::InvalidConfig { field: "min", .. }));
        let e = SizeClasses::power_of_two(1024, 512).unwrap_err();
        assert!(e.to_string().contains("at least min (1024)"), "{e}");
        // A custom list of consecutive powers of two gets the O(1) lookup.
        assert!(
            SizeClasses::custom(&[64, 128, 256])
                .unwrap()
                .by_log2
                .is_some()
        );
    }

    #[test]
    fn foreign_capacity_goes_to_the_largest_class_it_can_serve() {
        let c = SizeClasses::custom(&[1500, 4096, 9000]).unwrap();
        assert_eq!(c.class_for_capacity(1000), None);
        assert_eq!(c.class_for_capacity(1500), Some(0));
        assert_eq!(c.class_for_capacity(8000), Some(1));
        assert_eq!(c.class_for_capacity(1 << 20), Some(2));
    }
}
