//! Which credential source a client uses for a registry, following each client's own rules.
//!
//! **docker** (docker/cli `cli/config/configfile/file.go`, `credentials/file_store.go`): the
//! lookup key is the registry's host\[:port\], except Docker Hub (`docker.io`,
//! `index.docker.io`), whose key is `https://index.docker.io/v1/`. Then:
//! 1. `DOCKER_AUTH_CONFIG` (environment), an exact key;
//! 2. `credHelpers[key]`, an exact key: the helper `docker-credential-<name>` is asked for `key`;
//! 3. `credsStore`: the helper is asked for every registry without a `credHelpers` entry, and
//!    `auths` entries are then not used for secrets at all;
//! 4. with no auth configured anywhere in the file, the platform's default store if its helper
//!    is installed (`pass`/`secretservice` on Linux, `osxkeychain`, `wincred`);
//! 5. `auths[key]`, else the first key whose host part (scheme and path stripped) equals `key`,
//!    in Go map order, that is, at random when several match.
//!
//! **podman, skopeo, buildah** (containers/image `pkg/docker/config/config.go`): the files are
//! read in order (`$REGISTRY_AUTH_FILE` alone if set; else `${XDG_RUNTIME_DIR}/containers/auth.json`,
//! `$XDG_CONFIG_HOME/containers/auth.json`, docker's `config.json`, `~/.dockercfg`). In each:
//! 1. `credHelpers[registry]`, the registry host exactly (no namespaces, no scheme): the helper is
//!    asked for `registry`; if it has nothing, the next file is tried; if it fails (not
//!    installed), the lookup fails;
//! 2. `auths` by the image's name and each parent namespace, longest first
//!    (`quay.io/org/app`, `quay.io/org`, `quay.io`), exact keys;
//! 3. `auths` keys normalised (scheme and path stripped from URL keys; `docker.io` and
//!    `registry-1.docker.io` are `index.docker.io`);
//! 4. an entry whose `auth` has no `user:` part is skipped (the next file is tried).
//!
//! `credsStore` is not read at all. regauth assumes registries.conf's default
//! `credential-helpers = ["containers-auth.json"]`.

use super::parse::{AuthEntry, ConfigFile, FileFormat, StoredCredential};

/// Docker's key for Docker Hub (`registry.IndexServer`).
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Whose rules a lookup follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Client {
    /// The docker CLI (and tools built on its config package, such as nerdctl).
    Docker,
    /// containers/image: podman, skopeo, buildah, cri-o.
    Podman,
}

impl Client {
    pub fn as_str(self) -> &'static str {
        match self {
            Client::Docker => "docker",
            Client::Podman => "podman",
        }
    }
}

/// The credential source a lookup ends at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `DOCKER_AUTH_CONFIG` holds an entry for the key (docker only).
    EnvAuthConfig { key: String, username: Option<String> },
    /// A `credHelpers` entry.
    CredHelper { helper: String, config_key: String },
    /// `credsStore` (docker only).
    CredsStore { helper: String },
    /// Docker's platform default store, used when the file configures no auth at all.
    DefaultStore { helper: String },
    /// An `auths` entry.
    AuthsEntry { key: String, stored: StoredCredential },
    /// Nothing: the client goes anonymous (or asks for credentials on `login`).
    None,
}

impl Source {
    pub fn kind(&self) -> &'static str {
        match self {
            Source::EnvAuthConfig { .. } => "docker-auth-config-env",
            Source::CredHelper { .. } => "cred-helper",
            Source::CredsStore { .. } => "creds-store",
            Source::DefaultStore { .. } => "default-store",
            Source::AuthsEntry { .. } => "auths",
            Source::None => "none",
        }
    }

    /// The helper suffix the lookup runs, if any.
    pub fn helper(&self) -> Option<&str> {
        match self {
            Source::CredHelper { helper, .. }
            | Source::CredsStore { helper }
            | Source::DefaultStore { helper } => Some(helper),
            _ => None,
        }
    }
}

/// The result of one client's lookup for one registry (or namespace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub client: Client,
    /// The name the client looks up: `docker.io`, `quay.io/org/app`, `registry.example:5000`.
    pub target: String,
    pub source: Source,
    /// Index (into the caller's file list) of the file the source came from.
    pub file: Option<usize>,
    /// What a helper is asked for (`docker-credential-<name> get` reads this on stdin).
    pub helper_key: Option<String>,
    /// Whether the helper is on `PATH`, as the caller found; `None` when it was not checked.
    pub helper_on_path: Option<bool>,
    /// Several `auths` keys normalise to the target and none matches exactly: the client picks
    /// one in Go map order (at random). The keys, in file order.
    pub ambiguous_keys: Vec<String>,
    /// Earlier files or entries the lookup passed over and why, for the explanation.
    pub passed_over: Vec<String>,
}

