//! Docker Engine API legs: the registry credentials a client hands to dockerd.
//!
//! The CLI sends them in `X-Registry-Auth` (base64url JSON of moby's `AuthConfig`: `username`,
//! `password`, `auth`, `email`, `serveraddress`, `identitytoken`, `registrytoken`) on
//! `/images/create` and `/images/<name>/push`, and as a plain JSON body on `POST /vX.Y/auth`
//! (`docker login`). An anonymous pull still sends `X-Registry-Auth: e30=` (`{}`).

use serde_json::{Map, Value};

use crate::model::ArcStr;
use crate::protocol::decode_base64_any;
use crate::secret::Secret;

/// moby's `registry.AuthConfig`, every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryAuthConfig {
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// base64 of `user:password` (as in `~/.docker/config.json`).
    pub auth: Option<Secret>,
    pub email: Option<String>,
    pub serveraddress: Option<String>,
    /// A refresh token the daemon got at login (`IdentityToken`); `username` is then often `<token>`.
    pub identitytoken: Option<Secret>,
    /// A bearer token to send to the registry as is.
    pub registrytoken: Option<Secret>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineApiError {
    #[error("X-Registry-Auth is not base64")]
    NotBase64,
    #[error("registry auth config is not JSON: {0}")]
    NotJson(String),
    #[error("registry auth config is JSON but not an object")]
    NotAnObject,
}

impl RegistryAuthConfig {
    /// Whether the config holds anything that grants access: a password, an `auth` pair with a
    /// password, an identity token or a registry token. `e30=` (`{}`) holds none.
    pub fn carries_secret(&self) -> bool {
        let present =
            |secret: &Option<Secret>| secret.as_ref().is_some_and(|secret| !secret.is_empty());
        let auth_has_password = match &self.auth {
            Some(auth) if !auth.is_empty() => match self.auth_pair() {
                Some((_, password)) => !password.is_empty(),
                // Undecodable: assume the worst.
                None => true,
            },
            _ => false,
        };
        present(&self.password)
            || auth_has_password
            || present(&self.identitytoken)
            || present(&self.registrytoken)
    }

    /// `auth` decoded into user name and password, when it decodes.
    pub fn auth_pair(&self) -> Option<(String, Secret)> {
        let decoded = decode_base64_any(self.auth.as_ref()?.expose())?;
        let decoded = String::from_utf8_lossy(&decoded);
        let (username, password) = decoded.split_once(':')?;
        Some((username.to_owned(), Secret::new(password)))
    }

    /// The user name from `username`, else from `auth`.
    pub fn effective_username(&self) -> Option<String> {
        self.username
            .clone()
            .filter(|name| !name.is_empty())
            .or_else(|| self.auth_pair().map(|(name, _)| name))
    }

    /// `username` is `<token>`: the secret is an identity token (docker credential helpers).
    pub fn username_marks_identity_token(&self) -> bool {
        self.username.as_deref() == Some("<token>")
    }
}

/// Decodes an `X-Registry-Auth` header: base64url or standard base64, padded or not.
pub fn parse_x_registry_auth(value: &str) -> Result<RegistryAuthConfig, EngineApiError> {
    let decoded = decode_base64_any(value).ok_or(EngineApiError::NotBase64)?;
    parse_auth_body(&decoded)
}

/// Reads a `POST /vX.Y/auth` JSON body (or a decoded `X-Registry-Auth`). Keys match
/// case-insensitively, as Go's `encoding/json` does.
pub fn parse_auth_body(body: &[u8]) -> Result<RegistryAuthConfig, EngineApiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|error| EngineApiError::NotJson(error.to_string()))?;
    let Value::Object(object) = value else { return Err(EngineApiError::NotAnObject) };
    let text = |name: &str| field(&object, name);
    let secret = |name: &str| field(&object, name).map(Secret::from);
    Ok(RegistryAuthConfig {
        username: text("username"),
        password: secret("password"),
        auth: secret("auth"),
        email: text("email"),
        serveraddress: text("serveraddress"),
        identitytoken: secret("identitytoken"),
        registrytoken: secret("registrytoken"),
    })
}

