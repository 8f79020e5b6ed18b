//! What each exchange is in the auth protocol: a registry API call, a token request, a
//! Docker Engine API call, a storage download a registry redirected to, or something else.
//!
//! Token endpoints are recognised by the realms that registries name in their challenges
//! (so any realm path works), and only then by shape (`service=`/`scope=` parameters or an
//! OAuth2 `grant_type` form), for captures that start after the challenge.

use std::borrow::{Borrow, Cow};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use crate::capture::Capture;
use crate::model::{ArcStr, Exchange, Request, TextInterner, narrow_text};
use crate::protocol::{
    Authorization, Challenge, ChallengeProblem, EngineApiCall, Scope, TokenRequest,
    is_engine_api_path, parse_authorization, parse_challenges, parse_scope, parse_token_request,
};

/// The credential a registry request carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestAuth {
    None,
    Basic {
        username: String,
    },
    /// The token is read from the request when needed ([`bearer_token`]): a copy per request
    /// costs as much as the capture's `Authorization` headers (issue 9).
    Bearer,
    Other {
        scheme: String,
    },
}

#[derive(Clone, Debug)]
pub enum Role {
    Registry {
        /// Shared by every exchange and challenge that names it ([`Interner`]).
        authority: ArcStr,
        repository: Option<ArcStr>,
        auth: RequestAuth,
    },
    Token {
        /// Shared with the [`super::TokenRecord`] of the token it got.
        request: Arc<TokenRequest>,
    },
    EngineApi {
        call: EngineApiCall,
    },
    /// A download from the target of a registry's redirect (`redirected_by` is that exchange).
    Storage {
        redirected_by: usize,
    },
    Other,
}

// One role is kept per exchange for the whole analysis: an Engine API call's text in thin
// strings keeps the largest variant at a registry request's 40 bytes (56 with `String`s).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Role>() <= 48);

/// A registry challenge, with where it came from: what the engine reads of it, not every
/// challenge and parameter the header had (issue 9: a hundred thousand 401s each kept whole
/// cost more than the capture). `explain` parses a header again where it quotes more.
#[derive(Clone, Debug)]
pub struct SeenChallenge {
    pub exchange: usize,
    pub authority: ArcStr,
    /// The first Bearer challenge.
    bearer: Option<BearerChallenge>,
    /// Whether any of the challenges is Basic.
    has_basic: bool,
    pub problems: Vec<ChallengeProblem>,
}

/// What the engine reads of a Bearer challenge, read as [`Challenge`]'s accessors read it:
/// the first value of `realm`, `service` and `error`, and every `scope` value in order.
#[derive(Clone, Debug, Default)]
pub struct BearerChallenge {
    realm: Option<ArcStr>,
    service: Option<ArcStr>,
    error: Option<ArcStr>,
}

impl BearerChallenge {
    fn of(challenge: &Challenge, names: &mut TextInterner) -> BearerChallenge {
        let mut first = |name: &str| challenge.param(name).map(|value| names.get(value));
        BearerChallenge { realm: first("realm"), service: first("service"), error: first("error") }
    }

    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }

    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// [`Self::realm`] as the analysis' shared copy of the name.
    pub fn shared_realm(&self) -> Option<&ArcStr> {
        self.realm.as_ref()
    }

    /// [`Self::service`] as the analysis' shared copy of the name.
    pub fn shared_service(&self) -> Option<&ArcStr> {
        self.service.as_ref()
    }

    /// RFC 6750 §3 `error` (`invalid_token`, `insufficient_scope`, `invalid_request`).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

impl SeenChallenge {
    fn new(
        exchange: usize,
        authority: ArcStr,
        challenges: &[Challenge],
        mut problems: Vec<ChallengeProblem>,
        names: &mut TextInterner,
    ) -> SeenChallenge {
        let has_basic = challenges.iter().any(Challenge::is_basic);
        let bearer = challenges
            .iter()
            .find(|challenge| challenge.is_bearer())
            .map(|challenge| BearerChallenge::of(challenge, names));
        problems.shrink_to_fit();
        SeenChallenge { exchange, authority, bearer, has_basic, problems }
    }

    pub fn bearer(&self) -> Option<&BearerChallenge> {
        self.bearer.as_ref()
    }

    pub fn has_basic(&self) -> bool {
        self.has_basic
    }