/// Answers the questions a lookup cannot answer without I/O: the caller checks `PATH`.
pub trait HelperPresence {
    /// `Some(true)` when `docker-credential-<name>` is on `PATH`, `None` when unknown.
    fn on_path(&self, helper: &str) -> Option<bool>;
}

impl HelperPresence for std::collections::BTreeMap<String, bool> {
    fn on_path(&self, helper: &str) -> Option<bool> {
        self.get(helper).copied()
    }
}

/// Docker's lookup key for a registry domain (`getAuthConfigKey`).
pub fn docker_key(domain: &str) -> String {
    match domain {
        "docker.io" | "index.docker.io" => DOCKER_HUB_KEY.to_owned(),
        other => other.to_owned(),
    }
}

/// Docker's `ConvertToHostname`: `https://host:port/path` → `host:port`; `host/path` → `host`.
pub fn docker_convert_to_hostname(key: &str) -> String {
    let without_scheme = match key.split_once("://") {
        Some((_, rest)) => rest,
        None => key,
    };
    without_scheme.split('/').next().unwrap_or(without_scheme).to_owned()
}

/// containers/image's `normalizeRegistry`.
pub fn podman_normalize_registry(registry: &str) -> &str {
    match registry {
        "registry-1.docker.io" | "docker.io" => "index.docker.io",
        other => other,
    }
}

/// containers/image's `normalizeAuthFileKey`: URL keys lose scheme and path; plain keys (which
/// may name a namespace) are kept, except in the legacy format.
pub fn podman_normalize_auth_key(key: &str, format: FileFormat) -> String {
    let stripped = key.strip_prefix("http://").or_else(|| key.strip_prefix("https://"));
    let host = match (stripped, format) {
        (Some(rest), _) => rest.split('/').next().unwrap_or(rest),
        (None, FileFormat::LegacyDockercfg) => key.split('/').next().unwrap_or(key),
        (None, FileFormat::ConfigJson) => key,
    };
    podman_normalize_registry(host).to_owned()
}

/// The registry name a client uses for a host it talks to: Docker Hub's API host
/// `registry-1.docker.io` (and `index.docker.io`) is `docker.io`.
pub fn client_registry_name(authority: &str) -> String {
    let lower = authority.to_ascii_lowercase();
    match lower.strip_suffix(":443").unwrap_or(&lower) {
        "registry-1.docker.io" | "index.docker.io" | "docker.io" => "docker.io".to_owned(),
        host => host.to_owned(),
    }
}

/// The registry domain of an image reference (distribution's `splitDockerDomain`): the first
/// component when it has a `.` or `:`, is `localhost`, or has upper case; else `docker.io`.
pub fn reference_domain(reference: &str) -> String {
    match reference.split_once('/') {
        Some((first, _)) if is_domain(first) => client_registry_name(first),
        _ => "docker.io".to_owned(),
    }
}

/// Whether the first component of an image reference is a registry domain.
pub fn is_domain(first: &str) -> bool {
    first.contains(['.', ':']) || first == "localhost" || first.to_ascii_lowercase() != first
}

/// The extra inputs docker's lookup takes.
#[derive(Clone, Debug, Default)]
pub struct DockerEnvironment {
    /// Entries of `DOCKER_AUTH_CONFIG` (key, user name), when the variable is set.
    pub auth_config_env: Vec<(String, Option<String>)>,
    /// The platform default store docker would detect (its helper found on `PATH`).
    pub default_store: Option<String>,
}

/// docker's lookup for a registry domain (`docker.io` for Docker Hub).
pub fn docker_lookup(
    file: Option<(usize, &ConfigFile)>,
    domain: &str,
    env: &DockerEnvironment,
    helpers: &dyn HelperPresence,
) -> Lookup {
    let key = docker_key(domain);
    let mut lookup = Lookup {
        client: Client::Docker,
        target: domain.to_owned(),
        source: Source::None,
        file: None,
        helper_key: None,
        helper_on_path: None,
        ambiguous_keys: Vec::new(),
        passed_over: Vec::new(),
    };
    if let Some((_, username)) = env.auth_config_env.iter().find(|(entry, _)| *entry == key) {
        lookup.source = Source::EnvAuthConfig { key: key.clone(), username: username.clone() };
        return lookup;
    }
    let Some((file_idx, config)) = file else {
        if let Some(helper) = &env.default_store {
            lookup.helper_on_path = helpers.on_path(helper);
            lookup.source = Source::DefaultStore { helper: helper.clone() };
            lookup.helper_key = Some(key);
        }
        return lookup;
    };
    if let Some(helper) = config.cred_helper(&key) {
        lookup.file = Some(file_idx);
        lookup.helper_on_path = helpers.on_path(helper);
        lookup.source = Source::CredHelper { helper: helper.to_owned(), config_key: key.clone() };
        lookup.helper_key = Some(key);
        return lookup;
    }
    if let Some(store) = &config.creds_store {
        lookup.file = Some(file_idx);
        lookup.helper_on_path = helpers.on_path(store);
        lookup.source = Source::CredsStore { helper: store.clone() };
        if let Some(entry) = docker_file_entry(config, &key, &mut Vec::new())
            && entry.docker_credential() != StoredCredential::Empty
        {
            lookup.passed_over.push(format!(
                "the `auths` entry {} (credsStore takes precedence; docker reads only the e-mail from it)",
                super::parse::quoted(&entry.key)
            ));
        }
        lookup.helper_key = Some(key);
        return lookup;
    }
    if !config.contains_auth()
        && let Some(helper) = &env.default_store
    {
        lookup.helper_on_path = helpers.on_path(helper);
        lookup.source = Source::DefaultStore { helper: helper.clone() };
        lookup.helper_key = Some(key);
        return lookup;
    }
    let mut ambiguous = Vec::new();
    if let Some(entry) = docker_file_entry(config, &key, &mut ambiguous) {
        lookup.file = Some(file_idx);
        lookup.source =
            Source::AuthsEntry { key: entry.key.clone(), stored: entry.docker_credential() };
    }
    lookup.ambiguous_keys = ambiguous;
    lookup
}

