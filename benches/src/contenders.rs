//! The contenders: the traits the scenarios reach every way of getting a
//! buffer through, and our four strategies as their docs recommend (the
//! peers, plain allocation and the references are in `peers`).

use std::hint::black_box;

use pool::{FixedPool, LocalPool, RingPool, TieredPool};
use pool_core::{Pool, Pooled};

/// The 16 bytes every operation writes.
pub(crate) const DATA: [u8; 16] = *b"0123456789abcdef";

/// Buffer sizes measured in the threaded and cross-thread scenarios (when
/// also in the size list).
pub const THREADED_SIZES: [usize; 2] = [4096, 65536];

/// One way of getting a buffer, writing to it and giving it back.
///
/// Every implementation's `get`, `touch` and `put` (here and in `peers`)
/// is `#[inline(always)]`: a wrapper is the harness's, not the user's, and
/// a call to it cost the contenders whose own get is inlined into it a
/// call each way (callgrind, pool-tiered's get + drop in the `single`
/// loop: 235 -> 217 instructions; pool-local's gained nothing until its
/// own `get` was always inlined too).
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
    /// `true` when [`put`](Self::put) only drops the item (a guard that
    /// returns itself): the timed loops then drop it where it stands, as a
    /// user drops a guard at the end of its scope, instead of moving it
    /// into a call. Set it to `false` when overriding `put`.
    const PUT_IS_DROP: bool = true;
    /// Gives the buffer back.
    #[inline(always)]
    fn put(&self, item: Self::Item<'_>) {
        drop(item);
    }
    /// Where the item's bytes live, for the count of buffers that come
    /// home (see [`crate::home`]); `None` where the contender hands out no
    /// buffer or does not say.
    fn addr(item: &Self::Item<'_>) -> Option<usize> {
        let _ = item;
        None
    }
}

/// The address of a buffer's bytes, for [`Contender::addr`].
macro_rules! addr_of_bytes {
    () => {
        #[inline]
        fn addr(item: &Self::Item<'_>) -> Option<usize> {
            Some(item.as_ptr() as usize)
        }
    };
}
pub(crate) use addr_of_bytes;

#[inline(always)]
pub(crate) fn write_vec(v: &mut Vec<u8>) {
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

/// A pool of ours that holds `Vec<u8>` buffers, built for a scenario.
pub trait BuildPool: Pool<Item = Vec<u8>> {
    /// Builds it as its docs recommend for buffers of `size` bytes, trimmed
    /// every [`TIMED_INTERVAL`] when `timed`, with at most `out` buffers out
    /// at once (a bounded pool holds at least that many).
    fn build_pool(size: usize, timed: bool, out: usize) -> Self;
    /// The get its docs recommend (the inherent `get`; a bounded pool
    /// waits). Not `Pool::get_timeout`: its guard comes inside a 64-byte
    /// `Result`, which this harness moves through memory, and pool-local
    /// measured 1.65x its time that way (25.8 vs 15.6 ns), while a minimal
    /// loop shows the two paths equal (13.5-14 ns each): a harness cost,
    /// not one a user pays.
    fn take(&self) -> Pooled<'_, Self>;
    /// Where its idle items are, where it says (the per-thread pools).
    fn memory(&self) -> Option<pool_core::Memory> {
        None
    }
    /// Fills it with as many items as it keeps, where it can (a warm
    /// start); a pool that cannot does nothing.
    fn prefill_all(&self) {}
}

impl BuildPool for LocalPool<Vec<u8>> {
    fn build_pool(size: usize, timed: bool, _out: usize) -> Self {
        LocalPool::builder()
            .trim_interval(interval(timed))
            .build(move || Vec::with_capacity(size))
            .expect("a valid configuration")
    }
    #[inline(always)]
    fn take(&self) -> Pooled<'_, Self> {
        self.get()
    }
    fn memory(&self) -> Option<pool_core::Memory> {
        Some(LocalPool::memory(self))
    }
    fn prefill_all(&self) {
        self.prefill(usize::MAX);
    }
}

impl BuildPool for RingPool<Vec<u8>> {
    /// 64 slots, allocating when every probed slot is busy.
    fn build_pool(size: usize, _timed: bool, _out: usize) -> Self {
        RingPool::new(64, move || Vec::with_capacity(size)).expect("64 slots are valid")
    }
    #[inline(always)]
    fn take(&self) -> Pooled<'_, Self> {
        self.get()
    }
}

impl BuildPool for FixedPool<Vec<u8>> {
    /// 256 items, or as many as can be out at once, whichever is more:
    /// sized as its user would size it, so that it never waits for good.
    fn build_pool(size: usize, _timed: bool, out: usize) -> Self {
        FixedPool::new(out.max(256), move || Vec::with_capacity(size)).expect("a valid item count")
    }
    #[inline(always)]
    fn take(&self) -> Pooled<'_, Self> {
        self.get_blocking()
            .expect("the bench never closes the pool")
    }
}

