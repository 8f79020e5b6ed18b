//! Findings say what they are about, all of it (issue 8, items 5 and 6): credentials findings
//! are about real credentials, a merged finding names every host, file and clock behind it,
//! and a step's evidence starts with the exchange whose answer decided it. Hand-written
//! fixtures.

use super::builder::{Analysed, Jwt, Scenario, unix};
use crate::analysis::{Code, Outcome, Severity, Step};
use crate::capture::{InputProblem, Location};

const SERVICE: &str = "reg.example";

fn challenge(realm: &str, scope: &str) -> String {
    format!(r#"Bearer realm="{realm}",service="{SERVICE}",scope="{scope}""#)
}

/// A pull from a plain-HTTP registry: challenge, token from `realm` (asked with Basic
/// `credentials`, or anonymously), manifest with the token.
fn plain_http_pull(realm: &str, credentials: Option<(&str, &str)>, token: &str) -> Scenario {
    let mut scenario = Scenario::new()
        .get("http://reg.example:5000/v2/team/app/manifests/1.0")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&format!("{realm}?service={SERVICE}&scope=repository:team/app:pull"));
    if let Some((user, password)) = credentials {
        scenario = scenario.basic(user, password);
    }
    scenario
        .token_response(token, 300)
        .get("http://reg.example:5000/v2/team/app/manifests/1.0")
        .bearer(token)
        .answer(200)
}

/// The plain-HTTP token service hands `token` out to an anonymous request.
fn anonymous_plain_http_pull(token: &str) -> Analysed {
    plain_http_pull("http://auth.example:5001/token", None, token).analyze()
}

#[test]
fn an_anonymous_pull_token_over_plain_http_exposes_no_credential() {
    let pull_only = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull"]).mint();
    let analysed = anonymous_plain_http_pull(&pull_only);
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    assert!(!analysed.has("credentials-over-plain-http"), "{:#?}", analysed.analysis.findings);
    analysed.assert_no_errors();

    // Granting nothing (a public repository's token for a denied name) is no secret either.
    let nothing = Jwt::new(SERVICE, unix(0.1), 300).mint();
    assert!(!anonymous_plain_http_pull(&nothing).has("credentials-over-plain-http"));
}

#[test]
fn an_anonymous_token_that_may_push_over_plain_http_is_still_a_warning() {
    let push = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull", "push"]).mint();
    let analysed = anonymous_plain_http_pull(&push);
    let finding = analysed.finding("credentials-over-plain-http");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding.message.starts_with("A bearer token went to reg.example:5000"),
        "{}",
        finding.message
    );
}

#[test]
fn a_token_issued_for_a_password_over_plain_http_stays_a_warning() {
    // The token service is on HTTPS; only the token crosses plain HTTP.
    let token = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull"]).mint();
    let analysed =
        plain_http_pull("https://auth.example/token", Some(("alice", "s3cret")), &token).analyze();
    let finding = analysed.finding("credentials-over-plain-http");
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.exchanges.to_vec(), vec![2]);
}

#[test]
fn plain_http_credentials_to_two_hosts_name_both_and_every_kind() {
    let token = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull"]).mint();
    let analysed =
        plain_http_pull("http://auth.example:5001/token", Some(("alice", "s3cret")), &token)
            // A second, Basic-auth registry, also over plain HTTP.
            .get("http://basic.example:5002/v2/")
            .answer(401)
            .www_authenticate(r#"Basic realm="Registry""#)
            .get("http://basic.example:5002/v2/")
            .basic("bob", "hunter2")
            .answer(200)
            .analyze();
    let finding = analysed.finding("credentials-over-plain-http");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![1, 2, 4]);
    for part in [
        "Basic credentials went to auth.example:5001",
        "a bearer token to reg.example:5000",
        "Basic credentials to basic.example:5002",
    ] {
        assert!(finding.message.contains(part), "{part}: {}", finding.message);
    }
}

#[test]
fn interception_in_two_inputs_names_both_files() {
    let mut capture = Scenario::new()
        .producer("mitmproxy 12.2.3")
        .get("https://reg.example/v2/")
        .answer(200)
        .get("https://reg.example/v2/")
        .answer(200)
        .capture();
    let mut second = capture.sources[0].clone();
    second.name = "alongside.har".to_owned();
    capture.sources.push(second);
    capture.exchanges[1].origin.source = 1;
    let analysed = Analysed::of(capture);
    let finding = analysed.finding("tls-intercepted");
    assert_eq!(finding.exchanges.to_vec(), vec![0, 1]);
    assert!(
        finding.message.starts_with("scenario.har and alongside.har: ")
            && finding.message.contains("(2 exchanges)"),
        "{}",
        finding.message
    );
}

#[test]
fn an_incomplete_capture_says_both_what_is_unanswered_and_what_is_unreadable() {
    let mut capture = Scenario::new().get("https://reg.example/v2/").capture();
    capture.problems.push(InputProblem {
        location: Location {
            source: "scenario.har".to_owned(),
            entry: Some(3),
            ..Location::default()
        },
        message: "entry 3 is not an object".to_owned(),
    });
    let analysed = Analysed::of(capture);
    let global: Vec<_> = analysed
        .analysis
        .findings
        .iter()
        .filter(|finding| finding.code == Code::CaptureIncomplete && finding.session.is_none())
        .collect();
    assert_eq!(global.len(), 1, "{global:#?}");
    assert!(global[0].message.contains("1 request(s) have no response"), "{}", global[0].message);
    assert!(
        global[0].message.contains("Parts of the input could not be read"),
        "{}",
        global[0].message
    );
}

