//! Runs the real `regauth` binary on recorded samples: exit codes, output shapes, masking.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples").join(name)
}

/// Every flow file under `samples/`, sorted.
fn sample_flows() -> Vec<PathBuf> {
    sample_files("flow")
}

/// The recorded samples whose name ends in `.{extension}`, sorted.
fn sample_files(extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(sample(""))
        .expect("samples/")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == extension))
        .collect();
    files.sort();
    files
}

fn regauth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regauth")).args(args).output().expect("runs regauth")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}", stdout(output)))
}

fn path(name: &str) -> String {
    sample(name).display().to_string()
}

#[test]
fn exchanges_json_has_the_documented_shape() {
    let output = regauth(&["exchanges", "--format", "json", &path("pull-success.flow")]);
    assert_eq!(output.status.code(), Some(0));
    let value = json(&output);
    assert_eq!(value["schema"], "regauth.exchanges/v1");
    let exchanges = value["exchanges"].as_array().expect("exchanges array");
    assert_eq!(exchanges.len(), 6);
    let first = &exchanges[0];
    assert_eq!(first["index"], 0);
    assert_eq!(first["method"], "GET");
    assert_eq!(first["url"], "https://registry.regauth.test:5000/v2/");
    assert_eq!(first["status"], 401);
    assert_eq!(first["tls"], true);
    let started = first["started_at"].as_str().expect("started_at");
    assert!(started.ends_with('Z') && started.contains('.'), "RFC 3339 with fraction: {started}");
}

#[test]
fn exchanges_without_response_have_null_status() {
    let output = regauth(&["exchanges", "--format", "json", &path("tls-upstream-untrusted.flow")]);
    let value = json(&output);
    assert!(
        value["exchanges"].as_array().expect("array").iter().all(|row| row["status"].is_null())
    );
}

#[test]
fn several_files_merge_into_one_timeline() {
    let output = regauth(&[
        "exchanges",
        "--format",
        "json",
        &path("pull-success.flow"),
        &path("push-success.flow"),
    ]);
    let value = json(&output);
    let rows = value["exchanges"].as_array().expect("array");
    assert_eq!(value["sources"].as_array().map(Vec::len), Some(2));
    let starts: Vec<&str> = rows.iter().filter_map(|row| row["started_at"].as_str()).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "merged exchanges are in capture-time order");
    assert!(rows.iter().any(|row| row["source"] == 1));
}

