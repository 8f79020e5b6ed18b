//! Edge cases of the state machine and of every finding code. All captures are hand-written
//! fixtures (see [`super::builder`]).

use super::builder::{Jwt, Scenario, T0, unix};
use crate::analysis::{AuthScheme, ClockRole, Code, Outcome, Severity, Step, TokenSummary};

const REG: &str = "https://reg.example";
const SERVICE: &str = "reg.example";
const CHALLENGE: &str = r#"Bearer realm="https://auth.example/token",service="reg.example""#;

fn challenge_for(repository: &str, actions: &str) -> String {
    format!(
        r#"Bearer realm="https://auth.example/token",service="reg.example",scope="repository:{repository}:{actions}""#
    )
}

fn token_url(scope: &str) -> String {
    format!("https://auth.example/token?service={SERVICE}&scope={scope}")
}

fn pull_token(at: f64) -> String {
    Jwt::new(SERVICE, unix(at), 300).access("team/app", &["pull"]).mint()
}

fn steps_of(analysed: &super::builder::Analysed, session: usize) -> Vec<(u8, Vec<usize>)> {
    analysed.analysis.sessions[session]
        .steps
        .iter()
        .map(|entry| (entry.step.number(), entry.exchanges.to_vec()))
        .collect()
}

// hand-written fixture: /v2/ 401, token with Basic, manifest and blob with Bearer.
pub(super) fn six_step_pull() -> Scenario {
    let token = pull_token(0.2);
    Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "s3cret")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(200)
        .get(&format!("{REG}/v2/team/app/blobs/sha256:aaaa"))
        .bearer(&token)
        .answer(200)
}

#[test]
fn normal_six_step_pull_succeeds_without_errors() {
    let analysed = six_step_pull().analyze();
    let analysis = &analysed.analysis;
    assert_eq!(analysis.outcome, Outcome::Success);
    assert_eq!(analysis.sessions.len(), 1, "{:#?}", analysis.sessions);
    let session = &analysis.sessions[0];
    assert_eq!(&*session.registry, "reg.example");
    assert_eq!(session.repository.as_deref(), Some("team/app"));
    assert_eq!(session.scheme, AuthScheme::Bearer);
    assert_eq!(session.realm.as_deref(), Some("https://auth.example/token"));
    assert_eq!(session.service.as_deref(), Some(SERVICE));
    assert_eq!(session.failed_step, None);
    assert_eq!(
        steps_of(&analysed, 0),
        vec![
            (1, vec![0]),
            (2, vec![0]),
            (3, vec![1]),
            (4, vec![1]),
            (5, vec![2, 3]),
            (6, vec![2, 3])
        ]
    );
    analysed.assert_no_errors();
    assert!(analysis.findings.is_empty(), "{:#?}", analysis.findings);
    assert_eq!(analysis.tokens.len(), 1);
    assert_eq!(analysis.tokens[0].uses, vec![2, 3]);
    assert!(analysis.tokens[0].rejected_uses.is_empty());
    let text = analysed.text();
    assert!(!text.contains("s3cret"), "{text}");
}

#[test]
fn wrong_password_at_the_token_service_fails_at_step_4() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "wrong")
        .answer(401)
        .json(r#"{"details":"incorrect username or password"}"#)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(analysed.analysis.outcome, Outcome::Failure);
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::TokenResponse));
    assert_eq!(session.failed_exchange, Some(1));
    let finding = analysed.finding("bad-credentials");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.step, Some(Step::TokenResponse));
    assert_eq!(finding.exchanges.to_vec(), vec![1]);
    assert!(finding.message.contains("alice"), "{}", finding.message);
    assert!(!analysed.has("anonymous-denied"));
    assert_eq!(analysed.errors().len(), 1, "{:#?}", analysed.analysis.findings);
}

#[test]
fn anonymous_token_then_insufficient_scope_is_anonymous_denied() {
    let token = Jwt::new(SERVICE, unix(0.1), 300).mint();
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/private/manifests/1.0"))
        .answer(401)
        .www_authenticate(&challenge_for("team/private", "pull"))
        .get(&token_url("repository:team/private:pull"))
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/private/manifests/1.0"))
        .bearer(&token)
        .answer(401)
        .www_authenticate(&format!(
            r#"{},error="insufficient_scope""#,
            challenge_for("team/private", "pull")
        ))
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    assert_eq!(session.failed_exchange, Some(2));
    let finding = analysed.finding("anonymous-denied");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.step, Some(Step::RegistryVerdict));
    assert_eq!(finding.exchanges.to_vec(), vec![2]);
    assert!(!analysed.has("insufficient-scope"), "{:#?}", analysed.analysis.findings);
}

// hand-written fixture: a pull token, then a push needs more; the client upgrades and succeeds.
#[test]
fn scope_upgrade_that_succeeds_is_no_failure() {
    let pull = pull_token(0.1);
    let push = Jwt::new(SERVICE, unix(0.5), 300).access("team/app", &["pull", "push"]).mint();
    let analysed = Scenario::new()
        .head(&format!("{REG}/v2/team/app/blobs/sha256:aaaa"))
        .answer(401)
        .www_authenticate(&challenge_for("team/app", "pull"))
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&pull, 300)
        .head(&format!("{REG}/v2/team/app/blobs/sha256:aaaa"))
        .bearer(&pull)
        .answer(404)
        .post(&format!("{REG}/v2/team/app/blobs/uploads/"))
        .bearer(&pull)
        .answer(401)
        .www_authenticate(&format!(
            r#"{},error="insufficient_scope""#,
            challenge_for("team/app", "pull,push")
        ))
        .get(&token_url("repository:team/app:pull,push"))
        .basic("alice", "pw")
        .token_response(&push, 300)
        .post(&format!("{REG}/v2/team/app/blobs/uploads/"))
        .bearer(&push)
        .answer(202)
        .analyze();
    assert_eq!(analysed.analysis.sessions.len(), 1, "{:#?}", analysed.analysis.sessions);
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Success);
    assert_eq!(session.failed_step, None);
    analysed.assert_no_errors();
    assert!(!analysed.has("insufficient-scope"));
    // The HEAD 404 is an existence check, not an error.
    assert!(!analysed.has("registry-error"), "{:#?}", analysed.analysis.findings);
}

#[test]
fn push_denied_is_insufficient_scope_at_step_6() {
    let pull = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .post(&format!("{REG}/v2/team/app/blobs/uploads/"))
        .answer(401)
        .www_authenticate(&challenge_for("team/app", "pull,push"))
        .get(&token_url("repository:team/app:pull,push"))
        .basic("bob", "pw")
        .token_response(&pull, 300)
        .post(&format!("{REG}/v2/team/app/blobs/uploads/"))
        .bearer(&pull)
        .answer(401)
        .www_authenticate(&format!(
            r#"{},error="insufficient_scope""#,
            challenge_for("team/app", "pull,push")
        ))
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    let finding = analysed.finding("insufficient-scope");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![2]);
    assert!(finding.message.contains("push"), "{}", finding.message);
    assert!(finding.message.contains("bob"), "{}", finding.message);
    assert!(!analysed.has("anonymous-denied"));
}

