//! `regauth`: the command-line shell around regauth-core. Reads files, prints, sets exit codes;
//! all analysis happens in the core.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Explain what happened when a container client authenticated to an image registry.
///
/// Feed it a recorded session (HAR from a browser, mitmproxy, Charles, Playwright..., or a
/// mitmproxy flow file) and it rebuilds the token-auth sequence per registry and repository,
/// marks the step that failed and says why.
#[derive(Debug, Parser)]
#[command(name = "regauth", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the HTTP exchanges read from captures (planned).
    Exchanges,
    /// Rebuild the auth sessions, findings, clocks and tokens of captures (planned).
    Analyze,
    /// Assert properties of recorded sessions for CI; exit 0 pass, 1 fail, 2 cannot run (planned).
    Check,
    /// Decode and verify one registry token (planned).
    Token,
    /// Write a copy of a capture with secrets removed (planned).
    Redact,
    /// Print the auth sequence as a Mermaid or SVG diagram (planned).
    Diagram,
    /// Print the long explanation of a finding code (planned).
    Explain,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Exchanges
        | Command::Analyze
        | Command::Check
        | Command::Token
        | Command::Redact
        | Command::Diagram
        | Command::Explain => {
            #[expect(clippy::print_stderr, reason = "the CLI reports to the user")]
            {
                eprintln!("regauth: this command is not available yet");
            }
            ExitCode::from(2)
        }
    }
}