    /// The first scope the first Bearer challenge asks for that `wanted` accepts, read again
    /// from the header of `exchange` (the one this challenge came from) as
    /// [`Challenge::scopes`] reads them, and only as far as that scope: kept parsed, the
    /// scopes of a hundred thousand challenges cost more than their headers, and one
    /// challenge may name a hundred thousand scopes (issue 9).
    pub fn find_bearer_scope(
        &self,
        exchange: &Exchange,
        wanted: impl Fn(&Scope) -> bool,
    ) -> Option<Scope> {
        debug_assert_eq!(exchange.index, self.exchange, "the challenge's own exchange");
        let response = exchange.response.as_ref()?;
        let (challenges, _) = parse_challenges(response.headers.get_all("www-authenticate"));
        let bearer = challenges.iter().find(|challenge| challenge.is_bearer())?;
        bearer
            .params_named("scope")
            .flat_map(str::split_ascii_whitespace)
            .filter_map(|part| parse_scope(part).ok())
            .find(|scope| wanted(scope))
    }
}

pub struct Classified {
    pub roles: Vec<Role>,
    /// The challenges, in capture order (by exchange index).
    pub challenges: Vec<SeenChallenge>,
    /// HTTPS-first probes the client repeated over plain HTTP: probe → the plain-HTTP
    /// exchange that repeated it ([`super::connection::fallback_probes`]).
    pub fallback_probes: HashMap<usize, usize>,
}

impl Classified {
    /// The challenge exchange `idx` answered with, if any.
    pub fn challenge(&self, idx: usize) -> Option<&SeenChallenge> {
        let at = self.challenges.binary_search_by_key(&idx, |seen| seen.exchange).ok()?;
        self.challenges.get(at)
    }
}

/// One shared copy of each value that many exchanges repeat (parsed token requests; names
/// share theirs through [`TextInterner::unbounded`]). A capture of a hundred thousand requests names a handful of
/// registries and realms and asks a few scopes, and a copy per request costs more than the
/// request's bytes (issue 9: memory bounded by the input).
pub struct Interner<T: ?Sized>(HashSet<Arc<T>>);

impl<T: ?Sized> Default for Interner<T> {
    fn default() -> Interner<T> {
        Interner(HashSet::new())
    }
}

impl<T: ?Sized + Hash + Eq> Interner<T> {
    /// The shared copy of `value`, made from it the first time.
    pub fn get<V: Borrow<T> + Into<Arc<T>>>(&mut self, value: V) -> Arc<T> {
        if let Some(shared) = self.0.get(value.borrow()) {
            return Arc::clone(shared);
        }
        let shared: Arc<T> = value.into();
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

pub fn classify(capture: &Capture) -> Classified {
    let exchanges = &capture.exchanges;
    let mut names = TextInterner::unbounded();
    let mut challenges = Vec::new();
    // A set: a capture may name a hundred thousand distinct realms, and every exchange is
    // looked up in it.
    let mut realms: HashSet<String> = HashSet::new();
    for exchange in exchanges {
        let Some(response) = &exchange.response else { continue };
        let values: Vec<_> = response.headers.get_all("www-authenticate").collect();
        if values.is_empty() {
            continue;
        }
        let (parsed, problems) = parse_challenges(values);
        for challenge in &parsed {
            if let Some(realm) = challenge.realm().filter(|_| challenge.is_bearer()) {
                realms.insert(url_base(realm));
            }
        }
        challenges.push(SeenChallenge::new(
            exchange.index,
            exchange.request.shared_authority(&mut names),
            &parsed,
            problems,
            &mut names,
        ));
    }

    let mut redirects: HashMap<String, usize> = HashMap::new();
    // Token requests that read alike share one parsed value: a busy CI pull asks the same
    // realm for the same scope thousands of times.
    let mut token_requests: Interner<TokenRequest> = Interner::default();
    let mut roles = Vec::with_capacity(exchanges.len());
    for exchange in exchanges {
        let request = &exchange.request;
        let url = request.url();
        let base = url_base(&url);
        let role = if let Some(&redirected_by) = redirects.get(&comparable_url(&url)) {
            Role::Storage { redirected_by }
        } else if realms.contains(&base) || looks_like_token_request(request) {
            Role::Token { request: token_requests.get(parse_token_request(request)) }
        } else if let Some(call) = is_engine_api_path(request.path_only()) {
            Role::EngineApi { call }
        } else if let Some(repository) = registry_repository(request.path_only()) {
            Role::Registry {
                authority: request.shared_authority(&mut names),
                repository: repository.map(|repository| names.get(repository.as_str())),
                auth: request_auth(request),
            }
        } else {
            Role::Other
        };
        // A storage host may redirect again (CDN → origin); the next hop still belongs here.
        if matches!(role, Role::Registry { .. } | Role::Storage { .. })
            && let Some(location) = redirect_location(exchange)
        {
            redirects.insert(comparable_url(&location), exchange.index);
        }
        roles.push(role);
    }
    // In capture order already (exchange indexes are positions); sorted for the lookups
    // whatever a reader numbered.
    challenges.sort_by_key(|seen: &SeenChallenge| seen.exchange);
    let fallback_probes = super::connection::fallback_probes(exchanges, &roles);
    Classified { roles, challenges, fallback_probes }
}

/// `scheme://host[:port]/path` in lower-case host form, without query or fragment.
pub fn url_base(url: &str) -> String {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let without_query = without_fragment.split('?').next().unwrap_or(without_fragment);
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let authority = authority.to_ascii_lowercase();
            let authority = authority
                .strip_suffix(":443")
                .filter(|_| scheme.eq_ignore_ascii_case("https"))
                .or_else(|| {
                    authority.strip_suffix(":80").filter(|_| scheme.eq_ignore_ascii_case("http"))
                })
                .unwrap_or(&authority);
            let path = if path.is_empty() { "/" } else { path };
            format!("{}://{}{}", scheme.to_ascii_lowercase(), authority, path)
        }
        None => without_query.to_owned(),
    }
}