fn field(object: &Map<String, Value>, name: &str) -> Option<String> {
    let value = object.get(name).or_else(|| {
        object.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value)
    })?;
    value.as_str().filter(|text| !text.is_empty()).map(str::to_owned)
}

/// An Engine API request that matters for registry auth.
///
/// Its text is in thin `ArcStr`s so that a call (24 bytes) is no larger than the other
/// exchange roles the analysis keeps one of per exchange (issue 9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineApiCall {
    /// `POST /vX.Y/auth` (`docker login`).
    Auth { version: Option<ArcStr> },
    /// `POST /vX.Y/images/create?fromImage=…` (`docker pull`).
    ImagesCreate { version: Option<ArcStr> },
    /// `POST /vX.Y/images/<name>/push` (`docker push`).
    ImagePush { version: Option<ArcStr>, name: ArcStr },
    /// `GET|HEAD /_ping` or `/vX.Y/_ping`.
    Ping { version: Option<ArcStr> },
}

/// Recognises an Engine API path (query ignored); `None` for anything else, including registry
/// API paths (`/v2/…`).
pub fn is_engine_api_path(path: &str) -> Option<EngineApiCall> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let (version, rest) = match path.strip_prefix("/v").and_then(|after| after.split_once('/')) {
        Some((version, rest)) if is_api_version(version) => (Some(ArcStr::from(version)), rest),
        _ => (None, path.strip_prefix('/')?),
    };
    let rest = rest.trim_end_matches('/');
    match rest {
        "auth" => Some(EngineApiCall::Auth { version }),
        "images/create" => Some(EngineApiCall::ImagesCreate { version }),
        "_ping" => Some(EngineApiCall::Ping { version }),
        _ => {
            let name = rest.strip_prefix("images/")?.strip_suffix("/push")?;
            if name.is_empty() {
                return None;
            }
            let name = ArcStr::from(percent_decode(name));
            Some(EngineApiCall::ImagePush { version, name })
        }
    }
}

fn is_api_version(text: &str) -> bool {
    match text.split_once('.') {
        Some((major, minor)) => {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|byte| byte.is_ascii_digit())
                && minor.bytes().all(|byte| byte.is_ascii_digit())
        }
        None => false,
    }
}

