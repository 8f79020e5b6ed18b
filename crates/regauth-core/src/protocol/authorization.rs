//! `Authorization` request headers (RFC 7235 §4.2, RFC 7617 Basic, RFC 6750 §2.1 Bearer).

use crate::protocol::decode_base64_any;
use crate::secret::Secret;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization {
    Basic {
        username: String,
        password: Secret,
    },
    Bearer(Secret),
    /// Any other scheme (`Negotiate`, `Digest`, `AWS4-HMAC-SHA256`, ...); its credentials are not
    /// kept, because nothing here interprets them.
    Other {
        scheme: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizationError {
    #[error("authorization header is empty")]
    Empty,
    #[error("{scheme} authorization has no credentials")]
    MissingCredentials { scheme: String },
    #[error("basic credentials are not valid base64")]
    BasicNotBase64,
    #[error("basic credentials have no ':' between user name and password")]
    BasicMissingColon,
}

impl Authorization {
    pub fn scheme(&self) -> &str {
        match self {
            Authorization::Basic { .. } => "Basic",
            Authorization::Bearer(_) => "Bearer",
            Authorization::Other { scheme } => scheme,
        }
    }
}

/// Parses an `Authorization` header value. The scheme is matched case-insensitively; Basic
/// credentials may use either base64 alphabet and may lack padding (some clients strip it). A
/// non-UTF-8 user name or password is decoded lossily.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthorizationError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AuthorizationError::Empty);
    }
    let (scheme, credentials) = match value.split_once([' ', '\t']) {
        Some((scheme, rest)) => (scheme, rest.trim()),
        None => (value, ""),
    };
    let missing = || AuthorizationError::MissingCredentials { scheme: scheme.to_owned() };
    if scheme.eq_ignore_ascii_case("basic") {
        if credentials.is_empty() {
            return Err(missing());
        }
        let decoded = decode_base64_any(credentials).ok_or(AuthorizationError::BasicNotBase64)?;
        let decoded = String::from_utf8_lossy(&decoded);
        let (username, password) =
            decoded.split_once(':').ok_or(AuthorizationError::BasicMissingColon)?;
        Ok(Authorization::Basic { username: username.to_owned(), password: Secret::new(password) })
    } else if scheme.eq_ignore_ascii_case("bearer") {
        if credentials.is_empty() {
            return Err(missing());
        }
        Ok(Authorization::Bearer(Secret::new(credentials)))
    } else {
        Ok(Authorization::Other { scheme: scheme.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

    #[test]
    fn basic_padded_and_unpadded() {
        let padded = format!("Basic {}", STANDARD.encode("alice:s3cr3t:with:colons!"));
        let unpadded = format!("basic {}", STANDARD_NO_PAD.encode("alice:s3cr3t:with:colons!"));
        assert!(padded.ends_with('='), "the fixture must really carry padding");
        for header in [padded, unpadded] {
            let Authorization::Basic { username, password } = parse_authorization(&header).unwrap()
            else {
                panic!("not basic: {header}");
            };
            assert_eq!(username, "alice");
            assert_eq!(password.expose(), "s3cr3t:with:colons!");
        }
    }

    #[test]
    fn basic_ecr_style_and_empty_password() {
        let header = format!("Basic {}", STANDARD.encode("AWS:eyJwYXlsb2FkIjoi"));
        let parsed = parse_authorization(&header).unwrap();
        assert_eq!(
            parsed,
            Authorization::Basic {
                username: "AWS".into(),
                password: Secret::new("eyJwYXlsb2FkIjoi")
            }
        );
        let header = format!("Basic {}", STANDARD.encode("user:"));
        assert!(
            matches!(parse_authorization(&header), Ok(Authorization::Basic { password, .. }) if password.is_empty())
        );
    }

    #[test]
    fn bearer_and_other() {
        assert_eq!(
            parse_authorization("Bearer abc.def.ghi").unwrap(),
            Authorization::Bearer(Secret::new("abc.def.ghi"))
        );
        assert_eq!(
            parse_authorization("BEARER  tok ").unwrap(),
            Authorization::Bearer(Secret::new("tok"))
        );
        assert_eq!(
            parse_authorization("Negotiate YIIabc").unwrap(),
            Authorization::Other { scheme: "Negotiate".into() }
        );
        assert_eq!(parse_authorization("Bearer abc").unwrap().scheme(), "Bearer");
    }

    #[test]
    fn errors() {
        // hand-written fixture
        assert_eq!(parse_authorization(" "), Err(AuthorizationError::Empty));
        assert_eq!(
            parse_authorization("Bearer"),
            Err(AuthorizationError::MissingCredentials { scheme: "Bearer".into() })
        );
        assert_eq!(
            parse_authorization("Basic"),
            Err(AuthorizationError::MissingCredentials { scheme: "Basic".into() })
        );
        assert_eq!(parse_authorization("Basic !!!"), Err(AuthorizationError::BasicNotBase64));
        let no_colon = format!("Basic {}", STANDARD.encode("justauser"));
        assert_eq!(parse_authorization(&no_colon), Err(AuthorizationError::BasicMissingColon));
    }

    #[test]
    fn debug_output_masks_secrets() {
        let header = format!("Basic {}", STANDARD.encode("bob:topsecret"));
        let shown = format!("{:?}", parse_authorization(&header).unwrap());
        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(shown.contains("bob"));
    }
}
