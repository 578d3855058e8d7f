//! The recommendation of one of our strategies per scenario, with its
//! reasons: time per op in that scenario, how it scales against how the
//! fastest peer scales, whether it gives memory back after a burst, and
//! the bounded pool when a hard cap is needed. The fastest peer and plain
//! allocation are shown beside it; when plain allocation beats every pool
//! of ours, that is the advice.

use std::collections::BTreeMap;

use crate::records::BurstRecord;

use crate::cases::{Case, Row};
use crate::table::{self, Kind};

/// One sentence of advice for the scenario `list` (sorted fastest first).
pub(crate) fn recommend(
    cases: &BTreeMap<Case, Vec<Row>>,
    burst: &[BurstRecord],
    list: &[Row],
) -> Option<String> {
    let first = list.first()?;
    let is = |kind: Kind, r: &&Row| table::kind_of(&r.contender) == Some(kind);
    let ours = list.iter().find(|r| is(Kind::Ours, r))?;
    let peer = list.iter().find(|r| is(Kind::Peer, r));
    let alloc = list.iter().find(|r| r.contender.starts_with("alloc-"));
    let ratio = |r: &Row| r.ns / ours.ns;

    let mut reasons = Vec::new();
    // Plain allocation against our pick timed in alternation, where the
    // run did (the pipeline's rows, which move the most from run to run):
    // that figure decides; criterion's two figures otherwise.
    let paired = alloc.and_then(|a| {
        ours.paired
            .iter()
            .find(|p| p.vs == a.contender)
            .map(|p| (a, p))
    });
    if let Some((a, p)) = paired {
        // `p.ratio` is our time over allocation's: above 1.05 in every
        // middle round, allocation wins; below 0.95 in every one, we do;
        // anything between is a tie.
        let rounds = format!(
            "{:.2}x in alternation, middle rounds {:.2}-{:.2}x",
            1.0 / p.ratio,
            1.0 / p.spread.1,
            1.0 / p.spread.0
        );
        let best_peer = peer.map_or(String::new(), |p| {
            format!("; best peer {} at {:.2}x", p.contender, ratio(p))
        });
        if p.spread.0 > 1.05 {
            return Some(format!(
                "plain allocation ({}): {rounds} the time of {}, the fastest of our pools; pooling does not pay here{best_peer}",
                a.contender, ours.contender
            ));
        }
        if p.spread.1 >= 0.95 {
            return Some(format!(
                "{} or plain allocation ({}): {rounds}; pooling saves no time here, so choose by memory (a pool keeps what it holds until trimmed){best_peer}",
                ours.contender, a.contender
            ));
        }
    }
    let unpaired = paired.is_none();
    if let Some(a) = alloc
        .filter(|a| unpaired && a.ns < ours.ns && (a.ns >= 0.95 * ours.ns || within_noise(a, ours)))
    {
        // A tie (within 5%, or within the noise of the two figures): say
        // so rather than crown either.
        return Some(format!(
            "{} or plain allocation ({}): {} of each other ({:.2}x); pooling saves no time here, so choose by memory (a pool keeps what it holds until trimmed){}",
            ours.contender,
            a.contender,
            close(a, ours),
            a.ns / ours.ns,
            peer.map_or(String::new(), |p| format!(
                "; best peer {} at {:.2}x",
                p.contender,
                ratio(p)
            ))
        ));
    }
    if let Some(a) = alloc.filter(|a| unpaired && a.ns < ours.ns) {
        // Plain allocation wins: say so, with our best beside it.
        let mut line = format!(
            "plain allocation ({}): {:.2}x the time of {}, the fastest of our pools; pooling does not pay here",
            a.contender,
            a.ns / ours.ns,
            ours.contender
        );
        if let Some(p) = peer {
            line.push_str(&format!("; best peer {} at {:.2}x", p.contender, ratio(p)));
        }
        return Some(line);
    }
    // Another of ours within noise of the fastest: no claim that rests on
    // the machine's noise.
    match list
        .iter()
        .filter(|r| is(Kind::Ours, r) && r.contender != ours.contender)
        .find(|r| within_noise(r, ours))
    {
        Some(tie) => reasons.push(format!(
            "{:.1} ns per op, within noise of {} ({:.2}x): either serves here",
            ours.ns,
            tie.contender,
            ratio(tie)
        )),
        None => reasons.push(format!("{:.1} ns per op, the fastest of ours", ours.ns)),
    }
    if let Some(a) = alloc.filter(|a| unpaired && (a.ns <= ours.ns * 1.05 || within_noise(a, ours)))
    {
        reasons.push(format!(
            "but plain allocation ({}) is {} here: pooling saves little time in this scenario",
            a.contender,
            close(a, ours)
        ));
    }
    // Scaling: our pick and the fastest peer, at the most threads measured
    // (the same work per op as the 16-byte scenarios only).
    if first.threads == 1
        && matches!(first.scenario.as_str(), "single" | "threads")
        && let Some(many) = most_threads(cases, first.size)
    {
        let at = |name: &str| many.iter().find(|r| r.contender == name);
        let one = |name: &str| {
            crate::cases::find(cases, "threads", first.size, 1)
                .and_then(|l| l.iter().find(|r| r.contender == name))
        };
        if let (Some(o1), Some(on)) = (one(&ours.contender), at(&ours.contender)) {
            let t = on.threads;
            reasons.push(format!(
                "{:.2}x its one-thread time per op at {t} threads",
                on.ns / o1.ns
            ));
            if let Some(p) = peer
                && let (Some(p1), Some(pn)) = (one(&p.contender), at(&p.contender))
                && pn.ns > 1.5 * p1.ns
            {
                reasons.push(format!(
                    "{} is {:.2}x its time here but {:.2}x at {t} threads",
                    p.contender,
                    ratio(p),
                    pn.ns / on.ns
                ));
            }
        }
    }
    if let Some(b) = burst.iter().find(|b| b.contender == ours.contender) {
        let mib = |v: u64| v as f64 / (1 << 20) as f64;
        if b.retained_after == Some(0) {
            if mib(b.rss_after) < 0.7 * mib(b.rss_peak) {
                reasons.push(format!(
                    "gives memory back after a burst (RSS {:.1} -> {:.1} MiB after trims)",
                    mib(b.rss_peak),
                    mib(b.rss_after)
                ));
            } else {
                reasons.push(format!(
                    "frees its buffers after a burst (the allocator kept the RSS at {:.1} MiB)",
                    mib(b.rss_after)
                ));
            }
        }
    }
    if let Some(kept) = ours.retained {
        reasons.push(format!(
            "keeps {:.0} KiB idle once the pipeline stops",
            kept as f64 / 1024.0
        ));
    }
    let mut line = format!("use {}: {}", ours.contender, reasons.join(", "));
    let mut beside = Vec::new();
    if let Some(p) = peer {
        beside.push(format!("best peer {} {:.2}x", p.contender, ratio(p)));
    }
    if let Some(a) = alloc {
        beside.push(match paired {
            Some((_, p)) => format!(
                "{} {:.2}x ({:.2}x in alternation)",
                a.contender,
                ratio(a),
                1.0 / p.ratio
            ),
            None => format!("{} {:.2}x", a.contender, ratio(a)),
        });
    }
    if ours.contender != "pool-fixed"
        && let Some(f) = list.iter().find(|r| r.contender == "pool-fixed")
    {
        beside.push(format!("with a hard bound, pool-fixed {:.2}x", ratio(f)));
    }
    if !beside.is_empty() {
        line.push_str(&format!(" (beside it: {})", beside.join(", ")));
    }
    Some(line)
}

