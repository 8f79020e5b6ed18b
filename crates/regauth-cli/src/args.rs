//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Explain what happened when a container client authenticated to an image registry.
///
/// Feed it a recorded session (HAR from a browser, mitmproxy, Charles, Playwright..., or a
/// mitmproxy flow file; gzip/zlib-compressed too) and it rebuilds the token-auth sequence per
/// registry and repository, marks the step that failed and says why. Secrets are masked
/// unless you ask otherwise.
#[derive(Debug, Parser)]
#[command(name = "regauth", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the HTTP exchanges read from captures, in capture-time order.
    Exchanges(ExchangesArgs),
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

#[derive(Debug, clap::Args)]
pub struct ExchangesArgs {
    /// Capture files (HAR, mitmproxy flow, optionally gzip/zlib-compressed); `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// Versioned JSON (see the schema field).
    Json,
}
