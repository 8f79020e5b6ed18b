//! The credentials a capture shows a client using, per registry: user names and kinds only.
//!
//! Sources: token requests (Basic user name, OAuth2 `username`, OAuth2 `refresh_token`, which is
//! an identity token, or none), Basic auth straight to a registry, and the Docker Engine API
//! (`X-Registry-Auth` on pulls and pushes, the `/auth` body of `docker login`).

use std::collections::BTreeMap;

use super::lookup::{
    Client, client_registry_name, docker_convert_to_hostname, is_domain, reference_domain,
};
use crate::analysis::Analysis;
use crate::analysis::classify::{RequestAuth, Role, classify};
use crate::capture::Capture;
use crate::model::Exchange;
use crate::protocol::{
    Credential, EngineApiCall, RegistryAuthConfig, parse_auth_body, parse_x_registry_auth,
};

/// What kind of credential the client sent, without the secret.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObservedKind {
    /// A user name and password (Basic, OAuth2 password grant, or an Engine API auth config).
    Password { username: String },
    /// An identity token: an OAuth2 `refresh_token` grant, or `identitytoken` in an auth config.
    IdentityToken { username: Option<String> },
    /// A registry token handed to the daemon as is.
    RegistryToken,
    /// No credentials (anonymous token request, `X-Registry-Auth: e30=`).
    Anonymous,
}

impl ObservedKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ObservedKind::Password { .. } => "password",
            ObservedKind::IdentityToken { .. } => "identity-token",
            ObservedKind::RegistryToken => "registry-token",
            ObservedKind::Anonymous => "anonymous",
        }
    }

    pub fn username(&self) -> Option<&str> {
        match self {
            ObservedKind::Password { username } => Some(username),
            ObservedKind::IdentityToken { username } => username.as_deref(),
            _ => None,
        }
    }
}

/// Where in the protocol the credential showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// `GET realm` with `Authorization: Basic` (or without, anonymous).
    TokenRequest,
    /// `POST realm` with `grant_type=password`.
    OAuth2Password,
    /// `POST realm` with `grant_type=refresh_token`.
    OAuth2RefreshToken,
    /// `Authorization: Basic` straight to a Basic-auth registry.
    RegistryBasic,
    /// `X-Registry-Auth` from the docker CLI to dockerd.
    XRegistryAuth,
    /// The JSON body of `POST /vX.Y/auth` (`docker login`).
    EngineAuthBody,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::TokenRequest => "token-request",
            Via::OAuth2Password => "oauth2-password",
            Via::OAuth2RefreshToken => "oauth2-refresh-token",
            Via::RegistryBasic => "registry-basic",
            Via::XRegistryAuth => "x-registry-auth",
            Via::EngineAuthBody => "engine-auth-body",
        }
    }
}

/// One credential the capture shows, with every exchange that carried it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedCredential {
    /// The registry as clients name it in their config (`docker.io` for Docker Hub's hosts).
    pub registry: String,
    /// The repository, when the exchanges name one (the first seen).
    pub repository: Option<String>,
    pub kind: ObservedKind,
    pub via: Via,
    /// The client the capture shows sending it (from `User-Agent` or the Engine API), if known.
    pub client: Option<Client>,
    /// A login: `docker login`'s `/auth` body, or a token request without scope or with
    /// `offline_token=true`. Its credentials come from the prompt or flags and are what the
    /// client then stores (docker keeps an identity token instead of the password).
    pub login: bool,
    pub exchanges: Vec<usize>,
}

