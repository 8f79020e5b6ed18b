//! Sessions: which exchanges belong to which registry + repository, and the state machine
//! that walks each session's exchanges in capture order and names its steps and outcome.
//!
//! Hand-written because it is the product: no crate knows the registry auth sequence.

use std::collections::HashMap;

use super::classify::{Classified, RequestAuth, Role, SeenChallenge, url_base};
use super::findings::{Code, Finding, Severity};
use super::{AuthScheme, Outcome, Session, Step, StepExchanges, TokenRecord};
use crate::capture::Capture;
use crate::model::Exchange;
use crate::protocol::{
    Credential, EngineApiCall, TokenRequest, parse_auth_body, parse_token_response,
    parse_x_registry_auth, rate_limit,
};
use crate::secret::Secret;
use crate::token::{SignatureCheck, decode_token, verify_signature};

/// Why an answer made a session fail.
#[derive(Clone, Debug, PartialEq)]
pub enum FailCause {
    /// No HTTP answer at all (refused, TLS failure, aborted).
    Connection {
        error: String,
    },
    /// The token service refused the credentials (401/403).
    TokenDenied {
        anonymous: bool,
        status: u16,
    },
    /// The token service answered something else than a token.
    TokenServiceError {
        status: u16,
        oauth_post: bool,
    },
    /// A 401 without a usable challenge.
    NoChallenge {
        status: u16,
    },
    /// 403 to a request without credentials.
    Forbidden,
    /// The token lacks the action (`error="insufficient_scope"`).
    InsufficientScope {
        token: Option<usize>,
    },
    /// The registry refused the token itself (`error="invalid_token"` or a bare 401).
    InvalidToken {
        token: Option<usize>,
    },
    /// A Basic-auth registry refused the credentials.
    BasicDenied,
    /// The Docker daemon relayed a refusal (Engine API leg: `/auth`, pull or push).
    EngineRefused {
        message: String,
        with_credentials: bool,
    },
    RateLimited {
        status: u16,
    },
    ServerError {
        status: u16,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The registry served (or the request was otherwise fine for auth).
    Ok,
    /// The normal 401 challenge to a request without credentials.
    Challenge,
    /// A token was handed out; the session goes on.
    TokenIssued,
    /// Nothing to judge (no answer recorded, related download, ...).
    Neutral,
    Fail {
        step: Step,
        cause: FailCause,
    },
}

/// What a session waits for next (the rustls/quinn "Expect*" style); transitions consume self.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    ExpectFirstRequest,
    /// Challenged with Bearer: the client should ask the realm.
    ExpectTokenRequest,
    /// Challenged with Basic: the client should retry with credentials.
    ExpectBasicRetry,
    /// Holding a token: the client should retry with it.
    ExpectAuthorizedRetry,
    /// The registry served; more requests may follow.
    Serving,
    /// Refused; a retry or re-authentication may follow.
    ExpectRecovery,
}

impl State {
    fn next(self, verdict: &Verdict, scheme: AuthScheme) -> State {
        match verdict {
            Verdict::Ok => State::Serving,
            Verdict::Challenge if scheme == AuthScheme::Basic => State::ExpectBasicRetry,
            Verdict::Challenge => State::ExpectTokenRequest,
            Verdict::TokenIssued => State::ExpectAuthorizedRetry,
            Verdict::Neutral => self,
            Verdict::Fail { .. } => State::ExpectRecovery,
        }
    }

    fn expectation(self) -> Option<&'static str> {
        match self {
            State::ExpectFirstRequest => Some("a registry request (step 1)"),
            State::ExpectTokenRequest => Some("the client to ask the token service (step 3)"),
            State::ExpectBasicRetry => Some("the client to retry with Basic credentials (step 5)"),
            State::ExpectAuthorizedRetry => Some("the client to retry with its token (step 5)"),
            State::Serving => None,
            State::ExpectRecovery => Some("a retry or re-authentication after the refusal"),
        }
    }
}

pub struct Built {
    pub sessions: Vec<Session>,
    pub tokens: Vec<TokenRecord>,
    pub findings: Vec<Finding>,
    pub session_of_exchange: HashMap<usize, usize>,
    pub verdicts: HashMap<usize, Verdict>,
    /// Registry authority → the service its challenges name.
    pub registry_service: HashMap<String, String>,
    /// Invalid-token refusals to be explained once clocks are known: (session, exchange, token, final).
    pub invalid_token_refusals: Vec<(usize, usize, Option<usize>, bool)>,
}

type SessionKey = (String, Option<String>);

