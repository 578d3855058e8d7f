//! Project tasks, run as `cargo xtask <task>`.
//!
//! - `bench`: every pool strategy against plain allocation and the peer
//!   crates, side by side; prints a table per scenario and writes
//!   `target/pool-report/{report.md,report.json,scaling-<size>.svg}`.
//! - `bench-bin`: builds the bench binaries and a script into
//!   `target/pool-bench/`, to copy to another machine of the same
//!   architecture and run there.
//! - `report --from DIR`: the report of results produced elsewhere.
//! - `ci`: every check CI runs (lint, tests, loom, Miri, sanitizers,
//!   fuzzing, coverage, bench smoke), with a time summary.

mod advice;
mod args;
mod cases;
mod chart;
mod ci;
#[cfg(test)]
mod imports;
mod progress;
mod ratios;
mod report;
mod targets;

use pool_benches::{records, table};

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use args::{BenchArgs, Task};

fn main() -> ExitCode {
    let task = match args::parse(std::env::args().skip(1)) {
        Ok(task) => task,
        Err(message) => {
            eprintln!("error: {message}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = match task {
        Task::Help => {
            println!("{}", args::USAGE);
            Ok(())
        }
        Task::Bench(a) => bench(&a),
        Task::BenchBin => bench_bin(),
        Task::Report { from, out } => report::write(&from, &out, None).map(drop),
        Task::Ci {
            only,
            skip,
            fuzz_secs,
            reclaim,
        } => ci::run(only, skip, fuzz_secs, reclaim),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's folder).
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(project_root());
    cmd
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    eprintln!("$ {}", describe(&cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: could not start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn describe(cmd: &Command) -> String {
    let envs: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_str()?, v?.to_str()?)))
        .collect();
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    format!(
        "{}{}{} {}",
        envs.join(" "),
        if envs.is_empty() { "" } else { " " },
        cmd.get_program().to_string_lossy(),
        args.join(" ")
    )
}

/// `cargo bench -q -p pool-benches --bench TARGET --`: the bench target's
/// own arguments follow.
fn bench_cmd(target: &str) -> Command {
    bench_cmd_with(target, &[])
}

/// [`bench_cmd`] with the bench crate's `features` on.
fn bench_cmd_with(target: &str, features: &[&str]) -> Command {
    let mut cmd = cargo();
    cmd.args(["bench", "-q", "-p", "pool-benches"]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    cmd.args(["--bench", target, "--"]);
    cmd
}

/// A second build of the `pools` bench that measures what a compile-time
/// option costs: its single-thread rows only, in a target folder of its
/// own (the option changes every crate of the family).
struct Rebuild {
    features: &'static [&'static str],
    /// `RUSTFLAGS` of the build, if any.
    rustflags: Option<&'static str>,
    /// Under `target/`.
    target_dir: &'static str,
    sizes: Vec<usize>,
}

impl Rebuild {
    /// The command that lists its benchmarks (`list`) or runs them.
    fn command(&self, list: bool, full: bool, criterion_home: &Path) -> Command {
        let mut cmd = bench_cmd_with("pools", self.features);
        if list {
            cmd.arg("--list");
        } else {
            cmd.args(criterion_args(full));
        }
        cmd.arg("single/")
            .env("CRITERION_HOME", criterion_home)
            .env("POOL_BENCH_SIZES", args::join(&self.sizes));
        self.configure(&mut cmd);
        cmd
    }

    /// Its target folder.
    fn dir(&self) -> PathBuf {
        project_root().join("target").join(self.target_dir)
    }

    /// Points a cargo command at this build: its target folder and
    /// `RUSTFLAGS` (features are the command's own arguments).
    fn configure(&self, cmd: &mut Command) {
        cmd.env("CARGO_TARGET_DIR", self.dir());
        if let Some(flags) = self.rustflags {
            cmd.env("RUSTFLAGS", flags);
        }
    }
}

/// The criterion options of a quick or a full run.
fn criterion_args(full: bool) -> Vec<String> {
    if full {
        vec!["--noplot".into()]
    } else {
        [
            "--warm-up-time",
            "0.2",
            "--measurement-time",
            "0.5",
            "--sample-size",
            "10",
            "--noplot",
        ]
        .map(String::from)
        .to_vec()
    }
}

fn bench(a: &BenchArgs) -> Result<(), String> {
    let started = Instant::now();
    let out = project_root().join("target/pool-report");
    // Results go to a staging folder and replace the previous run's only
    // once every bench target finished: an interrupted run leaves the last
    // complete results (and their report) in place.
    let stage = out.join("staging");
    if stage.exists() {
        std::fs::remove_dir_all(&stage)
            .map_err(|e| format!("cannot clear {}: {e}", stage.display()))?;
    }
    std::fs::create_dir_all(&stage)
        .map_err(|e| format!("cannot create {}: {e}", stage.display()))?;
    let criterion_home = stage.join("criterion");
    let burst_out = stage.join("burst.jsonl");
    let extra_out = stage.join("extra.jsonl");

    // A workload alone runs only its replay (and plain allocation beside).
    let workload_only = a.workload.is_some() && a.filter.is_none();
    let filter = if workload_only {
        Some("replay/".to_string())
    } else {
        a.filter.clone()
    };
    if let Some(w) = &a.workload {
        let workload = args::load_workload(w)?;
        eprintln!("replaying {}: {workload}", w.display());
    }
    let targets: Vec<&str> = ["pools", "pools_mimalloc", "burst"]
        .into_iter()
        .filter(|t| *t != "burst" || (a.burst && !workload_only))
        .collect();
    // The targets' pairs, timed again in alternation (see
    // `pool_benches::interleaved`), where the run measures both sides: one
    // thread, the most threads of the run in `threads` and `pipeline`, and
    // the two threads of `cross`.
    let most = a
        .threads
        .as_ref()
        .and_then(|t| t.iter().max().copied())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get().max(2)));
    let pairs = ratios::pairs()
        .into_iter()
        .chain(ratios::above_pairs())
        .chain(ratios::PIPELINE_PAIRS.iter().copied());
    let pairs = ratios::spec(pairs.filter(|(scenario, who, vs)| {
        let (scenario, t) = match *scenario {
            "threads" | "pipeline" => (*scenario, most),
            "cross" => ("cross", 2),
            s if s == table::CROSS_ABOVE => ("cross", 2),
            _ => (*scenario, 1),
        };
        !workload_only
            && [who, vs].iter().all(|n| {
                filter_names(
                    a,
                    &[
                        &format!("{scenario}/4KiB/{t}t/{n}"),
                        &format!("{scenario}/64KiB/{t}t/{n}"),
                    ],
                )
            })
    }));
    let pairs = (!pairs.is_empty()).then_some(pairs);
    let setup = |cmd: &mut Command| {
        cmd.env("CRITERION_HOME", &criterion_home)
            .env("POOL_BENCH_BURST_OUT", &burst_out)
            .env("POOL_BENCH_EXTRA_OUT", &extra_out);
        if let Some(t) = &a.threads {
            cmd.env("POOL_BENCH_THREADS", args::join(t));
        }
        if let Some(pairs) = &pairs {
            cmd.env("POOL_BENCH_PAIRS", pairs);
        }
        if let Some(s) = &a.sizes {
            cmd.env("POOL_BENCH_SIZES", args::join(s));
        }
        if let Some(w) = &a.workload {
            cmd.env("POOL_BENCH_WORKLOAD", w);
        }
    };
    let mut progress = progress::Progress::new(a.verbose);
    // Build first (its output is cargo's), then list what will run, so the
    // progress lines can count.
    let mut build = cargo();
    build.args(["bench", "-p", "pool-benches", "--no-run"]);
    run(build, "building the benches")?;
    for target in targets.iter().filter(|t| **t != "burst") {
        let mut cmd = bench_cmd(target);
        cmd.arg("--list");
        cmd.args(filter.iter());
        setup(&mut cmd);
        progress.add_listed(&mut cmd)?;
    }
    // What statistics cost: pool-local and pool-tiered once more, built
    // with every counter compiled out (`-nostats` rows), in a target folder
    // of their own (the cfg applies to every crate).
    let nostats = stats_cost_sizes(a).map(|sizes| Rebuild {
        features: &[],
        rustflags: Some("--cfg pool_no_stats"),
        target_dir: "nostats",
        sizes,
    });
    let nostats_build = nostats;
    let nostats = |list: bool| {
        Some(
            nostats_build
                .as_ref()?
                .command(list, a.full, &criterion_home),
        )
    };
    if !workload_only && let Some(mut cmd) = nostats(true) {
        eprintln!("building the statistics-off benches (a target folder of their own)");
        progress.add_listed(&mut cmd)?;
    }
    // What leak sites cost: pool-local once more, built with the
    // `leak-sites` feature, without a tracker, with a sampled one and with
    // one that records every guard (4 KiB, one thread), in a target folder
    // of its own (the feature changes every guard of the family).
    let leaks = leak_cost_wanted(a).then(|| Rebuild {
        features: &["leak-sites"],
        rustflags: None,
        target_dir: "leaks",
        sizes: vec![4096],
    });
    let leaks_build = leaks;
    let leaks = |list: bool| Some(leaks_build.as_ref()?.command(list, a.full, &criterion_home));
    if !workload_only && let Some(mut cmd) = leaks(true) {
        eprintln!("building the leak-sites benches (a target folder of their own)");
        progress.add_listed(&mut cmd)?;
    }
    for target in &targets {
        let mut cmd = bench_cmd(target);
        if *target != "burst" {
            cmd.args(criterion_args(a.full));
        }
        cmd.args(filter.iter());
        setup(&mut cmd);
        progress.run(cmd, &format!("bench target `{target}`"))?;
    }
    if !workload_only && let Some(cmd) = nostats(false) {
        progress.run(cmd, "bench target `pools` with statistics off")?;
    }
    if !workload_only && let Some(cmd) = leaks(false) {
        progress.run(cmd, "bench target `pools` with leak sites")?;
    }
    if !workload_only && a.sizes.as_ref().is_none_or(|s| s.contains(&4096)) {
        // The variant builds' rows are counted in their own builds (in
        // their target folders), where the run measured them.
        let variants: Vec<&Rebuild> = nostats_build
            .iter()
            .chain(leaks_build.iter())
            .filter(|r| r.sizes.contains(&4096))
            .collect();
        count_instructions(a, &extra_out, &stage.join(COUNTS_NOTE), &variants)?;
    }
    if !workload_only && a.filter.as_ref().is_none_or(|f| f.contains("footprint")) {
        measure_footprint(&stage.join(report::FOOTPRINT))?;
    }
    // Every target finished: the staged results replace the previous ones.
    for name in [
        "criterion",
        "burst.jsonl",
        "extra.jsonl",
        COUNTS_NOTE,
        report::FOOTPRINT,
    ] {
        let (from, to) = (stage.join(name), out.join(name));
        if to.is_dir() {
            std::fs::remove_dir_all(&to)
                .map_err(|e| format!("cannot clear {}: {e}", to.display()))?;
        } else if to.exists() {
            std::fs::remove_file(&to).map_err(|e| format!("cannot clear {}: {e}", to.display()))?;
        }
        if from.exists() {
            std::fs::rename(&from, &to)
                .map_err(|e| format!("cannot move {} into place: {e}", from.display()))?;
        }
    }
    let _ = std::fs::remove_dir_all(&stage);
    let recommendations = report::write(&out, &out, Some(started.elapsed()))?;
    if a.workload.is_some() && !recommendations.iter().any(|r| r.starts_with("replay:")) {
        return Err("the workload was replayed, but no recommendation came of it (did --filter leave the replay out?)".into());
    }
    Ok(())
}

/// Where a run says why it has no instruction counts (valgrind missing),
/// beside its results, for the report.
const COUNTS_NOTE: &str = "instructions.txt";

/// Counts instructions per op of every one-thread contender the run's
/// filter names (4 KiB), under callgrind, and appends them to `extra_out`
/// (`instructions/<id>`). Without valgrind, writes why to `note` instead:
/// the report then says how to get it and leaves the column out.
fn count_instructions(
    a: &BenchArgs,
    extra_out: &Path,
    note: &Path,
    variants: &[&Rebuild],
) -> Result<(), String> {
    use pool_benches::callgrind;
    if let Err(why) = callgrind::available() {
        eprintln!("no instruction counts: {why}");
        return std::fs::write(note, why).map_err(|e| format!("{}: {e}", note.display()));
    }
    // The default build, then each variant build the run measured (the
    // `-nostats` and leak-sites rows), each in its own target folder.
    // (the build, its target folder, what it is, whether the run's filter
    // applies: a variant build is made only for the rows the run measures)
    let mut builds: Vec<(Command, PathBuf, String, bool)> = Vec::new();
    builds.push((
        release_bin_build("pool-count"),
        target_dir(),
        "the instruction counter".into(),
        true,
    ));
    for v in variants {
        let mut build = release_bin_build("pool-count");
        if !v.features.is_empty() {
            build.args(["--features", &v.features.join(",")]);
        }
        v.configure(&mut build);
        builds.push((
            build,
            v.dir(),
            format!("the instruction counter ({})", v.target_dir),
            false,
        ));
    }
    let mut wanted: Vec<(PathBuf, String, String)> = Vec::new();
    for (build, dir, what, filtered) in builds {
        run(build, &format!("building {what}"))?;
        let bin = dir.join("release/pool-count");
        let listed = Command::new(&bin)
            .arg("--list")
            .output()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        wanted.extend(
            String::from_utf8_lossy(&listed.stdout)
                .lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(s, c)| (bin.clone(), s.to_string(), c.to_string()))
                .filter(|(_, s, c)| !filtered || filter_names(a, &[&format!("{s}/4KiB/1t/{c}")])),
        );
    }
    for (k, (bin, scenario, contender)) in wanted.iter().enumerate() {
        eprintln!(
            "[instructions {}/{}] {scenario}/4KiB/1t/{contender}",
            k + 1,
            wanted.len()
        );
        let n = callgrind::per_op(bin, scenario, contender, 4096)?;
        let record = records::ExtraRecord {
            id: format!("instructions/{scenario}/4KiB/1t/{contender}"),
            retained_bytes: None,
            home: None,
            ratio: None,
            ratio_spread: None,
            instructions: Some(n),
        };
        records::append(extra_out, &record)?;
    }
    Ok(())
}

