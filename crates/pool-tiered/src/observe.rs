//! What a [`TieredPool`] shows of itself: statistics per class, leak
//! sites, metrics, its workload, the recent request lengths and a class
//! calibration from them.

use pool_core::Stats;

use crate::TieredPool;
use crate::stats::{Calibration, ClassStats, TieredStats, calibrate};

impl TieredPool {
    /// Per-class and total statistics, oversize and foreign counts, and
    /// the recent request lengths.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// drop(pool.get(100));
    /// drop(pool.get(100));
    /// let s = pool.stats();
    /// assert_eq!((s.total.gets, s.total.hits, s.classes[0].size), (2, 1, 128));
    /// println!("{s}"); // a table per class
    /// ```
    pub fn stats(&self) -> TieredStats {
        let classes: Vec<ClassStats> = self
            .classes
            .sizes()
            .iter()
            .zip(self.engine.stats_with_memory())
            .map(|(&size, (stats, memory))| ClassStats {
                size,
                stats,
                memory,
            })
            .collect();
        let mut total = Stats::default();
        for c in &classes {
            total += &c.stats;
        }
        TieredStats {
            classes,
            total,
            oversize: self.engine.extra().oversize.get(),
            foreign_kept: self.engine.extra().foreign_kept.get(),
            foreign_dropped: self.engine.extra().foreign_dropped.get(),
            recent_lengths: self.recent_lengths(),
        }
    }

    /// Where the class buffers out now were taken, grouped by call site,
    /// frozen ones included (empty unless the pool was built with
    /// [`leak_tracker`](crate::TieredPoolBuilder::leak_tracker)).
    #[cfg(feature = "leak-sites")]
    pub fn outstanding_sites(&self) -> pool_core::leaks::Outstanding {
        pool_core::strategy::outstanding_sites(self.engine.extra().leaks())
    }

    /// Publishes the statistics to the `metrics` facade (`metrics`
    /// feature): every class's figures under `pool = name` and
    /// `class = <size in bytes>` (the metrics of `pool_core::metrics`,
    /// with where its idle buffers are: `pool_idle_bytes` by `place`), and
    /// `pool_oversize_total`. Call it when scraped; get and put carry
    /// no metrics code.
    ///
    /// # Examples
    ///
    /// ```
    /// use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// drop(pool.get(100));
    /// let recorder = DebuggingRecorder::new();
    /// let snapshots = recorder.snapshotter();
    /// metrics::with_local_recorder(&recorder, || pool.publish_metrics("frames"));
    /// let gets_of_128 = snapshots.snapshot().into_vec().into_iter().find(|(k, ..)| {
    ///     k.key().name() == "pool_gets_total" && k.key().labels().any(|l| l.key() == "class" && l.value() == "128")
    /// });
    /// assert_eq!(gets_of_128.map(|(.., v)| v), Some(DebugValue::Counter(1)));
    /// ```
    #[cfg(feature = "metrics")]
    pub fn publish_metrics(&self, name: &str) {
        let s = self.stats();
        for c in &s.classes {
            let class = [("class", c.size.to_string())];
            pool_core::metrics::publish(name, &class, &c.stats);
            pool_core::metrics::publish_memory(name, &class, &c.memory);
        }
        metrics::counter!("pool_oversize_total", "pool" => name.to_owned()).absolute(s.oversize);
    }

    /// This pool's workload, for `cargo xtask bench --workload FILE`: the
    /// recent request lengths (the last [`RECENT`](Self::RECENT) of each thread) as a
    /// histogram, or, before any was recorded, each class's gets; with
    /// `threads` threads, each holding one buffer at a time (set more with
    /// [`Workload::with_held`](crate::workload::Workload::with_held)).
    /// Save it as JSON (the `serde` feature) and replay it against every
    /// strategy.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// for len in [100, 1500, 100] {
    ///     drop(pool.get(len));
    /// }
    /// let w = pool.workload(8).with_held(2);
    /// w.validate()?;
    /// assert_eq!((w.threads, w.held, w.sizes.len()), (8, 2, 2));
    /// assert_eq!((w.sizes[0].bytes, w.sizes[0].count), (100, 2));
    /// # Ok::<(), pool_tiered::workload::WorkloadError>(())
    /// ```
    #[must_use]
    pub fn workload(&self, threads: usize) -> crate::workload::Workload {
        use crate::workload::Workload;
        let recent = self.recent_lengths();
        if !recent.is_empty() {
            return Workload::from_lengths(&recent, threads);
        }
        let mut w = Workload::new(threads);
        for c in self.stats().classes {
            if c.stats.gets > 0 {
                w = w.with_size(c.size, c.stats.gets);
            }
        }
        w
    }

    /// The recorded request lengths: the last [`RECENT`](Self::RECENT) of each thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// for len in [100, 1500, 100] {
    ///     drop(pool.get(len));
    /// }
    /// assert_eq!(pool.recent_lengths(), [100, 1500, 100]);
    /// ```
    pub fn recent_lengths(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.engine
            .for_each_note(|recent| recent.snapshot(&mut out));
        out
    }

    /// Suggests at most `max_classes` sizes that cover the 95th percentile
    /// of the recorded request lengths with the least wasted capacity, and
    /// compares their waste with the current classes'.
    ///
    /// # Examples
    ///
    /// ```
    /// use pool_tiered::TieredPool;
    ///
    /// let pool = TieredPool::new();
    /// for _ in 0..50 {
    ///     drop(pool.get(1500)); // MTU-sized frames...
    ///     drop(pool.get(9000)); // ...and jumbo frames
    /// }
    /// let c = pool.calibrate(4);
    /// assert_eq!(c.suggested, [1500, 9000]);
    /// assert_eq!(c.waste_suggested, 0);
    /// assert!(c.waste_current > 0, "1500 -> 2048 and 9000 -> 16384 waste");
    /// ```
    pub fn calibrate(&self, max_classes: usize) -> Calibration {
        calibrate(&self.recent_lengths(), max_classes, &self.classes)
    }
}
