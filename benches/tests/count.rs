//! Instruction counts do not move with the machine: the same build,
//! counted twice, gives the same figure (within 0.5%), and the counter
//! refuses what it cannot run.

use std::path::Path;
use std::process::Command;

use pool_benches::callgrind;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_pool-count"))
}

#[test]
fn the_same_build_counts_the_same_twice() {
    if let Err(why) = callgrind::available() {
        // The README's test command works where valgrind is not installed;
        // CI installs it, so the figure is checked there.
        eprintln!("skipped: {why}");
        return;
    }
    // The leak-sites build (`--all-features`) counts its own rows only.
    let counted: &[(&str, &str)] = if cfg!(feature = "leak-sites") {
        &[
            ("single", "pool-local-leak-sites"),
            ("single", "pool-local-sampled"),
        ]
    } else {
        &[("single", "pool-local"), ("two", "pool-tiered")]
    };
    for &(scenario, contender) in counted {
        let a = callgrind::per_op(bin(), scenario, contender, 4096).expect("counted");
        let b = callgrind::per_op(bin(), scenario, contender, 4096).expect("counted");
        assert!(
            a > 10.0,
            "{scenario}/{contender}: a get and a put take some work: {a}"
        );
        assert!(
            (a - b).abs() <= 0.005 * a,
            "{scenario}/{contender}: {a} then {b} instructions per op"
        );
    }
}

#[test]
fn the_counter_lists_what_it_runs_and_refuses_the_rest() {
    let listed = Command::new(bin()).arg("--list").output().expect("it runs");
    let text = String::from_utf8_lossy(&listed.stdout);
    let lines: &[&str] = if cfg!(feature = "leak-sites") {
        &[
            "single pool-local-leak-sites",
            "single pool-local-sampled",
            "single pool-local-tracked",
        ]
    } else {
        &[
            "single pool-local",
            "single zeropool",
            "single alloc-system",
            "two pool-tiered",
            "fill pool-local",
        ]
    };
    for line in lines {
        assert!(text.lines().any(|l| l == *line), "{line} in {text}");
    }
    let refused = Command::new(bin())
        .args(["single", "no-such-pool", "4096", "10"])
        .output()
        .expect("it runs");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("`no-such-pool` cannot be counted"));
    let bad = Command::new(bin())
        .args(["single", "pool-local", "4k", "x"])
        .output()
        .expect("it runs");
    assert_eq!(bad.status.code(), Some(2));
    // A short run does what it says and exits cleanly.
    let ran = Command::new(bin())
        .args([
            "single",
            lines[0].trim_start_matches("single "),
            "4096",
            "100",
        ])
        .output()
        .expect("it runs");
    assert!(ran.status.success());
}
