//! Statistics for the monitoring users already run: a pool's snapshot
//! published to the [`metrics`] facade when asked (at a scrape, or on a
//! timer), as deadpool's and bb8's users poll a status. Nothing is added
//! to get or put: the figures are the ones [`Stats`] already sums.
//!
//! Every metric carries the label `pool` (the name given), plus the labels
//! passed (a size class, say). Counters are `_total`, set to the
//! snapshot's absolute value; levels are gauges:
//!
//! | metric | kind | what |
//! |---|---|---|
//! | `pool_gets_total`, `pool_hits_total`, `pool_misses_total` | counter | items handed out; from an idle item; made by the factory |
//! | `pool_returns_total`, `pool_detached_total`, `pool_trimmed_total` | counter | kept on return; taken out for good; idle ones freed by trims |
//! | `pool_discarded_total` | counter | dropped on return, label `reason` |
//! | `pool_waits_total`, `pool_wait_timeouts_total` | counter | acquires that waited (bounded pools), those that timed out |
//! | `pool_wait_seconds` | gauge | time spent waiting so far (a gauge: `metrics` counters are whole numbers, and Prometheus keeps `_total` for counters) |
//! | `pool_outstanding`, `pool_retained_items`, `pool_retained_bytes`, `pool_hit_ratio` | gauge | out now; idle now; their heap bytes; hits / gets |
//! | `pool_idle_items`, `pool_idle_bytes` | gauge | idle items and their heap bytes by `place` (`thread_caches`, `spill`, `reserve`): [`publish_memory`] |
//!
//! # A Prometheus scrape
//!
//! With `metrics-exporter-prometheus` as the recorder, a scrape handler
//! publishes the pools, then renders:
//!
//! ```
//! use metrics_exporter_prometheus::PrometheusBuilder;
//! use pool_core::{Stats, metrics::publish};
//!
//! let recorder = PrometheusBuilder::new().build_recorder();
//! let handle = recorder.handle();
//! // In a service: `recorder.install()` once, then in the handler of
//! // GET /metrics: publish every pool, and answer with `handle.render()`.
//! # let stats = { let mut s = Stats::default(); (s.gets, s.hits, s.misses) = (10, 9, 1); s };
//! metrics::with_local_recorder(&recorder, || publish("frames", &[], &stats));
//! let body = handle.render();
//! assert!(body.contains(r#"pool_gets_total{pool="frames"} 10"#), "{body}");
//! assert!(body.contains(r#"pool_hit_ratio{pool="frames"} 0.9"#), "{body}");
//! ```

use metrics::{Label, counter, gauge};

use crate::memory::Memory;
use crate::pool::Pool;
use crate::stats::Stats;

