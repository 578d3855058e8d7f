//! A tokio TCP server on 127.0.0.1 and a load client in the same program
//! that stops by itself, in two workloads, each run with a `TieredPool`
//! and with plain allocation, each run in a child process of its own (so
//! that its peak RSS is its own):
//!
//! - **echo**: a read buffer per read, the message written back. The
//!   system calls dominate: pooling the buffer is invisible in the
//!   throughput (the honest lesson for a syscall-bound service).
//! - **body**: for every request the handler fills a zeroed body of
//!   `body` bytes (as one that renders a response into a fresh buffer
//!   would) and answers with its checksum. Both pay the zeroing, and the
//!   allocator reuses a freed block of one size (glibc raises its mmap
//!   threshold after the first free of a large block), so here too the
//!   pool saves little time: measured, not assumed.
//!
//! It prints throughput, p50/p99 round-trip latency and peak RSS for each
//! run, the pool's figures, and the pool-over-plain throughput ratio of
//! each workload, with what that ratio means.
//!
//! `cargo run --release -p pool-toolkit --example echo_server [connections] [messages] [bytes] [body sizes]`
//! (defaults: 32 connections, 2000 messages of 4096 bytes, bodies of
//! 65536 and 1048576 bytes).
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
        let n = |i: usize| args[i].parse::<usize>().expect("a number");
        return run(args[2] == "pool", n(3), n(4), n(5), n(6));
    }
    let n = |i: usize, d: usize| args.get(i).map_or(d, |a| a.parse().expect("a number"));
    let (conns, msgs, bytes) = (n(1, 32), n(2, 2_000), n(3, 4096));
    let bodies: Vec<usize> = args.get(4).map_or(vec![64 << 10, 1 << 20], |a| {
        a.split(',')
            .map(|b| b.parse().expect("a body size"))
            .collect()
    });
    println!("{conns} connections x {msgs} messages of {bytes} bytes over 127.0.0.1");
    let mut workloads = vec![("echo".to_string(), 0)];
    workloads.extend(bodies.iter().map(|&b| (format!("body {} KiB", b >> 10), b)));
    for (name, body) in workloads {
        println!("\n{name}:");
        let tput: Vec<f64> = ["pool", "plain"]
            .iter()
            .map(|mode| {
                let out =
                    std::process::Command::new(std::env::current_exe().expect("this program"))
                        .args(["--run", mode])
                        .args([conns, msgs, bytes, body].map(|x| x.to_string()))
                        .output()
                        .expect("the child run starts");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                let mut tput = None;
                for line in text.lines() {
                    match line.strip_prefix("throughput ") {
                        Some(t) => tput = t.parse().ok(),
                        None => println!("{line}"),
                    }
                }
                tput.expect("each run reports its throughput")
            })
            .collect();
        let meaning = if body == 0 {
            "each read's system calls dominate, and the allocation a pooled read buffer saves is small beside them: expect about 1x, pooling is invisible here"
        } else {
            "a zeroed body costs a memset whether it is pooled (`get_zeroed`) or not (`vec![0; n]`), and the allocator reuses a freed block of one size (glibc raises its mmap threshold after the first free of a large block): the pool saves the allocator's bookkeeping only; it pays where the allocator cannot reuse (many sizes, many threads, a fragmented heap) or the body need not be zeroed"
        };
        println!(
            "  pool / plain throughput: {:.2}x (one run: rerun before you trust a difference of 10%)\n  {meaning}",
            tput[0] / tput[1]
        );
    }
}

fn run(pooled: bool, conns: usize, msgs: usize, bytes: usize, body: usize) {
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
                // Without it, a reply written in pieces waits on the
                // client's delayed ACK, and every run measures that wait.
                sock.set_nodelay(true).expect("nodelay");
                let pool = Arc::clone(&server_pool);
                tokio::spawn(async move {
                    if body > 0 {
                        return serve_bodies(&mut sock, &pool, pooled, bytes, body).await;
                    }
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
                    let answer = if body > 0 { 8 } else { bytes };
                    let mut back = vec![0u8; answer];
                    let mut lat = Vec::with_capacity(msgs);
                    for _ in 0..msgs {
                        let t = Instant::now();
                        sock.write_all(&msg).await.expect("write");
                        sock.read_exact(&mut back).await.expect("the answer");
                        lat.push(t.elapsed());
                    }
                    if body > 0 {
                        let sum = u64::from_le_bytes(back[..8].try_into().expect("8 bytes"));
                        assert_eq!(sum, checksum(&msg, body), "the body was rendered in full");
                    } else {
                        assert_eq!(back, msg, "echoed intact");
                    }
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
        let tput = lat.len() as f64 / took.as_secs_f64();
        println!(
            "  {:<6} {:>9.0} msgs/s  p50 {:>8.1?}  p99 {:>8.1?}  peak RSS {:>7} KiB",
            if pooled { "pool" } else { "plain" },
            tput,
            pct(0.50),
            pct(0.99),
            peak_rss_kib()
        );
        if pooled {
            let s = pool.stats().total;
            println!(
                "         pool: gets {}, hit rate {:.1}%, retained {} buffers ({} KiB)",
                s.gets,
                s.hit_rate() * 100.0,
                s.retained_items,
                s.retained_bytes / 1024
            );
            // What the lines above claim, checked: every message was served
            // through the pool, and after the first buffer of each
            // connection and worker, from an idle one.
            assert!(s.gets >= (conns * msgs) as u64, "a get per message: {s}");
            assert!(
                s.misses <= 2 * (conns as u64 + 2),
                "buffers were reused, not made per message: {s}"
            );
        }
        println!("throughput {tput}");
    });
}

/// Answers each request of `bytes` bytes with the checksum of a body of
/// `body` bytes, made zeroed for that request (from the pool or new) and
/// rendered in full: the request repeated over it.
async fn serve_bodies(
    sock: &mut TcpStream,
    pool: &TieredPool,
    pooled: bool,
    bytes: usize,
    body: usize,
) {
    let mut req = vec![0u8; bytes];
    while sock.read_exact(&mut req).await.is_ok() {
        let sum = if pooled {
            let mut buf = pool.get_zeroed(body);
            render(&mut buf, &req)
        } else {
            let mut buf = vec![0u8; body];
            render(&mut buf, &req)
        };
        if sock.write_all(&sum.to_le_bytes()).await.is_err() {
            break;
        }
    }
}

/// Writes `req` over `body` again and again, then sums every 64th byte.
fn render(body: &mut [u8], req: &[u8]) -> u64 {
    assert!(body.iter().step_by(4096).all(|&b| b == 0), "a zeroed body");
    for chunk in body.chunks_mut(req.len().max(1)) {
        chunk.copy_from_slice(&req[..chunk.len()]);
    }
    body.iter().step_by(64).map(|&b| u64::from(b)).sum()
}

/// What the server answers for `req` with a body of `body` bytes.
fn checksum(req: &[u8], body: usize) -> u64 {
    let mut b = vec![0u8; body];
    render(&mut b, req)
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
