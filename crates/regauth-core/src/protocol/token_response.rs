//! Token service answers (distribution `docs/spec/auth/token.md` "Token Response Fields").
//!
//! ```json
//! {"token": "…", "access_token": "…", "expires_in": 300, "issued_at": "2024-05-01T10:00:00Z", "refresh_token": "…"}
//! ```

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::display::shorten;
use crate::model::Body;
use crate::secret::Secret;

/// Largest token response read, after undoing its content encoding. Real ones are a few KiB (a
/// JWT with an `x5c` chain); a larger body is refused with [`TokenResponseError::TooLarge`]
/// rather than cut, since a cut JSON document would read as "no token".
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 1 << 20;

/// What clients assume when `expires_in` is absent, and the shortest lifetime they accept.
///
/// The token spec says a missing `expires_in` means 60 seconds, and distribution's client,
/// containers/image (skopeo, podman) and containerd all raise any `expires_in` below 60 to 60 (the
/// spec's minimum), so a short-lived token may still be reused after its `exp`.
pub const MIN_LIFETIME_S: i64 = 60;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    pub token: Option<Secret>,
    pub access_token: Option<Secret>,
    /// Seconds, as sent (before clamping; see [`TokenResponse::effective_lifetime_s`]).
    pub expires_in: Option<i64>,
    /// When the issuer says it issued the token (issuer clock).
    pub issued_at: Option<DateTime<Utc>>,
    pub refresh_token: Option<Secret>,
    /// What was odd, in plain words (unparseable fields, `token` differing from `access_token`, ...).
    pub problems: Vec<String>,
    /// Whether a field has a JSON type that clients decoding into typed fields reject, failing
    /// on the whole answer: Go's `encoding/json` in docker, containerd, podman and skopeo
    /// (`expires_in` an int, `issued_at` an RFC 3339 `time.Time`, the tokens strings).
    pub rejected_by_typed_clients: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenResponseError {
    #[error("token response is not JSON: {0}")]
    NotJson(String),
    #[error("token response is JSON but not an object")]
    NotAnObject,
    #[error("token response is larger than {limit} bytes, too large to analyse")]
    TooLarge { limit: usize },
    #[error("token response body cannot be decoded: {0}")]
    Undecodable(String),
}

impl TokenResponse {
    /// The token a client would use: `token`, else `access_token` (distribution's client and
    /// containers/image both prefer `token`).
    pub fn effective_token(&self) -> Option<&Secret> {
        self.token.as_ref().or(self.access_token.as_ref())
    }

    /// The lifetime clients assume, in seconds: `expires_in`, or 60 when absent, and never less
    /// than 60 (see [`MIN_LIFETIME_S`]).
    pub fn effective_lifetime_s(&self) -> i64 {
        self.expires_in.unwrap_or(MIN_LIFETIME_S).max(MIN_LIFETIME_S)
    }

    /// Whether clients raised the lifetime above what the issuer said (absent or below 60 s).
    pub fn lifetime_was_clamped(&self) -> bool {
        self.expires_in.is_none_or(|expires_in| expires_in < MIN_LIFETIME_S)
    }
}

/// Reads a token response from a recorded body (content encoding undone), refusing one over
/// [`MAX_TOKEN_RESPONSE_BYTES`] as [`TokenResponseError::TooLarge`] instead of reading a cut copy.
pub fn parse_token_response_body(body: &Body) -> Result<TokenResponse, TokenResponseError> {
    // One byte over the limit is enough to tell "too large" from "exactly at the limit".
    let decoded = body
        .decoded(MAX_TOKEN_RESPONSE_BYTES + 1)
        .map_err(|error| TokenResponseError::Undecodable(error.to_string()))?;
    if decoded.len() > MAX_TOKEN_RESPONSE_BYTES {
        return Err(TokenResponseError::TooLarge { limit: MAX_TOKEN_RESPONSE_BYTES });
    }
    parse_token_response(&decoded)
}

/// How much of a field's value a problem quotes.
const QUOTED_CHARS: usize = 40;

