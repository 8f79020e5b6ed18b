//! `regauth redact` through the real binary: writing the copy, refusing to overwrite the input
//! or an existing file, `--dry-run`, stdin/stdout, and exit codes (0 done, 2 cannot read,
//! redact or write).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Passwords used when recording the samples (samples/README.md and samples/record/).
const SAMPLE_PASSWORDS: &[&str] =
    &["writer-pass-1", "reader-pass-1", "alice-pass-1", "not-the-password", "wrong-pass"];

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples").join(name)
}

fn regauth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regauth")).args(args).output().expect("runs regauth")
}

/// A fresh scratch directory for one test.
fn scratch() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "regauth-redact-cli-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// The secrets the original holds as regauth reveals them (`analyze --show-secrets`): the
/// token signatures and passwords a copy must not contain.
fn revealed_secrets(path: &Path) -> Vec<String> {
    let output = regauth(&["analyze", "--format", "json", "--show-secrets", &s(path)]);
    let json = text(&output.stdout);
    let mut secrets: Vec<String> = SAMPLE_PASSWORDS.iter().map(|text| (*text).to_owned()).collect();
    // JWT signatures: the third segment of every `eyJ...` string in the revealed report.
    for token in
        json.split('"').filter(|part| part.starts_with("eyJ") && part.matches('.').count() == 2)
    {
        if let Some(signature) = token.rsplit('.').next().filter(|sig| sig.len() > 20) {
            secrets.push(signature.to_owned());
        }
    }
    secrets
}

