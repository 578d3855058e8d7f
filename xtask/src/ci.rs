//! `cargo xtask ci`: every check CI runs, with a time summary at the end.
//!
//! A new crate is covered by adding one line to [`CRATES`].

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::{cargo, describe, project_root};

/// The pinned nightly for Miri, the sanitizers and cargo-fuzz.
const NIGHTLY: &str = "nightly-2026-05-20";
/// The pinned stable (rust-toolchain.toml).
const STABLE: &str = "1.95.0";
/// The minimum supported Rust version of the library crates (the
/// workspace's `rust-version`).
const MSRV: &str = "1.88.0";
/// The crates published to the registry.
const LIBRARIES: &[&str] = &[
    "pool-core",
    "pool-engine",
    "pool-local",
    "pool-ring",
    "pool-fixed",
    "pool-tiered",
    "pool-toolkit",
];
/// The target the sanitizers build std for.
const TARGET: &str = "x86_64-unknown-linux-gnu";

/// What each crate gets beyond the workspace-wide checks.
struct Crate {
    name: &'static str,
    /// Has loom models (`loom_*` tests under `--cfg pool_loom`).
    loom: bool,
    /// Has `unsafe` or hand-written synchronisation: Miri runs its tests.
    miri: bool,
    /// Test files Miri runs where `miri` is off (the ones that drive
    /// another crate's unsafe code: pool-tiered's owned buffers).
    miri_tests: &'static [&'static str],
    /// Its multi-thread stress tests, run under ThreadSanitizer and
    /// AddressSanitizer.
    stress: &'static [&'static str],
    /// The tests whose verdict rests on how threads interleave, run again
    /// under Miri's many seeds where the crate has `miri` (each test runs
    /// once under Miri with every other test anyway).
    seeds: &'static [&'static str],
    /// Its fuzz target in `fuzz/`.
    fuzz: Option<&'static str>,
}

const CRATES: &[Crate] = &[
    Crate {
        name: "pool-core",
        // The guards' word-wise moves are its only `unsafe`.
        loom: false,
        miri: true,
        miri_tests: &[],
        stress: &[],
        seeds: &[],
        fuzz: None,
    },
    Crate {
        name: "pool-engine",
        loom: true,
        miri: true,
        miri_tests: &[],
        stress: &["threads", "engine"],
        // The per-thread layer's hand-over and owned references; the
        // engine's own tests check its bookkeeping, once.
        seeds: &["threads"],
        fuzz: None,
    },
    Crate {
        name: "pool-local",
        // Its models are the engine's, in pool-engine; Miri still runs its
        // tests, which drive the engine's unsafe code.
        loom: false,
        miri: true,
        miri_tests: &[],
        stress: &["stress", "threads", "owned"],
        seeds: &["stress", "threads", "owned"],
        fuzz: Some("local"),
    },
    Crate {
        name: "pool-ring",
        loom: true,
        miri: true,
        miri_tests: &[],
        stress: &["stress", "owned"],
        seeds: &["stress", "owned"],
        fuzz: Some("ring"),
    },
    Crate {
        name: "pool-fixed",
        loom: true,
        miri: true,
        miri_tests: &[],
        stress: &["stress", "threads", "owned"],
        seeds: &["stress", "threads", "owned"],
        fuzz: Some("fixed"),
    },
    Crate {
        name: "pool-tiered",
        loom: false,
        miri: false,
        miri_tests: &["owned"],
        stress: &["shared", "threads", "owned"],
        seeds: &[],
        fuzz: Some("tiered"),
    },
];

struct Step {
    name: String,
    secs: f64,
    ok: bool,
    /// Free disk space after the step, in MiB (where `df` could tell).
    free_mib: Option<u64>,
}

struct Runner {
    steps: Vec<Step>,
    only: Option<Vec<String>>,
    skip: Vec<String>,
    /// Remove each check's own build folder once it has run.
    reclaim: bool,
}

