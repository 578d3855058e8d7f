//! Measures what our empty pools cost and what their first uses add (see
//! `pool_benches::footprint`): `pool-footprint [POOLS]` prints one JSON
//! record a line (`FootprintRecord`), 10,000 pools of each kind unless
//! told, each kind measured in a process of its own (this binary run again
//! with `--pool NAME POOLS`); then what the 64 KiB pipeline leaves resident
//! through pool-local, prefilled or not (`--pipeline NAME`, a process
//! each).

use pool_benches::footprint;

#[global_allocator]
static COUNTING: footprint::Counting = footprint::Counting;

/// Buffers moved through each pipeline: enough for every buffer of a
/// prefilled pool to come round many times if they cycled.
const PIPELINE_ITEMS: u64 = 200_000;

fn usage() -> ! {
    eprintln!("usage: pool-footprint [POOLS] (a number of pools, at least 1)");
    std::process::exit(2);
}

fn count(arg: Option<&String>) -> usize {
    match arg.map(|a| a.parse::<usize>()) {
        None => 10_000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => usage(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--pool") {
        let (Some(name), pools) = (args.get(1), count(args.get(2))) else {
            usage()
        };
        let Some(records) = footprint::measure(name, pools) else {
            eprintln!("pool-footprint: no pool named `{name}`");
            std::process::exit(2);
        };
        for r in records {
            println!(
                "{}",
                serde_json::to_string(&r).expect("a record serializes")
            );
        }
        return;
    }
    if args.first().map(String::as_str) == Some("--pipeline") {
        let Some(name) = args.get(1) else { usage() };
        let Some(r) = footprint::pipeline(name, PIPELINE_ITEMS) else {
            eprintln!("pool-footprint: no pipeline named `{name}`");
            std::process::exit(2);
        };
        println!(
            "{}",
            serde_json::to_string(&r).expect("a record serializes")
        );
        return;
    }
    if args.len() > 1 {
        usage();
    }
    let pools = count(args.first());
    let me = std::env::current_exe().unwrap_or_else(|e| {
        eprintln!("pool-footprint: cannot find its own binary: {e}");
        std::process::exit(1)
    });
    let runs = footprint::POOLS
        .iter()
        .map(|name| vec!["--pool".to_string(), name.to_string(), pools.to_string()])
        .chain(
            footprint::PIPELINES
                .iter()
                .map(|name| vec!["--pipeline".to_string(), name.to_string()]),
        );
    for args in runs {
        let name = &args[1];
        let out = std::process::Command::new(&me)
            .args(&args)
            .output()
            .unwrap_or_else(|e| {
                eprintln!("pool-footprint: cannot run {}: {e}", me.display());
                std::process::exit(1)
            });
        if !out.status.success() {
            eprintln!(
                "pool-footprint: measuring {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::process::exit(1);
        }
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}