/// The build of one of the bench crate's binaries, release profile.
fn release_bin_build(bin: &str) -> Command {
    let mut build = cargo();
    build.args(["build", "--release", "-p", "pool-benches", "--bin", bin]);
    build
}

/// Where cargo builds: `CARGO_TARGET_DIR`, else the workspace's `target`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), PathBuf::from)
}

/// Measures what our empty pools cost and what their first uses add, and
/// what the 64 KiB pipeline leaves resident through pool-local prefilled
/// or not (the `pool-footprint` binary, a process per measurement), into
/// `out` (JSON lines).
fn measure_footprint(out: &Path) -> Result<(), String> {
    run(
        release_bin_build("pool-footprint"),
        "building the footprint measurement",
    )?;
    let bin = target_dir().join("release/pool-footprint");
    eprintln!("[footprint] empty pools, first uses, the prefilled pipeline");
    let output = Command::new(&bin)
        .output()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            bin.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::write(out, &output.stdout).map_err(|e| format!("{}: {e}", out.display()))
}

/// The sizes (4 KiB, 64 KiB, as asked) at which to measure the statistics
/// cost, or `None` when the run does not measure pool-local on one thread
/// or does not ask for the variant builds (`--variants`, `--full`, or a
/// filter that names the `-nostats` rows).
fn stats_cost_sizes(a: &BenchArgs) -> Option<Vec<usize>> {
    let sizes: Vec<usize> = [4096, 65536]
        .into_iter()
        .filter(|s| a.sizes.as_ref().is_none_or(|l| l.contains(s)))
        .collect();
    let named = a.filter.as_ref().is_some_and(|f| f.contains("nostats"));
    let wanted = named
        || (a.variants
            && filter_names(
                a,
                &["single/4KiB/1t/pool-local", "single/64KiB/1t/pool-tiered"],
            ));
    (wanted && !sizes.is_empty()).then_some(sizes)
}

