//! Findings say what they are about, all of it (issue 8, item 5): credentials findings are
//! about real credentials, and a merged finding names every host, file and clock behind it.
//! Hand-written fixtures.

use super::builder::{Analysed, Jwt, Scenario, unix};
use crate::analysis::{Code, Outcome, Severity};
use crate::capture::{InputProblem, Location};

const SERVICE: &str = "reg.example";

fn challenge(realm: &str, scope: &str) -> String {
    format!(r#"Bearer realm="{realm}",service="{SERVICE}",scope="{scope}""#)
}

/// A pull from a plain-HTTP registry whose plain-HTTP token service hands out `token` to an
/// anonymous request.
fn anonymous_plain_http_pull(token: &str) -> Analysed {
    let realm = "http://auth.example:5001/token";
    Scenario::new()
        .get("http://reg.example:5000/v2/team/app/manifests/1.0")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&format!("{realm}?service={SERVICE}&scope=repository:team/app:pull"))
        .token_response(token, 300)
        .get("http://reg.example:5000/v2/team/app/manifests/1.0")
        .bearer(token)
        .answer(200)
        .analyze()
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
    let realm = "https://auth.example/token";
    let token = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .get("http://reg.example:5000/v2/team/app/manifests/1.0")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&format!("{realm}?service={SERVICE}&scope=repository:team/app:pull"))
        .basic("alice", "s3cret")
        .token_response(&token, 300)
        .get("http://reg.example:5000/v2/team/app/manifests/1.0")
        .bearer(&token)
        .answer(200)
        .analyze();
    let finding = analysed.finding("credentials-over-plain-http");
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.exchanges, vec![2]);
}

#[test]
fn plain_http_credentials_to_two_hosts_name_both_and_every_kind() {
    let realm = "http://auth.example:5001/token";
    let token = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .get("http://reg.example:5000/v2/team/app/manifests/1.0")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&format!("{realm}?service={SERVICE}&scope=repository:team/app:pull"))
        .basic("alice", "s3cret")
        .token_response(&token, 300)
        .get("http://reg.example:5000/v2/team/app/manifests/1.0")
        .bearer(&token)
        .answer(200)
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
    assert_eq!(finding.exchanges, vec![1, 2, 4]);
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
    assert_eq!(finding.exchanges, vec![0, 1]);
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
