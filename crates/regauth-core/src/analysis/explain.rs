//! Explanations: the findings that say, in plain words, why each failing answer of a session
//! failed (one function per [`FailCause`]). Invalid-token refusals need the clocks and are
//! explained in [`super::refusals`]; capture-wide checks live in [`super::checks`].

use std::collections::HashMap;

use super::classify::{Classified, Role};
use super::findings::{Code, Finding, Severity};
use super::machine::is_final_failure;
use super::session::Built;
use super::verdict::{FailCause, Verdict};
use super::{Outcome, Session, Step, TokenRecord};
use crate::capture::Capture;
use crate::model::Exchange;
use crate::protocol::{
    Authorization, Credential, Scope, TokenRequest, parse_authorization, parse_challenges,
    rate_limit,
};

/// The findings of one session: one per failing answer, plus `capture-incomplete` when the
/// session ends without a verdict.
pub fn session_findings(
    capture: &Capture,
    classified: &Classified,
    session_idx: usize,
    session: &Session,
    built: &Built,
) -> Vec<Finding> {
    let context = SessionContext {
        capture,
        classified,
        built,
        session_idx,
        where_: session_label(session),
        plain_http_answers: last_plain_http_answers(capture, session),
    };
    let mut findings = Vec::new();
    for &idx in &session.exchanges {
        let Some(Verdict::Fail { step, cause }) = built.verdicts.get(&idx) else { continue };
        let failure = Failure::new(&context, session, idx, *step);
        findings.extend(context.explain(&failure, cause));
    }
    if session.outcome == Outcome::Incomplete {
        findings.push(incomplete_session(session_idx, session, &context.where_));
    }
    findings
}

/// `registry/repository`, or the registry alone: how finding messages name a session.
pub fn session_label(session: &Session) -> String {
    match &session.repository {
        Some(repository) => format!("{}/{repository}", session.registry),
        None => session.registry.clone(),
    }
}

struct SessionContext<'a> {
    capture: &'a Capture,
    classified: &'a Classified,
    built: &'a Built,
    session_idx: usize,
    where_: String,
    plain_http_answers: HashMap<(String, u16), usize>,
}

/// One failing answer of a session.
struct Failure<'a> {
    idx: usize,
    exchange: &'a Exchange,
    step: Step,
    /// Whether it is in the session's final failing run (else the client recovered).
    final_failure: bool,
    severity: Severity,
    status: Option<u16>,
    /// Appended to messages of failures the client recovered from.
    recovered: &'static str,
}

impl<'a> Failure<'a> {
    fn new(context: &SessionContext<'a>, session: &Session, idx: usize, step: Step) -> Failure<'a> {
        let final_failure = is_final_failure(session, idx);
        let exchange = &context.capture.exchanges[idx];
        Failure {
            idx,
            exchange,
            step,
            final_failure,
            severity: if final_failure { Severity::Error } else { Severity::Warning },
            status: exchange.response.as_ref().map(|response| response.status),
            recovered: if final_failure {
                ""
            } else {
                " The client recovered later in the session."
            },
        }
    }

    /// `METHOD /path`.
    fn request_line(&self) -> String {
        format!("{} {}", self.exchange.request.method, self.exchange.request.path_only())
    }
}

impl SessionContext<'_> {
    fn finding(
        &self,
        failure: &Failure<'_>,
        code: Code,
        severity: Severity,
        message: String,
    ) -> Finding {
        Finding {
            code,
            severity,
            session: Some(self.session_idx),
            step: Some(failure.step),
            exchanges: vec![failure.idx],
            message,
        }
    }