/// Collects the credentials of a capture, grouped by registry, kind, user name, way and client.
pub fn observed_credentials(capture: &Capture, analysis: &Analysis) -> Vec<ObservedCredential> {
    let classified = classify(capture);
    type GroupKey = (String, ObservedKind, Via, Option<Client>, bool);
    let mut groups: BTreeMap<GroupKey, (Option<String>, Vec<usize>)> = BTreeMap::new();
    let mut add = |registry: String,
                   repository: Option<String>,
                   kind: ObservedKind,
                   via: Via,
                   client: Option<Client>,
                   login: bool,
                   idx: usize| {
        let slot = groups.entry((registry, kind, via, client, login)).or_insert((None, Vec::new()));
        if slot.0.is_none() {
            slot.0 = repository;
        }
        slot.1.push(idx);
    };
    for (idx, (exchange, role)) in capture.exchanges.iter().zip(&classified.roles).enumerate() {
        let client = client_of(exchange);
        match role {
            Role::Token { request } => {
                // The registry is the one whose session the token request belongs to; a token
                // request outside every session cannot be tied to a registry.
                let Some(session) = analysis
                    .session_of_exchange
                    .get(&idx)
                    .and_then(|&session| analysis.sessions.get(session))
                else {
                    continue;
                };
                let (kind, via) = match &request.credential {
                    Credential::Anonymous => (ObservedKind::Anonymous, Via::TokenRequest),
                    Credential::Basic { username, .. } => {
                        (ObservedKind::Password { username: username.clone() }, Via::TokenRequest)
                    }
                    Credential::Password { username, .. } => {
                        (ObservedKind::Password { username: username.clone() }, Via::OAuth2Password)
                    }
                    Credential::RefreshToken(_) => {
                        (ObservedKind::IdentityToken { username: None }, Via::OAuth2RefreshToken)
                    }
                    Credential::Bearer(_) => continue,
                };
                let login = request.offline_token || request.scopes.is_empty();
                add(
                    client_registry_name(&session.registry),
                    session.repository.as_deref().map(str::to_owned),
                    kind,
                    via,
                    client,
                    login,
                    idx,
                );
            }
            Role::Registry { authority, repository, auth: RequestAuth::Basic { username } } => {
                add(
                    client_registry_name(authority),
                    repository.as_deref().map(str::to_owned),
                    ObservedKind::Password { username: username.clone() },
                    Via::RegistryBasic,
                    client,
                    false,
                    idx,
                );
            }
            Role::EngineApi { call } => {
                let (config, via, reference) = match call {
                    EngineApiCall::Auth { .. } => {
                        let Ok(body) = exchange.request.body.decoded(1 << 16) else { continue };
                        let Ok(config) = parse_auth_body(&body) else { continue };
                        (config, Via::EngineAuthBody, None)
                    }
                    EngineApiCall::ImagesCreate { .. } | EngineApiCall::ImagePush { .. } => {
                        let Some(header) = exchange.request.headers.get("x-registry-auth") else {
                            continue;
                        };
                        let Ok(config) = parse_x_registry_auth(&header) else { continue };
                        let reference = match call {
                            EngineApiCall::ImagePush { name, .. } => Some(name.to_string()),
                            _ => query_param(exchange.request.query().unwrap_or(""), "fromImage"),
                        };
                        (config, Via::XRegistryAuth, reference)
                    }
                    EngineApiCall::Ping { .. } => continue,
                };
                let registry = match (&config.serveraddress, &reference) {
                    (Some(address), _) => {
                        client_registry_name(&docker_convert_to_hostname(address))
                    }
                    (None, Some(reference)) => reference_domain(reference),
                    // `docker login` without a server address logs in to Docker Hub.
                    (None, None) => "docker.io".to_owned(),
                };
                let repository = reference.as_deref().map(repository_of);
                let login = via == Via::EngineAuthBody;
                add(
                    registry,
                    repository,
                    engine_kind(&config),
                    via,
                    Some(Client::Docker),
                    login,
                    idx,
                );
            }
            _ => {}
        }
    }
    groups
        .into_iter()
        .map(|((registry, kind, via, client, login), (repository, exchanges))| ObservedCredential {
            registry,
            repository,
            kind,
            via,
            client,
            login,
            exchanges,
        })
        .collect()
}

fn engine_kind(config: &RegistryAuthConfig) -> ObservedKind {
    let present = |secret: &Option<crate::secret::Secret>| {
        secret.as_ref().is_some_and(|secret| !secret.is_empty())
    };
    let username = config.effective_username().filter(|name| name != "<token>");
    if present(&config.identitytoken) {
        ObservedKind::IdentityToken { username }
    } else if present(&config.registrytoken) {
        ObservedKind::RegistryToken
    } else if config.carries_secret() {
        ObservedKind::Password { username: username.unwrap_or_default() }
    } else {
        ObservedKind::Anonymous
    }
}

/// Which client sent the exchange, by its `User-Agent` (docker's daemon and CLI, or
/// containers/image in podman, skopeo and buildah).
fn client_of(exchange: &Exchange) -> Option<Client> {
    let agent = exchange.request.headers.get("user-agent")?.to_ascii_lowercase();
    if agent.starts_with("docker/") || agent.starts_with("docker-client/") {
        Some(Client::Docker)
    } else if agent.contains("containers/")
        || ["skopeo/", "podman/", "libpod/", "buildah/"].iter().any(|name| agent.starts_with(name))
    {
        Some(Client::Podman)
    } else {
        None
    }
}

/// `name` of an image reference without the domain and the tag or digest.
fn repository_of(reference: &str) -> String {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let hub = reference_domain(without_digest) == "docker.io";
    let path = match without_digest.split_once('/') {
        Some((first, rest)) if is_domain(first) => rest,
        _ => without_digest,
    };
    // A tag follows the last `:` after the last `/`.
    let tag_start = path.rfind(':').filter(|&colon| !path[colon..].contains('/'));
    let name = tag_start.map_or(path, |colon| &path[..colon]);
    // Docker Hub's official images live under `library/`.
    if hub && !name.contains('/') { format!("library/{name}") } else { name.to_owned() }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_of_references() {
        assert_eq!(repository_of("alpine"), "library/alpine");
        assert_eq!(repository_of("alpine:3.19"), "library/alpine");
        assert_eq!(repository_of("user/app:1"), "user/app");
        assert_eq!(repository_of("registry.example:5000/private/app:1.0"), "private/app");
        assert_eq!(repository_of("localhost/app@sha256:abc"), "app");
        assert_eq!(repository_of("docker.io/library/alpine"), "library/alpine");
        assert_eq!(repository_of("docker.io/alpine"), "library/alpine");
        assert_eq!(repository_of("quay.io/org/app"), "org/app");
    }
}
