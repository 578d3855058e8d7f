//! The design's targets, checked where a run measured what they need:
//! the plain time ratios as data ([`RATIOS`]), and the few that need more
//! than one table (scaling, peers at the most threads) as code.

use std::collections::BTreeMap;

use crate::cases::{Case, Row, find, scenario_rank};
use crate::ratios::{ATOMIC_FLOOR, At, RATIOS};

fn ns_of(list: &[Row], who: &str) -> Option<f64> {
    list.iter().find(|r| r.contender == who).map(|r| r.ns)
}

/// Peers that keep at most a fixed number of idle items (a shared
/// `ArrayQueue` each); pool-fixed, the bounded pool, is compared with them.
const BOUNDED_PEERS: &[&str] = &["opool", "arrayqueue"];

fn mark(ok: bool) -> &'static str {
    if ok { "MET " } else { "MISS" }
}

/// A figure and its spread: criterion's confidence intervals carried
/// through a ratio, or the middle rounds of an alternation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Fig {
    pub(crate) x: f64,
    pub(crate) lo: f64,
    pub(crate) hi: f64,
}

impl Fig {
    /// `a`'s time over `b`'s, each with its interval.
    fn time_ratio(a: &Row, b: &Row) -> Fig {
        Fig {
            x: a.ns / b.ns,
            lo: a.ns_range.0 / b.ns_range.1,
            hi: a.ns_range.1 / b.ns_range.0,
        }
    }

    /// `a`'s throughput over `b`'s (the inverse of their times, scaled
    /// by the threads each row counts).
    fn throughput_ratio(a: &Row, b: &Row) -> Fig {
        let scale = (a.mops() * a.ns) / (b.mops() * b.ns);
        let t = Fig::time_ratio(b, a);
        Fig {
            x: t.x * scale,
            lo: t.lo * scale,
            hi: t.hi * scale,
        }
    }

    /// A ratio timed in alternation: its median and its middle rounds.
    fn alternated(p: &crate::cases::Paired) -> Fig {
        Fig {
            x: p.ratio,
            lo: p.spread.0,
            hi: p.spread.1,
        }
    }

    /// The same figure times `k` (a positive constant).
    fn times(self, k: f64) -> Fig {
        Fig {
            x: self.x * k,
            lo: self.lo * k,
            hi: self.hi * k,
        }
    }
}

/// MET where the whole spread meets the target, MISS where none of it
/// does, NOISE where the spread straddles it: the machine, not the
/// design, decided that figure.
pub(crate) fn judge(f: Fig, ok: impl Fn(f64) -> bool) -> &'static str {
    match (ok(f.lo), ok(f.hi)) {
        (true, true) => "MET ",
        (false, false) => "MISS",
        _ => "NOISE",
    }
}

/// What a NOISE verdict adds to its line: the spread that straddles the
/// target (nothing for the other verdicts).
fn noise(f: Fig, ok: impl Fn(f64) -> bool) -> String {
    if judge(f, ok) == "NOISE" {
        format!(" [within noise: {:.3}-{:.3}]", f.lo, f.hi)
    } else {
        String::new()
    }
}

/// `who` at least `min` times `of`'s throughput in the same table.
fn throughput_line(who: &str, ours: &Row, of: &str, peer: &Row, min: f64) -> String {
    let f = Fig::throughput_ratio(ours, peer);
    let ok = |x: f64| x >= min;
    format!(
        "{} {who} at least {min}x {of} throughput, {}, {} threads: {:.2}x{}",
        judge(f, ok),
        ours.size_label,
        ours.threads,
        f.x,
        noise(f, ok)
    )
}

/// What one uncontended atomic read-modify-write per get + put costs in
/// `list` ([`ATOMIC_FLOOR`]), as the tail of a target's line; empty where
/// the run did not time it. A ratio target under that figure, for a design
/// that needs the instruction against one that does not, cannot be met on
/// this machine.
fn atomic_floor(list: &[Row]) -> String {
    let (with, without) = ATOMIC_FLOOR;
    let (Some(row), Some(base)) = (
        list.iter().find(|r| r.contender == with),
        ns_of(list, without),
    ) else {
        return String::new();
    };
    let again = row
        .paired
        .iter()
        .find(|p| p.vs == without)
        .map_or(String::new(), |p| {
            format!(", {:.2}x in alternation", p.ratio)
        });
    format!(
        "; floor: one atomic read-modify-write per op costs {:.2}x{again} here ({with} vs {without})",
        row.ns / base
    )
}