pub fn build(capture: &Capture, classified: &Classified) -> Built {
    let exchanges = &capture.exchanges;
    let mut registry_service: HashMap<String, String> = HashMap::new();
    let mut challenge_list: Vec<&SeenChallenge> = classified.challenges.values().collect();
    challenge_list.sort_by_key(|seen| seen.exchange);
    let realms = realms_of(&challenge_list);
    for seen in &challenge_list {
        if let Some(service) = seen.bearer().and_then(|challenge| challenge.service()) {
            registry_service.entry(seen.authority.clone()).or_insert_with(|| service.to_owned());
        }
    }

    // 1. Which session each exchange belongs to.
    let mut key_of: Vec<Option<SessionKey>> = vec![None; exchanges.len()];
    let mut deferred_pings = Vec::new();
    let mut unchallenged_tokens = Vec::new();
    for (idx, role) in classified.roles.iter().enumerate() {
        match role {
            Role::Registry { authority, repository: None, auth: RequestAuth::None } => {
                deferred_pings.push((idx, authority.clone()));
            }
            Role::Registry { authority, repository, .. } => {
                key_of[idx] = Some((authority.clone(), repository.clone()));
            }
            Role::Token { request } => {
                let (key, challenged) = token_session_key(&exchanges[idx], request, &realms);
                if !challenged {
                    unchallenged_tokens.push(idx);
                }
                key_of[idx] = Some(key);
            }
            Role::EngineApi { call } => key_of[idx] = engine_session_key(&exchanges[idx], call),
            _ => {}
        }
    }
    // A token request whose challenge the capture lacks is named after its `service`, which
    // need not be the registry's host (Docker Hub: registry.docker.io vs registry-1.docker.io):
    // it belongs to the registry that then uses the token it got.
    for idx in unchallenged_tokens {
        let Some(issued) = issued_token(&exchanges[idx]) else { continue };
        let issued_unsigned = unsigned_part(&issued);
        let user = (idx + 1..exchanges.len()).find_map(|later| match &classified.roles[later] {
            Role::Registry { authority, auth: RequestAuth::Bearer { token }, .. }
                if *token == issued || unsigned_part(token) == issued_unsigned =>
            {
                Some(authority.clone())
            }
            _ => None,
        });
        if let (Some(authority), Some((_, repository))) = (user, key_of[idx].clone()) {
            key_of[idx] = Some((authority, repository));
        }
    }
    // Per registry, the token requests and repository requests in capture order, so each ping
    // finds the next one by binary search (a health checker's thousands of pings stay cheap).
    let mut tokens_for: HashMap<String, Vec<usize>> = HashMap::new();
    let mut repository_requests_for: HashMap<&str, Vec<usize>> = HashMap::new();
    for (idx, role) in classified.roles.iter().enumerate() {
        match role {
            Role::Token { .. } => {
                if let Some((registry, _)) = &key_of[idx] {
                    tokens_for.entry(registry.clone()).or_default().push(idx);
                }
            }
            Role::Registry { authority, repository: Some(_), .. } => {
                repository_requests_for.entry(authority.as_str()).or_default().push(idx);
            }
            _ => {}
        }
    }
    let next_after = |list: Option<&Vec<usize>>, idx: usize| {
        list.and_then(|list| list.get(list.partition_point(|&other| other <= idx)).copied())
    };
    for (idx, authority) in deferred_pings {
        let next_token = next_after(tokens_for.get(&authority), idx);
        let next_repository_request = || {
            next_after(repository_requests_for.get(authority.as_str()), idx).and_then(|later| {
                match &classified.roles[later] {
                    Role::Registry { repository: Some(repository), .. } => {
                        Some((authority.clone(), Some(repository.clone())))
                    }
                    _ => None,
                }
            })
        };
        key_of[idx] = Some(match next_token {
            Some(token_idx) => key_of[token_idx].clone().unwrap_or((authority.clone(), None)),
            None => next_repository_request().unwrap_or((authority.clone(), None)),
        });
    }
    for (idx, role) in classified.roles.iter().enumerate() {
        if let Role::Storage { redirected_by } = role {
            key_of[idx] = key_of.get(*redirected_by).cloned().flatten();
        }
    }

    // 2. Sessions in order of first appearance.
    let mut session_index: HashMap<SessionKey, usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut keys: Vec<SessionKey> = Vec::new();
    let mut session_of_exchange = HashMap::new();
    for (idx, key) in key_of.iter().enumerate() {
        let Some(key) = key else { continue };
        let session_idx = *session_index.entry(key.clone()).or_insert_with(|| {
            members.push(Vec::new());
            keys.push(key.clone());
            members.len() - 1
        });
        members[session_idx].push(idx);
        session_of_exchange.insert(idx, session_idx);
    }

    let mut built = Built {
        sessions: Vec::new(),
        tokens: Vec::new(),
        findings: Vec::new(),
        session_of_exchange,
        verdicts: HashMap::new(),
        registry_service,
        invalid_token_refusals: Vec::new(),
    };
    let mut token_by_raw: HashMap<String, usize> = HashMap::new();
    // Tokens are issued and used across sessions, so walk all exchanges in capture order and
    // feed each to its session's machine.
    let mut machines: Vec<Machine> = keys
        .iter()
        .map(|(registry, repository)| Machine::new(registry.clone(), repository.clone()))
        .collect();
    for (idx, exchange) in exchanges.iter().enumerate() {
        let Some(&session_idx) = built.session_of_exchange.get(&idx) else { continue };
        let machine = &mut machines[session_idx];
        let verdict = match &classified.roles[idx] {
            Role::Registry { auth, .. } => judge_registry(
                exchange,
                auth,
                classified.challenges.get(&idx),
                &token_by_raw,
                machine,
            ),
            Role::Token { request } => judge_token(
                exchange,
                request,
                session_idx,
                &mut built.tokens,
                &mut token_by_raw,
                machine,
            ),
            Role::Storage { .. } => Verdict::Neutral,
            Role::EngineApi { call } => judge_engine(exchange, call),
            Role::Other => Verdict::Neutral,
        };
        if let Role::Registry { auth: RequestAuth::Bearer { token }, .. } = &classified.roles[idx]
            && let Some(&token_idx) = lookup_token(&token_by_raw, token)
        {
            let record = &mut built.tokens[token_idx];
            record.uses.push(idx);
            if let Some(status) = exchange.response.as_ref().map(|response| response.status)
                && (status == 401 || status == 403)
            {
                record.rejected_uses.push(idx);
            }
        }
        machine.feed(idx, &classified.roles[idx], &verdict);
        built.verdicts.insert(idx, verdict);
    }

    for (session_idx, machine) in machines.into_iter().enumerate() {
        let session = machine.finish(&members[session_idx], &built.verdicts);
        let new_findings = session_findings(capture, classified, session_idx, &session, &built);
        built.findings.extend(new_findings);
        collect_invalid_token_refusals(
            session_idx,
            &session,
            &built.verdicts,
            &mut built.invalid_token_refusals,
        );
        built.sessions.push(session);
    }
    built
}

