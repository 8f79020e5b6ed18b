//! GitHub Actions workflow commands: `::error file=…,title=…::message` annotations that GitHub
//! shows on the run's summary page (and on the file, when the capture is in the repository).
//!
//! Chosen over SARIF: SARIF is for code-scanning results anchored to source lines and needs
//! the code-scanning upload (not available to every repository), while a capture's verdict is
//! about a recorded session, and workflow commands need nothing but printing them.
//!
//! One annotation per failed session (carrying the finding that explains it, its fix and the
//! failing exchange), per other error or warning finding, per failed assertion of a check and
//! per input that could not be read, most important first (GitHub shows only the first few
//! of each level per step), then one plain summary line. For a check that passed, error-level
//! findings are shown as warnings: the gate is green, so nothing is red. Capture text is made
//! [`safe`](crate::display::safe) (no control character reaches the log, so no line can start a new command) and
//! escaped as GitHub requires: `%`, CR and LF in messages; also `:` and `,` in properties.

use std::fmt::Write as _;

use super::escape::{gh_data, gh_property};
use super::runs::{CaptureRun, Checked, RunStatus, fixes};
use crate::analysis::{Outcome, Severity};
use crate::display::safe;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

struct Annotation {
    level: Level,
    file: String,
    title: String,
    /// Lines, joined with encoded line feeds.
    lines: Vec<String>,
}

impl Annotation {
    fn write(&self, out: &mut String) {
        let message: Vec<String> = self.lines.iter().map(|line| safe(line).into_owned()).collect();
        let _ = writeln!(
            out,
            "::{} file={},title={}::{}",
            self.level.command(),
            gh_property(&self.file),
            gh_property(&self.title),
            gh_data(&message.join("\n"))
        );
    }
}

/// The annotations of every capture, then a summary line.
pub fn render_github(runs: &[CaptureRun<'_>]) -> String {
    let mut annotations = Vec::new();
    for run in runs {
        let file = run.inputs.first().cloned().unwrap_or_default();
        for error in &run.unusable {
            annotations.push(Annotation {
                level: Level::Error,
                file: file.clone(),
                title: "regauth: cannot read an input".to_owned(),
                lines: vec![error.clone()],
            });
        }
        match &run.result {
            Err(error) => annotations.push(Annotation {
                level: Level::Error,
                file,
                title: "regauth: cannot read the capture".to_owned(),
                lines: vec![error.clone()],
            }),
            Ok(checked) => annotate(&mut annotations, &file, checked),
        }
    }
    // Stable: each level keeps the order the captures and findings came in.
    annotations.sort_by_key(|annotation| annotation.level);
    let mut out = String::new();
    for annotation in &annotations {
        annotation.write(&mut out);
    }
    let count = |status: RunStatus| runs.iter().filter(|run| run.status() == status).count();
    let _ = writeln!(
        out,
        "regauth: {} capture(s): {} passed, {} failed, {} unreadable",
        runs.len(),
        count(RunStatus::Passed),
        count(RunStatus::Failed),
        count(RunStatus::Unreadable)
    );
    out
}

fn annotate(annotations: &mut Vec<Annotation>, file: &str, checked: &Checked<'_>) {
    let report = checked.analysis;
    let gate_passed = checked.check.is_some_and(|check| check.passed);
    let level_of = |severity: Severity| match (severity, gate_passed) {
        (Severity::Error, false) => Level::Error,
        (Severity::Error | Severity::Warning, _) => Level::Warning,
        (Severity::Info, _) => Level::Notice,
    };
    if let Some(check) = checked.check {
        for assertion in check.assertions.iter().filter(|assertion| !assertion.passed) {
            let mut lines: Vec<String> = assertion.detail.lines().map(str::to_owned).collect();
            let fixes = fixes(&assertion.codes);
            if !fixes.is_empty() {
                lines.push("What to do:".to_owned());
                lines.extend(fixes);
            }
            annotations.push(Annotation {
                level: Level::Error,
                file: file.to_owned(),
                title: format!("regauth check failed: {}", assertion.name),
                lines,
            });
        }
    }
    let mut explained = Vec::new();
    for session in report.sessions.iter().filter(|session| session.outcome == Outcome::Failure) {
        let finding = checked.failure_of(session);
        if let Some(reference) = &session.failed_finding {
            explained.push(reference.index);
        }
        let step = session.failed_step.map(|step| format!(" at step {step}")).unwrap_or_default();
        let mut lines = Vec::new();
        if let Some(finding) = finding {
            lines.push(format!("{}: {}", finding.code.info().title, finding.message));
            lines.push(format!("Fix: {}", finding.code.info().fix));
        }
        if let Some(line) = checked.failed_exchange_line(session) {
            let index = session.failed_exchange.unwrap_or_default();
            lines.push(format!("Failing exchange #{index}: {line}"));
        }
        let code = finding.map(|finding| format!(" ({})", finding.code)).unwrap_or_default();
        annotations.push(Annotation {
            level: if checked.failure_is_bad() { level_of(Severity::Error) } else { Level::Notice },
            file: file.to_owned(),
            title: format!(
                "regauth: session {} {} failed{step}{code}",
                session.index + 1,
                session.title
            ),
            lines,
        });
    }
    for (finding_idx, finding) in report.findings.iter().enumerate() {
        if finding.severity == Severity::Info || explained.contains(&finding_idx) {
            continue;
        }
        let place = match (finding.session, finding.step) {
            (Some(session), Some(step)) => format!(" (session {}, step {step})", session + 1),
            (Some(session), None) => format!(" (session {})", session + 1),
            _ => String::new(),
        };
        annotations.push(Annotation {
            level: level_of(finding.severity),
            file: file.to_owned(),
            title: format!("regauth: {}{place}", finding.code),
            lines: vec![
                format!("{}: {}", finding.code.info().title, finding.message),
                format!("Fix: {}", finding.code.info().fix),
            ],
        });
    }
}
