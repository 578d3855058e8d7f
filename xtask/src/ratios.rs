//! The table of time-ratio targets: each is one contender's time against
//! another's in one scenario, read by [`crate::targets`].

/// Where in the threaded scenario a target reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    /// One thread (the `single` scenario).
    One,
    /// The most threads measured (over one).
    Most,
    /// Two threads: the cross-thread scenario's producer and consumer.
    Pair,
}

/// A target that is one time ratio: `who`'s time at most `max` times
/// `vs`'s, in `scenario` at each of `sizes`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ratio {
    pub(crate) what: &'static str,
    pub(crate) who: &'static str,
    pub(crate) vs: &'static str,
    pub(crate) scenario: &'static str,
    pub(crate) sizes: &'static [usize],
    pub(crate) at: At,
    pub(crate) max: f64,
    /// Shown as a cost in percent (`+7.7%`) instead of a ratio.
    pub(crate) percent: bool,
    /// `who` needs one uncontended atomic read-modify-write per get + put
    /// that `vs` does not (an owned guard's release, pool-ring's claim):
    /// the line also prints what that one instruction costs on this
    /// machine ([`ATOMIC_FLOOR`]), a floor under the ratio.
    pub(crate) atomic: bool,
}

/// The pair whose ratio is the cost of one uncontended atomic
/// read-modify-write per get + put on the machine of the run: the naive
/// thread-local stack with one, against the same stack without.
pub(crate) const ATOMIC_FLOOR: (&str, &str) = ("tls-stack-atomic", "tls-stack");

/// `r`, for a `who` that needs one more atomic read-modify-write than its
/// `vs` (see [`Ratio::atomic`]).
const fn one_atomic_more(r: Ratio) -> Ratio {
    Ratio { atomic: true, ..r }
}

const BOTH: &[usize] = &[4096, 65536];

const fn ratio(
    what: &'static str,
    who: &'static str,
    vs: &'static str,
    scenario: &'static str,
    sizes: &'static [usize],
    at: At,
    max: f64,
) -> Ratio {
    Ratio {
        what,
        who,
        vs,
        scenario,
        sizes,
        at,
        max,
        percent: false,
        atomic: false,
    }
}

const fn cost(what: &'static str, who: &'static str, vs: &'static str, max: f64) -> Ratio {
    Ratio {
        percent: true,
        ..ratio(what, who, vs, "single", BOTH, At::One, max)
    }
}

