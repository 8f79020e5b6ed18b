//! Learn mode's words: the six steps in plain language (what the client sends, what the server
//! answers, what can go wrong here and which finding says so), plus what the loaded session
//! did at that step. Works for any capture: the general part is fixed by the protocol, the
//! "in this capture" part comes from the session's arrows.

use crate::view_model::{ArrowStatus, SessionModel};

pub struct Lesson {
    pub step: u8,
    pub title: &'static str,
    pub client_sends: &'static str,
    pub server_answers: &'static str,
    /// (finding code, when it shows up at this step).
    pub can_go_wrong: &'static [(&'static str, &'static str)],
    /// What this session did at this step.
    pub in_this_capture: String,
    /// The exchange to open for this step, if the capture has one.
    pub exchange: Option<usize>,
}

struct StepText {
    title: &'static str,
    client_sends: &'static str,
    server_answers: &'static str,
    can_go_wrong: &'static [(&'static str, &'static str)],
}

const STEPS: [StepText; 6] = [
    StepText {
        title: "The client tries the registry",
        client_sends: "A registry API request without credentials: often `GET /v2/` first (\"do you need auth?\"), then the real call, e.g. `GET /v2/<name>/manifests/<tag>` for a pull or `POST /v2/<name>/blobs/uploads/` for a push.",
        server_answers: "A registry that needs authentication answers 401 (step 2). A public registry, or one without auth, serves right away.",
        can_go_wrong: &[
            (
                "connection-failed",
                "the host name, port, proxy or firewall is wrong: no HTTP answer at all",
            ),
            (
                "tls-untrusted-certificate",
                "the client does not trust the registry's certificate (a private CA)",
            ),
            ("tls-certificate-expired", "the registry's certificate is out of date"),
            ("rate-limited", "the registry refuses with 429 before any authentication"),
        ],
    },
    StepText {
        title: "The registry challenges: 401 + WWW-Authenticate",
        client_sends: "Nothing new: this is the registry's answer to step 1.",
        server_answers: "`401 Unauthorized` with `WWW-Authenticate: Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:team/app:pull\"`: where to get a token (realm), for which service, and what access the request needs (scope). A `Basic realm=...` challenge means the registry wants a user name and password directly (no token service: steps 3 and 4 are skipped).",
        can_go_wrong: &[(
            "malformed-challenge",
            "the 401 has no usable WWW-Authenticate (missing, unparseable, no realm), so the client cannot know where to get a token",
        )],
    },
    StepText {
        title: "The client asks the token service",
        client_sends: "`GET <realm>?service=...&scope=...` with `Authorization: Basic` (a logged-in user) or nothing (anonymous); or an OAuth2 `POST <realm>` with a form (`grant_type=password` or `refresh_token`). The scope it asks for is usually the one from the challenge.",
        server_answers: "The token service's answer is step 4.",
        can_go_wrong: &[
            (
                "scope-mismatch",
                "the client asks for a different repository or fewer actions than the challenge named",
            ),
            (
                "secret-in-url",
                "a password or token travels in the query string, where logs keep it",
            ),
            ("credentials-over-plain-http", "the password is sent over plain HTTP"),
        ],
    },
    StepText {
        title: "The token service answers",
        client_sends: "Nothing new: this is the token service's answer to step 3.",
        server_answers: "`200` with JSON: `token` (often a JWT whose claims say who it is for, which access it grants and when it is valid), `expires_in` (seconds, 60 when absent) and `issued_at`. `401` here means the credentials were wrong.",
        can_go_wrong: &[
            ("bad-credentials", "the user name or password (or access token) was refused"),
            ("token-service-error", "a server error, a bad request, or a 200 without a token"),
            (
                "malformed-token-response",
                "a token whose answer has fields of the wrong type (`expires_in` as a string): Go clients reject it and never send the token",
            ),
            (
                "clock-skew",
                "the token service's clock (its `iat`) disagrees with the capture's and the registry's",
            ),
        ],
    },
    StepText {
        title: "The client retries with credentials",
        client_sends: "The original request again, now with `Authorization: Bearer <token>` (or `Authorization: Basic` for a Basic-auth registry). Clients cache the token and reuse it for `expires_in` seconds.",
        server_answers: "The registry's verdict is step 6.",
        can_go_wrong: &[
            ("token-for-other-host", "a token obtained for one registry is sent to another"),
            (
                "auth-forwarded-on-redirect",
                "the Authorization header follows a redirect to another host (blob storage)",
            ),
            ("credentials-over-plain-http", "the token or password crosses the wire unencrypted"),
        ],
    },
    StepText {
        title: "The registry checks and serves",
        client_sends: "Nothing new: this is the registry's answer to step 5.",
        server_answers: "The registry checks the token's signature, issuer, audience (`aud` = its service), validity (`nbf`/`exp`, with 60 s of leeway, against its own clock) and the `access` claim. Then it serves (`200`, `201`, `202`, `307` to blob storage) or refuses (`401` with `error=\"invalid_token\"` or `\"insufficient_scope\"`, `403`, or an error body such as DENIED).",
        can_go_wrong: &[
            (
                "token-expired",
                "the token's `exp` has passed by the registry's clock (slow push, or clocks apart)",
            ),
            (
                "token-not-yet-valid",
                "the token's `nbf` lies in the registry's future: the token service's clock runs ahead",
            ),
            (
                "token-outlived-by-operation",
                "the pull or push took longer than the token's lifetime",
            ),
            ("insufficient-scope", "the token lacks the action needed (e.g. `push`)"),
            (
                "anonymous-denied",
                "an anonymous client was refused: the repository is private (or does not exist)",
            ),
            ("audience-mismatch", "the token was issued for another service"),
            (
                "token-rejected",
                "refused for a reason the capture does not show (signing certificate, issuer)",
            ),
            (
                "registry-error",
                "an error that is not about authentication (unknown repository or tag, server error)",
            ),
        ],
    },
];

