//! Issue 8, items 1–4: the verdict holds on real clients as users configure them. Each test is
//! one member of a class the recorded samples show once (`samples/`, `issue8_behaviours`):
//! HTTPS-first probes of insecure registries, failures after re-authentication, Docker Engine
//! stream errors, and requests the client abandoned. All captures are hand-written fixtures
//! (see [`super::builder`]).

use base64::Engine as _;
use sha2::Digest as _;

use super::builder::{Analysed, Jwt, Scenario, unix};
use crate::analysis::{Code, Outcome, Severity, Step};
use crate::model::BodyData;

const SERVICE: &str = "reg.example";
const NOT_TLS: &str = "The remote server does not speak TLS.";

fn challenge(realm: &str, scope: &str) -> String {
    format!(r#"Bearer realm="{realm}",service="{SERVICE}",scope="{scope}""#)
}

fn token_url(realm: &str, scope: &str) -> String {
    format!("{realm}?service={SERVICE}&scope={scope}")
}

/// No error- or warning-level finding but those named.
fn assert_only_these_alarms(analysed: &Analysed, allowed: &[&str]) {
    let alarms: Vec<_> = analysed
        .analysis
        .findings
        .iter()
        .filter(|finding| finding.severity >= Severity::Warning)
        .filter(|finding| !allowed.contains(&finding.code.as_str()))
        .collect();
    assert!(alarms.is_empty(), "unexpected alarms: {alarms:#?}");
}

// Item 1: HTTPS-first probes.

// hand-written fixture: skopeo --tls-verify=false against a plain-HTTP token registry, with a
// wrong password; the probe's error is mitmproxy's.
#[test]
fn probe_then_fallback_is_no_failure_and_the_wrong_password_fails_at_step_4() {
    let realm = "http://auth.example:5011/token";
    let analysed = Scenario::new()
        .get("https://reg.example:5012/v2/")
        .header("User-Agent", "skopeo/1.9.3")
        .fails(NOT_TLS)
        .get("http://reg.example:5012/v2/")
        .header("User-Agent", "skopeo/1.9.3")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&token_url(realm, "repository:team/app:pull"))
        .header("User-Agent", "skopeo/1.9.3")
        .basic("reader", "typo")
        .answer(401)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    assert_eq!(
        (session.failed_step, session.failed_exchange),
        (Some(Step::TokenResponse), Some(2))
    );
    assert!(!analysed.has("connection-failed"), "{:#?}", analysed.analysis.findings);
    let fallback = analysed.finding("insecure-registry-fallback");
    assert_eq!((fallback.severity, fallback.exchanges.to_vec()), (Severity::Info, vec![0, 1]));
    assert_eq!(analysed.finding("bad-credentials").severity, Severity::Error);
    // The plain-HTTP credential finding says the registry is configured insecure.
    let plain = analysed.finding("credentials-over-plain-http");
    assert!(plain.message.contains("told to treat"), "{}", plain.message);
    assert_only_these_alarms(&analysed, &["bad-credentials", "credentials-over-plain-http"]);
}

/// A probe of `https://{authority}/v2/` failing with `error`, then the same client's plain-HTTP
/// `/v2/` answered 200 (a registry without auth).
fn probe_and_fallback(authority: &str, error: &str) -> Analysed {
    Scenario::new()
        .get(&format!("https://{authority}/v2/"))
        .fails(error)
        .get(&format!("http://{authority}/v2/"))
        .answer(200)
        .get(&format!("http://{authority}/v2/team/app/manifests/1.0"))
        .answer(200)
        .analyze()
}

#[test]
fn probes_failing_any_way_on_any_port_fall_back() {
    for (authority, error) in [
        // A reset during the handshake, on a non-default port (Node and Python spellings).
        ("reg.internal:8080", "read ECONNRESET"),
        ("reg.internal:8080", "[Errno 104] Connection reset by peer"),
        // Go's own message, on the default ports: https://host → http://host (443 → 80).
        ("reg.internal", "tls: first record does not look like a TLS handshake"),
        // A HAR entry with status 0 and no reason (the HAR reader's wording).
        ("reg.internal:5000", "no response (status 0)"),
        // OpenSSL.
        ("reg.internal:5000", "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"),
    ] {
        let analysed = probe_and_fallback(authority, error);
        assert_eq!(analysed.analysis.outcome, Outcome::Success, "{authority} {error}");
        assert!(!analysed.has("connection-failed"), "{error}: {:#?}", analysed.analysis.findings);
        let fallback = analysed.finding("insecure-registry-fallback");
        assert_eq!(fallback.exchanges.to_vec(), vec![0, 1], "{error}");
        assert!(fallback.message.contains(authority), "{}", fallback.message);
    }
}

