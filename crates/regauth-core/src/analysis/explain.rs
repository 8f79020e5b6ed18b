//! Explanations: the findings that say, in plain words, why each failing answer of a session
//! failed (one function per [`FailCause`]). Invalid-token refusals need the clocks and are
//! explained in [`super::refusals`]; capture-wide checks live in [`super::checks`].

use std::collections::{HashMap, HashSet};

use super::classify::{Classified, Role};
use super::connection::{NoAnswer, is_not_tls, no_answer};
use super::findings::{Code, Finding, Severity};
use super::machine::is_final_failure;
use super::objects::Timeline;
use super::session::Built;
use super::verdict::{FailCause, Verdict};
use super::{Outcome, Session, Step, TokenRecord};
use crate::capture::Capture;
use crate::model::{Exchange, decode_limits};
use crate::protocol::{
    Authorization, Credential, EngineApiCall, Scope, TokenRequest, parse_authorization,
    parse_challenges, parse_error_body, rate_limit,
};

/// The findings of one session: one per failing answer, plus `capture-incomplete` when the
/// session ends without a verdict.
pub fn session_findings(
    capture: &Capture,
    classified: &Classified,
    session_idx: usize,
    session: &Session,
    built: &Built,
    timeline: &Timeline,
) -> Vec<Finding> {
    let context = SessionContext {
        capture,
        classified,
        built,
        session_idx,
        members: &session.exchanges,
        where_: session_label(session),
    };
    let mut findings = Vec::new();
    let mut abandoned = Vec::new();
    // Walking once in capture order: the last failure seen per object (a failure may retry
    // it), and the registries already said not to speak TLS.
    let mut last_failure_of: HashMap<&str, usize> = HashMap::new();
    let mut not_tls_said: HashSet<String> = HashSet::new();
    for &idx in &session.exchanges {
        match built.verdicts.get(&idx) {
            Some(Verdict::Fail { step, cause }) => {
                let mut failure = Failure::new(&context, session, idx, *step);
                let object = timeline.objects[idx].as_deref();
                failure.retry_of = object.and_then(|object| last_failure_of.get(object).copied());
                failure.says_not_tls = match cause {
                    FailCause::Connection { error } => {
                        let request = &capture.exchanges[idx].request;
                        request.scheme.eq_ignore_ascii_case("https")
                            && is_not_tls(error)
                            && not_tls_said.insert(request.authority())
                    }
                    _ => false,
                };
                findings.extend(context.explain(&failure, cause));
                if let Some(object) = object {
                    last_failure_of.insert(object, idx);
                }
            }
            Some(Verdict::Abandoned) => abandoned.push(idx),
            _ => {}
        }
    }
    if !abandoned.is_empty() {
        findings.push(context.abandoned(session, abandoned));
    } else if session.outcome == Outcome::Incomplete {
        findings.push(incomplete_session(session_idx, session, &context.where_));
    }
    findings
}

/// `registry/repository`, or the registry alone: how finding messages name a session.
pub fn session_label(session: &Session) -> String {
    match &session.repository {
        Some(repository) => format!("{}/{repository}", session.registry),
        None => session.registry.to_string(),
    }
}

