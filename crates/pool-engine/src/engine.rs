//! [`Engine`], per-thread caches of one or more classes over shared
//! spills, and [`EngineRef`], the counted reference an owned guard holds.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use pool_core::strategy::{Counter, Counters, Totals, words};
use pool_core::{Held, Memory, PoolError, Reset, Stats};

use crate::budget::SharedByteCap;
use crate::class::{ClassSpec, ClassTable, Entry};
use crate::limits::{ClassLimits, check_trim_interval};
use crate::per_class::{ClassIndex, PerClass};
use crate::per_thread::PerThread;
use crate::per_thread::anchor::PerThreadRef;
use crate::shelf::Shelf;
use crate::state::{EngineState, ThreadRecord};

/// Per-thread caches of one or more classes over shared spills; see the
/// [crate docs](crate) and the [implementation notes](crate::implementation#the-engine).
///
/// `Notes` is what each thread publishes besides its counters (pool-tiered's
/// recent request lengths, say): made with `Default` when a thread first
/// uses the pool, written by that thread through
/// [`take_noting`](Self::take_noting) and [`note`](Self::note), read by any
/// thread through [`for_each_note`](Self::for_each_note). `Extra` is what
/// the pool keeps beside its classes (its settings, its own counters, a
/// leak tracker), reached through [`extra`](Self::extra) by the engine and
/// by every [`EngineRef`].
///
/// `INLINE` is how many classes after the first keep their per-thread
/// caches inline in the thread's slot (the rest sit behind one boxed
/// slice). A get or put of an inline class loads no pointer before the
/// cache (pool-tiered keeps its default 15 classes all inline). Each
/// inline class that the engine lacks costs the size of an empty cache
/// (about 80 bytes) per thread; an engine of one class keeps the default
/// 0.
///
/// # Examples
///
/// Four classes, the last three inline after the first (a fifth would sit
/// behind the box): the same calls, whatever `INLINE` is.
///
/// ```
/// use pool_engine::{ClassLimits, Engine, Entry};
///
/// let classes = [64usize, 256, 1024, 4096].map(|size| {
///     let limits = ClassLimits { max_item_bytes: 2 * size, ..ClassLimits::default() };
///     (limits, Box::new(move || Vec::<u8>::with_capacity(size)) as _)
/// });
/// let engine: Engine<Vec<u8>, (), (), 3> = Engine::new(classes.into(), None, None)?;
/// for class in 0..4 {
///     let buf = engine.take(class);
///     assert!(engine.put(class, buf, Entry::Returned));
///     assert_eq!(engine.take(class).capacity(), [64, 256, 1024, 4096][class]);
/// }
/// assert!(engine.stats().iter().all(|s| (s.gets, s.hits) == (2, 1)));
/// # Ok::<(), pool_core::PoolError>(())
/// ```
pub struct Engine<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static = (),
    Extra: Send + Sync + 'static = (),
    const INLINE: usize = 0,
> {
    threads: PerThread<EngineState<T, Notes, Extra, INLINE>>,
}

impl<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static,
    Extra: Default + Send + Sync + 'static,
    const INLINE: usize,
