//! Guards from a strategy's side: drop recycles once, detach does not,
//! owned guards move between threads, guards write through `io::Write`.

use pool_core::strategy::Recycle;
use pool_core::{Pool, PoolError, Pooled, Reset, Stats};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Stack {
    idle: Mutex<Vec<Vec<u8>>>,
    recycled: AtomicUsize,
    detached: AtomicUsize,
}

impl Recycle for Stack {
    type Item = Vec<u8>;
    type Ticket = ();
    type Anchor = std::sync::Arc<Self>;
    fn anchor(self: &std::sync::Arc<Self>) -> std::sync::Arc<Self> {
        std::sync::Arc::clone(self)
    }
    fn recycle(&self, mut item: Vec<u8>, _: ()) {
        item.reset();
        self.recycled.fetch_add(1, Ordering::Relaxed);
        self.idle.lock().unwrap().push(item);
    }
    fn note_detached(&self, _: ()) {
        self.detached.fetch_add(1, Ordering::Relaxed);
    }
}

impl Pool for Stack {
    fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> {
        let v = self.idle.lock().unwrap().pop().unwrap_or_default();
        Ok(Pooled::new(v, (), self))
    }
    fn stats(&self) -> Stats {
        Stats::default()
    }
}

#[test]
fn drop_recycles_once_and_detach_does_not() {
    let pool = Stack::default();
    {
        let mut g = pool.try_get().unwrap();
        g.write_all(b"abc").unwrap();
        assert_eq!(g.as_slice(), b"abc");
    }
    assert_eq!(pool.recycled.load(Ordering::Relaxed), 1);
    assert!(pool.idle.lock().unwrap()[0].is_empty(), "reset ran");

    let g = pool.try_get().unwrap();
    let v = Pooled::detach(g);
    assert!(v.is_empty());
    assert_eq!(pool.recycled.load(Ordering::Relaxed), 1);
    assert_eq!(pool.detached.load(Ordering::Relaxed), 1);
}

#[test]
fn owned_guard_moves_to_another_thread() {
    let pool = Arc::new(Stack::default());
    let mut g = pool.try_get_owned().unwrap();
    g.push(7);
    std::thread::spawn(move || {
        assert_eq!(g[0], 7);
        drop(g);
    })
    .join()
    .unwrap();
    assert_eq!(pool.recycled.load(Ordering::Relaxed), 1);
    assert_eq!(pool.detached.load(Ordering::Relaxed), 0);
    assert_eq!(format!("{:?}", pool.try_get().unwrap()), "Pooled([])");
}
