//! The peers and references the pools are measured against: plain
//! allocation, the peer crates as their docs use them, a shared queue, a
//! naive thread-local stack and the bare hand-off.

use std::cell::RefCell;
use std::hint::black_box;
use std::mem::MaybeUninit;

use crossbeam_queue::ArrayQueue;

use crate::contenders::{
    Burst, Contender, DATA, SizedContender, addr_of_bytes, burst_vec, fill_vec, write_vec,
};

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
    #[inline(always)]
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
    #[inline]
    fn addr(item: &TlsBuf) -> Option<usize> {
        Some(item.0.as_ptr() as usize)
    }
    type Item<'a> = TlsBuf;
    fn build(size: usize) -> Self {
        STACK.with_borrow_mut(Vec::clear);
        TlsStack(size)
    }
    #[inline(always)]
    fn get(&self) -> TlsBuf {
        match STACK.with_borrow_mut(Vec::pop) {
            Some(v) if v.capacity() == self.0 => TlsBuf(v),
            _ => TlsBuf(Vec::with_capacity(self.0)),
        }
    }
    #[inline(always)]
    fn touch(item: &mut TlsBuf) {
        write_vec(&mut item.0);
    }
}

/// The reference with one uncontended atomic read-modify-write added to
/// each get + put (a `fetch_sub` on a counter of the thread's own, in the
/// drop, as an owned guard's release does): what that one instruction
/// costs on this machine, the floor under a target that compares a design
/// that needs one (an owned guard's drop, pool-ring's claim) with one that
/// needs none.
#[derive(Debug)]
pub struct TlsStackAtomic(TlsStack);

thread_local! {
    /// Written by its thread only: the read-modify-write is uncontended.
    static RELEASES: std::sync::atomic::AtomicUsize = const { std::sync::atomic::AtomicUsize::new(0) };
}

/// A buffer of [`TlsStackAtomic`]: a [`TlsBuf`] whose drop also counts
/// itself with one atomic read-modify-write.
#[derive(Debug)]
pub struct TlsAtomicBuf(TlsBuf);

impl Drop for TlsAtomicBuf {
    #[inline(always)]
    fn drop(&mut self) {
        RELEASES.with(|r| r.fetch_sub(1, std::sync::atomic::Ordering::Release));
    }
}

impl Contender for TlsStackAtomic {
    #[inline]
    fn addr(item: &TlsAtomicBuf) -> Option<usize> {
        TlsStack::addr(&item.0)
    }
    type Item<'a> = TlsAtomicBuf;
    fn build(size: usize) -> Self {
        TlsStackAtomic(TlsStack::build(size))
    }
    #[inline(always)]
    fn get(&self) -> TlsAtomicBuf {
        TlsAtomicBuf(self.0.get())
    }
    #[inline(always)]
    fn touch(item: &mut TlsAtomicBuf) {
        TlsStack::touch(&mut item.0);
    }
}

/// The bare hand-off: a `usize` and no buffer, so that the cross-thread
/// scenario shows what its queue costs alone.
#[derive(Debug)]
pub struct HandOff;

impl Contender for HandOff {
    type Item<'a> = usize;
    fn build(_size: usize) -> Self {
        HandOff
    }
    #[inline(always)]
    fn get(&self) -> usize {
        black_box(1)
    }
    #[inline(always)]
    fn touch(item: &mut usize) {
        *item = black_box(*item + 1);
    }
}

/// Plain allocation: `Vec::with_capacity(n)` and drop.
#[derive(Debug)]
pub struct Alloc(usize);

impl Contender for Alloc {
    addr_of_bytes!();
    type Item<'a> = Vec<u8>;
    fn build(size: usize) -> Self {
        Alloc(size)
    }
    #[inline(always)]
    fn get(&self) -> Vec<u8> {
        Vec::with_capacity(black_box(self.0))
    }
    #[inline(always)]
    fn touch(item: &mut Vec<u8>) {
        write_vec(item);
    }
}

/// Zeroed allocation: `vec![0; n]` and drop.
#[derive(Debug)]
pub struct AllocZeroed(usize);

