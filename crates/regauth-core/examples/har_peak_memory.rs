//! Reads a generated ≥ 200 MB body-heavy HAR once and reports the time and peak memory.
//!
//!   cargo run --release -p regauth-core --example har_peak_memory [MB] [har-crate]
//!
//! `MB` 0 reads the header-heavy corpus instead of a body-heavy one.
//!
//! Peak memory is `VmHWM` from /proc/self/status (Linux), taken before and after the read,
//! so the reader's own share is the difference. With `har-crate`, the `har` crate parses
//! the same bytes instead, for comparison (run it as a separate process: VmHWM only grows).
#![expect(clippy::print_stdout, reason = "an example reports to its terminal")]
#![allow(clippy::disallowed_methods, reason = "an example may read /proc and the clock")]

#[path = "../benches/har_corpus/mod.rs"]
mod har_corpus;

use regauth_core::capture::{self, Input};

fn vm_hwm_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kib as f64 / 1024.0
}

fn main() {
    let megabytes: usize = std::env::args().nth(1).and_then(|arg| arg.parse().ok()).unwrap_or(200);
    let use_har_crate = std::env::args().nth(2).is_some_and(|arg| arg == "har-crate");
    // `0` MB: the header-heavy corpus (44,000 entries x 30 headers) instead.
    let har = bytes::Bytes::from(if megabytes == 0 {
        har_corpus::header_heavy(44_000)
    } else {
        har_corpus::body_heavy(megabytes * 1_000_000)
    });
    let before = vm_hwm_mib();
    let started = std::time::Instant::now();
    let summary = if use_har_crate {
        let parsed = har::from_slice(&har).map_err(|err| err.to_string());
        let elapsed = started.elapsed();
        let entries = match &parsed {
            Ok(har::Har { log: har::Spec::V1_2(log) }) => log.entries.len(),
            _ => 0,
        };
        (format!("har crate: {entries} entries"), elapsed)
    } else {
        let (capture, errors) = capture::read(&[Input::new("body-heavy.har", har.clone())]);
        let elapsed = started.elapsed();
        assert!(errors.is_empty(), "{errors:?}");
        (
            format!(
                "regauth: {} exchanges, {} problems",
                capture.exchanges.len(),
                capture.problems.len()
            ),
            elapsed,
        )
    };
    let after = vm_hwm_mib();
    let (what, elapsed) = summary;
    println!(
        "{what}; input {:.1} MB ({:.1} MiB) read in {:.3} s = {:.2} GB/s",
        har.len() as f64 / 1e6,
        har.len() as f64 / 1048576.0,
        elapsed.as_secs_f64(),
        har.len() as f64 / elapsed.as_secs_f64() / 1e9
    );
    println!(
        "VmHWM before read {before:.1} MiB, after {after:.1} MiB: the read added {:.1} MiB ({:.1}% of the input)",
        after - before,
        (after - before) * 1048576.0 / har.len() as f64 * 100.0
    );
}