// hand-written fixture: podman probes /v2/ and then /v1/_ping over HTTPS before falling back.
#[test]
fn probes_of_v2_and_v1_ping_both_fall_back_and_are_said_once() {
    let analysed = Scenario::new()
        .get("https://reg.example:5000/v2/")
        .fails(NOT_TLS)
        .get("https://reg.example:5000/v1/_ping")
        .fails(NOT_TLS)
        .get("http://reg.example:5000/v2/")
        .answer(200)
        .get("http://reg.example:5000/v2/team/app/manifests/1.0")
        .answer(200)
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    let fallback = analysed.finding("insecure-registry-fallback");
    assert_eq!(fallback.exchanges.to_vec(), vec![0, 1, 2]);
    assert!(fallback.message.contains("2 HTTPS attempt(s)"), "{}", fallback.message);
    assert_only_these_alarms(&analysed, &[]);
}

// hand-written fixture: podman without `insecure = true`: both probes fail, nothing follows.
#[test]
fn probes_without_fallback_stay_a_connection_failure_at_step_1() {
    let analysed = Scenario::new()
        .get("https://reg.example:5000/v2/")
        .fails(NOT_TLS)
        .get("https://reg.example:5000/v1/_ping")
        .fails(NOT_TLS)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (session.outcome, session.failed_step, session.failed_exchange),
        (Outcome::Failure, Some(Step::TryRegistry), Some(0))
    );
    let failed = analysed.finding("connection-failed");
    assert_eq!((failed.severity, failed.exchanges.to_vec()), (Severity::Error, vec![0, 1]));
    // The not-TLS explanation is said once, not per probe.
    assert_eq!(failed.message.matches("not with TLS").count(), 1, "{}", failed.message);
    assert!(!analysed.has("insecure-registry-fallback"));
}

/// A probe whose fallback is a plain-HTTP request that may not be the same client's.
fn probe_then_other_request(agents: (&str, &str), after_s: f64) -> Analysed {
    Scenario::new()
        .get("https://reg.example:5000/v2/")
        .header("User-Agent", agents.0)
        .fails(NOT_TLS)
        .at(after_s)
        .get("http://reg.example:5000/v2/")
        .header("User-Agent", agents.1)
        .answer(200)
        .analyze()
}

#[test]
fn only_the_same_client_soon_after_makes_a_fallback() {
    let docker = "docker/20.10.24 go/go1.19.8";
    let fell_back = probe_then_other_request((docker, docker), 0.1);
    assert!(fell_back.has("insecure-registry-fallback"));
    for (agents, after_s) in [((docker, "curl/8.5.0"), 0.1), ((docker, docker), 600.0)] {
        let analysed = probe_then_other_request(agents, after_s);
        assert!(!analysed.has("insecure-registry-fallback"), "{agents:?} {after_s}");
        assert_eq!(analysed.finding("connection-failed").severity, Severity::Error);
    }
}

/// An HTTPS request answered 502 by the recorder itself: Server names it, the page quotes the
/// TLS failure (how mitmproxy answers the client), then maybe a plain-HTTP retry.
fn recorder_502(then_fallback: bool) -> Analysed {
    let mut scenario = Scenario::new()
        .get("https://reg.example:5000/v2/")
        .answer(502)
        .header("Server", "mitmproxy 12.2.3")
        .header("Content-Type", "text/html")
        .json("<html><h1>502 Bad Gateway</h1><p>The remote server does not speak TLS.</p></html>");
    if then_fallback {
        scenario = scenario.get("http://reg.example:5000/v2/").answer(200);
    }
    scenario.analyze()
}