> Engine<T, Notes, Extra, INLINE>
{
    /// An engine of `classes` (at least one), sharing `cap` if given,
    /// trimmed every `trim_interval` if given (and by every
    /// [`trim_all`](crate::trimmer::trim_all)).
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidConfig`] naming the setting: no class
    /// (`classes`), a class's limits ([`ClassLimits::validate`]), or
    /// [`check_trim_interval`].
    pub fn new(
        classes: Vec<ClassSpec<T>>,
        cap: Option<SharedByteCap>,
        trim_interval: Option<Duration>,
    ) -> Result<Self, PoolError> {
        Self::with_extra(classes, cap, trim_interval, Extra::default())
    }
}

impl<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static,
    Extra: Send + Sync + 'static,
    const INLINE: usize,
> Engine<T, Notes, Extra, INLINE>
{
    /// [`new`](Self::new), keeping `extra` beside the classes (see
    /// [`extra`](Self::extra)).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn with_extra(
        classes: Vec<ClassSpec<T>>,
        cap: Option<SharedByteCap>,
        trim_interval: Option<Duration>,
        extra: Extra,
    ) -> Result<Self, PoolError> {
        Self::with_table(classes, cap, trim_interval, extra)
    }

    /// An engine of the classes `table` describes (see [`ClassTable`]):
    /// nothing per class is allocated until the class is used. Otherwise
    /// as [`with_extra`](Self::with_extra).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new): no class (`classes`), a class's limits
    /// ([`ClassLimits::validate`]), or [`check_trim_interval`].
    pub fn with_table(
        table: impl ClassTable<T>,
        cap: Option<SharedByteCap>,
        trim_interval: Option<Duration>,
        extra: Extra,
    ) -> Result<Self, PoolError> {
        check_trim_interval(trim_interval)?;
        let n = table.classes();
        for class in 0..n {
            table.limits(class).validate()?;
        }
        let Some(shelves) = PerClass::from_vec((0..n).map(|_| Shelf::default()).collect()) else {
            return Err(PoolError::invalid_config(
                "classes",
                0,
                "at least one class",
            ));
        };
        let engine = Engine {
            threads: PerThread::new(EngineState {
                table: Box::new(table),
                shelves,
                epoch: AtomicU64::new(0),
                timed_trims: Counter::default(),
                timed_trimmed: Counter::default(),
                budget: cap.map(|c| c.0),
                extra,
                _notes: std::marker::PhantomData,
            }),
        };
        engine.threads.register_trim(trim_interval);
        Ok(engine)
    }

    /// What the pool keeps beside its classes (settings, counters of its
    /// own, a leak tracker): reachable from the engine and from every
    /// [`EngineRef`], so an owned guard finds it after the pool's handle is
    /// gone.
    #[inline]
    pub fn extra(&self) -> &Extra {
        &self.threads.global().extra
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.threads.global().shelves.len()
    }

    /// Takes an item of `class`: from this thread's cache, else a batch
    /// from the spill, else a new one from the class's factory (a miss).
    ///
    /// # Panics
    ///
    /// If `class` is not below [`classes`](Self::classes), or if the
    /// factory panics (nothing is counted then).
    // Always inlined: a call would hand the item back through a stack slot
    // written with field-sized stores, which the caller's wider loads stall
    // on.
    #[inline(always)]
    pub fn take(&self, class: impl ClassIndex) -> T {
        self.take_noting(class, |_| {})
    }

    /// [`take`](Self::take), first calling `note` with this thread's notes
    /// (not called for a thread that has no cache).
    ///
    /// # Panics
    ///
    /// As [`take`](Self::take).
    #[inline(always)]
    pub fn take_noting(&self, class: impl ClassIndex, note: impl FnOnce(&Notes)) -> T {
        let g = self.threads.global();
        // Word-wise: the fast and slow paths meet in a stack slot (see
        // `words::move_words`).
        words::move_words(self.threads.with(
            #[inline(always)]
            |slot| g.take_in(slot, class, note),
        ))
    }

    /// [`take_noting`](Self::take_noting), with a counted reference to the
    /// engine for an owned guard, in the same thread-local access: the
    /// reference keeps the engine's memory alive after the engine (the
    /// pool's handle) is dropped, and gives the item back through
    /// [`EngineRef::put`]. Taking it writes only this thread's slot; see
    /// [the notes](crate::implementation#owned-references-counted-per-thread).
    ///
    /// # Panics
    ///
    /// As [`take`](Self::take) (nothing is counted then).
    #[inline(always)]
    pub fn take_noting_anchored(
        &self,
        class: impl ClassIndex,
        note: impl FnOnce(&Notes),
    ) -> (T, EngineRef<T, Notes, Extra, INLINE>) {
        let g = self.threads.global();
        // Word-wise once, where the fast and slow paths meet: a second
        // word-wise move of the pair would be one more store-and-reload of
        // the item on every owned get.
        let (item, r) = self.threads.with_anchor(
            // Always inlined, as `take_noting`'s closure: pool-tiered's
            // owned get otherwise called it out of line.
            #[inline(always)]
            |slot| words::move_words(g.take_in(slot, class, note)),
        );
        (item, EngineRef { r })
    }

    /// [`take`](Self::take) with a counted reference; see
    /// [`take_noting_anchored`](Self::take_noting_anchored).
    ///
    /// # Panics
    ///
    /// As [`take`](Self::take).
    #[inline(always)]
    pub fn take_anchored(&self, class: impl ClassIndex) -> (T, EngineRef<T, Notes, Extra, INLINE>) {
        self.take_noting_anchored(class, |_| {})
    }

    /// A counted reference to the engine without an item (for a guard
    /// made from a borrowed one); see
    /// [`take_noting_anchored`](Self::take_noting_anchored).
    pub fn anchor(&self) -> EngineRef<T, Notes, Extra, INLINE> {
        EngineRef {
            r: self.threads.with_anchor(|_| ()).1,
        }
    }

    /// Resets `item` ([`Reset::reset`], then [`Reset::heap_bytes`]) and
    /// keeps it in `class`'s idle set within the class's limits and the
    /// budget, or drops it; true if kept. If `reset` or `heap_bytes`
    /// panics, the item is dropped, counted as discarded (panicked) for a
    /// return, and the panic goes on.
    ///
    /// # Panics
    ///
    /// If `class` is not below [`classes`](Self::classes), or as above.
    #[inline]
    pub fn put(&self, class: impl ClassIndex, item: T, entry: Entry) -> bool {
        let g = self.threads.global();
        self.threads.with(
            #[inline(always)]
            |slot| g.put_in(slot, class, item, entry),
        )
    }

    /// Makes items of `class` with its factory, resets them and keeps them
    /// in the class's reserve (counted as prefilled), at most `n`, stopping
    /// at the first one refused (the reserve holds at most `cache_size +
    /// spill_size` items; an item out of the class's limits, refused by
    /// [`Reset::is_reusable`] or over the byte budget is dropped); returns
    /// how many were kept. The reserve is taken from only when a thread's
    /// cache and the spill are empty, so returned items go round first
    /// and prefilled ones stay untouched until demand needs them. A huge
    /// `n` ends when the reserve is full, and one call makes at most
    /// `cache_size + spill_size` items even while other threads take from
    /// the reserve as it fills.
    ///
    /// # Panics
    ///
    /// If `class` is not below [`classes`](Self::classes), or if the
    /// factory, [`Reset::reset`] or [`Reset::heap_bytes`] panics (what was
    /// kept before stays).
    pub fn prefill(&self, class: impl ClassIndex, n: usize) -> usize {
        let g = self.threads.global();
        let class = g.class(class);
        // One reserve's worth per call, even while other threads draw from
        // it as fast as it fills.
        let n = n.min(class.reserve_cap());
        let mut kept = 0;
        while kept < n && class.prefill_one(g.epoch.load(Relaxed)) {
            kept += 1;
        }
        kept
    }

    /// Adds one to the counter `which` picks of `class`, in this thread's
    /// block (for events the pool sees outside take and put: a detach, an
    /// item refused before it reached the engine).
    ///
    /// # Panics
    ///
    /// If `class` is not below [`classes`](Self::classes).
    pub fn count(&self, class: impl ClassIndex, which: fn(&Counters) -> &Counter) {
        let g = self.threads.global();
        self.threads.with(|slot| g.count_in(slot, class, which));
    }

    /// Calls `f` with this thread's notes (not for a thread that has no
    /// cache: one being torn down).
    pub fn note(&self, f: impl FnOnce(&Notes)) {
        self.threads.with(|slot| {
            if let Some(slot) = slot {
                f(&slot.shared().notes);
            }
        });
    }

    /// Calls `f` with the notes of every thread that holds a cache now or
    /// held one before it exited (slots are reused, notes kept).
    pub fn for_each_note(&self, mut f: impl FnMut(&Notes)) {
        self.threads.with_shared(|slots, _| {
            for s in slots {
                f(&s.notes);
            }
        });
    }

    /// Each class's statistics, summed over every thread. Where a budget
    /// is set, `retained_bytes` of the classes together is clamped to the
    /// bytes reserved from it (an exact upper bound, while the per-thread
    /// counters are read one after another as their threads work).
    pub fn stats(&self) -> Vec<Stats> {
        let mut stats = self.threads.with_shared(|slots, g| {
            let slots: Vec<&ThreadRecord<Notes, INLINE>> = slots.collect();
            g.classes()
                .map(|class| {
                    let mut t = Totals::default();
                    for s in &slots {
                        t.add(s.counters.get(class.index));
                    }
                    if let Some(stock) = class.made() {
                        if let Some(c) = stock.cacheless_made() {
                            t.add(c);
                        }
                        t.trimmed += stock.trimmed.get();
                        t.bytes_trimmed += stock.bytes_trimmed.get();
                    }
                    if class.index == 0 {
                        // Counted once for the pool, in its first class.
                        t.timed_trims += g.timed_trims.get();
                        t.timed_trimmed += g.timed_trimmed.get();
                    }
                    Stats::from_totals(t)
                })
                .collect::<Vec<_>>()
        });
        if let Some(budget) = &self.threads.global().budget {
            let mut room = budget.cap.saturating_sub(budget.available()) as u64;
            for s in &mut stats {
                s.retained_bytes = s.retained_bytes.min(room);
                room -= s.retained_bytes;
            }
        }
        stats
    }

    /// Where each class's idle items are: the threads' caches, the spill
    /// and the reserve of prefilled items (see [`Memory`]); the same work
    /// as [`stats`](Self::stats), for a metrics scrape.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_engine::{ClassLimits, Engine, Entry, OnlyClass};
    ///
    /// let limits = ClassLimits { cache_size: 2, ..ClassLimits::default() };
    /// let engine: Engine<Vec<u8>> = Engine::with_table((limits, || Vec::with_capacity(1024)), None, None, ())?;
    /// assert_eq!(engine.prefill(OnlyClass, 3), 3);
    /// let out: Vec<_> = (0..4).map(|_| engine.take(OnlyClass)).collect(); // 3 from the reserve, 1 made
    /// for item in out {
    ///     engine.put(OnlyClass, item, Entry::Returned); // 2 kept in this thread's cache, then a batch of 1 spills
    /// }
    /// let m = engine.memory()[0];
    /// assert_eq!((m.thread_caches.items, m.spill.items, m.reserve.items), (2, 2, 0));
    /// assert_eq!(m.total().bytes, 4 * 1024);
    /// # Ok::<(), pool_core::PoolError>(())
    /// ```
    pub fn memory(&self) -> Vec<Memory> {
        self.stats_with_memory()
            .into_iter()
            .map(|(_, m)| m)
            .collect()
    }

    /// [`stats`](Self::stats) and [`memory`](Self::memory) of each class,
    /// from one snapshot.
    pub fn stats_with_memory(&self) -> Vec<(Stats, Memory)> {
        let g = self.threads.global();
        self.stats()
            .into_iter()
            .zip(g.classes())
            .map(|(s, class)| {
                let p = class.places();
                let spill = Held::new(p.spilled.0, p.spilled.1);
                let reserve = Held::new(p.reserved.0, p.reserved.1);
                let cached = Held::new(
                    s.retained_items.saturating_sub(spill.items + reserve.items),
                    s.retained_bytes.saturating_sub(spill.bytes + reserve.bytes),
                );
                (s, Memory::new(cached, spill, reserve))
            })
            .collect()
    }

    /// Frees idle items that sat unused through two consecutive trims, in
    /// every class: the spills (which hold, among others, the items of
    /// threads that exited) and the calling thread's caches now, every
    /// other live thread's caches at that thread's next get or put (they
    /// belong to it: that is what keeps get and put free of shared writes).
    pub fn trim(&self) {
        let g = self.threads.global();
        g.trim_shared();
        let epoch = g.epoch.load(Relaxed);
        self.threads.with(|slot| {
            if let Some(slot) = slot
                && let Ok(mut caches) = slot.owned().try_borrow_mut()
            {
                for ((class, cache), c) in g
                    .classes()
                    .zip(caches.iter_mut())
                    .zip(slot.shared().counters.iter())
                {
                    class.observe_trim(cache, c, epoch);
                }
            }
        });
    }

    /// Frees every idle item of every class at once, in every thread's
    /// caches and the spills: `&mut self` proves no other thread is using
    /// the engine through it. Freed items count as trimmed. While owned
    /// references ([`EngineRef`]) are out, their threads may be using the
    /// engine, so this does what [`clear_shared`](Self::clear_shared) does.
    pub fn clear(&mut self) {
        let all = self.threads.for_each_owned(|g, caches, published| {
            for ((class, cache), c) in g
                .classes()
                .zip(caches.iter_mut())
                .zip(published.counters.iter())
            {
                class.clear_cache(cache, c);
            }
        });
        if all {
            self.threads.global().clear_spills();
        } else {
            self.clear_shared();
        }
    }

    /// [`clear`](Self::clear) through a shared reference: the spills and
    /// this thread's caches are freed now; every other thread's caches
    /// free all they hold at that thread's next get or put (two trim
    /// epochs pass at once).
    pub fn clear_shared(&self) {
        self.threads.global().trim_shared();
        self.trim();
        self.threads.global().clear_spills();
    }

    /// Threads that hold caches now (they used the engine and have not
    /// exited).
    pub fn threads(&self) -> usize {
        self.threads.threads()
    }

    /// The limits `class` was built with.
    ///
    /// # Panics
    ///
    /// If `class` is not below [`classes`](Self::classes).
    pub fn limits(&self, class: usize) -> ClassLimits {
        self.threads.global().class(class).limits()
    }
}

