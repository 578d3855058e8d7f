//! One value per class: the first inline, optionally more inline, the
//! rest boxed.

/// The most classes kept inline after the first ([`PerClass`]'s `INLINE`,
/// and so [`Engine`](crate::Engine)'s): more is refused at compile time, as
/// the inline values are built on the stack.
///
/// ```
/// use pool_engine::{MAX_INLINE, PerClass};
///
/// let p = PerClass::from_vec(vec![1, 2]).unwrap();
/// let most: PerClass<i32, MAX_INLINE> = p.map_inline(|&v| v);
/// assert_eq!(most.len(), 2);
/// ```
///
/// ```compile_fail
/// use pool_engine::{MAX_INLINE, PerClass};
///
/// let p = PerClass::from_vec(vec![1, 2]).unwrap();
/// let _: PerClass<i32, { MAX_INLINE + 1 }> = p.map_inline(|&v| v);
/// ```
pub const MAX_INLINE: usize = 64;

/// One value per class: the first inline, the next `INLINE` inline too,
/// the rest boxed. An engine of one class reaches its only value with no
/// indirection and no bounds check (`get(0)` with a constant 0 compiles to
/// a field access); one of several classes pays one predictable branch,
/// and for a class past the inline ones, a load of the box's pointer
/// before its value: a dependent load on every access, which is why the
/// per-thread caches of a many-class engine sit inline (see
/// [`Engine`](crate::Engine)'s `INLINE`).
///
/// With fewer classes than `1 + INLINE`, the inline positions past the
/// last class hold default values (fillers) that no class reaches through
/// [`get`](Self::get), [`iter`](Self::iter) or comparison:
/// [`get_filled`](Self::get_filled) reaches them, for a hot path that
/// skips the range check and meets an out-of-range class later.
///
/// # Examples
///
/// ```
/// use pool_engine::PerClass;
///
/// let sizes = PerClass::from_vec(vec![128, 4096, 65536]).unwrap();
/// assert_eq!((*sizes.get(0), *sizes.get(2), sizes.len()), (128, 65536, 3));
/// let doubled = sizes.map(|s| s * 2);
/// assert_eq!(doubled.iter().copied().collect::<Vec<_>>(), [256, 8192, 131072]);
/// assert!(PerClass::<u8>::from_vec(Vec::new()).is_none());
///
/// // Two more inline: the same values, in the same order.
/// let inline: PerClass<_, 2> = sizes.map_inline(|&s| s);
/// assert_eq!((*inline.get(1), *inline.get(2), inline.len()), (4096, 65536, 3));
/// assert_eq!(inline.iter().copied().collect::<Vec<_>>(), [128, 4096, 65536]);
/// ```
#[derive(Clone)]
pub struct PerClass<V, const INLINE: usize = 0> {
    first: V,
    /// Classes `1..=INLINE`: the classes that exist (a prefix), then
    /// default fillers.
    inline: [V; INLINE],
    /// Classes after the inline ones.
    rest: Box<[V]>,
    /// The number of classes.
    len: usize,
}

impl<V> PerClass<V> {
    /// The values of `values`, in order, none inline but the first; `None`
    /// if it is empty. [`map_inline`](Self::map_inline) makes one with
    /// more inline.
    pub fn from_vec(values: Vec<V>) -> Option<Self> {
        let len = values.len();
        let mut values = values.into_iter();
        let first = values.next()?;
        Some(PerClass {
            first,
            inline: [],
            rest: values.collect(),
            len,
        })
    }

    /// A value per class made from each of these (`f` called in class
    /// order), none inline but the first: no fillers, so `W` needs no
    /// `Default` ([`map_inline`](Self::map_inline) makes one with more
    /// inline, [`map_same`](Self::map_same) one with as many).
    pub fn map<W>(&self, mut f: impl FnMut(&V) -> W) -> PerClass<W> {
        PerClass {
            first: f(&self.first),
            inline: [],
            rest: self.rest.iter().map(f).collect(),
            len: self.len,
        }
    }
}

impl<V, const INLINE: usize> PerClass<V, INLINE> {
    /// The value of class 0.
    #[inline(always)]
    pub fn first(&self) -> &V {
        &self.first
    }

    /// The value of `class`.
    ///
    /// # Panics
    ///
    /// If `class` is not below [`len`](Self::len), with a message that
    /// names both.
    #[inline(always)]
    pub fn get(&self, class: usize) -> &V {
        self.check_inline(class);
        self.get_filled(class)
    }

