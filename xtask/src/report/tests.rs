//! The report's tests: size labels, the tables and the targets it writes.

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
        md.contains("single: 4KiB, 1 thread: use pool-local: 7.0 ns per op, the fastest of ours"),
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
        md.contains("MISS pool-local scaling at 2 threads, 4KiB") && md.contains("(target 0.95)"),
        "{md}"
    );
    assert!(md.contains("UNMEASURED 16-thread targets"), "{md}");
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
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
    put_row(&crit, &row("cross", 4096, 2, "pool-tiered", 70.0));
    put_row(&crit, &row("cross", 4096, 2, "pool-tiered-owned", 280.0));
    put_row(&crit, &row("cross", 4096, 2, "handoff", 20.0));
    put_row(&crit, &row("cross", 4096, 2, "alloc-mimalloc", 120.0));
    put_row(&crit, &row("cross", 4096, 2, "pool-local-owned", 100.0));
    std::fs::write(
        dir.join("extra.jsonl"),
        "{\"id\":\"interleaved/single/4KiB/1t/pool-tiered/pool-local\",\"ratio\":1.08}\n\
         {\"id\":\"interleaved/single/64KiB/1t/pool-tiered/pool-local\",\"ratio\":1.2}\n\
         {\"id\":\"interleaved/two/4KiB/1t/pool-local/zeropool\",\"ratio\":0.4}\n\
         {\"id\":\"interleaved/threads/4KiB/16t/pool-tiered/pool-local\",\"ratio\":1.1}\n\
         {\"id\":\"interleaved/cross/4KiB/2t/pool-tiered-owned/pool-tiered\",\"ratio\":1.05}\n\
         {\"id\":\"interleaved/cross/4KiB/2t/pool-local-owned/above:alloc-mimalloc\",\"ratio\":0.3}\n",
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
    assert!(
        md.contains(
            "MISS pool-tiered owned, dropped on another thread, at most 1.25x a shared pool's borrowed guard, 4KiB, 2 threads: 4.00x (280.0 vs 70.0 ns); in alternation: 1.05x (MET)"
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "MISS pool-local-owned at most 0.6x mimalloc's cost above the bare hand-off, 4KiB, 2 threads: 0.80x (80.0 vs 100.0 ns above 20.0); in alternation: 0.30x (MET)"
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
