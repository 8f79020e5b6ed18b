//! Issue 9's hostile inputs at full size, each generated in memory and read in a child
//! process of its own, with the time and the peak memory of that process.
//!
//!   cargo run --release -p regauth-core --example hostile_inputs [CASE...]
//!
//! Cases: `har-gz-bomb` (a 14 MB .har.gz that would inflate to 14 GB), `tiny-entries`
//! (a 76 MB HAR of a million tiny entries, default limits and raised), `brotli-engine`
//! (a flow of 2,000 brotli-encoded Docker Engine push streams, each decoding to 4 MiB and read
//! line by line three times, as the engine would: `--before` decodes without the cache and
//! the budget, the way every body was decoded before). The smaller versions of these run in
//! `tests/limits.rs`.
#![expect(clippy::print_stdout, reason = "an example reports to its terminal")]
#![allow(clippy::disallowed_methods, reason = "an example may read /proc and the clock")]

#[path = "../tests/hostile_shapes/mod.rs"]
mod hostile_shapes;

use std::borrow::Cow;
use std::io::Write as _;
use std::time::Instant;

use bytes::Bytes;
use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::capture::{self, Input, ReadLimits, content_encoding};
use regauth_core::model::decode_limits;

use hostile_shapes::{tnet, tnet_bytes, tnet_dict, tnet_float, tnet_int, tnet_text};

fn vm_hwm_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kib as f64 / 1024.0
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn har_gz_bomb() -> Vec<u8> {
    let mut out = gzip(br#"{"log":{"entries":[{"request":{"method":"GET","url":"https://r.example/v2/"},"response":{"status":401}},"#);
    let member = gzip(&vec![b' '; 1 << 20]);
    while out.len() < 14_000_000 {
        out.extend_from_slice(&member);
    }
    out
}

fn tiny_entries(n_entries: usize) -> Vec<u8> {
    let mut out = br#"{"log":{"version":"1.2","entries":["#.to_vec();
    for idx in 0..n_entries {
        if idx > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"request":{"method":"GET","url":"http://r.example/v2/"},"response":{"status":200}}"#);
    }
    out.extend_from_slice(b"]}}");
    out
}

/// A flow header list (`[[name, value], ...]`) of byte strings.
fn headers_item(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (name, value) in pairs {
        let mut pair = tnet_bytes(name.as_bytes());
        pair.extend(tnet_bytes(value.as_bytes()));
        tnet(&mut payload, &pair, b']');
    }
    let mut out = Vec::new();
    tnet(&mut out, &payload, b']');
    out
}

/// 2,000 `POST /images/<name>/push` answers, each a brotli JSON-lines stream of 4 MiB.
fn brotli_engine_flow() -> Vec<u8> {
    let mut stream = Vec::new();
    // The same progress line over and over, as a stalled push repeats it: brotli makes 4 MiB
    // of it about 2 KB, which is how the issue's 2,000 streams fit in 4.3 MB.
    while stream.len() < (4 << 20) + 4096 {
        stream.extend_from_slice(
            b"{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"3f53bb00af94\"}\n",
        );
    }
    let mut compressed = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut compressed, 4096, 11, 22);
        writer.write_all(&stream).unwrap();
    }
    let mut out = Vec::new();
    for flow_idx in 0..2000 {
        let start = 1_763_899_200.0 + flow_idx as f64;
        let request = tnet_dict(&[
            ("host", tnet_text("127.0.0.1")),
            ("port", tnet_int(2375)),
            ("method", tnet_bytes(b"POST")),
            ("scheme", tnet_bytes(b"http")),
            ("authority", tnet_bytes(b"")),
            ("path", tnet_bytes(b"/v1.43/images/registry.example/app/push?tag=1.0")),
            ("http_version", tnet_bytes(b"HTTP/1.1")),
            ("headers", headers_item(&[("X-Registry-Auth", "e30=")])),
            ("content", tnet_bytes(b"")),
            ("timestamp_start", tnet_float(start)),
        ]);
        let response = tnet_dict(&[
            ("status_code", tnet_int(200)),
            ("reason", tnet_bytes(b"OK")),
            ("http_version", tnet_bytes(b"HTTP/1.1")),
            (
                "headers",
                headers_item(&[("Content-Type", "application/json"), ("Content-Encoding", "br")]),
            ),
            ("content", tnet_bytes(&compressed)),
            ("timestamp_end", tnet_float(start + 0.5)),
        ]);
        out.extend(tnet_dict(&[
            ("version", tnet_int(21)),
            ("type", tnet_text("http")),
            ("request", request),
            ("response", response),
        ]));
    }
    out
}