impl Contender for AllocZeroed {
    addr_of_bytes!();
    type Item<'a> = Vec<u8>;
    fn build(size: usize) -> Self {
        AllocZeroed(size)
    }
    #[inline(always)]
    fn get(&self) -> Vec<u8> {
        vec![0; black_box(self.0)]
    }
    #[inline(always)]
    fn touch(item: &mut Vec<u8>) {
        let n = DATA.len().min(item.len());
        item[..n].copy_from_slice(&black_box(DATA)[..n]);
        black_box(item.as_ptr());
    }
}

/// zeropool 0.7: size classes and per-thread caches; `alloc_uninit`, its
/// fast path for buffers the caller writes.
#[derive(Debug)]
pub struct Zeropool(pub(crate) zeropool::ZeroPool, pub(crate) usize);

impl Contender for Zeropool {
    type Item<'a> = zeropool::BufUninit<'a>;
    fn build(size: usize) -> Self {
        Zeropool(zeropool::ZeroPool::new(), size)
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0.alloc_uninit(self.1)
    }
    #[inline(always)]
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
    #[inline(always)]
    fn allocate(&self) -> Vec<u8> {
        Vec::with_capacity(self.0)
    }
    #[inline(always)]
    fn reset(&self, obj: &mut Vec<u8>) {
        obj.clear();
    }
}

/// opool 0.2: one `ArrayQueue` shared by all threads.
pub struct Opool(opool::Pool<OpoolAlloc, Vec<u8>>);

