//! What the engine says when a message is over a limit it reads. Hand-written fixtures (see
//! [`super::builder`]).

use super::builder::{Jwt, Scenario, unix};
use crate::analysis::{Outcome, Severity, Step};
use crate::protocol::MAX_TOKEN_RESPONSE_BYTES;

const CHALLENGE: &str = r#"Bearer realm="https://auth.example/token",service="reg.example""#;

/// A token response padded to `size` bytes: valid JSON carrying a valid token.
fn padded_token_response(token: &str, size: usize) -> String {
    let head = format!(r#"{{"token":"{token}","expires_in":300,"padding":""#);
    format!("{head}{}\"}}", "x".repeat(size - head.len() - 2))
}

fn pull_with_token_response(body: &str, token: &str, retried: bool) -> super::builder::Analysed {
    // hand-written fixture: /v2/ 401, token request answered with `body`, maybe a retry.
    let scenario = Scenario::new()
        .get("https://reg.example/v2/team/app/manifests/1.0")
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get("https://auth.example/token?service=reg.example&scope=repository:team/app:pull")
        .answer(200)
        .json(body);
    let scenario = if retried {
        scenario.get("https://reg.example/v2/team/app/manifests/1.0").bearer(token).answer(200)
    } else {
        scenario
    };
    scenario.analyze()
}

#[test]
fn r9_token_response_over_the_limit_is_too_large_not_tokenless() {
    let token = Jwt::new("reg.example", unix(0.2), 300).access("team/app", &["pull"]).mint();
    let body = padded_token_response(&token, MAX_TOKEN_RESPONSE_BYTES + 10);
    let analysed = pull_with_token_response(&body, &token, false);
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (session.outcome, session.failed_step),
        (Outcome::Failure, Some(Step::TokenResponse))
    );
    let finding = analysed.finding("token-service-error");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.message.contains("over 1.0 MiB (1048576 bytes)"), "{}", finding.message);
    assert!(finding.message.contains("not analysed"), "{}", finding.message);
    assert!(!finding.message.contains("without a token"), "{}", finding.message);

    // The same answer at the limit is read: a token, and a session that succeeds with it.
    let body = padded_token_response(&token, MAX_TOKEN_RESPONSE_BYTES);
    let analysed = pull_with_token_response(&body, &token, true);
    assert_eq!(analysed.analysis.sessions[0].outcome, Outcome::Success);
    assert_eq!(analysed.analysis.tokens.len(), 1);
    assert!(!analysed.has("token-service-error"), "{:#?}", analysed.analysis.findings);

    // Over the limit but the client went on with a token: the session's verdict stands, the
    // unread answer is only noted.
    let body = padded_token_response(&token, MAX_TOKEN_RESPONSE_BYTES + 10);
    let analysed = pull_with_token_response(&body, &token, true);
    assert_eq!(analysed.analysis.sessions[0].outcome, Outcome::Success);
    assert_eq!(analysed.finding("token-service-error").severity, Severity::Info);
}
