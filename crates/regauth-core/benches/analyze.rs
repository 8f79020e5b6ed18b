//! Speed of the auth engine: `analysis::analyze` plus the JSON report on a large generated
//! capture (many registry sessions, each a full six-step pull with parallel blob downloads).
//! Reading is measured by `read_har` / `read_flow`; this measures what comes after.
//!
//! Run: `cargo bench -p regauth-core --bench analyze`. Under `cargo test` it runs once on a
//! small capture.

use std::hint::black_box;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::capture::Capture;
use regauth_core::model::{Body, BodyData, EntryRef, Exchange, Headers, Request, Response, Timing};
use regauth_core::report::analysis::{AnalysisReport, Secrets};

fn at(t: f64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros((t * 1e6) as i64).unwrap_or_default()
}

fn http_date(t: f64) -> String {
    at(t).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[expect(
    clippy::too_many_arguments,
    reason = "a flat fixture constructor reads best at the call sites"
)]
fn exchange(
    t: f64,
    method: &str,
    url_host: &str,
    path: &str,
    request_headers: Vec<(String, String)>,
    status: u16,
    response_headers: Vec<(String, String)>,
    body: &str,
) -> Exchange {
    let mut headers = response_headers;
    headers.push(("Date".to_owned(), http_date(t)));
    Exchange {
        index: 0,
        origin: EntryRef { source: 0, index: 0, byte_offset: None },
        request: Request {
            method: method.into(),
            scheme: "https".into(),
            host: url_host.into(),
            port: 443,
            path: path.to_owned(),
            http_version: "HTTP/1.1".into(),
            headers: Headers::from(request_headers),
            body: Body::default(),
        },
        response: Some(Response {
            status,
            reason: Default::default(),
            http_version: "HTTP/1.1".into(),
            headers: Headers::from(headers),
            body: Body {
                data: BodyData::Raw(Bytes::from(body.to_owned())),
                size: Some(body.len() as u64),
                ..Body::default()
            },
        }),
        timing: Timing { request_start: Some(at(t)), response_end: Some(at(t + 0.02)) },
        server_address: None,
        client_address: None,
        tls: None,
        error: None,
        connection: None,
    }
}

/// `sessions` pulls, each: ping 401, token, manifest, `blobs` blob GETs.
fn generate(sessions: usize, blobs: usize) -> Capture {
    let mut exchanges = Vec::new();
    let challenge = r#"Bearer realm="https://auth.example/token",service="registry.example""#;
    let mut t = 1_795_000_000.0;
    for session in 0..sessions {
        let repository = format!("team/app{session}");
        exchanges.push(exchange(
            t,
            "GET",
            "registry.example",
            "/v2/",
            vec![],
            401,
            vec![("WWW-Authenticate".to_owned(), challenge.to_owned())],
            "{}",
        ));
        let claims = format!(
            r#"{{"iss":"issuer","sub":"bob","aud":"registry.example","iat":{iat},"nbf":{iat},"exp":{exp},"access":[{{"type":"repository","name":"{repository}","actions":["pull"]}}]}}"#,
            iat = t as i64,
            exp = t as i64 + 300
        );
        let token = format!(
            "{}.{}.c2lnbmF0dXJl",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let token_body = format!(r#"{{"token":"{token}","expires_in":300}}"#);
        let basic = ("Authorization".to_owned(), "Basic Ym9iOnB3".to_owned());
        let token_path =
            format!("/token?service=registry.example&scope=repository:{repository}:pull");
        exchanges.push(exchange(
            t + 0.03,
            "GET",
            "auth.example",
            &token_path,
            vec![basic],
            200,
            vec![],
            &token_body,
        ));
        let bearer = ("Authorization".to_owned(), format!("Bearer {token}"));
        exchanges.push(exchange(
            t + 0.06,
            "GET",
            "registry.example",
            &format!("/v2/{repository}/manifests/1.0"),
            vec![bearer.clone()],
            200,
            vec![],
            "{}",
        ));
        for blob in 0..blobs {
            let path = format!("/v2/{repository}/blobs/sha256:{blob:064x}");
            exchanges.push(exchange(
                t + 0.09 + blob as f64 * 0.001,
                "GET",
                "registry.example",
                &path,
                vec![bearer.clone()],
                200,
                vec![],
                "",
            ));
        }
        t += 1.0;
    }
    for (idx, exchange) in exchanges.iter_mut().enumerate() {
        exchange.index = idx;
        exchange.origin.index = idx;
    }
    Capture { sources: Vec::new(), exchanges, problems: Vec::new(), notes: Vec::new() }
}

fn bench_analyze(c: &mut Criterion) {
    // Full size under `cargo bench`; once on a small capture under `cargo test`.
    let full = std::env::args().any(|arg| arg == "--bench");
    let capture = if full { generate(2_000, 10) } else { generate(20, 3) };
    let mut group = c.benchmark_group("analyze");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(capture.exchanges.len() as u64));
    group.bench_function("analyze+report", |bencher| {
        bencher.iter(|| {
            let analysis = analyze(black_box(&capture), &AnalysisConfig::default());
            black_box(AnalysisReport::new(&capture, &analysis, Secrets::Masked));
        })
    });
    group.finish();
}

criterion_group!(benches, bench_analyze);
criterion_main!(benches);
