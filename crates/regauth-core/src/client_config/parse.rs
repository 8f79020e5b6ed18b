//! Reading the bytes of `~/.docker/config.json`, podman's `auth.json` and the legacy
//! `~/.dockercfg` into what the credential lookups need. Secrets stay in [`Secret`]s.
//!
//! Go's `encoding/json`, which both docker and containers/image use, matches object keys to
//! struct fields case-insensitively (an exact match first), so `"Auths"` works as well as
//! `"auths"`; this reader does the same.

use serde_json::{Map, Value};

use crate::secret::Secret;

/// Config files are a few KiB; anything this large is not one.
pub const MAX_CONFIG_BYTES: usize = 8 << 20;

/// The two layouts the clients read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// `{"auths": {...}, "credHelpers": {...}, "credsStore": "..."}`: docker's `config.json` and
    /// containers' `auth.json`.
    ConfigJson,
    /// `~/.dockercfg`: the `auths` map alone, keyed by URLs; read by containers/image only.
    LegacyDockercfg,
}

impl FileFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::ConfigJson => "config.json",
            FileFormat::LegacyDockercfg => "legacy-dockercfg",
        }
    }
}

/// One parsed config file.
#[derive(Clone, Debug, Default)]
pub struct ConfigFile {
    /// `auths` entries, in file order.
    pub auths: Vec<AuthEntry>,
    /// `credHelpers`: registry key → helper suffix (`docker-credential-<suffix>`), in file order.
    pub cred_helpers: Vec<(String, String)>,
    /// `credsStore`, when set and not empty.
    pub creds_store: Option<String>,
    /// Parts that could not be read (wrong JSON types); what else was there still counts.
    pub problems: Vec<String>,
}

impl ConfigFile {
    /// Whether the file configures any credential at all (docker's `ContainsAuth`): if not, docker
    /// falls back to the platform's default credential store.
    pub fn contains_auth(&self) -> bool {
        self.creds_store.is_some() || !self.cred_helpers.is_empty() || !self.auths.is_empty()
    }

    pub fn cred_helper(&self, key: &str) -> Option<&str> {
        self.cred_helpers.iter().find(|(entry, _)| entry == key).map(|(_, helper)| helper.as_str())
    }

    pub fn auth_entry(&self, key: &str) -> Option<&AuthEntry> {
        self.auths.iter().find(|entry| entry.key == key)
    }
}

/// One `auths` entry. Docker reads all fields; containers/image only `auth` and `identitytoken`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthEntry {
    pub key: String,
    pub auth: AuthField,
    /// `username` / `password` fields: docker uses them when `auth` is empty (old configs,
    /// Kubernetes pull secrets written by hand).
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// A refresh token from the token service (`docker login` against a registry that offers
    /// one stores this instead of the password).
    pub identity_token: Option<Secret>,
    /// A bearer token sent to the registry as is.
    pub registry_token: Option<Secret>,
}

/// The `auth` field: base64 of `user:password`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AuthField {
    /// Missing or empty (docker writes `{}` entries next to a credential store).
    #[default]
    Absent,
    Pair {
        username: String,
        password: Secret,
    },
    /// Present but unusable; docker refuses the whole file, containers/image the lookup.
    Invalid(AuthFieldProblem),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFieldProblem {
    NotBase64,
    /// Decodes, but has no `:` between user name and password.
    NoColon,
    /// `:password`: docker refuses it ("invalid auth configuration file"); containers/image
    /// accepts it. Judged per client, so [`AuthField::Pair`] still holds such a value.
    EmptyUsername,
}

impl AuthFieldProblem {
    pub fn describe(self) -> &'static str {
        match self {
            AuthFieldProblem::NotBase64 => "is not valid base64",
            AuthFieldProblem::NoColon => {
                "decodes to text without the ':' between user and password"
            }
            AuthFieldProblem::EmptyUsername => "has an empty user name",
        }
    }
}

