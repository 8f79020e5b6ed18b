//! The analysis (or a check run) as GitHub-flavoured Markdown, to paste into an issue: the
//! verdict in one sentence, a sessions table, the failing step, the findings with their fixes,
//! and the sequence diagram of the failing sessions in a ```` ```mermaid ```` block.
//!
//! Every string from the capture goes through [`md_text`] or [`md_code`] (tables through their
//! `in_table` form), so a hostile capture cannot add links, images, HTML, mentions or table
//! cells; the diagram goes through the Mermaid renderer's own escaping, which leaves no
//! backtick that could close the fence. Finding titles and fixes come from regauth's own
//! table of codes, not from the report, so their Markdown (code spans in fixes) is regauth's.
//! Secrets are as masked as in the report; URLs are shown without their query.

use std::fmt::Write as _;

use super::analysis::{AnalysisReport, SessionRow};
use super::escape::{md_code, md_text};
use super::exchanges::ExchangeRow;
use super::mermaid::render_mermaid;
use super::runs::{CaptureRun, Checked, RunStatus};
use crate::analysis::{Outcome, Severity};

/// Sequence diagrams a report includes (the failing sessions first).
const MAX_DIAGRAMS: usize = 3;

/// One analysis as Markdown (`regauth analyze --format markdown`, the web app's export).
pub fn render_markdown(report: &AnalysisReport, exchanges: &[ExchangeRow]) -> String {
    let names = report.sources.iter().map(|source| source.name.clone()).collect();
    render_analysis(&[CaptureRun::checked(
        names,
        Checked { analysis: report, exchanges, check: None },
    )])
}

