//! Container client configuration: which credential source docker and podman use for each
//! registry, what the files store in clear, and whether a capture's credentials came from there.
//!
//! ```text
//!  file bytes (CLI reads) ──► parse::parse_config ──► ConfigFile per file
//!                                                       │   helper names ──► CLI checks PATH
//!                                                       ▼
//!  capture ──► observed::observed_credentials ──► analyze_config ──► ConfigAnalysis
//!                                                  (lookup: docker's and podman's rules;
//!                                                   findings; capture checks)
//! ```
//!
//! Sans-IO like the rest of the core: the shell finds and reads the files, checks `PATH` for
//! `docker-credential-<name>` and passes the answers in. No secret leaves this module: user
//! names, keys and helper names only.

pub mod lookup;
pub mod observed;
pub mod parse;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

pub use lookup::{
    ChainFile, Client, DOCKER_HUB_KEY, DockerEnvironment, HelperPresence, Lookup, Source,
    client_registry_name, docker_key, docker_lookup, podman_lookup,
};
pub use observed::{ObservedCredential, ObservedKind, Via, observed_credentials};
pub use parse::{
    AuthEntry, AuthField, AuthFieldProblem, ConfigError, ConfigFile, FileFormat, StoredCredential,
    parse_config,
};

use crate::analysis::{Code, Severity};
use parse::quoted;

/// A config file as the shell found it.
#[derive(Clone, Debug)]
pub struct ConfigSource {
    /// The path as the shell names it (shown to the user).
    pub path: String,
    pub format: FileFormat,
    pub state: FileState,
}

#[derive(Clone, Debug)]
pub enum FileState {
    /// Not there: clients treat that as an empty config.
    Missing,
    /// There, but the shell could not read it (permissions...): the reason.
    Unreadable(String),
    /// Read, but not a config file.
    Invalid(ConfigError),
    Parsed(ConfigFile),
}

impl FileState {
    pub fn as_str(&self) -> &'static str {
        match self {
            FileState::Missing => "missing",
            FileState::Unreadable(_) => "unreadable",
            FileState::Invalid(_) => "invalid",
            FileState::Parsed(_) => "read",
        }
    }
}

impl ConfigSource {
    /// Parses `bytes` (`None`: the file does not exist).
    pub fn load(path: impl Into<String>, format: FileFormat, bytes: Option<&[u8]>) -> Self {
        let state = match bytes {
            None => FileState::Missing,
            Some(bytes) => match parse_config(bytes, format) {
                Ok(config) => FileState::Parsed(config),
                Err(error) => FileState::Invalid(error),
            },
        };
        ConfigSource { path: path.into(), format, state }
    }

    pub fn config(&self) -> Option<&ConfigFile> {
        match &self.state {
            FileState::Parsed(config) => Some(config),
            _ => None,
        }
    }
}

/// Everything the lookups read, as the shell gathered it.
#[derive(Clone, Debug, Default)]
pub struct ConfigInputs {
    pub files: Vec<ConfigSource>,
    /// Docker's file (index into `files`), when docker's view is wanted; `docker_view` says
    /// whether it is.
    pub docker_file: Option<usize>,
    pub docker_view: bool,
    /// podman's search order (indexes into `files`); empty when podman's view is not wanted.
    pub podman_chain: Vec<usize>,
    pub docker_env: DockerEnvironment,
}

impl ConfigInputs {
    /// Every helper a lookup may run, so the shell can check `PATH` for each.
    pub fn helper_names(&self) -> Vec<String> {
        let mut names = BTreeSet::new();
        for source in &self.files {
            if let Some(config) = source.config() {
                names.extend(config.cred_helpers.iter().map(|(_, helper)| helper.clone()));
                names.extend(config.creds_store.clone());
            }
        }
        names.extend(self.docker_env.default_store.clone());
        names.into_iter().collect()
    }

    fn chain(&self) -> Vec<ChainFile<'_>> {
        self.podman_chain
            .iter()
            .filter_map(|&index| {
                let source = self.files.get(index)?;
                Some(ChainFile {
                    index,
                    format: source.format,
                    config: source.config(),
                    unreadable: matches!(
                        source.state,
                        FileState::Unreadable(_) | FileState::Invalid(_)
                    ),
                })
            })
            .collect()
    }

    fn docker_config(&self) -> Option<(usize, &ConfigFile)> {
        let index = self.docker_file?;
        Some((index, self.files.get(index)?.config()?))
    }
}

