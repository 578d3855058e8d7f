//! Reads criterion's results and the burst figures, and writes the report:
//! tables on stdout, `report.md`, `report.json`, `scaling-<size>.svg`, and one
//! recommendation per scenario.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cases::{Case, Row, group_cases};
use crate::records::{BurstRecord, ExtraRecord, read_lines};

/// `4KiB` -> 4096.
fn parse_size(label: &str) -> usize {
    let (num, mult) = if let Some(n) = label.strip_suffix("MiB") {
        (n, 1 << 20)
    } else if let Some(n) = label.strip_suffix("KiB") {
        (n, 1 << 10)
    } else if let Some(n) = label.strip_suffix('B') {
        (n, 1)
    } else {
        (label, 1)
    };
    num.parse::<usize>().map_or(0, |n| n * mult)
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Every `new/benchmark.json` under `dir`, with its median estimate.
fn collect(dir: &Path, rows: &mut Vec<Row>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                if let (Some(b), Some(e)) = (
                    read_json(&path.join("benchmark.json")),
                    read_json(&path.join("estimates.json")),
                ) {
                    let group = b["group_id"].as_str().unwrap_or_default();
                    let parts: Vec<&str> = group.split('/').collect();
                    let ns = e["median"]["point_estimate"].as_f64();
                    if let ([scenario, size, threads], Some(ns), Some(contender)) =
                        (parts.as_slice(), ns, b["function_id"].as_str())
                    {
                        rows.push(Row {
                            scenario: scenario.to_string(),
                            size_label: size.to_string(),
                            size: parse_size(size),
                            threads: threads.trim_end_matches('t').parse().unwrap_or(1),
                            contender: contender.to_string(),
                            ns,
                            retained: None,
                            home: None,
                            paired: Vec::new(),
                        });
                    }
                }
            } else {
                collect(&path, rows);
            }
        }
    }
}