#[test]
fn a_recorders_502_on_the_https_leg_is_a_probe_or_a_connection_failure_never_a_registry_error() {
    let fell_back = recorder_502(true);
    assert_eq!(fell_back.analysis.outcome, Outcome::Success);
    assert_eq!(fell_back.finding("insecure-registry-fallback").exchanges.to_vec(), vec![0, 1]);
    assert_only_these_alarms(&fell_back, &[]);

    let stuck = recorder_502(false);
    let session = &stuck.analysis.sessions[0];
    assert_eq!((session.outcome, session.failed_step), (Outcome::Failure, Some(Step::TryRegistry)));
    let failed = stuck.finding("connection-failed");
    assert!(failed.message.contains("mitmproxy answered 502 itself"), "{}", failed.message);
    assert!(!stuck.has("registry-error"), "{:#?}", stuck.analysis.findings);
}

// Item 2: the outcome is what the client saw at the end.

/// python-dxf's push: a pull token, an upgrade after insufficient_scope, an upload whose PUT
/// reaches the registry after the token expired, a new token, and the same PUT again carrying
/// `retry_body`, answered `retry_status`.
fn push_retried_after_expiry(retry_body: &str, retry_status: u16) -> Scenario {
    let realm = "https://auth.example/token";
    let pull = Jwt::new(SERVICE, unix(0.0), 5).access("team/app", &["pull"]).mint();
    let push = Jwt::new(SERVICE, unix(0.3), 5).access("team/app", &["pull", "push"]).mint();
    let fresh = Jwt::new(SERVICE, unix(80.0), 5).access("team/app", &["pull", "push"]).mint();
    let blob = "https://reg.example/v2/team/app/blobs/sha256:aaaa";
    let upload = "https://reg.example/v2/team/app/blobs/uploads/u-1?_state=s&digest=sha256%3Aaaaa";
    let insufficient = format!(
        r#"{},error="insufficient_scope""#,
        challenge(realm, "repository:team/app:pull,push")
    );
    let invalid =
        format!(r#"{},error="invalid_token""#, challenge(realm, "repository:team/app:pull,push"));
    Scenario::new()
        .head(blob)
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&token_url(realm, "repository:team/app:pull"))
        .basic("writer", "pw")
        .token_response(&pull, 5)
        .head(blob)
        .bearer(&pull)
        .answer(404)
        .post("https://reg.example/v2/team/app/blobs/uploads/")
        .bearer(&pull)
        .answer(401)
        .www_authenticate(&insufficient)
        .get(&token_url(realm, "repository:team/app:pull,push"))
        .basic("writer", "pw")
        .token_response(&push, 5)
        .post("https://reg.example/v2/team/app/blobs/uploads/")
        .bearer(&push)
        .answer(202)
        // 6: the slow PUT arrives ~80 s later: expired beyond the leeway.
        .put(upload)
        .bearer(&push)
        .form("application/octet-stream", "the whole blob, 1920 bytes in the recording")
        .answer(401)
        .answered_at(80.0)
        .date("Fri, 15 Jan 2027 08:01:20 GMT")
        .www_authenticate(&invalid)
        .at(80.0)
        .get(&token_url(realm, "repository:team/app:push,pull"))
        .basic("writer", "pw")
        .token_response(&fresh, 5)
        // 8: the same PUT, with what is left of the body.
        .put(upload)
        .bearer(&fresh)
        .form("application/octet-stream", retry_body)
        .answer(retry_status)
        .json(r#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"#)
}

#[test]
fn a_retry_after_re_authentication_that_fails_is_the_sessions_failure() {
    let analysed = push_retried_after_expiry("", 400).analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Failure);
    // The first failure that stuck: the expired token's refusal, at step 6.
    assert_eq!(
        (session.failed_step, session.failed_exchange),
        (Some(Step::RegistryVerdict), Some(6))
    );
    assert_eq!(session.unrecovered_failures[..], [6, 8]);
    // The scope upgrade (#3) and the existence check (#2) stay non-failures.
    assert!(!session.unrecovered_failures.contains(&3));
    assert!(!analysed.has("insufficient-scope"), "{:#?}", analysed.analysis.findings);
    let error = analysed.finding("registry-error");
    assert_eq!((error.severity, error.exchanges.to_vec()), (Severity::Error, vec![6, 8]));
    assert!(error.message.contains("DIGEST_INVALID"), "{}", error.message);
    assert!(error.message.contains("new token at #7"), "{}", error.message);
    assert!(error.message.contains("carried 0 byte(s)"), "{}", error.message);
    // The auth cause stays linked, as an error: the operation outlived the token.
    let expired = analysed.finding("token-expired");
    assert_eq!((expired.severity, expired.exchanges.to_vec()), (Severity::Error, vec![4, 6]));
    assert_eq!(analysed.finding("token-outlived-by-operation").severity, Severity::Error);
    assert!(!expired.message.contains("recovered"), "{}", expired.message);
    let explained = session.failed_finding.map(|idx| analysed.analysis.findings[idx].code);
    assert_eq!(explained, Some(Code::TokenExpired));
}