    /// Panics if `class` is one of the inline positions past the last
    /// class (a filler's); [`get_filled`](Self::get_filled) checks the
    /// rest.
    #[inline(always)]
    fn check_inline(&self, class: usize) {
        // Class 0 wraps to `usize::MAX`: past the inline ones.
        if class.wrapping_sub(1) < INLINE && class >= self.len {
            out_of_range(class, self.len)
        }
    }

    #[inline(always)]
    fn first_or_panic(&self, class: usize) -> &V {
        if class == 0 {
            &self.first
        } else {
            out_of_range(class, self.len())
        }
    }

    /// The value of `class`, mutably.
    ///
    /// # Panics
    ///
    /// If `class` is not below [`len`](Self::len), with a message that
    /// names both.
    #[inline(always)]
    pub fn get_mut(&mut self, class: usize) -> &mut V {
        self.check_inline(class);
        self.get_filled_mut(class)
    }

    /// The value of `class`, or for a class past [`len`](Self::len) but
    /// within the inline ones, a default filler: one range check fewer
    /// than [`get`](Self::get), for an engine's hot path whose class was
    /// checked already, or is checked later on a slow path (an engine's
    /// per-thread cache and counters: a filler cache is empty and keeps
    /// nothing, so a take or put of an out-of-range class reaches the
    /// class's shelf, whose lookup panics).
    ///
    /// # Panics
    ///
    /// If `class` is past the inline values and not below `len`.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_engine::PerClass;
    ///
    /// let p: PerClass<u32, 4> = PerClass::from_vec(vec![10, 20]).unwrap().map_inline(|&v| v);
    /// assert_eq!((*p.get_filled(1), *p.get_filled(3)), (20, 0), "class 3: a filler");
    /// assert!(std::panic::catch_unwind(|| *p.get(3)).is_err(), "get checks the range");
    /// ```
    #[inline(always)]
    pub fn get_filled(&self, class: usize) -> &V {
        let i = class.wrapping_sub(1);
        if i < INLINE {
            &self.inline[i]
        } else {
            match self.rest.get(i.wrapping_sub(INLINE)) {
                Some(v) => v,
                None => self.first_or_panic(class),
            }
        }
    }

    /// [`get_filled`](Self::get_filled), mutably.
    ///
    /// # Panics
    ///
    /// As [`get_filled`](Self::get_filled).
    #[inline(always)]
    pub fn get_filled_mut(&mut self, class: usize) -> &mut V {
        let len = self.len;
        let i = class.wrapping_sub(1);
        if i < INLINE {
            &mut self.inline[i]
        } else {
            match self.rest.get_mut(i.wrapping_sub(INLINE)) {
                Some(v) => v,
                None if class == 0 => &mut self.first,
                None => out_of_range(class, len),
            }
        }
    }

    /// The number of inline values after the first that are classes (the
    /// rest are fillers).
    fn inline_len(&self) -> usize {
        (self.len - 1).min(INLINE)
    }

    /// The number of classes (at least 1).
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        self.len
    }

    /// The values in class order.
    pub fn iter(&self) -> impl Iterator<Item = &V> {
        std::iter::once(&self.first)
            .chain(self.inline[..self.inline_len()].iter())
            .chain(self.rest.iter())
    }

    /// The values in class order, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut V> {
        let n = self.inline_len();
        std::iter::once(&mut self.first)
            .chain(self.inline[..n].iter_mut())
            .chain(self.rest.iter_mut())
    }

    /// A value per class made from each of these (`f` called in class
    /// order), with the same number inline (fillers are `W::default()`).
    pub fn map_same<W: Default>(&self, f: impl FnMut(&V) -> W) -> PerClass<W, INLINE> {
        self.map_inline(f)
    }

    /// A value per class made from each of these (`f` called in class
    /// order), with `M` of them inline after the first; inline positions
    /// past the last class hold `W::default()` (see
    /// [`get_filled`](Self::get_filled)).
    ///
    /// # Panics
    ///
    /// Never at run time: an `M` over [`MAX_INLINE`] is refused at compile
    /// time (the inline values are built on the stack).
    pub fn map_inline<W: Default, const M: usize>(
        &self,
        mut f: impl FnMut(&V) -> W,
    ) -> PerClass<W, M> {
        const {
            assert!(
                M <= MAX_INLINE,
                "PerClass: at most MAX_INLINE (64) values inline"
            )
        };
        let first = f(&self.first);
        let mut values = self.iter().skip(1);
        let inline = std::array::from_fn(|_| values.next().map(&mut f).unwrap_or_default());
        PerClass {
            first,
            inline,
            rest: values.map(f).collect(),
            len: self.len,
        }
    }
}