/// A counted reference to an [`Engine`] that outlives it: what an owned
/// guard holds instead of an `Arc` of its pool. Made by
/// [`Engine::take_anchored`] and its siblings; it keeps the engine's
/// memory (classes, spills, every thread's cache, [`extra`](Self::extra))
/// alive until it is consumed ([`put`](Self::put), [`count`](Self::count))
/// or dropped, on any thread, and the last one frees the engine if the
/// engine itself is gone. Taking and releasing one writes only the calling
/// thread's slot; see [the notes](crate::implementation#owned-references-counted-per-thread).
///
/// # Examples
///
/// ```
/// use pool_engine::{ClassLimits, Engine, Entry, OnlyClass};
///
/// let engine: Engine<Vec<u8>> =
///     Engine::new(vec![(ClassLimits::default(), Box::new(Vec::new))], None, None)?;
/// let (mut item, held) = engine.take_anchored(OnlyClass);
/// drop(engine); // the handle goes; `held` keeps the caches alive
/// item.push(1);
/// let kept = std::thread::spawn(move || held.put(OnlyClass, item, Entry::Returned))
///     .join()
///     .unwrap();
/// assert!(kept, "given back to a live cache; the engine is freed just after");
/// # Ok::<(), pool_core::PoolError>(())
/// ```
pub struct EngineRef<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static = (),
    Extra: Send + Sync + 'static = (),
    const INLINE: usize = 0,
