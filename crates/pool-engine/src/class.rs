//! What a class is made of, and how an item enters it.

use crate::limits::ClassLimits;

/// How an item came to [`Engine::put`](crate::Engine::put): returned by a
/// guard, or adopted (never handed out); it decides what is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// It was handed out by [`Engine::take`](crate::Engine::take) and comes back: counted as a
    /// return when kept, as a discard (with its reason) when dropped.
    Returned,
    /// The pool never handed it out (a user's `put`, a prefill): counted
    /// as prefilled when kept, not counted when dropped (it was never out).
    Adopted,
}

/// A class's limits and the factory that makes its items on a miss.
pub type ClassSpec<T> = (ClassLimits, Box<dyn Fn() -> T + Send + Sync>);

/// The classes of an [`Engine`](crate::Engine), asked for a class's limits
/// and items when the engine needs them: an engine keeps nothing per class
/// until the class is used, so a table that computes its classes (from a
/// list of sizes, say) is all an empty pool holds of them.
///
/// `Vec<ClassSpec<T>>` is a table (what [`Engine::new`](crate::Engine::new)
/// takes), and so is one class's `(ClassLimits, factory)`, which boxes
/// nothing. The engine asks for [`classes`](Self::classes) and every class's
/// [`limits`](Self::limits) once when it is built (to check them), and
/// later for one class's limits when a thread first uses that class and
/// when the class's shared part is made.
///
/// # Examples
///
/// Sixteen classes of buffers, computed, with no factory boxed per class:
///
/// ```
/// use pool_engine::{ClassLimits, ClassTable, Engine, Entry};
///
/// struct Powers;
///
/// impl ClassTable<Vec<u8>> for Powers {
///     fn classes(&self) -> usize {
///         16
///     }
///     fn limits(&self, class: usize) -> ClassLimits {
///         let size = 64 << class;
///         ClassLimits { min_item_bytes: size, max_item_bytes: 2 * size - 1, ..ClassLimits::default() }
///     }
///     fn make(&self, class: usize) -> Vec<u8> {
///         Vec::with_capacity(64 << class)
///     }
/// }
///
/// let engine: Engine<Vec<u8>> = Engine::with_table(Powers, None, None, ())?;
/// let buf = engine.take(3);
/// assert_eq!(buf.capacity(), 512);
/// assert!(engine.put(3, buf, Entry::Returned));
/// # Ok::<(), pool_core::PoolError>(())
/// ```
pub trait ClassTable<T>: Send + Sync + 'static {
    /// The number of classes (at least one for a valid engine).
    fn classes(&self) -> usize;

    /// The limits of `class` (below [`classes`](Self::classes)); the same
    /// on every call. They are checked when the engine is built; numbers
    /// that leave the checked ranges later are held to them.
    fn limits(&self, class: usize) -> ClassLimits;

    /// A new item of `class` (below [`classes`](Self::classes)), on a miss
    /// or a prefill.
    fn make(&self, class: usize) -> T;
}

impl<T: 'static> ClassTable<T> for Vec<ClassSpec<T>> {
    fn classes(&self) -> usize {
        self.len()
    }

    fn limits(&self, class: usize) -> ClassLimits {
        self[class].0
    }

    fn make(&self, class: usize) -> T {
        (self[class].1)()
    }
}

/// One class: its limits and its factory.
impl<T: 'static, F: Fn() -> T + Send + Sync + 'static> ClassTable<T> for (ClassLimits, F) {
    fn classes(&self) -> usize {
        1
    }

    fn limits(&self, _class: usize) -> ClassLimits {
        self.0
    }

    fn make(&self, _class: usize) -> T {
        (self.1)()
    }
}
