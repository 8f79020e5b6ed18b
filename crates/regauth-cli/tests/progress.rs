//! The progress bar: on stderr when it is a terminal and the input is large, never otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A recorded sample with one response body padded to 17 MiB, over the bar's threshold.
fn large_capture(name: &str) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/pull-success.har");
    let mut har: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sample).expect("sample")).expect("HAR");
    let entries = har["log"]["entries"].as_array_mut().expect("entries");
    let last = entries.last_mut().expect("an entry");
    last["response"]["content"]["text"] = serde_json::Value::String("x".repeat(17 << 20));
    let dir = std::env::temp_dir().join(format!("regauth-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.har"));
    std::fs::write(&path, serde_json::to_vec(&har).expect("json")).expect("write");
    path
}

#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    let large = large_capture("piped");
    for format in ["text", "json"] {
        let output = Command::new(env!("CARGO_BIN_EXE_regauth"))
            .args(["analyze", "--format", format])
            .arg(&large)
            .output()
            .expect("runs regauth");
        assert_eq!(output.status.code(), Some(0));
        assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(!output.stdout.contains(&0x1b), "escape sequences in piped output");
    }
}

#[test]
fn progress_on_a_terminal_for_large_inputs_only() {
    // util-linux `script` (Debian: bsdutils, an essential package) gives the command a terminal;
    // stdout goes to a file so only stderr reaches it.
    let run_on_terminal = |capture: &Path| {
        let out = capture.with_extension("out");
        let command = format!(
            "{} analyze --format json '{}' > '{}'",
            env!("CARGO_BIN_EXE_regauth"),
            capture.display(),
            out.display()
        );
        let output = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env_remove("REGAUTH_NO_PROGRESS")
            .output()
            .expect("runs script");
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out).expect("stdout file")).expect("clean JSON");
        assert_eq!(json["schema"], "regauth.analysis/v1");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let terminal = run_on_terminal(&large_capture("terminal"));
    assert!(terminal.contains("analysing 6 exchanges"), "{terminal:?}");
    let small = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/pull-success.har");
    let copy = large_capture("terminal").with_file_name("small.har");
    std::fs::copy(small, &copy).expect("copy");
    let terminal = run_on_terminal(&copy);
    assert!(!terminal.contains("analysing"), "a bar for a small input: {terminal:?}");
}
