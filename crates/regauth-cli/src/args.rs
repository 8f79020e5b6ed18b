//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use regauth_core::capture::ReadLimits;

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
    /// Rebuild the auth sessions (six steps), findings, clocks and tokens of captures.
    ///
    /// Exit status: 0 when every session succeeded, 1 when one ended in failure, 2 when the
    /// input could not be read.
    Analyze(AnalyzeArgs),
    /// Assert properties of recorded sessions for CI, one verdict per file.
    ///
    /// Exit status: 0 when every file passed, 1 when an assertion failed in any file, 2 when
    /// an input could not be read (the others are still checked) or the arguments are wrong.
    Check(CheckArgs),
    /// Decode and verify one registry token (JWT claims, access, x5c signature; opaque kinds).
    Token(TokenArgs),
    /// Write a copy of a capture with its secrets masked, in the same format, that still
    /// analyses the same.
    ///
    /// Masks passwords, token signatures (a JWT keeps its header and claims), opaque, refresh
    /// and identity tokens, cookies, X-Registry-Auth secrets and secrets in URLs, JSON and form
    /// bodies and base64 values; everything else is copied byte for byte. The input is never
    /// modified. Exit status: 0 written (or listed), 2 cannot read, redact or write.
    Redact(RedactArgs),
    /// Draw the auth sequence as a Mermaid sequence diagram or an SVG image.
    ///
    /// Exit status: 0 when drawn, 2 when an input could not be read or there is no such session.
    Diagram(DiagramArgs),
    /// Print the long explanation of a finding code (all codes without an argument).
    Explain(ExplainArgs),
    /// Show which credential docker and podman use for each registry (credHelpers, credsStore,
    /// auths), whether helpers are installed, and what is stored in clear.
    ///
    /// Without PATH it reads docker's `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`)
    /// and podman's search order (`$REGISTRY_AUTH_FILE`, or `$XDG_RUNTIME_DIR/containers/auth.json`,
    /// `~/.config/containers/auth.json`, docker's file, `~/.dockercfg`). With `--capture`, it also
    /// checks that the credentials the capture shows came from there. No secret is printed.
    ///
    /// Exit status: 0 no problem, 1 a problem (plaintext secret, missing helper, mismatch...),
    /// 2 a file could not be read.
    Config(ConfigArgs),
    /// Show every TLS connection of captures: server chain, client certificate (mutual TLS),
    /// validity at capture time, host name check, CRL/OCSP endpoints, and the TLS findings.
    ///
    /// Exit status: 0 no TLS error, 1 a TLS error finding (expired, not yet valid, host name
    /// mismatch, untrusted...), 2 the input could not be read.
    Tls(TlsArgs),
}

