//! Command-line parsing, with clear messages for bad input.

use std::path::PathBuf;

use crate::table;

pub(crate) const USAGE: &str = "\
usage:
  cargo xtask bench [--full] [--variants] [--threads LIST] [--sizes LIST] [--filter TEXT]
                   [--no-burst] [--workload FILE] [--verbose]
      Compare every pool strategy with plain allocation and the peer crates,
      and recommend one of ours per scenario.
      --full           criterion's full sampling (minutes) instead of the quick default;
                       implies --variants
      --variants       also build and time the pools with statistics compiled out and
                       with leak sites (what each costs): two more release builds,
                       each in a target folder of its own; the quick default builds once
      --workload FILE  replay a recorded workload (request sizes, threads, buffers
                       held; the JSON of pool_tiered::workload, e.g. from
                       TieredPool::workload) against every strategy and peer, and
                       recommend a pool for it; alone, runs only the replay
                       (--filter / runs every scenario too). Example:
                       benches/workloads/http-server.json
      --verbose        criterion's own output instead of one progress line per benchmark
      --threads LIST   thread counts for the threaded scenario, e.g. 1,2,4,8,16
                       (default: 1, 2 and this machine's parallelism)
      --sizes LIST     buffer sizes, e.g. 64,4k,64k,1m (default: 64,4k,64k,1m)
      --filter TEXT    only benchmarks whose id (scenario/size/threads/contender)
                       contains TEXT, e.g. `threads`, `4KiB`, `pool-local`
      --no-burst       skip the memory (burst) scenario
      Writes target/pool-report/{report.md,report.json,scaling-<size>.svg}.
  cargo xtask bench-bin
      Build the bench binaries and run.sh into target/pool-bench/, to copy to
      another machine of the same architecture (no registry needed there).
  cargo xtask report --from DIR [--out DIR]
      Write the report for results that run.sh produced in DIR.
  cargo xtask ci [--only GROUPS] [--skip GROUPS] [--fuzz-secs N] [--reclaim]
      Everything CI runs, with a time summary. GROUPS (comma-separated):
      lint, msrv, package, test, examples, loom, miri, tsan, asan, fuzz,
      coverage, bench.
      --reclaim        remove each check's own build folder once it has run
                       (msrv, loom, Miri, the sanitizers, fuzzing, coverage),
                       for machines short of disk; `.ci/run` passes it";

/// The groups `cargo xtask ci` knows.
pub(crate) const CI_GROUPS: &[&str] = &[
    "lint", "msrv", "package", "test", "examples", "loom", "miri", "tsan", "asan", "fuzz",
    "coverage", "bench",
];

/// Every name a filter can match: the scenarios, the contenders of the
/// one table, and plain allocation with each allocator.
fn known() -> Vec<String> {
    let mut v: Vec<String> = table::SCENARIOS.iter().map(|s| s.to_string()).collect();
    v.extend(table::ALL.iter().map(|e| e.name.to_string()));
    for a in table::ALLOCATORS {
        v.push(format!("alloc-{a}"));
        v.push(format!("alloc-zeroed-{a}"));
    }
    v
}

#[derive(Debug, Default, PartialEq)]
pub(crate) struct BenchArgs {
    pub(crate) full: bool,
    /// Also the statistics-off and leak-sites builds (`--variants`, or
    /// `--full`): two more release builds of the benches.
    pub(crate) variants: bool,
    pub(crate) threads: Option<Vec<usize>>,
    pub(crate) sizes: Option<Vec<usize>>,
    pub(crate) filter: Option<String>,
    pub(crate) burst: bool,
    /// A recorded workload to replay (validated when parsed).
    pub(crate) workload: Option<PathBuf>,
    /// Criterion's own output instead of the progress lines.
    pub(crate) verbose: bool,
}

#[derive(Debug, PartialEq)]
pub(crate) enum Task {
    Help,
    Bench(BenchArgs),
    BenchBin,
    Report {
        from: PathBuf,
        out: PathBuf,
    },
    Ci {
        only: Option<Vec<String>>,
        skip: Vec<String>,
        fuzz_secs: u32,
        /// Remove each check's own build folder once it has run.
        reclaim: bool,
    },
}

fn groups(text: &str, flag: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = text
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for g in &list {
        if !CI_GROUPS.contains(&g.as_str()) {
            return Err(format!(
                "{flag}: unknown group `{g}`; expected some of {}",
                CI_GROUPS.join(", ")
            ));
        }
    }
    Ok(list)
}

pub(crate) fn join(list: &[usize]) -> String {
    list.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses `1,2,16` (and `4k`, `1m` where `sizes`), each in `range`: the
/// benches' own parser, so a list means the same to both.
fn parse_list(
    text: &str,
    flag: &str,
    range: std::ops::RangeInclusive<usize>,
    sizes: bool,
) -> Result<Vec<usize>, String> {
    table::parse_list(text, flag, range, sizes)
}

pub(crate) fn parse(mut args: impl Iterator<Item = String>) -> Result<Task, String> {
    // No task: the usage (the main job is `cargo xtask bench`).
    let Some(task) = args.next() else {
        return Ok(Task::Help);
    };
    // `--flag=value` is `--flag value`.
    let rest: Vec<String> = args
        .flat_map(|a| match a.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                vec![flag.to_owned(), value.to_owned()]
            }
            _ => vec![a],
        })
        .collect();
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Task::Help);
    }
    let mut it = rest.into_iter();
    let value = |it: &mut std::vec::IntoIter<String>, flag: &str| {
        it.next().ok_or_else(|| format!("{flag} needs a value"))
    };
    match task.as_str() {
        "-h" | "--help" | "help" => Ok(Task::Help),
        "bench" => {
            let mut a = BenchArgs {
                burst: true,
                ..BenchArgs::default()
            };
            while let Some(flag) = it.next() {
                match flag.as_str() {
                    "--full" => {
                        a.full = true;
                        a.variants = true;
                    }
                    "--variants" => a.variants = true,
                    "--verbose" | "-v" => a.verbose = true,
                    "--workload" => {
                        let path = PathBuf::from(value(&mut it, "--workload")?);
                        // Checked now: a bad file is a message before any
                        // build, naming the field and the range expected.
                        load_workload(&path)?;
                        a.workload = Some(
                            std::path::absolute(&path)
                                .map_err(|e| format!("--workload {}: {e}", path.display()))?,
                        );
                    }
                    "--no-burst" => a.burst = false,
                    "--threads" => {
                        a.threads = Some(parse_list(
                            &value(&mut it, "--threads")?,
                            "--threads",
                            1..=1024,
                            false,
                        )?)
                    }
                    "--sizes" => {
                        a.sizes = Some(parse_list(
                            &value(&mut it, "--sizes")?,
                            "--sizes",
                            1..=1 << 30,
                            true,
                        )?)
                    }
                    "--filter" => {
                        let f = value(&mut it, "--filter")?;
                        check_filter(&f)?;
                        a.filter = Some(f);
                    }
                    other => return Err(format!("bench: unknown option `{other}`")),
                }
            }
            Ok(Task::Bench(a))
        }
        "bench-bin" => match it.next() {
            None => Ok(Task::BenchBin),
            Some(other) => Err(format!("bench-bin: unexpected argument `{other}`")),
        },
        "report" => {
            let (mut from, mut out) = (None, None);
            while let Some(flag) = it.next() {
                match flag.as_str() {
                    "--from" => from = Some(PathBuf::from(value(&mut it, "--from")?)),
                    "--out" => out = Some(PathBuf::from(value(&mut it, "--out")?)),
                    other => return Err(format!("report: unknown option `{other}`")),
                }
            }
            let from = from.ok_or("report: --from DIR is required")?;
            if !from.is_dir() {
                return Err(format!("report: `{}` is not a folder", from.display()));
            }
            let out = out.unwrap_or_else(|| from.clone());
            Ok(Task::Report { from, out })
        }
        "ci" => {
            let (mut only, mut skip, mut fuzz_secs) = (None, Vec::new(), 20u32);
            let mut reclaim = false;
            while let Some(flag) = it.next() {
                match flag.as_str() {
                    "--only" => only = Some(groups(&value(&mut it, "--only")?, "--only")?),
                    "--skip" => skip = groups(&value(&mut it, "--skip")?, "--skip")?,
                    "--fuzz-secs" => {
                        let v = value(&mut it, "--fuzz-secs")?;
                        fuzz_secs = match v.parse::<u32>() {
                            Ok(n @ 1..=3600) => n,
                            _ => {
                                return Err(format!(
                                    "--fuzz-secs: `{v}` is not valid; expected whole seconds in 1..=3600"
                                ));
                            }
                        };
                    }
                    "--reclaim" => reclaim = true,
                    other => return Err(format!("ci: unknown option `{other}`")),
                }
            }
            Ok(Task::Ci {
                only,
                skip,
                fuzz_secs,
                reclaim,
            })
        }
        other => Err(format!(
            "unknown task `{other}`; expected bench, bench-bin, report or ci"
        )),
    }
}