impl Contender for Opool {
    addr_of_bytes!();
    type Item<'a> = opool::RefGuard<'a, OpoolAlloc, Vec<u8>>;
    fn build(size: usize) -> Self {
        Opool(opool::Pool::new(1024, OpoolAlloc(size)))
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

/// object-pool 0.6: a `Mutex<Vec<_>>`-style pool; it has no reset hook, so
/// the caller clears before the drop, as its users must.
pub struct ObjectPool(object_pool::Pool<Vec<u8>>, usize);

impl Contender for ObjectPool {
    addr_of_bytes!();
    type Item<'a> = object_pool::Reusable<'a, Vec<u8>>;
    fn build(size: usize) -> Self {
        ObjectPool(
            object_pool::Pool::new(64, move || Vec::with_capacity(size)),
            size,
        )
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        let size = self.1;
        self.0.pull(move || Vec::with_capacity(size))
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
    const PUT_IS_DROP: bool = false;
    #[inline(always)]
    fn put(&self, mut item: Self::Item<'_>) {
        item.clear();
        drop(item);
    }
}

/// lockfree-object-pool 0.1.6, its linear (fastest) flavour, with a reset.
pub struct LockfreeObjectPool(lockfree_object_pool::LinearObjectPool<Vec<u8>>);

impl Contender for LockfreeObjectPool {
    addr_of_bytes!();
    type Item<'a> = lockfree_object_pool::LinearReusable<'a, Vec<u8>>;
    fn build(size: usize) -> Self {
        LockfreeObjectPool(lockfree_object_pool::LinearObjectPool::new(
            move || Vec::with_capacity(size),
            |v| v.clear(),
        ))
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0.pull()
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// lockfree-object-pool's owned form (`pull_owned` on an `Arc`): an `Arc`
/// clone per get, as its docs have it.
pub struct LockfreeObjectPoolOwned(std::sync::Arc<lockfree_object_pool::LinearObjectPool<Vec<u8>>>);

impl Contender for LockfreeObjectPoolOwned {
    addr_of_bytes!();
    type Item<'a> = lockfree_object_pool::LinearOwnedReusable<Vec<u8>>;
    fn build(size: usize) -> Self {
        LockfreeObjectPoolOwned(std::sync::Arc::new(
            lockfree_object_pool::LinearObjectPool::new(
                move || Vec::with_capacity(size),
                |v| v.clear(),
            ),
        ))
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        self.0.pull_owned()
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
}

/// object-pool's owned form (`pull_owned` on an `Arc`); cleared by the
/// caller, as its borrowed form.
pub struct ObjectPoolOwned(std::sync::Arc<object_pool::Pool<Vec<u8>>>, usize);

impl Contender for ObjectPoolOwned {
    addr_of_bytes!();
    type Item<'a> = object_pool::ReusableOwned<Vec<u8>>;
    fn build(size: usize) -> Self {
        ObjectPoolOwned(
            std::sync::Arc::new(object_pool::Pool::new(64, move || Vec::with_capacity(size))),
            size,
        )
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        let size = self.1;
        self.0.pull_owned(move || Vec::with_capacity(size))
    }
    #[inline(always)]
    fn touch(item: &mut Self::Item<'_>) {
        write_vec(item);
    }
    const PUT_IS_DROP: bool = false;
    #[inline(always)]
    fn put(&self, mut item: Self::Item<'_>) {
        item.clear();
        drop(item);
    }
}

/// opool's owned form (`get_rc` on an `Arc`).
pub struct OpoolOwned(std::sync::Arc<opool::Pool<OpoolAlloc, Vec<u8>>>);

impl Contender for OpoolOwned {
    addr_of_bytes!();
    type Item<'a> = opool::RcGuard<OpoolAlloc, Vec<u8>>;
    fn build(size: usize) -> Self {
        OpoolOwned(std::sync::Arc::new(opool::Pool::new(
            1024,
            OpoolAlloc(size),
        )))
    }
    #[inline(always)]
    fn get(&self) -> Self::Item<'_> {
        std::sync::Arc::clone(&self.0).get_rc()
    }
    #[inline(always)]
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
    #[inline(always)]
    fn get(&self) -> usize {
        let size = self.1;
        self.0
            .create_with(|v| {
                v.reserve(size);
                write_vec(v);
            })
            .expect("sharded-slab has room for the few items a bench holds")
    }
    #[inline(always)]
    fn touch(_key: &mut usize) {}
    const PUT_IS_DROP: bool = false;
    #[inline(always)]
    fn put(&self, key: usize) {
        self.0.clear(key);
    }
}

/// One crossbeam `ArrayQueue` shared by all threads: the design every
/// shared-queue pool reduces to.
#[derive(Debug)]
pub struct SharedQueue(ArrayQueue<Vec<u8>>, usize);

impl Contender for SharedQueue {
    addr_of_bytes!();
    type Item<'a> = Vec<u8>;
    fn build(size: usize) -> Self {
        SharedQueue(ArrayQueue::new(1024), size)
    }
    #[inline(always)]
    fn get(&self) -> Vec<u8> {
        self.0.pop().unwrap_or_else(|| Vec::with_capacity(self.1))
    }
    #[inline(always)]
    fn touch(item: &mut Vec<u8>) {
        write_vec(item);
    }
    const PUT_IS_DROP: bool = false;
    #[inline(always)]
    fn put(&self, mut item: Vec<u8>) {
        item.clear();
        let _ = self.0.push(item);
    }
}

impl SizedContender for Alloc {
    fn build() -> Self {
        Alloc(0)
    }
    #[inline(always)]
    fn op(&self, len: usize) {
        let mut v = Vec::with_capacity(black_box(len));
        fill_vec(&mut v, len);
    }
}

/// The write alone (the mixed scenario's floor): each length written
/// into one buffer the thread keeps, grown to the largest length once.
#[derive(Debug)]
pub struct WriteOnly;

thread_local! {
    static WRITTEN: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl SizedContender for WriteOnly {
    fn build() -> Self {
        WriteOnly
    }
    #[inline(always)]
    fn op(&self, len: usize) {
        WRITTEN.with_borrow_mut(|v| fill_vec(v, len));
    }
}

impl SizedContender for AllocZeroed {
    fn build() -> Self {
        AllocZeroed(0)
    }
    #[inline(always)]
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
    #[inline(always)]
    fn op(&self, len: usize) {
        let mut b = self.0.alloc_uninit(len);
        <Zeropool as Burst>::fill(&mut b, len);
    }
}

burst_vec!(
    TlsStack => |item| &mut item.0,
    Alloc => |item| item,
    Opool => |item| item,
    ObjectPool => |item| item,
    LockfreeObjectPool => |item| item,
    SharedQueue => |item| item,
);

impl Burst for Zeropool {
    fn fill(item: &mut Self::Item<'_>, _size: usize) {
        for b in item.as_uninit_mut() {
            *b = MaybeUninit::new(0xA5);
        }
        black_box(item.as_uninit_mut().as_ptr());
    }
}
