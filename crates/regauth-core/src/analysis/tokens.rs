//! The tokens a capture shows being issued, and how a token a client sends is matched to the
//! one it got: by its exact text, or by its unsigned part when a sanitiser replaced the
//! signature (Cloudflare's HAR sanitiser writes `redacted`).

use std::collections::HashMap;
use std::hash::{BuildHasher as _, RandomState};

use super::TokenRecord;
use crate::model::Exchange;
use crate::protocol::parse_token_response_body;
use crate::token::verify_signature;

/// Every issued token, findable by what a client sends.
#[derive(Default)]
pub struct TokenBook {
    pub records: Vec<TokenRecord>,
    /// The hash of each issued token's text → the tokens with that text, in the order issued.
    /// Hashes, not the text: each record holds its token already, and a copy of 100,000 tokens
    /// as keys costs more than the rest of the book (issue 9: memory bounded by the input).
    /// A hash's candidates are compared with the text, so a collision costs a comparison.
    by_text: HashMap<u64, Vec<usize>>,
    /// The same for each token's unsigned part ([`unsigned_prefix`]).
    by_unsigned: HashMap<u64, Vec<usize>>,
    hasher: RandomState,
}

impl TokenBook {
    /// Adds a token issued in the capture; returns its index.
    pub fn issue(&mut self, record: TokenRecord) -> usize {
        let token_idx = self.records.len();
        let raw = record.raw.expose();
        self.by_text.entry(self.hasher.hash_one(raw)).or_default().push(token_idx);
        let unsigned = self.hasher.hash_one(unsigned_prefix(raw));
        self.by_unsigned.entry(unsigned).or_default().push(token_idx);
        self.records.push(record);
        token_idx
    }

    /// The index of the issued token that `raw` (as sent in `Authorization: Bearer`) is: the
    /// latest issued with exactly that text, else the latest issued whose text is the unsigned
    /// part of `raw`, else the first issued with the same unsigned part (a token whose
    /// signature a sanitiser replaced).
    pub fn lookup(&self, raw: &str) -> Option<usize> {
        let unsigned = unsigned_prefix(raw);
        let latest_with_text = |text: &str| {
            let candidates = self.by_text.get(&self.hasher.hash_one(text))?;
            candidates.iter().rev().copied().find(|&idx| self.records[idx].raw.expose() == text)
        };
        latest_with_text(raw).or_else(|| latest_with_text(unsigned)).or_else(|| {
            let candidates = self.by_unsigned.get(&self.hasher.hash_one(unsigned))?;
            candidates
                .iter()
                .copied()
                .find(|&idx| unsigned_prefix(self.records[idx].raw.expose()) == unsigned)
        })
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

/// `header.claims` of a JWT, which matches a token whose signature a sanitiser replaced: a
/// slice of `raw` up to its second `.`, or all of it.
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
        if let Some(jwt) = record.decoded().jwt() {
            record.signature = verify_signature(record.raw.expose(), jwt, roots_der);
        }
    }
}