/// The values in class order, as a list (the fillers are not shown).
impl<V: std::fmt::Debug, const INLINE: usize> std::fmt::Debug for PerClass<V, INLINE> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Equal when they have the same values in the same order (fillers aside).
impl<V: PartialEq, const INLINE: usize> PartialEq for PerClass<V, INLINE> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<V: Eq, const INLINE: usize> Eq for PerClass<V, INLINE> {}

#[cold]
#[inline(never)]
#[track_caller]
fn out_of_range(class: usize, len: usize) -> ! {
    panic!("class {class} out of range: the engine has {len} classes")
}

impl<V, const INLINE: usize> IntoIterator for PerClass<V, INLINE> {
    type Item = V;
    type IntoIter = std::iter::Chain<
        std::iter::Chain<std::iter::Once<V>, std::iter::Take<std::array::IntoIter<V, INLINE>>>,
        std::vec::IntoIter<V>,
    >;

    /// The values in class order (not the fillers).
    fn into_iter(self) -> Self::IntoIter {
        let n = self.inline_len();
        std::iter::once(self.first)
            .chain(self.inline.into_iter().take(n))
            .chain(self.rest.into_vec())
    }
}

/// Which class an [`Engine`](crate::Engine) call is for: a `usize` index,
/// or [`OnlyClass`] for an engine of one class. `OnlyClass` is a constant the
/// compiler sees through, so a one-class pool's get and put carry no class
/// index and no branch on it.
///
/// # Examples
///
/// ```
/// use pool_engine::{ClassIndex, OnlyClass, PerClass};
///
/// let p = PerClass::from_vec(vec!["a", "b"]).unwrap();
/// assert_eq!((*1usize.of(&p), *OnlyClass.of(&p)), ("b", "a"));
/// ```
pub trait ClassIndex: Copy {
    /// The class's index.
    fn index(self) -> usize;

    /// The value of this class in `p`.
    ///
    /// # Panics
    ///
    /// If the index is not below `p.len()`.
    fn of<V, const INLINE: usize>(self, p: &PerClass<V, INLINE>) -> &V;

    /// The value of this class in `p`, mutably.
    ///
    /// # Panics
    ///
    /// If the index is not below `p.len()`.
    fn of_mut<V, const INLINE: usize>(self, p: &mut PerClass<V, INLINE>) -> &mut V;

    /// [`PerClass::get_filled`] for this class: the value of this class in
    /// `p`, or an inline filler for an out-of-range class (the engine's
    /// per-thread lookups, whose slow paths check the range).
    ///
    /// # Panics
    ///
    /// As [`PerClass::get_filled`].
    #[inline(always)]
    fn of_filled<V, const INLINE: usize>(self, p: &PerClass<V, INLINE>) -> &V {
        self.of(p)
    }

    /// [`of_filled`](Self::of_filled), mutably.
    ///
    /// # Panics
    ///
    /// As [`PerClass::get_filled`].
    #[inline(always)]
    fn of_filled_mut<V, const INLINE: usize>(self, p: &mut PerClass<V, INLINE>) -> &mut V {
        self.of_mut(p)
    }
}

impl ClassIndex for usize {
    #[inline(always)]
    fn index(self) -> usize {
        self
    }

    #[inline(always)]
    fn of<V, const INLINE: usize>(self, p: &PerClass<V, INLINE>) -> &V {
        p.get(self)
    }

    #[inline(always)]
    fn of_mut<V, const INLINE: usize>(self, p: &mut PerClass<V, INLINE>) -> &mut V {
        p.get_mut(self)
    }

    #[inline(always)]
    fn of_filled<V, const INLINE: usize>(self, p: &PerClass<V, INLINE>) -> &V {
        p.get_filled(self)
    }

    #[inline(always)]
    fn of_filled_mut<V, const INLINE: usize>(self, p: &mut PerClass<V, INLINE>) -> &mut V {
        p.get_filled_mut(self)
    }
}

/// The class of an engine that has one: class 0, known at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlyClass;

impl ClassIndex for OnlyClass {
    #[inline(always)]
    fn index(self) -> usize {
        0
    }

    #[inline(always)]
    fn of<V, const INLINE: usize>(self, p: &PerClass<V, INLINE>) -> &V {
        &p.first
    }

