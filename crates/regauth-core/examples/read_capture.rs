//! Reads capture files with `capture::read` and prints how many exchanges they hold: the
//! reader alone, without the CLI's analysis or rendering, for profiling and timing.
//!
//!   cargo run --release -p regauth-core --example read_capture -- [--repeat N] [--list] FILE...
//!   valgrind --tool=callgrind target/release/examples/read_capture FILE
//!
//! With `--list` it also prints the method, URL (secrets masked, control characters escaped)
//! and status of every exchange, one line each: what `cargo xtask bench` times against other
//! tools that load the same file and list its entries.
//!
//! The files are read into memory before the reader starts, as the CLI does, so a profile
//! shows only the reader (and the merge). With `--repeat N` the read runs N times and the
//! example prints the median and best wall-clock and on-CPU time per read (on-CPU time from
//! /proc/thread-self/schedstat, so a loaded machine inflates it much less than wall-clock).
#![expect(clippy::print_stdout, reason = "an example reports to its terminal")]
#![allow(clippy::disallowed_methods, reason = "an example may read files and the clock")]

use std::io::Write as _;
use std::time::{Duration, Instant};

use regauth_core::capture::{self, Input};
use regauth_core::display::Safe;
use regauth_core::secret::mask_url_secrets;

/// Nanoseconds this thread has spent on a CPU (Linux), or zero where that is unknown.
fn thread_cpu_time() -> Duration {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = schedstat.split_whitespace().next().and_then(|ns| ns.parse().ok()).unwrap_or(0);
    Duration::from_nanos(nanos)
}

fn main() -> std::io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeat = 1usize;
    let mut list = false;
    loop {
        match args.first().map(String::as_str) {
            Some("--repeat") => {
                repeat = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1).max(1);
                args.drain(..2.min(args.len()));
            }
            Some("--list") => {
                list = true;
                args.remove(0);
            }
            _ => break,
        }
    }
    let mut inputs = Vec::new();
    for path in args {
        let bytes = std::fs::read(&path)?;
        inputs.push(Input::new(path, bytes));
    }
    let n_bytes: usize = inputs.iter().map(|input| input.bytes.len()).sum();
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..repeat {
        let (cpu_before, wall_before) = (thread_cpu_time(), Instant::now());
        let (capture, errors) = capture::read(&inputs);
        let (wall, cpu) = (wall_before.elapsed(), thread_cpu_time().saturating_sub(cpu_before));
        if walls.is_empty() {
            if list {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                for exchange in &capture.exchanges {
                    let url = exchange.request.url();
                    let status = exchange.response.as_ref().map(|response| response.status);
                    writeln!(
                        out,
                        "{} {} {}",
                        Safe(&exchange.request.method),
                        Safe(&mask_url_secrets(&url)),
                        status.unwrap_or(0)
                    )?;
                }
                out.flush()?;
            } else {
                println!(
                    "{} exchanges, {} problems, {} errors",
                    capture.exchanges.len(),
                    capture.problems.len(),
                    errors.len()
                );
            }
        }
        walls.push(wall);
        cpus.push(cpu);
    }
    if repeat > 1 {
        walls.sort();
        cpus.sort();
        let rate = |time: Duration| n_bytes as f64 / time.as_secs_f64() / 1e6;
        let (wall, cpu) = (walls[repeat / 2], cpus[repeat / 2]);
        println!(
            "{repeat} reads of {:.1} MB: median {:.1} ms wall ({:.0} MB/s), {:.1} ms on CPU ({:.0} MB/s); best {:.1} ms wall, {:.1} ms on CPU",
            n_bytes as f64 / 1e6,
            wall.as_secs_f64() * 1e3,
            rate(wall),
            cpu.as_secs_f64() * 1e3,
            rate(cpu),
            walls[0].as_secs_f64() * 1e3,
            cpus[0].as_secs_f64() * 1e3,
        );
    }
    Ok(())
}
