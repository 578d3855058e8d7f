//! The one table of contenders, read by the benches and by `cargo xtask`
//! (which includes this file as a module: it has no dependency).

/// What a contender is, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One of this family's strategies.
    Ours,
    /// A variant of ours measured to show what a setting costs
    /// (`-timed`, `-nostats`); never recommended.
    OursVariant,
    /// A pool from another crate.
    Peer,
    /// Plain allocation, named after its allocator.
    Baseline,
    /// A naive design shown for reference (`tls-stack`).
    Reference,
}

/// One contender: its name in every report, and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The name in benchmark ids and reports.
    pub name: &'static str,
    /// What it is.
    pub kind: Kind,
    /// One line on how it is used.
    pub about: &'static str,
}

const fn entry(name: &'static str, kind: Kind, about: &'static str) -> Entry {
    Entry { name, kind, about }
}

/// pool-local.
pub const POOL_LOCAL: Entry = entry(
    "pool-local",
    Kind::Ours,
    "per-thread caches with a shared spill",
);
/// pool-tiered.
pub const POOL_TIERED: Entry = entry(
    "pool-tiered",
    Kind::Ours,
    "size classes over per-thread caches",
);
/// pool-fixed.
pub const POOL_FIXED: Entry = entry(
    "pool-fixed",
    Kind::Ours,
    "bounded: a fixed number of items, waiting when all are out",
);
/// pool-ring.
pub const POOL_RING: Entry = entry("pool-ring", Kind::Ours, "a lock-free ring of slots");
/// pool-local with timed trimming.
pub const POOL_LOCAL_TIMED: Entry = entry(
    "pool-local-timed",
    Kind::OursVariant,
    "pool-local trimmed every 10 ms",
);
/// pool-tiered with timed trimming.
pub const POOL_TIERED_TIMED: Entry = entry(
    "pool-tiered-timed",
    Kind::OursVariant,
    "pool-tiered trimmed every 10 ms",
);
/// pool-local without statistics.
pub const POOL_LOCAL_NOSTATS: Entry = entry(
    "pool-local-nostats",
    Kind::OursVariant,
    "pool-local with counters compiled out",
);
/// pool-tiered without statistics.
pub const POOL_TIERED_NOSTATS: Entry = entry(
    "pool-tiered-nostats",
    Kind::OursVariant,
    "pool-tiered with counters compiled out",
);
/// The naive thread-local stack.
pub const TLS_STACK: Entry = entry("tls-stack", Kind::Reference, "a naive thread_local! stack");
/// zeropool.
pub const ZEROPOOL: Entry = entry("zeropool", Kind::Peer, "zeropool 0.7, alloc_uninit");
/// opool.
pub const OPOOL: Entry = entry("opool", Kind::Peer, "opool 0.2, one ArrayQueue");
/// object-pool.
pub const OBJECT_POOL: Entry = entry("object-pool", Kind::Peer, "object-pool 0.6, a locked Vec");
/// lockfree-object-pool.
pub const LOCKFREE_OBJECT_POOL: Entry = entry(
    "lockfree-object-pool",
    Kind::Peer,
    "lockfree-object-pool 0.1, linear",
);
/// sharded-slab.
pub const SHARDED_SLAB: Entry = entry("sharded-slab", Kind::Peer, "sharded-slab 0.1 Pool");
/// A shared crossbeam ArrayQueue.
pub const ARRAYQUEUE: Entry = entry("arrayqueue", Kind::Peer, "one shared crossbeam ArrayQueue");

/// Every named contender (plain allocation is `alloc-<allocator>` and
/// `alloc-zeroed-<allocator>`, see [`kind_of`]).
pub const ALL: &[Entry] = &[
    POOL_LOCAL,
    POOL_TIERED,
    POOL_FIXED,
    POOL_RING,
    POOL_LOCAL_TIMED,
    POOL_TIERED_TIMED,
    POOL_LOCAL_NOSTATS,
    POOL_TIERED_NOSTATS,
    TLS_STACK,
    ZEROPOOL,
    OPOOL,
    OBJECT_POOL,
    LOCKFREE_OBJECT_POOL,
    SHARDED_SLAB,
    ARRAYQUEUE,
];

/// The allocators plain allocation is measured with.
pub const ALLOCATORS: &[&str] = &["system", "mimalloc"];

/// The scenarios, in report order.
pub const SCENARIOS: &[&str] = &[
    "single", "threads", "cross", "pipeline", "fill", "mixed", "replay", "burst",
];

/// The kind of the contender named `name` (`None` for an unknown name).
#[must_use]
pub fn kind_of(name: &str) -> Option<Kind> {
    if name.starts_with("alloc-") {
        return Some(Kind::Baseline);
    }
    ALL.iter().find(|e| e.name == name).map(|e| e.kind)
}

/// The names of the contenders of `kind`, in table order.
pub fn names(kind: Kind) -> impl Iterator<Item = &'static str> {
    ALL.iter().filter(move |e| e.kind == kind).map(|e| e.name)
}