/// One registry (or podman namespace) and what each client uses for it.
#[derive(Clone, Debug)]
pub struct RegistryRow {
    /// `docker.io`, `registry.example:5000`, `quay.io/org` (a podman namespace key).
    pub name: String,
    /// Whether the capture talked to it.
    pub in_capture: bool,
    pub docker: Option<Lookup>,
    pub podman: Option<Lookup>,
    pub checks: Vec<CaptureCheck>,
}

/// Whether a credential seen in the capture came from the configured source.
#[derive(Clone, Debug)]
pub struct CaptureCheck {
    pub observed: ObservedCredential,
    /// The client whose lookup it was compared with.
    pub client: Client,
    pub verdict: Verdict,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Same kind of credential and the same user name.
    Match,
    /// The capture shows something else than the config would give.
    Mismatch,
    /// The config points at a helper, which holds the user name: regauth does not run it.
    Unverifiable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::Mismatch => "mismatch",
            Verdict::Unverifiable => "unverifiable",
        }
    }
}

/// Something about the configuration worth acting on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigFinding {
    pub code: Code,
    pub severity: Severity,
    pub registry: Option<String>,
    /// Index into [`ConfigInputs::files`].
    pub file: Option<usize>,
    pub message: String,
}

/// The result: rows per registry and findings, errors first.
#[derive(Clone, Debug)]
pub struct ConfigAnalysis {
    pub rows: Vec<RegistryRow>,
    pub findings: Vec<ConfigFinding>,
}

impl ConfigAnalysis {
    /// Whether anything needs fixing (a warning or an error).
    pub fn has_problems(&self) -> bool {
        self.findings.iter().any(|finding| finding.severity >= Severity::Warning)
    }
}

/// Reads the `DOCKER_AUTH_CONFIG` environment value (`{"auths": {key: {"auth": ...}}}`) into
/// the (key, user name) pairs docker's lookup checks first.
pub fn parse_docker_auth_config_env(
    value: &str,
) -> Result<Vec<(String, Option<String>)>, ConfigError> {
    let config = parse_config(value.as_bytes(), FileFormat::ConfigJson)?;
    Ok(config
        .auths
        .iter()
        .map(|entry| (entry.key.clone(), entry.username().map(str::to_owned)))
        .collect())
}

/// Runs both clients' lookups for every registry the files or the capture name, and checks the
/// capture's credentials against them.
pub fn analyze_config(
    inputs: &ConfigInputs,
    helpers: &dyn HelperPresence,
    observed: &[ObservedCredential],
) -> ConfigAnalysis {
    let chain = inputs.chain();
    let docker_config = inputs.docker_config();
    let mut findings = Vec::new();

    // Registries named by the files, in each client's spelling, plus the capture's.
    let mut names: BTreeSet<String> = BTreeSet::new();
    if inputs.docker_view
        && let Some((_, config)) = docker_config
    {
        for (key, _) in &config.cred_helpers {
            names.insert(display_name(&lookup::docker_convert_to_hostname(key)));
        }
        for entry in &config.auths {
            names.insert(display_name(&lookup::docker_convert_to_hostname(&entry.key)));
        }
    }
    for file in &chain {
        let Some(config) = file.config else { continue };
        for (key, _) in &config.cred_helpers {
            names.insert(display_name(&lookup::docker_convert_to_hostname(key)));
        }
        for entry in &config.auths {
            let name = display_name(&lookup::podman_normalize_auth_key(&entry.key, file.format));
            // A namespace key also puts its registry on the list.
            names.insert(display_name(name.split('/').next().unwrap_or(&name)));
            names.insert(name);
        }
    }
    if inputs.docker_view {
        names.extend(
            inputs
                .docker_env
                .auth_config_env
                .iter()
                .map(|(key, _)| display_name(&lookup::docker_convert_to_hostname(key))),
        );
    }
    let captured: BTreeSet<&str> =
        observed.iter().map(|credential| credential.registry.as_str()).collect();
    names.extend(captured.iter().map(|name| (*name).to_owned()));

    let mut rows: Vec<RegistryRow> = names
        .into_iter()
        .filter(|name| !name.is_empty())
        .map(|name| {
            let namespace = name.contains('/');
            let docker = (inputs.docker_view && !namespace)
                .then(|| docker_lookup(docker_config, &name, &inputs.docker_env, helpers));
            let podman =
                (!inputs.podman_chain.is_empty()).then(|| podman_lookup(&chain, &name, helpers));
            RegistryRow {
                in_capture: captured.contains(name.as_str()),
                name,
                docker,
                podman,
                checks: Vec::new(),
            }
        })
        .collect();

    lookup_findings(&rows, &mut findings);
    file_findings(inputs, &rows, &mut findings);

    for credential in observed {
        let Some(row) = rows.iter_mut().find(|row| row.name == credential.registry) else {
            continue;
        };
        let clients: Vec<Client> = match credential.client {
            Some(client) => vec![client],
            None => [Client::Docker, Client::Podman].to_vec(),
        };
        for client in clients {
            let lookup = match client {
                // podman looks credentials up by the image's name, namespaces first.
                Client::Podman if !inputs.podman_chain.is_empty() => match &credential.repository {
                    Some(repository) => Some(podman_lookup(
                        &chain,
                        &format!("{}/{repository}", credential.registry),
                        helpers,
                    )),
                    None => row.podman.clone(),
                },
                Client::Podman => None,
                Client::Docker => row.docker.clone(),
            };
            let Some(lookup) = lookup else { continue };
            let (verdict, message) = compare(&lookup, credential);
            if verdict == Verdict::Mismatch {
                findings.push(ConfigFinding {
                    code: Code::ConfigCredentialsMismatch,
                    severity: Severity::Error,
                    registry: Some(row.name.clone()),
                    file: lookup.file,
                    message: format!("{} ({}).", message, evidence(credential)),
                });
            }
            row.checks.push(CaptureCheck {
                observed: credential.clone(),
                client,
                verdict,
                message,
            });
        }
    }

    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(&b.code))
            .then(a.registry.cmp(&b.registry))
            .then(a.file.cmp(&b.file))
    });
    findings.dedup();
    ConfigAnalysis { rows, findings }
}

