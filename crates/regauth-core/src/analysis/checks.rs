//! Capture-wide checks: findings about the whole capture rather than one session's failure.
//! One function per check, each reading the capture and what the sessions concluded.

use std::collections::{HashMap, HashSet};

use super::classify::{Classified, RequestAuth, Role, SeenChallenge, is_referrers_api};
use super::findings::{Code, Finding, Merger, Severity, join_and};
use super::session::Built;
use super::tokens::unsigned_prefix;
use super::verdict::Verdict;
use super::{ExchangeMap, Step, TokenRecord};
use crate::capture::Capture;
use crate::model::Exchange;
use crate::protocol::{
    ChallengeProblem, Credential, EngineApiCall, parse_auth_body, parse_error_body,
    parse_x_registry_auth, rate_limit,
};
use crate::tls_facts::TlsFacts;

/// `WWW-Authenticate` headers that do not parse cleanly, in capture order. Run once the
/// sessions are walked, the last use of the parsed challenges, so they can be dropped before
/// the sessions and their findings are made (issue 9: a hundred thousand 401s).
pub fn malformed_challenges(
    challenges: &[SeenChallenge],
    session_of_exchange: &ExchangeMap<usize>,
    findings: &mut Merger,
) {
    for seen in challenges {
        if seen.problems.is_empty() {
            continue;
        }
        findings.push(Finding {
            code: Code::MalformedChallenge,
            severity: Severity::Warning,
            session: session_of_exchange.get(&seen.exchange).copied(),
            step: Some(Step::Challenge),
            exchanges: smallvec::smallvec![seen.exchange],
            message: format!(
                "The WWW-Authenticate header from {} is malformed: {}.",
                seen.authority,
                problem_list(&seen.problems)
            ),
        });
    }
}

/// Runs every capture-wide check.
pub fn capture_findings(
    capture: &Capture,
    classified: &Classified,
    built: &Built,
    tls: &TlsFacts,
    findings: &mut Merger,
) {
    let checks = Checks { capture, classified, built };
    checks.token_for_other_host(findings);
    checks.secret_in_url(findings);
    checks.auth_forwarded_on_redirect(findings);
    checks.registry_errors(findings);
    checks.exhausted_rate_limits(findings);
    checks.malformed_token_responses(findings);
    checks.insecure_registry_fallbacks(findings);
    checks.plain_http_credentials(findings);
    checks.unanswered_requests(findings);
    checks.unread_engine_streams(findings);
    checks.unreadable_input(findings);
    interception(capture, tls, findings);
}

struct Checks<'a> {
    capture: &'a Capture,
    classified: &'a Classified,
    built: &'a Built,
}