/// What a stored `auths` entry hands the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredCredential {
    /// A user name and password (in clear in the file).
    Password { username: String },
    /// An identity (refresh) token, with the user name docker keeps beside it.
    IdentityToken { username: Option<String> },
    /// A registry bearer token.
    RegistryToken,
    /// Nothing usable: an empty entry (a credential store's marker) or one this client skips.
    Empty,
    /// An `auth` value the client cannot decode.
    Invalid(AuthFieldProblem),
}

impl StoredCredential {
    pub fn as_str(&self) -> &'static str {
        match self {
            StoredCredential::Password { .. } => "password",
            StoredCredential::IdentityToken { .. } => "identity-token",
            StoredCredential::RegistryToken => "registry-token",
            StoredCredential::Empty => "empty",
            StoredCredential::Invalid(_) => "invalid",
        }
    }

    pub fn username(&self) -> Option<&str> {
        match self {
            StoredCredential::Password { username } => Some(username),
            StoredCredential::IdentityToken { username } => username.as_deref(),
            _ => None,
        }
    }
}

impl AuthEntry {
    /// What docker's `LoadFromReader` + file store make of the entry.
    pub fn docker_credential(&self) -> StoredCredential {
        let (username, has_password) = match &self.auth {
            AuthField::Invalid(problem) => return StoredCredential::Invalid(*problem),
            AuthField::Pair { username, .. } if username.is_empty() => {
                return StoredCredential::Invalid(AuthFieldProblem::EmptyUsername);
            }
            AuthField::Pair { username, password } => {
                (Some(username.clone()), !password.is_empty())
            }
            AuthField::Absent => (
                self.username.clone().filter(|name| !name.is_empty()),
                self.password.as_ref().is_some_and(|password| !password.is_empty()),
            ),
        };
        if self.identity_token.as_ref().is_some_and(|token| !token.is_empty()) {
            StoredCredential::IdentityToken { username }
        } else if has_password {
            StoredCredential::Password { username: username.unwrap_or_default() }
        } else if self.registry_token.as_ref().is_some_and(|token| !token.is_empty()) {
            StoredCredential::RegistryToken
        } else {
            StoredCredential::Empty
        }
    }

    /// What containers/image's `decodeDockerAuth` makes of it: only `auth` counts, and an entry
    /// whose `auth` has no `user:` part is skipped (so its `identitytoken` is ignored too).
    pub fn containers_credential(&self) -> StoredCredential {
        match &self.auth {
            AuthField::Invalid(AuthFieldProblem::NotBase64) => {
                StoredCredential::Invalid(AuthFieldProblem::NotBase64)
            }
            AuthField::Invalid(_) | AuthField::Absent => StoredCredential::Empty,
            // `user:` with an empty password, or `:password`, still counts as credentials there.
            AuthField::Pair { username, .. } => {
                if self.identity_token.as_ref().is_some_and(|token| !token.is_empty()) {
                    StoredCredential::IdentityToken { username: Some(username.clone()) }
                } else {
                    StoredCredential::Password { username: username.clone() }
                }
            }
        }
    }

    /// Whether the file holds a password in clear (an `auth` pair with a password, or a
    /// `password` field).
    pub fn stores_password(&self) -> bool {
        matches!(&self.auth, AuthField::Pair { password, .. } if !password.is_empty())
            || self.password.as_ref().is_some_and(|password| !password.is_empty())
    }

    pub fn stores_identity_token(&self) -> bool {
        self.identity_token.as_ref().is_some_and(|token| !token.is_empty())
    }

    /// The user name the entry names, from `auth` or `username`.
    pub fn username(&self) -> Option<&str> {
        match &self.auth {
            AuthField::Pair { username, .. } => Some(username),
            _ => self.username.as_deref().filter(|name| !name.is_empty()),
        }
    }
}

/// A file regauth cannot use at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("file is {size} bytes, over the {limit}-byte limit for a config file")]
    TooLarge { size: usize, limit: usize },
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("top-level JSON value is not an object")]
    NotAnObject,
}

