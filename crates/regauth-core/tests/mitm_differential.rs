//! Differential test: regauth's mitmproxy flow reader against mitmproxy's own `FlowReader`.
//!
//! For every `.flow` file under `crates/regauth-core/tests/data/mitm/` and under the
//! repository's `samples/` (recursively, when it exists), mitmproxy's reading is committed
//! next to it as `<file>.mitmdump.json`, so this test needs no Python. To regenerate the
//! test flow files (with each mitmproxy version's own API, `tests/data/mitm/generate.py`) and
//! every expected reading, from the repository root:
//!
//! ```sh
//! bash tests/mitm_diff/regenerate.sh
//! ```
//!
//! or, for the readings alone, with a venv holding a recent mitmproxy (it migrates every
//! older format itself):
//!
//! ```sh
//! python3.12 -m venv /tmp/mitm-venv-12 && /tmp/mitm-venv-12/bin/pip install 'mitmproxy>=12,<13'
//! /tmp/mitm-venv-12/bin/python tests/mitm_diff/dump_flows.py \
//!     crates/regauth-core/tests/data/mitm/*.flow $(find samples -name '*.flow')
//! ```
//!
//! A generated test file without its JSON fails the test;
//! a recorded sample without one is only read (it must read without an error) and listed.

use std::path::{Path, PathBuf};

