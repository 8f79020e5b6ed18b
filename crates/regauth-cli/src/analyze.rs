//! `regauth analyze` and `regauth explain`.

use std::io::{IsTerminal as _, Write as _};

use anyhow::{Context as _, Result, bail};
use regauth_core::analysis::{AnalysisConfig, CODES, Outcome, analyze, explain as explain_code};
use regauth_core::report::analysis::{AnalysisReport, Secrets, StreamedReport};
use regauth_core::report::exchanges::ExchangeList;
use regauth_core::report::github::render_github;
use regauth_core::report::junit::render_junit;
use regauth_core::report::markdown::render_analysis;
use regauth_core::report::runs::{CaptureRun, Checked};
use regauth_core::report::text::{TextStyle, write_text};

use crate::Status;
use crate::args::{AnalyzeArgs, EngineArgs, ExplainArgs, ReportFormat};
use crate::input::read_capture;

pub fn run(args: &AnalyzeArgs) -> Result<Status> {
    let (capture, errors) = read_capture(&args.files, &args.limits.read_limits())?;
    if !errors.is_empty() && capture.exchanges.is_empty() {
        return Ok(Status::Error);
    }
    let config = analysis_config(&args.engine)?;
    let analysis =
        crate::progress::phase(&format!("analysing {} exchanges", capture.exchanges.len()), || {
            analyze(&capture, &config)
        });
    crate::progress::finish();
    let secrets = if args.show_secrets { Secrets::Revealed } else { Secrets::Masked };
    let status = if !errors.is_empty() {
        Status::Error
    } else if analysis.outcome == Outcome::Failure {
        Status::Failure
    } else {
        Status::Success
    };
    let mut stdout = crate::output::stdout();
    let written = (|| -> std::io::Result<()> {
        match args.format {
            // Written row by row: a capture of 100,000 sessions never has its report whole in
            // memory (issue 9: peak memory bounded by the input).
            ReportFormat::Json => {
                crate::output::write_json(
                    &mut stdout,
                    &StreamedReport::new(&capture, &analysis, secrets),
                )?;
            }
            ReportFormat::Text => {
                let color =
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                let report = StreamedReport::new(&capture, &analysis, secrets);
                crate::output::write_text(&mut stdout, |out| {
                    write_text(out, &report, TextStyle { color })
                })?;
            }
            ReportFormat::Junit | ReportFormat::Markdown | ReportFormat::Github => {
                let report = AnalysisReport::new(&capture, &analysis, secrets);
                let exchanges = ExchangeList::from_capture(&capture).exchanges;
                // The inputs were read as one timeline: one run, named after all of them.
                let run = CaptureRun {
                    unusable: errors.clone(),
                    ..CaptureRun::checked(
                        report.sources.iter().map(|source| source.name.clone()).collect(),
                        Checked { analysis: &report, exchanges: &exchanges, check: None },
                    )
                };
                let rendered = match args.format {
                    ReportFormat::Junit => render_junit(&[run]),
                    ReportFormat::Markdown => render_analysis(&[run]),
                    _ => render_github(&[run]),
                };
                stdout.write_all(rendered.as_bytes())?;
                crate::skip_teardown((report, exchanges));
            }
        }
        stdout.flush()
    })();
    let status = crate::output::verdict_despite_closed_pipe(written, status)?;
    crate::skip_teardown((capture, analysis));
    Ok(status)
}

/// The engine settings from the arguments `analyze` and `check` share: the one place that
/// builds an [`AnalysisConfig`], so both commands judge a capture alike.
pub fn analysis_config(args: &EngineArgs) -> Result<AnalysisConfig> {
    let mut config = AnalysisConfig::default();
    if let Some(max_clock_skew_s) = args.max_clock_skew {
        config.max_clock_skew_s = max_clock_skew_s;
    }
    for path in &args.ca {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        config.trusted_roots_der.extend(crate::token::certificates_from(&bytes));
    }
    Ok(config)
}

pub fn explain(args: &ExplainArgs) -> Result<Status> {
    let mut stdout = std::io::stdout().lock();
    match &args.code {
        None => {
            // Wide enough for the longest code (`config-plaintext-identity-token`).
            for info in CODES {
                writeln!(stdout, "{:<32} {}", info.code, info.title)?;
            }
            writeln!(stdout, "\n`regauth explain CODE` prints the explanation and the fix.")?;
        }
        Some(code) => {
            let Some(info) = explain_code(code) else {
                bail!("unknown finding code `{code}` (`regauth explain` lists them)");
            };
            writeln!(
                stdout,
                "{}: {}\n\n{}\n\nWhat to do: {}",
                info.code, info.title, info.explanation, info.fix
            )?;
        }
    }
    Ok(Status::Success)
}