> {
    r: PerThreadRef<EngineState<T, Notes, Extra, INLINE>>,
}

impl<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static,
    Extra: Send + Sync + 'static,
    const INLINE: usize,
> EngineRef<T, Notes, Extra, INLINE>
{
    /// [`Engine::put`], then the reference is released, in one
    /// thread-local access.
    ///
    /// # Panics
    ///
    /// As [`Engine::put`] (the reference is released all the same).
    #[inline]
    pub fn put(self, class: impl ClassIndex, item: T, entry: Entry) -> bool {
        self.r
            .release_with(|g, slot| g.put_in(slot, class, item, entry))
    }

    /// [`Engine::count`], then the reference is released.
    ///
    /// # Panics
    ///
    /// As [`Engine::count`] (the reference is released all the same).
    pub fn count(self, class: impl ClassIndex, which: fn(&Counters) -> &Counter) {
        self.r
            .release_with(|g, slot| g.count_in(slot, class, which));
    }

    /// The engine's [`extra`](Engine::extra).
    #[inline]
    pub fn extra(&self) -> &Extra {
        &self.r.global().extra
    }
}

impl<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static,
    Extra: Send + Sync + 'static,
    const INLINE: usize,
> fmt::Debug for EngineRef<T, Notes, Extra, INLINE>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineRef").finish_non_exhaustive()
    }
}

impl<
    T: Reset + Send + 'static,
    Notes: Default + Send + Sync + 'static,
    Extra: Send + Sync + 'static,
    const INLINE: usize,
> fmt::Debug for Engine<T, Notes, Extra, INLINE>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.threads.global();
        f.debug_struct("Engine")
            .field(
                "classes",
                &g.classes().map(|c| c.limits()).collect::<Vec<_>>(),
            )
            .field("byte_cap", &g.budget.as_ref().map(|b| b.cap))
            .field("threads", &self.threads.threads())
            .finish_non_exhaustive()
    }
}
