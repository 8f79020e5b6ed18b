//! Writes a generated capture to a file, for `cargo xtask bench` and for profiling:
//!
//!   cargo run --release -p regauth-core --example bench_corpus -- FORMAT SHAPE MB PATH
//!
//! FORMAT is `har` or `flow`, SHAPE `body` (few entries, large bodies) or `header` (many
//! small entries with 30 headers each); the file holds at least MB × 10⁶ bytes. The bytes
//! are the same on every run (the generators are seeded), the ones the criterion benches read.
#![allow(clippy::disallowed_methods, reason = "an example may write files")]

#[path = "../benches/flow_corpus/mod.rs"]
mod flow_corpus;
#[path = "../benches/har_corpus/mod.rs"]
mod har_corpus;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [format, shape, megabytes, path] = args.as_slice() else {
        return usage();
    };
    let Ok(megabytes) = megabytes.parse::<f64>() else { return usage() };
    let min_bytes = (megabytes * 1e6) as usize;
    let bytes = match (format.as_str(), shape.as_str()) {
        ("har", "body") => har_corpus::body_heavy(min_bytes),
        ("har", "header") => har_corpus::header_heavy_bytes(min_bytes),
        ("flow", "body") => flow_corpus::body_heavy(min_bytes),
        ("flow", "header") => flow_corpus::header_heavy(min_bytes),
        _ => return usage(),
    };
    match std::fs::write(path, bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            #[expect(clippy::print_stderr, reason = "an example reports to its terminal")]
            {
                eprintln!("bench_corpus: cannot write {path}: {err}");
            }
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    #[expect(clippy::print_stderr, reason = "an example reports to its terminal")]
    {
        eprintln!("usage: bench_corpus har|flow body|header MB PATH");
    }
    ExitCode::from(2)
}
