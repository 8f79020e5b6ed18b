//! JUnit XML for CI dashboards: one `<testsuite>` per capture, one `<testcase>` per session
//! (`classname="regauth.session"`) and, for a check, per assertion (`regauth.check`).
//!
//! ```text
//! <testsuites name="regauth" tests failures errors>
//!   <testsuite name="FILE" tests failures errors>
//!     <properties><property name="outcome" value="failure"/></properties>
//!     <testcase classname="regauth.session" name="session 1: registry/repo">
//!       <failure type="CODE" message="step 6 (registry checks and serves): TITLE">explanation,
//!         fix, failing exchange, other errors of the session</failure>
//!     </testcase>
//!     <testcase classname="regauth.check" name="outcome is success">
//!       <failure type="assertion" message="outcome is success">detail, what to do</failure>
//!     </testcase>
//!   </testsuite>
//!   <testsuite name="UNREADABLE FILE" tests="1" errors="1">
//!     <testcase classname="regauth.input" name="read FILE"><error message="..."/></testcase>
//!   </testsuite>
//! </testsuites>
//! ```
//! A failed session is a failure unless a check expected the capture to fail. Written with
//! quick-xml (markup escaped in text and attributes); capture text is made [`safe`](crate::display::safe) first,
//! which also removes the characters XML 1.0 forbids, so the file is well-formed whatever the
//! capture holds.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::runs::{CaptureRun, Checked, fixes};
use crate::analysis::{Outcome, Severity};
use crate::display::{safe, safe_lines};

/// A test case as the writer needs it.
struct Case {
    classname: &'static str,
    name: String,
    problem: Option<Problem>,
}

struct Problem {
    /// `failure` or `error`.
    element: &'static str,
    kind: String,
    message: String,
    body: String,
}

struct Suite {
    name: String,
    outcome: Option<Outcome>,
    cases: Vec<Case>,
}

impl Suite {
    fn count(&self, element: &str) -> usize {
        self.cases
            .iter()
            .filter(|case| case.problem.as_ref().is_some_and(|problem| problem.element == element))
            .count()
    }
}

