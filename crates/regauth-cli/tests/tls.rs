//! `regauth tls`: the real binary on recorded samples and a hand-written HAR.

use std::path::Path;
use std::process::{Command, Output};

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples").join(name).display().to_string()
}

fn regauth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regauth")).args(args).output().expect("runs regauth")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!("not JSON ({err}): {}", String::from_utf8_lossy(&output.stdout))
    })
}

#[test]
fn recorded_flow_shows_chain_and_sans() {
    let output = regauth(&["tls", "--format", "json", &sample("pull-success.flow")]);
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    assert_eq!(report["schema"], "regauth.tls/v1");
    assert_eq!(report["tls"]["connections"].as_array().map(Vec::len), Some(2));
    assert_eq!(report["tls"]["certificates"][0]["issuer"], "CN=regauth test CA,O=regauth samples");
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["tls-intercepted"]);
    let text = regauth(&["tls", &sample("pull-success.flow")]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("registry.regauth.test:5000  SNI registry.regauth.test"), "{text}");
    assert!(text.contains("host name: matches *.regauth.test"), "{text}");
    assert!(text.contains("(valid at capture time"), "{text}");
    // The analysis JSON carries the same section.
    let analysis = json(&regauth(&["analyze", "--format", "json", &sample("pull-success.flow")]));
    assert_eq!(analysis["tls"], report["tls"]);
}

#[test]
fn expired_certificate_in_a_har_exits_1() {
    let dir = std::env::temp_dir().join(format!("regauth-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let har = dir.join("expired.har");
    // hand-written fixture: a Playwright-style entry whose certificate expired in 2020.
    std::fs::write(
        &har,
        r#"{"log": {"version": "1.2", "creator": {"name": "Playwright", "version": "1.50"}, "entries": [
  {"startedDateTime": "2027-01-15T08:00:00.000Z", "time": 5,
   "request": {"method": "GET", "url": "https://registry.example/v2/", "httpVersion": "HTTP/1.1",
               "headers": [], "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
   "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [],
                "cookies": [], "content": {"size": 0, "mimeType": "text/plain"}, "redirectURL": "",
                "headersSize": -1, "bodySize": 0},
   "cache": {}, "timings": {"send": 1, "wait": 3, "receive": 1},
   "_securityDetails": {"protocol": "TLS 1.3", "subjectName": "registry.example",
                        "issuer": "Example CA", "validFrom": 1500000000, "validTo": 1600000000}}]}}"#,
    )
    .expect("writes fixture");
    let output = regauth(&["tls", "--format", "json", &har.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(report["tls"]["connections"][0]["server_summary"]["issuer"], "Example CA");
    assert_eq!(report["findings"][0]["code"], "tls-certificate-expired");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_input_exits_2() {
    assert_eq!(regauth(&["tls", "/nonexistent/capture.flow"]).status.code(), Some(2));
}
