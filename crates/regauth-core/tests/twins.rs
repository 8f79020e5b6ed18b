//! Several inputs of one session: every recorded sample that exists as a mitmproxy flow file
//! and as the HAR mitmproxy wrote alongside it is read both ways at once. The HAR's exchanges
//! must all be recognised as the flow's (kept once, from the flow, which has the TLS facts),
//! and the analysis must be the one of the flow alone: no doubled tokens, uses or clocks.
//! The same file given twice must analyse as itself.

use std::path::{Path, PathBuf};

use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::capture::{self, Input};
use regauth_core::report::analysis::{AnalysisReport, Secrets};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

fn input(path: &Path) -> Input {
    Input::new(path.file_name().unwrap().to_string_lossy(), std::fs::read(path).unwrap())
}

/// The analysis as JSON without the parts that name the inputs.
fn analysis_json(inputs: &[Input]) -> (serde_json::Value, usize, Vec<String>) {
    let (capture, errors) = capture::read(inputs);
    assert!(errors.is_empty(), "{errors:?}");
    let analysis = analyze(&capture, &AnalysisConfig::default());
    let report = AnalysisReport::new(&capture, &analysis, Secrets::Masked);
    let mut value = serde_json::to_value(&report).unwrap();
    if let Some(object) = value.as_object_mut() {
        object.remove("sources");
    }
    let notes = capture.notes.iter().map(ToString::to_string).collect();
    (value, capture.exchanges.len(), notes)
}

#[test]
fn a_flow_and_its_har_count_once() {
    let mut n_twins = 0;
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(samples()).unwrap().map(|entry| entry.unwrap().path()).collect();
    entries.sort();
    for flow in entries.iter().filter(|path| path.extension().is_some_and(|ext| ext == "flow")) {
        let har = flow.with_extension("har");
        if !har.exists() {
            continue;
        }
        n_twins += 1;
        let name = flow.display();
        let (alone, n_alone, _) = analysis_json(&[input(flow)]);
        let (har_alone, n_har, _) = analysis_json(&[input(&har)]);
        let (both, n_both, notes) = analysis_json(&[input(&har), input(flow)]);
        assert_eq!(n_both, n_alone.max(n_har), "{name}: every HAR exchange is one of the flow's");
        assert_eq!(notes.len(), 1, "{name}: {notes:?}");
        assert!(
            notes[0].contains(&format!("{n_har} of its {n_har} exchanges")),
            "{name}: {notes:?}"
        );
        // Findings and sessions as with the flow alone; exchange rows name their source, so
        // compare what the engine concluded.
        for key in ["outcome", "sessions", "findings", "clocks", "tokens"] {
            let strip = |value: &serde_json::Value| {
                let text = value[key].to_string();
                // Exchange references carry the source index, which differs with two inputs.
                text.replace("\"source\":1", "\"source\":0")
            };
            assert_eq!(strip(&both), strip(&alone), "{name}: {key} differ from the flow alone");
        }
        let _ = har_alone;
    }
    assert!(n_twins >= 20, "only {n_twins} twins");
}

#[test]
fn the_same_file_twice_analyses_as_itself() {
    for name in ["pull-success.flow", "clock-ahead.har"] {
        let path = samples().join(name);
        let (once, n_once, _) = analysis_json(&[input(&path)]);
        let mut twice_b = input(&path);
        twice_b.name = format!("copy-of-{name}");
        let (twice, n_twice, notes) = analysis_json(&[input(&path), twice_b]);
        assert_eq!(n_twice, n_once, "{name}");
        assert_eq!(notes.len(), 1, "{name}");
        for key in ["outcome", "sessions", "findings", "clocks", "tokens"] {
            assert_eq!(twice[key], once[key], "{name}: {key}");
        }
    }
}
