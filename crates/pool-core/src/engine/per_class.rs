//! One value per class, the first one inline.

/// One value per class: the first inline, the rest boxed. An engine of one
/// class reaches its only value with no indirection and no bounds check
/// (`get(0)` with a constant 0 compiles to a field access); one of several
/// classes pays one predictable branch.
///
/// # Examples
///
/// ```
/// use pool_core::engine::PerClass;
///
/// let sizes = PerClass::from_vec(vec![128, 4096, 65536]).unwrap();
/// assert_eq!((*sizes.get(0), *sizes.get(2), sizes.len()), (128, 65536, 3));
/// let doubled = sizes.map(|s| s * 2);
/// assert_eq!(doubled.iter().copied().collect::<Vec<_>>(), [256, 8192, 131072]);
/// assert!(PerClass::<u8>::from_vec(Vec::new()).is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerClass<V> {
    first: V,
    rest: Box<[V]>,
}

impl<V> PerClass<V> {
    /// The values of `values`, in order; `None` if it is empty.
    pub fn from_vec(mut values: Vec<V>) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let rest = values.split_off(1);
        let first = values.pop()?;
        Some(PerClass {
            first,
            rest: rest.into_boxed_slice(),
        })
    }

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
        match self.rest.get(class.wrapping_sub(1)) {
            Some(v) => v,
            None => self.first_or_panic(class),
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
        let len = self.len();
        match self.rest.get_mut(class.wrapping_sub(1)) {
            Some(v) => v,
            None if class == 0 => &mut self.first,
            None => out_of_range(class, len),
        }
    }

    /// The number of classes (at least 1).
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// The values in class order.
    pub fn iter(&self) -> impl Iterator<Item = &V> {
        std::iter::once(&self.first).chain(self.rest.iter())
    }

    /// The values in class order, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut V> {
        std::iter::once(&mut self.first).chain(self.rest.iter_mut())
    }

    /// A value per class made from each of these.
    pub fn map<W>(&self, mut f: impl FnMut(&V) -> W) -> PerClass<W> {
        PerClass {
            first: f(&self.first),
            rest: self.rest.iter().map(f).collect(),
        }
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn out_of_range(class: usize, len: usize) -> ! {
    panic!("class {class} out of range: the engine has {len} classes")
}

impl<V> IntoIterator for PerClass<V> {
    type Item = V;
    type IntoIter = std::iter::Chain<std::iter::Once<V>, std::vec::IntoIter<V>>;

    fn into_iter(self) -> Self::IntoIter {
        std::iter::once(self.first).chain(self.rest.into_vec())
    }
}

/// Which class an [`Engine`](super::Engine) call is for: a `usize` index,
/// or [`Only`] for an engine of one class. `Only` is a constant the
/// compiler sees through, so a one-class pool's get and put carry no class
/// index and no branch on it.
///
/// # Examples
///
/// ```
/// use pool_core::engine::{ClassIndex, Only, PerClass};
///
/// let p = PerClass::from_vec(vec!["a", "b"]).unwrap();
/// assert_eq!((*1usize.of(&p), *Only.of(&p)), ("b", "a"));
/// ```
pub trait ClassIndex: Copy {
    /// The value of this class in `p`.
    ///
    /// # Panics
    ///
    /// If the index is not below `p.len()`.
    fn of<V>(self, p: &PerClass<V>) -> &V;

    /// The value of this class in `p`, mutably.
    ///
    /// # Panics
    ///
    /// If the index is not below `p.len()`.
    fn of_mut<V>(self, p: &mut PerClass<V>) -> &mut V;
}

impl ClassIndex for usize {
    #[inline(always)]
    fn of<V>(self, p: &PerClass<V>) -> &V {
        p.get(self)
    }

    #[inline(always)]
    fn of_mut<V>(self, p: &mut PerClass<V>) -> &mut V {
        p.get_mut(self)
    }
}

/// The class of an engine that has one: class 0, known at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Only;

impl ClassIndex for Only {
    #[inline(always)]
    fn of<V>(self, p: &PerClass<V>) -> &V {
        &p.first
    }

    #[inline(always)]
    fn of_mut<V>(self, p: &mut PerClass<V>) -> &mut V {
        &mut p.first
    }
}
