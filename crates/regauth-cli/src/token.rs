//! `regauth token`: decode and verify one token.

use std::io::{Read as _, Write as _};

use anyhow::{Context as _, Result};
use regauth_core::display::{Safe, safe_lines};
use regauth_core::token::{SignatureCheck, TokenKind, decode_token, verify_signature};

use crate::Status;
use crate::args::{OutputFormat, TokenArgs};

pub fn run(args: &TokenArgs) -> Result<Status> {
    let mut raw = if args.token == "-" {
        let mut text = String::new();
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .context("reading the token from stdin")?;
        text
    } else {
        args.token.clone()
    };
    raw = raw.trim().to_owned();
    if let Some(stripped) = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")) {
        raw = stripped.trim().to_owned();
    }
    let mut roots = Vec::new();
    for path in &args.ca {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        roots.extend(certificates_from(&bytes));
    }
    let decoded = decode_token(&raw);
    let mut stdout = std::io::stdout().lock();
    let TokenKind::Jwt(jwt) = &decoded.kind else {
        let kind = format!("{:?}", decoded.kind);
        match args.format {
            OutputFormat::Json => writeln!(
                stdout,
                "{}",
                serde_json::json!({"schema": "regauth.token/v1", "kind": kind, "problems": decoded.problems})
            )?,
            OutputFormat::Text => writeln!(stdout, "opaque token: {kind}")?,
        }
        return Ok(Status::Success);
    };
    let check = verify_signature(&raw, jwt, &roots);
    let (check_name, detail) = match &check {
        SignatureCheck::Valid { chain, anchored } => (
            "valid",
            format!(
                "chain {}{}",
                chain.join(" <- "),
                if *anchored { ", anchored at a given CA" } else { ", not anchored (pass --ca)" }
            ),
        ),
        SignatureCheck::Invalid { reason } => ("invalid", reason.clone()),
        SignatureCheck::NotChecked { reason } => ("not-checked", reason.clone()),
        SignatureCheck::Unsupported { reason } => ("unsupported", reason.clone()),
    };
    let shown = if args.show_secrets { raw.clone() } else { jwt.masked() };
    match args.format {
        OutputFormat::Json => {
            let value = serde_json::json!({
                "schema": "regauth.token/v1",
                "kind": "jwt",
                "token": shown,
                "header": jwt.raw_header,
                "claims": jwt.raw_claims,
                "signature_check": check_name,
                "signature_detail": detail,
                "problems": decoded.problems,
            });
            serde_json::to_writer_pretty(&mut stdout, &value)?;
            writeln!(stdout)?;
        }
        OutputFormat::Text => {
            // serde_json escapes C0 controls but not C1, bidi or other format characters.
            let header = serde_json::to_string_pretty(&jwt.raw_header)?;
            let claims = serde_json::to_string_pretty(&jwt.raw_claims)?;
            writeln!(stdout, "header: {}", safe_lines(&header))?;
            writeln!(stdout, "claims: {}", safe_lines(&claims))?;
            for (name, value) in
                [("iat", jwt.claims.iat), ("nbf", jwt.claims.nbf), ("exp", jwt.claims.exp)]
            {
                if let Some(at) = value.and_then(|secs| chrono::DateTime::from_timestamp(secs, 0)) {
                    writeln!(stdout, "{name}: {}", at.to_rfc3339())?;
                }
            }
            for entry in &jwt.claims.access {
                writeln!(
                    stdout,
                    "grants: {}:{}:{}",
                    Safe(&entry.resource_type),
                    Safe(&entry.name),
                    Safe(&entry.actions.join(","))
                )?;
            }
            writeln!(stdout, "signature: {check_name}: {}", Safe(&detail))?;
            for problem in &decoded.problems {
                writeln!(stdout, "problem: {}", Safe(problem))?;
            }
            writeln!(stdout, "token: {}", Safe(&shown))?;
        }
    }
    Ok(if matches!(check, SignatureCheck::Invalid { .. }) {
        Status::Failure
    } else {
        Status::Success
    })
}

/// DER certificates from a PEM bundle or a single DER file.
pub fn certificates_from(bytes: &[u8]) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let Ok(text) = std::str::from_utf8(bytes) else { return vec![bytes.to_vec()] };
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        return vec![bytes.to_vec()];
    }
    text.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .filter_map(|block| block.split("-----END CERTIFICATE-----").next())
        .filter_map(|body| {
            let compact: String = body.chars().filter(|ch| !ch.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(compact).ok()
        })
        .collect()
}