#[test]
fn a_later_successful_upload_of_the_same_blob_recovers() {
    let fresh = Jwt::new(SERVICE, unix(80.0), 5).access("team/app", &["pull", "push"]).mint();
    let analysed = push_retried_after_expiry("", 400)
        // The client starts a new upload of the same blob and completes it.
        .post("https://reg.example/v2/team/app/blobs/uploads/")
        .bearer(&fresh)
        .answer(202)
        .put("https://reg.example/v2/team/app/blobs/uploads/u-2?_state=t&digest=sha256%3Aaaaa")
        .bearer(&fresh)
        .form("application/octet-stream", "the whole blob, 1920 bytes in the recording")
        .answer(201)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(session.outcome, Outcome::Success);
    assert!(session.unrecovered_failures.is_empty());
    assert_eq!(analysed.finding("registry-error").severity, Severity::Warning);
    assert_eq!(analysed.finding("token-expired").severity, Severity::Warning);
    analysed.assert_no_errors();
}

/// A token push session: challenge, a push token, then what `uploads` adds.
fn push_session() -> (Scenario, String) {
    let realm = "https://auth.example/token";
    let push = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull", "push"]).mint();
    let scenario = Scenario::new()
        .head("https://reg.example/v2/team/app/blobs/sha256:aaaa")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull,push"))
        .get(&token_url(realm, "repository:team/app:pull,push"))
        .basic("writer", "pw")
        .token_response(&push, 300);
    (scenario, push)
}

#[test]
fn another_blob_succeeding_does_not_recover_a_failed_one() {
    let (scenario, push) = push_session();
    let analysed = scenario
        .put("https://reg.example/v2/team/app/blobs/uploads/u-1?digest=sha256%3Aaaaa")
        .bearer(&push)
        .answer(500)
        .put("https://reg.example/v2/team/app/blobs/uploads/u-2?digest=sha256%3Abbbb")
        .bearer(&push)
        .answer(201)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (session.outcome, session.failed_step, session.failed_exchange),
        (Outcome::Failure, Some(Step::RegistryVerdict), Some(2))
    );
    assert_eq!(analysed.finding("registry-error").severity, Severity::Error);
}

// hand-written fixture: docker retries a layer after a server error with a new upload
// session; the refused PATCH never named its digest, the body it carried does.
#[test]
fn a_refused_upload_without_a_digest_is_recovered_by_a_new_upload_of_the_same_bytes() {
    let layer = "layer bytes, streamed whole in one PATCH";
    let digest = format!("sha256:{:x}", sha2::Sha256::digest(layer.as_bytes()));
    let (scenario, push) = push_session();
    let analysed = scenario
        .post("https://reg.example/v2/team/app/blobs/uploads/")
        .bearer(&push)
        .answer(202)
        .patch("https://reg.example/v2/team/app/blobs/uploads/u-1?_state=a")
        .bearer(&push)
        .form("application/octet-stream", layer)
        .answer(503)
        .post("https://reg.example/v2/team/app/blobs/uploads/")
        .bearer(&push)
        .answer(202)
        .patch("https://reg.example/v2/team/app/blobs/uploads/u-2?_state=b")
        .bearer(&push)
        .form("application/octet-stream", layer)
        .answer(202)
        .put(&format!("https://reg.example/v2/team/app/blobs/uploads/u-2?_state=c&digest={digest}"))
        .bearer(&push)
        .answer(201)
        .analyze();
    assert_eq!(analysed.analysis.sessions[0].outcome, Outcome::Success);
    assert_eq!(analysed.finding("registry-error").severity, Severity::Warning);
    analysed.assert_no_errors();
}

