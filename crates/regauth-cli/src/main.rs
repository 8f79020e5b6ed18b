//! `regauth`: the command-line shell around regauth-core. Reads files, prints, sets exit
//! codes; all analysis happens in the core.
//!
//! Exit codes: 0 = done, nothing failed; 1 = a failure was found or an assertion failed;
//! 2 = regauth could not run (bad arguments), or a named input could not be used: it cannot be
//! read, is no capture, or yields no exchange. With several inputs the usable ones are still
//! read and reported on (so a CI log shows what was there), and the run exits 2. An input read
//! only in part (cut short, a limit reached) is not an error: its problems are warnings and
//! become a `capture-incomplete` finding. A closed pipe (`regauth analyze … | head`) does not
//! change the exit code: `analyze`, `check` and `exchanges` still exit with their verdict (or 2
//! for an unusable input); other commands exit 0.

mod allocator;
mod analyze;
mod args;
mod check;
mod config;
mod diagram;
mod exchanges;
mod input;
mod mapped;
mod output;
mod progress;
mod redact;
mod tls;
mod token;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

use args::{Cli, Command};

/// What a command asks `main` to exit with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    Failure,
    Error,
}

fn main() -> ExitCode {
    allocator::tune();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Exchanges(args) => exchanges::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Check(args) => check::run(args),
        Command::Token(args) => token::run(args),
        Command::Explain(args) => analyze::explain(args),
        Command::Config(args) => config::run(args),
        Command::Tls(args) => tls::run(args),
        Command::Redact(args) => redact::run(args),
        Command::Diagram(args) => diagram::run(args),
    };
    progress::finish();
    match result {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Failure) => ExitCode::from(1),
        Ok(Status::Error) => ExitCode::from(2),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            report_error(&err);
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints the error once, with one `cause:` line per link of the chain (ruff's style).
fn report_error(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "regauth: {}", for_stderr(&err.to_string()));
    for cause in err.chain().skip(1) {
        let _ = writeln!(stderr, "  cause: {}", for_stderr(&cause.to_string()));
    }
}

/// Leaves `value` unfreed: for the capture and the reports a command built, once its output
/// is written and the process is about to exit. Freeing hundreds of thousands of exchanges
/// (each with its header vectors and strings) takes a sizeable share of a run on a large
/// capture, and the operating system takes the whole address space back at exit anyway.
/// Only for values held until the end of `main`'s command; nothing else is skipped (output
/// is flushed before, and these values own no file or lock).
pub fn skip_teardown<T>(value: T) {
    std::mem::forget(value);
}

/// A message for stderr: errors quote capture strings (host names, URLs, recorder errors), so
/// credentials in URLs are masked and control/bidi characters shown escaped. Always masked:
/// an error never needs a secret.
pub fn for_stderr(message: &str) -> String {
    regauth_core::display::safe(&regauth_core::secret::mask_url_secrets(message)).into_owned()
}
