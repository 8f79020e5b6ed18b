//! Project automation, the rust-analyzer way: `cargo xtask <task>`.
//!
//! - `cargo xtask serve`: install what is missing, build the web app and serve it on 127.0.0.1.
//! - `cargo xtask ci`: install what is missing and run the whole test suite (what `.ci/run` runs).
//! - `cargo xtask bench [--sizes 10,200,1000] ...`: regauth's readers side by side with haralyzer,
//!   mitmproxy's `FlowReader` and jq on generated captures; `--criterion` runs the criterion benches.
//! - `cargo xtask fuzz [--seconds N] [TARGET...]`: run the cargo-fuzz targets (nightly; not in CI).
//!
//! Everything it installs comes from the package registries (apt, crates.io, npm); nothing is
//! downloaded at build time from anywhere else.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "xtask reports progress to the developer"
)]

mod bench;
mod ci;
mod fuzz;
mod tidy;
mod tools;
mod wasm_env;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("serve") => ci::serve(&args[1..]),
        Some("web") => ci::web(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("install-tools") => tools::ensure_all(&project_root()).map(|_| ()),
        _ => {
            eprintln!(
                "usage: cargo xtask <ci|web|serve|bench|fuzz|install-tools>\n\n  ci             run the whole test suite (installs what it needs)\n  web            only ci's web steps (wasm clippy, trunk build, browser tests) in the detected\n                 wasm mode (WASM_MODE_FORCE=debian|rustup picks one)\n  serve          build the web app and serve it on http://127.0.0.1:8080\n  bench          [--sizes 10,200,1000] readers vs haralyzer, FlowReader, jq (--help; --criterion)\n  fuzz           [--seconds N] [TARGET...] run the fuzz targets (nightly, cargo-fuzz)\n  install-tools  only install the build and test tools"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask failed: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  cause: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