    fn explain(&self, failure: &Failure<'_>, cause: &FailCause) -> Vec<Finding> {
        match cause {
            FailCause::Connection { error } => vec![self.connection(failure, error)],
            FailCause::TokenDenied { anonymous, status } => {
                vec![self.token_denied(failure, *anonymous, *status)]
            }
            FailCause::TokenServiceError { status, oauth_post } => {
                self.token_service_error(failure, *status, *oauth_post).into_iter().collect()
            }
            FailCause::TokenResponseTooLarge { status, limit } => {
                vec![self.token_response_too_large(failure, *status, *limit)]
            }
            FailCause::NoChallenge { status } => vec![self.no_challenge(failure, *status)],
            FailCause::Forbidden => vec![self.forbidden(failure)],
            FailCause::InsufficientScope { token } => {
                self.insufficient_scope(failure, *token).into_iter().collect()
            }
            // Explained with the clocks, in refusals.rs.
            FailCause::InvalidToken { .. } => Vec::new(),
            FailCause::EngineRefused { message, with_credentials } => {
                vec![self.engine_refused(failure, message, *with_credentials)]
            }
            FailCause::BasicDenied => vec![self.basic_denied(failure)],
            FailCause::RateLimited { status } => vec![self.rate_limited(failure, *status)],
            FailCause::ServerError { status } => vec![self.server_error(failure, *status)],
        }
    }

    /// No HTTP answer: a TLS certificate problem, an HTTPS probe the client fell back from,
    /// or an unreachable server.
    fn connection(&self, failure: &Failure<'_>, error: &str) -> Finding {
        let Failure { exchange, severity, recovered, .. } = *failure;
        let where_ = &self.where_;
        let error_text = error.trim_end_matches('.');
        if is_certificate_error(error) {
            let expired = is_expired_certificate_error(error);
            return self.finding(
                failure,
                if expired { Code::TlsCertificateExpired } else { Code::TlsUntrustedCertificate },
                severity,
                format!(
                    "{where_}: the TLS handshake with {} failed: {error_text}.{}{recovered}",
                    exchange.request.authority(),
                    if expired { "" } else { recorder_note(self.capture, exchange) }
                ),
            );
        }
        if !failure.final_failure && self.fell_back_to_http(failure.idx) {
            return self.finding(
                failure,
                Code::ConnectionFailed,
                Severity::Info,
                format!(
                    "{where_}: {} {} got no answer: {error_text}. The client then reached the registry over plain HTTP: it tries HTTPS first and falls back (skopeo/podman with --tls-verify=false, docker's insecure-registries). Not a failure in itself.",
                    exchange.request.method,
                    exchange.request.url()
                ),
            );
        }
        self.finding(
            failure,
            Code::ConnectionFailed,
            severity,
            format!(
                "{where_}: {} {} got no answer: {error_text}.{recovered}",
                exchange.request.method,
                exchange.request.url()
            ),
        )
    }

    /// Whether the failed exchange `idx` was an HTTPS attempt that the session followed with
    /// an answered plain-HTTP request to the same host and port.
    fn fell_back_to_http(&self, idx: usize) -> bool {
        let failed = &self.capture.exchanges[idx].request;
        failed.scheme.eq_ignore_ascii_case("https")
            && self
                .plain_http_answers
                .get(&(failed.host.to_ascii_lowercase(), failed.port))
                .is_some_and(|&later| later > idx)
    }