/// docker's file store `Get`: the exact key, else a key whose host part equals it.
fn docker_file_entry<'a>(
    config: &'a ConfigFile,
    key: &str,
    ambiguous: &mut Vec<String>,
) -> Option<&'a AuthEntry> {
    if let Some(entry) = config.auth_entry(key) {
        return Some(entry);
    }
    let matching: Vec<&AuthEntry> =
        config.auths.iter().filter(|entry| docker_convert_to_hostname(&entry.key) == key).collect();
    if matching.len() > 1 {
        ambiguous.extend(matching.iter().map(|entry| entry.key.clone()));
    }
    matching.first().copied()
}

/// One file in podman's search order, as the caller loaded it.
#[derive(Clone, Copy, Debug)]
pub struct ChainFile<'a> {
    /// Index into the caller's file list.
    pub index: usize,
    pub format: FileFormat,
    /// `None` when the file does not exist (podman moves on) or could not be parsed.
    pub config: Option<&'a ConfigFile>,
    /// The file exists but is not JSON: podman's lookup fails there.
    pub unreadable: bool,
}

/// podman's lookup for `name`: a registry (`quay.io`), a namespace (`quay.io/org`) or an
/// image name (`quay.io/org/app`); Docker Hub is `docker.io`.
pub fn podman_lookup(chain: &[ChainFile<'_>], name: &str, helpers: &dyn HelperPresence) -> Lookup {
    let registry = name.split('/').next().unwrap_or(name);
    let mut lookup = Lookup {
        client: Client::Podman,
        target: name.to_owned(),
        source: Source::None,
        file: None,
        helper_key: None,
        helper_on_path: None,
        ambiguous_keys: Vec::new(),
        passed_over: Vec::new(),
    };
    for file in chain {
        if file.unreadable {
            lookup.file = Some(file.index);
            lookup.passed_over.push("an unreadable file, where the lookup fails".to_owned());
            return lookup;
        }
        let Some(config) = file.config else { continue };
        if let Some(helper) = config.cred_helper(registry) {
            let on_path = helpers.on_path(helper);
            lookup.file = Some(file.index);
            lookup.helper_on_path = on_path;
            lookup.helper_key = Some(registry.to_owned());
            lookup.source =
                Source::CredHelper { helper: helper.to_owned(), config_key: registry.to_owned() };
            // A helper that has no entry sends podman on to the next file; regauth cannot know
            // without running it, so this is where the answer is decided.
            return lookup;
        }
        let mut candidates: Vec<&str> = Vec::new();
        match file.format {
            FileFormat::LegacyDockercfg => candidates.push(registry),
            FileFormat::ConfigJson => {
                let mut current = name;
                loop {
                    candidates.push(current);
                    match current.rfind('/') {
                        Some(idx) => current = &current[..idx],
                        None => break,
                    }
                }
            }
        }
        let exact = candidates.iter().find_map(|candidate| config.auth_entry(candidate));
        let entry = match exact {
            Some(entry) => Some(entry),
            None => {
                let wanted = podman_normalize_registry(registry);
                let matching: Vec<&AuthEntry> = config
                    .auths
                    .iter()
                    .filter(|entry| podman_normalize_auth_key(&entry.key, file.format) == wanted)
                    .collect();
                if matching.len() > 1 {
                    lookup.ambiguous_keys =
                        matching.iter().map(|entry| entry.key.clone()).collect();
                }
                matching.first().copied()
            }
        };
        let Some(entry) = entry else { continue };
        let stored = entry.containers_credential();
        if stored == StoredCredential::Empty {
            lookup.passed_over.push(format!(
                "the `auths` entry {} (no `user:` in its `auth`, so podman skips it)",
                super::parse::quoted(&entry.key)
            ));
            continue;
        }
        lookup.file = Some(file.index);
        lookup.source = Source::AuthsEntry { key: entry.key.clone(), stored };
        return lookup;
    }
    lookup
}
