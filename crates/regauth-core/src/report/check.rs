//! `regauth.check/v1`: assertions over an analysis, for CI (`regauth check`).
//!
//! # Wire format
//!
//! ```text
//! {
//!   "schema": "regauth.check/v1",
//!   "passed": true | false,              // every assertion held (in every file)
//!   "assertions": [{name, passed, detail, codes: [..]}],
//!   "expect": "success" | "failure",     // the outcome asked for (--expect)
//!   "files": [{inputs: [..], status: "passed" | "failed" | "unreadable", passed,
//!              error | null, outcome | null, assertions: [{name, passed, detail, codes}],
//!              sessions: [{index, title, outcome, failed_step | null, failed_finding | null}]}]
//! }
//! ```
//! Assertions come in this order: `outcome is success|failure`; with `success`, `no
//! error-level findings` (codes passed as allowed do not count); one `no <code>` per denied
//! code; `clock skew within <limit> s` when a limit is given. `detail` says what was found,
//! one item per line; `codes` are the finding codes behind a failed assertion (their fixes are
//! what to do).
//!
//! `files` has one entry per capture checked: one per file (`regauth check a.har b.har`), or
//! one for all of them with `--merge` (`inputs` names them). With one entry, the top-level
//! `passed` and `assertions` are that entry's, as before `files` existed. With several, the
//! top level sums them up: `passed` is true when every file passed; each assertion name
//! appears once, passed when it held in every file that has it, its `detail` listing the files
//! where it failed (`file: detail` lines) or `held in N file(s)`; and a file that could not be
//! read adds a failed assertion `every input is readable`. A file's `status` is `unreadable`
//! when it (or, with `--merge`, any of its inputs) could not be used; `error` says why, and
//! what could be read is still checked. A session's `failed_finding` is the code of the
//! finding that explains its failure.
//!
//! `expect`, `codes` and `files` were added to v1 after its first release; fields are only
//! ever added, never renamed or removed.
//!
//! The assertions read the [`AnalysisReport`], the same contract the text and the web page
//! render, so a check cannot disagree with what `regauth analyze` shows.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::analysis::AnalysisReport;
use super::runs::{CaptureRun, RunStatus};
use crate::analysis::{Code, Outcome, Severity};
use crate::display::{Safe, safe};

pub const SCHEMA: &str = "regauth.check/v1";

/// What a check asserts.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckSpec {
    /// The outcome the capture must have (`Success` or `Failure`). With `Success`, error-level
    /// findings also fail the check unless their code is in `allow`.
    pub expect: Outcome,
    /// Codes that must not appear at any severity.
    pub deny: Vec<Code>,
    /// Codes whose error-level findings do not fail an expected success.
    pub allow: Vec<Code>,
    /// Fail when a clock is further off the capture clock than this (seconds, beyond its
    /// uncertainty).
    pub max_clock_skew_s: Option<f64>,
}

/// One assertion and whether it held.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assertion {
    pub name: String,
    pub passed: bool,
    pub detail: String,
    /// The finding codes behind a failure (what to fix); empty when it held.
    #[serde(default)]
    pub codes: Vec<Code>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub schema: String,
    pub passed: bool,
    pub assertions: Vec<Assertion>,
    /// The outcome the check asked for.
    #[serde(default = "expect_success")]
    pub expect: Outcome,
    /// One verdict per capture checked (see the module docs).
    #[serde(default)]
    pub files: Vec<FileVerdict>,
}

fn expect_success() -> Outcome {
    Outcome::Success
}

/// The verdict on one capture: a file, or the files read as one timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileVerdict {
    pub inputs: Vec<String>,
    /// `passed`, `failed` or `unreadable`.
    pub status: String,
    pub passed: bool,
    /// Why the input could not be read.
    pub error: Option<String>,
    pub outcome: Option<Outcome>,
    pub assertions: Vec<Assertion>,
    pub sessions: Vec<SessionVerdict>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionVerdict {
    pub index: usize,
    pub title: String,
    pub outcome: Outcome,
    pub failed_step: Option<u8>,
    pub failed_finding: Option<Code>,
}

impl CheckReport {
    pub fn new(report: &AnalysisReport, spec: &CheckSpec) -> CheckReport {
        let mut assertions = vec![outcome_assertion(report, spec.expect)];
        if spec.expect == Outcome::Success {
            assertions.push(no_errors_assertion(report, &spec.allow));
        }
        assertions.extend(spec.deny.iter().map(|&code| denied_code_assertion(report, code)));
        if let Some(limit) = spec.max_clock_skew_s {
            assertions.push(clock_skew_assertion(report, limit));
        }
        let passed = assertions.iter().all(|assertion| assertion.passed);
        CheckReport {
            schema: SCHEMA.to_owned(),
            passed,
            assertions,
            expect: spec.expect,
            files: Vec::new(),
        }
    }

