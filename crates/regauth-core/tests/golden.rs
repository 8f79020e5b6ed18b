//! Golden tests: the text and `regauth.analysis/v1` JSON renderings of every recorded flow
//! sample are compared with `tests/golden/<sample>.{txt,json}` at the repository root.
//! Re-bless after an intended change with `UPDATE_EXPECT=1 cargo test -p regauth-core --test golden`
//! and review the diff. Also checks that the HAR written in the same mitmproxy session analyses
//! to the same sessions, outcomes and findings as its flow file.

use std::path::{Path, PathBuf};

use regauth_core::analysis::{Analysis, AnalysisConfig, analyze};
use regauth_core::capture::{self, Capture, Input};
use regauth_core::report::analysis::{AnalysisReport, Secrets, StreamedReport};
use regauth_core::report::exchanges::{ExchangeList, StreamedExchangeList};
use regauth_core::report::text::{TextStyle, render, write_text};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn flow_samples() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["samples", "samples/mitmproxy-versions"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "flow") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn load(path: &Path) -> (Capture, Analysis) {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let (capture, errors) = capture::read(&[Input::new(name, bytes)]);
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    let analysis = analyze(&capture, &AnalysisConfig::default());
    (capture, analysis)
}

/// Compares `actual` with the golden file; with UPDATE_EXPECT=1 writes it instead.
fn check_golden(golden: &Path, actual: &str, failures: &mut Vec<String>) {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let expected = std::fs::read_to_string(golden).ok();
    if expected.as_deref() == Some(actual) {
        return;
    }
    if update {
        std::fs::write(golden, actual).unwrap_or_else(|err| panic!("{}: {err}", golden.display()));
        return;
    }
    match expected {
        None => failures.push(format!(
            "{} is missing (run with UPDATE_EXPECT=1 to create it)",
            golden.display()
        )),
        Some(expected) => {
            let first_difference = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
            failures.push(format!(
                "{} differs from the output at line {}:\n  golden: {:?}\n  actual: {:?}",
                golden.display(),
                first_difference + 1,
                expected.lines().nth(first_difference).unwrap_or("<end>"),
                actual.lines().nth(first_difference).unwrap_or("<end>")
            ));
        }
    }
}

#[test]
fn analysis_renderings_match_the_golden_files() {
    let samples = flow_samples();
    assert!(samples.len() >= 30, "only {} flow samples found", samples.len());
    let mut failures = Vec::new();
    for path in &samples {
        let (capture, analysis) = load(path);
        let stem =
            path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        let report = AnalysisReport::new(&capture, &analysis, Secrets::Masked);
        let text = render(&report, &capture, TextStyle { color: false });
        let json = serde_json::to_string_pretty(&report).expect("report serialises") + "\n";
        // The web app receives the report from a Web Worker as JSON: it must come back as the
        // same value and serialise to the same bytes.
        let received: AnalysisReport =
            serde_json::from_str(&json).unwrap_or_else(|err| panic!("{stem}: {err}"));
        assert_eq!(received, report, "{stem}: the report does not survive a JSON round trip");
        assert_eq!(serde_json::to_string_pretty(&received).expect("serialises") + "\n", json);
        for secrets in [Secrets::Masked, Secrets::Revealed] {
            assert_eq!(
                serde_json::to_string_pretty(&StreamedExchangeList::new(&capture, secrets))
                    .expect("serialises"),
                serde_json::to_string_pretty(&ExchangeList::new(&capture, secrets))
                    .expect("serialises"),
                "{stem}: the streamed exchange list differs ({secrets:?})"
            );
        }
        // What `regauth analyze` writes: the same bytes, its rows built as they are written.
        for secrets in [Secrets::Masked, Secrets::Revealed] {
            let whole = AnalysisReport::new(&capture, &analysis, secrets);
            let streamed = StreamedReport::new(&capture, &analysis, secrets);
            assert_eq!(
                serde_json::to_string_pretty(&streamed).expect("serialises"),
                serde_json::to_string_pretty(&whole).expect("serialises"),
                "{stem}: the streamed JSON differs ({secrets:?})"
            );
            for color in [false, true] {
                let mut written = String::new();
                write_text(&mut written, &streamed, TextStyle { color }).expect("writes");
                assert_eq!(
                    written,
                    render(&whole, &capture, TextStyle { color }),
                    "{stem}: the streamed text differs ({secrets:?}, colour {color})"
                );
            }
        }
        assert!(
            !json.contains("writer-pass-1") && !json.contains("reader-pass-1"),
            "{stem}: a password leaked"
        );
        check_golden(
            &root().join("tests/golden").join(format!("{stem}.txt")),
            &text,
            &mut failures,
        );
        check_golden(
            &root().join("tests/golden").join(format!("{stem}.json")),
            &json,
            &mut failures,
        );
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatch(es):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Codes about facts only a flow file records: a HAR has no client certificate (mitmproxy's
/// HAR export and every browser leave it out), so the HAR twin cannot show these.
const FLOW_ONLY_CODES: [&str; 1] = ["tls-client-certificate-expiring"];

/// What must not differ between a flow file and the HAR mitmproxy wrote for the same session.
fn essence(analysis: &Analysis) -> Vec<String> {
    let mut lines: Vec<String> = analysis
        .sessions
        .iter()
        .map(|session| {
            let steps: Vec<String> = session
                .steps
                .iter()
                .map(|step| format!("{}:{:?}", step.step.number(), step.exchanges))
                .collect();
            format!(
                "session {} {:?} {} {:?} {}",
                session.registry,
                session.repository,
                session.outcome.as_str(),
                session.failed_step.map(|step| step.number()),
                steps.join(" ")
            )
        })
        .collect();
    let mut codes: Vec<String> = analysis
        .findings
        .iter()
        .filter(|finding| !FLOW_ONLY_CODES.contains(&finding.code.as_str()))
        .map(|finding| format!("finding {} {}", finding.code, finding.severity.as_str()))
        .collect();
    codes.sort();
    codes.dedup();
    lines.extend(codes);
    lines.push(format!("tokens {}", analysis.tokens.len()));
    lines
}

#[test]
fn flow_and_har_of_one_session_analyse_alike() {
    let mut compared = 0;
    let mut failures = Vec::new();
    for flow in flow_samples() {
        let har = flow.with_extension("har");
        if !har.exists() {
            continue;
        }
        compared += 1;
        let (_, from_flow) = load(&flow);
        let (_, from_har) = load(&har);
        let (flow_lines, har_lines) = (essence(&from_flow), essence(&from_har));
        if flow_lines != har_lines {
            failures.push(format!(
                "{}:\n  flow: {flow_lines:#?}\n  har:  {har_lines:#?}",
                flow.display()
            ));
        }
    }
    assert!(compared >= 30, "only {compared} flow/HAR pairs");
    assert!(failures.is_empty(), "{} pair(s) differ:\n{}", failures.len(), failures.join("\n"));
}
