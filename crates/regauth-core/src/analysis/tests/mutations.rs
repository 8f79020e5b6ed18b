//! Hostile values where the engine parses: every header the engine reads and every token
//! response body, cut at each character boundary and spiked with delimiter and non-ASCII
//! characters. Fixtures are hand-written scenarios (unsigned tokens, so runs are cheap).

use bytes::Bytes;

use super::builder::{Jwt, Scenario, unix};
use crate::analysis::{AnalysisConfig, analyze};
use crate::capture::Capture;
use crate::model::BodyData;
use crate::report::analysis::{AnalysisReport, Secrets};
use crate::report::text::{TextStyle, render};

const HEADERS: [&str; 7] = [
    "www-authenticate",
    "authorization",
    "location",
    "date",
    "x-registry-auth",
    "retry-after",
    "ratelimit-remaining",
];

const SPIKES: [&str; 10] = ["\"", ",", "=", "\\", " ", "é", "\u{0}", "%", "://", "\u{1F600}"];

fn fixtures() -> Vec<Capture> {
    let token = Jwt::new("reg.example", unix(0.2), 300).access("team/app", &["pull"]).mint();
    let redirect = super::scenarios::six_step_pull()
        .get("https://reg.example/v2/team/app/blobs/sha256:bbbb")
        .bearer(&token)
        .answer(307)
        .header("Location", "https://cdn.reg.example/b?sig=1")
        .get("https://cdn.reg.example/b?sig=1")
        .bearer(&token)
        .answer(200)
        .get("https://reg.example/v2/team/app/blobs/sha256:cccc")
        .bearer(&token)
        .answer(429)
        .header("Retry-After", "30")
        .header("RateLimit-Remaining", "0;w=21600");
    let engine = Scenario::new()
        .post("http://127.0.0.1:2375/v1.41/images/create?fromImage=reg.example%2Fteam%2Fapp")
        .header("X-Registry-Auth", "eyJ1c2VybmFtZSI6ImEiLCJwYXNzd29yZCI6ImIifQ==")
        .answer(200);
    vec![redirect.capture(), super::scenarios::long_push(true).capture, engine.capture()]
}

/// Cut points and spikes for one value: every char boundary (for short values) plus inserts.
fn variants(value: &str) -> Vec<String> {
    let boundaries: Vec<usize> =
        value.char_indices().map(|(idx, _)| idx).chain([value.len()]).collect();
    let step = (boundaries.len() / 40).max(1);
    let mut out = Vec::new();
    for &at in boundaries.iter().step_by(step) {
        out.push(value[..at].to_owned());
        let spike = SPIKES[at % SPIKES.len()];
        out.push(format!("{}{spike}{}", &value[..at], &value[at..]));
    }
    out
}

fn run(capture: &Capture) {
    let analysis = analyze(capture, &AnalysisConfig::default());
    let report = AnalysisReport::new(capture, &analysis, Secrets::Masked);
    assert!(!render(&report, capture, TextStyle { color: false }).is_empty());
    assert!(serde_json::to_string(&report).is_ok());
}

#[test]
fn mangled_headers_never_panic() {
    let mut runs = 0;
    for capture in fixtures() {
        for (idx, exchange) in capture.exchanges.iter().enumerate() {
            let mut places = Vec::new();
            for (pos, (name, _)) in exchange.request.headers.iter().enumerate() {
                if HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    places.push((false, pos));
                }
            }
            for (pos, (name, _)) in
                exchange.response.iter().flat_map(|response| response.headers.iter()).enumerate()
            {
                if HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    places.push((true, pos));
                }
            }
            for (in_response, pos) in places {
                let original = if in_response {
                    exchange
                        .response
                        .as_ref()
                        .and_then(|response| response.headers.at(pos))
                        .map(|(_, value)| value.into_owned())
                } else {
                    exchange.request.headers.at(pos).map(|(_, value)| value.into_owned())
                }
                .unwrap_or_default();
                for value in variants(&original) {
                    let mut mutated = capture.clone();
                    let target = &mut mutated.exchanges[idx];
                    match (&mut target.response, in_response) {
                        (Some(response), true) => response.headers.set_value(pos, &value),
                        _ => target.request.headers.set_value(pos, &value),
                    }
                    run(&mutated);
                    runs += 1;
                }
            }
        }
    }
    assert!(runs > 500, "only {runs} runs");
}

#[test]
fn mangled_bodies_and_urls_never_panic() {
    let mut runs = 0;
    for capture in fixtures() {
        for idx in 0..capture.exchanges.len() {
            let exchange = &capture.exchanges[idx];
            let body = exchange
                .response
                .as_ref()
                .and_then(|response| response.body.text(1 << 16).ok())
                .unwrap_or_default();
            for value in variants(&body) {
                let mut mutated = capture.clone();
                if let Some(response) = &mut mutated.exchanges[idx].response {
                    response.body.data = BodyData::Raw(Bytes::from(value.into_bytes()));
                }
                run(&mutated);
                runs += 1;
            }
            for value in variants(&exchange.request.path) {
                let mut mutated = capture.clone();
                mutated.exchanges[idx].request.path = value;
                run(&mutated);
                runs += 1;
            }
            for value in variants(&exchange.request.host) {
                let mut mutated = capture.clone();
                mutated.exchanges[idx].request.host = value.into();
                run(&mutated);
                runs += 1;
            }
        }
    }
    assert!(runs > 500, "only {runs} runs");
}

#[test]
fn timestamps_out_of_order_or_missing_never_panic() {
    for capture in fixtures() {
        for idx in 0..capture.exchanges.len() {
            for variant in 0..3 {
                let mut mutated = capture.clone();
                let timing = &mut mutated.exchanges[idx].timing;
                match variant {
                    0 => timing.request_start = None,
                    1 => timing.response_end = None,
                    _ => std::mem::swap(&mut timing.request_start, &mut timing.response_end),
                }
                run(&mutated);
            }
        }
    }
}