/// Publishes `stats` under `pool = name`, with `labels` added to every
/// metric; see the [module](self) for the metrics.
pub fn publish(name: &str, labels: &[(&'static str, String)], stats: &Stats) {
    let mut base: Vec<Label> = vec![Label::new("pool", name.to_owned())];
    base.extend(labels.iter().map(|(k, v)| Label::new(*k, v.clone())));
    let l = || base.clone();
    counter!("pool_gets_total", l()).absolute(stats.gets);
    counter!("pool_hits_total", l()).absolute(stats.hits);
    counter!("pool_misses_total", l()).absolute(stats.misses);
    counter!("pool_returns_total", l()).absolute(stats.returns);
    counter!("pool_detached_total", l()).absolute(stats.detached);
    counter!("pool_trimmed_total", l()).absolute(stats.trimmed);
    let d = &stats.discarded;
    for (reason, n) in [
        ("too_large", d.too_large),
        ("too_small", d.too_small),
        ("full", d.full),
        ("over_byte_cap", d.over_byte_cap),
        ("panicked", d.panicked),
        ("closed", d.closed),
        ("stale", d.stale),
    ] {
        let mut with_reason = l();
        with_reason.push(Label::new("reason", reason));
        counter!("pool_discarded_total", with_reason).absolute(n);
    }
    let w = &stats.waits;
    counter!("pool_waits_total", l()).absolute(w.waited);
    counter!("pool_wait_timeouts_total", l()).absolute(w.timed_out);
    gauge!("pool_wait_seconds", l()).set(w.wait_ns as f64 / 1e9);
    gauge!("pool_outstanding", l()).set(stats.outstanding as f64);
    gauge!("pool_retained_items", l()).set(stats.retained_items as f64);
    gauge!("pool_retained_bytes", l()).set(stats.retained_bytes as f64);
    gauge!("pool_hit_ratio", l()).set(stats.hit_rate());
}

/// Publishes where a pool's idle items are ([`Memory`]) under
/// `pool = name`, with `labels` added (a size class, say): the gauges
/// `pool_idle_items` and `pool_idle_bytes`, one per `place`
/// (`thread_caches`, `spill`, `reserve`).
///
/// # Examples
///
/// ```
/// use metrics_util::debugging::{DebugValue, DebuggingRecorder};
/// use pool_core::{Held, Memory, metrics::publish_memory};
///
/// let recorder = DebuggingRecorder::new();
/// let snapshots = recorder.snapshotter();
/// let m = Memory::new(Held::new(2, 2048), Held::new(8, 8192), Held::default());
/// metrics::with_local_recorder(&recorder, || publish_memory("frames", &[], &m));
/// let spill = snapshots.snapshot().into_vec().into_iter().find(|(k, ..)| {
///     k.key().name() == "pool_idle_bytes" && k.key().labels().any(|l| l.value() == "spill")
/// });
/// assert_eq!(spill.map(|(.., v)| v), Some(DebugValue::Gauge(8192.0.into())));
/// ```
pub fn publish_memory(name: &str, labels: &[(&'static str, String)], memory: &Memory) {
    for (place, held) in [
        ("thread_caches", memory.thread_caches),
        ("spill", memory.spill),
        ("reserve", memory.reserve),
    ] {
        let mut l: Vec<Label> = vec![Label::new("pool", name.to_owned())];
        l.extend(labels.iter().map(|(k, v)| Label::new(*k, v.clone())));
        l.push(Label::new("place", place));
        gauge!("pool_idle_items", l.clone()).set(held.items as f64);
        gauge!("pool_idle_bytes", l).set(held.bytes as f64);
    }
}

/// Publishes any pool's [`Pool::stats`] under `pool = name`.
///
/// # Examples
///
/// ```
/// # use pool_core::{Pool, PoolError, Pooled, Stats};
/// # struct Fixed;
/// # struct Ticket;
/// # impl pool_core::strategy::Recycle for Fixed {
/// #     type Item = ();
/// #     type Ticket = Ticket;
/// #     type Anchor = std::sync::Arc<Self>;
/// #     fn anchor(self: &std::sync::Arc<Self>) -> std::sync::Arc<Self> { std::sync::Arc::clone(self) }
/// #     fn recycle(&self, _: (), _: Ticket) {}
/// #     fn note_detached(&self, _: Ticket) {}
/// # }
/// #
/// # impl Pool for Fixed {
/// #     fn try_get(&self) -> Result<Pooled<'_, Self>, PoolError> { Ok(Pooled::new((), Ticket, self)) }
/// #     fn stats(&self) -> Stats { let mut s = Stats::default(); s.retained_bytes = 4096; s }
/// # }
/// use metrics_util::debugging::{DebugValue, DebuggingRecorder};
///
/// let recorder = DebuggingRecorder::new();
/// let snapshots = recorder.snapshotter();
/// metrics::with_local_recorder(&recorder, || pool_core::metrics::publish_pool("buffers", &Fixed));
/// let found = snapshots.snapshot().into_vec().into_iter().any(|(key, _, _, value)| {
///     key.key().name() == "pool_retained_bytes" && value == DebugValue::Gauge(4096.0.into())
/// });
/// assert!(found);
/// ```
pub fn publish_pool<P: Pool>(name: &str, pool: &P) {
    publish(name, &[], &pool.stats());
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use std::collections::HashMap;

    /// name + sorted labels -> value
    fn collect(f: impl FnOnce()) -> HashMap<String, DebugValue> {
        let recorder = DebuggingRecorder::new();
        let snapshots = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, f);
        snapshots
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| {
                let mut labels: Vec<String> = key
                    .key()
                    .labels()
                    .map(|l| format!("{}={}", l.key(), l.value()))
                    .collect();
                labels.sort();
                (
                    format!("{}{{{}}}", key.key().name(), labels.join(",")),
                    value,
                )
            })
            .collect()
    }

    #[test]
    fn every_figure_is_published_with_its_labels() {
        let mut s = Stats::default();
        (s.gets, s.hits, s.misses, s.returns, s.outstanding) = (8, 6, 2, 7, 1);
        (s.retained_items, s.retained_bytes) = (3, 3072);
        s.discarded.panicked = 1;
        s.waits = crate::Waits::new(4, 1, 2_000_000_000, 1);
        let m = collect(|| publish("net", &[("class", "1024".into())], &s));
        let c = |n: u64| DebugValue::Counter(n);
        let g = |v: f64| DebugValue::Gauge(v.into());
        assert_eq!(m["pool_gets_total{class=1024,pool=net}"], c(8));
        assert_eq!(m["pool_misses_total{class=1024,pool=net}"], c(2));
        assert_eq!(
            m["pool_discarded_total{class=1024,pool=net,reason=panicked}"],
            c(1)
        );
        assert_eq!(
            m["pool_discarded_total{class=1024,pool=net,reason=full}"],
            c(0)
        );
        assert_eq!(m["pool_waits_total{class=1024,pool=net}"], c(4));
        assert_eq!(m["pool_wait_seconds{class=1024,pool=net}"], g(2.0));
        assert!(
            m.iter()
                .all(|(k, v)| !k.contains("_total") || matches!(v, DebugValue::Counter(_))),
            "every `_total` is a counter"
        );
        assert_eq!(m["pool_retained_bytes{class=1024,pool=net}"], g(3072.0));
        assert_eq!(m["pool_hit_ratio{class=1024,pool=net}"], g(0.75));
        assert_eq!(m["pool_outstanding{class=1024,pool=net}"], g(1.0));
    }

    #[test]
    fn publishing_again_sets_the_new_values() {
        let recorder = DebuggingRecorder::new();
        let snapshots = recorder.snapshotter();
        let mut s = Stats::default();
        (s.gets, s.hits) = (1, 0);
        metrics::with_local_recorder(&recorder, || publish("p", &[], &s));
        s.gets = 5;
        metrics::with_local_recorder(&recorder, || publish("p", &[], &s));
        let gets = snapshots
            .snapshot()
            .into_vec()
            .into_iter()
            .find(|(k, ..)| k.key().name() == "pool_gets_total")
            .map(|(.., v)| v);
        assert_eq!(gets, Some(DebugValue::Counter(5)));
    }
}
