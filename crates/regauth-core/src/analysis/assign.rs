//! Session assignment: which registry and repository each exchange belongs to.
//!
//! - A registry API call names its session in its path (`/v2/<name>/...`).
//! - A token request belongs to the registry whose challenge named its realm (and service),
//!   and to the repository its scope names; without a captured challenge, to the registry
//!   that then uses the token it got.
//! - A `/v2/` ping without credentials joins the session of the next token request for that
//!   registry, else of its next repository request.
//! - A storage download joins the session of the redirect that sent the client there.
//! - A Docker Engine API call joins the registry and repository the daemon will contact.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::ExchangeMap;
use super::classify::{Classified, RequestAuth, Role, SeenChallenge, bearer_token, url_base};
use super::tokens::{issued_token, unsigned_prefix};
use crate::model::Exchange;
use crate::protocol::{EngineApiCall, Scope, TokenRequest, parse_auth_body};

/// (registry authority, repository): what a session is about.
pub type SessionKey = (Arc<str>, Option<Arc<str>>);

/// The sessions of a capture, in order of first appearance.
pub struct Assignment {
    pub keys: Vec<SessionKey>,
    /// Per session, its exchanges in capture order.
    pub members: Vec<Vec<usize>>,
    pub session_of_exchange: ExchangeMap<usize>,
}

pub fn assign(exchanges: &[Exchange], classified: &Classified) -> Assignment {
    let challenge_list: Vec<&SeenChallenge> = classified.challenges.iter().collect();
    let realms = realms_of(&challenge_list);
    let mut keys = DirectKeys::of(exchanges, classified, &realms);
    keys.adopt_unchallenged_tokens(exchanges, classified);
    keys.adopt_pings(classified);
    keys.follow_redirects(classified);
    group(&keys.key_of)
}

/// The session key of each exchange, and the exchanges whose key depends on others.
struct DirectKeys {
    key_of: Vec<Option<SessionKey>>,
    /// Unauthenticated `/v2/` pings, with their registry.
    deferred_pings: Vec<(usize, Arc<str>)>,
    /// Token requests whose realm no captured challenge named.
    unchallenged_tokens: Vec<usize>,
}

impl DirectKeys {
    /// Keys that an exchange names itself.
    fn of(exchanges: &[Exchange], classified: &Classified, realms: &Realms<'_>) -> DirectKeys {
        let mut keys = DirectKeys {
            key_of: vec![None; exchanges.len()],
            deferred_pings: Vec::new(),
            unchallenged_tokens: Vec::new(),
        };
        for (idx, role) in classified.roles.iter().enumerate() {
            match role {
                Role::Registry { authority, repository: None, auth: RequestAuth::None } => {
                    keys.deferred_pings.push((idx, authority.clone()));
                }
                Role::Registry { authority, repository, .. } => {
                    keys.key_of[idx] = Some((authority.clone(), repository.clone()));
                }
                Role::Token { request } => {
                    let (key, challenged) = token_session_key(&exchanges[idx], request, realms);
                    if !challenged {
                        keys.unchallenged_tokens.push(idx);
                    }
                    keys.key_of[idx] = Some(key);
                }
                Role::EngineApi { call } => {
                    keys.key_of[idx] = engine_session_key(&exchanges[idx], call);
                }
                _ => {}
            }
        }
        keys
    }

    /// A token request whose challenge the capture lacks is named after its `service`, which
    /// need not be the registry's host (Docker Hub: registry.docker.io vs
    /// registry-1.docker.io): it belongs to the registry that then uses the token it got.
    ///
    /// A token sent with its exact text or with a sanitised signature matches: both have the
    /// token's unsigned part, so the registry requests are indexed by it once and each token
    /// finds its first later use by binary search (thousands of tokens stay linear).
    fn adopt_unchallenged_tokens(&mut self, exchanges: &[Exchange], classified: &Classified) {
        if self.unchallenged_tokens.is_empty() {
            return;
        }
        let mut uses_of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (idx, role) in classified.roles.iter().enumerate() {
            if let Role::Registry { auth: RequestAuth::Bearer, .. } = role
                && let Some(token) = bearer_token(&exchanges[idx].request)
            {
                uses_of.entry(unsigned_prefix(token)).or_default().push(idx);
            }
        }
        for &idx in &self.unchallenged_tokens {
            let Some(issued) = issued_token(&exchanges[idx]) else { continue };
            let user = uses_of.get(unsigned_prefix(&issued)).and_then(|uses| {
                let later = uses.get(uses.partition_point(|&other| other <= idx))?;
                match &classified.roles[*later] {
                    Role::Registry { authority, .. } => Some(authority.clone()),
                    _ => None,
                }
            });
            if let (Some(authority), Some((_, repository))) = (user, self.key_of[idx].clone()) {
                self.key_of[idx] = Some((authority, repository));
            }
        }
    }

