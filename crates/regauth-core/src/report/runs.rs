//! What the CI renderers ([`super::junit`], [`super::github`], [`super::markdown`]) take: one
//! [`CaptureRun`] per capture the command looked at. `regauth analyze` has one (its inputs
//! merged into one timeline); `regauth check` has one per file, or one for all files with
//! `--merge`; a file that could not be read is a run with an error instead of a result.
//! Borrowed views of the reports the shell already holds, so the renderers stay pure functions.

use super::analysis::{AnalysisReport, FindingRow, SessionRow};
use super::check::CheckReport;
use super::diagram::{lookup, status_text, url_parts};
use super::exchanges::ExchangeRow;
use crate::analysis::{Code, Outcome};

#[derive(Clone, Debug)]
pub struct CaptureRun<'a> {
    /// The input names (one file; several read as one timeline).
    pub inputs: Vec<String>,
    /// What regauth made of them, or why it could not read them.
    pub result: Result<Checked<'a>, String>,
    /// Why some of the inputs could not be used while the others were read (the run exits 2).
    pub unusable: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
pub struct Checked<'a> {
    pub analysis: &'a AnalysisReport,
    /// The exchange list the analysis indexes into (method, URL, status of each exchange).
    pub exchanges: &'a [ExchangeRow],
    /// The assertions, for `regauth check`; `None` for `regauth analyze`.
    pub check: Option<&'a CheckReport>,
}

/// How a run ended, as the summaries count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Passed,
    Failed,
    /// The input could not be read (`regauth` exits 2).
    Unreadable,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
            RunStatus::Unreadable => "unreadable",
        }
    }
}

impl<'a> CaptureRun<'a> {
    pub fn checked(inputs: Vec<String>, checked: Checked<'a>) -> CaptureRun<'a> {
        CaptureRun { inputs, result: Ok(checked), unusable: Vec::new() }
    }

    pub fn unreadable(inputs: Vec<String>, error: String) -> CaptureRun<'a> {
        CaptureRun { inputs, result: Err(error), unusable: Vec::new() }
    }

    /// `a.har`, or `a.har + b.har` for inputs read as one timeline.
    pub fn name(&self) -> String {
        if self.inputs.is_empty() { "<no input>".to_owned() } else { self.inputs.join(" + ") }
    }

    /// A check passes when its assertions hold; an analysis when no session failed. A run
    /// with an input it could not use is unreadable, whatever the others said.
    pub fn status(&self) -> RunStatus {
        match &self.result {
            Err(_) => RunStatus::Unreadable,
            Ok(_) if !self.unusable.is_empty() => RunStatus::Unreadable,
            Ok(Checked { check: Some(check), .. }) if check.passed => RunStatus::Passed,
            Ok(Checked { check: Some(_), .. }) => RunStatus::Failed,
            Ok(Checked { analysis, .. }) if analysis.outcome == Outcome::Failure => {
                RunStatus::Failed
            }
            Ok(_) => RunStatus::Passed,
        }
    }
}

impl<'a> Checked<'a> {
    /// Whether a failed session counts against the run: always for an analysis; for a check,
    /// unless it expected the capture to fail.
    pub fn failure_is_bad(&self) -> bool {
        self.check.is_none_or(|check| check.expect != Outcome::Failure)
    }

    /// The finding that explains why `session` failed.
    pub fn failure_of(&self, session: &SessionRow) -> Option<&'a FindingRow> {
        let reference = session.failed_finding.as_ref()?;
        self.analysis.findings.get(reference.index)
    }

    /// The exchange the session failed at, as `GET host/path → 401 Unauthorized` (no query:
    /// it may carry credentials).
    pub fn failed_exchange_line(&self, session: &SessionRow) -> Option<String> {
        let index = session.failed_exchange?;
        let row = lookup(self.exchanges, index)?;
        Some(exchange_line(row))
    }
}

/// `GET host/path → 401 Unauthorized`, without user info and query.
pub fn exchange_line(row: &ExchangeRow) -> String {
    let (host, path) = url_parts(&row.url);
    let answer = match (row.status, &row.error) {
        (Some(status), _) => status_text(status),
        (None, Some(error)) => format!("no answer ({error})"),
        (None, None) => "no response recorded".to_owned(),
    };
    format!("{} {host}{path} → {answer}", row.method)
}

/// The fix of each code, once, in order: `- code: fix` lines.
pub fn fixes(codes: &[Code]) -> Vec<String> {
    let mut seen: Vec<Code> = Vec::new();
    for &code in codes {
        if !seen.contains(&code) {
            seen.push(code);
        }
    }
    seen.iter().map(|code| format!("- {code}: {}", code.info().fix)).collect()
}
