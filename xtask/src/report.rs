//! Reads criterion's results and the burst figures, and writes the report:
//! tables on stdout, `report.md`, `report.json`, `scaling-<size>.svg`, and one
//! recommendation per scenario.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cases::{Case, Paired, Row, group_cases};
use crate::records::{BurstRecord, ExtraRecord, FootprintRecord, read_lines};

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
                    let bound = |b: &str| e["median"]["confidence_interval"][b].as_f64();
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
                            ns_range: (
                                bound("lower_bound").unwrap_or(ns),
                                bound("upper_bound").unwrap_or(ns),
                            ),
                            retained: None,
                            home: None,
                            paired: Vec::new(),
                            instructions: None,
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
    let (footprint, _) = read_lines::<FootprintRecord>(&from.join(FOOTPRINT));

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
    // (`interleaved/<scenario>/<size>/<threads>t/<who>/<vs>`), by the id of
    // `who`'s row (`<scenario>/<size>/<threads>t/<who>`).
    let mut paired: BTreeMap<String, Vec<Paired>> = BTreeMap::new();
    for e in &extra {
        if let (Some(rest), Some(ratio)) = (e.id.strip_prefix("interleaved/"), e.ratio)
            && let Some((row, vs)) = rest.rsplit_once('/')
        {
            paired.entry(row.to_string()).or_default().push(Paired {
                vs: vs.to_string(),
                ratio,
                spread: e.ratio_spread.unwrap_or((ratio, ratio)),
            });
        }
    }
    let counts: BTreeMap<String, f64> = extra
        .iter()
        .filter_map(|e| {
            Some((
                e.id.strip_prefix("instructions/")?.to_string(),
                e.instructions?,
            ))
        })
        .collect();
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
        r.instructions = counts.get(&id).copied();
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
         ratio is to the fastest in the same table; Mops/s is over all threads. `tls-stack` is a naive `thread_local!` stack, shown for reference; `write-only` (mixed) writes each length into one buffer its thread keeps, no allocation: the write alone, which every contender pays; \
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
        let with_instr = list.iter().any(|r| r.instructions.is_some());
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
        if with_instr {
            md_extra += " instr/op |";
            md_align += "---:|";
            text_extra += &format!(" {:>9}", "instr/op");
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
            let instr = |w: usize, end: &str| match (with_instr, r.instructions) {
                (false, _) => String::new(),
                (true, Some(n)) => format!(" {n:>w$.0}{end}"),
                (true, None) => format!(" {:>w$}{end}", "n/a"),
            };
            let _ = writeln!(
                md,
                "| {} | {:.1} | {:.2}x | {:.1} |{}",
                r.contender,
                r.ns,
                ratio,
                r.mops(),
                retained(0, " |") + &home(0, " |") + &instr(0, " |")
            );
            let _ = writeln!(
                text,
                "  {:<24} {:>12.1} {:>7.2}x {:>10.1}{}",
                r.contender,
                r.ns,
                ratio,
                r.mops(),
                retained(13, "") + &home(6, "") + &instr(9, "")
            );
            json_rows.push(json!({
                "scenario": r.scenario, "contender": r.contender, "threads": r.threads,
                "size": r.size, "size_label": r.size_label, "ns_per_op": r.ns,
                "ns_per_op_interval": [r.ns_range.0, r.ns_range.1],
                "ratio": ratio, "mops": r.mops(), "retained_bytes": r.retained, "home": r.home,
                "instructions_per_op": r.instructions,
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

    let mut targets = crate::targets::targets(&cases);
    // No counts: why, and how to get them (the column is left out).
    if let Ok(why) = std::fs::read_to_string(from.join("instructions.txt")) {
        targets.push(format!(
            "INFO no instruction counts in this run: {}",
            why.trim()
        ));
    }
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
            "Idle before the trim: where the burst's items were once back (MiB in thread caches / \
             the spill / the reserve), for the pools that say.\n"
        );
        let _ = writeln!(
            md,
            "| contender | RSS steady MiB | RSS peak MiB | RSS after MiB | retained after (bytes) | idle before trim: caches / spill / reserve MiB |\n|---|---:|---:|---:|---:|---|"
        );
        let _ = writeln!(text, "\nburst (RSS in MiB: steady, peak, after trim)");
        let mib = |v: u64| v as f64 / (1 << 20) as f64;
        for b in &burst {
            let retained = b
                .retained_after
                .map_or("n/a".to_string(), |v| v.to_string());
            let places = b.memory_before_trim.map_or("n/a".to_string(), |m| {
                format!(
                    "{:.2} / {:.2} / {:.2}",
                    mib(m.thread_caches.bytes),
                    mib(m.spill.bytes),
                    mib(m.reserve.bytes)
                )
            });
            let _ = writeln!(
                md,
                "| {} | {:.1} | {:.1} | {:.1} | {} | {places} |",
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
    if !footprint.is_empty() {
        footprint_table(&footprint, &mut md, &mut text);
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
        "footprint": footprint,
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
mod tests;

/// Where `cargo xtask bench` writes the `pool-footprint` records.
pub(crate) const FOOTPRINT: &str = "footprint.jsonl";

/// The footprint table: bytes per pool at each stage of its use (heap
/// counted by the allocator, resident memory), and what the 64 KiB
/// pipeline leaves resident, prefilled or not.
fn footprint_table(records: &[FootprintRecord], md: &mut String, text: &mut String) {
    let _ = writeln!(
        md,
        "\n## Footprint: what a pool costs before and after its first use\n\n\
         Bytes per pool, 10,000 pools made and kept (`pool-footprint`): heap counted by the \
         allocator (the pool's handle included, its items left out) and resident memory \
         (`/proc/self/status`), each kind in a process of its own. A stage's figure is what \
         it added.\n\n| pool | stage | heap B | resident B |\n|---|---|---:|---:|"
    );
    let _ = writeln!(text, "\nfootprint (bytes per pool: heap, resident)");
    let rss = |r: &FootprintRecord| r.rss_bytes.map_or("n/a".to_string(), |v| format!("{v:.0}"));
    for r in records.iter().filter(|r| r.pools > 1) {
        let _ = writeln!(
            md,
            "| {} | {} | {:.0} | {} |",
            r.pool,
            r.stage,
            r.heap_bytes,
            rss(r)
        );
        let _ = writeln!(
            text,
            "  {:<14} {:<14} {:>8.0} {:>8}",
            r.pool,
            r.stage,
            r.heap_bytes,
            rss(r)
        );
    }
    let pipelines: Vec<&FootprintRecord> = records.iter().filter(|r| r.pools == 1).collect();
    if let Some(first) = pipelines.first() {
        let _ = writeln!(
            md,
            "\n{}, one process each: MiB held once the run is over (the pool alive).\n\n\
             | pool | heap MiB | resident MiB |\n|---|---:|---:|",
            first.stage
        );
        let _ = writeln!(text, "  {} (MiB: heap, resident)", first.stage);
        let mib = |v: f64| v / f64::from(1 << 20);
        for r in pipelines {
            let resident = r
                .rss_bytes
                .map_or("n/a".to_string(), |v| format!("{:.1}", mib(v)));
            let _ = writeln!(md, "| {} | {:.1} | {resident} |", r.pool, mib(r.heap_bytes));
            let _ = writeln!(
                text,
                "    {:<22} {:>6.1} {:>6}",
                r.pool,
                mib(r.heap_bytes),
                resident
            );
        }
    }
}
