//! The settings the bench binaries read from the environment, so that a
//! binary copied to another machine takes them too.

pub use crate::table::{parse_list, size_label};

fn env_list(
    var: &str,
    range: std::ops::RangeInclusive<usize>,
    sizes: bool,
    default: Vec<usize>,
) -> Vec<usize> {
    match std::env::var(var) {
        Ok(text) => parse_list(&text, var, range, sizes).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2)
        }),
        Err(_) => default,
    }
}

/// The thread counts to measure.
pub fn thread_list() -> Vec<usize> {
    let n = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut d = vec![1, 2, n];
    d.sort_unstable();
    d.dedup();
    env_list("POOL_BENCH_THREADS", crate::table::THREADS, false, d)
}

/// The buffer sizes to measure.
pub fn size_list() -> Vec<usize> {
    env_list(
        "POOL_BENCH_SIZES",
        crate::table::SIZES,
        true,
        vec![64, 4096, 65536, 1 << 20],
    )
}
