//! `docs/ci.md` runs: every `regauth check` command in its code blocks marked `ci-test` (the
//! GitHub Actions and GitLab CI snippets) is taken from the page and run as the CI would run
//! it, with `sh -c` in a fresh directory, against recorded samples standing in for the
//! `capture.flow` the snippets record: a passing push, a failing one and an unreadable file.
//! The exit status must be what the page promises and the JUnit report must parse.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The code blocks of `markdown` whose info string has `marker`, as (info, lines).
fn marked_blocks(markdown: &str, marker: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, Vec<String>)> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_owned(), Vec::new())),
            (Some(_), Some(_)) => {
                if let Some((info, lines)) = open.take()
                    && info.split_whitespace().any(|word| word == marker)
                {
                    blocks.push((info, lines));
                }
            }
            (Some((_, lines)), None) => lines.push(line.to_owned()),
            (None, None) => {}
        }
    }
    blocks
}

/// The `regauth check` commands of a YAML snippet: `run: CMD` steps, `- CMD` script lines and
/// the lines of `run: |` blocks.
fn check_commands(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("- ").unwrap_or(line);
            line.strip_prefix("run: ").unwrap_or(line).to_owned()
        })
        .filter(|line| line.starts_with("regauth check "))
        .collect()
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("regauth-ci-recipe-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `command` as a CI shell would, in `dir`, with the built `regauth` first on PATH.
fn run_in(dir: &Path, command: &str) -> (Option<i32>, String) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_regauth")).parent().expect("bin dir").to_owned();
    let path = std::env::join_paths(
        std::iter::once(bin_dir)
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path)
        .env("GITHUB_STEP_SUMMARY", dir.join("step-summary.md"))
        .output()
        .expect("runs sh");
    (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn the_ci_snippets_check_commands_run_against_recorded_captures() {
    let page = std::fs::read_to_string(root().join("docs/ci.md")).expect("docs/ci.md");
    for step in
        ["mitmdump", "-w capture.flow", "HTTPS_PROXY", "regauth redact", "regauth-junit.xml"]
    {
        assert!(page.contains(step), "the recipe lost `{step}`");
    }
    let blocks = marked_blocks(&page, "ci-test");
    assert_eq!(blocks.len(), 2, "the GitHub Actions and GitLab CI snippets");
    let commands: Vec<String> = blocks
        .iter()
        .flat_map(|(info, lines)| {
            let commands = check_commands(lines);
            assert!(!commands.is_empty(), "no `regauth check` in the `{info}` block");
            commands
        })
        .collect();
    assert!(commands.iter().any(|command| command.contains("--format junit")), "{commands:?}");

    // (capture standing in for capture.flow, exit status the page promises, JUnit failures+errors)
    let cases: [(&str, Option<&[u8]>, i32); 3] = [
        ("samples/push-success.flow", None, 0),
        ("samples/token-expired-mid-push.flow", None, 1),
        ("unreadable", Some(b"this is not a capture\n"), 2),
    ];
    for (name, contents, expected) in cases {
        let scratch = Scratch::new(&name.replace('/', "-"));
        let capture = scratch.0.join("capture.flow");
        match contents {
            Some(bytes) => std::fs::write(&capture, bytes).expect("write capture"),
            None => {
                std::fs::copy(root().join(name), &capture).expect("copy sample");
            }
        }
        for command in &commands {
            let (status, stdout) = run_in(&scratch.0, command);
            assert_eq!(status, Some(expected), "{name}: `{command}` printed:\n{stdout}");
            if command.contains("--format junit") {
                let report = std::fs::read_to_string(scratch.0.join("regauth-junit.xml"))
                    .expect("JUnit written");
                let document = roxmltree::Document::parse(&report).unwrap_or_else(|err| {
                    panic!("{name}: the JUnit report does not parse ({err})")
                });
                let root = document.root_element();
                assert_eq!(root.tag_name().name(), "testsuites");
                let count = |attribute: &str| {
                    root.attribute(attribute).and_then(|n| n.parse::<usize>().ok())
                };
                let problems = count("failures").unwrap_or(0) + count("errors").unwrap_or(0);
                assert_eq!(problems > 0, expected != 0, "{name}: {report}");
            }
            if command.contains("GITHUB_STEP_SUMMARY") {
                let summary =
                    std::fs::read_to_string(scratch.0.join("step-summary.md")).expect("summary");
                assert!(summary.starts_with("## regauth check"), "{summary}");
            }
        }
    }
}
