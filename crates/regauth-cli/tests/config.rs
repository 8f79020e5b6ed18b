//! `regauth config`: the real binary on hand-written config files and recorded captures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples").join(name).display().to_string()
}

/// A fresh scratch directory per test (removed first, so reruns start clean).
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("regauth-config-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creates scratch dir");
    dir
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("creates parent");
    }
    std::fs::write(path, text).expect("writes fixture");
}

/// Runs regauth with a controlled environment: no config variables from the test runner leak
/// in, PATH is only `path_dir`.
fn regauth(args: &[&str], home: &Path, path_dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_regauth"));
    command
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", path_dir)
        .env("XDG_RUNTIME_DIR", home.join("run"));
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("runs regauth")
}

fn auth(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn registry<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["registries"]
        .as_array()
        .and_then(|rows| rows.iter().find(|row| row["name"] == name))
        .unwrap_or_else(|| panic!("no registry {name} in {report:#}"))
}

#[cfg(unix)]
fn fake_helper(dir: &Path, name: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(format!("docker-credential-{name}"));
    // hand-written fixture: regauth only checks that it exists and is executable; it never runs it.
    write(&path, "#!/bin/sh\nexit 99\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn plaintext_password_is_flagged_and_never_printed() {
    let dir = scratch("plaintext");
    let config = dir.join("config.json");
    // hand-written fixture
    let secret = "S3cret-for-regauth-test";
    write(
        &config,
        &format!(
            r#"{{"auths": {{"registry.example:5000": {{"auth": "{}"}}, "https://index.docker.io/v1/": {{"auth": "{}", "identitytoken": "idtok-SECRET-value"}}}}}}"#,
            auth("alice", secret),
            auth("hubuser", "")
        ),
    );
    let config_arg = config.display().to_string();
    for format in ["text", "json"] {
        let output = regauth(&["config", &config_arg, "--format", format], &dir, &dir, &[]);
        assert_eq!(output.status.code(), Some(1), "plaintext secrets are a problem ({format})");
        let everything = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        for leaked in [secret, &auth("alice", secret), "idtok-SECRET-value"] {
            assert!(!everything.contains(leaked), "{format} output leaks {leaked}");
        }
        assert!(everything.contains("alice") && everything.contains("hubuser"), "user names shown");
    }
    let report = json(&regauth(&["config", &config_arg, "--format", "json"], &dir, &dir, &[]));
    assert_eq!(report["schema"], "regauth.config/v1");
    assert_eq!(report["outcome"], "problems");
    assert_eq!(report["files"][0]["state"], "read");
    assert_eq!(report["files"][0]["read_by"], serde_json::json!(["docker", "podman"]));
    let private = registry(&report, "registry.example:5000");
    assert_eq!(private["docker"]["source"], "auths");
    assert_eq!(private["docker"]["credential"], "password");
    assert_eq!(private["docker"]["username"], "alice");
    let hub = registry(&report, "docker.io");
    assert_eq!(hub["docker"]["key"], "https://index.docker.io/v1/");
    assert_eq!(hub["docker"]["credential"], "identity-token");
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["code"].as_str())
        .collect();
    assert!(codes.contains(&"config-plaintext-password"), "{codes:?}");
    assert!(codes.contains(&"config-plaintext-identity-token"), "{codes:?}");
    let explained = regauth(&["explain", "config-plaintext-password"], &dir, &dir, &[]);
    assert_eq!(explained.status.code(), Some(0), "explain knows config codes");
}