/// A token valid for 300 s from t = 0, used at `use_at` (capture clock); the registry's clock
/// is `registry_offset` ahead; `status` is its answer.
fn expiry_case(use_at: f64, registry_offset: f64, status: u16) -> super::builder::Analysed {
    let token = Jwt::new(SERVICE, unix(0.0), 300).access("team/app", &["pull"]).mint();
    let mut scenario = Scenario::new()
        .clock("reg.example", registry_offset)
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .at(use_at)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(status);
    if status == 401 {
        scenario = scenario
            .www_authenticate(&format!(r#"{CHALLENGE},error="invalid_token""#))
            .json(r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#);
    }
    scenario.analyze()
}

#[test]
fn token_expired_beyond_the_leeway_by_the_registry_clock() {
    // Capture clock: 330 s after issue (within exp + 60). Registry clock: 100 s ahead, so it
    // sees 430 s: 130 s past exp.
    let analysed = expiry_case(330.0, 100.0, 401);
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    let finding = analysed.finding("token-expired");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![1, 2]);
    assert!(!analysed.has("token-rejected"));
    assert!(!analysed.has("token-outlived-by-operation"));
}

#[test]
fn token_past_exp_but_within_the_leeway_is_no_finding() {
    let analysed = expiry_case(330.0, 0.0, 200);
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
}

#[test]
fn refusal_within_the_leeway_is_not_called_expired() {
    let analysed = expiry_case(330.0, 0.0, 401);
    assert!(!analysed.has("token-expired"), "{:#?}", analysed.analysis.findings);
    assert_eq!(analysed.finding("token-rejected").severity, Severity::Error);
}

#[test]
fn token_not_yet_valid_when_the_issuer_runs_two_hours_ahead() {
    let token = Jwt::new(SERVICE, unix(0.2) + 7200, 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .clock("auth.example", 7200.0)
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .at(0.2)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .at(0.5)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(401)
        .www_authenticate(&format!(r#"{CHALLENGE},error="invalid_token""#))
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    let finding = analysed.finding("token-not-yet-valid");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![1, 2]);
    assert!(!analysed.has("token-expired"));
    // The issuer's clock is estimated from `iat`/`issued_at` within 1.5 s.
    let issuer = analysed
        .analysis
        .clocks
        .iter()
        .find(|clock| clock.role == ClockRole::TokenIssuer)
        .expect("token issuer clock");
    assert!((issuer.offset_s - 7200.0).abs() <= 1.5, "{issuer:?}");
    let skew: Vec<_> = analysed
        .analysis
        .findings
        .iter()
        .filter(|finding| finding.code == Code::ClockSkew)
        .collect();
    assert!(!skew.is_empty());
    assert!(skew.iter().all(|finding| finding.message.contains("auth.example")), "{skew:#?}");
    assert!(skew.iter().any(|finding| finding.severity == Severity::Error));
}

#[test]
fn issuer_offset_of_7200_is_estimated_within_1_5_s() {
    let token = Jwt::new(SERVICE, unix(0.3) + 7200, 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .clock("auth.example", 7200.0)
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .at(0.3)
        .get(&token_url("repository:team/app:pull"))
        .token_response(&token, 300)
        .analyze();
    let issuer = analysed
        .analysis
        .clocks
        .iter()
        .find(|clock| clock.role == ClockRole::TokenIssuer)
        .expect("token issuer clock");
    assert!((issuer.offset_s - 7200.0).abs() <= 1.5, "{issuer:?}");
    assert!(issuer.uncertainty_s <= 1.5, "{issuer:?}");
    let service = analysed
        .analysis
        .clocks
        .iter()
        .find(|clock| clock.role == ClockRole::TokenService)
        .expect("token service clock");
    assert!((service.offset_s - 7200.0).abs() <= 1.5, "{service:?}");
    let registry = analysed
        .analysis
        .clocks
        .iter()
        .find(|clock| clock.role == ClockRole::Registry)
        .expect("registry clock");
    assert!(registry.offset_s.abs() <= 1.0, "{registry:?}");
}

// hand-written fixture: a 300 s token works for blobs, then a long push outlives it.
pub(super) fn long_push(recover: bool) -> super::builder::Analysed {
    let token = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull", "push"]).mint();
    let fresh = Jwt::new(SERVICE, unix(400.5), 300).access("team/app", &["pull", "push"]).mint();
    let mut scenario = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&token_url("repository:team/app:pull,push"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .post(&format!("{REG}/v2/team/app/blobs/uploads/"))
        .bearer(&token)
        .answer(202)
        .at(400.0)
        .put(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(401)
        .www_authenticate(&format!(
            r#"{},error="invalid_token""#,
            challenge_for("team/app", "pull,push")
        ));
    if recover {
        scenario = scenario
            .at(400.5)
            .get(&token_url("repository:team/app:pull,push"))
            .basic("alice", "pw")
            .token_response(&fresh, 300)
            .put(&format!("{REG}/v2/team/app/manifests/1.0"))
            .bearer(&fresh)
            .answer(201);
    }
    scenario.analyze()
}

#[test]
fn token_reused_then_expired_is_outlived_by_operation() {
    let analysed = long_push(false);
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    assert_eq!(session.failed_exchange, Some(3));
    let outlived = analysed.finding("token-outlived-by-operation");
    assert_eq!(outlived.severity, Severity::Error);
    assert_eq!(outlived.exchanges.to_vec(), vec![2, 3]);
    assert_eq!(analysed.finding("token-expired").severity, Severity::Error);
    assert_eq!(analysed.analysis.tokens[0].rejected_uses, vec![3]);
}

#[test]
fn re_authentication_after_expiry_recovers_with_warnings_only() {
    let analysed = long_push(true);
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Success);
    assert_eq!(session.failed_step, None);
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    analysed.assert_no_errors();
    assert_eq!(analysed.finding("token-expired").severity, Severity::Warning);
    assert_eq!(analysed.finding("token-outlived-by-operation").severity, Severity::Warning);
}

fn basic_registry(password_ok: bool, base: &str) -> super::builder::Analysed {
    let password = if password_ok { "right" } else { "wrong" };
    let mut scenario = Scenario::new()
        .get(&format!("{base}/v2/"))
        .answer(401)
        .www_authenticate(r#"Basic realm="Registry Realm""#)
        .get(&format!("{base}/v2/"))
        .basic("alice", password);
    scenario = if password_ok {
        scenario.answer(200)
    } else {
        scenario.answer(401).www_authenticate(r#"Basic realm="Registry Realm""#)
    };
    scenario = scenario.get(&format!("{base}/v2/team/app/manifests/1.0")).basic("alice", password);
    scenario = if password_ok {
        scenario.answer(200)
    } else {
        scenario.answer(401).www_authenticate(r#"Basic realm="Registry Realm""#)
    };
    scenario.analyze()
}

#[test]
fn basic_auth_registry_success_has_no_token_steps() {
    let analysed = basic_registry(true, REG);
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    for session in &analysed.analysis.sessions {
        assert_eq!(session.scheme, AuthScheme::Basic, "{session:#?}");
        assert_eq!(session.outcome, Outcome::Success, "{session:#?}");
        for entry in &session.steps {
            if matches!(entry.step, Step::TokenRequest | Step::TokenResponse) {
                assert!(entry.exchanges.is_empty(), "{session:#?}");
            }
        }
    }
    analysed.assert_no_errors();
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
}

#[test]
fn basic_auth_registry_failure_is_bad_credentials_at_step_6() {
    let analysed = basic_registry(false, REG);
    assert_eq!(analysed.analysis.outcome, Outcome::Failure);
    let failed: Vec<_> = analysed
        .analysis
        .sessions
        .iter()
        .filter(|session| session.outcome == Outcome::Failure)
        .collect();
    assert!(!failed.is_empty());
    for session in failed {
        assert_eq!(session.scheme, AuthScheme::Basic);
        assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    }
    let bad: Vec<_> = analysed
        .analysis
        .findings
        .iter()
        .filter(|finding| finding.code == Code::BadCredentials)
        .collect();
    assert!(!bad.is_empty());
    assert!(bad.iter().all(|finding| finding.severity == Severity::Error
        && finding.step == Some(Step::RegistryVerdict)));
    assert!(!analysed.has("credentials-over-plain-http"));
}

#[test]
fn plain_http_basic_credentials_are_an_error() {
    let analysed = basic_registry(true, "http://reg.example:5000");
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    let finding = analysed.finding("credentials-over-plain-http");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![1, 2]);
    assert!(finding.message.contains("reg.example:5000"), "{}", finding.message);
}

#[test]
fn password_in_the_token_query_is_secret_in_url() {
    let token = pull_token(0.2);
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&format!(
            "https://auth.example/token?service={SERVICE}&scope=repository:team/app:pull&username=alice&password=hunter2"
        ))
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(200)
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    let finding = analysed.finding("secret-in-url");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.step, Some(Step::TokenRequest));
    assert_eq!(finding.exchanges.to_vec(), vec![1]);
    for finding in &analysed.analysis.findings {
        assert!(!finding.message.contains("hunter2"), "{}", finding.message);
    }
    let text = analysed.text();
    assert!(!text.contains("hunter2"), "{text}");
    let json = analysed.json();
    assert!(!json.contains("hunter2"), "{json}");
}

#[test]
fn audience_mismatch_explains_the_refusal() {
    let token = Jwt::new("other.example", unix(0.2), 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(401)
        .www_authenticate(&format!(r#"{CHALLENGE},error="invalid_token""#))
        .analyze();
    let finding = analysed.finding("audience-mismatch");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.step, Some(Step::RegistryVerdict));
    assert_eq!(finding.exchanges.to_vec(), vec![1, 2]);
    assert!(finding.message.contains("other.example"), "{}", finding.message);
    assert!(!analysed.has("token-rejected"));
    assert!(!analysed.has("token-expired"));
    assert_eq!(analysed.analysis.sessions[0].failed_step, Some(Step::RegistryVerdict));
}

#[test]
fn token_for_one_registry_sent_to_another() {
    let token = Jwt::new(SERVICE, unix(0.2), 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(200)
        .get("https://mirror.example/v2/")
        .answer(401)
        .www_authenticate(r#"Bearer realm="https://auth.mirror.example/token",service="mirror.example""#)
        .get("https://mirror.example/v2/team/app/manifests/1.0")
        .bearer(&token)
        .answer(401)
        .www_authenticate(r#"Bearer realm="https://auth.mirror.example/token",service="mirror.example",error="invalid_token""#)
        .analyze();
    let finding = analysed.finding("token-for-other-host");
    assert_eq!(finding.exchanges.to_vec(), vec![1, 4]);
    // The mirror's refusal is explained by the audience, not left as "rejected, reason unknown".
    assert_eq!(
        analysed.codes(),
        vec![("audience-mismatch", Severity::Error), ("token-for-other-host", Severity::Warning)]
    );
    assert!(finding.message.contains("mirror.example"), "{}", finding.message);
    // Two registries, each its own session.
    let registries: Vec<&str> =
        analysed.analysis.sessions.iter().map(|session| &*session.registry).collect();
    assert!(registries.contains(&"reg.example") && registries.contains(&"mirror.example"));
}

fn redirect(forward: bool, storage_host: &str) -> super::builder::Analysed {
    let token = pull_token(0.2);
    let location = format!("https://{storage_host}/blobs/aaaa?X-Amz-Signature=abc");
    let mut scenario = six_step_pull()
        .get(&format!("{REG}/v2/team/app/blobs/sha256:bbbb"))
        .bearer(&token)
        .answer(307)
        .header("Location", &location)
        .get(&location);
    if forward {
        scenario = scenario.bearer(&token);
    }
    scenario.answer(200).analyze()
}

#[test]
fn redirect_with_authorization_forwarded_to_another_host() {
    let analysed = redirect(true, "cdn.reg.example");
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    let finding = analysed.finding("auth-forwarded-on-redirect");
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.exchanges.to_vec(), vec![4, 5]);
    assert!(finding.message.contains("subdomain"), "{}", finding.message);
    // The storage download belongs to the session but is not a registry verdict.
    let session = &analysed.analysis.sessions[0];
    assert!(session.exchanges.contains(&5), "{session:#?}");
    assert!(!session.steps.iter().any(|entry| entry.exchanges.contains(&5)), "{session:#?}");
    assert_eq!(analysed.analysis.tokens[0].uses, vec![2, 3, 4]);
}

#[test]
fn redirect_with_authorization_dropped_is_fine() {
    let analysed = redirect(false, "storage.example");
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
    assert!(analysed.analysis.sessions[0].exchanges.contains(&5));
}

#[test]
fn redirect_to_the_same_host_keeping_authorization_is_fine() {
    let token = pull_token(0.2);
    let analysed = six_step_pull()
        .get(&format!("{REG}/v2/team/app/blobs/sha256:bbbb"))
        .bearer(&token)
        .answer(307)
        .header("Location", "/storage/bbbb")
        .get(&format!("{REG}/storage/bbbb"))
        .bearer(&token)
        .answer(200)
        .analyze();
    assert!(!analysed.has("auth-forwarded-on-redirect"), "{:#?}", analysed.analysis.findings);
}

#[test]
fn unauthorized_without_www_authenticate_is_malformed_challenge_at_step_2() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .json(r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::Challenge));
    assert_eq!(session.failed_exchange, Some(0));
    let finding = analysed.finding("malformed-challenge");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.step, Some(Step::Challenge));
    assert_eq!(finding.exchanges.to_vec(), vec![0]);
}

#[test]
fn malformed_challenge_header_is_reported() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(r#"Bearer realm="https://auth.example/token,service="reg.example"#)
        .analyze();
    let finding = analysed
        .analysis
        .findings
        .iter()
        .find(|finding| finding.code == Code::MalformedChallenge)
        .unwrap_or_else(|| panic!("{:#?}", analysed.analysis.findings));
    assert_eq!(finding.step, Some(Step::Challenge));
    assert_eq!(finding.exchanges.to_vec(), vec![0]);
    // The realm is still readable, so the session waits for a token request, which never comes.
    assert_eq!(analysed.analysis.sessions[0].outcome, Outcome::Incomplete);
    // Nothing got a verdict, so the capture as a whole did not succeed either.
    assert_eq!(analysed.analysis.outcome, Outcome::Incomplete);
}

#[test]
fn bearer_challenge_without_realm_is_malformed() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(r#"Bearer service="reg.example""#)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.failed_step, Some(Step::Challenge));
    assert!(analysed.has("malformed-challenge"), "{:#?}", analysed.analysis.findings);
}

#[test]
fn too_many_requests_with_retry_after_is_rate_limited() {
    let analysed = six_step_pull()
        .get(&format!("{REG}/v2/team/app/blobs/sha256:cccc"))
        .bearer(&pull_token(0.2))
        .answer(429)
        .header("Retry-After", "30")
        .json(r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    let finding = analysed.finding("rate-limited");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![4]);
    assert!(finding.message.contains("30"), "{}", finding.message);
    // 429 is judged as rate limiting, not as a generic registry error.
    assert!(!analysed.has("registry-error"), "{:#?}", analysed.analysis.findings);
}

#[test]
fn name_unknown_is_a_registry_error_warning_but_head_404_is_not() {
    let analysed = six_step_pull()
        .head(&format!("{REG}/v2/team/app/blobs/sha256:dddd"))
        .bearer(&pull_token(0.2))
        .answer(404)
        .get(&format!("{REG}/v2/team/app/manifests/2.0"))
        .bearer(&pull_token(0.2))
        .answer(404)
        .json(r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#)
        .analyze();
    let finding = analysed.finding("registry-error");
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.exchanges.to_vec(), vec![5]);
    assert!(finding.message.contains("NAME_UNKNOWN"), "{}", finding.message);
    analysed.assert_no_errors();
}

#[test]
fn tls_verify_failure_on_the_first_request_fails_step_1() {
    let analysed = Scenario::new()
        .producer("mitmproxy 11.0.2")
        .get(&format!("{REG}/v2/"))
        .fails("Certificate verify failed: unable to get local issuer certificate")
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(analysed.analysis.outcome, Outcome::Failure);
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::TryRegistry));
    assert_eq!(session.failed_exchange, Some(0));
    let finding = analysed.finding("tls-untrusted-certificate");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![0]);
    assert!(finding.message.contains("ssl_verify_upstream_trusted_ca"), "{}", finding.message);
    assert!(!analysed.has("connection-failed"));
    assert!(!analysed.has("capture-incomplete"));
}

#[test]
fn connection_refused_is_connection_failed() {
    let analysed =
        Scenario::new().get("https://reg.example:5000/v2/").fails("Connection refused").analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.failed_step, Some(Step::TryRegistry));
    let finding = analysed.finding("connection-failed");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![0]);
    assert!(!analysed.has("tls-untrusted-certificate"));
}

#[test]
fn requests_without_response_are_capture_incomplete() {
    let token = pull_token(0.2);
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Incomplete);
    assert_eq!(session.failed_step, None);
    assert!(session.expected_next.is_some());
    assert_eq!(analysed.analysis.outcome, Outcome::Incomplete);
    let incomplete: Vec<_> = analysed
        .analysis
        .findings
        .iter()
        .filter(|finding| finding.code == Code::CaptureIncomplete)
        .collect();
    assert!(!incomplete.is_empty());
    assert!(incomplete.iter().all(|finding| finding.severity == Severity::Warning));
    assert!(incomplete.iter().any(|finding| finding.exchanges.contains(&2)), "{incomplete:#?}");
    analysed.assert_no_errors();
}

// hand-written fixture: containerd asks by OAuth2 POST, gets 405, falls back to GET.
#[test]
fn containerd_oauth_post_405_then_get_fallback_succeeds() {
    let token = pull_token(0.3);
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .answer(401)
        .www_authenticate(&challenge_for("team/app", "pull"))
        .post("https://auth.example/token")
        .form(
            "application/x-www-form-urlencoded",
            "grant_type=password&username=alice&password=pw&service=reg.example&scope=repository%3Ateam%2Fapp%3Apull&client_id=containerd-client",
        )
        .answer(405)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(200)
        .analyze();
    assert_eq!(analysed.analysis.sessions.len(), 1, "{:#?}", analysed.analysis.sessions);
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Success);
    assert_eq!(session.failed_step, None);
    assert_eq!(
        session
            .steps
            .iter()
            .find(|entry| entry.step == Step::TokenRequest)
            .map(|entry| entry.exchanges.to_vec()),
        // The GET that got the token decided the step; the refused POST follows.
        Some(vec![2, 1])
    );
    analysed.assert_no_errors();
    assert!(!analysed.has("token-service-error"), "{:#?}", analysed.analysis.findings);
}

