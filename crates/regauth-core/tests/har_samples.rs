//! Every recorded HAR under `samples/` must read without a `CaptureError`, and where a
//! recording exists as both `X.har` and `X.flow`, both must describe the same exchanges.
//!
//! `samples/` is walked recursively when it exists (recordings land there separately);
//! `REGAUTH_SAMPLES_DIR` points the test at another directory.

use std::path::{Path, PathBuf};

use regauth_core::capture::{self, Input};
use regauth_core::model::Exchange;

fn samples_dir() -> PathBuf {
    std::env::var_os("REGAUTH_SAMPLES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples"))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> =
        entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn is_har(path: &Path) -> bool {
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    name.ends_with(".har") || name.ends_with(".har.gz") || name.ends_with(".zhar")
}

fn read(path: &Path) -> (capture::Capture, Vec<capture::CaptureError>) {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    capture::read(&[Input::new(path.display().to_string(), bytes)])
}

#[test]
fn every_sample_har_reads_without_error() {
    let mut files = Vec::new();
    files_under(&samples_dir(), &mut files);
    let mut failures = Vec::new();
    for path in files.iter().filter(|path| is_har(path)) {
        let (capture, errors) = read(path);
        failures.extend(errors.iter().map(ToString::to_string));
        if capture.exchanges.is_empty() && errors.is_empty() {
            failures.push(format!("{}: no exchanges", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn har_and_flow_of_one_recording_agree() {
    let mut files = Vec::new();
    files_under(&samples_dir(), &mut files);
    let mut differences = Vec::new();
    for flow_path in files.iter().filter(|path| path.extension().is_some_and(|ext| ext == "flow")) {
        let har_path = flow_path.with_extension("har");
        if !har_path.exists() {
            continue;
        }
        let (flow_capture, flow_errors) = read(flow_path);
        if !flow_errors.is_empty() {
            // The flow reader is written separately; until it reads this file there is
            // nothing to compare against (the HAR itself is checked above).
            continue;
        }
        let (har_capture, _) = read(&har_path);
        differences.extend(
            compare_exchange_lists(&har_capture.exchanges, &flow_capture.exchanges)
                .into_iter()
                .map(|difference| format!("{}: {difference}", har_path.display())),
        );
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// What a HAR and a flow file of the same recording must agree on, as readable differences.
///
/// Compares only what both formats carry: method, URL, status (or its absence), header
/// names in order, and the decoded bodies. Not TLS (HAR has none), not timing precision, not
/// body representation (HAR stores decoded text or base64, flows store the wire bytes).
pub fn compare_exchange_lists(har: &[Exchange], flow: &[Exchange]) -> Vec<String> {
    const BODY_LIMIT: usize = 64 << 20;
    let mut differences = Vec::new();
    if har.len() != flow.len() {
        differences.push(format!(
            "{} exchanges in the HAR, {} in the flow file",
            har.len(),
            flow.len()
        ));
    }
    for (exchange_idx, (har, flow)) in har.iter().zip(flow).enumerate() {
        let mut differ = |what: &str, har_value: String, flow_value: String| {
            if har_value != flow_value {
                differences.push(format!(
                    "exchange {exchange_idx}: {what}: HAR {har_value:?}, flow {flow_value:?}"
                ));
            }
        };
        differ("method", har.request.method.to_string(), flow.request.method.to_string());
        differ("url", har.request.url(), flow.request.url());
        differ(
            "request header names",
            header_names(&har.request.headers),
            header_names(&flow.request.headers),
        );
        differ(
            "request body",
            body_digest(&har.request.body, BODY_LIMIT),
            body_digest(&flow.request.body, BODY_LIMIT),
        );
        let status =
            |exchange: &Exchange| exchange.response.as_ref().map(|response| response.status);
        differ("status", format!("{:?}", status(har)), format!("{:?}", status(flow)));
        if let (Some(har_response), Some(flow_response)) = (&har.response, &flow.response) {
            differ(
                "response header names",
                header_names(&har_response.headers),
                header_names(&flow_response.headers),
            );
            differ(
                "response body",
                body_digest(&har_response.body, BODY_LIMIT),
                body_digest(&flow_response.body, BODY_LIMIT),
            );
        }
    }
    differences
}

fn header_names(headers: &regauth_core::model::Headers) -> String {
    headers.iter().map(|(name, _)| name.to_ascii_lowercase()).collect::<Vec<_>>().join(",")
}

/// Length and a cheap checksum of the decoded body, so a difference shows without dumping it.
fn body_digest(body: &regauth_core::model::Body, limit: usize) -> String {
    match body.decoded(limit) {
        Ok(bytes) => {
            let checksum =
                bytes.iter().fold(0u32, |sum, &byte| sum.rotate_left(5) ^ u32::from(byte));
            format!("{} bytes, checksum {checksum:08x}", bytes.len())
        }
        Err(err) => format!("undecodable: {err}"),
    }
}