/// Writes the report for the results in `from` into `out`.
/// Returns the recommendations.
pub(crate) fn write(
    from: &Path,
    out: &Path,
    elapsed: Option<Duration>,
) -> Result<Vec<String>, String> {
    let mut rows = Vec::new();
    collect(&from.join("criterion"), &mut rows);
    if rows.is_empty() {
        return Err(format!(
            "no criterion results under {}; did the benches run (and did the filter match anything)?",
            from.join("criterion").display()
        ));
    }
    let (burst, bad_burst) = read_lines::<BurstRecord>(&from.join("burst.jsonl"));

    // What benchmarks measured besides time (retained bytes), by id.
    let (extra, bad_extra) = read_lines::<ExtraRecord>(&from.join("extra.jsonl"));
    for (n, file) in [(bad_burst, "burst.jsonl"), (bad_extra, "extra.jsonl")] {
        if n > 0 {
            eprintln!(
                "warning: {n} line(s) of {} are not records of this version; left out",
                from.join(file).display()
            );
        }
    }
    // Pairs timed in alternation
    // (`interleaved/<scenario>/<size>/1t/<who>/<vs>`), by the id of `who`'s
    // one-thread row (`<scenario>/<size>/1t/<who>`).
    let mut paired: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for e in &extra {
        if let (Some(rest), Some(ratio)) = (e.id.strip_prefix("interleaved/"), e.ratio)
            && let Some((row, vs)) = rest.rsplit_once('/')
        {
            paired
                .entry(row.to_string())
                .or_default()
                .push((vs.to_string(), ratio));
        }
    }
    let extra: BTreeMap<String, (Option<u64>, Option<f64>)> = extra
        .into_iter()
        .map(|e| (e.id, (e.retained_bytes, e.home)))
        .collect();
    for r in &mut rows {
        let id = format!(
            "{}/{}/{}t/{}",
            r.scenario, r.size_label, r.threads, r.contender
        );
        if let Some(&(retained, home)) = extra.get(&id) {
            r.retained = retained;
            r.home = home;
        }
        if let Some(p) = paired.remove(&id) {
            r.paired = p;
        }
    }
    let cases = group_cases(rows);
    let mut md = String::new();
    let mut text = String::new();
    let mut json_rows = Vec::new();
    let mut recommendations = Vec::new();
    let _ = writeln!(md, "# Pool benchmark report\n");
    let _ = writeln!(
        md,
        "ns/op is the median time of one get + 16-byte write + put per thread (cross: per buffer handed from one thread to another; \
         pipeline: per buffer over all threads, producers filling whole buffers and handing them over in batches of 16 to consumers that drop them, \
         `retained KiB` being what the pool keeps afterwards; fill: the holder writes the whole buffer; mixed: log-normal lengths, each written whole; \
         replay: per operation per thread of your workload, each drawn length written whole, the oldest held buffer given back). \
         ratio is to the fastest in the same table; Mops/s is over all threads. `tls-stack` is a naive `thread_local!` stack, shown for reference; \
         `-nostats` rows are our pools built with every statistics counter compiled out, to show what statistics cost; \
         `-leak-sites`, `-sampled` and `-tracked` rows are pool-local built with the leak-sites feature, without a tracker, with a sampled one (one guard in 128) and with one that records every guard, to show what leak sites cost; \
         `-timed` rows are our pools with timed trimming every 10 ms, to show what it costs. \
         `home` (pipeline) is, of the gets served with a buffer seen before, the share whose previous get was on the same thread, so that the bytes it wrote may still be in that core's cache (counted in an untimed pass of its own); \
         `pool-local-per-producer` (pipeline) gives each producer a pool of its own, so that every buffer comes home: what an owner-affine return path could gain at most, and what it costs in memory.\n"
    );
    for ((_, _, threads, size_label), list) in &cases {
        let scenario = list[0].scenario.clone();
        let best = list[0].ns;
        let title = format!(
            "{scenario} / {size_label} / {threads} thread{}",
            if *threads == 1 { "" } else { "s" }
        );
        let with_retained = list.iter().any(|r| r.retained.is_some());
        let with_home = list.iter().any(|r| r.home.is_some());
        let (mut md_extra, mut md_align, mut text_extra) =
            (String::new(), String::new(), String::new());
        if with_retained {
            md_extra += " retained KiB |";
            md_align += "---:|";
            text_extra += &format!(" {:>13}", "retained KiB");
        }
        if with_home {
            md_extra += " home |";
            md_align += "---:|";
            text_extra += &format!(" {:>6}", "home");
        }
        let _ = writeln!(
            md,
            "## {title}\n\n| contender | ns/op | ratio | Mops/s |{md_extra}\n|---|---:|---:|---:|{md_align}"
        );
        let _ = writeln!(
            text,
            "\n{title}\n  {:<24} {:>12} {:>8} {:>10}{text_extra}",
            "contender", "ns/op", "ratio", "Mops/s"
        );
        for r in list.iter() {
            let ratio = r.ns / best;
            let retained = |w: usize, end: &str| match (with_retained, r.retained) {
                (false, _) => String::new(),
                (true, Some(b)) => format!(" {:>w$.1}{end}", b as f64 / 1024.0),
                (true, None) => format!(" {:>w$}{end}", "n/a"),
            };
            let home = |w: usize, end: &str| match (with_home, r.home) {
                (false, _) => String::new(),
                (true, Some(f)) => format!(" {:>w$}{end}", format!("{:.0}%", f * 100.0)),
                (true, None) => format!(" {:>w$}{end}", "n/a"),
            };
            let _ = writeln!(
                md,
                "| {} | {:.1} | {:.2}x | {:.1} |{}",
                r.contender,
                r.ns,
                ratio,
                r.mops(),
                retained(0, " |") + &home(0, " |")
            );
            let _ = writeln!(
                text,
                "  {:<24} {:>12.1} {:>7.2}x {:>10.1}{}",
                r.contender,
                r.ns,
                ratio,
                r.mops(),
                retained(13, "") + &home(6, "")
            );
            json_rows.push(json!({
                "scenario": r.scenario, "contender": r.contender, "threads": r.threads,
                "size": r.size, "size_label": r.size_label, "ns_per_op": r.ns,
                "ratio": ratio, "mops": r.mops(), "retained_bytes": r.retained, "home": r.home,
            }));
        }
        if let Some(advice) = crate::advice::recommend(&cases, &burst, list) {
            let line = if scenario == "replay" {
                format!(
                    "{scenario}: {}: {advice}",
                    thread_words(&scenario, *threads)
                )
            } else {
                format!(
                    "{scenario}: {size_label}, {}: {advice}",
                    thread_words(&scenario, *threads)
                )
            };
            let _ = writeln!(md, "\n**Recommendation:** {line}\n");
            recommendations.push(line);
        }
    }

    let targets = crate::targets::targets(&cases);
    if !targets.is_empty() {
        let _ = writeln!(md, "## Targets\n");
        for t in &targets {
            let _ = writeln!(md, "- {t}");
        }
        let _ = writeln!(md);
    }
    if !burst.is_empty() {
        let _ = writeln!(md, "## Burst: memory before, at the peak and after trim\n");
        let _ = writeln!(
            md,
            "`-timed` contenders call nothing: the process-wide trimmer trims them every 10 ms; \
             \"after\" is two and a half intervals of idleness and one get + put (a load resuming).\n"
        );
        let _ = writeln!(
            md,
            "| contender | RSS steady MiB | RSS peak MiB | RSS after MiB | retained after (bytes) |\n|---|---:|---:|---:|---:|"
        );
        let _ = writeln!(text, "\nburst (RSS in MiB: steady, peak, after trim)");
        let mib = |v: u64| v as f64 / (1 << 20) as f64;
        for b in &burst {
            let retained = b
                .retained_after
                .map_or("n/a".to_string(), |v| v.to_string());
            let _ = writeln!(
                md,
                "| {} | {:.1} | {:.1} | {:.1} | {} |",
                b.contender,
                mib(b.rss_steady),
                mib(b.rss_peak),
                mib(b.rss_after),
                retained
            );
            let _ = writeln!(
                text,
                "  {:<24} {:>6.1} {:>6.1} {:>6.1}   retained after: {retained}",
                b.contender,
                mib(b.rss_steady),
                mib(b.rss_peak),
                mib(b.rss_after)
            );
        }
    }
    let _ = writeln!(md, "\n## Recommendations\n");
    for r in &recommendations {
        let _ = writeln!(md, "- {r}");
    }

    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let charts = scaling_charts(&cases, out)?;
    let report = json!({
        "machine": { "available_parallelism": std::thread::available_parallelism().map_or(0, |n| n.get()) },
        "results": json_rows,
        "burst": burst,
        "targets": targets,
        "recommendations": recommendations,
    });
    std::fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    )
    .map_err(|e| format!("cannot write report.json: {e}"))?;
    std::fs::write(out.join("report.md"), &md)
        .map_err(|e| format!("cannot write report.md: {e}"))?;

    println!("{text}");
    if !targets.is_empty() {
        println!("\ntargets");
        for t in &targets {
            println!("  {t}");
        }
    }
    println!("\nrecommendations");
    for r in &recommendations {
        println!("  {r}");
    }
    println!(
        "\nwrote {}, report.json{}{}",
        out.join("report.md").display(),
        charts.iter().map(|c| format!(", {c}")).collect::<String>(),
        elapsed.map_or(String::new(), |d| format!(" ({:.0} s)", d.as_secs_f64()))
    );
    Ok(recommendations)
}