fn engine_pull(x_registry_auth: &str) -> super::builder::Analysed {
    Scenario::new()
        .post(
            "http://127.0.0.1:2375/v1.41/images/create?fromImage=reg.example%2Fteam%2Fapp&tag=1.0",
        )
        .header("X-Registry-Auth", x_registry_auth)
        .answer(200)
        .analyze()
}

#[test]
fn engine_api_x_registry_auth_with_a_password_over_plain_http() {
    use base64::Engine as _;
    let config = base64::engine::general_purpose::URL_SAFE
        .encode(r#"{"username":"alice","password":"hunter2","serveraddress":"reg.example"}"#);
    let analysed = engine_pull(&config);
    let finding = analysed.finding("credentials-over-plain-http");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![0]);
    assert!(finding.message.contains("X-Registry-Auth"), "{}", finding.message);
    assert!(!finding.message.contains("hunter2"));
}

#[test]
fn engine_api_anonymous_x_registry_auth_carries_no_secret() {
    let analysed = engine_pull("e30=");
    assert!(!analysed.has("credentials-over-plain-http"), "{:#?}", analysed.analysis.findings);
    analysed.assert_no_errors();
}

#[test]
fn engine_api_login_body_with_a_password_over_plain_http() {
    let analysed = Scenario::new()
        .post("http://127.0.0.1:2375/v1.41/auth")
        .form(
            "application/json",
            r#"{"username":"alice","password":"hunter2","serveraddress":"reg.example"}"#,
        )
        .answer(200)
        .json(r#"{"Status":"Login Succeeded","IdentityToken":""}"#)
        .analyze();
    let finding = analysed.finding("credentials-over-plain-http");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.message.contains("/auth"), "{}", finding.message);
}