impl Runner {
    /// Runs `cmd` whatever the selection (setup that selected steps need).
    fn run_always(&mut self, name: &str, cmd: Command) -> bool {
        let only = self.only.take();
        let skip = std::mem::take(&mut self.skip);
        let ok = self.run("always", name, cmd);
        self.only = only;
        self.skip = skip;
        ok
    }

    fn wanted(&self, group: &str) -> bool {
        !self.skip.iter().any(|s| s == group)
            && self
                .only
                .as_ref()
                .is_none_or(|o| o.iter().any(|s| s == group))
    }

    /// Runs `cmd` as step `name` of `group`; records its time and outcome.
    fn run(&mut self, group: &str, name: &str, mut cmd: Command) -> bool {
        if !self.wanted(group) {
            return true;
        }
        eprintln!("\n==> {name}: {}", describe(&cmd));
        let start = Instant::now();
        let ok = cmd.status().map(|s| s.success()).unwrap_or(false);
        let secs = start.elapsed().as_secs_f64();
        if !ok {
            eprintln!("\n!!!!!!!! FAILED: {name} !!!!!!!!");
        }
        self.steps.push(Step {
            name: name.to_string(),
            secs,
            ok,
            free_mib: free_mib(),
        });
        ok
    }

    /// Removes `dir` (a check's own build folder, relative to the project
    /// root) where `--reclaim` asks for it, so that the checks' builds do
    /// not pile up on a machine short of disk.
    fn reclaim(&self, dir: &str) {
        let path = project_root().join(dir);
        if !self.reclaim || !path.exists() {
            return;
        }
        let size = dir_bytes(&path);
        match std::fs::remove_dir_all(&path) {
            Ok(()) => eprintln!("reclaimed {dir}: {} MiB", size >> 20),
            // A folder left behind costs disk, not correctness.
            Err(e) => eprintln!("warning: could not remove {dir}: {e}"),
        }
    }
}

/// Bytes of the files under `path` (what removing it gives back).
fn dir_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// Free space on the project's file system, in MiB, from POSIX `df -Pk`.
fn free_mib() -> Option<u64> {
    let out = Command::new("df")
        .arg("-Pk")
        .arg(project_root())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let kib: u64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kib >> 10)
}

fn rustup(args: &[&str]) -> Command {
    let mut c = Command::new("rustup");
    c.args(args).current_dir(project_root());
    c
}

/// `cargo` of the pinned nightly, through rustup (the `CARGO` this task
/// runs under is the stable toolchain's binary, which knows no `+toolchain`).
fn nightly_cargo(args: &[&str]) -> Command {
    toolchain_cargo(NIGHTLY, args)
}

/// `cargo` of `toolchain`, through rustup.
fn toolchain_cargo(toolchain: &str, args: &[&str]) -> Command {
    let mut c = Command::new("rustup");
    c.args(["run", toolchain, "cargo"])
        .args(args)
        .current_dir(project_root());
    for var in [
        "RUSTUP_TOOLCHAIN",
        "RUSTC",
        "RUSTDOC",
        "CARGO",
        "RUSTC_WRAPPER",
    ] {
        c.env_remove(var);
    }
    c
}