/// The lines of the ratio targets this run measured.
fn ratio_lines(cases: &BTreeMap<Case, Vec<Row>>, max_t: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    for t in RATIOS {
        let threads = match t.at {
            At::One => 1,
            At::Pair => 2,
            At::Most => match max_t.filter(|&m| m > 1) {
                Some(m) => m,
                None => continue,
            },
        };
        for &size in t.sizes {
            let Some(list) = find(cases, t.scenario, size, threads) else {
                continue;
            };
            let (Some(who_row), Some(vs)) = (
                list.iter().find(|r| r.contender == t.who),
                ns_of(list, t.vs),
            ) else {
                continue;
            };
            let who = who_row.ns;
            let vs_row = list
                .iter()
                .find(|r| r.contender == t.vs)
                .expect("found above");
            let f = Fig::time_ratio(who_row, vs_row);
            let ok = |x: f64| x <= t.max;
            let label = &list[0].size_label;
            let plural = if threads == 1 { "" } else { "s" };
            let figure = |x: f64| {
                if t.percent {
                    format!("{:+.1}%", (x - 1.0) * 100.0)
                } else {
                    format!("{x:.2}x")
                }
            };
            // The same ratio timed again with the two loops in alternation,
            // where the run did so: on a loaded machine the two can differ.
            let again = who_row
                .paired
                .iter()
                .find(|p| p.vs == t.vs)
                .map_or(String::new(), |p| {
                    let g = Fig::alternated(p);
                    format!(
                        "; in alternation: {} ({}){}",
                        figure(p.ratio),
                        judge(g, ok).trim_end(),
                        noise(g, ok)
                    )
                });
            out.push(format!(
                "{} {}, {label}, {threads} thread{plural}: {} ({who:.1} vs {vs:.1} ns){}{again}{}",
                judge(f, ok),
                t.what,
                figure(f.x),
                noise(f, ok),
                if t.atomic {
                    atomic_floor(list)
                } else {
                    String::new()
                }
            ));
        }
    }
    out
}

/// The instruction targets, one thread, 4 KiB (callgrind's counts, the
/// same on every run of one build): `(who, vs, at most who/vs, what)`.
const INSTRUCTION_TARGETS: &[(&str, &str, f64, &str)] = &[
    (
        "pool-local",
        "zeropool",
        1.0,
        "pool-local at most zeropool's instructions",
    ),
    (
        "pool-tiered",
        "pool-local",
        1.1,
        "pool-tiered at most 1.1x pool-local's instructions",
    ),
    (
        "pool-local-owned",
        "pool-local",
        1.1,
        "pool-local get_owned at most 1.1x get's instructions",
    ),
    (
        "pool-tiered-owned",
        "pool-tiered",
        1.1,
        "pool-tiered get_owned at most 1.1x get's instructions",
    ),
    (
        "pool-fixed",
        "pool-local",
        1.2,
        "pool-fixed at most 1.2x pool-local's instructions",
    ),
    // At most 5% of an op's instructions: without >= 0.95 x with.
    (
        "pool-local",
        "pool-local-nostats",
        1.0 / 0.95,
        "pool-local's statistics at most 5% of an op's instructions (vs pool-local-nostats)",
    ),
    (
        "pool-tiered",
        "pool-tiered-nostats",
        1.0 / 0.95,
        "pool-tiered's statistics at most 5% of an op's instructions (vs pool-tiered-nostats)",
    ),
    (
        "pool-local-sampled",
        "pool-local-leak-sites",
        1.0 / 0.97,
        "a sampled leak tracker at most 3% of an op's instructions (vs leak sites without a tracker)",
    ),
    (
        "pool-local-leak-sites",
        "pool-local",
        1.0,
        "leak sites built in, no tracker: no instruction more than pool-local",
    ),
];