/// `https://index.docker.io/v1/`, `index.docker.io`, `registry-1.docker.io` → `docker.io`.
fn display_name(host: &str) -> String {
    if host == DOCKER_HUB_KEY { "docker.io".to_owned() } else { client_registry_name(host) }
}

fn evidence(credential: &ObservedCredential) -> String {
    let list: Vec<String> =
        credential.exchanges.iter().take(8).map(|idx| format!("#{idx}")).collect();
    let more = credential.exchanges.len().saturating_sub(8);
    if more > 0 { format!("{} and {more} more", list.join(" ")) } else { list.join(" ") }
}

/// What the lookup says the client sends, as a phrase.
pub fn describe_source(lookup: &Lookup) -> String {
    let helper_state = match lookup.helper_on_path {
        Some(true) => "",
        Some(false) => ", not on PATH",
        None => "",
    };
    match &lookup.source {
        Source::EnvAuthConfig { key, username } => format!(
            "DOCKER_AUTH_CONFIG entry {}{}",
            quoted(key),
            username.as_deref().map(|user| format!(" (user {})", quoted(user))).unwrap_or_default()
        ),
        Source::CredHelper { helper, config_key } => format!(
            "credential helper docker-credential-{helper} (credHelpers {}{helper_state}), asked for {}",
            quoted(config_key),
            quoted(lookup.helper_key.as_deref().unwrap_or(config_key))
        ),
        Source::CredsStore { helper } => format!(
            "credential store docker-credential-{helper} (credsStore{helper_state}), asked for {}",
            quoted(lookup.helper_key.as_deref().unwrap_or(""))
        ),
        Source::DefaultStore { helper } => format!(
            "the platform's default store docker-credential-{helper} (no auth configured in the file{helper_state})"
        ),
        Source::AuthsEntry { key, stored } => {
            let what = match stored {
                StoredCredential::Password { username } => {
                    format!("the password of user {}", quoted(username))
                }
                StoredCredential::IdentityToken { username: Some(username) } => {
                    format!("an identity token (user {})", quoted(username))
                }
                StoredCredential::IdentityToken { username: None } => {
                    "an identity token".to_owned()
                }
                StoredCredential::RegistryToken => "a registry token".to_owned(),
                StoredCredential::Empty => "nothing (an empty entry)".to_owned(),
                StoredCredential::Invalid(problem) => {
                    format!("an `auth` value that {}", problem.describe())
                }
            };
            format!("`auths` entry {}: {what}", quoted(key))
        }
        Source::None => "no credentials (anonymous)".to_owned(),
    }
}