// hand-written fixture: a normal push: existence checks, a scope upgrade, a 202 that goes on.
#[test]
fn normal_push_steps_stay_non_failures() {
    let realm = "https://auth.example/token";
    let pull = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull"]).mint();
    let push = Jwt::new(SERVICE, unix(0.4), 300).access("team/app", &["pull", "push"]).mint();
    let analysed = Scenario::new()
        .head("https://reg.example/v2/team/app/blobs/sha256:aaaa")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&token_url(realm, "repository:team/app:pull"))
        .basic("writer", "pw")
        .token_response(&pull, 300)
        .head("https://reg.example/v2/team/app/blobs/sha256:aaaa")
        .bearer(&pull)
        .answer(404)
        .post("https://reg.example/v2/team/app/blobs/uploads/")
        .bearer(&pull)
        .answer(401)
        .www_authenticate(&format!(
            r#"{},error="insufficient_scope""#,
            challenge(realm, "repository:team/app:pull,push")
        ))
        .get(&token_url(realm, "repository:team/app:pull,push"))
        .basic("writer", "pw")
        .token_response(&push, 300)
        .post("https://reg.example/v2/team/app/blobs/uploads/")
        .bearer(&push)
        .answer(202)
        .patch("https://reg.example/v2/team/app/blobs/uploads/u-1?_state=a")
        .bearer(&push)
        .form("application/octet-stream", "layer")
        .answer(202)
        .put("https://reg.example/v2/team/app/blobs/uploads/u-1?_state=b&digest=sha256%3Aaaaa")
        .bearer(&push)
        .answer(201)
        .get("https://reg.example/v2/team/app/manifests/1.0")
        .bearer(&push)
        .answer(404)
        .put("https://reg.example/v2/team/app/manifests/1.0")
        .bearer(&push)
        .answer(201)
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!((session.outcome, session.failed_step), (Outcome::Success, None));
    assert!(analysed.analysis.findings.is_empty(), "{:#?}", analysed.analysis.findings);
}

// hand-written fixture: a client probing the OCI referrers API of a registry that lacks it
// (answers differ by registry), then falling back to the tag schema.
#[test]
fn a_referrers_api_probe_refused_by_the_registry_is_no_failure() {
    for status in [400, 404, 405, 406] {
        let (scenario, push) = push_session();
        let analysed = scenario
            .get("https://reg.example/v2/team/app/referrers/sha256:aaaa")
            .bearer(&push)
            .answer(status)
            .json(
                r#"{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}"#,
            )
            .get("https://reg.example/v2/team/app/manifests/sha256-aaaa")
            .bearer(&push)
            .answer(404)
            .put("https://reg.example/v2/team/app/manifests/sha256-aaaa")
            .bearer(&push)
            .answer(201)
            .analyze();
        assert_eq!(analysed.analysis.outcome, Outcome::Success, "{status}");
        assert!(
            analysed.analysis.findings.is_empty(),
            "{status}: {:#?}",
            analysed.analysis.findings
        );
    }
}

// Item 3: Docker Engine API streams.

fn engine_credentials() -> String {
    base64::engine::general_purpose::URL_SAFE
        .encode(r#"{"username":"bob","password":"pw","serveraddress":"reg.example"}"#)
}

/// A JSON-lines progress stream of `progress` lines, ending with `error` when given.
fn engine_stream(progress: usize, error: Option<&str>) -> String {
    let mut stream =
        String::from("{\"status\":\"The push refers to repository [reg.example/team/app]\"}\r\n");
    for line in 0..progress {
        stream.push_str(&format!(
            "{{\"status\":\"Pushing\",\"progressDetail\":{{\"current\":{line},\"total\":{progress}}},\"id\":\"3f53bb00af94\"}}\r\n"
        ));
    }
    if let Some(error) = error {
        stream.push_str(&format!(
            "{{\"errorDetail\":{{\"message\":\"{error}\"}},\"error\":\"{error}\"}}\r\n"
        ));
    }
    stream
}

fn engine_call(path: &str, stream: &str) -> Scenario {
    Scenario::new()
        .post(&format!("http://127.0.0.1:2375/v1.41/{path}"))
        .header("X-Registry-Auth", &engine_credentials())
        .answer(200)
        .json(stream)
}

// hand-written fixture: Docker Hub's pull limit, reported inside a 200 pull stream.
#[test]
fn an_engine_pull_stream_ending_in_toomanyrequests_is_rate_limited() {
    let error = "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit";
    let analysed = engine_call(
        "images/create?fromImage=reg.example%2Fteam%2Fapp&tag=1.0",
        &engine_stream(3, Some(error)),
    )
    .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Failure);
    assert_eq!(analysed.finding("rate-limited").severity, Severity::Error);
    assert!(!analysed.has("bad-credentials"), "{:#?}", analysed.analysis.findings);
}

