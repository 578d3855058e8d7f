//! The one table of contenders, and the list parsing and size labels,
//! shared by the benches and `cargo xtask` (which includes this file as a
//! module: it has no dependency).

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
/// pool-local built with the `leak-sites` feature, no tracker: what the
/// two tracked rows are compared with.
pub const POOL_LOCAL_LEAK_SITES: Entry = entry(
    "pool-local-leak-sites",
    Kind::OursVariant,
    "pool-local built with the leak-sites feature, no tracker",
);
/// pool-local with a sampled leak tracker (its default, one guard in 128).
pub const POOL_LOCAL_SAMPLED: Entry = entry(
    "pool-local-sampled",
    Kind::OursVariant,
    "pool-local with LeakTracker::sampled() (one guard in 128)",
);
/// pool-local with a leak tracker that records every guard.
pub const POOL_LOCAL_TRACKED: Entry = entry(
    "pool-local-tracked",
    Kind::OursVariant,
    "pool-local with LeakTracker::new() (every guard)",
);
/// pool-local's owned guards.
pub const POOL_LOCAL_OWNED: Entry = entry(
    "pool-local-owned",
    Kind::OursVariant,
    "pool-local with owned guards (get_owned)",
);
/// pool-local with a pool for each producer (pipeline only).
pub const POOL_LOCAL_PER_PRODUCER: Entry = entry(
    "pool-local-per-producer",
    Kind::OursVariant,
    "pool-local, one pool per producing thread: every buffer goes back to the pool of the thread that took it",
);
/// pool-local prefilled as full as it keeps (pipeline only).
pub const POOL_LOCAL_PREFILLED: Entry = entry(
    "pool-local-prefilled",
    Kind::OursVariant,
    "pool-local after prefill(usize::MAX): its 1,088 prefilled items wait in a reserve drawn from only when returned ones run out",
);
/// pool-tiered's owned buffers.
pub const POOL_TIERED_OWNED: Entry = entry(
    "pool-tiered-owned",
    Kind::OursVariant,
    "pool-tiered with owned buffers (get_owned)",
);
/// pool-fixed's owned guards.
pub const POOL_FIXED_OWNED: Entry = entry(
    "pool-fixed-owned",
    Kind::OursVariant,
    "pool-fixed with owned guards (get_owned)",
);
/// pool-ring's owned guards.
pub const POOL_RING_OWNED: Entry = entry(
    "pool-ring-owned",
    Kind::OursVariant,
    "pool-ring with owned guards (try_get_owned)",
);
/// lockfree-object-pool's owned form.
pub const LOCKFREE_OBJECT_POOL_OWNED: Entry = entry(
    "lockfree-object-pool-owned",
    Kind::Peer,
    "lockfree-object-pool 0.1, pull_owned on an Arc",
);
/// object-pool's owned form.
pub const OBJECT_POOL_OWNED: Entry = entry(
    "object-pool-owned",
    Kind::Peer,
    "object-pool 0.6, pull_owned on an Arc",
);
/// opool's owned form.
pub const OPOOL_OWNED: Entry = entry("opool-owned", Kind::Peer, "opool 0.2, get_rc on an Arc");
/// The bare hand-off: a `usize` through the cross-thread queue, no buffer.
pub const HANDOFF: Entry = entry(
    "handoff",
    Kind::Reference,
    "a bare usize through the cross-thread queue (the transport alone)",
);
/// The naive thread-local stack.
pub const TLS_STACK: Entry = entry("tls-stack", Kind::Reference, "a naive thread_local! stack");
/// The naive thread-local stack with one uncontended atomic
/// read-modify-write per get + put: the cost of that one instruction here.
pub const TLS_STACK_ATOMIC: Entry = entry(
    "tls-stack-atomic",
    Kind::Reference,
    "tls-stack plus one uncontended atomic read-modify-write per get + put",
);
/// The mixed scenario's floor: each length written into one buffer the
/// thread keeps, no allocation and no pool.
pub const WRITE_ONLY: Entry = entry(
    "write-only",
    Kind::Reference,
    "each length written into one buffer the thread keeps (no allocation): the write alone",
);
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
    POOL_LOCAL_LEAK_SITES,
    POOL_LOCAL_SAMPLED,
    POOL_LOCAL_TRACKED,
    POOL_LOCAL_OWNED,
    POOL_LOCAL_PER_PRODUCER,
    POOL_LOCAL_PREFILLED,
    POOL_TIERED_OWNED,
    POOL_FIXED_OWNED,
    POOL_RING_OWNED,
    TLS_STACK,
    TLS_STACK_ATOMIC,
    HANDOFF,
    WRITE_ONLY,
    ZEROPOOL,
    OPOOL,
    OBJECT_POOL,
    LOCKFREE_OBJECT_POOL,
    SHARDED_SLAB,
    ARRAYQUEUE,
    LOCKFREE_OBJECT_POOL_OWNED,
    OBJECT_POOL_OWNED,
    OPOOL_OWNED,
];