fn compare(lookup: &Lookup, credential: &ObservedCredential) -> (Verdict, String) {
    let client = lookup.client.as_str();
    let seen = match &credential.kind {
        ObservedKind::Password { username } => format!("user {}'s password", quoted(username)),
        ObservedKind::IdentityToken { username: Some(username) } => {
            format!("an identity token (user {})", quoted(username))
        }
        ObservedKind::IdentityToken { username: None } => "an identity token".to_owned(),
        ObservedKind::RegistryToken => "a registry token".to_owned(),
        ObservedKind::Anonymous => "no credentials".to_owned(),
    };
    let configured = describe_source(lookup);
    let mismatch = |why: &str| {
        (
            Verdict::Mismatch,
            format!(
                "{} sent {seen} to {}, but {client}'s config gives {configured}: {why}",
                credential.via.as_str(),
                credential.registry
            ),
        )
    };
    let matched = |what: &str| {
        (Verdict::Match, format!("{} sent {seen}, {what} ({configured})", credential.via.as_str()))
    };
    if credential.login {
        return compare_login(lookup, credential, &seen, &configured);
    }
    match &lookup.source {
        Source::CredHelper { .. } | Source::CredsStore { .. } | Source::DefaultStore { .. } => {
            if lookup.helper_on_path == Some(false) && credential.kind != ObservedKind::Anonymous {
                return mismatch("that helper is not installed, so they came from elsewhere");
            }
            (
                Verdict::Unverifiable,
                format!(
                    "{} sent {seen}; the config leads to {configured}, which holds the user name (regauth does not run helpers: `docker-credential-{} list` shows it)",
                    credential.via.as_str(),
                    lookup.source.helper().unwrap_or("")
                ),
            )
        }
        Source::None => match credential.kind {
            ObservedKind::Anonymous => matched("as the config has none"),
            _ => mismatch("they came from somewhere else (flags, another file, a helper)"),
        },
        Source::EnvAuthConfig { username, .. } => match &credential.kind {
            ObservedKind::Password { username: seen_user }
                if username.as_deref() == Some(seen_user.as_str()) =>
            {
                matched("the same user")
            }
            _ => mismatch("a different credential"),
        },
        Source::AuthsEntry { stored, .. } => match (stored, &credential.kind) {
            (
                StoredCredential::Password { username },
                ObservedKind::Password { username: seen },
            ) if username == seen => matched("the same user"),
            (StoredCredential::Password { .. }, ObservedKind::Password { .. }) => {
                mismatch("a different user")
            }
            (
                StoredCredential::IdentityToken { username },
                ObservedKind::IdentityToken { username: seen },
            ) if username.is_none() || seen.is_none() || username == seen => {
                matched("as configured")
            }
            (StoredCredential::IdentityToken { .. }, ObservedKind::IdentityToken { .. }) => {
                mismatch("a different user")
            }
            (StoredCredential::IdentityToken { .. }, ObservedKind::Password { .. }) => {
                mismatch("a password where the config holds an identity token")
            }
            (StoredCredential::Password { .. }, ObservedKind::IdentityToken { .. }) => {
                mismatch("an identity token where the config holds a password")
            }
            (StoredCredential::RegistryToken, ObservedKind::RegistryToken) => {
                matched("as configured")
            }
            (StoredCredential::Empty, ObservedKind::Anonymous) => {
                matched("as the entry holds nothing")
            }
            (StoredCredential::Empty | StoredCredential::Invalid(_), _) => {
                mismatch("the entry gives no usable credentials")
            }
            (_, ObservedKind::Anonymous) => {
                mismatch("the client did not use the stored credentials")
            }
            _ => mismatch("a different kind of credential"),
        },
    }
}

/// A login's credentials come from the prompt and become the stored entry: only the user name
/// can be compared (docker stores an identity token instead of the password it logged in with).
fn compare_login(
    lookup: &Lookup,
    credential: &ObservedCredential,
    seen: &str,
    configured: &str,
) -> (Verdict, String) {
    let via = credential.via.as_str();
    let Some(seen_user) = credential.kind.username() else {
        return (Verdict::Unverifiable, format!("{via} (a login) sent {seen}"));
    };
    let stored_user = match &lookup.source {
        Source::AuthsEntry { stored, .. } => stored.username(),
        Source::EnvAuthConfig { username, .. } => username.as_deref(),
        Source::None => None,
        _ => {
            return (
                Verdict::Unverifiable,
                format!(
                    "{via} (a login) sent {seen}; the login is stored in {configured}, which regauth does not run"
                ),
            );
        }
    };
    match stored_user {
        Some(stored) if stored == seen_user => (
            Verdict::Match,
            format!("{via} (a login) sent {seen}; the config holds that user ({configured})"),
        ),
        _ => (
            Verdict::Mismatch,
            format!(
                "{via} (a login) to {} sent {seen}, but {}'s config gives {configured}: the login failed, or was stored in another file",
                credential.registry,
                lookup.client.as_str()
            ),
        ),
    }
}