#[test]
fn two_registries_make_two_sessions() {
    let first = pull_token(0.2);
    let second = Jwt::new("other.example", unix(1.2), 300).access("team/app", &["pull"]).mint();
    let analysed = six_step_pull()
        .at(1.0)
        .get("https://other.example/v2/")
        .answer(401)
        .www_authenticate(
            r#"Bearer realm="https://auth.other.example/token",service="other.example""#,
        )
        .get(
            "https://auth.other.example/token?service=other.example&scope=repository:team/app:pull",
        )
        .token_response(&second, 300)
        .get("https://other.example/v2/team/app/manifests/1.0")
        .bearer(&second)
        .answer(200)
        .analyze();
    let sessions = &analysed.analysis.sessions;
    assert_eq!(sessions.len(), 2, "{sessions:#?}");
    assert_eq!(&*sessions[0].registry, "reg.example");
    assert_eq!(sessions[0].exchanges.as_slice(), [0, 1, 2, 3]);
    assert_eq!(&*sessions[1].registry, "other.example");
    assert_eq!(sessions[1].exchanges.as_slice(), [4, 5, 6]);
    assert_eq!(sessions[1].realm.as_deref(), Some("https://auth.other.example/token"));
    assert!(sessions.iter().all(|session| session.outcome == Outcome::Success));
    assert!(!analysed.has("token-for-other-host"));
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
    let _ = first;
}

// hand-written fixture: two repositories pulled in parallel, their requests interleaved.
#[test]
fn interleaved_parallel_pulls_of_two_repositories() {
    let app = Jwt::new(SERVICE, unix(0.0), 300).access("team/app", &["pull"]).mint();
    let db = Jwt::new(SERVICE, unix(0.0), 300).access("team/db", &["pull"]).mint();
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .answer(401)
        .www_authenticate(&challenge_for("team/app", "pull"))
        .at(0.0)
        .get(&format!("{REG}/v2/team/db/manifests/1.0"))
        .answer(401)
        .www_authenticate(&challenge_for("team/db", "pull"))
        .at(0.1)
        .get(&token_url("repository:team/db:pull"))
        .basic("alice", "pw")
        .token_response(&db, 300)
        .at(0.1)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&app, 300)
        .at(0.2)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&app)
        .answer(200)
        .at(0.2)
        .get(&format!("{REG}/v2/team/db/manifests/1.0"))
        .bearer(&db)
        .answer(403)
        .analyze();
    let sessions = &analysed.analysis.sessions;
    assert_eq!(sessions.len(), 2, "{sessions:#?}");
    let app_session = sessions
        .iter()
        .position(|session| session.repository.as_deref() == Some("team/app"))
        .expect("team/app session");
    let db_session = sessions
        .iter()
        .position(|session| session.repository.as_deref() == Some("team/db"))
        .expect("team/db session");
    assert_eq!(sessions[app_session].exchanges.as_slice(), [0, 3, 4]);
    assert_eq!(sessions[db_session].exchanges.as_slice(), [1, 2, 5]);
    assert_eq!(sessions[app_session].outcome, Outcome::Success);
    assert_eq!(sessions[db_session].outcome, Outcome::Failure);
    assert_eq!(sessions[db_session].failed_step, Some(Step::RegistryVerdict));
    let finding = analysed.finding("insufficient-scope");
    assert_eq!(finding.session, Some(db_session));
    assert_eq!(finding.exchanges.to_vec(), vec![5]);
}

