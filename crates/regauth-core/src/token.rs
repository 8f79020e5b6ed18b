//! Decoding the tokens a capture carries: JWTs (distribution `docs/spec/auth/jwt.md`) and the
//! opaque kinds seen in the wild.
//!
//! JWTs are decoded by hand (base64url + `serde_json`) rather than with `jsonwebtoken`: its
//! decoding functions reject a token whose signature segment is not valid base64url, but
//! sanitised captures replace signatures with `redacted` and must still show their claims.
//! Signatures are checked in [`verify`] with the RustCrypto crates directly, since the key comes
//! from the token's own `x5c` chain, which `jsonwebtoken` does not walk.
//!
//! Nothing here reads a clock: [`Jwt::validity_at`] takes the time to judge against (a capture
//! timestamp), because "now" is meaningless for a recording and `SystemTime::now` panics on wasm32.

pub mod verify;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::protocol::Scope;
use crate::protocol::decode_base64_any;

pub use verify::{
    CertificateValidity, NAMES_KEY_WITHOUT_X5C, SignatureCheck, not_checked_detail,
    verify_signature, x5c_validity_at,
};

/// What [`Jwt::masked`] puts where the signature was; [`decode_token`] reads it back as
/// [`SignatureState::Redacted`], so a masked token still decodes with its claims.
pub const REDACTED_SIGNATURE: &str = "redacted";

/// The clock-skew allowance distribution's registry applies to `exp` and `nbf`
/// (`registry/auth/token/token.go`, `Leeway`); pass it to [`Jwt::validity_at`] to judge a token
/// the way such a registry would.
pub const DISTRIBUTION_LEEWAY_S: i64 = 60;

/// A token masked for display or for a redacted capture: a JWT keeps its header and claims and
/// loses its signature ([`Jwt::masked`]); anything else becomes [`Secret::masked`](crate::secret::Secret::masked).
pub fn mask_token(raw: &str) -> String {
    match decode_token(raw).kind {
        TokenKind::Jwt(jwt) => jwt.masked(),
        TokenKind::Opaque(_) => crate::secret::Secret::new(raw).masked(),
    }
}