/// The registry and repository an Engine API call concerns (what the daemon will contact).
fn engine_session_key(exchange: &Exchange, call: &EngineApiCall) -> Option<SessionKey> {
    match call {
        EngineApiCall::Auth { .. } => {
            let body = exchange.request.body.decoded(1 << 16).ok()?;
            let config = parse_auth_body(&body).ok()?;
            let server = config.serveraddress.unwrap_or_else(|| "docker.io".to_owned());
            Some((normalize_registry(&server), None))
        }
        EngineApiCall::ImagesCreate { .. } => {
            let query = exchange.request.query()?;
            let image = form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "fromImage")
                .map(|(_, value)| value.into_owned())?;
            Some(split_image_reference(&image))
        }
        EngineApiCall::ImagePush { name, .. } => Some(split_image_reference(name)),
        EngineApiCall::Ping { .. } => None,
    }
}

/// `docker.io`, `https://index.docker.io/v1/` → `registry-1.docker.io` (where the daemon goes).
fn normalize_registry(server: &str) -> String {
    let without_scheme = server.split_once("://").map_or(server, |(_, rest)| rest);
    let host = without_scheme.split('/').next().unwrap_or(without_scheme).to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "index.docker.io" | "registry.hub.docker.com" | "" => {
            "registry-1.docker.io".to_owned()
        }
        _ => host,
    }
}

/// `registry:5000/team/app:1.0` → (`registry:5000`, `team/app`); `alpine` → Docker Hub `library/alpine`.
fn split_image_reference(image: &str) -> SessionKey {
    let without_digest = image.split('@').next().unwrap_or(image);
    let (first, rest) = without_digest.split_once('/').unwrap_or(("", without_digest));
    let first_is_registry = first.contains('.') || first.contains(':') || first == "localhost";
    let (registry, path) = if first_is_registry {
        (normalize_registry(first), rest.to_owned())
    } else if first.is_empty() {
        ("registry-1.docker.io".to_owned(), format!("library/{rest}"))
    } else {
        ("registry-1.docker.io".to_owned(), without_digest.to_owned())
    };
    // A tag follows the last `:` after the last `/`.
    let repository = match path.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name.to_owned(),
        _ => path,
    };
    (registry, Some(repository))
}

/// The daemon's answer to a login, pull or push. Pull and push answer 200 and report failures
/// as an `errorDetail` line inside the JSON progress stream.
fn judge_engine(exchange: &Exchange, call: &EngineApiCall) -> Verdict {
    let with_credentials = match call {
        EngineApiCall::Auth { .. } => true,
        _ => exchange
            .request
            .headers
            .get("x-registry-auth")
            .and_then(|value| parse_x_registry_auth(value).ok())
            .is_some_and(|config| config.carries_secret()),
    };
    let step = match call {
        EngineApiCall::Auth { .. } => Step::TokenResponse,
        EngineApiCall::Ping { .. } => return Verdict::Neutral,
        _ => Step::RegistryVerdict,
    };
    let Some(response) = &exchange.response else {
        return match &exchange.error {
            Some(error) => Verdict::Fail {
                step: if step == Step::TokenResponse {
                    Step::TokenRequest
                } else {
                    Step::TryRegistry
                },
                cause: FailCause::Connection { error: error.clone() },
            },
            None => Verdict::Neutral,
        };
    };
    let body = response.body.decoded(4 << 20).unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let message = engine_error_message(&text);
    match (response.status, message) {
        (200..=299, None) => Verdict::Ok,
        (200..=299, Some(message)) => {
            Verdict::Fail { step, cause: FailCause::EngineRefused { message, with_credentials } }
        }
        (status, message) => Verdict::Fail {
            step,
            cause: FailCause::EngineRefused {
                message: message.unwrap_or_else(|| format!("status {status}")),
                with_credentials,
            },
        },
    }
}

/// The error message in an Engine API answer: `{"message": ...}` or the last `errorDetail`
/// (or `error`) line of a JSON progress stream.
fn engine_error_message(text: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines().map(str::trim).filter(|line| line.starts_with('{')) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let message = value
            .get("errorDetail")
            .and_then(|detail| detail.get("message"))
            .or_else(|| value.get("error"))
            .or_else(|| value.get("message"))
            .and_then(|message| message.as_str());
        if let Some(message) = message {
            found = Some(message.to_owned());
        }
    }
    found
}

fn lookup_token<'a>(token_by_raw: &'a HashMap<String, usize>, raw: &str) -> Option<&'a usize> {
    token_by_raw.get(raw).or_else(|| token_by_raw.get(&unsigned_part(raw)))
}

/// `header.claims` of a JWT: matches a token whose signature a sanitiser replaced.
fn unsigned_part(raw: &str) -> String {
    let mut parts = raw.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(claims), Some(_)) => format!("{header}.{claims}"),
        _ => raw.to_owned(),
    }
}

