//! The `sync.Pool` case: a JSON log formatter on many threads, with its
//! line buffers in a `static` pool. Each thread formats into a pooled
//! `String` and hands the line to a writer; the statistics show that after
//! the first lines almost every buffer came from a thread's cache.
//!
//! `cargo run --release -p pool-toolkit --example log_formatter [lines]`

use std::fmt::Write as _;
use std::sync::LazyLock;
use std::time::Instant;

use pool::prelude::*;

/// One pool for the whole process, like a package-level `sync.Pool`.
static LINES: LazyLock<LocalPool<String>> = LazyLock::new(|| {
    LocalPool::builder()
        .cache_size(32)
        .max_item_bytes(16 << 10) // a huge line once does not stay pooled
        .build(|| String::with_capacity(256))
        .expect("a valid configuration")
});

fn format_line(
    level: &str,
    thread: usize,
    n: usize,
    msg: &str,
) -> Pooled<'static, LocalPool<String>> {
    let mut line = LINES.get();
    write!(
        line,
        r#"{{"level":"{level}","thread":{thread},"seq":{n},"msg":"{msg}"}}"#
    )
    .expect("writing to a String");
    line
}

fn main() {
    let lines: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("lines: a number"))
        .unwrap_or(100_000);
    let threads = 8;
    let start = Instant::now();
    let bytes: usize = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut written = 0;
                    for n in 0..lines / threads {
                        let line = format_line("info", t, n, "request served");
                        written += line.len(); // stands for the write to a sink
                    } // the guard drops: cleared, back in this thread's cache
                    written
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let s = LINES.stats();
    println!(
        "{threads} threads formatted {} lines ({bytes} bytes) in {:.2?}",
        s.gets,
        start.elapsed()
    );
    println!("{s}");
    assert!(s.hit_rate() > 0.9, "{s}");
    assert_eq!(s.outstanding, 0);
}
