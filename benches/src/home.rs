//! Buffers that come home: of the gets served with a buffer seen before,
//! the fraction whose previous get was on the same thread (so the bytes it
//! wrote last time may still sit in this core's cache). mimalloc gives a
//! freed block back to the thread that allocated it; a pool that hands a
//! buffer to whichever thread asks next does not. The fraction depends on
//! where items go, not on how fast, so 2 cores measure it as well as 16.
//!
//! It is counted in a pass of its own, never in a timed one: every get is
//! logged (a clock read and a push to a per-thread vector), and the logs
//! are merged in time order once the threads are done.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// One get: when, on which thread, which buffer.
pub type Get = (Instant, u32, usize);

/// A thread's log of its gets, added to the shared list when dropped.
#[derive(Debug)]
pub struct Logger<'a> {
    sink: &'a Mutex<Vec<Get>>,
    thread: u32,
    gets: Vec<Get>,
    /// A get whose contender does not say where its bytes are.
    unknown: bool,
}

impl<'a> Logger<'a> {
    /// A log for thread number `thread`, merged into `sink`.
    #[must_use]
    pub fn new(sink: &'a Mutex<Vec<Get>>, thread: u32) -> Self {
        Logger {
            sink,
            thread,
            gets: Vec::with_capacity(1 << 14),
            unknown: false,
        }
    }

    /// Logs a get of the buffer at `addr` (`None`: the contender does not
    /// say, and the run has no fraction).
    #[inline]
    pub fn note(&mut self, addr: Option<usize>) {
        match addr {
            Some(a) => self.gets.push((Instant::now(), self.thread, a)),
            None => self.unknown = true,
        }
    }
}

impl Drop for Logger<'_> {
    fn drop(&mut self) {
        let mut sink = self
            .sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.unknown {
            // An address of 0 marks the run as unknown.
            sink.push((Instant::now(), self.thread, 0));
        }
        sink.append(&mut self.gets);
    }
}

/// Of the gets of a buffer seen before, the fraction whose previous get
/// was on the same thread; `None` when no buffer was seen twice or a
/// contender did not say where its bytes are.
#[must_use]
pub fn fraction(mut gets: Vec<Get>) -> Option<f64> {
    if gets.iter().any(|g| g.2 == 0) {
        return None;
    }
    gets.sort_by_key(|g| g.0);
    let mut last: HashMap<usize, u32> = HashMap::with_capacity(gets.len());
    let (mut again, mut home) = (0u64, 0u64);
    for (_, thread, addr) in gets {
        if let Some(prev) = last.insert(addr, thread) {
            again += 1;
            home += u64::from(prev == thread);
        }
    }
    (again > 0).then(|| home as f64 / again as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_buffers_seen_before_and_the_thread_of_their_last_get() {
        let sink = Mutex::new(Vec::new());
        {
            let mut a = Logger::new(&sink, 0);
            a.note(Some(10));
            a.note(Some(20));
            let mut b = Logger::new(&sink, 1);
            b.note(Some(10)); // came from thread 0: not home
            a.note(Some(20)); // its own: home
            a.note(Some(10)); // last taken by 1: not home
        }
        let f = fraction(sink.into_inner().unwrap()).unwrap();
        assert!((f - 1.0 / 3.0).abs() < 1e-9, "{f}");
        // Nothing seen twice, or an address unknown: no fraction.
        assert_eq!(fraction(vec![(Instant::now(), 0, 1)]), None);
        let sink = Mutex::new(Vec::new());
        {
            let mut a = Logger::new(&sink, 0);
            a.note(Some(1));
            a.note(Some(1));
            a.note(None);
        }
        assert_eq!(fraction(sink.into_inner().unwrap()), None);
    }
}