/// The token a token response handed out, if it did.
fn issued_token(exchange: &Exchange) -> Option<String> {
    let response = exchange.response.as_ref().filter(|response| response.status == 200)?;
    let body = response.body.decoded(1 << 20).ok()?;
    let parsed = parse_token_response(&body).ok()?;
    parsed.effective_token().map(|secret| secret.expose().to_owned())
}

/// A Bearer challenge's realm, normalised once (token requests are matched against it).
struct RealmOf<'a> {
    seen: &'a SeenChallenge,
    realm_base: Option<String>,
}

fn realms_of<'a>(challenges: &[&'a SeenChallenge]) -> Vec<RealmOf<'a>> {
    challenges
        .iter()
        .map(|seen| RealmOf {
            seen,
            realm_base: seen.bearer().and_then(|challenge| challenge.realm()).map(url_base),
        })
        .collect()
}

/// The registry and repository a token request serves, and whether a captured challenge
/// named its realm.
fn token_session_key(
    exchange: &Exchange,
    request: &TokenRequest,
    realms: &[RealmOf<'_>],
) -> (SessionKey, bool) {
    let base = url_base(&exchange.request.url());
    let matches_realm = |realm: &&RealmOf<'_>| {
        realm.realm_base.as_deref() == Some(base.as_str())
            && match (
                &request.service,
                realm.seen.bearer().and_then(|challenge| challenge.service()),
            ) {
                (Some(asked), Some(named)) => asked == named,
                _ => true,
            }
    };
    // The latest matching challenge before the request (realms are in capture order), else any.
    let before = realms.partition_point(|realm| realm.seen.exchange < exchange.index);
    let challenge = realms[..before]
        .iter()
        .rev()
        .find(matches_realm)
        .or_else(|| realms[before..].iter().find(matches_realm))
        .map(|realm| realm.seen);
    let registry = match challenge {
        Some(seen) => seen.authority.clone(),
        None => request.service.clone().unwrap_or_else(|| exchange.request.authority()),
    };
    let repositories: Vec<&crate::protocol::Scope> =
        request.scopes.iter().filter(|scope| scope.resource_type == "repository").collect();
    let challenged_repository = challenge.and_then(|seen| {
        seen.bearer()
            .map(|challenge| challenge.scopes())
            .unwrap_or_default()
            .into_iter()
            .find(|scope| scope.resource_type == "repository")
            .map(|scope| scope.name)
    });
    let repository = match repositories.as_slice() {
        [] => None,
        [only] => Some(only.name.clone()),
        several => challenged_repository
            .filter(|name| several.iter().any(|scope| scope.name == *name))
            .or_else(|| {
                several
                    .iter()
                    .find(|scope| scope.has_action("push"))
                    .map(|scope| scope.name.clone())
            })
            .or_else(|| several.first().map(|scope| scope.name.clone())),
    };
    ((registry, repository), challenge.is_some())
}

fn judge_registry(
    exchange: &Exchange,
    auth: &RequestAuth,
    challenge: Option<&SeenChallenge>,
    token_by_raw: &HashMap<String, usize>,
    machine: &mut Machine,
) -> Verdict {
    let authorized = *auth != RequestAuth::None;
    let Some(response) = &exchange.response else {
        return match &exchange.error {
            Some(error) => Verdict::Fail {
                step: if authorized { Step::AuthorizedRetry } else { Step::TryRegistry },
                cause: FailCause::Connection { error: error.clone() },
            },
            None => Verdict::Neutral,
        };
    };
    if let Some(seen) = challenge {
        if let Some(bearer) = seen.bearer() {
            machine.scheme = AuthScheme::Bearer;
            machine.realm = machine.realm.take().or_else(|| bearer.realm().map(str::to_owned));
            machine.service =
                machine.service.take().or_else(|| bearer.service().map(str::to_owned));
        } else if seen.basic().is_some() && machine.scheme != AuthScheme::Bearer {
            machine.scheme = AuthScheme::Basic;
        }
    }
    // Without a challenge in the capture (it started later), the client's credentials say
    // which scheme the registry uses.
    if machine.scheme == AuthScheme::None {
        match auth {
            RequestAuth::Basic { .. } => machine.scheme = AuthScheme::Basic,
            RequestAuth::Bearer { .. } => machine.scheme = AuthScheme::Bearer,
            _ => {}
        }
    }
    let status = response.status;
    let token = match auth {
        RequestAuth::Bearer { token } => lookup_token(token_by_raw, token).copied(),
        _ => None,
    };
    match status {
        401 | 403 if !authorized => {
            let usable = challenge.is_some_and(|seen| {
                seen.bearer().is_some_and(|challenge| challenge.realm().is_some())
                    || seen.basic().is_some()
            });
            if usable {
                Verdict::Challenge
            } else if status == 403 {
                Verdict::Fail { step: Step::Challenge, cause: FailCause::Forbidden }
            } else {
                Verdict::Fail { step: Step::Challenge, cause: FailCause::NoChallenge { status } }
            }
        }
        401 | 403 => {
            let error =
                challenge.and_then(|seen| seen.bearer()).and_then(|challenge| challenge.error());
            // Basic credentials sent up front to a token-auth registry: its plain Bearer
            // challenge asks for a token; it does not judge the password.
            if status == 401
                && matches!(auth, RequestAuth::Basic { .. })
                && error.is_none()
                && challenge
                    .and_then(|seen| seen.bearer())
                    .is_some_and(|challenge| challenge.realm().is_some())
            {
                return Verdict::Challenge;
            }
            let cause = match (auth, error) {
                (_, Some("insufficient_scope")) => FailCause::InsufficientScope { token },
                // 403 to good Basic credentials: the account may not do this (ECR, nginx ACLs);
                // unless the registry says the password itself expired (ECR's 12 h tokens).
                (RequestAuth::Basic { .. }, _) if status == 403 && !says_expired(response) => {
                    FailCause::InsufficientScope { token: None }
                }
                (RequestAuth::Basic { .. }, _) => FailCause::BasicDenied,
                (RequestAuth::Bearer { .. }, _) if status == 403 && error.is_none() => {
                    // distribution answers 401; 403 without an error parameter is a denial
                    // of the action (Harbor, GHCR, ECR).
                    FailCause::InsufficientScope { token }
                }
                _ => FailCause::InvalidToken { token },
            };
            Verdict::Fail { step: Step::RegistryVerdict, cause }
        }
        429 => Verdict::Fail {
            step: if authorized { Step::RegistryVerdict } else { Step::Challenge },
            cause: FailCause::RateLimited { status },
        },
        500..=599 => Verdict::Fail {
            step: if authorized { Step::RegistryVerdict } else { Step::Challenge },
            cause: FailCause::ServerError { status },
        },
        _ => Verdict::Ok,
    }
}