fn thread_words(scenario: &str, threads: usize) -> String {
    match scenario {
        "cross" => "taken on one thread, dropped on another".into(),
        "tokio" => format!(
            "{threads} tokio workers; tasks hold a buffer across an .await and drop it on whichever worker resumes them"
        ),
        "mixed" => "mixed sizes, 1 thread".into(),
        "two" => "two pools used in turn, 1 thread".into(),
        "pipeline" => {
            let (producers, consumers) = crate::table::pipeline_split(threads);
            format!(
                "{producers} producer{} and {consumers} consumer{}",
                if producers == 1 { "" } else { "s" },
                if consumers == 1 { "" } else { "s" }
            )
        }
        "replay" => format!(
            "your workload, {threads} thread{}",
            if threads == 1 { "" } else { "s" }
        ),
        _ => format!("{threads} thread{}", if threads == 1 { "" } else { "s" }),
    }
}

/// One chart per size measured in the threaded scenario
/// (`scaling-<size>.svg`): our four strategies, the best peer and the best
/// plain allocation at the most threads. Returns the files written.
fn scaling_charts(cases: &BTreeMap<Case, Vec<Row>>, out: &Path) -> Result<Vec<String>, String> {
    use crate::chart::{Series, Style, draw};
    use crate::table::{self, Kind};
    use plotters::prelude::*;

    // A chart left by an older run would be mistaken for this one's.
    if let Ok(entries) = std::fs::read_dir(out) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("scaling") && name.ends_with(".svg") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let threaded: Vec<&Row> = cases
        .values()
        .flatten()
        .filter(|r| r.scenario == "threads")
        .collect();
    let mut sizes: Vec<(usize, String)> = threaded
        .iter()
        .map(|r| (r.size, r.size_label.clone()))
        .collect();
    sizes.sort();
    sizes.dedup();
    let mut written = Vec::new();
    for (size, label) in sizes {
        let rows: Vec<&Row> = threaded
            .iter()
            .copied()
            .filter(|r| r.size == size)
            .collect();
        let max_t = rows.iter().map(|r| r.threads).max().unwrap_or(1);
        let points = |name: &str| -> Vec<(usize, f64)> {
            rows.iter()
                .filter(|r| r.contender == name)
                .map(|r| (r.threads, r.mops()))
                .collect()
        };
        let best_at_most = |pick: &dyn Fn(&str) -> bool| {
            rows.iter()
                .filter(|r| r.threads == max_t && pick(&r.contender))
                .max_by(|a, b| a.mops().total_cmp(&b.mops()))
                .map(|r| r.contender.clone())
        };
        let mut series: Vec<Series> = table::names(Kind::Ours)
            .enumerate()
            .map(|(i, name)| Series {
                name: name.to_string(),
                points: points(name),
                style: Style::Ours(i),
            })
            .filter(|s| !s.points.is_empty())
            .collect();
        if let Some(p) = best_at_most(&|n| table::kind_of(n) == Some(Kind::Peer)) {
            series.push(Series {
                name: format!("best peer: {p}"),
                points: points(&p),
                style: Style::Peer,
            });
        }
        if let Some(a) = best_at_most(&|n| table::kind_of(n) == Some(Kind::Baseline)) {
            series.push(Series {
                name: format!("plain allocation: {a}"),
                points: points(&a),
                style: Style::Baseline,
            });
        }
        let file = format!("scaling-{label}.svg");
        let path = out.join(&file);
        {
            let root = SVGBackend::new(&path, (900, 560)).into_drawing_area();
            draw(
                &root,
                &format!("Aggregate throughput, {label} buffers (get + 16-byte write + put)"),
                &series,
            )?;
        }
        written.push(file);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::row;

    #[test]
    fn size_labels_parse() {
        assert_eq!(parse_size("64B"), 64);
        assert_eq!(parse_size("4KiB"), 4096);
        assert_eq!(parse_size("1MiB"), 1 << 20);
    }

    #[test]
    fn report_recommends_the_fastest_product_and_checks_targets() {
        let dir = std::env::temp_dir().join(format!("xtask-report-{}", std::process::id()));
        let crit = dir.join("criterion");
        let put = |r: Row| put_row(&crit, &r);
        put(row("single", 4096, 1, "tls-stack", 5.0));
        put(row("single", 4096, 1, "pool-local", 7.0));
        put(row("single", 4096, 1, "opool", 14.0));
        put(row("single", 4096, 1, "pool-local-nostats", 6.5));
        put(row("threads", 4096, 1, "pool-local", 7.0));
        put(row("threads", 4096, 2, "pool-local", 7.5));
        put(row("threads", 4096, 2, "arrayqueue", 70.0));
        write(&dir, &dir, None).unwrap();
        let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(
            md.contains(
                "single: 4KiB, 1 thread: use pool-local: 7.0 ns per op, the fastest of ours"
            ),
            "{md}"
        );
        assert!(md.contains("(beside it: best peer opool 2.00x)"), "{md}");
        assert!(
            md.contains(
                "MISS pool-local within 1.1x of the naive thread-local stack, 4KiB, 1 thread: 1.40x"
            ),
            "{md}"
        );
        assert!(
            md.contains("MET  pool-local statistics cost under 10%, 4KiB, 1 thread: +7.7%"),
            "{md}"
        );
        assert!(
            md.contains("MET  pool-local faster than every peer, 4KiB, 2 threads"),
            "{md}"
        );
        assert!(
            md.contains("MISS pool-local scaling at 2 threads, 4KiB")
                && md.contains("(target 0.95)"),
            "{md}"
        );
        assert!(md.contains("UNMEASURED 16-thread targets"), "{md}");
        let j: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(j["results"].as_array().unwrap().len(), 7);
        let svg = std::fs::read_to_string(dir.join("scaling-4KiB.svg")).unwrap();
        assert!(svg.contains("<svg") && svg.contains("pool-local"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A ratio timed again in alternation (an `interleaved/` record) is
    /// printed beside its target, with its own verdict.
    #[test]
    fn targets_show_the_ratio_timed_in_alternation() {
        let dir = std::env::temp_dir().join(format!("xtask-pairs-{}", std::process::id()));
        let crit = dir.join("criterion");
        put_row(&crit, &row("single", 4096, 1, "pool-local", 10.0));
        put_row(&crit, &row("single", 4096, 1, "pool-tiered", 12.0));
        put_row(&crit, &row("single", 65536, 1, "pool-local", 10.0));
        put_row(&crit, &row("single", 65536, 1, "pool-tiered", 11.0));
        put_row(&crit, &row("two", 4096, 1, "pool-local", 12.0));
        put_row(&crit, &row("two", 4096, 1, "zeropool", 20.0));
        put_row(&crit, &row("threads", 4096, 1, "pool-local", 10.0));
        put_row(&crit, &row("threads", 4096, 16, "pool-local", 10.0));
        put_row(&crit, &row("threads", 4096, 16, "pool-tiered", 13.0));
        std::fs::write(
            dir.join("extra.jsonl"),
            "{\"id\":\"interleaved/single/4KiB/1t/pool-tiered/pool-local\",\"ratio\":1.08}\n\
             {\"id\":\"interleaved/single/64KiB/1t/pool-tiered/pool-local\",\"ratio\":1.2}\n\
             {\"id\":\"interleaved/two/4KiB/1t/pool-local/zeropool\",\"ratio\":0.4}\n\
             {\"id\":\"interleaved/threads/4KiB/16t/pool-tiered/pool-local\",\"ratio\":1.1}\n",
        )
        .unwrap();
        write(&dir, &dir, None).unwrap();
        let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(
            md.contains(
                "MISS pool-tiered within 1.15x of pool-local, 4KiB, 1 thread: 1.20x (12.0 vs 10.0 ns); in alternation: 1.08x (MET)"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "MET  pool-tiered within 1.15x of pool-local, 64KiB, 1 thread: 1.10x (11.0 vs 10.0 ns); in alternation: 1.20x (MISS)"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "MISS pool-local at most 0.5x zeropool's time, two pools in turn, 4KiB, 1 thread: 0.60x (12.0 vs 20.0 ns); in alternation: 0.40x (MET)"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "MISS pool-tiered within 1.15x of pool-local, 4KiB, 16 threads: 1.30x (13.0 vs 10.0 ns); in alternation: 1.10x (MET)"
            ),
            "{md}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Writes `r` as criterion would under `crit`.
    fn put_row(crit: &Path, r: &Row) {
        let d = crit
            .join(format!(
                "{}-{}-{}-{}",
                r.scenario, r.size_label, r.threads, r.contender
            ))
            .join("new");
        std::fs::create_dir_all(&d).unwrap();
        let group = format!("{}/{}/{}t", r.scenario, r.size_label, r.threads);
        std::fs::write(
            d.join("benchmark.json"),
            json!({"group_id": group, "function_id": r.contender}).to_string(),
        )
        .unwrap();
        std::fs::write(
            d.join("estimates.json"),
            json!({"median": {"point_estimate": r.ns}}).to_string(),
        )
        .unwrap();
    }

    #[test]
    fn pipelines_show_what_they_retain_and_replays_get_a_recommendation() {
        let dir = std::env::temp_dir().join(format!("xtask-pipe-{}", std::process::id()));
        let crit = dir.join("criterion");
        put_row(&crit, &row("pipeline", 4096, 4, "pool-local", 50.0));
        put_row(&crit, &row("pipeline", 4096, 4, "opool", 80.0));
        put_row(&crit, &row("pipeline", 4096, 4, "alloc-system", 90.0));
        let mut replay = row("replay", 0, 4, "pool-tiered", 200.0);
        replay.size_label = "workload".into();
        put_row(&crit, &replay);
        replay.contender = "alloc-mimalloc".into();
        replay.ns = 300.0;
        put_row(&crit, &replay);
        std::fs::write(
            dir.join("extra.jsonl"),
            "{\"id\":\"pipeline/4KiB/4t/pool-local\",\"retained_bytes\":65536,\"home\":0.5}\n\
             {\"id\":\"pipeline/4KiB/4t/alloc-system\",\"home\":0.98}\nnot a record\n",
        )
        .unwrap();
        let recs = write(&dir, &dir, None).unwrap();
        let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(md.contains("| retained KiB | home |"), "{md}");
        assert!(
            md.contains("| pool-local | 50.0 | 1.00x | 20.0 | 64.0 | 50% |"),
            "{md}"
        );
        assert!(
            md.contains("| opool | 80.0 | 1.60x | 12.5 | n/a | n/a |"),
            "{md}"
        );
        assert!(
            md.contains("| alloc-system | 90.0 | 1.80x | 11.1 | n/a | 98% |"),
            "{md}"
        );
        assert!(
            recs.iter().any(|r| r
                .starts_with("pipeline: 4KiB, 2 producers and 2 consumers: use pool-local")
                && r.contains("keeps 64 KiB idle")),
            "{recs:?}"
        );
        assert!(
            recs.iter()
                .any(|r| r.starts_with("replay: your workload, 4 threads: use pool-tiered")),
            "{recs:?}"
        );
        // No threaded scenario: no chart, and none left from before.
        assert!(!dir.join("scaling-4KiB.svg").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_results_are_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("xtask-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = write(&dir, &dir, None).unwrap_err();
        assert!(e.contains("no criterion results"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
