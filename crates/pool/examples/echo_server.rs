//! A tokio TCP echo server on 127.0.0.1 with pooled read buffers, and a
//! load client in the same program that stops by itself. It runs twice,
//! each run in a child process of its own (so that peak RSS is each
//! run's): once with a `TieredPool` of read buffers, once with plain
//! `Vec::with_capacity` per read, and prints throughput, p50/p99 round-trip
//! latency and peak RSS for both, and what the pool did.
//!
//! `cargo run --release -p pool-toolkit --example echo_server [connections] [messages] [bytes]`
//!
//! The read buffers are owned buffers (`TieredPool::get_owned`): a task may
//! hold one across an `.await` and be resumed on another worker, and the
//! guard's hold on the pool is counted in the worker threads' caches, not
//! in one shared counter. A `static` pool (`static POOL: LazyLock<TieredPool>`)
//! would do as well with no count at all: its borrowed guards are
//! `'static` already.
//!
//! Only loopback addresses are used.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pool::TieredPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How big a read buffer is.
const READ: usize = 16 << 10;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--run") {
        let mode = args[2].as_str();
        let n = |i: usize| args[i].parse::<usize>().expect("a number");
        return run(mode == "pool", n(3), n(4), n(5));
    }
    let n = |i: usize, d: usize| args.get(i).map_or(d, |a| a.parse().expect("a number"));
    let (conns, msgs, bytes) = (n(1, 32), n(2, 2_000), n(3, 4096));
    println!("{conns} connections x {msgs} messages of {bytes} bytes, echoed over 127.0.0.1");
    for mode in ["pool", "plain"] {
        let out = std::process::Command::new(std::env::current_exe().expect("this program"))
            .args(["--run", mode])
            .args([conns, msgs, bytes].map(|x| x.to_string()))
            .output()
            .expect("the child run starts");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
}

fn run(pooled: bool, conns: usize, msgs: usize, bytes: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async move {
        let pool = Arc::new(
            TieredPool::builder()
                .max_retained_bytes(64 << 20)
                .build()
                .expect("valid"),
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("bound");
        let server_pool = Arc::clone(&pool);
        let server = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    break;
                };
                let pool = Arc::clone(&server_pool);
                tokio::spawn(async move {
                    loop {
                        // One read buffer per read: from the pool, or new.
                        let n = if pooled {
                            let mut buf = pool.get_owned(READ);
                            match sock.read_buf(&mut *buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if sock.write_all(&buf[..n]).await.is_err() {
                                        break;
                                    }
                                    n
                                }
                            }
                        } else {
                            let mut buf = Vec::with_capacity(READ);
                            match sock.read_buf(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if sock.write_all(&buf[..n]).await.is_err() {
                                        break;
                                    }
                                    n
                                }
                            }
                        };
                        std::hint::black_box(n);
                    }
                });
            }
        });
        let start = Instant::now();
        let clients: Vec<_> = (0..conns)
            .map(|c| {
                tokio::spawn(async move {
                    let mut sock = TcpStream::connect(addr).await.expect("the server listens");
                    sock.set_nodelay(true).expect("nodelay");
                    let msg = vec![(c % 251) as u8; bytes];
                    let mut back = vec![0u8; bytes];
                    let mut lat = Vec::with_capacity(msgs);
                    for _ in 0..msgs {
                        let t = Instant::now();
                        sock.write_all(&msg).await.expect("write");
                        sock.read_exact(&mut back).await.expect("echo");
                        lat.push(t.elapsed());
                    }
                    assert_eq!(back, msg, "echoed intact");
                    lat
                })
            })
            .collect();
        let mut lat: Vec<Duration> = Vec::with_capacity(conns * msgs);
        for c in clients {
            lat.extend(c.await.expect("a client finished"));
        }
        let took = start.elapsed();
        server.abort();
        lat.sort_unstable();
        let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
        println!(
            "{:<6} {:>9.0} msgs/s  p50 {:>8.1?}  p99 {:>8.1?}  peak RSS {:>6} KiB",
            if pooled { "pool" } else { "plain" },
            lat.len() as f64 / took.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            peak_rss_kib()
        );
        if pooled {
            let s = pool.stats().total;
            println!(
                "       pool: gets {}, hit rate {:.1}%, retained {} buffers ({} KiB)",
                s.gets,
                s.hit_rate() * 100.0,
                s.retained_items,
                s.retained_bytes / 1024
            );
        }
    });
}

/// The process's peak resident set (Linux; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
