//! Instructions per op, counted by callgrind: a figure that does not move
//! with the machine's load, for the one-thread scenarios. The `pool-count`
//! binary runs one contender's loop a given number of times; callgrind
//! counts the instructions of two runs of different lengths, and their
//! difference over the difference in ops is what one op executes (the
//! start-up, the pool's construction and the warm-up cancel out).

use std::path::Path;
use std::process::Command;

/// Ops in the shorter of the two runs.
pub const SHORT: u64 = 20_000;
/// Ops in the longer of the two runs.
pub const LONG: u64 = 60_000;

/// Whether valgrind runs here; `Err` says how to get it.
///
/// # Errors
///
/// When `valgrind --version` does not run: a message naming the package.
pub fn available() -> Result<(), String> {
    match Command::new("valgrind").arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        _ => Err("valgrind is not installed: `apt-get install valgrind` (Debian, Ubuntu) or your system's package adds the instruction counts".into()),
    }
}

/// The instructions one op of `contender` in `scenario` at `size` bytes
/// executes, as `bin` (the `pool-count` binary) runs it.
///
/// # Errors
///
/// When valgrind or the binary fails, or its output has no count (the
/// message says which).
pub fn per_op(bin: &Path, scenario: &str, contender: &str, size: usize) -> Result<f64, String> {
    // An op that writes the whole buffer executes thousands of
    // instructions: a tenth of the ops count it as exactly, in a tenth of
    // the time under valgrind.
    let (short, long) = if scenario == "fill" {
        (SHORT / 10, LONG / 10)
    } else {
        (SHORT, LONG)
    };
    let short_count = collected(bin, scenario, contender, size, short)?;
    let long_count = collected(bin, scenario, contender, size, long)?;
    Ok(long_count.saturating_sub(short_count) as f64 / (long - short) as f64)
}

/// The instructions of one whole run of `ops` ops, from callgrind's
/// `Collected :` line.
fn collected(
    bin: &Path,
    scenario: &str,
    contender: &str,
    size: usize,
    ops: u64,
) -> Result<u64, String> {
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(bin)
        .args([scenario, contender, &size.to_string(), &ops.to_string()])
        .output()
        .map_err(|e| format!("valgrind: {e}"))?;
    let text = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "{scenario}/{contender}: the count run failed: {}",
            text.lines().last().unwrap_or_default()
        ));
    }
    parse_collected(&text)
        .ok_or_else(|| format!("{scenario}/{contender}: no `Collected` line in valgrind's output"))
}

/// The count of callgrind's `==pid== Collected : N` line.
#[must_use]
pub fn parse_collected(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|l| {
        let (_, rest) = l.split_once("Collected :")?;
        rest.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_read_from_callgrinds_summary() {
        let text = "==12== Events    : Ir\n==12== Collected : 1234567\n==12==\n==12== I   refs:      1,234,567\n";
        assert_eq!(parse_collected(text), Some(1_234_567));
        assert_eq!(parse_collected("==1== nothing here"), None);
    }
}