/// A token as decoded, plus what was odd about it.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedToken {
    pub kind: TokenKind,
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant, reason = "decoded once per token; boxing would only add noise")]
pub enum TokenKind {
    Jwt(Jwt),
    Opaque(OpaqueKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpaqueKind {
    /// A Google OAuth2 access token (`ya29.…`), as GCR and Artifact Registry accept.
    GoogleOAuth,
    /// An ECR password: base64 of a JSON object with `payload` and `datakey`.
    EcrJson,
    /// base64 of `user:password` (a config.json `auth` value used as a token).
    BasicPair,
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Jwt {
    pub header: JwtHeader,
    pub claims: Claims,
    pub signature: SignatureState,
    /// The header and claims segments as they were (base64url), for masking and verifying, and
    /// for [`Jwt::raw_header`] and [`Jwt::raw_claims`].
    pub encoded_header: String,
    pub encoded_claims: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JwtHeader {
    /// `RS256`, `ES256`, ...; empty when the header has none.
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
    /// The certificate chain (DER, leaf first) from `x5c`, or else from the `x5c` of an embedded
    /// `jwk` (distribution accepts both).
    pub x5c: Vec<Vec<u8>>,
    /// The embedded `jwk` header, if any, as sent.
    pub jwk: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    /// A string or an array of strings in the token; always a list here.
    pub aud: Vec<String>,
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
    pub jti: Option<String>,
    pub access: Vec<AccessEntry>,
}

/// One entry of the `access` claim: what the token grants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessEntry {
    pub resource_type: String,
    /// The optional `class` (e.g. `plugin`).
    pub resource_class: Option<String>,
    pub name: String,
    pub actions: Vec<String>,
}

impl AccessEntry {
    pub fn to_scope(&self) -> Scope {
        Scope {
            resource_type: self.resource_type.clone(),
            resource_class: self.resource_class.clone(),
            name: self.name.clone(),
            actions: self.actions.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureState {
    Present,
    /// The third segment is empty (`alg: none`, or a token cut short).
    Missing,
    /// The third segment is `redacted` or otherwise not base64url: a sanitised capture.
    Redacted,
}

/// A token's validity at a given instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Valid,
    /// `by_s` seconds past `exp` (the leeway is not subtracted).
    Expired {
        by_s: i64,
    },
    /// `by_s` seconds before `nbf` (the leeway is not subtracted).
    NotYetValid {
        by_s: i64,
    },
    /// The token has neither `exp` nor `nbf`.
    Unknown,
}

impl Jwt {
    /// The header as sent, decoded again from its segment when asked for: a JSON tree per
    /// token costs kilobytes, and a capture of 100,000 tokens needs it only for `regauth token`
    /// (issue 9: memory bounded by the input).
    pub fn raw_header(&self) -> Value {
        decode_segment(&self.encoded_header).unwrap_or_default()
    }

    /// The claims as sent (see [`Jwt::raw_header`]).
    pub fn raw_claims(&self) -> Value {
        decode_segment(&self.encoded_claims).unwrap_or_default()
    }

    /// `header.claims.redacted`: the claims stay readable (and decodable), the signature is gone.
    pub fn masked(&self) -> String {
        format!("{}.{}.{REDACTED_SIGNATURE}", self.encoded_header, self.encoded_claims)
    }

    /// Judges `exp` and `nbf` at `at_unix` (seconds) with `leeway_s` of tolerance on both sides,
    /// as distribution does with 60 s. The caller picks the instant (capture time, registry time).
    pub fn validity_at(&self, at_unix: i64, leeway_s: i64) -> Validity {
        if self.claims.exp.is_none() && self.claims.nbf.is_none() {
            return Validity::Unknown;
        }
        if let Some(exp) = self.claims.exp
            && at_unix > exp.saturating_add(leeway_s)
        {
            return Validity::Expired { by_s: at_unix.saturating_sub(exp) };
        }
        if let Some(nbf) = self.claims.nbf
            && at_unix < nbf.saturating_sub(leeway_s)
        {
            return Validity::NotYetValid { by_s: nbf.saturating_sub(at_unix) };
        }
        Validity::Valid
    }

    /// `exp - iat` in seconds, when both are present.
    pub fn lifetime_s(&self) -> Option<i64> {
        Some(self.claims.exp?.saturating_sub(self.claims.iat?))
    }

    /// The `access` claim as scopes.
    pub fn granted_scopes(&self) -> Vec<Scope> {
        self.claims.access.iter().map(AccessEntry::to_scope).collect()
    }

    /// Whether `aud` names `service`.
    pub fn has_audience(&self, service: &str) -> bool {
        self.claims.aud.iter().any(|aud| aud == service)
    }
}

impl DecodedToken {
    pub fn jwt(&self) -> Option<&Jwt> {
        match &self.kind {
            TokenKind::Jwt(jwt) => Some(jwt),
            TokenKind::Opaque(_) => None,
        }
    }
}

/// Recognises and decodes a token. Never fails: a token that is not a JWT is
/// [`TokenKind::Opaque`], with [`DecodedToken::problems`] saying why when it looked like one.
pub fn decode_token(raw: &str) -> DecodedToken {
    let raw = raw.trim();
    let mut problems = Vec::new();
    if raw.starts_with("ya29.") {
        return DecodedToken { kind: TokenKind::Opaque(OpaqueKind::GoogleOAuth), problems };
    }
    let segments: Vec<&str> = raw.split('.').collect();
    if segments.len() == 3 || (segments.len() == 2 && raw.starts_with("eyJ")) {
        match decode_jwt(&segments, &mut problems) {
            Some(jwt) => return DecodedToken { kind: TokenKind::Jwt(jwt), problems },
            None if raw.starts_with("eyJ") => {}
            None => problems.clear(),
        }
    }
    let kind = match decode_base64_any(raw) {
        Some(bytes) => classify_base64(&bytes),
        None => OpaqueKind::Unknown,
    };
    DecodedToken { kind: TokenKind::Opaque(kind), problems }
}

fn classify_base64(bytes: &[u8]) -> OpaqueKind {
    if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(bytes)
        && object.contains_key("payload")
        && object.contains_key("datakey")
    {
        return OpaqueKind::EcrJson;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if text.contains(':') && !text.chars().any(char::is_control) => {
            OpaqueKind::BasicPair
        }
        _ => OpaqueKind::Unknown,
    }
}

fn decode_segment(segment: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .ok()
        .or_else(|| decode_base64_any(segment))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value @ Value::Object(_)) => Some(value),
        _ => None,
    }
}

fn decode_jwt(segments: &[&str], problems: &mut Vec<String>) -> Option<Jwt> {
    let Some(raw_header) = decode_segment(segments[0]) else {
        problems.push("the first segment is not base64url JSON, so this is not a JWT".to_owned());
        return None;
    };
    let Some(raw_claims) = decode_segment(segments[1]) else {
        problems
            .push("the JWT header decodes but the claims segment is not base64url JSON".to_owned());
        return None;
    };
    let signature_segment = segments.get(2).copied().unwrap_or("");
    let signature = if signature_segment.is_empty() {
        problems.push("the JWT has no signature".to_owned());
        SignatureState::Missing
    } else if is_redacted_signature(signature_segment)
        || URL_SAFE_NO_PAD.decode(signature_segment.trim_end_matches('=')).is_err()
    {
        SignatureState::Redacted
    } else {
        SignatureState::Present
    };
    let header = read_header(&raw_header, problems);
    let claims = read_claims(&raw_claims, problems);
    Some(Jwt {
        header,
        claims,
        signature,
        encoded_header: segments[0].to_owned(),
        encoded_claims: segments[1].to_owned(),
    })
}

/// `redacted`, or anything starting with it: `regauth redact` writes `redacted-by-regauth-1a2b3c4d`
/// (a marker plus a fingerprint), which would otherwise pass for valid base64url.
fn is_redacted_signature(segment: &str) -> bool {
    segment
        .get(..REDACTED_SIGNATURE.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(REDACTED_SIGNATURE))
}

fn string_field(object: &Value, name: &str, problems: &mut Vec<String>) -> Option<String> {
    match object.get(name)? {
        Value::String(text) => Some(text.clone()),
        Value::Null => None,
        other => {
            problems.push(format!("{name} is not a string: {other}"));
            Some(other.to_string())
        }
    }
}

fn time_field(object: &Value, name: &str, problems: &mut Vec<String>) -> Option<i64> {
    match object.get(name)? {
        Value::Number(number) => match number.as_i64() {
            Some(seconds) => Some(seconds),
            None => number
                .as_f64()
                .filter(|seconds| seconds.is_finite())
                .map(|seconds| seconds.trunc() as i64),
        },
        Value::Null => None,
        other => {
            problems.push(format!("{name} is not a number of seconds: {other}"));
            None
        }
    }
}

fn read_header(raw: &Value, problems: &mut Vec<String>) -> JwtHeader {
    let alg = string_field(raw, "alg", problems).unwrap_or_default();
    if alg.is_empty() {
        problems.push("the JWT header has no alg".to_owned());
    }
    let mut x5c = Vec::new();
    let jwk = raw.get("jwk").filter(|jwk| !jwk.is_null()).cloned();
    let x5c_value = raw.get("x5c").or_else(|| jwk.as_ref().and_then(|jwk| jwk.get("x5c")));
    match x5c_value {
        None | Some(Value::Null) => {}
        Some(Value::Array(entries)) => {
            for (idx, entry) in entries.iter().enumerate() {
                // RFC 7515 §4.1.6: standard base64 (not base64url) of DER.
                match entry.as_str().and_then(decode_base64_any) {
                    Some(der) => x5c.push(der),
                    None => problems.push(format!("x5c[{idx}] is not a base64 certificate")),
                }
            }
        }
        Some(_) => problems.push("x5c is not an array".to_owned()),
    }
    JwtHeader {
        alg,
        kid: string_field(raw, "kid", problems),
        typ: string_field(raw, "typ", problems),
        x5c,
        jwk,
    }
}

fn read_claims(raw: &Value, problems: &mut Vec<String>) -> Claims {
    let aud = match raw.get("aud") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(aud)) => vec![aud.clone()],
        Some(Value::Array(entries)) => {
            entries.iter().filter_map(|entry| entry.as_str().map(str::to_owned)).collect()
        }
        Some(other) => {
            problems.push(format!("aud is neither a string nor an array: {other}"));
            Vec::new()
        }
    };
    let mut access = Vec::new();
    match raw.get("access") {
        None | Some(Value::Null) => {}
        Some(Value::Array(entries)) => {
            for (idx, entry) in entries.iter().enumerate() {
                let text = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
                let (Some(resource_type), Some(name)) = (text("type"), text("name")) else {
                    problems.push(format!("access[{idx}] lacks a type or name"));
                    continue;
                };
                let actions = match entry.get("actions") {
                    Some(Value::Array(actions)) => actions
                        .iter()
                        .filter_map(|action| action.as_str().map(str::to_owned))
                        .collect(),
                    _ => Vec::new(),
                };
                access.push(AccessEntry {
                    resource_type,
                    resource_class: text("class").filter(|class| !class.is_empty()),
                    name,
                    actions,
                });
            }
        }
        Some(_) => problems.push("access is not an array".to_owned()),
    }
    Claims {
        iss: string_field(raw, "iss", problems),
        sub: string_field(raw, "sub", problems),
        aud,
        exp: time_field(raw, "exp", problems),
        nbf: time_field(raw, "nbf", problems),
        iat: time_field(raw, "iat", problems),
        jti: string_field(raw, "jti", problems),
        access,
    }
}

#[cfg(test)]
pub(crate) mod tests;