/// The time-ratio targets each strategy is held to, as ratios within one
/// run.
pub(crate) const RATIOS: &[Ratio] = &[
    // The per-thread layer on one thread.
    ratio(
        "pool-local at most 0.9x lockfree-object-pool's time",
        "pool-local",
        "lockfree-object-pool",
        "single",
        BOTH,
        At::One,
        0.9,
    ),
    ratio(
        "pool-local at most zeropool's time (both write 16 bytes)",
        "pool-local",
        "zeropool",
        "single",
        BOTH,
        At::One,
        1.0,
    ),
    ratio(
        "pool-local within 1.1x of the naive thread-local stack",
        "pool-local",
        "tls-stack",
        "single",
        BOTH,
        At::One,
        1.1,
    ),
    cost(
        "pool-local timed trimming (every 10 ms) costs under 3%",
        "pool-local-timed",
        "pool-local",
        1.03,
    ),
    cost(
        "pool-local statistics cost under 10%",
        "pool-local",
        "pool-local-nostats",
        1.10,
    ),
    cost(
        "pool-tiered statistics cost under 10%",
        "pool-tiered",
        "pool-tiered-nostats",
        1.10,
    ),
    ratio(
        "a sampled leak tracker (one guard in 128, the default) costs at most 1.1x no tracker",
        "pool-local-sampled",
        "pool-local-leak-sites",
        "single",
        &[4096],
        At::One,
        1.10,
    ),
    ratio(
        "pool-local at most half the time of Vec::with_capacity + drop with mimalloc",
        "pool-local",
        "alloc-mimalloc",
        "single",
        &[65536],
        At::One,
        0.5,
    ),
    // pool-fixed: one compare-exchange per get and one swap per put on the
    // thread's own slot; a bound costs, but no more than this.
    ratio(
        "pool-fixed at most 1.5x lockfree-object-pool's time",
        "pool-fixed",
        "lockfree-object-pool",
        "single",
        &[4096],
        At::One,
        1.5,
    ),
    ratio(
        "pool-fixed at most 2x pool-local's time",
        "pool-fixed",
        "pool-local",
        "single",
        &[4096],
        At::One,
        2.0,
    ),
    // pool-tiered: one per-thread lookup for all its classes.
    ratio(
        "pool-tiered within 1.15x of pool-local",
        "pool-tiered",
        "pool-local",
        "single",
        BOTH,
        At::One,
        1.15,
    ),
    ratio(
        "pool-tiered within 1.15x of pool-local",
        "pool-tiered",
        "pool-local",
        "threads",
        BOTH,
        At::Most,
        1.15,
    ),
    // Two pools used in turn on one thread (a pool per message type):
    // a cache bound to one pool at a time pays on every switch.
    ratio(
        "pool-local at most 0.5x zeropool's time, two pools in turn",
        "pool-local",
        "zeropool",
        "two",
        BOTH,
        At::One,
        0.5,
    ),
    ratio(
        "pool-tiered at most 0.5x zeropool's time, two pools in turn",
        "pool-tiered",
        "zeropool",
        "two",
        BOTH,
        At::One,
        0.5,
    ),
    ratio(
        "pool-tiered faster than zeropool",
        "pool-tiered",
        "zeropool",
        "single",
        BOTH,
        At::One,
        1.0,
    ),
    ratio(
        "pool-tiered faster than zeropool",
        "pool-tiered",
        "zeropool",
        "threads",
        BOTH,
        At::Most,
        1.0,
    ),
    // Owned guards: a hold on the pool counted per thread, no shared
    // counter on get or drop (issue: owned guards as cheap as borrowed).
    one_atomic_more(ratio(
        "pool-local get_owned at most 1.2x get's time",
        "pool-local-owned",
        "pool-local",
        "single",
        BOTH,
        At::One,
        1.2,
    )),
    one_atomic_more(ratio(
        "pool-tiered get_owned at most 1.2x get's time",
        "pool-tiered-owned",
        "pool-tiered",
        "single",
        BOTH,
        At::One,
        1.2,
    )),
    ratio(
        "pool-local owned at least 0.8x borrowed throughput (time at most 1.25x)",
        "pool-local-owned",
        "pool-local",
        "threads",
        BOTH,
        At::Most,
        1.25,
    ),
    ratio(
        "pool-tiered owned at least 0.8x borrowed throughput (time at most 1.25x)",
        "pool-tiered-owned",
        "pool-tiered",
        "threads",
        BOTH,
        At::Most,
        1.25,
    ),
    ratio(
        "pool-local owned, dropped on another thread, at most 1.25x a shared pool's borrowed guard",
        "pool-local-owned",
        "pool-local",
        "cross",
        &[4096],
        At::Pair,
        1.25,
    ),
    ratio(
        "pool-tiered owned, dropped on another thread, at most 1.25x a shared pool's borrowed guard",
        "pool-tiered-owned",
        "pool-tiered",
        "cross",
        &[4096],
        At::Pair,
        1.25,
    ),
    one_atomic_more(ratio(
        "pool-fixed get_owned at most 1.2x get's time",
        "pool-fixed-owned",
        "pool-fixed",
        "single",
        BOTH,
        At::One,
        1.2,
    )),
    ratio(
        "pool-fixed owned at least 0.8x borrowed throughput (time at most 1.25x)",
        "pool-fixed-owned",
        "pool-fixed",
        "threads",
        BOTH,
        At::Most,
        1.25,
    ),
    one_atomic_more(ratio(
        "pool-ring try_get_owned at most 1.2x get's time",
        "pool-ring-owned",
        "pool-ring",
        "single",
        BOTH,
        At::One,
        1.2,
    )),
    ratio(
        "pool-ring owned at least 0.8x borrowed throughput (time at most 1.25x)",
        "pool-ring-owned",
        "pool-ring",
        "threads",
        BOTH,
        At::Most,
        1.25,
    ),
    ratio(
        "pool-local owned at most 1.25x a static pool's borrowed guard in tokio tasks",
        "pool-local-owned",
        "pool-local",
        "tokio",
        &[4096],
        At::Most,
        1.25,
    ),
    ratio(
        "pool-local owned faster than Vec::with_capacity + drop with mimalloc in tokio tasks",
        "pool-local-owned",
        "alloc-mimalloc",
        "tokio",
        &[4096],
        At::Most,
        1.0,
    ),
    ratio(
        "pool-tiered owned faster than Vec::with_capacity + drop with mimalloc in tokio tasks",
        "pool-tiered-owned",
        "alloc-mimalloc",
        "tokio",
        &[4096],
        At::Most,
        1.0,
    ),
    one_atomic_more(ratio(
        "pool-ring within 1.5x of pool-local",
        "pool-ring",
        "pool-local",
        "single",
        &[4096],
        At::One,
        1.5,
    )),
];