impl Checks<'_> {
    fn session_of(&self, idx: usize) -> Option<usize> {
        self.built.session_of_exchange.get(&idx).copied()
    }

    /// A finding whose evidence is exchange `idx` alone, in that exchange's session.
    fn about(
        &self,
        idx: usize,
        code: Code,
        severity: Severity,
        step: Option<Step>,
        message: String,
    ) -> Finding {
        Finding {
            code,
            severity,
            session: self.session_of(idx),
            step,
            exchanges: smallvec::smallvec![idx],
            message,
        }
    }

    /// Exchanges with their index and role, in capture order.
    fn exchanges(&self) -> impl Iterator<Item = (usize, &Exchange, &Role)> {
        self.capture
            .exchanges
            .iter()
            .zip(&self.classified.roles)
            .enumerate()
            .map(|(idx, (exchange, role))| (idx, exchange, role))
    }

    /// A token sent to a registry whose challenges name another service than the one the
    /// token was issued for.
    fn token_for_other_host(&self, findings: &mut Merger) {
        for token in &self.built.tokens {
            let issued_for =
                token.request.service.clone().or_else(|| {
                    token.decoded().jwt().and_then(|jwt| jwt.claims.aud.first().cloned())
                });
            let Some(issued_for) = issued_for else { continue };
            for &use_idx in &token.uses {
                let Role::Registry { authority, .. } = &self.classified.roles[use_idx] else {
                    continue;
                };
                if let Some(service) = self.built.registry_service.get(&**authority)
                    && *service != issued_for
                {
                    findings.push(Finding {
                        code: Code::TokenForOtherHost,
                        severity: Severity::Warning,
                        session: self.session_of(use_idx),
                        step: Some(Step::AuthorizedRetry),
                        exchanges: smallvec::smallvec![token.issued_by, use_idx],
                        message: format!("A token issued for service `{issued_for}` was sent to {authority}, whose service is `{service}`."),
                    });
                }
            }
        }
    }

    /// A password or token in a token request's query string.
    fn secret_in_url(&self, findings: &mut Merger) {
        for (idx, exchange, role) in self.exchanges() {
            if let Role::Token { request } = role
                && request.secret_in_url
            {
                findings.push(self.about(
                    idx,
                    Code::SecretInUrl,
                    Severity::Error,
                    Some(Step::TokenRequest),
                    format!(
                        "A password or token is in the query string of the token request to {}.",
                        exchange.request.authority()
                    ),
                ));
            }
        }
    }

    /// `Authorization` sent along a registry's redirect to another host.
    fn auth_forwarded_on_redirect(&self, findings: &mut Merger) {
        for (idx, exchange, role) in self.exchanges() {
            let request = &exchange.request;
            let Role::Storage { redirected_by } = *role else { continue };
            if request.headers.get("authorization").is_none() {
                continue;
            }
            let from = &self.capture.exchanges[redirected_by].request;
            if from.host.eq_ignore_ascii_case(&request.host) {
                continue;
            }
            let subdomain = request
                .host
                .to_ascii_lowercase()
                .ends_with(&format!(".{}", from.host.to_ascii_lowercase()));
            findings.push(Finding {
                code: Code::AuthForwardedOnRedirect,
                severity: Severity::Warning,
                session: self.session_of(idx),
                step: None,
                exchanges: smallvec::smallvec![redirected_by, idx],
                message: format!(
                    "The registry {} redirected to {}, and the client sent its Authorization header there too{}.",
                    from.authority(),
                    request.authority(),
                    if subdomain {
                        " (Go's HTTP client keeps it for subdomains of the original host)"
                    } else {
                        ""
                    }
                ),
            });
        }
    }

    /// Registry errors that are not auth failures, except existence checks and those a
    /// session judged as its failures (explained with the session, [`super::explain`]).
    fn registry_errors(&self, findings: &mut Merger) {
        let last_writes = last_successful_writes(self.capture, self.classified);
        for (idx, exchange, role) in self.exchanges() {
            let (Role::Registry { auth, .. }, Some(response)) = (role, &exchange.response) else {
                continue;
            };
            if matches!(self.built.verdicts.get(&idx), Some(Verdict::Fail { .. })) {
                continue;
            }
            let status = response.status;
            if !(400..500).contains(&status)
                || matches!(status, 401 | 403 | 429)
                || is_existence_check(exchange, role, &last_writes)
            {
                continue;
            }
            let body = response.body.decoded(1 << 16).unwrap_or_default();
            let detail = parse_error_body(&body)
                .map(|errors| {
                    errors
                        .iter()
                        .map(|error| format!("{}: {}", error.code, error.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_else(|| format!("status {status}"));
            let step =
                if *auth == RequestAuth::None { Step::Challenge } else { Step::RegistryVerdict };
            findings.push(self.about(
                idx,
                Code::RegistryError,
                Severity::Warning,
                Some(step),
                format!(
                    "{} {} answered {detail}.",
                    exchange.request.method,
                    exchange.request.path_only()
                ),
            ));
        }
    }

    /// A registry whose rate-limit headers show no requests left.
    fn exhausted_rate_limits(&self, findings: &mut Merger) {
        for (idx, exchange, role) in self.exchanges() {
            let (Role::Registry { .. }, Some(response)) = (role, &exchange.response) else {
                continue;
            };
            if let Some(limit) = rate_limit(&response.headers)
                && limit.remaining_count() == Some(0)
            {
                findings.push(self.about(
                    idx,
                    Code::RateLimited,
                    Severity::Warning,
                    None,
                    format!(
                        "{} reports no requests remaining in its rate-limit window.",
                        exchange.request.authority()
                    ),
                ));
            }
        }
    }

    /// Token answers that carried a token but do not follow the token specification, where the
    /// client went on (one it failed on is explained as the session's failure). The
    /// parse keeps what it can read (a string `expires_in` as its number), so the analysis
    /// goes on as a lenient client would; this says what a strict client would have made of it.
    fn malformed_token_responses(&self, findings: &mut Merger) {
        for token in &self.built.tokens {
            // One the client failed on is the session's failure, explained with it.
            if token.response_problems.is_empty() || token.answer_rejected_by_client() {
                continue;
            }
            let idx = token.issued_by;
            let Some(exchange) = self.capture.exchanges.get(idx) else { continue };
            let consequence = if token.response_rejected_by_typed_clients {
                " Clients that decode the answer into typed fields (docker, containerd, podman, skopeo) reject it whole; this client read it anyway and sent the token."
            } else {
                ""
            };
            findings.push(self.about(
                idx,
                Code::MalformedTokenResponse,
                Severity::Warning,
                Some(Step::TokenResponse),
                format!(
                    "The token service {} answered with a token that does not follow the token specification: {}.{consequence}",
                    exchange.request.authority(),
                    token.response_problems.join("; "),
                ),
            ));
        }
    }

    /// HTTPS-first probes the client repeated over plain HTTP (issue 8, item 1): normal for a
    /// registry the client was told is insecure, said once for the capture, naming each
    /// registry with its probes and the plain-HTTP request that followed the first one.
    fn insecure_registry_fallbacks(&self, findings: &mut Merger) {
        let mut by_registry: Vec<(String, Vec<usize>, usize)> = Vec::new();
        let mut probes: Vec<(&usize, &usize)> = self.classified.fallback_probes.iter().collect();
        probes.sort_unstable();
        for (&probe, &fallback) in probes {
            let registry = self.capture.exchanges[fallback].request.authority();
            match by_registry.iter_mut().find(|(known, _, _)| *known == registry) {
                Some((_, probes, _)) => probes.push(probe),
                None => by_registry.push((registry, vec![probe], fallback)),
            }
        }
        if by_registry.is_empty() {
            return;
        }
        let named: Vec<String> = by_registry
            .iter()
            .map(|(registry, probes, _)| {
                let listed: Vec<String> =
                    probes.iter().take(5).map(|idx| format!("#{idx}")).collect();
                format!(
                    "{registry} ({} HTTPS attempt(s): {}{})",
                    probes.len(),
                    listed.join(" "),
                    if probes.len() > 5 { " ..." } else { "" }
                )
            })
            .collect();
        let mut exchanges: Vec<usize> = by_registry
            .iter()
            .flat_map(|(_, probes, fallback)| probes.iter().copied().chain([*fallback]))
            .collect();
        exchanges.sort_unstable();
        findings.push(Finding {
            code: Code::InsecureRegistryFallback,
            severity: Severity::Info,
            session: None,
            step: None,
            exchanges: exchanges.into(),
            message: format!(
                "The client tried HTTPS first and, getting no TLS answer, repeated the request over plain HTTP for {}: it is configured to treat {} as an insecure registry (registries.conf `insecure = true` or `--tls-verify=false`; dockerd `insecure-registries`). Normal for such a setup, and no failure.",
                join_and(&named),
                if by_registry.len() == 1 { "it" } else { "them" }
            ),
        });
    }

    /// Secrets sent over plain HTTP, one finding per host naming every kind of secret. A
    /// token issued without credentials that grants at most `pull` is no secret: anyone can
    /// ask for the same one. A registry the client fell back to plain HTTP for is configured
    /// insecure on purpose: every request there goes in clear, and the finding says so.
    fn plain_http_credentials(&self, findings: &mut Merger) {
        // By unsigned part, so a token whose signature a sanitiser replaced still matches.
        // Slices of the records' tokens: a copy of each costs as much as the tokens themselves.
        let public_tokens: HashSet<&str> = self
            .built
            .tokens
            .iter()
            .filter(|record| is_public_anonymous(record))
            .map(|record| unsigned_prefix(record.raw.expose()))
            .collect();
        let mut plain_http: HashMap<String, Vec<usize>> = HashMap::new();
        let mut secret_kinds: HashMap<String, Vec<&'static str>> = HashMap::new();
        for (idx, exchange, role) in self.exchanges() {
            if !exchange.request.scheme.eq_ignore_ascii_case("http") {
                continue;
            }
            let kinds = secrets_sent(exchange, role, &public_tokens);
            if kinds.is_empty() {
                continue;
            }
            let host = exchange.request.authority();
            plain_http.entry(host.clone()).or_default().push(idx);
            let known = secret_kinds.entry(host).or_default();
            for kind in kinds {
                if !known.contains(&kind) {
                    known.push(kind);
                }
            }
        }
        if plain_http.is_empty() {
            return;
        }
        let mut hosts: Vec<_> = plain_http.into_iter().collect();
        hosts.sort();
        // "Basic credentials went to a, and a bearer token to b, over plain HTTP": every host
        // with every kind of secret it received.
        let mut parts = Vec::new();
        let mut only_bearer = true;
        let mut exchanges = Vec::new();
        for (host, host_exchanges) in hosts {
            let kinds = secret_kinds.get(&host).cloned().unwrap_or_default();
            only_bearer &= kinds.iter().all(|kind| *kind == "a bearer token");
            let kinds = kinds.join(" and ");
            parts.push(if parts.is_empty() {
                format!("{} went to {host}", capitalise(&kinds))
            } else {
                format!("{kinds} to {host}")
            });
            exchanges.extend(host_exchanges);
        }
        let listed = match parts.as_slice() {
            [one] => one.clone(),
            [rest @ .., last] => format!("{}, and {last},", rest.join(", ")),
            [] => return,
        };
        let insecure = self.insecure_registries();
        let insecure_note = if insecure.is_empty() {
            String::new()
        } else {
            format!(
                " The client fell back from HTTPS to plain HTTP for {} (see insecure-registry-fallback): it was told to treat {} as insecure, so this happens on every run by configuration, not by accident.",
                join_and(&insecure),
                if insecure.len() == 1 { "that registry" } else { "those registries" }
            )
        };
        findings.push(Finding {
            code: Code::CredentialsOverPlainHttp,
            severity: if only_bearer { Severity::Warning } else { Severity::Error },
            session: None,
            step: None,
            exchanges: exchanges.into(),
            message: format!(
                "{listed} over plain HTTP, readable by anyone on the path.{insecure_note}"
            ),
        });
    }

    /// The registries (authorities) the client fell back to plain HTTP for, sorted.
    fn insecure_registries(&self) -> Vec<String> {
        let mut registries: Vec<String> = self
            .classified
            .fallback_probes
            .values()
            .map(|&fallback| self.capture.exchanges[fallback].request.authority())
            .collect();
        registries.sort();
        registries.dedup();
        registries
    }

    /// Requests with neither a response nor an error: the recorder stopped first.
    fn unanswered_requests(&self, findings: &mut Merger) {
        let unanswered: Vec<usize> = self
            .exchanges()
            .filter(|(_, exchange, _)| exchange.response.is_none() && exchange.error.is_none())
            .map(|(idx, _, _)| idx)
            .collect();
        if unanswered.is_empty() {
            return;
        }
        findings.push(capture_incomplete(
            format!(
                "{} request(s) have no response and no error: the capture stopped before they finished.",
                unanswered.len()
            ),
            unanswered,
        ));
    }

    /// Parts of the input the readers could not read.
    /// Docker Engine pulls and pushes answered 2xx whose progress stream regauth did not read
    /// to its end: the error that ends a failed one is its last line, so the call has no
    /// verdict ([`super::verdict::judge_engine`]) and this says why.
    fn unread_engine_streams(&self, findings: &mut Merger) {
        for (idx, exchange, role) in self.exchanges() {
            let Role::EngineApi {
                call: call @ (EngineApiCall::ImagesCreate { .. } | EngineApiCall::ImagePush { .. }),
            } = role
            else {
                continue;
            };
            let (Some(response), Some(why)) =
                (&exchange.response, self.built.unread_engine_streams.get(&idx))
            else {
                continue;
            };
            let what =
                if matches!(call, EngineApiCall::ImagePush { .. }) { "push" } else { "pull" };
            findings.push(self.about(
                idx,
                Code::CaptureIncomplete,
                Severity::Warning,
                Some(Step::RegistryVerdict),
                format!(
                    "The Docker daemon answered {} {} (#{idx}) with {}, but {why}: whether the {what} ended in an error (its last line) is unknown.",
                    exchange.request.method,
                    exchange.request.path_only(),
                    response.status
                ),
            ));
        }
    }

    fn unreadable_input(&self, findings: &mut Merger) {
        let problems = &self.capture.problems;
        let Some(first) = problems.first() else { return };
        findings.push(capture_incomplete(
            format!(
                "Parts of the input could not be read ({} problem(s)); the first: {first}.",
                problems.len()
            ),
            Vec::new(),
        ));
    }
}

fn capture_incomplete(message: String, exchanges: Vec<usize>) -> Finding {
    Finding {
        code: Code::CaptureIncomplete,
        severity: Severity::Warning,
        session: None,
        step: None,
        exchanges: exchanges.into(),
        message,
    }
}

/// Whether a token was issued to a request without credentials and grants at most `pull`
/// (an opaque token's grants are unknown: it grants what anonymous clients may do).
fn is_public_anonymous(record: &TokenRecord) -> bool {
    record.request.credential == Credential::Anonymous && record.summary.grants_at_most_pull
}

/// The kinds of secret a plain-HTTP request carries, in words. A bearer token in
/// `public_tokens` (by unsigned part: [`is_public_anonymous`]) is none.
fn secrets_sent(
    exchange: &Exchange,
    role: &Role,
    public_tokens: &HashSet<&str>,
) -> Vec<&'static str> {
    let request = &exchange.request;
    let mut kinds = Vec::new();
    if let Some(value) = request.headers.get("authorization") {
        let mut words = value.split_whitespace();
        let scheme = words.next().unwrap_or("").to_ascii_lowercase();
        if scheme != "bearer" {
            kinds.push("Basic credentials");
        } else if !words.next().is_some_and(|token| public_tokens.contains(unsigned_prefix(token)))
        {
            kinds.push("a bearer token");
        }
    }
    if let Role::Token { request: token_request } = role {
        match token_request.credential {
            Credential::Password { .. } => kinds.push("a password in an OAuth2 form"),
            Credential::RefreshToken(_) => kinds.push("a refresh token"),
            _ => {}
        }
    }
    if request
        .headers
        .get("x-registry-auth")
        .and_then(|value| parse_x_registry_auth(&value).ok())
        .is_some_and(|config| config.carries_secret())
    {
        kinds.push("registry credentials in X-Registry-Auth (Docker Engine API)");
    }
    if matches!(role, Role::EngineApi { call: EngineApiCall::Auth { .. } })
        && request
            .body
            .decoded(1 << 16)
            .ok()
            .and_then(|body| parse_auth_body(&body).ok())
            .is_some_and(|config| config.carries_secret())
    {
        kinds.push("a registry password in a Docker Engine /auth body");
    }
    kinds
}

/// HEAD 404 asks "is it there?"; so does a GET 404 on a repository the client then writes to
/// successfully (checking a tag or blob before pushing it), and any 4xx to a read of the
/// referrers API (registries without it answer 404, 400, 405 or 406; clients fall back).
fn is_existence_check(
    exchange: &Exchange,
    role: &Role,
    last_writes: &HashMap<(&str, &str), usize>,
) -> bool {
    let method = &exchange.request.method;
    let reads = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    if reads && is_referrers_api(exchange.request.path_only()) {
        return true;
    }
    exchange.response.as_ref().is_some_and(|response| response.status == 404)
        && (method.eq_ignore_ascii_case("HEAD")
            || (method.eq_ignore_ascii_case("GET")
                && matches!(role, Role::Registry { authority, repository: Some(repository), .. }
                    if last_writes
                        .get(&(&**authority, &**repository))
                        .is_some_and(|&write| write > exchange.index))))
}

/// For each registry repository (authority, name), the last exchange that wrote to it
/// (PUT/POST/PATCH) and succeeded.
fn last_successful_writes<'a>(
    capture: &Capture,
    classified: &'a Classified,
) -> HashMap<(&'a str, &'a str), usize> {
    let mut last = HashMap::new();
    for (idx, (exchange, role)) in capture.exchanges.iter().zip(&classified.roles).enumerate() {
        if let Role::Registry { authority, repository: Some(repository), .. } = role
            && matches!(
                exchange.request.method.to_ascii_uppercase().as_str(),
                "PUT" | "POST" | "PATCH"
            )
            && exchange
                .response
                .as_ref()
                .is_some_and(|response| (200..300).contains(&response.status))
        {
            last.insert((&**authority, &**repository), idx);
        }
    }
    last
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// Interception: the recorder terminated the client's TLS (mitmproxy, Charles, Fiddler...).
/// One finding naming every input that shows it.
fn interception(capture: &Capture, tls: &TlsFacts, findings: &mut Merger) {
    // Burp's CA calls itself "PortSwigger CA".
    const INTERCEPTORS: [&str; 6] =
        ["mitmproxy", "charles", "fiddler", "http toolkit", "burp", "portswigger"];
    // (input name, interceptor, its decrypted HTTPS exchanges)
    let mut intercepted: Vec<(&str, &str, Vec<usize>)> = Vec::new();
    for (source_idx, source) in capture.sources.iter().enumerate() {
        let producer = source.producer.clone().unwrap_or_default().to_ascii_lowercase();
        let by_producer = INTERCEPTORS.iter().find(|name| producer.contains(*name));
        let from_source = || {
            capture.exchanges.iter().filter(move |exchange| exchange.origin.source == source_idx)
        };
        // A recorder that knows an HTTPS request's path decrypted it.
        let https: Vec<usize> = from_source()
            .filter(|exchange| exchange.request.scheme.eq_ignore_ascii_case("https"))
            .map(|exchange| exchange.index)
            .collect();
        // The leaf's issuer: a HAR recorder's summary (what the browser saw), or the DER chain
        // (in a flow file, what the upstream sent: an interceptor in front of the recorder).
        let by_issuer = tls
            .connections
            .iter()
            .filter(|connection| {
                connection
                    .exchanges
                    .first()
                    .and_then(|&idx| capture.exchanges.get(idx))
                    .is_some_and(|exchange| exchange.origin.source == source_idx)
            })
            .find_map(|connection| {
                let issuer = match (&connection.server_summary, connection.server_chain.first()) {
                    (Some(summary), _) => summary.issuer.clone(),
                    (None, Some(&leaf)) => {
                        tls.certificates.get(leaf).and_then(|leaf| leaf.issuer.clone())
                    }
                    (None, None) => None,
                }?
                .to_ascii_lowercase();
                INTERCEPTORS.iter().find(|name| issuer.contains(*name)).copied()
            });
        let Some(interceptor) = by_producer.copied().or(by_issuer) else { continue };
        if !https.is_empty() {
            intercepted.push((&source.name, interceptor, https));
        }
    }
    let Some((_, first_interceptor, _)) = intercepted.first() else { return };
    let total: usize = intercepted.iter().map(|(_, _, https)| https.len()).sum();
    let one_interceptor =
        intercepted.iter().all(|(_, interceptor, _)| interceptor == first_interceptor);
    let (inputs, through) = if one_interceptor {
        let names: Vec<&str> = intercepted.iter().map(|(name, _, _)| *name).collect();
        (join_and(&names), format!("{first_interceptor}, whose CA the client trusted"))
    } else {
        let names: Vec<String> = intercepted
            .iter()
            .map(|(name, interceptor, _)| format!("{name} ({interceptor})"))
            .collect();
        (join_and(&names), "these recorders, whose CAs the client trusted".to_owned())
    };
    findings.push(Finding {
        code: Code::TlsIntercepted,
        severity: Severity::Info,
        session: None,
        step: None,
        exchanges: intercepted
            .iter()
            .flat_map(|(_, _, https)| https.iter().copied().take(50))
            .collect(),
        message: format!(
            "{inputs}: the client's HTTPS traffic ({total} exchanges) went through {through}; TLS problems between the client and the real servers cannot show here."
        ),
    });
}

/// The first few problems of a challenge header, then how many more: a hostile header may
/// have millions, and the finding is read by a person.
fn problem_list(problems: &[ChallengeProblem]) -> String {
    const SHOWN: usize = 3;
    let total: usize =
        problems.len() + problems.iter().map(|problem| problem.unlisted).sum::<usize>();
    let mut listed = problems
        .iter()
        .take(SHOWN)
        .map(|problem| problem.message.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    if total > SHOWN {
        listed.push_str(&format!("; and {} more problems", total - SHOWN));
    }
    listed
}