fn judge_token(
    exchange: &Exchange,
    request: &TokenRequest,
    session_idx: usize,
    tokens: &mut Vec<TokenRecord>,
    token_by_raw: &mut HashMap<String, usize>,
    machine: &mut Machine,
) -> Verdict {
    if machine.scheme == AuthScheme::None {
        machine.scheme = AuthScheme::Bearer;
    }
    if machine.realm.is_none() {
        machine.realm = Some(url_base(&exchange.request.url()));
    }
    if machine.service.is_none() {
        machine.service = request.service.clone();
    }
    let Some(response) = &exchange.response else {
        return match &exchange.error {
            Some(error) => Verdict::Fail {
                step: Step::TokenRequest,
                cause: FailCause::Connection { error: error.clone() },
            },
            None => Verdict::Neutral,
        };
    };
    let oauth_post = exchange.request.method.eq_ignore_ascii_case("POST");
    match response.status {
        200..=299 => {
            let body = response.body.decoded(1 << 20).unwrap_or_default();
            let parsed = match parse_token_response(&body) {
                Ok(parsed) => parsed,
                Err(_) => {
                    return Verdict::Fail {
                        step: Step::TokenResponse,
                        cause: FailCause::TokenServiceError { status: response.status, oauth_post },
                    };
                }
            };
            let Some(raw) = parsed.effective_token().map(|secret| secret.expose().to_owned())
            else {
                return Verdict::Fail {
                    step: Step::TokenResponse,
                    cause: FailCause::TokenServiceError { status: response.status, oauth_post },
                };
            };
            let decoded = decode_token(&raw);
            let signature = match decoded.jwt() {
                Some(jwt) => verify_signature(&raw, jwt, &[]),
                None => SignatureCheck::NotChecked { reason: "not a JWT".to_owned() },
            };
            let token_idx = tokens.len();
            token_by_raw.insert(raw.clone(), token_idx);
            token_by_raw.entry(unsigned_part(&raw)).or_insert(token_idx);
            tokens.push(TokenRecord {
                issued_by: exchange.index,
                session: Some(session_idx),
                raw: Secret::new(raw),
                decoded,
                request: request.clone(),
                effective_lifetime_s: parsed.effective_lifetime_s(),
                refresh_token: parsed.refresh_token.clone(),
                response: parsed,
                signature,
                uses: Vec::new(),
                rejected_uses: Vec::new(),
            });
            Verdict::TokenIssued
        }
        401 | 403 => Verdict::Fail {
            step: Step::TokenResponse,
            cause: FailCause::TokenDenied {
                anonymous: request.credential == Credential::Anonymous,
                status: response.status,
            },
        },
        429 => Verdict::Fail {
            step: Step::TokenResponse,
            cause: FailCause::RateLimited { status: 429 },
        },
        status => Verdict::Fail {
            step: Step::TokenResponse,
            cause: FailCause::TokenServiceError { status, oauth_post },
        },
    }
}

/// One session's state machine.
struct Machine {
    registry: String,
    repository: Option<String>,
    scheme: AuthScheme,
    realm: Option<String>,
    service: Option<String>,
    state: State,
    steps: Vec<StepExchanges>,
}

impl Machine {
    fn new(registry: String, repository: Option<String>) -> Machine {
        Machine {
            registry,
            repository,
            scheme: AuthScheme::None,
            realm: None,
            service: None,
            state: State::ExpectFirstRequest,
            steps: Step::ALL
                .iter()
                .map(|&step| StepExchanges { step, exchanges: Vec::new() })
                .collect(),
        }
    }

    fn record(&mut self, step: Step, exchange: usize) {
        if let Some(entry) = self.steps.iter_mut().find(|entry| entry.step == step) {
            entry.exchanges.push(exchange);
        }
    }

