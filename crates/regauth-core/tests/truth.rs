//! Truth tests: every recorded sample is analysed and compared with the truth injected when
//! it was recorded (`samples/truth.json`, written by `samples/record/`): outcome, failing
//! step, token-issuer clock offset (within 1.5 s) and the expected finding codes; an error- or
//! warning-level finding the truth does not name is a false alarm and fails too.

use std::path::{Path, PathBuf};

use regauth_core::analysis::{AnalysisConfig, ClockRole, Outcome, Severity, analyze};
use regauth_core::capture::{self, Input};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

struct Mismatch {
    file: String,
    what: String,
}

#[test]
fn every_sample_agrees_with_its_injected_truth() {
    let truth_text =
        std::fs::read_to_string(samples_dir().join("truth.json")).expect("samples/truth.json");
    let truth: serde_json::Value = serde_json::from_str(&truth_text).expect("truth.json is JSON");
    let samples = truth["samples"].as_array().expect("samples array");
    assert!(samples.len() >= 20, "the corpus shrank to {} samples", samples.len());
    let mut mismatches = Vec::new();
    for sample in samples {
        let file = sample["file"].as_str().expect("file");
        let bytes =
            std::fs::read(samples_dir().join(file)).unwrap_or_else(|err| panic!("{file}: {err}"));
        let (capture, errors) = capture::read(&[Input::new(file, bytes)]);
        assert!(errors.is_empty(), "{file}: {errors:?}");
        let analysis = analyze(&capture, &AnalysisConfig::default());
        let mut mismatch = |what: String| mismatches.push(Mismatch { file: file.to_owned(), what });

        let expected_outcome = sample["outcome"].as_str().unwrap_or("?");
        let outcome = match analysis.outcome {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Incomplete => "incomplete",
        };
        if outcome != expected_outcome {
            mismatch(format!("outcome {outcome}, expected {expected_outcome}"));
        }
        let expected_step = sample["failed_step"].as_u64();
        let failed_steps: Vec<u64> = analysis
            .sessions
            .iter()
            .filter(|session| session.outcome == Outcome::Failure)
            .filter_map(|session| session.failed_step.map(|step| u64::from(step.number())))
            .collect();
        match expected_step {
            Some(step) if !failed_steps.contains(&step) => {
                mismatch(format!("failed steps {failed_steps:?}, expected {step}"))
            }
            None if !failed_steps.is_empty() => {
                mismatch(format!("failed steps {failed_steps:?}, expected none"))
            }
            _ => {}
        }
        let codes: Vec<&str> =
            analysis.findings.iter().map(|finding| finding.code.as_str()).collect();
        for expected in
            sample["findings"].as_array().into_iter().flatten().filter_map(|code| code.as_str())
        {
            if !codes.contains(&expected) {
                mismatch(format!("missing finding {expected} (found {codes:?})"));
            }
        }
        // Error- and warning-level findings must be expected: an unexpected one is a false alarm.
        let expected: Vec<&str> = sample["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|code| code.as_str())
            .collect();
        for finding in &analysis.findings {
            if finding.severity >= Severity::Warning && !expected.contains(&finding.code.as_str()) {
                mismatch(format!(
                    "unexpected {} finding {}: {}",
                    finding.severity.as_str(),
                    finding.code,
                    finding.message
                ));
            }
        }
        // The recorder shifted the token service's whole clock (token claims and its `Date`), so
        // when no token was issued (wrong password) its `Date` carries the offset instead.
        if let Some(offset) = sample["clock_offsets"]["token-issuer"].as_f64() {
            let issuer =
                analysis.clocks.iter().find(|clock| clock.role == ClockRole::TokenIssuer).or_else(
                    || analysis.clocks.iter().find(|clock| clock.role == ClockRole::TokenService),
                );
            let token_service_seen = capture
                .exchanges
                .iter()
                .any(|exchange| exchange.request.path_only().ends_with("/token"));
            match issuer {
                Some(clock) if (clock.offset_s - offset).abs() <= 1.5 => {}
                Some(clock) => mismatch(format!(
                    "token-issuer offset {} s, expected {offset} s",
                    clock.offset_s
                )),
                // Nothing reached a token service (e.g. TLS failed first): no clock to compare.
                None if !token_service_seen => {}
                None => mismatch("no token-issuer or token-service clock".to_owned()),
            }
        }
    }
    let report: Vec<String> =
        mismatches.iter().map(|m| format!("{}: {}", m.file, m.what)).collect();
    assert!(
        report.is_empty(),
        "{} disagreement(s) with the injected truth:\n{}",
        report.len(),
        report.join("\n")
    );
}
