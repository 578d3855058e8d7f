//! The contenders and scenarios shared by the bench targets.
//!
//! Every contender does the same thing per operation: take a `Vec<u8>`-like
//! buffer of the scenario's size, write 16 bytes into it, and give it back
//! (or drop it, for plain allocation). Each peer is used as its docs intend,
//! with its reset or clear hook where it has one.
//!
//! Settings come from the environment so that a bench binary copied to
//! another machine takes them too:
//!
//! - `POOL_BENCH_THREADS`: thread counts for the threaded scenario
//!   (default `1,2,<available parallelism>`);
//! - `POOL_BENCH_SIZES`: buffer sizes in bytes (default
//!   `64,4096,65536,1048576`).

// Several peers' pool types implement no `Debug`; neither can ours that hold them.
#![allow(missing_debug_implementations)]

pub mod pipeline;
pub mod records;
pub mod replay;
pub mod table;

use std::cell::RefCell;
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use crossbeam_queue::ArrayQueue;
use pool::{FixedPool, LocalPool, RingPool, TieredPool};
use pool_core::Pooled;

/// The 16 bytes every operation writes.
const DATA: [u8; 16] = *b"0123456789abcdef";

/// Buffer sizes measured in the threaded and cross-thread scenarios (when
/// also in the size list).
pub const THREADED_SIZES: [usize; 2] = [4096, 65536];

