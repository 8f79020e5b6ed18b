//! The tokens a capture shows being issued, and how a token a client sends is matched to the
//! one it got: by its exact text, or by its unsigned part when a sanitiser replaced the
//! signature (Cloudflare's HAR sanitiser writes `redacted`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher as _, RandomState};
use std::rc::Rc;

use super::TokenRecord;
use crate::model::Exchange;
use crate::model::TextInterner;
use crate::protocol::parse_token_response_body;
use crate::token::{DecodedToken, verify_signature};

/// Every issued token, findable by what a client sends.
pub struct TokenBook {
    pub records: Vec<TokenRecord>,
    /// The hash of each issued token's text → the latest token issued with that hash; each
    /// record's earlier one is in `earlier_with_text`. Hashes, not the text: each record holds
    /// its token already, and a copy of 100,000 tokens as keys costs more than the rest of the
    /// book; chains, not a list per hash, for the same reason (issue 9: memory bounded by the
    /// input). A hash's candidates are compared with the text, so a collision costs a
    /// comparison.
    latest_with_text: HashMap<u64, usize>,
    earlier_with_text: Vec<Option<usize>>,
    /// The same for each token's unsigned part ([`unsigned_prefix`]).
    latest_with_unsigned: HashMap<u64, usize>,
    earlier_with_unsigned: Vec<Option<usize>>,
    hasher: RandomState,
    /// One copy of each issuer name.
    issuers: TextInterner,
}

impl Default for TokenBook {
    fn default() -> TokenBook {
        TokenBook {
            records: Vec::new(),
            latest_with_text: HashMap::new(),
            earlier_with_text: Vec::new(),
            latest_with_unsigned: HashMap::new(),
            earlier_with_unsigned: Vec::new(),
            hasher: RandomState::new(),
            issuers: TextInterner::unbounded(),
        }
    }
}

/// The tokens of a chain, latest first.
fn chain(latest: Option<usize>, earlier: &[Option<usize>]) -> impl Iterator<Item = usize> {
    std::iter::successors(latest, |&idx| earlier.get(idx).copied().flatten())
}

impl TokenBook {
    /// Adds a token issued in the capture; returns its index.
    pub fn issue(&mut self, mut record: TokenRecord) -> usize {
        let token_idx = self.records.len();
        let raw = record.raw.expose();
        let by_text = self.hasher.hash_one(raw);
        self.earlier_with_text.push(self.latest_with_text.insert(by_text, token_idx));
        let by_unsigned = self.hasher.hash_one(unsigned_prefix(raw));
        self.earlier_with_unsigned.push(self.latest_with_unsigned.insert(by_unsigned, token_idx));
        if let Some(issuer) = &record.summary.issuer {
            record.summary.issuer = Some(self.issuers.get(issuer));
        }
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
            let latest = self.latest_with_text.get(&self.hasher.hash_one(text)).copied();
            chain(latest, &self.earlier_with_text)
                .find(|&idx| self.records[idx].raw.expose() == text)
        };
        latest_with_text(raw).or_else(|| latest_with_text(unsigned)).or_else(|| {
            let latest = self.latest_with_unsigned.get(&self.hasher.hash_one(unsigned)).copied();
            chain(latest, &self.earlier_with_unsigned)
                .filter(|&idx| unsigned_prefix(self.records[idx].raw.expose()) == unsigned)
                .last()
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

/// The token decoded last for a finding, kept for the next: refusals come by the thousand for
/// one token (a token refused 100,000 times, an anonymous token refused on 100,000
/// repositories), and decoding it again for each cost more than the rest of the analysis. One
/// token only, so what is kept does not grow with the capture.
#[derive(Default)]
pub struct LastDecoded(RefCell<Option<(usize, Rc<DecodedToken>)>>);

impl LastDecoded {
    /// Token `token_idx` (whose record is `record`) decoded.
    pub fn get(&self, token_idx: usize, record: &TokenRecord) -> Rc<DecodedToken> {
        let mut last = self.0.borrow_mut();
        if let Some((cached_idx, decoded)) = last.as_ref()
            && *cached_idx == token_idx
        {
            return Rc::clone(decoded);
        }
        let decoded = Rc::new(record.decoded());
        *last = Some((token_idx, Rc::clone(&decoded)));
        decoded
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
    let parsed = parse_token_response_body(&response.body);
    // Read again when the token is judged; a compressed answer's decoded copy is not kept
    // in between (decoding it again charges the budget nothing: `Body::forget_decoded`).
    response.body.forget_decoded();
    parsed.ok()?.effective_token().map(|secret| secret.expose().to_owned())
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