    fn feed(&mut self, idx: usize, role: &Role, verdict: &Verdict) {
        match role {
            Role::Registry { auth, .. }
                if *auth == RequestAuth::None || *verdict == Verdict::Challenge =>
            {
                self.record(Step::TryRegistry, idx);
                if *verdict == Verdict::Challenge
                    || matches!(verdict, Verdict::Fail { step: Step::Challenge, .. })
                {
                    self.record(Step::Challenge, idx);
                }
            }
            Role::Registry { .. } => {
                self.record(Step::AuthorizedRetry, idx);
                if !matches!(
                    verdict,
                    Verdict::Neutral | Verdict::Fail { step: Step::AuthorizedRetry, .. }
                ) {
                    self.record(Step::RegistryVerdict, idx);
                }
            }
            // The daemon's /auth asks the token service on the client's behalf.
            Role::Token { .. } | Role::EngineApi { call: EngineApiCall::Auth { .. } } => {
                self.record(Step::TokenRequest, idx);
                if !matches!(
                    verdict,
                    Verdict::Neutral | Verdict::Fail { step: Step::TokenRequest, .. }
                ) {
                    self.record(Step::TokenResponse, idx);
                }
            }
            // A pull or push through the daemon: the registry's verdict comes back relayed.
            Role::EngineApi {
                call: EngineApiCall::ImagesCreate { .. } | EngineApiCall::ImagePush { .. },
                ..
            } => {
                self.record(Step::TryRegistry, idx);
                if !matches!(
                    verdict,
                    Verdict::Neutral | Verdict::Fail { step: Step::TryRegistry, .. }
                ) {
                    self.record(Step::RegistryVerdict, idx);
                }
            }
            _ => {}
        }
        self.state = self.state.next(verdict, self.scheme);
    }

    fn finish(self, members: &[usize], verdicts: &HashMap<usize, Verdict>) -> Session {
        // The outcome is the last decisive verdict; the failing step is the first failure
        // after the last success (so a recovered failure does not count).
        // containerd's OAuth2 POST refused as unsupported (400/404/405) decides nothing when
        // the client falls back to another token request afterwards.
        let superseded_fallback = |idx: usize, verdict: &Verdict| {
            matches!(
                verdict,
                Verdict::Fail {
                    cause: FailCause::TokenServiceError {
                        oauth_post: true,
                        status: 400 | 404 | 405
                    },
                    ..
                }
            ) && members.iter().any(|&later| {
                later > idx
                    && matches!(
                        verdicts.get(&later),
                        Some(
                            Verdict::TokenIssued | Verdict::Fail { step: Step::TokenResponse, .. }
                        )
                    )
            })
        };
        let decisive: Vec<(usize, &Verdict)> = members
            .iter()
            .filter_map(|idx| verdicts.get(idx).map(|verdict| (*idx, verdict)))
            .filter(|(_, verdict)| matches!(verdict, Verdict::Ok | Verdict::Fail { .. }))
            .filter(|(idx, verdict)| !superseded_fallback(*idx, verdict))
            .collect();
        let last_ok = decisive.iter().rposition(|(_, verdict)| **verdict == Verdict::Ok);
        let (outcome, failed) = match decisive.last() {
            None => (Outcome::Incomplete, None),
            Some((_, Verdict::Ok)) => (Outcome::Success, None),
            Some(_) => {
                let first_failure = decisive[last_ok.map_or(0, |ok| ok + 1)..].first().and_then(
                    |(idx, verdict)| match verdict {
                        Verdict::Fail { step, .. } => Some((*step, *idx)),
                        _ => None,
                    },
                );
                (Outcome::Failure, first_failure)
            }
        };
        Session {
            registry: self.registry,
            repository: self.repository,
            scheme: self.scheme,
            realm: self.realm,
            service: self.service,
            outcome,
            failed_step: failed.map(|(step, _)| step),
            failed_exchange: failed.map(|(_, idx)| idx),
            steps: self.steps,
            exchanges: members.to_vec(),
            expected_next: if outcome == Outcome::Success {
                None
            } else {
                self.state.expectation()
            },
            failed_finding: None,
        }
    }
}

/// Whether `exchange` is in the session's final failing run (its failure stuck).
///
/// `failed_exchange` is the first failure after the session's last success (see
/// [`Machine::finish`]), so nothing after it succeeded: no need to scan for a later `Ok`
/// (which made this quadratic on long captures).
fn is_final_failure(
    session: &Session,
    exchange: usize,
    _verdicts: &HashMap<usize, Verdict>,
) -> bool {
    session.outcome == Outcome::Failure
        && session.failed_exchange.is_some_and(|first| exchange >= first)
}

fn collect_invalid_token_refusals(
    session_idx: usize,
    session: &Session,
    verdicts: &HashMap<usize, Verdict>,
    out: &mut Vec<(usize, usize, Option<usize>, bool)>,
) {
    for &idx in &session.exchanges {
        if let Some(Verdict::Fail { cause: FailCause::InvalidToken { token }, .. }) =
            verdicts.get(&idx)
        {
            out.push((session_idx, idx, *token, is_final_failure(session, idx, verdicts)));
        }
    }
}