/// One way of getting a buffer, writing to it and giving it back.
pub trait Contender: Sync + Sized {
    /// What a get hands out.
    type Item<'a>: Send
    where
        Self: 'a;
    /// Builds the contender for buffers of `size` bytes.
    fn build(size: usize) -> Self;
    /// Takes a buffer.
    fn get(&self) -> Self::Item<'_>;
    /// Writes the 16 bytes.
    fn touch(item: &mut Self::Item<'_>);
    /// Gives the buffer back.
    #[inline]
    fn put(&self, item: Self::Item<'_>) {
        drop(item);
    }
}

#[inline]
fn write_vec(v: &mut Vec<u8>) {
    v.extend_from_slice(black_box(&DATA));
    black_box(v.as_ptr());
}

/// How often the `-timed` contenders are trimmed by the process-wide
/// trimmer (no call from the bench).
pub const TIMED_INTERVAL: std::time::Duration = std::time::Duration::from_millis(10);

/// The trim interval of a contender: every [`TIMED_INTERVAL`] when `TIMED`.
fn interval(timed: bool) -> Option<std::time::Duration> {
    timed.then_some(TIMED_INTERVAL)
}

/// Our per-thread-cache pool, through its guard; with `TIMED`, trimmed
/// every [`TIMED_INTERVAL`] by the trimmer (what timed trimming costs).
#[derive(Debug)]
pub struct PoolLocalWith<const TIMED: bool>(pub LocalPool<Vec<u8>>);

/// pool-local, as its docs build it.
pub type PoolLocal = PoolLocalWith<false>;
/// pool-local with timed trimming.
pub type PoolLocalTimed = PoolLocalWith<true>;

impl<const TIMED: bool> Contender for PoolLocalWith<TIMED> {
    type Item<'a> = Pooled<'a, LocalPool<Vec<u8>>>;
    fn build(size: usize) -> Self {
        PoolLocalWith(
            LocalPool::builder()
                .trim_interval(interval(TIMED))
                .build(move || Vec::with_capacity(size))
                .expect("a valid configuration"),
        )
    }
    #[inline]
    fn get(&self) -> Self::Item<'_> {
        self.0.get()
    }
    #[inline]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// Our lock-free ring, sized for the threads that share it (64 slots,
/// allocating when every probed slot is busy).
#[derive(Debug)]
pub struct PoolRing(pub RingPool<Vec<u8>>);

impl Contender for PoolRing {
    type Item<'a> = Pooled<'a, RingPool<Vec<u8>>>;
    fn build(size: usize) -> Self {
        PoolRing(RingPool::new(64, move || Vec::with_capacity(size)).expect("64 slots are valid"))
    }
    #[inline]
    fn get(&self) -> Self::Item<'_> {
        self.0.get()
    }
    #[inline]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// Our bounded pool: 256 items, blocking when all are out (they never are
/// here: each thread holds one at a time).
#[derive(Debug)]
pub struct PoolFixed(pub FixedPool<Vec<u8>>);

impl Contender for PoolFixed {
    type Item<'a> = Pooled<'a, FixedPool<Vec<u8>>>;
    fn build(size: usize) -> Self {
        PoolFixed(
            FixedPool::new(256, move || Vec::with_capacity(size)).expect("256 items are valid"),
        )
    }
    #[inline]
    fn get(&self) -> Self::Item<'_> {
        self.0.get().expect("the bench never closes the pool")
    }
    #[inline]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// Our size-class pool, asked for the scenario's size; with `TIMED`,
/// trimmed every [`TIMED_INTERVAL`] by the trimmer.
#[derive(Debug)]
pub struct PoolTieredWith<const TIMED: bool>(pub TieredPool, usize);

/// pool-tiered, as its docs build it.
pub type PoolTiered = PoolTieredWith<false>;
/// pool-tiered with timed trimming.
pub type PoolTieredTimed = PoolTieredWith<true>;

impl<const TIMED: bool> Contender for PoolTieredWith<TIMED> {
    type Item<'a> = pool::tiered::TieredBuf<'a>;
    fn build(size: usize) -> Self {
        let pool = TieredPool::builder()
            .trim_interval(interval(TIMED))
            .build()
            .expect("a valid configuration");
        PoolTieredWith(pool, size)
    }
    #[inline]
    fn get(&self) -> Self::Item<'_> {
        self.0.get(self.1)
    }
    #[inline]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

impl SizedContender for PoolTiered {
    fn build() -> Self {
        PoolTieredWith(TieredPool::new(), 0)
    }
    #[inline]
    fn op(&self, len: usize) {
        let mut b = self.0.get(len);
        fill_vec(&mut b, len);
    }
}

/// The reference: a naive `thread_local!` + `RefCell<Vec<_>>` stack.
#[derive(Debug)]
pub struct TlsStack(usize);

thread_local! {
    static STACK: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of [`TlsStack`]; pushed onto the dropping thread's stack.
#[derive(Debug)]
pub struct TlsBuf(Vec<u8>);

impl Drop for TlsBuf {
    #[inline]
    fn drop(&mut self) {
        let mut v = std::mem::take(&mut self.0);
        v.clear();
        STACK.with_borrow_mut(|s| {
            if s.len() < 64 {
                s.push(v);
            }
        });
    }
}

impl Contender for TlsStack {
    type Item<'a> = TlsBuf;
    fn build(size: usize) -> Self {
        STACK.with_borrow_mut(Vec::clear);
        TlsStack(size)
    }
    #[inline]
    fn get(&self) -> TlsBuf {
        match STACK.with_borrow_mut(Vec::pop) {
            Some(v) if v.capacity() == self.0 => TlsBuf(v),
            _ => TlsBuf(Vec::with_capacity(self.0)),
        }
    }
    #[inline]
    fn touch(item: &mut TlsBuf) {
        write_vec(&mut item.0);
    }
}

/// Plain allocation: `Vec::with_capacity(n)` and drop.
#[derive(Debug)]
pub struct Alloc(usize);

impl Contender for Alloc {
    type Item<'a> = Vec<u8>;
    fn build(size: usize) -> Self {
        Alloc(size)
    }
    #[inline]
    fn get(&self) -> Vec<u8> {
        Vec::with_capacity(black_box(self.0))
    }
    #[inline]
    fn touch(item: &mut Vec<u8>) {
        write_vec(item);
    }
}

/// Zeroed allocation: `vec![0; n]` and drop.
#[derive(Debug)]
pub struct AllocZeroed(usize);

impl Contender for AllocZeroed {
    type Item<'a> = Vec<u8>;
    fn build(size: usize) -> Self {
        AllocZeroed(size)
    }
    #[inline]
    fn get(&self) -> Vec<u8> {
        vec![0; black_box(self.0)]
    }
    #[inline]
    fn touch(item: &mut Vec<u8>) {
        let n = DATA.len().min(item.len());
        item[..n].copy_from_slice(&black_box(DATA)[..n]);
        black_box(item.as_ptr());
    }
}

/// zeropool 0.7: size classes and per-thread caches; `alloc_uninit`, its
/// fast path for buffers the caller writes.
#[derive(Debug)]
pub struct Zeropool(zeropool::ZeroPool, usize);

impl Contender for Zeropool {
    type Item<'a> = zeropool::BufUninit<'a>;
    fn build(size: usize) -> Self {
        Zeropool(zeropool::ZeroPool::new(), size)
    }
    #[inline]
    fn get(&self) -> Self::Item<'_> {
        self.0.alloc_uninit(self.1)
    }
    #[inline]
    fn touch(item: &mut Self::Item<'_>) {
        let buf = item.as_uninit_mut();
        let n = DATA.len().min(buf.len());
        buf[..n].write_copy_of_slice(&black_box(DATA)[..n]);
        black_box(buf.as_ptr());
    }
}

/// The allocator opool asks for: makes and clears buffers.
#[derive(Debug)]
pub struct OpoolAlloc(usize);

impl opool::PoolAllocator<Vec<u8>> for OpoolAlloc {
    #[inline]
    fn allocate(&self) -> Vec<u8> {
        Vec::with_capacity(self.0)
    }
    #[inline]
    fn reset(&self, obj: &mut Vec<u8>) {
        obj.clear();
    }
}

/// opool 0.2: one `ArrayQueue` shared by all threads.
pub struct Opool(opool::Pool<OpoolAlloc, Vec<u8>>);

impl Contender for Opool {
    type Item<'a> = opool::RefGuard<'a, OpoolAlloc, Vec<u8>>;
    fn build(size: usize) -> Self {
        Opool(opool::Pool::new(1024, OpoolAlloc(size)))
    }
    #[inline]
    fn get(&self) -> Self::Item<'_> {
        self.0.get()
    }
    #[inline]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// object-pool 0.6: a `Mutex<Vec<_>>`-style pool; it has no reset hook, so
/// the caller clears before the drop, as its users must.
pub struct ObjectPool(object_pool::Pool<Vec<u8>>, usize);

impl Contender for ObjectPool {
    type Item<'a> = object_pool::Reusable<'a, Vec<u8>>;
    fn build(size: usize) -> Self {
        ObjectPool(
            object_pool::Pool::new(64, move || Vec::with_capacity(size)),
            size,
        )
    }
    #[inline]
    fn get(&self) -> Self::Item<'_> {
        let size = self.1;
        self.0.pull(move || Vec::with_capacity(size))
    }
    #[inline]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
    #[inline]
    fn put(&self, mut item: Self::Item<'_>) {
        item.clear();
        drop(item);
    }
}

