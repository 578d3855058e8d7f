//! Per-class statistics, the recent lengths, and class calibration.

use std::fmt;

use pool_core::{Memory, Stats};

use crate::SizeClasses;

/// One class's figures.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ClassStats {
    /// The class's buffer size.
    pub size: usize,
    /// Its pool's statistics.
    pub stats: Stats,
    /// Where its idle buffers are: the threads' caches, the spill and
    /// the reserve of prefilled buffers (its `total()` is the retained
    /// figures of `stats`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub memory: Memory,
}

/// A snapshot of a [`TieredPool`](crate::TieredPool): a table for people
/// (`Display`), a `serde::Serialize` value for machines (the `serde`
/// feature; the Rust counterpart of a Go `BytePool`'s expvar export).
///
/// `total.gets - total.returns - ...` is a Go `BytePool`'s `total_get` vs
/// `total_put` leak check: [`Stats::outstanding`] counts buffers out now.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct TieredStats {
    /// Each class, smallest first.
    pub classes: Vec<ClassStats>,
    /// The sum over the classes.
    pub total: Stats,
    /// Requests over the largest class (allocated exactly, not pooled;
    /// a Go `BytePool`'s `discarded`).
    pub oversize: u64,
    /// Foreign buffers given with `put` and kept.
    pub foreign_kept: u64,
    /// Foreign buffers given with `put` and dropped: they fit no class, or
    /// their class was full or at the byte cap.
    pub foreign_dropped: u64,
    /// Recent request lengths (the last 256 of each thread).
    pub recent_lengths: Vec<usize>,
}

impl fmt::Display for TieredStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>12}",
            "class", "gets", "hits", "misses", "returns", "discarded", "out", "retained B"
        )?;
        for c in self
            .classes
            .iter()
            .filter(|c| c.stats.gets > 0 || c.stats.retained_items > 0)
        {
            let s = &c.stats;
            writeln!(
                f,
                "{:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>12}",
                c.size,
                s.gets,
                s.hits,
                s.misses,
                s.returns,
                s.discarded.total(),
                s.outstanding,
                s.retained_bytes
            )?;
        }
        let t = &self.total;
        writeln!(
            f,
            "{:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>12}",
            "total",
            t.gets,
            t.hits,
            t.misses,
            t.returns,
            t.discarded.total(),
            t.outstanding,
            t.retained_bytes
        )?;
        write!(
            f,
            "hit rate {:.1}%, oversize {}, foreign kept {}, foreign dropped {}",
            t.hit_rate() * 100.0,
            self.oversize,
            self.foreign_kept,
            self.foreign_dropped
        )
    }
}

/// What [`TieredPool::calibrate`](crate::TieredPool::calibrate) found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Calibration {
    /// Recorded lengths looked at.
    pub samples: usize,
    /// Their 95th percentile: the suggested classes cover every length up
    /// to it.
    pub p95: usize,
    /// The suggested sizes, smallest first.
    pub suggested: Vec<usize>,
    /// Bytes of capacity over the requested length, summed over the
    /// samples up to the 95th percentile, with the current classes (a
    /// sample over the largest current class counts as 0: it is allocated
    /// exactly).
    pub waste_current: u64,
    /// The same with the suggested classes.
    pub waste_suggested: u64,
}

impl fmt::Display for Calibration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} samples, p95 {} B; suggested classes {:?}; wasted capacity {} B now, {} B suggested",
            self.samples, self.p95, self.suggested, self.waste_current, self.waste_suggested
        )
    }
}

/// Waste of `classes` on `lengths` (each length to the smallest class that
/// holds it; lengths over the largest count 0).
fn waste(lengths: &[usize], classes: &SizeClasses) -> u64 {
    lengths
        .iter()
        .map(|&l| {
            classes
                .class_of(l)
                .map_or(0, |c| (classes.sizes()[c] - l) as u64)
        })
        .sum()
}

