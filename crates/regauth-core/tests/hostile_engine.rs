//! Issue 9's hostile captures for the engine at CI sizes: each shape of
//! `tests/hostile_shapes` goes through the whole pipeline `regauth analyze` runs (read,
//! analyse, JSON report, text report) and must give the right sessions, findings and limit
//! messages, with outputs bounded by what they say rather than by the input's size. Speed and
//! memory are measured at full size by `examples/hostile_engine.rs`, not asserted here.

#[path = "hostile_shapes/mod.rs"]
mod hostile_shapes;

use std::collections::HashSet;

use hostile_shapes::{ChallengeFill, Ex, Har, T0};
use regauth_core::analysis::{Analysis, AnalysisConfig, Finding, Outcome, Severity, Step, analyze};
use regauth_core::capture::{self, Capture, Input};
use regauth_core::protocol::challenge::{MAX_CHALLENGE_PARAMS, MAX_CHALLENGES};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::text::{TextStyle, render};
use regauth_core::report::token::TokenReport;

struct Run {
    capture: Capture,
    analysis: Analysis,
    json: String,
    text: String,
}

impl Run {
    fn findings(&self, code: &str) -> Vec<&Finding> {
        self.analysis.findings.iter().filter(|finding| finding.code.as_str() == code).collect()
    }

    /// The one finding with `code`.
    fn finding(&self, code: &str) -> &Finding {
        match self.findings(code).as_slice() {
            [only] => only,
            other => panic!("{} findings {code}: {:#?}", other.len(), self.analysis.findings),
        }
    }

    fn codes(&self) -> Vec<&'static str> {
        self.analysis.findings.iter().map(|finding| finding.code.as_str()).collect()
    }

    fn outcomes(&self) -> Vec<Outcome> {
        self.analysis.sessions.iter().map(|session| session.outcome).collect()
    }
}

/// Reads, analyses and renders `bytes` as `regauth analyze` does (secrets masked).
fn run(name: &str, bytes: Vec<u8>) -> Run {
    let (capture, errors) = capture::read(&[Input::new(name, bytes)]);
    assert!(errors.is_empty(), "{name}: {errors:?}");
    assert!(capture.problems.is_empty(), "{name}: {:?}", capture.problems);
    let analysis = analyze(&capture, &AnalysisConfig::default());
    let report = AnalysisReport::new(&capture, &analysis, Secrets::Masked);
    let json = serde_json::to_string(&report).unwrap();
    let text = render(&report, &capture, TextStyle { color: false });
    Run { capture, analysis, json, text }
}

#[test]
fn r9_challenges_with_distinct_realms_in_one_response_keep_the_first_and_name_the_limit() {
    let n = MAX_CHALLENGES + 500;
    let run = run("realms.har", hostile_shapes::realms_in_one_response(n));
    assert_eq!(run.outcomes(), [Outcome::Success]);
    assert_eq!(run.analysis.sessions[0].realm.as_deref(), Some("https://auth.example/t0"));
    assert_eq!(run.analysis.tokens.len(), 1);
    let malformed = run.finding("malformed-challenge");
    assert_eq!(malformed.severity, Severity::Warning);
    assert!(
        malformed.message.contains("500 challenges past the first 1000 were not kept")
            && malformed.message.contains("regauth's fixed limits"),
        "{}",
        malformed.message
    );
}

#[test]
fn r9_separate_401s_each_naming_a_realm_are_one_session_each() {
    let n = 2000;
    let run = run("separate-401s.har", hostile_shapes::separate_challenges(n));
    assert_eq!(run.outcomes(), vec![Outcome::Incomplete; n]);
    let realms: HashSet<&str> =
        run.analysis.sessions.iter().filter_map(|session| session.realm.as_deref()).collect();
    assert_eq!(realms.len(), n, "every session keeps its own realm");
    assert!(realms.contains("https://auth1999.example/token"));
    let incomplete = run.findings("capture-incomplete");
    assert_eq!(incomplete.len(), n);
    let sessions: HashSet<Option<usize>> =
        incomplete.iter().map(|finding| finding.session).collect();
    assert_eq!(sessions.len(), n, "one finding per session");
    assert!(incomplete.iter().all(|finding| finding.message.contains("ask the token service")));
    // One registry, one clock.
    assert_eq!(run.analysis.clocks.len(), 1);
}