#[test]
fn only_the_capture_machine_clock_is_off() {
    let token = Jwt::new(SERVICE, unix(0.2) + 3600, 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .clock("reg.example", 3600.0)
        .clock("auth.example", 3600.0)
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .at(0.2)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(200)
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    let finding = analysed.finding("clock-skew");
    assert_eq!(finding.severity, Severity::Warning);
    assert!(finding.message.contains("capture machine"), "{}", finding.message);
    assert!(finding.message.contains("-1 h 0 min 0 s"), "{}", finding.message);
    assert!(!analysed.has("token-not-yet-valid"));
}

#[test]
fn token_request_without_a_challenge_in_the_capture() {
    // The capture starts after the challenge: the token request alone must still be a session.
    let token = pull_token(0.0);
    let analysed = Scenario::new()
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(200)
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    analysed.assert_no_errors();
    let _ = T0;
}

#[test]
fn expiry_is_judged_on_the_capture_clock_when_servers_send_no_date() {
    let token = Jwt::new(SERVICE, unix(0.0), 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .without_dates()
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .at(400.0)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(401)
        .www_authenticate(&format!(r#"{CHALLENGE},error="invalid_token""#))
        .analyze();
    assert_eq!(analysed.codes(), vec![("token-expired", Severity::Error)]);
    assert!(analysed.analysis.clocks.iter().all(|clock| clock.role == ClockRole::TokenIssuer));
}

#[test]
fn the_refusal_date_decides_expiry() {
    // The capture clock says 100 s after issue, but the refusal's own Date is 400 s after.
    let token = Jwt::new(SERVICE, unix(0.0), 300).access("team/app", &["pull"]).mint();
    let late = super::builder::stamp(400.0).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let analysed = Scenario::new()
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .at(100.0)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(401)
        .www_authenticate(&format!(r#"{CHALLENGE},error="invalid_token""#))
        .date(&late)
        .analyze();
    assert!(analysed.has("token-expired"), "{:#?}", analysed.analysis.findings);
}

#[test]
fn audience_list_naming_the_service_is_no_mismatch() {
    let token = Jwt::new(SERVICE, unix(0.0), 300)
        .claim("aud", serde_json::json!(["other.example", SERVICE]))
        .access("team/app", &["pull"])
        .mint();
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(401)
        .www_authenticate(&format!(r#"{CHALLENGE},error="invalid_token""#))
        .analyze();
    assert_eq!(analysed.codes(), vec![("token-rejected", Severity::Error)]);
}

#[test]
fn a_capture_without_sessions_is_not_a_success() {
    let analysed = Scenario::new().get("https://example.com/index.html").answer(200).analyze();
    assert!(analysed.analysis.sessions.is_empty());
    assert_eq!(analysed.analysis.outcome, Outcome::Incomplete);
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
}

// hand-written fixture: the client sends Basic up front to a token-auth registry, which answers
// with its Bearer challenge; the client then does the token dance and succeeds.
#[test]
fn basic_sent_to_a_bearer_registry_is_a_challenge_not_bad_credentials() {
    let token = pull_token(0.3);
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .basic("alice", "pw")
        .answer(401)
        .www_authenticate(&challenge_for("team/app", "pull"))
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(200)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Success);
    assert_eq!(session.scheme, AuthScheme::Bearer);
    assert!(!analysed.has("bad-credentials"), "{:#?}", analysed.analysis.findings);
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
    let challenge = session.steps.iter().find(|entry| entry.step == Step::Challenge);
    assert_eq!(challenge.map(|entry| entry.exchanges.to_vec()), Some(vec![0]));
}

#[test]
fn basic_sent_to_a_bearer_registry_that_is_never_followed_up() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .basic("alice", "pw")
        .answer(401)
        .www_authenticate(&challenge_for("team/app", "pull"))
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Incomplete);
    assert!(!analysed.has("bad-credentials"), "{:#?}", analysed.analysis.findings);
}

fn first_request_fails(error: &str) -> super::builder::Analysed {
    Scenario::new().get(&format!("{REG}/v2/")).fails(error).analyze()
}

#[test]
fn browser_certificate_errors_are_tls_untrusted_certificate() {
    for error in [
        "net::ERR_CERT_AUTHORITY_INVALID",
        "net::ERR_CERT_COMMON_NAME_INVALID",
        "SEC_ERROR_UNKNOWN_ISSUER",
        "MOZILLA_PKIX_ERROR_SELF_SIGNED_CERT",
        "x509: certificate signed by unknown authority",
        "SSL certificate problem: self signed certificate in certificate chain",
    ] {
        let analysed = first_request_fails(error);
        assert_eq!(
            analysed.codes(),
            vec![("tls-untrusted-certificate", Severity::Error)],
            "{error}"
        );
        assert_eq!(analysed.analysis.sessions[0].failed_step, Some(Step::TryRegistry));
    }
}

#[test]
fn expired_certificate_errors_are_tls_certificate_expired() {
    for error in [
        "net::ERR_CERT_DATE_INVALID",
        "SEC_ERROR_EXPIRED_CERTIFICATE",
        "x509: certificate has expired or is not yet valid: current time 2026-11-23T11:00:00Z is after 2026-01-01T00:00:00Z",
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)",
    ] {
        let analysed = first_request_fails(error);
        assert_eq!(analysed.codes(), vec![("tls-certificate-expired", Severity::Error)], "{error}");
        let finding = analysed.finding("tls-certificate-expired");
        assert_eq!(finding.step, Some(Step::TryRegistry));
        assert_eq!(finding.exchanges.to_vec(), vec![0]);
    }
}

#[test]
fn refused_and_reset_connections_are_connection_failed() {
    for error in
        ["net::ERR_CONNECTION_REFUSED", "Connection reset by peer", "NS_ERROR_CONNECTION_REFUSED"]
    {
        let analysed = first_request_fails(error);
        assert_eq!(analysed.codes(), vec![("connection-failed", Severity::Error)], "{error}");
    }
}

#[test]
fn whole_second_issued_at_does_not_claim_sub_second_certainty() {
    // distribution's token server writes `issued_at` in whole seconds. The issuer's clock is
    // right; the request goes out 0.7 s into a second, so the truncated stamp lies 0.7 s
    // "behind". The estimate must still contain the true offset, 0.
    let token = Jwt::new(SERVICE, unix(0.7), 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .at(0.7)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .analyze();
    let issuer = analysed
        .analysis
        .clocks
        .iter()
        .find(|clock| clock.role == ClockRole::TokenIssuer)
        .expect("token issuer clock");
    assert!(issuer.offset_s.abs() <= issuer.uncertainty_s + 1e-3, "{issuer:?}");
}

#[test]
fn sub_second_issued_at_narrows_the_issuer_clock() {
    let token = Jwt::new(SERVICE, unix(0.7), 300).access("team/app", &["pull"]).mint();
    let body = serde_json::json!({
        "token": token,
        "expires_in": 300,
        "issued_at": super::builder::stamp(0.72).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    let analysed = Scenario::new()
        .at(0.7)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .answer(200)
        .json(&body.to_string())
        .analyze();
    let issuer = analysed
        .analysis
        .clocks
        .iter()
        .find(|clock| clock.role == ClockRole::TokenIssuer)
        .expect("token issuer clock");
    assert!(issuer.offset_s.abs() <= issuer.uncertainty_s + 1e-3, "{issuer:?}");
    assert!(issuer.uncertainty_s <= 0.05, "{issuer:?}");
}

// hand-written fixture: a Docker Hub pull recorded after the challenge; the token's service
// (registry.docker.io) is not the registry's host name (registry-1.docker.io).
#[test]
fn token_request_without_challenge_joins_the_registry_that_uses_the_token() {
    let token =
        Jwt::new("registry.docker.io", unix(0.0), 300).access("library/alpine", &["pull"]).mint();
    let analysed = Scenario::new()
        .get("https://auth.docker.io/token?service=registry.docker.io&scope=repository:library/alpine:pull")
        .token_response(&token, 300)
        .get("https://registry-1.docker.io/v2/library/alpine/manifests/latest")
        .bearer(&token)
        .answer(200)
        .analyze();
    let sessions = &analysed.analysis.sessions;
    assert_eq!(sessions.len(), 1, "{sessions:#?}");
    assert_eq!(&*sessions[0].registry, "registry-1.docker.io");
    assert_eq!(sessions[0].repository.as_deref(), Some("library/alpine"));
    assert_eq!(sessions[0].service.as_deref(), Some("registry.docker.io"));
    assert_eq!(sessions[0].outcome, Outcome::Success);
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
}

#[test]
fn basic_registry_refusing_an_action_is_not_bad_credentials() {
    let analysed = Scenario::new()
        .post(&format!("{REG}/v2/team/app/blobs/uploads/"))
        .answer(401)
        .www_authenticate(r#"Basic realm="Registry""#)
        .post(&format!("{REG}/v2/team/app/blobs/uploads/"))
        .basic("reader", "pw")
        .answer(403)
        .json(r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    let finding = analysed.finding("insufficient-scope");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.message.contains("reader"), "{}", finding.message);
    assert!(!finding.message.contains("token"), "{}", finding.message);
    assert!(!analysed.has("bad-credentials"), "{:#?}", analysed.analysis.findings);
}

#[test]
fn expired_registry_password_answered_403_is_token_expired() {
    // ECR: user AWS, a 12 h password; once expired the registry answers 403. The fix is a
    // fresh password, not a corrected one, so this is expiry rather than bad credentials.
    let analysed = Scenario::new()
        .get("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/")
        .answer(401)
        .www_authenticate(r#"Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com""#)
        .get("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/app/manifests/1.0")
        .basic("AWS", "eyJwYXlsb2FkIjoiLi4uIn0=")
        .answer(403)
        .header("Content-Type", "text/plain")
        .json("Your authorization token has expired. Reauthenticate and try again.")
        .analyze();
    let finding = analysed.finding("token-expired");
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.message.contains("12 hours"), "{}", finding.message);
    assert!(!analysed.has("insufficient-scope") && !analysed.has("bad-credentials"));
}

#[test]
fn redirect_location_spelled_with_default_port_and_upper_case_host_still_matches() {
    let token = pull_token(0.2);
    let analysed = six_step_pull()
        .get(&format!("{REG}/v2/team/app/blobs/sha256:bbbb"))
        .bearer(&token)
        .answer(307)
        .header("Location", "https://CDN.Reg.Example:443/blobs/bbbb?sig=1")
        .get("https://cdn.reg.example/blobs/bbbb?sig=1")
        .bearer(&token)
        .answer(200)
        .analyze();
    let finding = analysed.finding("auth-forwarded-on-redirect");
    assert_eq!(finding.exchanges.to_vec(), vec![4, 5]);
    assert!(analysed.analysis.sessions[0].exchanges.contains(&5));
}

// hand-written fixture: the challenge asks for pull,push; the client asks only for pull and
// retries with that token.
#[test]
fn client_asking_fewer_actions_than_challenged_is_scope_mismatch() {
    let pull = pull_token(0.1);
    let analysed = Scenario::new()
        .post(&format!("{REG}/v2/team/app/blobs/uploads/"))
        .answer(401)
        .www_authenticate(&challenge_for("team/app", "push,pull"))
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&pull, 300)
        .post(&format!("{REG}/v2/team/app/blobs/uploads/"))
        .bearer(&pull)
        .answer(401)
        .www_authenticate(&format!(
            r#"{},error="insufficient_scope""#,
            challenge_for("team/app", "push,pull")
        ))
        .analyze();
    assert_eq!(analysed.analysis.sessions[0].failed_step, Some(Step::RegistryVerdict));
    let finding = analysed.finding("scope-mismatch");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.step, Some(Step::TokenRequest));
    assert_eq!(finding.exchanges.to_vec(), vec![1, 2]);
    assert!(!analysed.has("insufficient-scope"), "{:#?}", analysed.analysis.findings);
}

#[test]
fn client_asking_for_another_repository_is_scope_mismatch() {
    let other = Jwt::new(SERVICE, unix(0.1), 300).access("team/other", &["pull"]).mint();
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .answer(401)
        .www_authenticate(&challenge_for("team/app", "pull"))
        .get(&token_url("repository:team/other:pull"))
        .basic("alice", "pw")
        .token_response(&other, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&other)
        .answer(401)
        .www_authenticate(&format!(
            r#"{},error="insufficient_scope""#,
            challenge_for("team/app", "pull")
        ))
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Failure);
    let finding = analysed.finding("scope-mismatch");
    assert!(finding.message.contains("repository:team/app:pull"), "{}", finding.message);
    assert!(!analysed.has("insufficient-scope"));
}

/// Claims at the edges of i64 (hostile or broken issuers) must not overflow anywhere.
#[test]
fn extreme_claims_do_not_overflow() {
    for (exp, nbf, iat, expires_in) in [
        (i64::MAX, i64::MIN, i64::MAX, i64::MAX),
        (i64::MIN, i64::MAX, i64::MIN, i64::MIN),
        (0, 0, 0, -1),
    ] {
        let token = Jwt::new(SERVICE, 0, 0)
            .claim("exp", exp.into())
            .claim("nbf", nbf.into())
            .claim("iat", iat.into())
            .access("team/app", &["pull"])
            .mint();
        let body = serde_json::json!({"token": token, "expires_in": expires_in, "issued_at": "9999-12-31T23:59:59Z"});
        let analysed = Scenario::new()
            .get(&format!("{REG}/v2/"))
            .answer(401)
            .www_authenticate(CHALLENGE)
            .get(&token_url("repository:team/app:pull"))
            .answer(200)
            .json(&body.to_string())
            .get(&format!("{REG}/v2/team/app/manifests/1.0"))
            .bearer(&token)
            .answer(401)
            .www_authenticate(&format!(r#"{CHALLENGE},error="invalid_token""#))
            .date("Fri, 31 Dec 9999 23:59:59 GMT")
            .analyze();
        assert_eq!(analysed.analysis.outcome, Outcome::Failure);
        assert!(!analysed.text().is_empty());
        assert!(!analysed.json().is_empty());
    }
}

// hand-written fixture: containerd's POST is refused with 405, its GET fallback with 401.
#[test]
fn containerd_fallback_with_a_wrong_password_blames_the_get() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .answer(401)
        .www_authenticate(&challenge_for("team/app", "pull"))
        .post("https://auth.example/token")
        .form(
            "application/x-www-form-urlencoded",
            "grant_type=password&username=alice&password=bad&service=reg.example&scope=repository%3Ateam%2Fapp%3Apull&client_id=containerd-client",
        )
        .answer(405)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "bad")
        .answer(401)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::TokenResponse));
    assert_eq!(session.failed_exchange, Some(2));
    assert_eq!(analysed.codes(), vec![("bad-credentials", Severity::Error)]);
}

// hand-written fixture: skopeo tries HTTPS first on a plain-HTTP registry, then falls back.
#[test]
fn https_attempt_before_a_plain_http_fallback_is_only_info() {
    let analysed = Scenario::new()
        .get("https://plain.example:5003/v2/")
        .fails("The remote server does not speak TLS.")
        .get("http://plain.example:5003/v2/")
        .answer(200)
        .get("http://plain.example:5003/v2/team/app/manifests/1.0")
        .answer(200)
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    // Not a failure, not connection-failed: a note that the client fell back (issue 8 item 1).
    assert!(!analysed.has("connection-failed"), "{:#?}", analysed.analysis.findings);
    let finding = analysed.finding("insecure-registry-fallback");
    assert_eq!(finding.severity, Severity::Info);
    assert_eq!(finding.exchanges.to_vec(), vec![0, 1]);
    assert!(finding.message.contains("plain.example:5003"), "{}", finding.message);
}

#[test]
fn a_recovered_connection_failure_without_fallback_stays_a_warning() {
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .fails("Connection reset by peer")
        .at(1.0)
        .get(&format!("{REG}/v2/"))
        .answer(200)
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    assert_eq!(analysed.finding("connection-failed").severity, Severity::Warning);
}

// hand-written fixture: a client checks with GET whether the tag exists before pushing it.
#[test]
fn get_404_before_a_successful_push_of_the_same_repository_is_an_existence_check() {
    let push = Jwt::new(SERVICE, unix(0.1), 300).access("team/new", &["pull", "push"]).mint();
    let analysed = Scenario::new()
        .get(&format!("{REG}/v2/team/new/manifests/1.0"))
        .answer(401)
        .www_authenticate(&challenge_for("team/new", "pull,push"))
        .get(&token_url("repository:team/new:pull,push"))
        .basic("alice", "pw")
        .token_response(&push, 300)
        .get(&format!("{REG}/v2/team/new/manifests/1.0"))
        .bearer(&push)
        .answer(404)
        .json(r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#)
        .put(&format!("{REG}/v2/team/new/manifests/1.0"))
        .bearer(&push)
        .answer(201)
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
}

/// Large captures stay roughly linear: a health checker pinging `/v2/` (no token ever follows)
/// and a flaky link failing every other request. Quadratic scans would take minutes here.
#[test]
fn many_pings_and_failures_stay_linear() {
    let mut scenario = Scenario::new();
    for n in 0..20_000 {
        scenario = scenario.at(f64::from(n)).get(&format!("{REG}/v2/"));
        scenario = if n % 2 == 0 {
            scenario.answer(401).www_authenticate(CHALLENGE)
        } else {
            scenario.fails("Connection reset by peer")
        };
    }
    let analysed = scenario.analyze();
    assert_eq!(analysed.analysis.sessions.len(), 1);
    assert_eq!(analysed.analysis.sessions[0].exchanges.len(), 20_000);
}

/// Thousands of challenge → token → retry cycles (a client that re-authenticates per blob).
#[test]
fn many_token_cycles_stay_fast() {
    let mut scenario = Scenario::new();
    for n in 0..3_000 {
        let at = f64::from(n);
        let token = Jwt::new(SERVICE, unix(at), 300).access("team/app", &["pull"]).mint();
        scenario = scenario
            .at(at)
            .get(&format!("{REG}/v2/team/app/blobs/sha256:{n:04}"))
            .answer(401)
            .www_authenticate(&challenge_for("team/app", "pull"))
            .get(&token_url("repository:team/app:pull"))
            .basic("alice", "pw")
            .token_response(&token, 300)
            .get(&format!("{REG}/v2/team/app/blobs/sha256:{n:04}"))
            .bearer(&token)
            .answer(if n % 2 == 0 { 200 } else { 404 });
    }
    let analysed = scenario.analyze();
    assert_eq!(analysed.analysis.sessions.len(), 1);
    assert_eq!(analysed.analysis.tokens.len(), 3_000);
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
}

// hand-written fixture: only the CLI→daemon leg was recorded; `docker login` with a wrong
// password makes dockerd answer 500 with the registry's message.
#[test]
fn engine_api_login_refused_with_500_is_bad_credentials() {
    let analysed = Scenario::new()
        .post("http+unix://docker.sock/v1.41/auth")
        .form("application/json", r#"{"username":"alice","password":"wrong","serveraddress":"reg.example"}"#)
        .answer(500)
        .json(r#"{"message":"Get \"https://reg.example/v2/\": unauthorized: incorrect username or password"}"#)
        .analyze();
    let finding = analysed.finding("bad-credentials");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![0]);
    assert!(finding.message.contains("incorrect username or password"), "{}", finding.message);
    assert_eq!(analysed.analysis.outcome, Outcome::Failure);
}

// hand-written fixture: a denied `docker push` answers 200; the error is in the JSON stream.
#[test]
fn engine_api_push_denied_inside_a_200_stream_is_insufficient_scope() {
    let analysed = Scenario::new()
        .post("http+unix://docker.sock/v1.41/images/reg.example%2Fteam%2Fapp/push?tag=1.0")
        .header("X-Registry-Auth", "eyJpZGVudGl0eXRva2VuIjoicnQifQ")
        .answer(200)
        .json(concat!(
            "{\"status\":\"The push refers to repository [reg.example/team/app]\"}\r\n",
            "{\"status\":\"Preparing\",\"progressDetail\":{},\"id\":\"abc\"}\r\n",
            "{\"errorDetail\":{\"message\":\"denied: requested access to the resource is denied\"},\"error\":\"denied: requested access to the resource is denied\"}\r\n"
        ))
        .analyze();
    let finding = analysed.finding("insufficient-scope");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![0]);
    assert_eq!(analysed.analysis.outcome, Outcome::Failure);
}

// hand-written fixture: the registry redirects to a CDN, which redirects again to its origin.
#[test]
fn second_redirect_hop_still_belongs_to_the_session() {
    let token = pull_token(0.2);
    let analysed = six_step_pull()
        .get(&format!("{REG}/v2/team/app/blobs/sha256:bbbb"))
        .bearer(&token)
        .answer(307)
        .header("Location", "https://cdn.example/b?sig=1")
        .get("https://cdn.example/b?sig=1")
        .answer(302)
        .header("Location", "https://origin.example/b?sig=1")
        .get("https://origin.example/b?sig=1")
        .bearer(&token)
        .answer(200)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert!(session.exchanges.contains(&5) && session.exchanges.contains(&6), "{session:#?}");
    let finding = analysed.finding("auth-forwarded-on-redirect");
    assert_eq!(finding.exchanges.to_vec(), vec![5, 6]);
}

#[test]
fn registry_clock_behind_makes_a_fresh_token_not_yet_valid() {
    let token = Jwt::new(SERVICE, unix(0.2), 300).access("team/app", &["pull"]).mint();
    let analysed = Scenario::new()
        .clock("reg.example", -600.0)
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .at(0.2)
        .get(&token_url("repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(&format!("{REG}/v2/team/app/manifests/1.0"))
        .bearer(&token)
        .answer(401)
        .www_authenticate(&format!(r#"{CHALLENGE},error="invalid_token""#))
        .analyze();
    assert_eq!(analysed.finding("token-not-yet-valid").severity, Severity::Error);
    let skew = analysed.finding("clock-skew");
    assert!(skew.message.contains("reg.example"), "{}", skew.message);
    assert!(skew.message.contains("not yet valid"), "{}", skew.message);
}

// hand-written fixture: a browser HAR of a web app whose own API lives under /v2/.
#[test]
fn web_api_paths_under_v2_are_not_registry_sessions() {
    let analysed = Scenario::new()
        .get("https://api.example.com/v2/users/me")
        .answer(401)
        .json(r#"{"error":"login required"}"#)
        .get("https://api.example.com/v2/projects?page=2")
        .answer(404)
        .analyze();
    assert!(analysed.analysis.sessions.is_empty(), "{:#?}", analysed.analysis.sessions);
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
}

// hand-written fixture: an anonymous `docker pull` of a private image through dockerd.
#[test]
fn engine_api_anonymous_pull_denied_is_anonymous_denied() {
    let analysed = Scenario::new()
        .post("http+unix://docker.sock/v1.41/images/create?fromImage=reg.example%2Fteam%2Fprivate&tag=1.0")
        .header("X-Registry-Auth", "e30=")
        .answer(404)
        .json(r#"{"message":"pull access denied for reg.example/team/private, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"}"#)
        .analyze();
    let finding = analysed.finding("anonymous-denied");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.exchanges.to_vec(), vec![0]);
    assert_eq!(analysed.analysis.outcome, Outcome::Failure);
}

// Docker Engine API captures of the CLI→daemon leg only: the daemon hides steps 2–5 and
// relays the registry's verdict. hand-written fixtures, shaped like dockerd 20.10's answers.

fn writer_auth() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE
        .encode(r#"{"username":"bob","password":"pw","serveraddress":"reg.example"}"#)
}

#[test]
fn engine_push_denied_inside_a_200_progress_stream_is_a_failure() {
    let analysed = Scenario::new()
        .post("http://127.0.0.1:2375/v1.41/images/reg.example/team/app/push?tag=1.0")
        .header("X-Registry-Auth", &writer_auth())
        .answer(200)
        .json(concat!(
            "{\"status\":\"The push refers to repository [reg.example/team/app]\"}\n",
            "{\"status\":\"Preparing\",\"id\":\"4075756926\"}\n",
            "{\"errorDetail\":{\"message\":\"denied: requested access to the resource is denied\"},\"error\":\"denied: requested access to the resource is denied\"}\n"
        ))
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Failure);
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (&*session.registry, session.repository.as_deref()),
        ("reg.example", Some("team/app"))
    );
    assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    let finding = analysed.finding("insufficient-scope");
    assert_eq!(finding.severity, Severity::Error);
    assert!(
        finding.message.contains("requested access to the resource is denied"),
        "{}",
        finding.message
    );
}

#[test]
fn engine_anonymous_pull_answered_404_is_anonymous_denied() {
    let analysed = Scenario::new()
        .post("http://127.0.0.1:2375/v1.41/images/create?fromImage=team%2Fprivate&tag=latest")
        .header("X-Registry-Auth", "e30=")
        .answer(404)
        .json(r#"{"message":"pull access denied for team/private, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"}"#)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    // An image without a registry name is Docker Hub's.
    assert_eq!(
        (&*session.registry, session.repository.as_deref()),
        ("registry-1.docker.io", Some("team/private"))
    );
    assert_eq!(session.outcome, Outcome::Failure);
    assert!(analysed.has("anonymous-denied"), "{:#?}", analysed.analysis.findings);
    assert!(!analysed.has("insufficient-scope"));
}

#[test]
fn engine_login_refused_with_500_is_bad_credentials_at_step_4() {
    let analysed = Scenario::new()
        .post("http://127.0.0.1:2375/v1.41/auth")
        .form("application/json", r#"{"username":"bob","password":"wrong","serveraddress":"https://index.docker.io/v1/"}"#)
        .answer(500)
        .json(r#"{"message":"Get \"https://registry-1.docker.io/v2/\": unauthorized: incorrect username or password"}"#)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(&*session.registry, "registry-1.docker.io");
    assert_eq!(session.failed_step, Some(Step::TokenResponse));
    assert_eq!(analysed.finding("bad-credentials").severity, Severity::Error);
    assert!(!analysed.json().contains("\"wrong\""), "the password leaked into the report");
}

#[test]
fn engine_pull_that_streams_to_the_end_succeeds() {
    let analysed = Scenario::new()
        .post("http://127.0.0.1:2375/v1.41/images/create?fromImage=reg.example%3A5000%2Fteam%2Fapp%3A1.0")
        .header("X-Registry-Auth", &writer_auth())
        .answer(200)
        .json("{\"status\":\"Pulling from team/app\"}\n{\"status\":\"Digest: sha256:00\"}\n")
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (&*session.registry, session.repository.as_deref()),
        ("reg.example:5000", Some("team/app"))
    );
    assert_eq!(session.outcome, Outcome::Success);
}

// hand-written fixture: ECR's answer to an expired 12-hour password (Basic auth, user AWS).
#[test]
fn ecr_expired_basic_password_is_token_expired_not_bad_credentials() {
    let registry = "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    let analysed = Scenario::new()
        .get(&format!("{registry}/v2/team/app/manifests/1.0"))
        .basic("AWS", "eyJwYXlsb2FkIjoi")
        .answer(403)
        .json(r#"{"errors":[{"code":"DENIED","message":"Your authorization token has expired. Reauthenticate and try again."}]}"#)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.failed_step, Some(Step::RegistryVerdict));
    assert_eq!(analysed.finding("token-expired").severity, Severity::Error);
    assert!(!analysed.has("bad-credentials"), "{:#?}", analysed.analysis.findings);
}

// hand-written fixture: a push token, a pull token and an opaque one. What the engine keeps of
// each token (its summary) is what decoding it says, and decoding on demand gives the claims.
#[test]
fn a_token_summary_is_what_decoding_the_token_says() {
    let push = Jwt::new(SERVICE, unix(0.5), 300).access("team/app", &["pull", "push"]).mint();
    let pull = pull_token(0.1);
    let analysed = Scenario::new()
        .get(&token_url("repository:team/app:pull,push"))
        .token_response(&push, 300)
        .get(&token_url("repository:team/app:pull"))
        .token_response(&pull, 300)
        .get(&token_url("repository:team/app:pull"))
        .token_response("opaque-token-1234", 300)
        .analyze();
    let tokens = &analysed.analysis.tokens;
    assert_eq!(tokens.len(), 3);
    for record in tokens {
        assert_eq!(record.summary, TokenSummary::of(&record.decoded()));
    }
    assert!(tokens[0].summary.is_jwt);
    assert_eq!(tokens[0].summary.issuer.as_deref(), Some("auth.example"));
    assert_eq!(tokens[0].summary.issued_at, Some(unix(0.5)));
    assert!(!tokens[0].summary.grants_at_most_pull);
    assert!(tokens[1].summary.grants_at_most_pull);
    let jwt = tokens[0].decoded();
    let granted = &jwt.jwt().expect("a JWT").claims.access[0];
    assert_eq!(granted.actions, ["pull", "push"]);
    assert!(!tokens[2].summary.is_jwt);
    assert!(tokens[2].summary.grants_at_most_pull);
}

// hand-written fixture: the refusals of one token decode it once; another token is decoded anew.
#[test]
fn the_last_token_decoded_for_a_finding_is_kept_for_the_next() {
    use std::rc::Rc;
    let first = pull_token(0.1);
    let second = Jwt::new(SERVICE, unix(0.5), 300).access("team/app", &["pull", "push"]).mint();
    let analysed = Scenario::new()
        .get(&token_url("repository:team/app:pull"))
        .token_response(&first, 300)
        .get(&token_url("repository:team/app:pull,push"))
        .token_response(&second, 300)
        .analyze();
    let tokens = &analysed.analysis.tokens;
    let last = crate::analysis::tokens::LastDecoded::default();
    let decoded = last.get(0, &tokens[0]);
    assert!(Rc::ptr_eq(&decoded, &last.get(0, &tokens[0])));
    assert_eq!(*decoded, tokens[0].decoded());
    let other = last.get(1, &tokens[1]);
    assert_eq!(*other, tokens[1].decoded());
    assert_ne!(*other, *decoded);
    assert!(!Rc::ptr_eq(&decoded, &last.get(0, &tokens[0])));
}

/// A pull whose token answer is `answer` (`TOKEN` standing for a pull token), the token then
/// sent to the registry or not. Hand-written fixture; `samples/token-answer-string-lifetime.*`
/// is the recorded one (skopeo failing on a string `expires_in`).
fn pull_with_token_answer(answer: &str, token_used: bool) -> Scenario {
    let token = pull_token(0.2);
    let scenario = Scenario::new()
        .get(&format!("{REG}/v2/"))
        .answer(401)
        .www_authenticate(CHALLENGE)
        .get(&token_url("repository:team/app:pull"))
        .answer(200)
        .json(&answer.replace("TOKEN", &token));
    if token_used {
        scenario.get(&format!("{REG}/v2/team/app/manifests/1.0")).bearer(&token).answer(200)
    } else {
        scenario
    }
}

#[test]
fn a_token_answer_typed_clients_reject_is_reported_with_what_came_of_it() {
    // The client never sent the token: it failed on the answer, and that is the session's
    // failure at step 4 (not a session waiting for step 5).
    let never_used =
        pull_with_token_answer(r#"{"token":"TOKEN","expires_in":"300"}"#, false).analyze();
    let session = &never_used.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(session.failed_step, Some(Step::TokenResponse));
    assert_eq!(session.failed_exchange, Some(1));
    let finding = never_used.finding("malformed-token-response");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.step, Some(Step::TokenResponse));
    assert_eq!(finding.exchanges.as_slice(), [1]);
    assert!(finding.message.contains(r#"expires_in is a string ("300")"#), "{}", finding.message);
    assert!(finding.message.contains("never sent"), "{}", finding.message);
    assert_eq!(
        session.failed_finding.map(|at| never_used.analysis.findings[at].code),
        Some(Code::MalformedTokenResponse)
    );
    assert!(!never_used.has("capture-incomplete"), "{:#?}", never_used.analysis.findings);
    // An answer that is odd but decodes is no failure, even with its token unused.
    let decodable_unused =
        pull_with_token_answer(r#"{"token":"TOKEN","access_token":"x","expires_in":300}"#, false)
            .analyze();
    assert_ne!(decodable_unused.analysis.sessions[0].outcome, Outcome::Failure);
    assert_eq!(decodable_unused.finding("malformed-token-response").severity, Severity::Warning);

    let used = pull_with_token_answer(r#"{"token":"TOKEN","expires_in":"300"}"#, true).analyze();
    let message = &used.finding("malformed-token-response").message;
    assert!(message.contains("this client read it anyway"), "{message}");
    assert_eq!(used.analysis.outcome, Outcome::Success);

    let differing = pull_with_token_answer(
        r#"{"token":"TOKEN","access_token":"other","expires_in":300}"#,
        true,
    )
    .analyze();
    let message = &differing.finding("malformed-token-response").message;
    assert!(message.contains("token and access_token differ"), "{message}");
    assert!(!message.contains("reject"), "nothing a typed client rejects: {message}");

    let clean = pull_with_token_answer(r#"{"token":"TOKEN","expires_in":300}"#, true).analyze();
    assert!(!clean.has("malformed-token-response"), "{:#?}", clean.analysis.findings);
}