/// Chooses at most `k` sizes among the observed lengths (an optimal set of
/// sizes always sits on observed lengths) minimising the waste of the
/// lengths up to the 95th percentile; dynamic programming over the
/// distinct lengths, `O(k m^2)` for `m` of them (at most 512 after
/// rounding).
pub(crate) fn calibrate(
    lengths: &[usize],
    max_classes: usize,
    current: &SizeClasses,
) -> Calibration {
    let mut sorted: Vec<usize> = lengths.to_vec();
    sorted.sort_unstable();
    let samples = sorted.len();
    if samples == 0 || max_classes == 0 {
        return Calibration {
            samples,
            p95: 0,
            suggested: Vec::new(),
            waste_current: 0,
            waste_suggested: 0,
        };
    }
    let p95 = sorted[(samples * 95).div_ceil(100).saturating_sub(1)];
    let covered: Vec<usize> = sorted.iter().copied().filter(|&l| l <= p95).collect();
    // Distinct values and their counts; round up to 64 B steps when there
    // are too many for the quadratic search.
    let step = if count_distinct(&covered) > 512 {
        64
    } else {
        1
    };
    let mut values: Vec<(usize, u64)> = Vec::new();
    for &l in &covered {
        let v = l.max(1).div_ceil(step) * step;
        match values.last_mut() {
            Some((last, n)) if *last == v => *n += 1,
            _ => values.push((v, 1)),
        }
    }
    let m = values.len();
    let k = max_classes.min(m);
    // cost(i, j): every value in i..=j served by a class of size values[j].
    let prefix_n: Vec<u64> = std::iter::once(0)
        .chain(values.iter().scan(0, |a, v| {
            *a += v.1;
            Some(*a)
        }))
        .collect();
    let prefix_b: Vec<u64> = std::iter::once(0)
        .chain(values.iter().scan(0, |a, v| {
            *a += v.1 * v.0 as u64;
            Some(*a)
        }))
        .collect();
    let cost = |i: usize, j: usize| {
        (prefix_n[j + 1] - prefix_n[i]) * values[j].0 as u64 - (prefix_b[j + 1] - prefix_b[i])
    };
    // best[c][j]: least waste covering values 0..=j with c classes, the
    // last at values[j]; from[c][j]: where that last class's group starts.
    let inf = u64::MAX;
    let mut best = vec![vec![inf; m]; k + 1];
    let mut from = vec![vec![0usize; m]; k + 1];
    for (j, b) in best[1].iter_mut().enumerate() {
        *b = cost(0, j);
    }
    for c in 2..=k {
        for j in 0..m {
            for i in 1..=j {
                if best[c - 1][i - 1] == inf {
                    continue;
                }
                let w = best[c - 1][i - 1] + cost(i, j);
                if w < best[c][j] {
                    best[c][j] = w;
                    from[c][j] = i;
                }
            }
        }
    }
    let (mut c, mut j) = (1, m - 1);
    for cc in 1..=k {
        if best[cc][m - 1] < best[c][m - 1] {
            c = cc;
        }
    }
    let waste_suggested = best[c][m - 1];
    let mut suggested = Vec::with_capacity(c);
    loop {
        suggested.push(values[j].0);
        if c == 1 {
            break;
        }
        let i = from[c][j];
        j = i - 1;
        c -= 1;
    }
    suggested.reverse();
    Calibration {
        samples,
        p95,
        waste_current: waste(&covered, current),
        waste_suggested,
        suggested,
    }
}

fn count_distinct(sorted: &[usize]) -> usize {
    sorted.windows(2).filter(|w| w[0] != w[1]).count() + usize::from(!sorted.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_finds_the_exact_sizes_when_few() {
        let lengths: Vec<usize> = [100, 100, 200, 200, 1000].repeat(20);
        let c = calibrate(&lengths, 3, &SizeClasses::default());
        assert_eq!(c.suggested, [100, 200, 1000]);
        assert_eq!(c.waste_suggested, 0);
        assert_eq!(c.waste_current, 20 * (28 + 28 + 56 + 56 + 24));
    }

    #[test]
    fn calibration_with_fewer_classes_minimises_waste() {
        let lengths = [10, 20, 30, 1000];
        let c = calibrate(&lengths, 2, &SizeClasses::default());
        // {30, 1000}: waste 20 + 10 = 30, the least for two classes
        // covering p95 (= 1000).
        assert_eq!(c.suggested, [30, 1000]);
        assert_eq!(c.waste_suggested, 30);
    }

    #[test]
    fn the_tail_over_p95_is_left_out() {
        let mut lengths = vec![512; 99];
        lengths.push(1 << 20);
        let c = calibrate(&lengths, 4, &SizeClasses::default());
        assert_eq!((c.p95, c.suggested.clone()), (512, vec![512]));
        assert_eq!(
            calibrate(&[], 4, &SizeClasses::default()).suggested,
            Vec::<usize>::new()
        );
    }
}