struct SessionContext<'a> {
    capture: &'a Capture,
    classified: &'a Classified,
    built: &'a Built,
    session_idx: usize,
    /// The session's exchanges, in capture order.
    members: &'a [usize],
    where_: String,
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
    /// The session's last earlier failure of the same object: this one is its retry.
    retry_of: Option<usize>,
    /// Whether this is the session's first HTTPS failure to its registry that says the server
    /// does not speak TLS (the explanation is given once).
    says_not_tls: bool,
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
            retry_of: None,
            says_not_tls: false,
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
            exchanges: smallvec::smallvec![failure.idx],
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
            FailCause::TokenResponseUndecodable { status, reason } => {
                vec![self.token_response_undecodable(failure, *status, reason)]
            }
            FailCause::MalformedTokenResponse { token } => {
                self.malformed_token_response(failure, *token).into_iter().collect()
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
            FailCause::RegistryError { status } => vec![self.registry_error(failure, *status)],
            // Explained by the registry leg it relayed; linked to that leg's finding once
            // findings are merged ([`link_engine_relays`]).
            FailCause::EngineRelayed { .. } => Vec::new(),
        }
    }

    /// No HTTP answer: a TLS certificate problem, or a server that could not be reached (an
    /// HTTPS attempt the client repeated over plain HTTP is no failure: see
    /// [`super::checks`]'s `insecure-registry-fallback`).
    fn connection(&self, failure: &Failure<'_>, error: &str) -> Finding {
        let Failure { exchange, severity, recovered, .. } = *failure;
        let where_ = &self.where_;
        let error_text = error.trim_end_matches('.');
        if let NoAnswer::Certificate { expired } = no_answer(error) {
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
        // Said once per registry: the first such failure of the session explains the others.
        let not_tls = if failure.says_not_tls {
            " The server answers on this port, but not with TLS, and the client did not fall back to plain HTTP: it was not told that the registry is insecure (or, as dockerd does after a recorder's 502, it took an answer on https:// for a TLS registry)."
        } else {
            ""
        };
        self.finding(
            failure,
            Code::ConnectionFailed,
            severity,
            format!(
                "{where_}: {} {} got no answer: {error_text}.{not_tls}{recovered}",
                exchange.request.method,
                exchange.request.url()
            ),
        )
    }

    /// Requests the client gave up before they were answered: no failure of the server. When
    /// the session ended with them, it did not finish.
    fn abandoned(&self, session: &Session, exchanges: Vec<usize>) -> Finding {
        let errors: Vec<&str> = exchanges
            .iter()
            .filter_map(|&idx| self.capture.exchanges[idx].error.as_deref())
            .map(|error| error.trim().trim_end_matches('.'))
            .collect();
        let mut distinct: Vec<&str> = Vec::new();
        for error in errors {
            if !distinct.contains(&error) {
                distinct.push(error);
            }
        }
        let requests: Vec<String> = exchanges
            .iter()
            .take(5)
            .map(|&idx| {
                let request = &self.capture.exchanges[idx].request;
                format!("{} {} (#{idx})", request.method, request.path_only())
            })
            .collect();
        let more = exchanges.len().saturating_sub(requests.len());
        let ending = if session.outcome == Outcome::Incomplete {
            " The session ends there: the client went away before the operation finished, so it has no verdict."
        } else if session.outcome == Outcome::Failure {
            " It gave up after the session's failure (its failing step), not because of these."
        } else {
            ""
        };
        Finding {
            code: Code::RequestAbandoned,
            severity: Severity::Info,
            session: Some(self.session_idx),
            step: None,
            message: format!(
                "{}: the client gave up {} before an answer came ({}): {}{}. Not a connection failure: the server was reachable.{ending}",
                self.where_,
                if exchanges.len() == 1 { "a request" } else { "requests" },
                distinct.join("; "),
                requests.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() },
            ),
            exchanges: exchanges.into(),
        }
    }

    /// The token service refused the request: anonymous, or the credentials.
    fn token_denied(&self, failure: &Failure<'_>, anonymous: bool, status: u16) -> Finding {
        let (where_, recovered) = (&self.where_, failure.recovered);
        if anonymous {
            // Recovered, it is the token service's own challenge: asked without credentials,
            // it wants some, and the client then sent them (browsers always ask this way).
            return self.finding(
                failure,
                Code::AnonymousDenied,
                if failure.final_failure { Severity::Error } else { Severity::Info },
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

    fn token_response_undecodable(
        &self,
        failure: &Failure<'_>,
        status: u16,
        reason: &str,
    ) -> Finding {
        self.finding(
            failure,
            Code::TokenServiceError,
            if failure.final_failure { Severity::Error } else { Severity::Info },
            format!(
                "{}: the token service answered {status}, but its body was not analysed ({reason}): whether it carried a token is unknown.{}",
                self.where_, failure.recovered
            ),
        )
    }

    fn malformed_token_response(&self, failure: &Failure<'_>, token: usize) -> Option<Finding> {
        let record = self.built.tokens.get(token)?;
        Some(self.finding(
            failure,
            Code::MalformedTokenResponse,
            if failure.final_failure { Severity::Error } else { Severity::Info },
            format!(
                "{}: the token service answered with a token the client never sent, in an answer that does not follow the token specification: {}. Clients that decode the answer into typed fields (docker, containerd, podman, skopeo) reject it whole (\"json: cannot unmarshal ...\", \"unable to decode token response\").{}",
                self.where_,
                record.response_problems.join("; "),
                failure.recovered
            ),
        ))
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
        let granted = || asked_and_granted(self.built, token);
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
                    granted()
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
                granted()
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
            exchanges: evidence.into(),
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
            engine_refusal_code(
                message,
                with_credentials,
                matches!(self.classified.roles[failure.idx], Role::EngineApi { call: EngineApiCall::Auth { .. } }),
            ),
            failure.severity,
            format!(
                "{}: the Docker daemon answered {} with {}: \"{}\" (the daemon relays what the registry or token service said{}).{}",
                self.where_,
                failure.request_line(),
                failure.status.map_or_else(|| "no status".to_owned(), |status| status.to_string()),
                one_line(message),
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

    /// The registry refused the request itself, not its credentials. When the request repeats
    /// one refused earlier (the same upload, blob or manifest), the client re-authenticated or
    /// retried and still failed: the earlier refusal is the cause, linked here; and a repeated
    /// upload that carries less body than the first attempt re-sent a body it had consumed.
    fn registry_error(&self, failure: &Failure<'_>, status: u16) -> Finding {
        let exchange = failure.exchange;
        let body = exchange
            .response
            .as_ref()
            .and_then(|response| response.body.decoded(decode_limits::ERROR_BODY).ok())
            .unwrap_or_default();
        let errors = parse_error_body(&body).unwrap_or_default();
        let detail = if errors.is_empty() {
            format!("status {status}")
        } else {
            errors
                .iter()
                .map(|error| format!("{}: {}", error.code, error.message))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut message = format!("{}: {} answered {detail}.", self.where_, failure.request_line());
        let mut evidence = vec![failure.idx];
        if let Some(earlier) = failure.retry_of {
            evidence.insert(0, earlier);
            let new_token = self
                .session_members_between(earlier, failure.idx)
                .find(|idx| self.built.verdicts.get(idx) == Some(&Verdict::TokenIssued));
            message.push_str(&format!(
                " It was the client's retry of the request refused at #{earlier} ({}){}.{}",
                self.refusal_words(earlier),
                new_token
                    .map(|token| format!(", made after the client got a new token at #{token}"))
                    .unwrap_or_default(),
                if failure.final_failure {
                    " The retry failed and nothing later succeeded for it: the client did not recover."
                } else {
                    ""
                }
            ));
            let sent = |idx: usize| self.capture.exchanges[idx].request.body.wire_len();
            if sent(failure.idx) < sent(earlier) {
                message.push_str(&format!(
                    " The repetition carried {} byte(s) of body where the first attempt carried {}: the client re-sent an upload whose body it had already consumed (a stream or an open file read to its end), so the registry could not match the digest. A client must be able to send an upload body again to survive a re-authentication.",
                    sent(failure.idx),
                    sent(earlier)
                ));
            }
        }
        message.push_str(failure.recovered);
        let mut finding = self.finding(failure, Code::RegistryError, failure.severity, message);
        finding.exchanges = evidence.into();
        finding
    }

    /// The session's exchanges after `from` and before `to` (capture order).
    fn session_members_between(&self, from: usize, to: usize) -> impl Iterator<Item = usize> + '_ {
        let members = self.members;
        let start = members.partition_point(|&idx| idx <= from);
        let end = members.partition_point(|&idx| idx < to);
        members[start..end.max(start)].iter().copied()
    }

    /// How the registry refused exchange `idx`, in a few words.
    fn refusal_words(&self, idx: usize) -> String {
        let status = self.capture.exchanges[idx].response.as_ref().map(|response| response.status);
        match self.built.verdicts.get(&idx) {
            Some(Verdict::Fail { cause: FailCause::InvalidToken { .. }, .. }) => format!(
                "{}: the registry did not accept the token; the findings on that refusal say why",
                status.unwrap_or(401)
            ),
            Some(Verdict::Fail { cause: FailCause::InsufficientScope { .. }, .. }) => {
                "insufficient scope".to_owned()
            }
            Some(Verdict::Fail { cause: FailCause::Connection { .. }, .. }) => {
                "no answer".to_owned()
            }
            _ => status.map_or_else(|| "an error".to_owned(), |status| format!("status {status}")),
        }
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
fn engine_refusal_code(message: &str, with_credentials: bool, login: bool) -> Code {
    let lower = message.to_ascii_lowercase();
    let says = |needles: &[&str]| needles.iter().any(|needle| lower.contains(needle));
    if says(&["toomanyrequests", "too many requests"]) {
        Code::RateLimited
    } else if let NoAnswer::Certificate { expired } = no_answer(message) {
        if expired { Code::TlsCertificateExpired } else { Code::TlsUntrustedCertificate }
    } else if !with_credentials
        && says(&["denied", "unauthorized", "docker login", "authentication required"])
    {
        Code::AnonymousDenied
    } else if says(&["incorrect username or password", "invalid username/password"])
        || (login && says(&["unauthorized", "authentication required"]))
    {
        Code::BadCredentials
    } else if says(&["denied", "insufficient_scope", "forbidden", "docker login"]) {
        // "denied: requested access to the resource is denied" is dockerd's reading of a
        // refused permission (`insufficient_scope`, a repository the account may not write).
        Code::InsufficientScope
    } else if says(&["unauthorized", "authentication required"]) {
        // A pull or push refused with credentials that logged in fine: the registry refused
        // the daemon's token (expired, wrong audience...), not the password.
        Code::TokenRejected
    } else if says(&["connection refused", "no such host", "i/o timeout", "dial tcp"]) {
        Code::ConnectionFailed
    } else {
        Code::RegistryError
    }
}

/// A daemon message on one line: its lines joined (dockerd lists several errors one per line).
fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join(" / ")
}

/// Adds to the finding that explains a relayed registry leg (an error or warning naming the
/// leg) what the Docker daemon told its client about it, with the daemon's answer as evidence:
/// the message the user saw, tied to its cause.
pub fn link_engine_relays(capture: &Capture, built: &Built, findings: &mut [Finding]) {
    let mut relays: Vec<(usize, usize, &str)> = built
        .verdicts
        .iter()
        .filter_map(|(call, verdict)| match verdict {
            Verdict::Fail { cause: FailCause::EngineRelayed { leg, message }, .. } => {
                Some((call, *leg, message.as_str()))
            }
            _ => None,
        })
        .collect();
    relays.sort_unstable();
    if relays.is_empty() {
        return;
    }
    // Each relay looks only at its session's findings: thousands of relayed failures in
    // thousands of sessions must not make this quadratic.
    let mut findings_of_session: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    for (idx, finding) in findings.iter().enumerate() {
        findings_of_session.entry(finding.session).or_default().push(idx);
    }
    for (call, leg, message) in relays {
        let session = built.session_of_exchange.get(&call).copied();
        let own = findings_of_session.get(&session).map_or(&[][..], Vec::as_slice);
        let explaining = own
            .iter()
            .copied()
            .filter(|&idx| {
                findings[idx].severity >= Severity::Warning
                    && findings[idx].exchanges.contains(&leg)
            })
            // The strongest, and of those the first shown (merge's order).
            .fold(None::<usize>, |best, idx| match best {
                Some(best) if findings[best].severity >= findings[idx].severity => Some(best),
                _ => Some(idx),
            });
        let Some(finding) = explaining.map(|idx| &mut findings[idx]) else { continue };
        let request = &capture.exchanges[call].request;
        finding.message.push_str(&format!(
            " The Docker daemon relayed it to its client in its answer to {} {} (#{call}): \"{}\".",
            request.method,
            request.path_only(),
            one_line(message)
        ));
        if let Err(at) = finding.exchanges.binary_search(&call) {
            finding.exchanges.insert(at, call);
        }
    }
}

/// The scopes, space-separated as on the wire: the first [`SCOPES_SHOWN`] and how many more.
/// A token request may ask for a hundred thousand scopes; a finding quoting them all, once per
/// refusal, would be larger than the capture.
fn join_scopes(scopes: &[Scope]) -> String {
    let mut shown = scopes.iter().take(SCOPES_SHOWN).map(ToString::to_string).collect::<Vec<_>>();
    if scopes.len() > SCOPES_SHOWN {
        shown.push(format!("(and {} more)", scopes.len() - SCOPES_SHOWN));
    }
    shown.join(" ")
}

/// How many scopes a finding quotes (see [`join_scopes`]).
const SCOPES_SHOWN: usize = 8;

/// ` The client asked for `…`; the token grants ….` when the token is known and a JWT.
fn asked_and_granted(built: &Built, token: Option<usize>) -> String {
    let Some((token_idx, record)) =
        token.and_then(|token_idx| Some((token_idx, built.tokens.get(token_idx)?)))
    else {
        return String::new();
    };
    let decoded = built.last_decoded.get(token_idx, record);
    let Some(jwt) = decoded.jwt() else { return String::new() };
    let granted = jwt.granted_scopes();
    let granted = if granted.is_empty() { "nothing".to_owned() } else { join_scopes(&granted) };
    format!(
        " The client asked for `{}`; the token grants {granted}.",
        join_scopes(&record.request.scopes)
    )
}

fn basic_user(exchange: &Exchange) -> Option<String> {
    match exchange.request.headers.get("authorization").as_deref().map(parse_authorization) {
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

/// The action a registry request needs: push for writes, pull for reads.
pub fn action_needed(exchange: &Exchange) -> &'static str {
    match exchange.request.method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" => "pull",
        "DELETE" => "delete",
        _ => "push",
    }
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