/// The JUnit XML of every capture.
pub fn render_junit(runs: &[CaptureRun<'_>]) -> String {
    let suites: Vec<Suite> = runs.iter().map(suite).collect();
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    match write(&mut writer, &suites) {
        // Writing into a Vec cannot fail, and quick-xml writes UTF-8 from `&str`s.
        Ok(()) => String::from_utf8(writer.into_inner()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn suite(run: &CaptureRun<'_>) -> Suite {
    let name = run.name();
    let checked = match &run.result {
        Err(error) => {
            return Suite {
                cases: vec![Case {
                    classname: "regauth.input",
                    name: format!("read {name}"),
                    problem: Some(Problem {
                        element: "error",
                        kind: "unreadable".to_owned(),
                        message: error.clone(),
                        body: error.clone(),
                    }),
                }],
                name,
                outcome: None,
            };
        }
        Ok(checked) => checked,
    };
    let mut cases: Vec<Case> = run
        .unusable
        .iter()
        .map(|error| Case {
            classname: "regauth.input",
            name: format!("read {name}"),
            problem: Some(Problem {
                element: "error",
                kind: "unreadable".to_owned(),
                message: error.clone(),
                body: error.clone(),
            }),
        })
        .collect();
    cases.extend(checked.analysis.sessions.iter().map(|session| {
        Case {
            classname: "regauth.session",
            name: format!("session {}: {}", session.index + 1, session.title),
            problem: (session.outcome == Outcome::Failure && checked.failure_is_bad())
                .then(|| session_failure(checked, session)),
        }
    }));
    if let Some(check) = checked.check {
        cases.extend(check.assertions.iter().map(|assertion| Case {
            classname: "regauth.check",
            name: assertion.name.clone(),
            problem: (!assertion.passed).then(|| {
                let mut body = assertion.detail.clone();
                let fixes = fixes(&assertion.codes);
                if !fixes.is_empty() {
                    body.push_str("\n\nWhat to do:\n");
                    body.push_str(&fixes.join("\n"));
                }
                Problem {
                    element: "failure",
                    kind: "assertion".to_owned(),
                    message: assertion.name.clone(),
                    body,
                }
            }),
        }));
    }
    Suite { name, outcome: Some(checked.analysis.outcome), cases }
}

fn session_failure(checked: &Checked<'_>, session: &super::analysis::SessionRow) -> Problem {
    let step = session
        .failed_step
        .and_then(|number| session.steps.iter().find(|step| step.step == number))
        .map(|step| format!("step {} ({})", step.step, step.title))
        .unwrap_or_else(|| "failed".to_owned());
    let finding = checked.failure_of(session);
    let mut body = Vec::new();
    if let Some(finding) = finding {
        body.push(finding.message.clone());
        body.push(format!("Fix: {}", finding.code.info().fix));
    }
    if let (Some(index), Some(line)) =
        (session.failed_exchange, checked.failed_exchange_line(session))
    {
        body.push(format!("Failing exchange #{index}: {line}"));
    }
    for other in checked.analysis.findings.iter().filter(|other| {
        other.session == Some(session.index)
            && other.severity == Severity::Error
            && finding.is_none_or(|shown| shown.code != other.code)
    }) {
        body.push(format!("Also {}: {} Fix: {}", other.code, other.message, other.code.info().fix));
    }
    Problem {
        element: "failure",
        kind: finding
            .map_or_else(|| "session-failed".to_owned(), |finding| finding.code.to_string()),
        message: match finding {
            Some(finding) => format!("{step}: {}", finding.code.info().title),
            None => step,
        },
        body: body.join("\n"),
    }
}

fn write(writer: &mut Writer<Vec<u8>>, suites: &[Suite]) -> io::Result<()> {
    let total =
        |count: &dyn Fn(&Suite) -> usize| suites.iter().map(count).sum::<usize>().to_string();
    let tests = total(&|suite| suite.cases.len());
    let failures = total(&|suite| suite.count("failure"));
    let errors = total(&|suite| suite.count("error"));
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("testsuites")
        .with_attributes([
            ("name", "regauth"),
            ("tests", tests.as_str()),
            ("failures", failures.as_str()),
            ("errors", errors.as_str()),
        ])
        .write_inner_content(|writer| {
            for suite in suites {
                write_suite(writer, suite)?;
            }
            Ok(())
        })?;
    writer.get_mut().push(b'\n');
    Ok(())
}

fn write_suite(writer: &mut Writer<Vec<u8>>, suite: &Suite) -> io::Result<()> {
    let name = safe(&suite.name);
    let tests = suite.cases.len().to_string();
    let failures = suite.count("failure").to_string();
    let errors = suite.count("error").to_string();
    writer
        .create_element("testsuite")
        .with_attributes([
            ("name", name.as_ref()),
            ("tests", tests.as_str()),
            ("failures", failures.as_str()),
            ("errors", errors.as_str()),
        ])
        .write_inner_content(|writer| {
            if let Some(outcome) = suite.outcome {
                writer.create_element("properties").write_inner_content(|writer| {
                    writer
                        .create_element("property")
                        .with_attributes([("name", "outcome"), ("value", outcome.as_str())])
                        .write_empty()?;
                    Ok(())
                })?;
            }
            for case in &suite.cases {
                let name = safe(&case.name);
                let element = writer
                    .create_element("testcase")
                    .with_attributes([("classname", case.classname), ("name", name.as_ref())]);
                match &case.problem {
                    None => {
                        element.write_empty()?;
                    }
                    Some(problem) => {
                        element.write_inner_content(|writer| {
                            writer
                                .create_element(problem.element)
                                .with_attributes([
                                    ("type", safe(&problem.kind).as_ref()),
                                    ("message", safe(&problem.message).as_ref()),
                                ])
                                .write_text_content(BytesText::new(&safe_lines(&problem.body)))?;
                            Ok(())
                        })?;
                    }
                }
            }
            Ok(())
        })?;
    Ok(())
}