/// lockfree-object-pool 0.1.6, its linear (fastest) flavour, with a reset.
pub struct LockfreeObjectPool(lockfree_object_pool::LinearObjectPool<Vec<u8>>);

impl Contender for LockfreeObjectPool {
    type Item<'a> = lockfree_object_pool::LinearReusable<'a, Vec<u8>>;
    fn build(size: usize) -> Self {
        LockfreeObjectPool(lockfree_object_pool::LinearObjectPool::new(
            move || Vec::with_capacity(size),
            |v| v.clear(),
        ))
    }
    #[inline]
    fn get(&self) -> Self::Item<'_> {
        self.0.pull()
    }
    #[inline]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// sharded-slab 0.1.7 `Pool`: create in place, clear by key (its `Clear`
/// keeps the capacity).
pub struct ShardedSlab(sharded_slab::Pool<Vec<u8>>, usize);

impl Contender for ShardedSlab {
    type Item<'a> = usize;
    fn build(size: usize) -> Self {
        ShardedSlab(sharded_slab::Pool::new(), size)
    }
    #[inline]
    fn get(&self) -> usize {
        let size = self.1;
        self.0
            .create_with(|v| {
                v.reserve(size);
                write_vec(v);
            })
            .expect("sharded-slab has room for the few items a bench holds")
    }
    #[inline]
    fn touch(_key: &mut usize) {}
    #[inline]
    fn put(&self, key: usize) {
        self.0.clear(key);
    }
}

/// One crossbeam `ArrayQueue` shared by all threads: the design every
/// shared-queue pool reduces to.
#[derive(Debug)]
pub struct SharedQueue(ArrayQueue<Vec<u8>>, usize);

impl Contender for SharedQueue {
    type Item<'a> = Vec<u8>;
    fn build(size: usize) -> Self {
        SharedQueue(ArrayQueue::new(1024), size)
    }
    #[inline]
    fn get(&self) -> Vec<u8> {
        self.0.pop().unwrap_or_else(|| Vec::with_capacity(self.1))
    }
    #[inline]
    fn touch(item: &mut Vec<u8>) {
        write_vec(item);
    }
    #[inline]
    fn put(&self, mut item: Vec<u8>) {
        item.clear();
        let _ = self.0.push(item);
    }
}

/// One get, touch and put.
#[inline(always)]
fn op<C: Contender>(c: &C) {
    let mut item = c.get();
    C::touch(&mut item);
    c.put(item);
}

/// `iters` operations on each of `threads` threads that start together;
/// returns the slowest thread's time (so `time / iters` is ns per op per
/// thread, and `threads / that` the aggregate rate).
pub fn run_threads<C: Contender>(c: &C, threads: usize, iters: u64) -> Duration {
    if threads == 1 {
        for _ in 0..64 {
            op(c);
        }
        let start = Instant::now();
        for _ in 0..iters {
            op(c);
        }
        return start.elapsed();
    }
    let barrier = Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                s.spawn(move || {
                    for _ in 0..64 {
                        op(c);
                    }
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        op(c);
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread panicked"))
            .max()
            .unwrap_or_default()
    })
}