fn lookup_findings(rows: &[RegistryRow], findings: &mut Vec<ConfigFinding>) {
    for row in rows {
        for lookup in row.docker.iter().chain(row.podman.iter()) {
            if let Some(helper) = lookup.source.helper()
                && lookup.helper_on_path == Some(false)
            {
                findings.push(ConfigFinding {
                    code: Code::ConfigHelperMissing,
                    severity: Severity::Error,
                    registry: Some(row.name.clone()),
                    file: lookup.file,
                    message: format!(
                        "{} looks up {} with docker-credential-{helper}, which is not on PATH: {} fails with \"executable file not found\".",
                        lookup.client.as_str(),
                        row.name,
                        lookup.client.as_str()
                    ),
                });
            }
            if lookup.ambiguous_keys.len() > 1 {
                findings.push(ConfigFinding {
                    code: Code::ConfigAmbiguousKey,
                    severity: Severity::Warning,
                    registry: Some(row.name.clone()),
                    file: lookup.file,
                    message: format!(
                        "For {}, {} matches {} `auths` keys ({}) and picks one at random.",
                        row.name,
                        lookup.client.as_str(),
                        lookup.ambiguous_keys.len(),
                        lookup
                            .ambiguous_keys
                            .iter()
                            .map(|key| quoted(key))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
    }
}

/// Findings about what the files store, whoever reads them.
fn file_findings(inputs: &ConfigInputs, rows: &[RegistryRow], findings: &mut Vec<ConfigFinding>) {
    for (file_idx, source) in inputs.files.iter().enumerate() {
        let read_by_docker = inputs.docker_view && inputs.docker_file == Some(file_idx);
        let read_by_podman = inputs.podman_chain.contains(&file_idx);
        if !read_by_docker && !read_by_podman {
            continue;
        }
        let config = match &source.state {
            FileState::Parsed(config) => config,
            FileState::Invalid(error) => {
                findings.push(ConfigFinding {
                    code: Code::ConfigInvalidEntry,
                    severity: Severity::Error,
                    registry: None,
                    file: Some(file_idx),
                    message: format!("{} cannot be used: {error}.", source.path),
                });
                continue;
            }
            FileState::Missing | FileState::Unreadable(_) => continue,
        };
        for problem in &config.problems {
            findings.push(ConfigFinding {
                code: Code::ConfigInvalidEntry,
                severity: Severity::Error,
                registry: None,
                file: Some(file_idx),
                message: format!("{}: {problem}.", source.path),
            });
        }
        for entry in &config.auths {
            let registry = display_name(&lookup::docker_convert_to_hostname(&entry.key));
            let users = used_by(rows, file_idx, &entry.key);
            let shadowed_by_store = config
                .creds_store
                .as_ref()
                .filter(|_| read_by_docker && !users.contains(&"docker"))
                .map(|store| {
                    format!(" docker asks credsStore {} instead and never reads it.", quoted(store))
                })
                .unwrap_or_default();
            let usage = if users.is_empty() {
                format!("{shadowed_by_store} No lookup regauth ran uses it: a leftover.")
            } else {
                format!(" Used by {}.{shadowed_by_store}", users.join(" and "))
            };
            let user = entry
                .username()
                .map(|user| format!(" of user {}", quoted(user)))
                .unwrap_or_default();
            if entry.stores_password() {
                findings.push(ConfigFinding {
                    code: Code::ConfigPlaintextPassword,
                    severity: Severity::Warning,
                    registry: Some(registry.clone()),
                    file: Some(file_idx),
                    message: format!(
                        "{}: the `auths` entry {} stores the password{user} base64-encoded, readable by anyone who can read the file.{usage}",
                        source.path,
                        quoted(&entry.key)
                    ),
                });
            }
            if entry.stores_identity_token() {
                findings.push(ConfigFinding {
                    code: Code::ConfigPlaintextIdentityToken,
                    severity: Severity::Warning,
                    registry: Some(registry.clone()),
                    file: Some(file_idx),
                    message: format!(
                        "{}: the `auths` entry {} stores an identity token{user} in clear.{usage}",
                        source.path,
                        quoted(&entry.key)
                    ),
                });
            }
            if let AuthField::Invalid(problem) = &entry.auth {
                findings.push(ConfigFinding {
                    code: Code::ConfigInvalidEntry,
                    severity: Severity::Error,
                    registry: Some(registry.clone()),
                    file: Some(file_idx),
                    message: format!(
                        "{}: the `auth` value of {} {}; {}",
                        source.path,
                        quoted(&entry.key),
                        problem.describe(),
                        match problem {
                            AuthFieldProblem::NotBase64 =>
                                "docker refuses the whole file and podman's lookup for it fails.",
                            _ => "docker refuses the whole file; podman skips the entry.",
                        }
                    ),
                });
            } else if read_by_docker
                && matches!(&entry.auth, AuthField::Pair { username, .. } if username.is_empty())
            {
                findings.push(ConfigFinding {
                    code: Code::ConfigInvalidEntry,
                    severity: Severity::Error,
                    registry: Some(registry.clone()),
                    file: Some(file_idx),
                    message: format!(
                        "{}: the `auth` value of {} has an empty user name; docker refuses the whole file (\"invalid auth configuration file\").",
                        source.path,
                        quoted(&entry.key)
                    ),
                });
            }
            if read_by_docker && (entry.key == "docker.io" || entry.key == "registry-1.docker.io") {
                findings.push(ConfigFinding {
                    code: Code::ConfigKeyNeverUsed,
                    severity: Severity::Warning,
                    registry: Some("docker.io".to_owned()),
                    file: Some(file_idx),
                    message: format!(
                        "{}: docker never reads the `auths` key {} (it looks Docker Hub up as {}){}.",
                        source.path,
                        quoted(&entry.key),
                        quoted(DOCKER_HUB_KEY),
                        if read_by_podman { "; podman does" } else { "" }
                    ),
                });
            }
        }
        for (key, helper) in &config.cred_helpers {
            let docker_matches = key == DOCKER_HUB_KEY
                || !(key.contains("://")
                    || key.contains('/')
                    || key == "docker.io"
                    || key == "index.docker.io");
            let podman_matches = !(key.contains("://")
                || key.contains('/')
                || key == "index.docker.io"
                || key == "registry-1.docker.io");
            let ignored_by: Vec<&str> = [
                (read_by_docker && !docker_matches).then_some("docker"),
                (read_by_podman && !podman_matches).then_some("podman"),
            ]
            .into_iter()
            .flatten()
            .collect();
            if ignored_by.is_empty() {
                continue;
            }
            let hint = if key == "docker.io" || key == "index.docker.io" || key == DOCKER_HUB_KEY {
                format!(
                    " (docker spells Docker Hub {}, podman {})",
                    quoted(DOCKER_HUB_KEY),
                    quoted("docker.io")
                )
            } else {
                " (helpers are looked up by the plain host[:port])".to_owned()
            };
            findings.push(ConfigFinding {
                code: Code::ConfigKeyNeverUsed,
                severity: Severity::Warning,
                registry: Some(display_name(&lookup::docker_convert_to_hostname(key))),
                file: Some(file_idx),
                message: format!(
                    "{}: {} never match{} the `credHelpers` key {} (helper {}){hint}.",
                    source.path,
                    ignored_by.join(" and "),
                    if ignored_by.len() == 1 { "es" } else { "" },
                    quoted(key),
                    quoted(helper)
                ),
            });
        }
        if read_by_podman && let Some(store) = &config.creds_store {
            findings.push(ConfigFinding {
                code: Code::ConfigCredsStoreIgnored,
                severity: Severity::Info,
                registry: None,
                file: Some(file_idx),
                message: format!(
                    "{}: `credsStore` {} is read by docker only; podman, skopeo and buildah find no credentials there.",
                    source.path,
                    quoted(store)
                ),
            });
        }
    }
}

/// The clients whose lookups (in `rows`) end at `key` in file `file_idx`.
fn used_by(rows: &[RegistryRow], file_idx: usize, key: &str) -> Vec<&'static str> {
    let mut clients = BTreeSet::new();
    for lookup in rows.iter().flat_map(|row| row.docker.iter().chain(row.podman.iter())) {
        if lookup.file == Some(file_idx)
            && matches!(&lookup.source, Source::AuthsEntry { key: used, .. } if used == key)
        {
            clients.insert(lookup.client);
        }
    }
    clients.into_iter().map(Client::as_str).collect()
}