fn session_findings(
    capture: &Capture,
    classified: &Classified,
    session_idx: usize,
    session: &Session,
    built: &Built,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let where_ = session_label(session);
    let plain_http_answers = last_plain_http_answers(capture, session);
    for &idx in &session.exchanges {
        let Some(Verdict::Fail { step, cause }) = built.verdicts.get(&idx) else { continue };
        let final_failure = is_final_failure(session, idx, &built.verdicts);
        let severity = if final_failure { Severity::Error } else { Severity::Warning };
        let exchange = &capture.exchanges[idx];
        let status = exchange.response.as_ref().map(|response| response.status);
        let finding = |code: Code, severity: Severity, message: String| Finding {
            code,
            severity,
            session: Some(session_idx),
            step: Some(*step),
            exchanges: vec![idx],
            message,
        };
        let recovered =
            if final_failure { "" } else { " The client recovered later in the session." };
        match cause {
            FailCause::Connection { error } if is_certificate_error(error) => findings.push(finding(
                if is_expired_certificate_error(error) {
                    Code::TlsCertificateExpired
                } else {
                    Code::TlsUntrustedCertificate
                },
                severity,
                format!(
                    "{where_}: the TLS handshake with {} failed: {}.{}{recovered}",
                    exchange.request.authority(),
                    error.trim_end_matches('.'),
                    if is_expired_certificate_error(error) { "" } else { recorder_note(capture, exchange) }
                ),
            )),
            FailCause::Connection { error } if !final_failure && fell_back_to_http(capture, &plain_http_answers, idx) => findings.push(finding(
                Code::ConnectionFailed,
                Severity::Info,
                format!("{where_}: {} {} got no answer: {}. The client then reached the registry over plain HTTP: it tries HTTPS first and falls back (skopeo/podman with --tls-verify=false, docker's insecure-registries). Not a failure in itself.", exchange.request.method, exchange.request.url(), error.trim_end_matches('.')),
            )),
            FailCause::Connection { error } => findings.push(finding(
                Code::ConnectionFailed,
                severity,
                format!("{where_}: {} {} got no answer: {}.{recovered}", exchange.request.method, exchange.request.url(), error.trim_end_matches('.')),
            )),
            FailCause::TokenDenied { anonymous: true, status } => findings.push(finding(
                Code::AnonymousDenied,
                severity,
                format!("{where_}: the token service refused an anonymous token request with {status}.{recovered}"),
            )),
            FailCause::TokenDenied { anonymous: false, status } => {
                // The request was parsed when it was classified; no need to read it again.
                let who = match &classified.roles[idx] {
                    Role::Token { request } => {
                        request.credential.username().map(|user| format!(" of `{user}`")).unwrap_or_default()
                    }
                    _ => String::new(),
                };
                findings.push(finding(
                    Code::BadCredentials,
                    severity,
                    format!(
                        "{where_}: the token service {} answered {status} to the credentials{who}: the password (or token) was refused.{recovered}",
                        exchange.request.authority()
                    ),
                ));
            }
            FailCause::TokenServiceError { status, oauth_post } => {
                // containerd's POST that falls back to GET is normal when the GET then works.
                let fallback = *oauth_post && matches!(status, 400 | 404 | 405);
                if final_failure || !fallback {
                    findings.push(finding(
                        Code::TokenServiceError,
                        if final_failure { Severity::Error } else { Severity::Info },
                        format!("{where_}: the token service answered {status} without a token.{recovered}"),
                    ));
                }
            }
            FailCause::NoChallenge { status } => findings.push(finding(
                Code::MalformedChallenge,
                severity,
                format!("{where_}: the registry answered {status} without a usable WWW-Authenticate challenge, so the client cannot know where to get a token."),
            )),
            FailCause::Forbidden => findings.push(finding(
                Code::AnonymousDenied,
                severity,
                format!("{where_}: the registry answered 403 to a request without credentials.{recovered}"),
            )),
            FailCause::InsufficientScope { token } => {
                let record = token.and_then(|token_idx| built.tokens.get(token_idx));
                let anonymous = record.is_some_and(|record| record.request.credential == Credential::Anonymous);
                if !final_failure {
                    // A scope upgrade: the client asked for more and then succeeded. Normal.
                    continue;
                }
                let granted = record
                    .and_then(|record| record.decoded.jwt().map(|jwt| jwt.granted_scopes()))
                    .map(|scopes| {
                        if scopes.is_empty() {
                            "nothing".to_owned()
                        } else {
                            scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
                        }
                    });
                let requested = record.map(|record| {
                    record.request.scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
                });
                let needed = action_needed(exchange);
                let detail = match (requested, granted) {
                    (Some(requested), Some(granted)) => {
                        format!(" The client asked for `{requested}`; the token grants {granted}.")
                    }
                    _ => String::new(),
                };
                let unrequested = record.map(|record| unrequested_scopes(exchange, &record.request)).unwrap_or_default();
                if anonymous {
                    findings.push(finding(
                        Code::AnonymousDenied,
                        severity,
                        format!("{where_}: the client had only an anonymous token and the registry refused {} {} ({needed} needed, status {}).{detail}", exchange.request.method, exchange.request.path_only(), status.unwrap_or(0)),
                    ));
                } else if let (false, Some(record)) = (unrequested.is_empty(), record) {
                    // The client never asked for what the registry needs: no account right
                    // would have helped.
                    let mut evidence = vec![record.issued_by, idx];
                    evidence.sort_unstable();
                    findings.push(Finding {
                        code: Code::ScopeMismatch,
                        severity,
                        session: Some(session_idx),
                        step: Some(Step::TokenRequest),
                        exchanges: evidence,
                        message: format!(
                            "{where_}: the registry refused {} {} with insufficient_scope and needs `{}`, but the client asked the token service (exchange #{}) only for `{}`.",
                            exchange.request.method,
                            exchange.request.path_only(),
                            unrequested.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
                            record.issued_by,
                            record.request.scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
                        ),
                    });
                } else {
                    let user = record.and_then(|record| record.request.credential.username().map(str::to_owned));
                    let message = match basic_user(exchange) {
                        Some(basic) => format!(
                            "{where_}: the registry refused {} {} to `{basic}` with {}: the account lacks `{needed}` on this repository.",
                            exchange.request.method,
                            exchange.request.path_only(),
                            status.unwrap_or(0)
                        ),
                        None => format!(
                            "{where_}: the registry refused {} {} with insufficient_scope: the token{} lacks `{needed}`.{detail}",
                            exchange.request.method,
                            exchange.request.path_only(),
                            user.map(|user| format!(" of `{user}`")).unwrap_or_default()
                        ),
                    };
                    findings.push(finding(Code::InsufficientScope, severity, message));
                }
            }
            FailCause::InvalidToken { .. } => {} // explained with the clocks, in tokens.rs
            FailCause::EngineRefused { message, with_credentials } => {
                let lower = message.to_ascii_lowercase();
                let code = if lower.contains("toomanyrequests") || lower.contains("too many requests") {
                    Code::RateLimited
                } else if !with_credentials
                    && (lower.contains("denied") || lower.contains("unauthorized") || lower.contains("docker login"))
                {
                    Code::AnonymousDenied
                } else if lower.contains("incorrect username or password")
                    || lower.contains("unauthorized")
                    || lower.contains("authentication required")
                {
                    Code::BadCredentials
                } else if lower.contains("denied") || lower.contains("insufficient_scope") || lower.contains("docker login") {
                    Code::InsufficientScope
                } else {
                    Code::RegistryError
                };
                findings.push(finding(
                    code,
                    severity,
                    format!(
                        "{where_}: the Docker daemon answered {} {} with {}: \"{message}\" (the daemon relays what the registry or token service said{}).{recovered}",
                        exchange.request.method,
                        exchange.request.path_only(),
                        status.map_or_else(|| "no status".to_owned(), |status| status.to_string()),
                        if *with_credentials { "" } else { "; the client sent no credentials to the daemon" }
                    ),
                ));
            }
            FailCause::BasicDenied => {
                let body = exchange
                    .response
                    .as_ref()
                    .and_then(|response| response.body.text(1 << 16).ok())
                    .unwrap_or_default();
                let user = basic_user(exchange);
                if body.to_ascii_lowercase().contains("expired") {
                    // ECR: the Basic password is a 12-hour token; expiry is a 403 with this text.
                    findings.push(finding(
                        Code::TokenExpired,
                        severity,
                        format!(
                            "{where_}: the registry refused the Basic credentials{} with {} because they expired: \"{}\". Registries such as ECR hand out passwords that last 12 hours; get a fresh one (`aws ecr get-login-password`).{recovered}",
                            user.map(|user| format!(" of `{user}`")).unwrap_or_default(),
                            status.unwrap_or(0),
                            body.trim().chars().take(200).collect::<String>()
                        ),
                    ));
                } else {
                    findings.push(finding(
                        Code::BadCredentials,
                        severity,
                        format!(
                            "{where_}: the registry refused the Basic credentials{} with {}.{recovered}",
                            user.map(|user| format!(" of `{user}`")).unwrap_or_default(),
                            status.unwrap_or(0)
                        ),
                    ));
                }
            }
            FailCause::RateLimited { status } => {
                let limits = exchange
                    .response
                    .as_ref()
                    .and_then(|response| rate_limit(&response.headers))
                    .map(|limit| format!(" Limits: {limit:?}."))
                    .unwrap_or_default();
                findings.push(finding(Code::RateLimited, severity, format!("{where_}: answered {status} (too many requests).{limits}{recovered}")));
            }
            FailCause::ServerError { status } => findings.push(finding(
                Code::RegistryError,
                severity,
                format!("{where_}: {} {} answered {status} (server error).{recovered}", exchange.request.method, exchange.request.path_only()),
            )),
        }
    }
    if session.outcome == Outcome::Incomplete {
        findings.push(Finding {
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
        });
    }
    findings
}