#[test]
fn two_clocks_off_are_both_named() {
    // The token service runs two hours ahead: its `Date` and its tokens' `iat` say so.
    let realm = "https://auth.example/token";
    let token = Jwt::new(SERVICE, unix(0.1) + 7200, 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .clock("auth.example", 7200.0)
        .get("https://reg.example/v2/")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&format!("{realm}?service={SERVICE}&scope=repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .analyze();
    let finding = analysed.finding("clock-skew");
    for host in ["auth.example (token-service", "auth.example (token-issuer"] {
        assert!(finding.message.contains(host), "{host}: {}", finding.message);
    }
}

// Item 6: evidence points at the decision.

/// A push that asks for pull and push, gets `token`, checks a blob (404: not there yet) and
/// starts an upload, which the registry answers `upload_status`.
fn push_after_existence_check(token: &str, upload_status: u16) -> Scenario {
    let realm = "https://auth.example/token";
    Scenario::new()
        .head("https://reg.example/v2/team/app/blobs/sha256:aaaa")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull,push"))
        .get(&format!("{realm}?service={SERVICE}&scope=repository:team/app:pull,push"))
        .basic("bob", "pw")
        .token_response(token, 300)
        // Normal during a push: "is this blob there already?" - no.
        .head("https://reg.example/v2/team/app/blobs/sha256:aaaa")
        .bearer(token)
        .answer(404)
        .post("https://reg.example/v2/team/app/blobs/uploads/")
        .bearer(token)
        .answer(upload_status)
}

#[test]
fn the_failing_arrow_is_the_refused_push_not_the_existence_check_before_it() {
    let pull = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull"]).mint();
    let insufficient = format!(
        r#"{},error="insufficient_scope""#,
        challenge("https://auth.example/token", "repository:team/app:pull,push")
    );
    let analysed = push_after_existence_check(&pull, 401).www_authenticate(&insufficient).analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (session.failed_step, session.failed_exchange),
        (Some(Step::RegistryVerdict), Some(3))
    );
    assert_eq!(session.exchanges_of(Step::RegistryVerdict), [3, 2]);
    assert_eq!(session.exchanges_of(Step::AuthorizedRetry), [3, 2]);
    let explanation = session.failed_finding.map(|index| &analysed.analysis.findings[index]);
    assert_eq!(
        explanation.map(|finding| (finding.code, finding.exchanges.to_vec())),
        Some((Code::InsufficientScope, vec![3]))
    );
    let text = analysed.text();
    assert!(text.contains("✗ #3 POST reg.example/v2/team/app/blobs/uploads/ → 401"), "{text}");
}

#[test]
fn a_recovered_step_is_led_by_the_answer_that_worked() {
    let realm = "https://auth.example/token";
    let token = Jwt::new(SERVICE, unix(0.3), 300).access("team/app", &["pull"]).mint();
    let token_url = format!("{realm}?service={SERVICE}&scope=repository:team/app:pull");
    let analysed = Scenario::new()
        .get("https://reg.example/v2/team/app/manifests/1.0")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&token_url)
        .basic("alice", "typo")
        .answer(401)
        .get(&token_url)
        .basic("alice", "right")
        .token_response(&token, 300)
        .get("https://reg.example/v2/team/app/manifests/1.0")
        .bearer(&token)
        .answer(200)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Success);
    assert_eq!(session.exchanges_of(Step::TokenResponse), [2, 1]);
    assert_eq!(session.exchanges_of(Step::TryRegistry), [0]);
    assert_eq!(session.exchanges_of(Step::RegistryVerdict), [3]);
}

#[test]
fn a_successful_push_is_led_by_a_served_request_not_an_existence_check() {
    let push = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull", "push"]).mint();
    let analysed = push_after_existence_check(&push, 202)
        .put("https://reg.example/v2/team/app/manifests/1.0")
        .bearer(&push)
        .answer(201)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Success);
    assert_eq!(session.exchanges_of(Step::RegistryVerdict), [3, 2, 4]);
}

/// Challenge, token (`token`, asked with Basic), and the retry of `path` answered `status`.
fn pull_cycle(scenario: Scenario, path: &str, token: &str, status: u16) -> Scenario {
    let realm = "https://auth.example/token";
    scenario
        .get(&format!("https://reg.example{path}"))
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&format!("{realm}?service={SERVICE}&scope=repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(token, 300)
        .get(&format!("https://reg.example{path}"))
        .bearer(token)
        .answer(status)
}

#[test]
fn steps_before_a_failure_are_led_by_what_the_failing_request_built_on() {
    let first = Jwt::new(SERVICE, unix(0.1), 60).access("team/app", &["pull"]).mint();
    let second =
        Jwt::new("elsewhere.example", unix(100.0), 300).access("team/app", &["pull"]).mint();
    let served = pull_cycle(Scenario::new(), "/v2/team/app/manifests/1.0", &first, 200);
    let analysed = pull_cycle(served.at(100.0), "/v2/team/app/blobs/sha256:bbbb", &second, 401)
        .www_authenticate(&format!(
            r#"{},error="invalid_token""#,
            challenge("https://auth.example/token", "repository:team/app:pull")
        ))
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (session.failed_step, session.failed_exchange),
        (Some(Step::RegistryVerdict), Some(5))
    );
    assert_eq!(session.exchanges_of(Step::TokenResponse), [4, 1]);
    assert_eq!(session.exchanges_of(Step::Challenge), [3, 0]);
    assert_eq!(session.exchanges_of(Step::RegistryVerdict), [5, 2]);
    let explanation = session.failed_finding.map(|index| analysed.analysis.findings[index].code);
    assert_eq!(explanation, Some(Code::AudienceMismatch));
}
