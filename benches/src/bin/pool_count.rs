//! Runs one contender's loop a given number of times, for callgrind to
//! count (see `pool_benches::callgrind`):
//! `pool-count SCENARIO CONTENDER SIZE OPS`; `pool-count --list` names
//! what it can run, a `SCENARIO CONTENDER` line each.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        for (scenario, contender, _) in pool_benches::count::countable() {
            println!("{scenario} {contender}");
        }
        return;
    }
    let [scenario, contender, size, ops] = args.as_slice() else {
        eprintln!("usage: pool-count SCENARIO CONTENDER SIZE OPS");
        std::process::exit(2);
    };
    let (Ok(size), Ok(ops)) = (size.parse::<usize>(), ops.parse::<u64>()) else {
        eprintln!("pool-count: SIZE and OPS are numbers, not `{size}`, `{ops}`");
        std::process::exit(2);
    };
    let Some(mut run) = pool_benches::count::find(scenario, contender, size) else {
        eprintln!("pool-count: `{contender}` cannot be counted in `{scenario}`");
        std::process::exit(2);
    };
    std::hint::black_box(run(ops));
}