#[test]
fn the_last_error_of_a_long_engine_stream_is_found_and_judged_by_its_words() {
    for (error, code) in [
        ("denied: requested access to the resource is denied", Code::InsufficientScope),
        ("unauthorized: authentication required", Code::TokenRejected),
        ("unauthorized: incorrect username or password", Code::BadCredentials),
        ("received unexpected HTTP status: 502 Bad Gateway", Code::RegistryError),
    ] {
        let analysed = engine_call(
            "images/reg.example/team/app/push?tag=1.0",
            &engine_stream(20_000, Some(error)),
        )
        .analyze();
        let session = &analysed.analysis.sessions[0];
        assert_eq!(
            (session.outcome, session.failed_step),
            (Outcome::Failure, Some(Step::RegistryVerdict)),
            "{error}"
        );
        let codes: Vec<Code> =
            analysed.analysis.findings.iter().map(|finding| finding.code).collect();
        assert!(codes.contains(&code), "{error}: {codes:?}");
        // An Engine refusal with working credentials is never bad credentials unless it says so.
        if code != Code::BadCredentials {
            assert!(!codes.contains(&Code::BadCredentials), "{error}: {codes:?}");
        }
    }
    let fine =
        engine_call("images/reg.example/team/app/push?tag=1.0", &engine_stream(20_000, None))
            .analyze();
    assert_eq!(fine.analysis.outcome, Outcome::Success);
}

/// A push whose progress stream is twice the decoding cap, as `send` delivers it: its last
/// error is still found, and a clean one is still a success, never "unread".
fn assert_long_engine_streams_are_judged_by_their_end(send: impl Fn(Scenario) -> Scenario) {
    let lines = 2 * crate::model::decode_limits::ENGINE_STREAM / 80;
    let error = "denied: requested access to the resource is denied";
    let stream = engine_stream(lines, Some(error));
    assert!(stream.len() > crate::model::decode_limits::ENGINE_STREAM);
    let analysed = send(engine_call("images/reg.example/team/app/push?tag=1.0", &stream)).analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (session.outcome, session.failed_step),
        (Outcome::Failure, Some(Step::RegistryVerdict))
    );
    assert!(analysed.has("insufficient-scope"), "{:#?}", analysed.analysis.findings);
    assert!(!analysed.has("capture-incomplete"), "{:#?}", analysed.analysis.findings);

    let clean = engine_stream(lines, None);
    let analysed = send(engine_call("images/reg.example/team/app/push?tag=1.0", &clean)).analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    assert!(!analysed.has("capture-incomplete"), "{:#?}", analysed.analysis.findings);
}

// hand-written fixture: a big push's progress stream, unencoded as dockerd sends it, longer
// than the decoding cap for encoded streams: searched whole from its end.
#[test]
fn an_unencoded_engine_stream_over_the_decoding_cap_is_read_to_its_end() {
    assert_long_engine_streams_are_judged_by_their_end(|scenario| scenario);
}

// hand-written fixture: the same long stream gzipped (by a proxy in front of the daemon):
// it is decompressed through and judged by its end, not reported unread.
#[test]
fn an_encoded_engine_stream_over_the_decoding_cap_is_judged_by_its_end() {
    assert_long_engine_streams_are_judged_by_their_end(Scenario::gzipped);
}

// hand-written fixture: a gzipped stream cut short by the recorder cannot be read to its end:
// the push has no verdict, and a warning says why.
#[test]
fn a_broken_encoded_engine_stream_is_reported_unread() {
    let mut scenario = engine_call(
        "images/reg.example/team/app/push?tag=1.0",
        &engine_stream(2 * crate::model::decode_limits::ENGINE_STREAM / 80, None),
    )
    .gzipped();
    let body = &mut scenario.last().response.as_mut().expect("answered").body;
    let BodyData::Raw(gz) = &body.data else { panic!("gzipped() stores raw bytes") };
    body.data = BodyData::Raw(gz.slice(..gz.len() * 3 / 4));
    let analysed = scenario.analyze();
    assert_ne!(analysed.analysis.outcome, Outcome::Success);
    assert!(
        analysed.analysis.findings.iter().any(|finding| finding.code == Code::CaptureIncomplete
            && finding.message.contains("The Docker daemon answered")
            && finding.message.contains("cannot undo content-encoding gzip")),
        "{:#?}",
        analysed.analysis.findings
    );
}

