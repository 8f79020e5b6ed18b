//! Issue 9, item 4 on recorded samples: a capture cut short keeps what came before the cut,
//! and the analysis says so (`capture-incomplete`, with where the cut is), whatever the
//! format: plain HAR, plain flow, gzip-compressed flow. (The cut `.har.gz` and the flow cut
//! after 100 bytes are in `tests/limits.rs`.)

use std::io::Write as _;

use regauth_core::analysis::{AnalysisConfig, Severity, analyze};
use regauth_core::capture::{self, Input};

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/../../samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Reads `whole` and `cut` (named `name`): the cut keeps some but not all exchanges, each the
/// same as in the whole, and the analysis carries a `capture-incomplete` that names a place.
fn keeps_the_exchanges_before_the_cut(name: &str, whole: &[u8], cut: &[u8]) {
    let (whole_capture, errors) = capture::read(&[Input::new(name, whole.to_vec())]);
    assert!(errors.is_empty(), "{name}: {errors:?}");
    let (capture, errors) = capture::read(&[Input::new(name, cut.to_vec())]);
    assert!(errors.is_empty(), "{name}: something was kept, so no input error: {errors:?}");
    let kept = capture.exchanges.len();
    assert!(kept > 0 && kept < whole_capture.exchanges.len(), "{name}: kept {kept}");
    for (cut_exchange, whole_exchange) in capture.exchanges.iter().zip(&whole_capture.exchanges) {
        assert_eq!(cut_exchange.request.url(), whole_exchange.request.url(), "{name}");
        assert_eq!(
            cut_exchange.response.as_ref().map(|response| response.status),
            whole_exchange.response.as_ref().map(|response| response.status),
            "{name}"
        );
    }
    let located = capture.problems.iter().find(|problem| problem.location.byte_offset.is_some());
    let located = located.unwrap_or_else(|| panic!("{name}: {:?}", capture.problems));
    assert!(located.location.byte_offset.unwrap() <= whole.len() as u64, "{name}: {located}");
    let analysis = analyze(&capture, &AnalysisConfig::default());
    let incomplete = analysis
        .findings
        .iter()
        .find(|finding| {
            finding.code.as_str() == "capture-incomplete"
                && finding.message.starts_with("Parts of the input could not be read")
        })
        .unwrap_or_else(|| panic!("{name}: {:#?}", analysis.findings));
    assert_eq!(incomplete.severity, Severity::Warning);
    assert!(incomplete.message.contains("byte"), "{name}: {}", incomplete.message);
}

#[test]
fn r9_a_cut_har_keeps_its_complete_entries() {
    let har = sample("pull-success.har");
    keeps_the_exchanges_before_the_cut("cut.har", &har, &har[..har.len() * 6 / 10]);
}

#[test]
fn r9_a_cut_flow_keeps_its_complete_flows() {
    let flow = sample("pull-success.flow");
    keeps_the_exchanges_before_the_cut("cut.flow", &flow, &flow[..flow.len() * 6 / 10]);
}

#[test]
fn r9_a_cut_gzip_flow_keeps_what_inflated_before_the_cut() {
    let flow = sample("pull-success.flow");
    let compressed = gzip(&flow);
    let cut = &compressed[..compressed.len() * 6 / 10];
    let (capture, errors) = capture::read(&[Input::new("cut.flow.gz", cut.to_vec())]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(!capture.exchanges.is_empty(), "{:?}", capture.problems);
    let gzip_problem = capture
        .problems
        .iter()
        .find(|problem| problem.message.contains("cut short"))
        .unwrap_or_else(|| panic!("{:?}", capture.problems));
    assert!(gzip_problem.location.byte_offset.is_some(), "{gzip_problem}");
}