#[cfg(unix)]
#[test]
fn helpers_are_found_on_path_and_capture_credentials_checked() {
    let dir = scratch("helpers");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    fake_helper(&bin, "pass");
    let config = dir.join("config.json");
    // hand-written fixture: docker keeps the secret in `pass`; `auths` holds only the marker.
    write(&config, r#"{"auths": {"registry.regauth.test:5000": {}}, "credsStore": "pass"}"#);
    let config_arg = config.display().to_string();
    let capture = sample("docker-login-pull-push.flow");
    let output = regauth(
        &["config", &config_arg, "--client", "docker", "--capture", &capture, "--format", "json"],
        &dir,
        &bin,
        &[],
    );
    let report = json(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["helpers"][0]["program"], "docker-credential-pass");
    assert_eq!(report["helpers"][0]["on_path"], true);
    let row = registry(&report, "registry.regauth.test:5000");
    assert_eq!(row["in_capture"], true);
    assert_eq!(row["docker"]["source"], "creds-store");
    assert_eq!(row["docker"]["helper_key"], "registry.regauth.test:5000");
    assert!(row["podman"].is_null(), "--client docker");
    let checks = row["capture"].as_array().expect("checks");
    // The recording: docker login (an /auth body and the daemon's offline_token request), then
    // pulls and pushes with the identity token in X-Registry-Auth and OAuth2 refresh_token grants.
    let vias: Vec<&str> = checks.iter().filter_map(|check| check["via"].as_str()).collect();
    for via in ["engine-auth-body", "x-registry-auth", "oauth2-refresh-token"] {
        assert!(vias.contains(&via), "{via} missing from {vias:?}");
    }
    assert!(checks.iter().all(|check| check["verdict"] == "unverifiable"), "{checks:#?}");
    assert!(
        checks
            .iter()
            .any(|check| check["via"] == "engine-auth-body" && check["username"] == "writer")
    );

    // Without the helper on PATH the same config fails: the lookup ends at a missing program.
    let output = regauth(
        &["config", &config_arg, "--client", "docker", "--format", "json"],
        &dir,
        &dir,
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(report["helpers"][0]["on_path"], false);
    assert_eq!(report["findings"][0]["code"], "config-helper-missing");
}

#[test]
fn a_capture_by_another_user_is_a_mismatch() {
    let dir = scratch("mismatch");
    let config = dir.join("auth.json");
    // hand-written fixture: podman's auth.json logged in as writer (no secret issue: the test
    // checks the verdict), while the recording pulls as reader.
    write(
        &config,
        &format!(
            r#"{{"auths": {{"registry.regauth.test:5000": {{"auth": "{}"}}}}}}"#,
            auth("writer", "x")
        ),
    );
    let config_arg = config.display().to_string();
    let output = regauth(
        &["config", &config_arg, "--capture", &sample("pull-success.flow"), "--format", "json"],
        &dir,
        &dir,
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(
        report["files"][0]["read_by"],
        serde_json::json!(["podman"]),
        "auth.json: podman only"
    );
    let row = registry(&report, "registry.regauth.test:5000");
    let check = &row["capture"][0];
    assert_eq!(check["client"], "podman", "skopeo's User-Agent");
    assert_eq!(check["username"], "reader");
    assert_eq!(check["verdict"], "mismatch");
    assert!(
        report["findings"].as_array().expect("findings").iter().any(|finding| finding["code"]
            == "config-credentials-mismatch"
            && finding["message"].as_str().is_some_and(|message| message.contains("\"reader\"")))
    );
}

#[test]
fn default_locations_in_each_clients_order() {
    let home = scratch("defaults");
    // hand-written fixtures: podman's user auth.json and docker's config.json.
    write(&home.join(".config/containers/auth.json"), r#"{"auths": {"quay.io/org": {}}}"#);
    write(&home.join(".docker/config.json"), r#"{"credHelpers": {"gcr.io": "gcloud"}}"#);
    let output = regauth(&["config", "--format", "json"], &home, &home, &[]);
    let report = json(&output);
    let files: Vec<(String, String, serde_json::Value)> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|file| {
            (
                file["path"].as_str().unwrap_or("").replace(&home.display().to_string(), "~"),
                file["state"].as_str().unwrap_or("").to_owned(),
                file["read_by"].clone(),
            )
        })
        .collect();
    assert_eq!(
        files,
        vec![
            (
                "~/.docker/config.json".into(),
                "read".into(),
                serde_json::json!(["docker", "podman"])
            ),
            ("~/run/containers/auth.json".into(), "missing".into(), serde_json::json!(["podman"])),
            ("~/.config/containers/auth.json".into(), "read".into(), serde_json::json!(["podman"])),
            ("~/.dockercfg".into(), "missing".into(), serde_json::json!(["podman"])),
        ]
    );
    assert_eq!(registry(&report, "gcr.io")["docker"]["source"], "cred-helper");
    assert!(registry(&report, "quay.io/org")["docker"].is_null());
    assert_eq!(output.status.code(), Some(1), "gcloud helper is not on PATH");

    // REGISTRY_AUTH_FILE replaces podman's whole search order; DOCKER_CONFIG moves docker's file.
    let elsewhere = home.join("elsewhere");
    write(&elsewhere.join("config.json"), "{}");
    write(&home.join("ci-auth.json"), "{}");
    let output = regauth(
        &["config", "--format", "json"],
        &home,
        &home,
        &[
            ("DOCKER_CONFIG", &elsewhere.display().to_string()),
            ("REGISTRY_AUTH_FILE", &home.join("ci-auth.json").display().to_string()),
        ],
    );
    let report = json(&output);
    let paths: Vec<String> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|file| file["path"].as_str())
        .map(|path| path.replace(&home.display().to_string(), "~"))
        .collect();
    assert_eq!(paths, vec!["~/elsewhere/config.json", "~/ci-auth.json"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn unreadable_config_exits_2() {
    let dir = scratch("unreadable");
    let missing = dir.join("nope.json").display().to_string();
    let output = regauth(&["config", &missing], &dir, &dir, &[]);
    assert_eq!(output.status.code(), Some(2));
    let broken = dir.join("config.json");
    write(&broken, "{\"auths\": ");
    let output =
        regauth(&["config", &broken.display().to_string(), "--format", "json"], &dir, &dir, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(json(&output)["files"][0]["state"], "invalid");
}

#[test]
fn hostile_keys_cannot_drive_the_terminal() {
    let dir = scratch("hostile");
    let config = dir.join("config.json");
    // hand-written fixture: escape sequences in a key, a helper name and a user name.
    write(
        &config,
        &format!(
            r#"{{"auths": {{"evil\u001b[2J.example": {{"auth": "{}"}}}}, "credHelpers": {{"x.example": "h\u001b]0;pwned\u0007"}}}}"#,
            auth("user\u{1b}[31m", "pw")
        ),
    );
    let output = regauth(&["config", &config.display().to_string()], &dir, &dir, &[]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("evil"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "raw control characters reach the terminal: {text:?}"
    );
}
