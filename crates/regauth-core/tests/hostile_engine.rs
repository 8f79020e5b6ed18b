//! exploratory
#[path = "hostile_shapes/mod.rs"]
mod hostile_shapes;

use std::collections::BTreeMap;
use std::time::Instant;

use hostile_shapes::ChallengeFill;
use regauth_core::analysis::{AnalysisConfig, analyze};
use regauth_core::capture::{self, Input};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::text::{TextStyle, render};

fn dump(name: &str, bytes: Vec<u8>) {
    let started = Instant::now();
    let (capture, errors) = capture::read(&[Input::new(name, bytes)]);
    let analysis = analyze(&capture, &AnalysisConfig::default());
    let report = AnalysisReport::new(&capture, &analysis, Secrets::Masked);
    let json = serde_json::to_string(&report).unwrap();
    let text = render(&report, &capture, TextStyle { color: false });
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for finding in &analysis.findings {
        *codes.entry(format!("{}/{:?}", finding.code, finding.severity)).or_default() += 1;
    }
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for session in &analysis.sessions {
        *outcomes.entry(format!("{:?}/{:?}", session.outcome, session.failed_step)).or_default() +=
            1;
    }
    println!(
        "== {name}: {:.2}s ex={} errors={errors:?} problems={} first={:?}\n  outcome={:?} sessions={outcomes:?}\n  findings={codes:?}\n  tokens={} clocks={} json={} text={}",
        started.elapsed().as_secs_f64(),
        capture.exchanges.len(),
        capture.problems.len(),
        capture.problems.iter().take(3).map(|p| p.to_string()).collect::<Vec<_>>(),
        analysis.outcome,
        analysis.tokens.len(),
        analysis.clocks.len(),
        json.len(),
        text.len()
    );
    for finding in analysis.findings.iter().take(4) {
        println!(
            "  - {} {:?}: {}",
            finding.code,
            finding.severity,
            &finding.message[..finding.message.len().min(300)]
        );
    }
}

#[test]
fn explore() {
    let n = 1000;
    dump("realms.har", hostile_shapes::realms_in_one_response(n));
    dump("separate.har", hostile_shapes::separate_challenges(n));
    dump("params.har", hostile_shapes::huge_challenge(1_000_000, ChallengeFill::Params));
    dump("schemes.har", hostile_shapes::huge_challenge(1_000_000, ChallengeFill::Schemes));
    dump("problems.har", hostile_shapes::huge_challenge(1_000_000, ChallengeFill::Problems));
    dump("encoded.har", hostile_shapes::encoded_token_responses(10, 1 << 20));
    dump("engine.flow", hostile_shapes::brotli_engine_answers(5, 4 << 20));
    dump("refused.har", hostile_shapes::refused_sessions(n));
    dump("tokens.har", hostile_shapes::tokens_used_once(n));
    dump("bigjwt.har", hostile_shapes::big_jwt(2_000_000));
    dump("scopes.har", hostile_shapes::many_scopes(n, 100));
    dump("redirect.har", hostile_shapes::redirect_chain(n));
    dump("clocks.har", hostile_shapes::distinct_clocks(n));
    dump("refusedtoken.har", hostile_shapes::refused_token(n));
    dump("oauth.har", hostile_shapes::oauth_fallbacks(n));
}