/// A URL with its scheme and host in lower case and a default port dropped (query kept), so a
/// `Location` header and the request that followed it compare equal however they spell them.
fn comparable_url(url: &str) -> String {
    let query = url.split_once('?').map(|(_, query)| query);
    let base = url_base(url.split('#').next().unwrap_or(url));
    match query {
        Some(query) => format!("{base}?{}", query.split('#').next().unwrap_or(query)),
        None => base,
    }
}

/// For registry API paths: `Some(repository)` (`Some(None)` for `/v2/`, `/v2/_catalog`,
/// `/v1/_ping`); `None` for anything else, including `/v2/...` paths the registry API lacks.
pub fn registry_repository(path: &str) -> Option<Option<String>> {
    if path == "/v2" || path == "/v2/" || path == "/v1/_ping" || path == "/v2/_catalog" {
        return Some(None);
    }
    let rest = path.strip_prefix("/v2/")?;
    // The last marker wins: repository names may contain `manifests` or `blobs` as components,
    // while what follows the marker (a tag, a digest, `uploads/<id>`, `list`) cannot.
    let idx = ["/manifests/", "/blobs/", "/tags/", "/referrers/"]
        .iter()
        .filter_map(|marker| rest.rfind(marker))
        .max();
    // Other `/v2/...` paths are no registry API (a web app's own `/v2/users`, say).
    idx.filter(|&idx| idx > 0).map(|idx| Some(rest[..idx].to_owned()))
}

/// Whether a registry path is the OCI referrers API (`/v2/<name>/referrers/<digest>`), which
/// registries may lack: clients probe it and fall back to the referrers tag schema whatever
/// the 4xx (404, 400, 405 or 406 depending on the registry).
pub fn is_referrers_api(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/v2/") else { return false };
    // As in `registry_repository`: the last marker says what the path is.
    let last_marker = ["/manifests/", "/blobs/", "/tags/", "/referrers/"]
        .iter()
        .filter_map(|marker| rest.rfind(marker).map(|at| (at, *marker)))
        .max();
    matches!(last_marker, Some((at, "/referrers/")) if at > 0)
}

fn looks_like_token_request(request: &Request) -> bool {
    let query = request.query().unwrap_or("");
    let has_param = |name: &str| {
        query.split('&').any(|pair| pair.split('=').next().is_some_and(|key| key == name))
    };
    if request.method.eq_ignore_ascii_case("GET")
        && has_param("service")
        && (has_param("scope") || has_param("account"))
    {
        return true;
    }
    if request.method.eq_ignore_ascii_case("POST") && !request.path.starts_with("/v2/") {
        let content_type = request.headers.get("content-type").unwrap_or_default();
        if content_type.contains("x-www-form-urlencoded")
            && let Ok(body) = request.body.decoded(64 * 1024)
        {
            return body.starts_with(b"grant_type=")
                || body.windows(12).any(|window| window == b"&grant_type=");
        }
    }
    false
}

fn request_auth(request: &Request) -> RequestAuth {
    match request.headers.get("authorization").as_deref().map(parse_authorization) {
        None => RequestAuth::None,
        Some(Ok(Authorization::Basic { username, .. })) => RequestAuth::Basic { username },
        Some(Ok(Authorization::Bearer(_))) => RequestAuth::Bearer,
        Some(Ok(Authorization::Other { scheme })) => RequestAuth::Other { scheme },
        Some(Err(_)) => RequestAuth::Other { scheme: "unreadable".to_owned() },
    }
}