/// Producers and consumers of the pipeline scenario for `threads` threads
/// in all (at least one of each): half and half, the odd one producing.
#[must_use]
pub fn pipeline_split(threads: usize) -> (usize, usize) {
    let threads = threads.max(2);
    let consumers = threads / 2;
    (threads - consumers, consumers)
}

/// Plain allocation with mimalloc, as the `pools_mimalloc` target names it.
pub const ALLOC_MIMALLOC: &str = "alloc-mimalloc";

/// Plain allocation with the system allocator, as the `pools` target
/// names it.
pub const ALLOC_SYSTEM: &str = "alloc-system";

/// The scenario name under which the cross-thread targets on what an owned
/// guard adds to the bare hand-off, against what mimalloc adds, are timed
/// as three loops in alternation (`pool_benches::interleaved::above`).
pub const CROSS_ABOVE: &str = "cross-above";

/// What such a three-loop figure of `cross` is recorded against, beside
/// `who`'s `cross` row: `above:<vs>`.
#[must_use]
pub fn above(vs: &str) -> String {
    format!("above:{vs}")
}

/// The allocators plain allocation is measured with.
pub const ALLOCATORS: &[&str] = &["system", "mimalloc"];

/// The contenders whose times in `scenario` can be compared again with
/// the two loops in alternation, in one process (`POOL_BENCH_PAIRS`; see
/// `pool_benches::interleaved`): those of the default build of the
/// `pools` target that the targets name, in `single` and `threads`, those
/// of `two` (two pools in turn), of `cross` (owned guards against
/// borrowed ones, dropped on another thread) and of `pipeline` (our pools
/// against the shared queue; plain allocation, [`ALLOC_SYSTEM`], pairs
/// there too); none in another scenario.
#[must_use]
pub fn pairable(scenario: &str) -> &'static [Entry] {
    match scenario {
        "pipeline" => &[POOL_LOCAL, POOL_LOCAL_PREFILLED, POOL_TIERED, ARRAYQUEUE],
        "single" | "threads" => &[
            POOL_LOCAL,
            POOL_LOCAL_TIMED,
            POOL_LOCAL_OWNED,
            POOL_TIERED,
            POOL_TIERED_OWNED,
            POOL_FIXED,
            POOL_FIXED_OWNED,
            POOL_RING,
            POOL_RING_OWNED,
            TLS_STACK,
            TLS_STACK_ATOMIC,
            ZEROPOOL,
            LOCKFREE_OBJECT_POOL,
        ],
        "two" => &[POOL_LOCAL, POOL_TIERED, ZEROPOOL],
        "cross" => &[POOL_LOCAL, POOL_LOCAL_OWNED, POOL_TIERED, POOL_TIERED_OWNED],
        _ => &[],
    }
}

/// The scenarios, in report order.
pub const SCENARIOS: &[&str] = &[
    "single", "two", "threads", "cross", "tokio", "pipeline", "fill", "mixed", "replay", "burst",
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

/// Parses a comma-separated list of whole numbers (`"1,2,16"`; with
/// `sizes`, `4k` and `1m` too), each in `range`; sorted, without
/// duplicates.
///
/// # Errors
///
/// A message naming `what`, the entry that is wrong and what is accepted
/// (an empty list, a word, zero, a number out of range, or one that
/// overflows with its suffix).
pub fn parse_list(
    text: &str,
    what: &str,
    range: std::ops::RangeInclusive<usize>,
    sizes: bool,
) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let lower = part.to_ascii_lowercase();
        let (digits, mult) = match lower.strip_suffix(['k', 'm']) {
            Some(d) if sizes => (
                d,
                if lower.ends_with('k') {
                    1 << 10
                } else {
                    1 << 20
                },
            ),
            _ => (lower.as_str(), 1),
        };
        let value = digits
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_mul(mult));
        match value {
            Some(n) if range.contains(&n) => out.push(n),
            _ => {
                return Err(format!(
                    "{what}: `{part}` is not valid; expected comma-separated whole numbers in {}..={}{}",
                    range.start(),
                    range.end(),
                    if sizes {
                        " (bytes; k and m suffixes allowed)"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The thread counts accepted.
pub const THREADS: std::ops::RangeInclusive<usize> = 1..=1024;
/// The buffer sizes accepted, 1 B to 1 GiB.
pub const SIZES: std::ops::RangeInclusive<usize> = 1..=1 << 30;

/// `4096` -> `4KiB`.
#[must_use]
pub fn size_label(size: usize) -> String {
    if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else if size >= 1024 && size.is_multiple_of(1024) {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}
