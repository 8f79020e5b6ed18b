//! Clocks, token validity on the capture's timeline, and the findings that need the whole
//! capture (TLS, plain-HTTP credentials, redirects, registry errors).

use std::collections::HashMap;

use super::classify::{Classified, RequestAuth, Role};
use super::clock::{OffsetInterval, combine, describe_offset, parse_http_date, unix_seconds};
use super::findings::{Code, Finding, Severity};
use super::session::{Built, Verdict, session_label};
use super::{AnalysisConfig, ClockEstimate, ClockRole, Step};
use crate::capture::Capture;
use crate::model::Exchange;
use crate::protocol::{Credential, parse_error_body, parse_x_registry_auth, rate_limit};
use crate::tls_facts::TlsFacts;
use crate::token::DISTRIBUTION_LEEWAY_S;

pub fn estimate_clocks(
    capture: &Capture,
    classified: &Classified,
    built: &Built,
) -> Vec<ClockEstimate> {
    let mut by_host: Vec<(String, ClockRole, Vec<OffsetInterval>, Vec<usize>)> = Vec::new();
    let mut push =
        |host: String, role: ClockRole, interval: OffsetInterval, idx: usize| match by_host
            .iter_mut()
            .find(|(h, r, _, _)| *h == host && *r == role)
        {
            Some((_, _, intervals, exchanges)) => {
                intervals.push(interval);
                exchanges.push(idx);
            }
            None => by_host.push((host, role, vec![interval], vec![idx])),
        };
    for (idx, exchange) in capture.exchanges.iter().enumerate() {
        let role = match classified.roles[idx] {
            Role::Registry { .. } => ClockRole::Registry,
            Role::Token { .. } => ClockRole::TokenService,
            Role::Storage { .. } => ClockRole::Storage,
            _ => continue,
        };
        let (Some(response), Some(sent), Some(received)) =
            (&exchange.response, exchange.timing.request_start, exchange.timing.response_end)
        else {
            continue;
        };
        let Some(date) = response.headers.get("date").and_then(parse_http_date) else { continue };
        push(
            exchange.request.authority(),
            role,
            OffsetInterval::from_observation(date, 1.0, &sent, &received),
            idx,
        );
    }
    for token in &built.tokens {
        let exchange = &capture.exchanges[token.issued_by];
        let (Some(sent), Some(received)) =
            (exchange.timing.request_start, exchange.timing.response_end)
        else {
            continue;
        };
        let issuer = token
            .decoded
            .jwt()
            .and_then(|jwt| jwt.claims.iss.clone())
            .unwrap_or_else(|| exchange.request.authority());
        // `issued_at` may have sub-second precision; distribution's token server writes whole
        // seconds (truncated, like `iat`), and then it says no more than `iat` does.
        if let Some(issued_at) = token.response.issued_at {
            let stamp = unix_seconds(&issued_at);
            let resolution = if issued_at.timestamp_subsec_nanos() == 0 { 1.0 } else { 0.0 };
            push(
                issuer.clone(),
                ClockRole::TokenIssuer,
                OffsetInterval::from_observation(stamp, resolution, &sent, &received),
                token.issued_by,
            );
        }
        if let Some(iat) = token.decoded.jwt().and_then(|jwt| jwt.claims.iat) {
            push(
                issuer,
                ClockRole::TokenIssuer,
                OffsetInterval::from_observation(iat as f64, 1.0, &sent, &received),
                token.issued_by,
            );
        }
    }
    by_host
        .into_iter()
        .filter_map(|(host, role, intervals, exchanges)| {
            let combined = combine(&intervals)?;
            Some(ClockEstimate {
                host,
                role,
                offset_s: round3(combined.midpoint()),
                uncertainty_s: round3(combined.half_width()),
                observations: intervals.len(),
                exchanges,
            })
        })
        .collect()
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The registry's clock offset (0 when the capture shows none).
fn registry_offset(clocks: &[ClockEstimate], authority: &str) -> f64 {
    clocks
        .iter()
        .find(|clock| clock.role == ClockRole::Registry && clock.host == authority)
        .map_or(0.0, |clock| clock.offset_s)
}

fn exchange_midpoint(exchange: &Exchange) -> Option<f64> {
    match (exchange.timing.request_start, exchange.timing.response_end) {
        (Some(start), Some(end)) => Some((unix_seconds(&start) + unix_seconds(&end)) / 2.0),
        (Some(start), None) => Some(unix_seconds(&start)),
        _ => None,
    }
}

/// Explains each invalid-token refusal: expired, not yet valid, wrong audience, or unknown.
pub fn judge_tokens(
    capture: &Capture,
    config: &AnalysisConfig,
    built: &mut Built,
    clocks: &[ClockEstimate],
    findings: &mut Vec<Finding>,
) {
    // With trust anchors given, check every JWT's x5c chain against them (anchored or not).
    if !config.trusted_roots_der.is_empty() {
        for record in &mut built.tokens {
            if let Some(jwt) = record.decoded.jwt() {
                record.signature = crate::token::verify_signature(
                    record.raw.expose(),
                    jwt,
                    &config.trusted_roots_der,
                );
            }
        }
    }
    let refusals = std::mem::take(&mut built.invalid_token_refusals);
    for (session_idx, idx, token_idx, final_failure) in refusals {
        let session = &built.sessions[session_idx];
        let where_ = session_label(session);
        let exchange = &capture.exchanges[idx];
        let severity = if final_failure { Severity::Error } else { Severity::Warning };
        let recovered =
            if final_failure { "" } else { " The client re-authenticated and recovered." };
        let mut finding =
            |code: Code, severity: Severity, message: String, evidence: Vec<usize>| {
                findings.push(Finding {
                    code,
                    severity,
                    session: Some(session_idx),
                    step: Some(Step::RegistryVerdict),
                    exchanges: evidence,
                    message,
                })
            };
        let Some(record) = token_idx.and_then(|token_idx| built.tokens.get(token_idx)) else {
            finding(
                Code::TokenRejected,
                severity,
                format!(
                    "{where_}: the registry refused a bearer token that this capture never shows being issued, so regauth cannot say why.{recovered}"
                ),
                vec![idx],
            );
            continue;
        };
        let Some(jwt) = record.decoded.jwt() else {
            finding(
                Code::TokenRejected,
                severity,
                format!(
                    "{where_}: the registry refused an opaque token (not a JWT), so its validity cannot be read from the token.{recovered}"
                ),
                vec![idx, record.issued_by],
            );
            continue;
        };
        // The registry's clock when it judged the token: the refusal's own `Date` (whole
        // seconds, so the middle of that second), else the capture time shifted by the
        // registry's offset. `Date` matters when a slow link delays the request.
        let registry_clock_offset = registry_offset(clocks, &session.registry);
        let at_registry = exchange
            .response
            .as_ref()
            .and_then(|response| response.headers.get("date"))
            .and_then(parse_http_date)
            .map(|date| date + 0.5)
            .or_else(|| {
                exchange_midpoint(exchange).map(|capture_time| capture_time + registry_clock_offset)
            });
        let mut explained = false;
        if let (Some(at), Some(exp)) = (at_registry, jwt.claims.exp)
            && at > exp.saturating_add(DISTRIBUTION_LEEWAY_S) as f64
        {
            explained = true;
            let late = at - exp as f64;
            finding(
                Code::TokenExpired,
                severity,
                format!(
                    "{where_}: the registry refused the token issued at exchange #{} because it had expired: by the registry's clock the request came {} after the token's `exp`, beyond the 60 s leeway.{recovered}",
                    record.issued_by,
                    describe_offset(late).trim_start_matches('+')
                ),
                vec![idx, record.issued_by],
            );
            let earlier_success = record.uses.iter().any(|&use_idx| {
                use_idx < idx && built.verdicts.get(&use_idx) == Some(&Verdict::Ok)
            });
            if earlier_success {
                let first_use = record.uses.first().copied().unwrap_or(idx);
                let span = match (
                    capture.exchanges[first_use].timing.request_start,
                    exchange.timing.request_start,
                ) {
                    (Some(first), Some(last)) => format!(
                        " {:.0} s passed between its first use and this refusal;",
                        unix_seconds(&last) - unix_seconds(&first)
                    ),
                    _ => String::new(),
                };
                finding(
                    Code::TokenOutlivedByOperation,
                    severity,
                    format!(
                        "{where_}: the token worked at first, then the operation outlasted it:{span} its lifetime is {} s (`expires_in` as clients use it).{recovered}",
                        record.effective_lifetime_s
                    ),
                    vec![first_use, idx],
                );
            }
        }
        if !explained
            && let (Some(at), Some(nbf)) = (at_registry, jwt.claims.nbf.or(jwt.claims.iat))
            && at < nbf.saturating_sub(DISTRIBUTION_LEEWAY_S) as f64
        {
            explained = true;
            finding(
                Code::TokenNotYetValid,
                severity,
                format!(
                    "{where_}: the registry refused the token issued at exchange #{} because it was not valid yet: its `nbf` lies {} ahead of the registry's clock, beyond the 60 s leeway.{recovered}",
                    record.issued_by,
                    describe_offset(nbf as f64 - at).trim_start_matches('+')
                ),
                vec![idx, record.issued_by],
            );
        }
        if !explained
            && let Some(service) = session.service.as_deref()
            && !jwt.claims.aud.is_empty()
            && !jwt.has_audience(service)
        {
            explained = true;
            finding(
                Code::AudienceMismatch,
                severity,
                format!(
                    "{where_}: the token's audience is {:?} but the registry's service is `{service}`; the registry refused it.{recovered}",
                    jwt.claims.aud
                ),
                vec![idx, record.issued_by],
            );
        }
        if !explained {
            finding(
                Code::TokenRejected,
                severity,
                format!(
                    "{where_}: the registry refused the token issued at exchange #{} although it is within its validity window and names the registry's service.{recovered}",
                    record.issued_by
                ),
                vec![idx, record.issued_by],
            );
        }
    }
}

pub fn global_findings(
    capture: &Capture,
    config: &AnalysisConfig,
    classified: &Classified,
    built: &Built,
    clocks: &[ClockEstimate],
    tls: &TlsFacts,
    findings: &mut Vec<Finding>,
) {
    clock_findings(config, clocks, findings);
    for token in &built.tokens {
        let issued_for = token
            .request
            .service
            .clone()
            .or_else(|| token.decoded.jwt().and_then(|jwt| jwt.claims.aud.first().cloned()));
        let Some(issued_for) = issued_for else { continue };
        for &use_idx in &token.uses {
            let Role::Registry { authority, .. } = &classified.roles[use_idx] else { continue };
            if let Some(service) = built.registry_service.get(authority)
                && *service != issued_for
            {
                findings.push(Finding {
                    code: Code::TokenForOtherHost,
                    severity: Severity::Warning,
                    session: built.session_of_exchange.get(&use_idx).copied(),
                    step: Some(Step::AuthorizedRetry),
                    exchanges: vec![token.issued_by, use_idx],
                    message: format!("A token issued for service `{issued_for}` was sent to {authority}, whose service is `{service}`."),
                });
            }
        }
    }
    let last_writes = last_successful_writes(capture, classified);
    let mut plain_http: HashMap<String, Vec<usize>> = HashMap::new();
    let mut plain_http_secret_kinds: HashMap<String, Vec<&'static str>> = HashMap::new();
    let mut incomplete = Vec::new();
    for (idx, exchange) in capture.exchanges.iter().enumerate() {
        let request = &exchange.request;
        let session = built.session_of_exchange.get(&idx).copied();
        if exchange.response.is_none() && exchange.error.is_none() {
            incomplete.push(idx);
        }
        // Credentials without TLS.
        if request.scheme.eq_ignore_ascii_case("http") {
            let mut kinds = Vec::new();
            if let Some(value) = request.headers.get("authorization") {
                let scheme = value.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
                kinds.push(if scheme == "bearer" { "a bearer token" } else { "Basic credentials" });
            }
            if let Role::Token { request: token_request } = &classified.roles[idx] {
                match token_request.credential {
                    Credential::Password { .. } => kinds.push("a password in an OAuth2 form"),
                    Credential::RefreshToken(_) => kinds.push("a refresh token"),
                    _ => {}
                }
            }
            if request
                .headers
                .get("x-registry-auth")
                .and_then(|value| parse_x_registry_auth(value).ok())
                .is_some_and(|config| config.carries_secret())
            {
                kinds.push("registry credentials in X-Registry-Auth (Docker Engine API)");
            }
            if matches!(
                classified.roles[idx],
                Role::EngineApi { call: crate::protocol::EngineApiCall::Auth { .. } }
            ) && request
                .body
                .decoded(1 << 16)
                .ok()
                .and_then(|body| crate::protocol::parse_auth_body(&body).ok())
                .is_some_and(|config| config.carries_secret())
            {
                kinds.push("a registry password in a Docker Engine /auth body");
            }
            if !kinds.is_empty() {
                let host = request.authority();
                plain_http.entry(host.clone()).or_default().push(idx);
                let entry = plain_http_secret_kinds.entry(host).or_default();
                for kind in kinds {
                    if !entry.contains(&kind) {
                        entry.push(kind);
                    }
                }
            }
        }
        if let Role::Token { request: token_request } = &classified.roles[idx]
            && token_request.secret_in_url
        {
            findings.push(Finding {
                code: Code::SecretInUrl,
                severity: Severity::Error,
                session,
                step: Some(Step::TokenRequest),
                exchanges: vec![idx],
                message: format!(
                    "A password or token is in the query string of the token request to {}.",
                    request.authority()
                ),
            });
        }
        // Authorization sent along a redirect to another host.
        if let Role::Storage { redirected_by } = classified.roles[idx]
            && request.headers.get("authorization").is_some()
        {
            let from = &capture.exchanges[redirected_by].request;
            if !from.host.eq_ignore_ascii_case(&request.host) {
                findings.push(Finding {
                    code: Code::AuthForwardedOnRedirect,
                    severity: Severity::Warning,
                    session,
                    step: None,
                    exchanges: vec![redirected_by, idx],
                    message: format!(
                        "The registry {} redirected to {}, and the client sent its Authorization header there too{}.",
                        from.authority(),
                        request.authority(),
                        if request.host.to_ascii_lowercase().ends_with(&format!(".{}", from.host.to_ascii_lowercase())) {
                            " (Go's HTTP client keeps it for subdomains of the original host)"
                        } else {
                            ""
                        }
                    ),
                });
            }
        }
        // Registry errors that are not auth failures (those are judged per session).
        if let (Role::Registry { auth, .. }, Some(response)) =
            (&classified.roles[idx], &exchange.response)
        {
            let status = response.status;
            // HEAD 404 asks "is it there?"; so does a GET 404 on a repository the client
            // then writes to successfully (checking a tag or blob before pushing it).
            let existence_check = status == 404
                && (request.method.eq_ignore_ascii_case("HEAD")
                    || (request.method.eq_ignore_ascii_case("GET")
                        && matches!(&classified.roles[idx], Role::Registry { authority, repository: Some(repository), .. }
                            if last_writes.get(&(authority.as_str(), repository.as_str())).is_some_and(|&write| write > idx))));
            if (400..500).contains(&status)
                && !matches!(status, 401 | 403 | 429)
                && !existence_check
            {
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
                findings.push(Finding {
                    code: Code::RegistryError,
                    severity: Severity::Warning,
                    session,
                    step: Some(if *auth == RequestAuth::None {
                        Step::Challenge
                    } else {
                        Step::RegistryVerdict
                    }),
                    exchanges: vec![idx],
                    message: format!(
                        "{} {} answered {detail}.",
                        request.method,
                        request.path_only()
                    ),
                });
            }
            if let Some(limit) = rate_limit(&response.headers)
                && limit.remaining_count() == Some(0)
            {
                findings.push(Finding {
                    code: Code::RateLimited,
                    severity: Severity::Warning,
                    session,
                    step: None,
                    exchanges: vec![idx],
                    message: format!(
                        "{} reports no requests remaining in its rate-limit window.",
                        request.authority()
                    ),
                });
            }
        }
    }
    for (seen_idx, seen) in &classified.challenges {
        if !seen.problems.is_empty() {
            findings.push(Finding {
                code: Code::MalformedChallenge,
                severity: Severity::Warning,
                session: built.session_of_exchange.get(seen_idx).copied(),
                step: Some(Step::Challenge),
                exchanges: vec![*seen_idx],
                message: format!(
                    "The WWW-Authenticate header from {} is malformed: {}.",
                    seen.authority,
                    seen.problems
                        .iter()
                        .map(|problem| problem.message.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            });
        }
    }
    let mut hosts: Vec<_> = plain_http.into_iter().collect();
    hosts.sort();
    for (host, exchanges) in hosts {
        let kinds = plain_http_secret_kinds.get(&host).cloned().unwrap_or_default();
        let only_bearer = kinds.iter().all(|kind| *kind == "a bearer token");
        findings.push(Finding {
            code: Code::CredentialsOverPlainHttp,
            severity: if only_bearer { Severity::Warning } else { Severity::Error },
            session: None,
            step: None,
            exchanges,
            message: format!(
                "{} went to {host} over plain HTTP, readable by anyone on the path.",
                capitalise(&kinds.join(" and "))
            ),
        });
    }
    if !incomplete.is_empty() {
        findings.push(Finding {
            code: Code::CaptureIncomplete,
            severity: Severity::Warning,
            session: None,
            step: None,
            exchanges: incomplete.clone(),
            message: format!("{} request(s) have no response and no error: the capture stopped before they finished.", incomplete.len()),
        });
    }
    if !capture.problems.is_empty() {
        findings.push(Finding {
            code: Code::CaptureIncomplete,
            severity: Severity::Warning,
            session: None,
            step: None,
            exchanges: Vec::new(),
            message: format!(
                "Parts of the input could not be read ({} problem(s)); the first: {}.",
                capture.problems.len(),
                capture.problems.first().map(ToString::to_string).unwrap_or_default()
            ),
        });
    }
    intercept_findings(capture, tls, findings);
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
            last.insert((authority.as_str(), repository.as_str()), idx);
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
fn intercept_findings(capture: &Capture, tls: &TlsFacts, findings: &mut Vec<Finding>) {
    // Burp's CA calls itself "PortSwigger CA".
    const INTERCEPTORS: [&str; 6] =
        ["mitmproxy", "charles", "fiddler", "http toolkit", "burp", "portswigger"];
    for (source_idx, source) in capture.sources.iter().enumerate() {
        let producer = source.producer.clone().unwrap_or_default().to_ascii_lowercase();
        let by_producer = INTERCEPTORS.iter().find(|name| producer.contains(*name));
        let https: Vec<usize> = capture
            .exchanges
            .iter()
            .filter(|exchange| {
                // A recorder that knows an HTTPS request's path decrypted it.
                exchange.origin.source == source_idx
                    && exchange.request.scheme.eq_ignore_ascii_case("https")
            })
            .map(|exchange| exchange.index)
            .collect();
        // The leaf's issuer: a HAR recorder's summary (what the browser saw), or the DER chain
        // (in a flow file, what the upstream server sent: an interceptor in front of the recorder).
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
        if https.is_empty() {
            continue;
        }
        findings.push(Finding {
            code: Code::TlsIntercepted,
            severity: Severity::Info,
            session: None,
            step: None,
            exchanges: https.iter().copied().take(50).collect(),
            message: format!(
                "{}: the client's HTTPS traffic ({} exchanges) went through {interceptor}, whose CA the client trusted; TLS problems between the client and the real servers cannot show here.",
                source.name,
                https.len()
            ),
        });
    }
}

fn clock_findings(config: &AnalysisConfig, clocks: &[ClockEstimate], findings: &mut Vec<Finding>) {
    let off: Vec<&ClockEstimate> = clocks
        .iter()
        .filter(|clock| {
            OffsetInterval {
                low: clock.offset_s - clock.uncertainty_s,
                high: clock.offset_s + clock.uncertainty_s,
            }
            .distance_from_zero()
                > config.max_clock_skew_s
        })
        .collect();
    if off.is_empty() {
        return;
    }
    let in_sync: Vec<&ClockEstimate> = clocks
        .iter()
        .filter(|clock| clock.offset_s.abs() <= clock.uncertainty_s + config.max_clock_skew_s)
        .collect();
    // If every clock we know is off by about the same amount, the odd one out is the capture machine.
    let all_off_alike = in_sync.is_empty()
        && off.len() >= 2
        && off
            .iter()
            .all(|clock| (clock.offset_s - off[0].offset_s).abs() <= config.max_clock_skew_s);
    if all_off_alike {
        findings.push(Finding {
            code: Code::ClockSkew,
            severity: Severity::Warning,
            session: None,
            step: None,
            exchanges: off.iter().flat_map(|clock| clock.exchanges.iter().copied()).take(20).collect(),
            message: format!(
                "Every server agrees with the others but not with the capture machine: the capture machine's clock (where the recorder, and usually the client, ran) is off by {} (servers are {} from it). Clients that count token lifetimes on their own clock (containerd) will misjudge expiry.",
                describe_offset(-off[0].offset_s),
                describe_offset(off[0].offset_s),
            ),
        });
        return;
    }
    let reference = if in_sync.is_empty() {
        "the capture machine's clock".to_owned()
    } else {
        let names: Vec<String> = in_sync
            .iter()
            .map(|clock| format!("{} ({})", clock.host, clock.role.as_str()))
            .collect();
        format!("the capture machine's clock and {}, which agree", names.join(", "))
    };
    for clock in off {
        let severity = if clock.offset_s.abs() > DISTRIBUTION_LEEWAY_S as f64 {
            Severity::Error
        } else {
            Severity::Warning
        };
        let consequence = match clock.role {
            ClockRole::TokenIssuer | ClockRole::TokenService if clock.offset_s > 0.0 => {
                " Tokens it issues start in the registry's future: the registry sees them as not yet valid."
            }
            ClockRole::TokenIssuer | ClockRole::TokenService => {
                " Tokens it issues end early by the registry's clock: they look expired sooner than their lifetime."
            }
            ClockRole::Registry if clock.offset_s > 0.0 => " It sees tokens expire early.",
            ClockRole::Registry => " It sees fresh tokens as not yet valid.",
            ClockRole::Storage => "",
        };
        findings.push(Finding {
            code: Code::ClockSkew,
            severity,
            session: None,
            step: None,
            exchanges: clock.exchanges.iter().copied().take(20).collect(),
            message: format!(
                "The clock of {} ({}) is {} (±{:.1} s) off {reference}.{consequence}",
                clock.host,
                clock.role.as_str(),
                describe_offset(clock.offset_s),
                clock.uncertainty_s
            ),
        });
    }
}