use regauth_core::capture::{self, Input};
use regauth_core::model::{Body, BodyData, Exchange, Timestamp};
use serde_json::Value;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.flow` file under `dir`, recursively, sorted.
fn flow_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "flow") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

fn seconds(ts: Option<Timestamp>) -> Option<f64> {
    ts.map(|ts| ts.timestamp() as f64 + f64::from(ts.timestamp_subsec_nanos()) * 1e-9)
}

fn body_len(body: &Body) -> Option<u64> {
    match &body.data {
        BodyData::Absent => None,
        BodyData::Raw(bytes) => Some(bytes.len() as u64),
        other => panic!("a flow body must be raw bytes, got {other:?}"),
    }
}

/// Compares one exchange with mitmproxy's reading of the same flow; returns the differences.
fn compare(exchange: &Exchange, expected: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |field: &str, actual: Value| {
        let wanted = &expected[field];
        let same = match (wanted.as_f64(), actual.as_f64()) {
            // Timestamps compare within 1 µs (Python may write whole seconds as ints); the
            // other numbers are counts and indexes, far below where f64 loses integers.
            (Some(wanted), Some(actual)) => (wanted - actual).abs() <= 1e-6,
            _ => *wanted == actual,
        };
        if !same {
            diffs.push(format!("{field}: mitmproxy {wanted}, regauth {actual}"));
        }
    };
    let request = &exchange.request;
    let response = exchange.response.as_ref();
    check("index", exchange.origin.index.into());
    check("method", request.method.as_str().into());
    check("url", request.url().into());
    check("http_version", request.http_version.as_str().into());
    check("status", response.map(|response| response.status).into());
    check("request_start", seconds(exchange.timing.request_start).into());
    check("response_end", seconds(exchange.timing.response_end).into());
    check("request_header_count", request.headers.len().into());
    check("response_header_count", response.map(|response| response.headers.len()).into());
    check("request_body_len", body_len(&request.body).into());
    check("response_body_len", response.and_then(|response| body_len(&response.body)).into());
    check("error", exchange.error.as_deref().into());
    check("server_peername", exchange.server_address.as_deref().into());
    check("client_peername", exchange.client_address.as_deref().into());
    let tls = exchange.tls.as_ref();
    check("server_certificate_count", tls.map_or(0, |tls| tls.server_certificates.len()).into());
    check("client_certificate_count", tls.map_or(0, |tls| tls.client_certificates.len()).into());
    // regauth keeps the server leg's TLS facts when that leg used TLS (and falls back to
    // the client leg's otherwise), so these two only compare when mitmproxy says it did.
    if expected["server_tls_established"] == Value::Bool(true) {
        check("server_tls_established", tls.is_some_and(|tls| tls.established).into());
        check("server_sni", tls.and_then(|tls| tls.sni.clone()).into());
    }
    diffs
}

#[test]
#[expect(clippy::print_stderr, reason = "lists recorded samples that lack a mitmproxy reading")]
fn reads_flow_files_as_mitmproxy_does() {
    let data_dir = manifest_dir().join("tests/data/mitm");
    let samples_dir = manifest_dir().join("../../samples");
    let generated = flow_files_under(&data_dir);
    assert!(generated.len() >= 7, "expected the generated flow files in {}", data_dir.display());
    let samples = flow_files_under(&samples_dir);

    let mut failures = Vec::new();
    let mut n_flows_compared = 0;
    let mut unchecked_samples = Vec::new();
    for path in generated.iter().chain(&samples) {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).unwrap();
        let (capture, errors) = capture::read(&[Input::new(name.clone(), bytes)]);
        if !errors.is_empty() {
            failures.push(format!("{name}: {errors:?}"));
            continue;
        }
        let expected_path = PathBuf::from(format!("{name}.mitmdump.json"));
        let Ok(expected_text) = std::fs::read_to_string(&expected_path) else {
            if generated.contains(path) {
                failures.push(format!(
                    "{name}: missing {} (see this file's docs)",
                    expected_path.display()
                ));
            } else {
                unchecked_samples.push(name);
            }
            continue;
        };
        let expected: Value = serde_json::from_str(&expected_text).unwrap();
        if let Some(recorded_sha256) = expected["sha256"].as_str() {
            let actual_sha256 = sha256_hex(&std::fs::read(path).unwrap());
            if recorded_sha256 != actual_sha256 {
                failures.push(format!(
                    "{name}: changed since mitmproxy's reading of it was made; \
                     regenerate {} (see this file's docs)",
                    expected_path.display()
                ));
                continue;
            }
        }
        let expected_flows = expected["flows"].as_array().unwrap();
        let mut exchanges: Vec<&Exchange> = capture.exchanges.iter().collect();
        exchanges.sort_by_key(|exchange| exchange.origin.index);
        if exchanges.len() != expected_flows.len() {
            failures.push(format!(
                "{name}: mitmproxy read {} HTTP flows, regauth {} (problems: {:?})",
                expected_flows.len(),
                exchanges.len(),
                capture.problems.iter().map(ToString::to_string).collect::<Vec<_>>()
            ));
            continue;
        }
        for (exchange, expected_flow) in exchanges.iter().zip(expected_flows) {
            n_flows_compared += 1;
            for diff in compare(exchange, expected_flow) {
                failures.push(format!("{name}: flow {}: {diff}", exchange.origin.index));
            }
        }
    }
    if !unchecked_samples.is_empty() {
        eprintln!(
            "read without a mitmproxy reading to compare with (run dump_flows.py): {unchecked_samples:#?}"
        );
    }
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
    assert!(n_flows_compared >= 7 * 7, "compared only {n_flows_compared} flows");
}

/// The producer names the flow format each file was written in.
#[test]
fn names_the_flow_format_version() {
    for (file, version) in [
        ("mitmproxy-7.0.4.flow", 14),
        ("mitmproxy-8.0.0.flow", 15),
        ("mitmproxy-8.1.1.flow", 17),
        ("mitmproxy-9.0.1.flow", 18),
        ("mitmproxy-10.4.2.flow", 20),
        ("mitmproxy-11.0.2.flow", 21),
        ("mitmproxy-12.2.3.flow", 21),
    ] {
        let bytes = std::fs::read(manifest_dir().join("tests/data/mitm").join(file)).unwrap();
        let (capture, errors) = capture::read(&[Input::new(file, bytes)]);
        assert!(errors.is_empty(), "{file}: {errors:?}");
        assert_eq!(
            capture.sources[0].producer.as_deref(),
            Some(format!("mitmproxy flow format {version}").as_str())
        );
    }
}

/// Gzip-compressed flow files read the same; offsets are offsets in the decompressed flow file.
#[test]
fn reads_gzip_compressed_flow_files() {
    use std::io::Write as _;
    let plain =
        std::fs::read(manifest_dir().join("tests/data/mitm/mitmproxy-11.0.2.flow")).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&plain).unwrap();
    let gzipped = encoder.finish().unwrap();
    let (from_plain, _) = capture::read(&[Input::new("plain.flow", plain)]);
    let (from_gzip, errors) = capture::read(&[Input::new("capture.flow.gz", gzipped)]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(from_gzip.sources[0].producer.as_deref(), Some("mitmproxy flow format 21"));
    let summary = |capture: &capture::Capture| -> Vec<(Option<u64>, String, Option<u16>)> {
        capture
            .exchanges
            .iter()
            .map(|exchange| {
                let status = exchange.response.as_ref().map(|response| response.status);
                (exchange.origin.byte_offset, exchange.request.url(), status)
            })
            .collect()
    };
    assert_eq!(summary(&from_gzip), summary(&from_plain));
    assert_eq!(from_gzip.problems.len(), from_plain.problems.len());
}