    /// A ping joins the session of the next token request for its registry, else of the next
    /// repository request. Per registry the candidates are kept in capture order, so each
    /// ping finds the next one by binary search (a health checker's thousands of pings stay
    /// cheap).
    fn adopt_pings(&mut self, classified: &Classified) {
        let mut tokens_for: HashMap<Arc<str>, Vec<usize>> = HashMap::new();
        let mut repository_requests_for: HashMap<&str, Vec<usize>> = HashMap::new();
        for (idx, role) in classified.roles.iter().enumerate() {
            match role {
                Role::Token { .. } => {
                    if let Some((registry, _)) = &self.key_of[idx] {
                        tokens_for.entry(registry.clone()).or_default().push(idx);
                    }
                }
                Role::Registry { authority, repository: Some(_), .. } => {
                    repository_requests_for.entry(authority).or_default().push(idx);
                }
                _ => {}
            }
        }
        let next_after = |list: Option<&Vec<usize>>, idx: usize| {
            list.and_then(|list| list.get(list.partition_point(|&other| other <= idx)).copied())
        };
        for (idx, authority) in &self.deferred_pings {
            let next_token = next_after(tokens_for.get(authority), *idx);
            let next_repository_request = || {
                next_after(repository_requests_for.get(&**authority), *idx).and_then(|later| {
                    match &classified.roles[later] {
                        Role::Registry { repository: Some(repository), .. } => {
                            Some((authority.clone(), Some(repository.clone())))
                        }
                        _ => None,
                    }
                })
            };
            self.key_of[*idx] = Some(match next_token {
                Some(token_idx) => {
                    self.key_of[token_idx].clone().unwrap_or((authority.clone(), None))
                }
                None => next_repository_request().unwrap_or((authority.clone(), None)),
            });
        }
    }

    /// A storage download belongs where the redirect that sent the client there belongs.
    fn follow_redirects(&mut self, classified: &Classified) {
        for (idx, role) in classified.roles.iter().enumerate() {
            if let Role::Storage { redirected_by } = role {
                self.key_of[idx] = self.key_of.get(*redirected_by).cloned().flatten();
            }
        }
    }
}

/// Sessions in order of first appearance.
fn group(key_of: &[Option<SessionKey>]) -> Assignment {
    let mut session_index: HashMap<&SessionKey, usize> = HashMap::new();
    let mut assignment = Assignment {
        keys: Vec::new(),
        members: Vec::new(),
        session_of_exchange: ExchangeMap::with_exchanges(key_of.len()),
    };
    for (idx, key) in key_of.iter().enumerate() {
        let Some(key) = key else { continue };
        let session_idx = *session_index.entry(key).or_insert_with(|| {
            assignment.members.push(Vec::new());
            assignment.keys.push(key.clone());
            assignment.members.len() - 1
        });
        assignment.members[session_idx].push(idx);
        assignment.session_of_exchange.insert(idx, session_idx);
    }
    assignment
}

/// The registry and repository an Engine API call concerns (what the daemon will contact).
fn engine_session_key(exchange: &Exchange, call: &EngineApiCall) -> Option<SessionKey> {
    match call {
        EngineApiCall::Auth { .. } => {
            let body = exchange.request.body.decoded(1 << 16).ok()?;
            let config = parse_auth_body(&body).ok()?;
            let server = config.serveraddress.unwrap_or_else(|| "docker.io".to_owned());
            Some((normalize_registry(&server).into(), None))
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
    (registry.into(), Some(repository.into()))
}

/// A Bearer challenge's realm, normalised once (token requests are matched against it).
struct RealmOf<'a> {
    seen: &'a SeenChallenge,
    realm_base: Option<String>,
    /// The first repository the challenge's scope names, read when a token request with
    /// several repository scopes first needs it.
    challenged_repository: OnceCell<Option<String>>,
}

impl RealmOf<'_> {
    fn service(&self) -> Option<&str> {
        self.seen.bearer().and_then(|challenge| challenge.service())
    }

    fn challenged_repository(&self) -> Option<&str> {
        self.challenged_repository
            .get_or_init(|| {
                self.seen.bearer().and_then(|challenge| {
                    challenge
                        .scopes()
                        .into_iter()
                        .find(|scope| scope.resource_type == "repository")
                        .map(|scope| scope.name)
                })
            })
            .as_deref()
    }
}