/// The targets' pairs `(scenario, who, vs)` that the `pools` bench target
/// can time again with the two loops in alternation: one thread in
/// `single` and `two`, the most threads in `threads`, the two threads of
/// `cross` (both in
/// [`table::pairable`](crate::table::pairable) of the scenario), each
/// once, in table order.
pub(crate) fn pairs() -> Vec<(&'static str, &'static str, &'static str)> {
    let pairable =
        |scenario: &str, n: &str| crate::table::pairable(scenario).iter().any(|e| e.name == n);
    let mut out = Vec::new();
    for t in RATIOS {
        let pair = (t.scenario, t.who, t.vs);
        let at = match t.scenario {
            "threads" => At::Most,
            "cross" => At::Pair,
            _ => At::One,
        };
        if t.at == at
            && pairable(t.scenario, t.who)
            && pairable(t.scenario, t.vs)
            && !out.contains(&pair)
        {
            out.push(pair);
        }
    }
    // The floor those lines print, timed in alternation too.
    if RATIOS.iter().any(|t| t.atomic && t.at == At::One) {
        out.push(("single", ATOMIC_FLOOR.0, ATOMIC_FLOOR.1));
    }
    out
}

/// The pipeline's pairs, timed in alternation at the run's most threads
/// for its recommendation (its rows move the most from run to run): each
/// pool of ours against plain allocation with each allocator (in the
/// bench target whose global allocator it is), pool-local against the
/// shared queue, and pool-local prefilled against pool-local (what a
/// prefill costs a steady load).
pub(crate) const PIPELINE_PAIRS: &[(&str, &str, &str)] = &[
    ("pipeline", "pool-local", crate::table::ALLOC_SYSTEM),
    (
        "pipeline",
        "pool-local-prefilled",
        crate::table::ALLOC_SYSTEM,
    ),
    ("pipeline", "pool-tiered", crate::table::ALLOC_SYSTEM),
    ("pipeline", "pool-local", crate::table::ALLOC_MIMALLOC),
    (
        "pipeline",
        "pool-local-prefilled",
        crate::table::ALLOC_MIMALLOC,
    ),
    ("pipeline", "pool-tiered", crate::table::ALLOC_MIMALLOC),
    ("pipeline", "pool-local", "arrayqueue"),
    ("pipeline", "pool-local-prefilled", "pool-local"),
];

/// The owned guards whose cost above the bare hand-off, in `cross`, is
/// held to 0.6x mimalloc's.
pub(crate) const ABOVE_HANDOFF: &[&str] = &["pool-local-owned", "pool-tiered-owned"];

/// The triples the `pools_mimalloc` target times in alternation for the
/// [`ABOVE_HANDOFF`] targets (`cross-above/<who>:alloc-mimalloc`: `who`,
/// mimalloc and the bare hand-off, in one process).
pub(crate) fn above_pairs() -> Vec<(&'static str, &'static str, &'static str)> {
    ABOVE_HANDOFF
        .iter()
        .map(|who| {
            (
                crate::table::CROSS_ABOVE,
                *who,
                crate::table::ALLOC_MIMALLOC,
            )
        })
        .collect()
}

/// `pairs` as `POOL_BENCH_PAIRS` spells them: `scenario/who:vs,...`.
pub(crate) fn spec<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(scenario, who, vs)| format!("{scenario}/{who}:{vs}"))
        .collect::<Vec<_>>()
        .join(",")
}