    #[inline(always)]
    fn of_mut<V, const INLINE: usize>(self, p: &mut PerClass<V, INLINE>) -> &mut V {
        &mut p.first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values 0..n with `I` inline after the first.
    fn classes<const I: usize>(n: usize) -> PerClass<usize, I> {
        PerClass::from_vec((0..n).collect())
            .expect("n > 0")
            .map_inline(|&v| v)
    }

    fn each_class<const I: usize>(n: usize) {
        let mut p = classes::<I>(n);
        assert_eq!(p.len(), n, "{I} inline, {n} classes");
        for class in 0..n {
            assert_eq!(*p.get(class), class);
            *p.get_mut(class) += 100;
            assert_eq!(*class.of(&p), class + 100);
        }
        assert_eq!(*OnlyClass.of(&p), 100);
        let order: Vec<usize> = p.iter().copied().collect();
        assert_eq!(order, (100..100 + n).collect::<Vec<_>>());
        p.iter_mut().for_each(|v| *v -= 100);
        assert_eq!(
            p.clone().into_iter().collect::<Vec<_>>(),
            (0..n).collect::<Vec<_>>()
        );
        let mut seen = Vec::new();
        let doubled: PerClass<usize, 1> = p.map_inline(|&v| {
            seen.push(v);
            v * 2
        });
        assert_eq!(seen, (0..n).collect::<Vec<_>>(), "f runs in class order");
        assert_eq!(doubled.len(), n);
        assert_eq!(*doubled.get(n - 1), 2 * (n - 1));
    }

    #[test]
    fn every_class_is_reached_inline_or_boxed() {
        for n in [1, 2, 3, 4, 5, 9] {
            each_class::<0>(n);
            each_class::<3>(n);
        }
    }

    #[test]
    fn fillers_are_reached_only_by_get_filled() {
        let mut p = classes::<4>(2);
        p.iter_mut().for_each(|v| *v += 10);
        assert_eq!((*p.get_filled(0), *p.get_filled(1)), (10, 11));
        for class in 2..=4 {
            assert_eq!(*p.get_filled(class), 0, "class {class}: a default filler");
            *p.get_filled_mut(class) = 99;
        }
        assert_eq!(p.len(), 2);
        assert_eq!(p.iter().copied().collect::<Vec<_>>(), [10, 11]);
        assert_eq!(format!("{p:?}"), "[10, 11]");
        let mut q = classes::<4>(2);
        q.iter_mut().for_each(|v| *v += 10);
        assert_eq!(p, q, "fillers aside, equal");
        assert_ne!(p, classes::<4>(3));
        assert_eq!(p.clone().into_iter().collect::<Vec<_>>(), [10, 11]);
        let m: PerClass<u8, 2> = p.map_inline(|&v| v as u8);
        assert_eq!(m.iter().copied().collect::<Vec<_>>(), [10, 11]);
        assert_eq!(*m.get_filled(2), 0, "map_inline fills with defaults");
        // Past the inline values, get_filled checks the range as get does.
        for class in [5, usize::MAX] {
            assert!(std::panic::catch_unwind(|| *classes::<4>(2).get_filled(class)).is_err());
        }
        // `map` (none inline) takes values with no default.
        let nz = classes::<0>(3).map(|&v| std::num::NonZeroUsize::new(v + 1).expect("v + 1 > 0"));
        assert_eq!(nz.iter().map(|v| v.get()).collect::<Vec<_>>(), [1, 2, 3]);
        let same = classes::<4>(2).map_same(|&v| v + 1);
        assert_eq!(
            (
                same.iter().copied().collect::<Vec<_>>(),
                *same.get_filled(3)
            ),
            (vec![1, 2], 0)
        );
        // With every class inline or boxed, it reaches the same values as get.
        let p = classes::<2>(6);
        assert!((0..6).all(|c| p.get_filled(c) == p.get(c)));
    }

    #[test]
    fn a_class_past_the_end_panics_naming_both() {
        for (inline, n, class) in [
            (0usize, 2usize, 2usize),
            (3, 2, 2),
            (3, 2, 3),
            (3, 6, 6),
            (3, 6, usize::MAX),
        ] {
            let msg = std::panic::catch_unwind(|| {
                if inline == 0 {
                    *classes::<0>(n).get(class)
                } else {
                    *classes::<3>(n).get(class)
                }
            })
            .expect_err("out of range");
            let msg = msg.downcast_ref::<String>().expect("a formatted message");
            assert!(
                msg.contains(&format!("class {class} out of range"))
                    && msg.contains(&format!("{n} classes")),
                "{msg}"
            );
            let mut p = classes::<3>(n);
            assert!(
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| *p.get_mut(class)))
                    .is_err()
            );
        }
    }
}
