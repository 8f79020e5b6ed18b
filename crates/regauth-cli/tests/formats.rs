//! The output formats of `analyze`, `check` and `diagram`, run through the real binary on
//! recorded samples: one snapshot per format (`tests/snapshots/*.txt`: the command, its exit
//! status, stdout and stderr; re-bless with `UPDATE_EXPECT=1 cargo test -p regauth-cli --test
//! formats` and review the diff), and the behaviour of `check` on many files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `regauth` from the repository root, so sample paths print as `samples/...`.
fn regauth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regauth"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("runs regauth")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn snapshot(name: &str, args: &[&str]) -> Output {
    let output = regauth(args);
    let text = format!(
        "$ regauth {}\nexit status: {:?}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        output.status.code(),
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    expect_test::expect_file![format!("snapshots/{name}.txt")].assert_eq(&text);
    output
}

fn parse_xml(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).unwrap_or_else(|err| panic!("not XML ({err}):\n{text}"))
}

#[test]
fn analyze_junit() {
    let output =
        snapshot("analyze-junit", &["analyze", "--format", "junit", "samples/clock-ahead.flow"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let document = parse_xml(&text);
    assert_eq!(document.root_element().attribute("failures"), Some("1"));
}

#[test]
fn analyze_markdown() {
    let output = snapshot(
        "analyze-markdown",
        &["analyze", "--format", "markdown", "samples/clock-ahead.flow"],
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn analyze_github() {
    let output = snapshot(
        "analyze-github",
        &["analyze", "--format", "github", "samples/basic-plain-http.flow"],
    );
    assert_eq!(output.status.code(), Some(0), "no session failed; the annotations still say why");
    assert!(stdout(&output).starts_with("::error file=samples/basic-plain-http.flow,"));
}

const MANY: [&str; 3] =
    ["samples/pull-success.flow", "samples/clock-ahead.flow", "samples/README.md"];

#[test]
fn check_many_text() {
    let output = snapshot("check-many-text", &[&["check"][..], &MANY[..]].concat());
    assert_eq!(output.status.code(), Some(2), "an unreadable input wins over a failed check");
}

#[test]
fn check_many_json() {
    let output =
        snapshot("check-many-json", &[&["check", "--format", "json"][..], &MANY[..]].concat());
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["schema"], "regauth.check/v1");
    assert_eq!(value["passed"], false);
    let statuses: Vec<&str> = value["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|file| file["status"].as_str())
        .collect();
    assert_eq!(statuses, ["passed", "failed", "unreadable"]);
}

#[test]
fn check_many_junit() {
    let output =
        snapshot("check-many-junit", &[&["check", "--format", "junit"][..], &MANY[..]].concat());
    let text = stdout(&output);
    let document = parse_xml(&text);
    let suites: Vec<&str> = document
        .root_element()
        .children()
        .filter(|node| node.has_tag_name("testsuite"))
        .filter_map(|node| node.attribute("name"))
        .collect();
    assert_eq!(suites, MANY, "one suite per file, in argument order");
}

#[test]
fn check_many_markdown() {
    snapshot("check-many-markdown", &[&["check", "--format", "markdown"][..], &MANY[..]].concat());
}

#[test]
fn check_many_github() {
    snapshot("check-many-github", &[&["check", "--format", "github"][..], &MANY[..]].concat());
}

#[test]
fn diagram_mermaid() {
    let output = snapshot(
        "diagram-mermaid",
        &["diagram", "--session", "2", "samples/docker-login-pull-push.flow"],
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn diagram_svg() {
    let output =
        snapshot("diagram-svg", &["diagram", "--format", "svg", "samples/clock-ahead.flow"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let document = parse_xml(&text);
    assert_eq!(document.root_element().tag_name().name(), "svg");
}

#[test]
fn diagram_names_the_sessions_it_has() {
    for session in ["0", "2"] {
        let output = regauth(&["diagram", "--session", session, "samples/clock-ahead.flow"]);
        assert_eq!(output.status.code(), Some(2), "--session {session}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("the capture has 1 session(s)"), "{stderr}");
    }
}

#[test]
fn check_exit_status_sums_up_the_files() {
    let code = |files: &[&str]| regauth(&[&["check"][..], files].concat()).status.code();
    assert_eq!(code(&["samples/pull-success.flow", "samples/push-success.flow"]), Some(0));
    assert_eq!(code(&["samples/pull-success.flow", "samples/clock-ahead.flow"]), Some(1));
    assert_eq!(code(&["samples/pull-success.flow", "samples/no-such-file.har"]), Some(2));
    assert_eq!(
        code(&["samples/clock-ahead.flow", "samples/no-such-file.har"]),
        Some(2),
        "unreadable beats failed"
    );
}

#[test]
fn check_merge_reads_the_files_as_one_timeline() {
    // The flow and the HAR of one recording hold the same exchanges: merged, they are one
    // capture with one verdict, as the flow alone.
    let merged = regauth(&[
        "check",
        "--merge",
        "--format",
        "json",
        "samples/clock-ahead.flow",
        "samples/clock-ahead.har",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&merged.stdout).expect("JSON");
    let files = value["files"].as_array().expect("files");
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0]["inputs"],
        serde_json::json!(["samples/clock-ahead.flow", "samples/clock-ahead.har"])
    );
    assert_eq!(files[0]["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(merged.status.code(), Some(1));
    let alone = regauth(&["check", "--format", "json", "samples/clock-ahead.flow"]);
    let alone: serde_json::Value = serde_json::from_slice(&alone.stdout).expect("JSON");
    assert_eq!(value["assertions"], alone["assertions"]);

    // An input that cannot be used: the others are still checked, the capture is unreadable.
    let partial = regauth(&[
        "check",
        "--merge",
        "--format",
        "json",
        "samples/pull-success.flow",
        "samples/no-such-file.har",
    ]);
    assert_eq!(partial.status.code(), Some(2));
    let value: serde_json::Value = serde_json::from_slice(&partial.stdout).expect("JSON");
    assert_eq!(value["passed"], false);
    assert_eq!(value["files"][0]["status"], "unreadable");
    assert_eq!(value["files"][0]["outcome"], "success", "what could be read was checked");
    assert!(
        value["files"][0]["error"].as_str().is_some_and(|error| error.contains("no-such-file"))
    );
}

#[test]
fn check_in_parallel_keeps_the_argument_order() {
    let mut samples: Vec<String> = std::fs::read_dir(root().join("samples"))
        .expect("samples")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "flow"))
        .filter_map(|path| {
            path.file_name().map(|name| format!("samples/{}", name.to_string_lossy()))
        })
        .collect();
    samples.sort();
    samples.reverse();
    let args: Vec<&str> = ["check", "--format", "json"]
        .into_iter()
        .chain(samples.iter().map(String::as_str))
        .collect();
    let value: serde_json::Value = serde_json::from_slice(&regauth(&args).stdout).expect("JSON");
    let order: Vec<&str> = value["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|file| file["inputs"][0].as_str())
        .collect();
    assert_eq!(order, samples.iter().map(String::as_str).collect::<Vec<_>>());
    // Each file's verdict is the one it gets checked alone.
    for (file, verdict) in samples.iter().zip(value["files"].as_array().expect("files")).take(6) {
        let alone = regauth(&["check", "--format", "json", file]);
        let alone: serde_json::Value = serde_json::from_slice(&alone.stdout).expect("JSON");
        assert_eq!(verdict["assertions"], alone["assertions"], "{file}");
    }
}