/// Whether the two rows' confidence intervals overlap: their difference
/// is the machine's noise, not the design's.
fn within_noise(a: &Row, b: &Row) -> bool {
    a.ns_range.0 <= b.ns_range.1 && b.ns_range.0 <= a.ns_range.1
}

/// How close two rows are that [`within_noise`] or a 5% margin calls a
/// tie: "within 5%", or "within noise" where only the intervals say so.
fn close(a: &Row, b: &Row) -> &'static str {
    if (a.ns / b.ns - 1.0).abs() <= 0.05 {
        "within 5%"
    } else {
        "within noise"
    }
}

/// The threaded scenario at the most threads (over one) for `size`.
fn most_threads(cases: &BTreeMap<Case, Vec<Row>>, size: usize) -> Option<&Vec<Row>> {
    cases
        .iter()
        .filter(|(k, v)| k.1 == size && k.2 > 1 && v[0].scenario == "threads")
        .max_by_key(|(k, _)| k.2)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst record with nothing retained after the trim.
    fn burst(contender: &str, peak_mib: f64, after_mib: f64) -> BurstRecord {
        let b = |mib: f64| (mib * 1048576.0) as u64;
        BurstRecord {
            scenario: "burst".into(),
            contender: contender.into(),
            size: 65536,
            held_steady: 8,
            held_peak: 80,
            rss_steady: b(2.5),
            rss_peak: b(peak_mib),
            rss_after: b(after_mib),
            retained_before_trim: Some(1 << 20),
            retained_after: Some(0),
            memory_before_trim: None,
        }
    }

    /// A row at 4 KiB.
    fn row(scenario: &str, threads: usize, contender: &str, ns: f64) -> Row {
        crate::cases::row(scenario, 4096, threads, contender, ns)
    }

    fn cases(rows: Vec<Row>) -> BTreeMap<Case, Vec<Row>> {
        crate::cases::group_cases(rows)
    }

    #[test]
    fn names_one_of_ours_with_scaling_memory_and_the_peers_beside_it() {
        let c = cases(vec![
            row("single", 1, "lockfree-object-pool", 7.0),
            row("single", 1, "pool-local", 14.0),
            row("single", 1, "pool-fixed", 30.0),
            row("single", 1, "alloc-mimalloc", 21.0),
            row("threads", 1, "pool-local", 14.0),
            row("threads", 1, "lockfree-object-pool", 7.0),
            row("threads", 2, "pool-local", 14.5),
            row("threads", 2, "lockfree-object-pool", 70.0),
        ]);
        let burst = vec![burst("pool-local", 7.5, 2.5)];
        let single = c.values().find(|v| v[0].scenario == "single").unwrap();
        let line = recommend(&c, &burst, single).unwrap();
        assert!(
            line.starts_with("use pool-local: 14.0 ns per op, the fastest of ours"),
            "{line}"
        );
        assert!(
            line.contains("1.04x its one-thread time per op at 2 threads"),
            "{line}"
        );
        assert!(
            line.contains("lockfree-object-pool is 0.50x its time here but 4.83x at 2 threads"),
            "{line}"
        );
        assert!(
            line.contains("gives memory back after a burst (RSS 7.5 -> 2.5 MiB"),
            "{line}"
        );
        assert!(line.contains("alloc-mimalloc 1.50x"), "{line}");
        assert!(
            line.contains("with a hard bound, pool-fixed 2.14x"),
            "{line}"
        );
    }

    /// A difference inside the two figures' intervals crowns neither:
    /// plain allocation 8% faster but within noise is a tie, and two of
    /// our pools within noise of each other are named together.
    #[test]
    fn no_advice_rests_on_a_difference_within_noise() {
        let spread = |mut r: Row, lo: f64, hi: f64| {
            r.ns_range = (lo, hi);
            r
        };
        let c = cases(vec![
            spread(row("replay", 4, "pool-tiered", 100.0), 90.0, 110.0),
            spread(row("replay", 4, "alloc-mimalloc", 92.0), 85.0, 99.0),
        ]);
        let line = recommend(&c, &[], c.values().next().unwrap()).unwrap();
        assert!(
            line.starts_with("pool-tiered or plain allocation (alloc-mimalloc): within noise of each other (0.92x)"),
            "{line}"
        );
        // Wholly apart: plain allocation wins, as before.
        let c = cases(vec![
            spread(row("replay", 4, "pool-tiered", 100.0), 99.0, 101.0),
            spread(row("replay", 4, "alloc-mimalloc", 92.0), 91.0, 93.0),
        ]);
        let line = recommend(&c, &[], c.values().next().unwrap()).unwrap();
        assert!(
            line.starts_with("plain allocation (alloc-mimalloc)"),
            "{line}"
        );
        // Two of ours within noise: no "fastest of ours".
        let c = cases(vec![
            spread(row("fill", 1, "pool-local", 50.0), 45.0, 55.0),
            spread(row("fill", 1, "pool-tiered", 53.0), 48.0, 58.0),
            row("fill", 1, "alloc-system", 90.0),
        ]);
        let line = recommend(&c, &[], c.values().next().unwrap()).unwrap();
        assert!(
            line.starts_with("use pool-local: 50.0 ns per op, within noise of pool-tiered (1.06x)"),
            "{line}"
        );
        assert!(!line.contains("fastest of ours"), "{line}");
    }

    #[test]
    fn says_when_memory_is_freed_but_not_returned_and_when_allocation_is_as_fast() {
        let c = cases(vec![
            row("fill", 1, "pool-tiered", 100.0),
            row("fill", 1, "alloc-system", 103.0),
        ]);
        let burst = vec![burst("pool-tiered", 7.4, 7.4)];
        let line = recommend(&c, &burst, c.values().next().unwrap()).unwrap();
        assert!(
            line.contains("plain allocation (alloc-system) is within 5% here"),
            "{line}"
        );
        assert!(
            line.contains(
                "frees its buffers after a burst (the allocator kept the RSS at 7.4 MiB)"
            ),
            "{line}"
        );
        assert!(!line.contains("gives memory back"), "{line}");
        assert!(
            !line.contains("threads"),
            "no scaling claim for the fill scenario: {line}"
        );
    }

    #[test]
    fn a_tie_with_plain_allocation_crowns_neither_and_pipelines_say_what_they_keep() {
        let c = cases(vec![
            row("replay", 4, "pool-tiered", 100.0),
            row("replay", 4, "alloc-mimalloc", 98.0),
        ]);
        let line = recommend(&c, &[], c.values().next().unwrap()).unwrap();
        assert!(
            line.starts_with(
                "pool-tiered or plain allocation (alloc-mimalloc): within 5% of each other (0.98x)"
            ),
            "{line}"
        );
        let mut local = row("pipeline", 4, "pool-local", 50.0);
        local.retained = Some(64 * 1024);
        let c = cases(vec![local, row("pipeline", 4, "alloc-system", 90.0)]);
        let line = recommend(&c, &[], c.values().next().unwrap()).unwrap();
        assert!(
            line.contains("keeps 64 KiB idle once the pipeline stops"),
            "{line}"
        );
    }

    /// `who`'s row with its time timed against `vs` in alternation: the
    /// median ratio and the middle rounds.
    fn paired(mut who: Row, vs: &str, ratio: f64, spread: (f64, f64)) -> Row {
        who.paired.push(crate::cases::Paired {
            vs: vs.into(),
            ratio,
            spread,
        });
        who
    }

    #[test]
    fn the_pipelines_alternation_overrules_criterions_figures() {
        // Criterion says allocation takes half our time; in alternation the
        // two are equal: a tie, said with the alternation's figure.
        let local = paired(
            row("pipeline", 4, "pool-local", 100.0),
            "alloc-system",
            1.01,
            (0.98, 1.04),
        );
        let c = cases(vec![local, row("pipeline", 4, "alloc-system", 50.0)]);
        let line = recommend(&c, &[], c.values().next().unwrap()).unwrap();
        assert!(
            line.starts_with(
                "pool-local or plain allocation (alloc-system): 0.99x in alternation, middle rounds 0.96-1.02x"
            ),
            "{line}"
        );
        // Criterion says allocation wins; in alternation we take under half
        // its time in every middle round: ours, with both figures beside.
        let local = paired(
            row("pipeline", 4, "pool-local", 100.0),
            "alloc-system",
            0.45,
            (0.43, 0.48),
        );
        let c = cases(vec![local, row("pipeline", 4, "alloc-system", 90.0)]);
        let line = recommend(&c, &[], c.values().next().unwrap()).unwrap();
        assert!(
            line.starts_with("use pool-local: 100.0 ns per op"),
            "{line}"
        );
        assert!(
            line.contains("alloc-system 0.90x (2.22x in alternation)"),
            "{line}"
        );
        assert!(!line.contains("pooling"), "{line}");
        // Criterion calls it a tie; in alternation allocation is faster in
        // every middle round: allocation.
        let local = paired(
            row("pipeline", 4, "pool-local", 100.0),
            "alloc-system",
            1.30,
            (1.20, 1.40),
        );
        let c = cases(vec![local, row("pipeline", 4, "alloc-system", 99.0)]);
        let line = recommend(&c, &[], c.values().next().unwrap()).unwrap();
        assert!(
            line.starts_with("plain allocation (alloc-system): 0.77x in alternation"),
            "{line}"
        );
    }

    #[test]
    fn says_when_plain_allocation_wins() {
        let c = cases(vec![
            row("single", 1, "alloc-system", 10.0),
            row("single", 1, "pool-tiered", 20.0),
            row("single", 1, "zeropool", 25.0),
        ]);
        let list = c.values().next().unwrap();
        let line = recommend(&c, &[], list).unwrap();
        assert!(
            line.starts_with("plain allocation (alloc-system): 0.50x the time of pool-tiered"),
            "{line}"
        );
        assert!(
            line.contains("pooling does not pay here; best peer zeropool at 1.25x"),
            "{line}"
        );
    }

    #[test]
    fn no_pool_of_ours_no_advice() {
        let c = cases(vec![row("single", 1, "opool", 10.0)]);
        assert!(recommend(&c, &[], c.values().next().unwrap()).is_none());
    }
}