#[test]
fn r9_a_huge_www_authenticate_is_read_up_to_the_limits_and_says_how_much_was_left() {
    let bytes = 1_000_000;
    for (fill, says) in [
        (
            ChallengeFill::Params,
            format!("parameters past the first {MAX_CHALLENGE_PARAMS} of a challenge"),
        ),
        (ChallengeFill::Schemes, format!("challenges past the first {MAX_CHALLENGES}")),
        (ChallengeFill::Problems, "more problems".to_owned()),
    ] {
        let run = run("huge-challenge.har", hostile_shapes::huge_challenge(bytes, fill));
        // The real challenge before the filler is kept: the session knows where to go next.
        let session = &run.analysis.sessions[0];
        assert_eq!(session.realm.as_deref(), Some("https://auth.example/token"), "{fill:?}");
        assert_eq!(session.outcome, Outcome::Incomplete, "{fill:?}");
        let malformed = run.finding("malformed-challenge");
        assert!(malformed.message.contains(&says), "{fill:?}: {}", malformed.message);
        // Reports say how much was left, not all of it.
        assert!(malformed.message.len() < 1000, "{fill:?}: {} bytes", malformed.message.len());
        assert!(run.json.len() < 20_000 && run.text.len() < 20_000, "{fill:?}");
    }
    // The problems are counted, not only cut: ",=" repeated is one problem per "=".
    let run = run("problems.har", hostile_shapes::huge_challenge(bytes, ChallengeFill::Problems));
    let message = &run.finding("malformed-challenge").message;
    let more: usize = message
        .rsplit_once("; and ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|count| count.parse().ok())
        .unwrap_or_else(|| panic!("{message}"));
    let header = hostile_shapes::huge_challenge(bytes, ChallengeFill::Problems);
    let equals = header.iter().filter(|&&byte| byte == b'=').count();
    // Three `=` belong to the real challenge's parameters, three problems are listed.
    assert_eq!(more, equals - 3 - 3, "{message}");
}

#[test]
fn r9_encoded_token_responses_are_each_decoded_once_and_issue_their_tokens() {
    let n = 6;
    let run = run("encoded.har", hostile_shapes::encoded_token_responses(n, 1 << 20));
    assert_eq!(run.outcomes(), [Outcome::Success]);
    assert_eq!(run.analysis.tokens.len(), n);
    assert!(run.analysis.tokens.iter().all(|token| token.uses.len() == 1));
    assert!(run.analysis.findings.iter().all(|finding| finding.severity < Severity::Warning));
}

#[test]
fn r9_a_token_response_that_cannot_be_decoded_is_unknown_not_tokenless() {
    // hand-written fixture: a token response whose gzip body is broken, then a retry that
    // the registry serves with a token the client evidently found in it.
    let token = hostile_shapes::jwt(0, "reg.example", "app", "pull", T0);
    let mut broken = hostile_shapes::gzip(&hostile_shapes::token_body(&token));
    broken.truncate(broken.len() / 2);
    let token_url = "https://auth.example/token?service=reg.example&scope=repository:app:pull";
    let answered = |retried: bool| {
        let mut har = Har::new();
        har.push(
            &Ex::get(T0, token_url, 200)
                .response_header("Content-Encoding", "gzip")
                .body(broken.clone()),
        );
        if retried {
            har.push(
                &Ex::get(T0 + 1.0, "https://reg.example/v2/app/manifests/1", 200).bearer(&token),
            );
        }
        run("undecodable.har", har.finish())
    };
    let alone = answered(false);
    let finding = alone.finding("token-service-error");
    assert_eq!((finding.severity, finding.step), (Severity::Error, Some(Step::TokenResponse)));
    assert!(finding.message.contains("was not analysed"), "{}", finding.message);
    assert!(finding.message.contains("is unknown"), "{}", finding.message);
    assert!(!finding.message.contains("without a token"), "{}", finding.message);
    let retried = answered(true);
    assert_eq!(retried.outcomes(), [Outcome::Success]);
    assert_eq!(retried.finding("token-service-error").severity, Severity::Info);
}

#[test]
fn r9_engine_streams_are_judged_by_their_last_error_or_said_to_be_unread() {
    // Streams within what regauth reads: every push's denial is found at the stream's end.
    let run_small = run("engine.flow", hostile_shapes::brotli_engine_answers(3, 64 << 10));
    assert_eq!(run_small.outcomes(), [Outcome::Failure]);
    let failed =
        &run_small.analysis.findings[run_small.analysis.sessions[0].failed_finding.unwrap()];
    assert!(
        failed.message.contains("denied: requested access to the resource is denied"),
        "{}",
        failed.message
    );
    // Streams past what regauth keeps of one (4 MiB): decompressed through, keeping only
    // their ends, so the denial on each last line is still found.
    let run_big = run("engine.flow", hostile_shapes::brotli_engine_answers(3, 5 << 20));
    assert_eq!(run_big.outcomes(), [Outcome::Failure]);
    let failed = &run_big.analysis.findings[run_big.analysis.sessions[0].failed_finding.unwrap()];
    assert!(
        failed.message.contains("denied: requested access to the resource is denied"),
        "{}",
        failed.message
    );
    assert!(
        !run_big
            .findings("capture-incomplete")
            .iter()
            .any(|f| f.message.contains("Docker daemon answered")),
        "{:#?}",
        run_big.analysis.findings
    );
    // A stream that cannot be decompressed to its end has no verdict, and a warning says why
    // (the error would be its last line).
    let mut cut_stream = hostile_shapes::brotli_engine_stream(5 << 20);
    cut_stream.truncate(cut_stream.len() / 2);
    let run_cut = run("engine-cut.flow", hostile_shapes::engine_push_answers(1, &cut_stream));
    assert_eq!(run_cut.outcomes(), [Outcome::Incomplete]);
    let unread: Vec<&Finding> = run_cut
        .findings("capture-incomplete")
        .into_iter()
        .filter(|finding| finding.message.contains("Docker daemon answered"))
        .collect();
    assert!(!run_cut.codes().contains(&"engine-denied"), "{:#?}", run_cut.analysis.findings);
    assert_eq!(unread.len(), 1, "{:#?}", run_cut.analysis.findings);
    assert!(
        unread.iter().all(|finding| finding
            .message
            .contains("whether the push ended in an error (its last line) is unknown")),
        "{:#?}",
        run_cut.analysis.findings
    );
}

#[test]
fn r9_many_refused_sessions_are_each_explained_by_their_own_finding() {
    let n = 2000;
    let run = run("refused.har", hostile_shapes::refused_sessions(n));
    assert_eq!(run.outcomes(), vec![Outcome::Failure; n]);
    for (session_idx, session) in run.analysis.sessions.iter().enumerate() {
        let finding = &run.analysis.findings[session.failed_finding.expect("explained")];
        assert_eq!(finding.session, Some(session_idx));
        assert_eq!(finding.severity, Severity::Error);
        assert_eq!(finding.exchanges.as_slice(), [session.failed_exchange.unwrap()]);
    }
}

#[test]
fn r9_tokens_without_challenge_find_their_first_use_however_far() {
    let n = 1000;
    let run = run("tokens.har", hostile_shapes::tokens_used_once(n));
    assert_eq!(run.outcomes(), [Outcome::Success]);
    let tokens = &run.analysis.tokens;
    assert_eq!(tokens.len(), 2 * n);
    for (idx, token) in tokens.iter().enumerate() {
        assert_eq!(token.issued_by, idx);
        // Used in reverse order after all were issued; the second half never.
        let expected: Vec<usize> = if idx < n { vec![2 * n + (n - 1 - idx)] } else { Vec::new() };
        assert_eq!(token.uses, expected, "token {idx}");
    }
}

#[test]
fn r9_a_token_response_over_the_limit_is_unknown_and_its_use_still_counts() {
    let run = run("big-jwt.har", hostile_shapes::big_jwt(2_000_000));
    assert_eq!(run.outcomes(), [Outcome::Success]);
    let finding = run.finding("token-service-error");
    assert_eq!(finding.severity, Severity::Info);
    assert!(finding.message.contains("over 1.0 MiB (1048576 bytes)"), "{}", finding.message);
    assert!(finding.message.contains("The client recovered"), "{}", finding.message);
    assert!(run.json.len() < 20_000, "the token is not copied into the report");
}

#[test]
fn r9_a_token_with_many_access_entries_decodes_and_renders_every_grant() {
    let n = 5000;
    let report =
        TokenReport::new(&hostile_shapes::token_with_access_entries(n), &[], Secrets::Masked);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let access = report.claims.as_ref().and_then(|claims| claims.get("access")).unwrap();
    assert_eq!(access.as_array().map(Vec::len), Some(n));
    let text = report.render_text();
    assert_eq!(text.lines().filter(|line| line.starts_with("grants: ")).count(), n);
    assert!(text.contains("grants: repository:r4999:pull"));
}

#[test]
fn r9_findings_quote_a_few_of_many_scopes_and_count_the_rest() {
    let (n, refusals) = (5000, 50);
    let run = run("scopes.har", hostile_shapes::many_scopes(n, refusals));
    let session = run
        .analysis
        .sessions
        .iter()
        .find(|session| session.repository.as_deref() == Some("app"))
        .expect("the refused session");
    assert_eq!(session.outcome, Outcome::Failure);
    let explaining = &run.analysis.findings[session.failed_finding.unwrap()];
    assert_eq!(explaining.exchanges.len(), refusals, "every refusal is evidence");
    // The token request asked for `n` scopes and `repository:app:pull`: 8 quoted, the rest counted.
    assert!(
        explaining.message.contains(&format!("(and {} more)", n + 1 - 8)),
        "{}",
        explaining.message
    );
    assert!(explaining.message.len() < 2000, "{} bytes", explaining.message.len());
    assert!(run.text.len() < 200_000, "{} bytes of text", run.text.len());
}

#[test]
fn r9_a_long_redirect_chain_is_one_forwarded_authorization() {
    let n = 2000;
    let run = run("redirects.har", hostile_shapes::redirect_chain(n));
    assert_eq!(run.capture.exchanges.len(), n + 2);
    assert_eq!(run.outcomes(), [Outcome::Success]);
    let forwarded = run.finding("auth-forwarded-on-redirect");
    assert_eq!(forwarded.severity, Severity::Warning);
    assert!(forwarded.message.contains("cdn.reg.example"), "{}", forwarded.message);
}

#[test]
fn r9_many_registries_with_one_skew_are_many_clocks_and_one_finding() {
    let n = 2000;
    let run = run("clocks.har", hostile_shapes::distinct_clocks(n));
    assert_eq!(run.analysis.clocks.len(), n);
    assert_eq!(run.outcomes(), vec![Outcome::Success; n]);
    let skew = run.finding("clock-skew");
    assert!(skew.message.contains("off by -1 h 0 min 0 s"), "{}", skew.message);
}

#[test]
fn r9_one_token_refused_many_times_is_one_explained_failure_of_bounded_size() {
    let n = 2000;
    let run = run("refused-token.har", hostile_shapes::refused_token(n));
    assert_eq!(run.outcomes(), [Outcome::Failure]);
    let expired = run.finding("token-expired");
    assert_eq!(expired.severity, Severity::Error);
    // The token's issue and every refusal are its evidence.
    assert_eq!(expired.exchanges.len(), n + 1);
    assert_eq!((expired.exchanges[0], expired.exchanges[n]), (0, n + 1));
    for finding in &run.analysis.findings {
        assert!(finding.message.len() < 2000, "{}: {} bytes", finding.code, finding.message.len());
    }
}

#[test]
fn r9_repeated_oauth_fallbacks_are_no_failure() {
    let n = 2000;
    let run = run("oauth.har", hostile_shapes::oauth_fallbacks(n));
    assert_eq!(run.outcomes(), [Outcome::Success]);
    assert_eq!(run.analysis.tokens.len(), 1);
    assert!(!run.codes().contains(&"token-service-error"), "{:#?}", run.analysis.findings);
}
