//! The tokens a capture shows being issued, and how a token a client sends is matched to the
//! one it got: by its exact text, or by its unsigned part when a sanitiser replaced the
//! signature (Cloudflare's HAR sanitiser writes `redacted`).

use std::collections::HashMap;

use super::TokenRecord;
use crate::model::Exchange;
use crate::protocol::parse_token_response_body;
use crate::token::verify_signature;

/// Every issued token, findable by what a client sends.
#[derive(Default)]
pub struct TokenBook {
    pub records: Vec<TokenRecord>,
    by_raw: HashMap<String, usize>,
}

impl TokenBook {
    /// Adds a token issued in the capture; returns its index.
    pub fn issue(&mut self, record: TokenRecord) -> usize {
        let token_idx = self.records.len();
        let raw = record.raw.expose().to_owned();
        let unsigned = unsigned_part(&raw);
        self.by_raw.insert(raw, token_idx);
        self.by_raw.entry(unsigned).or_insert(token_idx);
        self.records.push(record);
        token_idx
    }

    /// The index of the issued token that `raw` (as sent in `Authorization: Bearer`) is.
    pub fn lookup(&self, raw: &str) -> Option<usize> {
        self.by_raw.get(raw).or_else(|| self.by_raw.get(unsigned_prefix(raw))).copied()
    }

    /// Notes that `exchange` sent the token `raw`, and whether the registry refused it.
    pub fn record_use(&mut self, raw: &str, exchange: &Exchange) {
        let Some(token_idx) = self.lookup(raw) else { return };
        let record = &mut self.records[token_idx];
        record.uses.push(exchange.index);
        if let Some(status) = exchange.response.as_ref().map(|response| response.status)
            && (status == 401 || status == 403)
        {
            record.rejected_uses.push(exchange.index);
        }
    }
}

/// `header.claims` of a JWT: matches a token whose signature a sanitiser replaced.
pub fn unsigned_part(raw: &str) -> String {
    unsigned_prefix(raw).to_owned()
}

/// [`unsigned_part`] as a slice of `raw`: up to its second `.`, or all of it.
pub fn unsigned_prefix(raw: &str) -> &str {
    let Some(first_dot) = raw.find('.') else { return raw };
    match raw[first_dot + 1..].find('.') {
        Some(second_dot) => &raw[..first_dot + 1 + second_dot],
        None => raw,
    }
}

/// The token a token response handed out, if it did.
pub fn issued_token(exchange: &Exchange) -> Option<String> {
    let response = exchange.response.as_ref().filter(|response| response.status == 200)?;
    let parsed = parse_token_response_body(&response.body).ok()?;
    parsed.effective_token().map(|secret| secret.expose().to_owned())
}

/// With trust anchors given, checks every JWT's x5c chain against them (anchored or not).
/// Without, the check made when the token was issued stands.
pub fn check_signatures_against(roots_der: &[Vec<u8>], records: &mut [TokenRecord]) {
    if roots_der.is_empty() {
        return;
    }
    for record in records {
        if let Some(jwt) = record.decoded.jwt() {
            record.signature = verify_signature(record.raw.expose(), jwt, roots_der);
        }
    }
}