/// `iters` buffers taken and written on one thread and given back on
/// another; returns the total time. The hand-off is a bounded lock-free
/// queue with spinning on both sides, so that the transport costs tens of
/// nanoseconds and the pools' own behaviour shows (a blocking channel would
/// cost microseconds per message in wake-ups).
pub fn run_cross<C: Contender>(c: &C, iters: u64) -> Duration {
    let queue: ArrayQueue<C::Item<'_>> = ArrayQueue::new(256);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let backoff = crossbeam_utils::Backoff::new();
            loop {
                if let Some(item) = queue.pop() {
                    c.put(item);
                    backoff.reset();
                } else if done.load(std::sync::atomic::Ordering::Acquire) && queue.is_empty() {
                    break;
                } else {
                    backoff.snooze();
                }
            }
        });
        let start = Instant::now();
        let backoff = crossbeam_utils::Backoff::new();
        for _ in 0..iters {
            let mut item = c.get();
            C::touch(&mut item);
            let mut pending = item;
            while let Err(back) = queue.push(pending) {
                pending = back;
                backoff.snooze();
            }
            backoff.reset();
        }
        done.store(true, std::sync::atomic::Ordering::Release);
        start
    })
    .elapsed()
}

/// A contender that serves any length (the mixed-size scenario).
pub trait SizedContender: Sync + Sized {
    /// Builds it.
    fn build() -> Self;
    /// One get of `len` bytes, a write of all `len` bytes (the holder
    /// writes what it asked for), and a put.
    fn op(&self, len: usize);
}

impl SizedContender for Alloc {
    fn build() -> Self {
        Alloc(0)
    }
    #[inline]
    fn op(&self, len: usize) {
        let mut v = Vec::with_capacity(black_box(len));
        fill_vec(&mut v, len);
    }
}

impl SizedContender for AllocZeroed {
    fn build() -> Self {
        AllocZeroed(0)
    }
    #[inline]
    fn op(&self, len: usize) {
        let mut v = vec![0u8; black_box(len)];
        v.fill(0xA5);
        black_box(v.as_ptr());
    }
}

impl SizedContender for Zeropool {
    fn build() -> Self {
        Zeropool(zeropool::ZeroPool::new(), 0)
    }
    #[inline]
    fn op(&self, len: usize) {
        let mut b = self.0.alloc_uninit(len);
        <Zeropool as Burst>::fill(&mut b, len);
    }
}

/// Request lengths drawn from a log-normal distribution (median 4 KiB,
/// sigma 1.5 in log space) clamped to 64 B..=1 MiB, from a fixed seed.
pub fn mixed_lengths(n: usize) -> Vec<usize> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        // xorshift64*: deterministic, good enough for a size mix.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            // Box-Muller.
            let (u1, u2) = (next().max(f64::MIN_POSITIVE), next());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let len = (4096f64.ln() + 1.5 * z).exp();
            len.clamp(64.0, (1 << 20) as f64) as usize
        })
        .collect()
}

/// `iters` operations over the mixed lengths.
pub fn run_mixed<C: SizedContender>(c: &C, lengths: &[usize], iters: u64) -> Duration {
    let start = Instant::now();
    let mut i = 0;
    for _ in 0..iters {
        c.op(lengths[i]);
        i = (i + 1) % lengths.len();
    }
    start.elapsed()
}

/// Parses a list of positive whole numbers (`"1,2,16"`); sizes may end in
/// `k` or `m` (KiB, MiB).
///
/// # Errors
///
/// A message naming the entry that is not a positive number.
pub fn parse_list(text: &str, what: &str) -> Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let lower = part.to_ascii_lowercase();
        let (digits, mult) = if let Some(d) = lower.strip_suffix(['k']) {
            (d, 1024)
        } else if let Some(d) = lower.strip_suffix(['m']) {
            (d, 1024 * 1024)
        } else {
            (lower.as_str(), 1)
        };
        match digits.parse::<usize>() {
            Ok(n) if n > 0 => out.push(n * mult),
            _ => return Err(format!("{what}: `{part}` is not a positive whole number")),
        }
    }
    if out.is_empty() {
        return Err(format!("{what}: the list is empty"));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn env_list(var: &str, default: Vec<usize>) -> Vec<usize> {
    match std::env::var(var) {
        Ok(text) => parse_list(&text, var).unwrap_or_else(|e| {
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
    env_list("POOL_BENCH_THREADS", d)
}

/// The buffer sizes to measure.
pub fn size_list() -> Vec<usize> {
    env_list("POOL_BENCH_SIZES", vec![64, 4096, 65536, 1 << 20])
}

/// `4096` -> `4KiB`.
pub fn size_label(size: usize) -> String {
    if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else if size >= 1024 && size.is_multiple_of(1024) {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}

/// Registers the benchmark of contender `C` under `name` in `group` for
/// `threads` threads and buffers of `size` bytes.
pub fn bench_threads<C: Contender>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    size: usize,
    threads: usize,
) {
    let c = C::build(size);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| run_threads(&c, threads, iters))
    });
}

/// Registers the cross-thread benchmark of contender `C`.
pub fn bench_cross<C: Contender>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    size: usize,
) {
    let c = C::build(size);
    group.bench_function(name, |b| b.iter_custom(|iters| run_cross(&c, iters)));
}

