//! `regauth check`: assertions over recorded sessions, for CI. The assertions and their
//! renderings are the core's `regauth.check/v1` contract; this file reads the inputs (each
//! file on its own, in parallel, or all as one timeline with `--merge`), maps the arguments
//! and writes the result.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use regauth_core::analysis::{AnalysisConfig, Code, Outcome, analyze};
use regauth_core::capture::{self, ReadLimits};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::check::{CheckReport, CheckSpec, render_runs_text};
use regauth_core::report::exchanges::{ExchangeList, ExchangeRow, NoteRow, ProblemRow, SourceRow};
use regauth_core::report::github::render_github;
use regauth_core::report::junit::render_junit;
use regauth_core::report::markdown::render_check;
use regauth_core::report::runs::{CaptureRun, Checked, RunStatus};

use crate::Status;
use crate::args::{CheckArgs, Expectation, ReportFormat};
use crate::for_stderr;
use crate::input::{read_input, total_size};

fn parse_codes(codes: &[String]) -> Result<Vec<Code>> {
    codes
        .iter()
        .map(|code| {
            Code::parse(code).ok_or_else(|| {
                anyhow::anyhow!("unknown finding code `{code}` (`regauth explain` lists them)")
            })
        })
        .collect()
}

/// What checking one capture (a file, or every file with `--merge`) gave.
struct Checked1 {
    inputs: Vec<String>,
    /// Lines for stderr (warnings about located problems, errors about unusable inputs),
    /// printed in input order once every file is done.
    messages: Vec<String>,
    /// Why inputs could not be used while others were read (the run exits 2).
    unusable: Vec<String>,
    result: Result<(AnalysisReport, Vec<ExchangeRow>, CheckReport), String>,
}

/// What every capture is checked with.
struct Settings {
    spec: CheckSpec,
    config: AnalysisConfig,
    limits: ReadLimits,
    /// Whether the output format names exchanges (JUnit, Markdown, GitHub): only then is a
    /// row kept per exchange.
    exchange_rows: bool,
}

fn check_capture(paths: &[PathBuf], settings: &Settings, limits: &ReadLimits) -> Checked1 {
    let names: Vec<String> = paths
        .iter()
        .map(|path| {
            if path.as_os_str() == "-" { "<stdin>".to_owned() } else { path.display().to_string() }
        })
        .collect();
    let mut inputs = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for path in paths {
        match read_input(path) {
            Ok(input) => inputs.push(input),
            Err(error) => errors.push(error),
        }
    }
    let (capture, capture_errors) = capture::read_with(&inputs, limits);
    drop(inputs);
    errors.extend(capture_errors.iter().map(ToString::to_string));
    let stderr_line =
        |kind: &str, message: &str| format!("regauth: {kind}: {}", for_stderr(message));
    let mut messages: Vec<String> = capture
        .problems
        .iter()
        .map(|problem| stderr_line("warning", &problem.to_string()))
        .collect();
    messages.extend(capture.notes.iter().map(|note| stderr_line("note", &note.to_string())));
    messages.extend(errors.iter().map(|error| stderr_line("error", error)));
    if capture.exchanges.is_empty() {
        let error =
            if errors.is_empty() { "no HTTP exchange in it".to_owned() } else { errors.join("; ") };
        return Checked1 { inputs: names, messages, unusable: Vec::new(), result: Err(error) };
    }
    let analysis = analyze(&capture, &settings.config);
    let exchanges = if settings.exchange_rows {
        ExchangeList::from_capture(&capture).exchanges
    } else {
        Vec::new()
    };
    let sources = SourceRow::list(&capture);
    let problems = ProblemRow::list(&capture, Secrets::Masked);
    let notes = NoteRow::list(&capture);
    // The capture (the input and its exchange model) goes before the report is built, so the
    // two are never in memory together (issue 9: peak memory bounded by the input).
    drop(capture);
    let report =
        AnalysisReport::from_analysis(&analysis, Secrets::Masked, sources, problems, notes);
    drop(analysis);
    let check = CheckReport::new(&report, &settings.spec);
    Checked1 { inputs: names, messages, unusable: errors, result: Ok((report, exchanges, check)) }
}

/// Checks each group of paths on up to as many threads as there are cores; results come back
/// in the order of `groups`.
fn check_all(groups: &[Vec<PathBuf>], settings: &Settings) -> Vec<Checked1> {
    let n_workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(groups.len())
        .max(1);
    // The cores are shared between the files checked at once and each file's reader.
    let limits = ReadLimits {
        max_threads: (settings.limits.max_threads / n_workers).max(1),
        ..settings.limits.clone()
    };
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Checked1)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..n_workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let idx = next.fetch_add(1, Ordering::Relaxed);
                        let Some(group) = groups.get(idx) else { break };
                        mine.push((idx, check_capture(group, settings, &limits)));
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().unwrap_or_default()).collect()
    });
    done.sort_by_key(|(idx, _)| *idx);
    done.into_iter().map(|(_, checked)| checked).collect()
}

pub fn run(args: &CheckArgs) -> Result<Status> {
    let spec = CheckSpec {
        expect: match args.expect {
            Expectation::Success => Outcome::Success,
            Expectation::Failure => Outcome::Failure,
        },
        deny: parse_codes(&args.deny)?,
        allow: parse_codes(&args.allow)?,
        max_clock_skew_s: args.engine.max_clock_skew,
    };
    let settings = Settings {
        spec,
        config: crate::analyze::analysis_config(&args.engine)?,
        limits: args.limits.read_limits(),
        exchange_rows: matches!(
            args.format,
            ReportFormat::Junit | ReportFormat::Markdown | ReportFormat::Github
        ),
    };
    let groups: Vec<Vec<PathBuf>> = if args.merge {
        vec![args.files.clone()]
    } else {
        args.files.iter().map(|path| vec![path.clone()]).collect()
    };
    // One bar for all the files (workers count their bytes on it); no phases, as the files
    // are decoded and analysed at once.
    crate::progress::start_reading(total_size(&args.files));
    let results = check_all(&groups, &settings);
    crate::progress::finish();
    {
        let mut stderr = std::io::stderr().lock();
        for line in results.iter().flat_map(|checked| &checked.messages) {
            let _ = writeln!(stderr, "{line}");
        }
    }
    let runs: Vec<CaptureRun<'_>> = results
        .iter()
        .map(|checked| CaptureRun {
            inputs: checked.inputs.clone(),
            result: match &checked.result {
                Ok((analysis, exchanges, check)) => {
                    Ok(Checked { analysis, exchanges, check: Some(check) })
                }
                Err(error) => Err(error.clone()),
            },
            unusable: checked.unusable.clone(),
        })
        .collect();

    let status = if runs.iter().any(|run| run.status() == RunStatus::Unreadable) {
        Status::Error
    } else if runs.iter().all(|run| run.status() == RunStatus::Passed) {
        Status::Success
    } else {
        Status::Failure
    };
    let mut stdout = crate::output::stdout();
    let written = (|| -> std::io::Result<()> {
        match args.format {
            ReportFormat::Text => write!(stdout, "{}", render_runs_text(&runs))?,
            ReportFormat::Json => crate::output::write_json(
                &mut stdout,
                &CheckReport::summarize(&runs, settings.spec.expect),
            )?,
            ReportFormat::Junit => write!(stdout, "{}", render_junit(&runs))?,
            ReportFormat::Markdown => write!(stdout, "{}", render_check(&runs))?,
            ReportFormat::Github => write!(stdout, "{}", render_github(&runs))?,
        }
        stdout.flush()
    })();
    Ok(crate::output::verdict_despite_closed_pipe(written, status)?)
}