fn percent_decode(text: &str) -> String {
    // `form_urlencoded` would also turn `+` into a space, which a path does not do.
    let protected = text.replace('+', "%2B");
    form_urlencoded::parse(format!("x={protected}").as_bytes())
        .next()
        .map_or_else(|| text.to_owned(), |(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

    #[test]
    fn anonymous_pull_header_carries_nothing() {
        let config = parse_x_registry_auth("e30=").unwrap();
        assert_eq!(config, RegistryAuthConfig::default());
        assert!(!config.carries_secret());
        assert!(!parse_x_registry_auth("e30").unwrap().carries_secret());
    }

    #[test]
    fn password_config_in_every_base64_spelling() {
        // `?>` in the password makes standard and URL-safe encodings differ.
        let json =
            r#"{"username":"alice","password":"pa?>ss","serveraddress":"registry.example:5000"}"#;
        let spellings = [
            URL_SAFE.encode(json),
            URL_SAFE_NO_PAD.encode(json),
            STANDARD.encode(json),
            STANDARD_NO_PAD.encode(json),
        ];
        assert_ne!(spellings[0], spellings[2], "the fixture must exercise both alphabets");
        for encoded in spellings {
            let config = parse_x_registry_auth(&encoded).unwrap();
            assert_eq!(config.username.as_deref(), Some("alice"));
            assert_eq!(config.password.as_ref().map(Secret::expose), Some("pa?>ss"));
            assert_eq!(config.serveraddress.as_deref(), Some("registry.example:5000"));
            assert!(config.carries_secret());
        }
    }

    #[test]
    fn identity_token_config() {
        // Shape the CLI sends after `docker login` stored an identity token.
        let auth = STANDARD.encode("alice:");
        let json = format!(
            r#"{{"username":"alice","auth":"{auth}","identitytoken":"rt-xyz","serveraddress":"https://index.docker.io/v1/"}}"#
        );
        let config = parse_x_registry_auth(&URL_SAFE.encode(&json)).unwrap();
        assert_eq!(config.identitytoken.as_ref().map(Secret::expose), Some("rt-xyz"));
        assert_eq!(
            config.auth_pair().map(|(name, password)| (name, password.is_empty())),
            Some(("alice".to_owned(), true))
        );
        assert!(config.carries_secret());

        let without_token = RegistryAuthConfig { identitytoken: None, ..config };
        assert!(!without_token.carries_secret(), "auth with an empty password grants nothing");
        assert_eq!(without_token.effective_username().as_deref(), Some("alice"));
    }

    #[test]
    fn login_body_with_go_style_key_case() {
        // hand-written fixture
        let config = parse_auth_body(
            br#"{"Username":"<token>","Password":"","RegistryToken":"bearer-abc","Email":""}"#,
        )
        .unwrap();
        assert!(config.username_marks_identity_token());
        assert_eq!(config.password, None);
        assert_eq!(config.email, None);
        assert_eq!(config.registrytoken.as_ref().map(Secret::expose), Some("bearer-abc"));
        assert!(config.carries_secret());
        let auth_only =
            parse_auth_body(format!(r#"{{"auth":"{}"}}"#, STANDARD.encode("bob:pw")).as_bytes())
                .unwrap();
        assert!(auth_only.carries_secret());
        assert_eq!(auth_only.effective_username().as_deref(), Some("bob"));
    }

    #[test]
    fn errors() {
        // hand-written fixture
        assert_eq!(parse_x_registry_auth("%%%"), Err(EngineApiError::NotBase64));
        assert!(matches!(
            parse_x_registry_auth(&STANDARD.encode("nope")),
            Err(EngineApiError::NotJson(_))
        ));
        assert_eq!(parse_auth_body(b"[]"), Err(EngineApiError::NotAnObject));
    }

    #[test]
    fn debug_masks_secrets() {
        let config = parse_auth_body(br#"{"username":"u","password":"hunter22"}"#).unwrap();
        assert!(!format!("{config:?}").contains("hunter22"));
    }

    #[test]
    fn engine_api_paths() {
        let v = |version: &str| Some(ArcStr::from(version));
        assert_eq!(
            is_engine_api_path("/v1.41/auth"),
            Some(EngineApiCall::Auth { version: v("1.41") })
        );
        assert_eq!(
            is_engine_api_path("/v1.41/images/create?fromImage=alpine&tag=latest"),
            Some(EngineApiCall::ImagesCreate { version: v("1.41") })
        );
        assert_eq!(
            is_engine_api_path("/v1.43/images/localhost:5000/team/app/push?tag=v1"),
            Some(EngineApiCall::ImagePush {
                version: v("1.43"),
                name: "localhost:5000/team/app".into()
            })
        );
        assert_eq!(
            is_engine_api_path("/v1.43/images/registry.example%3A5000%2Fapp/push"),
            Some(EngineApiCall::ImagePush {
                version: v("1.43"),
                name: "registry.example:5000/app".into()
            })
        );
        assert_eq!(is_engine_api_path("/_ping"), Some(EngineApiCall::Ping { version: None }));
        assert_eq!(
            is_engine_api_path("/v1.41/_ping"),
            Some(EngineApiCall::Ping { version: v("1.41") })
        );
        assert_eq!(is_engine_api_path("/auth"), Some(EngineApiCall::Auth { version: None }));
        for other in [
            "/v2/",
            "/v2/auth",
            "/v2/library/alpine/manifests/latest",
            "/v1.41/images/json",
            "/v1.41/images//push",
            "",
            "auth",
            "/v1/_ping",
        ] {
            assert_eq!(is_engine_api_path(other), None, "{other}");
        }
    }
}