pub fn session_label(session: &Session) -> String {
    match &session.repository {
        Some(repository) => format!("{}/{repository}", session.registry),
        None => session.registry.clone(),
    }
}

fn basic_user(exchange: &Exchange) -> Option<String> {
    match exchange.request.headers.get("authorization").map(crate::protocol::parse_authorization) {
        Some(Ok(crate::protocol::Authorization::Basic { username, .. })) => Some(username),
        _ => None,
    }
}

/// The scopes a refusal's challenge names that the token request did not ask for.
fn unrequested_scopes(exchange: &Exchange, request: &TokenRequest) -> Vec<crate::protocol::Scope> {
    let Some(response) = &exchange.response else { return Vec::new() };
    let (challenges, _) =
        crate::protocol::parse_challenges(response.headers.get_all("www-authenticate"));
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

/// Whether the failed exchange `idx` was an HTTPS attempt that the session followed with an
/// answered plain-HTTP request to the same host and port.
fn fell_back_to_http(
    capture: &Capture,
    plain_http_answers: &HashMap<(String, u16), usize>,
    idx: usize,
) -> bool {
    let failed = &capture.exchanges[idx].request;
    failed.scheme.eq_ignore_ascii_case("https")
        && plain_http_answers
            .get(&(failed.host.to_ascii_lowercase(), failed.port))
            .is_some_and(|&later| later > idx)
}

/// Whether a refusal's body says the credentials expired (ECR: "Your authorization token has
/// expired").
fn says_expired(response: &crate::model::Response) -> bool {
    response.body.text(4096).is_ok_and(|text| text.to_ascii_lowercase().contains("expired"))
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
