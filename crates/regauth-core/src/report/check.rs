//! `regauth.check/v1`: assertions over an analysis, for CI (`regauth check`).
//!
//! # Wire format
//!
//! ```text
//! {
//!   "schema": "regauth.check/v1",
//!   "passed": true | false,              // every assertion held
//!   "assertions": [{name, passed, detail}]
//! }
//! ```
//! Assertions come in this order: `outcome is success|failure`; with `success`, `no
//! error-level findings` (codes passed as allowed do not count); one `no <code>` per denied
//! code; `clock skew within <limit> s` when a limit is given. `detail` says what was found,
//! one item per line. Fields are only ever added, never renamed or removed.
//!
//! The assertions read the [`AnalysisReport`], the same contract the text and the web page
//! render, so a check cannot disagree with what `regauth analyze` shows.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::analysis::AnalysisReport;
use crate::analysis::{Code, Outcome, Severity};

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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    pub schema: String,
    pub passed: bool,
    pub assertions: Vec<Assertion>,
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
        CheckReport { schema: SCHEMA.to_owned(), passed, assertions }
    }

    /// `pass <name>` / `FAIL <name>` lines (failures followed by their detail), then a tally.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for assertion in &self.assertions {
            let _ = writeln!(
                out,
                "{} {}",
                if assertion.passed { "pass" } else { "FAIL" },
                assertion.name
            );
            if !assertion.passed {
                for line in assertion.detail.lines() {
                    let _ = writeln!(out, "     {line}");
                }
            }
        }
        let n_failed = self.assertions.iter().filter(|assertion| !assertion.passed).count();
        let _ =
            writeln!(out, "check: {} passed, {n_failed} failed", self.assertions.len() - n_failed);
        out
    }

    /// JUnit XML: one test case per assertion, in one suite.
    pub fn render_junit(&self) -> String {
        let total = self.assertions.len();
        let failures = self.assertions.iter().filter(|assertion| !assertion.passed).count();
        let mut out = String::new();
        let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ =
            writeln!(out, r#"<testsuites name="regauth" tests="{total}" failures="{failures}">"#);
        let _ = writeln!(
            out,
            r#"  <testsuite name="regauth check" tests="{total}" failures="{failures}">"#
        );
        for assertion in &self.assertions {
            let name = xml_escape(&assertion.name);
            if assertion.passed {
                let _ = writeln!(out, r#"    <testcase classname="regauth.check" name="{name}"/>"#);
            } else {
                let _ = writeln!(out, r#"    <testcase classname="regauth.check" name="{name}">"#);
                let _ = writeln!(
                    out,
                    r#"      <failure message="{name}">{}</failure>"#,
                    xml_escape(&assertion.detail)
                );
                let _ = writeln!(out, "    </testcase>");
            }
        }
        let _ = writeln!(out, "  </testsuite>\n</testsuites>");
        out
    }
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
    Assertion {
        name: format!("outcome is {}", expected.as_str()),
        passed: report.outcome == expected,
        detail: if failed_sessions.is_empty() {
            format!("outcome {} ({} session(s))", report.outcome.as_str(), report.sessions.len())
        } else {
            format!("outcome {}: {}", report.outcome.as_str(), failed_sessions.join("; "))
        },
    }
}

fn no_errors_assertion(report: &AnalysisReport, allow: &[Code]) -> Assertion {
    let errors: Vec<String> = report
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error && !allow.contains(&finding.code))
        .map(|finding| format!("{}: {}", finding.code, finding.message))
        .collect();
    Assertion {
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
        name: format!("clock skew within {limit} s"),
        passed: over.is_empty(),
        detail: if over.is_empty() {
            format!("{} clock(s) within the limit", report.clocks.len())
        } else {
            over.join("; ")
        },
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
