//! Memory discipline: steady load, a burst of 10x more buffers out at once,
//! then idle and trim; process RSS before, at the peak and after, for each
//! contender, each in its own process so that allocators do not mix.
//!
//! `cargo bench -p pool-benches --bench burst` prints one JSON object per
//! line and writes them to `$POOL_BENCH_BURST_OUT` when that is set.
//! `POOL_BENCH_BURST_SIZE` sets the buffer size (default 64 KiB).

use std::process::Command;

use pool_benches::records::BurstRecord;
use pool_benches::{BURST, parse_list};

const STEADY: usize = 8;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let size = match std::env::var("POOL_BENCH_BURST_SIZE") {
        Ok(text) => match parse_list(
            &text,
            "POOL_BENCH_BURST_SIZE",
            pool_benches::table::SIZES,
            true,
        ) {
            Ok(list) => list[0],
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
        Err(_) => 64 << 10,
    };
    if let Some(i) = args.iter().position(|a| a == "--contender") {
        let name = args.get(i + 1).map(String::as_str).unwrap_or("");
        let Some((_, run)) = BURST.iter().find(|(n, _)| *n == name) else {
            eprintln!("unknown burst contender `{name}`");
            std::process::exit(2);
        };
        let r = run(size, STEADY);
        let json = serde_json::to_string(&BurstRecord {
            scenario: "burst".into(),
            contender: name.to_string(),
            size,
            held_steady: STEADY,
            held_peak: 10 * STEADY,
            rss_steady: r.rss_steady,
            rss_peak: r.rss_peak,
            rss_after: r.rss_after,
            retained_before_trim: r.retained_before_trim,
            retained_after: r.retained_after,
            memory_before_trim: r.memory_before_trim,
        })
        .expect("a record serializes");
        println!("{json}");
        return;
    }
    // Criterion's `--bench` and filters may be passed: a filter (part of an
    // id `burst/<size>/1t/<contender>`, as criterion's) narrows the
    // contenders.
    let filter = args.iter().skip(1).find(|a| !a.starts_with("--"));
    let exe = std::env::current_exe().expect("the bench knows its own path");
    let mut lines = Vec::new();
    for (name, _) in BURST {
        // The same test as criterion's: the filter is part of the id.
        let id = format!("burst/{}/1t/{name}", pool_benches::size_label(size));
        if filter.is_some_and(|f| !id.contains(f.as_str())) {
            continue;
        }
        eprintln!("burst: {name}");
        let out = Command::new(&exe)
            .args(["--contender", name])
            .output()
            .expect("the bench can run itself");
        if !out.status.success() {
            eprintln!(
                "burst: {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::process::exit(1);
        }
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        println!("{line}");
        lines.push(line);
    }
    if let Ok(path) = std::env::var("POOL_BENCH_BURST_OUT") {
        std::fs::write(&path, lines.join("\n") + "\n").expect("the burst output path is writable");
    }
}