    /// The report of a whole `regauth check` run: one [`FileVerdict`] per capture and the
    /// top-level fields as the module docs describe. `runs` holds each capture's own report.
    pub fn summarize(runs: &[CaptureRun<'_>], expect: Outcome) -> CheckReport {
        let files: Vec<FileVerdict> = runs.iter().map(FileVerdict::of).collect();
        if let [only] = runs
            && only.unusable.is_empty()
            && let Ok(checked) = &only.result
            && let Some(check) = checked.check
        {
            return CheckReport { files, ..check.clone() };
        }
        let mut assertions: Vec<Assertion> = Vec::new();
        for file in &files {
            for assertion in &file.assertions {
                let summed = match assertions.iter_mut().find(|seen| seen.name == assertion.name) {
                    Some(summed) => summed,
                    None => {
                        assertions.push(Assertion {
                            name: assertion.name.clone(),
                            passed: true,
                            detail: String::new(),
                            codes: Vec::new(),
                        });
                        let Some(summed) = assertions.last_mut() else { continue };
                        summed
                    }
                };
                if !assertion.passed {
                    summed.passed = false;
                    let name = file.inputs.join(" + ");
                    for line in assertion.detail.lines() {
                        if !summed.detail.is_empty() {
                            summed.detail.push('\n');
                        }
                        summed.detail.push_str(&format!("{name}: {line}"));
                    }
                    for &code in &assertion.codes {
                        if !summed.codes.contains(&code) {
                            summed.codes.push(code);
                        }
                    }
                }
            }
        }
        for summed in &mut assertions {
            if summed.passed {
                let held_in = files
                    .iter()
                    .filter(|file| file.assertions.iter().any(|own| own.name == summed.name))
                    .count();
                summed.detail = format!("held in {held_in} file(s)");
            }
        }
        let unreadable: Vec<String> = files
            .iter()
            .filter_map(|file| {
                let error = file.error.as_deref()?;
                Some(format!("{}: {error}", file.inputs.join(" + ")))
            })
            .collect();
        if !unreadable.is_empty() {
            assertions.push(Assertion {
                name: "every input is readable".to_owned(),
                passed: false,
                detail: unreadable.join("\n"),
                codes: Vec::new(),
            });
        }
        CheckReport {
            schema: SCHEMA.to_owned(),
            passed: files.iter().all(|file| file.passed),
            assertions,
            expect,
            files,
        }
    }

    /// `pass <name>` / `FAIL <name>` lines (failures followed by their detail), then a tally.
    pub fn render_text(&self) -> String {
        let mut out = self.render_assertions();
        let n_failed = self.assertions.iter().filter(|assertion| !assertion.passed).count();
        let _ =
            writeln!(out, "check: {} passed, {n_failed} failed", self.assertions.len() - n_failed);
        out
    }

    /// `pass <name>` / `FAIL <name>` lines, failures followed by their detail.
    pub fn render_assertions(&self) -> String {
        let mut out = String::new();
        for assertion in &self.assertions {
            let _ = writeln!(
                out,
                "{} {}",
                if assertion.passed { "pass" } else { "FAIL" },
                Safe(&assertion.name)
            );
            if !assertion.passed {
                // Details quote capture strings (hosts, finding messages): one safe line each.
                for line in assertion.detail.split('\n') {
                    let _ = writeln!(out, "     {}", Safe(line));
                }
            }
        }
        out
    }
}

impl FileVerdict {
    fn of(run: &CaptureRun<'_>) -> FileVerdict {
        let status = run.status();
        let (error, outcome, assertions, sessions) = match &run.result {
            Err(error) => (Some(error.clone()), None, Vec::new(), Vec::new()),
            Ok(checked) => (
                (!run.unusable.is_empty()).then(|| run.unusable.join("; ")),
                Some(checked.analysis.outcome),
                checked.check.map(|check| check.assertions.clone()).unwrap_or_default(),
                checked
                    .analysis
                    .sessions
                    .iter()
                    .map(|session| SessionVerdict {
                        index: session.index,
                        title: session.title.clone(),
                        outcome: session.outcome,
                        failed_step: session.failed_step,
                        failed_finding: session.failed_finding.as_ref().map(|finding| finding.code),
                    })
                    .collect(),
            ),
        };
        FileVerdict {
            inputs: run.inputs.clone(),
            status: status.as_str().to_owned(),
            passed: status == RunStatus::Passed,
            error,
            outcome,
            assertions,
            sessions,
        }
    }
}

/// The verdicts of a `regauth check` run as text: for one capture, its assertions (as
/// [`CheckReport::render_text`]); for several, a `== file: PASS|FAIL|UNREADABLE` block per
/// capture and a summary line.
pub fn render_runs_text(runs: &[CaptureRun<'_>]) -> String {
    if let [only] = runs
        && only.unusable.is_empty()
        && let Ok(checked) = &only.result
        && let Some(check) = checked.check
    {
        return check.render_text();
    }
    let mut out = String::new();
    for run in runs {
        let verdict = match run.status() {
            RunStatus::Passed => "PASS",
            RunStatus::Failed => "FAIL",
            RunStatus::Unreadable => "UNREADABLE",
        };
        let _ = writeln!(out, "== {}: {verdict}", safe(&run.name()));
        for error in &run.unusable {
            let _ = writeln!(out, "     {}", safe(error));
        }
        match &run.result {
            Err(error) => {
                let _ = writeln!(out, "     {}", safe(error));
            }
            Ok(checked) => {
                if let Some(check) = checked.check {
                    out.push_str(&check.render_assertions());
                }
            }
        }
    }
    let count = |status: RunStatus| runs.iter().filter(|run| run.status() == status).count();
    let _ = writeln!(
        out,
        "check: {} file(s): {} passed, {} failed, {} unreadable",
        runs.len(),
        count(RunStatus::Passed),
        count(RunStatus::Failed),
        count(RunStatus::Unreadable)
    );
    out
}

fn outcome_assertion(report: &AnalysisReport, expected: Outcome) -> Assertion {
    let failed_sessions: Vec<String> = report
        .sessions
        .iter()
        .filter(|session| session.outcome == Outcome::Failure)
        .map(|session| {
            format!(
                "{} failed at step {}",
                session.title,
                session.failed_step.map_or_else(|| "?".to_owned(), |step| step.to_string())
            )
        })
        .collect();
    let passed = report.outcome == expected;
    let codes = if passed {
        Vec::new()
    } else {
        report
            .sessions
            .iter()
            .filter_map(|session| session.failed_finding.as_ref().map(|finding| finding.code))
            .collect()
    };
    Assertion {
        name: format!("outcome is {}", expected.as_str()),
        passed,
        codes,
        detail: if failed_sessions.is_empty() {
            format!("outcome {} ({} session(s))", report.outcome.as_str(), report.sessions.len())
        } else {
            format!("outcome {}: {}", report.outcome.as_str(), failed_sessions.join("; "))
        },
    }
}

fn no_errors_assertion(report: &AnalysisReport, allow: &[Code]) -> Assertion {
    let errors: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error && !allow.contains(&finding.code))
        .collect();
    let codes = errors.iter().map(|finding| finding.code).collect();
    let errors: Vec<String> =
        errors.iter().map(|finding| format!("{}: {}", finding.code, finding.message)).collect();
    Assertion {
        codes,
        name: "no error-level findings".to_owned(),
        passed: errors.is_empty(),
        detail: if errors.is_empty() { "none".to_owned() } else { errors.join("\n") },
    }
}

fn denied_code_assertion(report: &AnalysisReport, code: Code) -> Assertion {
    let present: Vec<String> = report
        .findings
        .iter()
        .filter(|finding| finding.code == code)
        .map(|finding| finding.message.clone())
        .collect();
    Assertion {
        codes: if present.is_empty() { Vec::new() } else { vec![code] },
        name: format!("no {code}"),
        passed: present.is_empty(),
        detail: if present.is_empty() { "absent".to_owned() } else { present.join("\n") },
    }
}

fn clock_skew_assertion(report: &AnalysisReport, limit: f64) -> Assertion {
    let over: Vec<String> = report
        .clocks
        .iter()
        .filter(|clock| clock.offset_seconds.abs() - clock.uncertainty_seconds > limit)
        .map(|clock| {
            format!(
                "{} ({}) {:+.1} s ± {:.1} s",
                clock.host,
                clock.role.as_str(),
                clock.offset_seconds,
                clock.uncertainty_seconds
            )
        })
        .collect();
    Assertion {
        codes: if over.is_empty() { Vec::new() } else { vec![Code::ClockSkew] },
        name: format!("clock skew within {limit} s"),
        passed: over.is_empty(),
        detail: if over.is_empty() {
            format!("{} clock(s) within the limit", report.clocks.len())
        } else {
            over.join("; ")
        },
    }
}
