//! Reads capture files with `capture::read` and prints how many exchanges they hold: the
//! reader alone, without the CLI's analysis or rendering, for profiling and timing.
//!
//!   cargo run --release -p regauth-cli --example read_capture -- [--repeat N] [--threads N] [--list] FILE...
//!   valgrind --tool=callgrind target/release/examples/read_capture FILE
//!
//! With `--list` it also prints the method, URL (secrets masked, control characters escaped)
//! and status of every exchange, one line each: what `cargo xtask bench` times against other
//! tools that load the same file and list its entries.
//!
//! Files are loaded as the CLI loads them (the CLI's own `mapped.rs`: large regular files
//! mapped, others read) before the reader starts, so a profile shows the reader (and the
//! merge) and little else; like the CLI, it leaves the capture unfreed at exit. With
//! `--threads N` the reader uses N threads (default: one per CPU, as the CLI). With
//! `--repeat N` the read runs N times and the example prints the median and best wall-clock
//! and CPU time per read (of all the process's threads, from /proc/self/stat in 10 ms ticks;
//! a loaded machine inflates it much less than wall-clock).
#![expect(clippy::print_stdout, reason = "an example reports to its terminal")]
#![allow(clippy::disallowed_methods, reason = "an example may read files and the clock")]

use std::io::Write as _;
use std::time::{Duration, Instant};

use regauth_core::capture::{self, Input};
use regauth_core::display::Safe;
use regauth_core::secret::mask_url_secrets;

#[path = "../src/mapped.rs"]
mod mapped;

/// CPU time of this process so far, all its threads, exited ones included (Linux
/// `/proc/self/stat` utime + stime, in clock ticks of 10 ms), or zero where that is unknown.
fn process_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 =
        after_name.split_whitespace().skip(11).take(2).filter_map(|n| n.parse::<u64>().ok()).sum();
    Duration::from_millis(ticks * 10)
}

fn main() -> std::io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeat = 1usize;
    let mut list = false;
    // As the CLI: one reader thread per CPU unless told otherwise.
    let mut threads = std::thread::available_parallelism().map_or(1, usize::from);
    loop {
        match args.first().map(String::as_str) {
            Some("--repeat") => {
                repeat = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1).max(1);
                args.drain(..2.min(args.len()));
            }
            Some("--threads") => {
                threads = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1).max(1);
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
        let bytes = mapped::read_file(path.as_ref())?;
        inputs.push(Input::new(path, bytes));
    }
    let n_bytes: usize = inputs.iter().map(|input| input.bytes.len()).sum();
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..repeat {
        let (cpu_before, wall_before) = (process_cpu_time(), Instant::now());
        let limits = capture::ReadLimits { max_threads: threads, ..capture::ReadLimits::DEFAULT };
        let (capture, errors) = capture::read_with(&inputs, &limits);
        let (wall, cpu) = (wall_before.elapsed(), process_cpu_time().saturating_sub(cpu_before));
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
        if walls.len() == repeat {
            // As the CLI does (`skip_teardown`): the process ends next, freeing is wasted work.
            std::mem::forget(capture);
        }
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
