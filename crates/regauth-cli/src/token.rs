//! `regauth token`: decode and verify one token. Decoding and the `regauth.token/v1` contract
//! live in the core; this file reads the token and the CA files and writes the result.

use std::io::{Read as _, Write as _};

use anyhow::{Context as _, Result};
use regauth_core::report::analysis::Secrets;
use regauth_core::report::token::TokenReport;

use crate::Status;
use crate::args::{OutputFormat, TokenArgs};

pub fn run(args: &TokenArgs) -> Result<Status> {
    let text = if args.token == "-" {
        let mut text = String::new();
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .context("reading the token from stdin")?;
        text
    } else {
        args.token.clone()
    };
    let mut roots = Vec::new();
    for path in &args.ca {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        roots.extend(certificates_from(&bytes));
    }
    let secrets = if args.show_secrets { Secrets::Revealed } else { Secrets::Masked };
    let report = TokenReport::new(&text, &roots, secrets);
    let mut stdout = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => write!(stdout, "{}", report.to_json())?,
        OutputFormat::Text => write!(stdout, "{}", report.render_text())?,
    }
    Ok(if report.signature_is_invalid() { Status::Failure } else { Status::Success })
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
