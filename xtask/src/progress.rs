//! One line per benchmark while the benches run (`[k/N] id, elapsed,
//! estimated time left`), criterion's own output only with `--verbose`
//! (and whenever a bench target fails).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Counts the benchmarks listed and run.
#[derive(Debug)]
pub(crate) struct Progress {
    verbose: bool,
    total: usize,
    done: usize,
    started: Option<Instant>,
}

/// The benchmark ids in the output of a criterion bench run with `--list`.
pub(crate) fn listed(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": benchmark"))
        .collect()
}

/// The id a criterion progress line starts, if it starts one
/// (`Benchmarking <id>` without a `: phase` after it).
pub(crate) fn started_id(line: &str) -> Option<&str> {
    line.strip_prefix("Benchmarking ")
        .filter(|rest| !rest.contains(": "))
}

/// `95` -> `1 min 35 s`.
pub(crate) fn duration_words(secs: f64) -> String {
    let secs = secs.max(0.0).round() as u64;
    if secs >= 60 {
        format!("{} min {:02} s", secs / 60, secs % 60)
    } else {
        format!("{secs} s")
    }
}

impl Progress {
    pub(crate) fn new(verbose: bool) -> Self {
        Progress {
            verbose,
            total: 0,
            done: 0,
            started: None,
        }
    }

    /// Runs `cmd` (a bench with `--list`) and counts the benchmarks it
    /// lists.
    pub(crate) fn add_listed(&mut self, cmd: &mut Command) -> Result<(), String> {
        let out = cmd
            .output()
            .map_err(|e| format!("listing the benchmarks: {e}"))?;
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            return Err(format!("listing the benchmarks failed ({})", out.status));
        }
        self.total += listed(&String::from_utf8_lossy(&out.stdout)).len();
        Ok(())
    }

    fn line(&mut self, id: &str) {
        let started = *self.started.get_or_insert_with(Instant::now);
        self.done += 1;
        self.total = self.total.max(self.done);
        let elapsed = started.elapsed().as_secs_f64();
        // The benchmarks before this one took `elapsed`: the same pace for
        // the rest.
        let left = if self.done > 1 {
            format!(
                ", ~{} left",
                duration_words(
                    elapsed / (self.done - 1) as f64 * (self.total - self.done + 1) as f64
                )
            )
        } else {
            String::new()
        };
        eprintln!(
            "[{}/{}] {id} ({}{left})",
            self.done,
            self.total,
            duration_words(elapsed)
        );
    }

    /// Runs one bench target: criterion's output as it is with
    /// `--verbose`, else a line per benchmark (and the output's last lines
    /// if it fails).
    pub(crate) fn run(&mut self, mut cmd: Command, what: &str) -> Result<(), String> {
        if self.verbose {
            return crate::run(cmd, what);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{what}: could not start: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        // Criterion's results go to stdout: kept for a failure's message.
        let results = std::thread::spawn(move || {
            let mut tail = VecDeque::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tail.len() == 40 {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
            tail
        });
        let mut tail = VecDeque::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(id) = started_id(&line) {
                self.line(id);
            } else if let Some(name) = line.strip_prefix("burst: ") {
                eprintln!("[burst] {name}");
            }
            if tail.len() == 40 {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        let status = child.wait().map_err(|e| format!("{what}: {e}"))?;
        let results = results.join().unwrap_or_default();
        if status.success() {
            Ok(())
        } else {
            for line in results.iter().chain(&tail) {
                eprintln!("{line}");
            }
            Err(format!("{what} failed ({status})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_lines() {
        let list = "single/4KiB/1t/pool-local: benchmark\nGnuplot not found\nmixed/64B-1MiB/1t/zeropool: benchmark\n";
        assert_eq!(
            listed(list),
            ["single/4KiB/1t/pool-local", "mixed/64B-1MiB/1t/zeropool"]
        );
        assert_eq!(
            started_id("Benchmarking pipeline/4KiB/2t/pool-ring"),
            Some("pipeline/4KiB/2t/pool-ring")
        );
        assert_eq!(
            started_id("Benchmarking pipeline/4KiB/2t/pool-ring: Warming up for 100.00 ms"),
            None
        );
        assert_eq!(started_id("pipeline/4KiB/2t/pool-ring"), None);
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(0.4), "0 s");
        assert_eq!(duration_words(59.6), "1 min 00 s");
        assert_eq!(duration_words(95.0), "1 min 35 s");
        assert_eq!(duration_words(-3.0), "0 s");
    }
}