/// The challenges in capture order, and for each realm and service where they are in that
/// order, so matching a token request to its challenge costs a hash lookup and a binary
/// search however many realms the capture names.
struct Realms<'a> {
    list: Vec<RealmOf<'a>>,
    /// Realm → service its challenges name (`None`: none) → positions in `list`, ascending.
    positions: HashMap<String, HashMap<Option<String>, Vec<usize>>>,
}

fn realms_of<'a>(challenges: &[&'a SeenChallenge]) -> Realms<'a> {
    let list: Vec<RealmOf<'a>> = challenges
        .iter()
        .map(|seen| RealmOf {
            seen,
            realm_base: seen.bearer().and_then(|challenge| challenge.realm()).map(url_base),
            challenged_repository: OnceCell::new(),
        })
        .collect();
    let mut positions: HashMap<String, HashMap<Option<String>, Vec<usize>>> = HashMap::new();
    for (position, realm) in list.iter().enumerate() {
        if let Some(base) = &realm.realm_base {
            positions
                .entry(base.clone())
                .or_default()
                .entry(realm.service().map(str::to_owned))
                .or_default()
                .push(position);
        }
    }
    Realms { list, positions }
}

/// The registry and repository a token request serves, and whether a captured challenge
/// named its realm.
fn token_session_key(
    exchange: &Exchange,
    request: &TokenRequest,
    realms: &Realms<'_>,
) -> (SessionKey, bool) {
    let challenge = challenge_naming_realm(exchange, request, realms);
    let registry = match challenge {
        Some(realm) => realm.seen.authority.clone(),
        None => match &request.service {
            Some(service) => Arc::from(service.as_str()),
            None => Arc::from(exchange.request.authority()),
        },
    };
    ((registry, token_repository(request, challenge).map(Arc::from)), challenge.is_some())
}

/// The challenge that sent the client to this realm (and service): the latest one before the
/// request, else the first one after it. A challenge that names no service matches any.
fn challenge_naming_realm<'r, 'a>(
    exchange: &Exchange,
    request: &TokenRequest,
    realms: &'r Realms<'a>,
) -> Option<&'r RealmOf<'a>> {
    let by_service = realms.positions.get(&url_base(&exchange.request.url()))?;
    let candidates: Vec<&Vec<usize>> = match &request.service {
        Some(asked) => [by_service.get(&Some(asked.clone())), by_service.get(&None)]
            .into_iter()
            .flatten()
            .collect(),
        None => by_service.values().collect(),
    };
    let before = realms.list.partition_point(|realm| realm.seen.exchange < exchange.index);
    let latest_before = candidates
        .iter()
        .filter_map(|positions| {
            let at = positions.partition_point(|&position| position < before);
            at.checked_sub(1).map(|at| positions[at])
        })
        .max();
    let first_after = || {
        candidates
            .iter()
            .filter_map(|positions| {
                positions.get(positions.partition_point(|&position| position < before)).copied()
            })
            .min()
    };
    latest_before.or_else(first_after).map(|position| &realms.list[position])
}

/// The repository a token request is for: its only repository scope; of several, the one the
/// challenge named, else the one asking for push, else the first.
fn token_repository(request: &TokenRequest, challenge: Option<&RealmOf<'_>>) -> Option<String> {
    let repositories: Vec<&Scope> =
        request.scopes.iter().filter(|scope| scope.resource_type == "repository").collect();
    match repositories.as_slice() {
        [] => None,
        [only] => Some(only.name.clone()),
        several => challenge
            .and_then(RealmOf::challenged_repository)
            .filter(|name| several.iter().any(|scope| scope.name == *name))
            .map(str::to_owned)
            .or_else(|| {
                several
                    .iter()
                    .find(|scope| scope.has_action("push"))
                    .map(|scope| scope.name.clone())
            })
            .or_else(|| several.first().map(|scope| scope.name.clone())),
    }
}
