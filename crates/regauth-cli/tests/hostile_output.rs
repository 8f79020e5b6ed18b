//! A hostile capture through every command and format: no credential from a URL reaches any
//! output unless `--show-secrets`, and no control or bidi character from the capture reaches a
//! terminal (text formats and stderr); JSON keeps the exact strings; JUnit is well-formed XML.

use std::path::PathBuf;
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use regauth_core::display::is_unsafe_char;
use serde_json::json;

/// What a capture can use to take over a terminal: a window title (OSC 0 ... BEL), clearing
/// the screen, an OSC 8 hyperlink, a carriage return that overwrites the line, a bidi override.
const TITLE: &str = "\u{1b}]0;pwned\u{7}";
const CLEAR: &str = "\u{1b}[2J";
const LINK: &str = "\u{1b}]8;;https://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\";
const OVERWRITE: &str = "\rall good";
const BIDI: &str = "\u{202e}lmth.exe";

/// Credentials the capture carries in URLs; none may be printed without `--show-secrets`.
const SECRETS: &[&str] = &["hunter2pass", "tok3nValue", "S3cretPass", "userinfoPw", "sig4ture"];

fn hostile() -> String {
    [TITLE, CLEAR, LINK, OVERWRITE, BIDI].concat()
}

fn jwt() -> String {
    let header = json!({"alg": "RS256", "typ": "JWT"});
    let claims = json!({
        "iss": format!("issuer{}", hostile()),
        "aud": format!("reg.example{TITLE}"),
        "sub": format!("alice{BIDI}"),
        "iat": 1_700_000_000, "nbf": 1_700_000_000, "exp": 1_700_000_300,
        "access": [{"type": "repository", "name": format!("team/app{CLEAR}"), "actions": ["pull"]}],
    });
    let encode = |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!("{}.{}.c2lnbmF0dXJl", encode(&header), encode(&claims))
}

fn entry(
    started: &str,
    method: &str,
    url: &str,
    request_headers: serde_json::Value,
    status: u16,
    response_headers: serde_json::Value,
    body: &str,
) -> serde_json::Value {
    json!({
        "startedDateTime": started, "time": 5,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": request_headers,
                    "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": response_headers,
                     "cookies": [], "content": {"size": body.len(), "mimeType": "application/json", "text": body},
                     "redirectURL": "", "headersSize": -1, "bodySize": body.len()},
        "cache": {}, "timings": {"send": 0, "wait": 5, "receive": 0}
    })
}

