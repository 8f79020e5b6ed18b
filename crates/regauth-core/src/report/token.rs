//! `regauth.token/v1`: one decoded token (`regauth token`).
//!
//! # Wire format
//!
//! A JWT:
//! ```text
//! {
//!   "claims": {..},                  // the claims as the token carries them
//!   "header": {..},                  // the JOSE header as the token carries it
//!   "kind": "jwt",
//!   "problems": ["..."],             // what could not be decoded
//!   "schema": "regauth.token/v1",
//!   "signature_check": "valid" | "invalid" | "not-checked" | "unsupported",
//!   "signature_detail": "...",
//!   "token": "..."                   // signature masked unless revealed
//! }
//! ```
//! Any other token: `{"kind": "Opaque(<vendor>)", "problems": [..], "schema": "regauth.token/v1"}`
//! (`<vendor>` is `GoogleOAuth`, `EcrJson`, `BasicPair` or `Unknown`), printed on one line.
//! Keys are in alphabetical order. Fields are only ever added, never renamed or removed.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::analysis::Secrets;
use crate::display::{Safe, safe_lines};
use crate::token::{SignatureCheck, TokenKind, decode_token, not_checked_detail, verify_signature};

pub const SCHEMA: &str = "regauth.token/v1";

/// One token, decoded and checked. Field order is the wire order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<Value>,
    pub kind: String,
    pub problems: Vec<String>,
    pub schema: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// For the text rendering: `iat`/`nbf`/`exp` as RFC 3339, and `type:name:actions` grants.
    #[serde(skip)]
    times: Vec<(&'static str, String)>,
    #[serde(skip)]
    grants: Vec<String>,
}

impl TokenReport {
    /// Decodes `text` (a token, or `Bearer <token>`, surrounding space ignored) and checks a
    /// JWT's x5c chain, anchored at `roots_der` when given.
    pub fn new(text: &str, roots_der: &[Vec<u8>], secrets: Secrets) -> TokenReport {
        let mut raw = text.trim();
        if let Some(stripped) = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer "))
        {
            raw = stripped.trim();
        }
        let decoded = decode_token(raw);
        let TokenKind::Jwt(jwt) = &decoded.kind else {
            return TokenReport {
                claims: None,
                header: None,
                kind: format!("{:?}", decoded.kind),
                problems: decoded.problems,
                schema: SCHEMA.to_owned(),
                signature_check: None,
                signature_detail: None,
                token: None,
                times: Vec::new(),
                grants: Vec::new(),
            };
        };
        let (check, detail) = match verify_signature(raw, jwt, roots_der) {
            SignatureCheck::Valid { chain, anchored } => (
                "valid",
                format!(
                    "chain {}{}",
                    chain.join(" <- "),
                    if anchored {
                        ", anchored at a given CA"
                    } else {
                        ", not anchored (pass --ca)"
                    }
                ),
            ),
            SignatureCheck::Invalid { reason } => ("invalid", reason.into_owned()),
            SignatureCheck::NotChecked { reason } => {
                ("not-checked", not_checked_detail(&reason, jwt.header.kid.as_deref()))
            }
            SignatureCheck::Unsupported { reason } => ("unsupported", reason.into_owned()),
        };
        let times = [("iat", jwt.claims.iat), ("nbf", jwt.claims.nbf), ("exp", jwt.claims.exp)]
            .into_iter()
            .filter_map(|(name, value)| {
                let at = chrono::DateTime::from_timestamp(value?, 0)?;
                Some((name, at.to_rfc3339()))
            })
            .collect();
        let grants = jwt
            .claims
            .access
            .iter()
            .map(|entry| {
                format!("{}:{}:{}", entry.resource_type, entry.name, entry.actions.join(","))
            })
            .collect();
        TokenReport {
            claims: Some(jwt.raw_claims()),
            header: Some(jwt.raw_header()),
            kind: "jwt".to_owned(),
            problems: decoded.problems.clone(),
            schema: SCHEMA.to_owned(),
            signature_check: Some(check.to_owned()),
            signature_detail: Some(detail),
            token: Some(match secrets {
                Secrets::Revealed => raw.to_owned(),
                Secrets::Masked => jwt.masked(),
            }),
            times,
            grants,
        }
    }

    /// Whether the token's signature was checked and is wrong.
    pub fn signature_is_invalid(&self) -> bool {
        self.signature_check.as_deref() == Some("invalid")
    }

    /// The JSON document: a JWT pretty-printed, any other token on one line (as `regauth
    /// token` has always printed them), with a final newline.
    pub fn to_json(&self) -> String {
        let json = if self.kind == "jwt" {
            serde_json::to_string_pretty(self)
        } else {
            serde_json::to_string(self)
        };
        json.unwrap_or_default() + "\n"
    }

    /// For people: header and claims, times, grants, signature, problems, the (masked) token.
    /// Everything from the token goes through [`Safe`]: `serde_json` escapes C0 controls in the
    /// header and claims, but not C1, bidi or other format characters.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let (Some(header), Some(claims)) = (&self.header, &self.claims) else {
            let _ = writeln!(out, "opaque token: {}", self.kind);
            return out;
        };
        let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
        let _ = writeln!(out, "header: {}", safe_lines(&pretty(header)));
        let _ = writeln!(out, "claims: {}", safe_lines(&pretty(claims)));
        for (name, at) in &self.times {
            let _ = writeln!(out, "{name}: {at}");
        }
        for grant in &self.grants {
            let _ = writeln!(out, "grants: {}", Safe(grant));
        }
        let _ = writeln!(
            out,
            "signature: {}: {}",
            self.signature_check.as_deref().unwrap_or_default(),
            Safe(self.signature_detail.as_deref().unwrap_or_default())
        );
        for problem in &self.problems {
            let _ = writeln!(out, "problem: {}", Safe(problem));
        }
        let _ = writeln!(out, "token: {}", Safe(self.token.as_deref().unwrap_or_default()));
        out
    }
}
