//! Parsers for the messages of the registry auth protocol: challenges, scopes, `Authorization`
//! headers, token requests and responses, registry errors and Docker Engine API auth.
//!
//! Every function here is pure and total: it takes text or bytes taken from a capture and
//! returns what it could read plus what was wrong, never panicking on hostile input.

pub mod authorization;
pub mod challenge;
pub mod engine_api;
pub mod registry_error;
pub mod scope;
pub mod token_request;
pub mod token_response;

pub use authorization::{Authorization, AuthorizationError, parse_authorization};
pub use challenge::{Challenge, ChallengeProblem, parse_challenges};
pub use engine_api::{
    EngineApiCall, EngineApiError, RegistryAuthConfig, is_engine_api_path, parse_auth_body,
    parse_x_registry_auth,
};
pub use registry_error::{RateLimit, RegistryError, parse_error_body, rate_limit};
pub use scope::{Scope, ScopeError, parse_scope, parse_scope_list};
pub use token_request::{Credential, TokenRequest, TokenRequestKind, parse_token_request};
pub use token_response::{
    MAX_TOKEN_RESPONSE_BYTES, TokenResponse, TokenResponseError, parse_token_response,
    parse_token_response_body,
};

/// Decodes base64 in any of the spellings clients use: standard or URL-safe alphabet, padded or
/// not, with surrounding whitespace ignored.
pub(crate) fn decode_base64_any(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let trimmed = text.trim();
    let unpadded = trimmed.trim_end_matches('=');
    let url_safe = unpadded.contains(['-', '_']);
    let standard = unpadded.contains(['+', '/']);
    if url_safe && standard {
        return None;
    }
    let decoded =
        if url_safe { URL_SAFE_NO_PAD.decode(unpadded) } else { STANDARD_NO_PAD.decode(unpadded) };
    decoded.ok().or_else(|| STANDARD.decode(trimmed).ok()).or_else(|| URL_SAFE.decode(trimmed).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_in_every_spelling() {
        // "{}>?" encodes to "e30+Pw==" (standard) and "e30-Pw==" (URL-safe).
        for text in ["e30+Pw==", "e30+Pw", "e30-Pw==", "e30-Pw", " e30+Pw==\n"] {
            assert_eq!(decode_base64_any(text).as_deref(), Some(&b"{}>?"[..]), "{text}");
        }
        assert_eq!(decode_base64_any("e30=").as_deref(), Some(&b"{}"[..]));
        assert_eq!(decode_base64_any("e30").as_deref(), Some(&b"{}"[..]));
        assert_eq!(decode_base64_any("e3-+"), None);
        assert_eq!(decode_base64_any("!!!"), None);
        assert_eq!(decode_base64_any("").as_deref(), Some(&b""[..]));
    }

    #[test]
    fn parsers_never_panic_on_truncated_or_mangled_input() {
        let samples = [
            r#"{"token":"a.b.c","access_token":"a.b.c","expires_in":300,"issued_at":"2024-05-01T10:00:00Z","refresh_token":"r"}"#,
            r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied","detail":{"x":[1]}}]}"#,
            r#"{"username":"u","password":"p","auth":"dTpw","identitytoken":"t","serveraddress":"h:5000"}"#,
            "Basic dXNlcjpwYXNzd29yZA==",
            "repository:localhost:5000/a/b:pull,push registry(x):catalog:*",
            "eyJ1c2VybmFtZSI6InUifQ",
        ];
        for sample in samples {
            let mut variants: Vec<Vec<u8>> = Vec::new();
            for end in 0..=sample.len() {
                variants.push(sample.as_bytes()[..end].to_vec());
                variants.push(sample.as_bytes()[end..].to_vec());
            }
            for idx in 0..sample.len() {
                for byte in [b'"', b'\\', b':', b',', b'=', 0xff] {
                    let mut mangled = sample.as_bytes().to_vec();
                    mangled[idx] = byte;
                    variants.push(mangled);
                }
            }
            for bytes in &variants {
                let text = String::from_utf8_lossy(bytes);
                let _ = parse_token_response(bytes);
                let _ = parse_error_body(bytes);
                let _ = parse_auth_body(bytes);
                let _ = parse_x_registry_auth(&text);
                let _ = parse_authorization(&text);
                let _ = parse_scope_list(&text);
                let _ = parse_challenges([text.as_ref()]);
                let _ = is_engine_api_path(&text);
                let _ = crate::token::decode_token(&text);
            }
        }
    }
}