/// Whether the run measures what leak sites cost (pool-local, 4 KiB, one
/// thread): when its sizes include 4 KiB and its filter, if any, names
/// one of the rows, and it asks for the variant builds (`--variants`,
/// `--full`, or a filter that names the leak-sites rows).
fn leak_cost_wanted(a: &BenchArgs) -> bool {
    let size = a.sizes.as_ref().is_none_or(|l| l.contains(&4096));
    let named = a.filter.as_ref().is_some_and(|f| {
        ["leak-sites", "sampled", "tracked"]
            .iter()
            .any(|n| f.contains(n))
    });
    size && (a.variants || named)
        && filter_names(
            a,
            &[
                "single/4KiB/1t/pool-local-sampled",
                "single/4KiB/1t/pool-local-tracked",
                "single/4KiB/1t/pool-local-leak-sites",
            ],
        )
}

/// Whether the run's filter, if any, names one of the benchmarks `ids`
/// (as criterion does: a part of the id).
fn filter_names(a: &BenchArgs, ids: &[&str]) -> bool {
    a.filter
        .as_ref()
        .is_none_or(|f| ids.iter().any(|id| id.contains(f.as_str())))
}

fn bench_bin() -> Result<(), String> {
    let dest = project_root().join("target/pool-bench");
    std::fs::create_dir_all(&dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let mut cmd = cargo();
    cmd.args([
        "bench",
        "-p",
        "pool-benches",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    eprintln!("$ {}", describe(&cmd));
    let output = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo bench --no-run: {e}"))?;
    if !output.status.success() {
        return Err("building the bench binaries failed".into());
    }
    let mut copied = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let kinds = msg["target"]["kind"].as_array();
        let is_bench = kinds.is_some_and(|k| k.iter().any(|k| k == "bench"));
        let (Some(name), Some(exe)) = (msg["target"]["name"].as_str(), msg["executable"].as_str())
        else {
            continue;
        };
        if is_bench && ["pools", "pools_mimalloc", "burst"].contains(&name) {
            let to = dest.join(name);
            std::fs::copy(exe, &to).map_err(|e| format!("copy {exe}: {e}"))?;
            copied.push(name.to_string());
        }
    }
    if copied.len() != 3 {
        return Err(format!("expected 3 bench binaries, found {copied:?}"));
    }
    let script = dest.join("run.sh");
    let text = RUN_SH.replace(
        "@PAIRS@",
        &ratios::spec(ratios::pairs().into_iter().chain(ratios::above_pairs())),
    );
    std::fs::write(&script, text).map_err(|e| format!("write {}: {e}", script.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("chmod {}: {e}", script.display()))?;
    }
    println!(
        "Built {} with run.sh.\nCopy the folder to a machine of the same architecture and run\n  \
         ./run.sh [threads] [sizes] [out] [workload]   e.g. ./run.sh 1,2,4,8,16 4096,65536 results\n\
         then bring `results` back and run\n  cargo xtask report --from results",
        dest.display()
    );
    Ok(())
}

/// The script shipped beside the bench binaries.
const RUN_SH: &str = r#"#!/bin/sh
# Runs the pool benches here and writes criterion's results and the burst
# figures into OUT; bring OUT back and run `cargo xtask report --from OUT`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
threads=${1:-1,2,$(nproc)}
sizes=${2:-64,4096,65536,1048576}
out=${3:-pool-results}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export POOL_BENCH_THREADS="$threads" POOL_BENCH_SIZES="$sizes"
export CRITERION_HOME="$out/criterion" POOL_BENCH_BURST_OUT="$out/burst.jsonl"
export POOL_BENCH_EXTRA_OUT="$out/extra.jsonl"
# The one-thread targets' ratios, timed again with the two loops in
# alternation (PAIRS= for none).
export POOL_BENCH_PAIRS="${PAIRS-@PAIRS@}"
# A fourth argument names a workload file to replay as well.
if [ -n "${4:-}" ]; then export POOL_BENCH_WORKLOAD="$4"; fi
quick="--warm-up-time ${WARMUP:-0.2} --measurement-time ${MEASURE:-0.5} --sample-size 10 --noplot"
"$here/pools" --bench $quick ${FILTER:-}
"$here/pools_mimalloc" --bench $quick ${FILTER:-}
"$here/burst" --bench
echo "results in $out"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn bench_args(args: &[&str]) -> BenchArgs {
        let mut all = vec!["bench".to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        match args::parse(all.into_iter()).expect("valid arguments") {
            args::Task::Bench(a) => a,
            other => panic!("a bench task, not {other:?}"),
        }
    }

    /// The quick default builds the benches once: the statistics-off and
    /// leak-sites builds run with `--variants`, `--full`, or a filter
    /// that names their rows.
    #[test]
    fn the_quick_default_builds_once() {
        let quick = bench_args(&[]);
        assert_eq!(stats_cost_sizes(&quick), None);
        assert!(!leak_cost_wanted(&quick));
        for asked in [&["--variants"][..], &["--full"]] {
            let a = bench_args(asked);
            assert_eq!(stats_cost_sizes(&a), Some(vec![4096, 65536]), "{asked:?}");
            assert!(leak_cost_wanted(&a), "{asked:?}");
        }
        let named = bench_args(&["--filter", "nostats"]);
        assert!(stats_cost_sizes(&named).is_some());
        assert!(leak_cost_wanted(&bench_args(&[
            "--filter",
            "pool-local-sampled"
        ])));
        // Asked for, but the run measures neither row: no build.
        let a = bench_args(&["--variants", "--sizes", "1m"]);
        assert_eq!(stats_cost_sizes(&a), None);
        assert!(!leak_cost_wanted(&a));
    }
}
