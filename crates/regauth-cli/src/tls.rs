//! `regauth tls`: the TLS section of the analysis, for people or as `regauth.tls/v1`.

use std::io::{IsTerminal as _, Write as _};

use anyhow::Result;
use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::tls::{TlsReport, render_text};

use crate::Status;
use crate::args::{OutputFormat, TlsArgs};
use crate::input::read_capture;

pub fn run(args: &TlsArgs) -> Result<Status> {
    let (capture, errors) = read_capture(&args.files, &args.limits.read_limits())?;
    if !errors.is_empty() && capture.exchanges.is_empty() {
        return Ok(Status::Error);
    }
    let analysis = analyze(&capture, &AnalysisConfig::default());
    let report =
        TlsReport::from_analysis(AnalysisReport::new(&capture, &analysis, Secrets::Masked));
    let mut stdout = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &report)?;
            writeln!(stdout)?;
        }
        OutputFormat::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            write!(stdout, "{}", render_text(&report, color))?;
        }
    }
    stdout.flush()?;
    Ok(if !errors.is_empty() {
        Status::Error
    } else if report.has_errors() {
        Status::Failure
    } else {
        Status::Success
    })
}