fn run(case: &str, before: bool) {
    let started = Instant::now();
    let summary = match case {
        "har-gz-bomb" => {
            let input = har_gz_bomb();
            let size = input.len();
            let generated = started.elapsed();
            let started = Instant::now();
            let (capture, errors) = capture::read(&[Input::new("bomb.har.gz", input)]);
            format!(
                "{size} bytes (generated in {:.1} s) read in {:.2} s: {} exchanges, {} errors, first problem: {}",
                generated.as_secs_f64(),
                started.elapsed().as_secs_f64(),
                capture.exchanges.len(),
                errors.len(),
                capture.problems.first().map(ToString::to_string).unwrap_or_default()
            )
        }
        "tiny-entries" | "tiny-entries-raised" => {
            let input = Bytes::from(tiny_entries(1_000_000));
            let size = input.len();
            let limits = if case == "tiny-entries" {
                ReadLimits::DEFAULT
            } else {
                ReadLimits { max_exchange_memory_ratio: 100, ..ReadLimits::DEFAULT }
            };
            let started = Instant::now();
            let (capture, _) = capture::read_with(&[Input::new("tiny.har", input)], &limits);
            format!(
                "{size} bytes read in {:.2} s: {} exchanges, {} problems",
                started.elapsed().as_secs_f64(),
                capture.exchanges.len(),
                capture.problems.len()
            )
        }
        "brotli-engine" => {
            let input = brotli_engine_flow();
            let size = input.len();
            let started = Instant::now();
            let (capture, _) = capture::read(&[Input::new("engine.flow", input)]);
            let read = started.elapsed();
            let started = Instant::now();
            let mut n_lines = 0usize;
            let mut n_errors = 0usize;
            for exchange in &capture.exchanges {
                let Some(response) = &exchange.response else { continue };
                // The engine looks at an Engine stream from several rules.
                for _ in 0..3 {
                    if before {
                        match content_encoding::decode(
                            &response.body.content_encoding,
                            Cow::Borrowed(&response.body.wire_bytes().unwrap()),
                            decode_limits::ENGINE_STREAM,
                        ) {
                            Ok(decoded) => n_lines += decoded.split(|&byte| byte == b'\n').count(),
                            Err(_) => n_errors += 1,
                        }
                    } else {
                        match response.body.lines(decode_limits::ENGINE_STREAM) {
                            Ok(lines) => n_lines += lines.count(),
                            Err(_) => n_errors += 1,
                        }
                    }
                }
            }
            let decoded = started.elapsed();
            // The whole analysis too (Engine streams read as the verdicts read them), after the
            // bodies above were decoded once: what `regauth analyze` costs on this input.
            let started = Instant::now();
            let analysis = analyze(&capture, &AnalysisConfig::default());
            format!(
                "{size} bytes, {} exchanges read in {:.2} s; bodies decoded {} in {:.2} s: {n_lines} lines, {n_errors} bodies not decoded; analysed in {:.2} s ({} sessions)",
                capture.exchanges.len(),
                read.as_secs_f64(),
                if before { "without cache or budget" } else { "with cache and budget" },
                decoded.as_secs_f64(),
                started.elapsed().as_secs_f64(),
                analysis.sessions.len(),
            )
        }
        other => format!("unknown case {other}"),
    };
    println!(
        "{case}{}: {summary}; peak memory {:.0} MiB",
        if before { " --before" } else { "" },
        vm_hwm_mib()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(case) = args.iter().position(|arg| arg == "--child").and_then(|at| args.get(at + 1))
    {
        run(case, args.iter().any(|arg| arg == "--before"));
        return;
    }
    let mut cases: Vec<(&str, bool)> = args
        .iter()
        .filter(|arg| !arg.starts_with("--"))
        .map(|case| (case.as_str(), args.iter().any(|arg| arg == "--before")))
        .collect();
    if cases.is_empty() {
        cases = vec![
            ("har-gz-bomb", false),
            ("tiny-entries", false),
            ("tiny-entries-raised", false),
            ("brotli-engine", true),
            ("brotli-engine", false),
        ];
    }
    let exe = std::env::current_exe().unwrap();
    for (case, before) in cases {
        let mut command = std::process::Command::new(&exe);
        command.args(["--child", case]);
        if before {
            command.arg("--before");
        }
        let status = command.status().unwrap();
        assert!(status.success(), "{case} failed");
    }
}