#[derive(Debug, clap::Args)]
pub struct TlsArgs {
    /// Capture files (HAR, mitmproxy flow, optionally compressed); `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format (JSON: `regauth.tls/v1`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// A config file to read instead of the default locations.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Whose rules to apply. `auto`: both, except podman only for a file named `auth.json` or
    /// `.dockercfg`.
    #[arg(long, value_enum, default_value_t = ClientChoice::Auto)]
    pub client: ClientChoice,
    /// Captures to check against the config: did their credentials come from it?
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub capture: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Output format (JSON: `regauth.config/v1`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClientChoice {
    Auto,
    Docker,
    Podman,
    Both,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Capture files (HAR, mitmproxy flow, optionally gzip/zlib-compressed); `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Print token signatures, refresh tokens and passwords as they are (masked by default).
    #[arg(long)]
    pub show_secrets: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The analysis settings `analyze` and `check` share, so both judge a capture alike.
#[derive(Debug, clap::Args)]
pub struct EngineArgs {
    /// Trust anchors (PEM bundle or DER certificate) for checking tokens' x5c chains.
    #[arg(long, value_name = "FILE")]
    pub ca: Vec<PathBuf>,
    /// Report clocks further off the capture clock than this as clock-skew (e.g. `5s`, `2m`;
    /// default 10s). `check` also fails when a clock is further off.
    #[arg(
        long,
        visible_alias = "clock-skew-threshold",
        value_name = "DURATION",
        value_parser = parse_duration_s
    )]
    pub max_clock_skew: Option<f64>,
}

/// What reading an input may cost (see "Limits" in the README). Reaching a limit keeps what
/// was read before it and says so.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Largest input after decompression (e.g. `4GiB`, `500MB`, bytes without a unit).
    #[arg(long, value_name = "SIZE", default_value = "4GiB", value_parser = parse_size)]
    pub max_input_size: u64,
    /// A gzip/zlib input may inflate to this many times its size (at least 64 MiB).
    #[arg(long, value_name = "N", default_value_t = ReadLimits::DEFAULT.max_inflate_ratio)]
    pub max_inflate_ratio: u64,
    /// The exchanges read from an input may take this many times its size in memory (plus 64 MiB).
    #[arg(long, value_name = "N", default_value_t = ReadLimits::DEFAULT.max_exchange_memory_ratio)]
    pub max_memory_ratio: u64,
    /// Decompressing bodies may produce this many times the input's size in all (plus 64 MiB).
    #[arg(long, value_name = "N", default_value_t = ReadLimits::DEFAULT.max_decoded_ratio)]
    pub max_decoded_ratio: u64,
    /// Threads for reading one input (large flow and HAR files are read in parallel); default: one
    /// per CPU. The result is the same for any number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

impl LimitArgs {
    pub fn read_limits(&self) -> ReadLimits {
        ReadLimits {
            max_input_bytes: self.max_input_size,
            max_inflate_ratio: self.max_inflate_ratio,
            max_exchange_memory_ratio: self.max_memory_ratio,
            max_decoded_ratio: self.max_decoded_ratio,
            max_threads: match self.threads {
                Some(threads) => usize::from(threads),
                None => std::thread::available_parallelism().map_or(1, usize::from),
            },
        }
    }
}

/// `4GiB`, `500MB`, `64KiB`, `1k`, or a bare number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 =
        number.parse().map_err(|_| format!("`{text}` is not a size (try 500MB, 4GiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        other => {
            return Err(format!("unknown size unit `{other}` (use KB, MB, GB, KiB, MiB, GiB)"));
        }
    };
    value.checked_mul(factor).ok_or_else(|| format!("`{text}` is too large"))
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Capture files (HAR, mitmproxy flow, optionally compressed); `-` reads stdin. Each file
    /// is checked on its own, in parallel, unless --merge is given.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Read all files as one timeline (a session split across captures) and give one verdict.
    #[arg(long)]
    pub merge: bool,
    /// The outcome the capture must have. With `success`, error-level findings also fail the
    /// check unless allowed with --allow.
    #[arg(long, value_enum, default_value_t = Expectation::Success)]
    pub expect: Expectation,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Fail when a finding with this code is present, at any severity (repeatable).
    #[arg(long, value_name = "CODE")]
    pub deny: Vec<String>,
    /// Do not fail on error-level findings with this code (repeatable).
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
    /// Output format of the verdict.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Expectation {
    Success,
    Failure,
}

/// The formats of `analyze` and `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people.
    Text,
    /// Versioned JSON (`regauth.analysis/v1`, `regauth.check/v1`).
    Json,
    /// JUnit XML: a test suite per capture, a test case per session and assertion.
    Junit,
    /// GitHub-flavoured Markdown for an issue: verdict, sessions, findings, Mermaid diagram.
    Markdown,
    /// GitHub Actions annotations (`::error title=...::...`).
    Github,
}

#[derive(Debug, clap::Args)]
pub struct DiagramArgs {
    /// Capture files (HAR, mitmproxy flow, optionally compressed); `-` reads stdin. Several
    /// files are read as one timeline.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Draw only this session, numbered from 1 as `regauth analyze` prints them (all by default).
    #[arg(long, value_name = "N")]
    pub session: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
    pub format: DiagramFormat,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// Mermaid `sequenceDiagram` text (for Markdown, mermaid.live, GitHub).
    Mermaid,
    /// A self-contained SVG image.
    Svg,
}

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The token (a JWT, an opaque token, or `Bearer <token>`); `-` reads it from stdin.
    #[arg(value_name = "TOKEN")]
    pub token: String,
    /// Trust anchors (PEM or DER certificate file) for the x5c chain check.
    #[arg(long, value_name = "FILE")]
    pub ca: Vec<PathBuf>,
    /// Print the signature instead of masking it.
    #[arg(long)]
    pub show_secrets: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct RedactArgs {
    /// The capture (HAR or mitmproxy flow, optionally gzip/zlib-compressed); `-` reads stdin.
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Where to write the redacted copy (same format and compression); `-` writes stdout.
    #[arg(short, long, value_name = "OUT", required_unless_present = "dry_run")]
    pub output: Option<PathBuf>,
    /// Replace OUT if it exists (never the input itself).
    #[arg(long)]
    pub force: bool,
    /// List what would be masked and where (entry, field, kind), without the secrets; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A finding code such as `clock-skew`; without it, every code is listed.
    pub code: Option<String>,
}

/// `5s`, `1.5m`, `2h`, `500ms`, or a bare number of seconds.
pub fn parse_duration_s(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let split = text.find(|ch: char| !(ch.is_ascii_digit() || ch == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration (try 5s, 2m, 1h)"))?;
    let factor = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown duration unit `{other}` (use ms, s, m, h)")),
    };
    Ok(value * factor)
}

#[derive(Debug, clap::Args)]
pub struct ExchangesArgs {
    /// Capture files (HAR, mitmproxy flow, optionally gzip/zlib-compressed); `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Print URLs with their credentials (`user:password@`, `password=`, `access_token=`,
    /// presigned-URL signatures); masked by default.
    #[arg(long)]
    pub show_secrets: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// Versioned JSON (see the schema field).
    Json,
}