/// Registers the fill benchmark of contender `C`: get, write all `size`
/// bytes (as a read from a socket or a file does), put. First-touch and
/// page-fault costs of fresh buffers show here; 16 written bytes hide them.
pub fn bench_fill<C: Burst>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, size: usize) {
    let c = C::build(size);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            for _ in 0..8 {
                let mut item = c.get();
                C::fill(&mut item, size);
                c.put(item);
            }
            let start = Instant::now();
            for _ in 0..iters {
                let mut item = c.get();
                C::fill(&mut item, size);
                c.put(item);
            }
            start.elapsed()
        })
    });
}

/// Registers the mixed-size benchmark of contender `C`.
pub fn bench_mixed<C: SizedContender>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let c = C::build();
    let lengths = mixed_lengths(4096);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| run_mixed(&c, &lengths, iters))
    });
}

/// Every fixed-size contender, by name, as a function that registers its
/// benchmark (pool strategies, the reference stack and the peers; plain
/// allocation is added by each bench target with its allocator's name).
pub type Register = fn(&mut BenchmarkGroup<'_, WallTime>, &str, usize, usize);

/// Built with `--cfg pool_no_stats`: pool-local and pool-tiered with every
/// statistics counter compiled out (named `-nostats`), nothing else.
#[cfg(pool_no_stats)]
pub const POOLS: &[(&str, Register)] = &[
    (table::POOL_LOCAL_NOSTATS.name, bench_threads::<PoolLocal>),
    (table::POOL_TIERED_NOSTATS.name, bench_threads::<PoolTiered>),
];

/// The pools: ours, the reference and the peers.
#[cfg(not(pool_no_stats))]
pub const POOLS: &[(&str, Register)] = &[
    (table::POOL_LOCAL.name, bench_threads::<PoolLocal>),
    (
        table::POOL_LOCAL_TIMED.name,
        bench_threads::<PoolLocalTimed>,
    ),
    (table::POOL_RING.name, bench_threads::<PoolRing>),
    (table::POOL_FIXED.name, bench_threads::<PoolFixed>),
    (table::POOL_TIERED.name, bench_threads::<PoolTiered>),
    (table::TLS_STACK.name, bench_threads::<TlsStack>),
    (table::ZEROPOOL.name, bench_threads::<Zeropool>),
    (table::OPOOL.name, bench_threads::<Opool>),
    (table::OBJECT_POOL.name, bench_threads::<ObjectPool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        bench_threads::<LockfreeObjectPool>,
    ),
    (table::SHARDED_SLAB.name, bench_threads::<ShardedSlab>),
    (table::ARRAYQUEUE.name, bench_threads::<SharedQueue>),
];

/// The same contenders for the cross-thread scenario.
pub type RegisterCross = fn(&mut BenchmarkGroup<'_, WallTime>, &str, usize);

/// The pools, cross-thread.
pub const POOLS_CROSS: &[(&str, RegisterCross)] = &[
    (table::POOL_LOCAL.name, bench_cross::<PoolLocal>),
    (table::POOL_RING.name, bench_cross::<PoolRing>),
    (table::POOL_FIXED.name, bench_cross::<PoolFixed>),
    (table::POOL_TIERED.name, bench_cross::<PoolTiered>),
    (table::TLS_STACK.name, bench_cross::<TlsStack>),
    (table::ZEROPOOL.name, bench_cross::<Zeropool>),
    (table::OPOOL.name, bench_cross::<Opool>),
    (table::OBJECT_POOL.name, bench_cross::<ObjectPool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        bench_cross::<LockfreeObjectPool>,
    ),
    (table::SHARDED_SLAB.name, bench_cross::<ShardedSlab>),
    (table::ARRAYQUEUE.name, bench_cross::<SharedQueue>),
];

/// The contenders of the fill scenario (those that can fill a buffer
/// whole; sharded-slab hands out slab keys, not buffers).
pub type RegisterFill = fn(&mut BenchmarkGroup<'_, WallTime>, &str, usize);

/// The pools, filling whole buffers.
#[cfg(not(pool_no_stats))]
pub const POOLS_FILL: &[(&str, RegisterFill)] = &[
    (table::POOL_LOCAL.name, bench_fill::<PoolLocal>),
    (table::POOL_RING.name, bench_fill::<PoolRing>),
    (table::POOL_FIXED.name, bench_fill::<PoolFixed>),
    (table::POOL_TIERED.name, bench_fill::<PoolTiered>),
    (table::TLS_STACK.name, bench_fill::<TlsStack>),
    (table::ZEROPOOL.name, bench_fill::<Zeropool>),
    (table::OPOOL.name, bench_fill::<Opool>),
    (table::OBJECT_POOL.name, bench_fill::<ObjectPool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        bench_fill::<LockfreeObjectPool>,
    ),
    (table::ARRAYQUEUE.name, bench_fill::<SharedQueue>),
];

/// Registers a contender's pipeline; returns the bytes it retains after.
pub type RegisterPipeline =
    fn(&mut BenchmarkGroup<'_, WallTime>, &str, usize, usize) -> Option<u64>;

/// The pools in the pipeline (every contender that hands out a buffer).
#[cfg(not(pool_no_stats))]
pub const POOLS_PIPELINE: &[(&str, RegisterPipeline)] = &[
    (
        table::POOL_LOCAL.name,
        pipeline::bench_pipeline::<PoolLocal>,
    ),
    (table::POOL_RING.name, pipeline::bench_pipeline::<PoolRing>),
    (
        table::POOL_FIXED.name,
        pipeline::bench_pipeline::<PoolFixed>,
    ),
    (
        table::POOL_TIERED.name,
        pipeline::bench_pipeline::<PoolTiered>,
    ),
    (table::TLS_STACK.name, pipeline::bench_pipeline::<TlsStack>),
    (table::ZEROPOOL.name, pipeline::bench_pipeline::<Zeropool>),
    (table::OPOOL.name, pipeline::bench_pipeline::<Opool>),
    (
        table::OBJECT_POOL.name,
        pipeline::bench_pipeline::<ObjectPool>,
    ),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        pipeline::bench_pipeline::<LockfreeObjectPool>,
    ),
    (
        table::ARRAYQUEUE.name,
        pipeline::bench_pipeline::<SharedQueue>,
    ),
];

/// Appends `{"id": id, "retained_bytes": bytes}` to the file named by
/// `POOL_BENCH_EXTRA_OUT`, where it is set: what a benchmark measured
/// besides time, for the report.
pub fn record_extra(id: &str, bytes: u64) {
    use std::io::Write as _;
    let Ok(path) = std::env::var("POOL_BENCH_EXTRA_OUT") else {
        return;
    };
    let line = serde_json::to_string(&records::ExtraRecord {
        id: id.to_string(),
        retained_bytes: bytes,
    })
    .expect("a record serializes");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        eprintln!("cannot write {path}: {e}");
    }
}

/// Runs every scenario for the pools (when `with_pools`) and for plain
/// allocation named after `allocator`: the body of both bench targets.
pub fn run_all(c: &mut criterion::Criterion, allocator: &str, with_pools: bool) {
    let alloc_name = format!("alloc-{allocator}");
    let zeroed_name = format!("alloc-zeroed-{allocator}");
    let baselines: [(&str, Register); 2] = [
        (&alloc_name, bench_threads::<Alloc>),
        (&zeroed_name, bench_threads::<AllocZeroed>),
    ];
    let sizes = size_list();
    let threads = thread_list();
    let pools: &[(&str, Register)] = if with_pools { POOLS } else { &[] };
    // The statistics-off build measures its two pools and nothing else.
    let baselines: &[(&str, Register)] = if cfg!(pool_no_stats) { &[] } else { &baselines };

    for &size in &sizes {
        let mut g = c.benchmark_group(format!("single/{}/1t", size_label(size)));
        for (name, register) in pools.iter().chain(baselines.iter()) {
            register(&mut g, name, size, 1);
        }
        g.finish();
    }
    for &size in sizes.iter().filter(|s| THREADED_SIZES.contains(s)) {
        for &t in &threads {
            let mut g = c.benchmark_group(format!("threads/{}/{t}t", size_label(size)));
            for (name, register) in pools.iter().chain(baselines.iter()) {
                register(&mut g, name, size, t);
            }
            g.finish();
        }
    }
    if let Some(&size) = sizes.iter().find(|s| THREADED_SIZES.contains(s)) {
        let mut g = c.benchmark_group(format!("cross/{}/2t", size_label(size)));
        let cross: &[(&str, RegisterCross)] = if with_pools { POOLS_CROSS } else { &[] };
        for (name, register) in cross {
            register(&mut g, name, size);
        }
        bench_cross::<Alloc>(&mut g, &alloc_name, size);
        g.finish();
    }
    // Fill: the holder writes the whole buffer (not in the statistics-off
    // build, which measures only what statistics cost).
    #[cfg(not(pool_no_stats))]
    {
        for &size in sizes.iter().filter(|s| THREADED_SIZES.contains(s)) {
            let mut g = c.benchmark_group(format!("fill/{}/1t", size_label(size)));
            let fill: &[(&str, RegisterFill)] = if with_pools { POOLS_FILL } else { &[] };
            for (name, register) in fill {
                register(&mut g, name, size);
            }
            bench_fill::<Alloc>(&mut g, &alloc_name, size);
            g.finish();
        }
    }
    // Pipeline: producers fill, consumers give back, at every thread count
    // of two or more, for the first threaded size.
    #[cfg(not(pool_no_stats))]
    if let Some(&size) = sizes.iter().find(|s| THREADED_SIZES.contains(s)) {
        for &t in threads.iter().filter(|&&t| t >= 2) {
            let id = format!("pipeline/{}/{t}t", size_label(size));
            let mut g = c.benchmark_group(&id);
            let list: &[(&str, RegisterPipeline)] = if with_pools { POOLS_PIPELINE } else { &[] };
            for (name, register) in list {
                if let Some(bytes) = register(&mut g, name, size, t) {
                    record_extra(&format!("{id}/{name}"), bytes);
                }
            }
            pipeline::bench_pipeline::<Alloc>(&mut g, &alloc_name, size, t);
            g.finish();
        }
    }
    // Replay: the workload named by POOL_BENCH_WORKLOAD.
    #[cfg(not(pool_no_stats))]
    match replay::workload_from_env() {
        Ok(Some(w)) => {
            let mut g = c.benchmark_group(format!("replay/workload/{}t", w.threads));
            let list: &[(&str, replay::RegisterReplay)] = if with_pools {
                replay::POOLS_REPLAY
            } else {
                &[]
            };
            for (name, register) in list {
                register(&mut g, name, &w);
            }
            replay::bench_replay::<Alloc>(&mut g, &alloc_name, &w);
            g.finish();
        }
        Ok(None) => {}
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
    let mut g = c.benchmark_group("mixed/64B-1MiB/1t");
    bench_mixed::<Alloc>(&mut g, &alloc_name);
    bench_mixed::<AllocZeroed>(&mut g, &zeroed_name);
    if with_pools {
        bench_mixed::<PoolTiered>(&mut g, table::POOL_TIERED.name);
        bench_mixed::<Zeropool>(&mut g, table::ZEROPOOL.name);
    }
    g.finish();
}

/// What the burst scenario needs besides [`Contender`]: filling a whole
/// buffer (so its pages count in RSS), trimming, and retained bytes where
/// the pool reports them.
pub trait Burst: Contender {
    /// Writes all `size` bytes of the buffer.
    fn fill(item: &mut Self::Item<'_>, size: usize);
    /// Gives idle memory back, where the pool can.
    fn trim(&self) {}
    /// Idle bytes the pool reports holding, where it reports them.
    fn retained_bytes(&self) -> Option<u64> {
        None
    }
}

fn fill_vec(v: &mut Vec<u8>, size: usize) {
    v.clear();
    v.resize(size, 0xA5);
    black_box(v.as_ptr());
}

macro_rules! burst_vec {
    ($($ty:ty => |$item:ident| $vec:expr),* $(,)?) => {$(
        impl Burst for $ty {
            fn fill($item: &mut Self::Item<'_>, size: usize) {
                fill_vec($vec, size);
            }
        }
    )*};
}

burst_vec!(
    PoolRing => |item| item,
    PoolFixed => |item| item,
    TlsStack => |item| &mut item.0,
    Alloc => |item| item,
    Opool => |item| item,
    ObjectPool => |item| item,
    LockfreeObjectPool => |item| item,
    SharedQueue => |item| item,
);

/// A burst's end for our pools: untimed, two trims (an idle item goes at
/// the second trim that finds it idle); timed, two and a half intervals of
/// calling nothing, then one get and put, as a load that resumes (the timed
/// trims freed the spill meanwhile, and that thread frees its own idle
/// cache at its next call).
fn burst_end<C: Contender>(c: &C, timed: bool, trim: impl Fn()) {
    if timed {
        std::thread::sleep(TIMED_INTERVAL * 5 / 2);
        drop(c.get());
    } else {
        trim();
        trim();
    }
}

impl<const TIMED: bool> Burst for PoolLocalWith<TIMED> {
    fn fill(item: &mut Self::Item<'_>, size: usize) {
        fill_vec(item, size);
    }
    fn trim(&self) {
        burst_end(self, TIMED, || self.0.trim());
    }
    fn retained_bytes(&self) -> Option<u64> {
        Some(self.0.stats().retained_bytes)
    }
}

impl<const TIMED: bool> Burst for PoolTieredWith<TIMED> {
    fn fill(item: &mut Self::Item<'_>, size: usize) {
        fill_vec(item, size);
    }
    fn trim(&self) {
        burst_end(self, TIMED, || self.0.trim());
    }
    fn retained_bytes(&self) -> Option<u64> {
        Some(self.0.stats().total.retained_bytes)
    }
}

impl Burst for Zeropool {
    fn fill(item: &mut Self::Item<'_>, _size: usize) {
        for b in item.as_uninit_mut() {
            *b = MaybeUninit::new(0xA5);
        }
        black_box(item.as_uninit_mut().as_ptr());
    }
}

/// The process's resident set size in bytes (Linux; 0 elsewhere).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// One burst measurement.
#[derive(Debug, Clone, Copy)]
pub struct BurstResult {
    /// RSS after the steady phase.
    pub rss_steady: u64,
    /// RSS while the burst's items are all out.
    pub rss_peak: u64,
    /// RSS after the burst's items came back and the pool was trimmed.
    pub rss_after: u64,
    /// Retained bytes the pool reports after the trim, where it reports them.
    pub retained_after: Option<u64>,
    /// Retained bytes the pool reports once the burst came back, before
    /// the trim, where it reports them.
    pub retained_before_trim: Option<u64>,
}

/// Steady load holding `steady` buffers at a time, then `10 * steady` at
/// once, then all back and a trim; RSS at each stage.
pub fn run_burst<C: Burst>(size: usize, steady: usize) -> BurstResult {
    let c = C::build(size);
    let round = |n: usize| {
        let mut held: Vec<_> = (0..n).map(|_| c.get()).collect();
        for item in &mut held {
            C::fill(item, size);
        }
        held
    };
    for _ in 0..200 {
        for item in round(steady) {
            c.put(item);
        }
    }
    let rss_steady = rss_bytes();
    let burst = round(10 * steady);
    let rss_peak = rss_bytes();
    for item in burst {
        c.put(item);
    }
    let retained_before_trim = c.retained_bytes();
    c.trim();
    BurstResult {
        rss_steady,
        rss_peak,
        rss_after: rss_bytes(),
        retained_after: c.retained_bytes(),
        retained_before_trim,
    }
}

/// Runs the burst for one contender: `(size, steady)`.
pub type RunBurst = fn(usize, usize) -> BurstResult;

/// The contenders of the burst scenario (sharded-slab is left out: its
/// items are written only inside `create_with`, so a whole-buffer fill
/// would measure something else).
pub const BURST: &[(&str, RunBurst)] = &[
    (table::POOL_LOCAL.name, run_burst::<PoolLocal>),
    (table::POOL_LOCAL_TIMED.name, run_burst::<PoolLocalTimed>),
    (table::POOL_TIERED_TIMED.name, run_burst::<PoolTieredTimed>),
    (table::POOL_RING.name, run_burst::<PoolRing>),
    (table::POOL_FIXED.name, run_burst::<PoolFixed>),
    (table::POOL_TIERED.name, run_burst::<PoolTiered>),
    (table::TLS_STACK.name, run_burst::<TlsStack>),
    ("alloc-system", run_burst::<Alloc>),
    (table::ZEROPOOL.name, run_burst::<Zeropool>),
    (table::OPOOL.name, run_burst::<Opool>),
    (table::OBJECT_POOL.name, run_burst::<ObjectPool>),
    (
        table::LOCKFREE_OBJECT_POOL.name,
        run_burst::<LockfreeObjectPool>,
    ),
    (table::ARRAYQUEUE.name, run_burst::<SharedQueue>),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_reject_clearly() {
        assert_eq!(parse_list("16,1, 2,2", "t").unwrap(), vec![1, 2, 16]);
        assert_eq!(
            parse_list("64,4k,1M", "s").unwrap(),
            vec![64, 4096, 1 << 20]
        );
        let e = parse_list("1,x", "POOL_BENCH_THREADS").unwrap_err();
        assert!(e.contains("`x` is not a positive whole number"), "{e}");
        assert!(parse_list("0", "t").is_err());
        assert!(parse_list("", "t").unwrap_err().contains("empty"));
    }

    #[test]
    fn mixed_lengths_are_fixed_and_in_range() {
        let a = mixed_lengths(1000);
        assert_eq!(a, mixed_lengths(1000));
        assert!(a.iter().all(|&l| (64..=1 << 20).contains(&l)));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        let median = sorted[500];
        assert!((1024..16384).contains(&median), "median {median}");
    }

    #[test]
    fn every_contender_writes_and_returns() {
        fn check<C: Contender>() {
            let c = C::build(4096);
            let d = run_threads(&c, 2, 100);
            assert!(d > Duration::ZERO);
            run_cross(&c, 100);
        }
        check::<PoolLocal>();
        check::<PoolRing>();
        check::<PoolFixed>();
        check::<PoolTiered>();
        check::<TlsStack>();
        check::<Alloc>();
        check::<AllocZeroed>();
        check::<Zeropool>();
        check::<Opool>();
        check::<ObjectPool>();
        check::<LockfreeObjectPool>();
        check::<ShardedSlab>();
        check::<SharedQueue>();
    }

    #[test]
    fn pool_local_gives_memory_back_after_a_burst() {
        let r = run_burst::<PoolLocal>(4096, 4);
        // The pool's own figures, not the process's RSS: tests beside this
        // one allocate and free at the same time.
        assert!(
            r.retained_before_trim.is_some_and(|b| b >= 4 * 4096),
            "{r:?}"
        );
        assert_eq!(r.retained_after, Some(0));
    }

    #[test]
    fn size_labels() {
        assert_eq!(size_label(64), "64B");
        assert_eq!(size_label(4096), "4KiB");
        assert_eq!(size_label(1 << 20), "1MiB");
    }
}