/// Parses a config file. Wrong types inside are problems, not errors.
pub fn parse_config(bytes: &[u8], format: FileFormat) -> Result<ConfigFile, ConfigError> {
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge { size: bytes.len(), limit: MAX_CONFIG_BYTES });
    }
    // An empty file is an empty config to both clients (docker ignores io.EOF).
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(ConfigFile::default());
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|error| {
        // serde_json's message names line and column, never the content.
        ConfigError::NotJson(error.to_string())
    })?;
    let Value::Object(object) = value else { return Err(ConfigError::NotAnObject) };
    let mut config = ConfigFile::default();
    match format {
        FileFormat::LegacyDockercfg => read_auths(&object, &mut config),
        FileFormat::ConfigJson => {
            match field(&object, "auths") {
                Some(Value::Object(auths)) => read_auths(auths, &mut config),
                Some(Value::Null) | None => {}
                Some(_) => config.problems.push("`auths` is not an object".to_owned()),
            }
            match field(&object, "credHelpers") {
                Some(Value::Object(helpers)) => {
                    for (key, helper) in helpers {
                        match helper {
                            Value::String(helper) => {
                                config.cred_helpers.push((key.clone(), helper.clone()));
                            }
                            _ => config.problems.push(format!(
                                "`credHelpers` entry {} is not a string",
                                quoted(key)
                            )),
                        }
                    }
                }
                Some(Value::Null) | None => {}
                Some(_) => config.problems.push("`credHelpers` is not an object".to_owned()),
            }
            match field(&object, "credsStore") {
                Some(Value::String(store)) if !store.is_empty() => {
                    config.creds_store = Some(store.clone());
                }
                Some(Value::String(_) | Value::Null) | None => {}
                Some(_) => config.problems.push("`credsStore` is not a string".to_owned()),
            }
        }
    }
    Ok(config)
}

fn read_auths(auths: &Map<String, Value>, config: &mut ConfigFile) {
    for (key, entry) in auths {
        let Value::Object(entry) = entry else {
            config.problems.push(format!("`auths` entry {} is not an object", quoted(key)));
            continue;
        };
        let text = |name: &str| match field(entry, name) {
            Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
            _ => None,
        };
        for name in ["auth", "username", "password", "identitytoken", "registrytoken"] {
            if field(entry, name)
                .is_some_and(|value| !matches!(value, Value::String(_) | Value::Null))
            {
                config
                    .problems
                    .push(format!("`{name}` of `auths` entry {} is not a string", quoted(key)));
            }
        }
        let auth = match text("auth") {
            None => AuthField::Absent,
            Some(encoded) => decode_auth(&encoded),
        };
        config.auths.push(AuthEntry {
            key: key.clone(),
            auth,
            username: text("username"),
            password: text("password").map(Secret::from),
            identity_token: text("identitytoken").map(Secret::from),
            registry_token: text("registrytoken").map(Secret::from),
        });
    }
}

/// Both clients decode `auth` with Go's `base64.StdEncoding` (standard alphabet, padding
/// required, CR/LF ignored), so anything else is invalid to them too.
fn decode_auth(encoded: &str) -> AuthField {
    use base64::Engine as _;
    let compact: String = encoded.chars().filter(|ch| !matches!(ch, '\r' | '\n')).collect();
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(compact) else {
        return AuthField::Invalid(AuthFieldProblem::NotBase64);
    };
    let decoded = String::from_utf8_lossy(&decoded);
    match decoded.split_once(':') {
        None => AuthField::Invalid(AuthFieldProblem::NoColon),
        Some((username, password)) => AuthField::Pair {
            username: username.to_owned(),
            // Both clients trim NUL padding some old writers left.
            password: Secret::new(password.trim_matches('\0')),
        },
    }
}

/// Go's `encoding/json` field matching: the exact key, else a case-insensitive one.
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value)
    })
}

/// A key from the file, quoted with anything unprintable escaped.
pub(crate) fn quoted(key: &str) -> String {
    format!("{key:?}")
}
