//! The rows of a run and their grouping into cases (one table each): what
//! the report, the advice and the targets all read.

use std::collections::BTreeMap;

/// One contender's result in one case.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) scenario: String,
    pub(crate) size_label: String,
    pub(crate) size: usize,
    pub(crate) threads: usize,
    pub(crate) contender: String,
    pub(crate) ns: f64,
    /// Criterion's confidence interval of that median (lower, upper):
    /// where two rows' intervals overlap, their difference is noise.
    pub(crate) ns_range: (f64, f64),
    /// Bytes the pool reported retaining after the benchmark, where it
    /// reports them and the scenario records them (pipeline).
    pub(crate) retained: Option<u64>,
    /// The fraction of buffers that came back to the thread that took
    /// them last, where the scenario counts it (pipeline).
    pub(crate) home: Option<f64>,
    /// One-thread ratios of this contender's time to others', timed again
    /// with the two loops in alternation (`pool_benches::interleaved`).
    pub(crate) paired: Vec<Paired>,
    /// Instructions per op, counted by callgrind, where the run counted
    /// them (one thread).
    pub(crate) instructions: Option<f64>,
}

/// A ratio of a row's contender to another, timed in alternation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Paired {
    /// The other contender (or `above:<name>`, see `table::above`).
    pub(crate) vs: String,
    /// The median round's ratio.
    pub(crate) ratio: f64,
    /// The spread of the middle rounds (lower, upper).
    pub(crate) spread: (f64, f64),
}

impl Row {
    /// Operations per second over all threads, in millions.
    pub(crate) fn mops(&self) -> f64 {
        // Threads and replay time each thread's operations; the others
        // time every buffer over all threads.
        let parallel = if matches!(self.scenario.as_str(), "threads" | "replay") {
            self.threads
        } else {
            1
        };
        parallel as f64 * 1e3 / self.ns
    }
}

pub(crate) fn scenario_rank(s: &str) -> usize {
    crate::table::SCENARIOS
        .iter()
        .position(|x| *x == s)
        .unwrap_or(usize::MAX)
}

/// A case: scenario rank, size, threads and size label.
pub(crate) type Case = (usize, usize, usize, String);

/// The rows grouped by case (one table each), fastest first.
pub(crate) fn group_cases(rows: impl IntoIterator<Item = Row>) -> BTreeMap<Case, Vec<Row>> {
    let mut cases: BTreeMap<Case, Vec<Row>> = BTreeMap::new();
    for r in rows {
        cases.entry(case_key(&r)).or_default().push(r);
    }
    for list in cases.values_mut() {
        list.sort_by(|a, b| a.ns.total_cmp(&b.ns));
    }
    cases
}

pub(crate) fn case_key(r: &Row) -> Case {
    (
        scenario_rank(&r.scenario),
        r.size,
        r.threads,
        r.size_label.clone(),
    )
}

/// The table of `scenario` at `size` and `threads`, if measured.
pub(crate) fn find<'a>(
    cases: &'a BTreeMap<Case, Vec<Row>>,
    scenario: &str,
    size: usize,
    threads: usize,
) -> Option<&'a Vec<Row>> {
    cases
        .iter()
        .find(|(k, v)| k.1 == size && k.2 == threads && v[0].scenario == scenario)
        .map(|(_, v)| v)
}

/// A result row for tests (4 KiB or 64 KiB buffers).
#[cfg(test)]
pub(crate) fn row(scenario: &str, size: usize, threads: usize, contender: &str, ns: f64) -> Row {
    Row {
        scenario: scenario.into(),
        size_label: if size == 4096 {
            "4KiB".into()
        } else {
            "64KiB".into()
        },
        size,
        threads,
        contender: contender.into(),
        ns,
        ns_range: (ns, ns),
        retained: None,
        home: None,
        paired: Vec::new(),
        instructions: None,
    }
}