// hand-written fixture: dockerd pushes as a reader: both legs recorded, the registry refuses the
// manifest with insufficient_scope while the daemon works on the push.
#[test]
fn a_denied_engine_push_takes_its_cause_from_the_daemons_registry_leg() {
    let realm = "https://auth.example/token";
    let pull_only = Jwt::new(SERVICE, unix(0.2), 300).access("team/app", &["pull"]).mint();
    let analysed = engine_call(
        "images/reg.example/team/app/push?tag=2.0",
        &engine_stream(2, Some("denied: requested access to the resource is denied")),
    )
    .answered_at(5.0)
    .get("https://reg.example/v2/")
    .answer(401)
    .www_authenticate(&format!(r#"Bearer realm="{realm}",service="{SERVICE}""#))
    .get(&token_url(realm, "repository:team/app:push,pull"))
    .basic("reader", "pw")
    .token_response(&pull_only, 300)
    .head("https://reg.example/v2/team/app/blobs/sha256:aaaa")
    .bearer(&pull_only)
    .answer(200)
    .put("https://reg.example/v2/team/app/manifests/2.0")
    .bearer(&pull_only)
    .answer(401)
    .www_authenticate(&format!(
        r#"{},error="insufficient_scope""#,
        challenge(realm, "repository:team/app:pull,push")
    ))
    .analyze();
    assert_eq!(analysed.analysis.sessions.len(), 1, "{:#?}", analysed.analysis.sessions);
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (session.outcome, session.failed_step, session.failed_exchange),
        (Outcome::Failure, Some(Step::RegistryVerdict), Some(4))
    );
    let scope = analysed.finding("insufficient-scope");
    assert_eq!((scope.severity, scope.exchanges.to_vec()), (Severity::Error, vec![0, 4]));
    assert!(
        scope.message.contains("requested access to the resource is denied"),
        "{}",
        scope.message
    );
    assert_only_these_alarms(&analysed, &["insufficient-scope", "credentials-over-plain-http"]);
}

#[test]
fn a_failed_engine_push_is_recovered_only_by_the_same_push_succeeding() {
    let denied = engine_stream(1, Some("denied: requested access to the resource is denied"));
    let push = "images/reg.example/team/app/push?tag=1.0";
    let pulled_after = engine_call(push, &denied)
        .post(
            "http://127.0.0.1:2375/v1.41/images/create?fromImage=reg.example%2Fteam%2Fapp&tag=1.0",
        )
        .header("X-Registry-Auth", &engine_credentials())
        .answer(200)
        .json("{\"status\":\"Pulling from team/app\"}\r\n")
        .analyze();
    assert_eq!(pulled_after.analysis.outcome, Outcome::Failure);
    assert_eq!(pulled_after.finding("insufficient-scope").severity, Severity::Error);

    let pushed_after = engine_call(push, &denied)
        .post(&format!("http://127.0.0.1:2375/v1.41/{push}"))
        .header("X-Registry-Auth", &engine_credentials())
        .answer(200)
        .json(&engine_stream(1, None))
        .analyze();
    assert_eq!(pushed_after.analysis.outcome, Outcome::Success);
    assert_eq!(pushed_after.finding("insufficient-scope").severity, Severity::Warning);
}

// Item 4: abandoned requests.

/// A push whose auth went fine and whose upload got `error` instead of an answer.
fn push_cut(error: &str) -> Analysed {
    let (scenario, push) = push_session();
    scenario
        .head("https://reg.example/v2/team/app/blobs/sha256:aaaa")
        .bearer(&push)
        .answer(404)
        .post("https://reg.example/v2/team/app/blobs/uploads/")
        .bearer(&push)
        .answer(202)
        .patch("https://reg.example/v2/team/app/blobs/uploads/u-1?_state=a")
        .bearer(&push)
        .form("application/octet-stream", "layer")
        .fails(error)
        .analyze()
}

#[test]
fn a_client_killed_mid_push_with_auth_fine_is_incomplete_not_a_connection_failure() {
    for error in [
        // mitmproxy 8-12, HTTP/1; HTTP/2; HTTP/3.
        "Client disconnected.",
        "stream reset by client (CANCEL)",
        "stream closed by client (H3_REQUEST_CANCELLED)",
        // Chromium's and Firefox's HAR, Playwright's `_failureText`.
        "net::ERR_ABORTED",
        "NS_BINDING_ABORTED",
    ] {
        let analysed = push_cut(error);
        let session = &analysed.analysis.sessions[0];
        assert_eq!((session.outcome, session.failed_step), (Outcome::Incomplete, None), "{error}");
        assert_eq!(analysed.analysis.outcome, Outcome::Incomplete, "{error}");
        let abandoned = analysed.finding("request-abandoned");
        assert_eq!((abandoned.severity, abandoned.exchanges.to_vec()), (Severity::Info, vec![4]));
        assert!(abandoned.message.contains("PATCH"), "{}", abandoned.message);
        assert!(!analysed.has("connection-failed"), "{error}");
        assert_only_these_alarms(&analysed, &[]);
    }
}

#[test]
fn a_server_that_stops_answering_is_still_a_connection_failure() {
    for error in [
        "Connection reset by peer",
        "net/http: request canceled (Client.Timeout exceeded while awaiting headers)",
        "Server disconnected.",
    ] {
        let analysed = push_cut(error);
        let session = &analysed.analysis.sessions[0];
        assert_eq!(
            (session.outcome, session.failed_step),
            (Outcome::Failure, Some(Step::AuthorizedRetry)),
            "{error}"
        );
        assert_eq!(analysed.finding("connection-failed").severity, Severity::Error, "{error}");
        assert!(!analysed.has("request-abandoned"), "{error}");
    }
}

// hand-written fixture: containerd gives up after a second invalid_token refusal and cancels
// the uploads still in flight.
#[test]
fn uploads_cancelled_after_the_failure_do_not_hide_it() {
    let realm = "https://auth.example/token";
    let (scenario, push) = push_session();
    let invalid =
        format!(r#"{},error="invalid_token""#, challenge(realm, "repository:team/app:pull,push"));
    let analysed = scenario
        .put("https://reg.example/v2/team/app/blobs/uploads/u-1?digest=sha256%3Aaaaa")
        .bearer(&push)
        .answer(401)
        .www_authenticate(&invalid)
        .put("https://reg.example/v2/team/app/blobs/uploads/u-1?digest=sha256%3Aaaaa")
        .bearer(&push)
        .answer(401)
        .www_authenticate(&invalid)
        .put("https://reg.example/v2/team/app/blobs/uploads/u-2?digest=sha256%3Abbbb")
        .bearer(&push)
        .fails("Client disconnected.")
        .analyze();
    let session = &analysed.analysis.sessions[0];
    assert_eq!(
        (session.outcome, session.failed_step, session.failed_exchange),
        (Outcome::Failure, Some(Step::RegistryVerdict), Some(2))
    );
    let abandoned = analysed.finding("request-abandoned");
    assert_eq!((abandoned.severity, abandoned.exchanges.to_vec()), (Severity::Info, vec![4]));
    assert!(!analysed.has("connection-failed"), "{:#?}", analysed.analysis.findings);
}

// hand-written fixture: a browser aborts a blob download (navigation) and fetches it again.
#[test]
fn an_aborted_browser_request_fetched_again_leaves_a_success() {
    let realm = "https://auth.example/token";
    let token = Jwt::new(SERVICE, unix(0.1), 300).access("team/app", &["pull"]).mint();
    let blob = "https://reg.example/v2/team/app/blobs/sha256:aaaa";
    let analysed = Scenario::new()
        .get("https://reg.example/v2/team/app/manifests/1.0")
        .answer(401)
        .www_authenticate(&challenge(realm, "repository:team/app:pull"))
        .get(&token_url(realm, "repository:team/app:pull"))
        .basic("alice", "pw")
        .token_response(&token, 300)
        .get(blob)
        .bearer(&token)
        .fails("net::ERR_ABORTED")
        .get(blob)
        .bearer(&token)
        .answer(200)
        .analyze();
    assert_eq!(analysed.analysis.outcome, Outcome::Success);
    assert_eq!(analysed.finding("request-abandoned").severity, Severity::Info);
    assert_only_these_alarms(&analysed, &[]);
}