/// Reads a token response body. Only a body that is not a JSON object is an error; missing or
/// odd fields are [`TokenResponse::problems`].
pub fn parse_token_response(body: &[u8]) -> Result<TokenResponse, TokenResponseError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| TokenResponseError::NotJson(error.to_string()))?;
    let Value::Object(object) = value else { return Err(TokenResponseError::NotAnObject) };
    let mut problems = Vec::new();
    let mut rejected_by_typed_clients = false;

    let mut secret_field = |name: &str| -> Option<Secret> {
        match object.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.is_empty() => {
                problems.push(format!("{name} is empty"));
                None
            }
            Some(Value::String(text)) => Some(Secret::new(text.as_str())),
            Some(_) => {
                problems.push(format!("{name} is not a string"));
                rejected_by_typed_clients = true;
                None
            }
        }
    };
    let token = secret_field("token");
    let access_token = secret_field("access_token");
    let refresh_token = secret_field("refresh_token");

    let expires_in = match object.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(number)) => match number.as_i64() {
            Some(seconds) => Some(seconds),
            None => {
                problems.push(format!(
                    "expires_in {} is not a whole number of seconds",
                    shorten(&number.to_string(), QUOTED_CHARS)
                ));
                rejected_by_typed_clients = true;
                number.as_f64().map(|seconds| seconds.trunc() as i64)
            }
        },
        Some(Value::String(text)) => {
            problems.push(format!(
                "expires_in is a string ({:?}), not a number",
                shorten(text, QUOTED_CHARS)
            ));
            rejected_by_typed_clients = true;
            text.trim().parse::<i64>().ok()
        }
        Some(_) => {
            problems.push("expires_in is not a number".to_owned());
            rejected_by_typed_clients = true;
            None
        }
    };
    if expires_in.is_some_and(|seconds| seconds <= 0) {
        problems.push(format!("expires_in is {} (not positive)", expires_in.unwrap_or_default()));
    }

    let issued_at = match object.get("issued_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => match DateTime::parse_from_rfc3339(text) {
            Ok(time) => Some(time.with_timezone(&Utc)),
            Err(error) => {
                problems.push(format!(
                    "issued_at {:?} is not an RFC 3339 time: {error}",
                    shorten(text, QUOTED_CHARS)
                ));
                rejected_by_typed_clients = true;
                None
            }
        },
        Some(_) => {
            problems.push("issued_at is not a string".to_owned());
            rejected_by_typed_clients = true;
            None
        }
    };

    match (&token, &access_token) {
        (None, None) => problems.push("the response has neither token nor access_token".to_owned()),
        (Some(token), Some(access_token)) if token != access_token => problems.push(
            "token and access_token differ; clients use token, OAuth2 libraries use access_token"
                .to_owned(),
        ),
        _ => {}
    }

    Ok(TokenResponse {
        token,
        access_token,
        expires_in,
        issued_at,
        refresh_token,
        problems,
        rejected_by_typed_clients,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_types_that_typed_clients_reject_are_told_apart_from_other_oddities() {
        // hand-written fixtures: Go clients decode `expires_in` into an int, `issued_at` into
        // a time.Time and the tokens into strings, and fail on the whole answer otherwise.
        let rejected = [
            r#"{"token":"t","expires_in":"300"}"#,
            r#"{"token":"t","expires_in":300.5}"#,
            r#"{"token":"t","expires_in":true}"#,
            r#"{"token":"t","issued_at":"yesterday"}"#,
            r#"{"token":"t","issued_at":1714557600}"#,
            r#"{"token":"t","access_token":5}"#,
        ];
        for body in rejected {
            let response = parse_token_response(body.as_bytes()).unwrap();
            assert!(response.rejected_by_typed_clients, "{body}");
            assert_eq!(response.problems.len(), 1, "{body}: {:?}", response.problems);
        }
        let odd_but_decodable = [
            r#"{"token":"t","access_token":"u"}"#,
            r#"{"token":"","access_token":"t"}"#,
            r#"{"token":"t","expires_in":-5}"#,
        ];
        for body in odd_but_decodable {
            let response = parse_token_response(body.as_bytes()).unwrap();
            assert!(!response.rejected_by_typed_clients, "{body}");
            assert_eq!(response.problems.len(), 1, "{body}: {:?}", response.problems);
        }
        let clean = parse_token_response(br#"{"token":"t","expires_in":300}"#).unwrap();
        assert!(!clean.rejected_by_typed_clients && clean.problems.is_empty());
    }

    #[test]
    fn a_problem_quotes_a_long_value_shortened() {
        // hand-written fixture
        let long = "9".repeat(10_000);
        let body = format!(r#"{{"token":"t","expires_in":"{long}","issued_at":"{long}"}}"#);
        let response = parse_token_response(body.as_bytes()).unwrap();
        assert_eq!(response.problems.len(), 2, "{:?}", response.problems);
        for problem in &response.problems {
            assert!(problem.len() < 200, "{problem}");
            assert!(problem.contains("99999…"), "{problem}");
        }
    }

    #[test]
    fn docker_hub_shape() {
        // Docker Hub answers with both fields carrying the same token.
        let body = br#"{"token":"eyJ.a.b","access_token":"eyJ.a.b","expires_in":300,"issued_at":"2024-05-01T10:00:00.123456789Z"}"#;
        let response = parse_token_response(body).unwrap();
        assert_eq!(response.effective_token().map(Secret::expose), Some("eyJ.a.b"));
        assert_eq!(response.effective_lifetime_s(), 300);
        assert!(!response.lifetime_was_clamped());
        let issued_at = response.issued_at.unwrap();
        assert_eq!(issued_at.timestamp(), 1_714_557_600);
        assert_eq!(issued_at.timestamp_subsec_nanos(), 123_456_789);
        assert!(response.problems.is_empty(), "{:?}", response.problems);
    }

    #[test]
    fn access_token_only_with_refresh_token_and_offset_time() {
        let body = br#"{"access_token":"opaque","refresh_token":"rt","expires_in":900,"issued_at":"2024-05-01T12:00:00+02:00","scope":"repository:a:pull"}"#;
        let response = parse_token_response(body).unwrap();
        assert_eq!(response.effective_token().map(Secret::expose), Some("opaque"));
        assert_eq!(response.refresh_token.as_ref().map(Secret::expose), Some("rt"));
        assert_eq!(response.issued_at.unwrap().to_rfc3339(), "2024-05-01T10:00:00+00:00");
    }

    #[test]
    fn lifetime_defaults_and_clamps_to_60() {
        // hand-written fixture
        let absent = parse_token_response(br#"{"token":"t"}"#).unwrap();
        assert_eq!(
            (absent.expires_in, absent.effective_lifetime_s(), absent.lifetime_was_clamped()),
            (None, 60, true)
        );
        let short = parse_token_response(br#"{"token":"t","expires_in":30}"#).unwrap();
        assert_eq!(
            (short.expires_in, short.effective_lifetime_s(), short.lifetime_was_clamped()),
            (Some(30), 60, true)
        );
        let exact = parse_token_response(br#"{"token":"t","expires_in":60}"#).unwrap();
        assert_eq!((exact.effective_lifetime_s(), exact.lifetime_was_clamped()), (60, false));
    }

    #[test]
    fn differing_tokens_and_odd_fields_are_problems() {
        // hand-written fixture
        let response = parse_token_response(
            br#"{"token":"a","access_token":"b","expires_in":"120","issued_at":"yesterday","refresh_token":7}"#,
        )
        .unwrap();
        assert_eq!(response.effective_token().map(Secret::expose), Some("a"));
        assert_eq!(response.expires_in, Some(120));
        assert_eq!(response.issued_at, None);
        assert_eq!(response.refresh_token, None);
        let joined = response.problems.join("\n");
        for expected in [
            "differ",
            "expires_in is a string",
            "issued_at \"yesterday\"",
            "refresh_token is not a string",
        ] {
            assert!(joined.contains(expected), "missing {expected:?} in {joined}");
        }

        let empty = parse_token_response(br#"{"token":"","expires_in":12.5}"#).unwrap();
        assert_eq!(empty.effective_token(), None);
        assert_eq!(empty.expires_in, Some(12));
        assert_eq!(empty.problems.len(), 3, "{:?}", empty.problems);
        let negative = parse_token_response(br#"{"token":"t","expires_in":-5}"#).unwrap();
        assert!(negative.problems.iter().any(|problem| problem.contains("not positive")));
    }

    #[test]
    fn not_json_is_an_error() {
        assert!(matches!(parse_token_response(b"<html>"), Err(TokenResponseError::NotJson(_))));
        assert_eq!(parse_token_response(b"[1]"), Err(TokenResponseError::NotAnObject));
        assert!(parse_token_response(b"").is_err());
    }

    #[test]
    fn responses_over_the_limit_are_too_large_not_tokenless() {
        // hand-written fixture: a valid token response padded past 1 MiB with a long field.
        let padded = |total: usize| {
            let head = br#"{"token":"t","expires_in":300,"padding":""#;
            let mut body = head.to_vec();
            body.resize(total - 2, b'x');
            body.extend_from_slice(br#""}"#);
            Body { data: crate::model::BodyData::Raw(body.into()), ..Body::default() }
        };
        let at_limit = parse_token_response_body(&padded(MAX_TOKEN_RESPONSE_BYTES)).unwrap();
        assert_eq!(at_limit.effective_token().map(Secret::expose), Some("t"));
        let over = parse_token_response_body(&padded(MAX_TOKEN_RESPONSE_BYTES + 1));
        assert_eq!(over, Err(TokenResponseError::TooLarge { limit: MAX_TOKEN_RESPONSE_BYTES }));
        assert_eq!(
            over.unwrap_err().to_string(),
            "token response is larger than 1048576 bytes, too large to analyse"
        );
    }

    #[test]
    fn debug_masks_tokens() {
        let response = parse_token_response(br#"{"token":"supersecrettoken"}"#).unwrap();
        assert!(!format!("{response:?}").contains("supersecret"));
    }
}