/// The lesson for `step` (1 to 6) of `session`.
pub fn lesson(step: u8, session: &SessionModel) -> Lesson {
    let step = step.clamp(1, 6);
    let text = &STEPS[usize::from(step - 1)];
    let arrow = session.arrows.iter().find(|arrow| arrow.step == step);
    let in_this_capture = match arrow {
        None => "This session has no record of this step.".to_owned(),
        Some(arrow) => {
            let seen = arrow.detail.as_deref().unwrap_or("no exchange");
            match arrow.status {
                ArrowStatus::Failed => match &arrow.finding {
                    Some(finding) => format!("This is where the session failed ({seen}). regauth's finding `{}`: {}", finding.code.as_str(), finding.message),
                    None => format!("This is where the session failed ({seen})."),
                },
                ArrowStatus::Done if arrow.notes.is_empty() => format!("Done as expected: {seen}."),
                ArrowStatus::Done => format!(
                    "Done ({seen}), with a note: {}.",
                    arrow.notes.iter().map(|code| code.as_str()).collect::<Vec<_>>().join(", ")
                ),
                ArrowStatus::Skipped => format!("Not part of this session's auth scheme ({}).", session.scheme.as_str()),
                ArrowStatus::NotReached => "Not reached: the session failed or the capture ended before this step.".to_owned(),
                ArrowStatus::NotSeen => "Not seen in the capture, although later steps were (the client may have sent credentials up front, or reused a cached token).".to_owned(),
            }
        }
    };
    Lesson {
        step,
        title: text.title,
        client_sends: text.client_sends,
        server_answers: text.server_answers,
        can_go_wrong: text.can_go_wrong,
        in_this_capture,
        exchange: arrow.and_then(|arrow| arrow.first_exchange),
    }
}

/// The step learn mode opens on: the failing step, else step 1.
pub fn first_step(session: &SessionModel) -> u8 {
    session
        .arrows
        .iter()
        .find(|arrow| arrow.status == ArrowStatus::Failed)
        .map_or(1, |arrow| arrow.step)
}

#[cfg(test)]
mod tests {
    use regauth_core::analysis::Code;

    use super::*;
    use crate::view_model::tests::analysed_sample;

    #[test]
    fn every_code_named_in_a_lesson_is_a_real_finding_code() {
        for text in &STEPS {
            for (code, _) in text.can_go_wrong {
                assert!(Code::parse(code).is_some(), "{code} is not a regauth finding code");
            }
        }
    }

    #[test]
    fn the_lesson_of_the_failing_step_quotes_the_session_s_finding() {
        let analysed = analysed_sample("clock-ahead.flow");
        let detail = analysed.session(analysed.overview().first_failed.unwrap()).unwrap();
        let session = &detail.session;
        assert_eq!(first_step(session), 6);
        let at_six = lesson(6, session);
        assert!(
            at_six.in_this_capture.starts_with("This is where the session failed"),
            "{}",
            at_six.in_this_capture
        );
        assert!(at_six.in_this_capture.contains("token-not-yet-valid"));
        assert!(at_six.can_go_wrong.iter().any(|(code, _)| *code == "token-not-yet-valid"));
        assert!(at_six.exchange.is_some());
        assert!(lesson(1, session).in_this_capture.starts_with("Done as expected"));
    }

    #[test]
    fn basic_auth_sessions_skip_the_token_steps_in_words_too() {
        let session = analysed_sample("basic-plain-http.har").session(0).unwrap().session;
        let at_three = lesson(3, &session);
        assert!(
            at_three.in_this_capture.starts_with("Not part of this session's auth scheme"),
            "{}",
            at_three.in_this_capture
        );
        assert_eq!(first_step(&session), 1);
    }
}
