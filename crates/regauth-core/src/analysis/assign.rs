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

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use super::classify::{Classified, RequestAuth, Role, SeenChallenge, bearer_token, url_base};
use super::tokens::{issued_token, unsigned_prefix};
use super::{ExchangeList, ExchangeMap};
use crate::model::{ArcStr, Exchange, TextInterner, narrow_text};
use crate::protocol::{EngineApiCall, Scope, TokenRequest, parse_auth_body};

/// (registry authority, repository): what a session is about.
pub type SessionKey = (ArcStr, Option<ArcStr>);

/// The sessions of a capture, in order of first appearance.
pub struct Assignment {
    pub keys: Vec<SessionKey>,
    /// Per session, its exchanges in capture order.
    pub members: Vec<ExchangeList>,
    pub session_of_exchange: ExchangeMap<usize>,
}

pub fn assign(exchanges: &[Exchange], classified: &Classified) -> Assignment {
    let realms = Realms::of(exchanges, &classified.challenges);
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
    deferred_pings: Vec<(usize, ArcStr)>,
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
        let mut uses_of: HashMap<Cow<'_, str>, Vec<usize>> = HashMap::new();
        for (idx, role) in classified.roles.iter().enumerate() {
            if let Role::Registry { auth: RequestAuth::Bearer, .. } = role
                && let Some(token) = bearer_token(&exchanges[idx].request)
                && let Some(prefix) = narrow_text(token, |token| Some(unsigned_prefix(token)))
            {
                uses_of.entry(prefix).or_default().push(idx);
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
        let mut tokens_for: HashMap<ArcStr, Vec<usize>> = HashMap::new();
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
            assignment.members.push(ExchangeList::new());
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

/// The capture's Bearer challenges grouped by realm (normalised by [`url_base`]) and
/// service, so matching a token request to its challenge costs two binary searches however
/// many realms the capture names. Sorted lists rather than a map of maps: a capture may name
/// a hundred thousand realms, and a map per realm cost more than the capture (issue 9).
struct Realms<'a> {
    exchanges: &'a [Exchange],
    /// The challenges in capture order; positions below index into it.
    challenges: &'a [SeenChallenge],
    /// One per (realm, service) the challenges name, sorted by realm, then service.
    groups: Vec<RealmGroup>,
    /// Each group's challenges, ascending, one run per group (`RealmGroup::positions`).
    positions: Vec<usize>,
    /// The first repository a challenge's scope names, read from its header when a token
    /// request with several repository scopes first needs it, then kept: many requests may
    /// ask about one challenge, and its header may be long.
    challenged_repositories: RefCell<HashMap<usize, Option<String>>>,
}

struct RealmGroup {
    realm: ArcStr,
    service: Option<ArcStr>,
    /// `Realms::positions[start..end]`.
    start: usize,
    end: usize,
}

impl<'a> Realms<'a> {
    fn of(exchanges: &'a [Exchange], challenges: &'a [SeenChallenge]) -> Realms<'a> {
        // A realm is usually its own normalised form: then the challenge's shared copy is
        // the group's, and only realms spelled otherwise get (one shared) copy each.
        let mut normalised = TextInterner::unbounded();
        let mut entries: Vec<(ArcStr, Option<ArcStr>, usize)> = challenges
            .iter()
            .enumerate()
            .filter_map(|(position, seen)| {
                let bearer = seen.bearer()?;
                let realm = bearer.shared_realm()?;
                let base = url_base(realm);
                let base = if *base == **realm { realm.clone() } else { normalised.get(&base) };
                Some((base, bearer.shared_service().cloned(), position))
            })
            .collect();
        entries.sort_unstable();
        let mut realms = Realms {
            exchanges,
            challenges,
            groups: Vec::new(),
            positions: Vec::with_capacity(entries.len()),
            challenged_repositories: RefCell::new(HashMap::new()),
        };
        for (realm, service, position) in entries {
            let same_group = realms
                .groups
                .last()
                .is_some_and(|group| group.realm == realm && group.service == service);
            if !same_group {
                let start = realms.positions.len();
                realms.groups.push(RealmGroup { realm, service, start, end: start });
            }
            realms.positions.push(position);
            if let Some(group) = realms.groups.last_mut() {
                group.end = realms.positions.len();
            }
        }
        realms.groups.shrink_to_fit();
        realms
    }

    /// The groups of `realm` (normalised), one per service, sorted by service.
    fn groups_of(&self, realm: &str) -> &[RealmGroup] {
        let start = self.groups.partition_point(|group| &*group.realm < realm);
        let len = self.groups[start..].partition_point(|group| &*group.realm == realm);
        &self.groups[start..start + len]
    }

    fn positions(&self, group: &RealmGroup) -> &[usize] {
        &self.positions[group.start..group.end]
    }

    fn challenge(&self, position: usize) -> &'a SeenChallenge {
        &self.challenges[position]
    }

    fn challenged_repository(&self, position: usize) -> Option<String> {
        if let Some(known) = self.challenged_repositories.borrow().get(&position) {
            return known.clone();
        }
        let seen = &self.challenges[position];
        let repository = self.exchanges.get(seen.exchange).and_then(|exchange| {
            seen.find_bearer_scope(exchange, |scope| scope.resource_type == "repository")
                .map(|scope| scope.name)
        });
        self.challenged_repositories.borrow_mut().insert(position, repository.clone());
        repository
    }
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
        Some(position) => realms.challenge(position).authority.clone(),
        None => match &request.service {
            Some(service) => ArcStr::from(service.as_str()),
            None => ArcStr::from(exchange.request.authority()),
        },
    };
    let repository = token_repository(request, || {
        challenge.and_then(|position| realms.challenged_repository(position))
    });
    ((registry, repository.map(ArcStr::from)), challenge.is_some())
}

/// The challenge (its position in [`Realms`]) that sent the client to this token request:
/// the latest one before it for the request's realm and service, else the first after it.
fn challenge_naming_realm(
    exchange: &Exchange,
    request: &TokenRequest,
    realms: &Realms<'_>,
) -> Option<usize> {
    let of_realm = realms.groups_of(&url_base(&exchange.request.url()));
    if of_realm.is_empty() {
        return None;
    }
    let of_service = |service: Option<&str>| {
        let at = of_realm.partition_point(|group| group.service.as_deref() < service);
        of_realm.get(at).filter(|group| group.service.as_deref() == service)
    };
    let candidates: Vec<&[usize]> = match &request.service {
        Some(asked) => [of_service(Some(asked)), of_service(None)]
            .into_iter()
            .flatten()
            .map(|group| realms.positions(group))
            .collect(),
        None => of_realm.iter().map(|group| realms.positions(group)).collect(),
    };
    let before = realms.challenges.partition_point(|seen| seen.exchange < exchange.index);
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
    latest_before.or_else(first_after)
}

/// The repository a token request is for: its only repository scope; of several, the one the
/// challenge named (`challenged`, read only then), else the one asking for push, else the
/// first.
fn token_repository(
    request: &TokenRequest,
    challenged: impl FnOnce() -> Option<String>,
) -> Option<String> {
    let repositories: Vec<&Scope> =
        request.scopes.iter().filter(|scope| scope.resource_type == "repository").collect();
    match repositories.as_slice() {
        [] => None,
        [only] => Some(only.name.clone()),
        several => challenged()
            .filter(|name| several.iter().any(|scope| scope.name == *name))
            .or_else(|| {
                several
                    .iter()
                    .find(|scope| scope.has_action("push"))
                    .map(|scope| scope.name.clone())
            })
            .or_else(|| several.first().map(|scope| scope.name.clone())),
    }
}
