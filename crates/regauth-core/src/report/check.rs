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
use crate::display::{Safe, safe, safe_lines};

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
                Safe(&assertion.name)
            );
            if !assertion.passed {
                // Details quote capture strings (hosts, finding messages): one safe line each.
                for line in assertion.detail.split('\n') {
                    let _ = writeln!(out, "     {}", Safe(line));
                }
            }
        }
        let n_failed = self.assertions.iter().filter(|assertion| !assertion.passed).count();
        let _ =
            writeln!(out, "check: {} passed, {n_failed} failed", self.assertions.len() - n_failed);
        out
    }

    /// JUnit XML: one test case per assertion, in one suite, written with a real XML writer
    /// (quick-xml escapes markup). Names and details are made display-safe first, which also
    /// takes out every character XML 1.0 forbids (NUL, ESC and the other C0 controls but tab,
    /// line feed and carriage return, and U+FFFE/U+FFFF): escaping cannot make those legal, a
    /// parser rejects them even as character references. So the document is well-formed for any
    /// capture.
    pub fn render_junit(&self) -> String {
        use quick_xml::events::{BytesDecl, BytesText, Event};
        let tests = self.assertions.len().to_string();
        let failures =
            self.assertions.iter().filter(|assertion| !assertion.passed).count().to_string();
        let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
        // Writing to a Vec cannot fail; an error would only leave the document shorter.
        let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        let _ = writer
            .create_element("testsuites")
            .with_attributes([("name", "regauth"), ("tests", &tests), ("failures", &failures)])
            .write_inner_content(|writer| {
                writer
                    .create_element("testsuite")
                    .with_attributes([
                        ("name", "regauth check"),
                        ("tests", &tests),
                        ("failures", &failures),
                    ])
                    .write_inner_content(|writer| {
                        for assertion in &self.assertions {
                            let name = safe(&assertion.name);
                            let testcase = writer
                                .create_element("testcase")
                                .with_attributes([("classname", "regauth.check"), ("name", &name)]);
                            if assertion.passed {
                                testcase.write_empty()?;
                                continue;
                            }
                            let detail = safe_lines(&assertion.detail);
                            testcase.write_inner_content(|writer| {
                                writer
                                    .create_element("failure")
                                    .with_attribute(("message", name.as_ref()))
                                    .write_text_content(BytesText::new(&detail))?;
                                Ok(())
                            })?;
                        }
                        Ok(())
                    })?;
                Ok(())
            });
        let mut out = String::from_utf8(writer.into_inner()).unwrap_or_default();
        out.push('\n');
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
