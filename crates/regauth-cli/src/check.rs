//! `regauth check`: assertions over recorded sessions, for CI.

use std::io::Write as _;

use anyhow::Result;
use regauth_core::analysis::{AnalysisConfig, Outcome, Severity, analyze, explain};
use regauth_core::display::{Safe, safe, safe_lines};
use regauth_core::secret::mask_url_secrets;
use serde::Serialize;

use crate::Status;
use crate::args::{CheckArgs, CheckFormat, Expectation};
use crate::input::read_capture;

/// One assertion and whether it held.
#[derive(Debug, Serialize)]
struct Assertion {
    name: String,
    passed: bool,
    detail: String,
}

#[derive(Debug, Serialize)]
struct CheckReport {
    schema: &'static str,
    passed: bool,
    assertions: Vec<Assertion>,
}

pub fn run(args: &CheckArgs) -> Result<Status> {
    for code in args.deny.iter().chain(&args.allow) {
        if explain(code).is_none() {
            anyhow::bail!("unknown finding code `{code}` (`regauth explain` lists them)");
        }
    }
    let (capture, errors) = read_capture(&args.files)?;
    if !errors.is_empty() {
        return Ok(Status::Error);
    }
    let analysis =
        crate::progress::phase(&format!("analysing {} exchanges", capture.exchanges.len()), || {
            analyze(&capture, &AnalysisConfig::default())
        });
    crate::progress::finish();
    let mut assertions = Vec::new();

    let expected = match args.expect {
        Expectation::Success => Outcome::Success,
        Expectation::Failure => Outcome::Failure,
    };
    let failed_sessions: Vec<String> = analysis
        .sessions
        .iter()
        .filter(|session| session.outcome == Outcome::Failure)
        .map(|session| {
            format!(
                "{}{} failed at step {}",
                session.registry,
                session.repository.as_ref().map(|repo| format!("/{repo}")).unwrap_or_default(),
                session
                    .failed_step
                    .map_or_else(|| "?".to_owned(), |step| step.number().to_string())
            )
        })
        .collect();
    assertions.push(Assertion {
        name: format!("outcome is {}", expected.as_str()),
        passed: analysis.outcome == expected,
        detail: if failed_sessions.is_empty() {
            format!(
                "outcome {} ({} session(s))",
                analysis.outcome.as_str(),
                analysis.sessions.len()
            )
        } else {
            format!("outcome {}: {}", analysis.outcome.as_str(), failed_sessions.join("; "))
        },
    });
    if expected == Outcome::Success {
        let errors: Vec<String> = analysis
            .findings
            .iter()
            .filter(|finding| {
                finding.severity == Severity::Error
                    && !args.allow.iter().any(|code| code == finding.code)
            })
            .map(|finding| format!("{}: {}", finding.code, mask_url_secrets(&finding.message)))
            .collect();
        assertions.push(Assertion {
            name: "no error-level findings".to_owned(),
            passed: errors.is_empty(),
            detail: if errors.is_empty() { "none".to_owned() } else { errors.join("\n") },
        });
    }
    for code in &args.deny {
        let present: Vec<String> = analysis
            .findings
            .iter()
            .filter(|finding| finding.code == code)
            .map(|finding| mask_url_secrets(&finding.message).into_owned())
            .collect();
        assertions.push(Assertion {
            name: format!("no {code}"),
            passed: present.is_empty(),
            detail: if present.is_empty() { "absent".to_owned() } else { present.join("\n") },
        });
    }
    if let Some(limit) = args.max_clock_skew {
        let over: Vec<String> = analysis
            .clocks
            .iter()
            .filter(|clock| clock.offset_s.abs() - clock.uncertainty_s > limit)
            .map(|clock| {
                format!(
                    "{} ({}) {:+.1} s ± {:.1} s",
                    clock.host,
                    clock.role.as_str(),
                    clock.offset_s,
                    clock.uncertainty_s
                )
            })
            .collect();
        assertions.push(Assertion {
            name: format!("clock skew within {limit} s"),
            passed: over.is_empty(),
            detail: if over.is_empty() {
                format!("{} clock(s) within the limit", analysis.clocks.len())
            } else {
                over.join("; ")
            },
        });
    }

    let passed = assertions.iter().all(|assertion| assertion.passed);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        CheckFormat::Text => {
            for assertion in &assertions {
                writeln!(
                    stdout,
                    "{} {}",
                    if assertion.passed { "pass" } else { "FAIL" },
                    Safe(&assertion.name)
                )?;
                if !assertion.passed {
                    for line in assertion.detail.split('\n') {
                        writeln!(stdout, "     {}", Safe(line))?;
                    }
                }
            }
            let n_failed = assertions.iter().filter(|assertion| !assertion.passed).count();
            writeln!(stdout, "check: {} passed, {n_failed} failed", assertions.len() - n_failed)?;
        }
        CheckFormat::Json => {
            serde_json::to_writer_pretty(
                &mut stdout,
                &CheckReport { schema: "regauth.check/v1", passed, assertions },
            )?;
            writeln!(stdout)?;
        }
        CheckFormat::Junit => write_junit(&mut stdout, &assertions)?,
    }
    stdout.flush()?;
    Ok(if passed { Status::Success } else { Status::Failure })
}

/// JUnit XML through a real XML writer (quick-xml escapes markup). Capture-derived text is made
/// display-safe first: that escapes every control character XML 1.0 forbids (NUL, ESC, ...;
/// escaping `<` is not enough for those, no XML parser accepts them even as references) and the
/// noncharacters U+FFFE/U+FFFF, so the document is well-formed for any input.
fn write_junit(out: &mut impl std::io::Write, assertions: &[Assertion]) -> std::io::Result<()> {
    use quick_xml::events::{BytesDecl, BytesText, Event};
    let failures = assertions.iter().filter(|assertion| !assertion.passed).count().to_string();
    let tests = assertions.len().to_string();
    let mut writer = quick_xml::Writer::new_with_indent(out, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
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
                    for assertion in assertions {
                        let name = safe(&assertion.name);
                        let testcase = writer
                            .create_element("testcase")
                            .with_attributes([("classname", "regauth.check"), ("name", &name)]);
                        if assertion.passed {
                            testcase.write_empty()?;
                        } else {
                            let detail = safe_lines(&assertion.detail);
                            testcase.write_inner_content(|writer| {
                                writer
                                    .create_element("failure")
                                    .with_attribute(("message", name.as_ref()))
                                    .write_text_content(BytesText::new(&detail))?;
                                Ok(())
                            })?;
                        }
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    writeln!(writer.get_mut())
}
