//! Reads a generated ≥ 200 MB body-heavy HAR once and reports the time and peak memory.
//!
//!   cargo run --release -p regauth-core --example har_peak_memory [MB]
//!
//! Peak memory is `VmHWM` from /proc/self/status (Linux), printed before and after the read,
//! so the reader's own share is the difference.
#![expect(clippy::print_stdout, reason = "an example reports to its terminal")]
#![allow(clippy::disallowed_methods, reason = "an example may read /proc and the clock")]

#[path = "../benches/har_corpus/mod.rs"]
mod har_corpus;

use regauth_core::capture::{self, Input};

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let megabytes: usize = std::env::args().nth(1).and_then(|arg| arg.parse().ok()).unwrap_or(200);
    let har = bytes::Bytes::from(har_corpus::body_heavy(megabytes * 1_000_000));
    let before = vm_hwm_kib();
    let started = std::time::Instant::now();
    let (capture, errors) = capture::read(&[Input::new("body-heavy.har", har.clone())]);
    let elapsed = started.elapsed();
    let after = vm_hwm_kib();
    assert!(errors.is_empty(), "{errors:?}");
    println!(
        "input {:.1} MB, {} exchanges, {} problems, read in {:.3} s = {:.2} GB/s",
        har.len() as f64 / 1e6,
        capture.exchanges.len(),
        capture.problems.len(),
        elapsed.as_secs_f64(),
        har.len() as f64 / elapsed.as_secs_f64() / 1e9
    );
    println!(
        "VmHWM before read {:.1} MB, after read {:.1} MB, reader's share {:.1} MB ({:.1}% of the input)",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        after.saturating_sub(before) as f64 / 1024.0,
        after.saturating_sub(before) as f64 * 1024.0 / har.len() as f64 * 100.0
    );
}