fn outcome(path: &Path) -> (Option<i32>, serde_json::Value) {
    let output = regauth(&["analyze", "--format", "json", &s(path)]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("analysis JSON");
    (output.status.code(), json["outcome"].clone())
}

#[test]
fn writes_a_copy_that_analyses_the_same_and_holds_no_secret() {
    let dir = scratch();
    for name in ["docker-login-pull-push.flow", "oauth2-post.har", "wrong-password.flow"] {
        let input = sample(name);
        let original = std::fs::read(&input).expect("sample");
        let out = dir.join(name);
        let output = regauth(&["redact", &s(&input), "-o", &s(&out)]);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", text(&output.stderr));
        assert!(text(&output.stderr).contains("masked"), "{}", text(&output.stderr));
        assert_eq!(std::fs::read(&input).expect("sample"), original, "the input is untouched");
        let copy = std::fs::read(&out).expect("the copy was written");
        assert_eq!(copy.first(), original.first(), "same format");
        let secrets = revealed_secrets(&input);
        if name != "wrong-password.flow" {
            assert!(
                secrets.len() > SAMPLE_PASSWORDS.len(),
                "{name}: the revealed report has tokens"
            );
        }
        for secret in &secrets {
            assert!(
                memchr::memmem::find(&copy, secret.as_bytes()).is_none(),
                "{name}: a secret survives"
            );
        }
        assert_eq!(outcome(&out), outcome(&input), "{name}: same outcome and exit code");
    }
}

// A capture over a megabyte is memory-mapped rather than read (`mapped.rs`): its redacted copy
// must be just as complete. The sample is padded with a HAR `comment` (hand-written padding on
// a recorded sample).
#[test]
fn a_large_input_is_redacted_like_a_small_one() {
    let dir = scratch();
    let recorded = std::fs::read_to_string(sample("oauth2-post.har")).expect("sample");
    let at = recorded.find("\"log\"").expect("a HAR log") + "\"log\"".len();
    let open = at + recorded[at..].find('{').expect("the log object") + 1;
    let padded = format!(
        "{}\"comment\": \"{}\",{}",
        &recorded[..open],
        "x".repeat(3 << 20),
        &recorded[open..]
    );
    let input = dir.join("large.har");
    std::fs::write(&input, &padded).expect("scratch");
    let out = dir.join("large-redacted.har");
    let output = regauth(&["redact", &s(&input), "-o", &s(&out)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let copy = std::fs::read(&out).expect("the copy was written");
    assert!(copy.len() > 3 << 20, "the padding is kept");
    let secrets = revealed_secrets(&input);
    assert!(secrets.len() > SAMPLE_PASSWORDS.len(), "the revealed report has tokens");
    for secret in &secrets {
        assert!(memchr::memmem::find(&copy, secret.as_bytes()).is_none(), "a secret survives");
    }
    assert_eq!(outcome(&out), outcome(&input), "same outcome and exit code");
}

#[test]
fn never_writes_over_the_input() {
    let dir = scratch();
    let input = dir.join("capture.flow");
    std::fs::copy(sample("pull-success.flow"), &input).expect("copy sample");
    let original = std::fs::read(&input).expect("input");
    let hard_link = dir.join("hard-link.flow");
    std::fs::hard_link(&input, &hard_link).expect("hard link");
    let dotted = dir.join(".").join("capture.flow");
    let mut targets = vec![input.clone(), hard_link, dotted];
    #[cfg(unix)]
    {
        let symlink = dir.join("symlink.flow");
        std::os::unix::fs::symlink(&input, &symlink).expect("symlink");
        targets.push(symlink);
    }
    for target in &targets {
        for force in [false, true] {
            let mut args = vec![
                "redact",
                input.to_str().expect("utf-8 path"),
                "-o",
                target.to_str().expect("utf-8 path"),
            ];
            if force {
                args.push("--force");
            }
            let output = regauth(&args);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{}: {}",
                target.display(),
                text(&output.stderr)
            );
            let stderr = text(&output.stderr);
            assert!(stderr.contains("refusing") || stderr.contains("exists"), "{stderr}");
            assert_eq!(
                std::fs::read(&input).expect("input"),
                original,
                "input untouched via {}",
                target.display()
            );
        }
    }
}

#[test]
fn an_existing_output_needs_force() {
    let dir = scratch();
    let out = dir.join("out.har");
    std::fs::write(&out, b"precious").expect("write");
    let output = regauth(&["redact", &s(&sample("pull-success.har")), "-o", &s(&out)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--force"), "{}", text(&output.stderr));
    assert_eq!(std::fs::read(&out).expect("out"), b"precious");
    let output = regauth(&["redact", &s(&sample("pull-success.har")), "-o", &s(&out), "--force"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(std::fs::read(&out).expect("out").starts_with(b"{"));
    let leftovers: Vec<_> =
        std::fs::read_dir(&dir).expect("dir").flatten().map(|entry| entry.file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
}

#[test]
fn dry_run_lists_places_and_kinds_without_secrets_and_writes_nothing() {
    let dir = scratch();
    let input = sample("docker-login-pull-push.flow");
    let out = dir.join("never.flow");
    let output = regauth(&["redact", "--dry-run", &s(&input), "-o", &s(&out)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!out.exists(), "--dry-run writes nothing");
    let listing = text(&output.stdout);
    let mut lines = listing.lines();
    let header = lines.next().expect("summary line");
    assert!(
        header.contains("mitmproxy flow file") && header.contains("values would be masked"),
        "{header}"
    );
    assert!(lines.next().is_some_and(|line| line.contains("entry") && line.contains("kind")));
    for expected in [
        "request.headers Authorization",
        "response.content refresh_token",
        "request.content password",
        "response.content IdentityToken",
        "request.headers X-Registry-Auth (base64 json) identitytoken",
    ] {
        assert!(listing.contains(expected), "{expected} missing from:\n{listing}");
    }
    for kind in ["password", "token-signature", "refresh-token", "identity-token"] {
        assert!(listing.lines().any(|line| line.ends_with(kind)), "{kind} missing");
    }
    for secret in revealed_secrets(&input) {
        assert!(
            !listing.contains(&secret) && !text(&output.stderr).contains(&secret),
            "a secret is listed"
        );
    }
    // Without -o, --dry-run is enough.
    assert_eq!(regauth(&["redact", "--dry-run", &s(&input)]).status.code(), Some(0));
}

#[test]
fn stdin_to_stdout_and_gzip_stays_gzip() {
    let original = std::fs::read(sample("basic-success.flow")).expect("sample");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&original).expect("gzip");
    let gz = encoder.finish().expect("gzip");
    let mut child = Command::new(env!("CARGO_BIN_EXE_regauth"))
        .args(["redact", "-", "-o", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&gz));
    let output = child.wait_with_output().expect("wait");
    writer.join().expect("writer").expect("write stdin");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.starts_with(&[0x1f, 0x8b]), "gzip in, gzip out");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&output.stdout[..]), &mut plain)
        .expect("gunzip");
    assert!(plain.len() > original.len() / 2 && plain.starts_with(&original[..20]));
    assert!(memchr::memmem::find(&plain, b"alice-pass-1").is_none());
}

#[test]
fn exit_2_when_it_cannot_read_redact_or_write() {
    let dir = scratch();
    let out = s(&dir.join("out.flow"));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["redact".into(), "/nonexistent/capture.flow".into(), "-o".into(), out.clone()],
            "cannot read",
        ),
        (vec!["redact".into(), s(&sample("README.md")), "-o".into(), out.clone()], "not a capture"),
        (
            vec![
                "redact".into(),
                s(&sample("pull-success.flow")),
                "-o".into(),
                s(&dir.join("missing-dir/out.flow")),
            ],
            "cannot create",
        ),
        (vec!["redact".into(), s(&sample("pull-success.flow"))], "--output"),
    ];
    for (args, message) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = regauth(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output.stderr));
        assert!(text(&output.stderr).contains(message), "{args:?}: {}", text(&output.stderr));
    }
    assert!(!dir.join("out.flow").exists());
}