/// Reads and validates a workload file: the loader the benches use.
pub(crate) use crate::records::load_workload;

/// A filter must be able to match something: a scenario, a contender, a
/// size label (`4KiB`) or a thread count (`16t`).
fn check_filter(f: &str) -> Result<(), String> {
    if f.is_empty() {
        return Err("--filter: the filter is empty".into());
    }
    let looks_like_size_or_threads = f.chars().next().is_some_and(|c| c.is_ascii_digit())
        && (f.ends_with("KiB") || f.ends_with("MiB") || f.ends_with('B') || f.ends_with('t'));
    let known = known();
    let matches_name = known
        .iter()
        .any(|k| k.contains(f) || f.contains(k.as_str()));
    // Every id has a slash: `/` matches everything (with --workload, every
    // scenario and the replay).
    if matches_name || looks_like_size_or_threads || f == "/" {
        Ok(())
    } else {
        Err(format!(
            "--filter: `{f}` matches no benchmark; use part of a scenario or contender name ({}), a size such as 4KiB, or a thread count such as 16t",
            known.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Task, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn bench_defaults_to_quick_and_no_task_prints_usage() {
        assert_eq!(
            p(&["bench"]).unwrap(),
            Task::Bench(BenchArgs {
                burst: true,
                ..BenchArgs::default()
            })
        );
        assert_eq!(p(&[]).unwrap(), Task::Help);
        for task in ["bench", "bench-bin", "report", "ci"] {
            assert_eq!(p(&[task, "--help"]).unwrap(), Task::Help, "{task}");
        }
    }

    #[test]
    fn flag_equals_value_is_accepted() {
        let Task::Bench(a) = p(&["bench", "--threads=2", "--sizes=4k"]).unwrap() else {
            panic!("a bench task");
        };
        assert_eq!((a.threads, a.sizes), (Some(vec![2]), Some(vec![4096])));
        assert!(p(&["bench", "--threads="]).is_err());
    }

    #[test]
    fn parses_lists_and_flags() {
        let Task::Bench(a) = p(&[
            "bench",
            "--full",
            "--threads",
            "16,1,2",
            "--sizes",
            "4k,64,1m",
            "--filter",
            "pool-local",
        ])
        .unwrap() else {
            panic!()
        };
        assert!(a.full);
        assert!(a.variants, "--full measures the variant builds too");
        assert_eq!(a.threads, Some(vec![1, 2, 16]));
        assert_eq!(a.sizes, Some(vec![64, 4096, 1 << 20]));
        assert_eq!(a.filter.as_deref(), Some("pool-local"));
    }

    #[test]
    fn bad_input_is_a_clear_message() {
        let e = p(&["bench", "--threads", "1,x"]).unwrap_err();
        assert!(
            e.contains("`x` is not valid") && e.contains("1..=1024"),
            "{e}"
        );
        let e = p(&["bench", "--threads", "0"]).unwrap_err();
        assert!(e.contains("`0`"), "{e}");
        let e = p(&["bench", "--sizes", "4q"]).unwrap_err();
        assert!(e.contains("k and m suffixes"), "{e}");
        let e = p(&["bench", "--filter", "nosuchpool"]).unwrap_err();
        assert!(e.contains("matches no benchmark"), "{e}");
        let e = p(&["bench", "--threads"]).unwrap_err();
        assert!(e.contains("needs a value"), "{e}");
        let e = p(&["bench", "--fast"]).unwrap_err();
        assert!(e.contains("unknown option `--fast`"), "{e}");
        let e = p(&["frobnicate"]).unwrap_err();
        assert!(e.contains("unknown task"), "{e}");
        let e = p(&["ci", "--only", "lint,frobs"]).unwrap_err();
        assert!(e.contains("unknown group `frobs`"), "{e}");
        let e = p(&["ci", "--fuzz-secs", "0"]).unwrap_err();
        assert!(e.contains("1..=3600"), "{e}");
        assert_eq!(
            p(&["ci", "--skip", "fuzz,coverage"]).unwrap(),
            Task::Ci {
                only: None,
                skip: vec!["fuzz".into(), "coverage".into()],
                fuzz_secs: 20,
                reclaim: false,
            }
        );
        assert_eq!(
            p(&["ci", "--reclaim", "--fuzz-secs", "5"]).unwrap(),
            Task::Ci {
                only: None,
                skip: vec![],
                fuzz_secs: 5,
                reclaim: true,
            }
        );
        let e = p(&["report"]).unwrap_err();
        assert!(e.contains("--from DIR is required"), "{e}");
    }

    #[test]
    fn a_workload_is_checked_before_anything_runs() {
        let dir = std::env::temp_dir().join(format!("xtask-args-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = p(&["bench", "--workload", "/no/such/file.json"]).unwrap_err();
        assert!(e.contains("/no/such/file.json: cannot read it"), "{e}");
        let bad = dir.join("bad.json");
        std::fs::write(
            &bad,
            r#"{"threads": 4, "held": 0, "sizes": [{"bytes": 64, "count": 1}]}"#,
        )
        .unwrap();
        let e = p(&["bench", "--workload", bad.to_str().unwrap()]).unwrap_err();
        assert!(e.contains("`held` is 0, expected 1..=65536"), "{e}");
        let good = dir.join("good.json");
        std::fs::write(
            &good,
            r#"{"threads": 2, "sizes": [{"bytes": 64, "count": 1}]}"#,
        )
        .unwrap();
        let Task::Bench(a) = p(&["bench", "--workload", good.to_str().unwrap(), "-v"]).unwrap()
        else {
            panic!("a bench task")
        };
        assert!(a.workload.is_some_and(|w| w.is_absolute()) && a.verbose);
        // The shipped example is valid.
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../benches/workloads/http-server.json");
        assert!(load_workload(&example).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn filters_by_size_and_threads_are_accepted() {
        assert!(check_filter("/").is_ok(), "every id has a slash");
        assert!(check_filter("4KiB").is_ok());
        assert!(check_filter("16t").is_ok());
        assert!(check_filter("local").is_ok());
    }
}
