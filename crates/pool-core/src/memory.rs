//! Where a pool's idle items are.

/// Idle items in one place, and the heap bytes they hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Held {
    /// Idle items.
    pub items: u64,
    /// Heap bytes they hold (as `Reset::heap_bytes` measured them when
    /// they came back).
    pub bytes: u64,
}

impl Held {
    /// `items` items holding `bytes` heap bytes.
    pub fn new(items: u64, bytes: u64) -> Self {
        Held { items, bytes }
    }
}

impl std::ops::Add for Held {
    type Output = Held;

    fn add(self, other: Held) -> Held {
        Held::new(self.items + other.items, self.bytes + other.bytes)
    }
}

/// Where one class's idle items are (a per-thread pool's retained items,
/// split): in the threads' own caches, in the spill every thread shares,
/// and in the reserve of items made ahead of demand (`prefill`), which is
/// taken from only when a thread's cache and the spill are empty. Cheap
/// enough to read from a metrics scrape: the same work as a statistics
/// snapshot.
///
/// The shared places are counted as items move; the thread caches are
/// what the statistics retain less the shared places, so a snapshot taken
/// while threads work is approximate, as statistics are.
///
/// # Examples
///
/// ```
/// use pool_core::{Held, Memory};
///
/// let m = Memory::new(Held::new(3, 3072), Held::new(32, 32768), Held::default());
/// assert_eq!(m.total(), Held::new(35, 35840));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct Memory {
    /// In the threads' caches (those of threads that exited went to the
    /// spill).
    pub thread_caches: Held,
    /// In the spill that every thread shares.
    pub spill: Held,
    /// In the reserve of prefilled items.
    pub reserve: Held,
}

impl Memory {
    /// The three places' figures.
    pub fn new(thread_caches: Held, spill: Held, reserve: Held) -> Self {
        Memory {
            thread_caches,
            spill,
            reserve,
        }
    }

    /// Every idle item, wherever it is.
    pub fn total(&self) -> Held {
        self.thread_caches + self.spill + self.reserve
    }
}

impl std::ops::Add for Memory {
    type Output = Memory;

    fn add(self, other: Memory) -> Memory {
        Memory::new(
            self.thread_caches + other.thread_caches,
            self.spill + other.spill,
            self.reserve + other.reserve,
        )
    }
}