    /// The token service refused the request: anonymous, or the credentials.
    fn token_denied(&self, failure: &Failure<'_>, anonymous: bool, status: u16) -> Finding {
        let (where_, recovered) = (&self.where_, failure.recovered);
        if anonymous {
            return self.finding(
                failure,
                Code::AnonymousDenied,
                failure.severity,
                format!("{where_}: the token service refused an anonymous token request with {status}.{recovered}"),
            );
        }
        // The request was parsed when it was classified; no need to read it again.
        let who = match &self.classified.roles[failure.idx] {
            Role::Token { request } => request
                .credential
                .username()
                .map(|user| format!(" of `{user}`"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        self.finding(
            failure,
            Code::BadCredentials,
            failure.severity,
            format!(
                "{where_}: the token service {} answered {status} to the credentials{who}: the password (or token) was refused.{recovered}",
                failure.exchange.request.authority()
            ),
        )
    }

    /// No token in the answer. containerd's OAuth2 POST that falls back to GET is normal when
    /// the GET then works, so it is only noted when it was the end.
    fn token_service_error(
        &self,
        failure: &Failure<'_>,
        status: u16,
        oauth_post: bool,
    ) -> Option<Finding> {
        let fallback = oauth_post && matches!(status, 400 | 404 | 405);
        if !failure.final_failure && fallback {
            return None;
        }
        Some(self.finding(
            failure,
            Code::TokenServiceError,
            if failure.final_failure { Severity::Error } else { Severity::Info },
            format!(
                "{}: the token service answered {status} without a token.{}",
                self.where_, failure.recovered
            ),
        ))
    }

    fn token_response_too_large(
        &self,
        failure: &Failure<'_>,
        status: u16,
        limit: usize,
    ) -> Finding {
        self.finding(
            failure,
            Code::TokenServiceError,
            if failure.final_failure { Severity::Error } else { Severity::Info },
            format!(
                "{}: the token service answered {status} with a body over {} ({limit} bytes), more than regauth reads of a token response, so it was not analysed: whether it carried a token is unknown. Token responses are a few KiB; one this large is refused by careful clients too.{}",
                self.where_,
                crate::units::human_bytes(limit as u64),
                failure.recovered
            ),
        )
    }

    fn no_challenge(&self, failure: &Failure<'_>, status: u16) -> Finding {
        self.finding(
            failure,
            Code::MalformedChallenge,
            failure.severity,
            format!(
                "{}: the registry answered {status} without a usable WWW-Authenticate challenge, so the client cannot know where to get a token.",
                self.where_
            ),
        )
    }

    fn forbidden(&self, failure: &Failure<'_>) -> Finding {
        self.finding(
            failure,
            Code::AnonymousDenied,
            failure.severity,
            format!(
                "{}: the registry answered 403 to a request without credentials.{}",
                self.where_, failure.recovered
            ),
        )
    }

    /// The token (or account) lacks the action: an anonymous client, a client that never asked
    /// for what the registry needs (`scope-mismatch`), or an account without the right. A
    /// refusal the client then recovered from is a scope upgrade: normal, no finding.
    fn insufficient_scope(&self, failure: &Failure<'_>, token: Option<usize>) -> Option<Finding> {
        if !failure.final_failure {
            return None;
        }
        let record = token.and_then(|token_idx| self.built.tokens.get(token_idx));
        let exchange = failure.exchange;
        let needed = action_needed(exchange);
        let where_ = &self.where_;
        if record.is_some_and(|record| record.request.credential == Credential::Anonymous) {
            return Some(self.finding(
                failure,
                Code::AnonymousDenied,
                failure.severity,
                format!(
                    "{where_}: the client had only an anonymous token and the registry refused {} ({needed} needed, status {}).{}",
                    failure.request_line(),
                    failure.status.unwrap_or(0),
                    asked_and_granted(record)
                ),
            ));
        }
        if let Some(record) = record {
            let unrequested = unrequested_scopes(exchange, &record.request);
            if !unrequested.is_empty() {
                return Some(self.scope_mismatch(failure, record, &unrequested));
            }
        }
        let message = match basic_user(exchange) {
            Some(basic) => format!(
                "{where_}: the registry refused {} to `{basic}` with {}: the account lacks `{needed}` on this repository.",
                failure.request_line(),
                failure.status.unwrap_or(0)
            ),
            None => format!(
                "{where_}: the registry refused {} with insufficient_scope: the token{} lacks `{needed}`.{}",
                failure.request_line(),
                record
                    .and_then(|record| record.request.credential.username())
                    .map(|user| format!(" of `{user}`"))
                    .unwrap_or_default(),
                asked_and_granted(record)
            ),
        };
        Some(self.finding(failure, Code::InsufficientScope, failure.severity, message))
    }

    /// The client never asked for what the registry needs: no account right would have helped.
    fn scope_mismatch(
        &self,
        failure: &Failure<'_>,
        record: &TokenRecord,
        unrequested: &[Scope],
    ) -> Finding {
        let mut evidence = vec![record.issued_by, failure.idx];
        evidence.sort_unstable();
        Finding {
            code: Code::ScopeMismatch,
            severity: failure.severity,
            session: Some(self.session_idx),
            step: Some(Step::TokenRequest),
            exchanges: evidence,
            message: format!(
                "{}: the registry refused {} with insufficient_scope and needs `{}`, but the client asked the token service (exchange #{}) only for `{}`.",
                self.where_,
                failure.request_line(),
                join_scopes(unrequested),
                record.issued_by,
                join_scopes(&record.request.scopes),
            ),
        }
    }

    /// The Docker daemon relayed a refusal; its message says which kind.
    fn engine_refused(
        &self,
        failure: &Failure<'_>,
        message: &str,
        with_credentials: bool,
    ) -> Finding {
        self.finding(
            failure,
            engine_refusal_code(message, with_credentials),
            failure.severity,
            format!(
                "{}: the Docker daemon answered {} with {}: \"{message}\" (the daemon relays what the registry or token service said{}).{}",
                self.where_,
                failure.request_line(),
                failure.status.map_or_else(|| "no status".to_owned(), |status| status.to_string()),
                if with_credentials { "" } else { "; the client sent no credentials to the daemon" },
                failure.recovered
            ),
        )
    }

    /// A Basic-auth registry refused the credentials, or (ECR) said they expired.
    fn basic_denied(&self, failure: &Failure<'_>) -> Finding {
        let exchange = failure.exchange;
        let body = exchange
            .response
            .as_ref()
            .and_then(|response| response.body.text(1 << 16).ok())
            .unwrap_or_default();
        let of_user = basic_user(exchange).map(|user| format!(" of `{user}`")).unwrap_or_default();
        let (where_, status, recovered) =
            (&self.where_, failure.status.unwrap_or(0), failure.recovered);
        if body.to_ascii_lowercase().contains("expired") {
            // ECR: the Basic password is a 12-hour token; expiry is a 403 with this text.
            return self.finding(
                failure,
                Code::TokenExpired,
                failure.severity,
                format!(
                    "{where_}: the registry refused the Basic credentials{of_user} with {status} because they expired: \"{}\". Registries such as ECR hand out passwords that last 12 hours; get a fresh one (`aws ecr get-login-password`).{recovered}",
                    body.trim().chars().take(200).collect::<String>()
                ),
            );
        }
        self.finding(
            failure,
            Code::BadCredentials,
            failure.severity,
            format!("{where_}: the registry refused the Basic credentials{of_user} with {status}.{recovered}"),
        )
    }

    fn rate_limited(&self, failure: &Failure<'_>, status: u16) -> Finding {
        let limits = failure
            .exchange
            .response
            .as_ref()
            .and_then(|response| rate_limit(&response.headers))
            .map(|limit| format!(" Limits: {limit:?}."))
            .unwrap_or_default();
        self.finding(
            failure,
            Code::RateLimited,
            failure.severity,
            format!(
                "{}: answered {status} (too many requests).{limits}{}",
                self.where_, failure.recovered
            ),
        )
    }

    fn server_error(&self, failure: &Failure<'_>, status: u16) -> Finding {
        self.finding(
            failure,
            Code::RegistryError,
            failure.severity,
            format!(
                "{}: {} answered {status} (server error).{}",
                self.where_,
                failure.request_line(),
                failure.recovered
            ),
        )
    }
}

/// A session that ends without any verdict.
fn incomplete_session(session_idx: usize, session: &Session, where_: &str) -> Finding {
    Finding {
        code: Code::CaptureIncomplete,
        severity: Severity::Warning,
        session: Some(session_idx),
        step: None,
        exchanges: session.exchanges.clone(),
        message: format!(
            "{where_}: the session ends without a verdict{}.",
            session
                .expected_next
                .map(|next| format!("; regauth expected {next}"))
                .unwrap_or_default()
        ),
    }
}

/// Which code a daemon's relayed refusal is, from its message.
fn engine_refusal_code(message: &str, with_credentials: bool) -> Code {
    let lower = message.to_ascii_lowercase();
    if lower.contains("toomanyrequests") || lower.contains("too many requests") {
        Code::RateLimited
    } else if !with_credentials
        && (lower.contains("denied")
            || lower.contains("unauthorized")
            || lower.contains("docker login"))
    {
        Code::AnonymousDenied
    } else if lower.contains("incorrect username or password")
        || lower.contains("unauthorized")
        || lower.contains("authentication required")
    {
        Code::BadCredentials
    } else if lower.contains("denied")
        || lower.contains("insufficient_scope")
        || lower.contains("docker login")
    {
        Code::InsufficientScope
    } else {
        Code::RegistryError
    }
}

fn join_scopes(scopes: &[Scope]) -> String {
    scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
}

/// ` The client asked for `…`; the token grants ….` when the token is known and a JWT.
fn asked_and_granted(record: Option<&TokenRecord>) -> String {
    let Some(record) = record else { return String::new() };
    let Some(jwt) = record.decoded.jwt() else { return String::new() };
    let granted = jwt.granted_scopes();
    let granted = if granted.is_empty() { "nothing".to_owned() } else { join_scopes(&granted) };
    format!(
        " The client asked for `{}`; the token grants {granted}.",
        join_scopes(&record.request.scopes)
    )
}

fn basic_user(exchange: &Exchange) -> Option<String> {
    match exchange.request.headers.get("authorization").map(parse_authorization) {
        Some(Ok(Authorization::Basic { username, .. })) => Some(username),
        _ => None,
    }
}

/// The scopes a refusal's challenge names that the token request did not ask for.
fn unrequested_scopes(exchange: &Exchange, request: &TokenRequest) -> Vec<Scope> {
    let Some(response) = &exchange.response else { return Vec::new() };
    let (challenges, _) = parse_challenges(response.headers.get_all("www-authenticate"));
    challenges
        .iter()
        .filter(|challenge| challenge.is_bearer())
        .flat_map(|challenge| challenge.scopes())
        .filter(|needed| !request.scopes.iter().any(|asked| asked.covers(needed)))
        .collect()
}

/// For each (lower-case host, port), the last exchange of the session that got an answer
/// over plain HTTP.
fn last_plain_http_answers(capture: &Capture, session: &Session) -> HashMap<(String, u16), usize> {
    let mut last = HashMap::new();
    for &idx in &session.exchanges {
        let exchange = &capture.exchanges[idx];
        if exchange.response.is_some() && exchange.request.scheme.eq_ignore_ascii_case("http") {
            last.insert((exchange.request.host.to_ascii_lowercase(), exchange.request.port), idx);
        }
    }
    last
}

/// The action a registry request needs: push for writes, pull for reads.
pub fn action_needed(exchange: &Exchange) -> &'static str {
    match exchange.request.method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" => "pull",
        "DELETE" => "delete",
        _ => "push",
    }
}

pub fn is_certificate_error(error: &str) -> bool {
    let lower = error.to_ascii_lowercase();
    [
        "certificate",
        "x509",
        "unknown ca",
        "unknown_ca",
        "self signed",
        "self-signed",
        "self_signed",
        "tlsv1 alert",
        // Chromium (`net::ERR_CERT_AUTHORITY_INVALID`, ...) and Firefox (`SEC_ERROR_UNKNOWN_ISSUER`,
        // `MOZILLA_PKIX_ERROR_...`, `SSL_ERROR_BAD_CERT_DOMAIN`) name certificate failures by code.
        "err_cert_",
        "sec_error_",
        "mozilla_pkix_error",
        "_bad_cert",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// A certificate error that is about the certificate's dates (expired or not yet valid).
pub fn is_expired_certificate_error(error: &str) -> bool {
    let lower = error.to_ascii_lowercase();
    [
        "err_cert_date_invalid",
        "expired_certificate",
        "expired certificate",
        "certificate has expired",
        "certificate is not yet valid",
        "certificate expired",
        "cert_has_expired",
        "has expired or is not yet valid",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

fn recorder_note(capture: &Capture, exchange: &Exchange) -> &'static str {
    let producer =
        capture.sources.get(exchange.origin.source).and_then(|source| source.producer.as_deref());
    if producer.is_some_and(|producer| producer.to_ascii_lowercase().contains("mitmproxy")) {
        " In a mitmproxy capture this is mitmproxy's own check of the upstream server: give mitmproxy the registry's CA (--set ssl_verify_upstream_trusted_ca=ca.pem) or check that the client trusts it"
    } else {
        ""
    }
}