/// hand-written fixture: a pull whose every capture-controlled string is hostile.
fn hostile_har() -> PathBuf {
    let host = format!("reg{}.example", TITLE);
    let realm = format!("https://auth.example/token{CLEAR}");
    let challenge = format!(
        r#"Bearer realm="{realm}",service="reg.example{BIDI}",scope="repository:team/app:pull""#
    );
    let token = jwt();
    let token_body =
        json!({"token": token, "expires_in": 300, "issued_at": "2023-11-14T22:13:20Z"}).to_string();
    let error_body = json!({"errors": [{"code": "UNAUTHORIZED", "message": format!("denied {}", hostile()), "detail": null}]}).to_string();
    let mut entries = vec![
        entry(
            "2023-11-14T22:13:20.000Z",
            "GET",
            &format!("https://{host}/v2/team/app/manifests/1"),
            json!([]),
            401,
            json!([{"name": "WWW-Authenticate", "value": challenge}]),
            "",
        ),
        entry(
            "2023-11-14T22:13:20.100Z",
            "GET",
            "https://auth.example/token?service=reg.example&scope=repository%3Ateam%2Fapp%3Apull&password=hunter2pass&access_token=tok3nValue",
            json!([]),
            200,
            json!([{"name": "Date", "value": "Tue, 14 Nov 2023 22:13:20 GMT"}]),
            &token_body,
        ),
        entry(
            "2023-11-14T22:13:20.200Z",
            "GET",
            &format!("https://{host}/v2/team/app/manifests/1"),
            json!([{"name": "Authorization", "value": format!("Bearer {token}")}]),
            401,
            json!([{"name": "WWW-Authenticate", "value": format!(r#"{challenge},error="invalid_token""#)}]),
            &error_body,
        ),
        entry(
            "2023-11-14T22:13:20.300Z",
            "GET",
            "https://bob:userinfoPw@storage.example/blob?X-Amz-Signature=sig4ture",
            json!([]),
            0,
            json!([]),
            "",
        ),
        // A URL that does not parse (unclosed IPv6 bracket) with userinfo: the reader skips it.
        entry(
            "2023-11-14T22:13:20.400Z",
            "GET",
            "https://alice:S3cretPass@[::1/v2/",
            json!([]),
            200,
            json!([]),
            "",
        ),
    ];
    entries[3]["response"]["_error"] = json!(format!("connection refused {}", hostile()));
    let har = json!({"log": {"version": "1.2", "creator": {"name": format!("recorder{TITLE}"), "version": "1"},
                             "entries": entries}});
    let dir = std::env::temp_dir().join(format!("regauth-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // One file per call: tests run in parallel and must not read each other's half-written file.
    static N_WRITTEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N_WRITTEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("capture{n}{}.har", "\u{202e}"));
    std::fs::write(&path, serde_json::to_vec(&har).expect("json")).expect("write the fixture");
    path
}

fn regauth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regauth")).args(args).output().expect("runs regauth")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every command and format over the hostile capture: (what ran, format, output).
fn run_everything(extra: &[&str]) -> Vec<(String, &'static str, Output)> {
    let har = hostile_har();
    let har = har.to_str().expect("utf-8 path");
    let token = jwt();
    let mut runs = Vec::new();
    let commands: [(&[&str], &[&'static str]); 4] = [
        (&["exchanges"], &["text", "json"]),
        (&["analyze"], &["text", "json"]),
        (&["check", "--deny", "registry-error"], &["text", "json", "junit"]),
        (&["token"], &["text", "json"]),
    ];
    for (command, formats) in commands {
        for format in formats {
            let mut args: Vec<&str> = command.to_vec();
            args.extend(["--format", format]);
            if command[0] != "check" {
                args.extend(extra);
            }
            args.push(if command[0] == "token" { &token } else { har });
            runs.push((args.join(" "), *format, regauth(&args)));
        }
    }
    runs
}

/// `regauth exchanges --format json` of the hostile capture.
fn exchanges_json() -> serde_json::Value {
    let har = hostile_har();
    let output = regauth(&["exchanges", "--format", "json", har.to_str().expect("path")]);
    serde_json::from_slice(&output.stdout).expect("json")
}

/// One string field of every exchange row that has it.
fn column<'a>(value: &'a serde_json::Value, field: &str) -> Vec<&'a str> {
    let rows = value["exchanges"].as_array().expect("rows");
    rows.iter().filter_map(|row| row[field].as_str()).collect()
}

#[test]
fn r9_no_url_credential_in_any_output_unless_asked() {
    for (ran, _format, output) in run_everything(&[]) {
        let shown = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(output.status.code().is_some_and(|code| code <= 2), "{ran}: {:?}", output.status);
        for secret in SECRETS {
            assert!(!shown.contains(secret), "{ran} prints {secret}:\n{shown}");
        }
    }
    // The masks keep the parameter names, so people see what was there.
    let value = exchanges_json();
    let urls = column(&value, "url");
    assert!(urls.iter().any(|url| url.ends_with("&password=***&access_token=***")), "{urls:?}");
    assert!(urls.iter().any(|url| url.contains("X-Amz-Signature=***")), "{urls:?}");
    let problems = value["problems"].to_string();
    // The entry whose URL does not parse is reported by place, its URL not quoted.
    assert!(problems.contains("entries[4].request.url"), "{problems}");
    // With --show-secrets `exchanges` and `analyze` print them.
    let shown = run_everything(&["--show-secrets"])
        .into_iter()
        .filter(|(ran, _, _)| ran.starts_with("exchanges"))
        .map(|(_, _, output)| text(&output.stdout))
        .collect::<String>();
    // (S3cretPass is in a URL that does not parse, which no output quotes at all.)
    for secret in ["hunter2pass", "tok3nValue", "sig4ture"] {
        assert!(shown.contains(secret), "--show-secrets hides {secret}");
    }
}

/// The first character a terminal must not receive raw, if any (line feeds are the only
/// control character text output may contain).
fn raw_unsafe(shown: &str) -> Option<(usize, char)> {
    shown.char_indices().find(|&(_, ch)| ch != '\n' && is_unsafe_char(ch))
}

#[test]
fn r9_no_capture_controls_or_bidi_reach_the_terminal() {
    for extra in [&[][..], &["--show-secrets"][..]] {
        for (ran, format, output) in run_everything(extra) {
            let stderr = text(&output.stderr);
            assert_eq!(raw_unsafe(&stderr), None, "{ran}: stderr {stderr:?}");
            let stdout = text(&output.stdout);
            match format {
                "text" => {
                    assert_eq!(raw_unsafe(&stdout), None, "{ran}: stdout {stdout:?}");
                    // The escapes are visible instead.
                    assert!(
                        stdout.contains("\\x1b") || ran.starts_with("check"),
                        "{ran}: {stdout}"
                    );
                }
                "json" => {
                    let value: serde_json::Value = serde_json::from_str(&stdout)
                        .unwrap_or_else(|err| panic!("{ran}: not JSON ({err}): {stdout}"));
                    assert!(value["schema"].is_string(), "{ran}");
                }
                "junit" => {
                    assert_eq!(raw_unsafe(&stdout), None, "{ran}: {stdout:?}");
                    let mut reader = quick_xml::Reader::from_str(&stdout);
                    let mut n_failures = 0;
                    loop {
                        match reader.read_event() {
                            Ok(quick_xml::events::Event::Eof) => break,
                            Ok(quick_xml::events::Event::Start(tag))
                                if tag.name().as_ref() == "failure" =>
                            {
                                n_failures += 1;
                            }
                            Ok(_) => {}
                            Err(err) => panic!(
                                "{ran}: not well-formed at {}: {err}\n{stdout}",
                                reader.buffer_position()
                            ),
                        }
                    }
                    assert!(
                        n_failures > 0,
                        "{ran}: the denied registry-error is a failure:\n{stdout}"
                    );
                }
                other => panic!("unexpected format {other}"),
            }
        }
    }
}

#[test]
fn r9_json_keeps_capture_strings_exact() {
    let value = exchanges_json();
    let errors = column(&value, "error");
    assert_eq!(errors, [format!("connection refused {}", hostile())]);
    assert_eq!(value["sources"][0]["producer"], format!("recorder{TITLE} 1"));
}