/// Any pool of ours that implements [`Pool`]: taken with the get its docs
/// recommend ([`BuildPool::take`]); with `TIMED`, trimmed every
/// [`TIMED_INTERVAL`] by the trimmer; with `PREFILLED`, filled with as
/// many items as it keeps once built ([`BuildPool::prefill_all`]). Burst
/// hooks go through [`Pool::trim`] and [`Pool::stats`].
#[derive(Debug)]
pub struct Ours<P, const TIMED: bool = false, const PREFILLED: bool = false>(pub P);

impl<P: BuildPool, const TIMED: bool, const PREFILLED: bool> Ours<P, TIMED, PREFILLED> {
    /// Built as [`BuildPool::build_pool`] builds it, then prefilled where
    /// `PREFILLED`.
    pub(crate) fn make(size: usize, out: usize) -> Self {
        let pool = P::build_pool(size, TIMED, out);
        if PREFILLED {
            pool.prefill_all();
        }
        Ours(pool)
    }
}

/// pool-local, as its docs build it.
pub type PoolLocal = Ours<LocalPool<Vec<u8>>>;
/// pool-local with timed trimming.
pub type PoolLocalTimed = Ours<LocalPool<Vec<u8>>, true>;
/// pool-local as its docs build it, then prefilled with as many items as
/// it keeps (`prefill(usize::MAX)`, a warm start): what a prefill costs a
/// steady load, in time and in the memory its items hold.
pub type PoolLocalPrefilled = Ours<LocalPool<Vec<u8>>, false, true>;
/// Our lock-free ring (64 slots).
pub type PoolRing = Ours<RingPool<Vec<u8>>>;
/// Our bounded pool (256 items; each thread holds one at a time here).
pub type PoolFixed = Ours<FixedPool<Vec<u8>>>;

