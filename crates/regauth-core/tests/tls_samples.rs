//! TLS facts of recorded samples: what mitmproxy kept of each connection, checked against what
//! the recording scripts set up (`samples/record/`: a test CA signs one certificate for
//! `*.regauth.test`; Playwright's HAR sees mitmproxy's own certificate).

use std::path::Path;

use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::capture::{self, Input};
use regauth_core::report::analysis::{AnalysisReport, Secrets};

fn report(name: &str) -> serde_json::Value {
    report_and_count(name).0
}

/// The analysis report and the number of exchanges in the capture.
fn report_and_count(name: &str) -> (serde_json::Value, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let (capture, errors) = capture::read(&[Input::new(name, bytes)]);
    assert!(errors.is_empty(), "{errors:?}");
    let analysis = analyze(&capture, &AnalysisConfig::default());
    let value = serde_json::to_value(AnalysisReport::new(&capture, &analysis, Secrets::Masked))
        .expect("serialises");
    (value, capture.exchanges.len())
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|finding| finding["code"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn flow_connections_carry_the_upstream_chain() {
    let (report, n_exchanges) = report_and_count("pull-success.flow");
    let tls = &report["tls"];
    let certificates = tls["certificates"].as_array().expect("certificates");
    // Registry and token service share one certificate: listed once.
    assert_eq!(certificates.len(), 1, "{tls:#}");
    let leaf = &certificates[0];
    assert_eq!(leaf["issuer"], "CN=regauth test CA,O=regauth samples");
    assert!(
        leaf["dns_names"].as_array().expect("SANs").iter().any(|name| name == "*.regauth.test")
    );
    let connections = tls["connections"].as_array().expect("connections");
    let endpoints: Vec<(String, u64)> = connections
        .iter()
        .map(|c| (c["host"].as_str().unwrap_or("").to_owned(), c["port"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(
        endpoints,
        vec![("registry.regauth.test".into(), 5000), ("auth.regauth.test".into(), 5001)]
    );
    for connection in connections {
        assert_eq!(connection["sni"], connection["host"]);
        assert_eq!(connection["host_check"], "match");
        assert_eq!(connection["server_chain"][0]["certificate"], 0);
        assert_eq!(connection["server_chain"][0]["validity"], "valid");
        assert!(connection["server_chain"][0]["seconds_to_expiry"].as_i64().unwrap_or(0) > 0);
        assert!(connection["client_chain"].as_array().is_some_and(Vec::is_empty));
    }
    let exchanges: usize =
        connections.iter().map(|c| c["exchanges"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(
        exchanges, n_exchanges,
        "every exchange of the HTTPS session is on a TLS connection"
    );
    assert!(
        codes(&report).iter().all(|code| !code.starts_with("tls-") || code == "tls-intercepted"),
        "{:?}",
        codes(&report)
    );
}

#[test]
fn failed_handshake_is_a_connection_without_chain() {
    let report = report("tls-upstream-untrusted.flow");
    let connection = &report["tls"]["connections"][0];
    assert_eq!(connection["established"], false);
    assert!(connection["errors"][0].as_str().is_some_and(|error| error.contains("verify failed")));
    assert!(connection["server_chain"].as_array().is_some_and(Vec::is_empty));
    assert!(codes(&report).contains(&"tls-untrusted-certificate".to_owned()));
}

#[test]
fn browser_har_shows_the_recorders_certificate() {
    let report = report("chromium-playwright.har");
    let connection = &report["tls"]["connections"][0];
    assert_eq!(connection["server_summary"]["issuer"], "mitmproxy");
    assert!(connection["host_check"].is_null(), "no DER, no host check");
    assert!(codes(&report).contains(&"tls-intercepted".to_owned()));
}