#[test]
fn unreadable_input_exits_2_with_a_message() {
    let output = regauth(&["exchanges", "/nonexistent/capture.har"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/capture.har"));
    let output = regauth(&["analyze", &path("README.md")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a capture regauth can read"));
}

#[test]
fn an_input_with_no_exchange_exits_2() {
    let dir = std::env::temp_dir().join(format!("regauth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let flow = std::fs::read(sample("pull-success.flow")).unwrap();
    let cut = dir.join("cut.flow");
    std::fs::write(&cut, &flow[..100]).unwrap();
    let cut = cut.display().to_string();
    for command in ["exchanges", "analyze", "check"] {
        let output = regauth(&[command, &cut]);
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("no exchange could be read"), "{command}: {stderr}");
        assert!(stderr.contains("(byte "), "{command}: the problem names the offset: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn with_several_inputs_the_readable_ones_are_analysed_and_the_run_exits_2() {
    let output = regauth(&[
        "exchanges",
        "--format",
        "json",
        &path("pull-success.flow"),
        "/nonexistent/capture.har",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let value = json(&output);
    assert!(!value["exchanges"].as_array().expect("array").is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/capture.har"), "{stderr}");
    assert!(stderr.contains("1 of 2 inputs could not be used"), "{stderr}");
    let analyze = regauth(&["analyze", &path("pull-success.flow"), "/nonexistent/capture.har"]);
    assert_eq!(analyze.status.code(), Some(2));
    assert!(stdout(&analyze).contains("Session 1"), "{}", stdout(&analyze));
}

#[test]
fn a_flow_and_its_har_count_once() {
    let output = regauth(&[
        "exchanges",
        "--format",
        "json",
        &path("pull-success.flow"),
        &path("pull-success.har"),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let alone = json(&regauth(&["exchanges", "--format", "json", &path("pull-success.flow")]));
    let both = json(&output);
    assert_eq!(
        both["exchanges"].as_array().map(Vec::len),
        alone["exchanges"].as_array().map(Vec::len)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("regauth: note:") && stderr.contains("counted once"), "{stderr}");
    // The note is in the JSON too, for whoever reads only that; a single input has none.
    let noted = |report: &serde_json::Value| {
        let notes = report["notes"].as_array().cloned().unwrap_or_default();
        assert!(notes.iter().all(|note| note["source"].is_string()), "{notes:?}");
        notes
            .iter()
            .filter(|note| note["message"].as_str().is_some_and(|m| m.contains("counted once")))
            .count()
    };
    assert_eq!(noted(&both), 1, "{}", both["notes"]);
    assert_eq!(noted(&alone), 0);
    let analysed = json(&regauth(&[
        "analyze",
        "--format",
        "json",
        &path("pull-success.flow"),
        &path("pull-success.har"),
    ]));
    assert_eq!(noted(&analysed), 1, "{}", analysed["notes"]);
}

#[test]
fn limits_have_flags_and_say_how_to_raise_them() {
    let output = regauth(&["exchanges", "--max-memory-ratio", "0", &path("pull-success.flow")]);
    assert_eq!(output.status.code(), Some(0), "64 MiB of floor is plenty for a sample");
    let output = regauth(&["exchanges", "--max-input-size", "1KiB", &path("pull-success.flow")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--max-input-size"));
    let output = regauth(&["exchanges", "--max-input-size", "lots", &path("pull-success.flow")]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn analyze_exit_code_follows_the_outcome() {
    assert_eq!(regauth(&["analyze", &path("pull-success.flow")]).status.code(), Some(0));
    assert_eq!(regauth(&["analyze", &path("clock-behind.har")]).status.code(), Some(1));
}

#[test]
fn analyze_json_contract() {
    let output = regauth(&["analyze", "--format", "json", &path("clock-behind.flow")]);
    assert_eq!(output.status.code(), Some(1));
    let value = json(&output);
    assert!(value["schema"].as_str().is_some_and(|schema| schema.starts_with("regauth.analysis/")));
    assert_eq!(value["outcome"], "failure");
    let session = &value["sessions"][0];
    assert_eq!(session["registry"], "registry.regauth.test:5000");
    assert_eq!(session["repository"], "private/app");
    assert_eq!(session["outcome"], "failure");
    assert_eq!(session["failed_step"], 6);
    assert!(session["steps"].as_array().is_some_and(|steps| {
        steps.iter().all(|step| step["step"].is_u64() && step["exchanges"].is_array())
    }));
    let codes: Vec<&str> = value["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"token-expired") && codes.contains(&"clock-skew"), "{codes:?}");
    for finding in value["findings"].as_array().expect("findings") {
        assert!(["error", "warning", "info"].contains(&finding["severity"].as_str().unwrap_or("")));
        assert!(finding["exchanges"].is_array() && finding["message"].is_string());
    }
    let issuer = value["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|clock| clock["role"] == "token-issuer")
        .expect("issuer clock");
    let offset = issuer["offset_seconds"].as_f64().expect("offset");
    assert!((offset + 7200.0).abs() < 1.5, "issuer offset {offset}");
    assert!(issuer["uncertainty_seconds"].is_f64());
    let token = &value["tokens"][0];
    assert!(
        token["token"].as_str().is_some_and(|token| token.ends_with(".redacted")),
        "signature masked by default"
    );
    assert_eq!(token["jwt"]["claims"]["access"][0]["name"], "private/app");
}

#[test]
fn secrets_are_masked_unless_asked() {
    let masked = stdout(&regauth(&["analyze", "--format", "json", &path("pull-success.flow")]));
    let revealed = stdout(&regauth(&[
        "analyze",
        "--format",
        "json",
        "--show-secrets",
        &path("pull-success.flow"),
    ]));
    let value: serde_json::Value = serde_json::from_str(&revealed).expect("json");
    let raw = value["tokens"][0]["token"].as_str().expect("token").to_owned();
    let signature = raw.rsplit('.').next().expect("signature").to_owned();
    assert!(signature.len() > 20 && signature != "redacted");
    assert!(!masked.contains(&signature), "the default output leaks the token signature");
    assert!(revealed.contains(&signature));
    let text = stdout(&regauth(&["analyze", &path("basic-plain-http.flow")]));
    assert!(!text.contains("alice-pass-1"), "the text output leaks a password");
}

#[test]
fn check_passes_fails_and_explains() {
    let pass = regauth(&["check", &path("pull-success.flow")]);
    assert_eq!(pass.status.code(), Some(0), "{}", stdout(&pass));
    assert!(stdout(&pass).contains("check: 2 passed, 0 failed"));

    let fail = regauth(&["check", &path("clock-ahead.flow")]);
    assert_eq!(fail.status.code(), Some(1));
    assert!(stdout(&fail).contains("FAIL outcome is success"));

    let expected_failure = regauth(&["check", "--expect", "failure", &path("clock-ahead.flow")]);
    assert_eq!(expected_failure.status.code(), Some(0));

    let skew = regauth(&[
        "check",
        "--expect",
        "failure",
        "--max-clock-skew",
        "5s",
        &path("clock-ahead.flow"),
    ]);
    assert_eq!(skew.status.code(), Some(1));
    assert!(stdout(&skew).contains("auth.regauth.test:5001"), "{}", stdout(&skew));

    let deny = regauth(&[
        "check",
        "--deny",
        "credentials-over-plain-http",
        &path("basic-plain-http.flow"),
    ]);
    assert_eq!(deny.status.code(), Some(1));
    let allowed = regauth(&[
        "check",
        "--allow",
        "credentials-over-plain-http",
        &path("basic-plain-http.flow"),
    ]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stdout(&allowed));

    let unknown = regauth(&["check", "--deny", "no-such-code", &path("pull-success.flow")]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn check_writes_junit_and_json() {
    let junit = regauth(&["check", "--format", "junit", &path("clock-ahead.flow")]);
    let text = stdout(&junit);
    assert!(
        text.starts_with("<?xml") && text.contains("<testsuites") && text.contains("<failure"),
        "{text}"
    );
    let json_output = regauth(&["check", "--format", "json", &path("pull-success.flow")]);
    let value = json(&json_output);
    assert_eq!(value["schema"], "regauth.check/v1");
    assert_eq!(value["passed"], true);
}

#[test]
fn explain_knows_every_code_it_emits() {
    let list = stdout(&regauth(&["explain"]));
    for code in ["bad-credentials", "clock-skew", "tls-intercepted", "auth-forwarded-on-redirect"] {
        assert!(list.contains(code), "{code} missing from `regauth explain`");
        let one = regauth(&["explain", code]);
        assert_eq!(one.status.code(), Some(0));
        assert!(stdout(&one).contains("What to do:"));
    }
    assert_eq!(regauth(&["explain", "nope"]).status.code(), Some(2));
}

#[test]
fn token_decodes_a_recorded_jwt() {
    let revealed = stdout(&regauth(&[
        "analyze",
        "--format",
        "json",
        "--show-secrets",
        &path("pull-success.flow"),
    ]));
    let value: serde_json::Value = serde_json::from_str(&revealed).expect("json");
    let raw = value["tokens"][0]["token"].as_str().expect("token").to_owned();
    let output = regauth(&["token", "--format", "json", &raw]);
    assert_eq!(output.status.code(), Some(0));
    let decoded = json(&output);
    assert_eq!(decoded["claims"]["sub"], "reader");
    assert_eq!(decoded["signature_check"], "valid");
    assert!(decoded["token"].as_str().is_some_and(|token| token.ends_with(".redacted")));
    // A tampered signature must not verify.
    let tampered = format!("{}AAAA", &raw[..raw.len() - 4]);
    let output = regauth(&["token", "--format", "json", &tampered]);
    assert_eq!(json(&output)["signature_check"], "invalid");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn version_and_help_work() {
    assert!(stdout(&regauth(&["--version"])).starts_with("regauth "));
    let help = stdout(&regauth(&["--help"]));
    for command in ["exchanges", "analyze", "check", "token", "explain", "redact", "diagram"] {
        assert!(help.contains(command), "help lacks {command}");
    }
}

/// The CA of the recorded token service (the last certificate of a recorded token's x5c),
/// written as DER to a temporary file named after `tag`.
fn recorded_ca(tag: &str) -> (PathBuf, Vec<u8>) {
    use base64::Engine as _;
    let revealed = stdout(&regauth(&[
        "analyze",
        "--format",
        "json",
        "--show-secrets",
        &path("pull-success.flow"),
    ]));
    let value: serde_json::Value = serde_json::from_str(&revealed).expect("json");
    let raw = value["tokens"][0]["token"].as_str().expect("token");
    let header = raw.split('.').next().expect("header");
    let header: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).expect("base64url header"),
    )
    .expect("header JSON");
    // The recorded token service puts its CA last in x5c; hand it over as a DER trust anchor.
    let ca_der = base64::engine::general_purpose::STANDARD
        .decode(
            header["x5c"]
                .as_array()
                .and_then(|chain| chain.last())
                .and_then(|cert| cert.as_str())
                .expect("x5c"),
        )
        .expect("DER");
    let ca_path =
        std::env::temp_dir().join(format!("regauth-test-ca-{tag}-{}.der", std::process::id()));
    std::fs::write(&ca_path, &ca_der).expect("write CA");
    (ca_path, ca_der)
}

#[test]
fn analyze_anchors_token_chains_at_a_given_ca() {
    let (ca_path, _) = recorded_ca("analyze");
    let anchored = json(&regauth(&[
        "analyze",
        "--format",
        "json",
        "--ca",
        &ca_path.display().to_string(),
        &path("pull-success.flow"),
    ]));
    let unanchored = json(&regauth(&["analyze", "--format", "json", &path("pull-success.flow")]));
    let _ = std::fs::remove_file(&ca_path);
    let detail = |value: &serde_json::Value| {
        value["tokens"][0]["jwt"]["signature_detail"].as_str().unwrap_or("").to_owned()
    };
    assert!(detail(&anchored).contains("(anchored at a trusted root)"), "{}", detail(&anchored));
    assert!(detail(&unanchored).contains("not anchored"), "{}", detail(&unanchored));
}

/// r8: `check` judges a capture with the same engine settings as `analyze`: the clock-skew
/// limit reaches the engine (not only the assertion), and `--ca` is accepted by both.
#[test]
fn r8_check_and_analyze_share_the_engine_settings() {
    let codes = |output: &Output| -> Vec<String> {
        json(output)["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|finding| finding["code"].as_str().map(str::to_owned))
            .collect()
    };
    // The token service of this recording runs 30 s ahead: a clock-skew warning at the default
    // 10 s limit, none at 40 s, whichever command is asked and whichever spelling is used.
    let sample = path("clock-ahead-within-leeway.flow");
    assert!(
        codes(&regauth(&["analyze", "--format", "json", &sample]))
            .contains(&"clock-skew".to_owned())
    );
    for flag in ["--max-clock-skew", "--clock-skew-threshold"] {
        let analyzed = regauth(&["analyze", "--format", "json", flag, "40s", &sample]);
        assert!(!codes(&analyzed).contains(&"clock-skew".to_owned()), "{flag}");
    }
    let denied = regauth(&["check", "--deny", "clock-skew", &sample]);
    assert_eq!(denied.status.code(), Some(1), "{}", stdout(&denied));
    let within = regauth(&["check", "--deny", "clock-skew", "--max-clock-skew", "40s", &sample]);
    assert_eq!(within.status.code(), Some(0), "{}", stdout(&within));
    assert!(stdout(&within).contains("pass clock skew within 40 s"), "{}", stdout(&within));

    // 90 s beyond the registry's leeway is an error-level clock-skew at the default limit; a
    // limit of 120 s is the user saying that much skew is expected.
    let beyond = path("clock-ahead-beyond-leeway.flow");
    let strict = regauth(&["check", "--expect", "failure", "--deny", "clock-skew", &beyond]);
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));
    let lenient = regauth(&[
        "check",
        "--expect",
        "failure",
        "--deny",
        "clock-skew",
        "--max-clock-skew",
        "120s",
        &beyond,
    ]);
    assert_eq!(lenient.status.code(), Some(0), "{}", stdout(&lenient));

    // `--ca` is read by both commands; an unreadable one stops both with exit 2.
    let missing =
        std::env::temp_dir().join(format!("regauth-no-such-ca-{}.pem", std::process::id()));
    let missing = missing.display().to_string();
    for command in ["analyze", "check"] {
        let output = regauth(&[command, "--ca", &missing, &path("pull-success.flow")]);
        assert_eq!(output.status.code(), Some(2), "{command}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"), "{command}");
    }
    let (ca_path, _) = recorded_ca("r8");
    let ca = ca_path.display().to_string();
    let checked = regauth(&["check", "--ca", &ca, &path("pull-success.flow")]);
    let _ = std::fs::remove_file(&ca_path);
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
}

/// Large regular files are memory-mapped (`src/mapped.rs`), other inputs read: a recorded
/// HAR padded past the mapping threshold gives the same exchanges mapped, read
/// (`REGAUTH_NO_MMAP`) and piped through stdin, and the same analysis exit code.
#[test]
fn mapped_read_and_piped_inputs_read_alike() {
    use std::io::Write as _;
    use std::process::Stdio;

    let mut bytes = std::fs::read(sample("pull-success.har")).expect("sample HAR");
    // Trailing whitespace is valid JSON; it takes the file past the 1 MiB mapping threshold.
    bytes.resize(bytes.len() + (1 << 20) + 4096, b'\n');
    let dir = std::env::temp_dir().join(format!("regauth-mapped-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("padded.har");
    std::fs::write(&file, &bytes).expect("write padded HAR");
    let file = file.display().to_string();
    let exchanges = |output: &Output| {
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        json(output)["exchanges"].clone()
    };

    let mapped = regauth(&["exchanges", "--format", "json", &file]);
    let read = Command::new(env!("CARGO_BIN_EXE_regauth"))
        .args(["exchanges", "--format", "json", &file])
        .env("REGAUTH_NO_MMAP", "1")
        .output()
        .expect("runs regauth");
    let mut child = Command::new(env!("CARGO_BIN_EXE_regauth"))
        .args(["exchanges", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs regauth");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let piped = child.wait_with_output().expect("regauth ends");
    writer.join().expect("writer thread").expect("writes stdin");

    let from_map = exchanges(&mapped);
    assert!(from_map.as_array().is_some_and(|rows| !rows.is_empty()), "{from_map}");
    assert_eq!(from_map, exchanges(&read));
    assert_eq!(from_map, exchanges(&piped));
    assert_eq!(json(&mapped)["sources"][0]["size"], json(&read)["sources"][0]["size"]);

    let analysed = regauth(&["analyze", "--format", "json", &file]);
    let unpadded = regauth(&["analyze", "--format", "json", &path("pull-success.har")]);
    assert_eq!(analysed.status.code(), unpadded.status.code());
    let codes = |output: &Output| {
        let findings = json(output)["findings"].as_array().cloned().unwrap_or_default();
        findings.iter().map(|finding| finding["code"].to_string()).collect::<Vec<_>>()
    };
    assert!(!codes(&unpadded).is_empty());
    assert_eq!(codes(&analysed), codes(&unpadded));
    let _ = std::fs::remove_dir_all(&dir);
}

// A reader that stops early (`regauth analyze … | head`) closes the pipe while the report is
// written: the exit code must still be the verdict, which was reached before writing began.
#[test]
fn a_closed_pipe_keeps_the_verdict_as_exit_code() {
    use std::io::Read as _;
    let flows: Vec<String> = sample_flows().iter().map(|path| path.display().to_string()).collect();
    for (command, expected) in
        [(&["analyze", "--format", "json"][..], 1), (&["check"][..], 1), (&["exchanges"][..], 0)]
    {
        let mut child = Command::new(env!("CARGO_BIN_EXE_regauth"))
            .args(command)
            .args(&flows)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("regauth runs");
        let mut first = [0u8; 64];
        child.stdout.take().expect("piped").read_exact(&mut first).expect("some output");
        // The read end is dropped above: later writes fail with EPIPE (Rust ignores SIGPIPE).
        let output = child.wait_with_output().expect("regauth exits");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(expected), "{command:?}: {stderr}");
        assert!(!stderr.to_lowercase().contains("broken pipe"), "{command:?}: {stderr}");
    }
}

// A flow file large enough to be decoded on several threads (every sample flow, twice) reads
// and analyses the same on one thread and on four.
#[test]
fn threads_do_not_change_the_result() {
    let flows = sample_flows();
    let mut joined = Vec::new();
    for _ in 0..2 {
        for flow in &flows {
            joined.extend(std::fs::read(flow).expect("sample flow"));
        }
    }
    let file = std::env::temp_dir().join(format!("regauth-threads-{}.flow", std::process::id()));
    std::fs::write(&file, &joined).expect("temporary file");
    let file = file.display().to_string();
    let listed = same_on_one_and_four_threads(&file);
    let n_read = json(&listed)["exchanges"].as_array().map_or(0, Vec::len);
    assert!(n_read > 4 * 64, "only {n_read} exchanges: too few for several threads");
    let refused = regauth(&["exchanges", "--threads", "0", &file]);
    assert_eq!(refused.status.code(), Some(2));
    let _ = std::fs::remove_file(&file);
}

/// The HAR reader reads ahead on other threads from every MiB of entries: every sample HAR's
/// entries in one log (4.6 MB) read the same on one thread and on four.
#[test]
fn threads_do_not_change_the_result_of_a_har() {
    let mut entries = Vec::new();
    for path in sample_files("har") {
        let har: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("sample HAR")).expect("JSON");
        entries.extend(har["log"]["entries"].as_array().cloned().unwrap_or_default());
    }
    let har = serde_json::json!({"log": {"version": "1.2", "entries": entries}});
    let bytes = serde_json::to_vec_pretty(&har).expect("JSON");
    assert!(bytes.len() > 3 << 20, "{} bytes: too few for several threads", bytes.len());
    let file = std::env::temp_dir().join(format!("regauth-threads-{}.har", std::process::id()));
    std::fs::write(&file, &bytes).expect("temporary file");
    let file = file.display().to_string();
    same_on_one_and_four_threads(&file);
    let _ = std::fs::remove_file(&file);
}

/// Asserts that `exchanges` and `analyze` (JSON) exit and print the same on `--threads 1` and
/// `--threads 4`; returns the one-thread `exchanges` run.
fn same_on_one_and_four_threads(file: &str) -> Output {
    let mut listed = None;
    for command in [&["exchanges", "--format", "json"][..], &["analyze", "--format", "json"]] {
        let run = |threads: &str| regauth(&[command, &["--threads", threads, file]].concat());
        let (one, four) = (run("1"), run("4"));
        assert_eq!(one.status.code(), four.status.code(), "{command:?}");
        assert_eq!(stdout(&one), stdout(&four), "{command:?}");
        listed.get_or_insert(one);
    }
    listed.expect("exchanges ran")
}