/// The token of a request's `Authorization: Bearer` header as [`parse_authorization`] reads
/// it, borrowed from the header when its text is in the capture as sent.
pub fn bearer_token(request: &Request) -> Option<Cow<'_, str>> {
    narrow_text(request.headers.get("authorization")?, bearer_credentials)
}

fn bearer_credentials(value: &str) -> Option<&str> {
    let (scheme, credentials) = value.trim().split_once([' ', '\t'])?;
    let credentials = credentials.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !credentials.is_empty()).then_some(credentials)
}

/// The absolute URL a 3xx response points to.
pub fn redirect_location(exchange: &Exchange) -> Option<String> {
    let response = exchange.response.as_ref()?;
    if !(300..400).contains(&response.status) {
        return None;
    }
    let location = response.headers.get("location")?;
    let location = location.trim();
    if location.contains("://") {
        Some(location.to_owned())
    } else if location.starts_with("//") {
        Some(format!("{}:{location}", exchange.request.scheme))
    } else if location.starts_with('/') {
        let url = exchange.request.url();
        let base_end = url.find("://").map(|idx| idx + 3).unwrap_or(0);
        let authority_end =
            url[base_end..].find('/').map(|idx| idx + base_end).unwrap_or(url.len());
        Some(format!("{}{location}", &url[..authority_end]))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_from_registry_paths() {
        assert_eq!(registry_repository("/v2/"), Some(None));
        assert_eq!(
            registry_repository("/v2/library/ubuntu/manifests/latest"),
            Some(Some("library/ubuntu".into()))
        );
        assert_eq!(registry_repository("/v2/a/b/c/blobs/uploads/"), Some(Some("a/b/c".into())));
        assert_eq!(registry_repository("/v2/x/tags/list"), Some(Some("x".into())));
        assert_eq!(registry_repository("/token"), None);
        assert_eq!(registry_repository("/v2/users/me"), None);
        assert_eq!(registry_repository("/v2//manifests/x"), None);
        // Repository names may contain the path markers; references and upload ids cannot.
        assert_eq!(
            registry_repository("/v2/a/manifests/b/manifests/latest"),
            Some(Some("a/manifests/b".into()))
        );
        assert_eq!(
            registry_repository("/v2/team/blobs/blobs/uploads/1234"),
            Some(Some("team/blobs".into()))
        );
        assert_eq!(
            registry_repository("/v2/foo/tags/bar/manifests/sha256:abcd"),
            Some(Some("foo/tags/bar".into()))
        );
        assert!(is_referrers_api("/v2/team/app/referrers/sha256:abcd"));
        assert!(!is_referrers_api("/v2/team/referrers/manifests/1.0"));
        assert!(!is_referrers_api("/v2/referrers/sha256:abcd"));
    }

    /// Token requests that read alike share one parsed value; any difference (scope,
    /// credentials) gets its own.
    #[test]
    fn token_requests_that_read_alike_share_one_parsed_value() {
        use crate::analysis::tests::builder::Scenario;
        let token = "https://auth.example/token?service=reg&scope=repository:app:pull";
        let capture = Scenario::new()
            .get(token)
            .answer(200)
            .get(token)
            .answer(200)
            .get("https://auth.example/token?service=reg&scope=repository:app:push")
            .answer(200)
            .get(token)
            .basic("alice", "pw")
            .answer(200)
            .capture();
        let classified = classify(&capture);
        let requests: Vec<&Arc<TokenRequest>> = classified
            .roles
            .iter()
            .map(|role| match role {
                Role::Token { request } => request,
                other => panic!("not a token request: {other:?}"),
            })
            .collect();
        assert!(Arc::ptr_eq(requests[0], requests[1]));
        assert!(!Arc::ptr_eq(requests[0], requests[2]));
        assert!(!Arc::ptr_eq(requests[0], requests[3]));
        assert_eq!(requests[3].credential.username(), Some("alice"));
        assert_eq!(requests[2].scopes[0].actions, ["push"]);
    }

    #[test]
    fn url_bases_compare_realms() {
        assert_eq!(url_base("HTTPS://Auth.Example:443/token?x=1"), "https://auth.example/token");
        assert_eq!(url_base("http://a:8080/t#f"), "http://a:8080/t");
        assert_eq!(url_base("https://a"), "https://a/");
        assert_eq!(
            comparable_url("HTTPS://S3.Example:443/b/c?X-Amz-Signature=Ab#f"),
            comparable_url("https://s3.example/b/c?X-Amz-Signature=Ab")
        );
        assert_ne!(comparable_url("https://s3/b?sig=A"), comparable_url("https://s3/b?sig=a"));
    }
}