impl<P: BuildPool, const TIMED: bool, const PREFILLED: bool> Contender
    for Ours<P, TIMED, PREFILLED>
{
    addr_of_bytes!();
    type Item<'a>
        = Pooled<'a, P>
    where
        P: 'a;
    fn build(size: usize) -> Self {
        Self::make(size, 1)
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0.take()
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// pool-local's owned guards (`get_owned`): what a tokio task that holds
/// a buffer across an `.await` uses; no `Arc` is needed or cloned.
#[derive(Debug)]
pub struct PoolLocalOwned(pub LocalPool<Vec<u8>>);

impl Contender for PoolLocalOwned {
    addr_of_bytes!();
    type Item<'a> = pool_core::OwnedPooled<LocalPool<Vec<u8>>>;
    fn build(size: usize) -> Self {
        PoolLocalOwned(LocalPool::<Vec<u8>>::build_pool(size, false, 1))
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0.get_owned()
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// pool-local with a pool of its own for each producer of the pipeline
/// scenario: every buffer goes back to the pool of the thread that took
/// it, so every buffer a producer gets again is one it held itself. It
/// bounds what an owner-affine return path could gain (a buffer dropped
/// on another thread going back to the thread that took it), and it is
/// what a user can do today: one pool per producing thread.
#[derive(Debug)]
pub struct PoolLocalPerProducer {
    pools: Box<[LocalPool<Vec<u8>>]>,
    /// Producers seen so far; the next one takes the next pool.
    arrivals: std::sync::atomic::AtomicUsize,
    /// Tells this contender's threads from another's (see `MINE`).
    id: usize,
}

thread_local! {
    /// The calling thread's pool in the contender it last used: (contender
    /// id, pool index).
    static MINE: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((usize::MAX, 0)) };
}

impl PoolLocalPerProducer {
    /// `pools` pools of buffers of `size` bytes: one for each thread that
    /// takes buffers (more than the run's producers leaves some unused; fewer
    /// makes producers share, in turn).
    #[must_use]
    pub fn new(size: usize, pools: usize) -> Self {
        static IDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        PoolLocalPerProducer {
            pools: (0..pools.max(1))
                .map(|_| LocalPool::<Vec<u8>>::build_pool(size, false, 1))
                .collect(),
            arrivals: std::sync::atomic::AtomicUsize::new(0),
            id: IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The calling thread's pool: a thread new to this contender takes the
    /// next one in turn, so the producers of one run use distinct pools.
    #[inline(always)]
    fn mine(&self) -> &LocalPool<Vec<u8>> {
        let (id, at) = MINE.with(std::cell::Cell::get);
        let at = if id == self.id {
            at
        } else {
            let at = self
                .arrivals
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                % self.pools.len();
            MINE.with(|m| m.set((self.id, at)));
            at
        };
        &self.pools[at]
    }

    /// The pools' statistics, summed.
    #[must_use]
    pub fn stats(&self) -> pool::Stats {
        let mut total = pool::Stats::default();
        for p in &self.pools {
            total += &p.stats();
        }
        total
    }
}

impl Contender for PoolLocalPerProducer {
    addr_of_bytes!();
    type Item<'a> = Pooled<'a, LocalPool<Vec<u8>>>;
    fn build(size: usize) -> Self {
        PoolLocalPerProducer::new(size, 1)
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.mine().get()
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// pool-local built with the `leak-sites` feature: no tracker when
/// `SAMPLE` is 0, [`LeakTracker::new`](pool::leaks::LeakTracker::new)
/// (every guard) when 1, [`LeakTracker::sampled`](pool::leaks::LeakTracker::sampled)
/// (its default rate) otherwise.
#[cfg(feature = "leak-sites")]
#[derive(Debug)]
pub struct PoolLocalLeaks<const SAMPLE: u32>(pub LocalPool<Vec<u8>>);

#[cfg(feature = "leak-sites")]
impl<const SAMPLE: u32> Contender for PoolLocalLeaks<SAMPLE> {
    type Item<'a> = Pooled<'a, LocalPool<Vec<u8>>>;
    fn build(size: usize) -> Self {
        use pool::leaks::LeakTracker;
        let builder = LocalPool::builder();
        let builder = match SAMPLE {
            0 => builder,
            1 => builder.leak_tracker(LeakTracker::new()),
            _ => builder.leak_tracker(LeakTracker::sampled()),
        };
        PoolLocalLeaks(
            builder
                .build(move || Vec::with_capacity(size))
                .expect("a valid configuration"),
        )
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0.get()
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// pool-tiered's owned buffers (`get_owned(len)`).
#[derive(Debug)]
pub struct PoolTieredOwned(pub TieredPool, usize);

impl Contender for PoolTieredOwned {
    addr_of_bytes!();
    type Item<'a> = pool::tiered::OwnedTieredBuf;
    fn build(size: usize) -> Self {
        PoolTieredOwned(TieredPool::new(), size)
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0.get_owned(self.1)
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// pool-fixed's owned guards (`get_owned`), 256 items as its borrowed
/// form.
#[derive(Debug)]
pub struct PoolFixedOwned(pub FixedPool<Vec<u8>>);

impl Contender for PoolFixedOwned {
    addr_of_bytes!();
    type Item<'a> = pool_core::OwnedPooled<FixedPool<Vec<u8>>>;
    fn build(size: usize) -> Self {
        PoolFixedOwned(FixedPool::<Vec<u8>>::build_pool(size, false, 1))
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0
            .get_owned_blocking()
            .expect("the bench never closes the pool")
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// pool-ring's owned guards (`get_owned`, counted per thread).
#[derive(Debug)]
pub struct PoolRingOwned(pub RingPool<Vec<u8>>);

impl Contender for PoolRingOwned {
    addr_of_bytes!();
    type Item<'a> = pool_core::OwnedPooled<RingPool<Vec<u8>>>;
    fn build(size: usize) -> Self {
        PoolRingOwned(RingPool::<Vec<u8>>::build_pool(size, false, 1))
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0.get_owned()
    }
    #[inline(always)]
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
    addr_of_bytes!();
    type Item<'a> = pool::tiered::TieredBuf<'a>;
    fn build(size: usize) -> Self {
        let pool = TieredPool::builder()
            .trim_interval(interval(TIMED))
            .build()
            .expect("a valid configuration");
        PoolTieredWith(pool, size)
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0.get(self.1)
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

impl SizedContender for PoolTiered {
    fn build() -> Self {
        PoolTieredWith(TieredPool::new(), 0)
    }
    #[inline(always)]
    fn op(&self, len: usize) {
        let mut b = self.0.get(len);
        fill_vec(&mut b, len);
    }
}

/// A contender that serves any length (the mixed-size scenario).
pub trait SizedContender: Sync + Sized {
    /// Builds it.
    fn build() -> Self;
    /// One get of `len` bytes, a write of all `len` bytes (the holder
    /// writes what it asked for), and a put.
    fn op(&self, len: usize);
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
    /// Where its idle items are (thread caches, spill, reserve), where the
    /// pool says.
    fn memory(&self) -> Option<pool_core::Memory> {
        None
    }
    /// Fills it with as many items as it keeps, where it can (a warm
    /// start); a pool that cannot does nothing.
    fn prefill_all(&self) {}
}

pub(crate) fn fill_vec(v: &mut Vec<u8>, size: usize) {
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
pub(crate) use burst_vec;

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

impl<P: BuildPool, const TIMED: bool, const PREFILLED: bool> Burst for Ours<P, TIMED, PREFILLED> {
    fn fill(item: &mut Self::Item<'_>, size: usize) {
        fill_vec(item, size);
    }
    fn trim(&self) {
        burst_end(self, TIMED, || self.0.trim());
    }
    fn retained_bytes(&self) -> Option<u64> {
        Some(self.0.stats().retained_bytes)
    }
    fn memory(&self) -> Option<pool_core::Memory> {
        self.0.memory()
    }
}

impl Burst for PoolLocalPerProducer {
    fn fill(item: &mut Self::Item<'_>, size: usize) {
        fill_vec(item, size);
    }
    fn trim(&self) {
        burst_end(self, false, || self.pools.iter().for_each(LocalPool::trim));
    }
    fn retained_bytes(&self) -> Option<u64> {
        Some(self.stats().retained_bytes)
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
    fn memory(&self) -> Option<pool_core::Memory> {
        let classes = self.0.stats().classes;
        Some(
            classes
                .iter()
                .map(|c| c.memory)
                .fold(Default::default(), |a, m| a + m),
        )
    }
}