/// The capture of a `regauth analyze` run (its inputs read as one timeline) as Markdown.
pub fn render_analysis(runs: &[CaptureRun<'_>]) -> String {
    render_runs("regauth analyze", runs)
}

/// The captures of a `regauth check` run as Markdown: one capture in full; several as a
/// summary table, then each capture that failed or could not be read in full.
pub fn render_check(runs: &[CaptureRun<'_>]) -> String {
    render_runs("regauth check", runs)
}

fn render_runs(command: &str, runs: &[CaptureRun<'_>]) -> String {
    let mut out = String::new();
    if let [only] = runs {
        let _ = writeln!(out, "## {command}: {}\n", md_code(&only.name(), false));
        capture_section(&mut out, only, "###");
        return out;
    }
    let count = |status: RunStatus| runs.iter().filter(|run| run.status() == status).count();
    let (n_passed, n_failed, n_unreadable) =
        (count(RunStatus::Passed), count(RunStatus::Failed), count(RunStatus::Unreadable));
    let _ = writeln!(out, "## {command}: {} captures\n", runs.len());
    let sentence = if n_failed + n_unreadable == 0 {
        format!("✅ **Passed**: all {} captures passed.", runs.len())
    } else {
        format!(
            "❌ **Failed**: {n_failed} of {} captures failed, {n_unreadable} could not be read, {n_passed} passed.",
            runs.len()
        )
    };
    let _ = writeln!(out, "{sentence}\n");
    let _ = writeln!(out, "| Capture | Verdict | Sessions | Failed |");
    let _ = writeln!(out, "| --- | --- | ---: | --- |");
    for run in runs {
        let (sessions, failed) = match &run.result {
            Err(error) => (String::new(), md_text(error, true)),
            Ok(checked) => (checked.analysis.sessions.len().to_string(), failed_items(checked)),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {sessions} | {failed} |",
            md_code(&run.name(), true),
            status_mark(run.status())
        );
    }
    for run in runs.iter().filter(|run| run.status() != RunStatus::Passed) {
        let _ = writeln!(out, "\n### {}\n", md_code(&run.name(), false));
        capture_section(&mut out, run, "####");
    }
    out
}

fn status_mark(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Passed => "✅ passed",
        RunStatus::Failed => "❌ failed",
        RunStatus::Unreadable => "⚠️ unreadable",
    }
}

/// For the summary table: the failed assertions, or the failed sessions of an analysis.
fn failed_items(checked: &Checked<'_>) -> String {
    let items: Vec<String> = match checked.check {
        Some(check) => check
            .assertions
            .iter()
            .filter(|assertion| !assertion.passed)
            .map(|assertion| md_text(&assertion.name, true))
            .collect(),
        None => checked
            .analysis
            .sessions
            .iter()
            .filter(|session| session.outcome == Outcome::Failure)
            .map(|session| md_code(&session.title, true))
            .collect(),
    };
    items.join(", ")
}

/// The verdict of one analysis in one sentence.
fn analysis_sentence(checked: &Checked<'_>) -> String {
    let report = checked.analysis;
    let total = report.sessions.len();
    let failed: Vec<&SessionRow> =
        report.sessions.iter().filter(|session| session.outcome == Outcome::Failure).collect();
    let n_warnings =
        report.findings.iter().filter(|finding| finding.severity == Severity::Warning).count();
    match (failed.first(), report.outcome) {
        (Some(first), _) => {
            let step = first
                .failed_step
                .and_then(|number| first.steps.iter().find(|step| step.step == number))
                .map(|step| format!(" at step {} ({})", step.step, md_text(&step.title, false)))
                .unwrap_or_default();
            let cause = checked
                .failure_of(first)
                .map(|finding| {
                    format!(
                        ": {} ({})",
                        md_text(finding.code.info().title, false),
                        md_code(finding.code.as_str(), false)
                    )
                })
                .unwrap_or_default();
            format!(
                "❌ **Failure**: {} of {total} session(s) failed; {} failed{step}{cause}.",
                failed.len(),
                md_code(&first.title, false)
            )
        }
        (None, _) if total == 0 => {
            "⚠️ **Incomplete**: no registry authentication was found in the capture.".to_owned()
        }
        (None, Outcome::Incomplete) => {
            format!("⚠️ **Incomplete**: none of the {total} session(s) reached a verdict.")
        }
        (None, _) if n_warnings > 0 => {
            format!(
                "✅ **Success**: all {total} session(s) succeeded, with {n_warnings} warning(s)."
            )
        }
        (None, _) => format!("✅ **Success**: all {total} session(s) succeeded."),
    }
}

/// Everything about one capture, under headings of level `heading`.
fn capture_section(out: &mut String, run: &CaptureRun<'_>, heading: &str) {
    let checked = match &run.result {
        Err(error) => {
            let _ = writeln!(out, "⚠️ **Unreadable**: {}", md_text(error, false));
            return;
        }
        Ok(checked) => checked,
    };
    for error in &run.unusable {
        let _ = writeln!(out, "⚠️ **Not read**: {}\n", md_text(error, false));
    }
    let report = checked.analysis;
    if let Some(check) = checked.check {
        let n_failed = check.assertions.iter().filter(|assertion| !assertion.passed).count();
        let sentence = if check.passed {
            format!("✅ **Passed**: all {} assertion(s) held.", check.assertions.len())
        } else {
            format!("❌ **Failed**: {n_failed} of {} assertion(s) failed.", check.assertions.len())
        };
        let _ = writeln!(out, "{sentence} {}\n", analysis_sentence(checked));
        let _ = writeln!(out, "{heading} Assertions\n");
        for assertion in &check.assertions {
            let mark = if assertion.passed { "✅" } else { "❌" };
            let _ = writeln!(out, "- {mark} {}", md_text(&assertion.name, false));
            if !assertion.passed {
                for line in assertion.detail.lines() {
                    let _ = writeln!(out, "  - {}", md_text(line, false));
                }
            }
        }
        out.push('\n');
    } else {
        let _ = writeln!(out, "{}\n", analysis_sentence(checked));
    }
    let sources: Vec<String> = report
        .sources
        .iter()
        .map(|source| {
            format!("{} ({})", md_code(&source.name, false), md_text(&source.format, false))
        })
        .collect();
    let _ = writeln!(
        out,
        "Read {} exchange(s) from {}; secrets {}.\n",
        checked.exchanges.len(),
        if sources.is_empty() { "no input".to_owned() } else { sources.join(", ") },
        match report.secrets {
            super::analysis::Secrets::Masked => "masked",
            super::analysis::Secrets::Revealed => "**revealed**",
        }
    );

    if !report.sessions.is_empty() {
        let _ = writeln!(out, "{heading} Sessions\n");
        let _ = writeln!(out, "| # | Session | Auth | Outcome | Failing step | Explained by |");
        let _ = writeln!(out, "| ---: | --- | --- | --- | --- | --- |");
        for session in &report.sessions {
            let outcome = match session.outcome {
                Outcome::Success => "✅ success",
                Outcome::Failure => "❌ failure",
                Outcome::Incomplete => "⚠️ incomplete",
            };
            let step = session
                .failed_step
                .and_then(|number| session.steps.iter().find(|step| step.step == number))
                .map(|step| format!("{}. {}", step.step, md_text(&step.title, true)))
                .unwrap_or_default();
            let explained = checked
                .failure_of(session)
                .map(|finding| md_code(finding.code.as_str(), true))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {outcome} | {step} | {explained} |",
                session.index + 1,
                md_code(&session.title, true),
                session.scheme.as_str()
            );
        }
        out.push('\n');
    }

    let failed: Vec<&SessionRow> =
        report.sessions.iter().filter(|session| session.outcome == Outcome::Failure).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "{heading} Failing step\n");
        for session in &failed {
            let step = session
                .failed_step
                .and_then(|number| session.steps.iter().find(|step| step.step == number));
            let _ = write!(out, "- **Session {}", session.index + 1);
            match step {
                Some(step) => {
                    let _ = write!(out, ", step {}: {}**", step.step, md_text(&step.title, false));
                }
                None => out.push_str("**"),
            }
            if let (Some(index), Some(line)) =
                (session.failed_exchange, checked.failed_exchange_line(session))
            {
                let _ = write!(
                    out,
                    " at exchange {}: {}",
                    md_code(&format!("#{index}"), false),
                    md_code(&line, false)
                );
            }
            out.push('\n');
            if let Some(finding) = checked.failure_of(session) {
                let _ = writeln!(
                    out,
                    "  {}: {}. {}",
                    md_code(finding.code.as_str(), false),
                    md_text(finding.code.info().title, false),
                    md_text(&finding.message, false)
                );
            }
        }
        out.push('\n');
    }

    if !report.findings.is_empty() {
        let _ = writeln!(out, "{heading} Findings\n");
        for finding in &report.findings {
            let mark = match finding.severity {
                Severity::Error => "❌",
                Severity::Warning => "⚠️",
                Severity::Info => "ℹ️",
            };
            let place = match (finding.session, finding.step) {
                (Some(session), Some(step)) => format!("session {}, step {step}", session + 1),
                (Some(session), None) => format!("session {}", session + 1),
                _ => "capture".to_owned(),
            };
            let _ = writeln!(
                out,
                "- {mark} **{}** {}: {} ({place})",
                finding.severity.as_str(),
                md_code(finding.code.as_str(), false),
                md_text(finding.code.info().title, false)
            );
            let _ = writeln!(out, "  {}", md_text(&finding.message, false));
            if finding.severity != Severity::Info {
                let _ = writeln!(out, "  **Fix:** {}", finding.code.info().fix);
            }
        }
        out.push('\n');
    }

    let mut shown: Vec<usize> = failed.iter().map(|session| session.index).collect();
    if shown.is_empty() {
        shown = report.sessions.iter().map(|session| session.index).collect();
    }
    if !shown.is_empty() {
        let _ = writeln!(out, "{heading} Sequence diagram\n");
        for &index in shown.iter().take(MAX_DIAGRAMS) {
            let _ = writeln!(
                out,
                "```mermaid\n{}```\n",
                render_mermaid(report, checked.exchanges, Some(index))
            );
        }
        if shown.len() > MAX_DIAGRAMS {
            let _ = writeln!(
                out,
                "{} more session(s): `regauth diagram --session N` draws any of them.\n",
                shown.len() - MAX_DIAGRAMS
            );
        }
    }
}