/// The instruction targets this run counted: MET or MISS, with no noise
/// to allow for.
fn instruction_lines(cases: &BTreeMap<Case, Vec<Row>>) -> Vec<String> {
    let Some(list) = find(cases, "single", 4096, 1) else {
        return Vec::new();
    };
    let count = |name: &str| list.iter().find(|r| r.contender == name)?.instructions;
    INSTRUCTION_TARGETS
        .iter()
        .filter_map(|&(who, vs, max, what)| {
            let (a, b) = (count(who)?, count(vs)?);
            Some(format!(
                "{} {what}, 4KiB, 1 thread: {:.2}x ({a:.0} vs {b:.0} instructions per op)",
                mark(a <= max * b),
                a / b
            ))
        })
        .collect()
}

/// Every target this run measured, MET or MISS, and the ones it could not,
/// judged for this machine's core count.
pub(crate) fn targets(cases: &BTreeMap<Case, Vec<Row>>) -> Vec<String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    targets_on(cases, cores)
}

/// [`targets`] for a machine of `cores` cores: a thread count above it is
/// oversubscribed, and some targets differ there.
pub(crate) fn targets_on(cases: &BTreeMap<Case, Vec<Row>>, cores: usize) -> Vec<String> {
    let thread_counts: Vec<usize> = {
        let mut v: Vec<usize> = cases
            .keys()
            .filter(|k| k.0 == scenario_rank("threads") && k.2 > 1)
            .map(|k| k.2)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let max_t = cases
        .keys()
        .filter(|k| k.0 == scenario_rank("threads"))
        .map(|k| k.2)
        .max();
    let mut out = ratio_lines(cases, max_t);
    out.extend(instruction_lines(cases));
    // Cross-thread: what an owned guard adds to the bare hand-off (a
    // `usize` through the same queue), against what mimalloc adds.
    if let Some(list) = find(cases, "cross", 4096, 2)
        && let Some(bare) = ns_of(list, "handoff")
        && let Some(alloc) = ns_of(list, crate::table::ALLOC_MIMALLOC)
    {
        for &who in crate::ratios::ABOVE_HANDOFF {
            if let Some(row) = list.iter().find(|r| r.contender == who) {
                let ns = row.ns;
                let x = (ns - bare).max(0.0) / (alloc - bare).max(f64::MIN_POSITIVE);
                // The same figure from the three loops in alternation (the
                // `pools_mimalloc` target), where the run timed them.
                let again = row
                    .paired
                    .iter()
                    .find(|p| p.vs == crate::table::above(crate::table::ALLOC_MIMALLOC))
                    .map_or(String::new(), |p| {
                        let g = Fig::alternated(p);
                        let ok = |y: f64| y <= 0.6;
                        format!(
                            "; in alternation: {:.2}x ({}){}",
                            p.ratio,
                            judge(g, ok).trim_end(),
                            noise(g, ok)
                        )
                    });
                out.push(format!(
                    "{} {who} at most 0.6x mimalloc's cost above the bare hand-off, 4KiB, 2 threads: {x:.2}x ({:.1} vs {:.1} ns above {bare:.1}){again}",
                    mark(x <= 0.6),
                    ns - bare,
                    alloc - bare
                ));
            }
        }
    }
    for size in [4096usize, 65536] {
        let label = if size == 4096 { "4KiB" } else { "64KiB" };
        // The most threads: still ahead of every peer.
        if let Some(t) = max_t.filter(|&t| t > 1)
            && let Some(list) = find(cases, "threads", size, t)
            && let Some(local) = list.iter().find(|r| r.contender == "pool-local")
            && let Some(p) = list
                .iter()
                .filter(|r| crate::table::kind_of(&r.contender) == Some(crate::table::Kind::Peer))
                .min_by(|a, b| a.ns.total_cmp(&b.ns))
        {
            let f = Fig::time_ratio(local, p);
            let ok = |x: f64| x < 1.0;
            out.push(format!(
                "{} pool-local faster than every peer, {label}, {t} threads: {:.1} ns vs best peer {} {:.1} ns ({:.2}x){}",
                judge(f, ok),
                local.ns,
                p.contender,
                p.ns,
                f.x,
                noise(f, ok)
            ));
        }
    }
    // pool-ring, at every thread count: with a core per thread, 5x a shared
    // ArrayQueue's throughput at 2 threads and 5x lockfree-object-pool's
    // at 16; oversubscribed (more threads than cores), half of pool-local's
    // and 3x a shared ArrayQueue's.
    for &t in &thread_counts {
        for size in [4096usize, 65536] {
            let Some(list) = find(cases, "threads", size, t) else {
                continue;
            };
            let Some(ring) = list.iter().find(|r| r.contender == "pool-ring") else {
                continue;
            };
            let wanted: &[(&str, f64)] = if t > cores {
                &[("pool-local", 0.5), ("arrayqueue", 3.0)]
            } else if t == 2 {
                &[("arrayqueue", 5.0)]
            } else if t >= 16 {
                &[("lockfree-object-pool", 5.0)]
            } else {
                &[]
            };
            for &(peer, min) in wanted {
                if let Some(p) = list.iter().find(|r| r.contender == peer) {
                    let mut line = throughput_line("pool-ring", ring, &format!("{peer}'s"), p, min);
                    // What no sharing at all reaches against the same peer
                    // in this run, and no sharing with the one atomic
                    // read-modify-write per get + put that a ring's claim
                    // needs: a target above them cannot be met here.
                    let reach = |name: &str| {
                        list.iter()
                            .find(|r| r.contender == name)
                            .map(|r| r.mops() / p.mops())
                    };
                    let (with, without) = ATOMIC_FLOOR;
                    match (reach(without), reach(with)) {
                        (Some(nothing), Some(atomic)) => line.push_str(&format!(
                            " ({without}, which shares nothing: {nothing:.2}x; {with}, which shares nothing but takes one atomic read-modify-write per op: {atomic:.2}x)"
                        )),
                        (Some(nothing), None) => line.push_str(&format!(
                            " ({without}, which shares nothing: {nothing:.2}x)"
                        )),
                        _ => {}
                    }
                    out.push(line);
                }
            }
        }
    }
    // pool-fixed at the most threads: faster than every peer that keeps a
    // bound (none of them bounds the items alive: they allocate when empty;
    // these two bound what they keep); 16 threads: 10x arrayqueue with a
    // core each, 3x oversubscribed.
    if let Some(t) = max_t.filter(|&t| t > 1) {
        for size in [4096usize, 65536] {
            let Some(list) = find(cases, "threads", size, t) else {
                continue;
            };
            let Some(fixed) = list.iter().find(|r| r.contender == "pool-fixed") else {
                continue;
            };
            let best = list
                .iter()
                .filter(|r| BOUNDED_PEERS.contains(&r.contender.as_str()))
                .min_by(|a, b| a.ns.total_cmp(&b.ns));
            if let Some(p) = best {
                let f = Fig::time_ratio(fixed, p);
                let ok = |x: f64| x < 1.0;
                out.push(format!(
                    "{} pool-fixed faster than every peer that keeps a bound ({}), {}, {t} threads: {:.1} ns vs {} {:.1} ns ({:.2}x){}",
                    judge(f, ok),
                    BOUNDED_PEERS.join(", "),
                    fixed.size_label,
                    fixed.ns,
                    p.contender,
                    p.ns,
                    f.x,
                    noise(f, ok)
                ));
            }
            if t >= 16
                && let Some(q) = list.iter().find(|r| r.contender == "arrayqueue")
            {
                let min = if t > cores { 3.0 } else { 10.0 };
                out.push(throughput_line("pool-fixed", fixed, "arrayqueue's", q, min));
            }
        }
    }
    if let Some((_, list)) = cases.iter().find(|(_, v)| v[0].scenario == "mixed")
        && let Some(tiered_row) = list.iter().find(|r| r.contender == "pool-tiered")
        && let Some(sys_row) = list.iter().find(|r| r.contender == "alloc-system")
    {
        let (tiered, sys) = (tiered_row.ns, sys_row.ns);
        let f = Fig::time_ratio(sys_row, tiered_row);
        let ok = |x: f64| x >= 3.0;
        // Every contender writes each length whole: what the write alone
        // takes bounds what any pool can gain over allocation here.
        let floor = ns_of(list, "write-only").map_or(String::new(), |w| {
            format!(
                "; floor: the write alone takes {w:.1} ns, so at most {:.2}x is possible here (write-only)",
                sys / w
            )
        });
        out.push(format!(
            "{} pool-tiered at least 3x faster than plain allocation (system) on mixed sizes: {:.2}x ({tiered:.1} vs {sys:.1} ns){}{floor}",
            judge(f, ok),
            f.x,
            noise(f, ok)
        ));
    }
    if let Some(list) = find(cases, "single", 128, 1)
        && let (Some(tiered), Some(sys)) = (ns_of(list, "pool-tiered"), ns_of(list, "alloc-system"))
    {
        out.push(format!(
            "INFO pool-tiered at 128 B takes {:.2}x the time of plain allocation (system) (Go byte pools claim 6x faster than make; Go's sync.Pool guidance is that pooling below 256 B rarely pays)",
            tiered / sys
        ));
    }
    // Scaling: 0.95 at 2 threads; at 16, 0.8 and 3x zeropool's aggregate.
    // With more threads than cores there is no scaling to judge.
    for &t in thread_counts.iter().filter(|&&t| t <= cores) {
        for size in [4096usize, 65536] {
            let (Some(one), Some(many)) = (
                find(cases, "threads", size, 1),
                find(cases, "threads", size, t),
            ) else {
                continue;
            };
            for ours in ["pool-local", "pool-tiered"] {
                let (Some(a), Some(b)) = (
                    one.iter().find(|r| r.contender == ours),
                    many.iter().find(|r| r.contender == ours),
                ) else {
                    continue;
                };
                let f = Fig::throughput_ratio(b, a).times(1.0 / t as f64);
                let want = if t == 2 { 0.95 } else { 0.8 };
                let ok = |x: f64| x >= want;
                out.push(format!(
                    "{} {ours} scaling at {t} threads, {}: {:.0} Mops/s = {:.2} x {t} x one thread's {:.0} (target {want}){}",
                    judge(f, ok),
                    b.size_label,
                    b.mops(),
                    f.x,
                    a.mops(),
                    noise(f, ok)
                ));
                if t >= 16
                    && let Some(z) = many.iter().find(|r| r.contender == "zeropool")
                {
                    out.push(throughput_line(ours, b, "zeropool's aggregate", z, 3.0));
                }
            }
        }
    }
    if cores < 16 || max_t.is_some_and(|t| t < 16) {
        out.push(format!(
            "UNMEASURED 16-thread targets (pool-local and pool-tiered: 0.8 x 16 x one thread and 3x zeropool; pool-fixed: 10x arrayqueue): this run went up to {} threads on {cores} cores; run `cargo xtask bench-bin` on a 16-core machine",
            max_t.unwrap_or(1)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of the threaded scenario at 4 KiB: (threads, contender, ns).
    fn cases(rows: &[(usize, &str, f64)]) -> BTreeMap<Case, Vec<Row>> {
        crate::cases::group_cases(rows.iter().map(|&(threads, contender, ns)| {
            crate::cases::row("threads", 4096, threads, contender, ns)
        }))
    }

    fn has(lines: &[String], text: &str) -> bool {
        lines.iter().any(|l| l.contains(text))
    }

    /// 16 threads on 2 cores are oversubscribed: the ring is held to half
    /// of pool-local's throughput and 3x a shared queue's, the bounded pool
    /// to 3x; on 16 cores, to 5x lockfree-object-pool's and 10x.
    /// The pairs handed to the bench are the targets' of one thread
    /// (`single`, `two`), the most threads (`threads`) and the cross-thread
    /// pair (`cross`) whose two sides both run in the default `pools`
    /// build.
    #[test]
    fn the_pairs_timed_in_alternation_are_the_targets_pairs() {
        let pairs = crate::ratios::pairs();
        for want in [
            ("single", "pool-tiered", "pool-local"),
            ("single", "pool-local", "lockfree-object-pool"),
            ("single", "pool-local", "zeropool"),
            ("single", "pool-fixed", "lockfree-object-pool"),
            ("single", "pool-local-owned", "pool-local"),
            ("two", "pool-local", "zeropool"),
            ("two", "pool-tiered", "zeropool"),
            ("threads", "pool-tiered", "pool-local"),
            ("threads", "pool-local-owned", "pool-local"),
            ("cross", "pool-local-owned", "pool-local"),
            ("cross", "pool-tiered-owned", "pool-tiered"),
        ] {
            assert!(pairs.contains(&want), "{want:?} missing from {pairs:?}");
        }
        for (scenario, who, vs) in &pairs {
            assert!(
                ["single", "two", "threads", "cross"].contains(scenario),
                "{pairs:?}"
            );
            for n in [who, vs] {
                assert!(
                    !n.contains("nostats") && !n.starts_with("alloc-") && !n.contains("leak"),
                    "{n} does not run in the default pools build: {pairs:?}"
                );
            }
        }
        let mut dedup = pairs.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), pairs.len());
    }

    /// The pipeline's pairs are ones the bench can time (both names
    /// pairable there: `table::pairable("pipeline")`, or plain allocation
    /// with either allocator), each once, each pool of ours against plain
    /// allocation with each allocator.
    #[test]
    fn the_pipelines_pairs_are_pairable_there() {
        let pairs = crate::ratios::PIPELINE_PAIRS;
        let allocs = [crate::table::ALLOC_SYSTEM, crate::table::ALLOC_MIMALLOC];
        let pairable = |n: &str| {
            allocs.contains(&n)
                || crate::table::pairable("pipeline")
                    .iter()
                    .any(|e| e.name == n)
        };
        for (scenario, who, vs) in pairs {
            assert_eq!(*scenario, "pipeline");
            assert!(pairable(who) && pairable(vs), "{who}:{vs}");
        }
        let mut dedup = pairs.to_vec();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), pairs.len());
        for ours in ["pool-local", "pool-local-prefilled", "pool-tiered"] {
            for alloc in allocs {
                assert!(pairs.contains(&("pipeline", ours, alloc)), "{ours}:{alloc}");
            }
        }
    }

    #[test]
    fn oversubscribed_thread_counts_get_their_own_targets() {
        let c = cases(&[
            (2, "pool-ring", 10.0),
            (2, "arrayqueue", 40.0),
            (16, "pool-ring", 10.0),
            (16, "pool-local", 6.0),
            (16, "arrayqueue", 40.0),
            (16, "lockfree-object-pool", 100.0),
            (16, "pool-fixed", 20.0),
        ]);
        let two_cores = targets_on(&c, 2);
        assert!(
            has(
                &two_cores,
                "MISS pool-ring at least 5x arrayqueue's throughput, 4KiB, 2 threads: 4.00x"
            ),
            "{two_cores:#?}"
        );
        assert!(
            has(
                &two_cores,
                "MET  pool-ring at least 0.5x pool-local's throughput, 4KiB, 16 threads: 0.60x"
            ),
            "{two_cores:#?}"
        );
        assert!(
            has(
                &two_cores,
                "MET  pool-ring at least 3x arrayqueue's throughput, 4KiB, 16 threads: 4.00x"
            ),
            "{two_cores:#?}"
        );
        assert!(
            has(
                &two_cores,
                "MISS pool-fixed at least 3x arrayqueue's throughput, 4KiB, 16 threads: 2.00x"
            ),
            "{two_cores:#?}"
        );
        assert!(
            !has(&two_cores, "lockfree-object-pool's throughput"),
            "{two_cores:#?}"
        );
        let sixteen = targets_on(&c, 16);
        assert!(
            has(
                &sixteen,
                "MET  pool-ring at least 5x lockfree-object-pool's throughput, 4KiB, 16 threads: 10.00x"
            ),
            "{sixteen:#?}"
        );
        assert!(
            has(
                &sixteen,
                "MISS pool-fixed at least 10x arrayqueue's throughput, 4KiB, 16 threads: 2.00x"
            ),
            "{sixteen:#?}"
        );
        assert!(!has(&sixteen, "pool-local's throughput"), "{sixteen:#?}");
        assert!(
            !has(&two_cores, "tls-stack"),
            "no floor measured: {two_cores:#?}"
        );
        // Scaling is not judged with more threads than cores.
        let c = cases(&[(1, "pool-local", 10.0), (16, "pool-local", 100.0)]);
        let two_cores = targets_on(&c, 2);
        assert!(!has(&two_cores, "scaling at 16"), "{two_cores:#?}");
        assert!(
            has(&two_cores, "UNMEASURED 16-thread targets"),
            "{two_cores:#?}"
        );
        let sixteen = targets_on(&c, 16);
        assert!(
            has(&sixteen, "MISS pool-local scaling at 16 threads"),
            "{sixteen:#?}"
        );
        assert!(!has(&sixteen, "UNMEASURED"), "{sixteen:#?}");
    }

    /// A target whose `who` needs one more atomic read-modify-write than
    /// its `vs` prints what that instruction costs in the same run (and in
    /// alternation, where timed), and only such targets do.
    #[test]
    fn atomic_targets_print_the_floor_of_one_atomic() {
        let mut rows: Vec<Row> = [
            ("pool-local", 10.0),
            ("pool-local-owned", 15.0),
            ("pool-tiered", 12.0),
            ("tls-stack", 8.0),
            ("tls-stack-atomic", 12.0),
        ]
        .iter()
        .map(|&(who, ns)| crate::cases::row("single", 4096, 1, who, ns))
        .collect();
        rows[4].paired.push(crate::cases::Paired {
            vs: "tls-stack".into(),
            ratio: 1.4,
            spread: (1.4, 1.4),
        });
        let lines = targets_on(&crate::cases::group_cases(rows.clone()), 2);
        let owned = "MISS pool-local get_owned at most 1.2x get's time, 4KiB, 1 thread: 1.50x (15.0 vs 10.0 ns); floor: one atomic read-modify-write per op costs 1.50x, 1.40x in alternation here (tls-stack-atomic vs tls-stack)";
        assert!(has(&lines, owned), "{lines:#?}");
        // A target between two designs without the instruction: no floor.
        let tiered = lines
            .iter()
            .find(|l| l.contains("pool-tiered within 1.15x of pool-local"))
            .expect("the tiered target");
        assert!(!tiered.contains("floor"), "{tiered}");
        // Without the reference rows the line ends at its own figures.
        rows.truncate(3);
        let lines = targets_on(&crate::cases::group_cases(rows), 2);
        let owned = lines
            .iter()
            .find(|l| l.contains("pool-local get_owned"))
            .expect("the owned target");
        assert!(owned.ends_with("(15.0 vs 10.0 ns)"), "{owned}");
    }

    /// The instruction targets read the counts, MET or MISS, and are left
    /// out where a side was not counted.
    #[test]
    fn instruction_targets_read_the_counts() {
        let rows: Vec<Row> = [
            ("pool-local", 170.0),
            ("zeropool", 145.0),
            ("pool-tiered", 180.0),
            ("pool-local-owned", 190.0),
        ]
        .iter()
        .map(|&(who, n)| {
            let mut r = crate::cases::row("single", 4096, 1, who, 10.0);
            r.instructions = Some(n);
            r
        })
        .collect();
        let lines = targets_on(&crate::cases::group_cases(rows), 2);
        assert!(
            has(
                &lines,
                "MISS pool-local at most zeropool's instructions, 4KiB, 1 thread: 1.17x (170 vs 145 instructions per op)"
            ),
            "{lines:#?}"
        );
        assert!(
            has(
                &lines,
                "MET  pool-tiered at most 1.1x pool-local's instructions, 4KiB, 1 thread: 1.06x"
            ),
            "{lines:#?}"
        );
        assert!(
            has(
                &lines,
                "MISS pool-local get_owned at most 1.1x get's instructions"
            ),
            "{lines:#?}"
        );
        assert!(
            !has(&lines, "pool-fixed at most 1.2x"),
            "not counted: {lines:#?}"
        );
    }

    /// A target whose figure's spread straddles it is NOISE, not MET or
    /// MISS, and its line prints the spread; a spread wholly on one side
    /// keeps the verdict of the figure (criterion's intervals, and the
    /// middle rounds of an alternation, alike).
    #[test]
    fn a_spread_across_the_target_is_noise() {
        let with = |tiered: (f64, f64, f64), local: (f64, f64, f64)| {
            let mut t = crate::cases::row("single", 4096, 1, "pool-tiered", tiered.0);
            t.ns_range = (tiered.1, tiered.2);
            let mut l = crate::cases::row("single", 4096, 1, "pool-local", local.0);
            l.ns_range = (local.1, local.2);
            (t, l)
        };
        let line = |rows: Vec<Row>| {
            targets_on(&crate::cases::group_cases(rows), 2)
                .into_iter()
                .find(|l| l.contains("pool-tiered within 1.15x of pool-local, 4KiB"))
                .expect("the tiered target")
        };
        // 1.10x, but anything from 0.95x to 1.29x: noise.
        let (t, l) = with((11.0, 10.5, 12.0), (10.0, 9.3, 11.0));
        let noisy = line(vec![t, l]);
        assert!(noisy.starts_with("NOISE "), "{noisy}");
        assert!(noisy.contains("[within noise: 0.955-1.290]"), "{noisy}");
        // The same 1.10x with tight intervals: MET, no spread printed.
        let (t, l) = with((11.0, 10.9, 11.1), (10.0, 9.9, 10.1));
        let clear = line(vec![t, l]);
        assert!(clear.starts_with("MET "), "{clear}");
        assert!(!clear.contains("within noise"), "{clear}");
        // Wholly over: MISS, however wide.
        let (t, l) = with((15.0, 14.0, 16.0), (10.0, 9.5, 10.5));
        assert!(line(vec![t, l]).starts_with("MISS "));
        // The alternation's own verdict follows its rounds' spread.
        let (mut t, l) = with((11.0, 10.9, 11.1), (10.0, 9.9, 10.1));
        t.paired.push(crate::cases::Paired {
            vs: "pool-local".into(),
            ratio: 1.12,
            spread: (1.05, 1.21),
        });
        let both = line(vec![t, l]);
        assert!(
            both.contains("in alternation: 1.12x (NOISE) [within noise: 1.050-1.210]"),
            "{both}"
        );
    }

    /// The mixed-size target says what the write alone takes, which
    /// bounds the ratio any pool can reach there (and says nothing of a
    /// floor it did not measure).
    #[test]
    fn the_mixed_target_prints_the_floor_of_the_write() {
        let rows = |with_floor: bool| {
            let mut rows = vec![
                crate::cases::row("mixed", 4096, 1, "pool-tiered", 120.0),
                crate::cases::row("mixed", 4096, 1, "alloc-system", 180.0),
            ];
            if with_floor {
                rows.push(crate::cases::row("mixed", 4096, 1, "write-only", 100.0));
            }
            targets_on(&crate::cases::group_cases(rows), 2)
        };
        let want = "MISS pool-tiered at least 3x faster than plain allocation (system) on mixed sizes: 1.50x (120.0 vs 180.0 ns); floor: the write alone takes 100.0 ns, so at most 1.80x is possible here (write-only)";
        let lines = rows(true);
        assert!(has(&lines, want), "{lines:#?}");
        let lines = rows(false);
        let line = lines
            .iter()
            .find(|l| l.contains("on mixed sizes"))
            .expect("the mixed target");
        assert!(line.ends_with("1.50x (120.0 vs 180.0 ns)"), "{line}");
    }

    /// The floor's pair is timed in alternation whenever a target needs
    /// it, and both its names can be paired.
    #[test]
    fn the_atomic_floor_is_a_pair_of_the_run() {
        let (with, without) = ATOMIC_FLOOR;
        assert!(crate::ratios::pairs().contains(&("single", with, without)));
        for name in [with, without] {
            assert!(
                crate::table::pairable("single")
                    .iter()
                    .any(|e| e.name == name),
                "{name}"
            );
        }
    }

    /// Where the run measured a thread-local stack, the ring's targets say
    /// what that floor reaches against the same peer.
    #[test]
    fn the_ring_targets_name_the_no_sharing_floor() {
        let c = cases(&[
            (2, "pool-ring", 10.0),
            (2, "tls-stack", 8.0),
            (2, "arrayqueue", 40.0),
        ]);
        let lines = targets_on(&c, 2);
        let want = "MISS pool-ring at least 5x arrayqueue's throughput, 4KiB, 2 threads: 4.00x (tls-stack, which shares nothing: 5.00x)";
        assert!(has(&lines, want), "{lines:#?}");
        // With the atomic reference too, both floors.
        let c = cases(&[
            (2, "pool-ring", 10.0),
            (2, "tls-stack", 8.0),
            (2, "tls-stack-atomic", 10.0),
            (2, "arrayqueue", 40.0),
        ]);
        let lines = targets_on(&c, 2);
        let want = "MISS pool-ring at least 5x arrayqueue's throughput, 4KiB, 2 threads: 4.00x (tls-stack, which shares nothing: 5.00x; tls-stack-atomic, which shares nothing but takes one atomic read-modify-write per op: 4.00x)";
        assert!(has(&lines, want), "{lines:#?}");
    }
}