fn have(tool: &str) -> bool {
    Command::new("cargo")
        .args([tool, "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `cargo xtask ci [--only a,b] [--skip a,b] [--fuzz-secs N] [--reclaim]`;
/// groups: lint, test, loom, miri, tsan, asan, fuzz, coverage, bench.
pub(crate) fn run(
    only: Option<Vec<String>>,
    skip: Vec<String>,
    fuzz_secs: u32,
    reclaim: bool,
) -> Result<(), String> {
    let started = Instant::now();
    let mut r = Runner {
        steps: Vec::new(),
        only,
        skip,
        reclaim,
    };
    if let Some(free) = free_mib() {
        eprintln!("free disk at the start: {free} MiB");
    }

    r.run_always(
        "toolchain",
        rustup(&[
            "toolchain",
            "install",
            STABLE,
            "--profile",
            "minimal",
            "--component",
            "rustfmt,clippy,llvm-tools",
        ]),
    );
    let mut c = cargo();
    c.args(["fmt", "--all", "--", "--check"]);
    r.run("lint", "fmt", c);
    let mut c = cargo();
    c.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    r.run("lint", "clippy", c);
    let mut c = cargo();
    c.args(["test", "--workspace", "--all-features"]);
    r.run("test", "test", c);
    // The example programs, each a bounded smoke run (debug build, the
    // test run's artifacts; small sizes): each checks what it prints.
    for (example, args) in [
        ("local_threads", &["2", "2000"][..]),
        ("bounded_workers", &["100"]),
        ("log_formatter", &["20000"]),
        ("shared_frames", &[]),
        ("pipeline", &["20000"]),
        ("echo_server", &["4", "200", "4096"]),
    ] {
        let mut c = cargo();
        c.args([
            "run",
            "-q",
            "-p",
            "pool-toolkit",
            "--all-features",
            "--example",
            example,
            "--",
        ])
        .args(args);
        r.run("examples", &format!("example {example}"), c);
    }

    let mut c = cargo();
    c.args(["doc", "--workspace", "--no-deps", "--all-features"])
        .env("RUSTDOCFLAGS", "-D warnings");
    r.run("lint", "doc", c);

    // The minimum supported Rust version: the library crates, every
    // feature, built by that toolchain (installed here, minimal profile).
    if r.wanted("msrv") {
        r.run(
            "msrv",
            "install msrv toolchain",
            rustup(&["toolchain", "install", MSRV, "--profile", "minimal"]),
        );
    }
    let mut args = vec!["check", "--all-features"];
    for name in LIBRARIES {
        args.extend(["-p", name]);
    }
    let mut c = toolchain_cargo(MSRV, &args);
    c.env("CARGO_TARGET_DIR", project_root().join("target/msrv"));
    r.run("msrv", &format!("msrv {MSRV}"), c);
    r.reclaim("target/msrv");

    // Every library crate packages for the registry (not verified: the
    // crates depend on each other's unpublished versions).
    let mut c = cargo();
    c.args(["package", "--no-verify", "--allow-dirty"]);
    for name in LIBRARIES {
        c.args(["-p", name]);
    }
    r.run("package", "cargo package", c);

    // loom: one crate-prefixed cfg for the workspace, release, its own
    // target directory, preemptions bounded.
    let loom: Vec<&str> = CRATES.iter().filter(|c| c.loom).map(|c| c.name).collect();
    let mut c = cargo();
    c.arg("test");
    for name in &loom {
        c.args(["-p", name]);
    }
    c.args(["--release", "--lib", "loom_"])
        .env("RUSTFLAGS", "--cfg pool_loom")
        .env("CARGO_TARGET_DIR", project_root().join("target/loom"))
        .env("LOOM_MAX_PREEMPTIONS", "3");
    r.run("loom", "loom", c);
    // The code that only the loom build compiles (the models, the
    // switched types) meets the same lints as the rest.
    let mut c = cargo();
    c.arg("clippy");
    for name in &loom {
        c.args(["-p", name]);
    }
    c.args(["--release", "--lib", "--tests", "--", "-D", "warnings"])
        .env("RUSTFLAGS", "--cfg pool_loom")
        .env("CARGO_TARGET_DIR", project_root().join("target/loom"));
    r.run("loom", "loom clippy", c);
    r.reclaim("target/loom");

    let needs_nightly = ["miri", "tsan", "asan", "fuzz"].iter().any(|g| r.wanted(g));
    if needs_nightly {
        let ok = r.run_always(
            "nightly",
            rustup(&[
                "toolchain",
                "install",
                NIGHTLY,
                "--profile",
                "minimal",
                "--component",
                "miri,rust-src",
            ]),
        );
        if !ok {
            eprintln!(
                "FAILED: the pinned nightly {NIGHTLY} could not be installed; Miri, the sanitizers and fuzzing cannot run"
            );
        }
    }

    // Miri: every crate with unsafe or hand-written synchronisation; the
    // stress tests again under several seeds.
    for krate in CRATES {
        for test in krate.miri_tests {
            let mut c = nightly_cargo(&["miri", "test", "-p", krate.name, "--test", test]);
            c.env("MIRIFLAGS", "-Zmiri-disable-isolation");
            r.run("miri", &format!("miri {} {test}", krate.name), c);
        }
    }
    for krate in CRATES.iter().filter(|c| c.miri) {
        let mut c = nightly_cargo(&["miri", "test", "-p", krate.name, "--lib", "--tests"]);
        c.env("MIRIFLAGS", "-Zmiri-disable-isolation");
        r.run("miri", &format!("miri {}", krate.name), c);
        for stress in krate.seeds {
            let mut c = nightly_cargo(&["miri", "test", "-p", krate.name, "--test", stress]);
            c.env(
                "MIRIFLAGS",
                "-Zmiri-disable-isolation -Zmiri-many-seeds=0..4",
            );
            r.run("miri", &format!("miri {} {stress} x4 seeds", krate.name), c);
        }
    }
    r.reclaim("target/miri");

    // The sanitizers on the concurrency tests (each crate's stress tests,
    // in one run per crate; a crate without any, its own tests), where
    // the unsafe code and the hand-written synchronisation are exercised.
    for (group, flag, options_var, options) in [
        (
            "tsan",
            "-Zsanitizer=thread",
            "TSAN_OPTIONS",
            // A refused allocation returns null (as malloc does) rather
            // than aborting: the tests check that a huge request becomes a
            // typed error.
            "halt_on_error=1:allocator_may_return_null=1",
        ),
        (
            "asan",
            "-Zsanitizer=address",
            "ASAN_OPTIONS",
            "detect_leaks=0:allocator_may_return_null=1",
        ),
    ] {
        for krate in CRATES {
            let mut args = vec!["test", "-Zbuild-std", "--target", TARGET, "-p", krate.name];
            if krate.stress.is_empty() {
                args.extend(["--lib", "--tests"]);
            }
            for test in krate.stress {
                args.extend(["--test", test]);
            }
            let mut c = nightly_cargo(&args);
            c.env("RUSTFLAGS", flag)
                .env(
                    "CARGO_TARGET_DIR",
                    project_root().join("target").join(group),
                )
                .env(options_var, options);
            r.run(group, &format!("{group} {}", krate.name), c);
        }
        r.reclaim(&format!("target/{group}"));
    }

    // Fuzzing: each pool's target for a bounded time.
    if r.wanted("fuzz") && !have("fuzz") {
        let mut c = cargo();
        c.args(["install", "cargo-fuzz", "--locked"]);
        r.run("fuzz", "install cargo-fuzz", c);
    }
    for krate in CRATES.iter() {
        let Some(target) = krate.fuzz else { continue };
        // Leak checks off: a scoped thread's handle, and glibc's list of
        // thread-local destructors, are freed after libFuzzer's per-input
        // leak check looks. Item leaks are caught by the targets' live
        // counts and by Miri's leak check on the tests.
        let mut c = nightly_cargo(&[
            "fuzz",
            "run",
            target,
            "--",
            &format!("-max_total_time={fuzz_secs}"),
            "-detect_leaks=0",
        ]);
        c.current_dir(project_root().join("fuzz"))
            .env("ASAN_OPTIONS", "detect_leaks=0");
        r.run("fuzz", &format!("fuzz {target}"), c);
    }
    r.reclaim("fuzz/target");

    // Coverage, per crate.
    if r.wanted("coverage") && !have("llvm-cov") {
        let mut c = cargo();
        c.args(["install", "cargo-llvm-cov", "--locked"]);
        r.run("coverage", "install cargo-llvm-cov", c);
    }
    if r.wanted("coverage") {
        let start = Instant::now();
        let mut c = cargo();
        c.args([
            "llvm-cov",
            "--workspace",
            "--all-features",
            "--json",
            "--summary-only",
            "--output-path",
        ])
        .arg(project_root().join("target/coverage.json"));
        let ok = r.run("coverage", "coverage", c);
        if ok {
            match coverage_table() {
                Ok(table) => println!("\n{table}"),
                Err(e) => {
                    eprintln!("FAILED: coverage table: {e}");
                    r.steps.push(Step {
                        name: "coverage table".into(),
                        secs: start.elapsed().as_secs_f64(),
                        ok: false,
                        free_mib: free_mib(),
                    });
                }
            }
        }
        r.reclaim("target/llvm-cov-target");
    }

    // The benches never rot: each once, tiny sizes; then the report.
    // Through `cargo bench` (criterion's `--test`: each bench once), so
    // that the build is the bench profile's, which the next step reuses.
    let mut c = cargo();
    c.args(["bench", "-p", "pool-benches", "--benches", "--", "--test"])
        .env("POOL_BENCH_SIZES", "64,4096")
        .env("POOL_BENCH_THREADS", "1,2")
        .env("POOL_BENCH_BURST_SIZE", "4096")
        .env(
            "POOL_BENCH_WORKLOAD",
            project_root().join("benches/workloads/http-server.json"),
        );
    r.run("bench", "bench smoke", c);
    let mut c = cargo();
    c.args([
        "xtask",
        "bench",
        "--sizes",
        "4k",
        "--threads",
        "1,2",
        "--filter",
        "pool-local",
        "--no-burst",
        // The statistics-off and leak-sites builds too, which the quick
        // default leaves out.
        "--variants",
    ]);
    r.run("bench", "xtask bench smoke", c);
    // The shipped example workload, replayed as a user would (it fails
    // unless the report recommends a pool for it).
    let mut c = cargo();
    c.args([
        "xtask",
        "bench",
        "--workload",
        "benches/workloads/http-server.json",
    ]);
    r.run("bench", "xtask bench --workload smoke", c);

    println!(
        "\n==> summary ({:.0} s in all)",
        started.elapsed().as_secs_f64()
    );
    for s in &r.steps {
        let free = s
            .free_mib
            .map_or_else(|| "?".to_string(), |m| m.to_string());
        println!(
            "  {:<40} {:>7.1} s  {:<6}  {free:>8} MiB free after",
            s.name,
            s.secs,
            if s.ok { "ok" } else { "FAILED" }
        );
    }
    let failed: Vec<&str> = r
        .steps
        .iter()
        .filter(|s| !s.ok)
        .map(|s| s.name.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("FAILED steps: {}", failed.join(", ")))
    }
}

/// Line coverage per crate from cargo-llvm-cov's JSON summary.
fn coverage_table() -> Result<String, String> {
    let path = project_root().join("target/coverage.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let files = v["data"][0]["files"]
        .as_array()
        .ok_or("no files in the coverage report")?;
    let mut per: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for f in files {
        let name = f["filename"].as_str().unwrap_or_default();
        let Some(rest) = name
            .split("/crates/")
            .nth(1)
            .or_else(|| name.split("/xtask/").nth(1).map(|_| "xtask/"))
        else {
            continue;
        };
        let krate = rest
            .split('/')
            .next()
            .unwrap_or("?")
            .trim_end_matches('/')
            .to_string();
        let lines = &f["summary"]["lines"];
        let e = per
            .entry(if krate.is_empty() {
                "xtask".into()
            } else {
                krate
            })
            .or_default();
        e.0 += lines["covered"].as_u64().unwrap_or(0);
        e.1 += lines["count"].as_u64().unwrap_or(0);
    }
    let mut out = String::from("coverage (lines)\n");
    for (k, (covered, count)) in per {
        let pct = if count == 0 {
            100.0
        } else {
            covered as f64 * 100.0 / count as f64
        };
        out.push_str(&format!(
            "  {k:<14} {covered:>6} / {count:<6} {pct:>5.1}%\n"
        ));
    }
    Ok(out)
}
