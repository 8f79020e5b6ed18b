//! What is a secret and how it is replaced, independent of the capture format: header values,
//! URLs, form and JSON bodies, base64 values, and the sweep that replaces every secret already
//! found wherever else it appears.
//!
//! Every function takes a decoded value (a header value, a body after content-encoding) and
//! returns the new value when something changed, `None` otherwise, so callers rewrite only
//! what changed and leave every other byte alone.

use std::borrow::Cow;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::book::{Book, MARKER, is_maskable};
use super::{MaskedItem, RedactNote, SecretKind, json};

/// How many base64 layers deep the sweep looks (a body holding base64 JSON holding a base64
/// `user:password` is three).
const MAX_DEPTH: usize = 3;

/// Base64 runs shorter than this are not decoded (words and identifiers are base64 too).
const MIN_BASE64_RUN: usize = 16;

/// Where a value sits, for [`MaskedItem`]s.
#[derive(Clone, Debug)]
pub(super) struct Place {
    pub(super) entry: Option<usize>,
    pub(super) field: String,
}

impl Place {
    pub(super) fn new(entry: Option<usize>, field: impl Into<String>) -> Place {
        Place { entry, field: field.into() }
    }

    /// A place inside this one: `field label`. Labels taken from the capture (header names,
    /// JSON keys) are hostile text: only printable ASCII is kept, and at most 64 characters.
    pub(super) fn sub(&self, label: &str) -> Place {
        let mut field = self.field.clone();
        if !field.is_empty() {
            field.push(' ');
        }
        field.push_str(&clean_label(label));
        Place { entry: self.entry, field }
    }
}

pub(super) fn clean_label(label: &str) -> String {
    if label.len() <= 64 && label.bytes().all(|byte| byte.is_ascii_graphic() || byte == b' ') {
        return label.to_owned();
    }
    let mut out: String = label
        .chars()
        .take(64)
        .map(|ch| if ch.is_ascii_graphic() || ch == ' ' { ch } else { '?' })
        .collect();
    if label.chars().count() > 64 {
        out.push('…');
    }
    out
}

/// What a field with a telling name holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    Password,
    /// Another chosen credential (`client_secret`, an API key, a credential helper's `Secret`).
    Secret,
    Token,
    RefreshToken,
    IdentityToken,
    /// The signature of a signed URL (`X-Amz-Signature`, `sig`).
    Signature,
    /// config.json's `auth`: base64 of `user:password`.
    AuthPair,
    /// A whole `Authorization` value (scheme and credentials).
    Authorization,
}

/// Recognises secret-holding names of query parameters, form fields, JSON keys and headers.
/// Case, `-`, `_` and `.` do not matter (`X-Registry-Token`, `refresh_token`, `IdentityToken`).
pub(super) fn field_kind(name: &str) -> Option<Field> {
    // Normalised on the stack when short (this runs for every JSON key and query parameter).
    let mut buffer = [0u8; 64];
    let mut heap = Vec::new();
    let mut len = 0;
    for byte in name.bytes().filter(|byte| !matches!(byte, b'-' | b'_' | b'.' | b' ')) {
        let byte = byte.to_ascii_lowercase();
        match buffer.get_mut(len) {
            Some(slot) => *slot = byte,
            None => {
                if heap.is_empty() {
                    heap.extend_from_slice(&buffer);
                }
                heap.push(byte);
            }
        }
        len += 1;
    }
    let normalized = if heap.is_empty() { &buffer[..len] } else { &heap[..] };
    let name = std::str::from_utf8(normalized).ok()?;
    Some(match name {
        "auth" => Field::AuthPair,
        "authorization" | "proxyauthorization" => Field::Authorization,
        "identitytoken" => Field::IdentityToken,
        "refreshtoken" => Field::RefreshToken,
        // Names that mention a token without holding one.
        "offlinetoken" | "tokentype" | "tokentypehint" | "tokenendpoint" | "tokenurl"
        | "tokenuri" | "requestedtokentype" | "issuedtokentype" | "subjecttokentype" => {
            return None;
        }
        "pwd" | "pass" | "passphrase" => Field::Password,
        "sig" | "signature" | "xamzsignature" | "xgoogsignature" => Field::Signature,
        "jwt" | "assertion" | "clientassertion" | "bearer" => Field::Token,
        "apikey" | "xapikey" | "privatekey" | "accesskeysecret" => Field::Secret,
        _ if name.contains("password") || name.contains("passwd") => Field::Password,
        _ if name.contains("secret") => Field::Secret,
        _ if name.ends_with("token") => Field::Token,
        _ if name.ends_with("signature") => Field::Signature,
        _ => return None,
    })
}

/// Base64 text as found, remembering its spelling so a changed value is written back alike.
pub(super) struct Base64Text {
    url_safe: bool,
    padded: bool,
    pub(super) decoded: Vec<u8>,
}

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_allow_trailing_bits(true)
    .with_decode_padding_mode(DecodePaddingMode::RequireNone);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Standard-alphabet base64 without padding, leniently (trailing bits allowed).
pub(super) fn decode_standard(text: &[u8]) -> Option<Vec<u8>> {
    STANDARD_LENIENT.decode(text).ok()
}

impl Base64Text {
    /// Reads `text` as base64 in either alphabet, padded or not. Text with neither `+/` nor
    /// `-_` fits both; `prefer_url_safe` picks how a changed value is then written.
    pub(super) fn parse(text: &str, prefer_url_safe: bool) -> Option<Base64Text> {
        let core = text.trim_end_matches('=');
        if core.is_empty() || text.len() - core.len() > 2 || core.len() % 4 == 1 {
            return None;
        }
        let has_standard = memchr::memchr2(b'+', b'/', core.as_bytes()).is_some();
        let has_url_safe = memchr::memchr2(b'-', b'_', core.as_bytes()).is_some();
        if has_standard && has_url_safe {
            return None;
        }
        let url_safe = has_url_safe || (!has_standard && prefer_url_safe);
        let engine = if url_safe { &URL_SAFE_LENIENT } else { &STANDARD_LENIENT };
        let decoded = engine.decode(core).ok()?;
        let padded = text.len() != core.len() || core.len().is_multiple_of(4);
        Some(Base64Text { url_safe, padded, decoded })
    }

    pub(super) fn encode(&self, bytes: &[u8]) -> String {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        match (self.url_safe, self.padded) {
            (true, true) => URL_SAFE.encode(bytes),
            (true, false) => URL_SAFE_NO_PAD.encode(bytes),
            (false, true) => STANDARD.encode(bytes),
            (false, false) => STANDARD_NO_PAD.encode(bytes),
        }
    }
}

/// A replacement of `range` in some text.
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

fn apply_text_edits(text: &str, mut edits: Vec<Edit>) -> Option<String> {
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|edit| edit.start);
    let mut out = String::with_capacity(text.len());
    let mut copied_to = 0;
    for edit in edits {
        if edit.start < copied_to || edit.end > text.len() {
            continue;
        }
        out.push_str(text.get(copied_to..edit.start)?);
        out.push_str(&edit.text);
        copied_to = edit.end;
    }
    out.push_str(text.get(copied_to..)?);
    (out != text).then_some(out)
}

/// The outcome of rewriting a body that may be content-encoded.
pub(super) struct BodyChange {
    /// The new body as stored (content-encoded again when the coding could be re-applied).
    pub(super) wire: Vec<u8>,
    /// The coding could not be re-applied (br, zstd, stacked codings): `wire` is plain and the
    /// `Content-Encoding` header must say `identity`.
    pub(super) now_identity: bool,
    pub(super) old_decoded_len: usize,
    pub(super) new_decoded_len: usize,
}

pub(super) struct Redactor {
    /// Where JWTs start (`{"` in base64url), built once.
    jwt_start: memchr::memmem::Finder<'static>,
    /// Where vendor tokens start (`ya29.`, `ghp_`, ...), built once.
    vendor_start: Option<aho_corasick::AhoCorasick>,
    pub(super) book: Book,
    /// The final pass: masked items and notes are recorded (the first pass only discovers).
    pub(super) recording: bool,
    pub(super) masked: Vec<MaskedItem>,
    pub(super) notes: Vec<RedactNote>,
    /// How many bytes undoing content-encodings may still produce in this pass.
    decode_budget: u64,
    decode_budget_per_pass: u64,
}

impl Redactor {
    pub(super) fn new(decode_budget: u64) -> Redactor {
        Redactor {
            decode_budget,
            decode_budget_per_pass: decode_budget,
            jwt_start: memchr::memmem::Finder::new(b"eyJ"),
            vendor_start: aho_corasick::AhoCorasick::new(super::book::VENDOR_PREFIXES).ok(),
            book: Book::default(),
            recording: false,
            masked: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Starts a pass: masked items and notes are recorded from now on, and the decoding
    /// budget is full again.
    pub(super) fn start_recording_pass(&mut self) {
        self.recording = true;
        self.masked.clear();
        self.notes.clear();
        self.decode_budget = self.decode_budget_per_pass;
    }

    fn record(&mut self, place: &Place, kind: SecretKind) {
        if self.recording {
            self.masked.push(MaskedItem { entry: place.entry, field: place.field.clone(), kind });
        }
    }

    pub(super) fn note(&mut self, entry: Option<usize>, byte_offset: Option<u64>, message: String) {
        if self.recording {
            self.notes.push(RedactNote { entry, byte_offset, message });
        }
    }

    /// Registers `secret`, records where it was, and returns its replacement.
    fn mask(&mut self, place: &Place, kind: SecretKind, secret: &str) -> String {
        let replacement = self.book.register(secret, kind);
        self.record(place, kind);
        replacement
    }

    /// The new value of a field whose name says it holds `field`, or `None` to keep it.
    fn secret_value(&mut self, place: &Place, field: Field, value: &str) -> Option<String> {
        if !is_maskable(value) {
            return None;
        }
        match field {
            Field::Password => Some(self.password(place, value)),
            Field::Secret => Some(self.mask(place, SecretKind::Secret, value)),
            Field::Signature => Some(self.mask(place, SecretKind::TokenSignature, value)),
            Field::Token => self.token(place, SecretKind::Token, value),
            Field::RefreshToken => self.token(place, SecretKind::RefreshToken, value),
            Field::IdentityToken => self.token(place, SecretKind::IdentityToken, value),
            Field::AuthPair => Some(self.auth_pair(place, value)),
            Field::Authorization => self.authorization(place, value),
        }
    }

    /// A password becomes the marker, except where it is really a token and its kind can stay
    /// recognisable: a JWT (ACR's refresh token as a password) or a vendor token (GCR's
    /// `oauth2accesstoken:ya29.…`, `gitlab-ci-token:glpat-…`) is masked as a token, and an ECR
    /// password (base64 JSON with `payload` and `datakey`) has those two fields masked inside.
    fn password(&mut self, place: &Place, value: &str) -> String {
        let trimmed = value.trim();
        if (jwt_parts(trimmed).is_some() || super::book::has_vendor_prefix(trimmed))
            && let Some(masked) = self.token(place, SecretKind::Token, trimmed)
        {
            return masked;
        }
        if let Some(base64) = Base64Text::parse(trimmed, false)
            && let Ok(serde_json::Value::Object(object)) =
                serde_json::from_slice::<serde_json::Value>(&base64.decoded)
            && object.contains_key("payload")
            && object.contains_key("datakey")
            && let Some(new) = self.json_with(place, &base64.decoded, 1, &["payload", "datakey"])
        {
            return base64.encode(&new);
        }
        self.mask(place, SecretKind::Password, value)
    }

    /// A token: a JWT keeps its header and claims and loses its signature; anything else is
    /// replaced whole (keeping a vendor prefix). A token that is base64 `user:password` keeps
    /// its user name.
    fn token(&mut self, place: &Place, kind: SecretKind, value: &str) -> Option<String> {
        let trimmed = value.trim();
        if let Some((signing_input, signature)) = jwt_parts(trimmed) {
            if signature.is_empty() || !is_maskable(signature) {
                return None;
            }
            let replacement = self.mask(place, SecretKind::TokenSignature, signature);
            return Some(format!("{signing_input}.{replacement}"));
        }
        if let Some(base64) = Base64Text::parse(trimmed, false)
            && credential_pair(&base64.decoded).is_some()
        {
            return Some(self.auth_pair(place, trimmed));
        }
        Some(self.mask(place, kind, trimmed))
    }

    /// Base64 of `user:password` (config.json `auth`, Basic credentials): the password is
    /// masked and the user name kept. Anything that is not such a pair is masked whole.
    fn auth_pair(&mut self, place: &Place, value: &str) -> String {
        let trimmed = value.trim();
        if let Some(base64) = Base64Text::parse(trimmed, false)
            && let Ok(pair) = std::str::from_utf8(&base64.decoded)
            && let Some((user, password)) = pair.split_once(':')
        {
            if !is_maskable(password) {
                return trimmed.to_owned();
            }
            let replacement = self.password(place, password);
            return base64.encode(format!("{user}:{replacement}").as_bytes());
        }
        self.mask(place, SecretKind::Password, trimmed)
    }

    /// `Authorization` / `Proxy-Authorization`: Basic keeps the user name, Bearer keeps a
    /// JWT's claims, any other scheme keeps only its name.
    fn authorization(&mut self, place: &Place, value: &str) -> Option<String> {
        let lead = value.len() - value.trim_start().len();
        let rest = &value[lead..];
        let scheme_len = rest.find([' ', '\t']).unwrap_or(rest.len());
        let scheme = &rest[..scheme_len];
        let after_scheme = &rest[scheme_len..];
        let credentials = after_scheme.trim();
        if credentials.is_empty() {
            // A lone word: a scheme without credentials (`Bearer`), or a token sent without a
            // scheme (some clients do that), which is long.
            return if scheme.len() >= 16 {
                self.token(place, SecretKind::Token, value)
            } else {
                None
            };
        }
        let gap = &after_scheme[..after_scheme.len() - after_scheme.trim_start().len()];
        let tail = &after_scheme[after_scheme.trim_end().len()..];
        let new_credentials = if scheme.eq_ignore_ascii_case("basic") {
            let new = self.auth_pair(place, credentials);
            (new != credentials).then_some(new)?
        } else if scheme.eq_ignore_ascii_case("bearer") {
            self.token(place, SecretKind::Token, credentials)?
        } else {
            if !is_maskable(credentials) {
                return None;
            }
            self.mask(place, SecretKind::Secret, credentials)
        };
        Some(format!("{}{scheme}{gap}{new_credentials}{tail}", &value[..lead]))
    }

    /// `Cookie` (every `name=value`) or `Set-Cookie` (the first one; attributes kept).
    fn cookie(&mut self, place: &Place, value: &str, set_cookie: bool) -> Option<String> {
        let mut edits = Vec::new();
        let mut start = 0;
        for piece in value.split(';') {
            let piece_start = start;
            start += piece.len() + 1;
            let Some(eq) = piece.find('=') else { continue };
            let name = piece[..eq].trim();
            let raw_value = &piece[eq + 1..];
            let trimmed = raw_value.trim();
            let inner =
                trimmed.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(trimmed);
            if is_maskable(inner) {
                let offset = piece_start
                    + eq
                    + 1
                    + (raw_value.len() - raw_value.trim_start().len())
                    + usize::from(inner.len() != trimmed.len());
                let replacement = self.mask(&place.sub(name), SecretKind::Cookie, inner);
                edits.push(Edit { start: offset, end: offset + inner.len(), text: replacement });
            }
            if set_cookie {
                break;
            }
        }
        apply_text_edits(value, edits)
    }

    /// `X-Registry-Auth` / `X-Registry-Config`: base64 (either alphabet) of JSON whose secret
    /// fields are masked; `username` and `serveraddress` stay.
    fn base64_json(&mut self, place: &Place, value: &str) -> Option<String> {
        let trimmed = value.trim();
        let Some(base64) = Base64Text::parse(trimmed, true) else {
            return is_maskable(trimmed).then(|| self.mask(place, SecretKind::Secret, trimmed));
        };
        if !json::is_json_document(&base64.decoded) {
            return is_maskable(trimmed).then(|| self.mask(place, SecretKind::Secret, trimmed));
        }
        let new = self.json(&place.sub("(base64 json)"), &base64.decoded, 1)?;
        Some(base64.encode(&new))
    }

    /// Masks secret query (and fragment) parameters and userinfo passwords in every URL of
    /// `text`; a text starting with `/` is a request path whose query counts too.
    fn urls(&mut self, place: &Place, text: &str) -> Option<String> {
        let mut edits = Vec::new();
        if text.starts_with('/') {
            let end = text.find(|ch: char| ch.is_whitespace() || ch == '"').unwrap_or(text.len());
            self.url_params(place, text, 0, end, &mut edits);
        }
        let mut search_from = 0;
        while let Some(found) = text.get(search_from..).and_then(|rest| rest.find("://")) {
            let authority_start = search_from + found + 3;
            let url_end = text[authority_start..]
                .find(|ch: char| ch.is_whitespace() || matches!(ch, '"' | '\'' | '<' | '>' | '`'))
                .map_or(text.len(), |idx| authority_start + idx);
            let authority_end = text[authority_start..url_end]
                .find(['/', '?', '#'])
                .map_or(url_end, |idx| authority_start + idx);
            let authority = &text[authority_start..authority_end];
            // The last `@` ends the userinfo (browsers' reading of an unescaped `@` in a
            // password), unless only a port follows it, as in mitmproxy's mode strings
            // (`reverse:http://host:2375@2376`): then it is the one before.
            let userinfo_end = authority
                .match_indices('@')
                .map(|(at, _)| at)
                .rev()
                .find(|&at| !authority[at + 1..].bytes().all(|byte| byte.is_ascii_digit()));
            if let Some(at) = userinfo_end
                && let Some(colon) = authority[..at].find(':')
            {
                let encoded = &authority[colon + 1..at];
                let password = percent_decode(encoded, false);
                if is_maskable(&password) {
                    let replacement =
                        self.mask(&place.sub("userinfo"), SecretKind::Password, &password);
                    let start = authority_start + colon + 1;
                    edits.push(Edit { start, end: start + encoded.len(), text: replacement });
                }
            }
            self.url_params(place, text, authority_end, url_end, &mut edits);
            search_from = url_end.max(authority_start);
        }
        apply_text_edits(text, edits)
    }

    /// The parameters after `?` and `#` in `text[start..end]`.
    fn url_params(
        &mut self,
        place: &Place,
        text: &str,
        start: usize,
        end: usize,
        edits: &mut Vec<Edit>,
    ) {
        let Some(url) = text.get(start..end) else { return };
        let Some(query_at) = url.find(['?', '#']) else { return };
        self.params(place, text, start + query_at + 1, end, edits);
    }

    /// `name=value` pairs separated by `&` in `text[start..end]` (query strings, fragments,
    /// form bodies; a `#` starts the fragment's pairs). Not `;` or `?`: both may stand raw
    /// inside a value, and splitting there would leave the rest of a secret behind. A URL
    /// nested unencoded inside a value has its own parameters read by [`Redactor::urls`].
    fn params(
        &mut self,
        place: &Place,
        text: &str,
        start: usize,
        end: usize,
        edits: &mut Vec<Edit>,
    ) {
        let Some(pairs) = text.get(start..end) else { return };
        let mut offset = start;
        for pair in pairs.split(['&', '#']) {
            let pair_start = offset;
            offset += pair.len() + 1;
            let Some(eq) = pair.find('=') else { continue };
            let name = percent_decode(&pair[..eq], true);
            let Some(field) = field_kind(&name) else { continue };
            let encoded = &pair[eq + 1..];
            let value = percent_decode(encoded, true);
            if let Some(new) = self.secret_value(&place.sub(&name), field, &value) {
                let new = String::from_utf8(super::book::percent_encode(&new, true, true))
                    .unwrap_or_else(|_| MARKER.to_owned());
                let value_start = pair_start + eq + 1;
                edits.push(Edit {
                    start: value_start,
                    end: value_start + encoded.len(),
                    text: new,
                });
            }
        }
    }

    /// A header value. Structural rules by header name first, then the sweep.
    pub(super) fn header(&mut self, place: &Place, name: &str, value: &[u8]) -> Option<Vec<u8>> {
        let Ok(text) = std::str::from_utf8(value) else { return self.sweep(place, value, 0) };
        let name = name.trim();
        let is = |known: &[&str]| known.iter().any(|known| name.eq_ignore_ascii_case(known));
        let structural = if is(&["authorization", "proxy-authorization"]) {
            self.authorization(place, text)
        } else if is(&["cookie"]) {
            self.cookie(place, text, false)
        } else if is(&["set-cookie", "set-cookie2"]) {
            self.cookie(place, text, true)
        } else if is(&["x-registry-auth", "x-registry-config"]) {
            self.base64_json(place, text)
        } else {
            field_kind(name).and_then(|field| self.secret_value(place, field, text))
        };
        let current = structural.as_deref().unwrap_or(text);
        self.sweep(place, current.as_bytes(), 0).or(structural.map(String::into_bytes))
    }

    /// A string with no known role (a URL, a HAR extension field, flow metadata): the sweep.
    pub(super) fn string(&mut self, place: &Place, value: &[u8]) -> Option<Vec<u8>> {
        self.sweep(place, value, 0)
    }

    /// Query parameters from a list (HAR `queryString`, `postData.params`), decoded already.
    pub(super) fn param(&mut self, place: &Place, name: &str, value: &str) -> Option<String> {
        let structural =
            field_kind(name).and_then(|field| self.secret_value(&place.sub(name), field, value));
        let current = structural.as_deref().unwrap_or(value);
        match self.sweep(place, current.as_bytes(), 0) {
            Some(swept) => Some(String::from_utf8_lossy(&swept).into_owned()),
            None => structural,
        }
    }

    /// A cookie from a list (HAR `cookies`).
    pub(super) fn cookie_value(&mut self, place: &Place, value: &str) -> Option<String> {
        is_maskable(value).then(|| self.mask(place, SecretKind::Cookie, value))
    }

    /// A decoded body (content-encoding undone).
    pub(super) fn body(
        &mut self,
        place: &Place,
        decoded: &[u8],
        mime: Option<&str>,
        is_request: bool,
    ) -> Option<Vec<u8>> {
        let mime = mime.unwrap_or("").to_ascii_lowercase();
        if mime.contains("json") || json::is_json_document(decoded) {
            return self.json(place, decoded, 0);
        }
        if let Ok(text) = std::str::from_utf8(decoded)
            && (mime.contains("x-www-form-urlencoded") || (is_request && looks_like_form(text)))
        {
            let mut edits = Vec::new();
            self.params(place, text, 0, text.len(), &mut edits);
            let form = apply_text_edits(text, edits);
            let current = form.as_deref().unwrap_or(text);
            return self.sweep(place, current.as_bytes(), 0).or(form.map(String::into_bytes));
        }
        self.sweep(place, decoded, 0)
    }

    /// A body as stored, possibly content-encoded: decoded (within the configured limit),
    /// rewritten, and encoded again with the same coding when regauth can write it (gzip,
    /// deflate); otherwise it stays decoded and [`BodyChange::now_identity`] is set.
    pub(super) fn wire_body(
        &mut self,
        place: &Place,
        wire: &[u8],
        encoding: &str,
        mime: Option<&str>,
        is_request: bool,
    ) -> Option<BodyChange> {
        let coding = encoding.trim().to_ascii_lowercase();
        if coding.is_empty() || coding == "identity" {
            let new = self.body(place, wire, mime, is_request)?;
            let new_decoded_len = new.len();
            return Some(BodyChange {
                wire: new,
                now_identity: false,
                old_decoded_len: wire.len(),
                new_decoded_len,
            });
        }
        let limit = usize::try_from(self.decode_budget).unwrap_or(usize::MAX);
        let decoded = match crate::capture::content_encoding::decode(
            &coding,
            Cow::Borrowed(wire),
            limit.saturating_add(1),
        ) {
            Ok(decoded) if decoded.len() > limit => {
                self.decode_budget = 0;
                let message = format!(
                    "{}: body not inspected: undoing its content-encoding ({coding}) would pass the decoding budget (--max-decoded-ratio); only its stored bytes were searched for known secrets",
                    place.field
                );
                self.note(place.entry, None, message);
                return self.raw_sweep(place, wire);
            }
            Ok(decoded) => {
                self.decode_budget = self.decode_budget.saturating_sub(decoded.len() as u64);
                decoded
            }
            Err(err) => {
                let message = format!(
                    "{}: body not inspected: {err}; only its stored bytes were searched for known secrets",
                    place.field
                );
                self.note(place.entry, None, message);
                return self.raw_sweep(place, wire);
            }
        };
        let new = self.body(place, &decoded, mime, is_request)?;
        let old_decoded_len = decoded.len();
        let new_decoded_len = new.len();
        Some(match encode_again(&coding, &new) {
            Some(wire) => {
                BodyChange { wire, now_identity: false, old_decoded_len, new_decoded_len }
            }
            None => {
                let message = format!(
                    "{}: body stored decoded (Content-Encoding set to identity): regauth cannot write {coding}",
                    place.field
                );
                self.note(place.entry, None, message);
                BodyChange { wire: new, now_identity: true, old_decoded_len, new_decoded_len }
            }
        })
    }

    fn raw_sweep(&mut self, place: &Place, wire: &[u8]) -> Option<BodyChange> {
        let new = self.sweep(place, wire, MAX_DEPTH)?;
        let new_decoded_len = new.len();
        Some(BodyChange {
            wire: new,
            now_identity: false,
            old_decoded_len: wire.len(),
            new_decoded_len,
        })
    }

    /// JSON text: every string member whose key names a secret is masked, and every string
    /// value is swept. Keys, numbers, whitespace and order stay as they were.
    fn json(&mut self, place: &Place, data: &[u8], depth: usize) -> Option<Vec<u8>> {
        self.json_with(place, data, depth, &[])
    }

    /// [`Redactor::json`] with `extra` keys treated as passwords too.
    fn json_with(
        &mut self,
        place: &Place,
        data: &[u8],
        depth: usize,
        extra: &[&str],
    ) -> Option<Vec<u8>> {
        if !json::is_json_document(data) {
            return self.sweep(place, data, depth);
        }
        let mut strings = Vec::new();
        json::for_each_string(data, |span, role, frames| {
            if role != json::Role::Key {
                let key = match (role, frames.last()) {
                    (json::Role::Member, Some(json::Frame::Object { key, .. })) => key.clone(),
                    _ => None,
                };
                strings.push((span, key));
            }
        });
        let mut edits: Vec<(std::ops::Range<usize>, Vec<u8>)> = Vec::new();
        for (span, key_span) in strings {
            let Some(literal) = data.get(span.clone()) else { continue };
            let key = key_span.and_then(|key_span| data.get(key_span)).map(json::literal_text);
            let field = key.as_deref().and_then(|key| {
                if extra.iter().any(|extra| extra.eq_ignore_ascii_case(key)) {
                    Some(Field::Password)
                } else {
                    field_kind(key)
                }
            });
            // Short strings without a telling key hold nothing the sweep could find.
            if field.is_none() && literal.len() < super::book::MIN_SWEEP_LEN + 2 {
                continue;
            }
            let value = json::literal_text(literal);
            let structural = match (field, key.as_deref()) {
                (Some(field), Some(key)) => self.secret_value(&place.sub(key), field, &value),
                _ => None,
            };
            let current = structural.as_deref().unwrap_or(&value);
            let new = match self.sweep(place, current.as_bytes(), depth) {
                Some(swept) => Some(String::from_utf8_lossy(&swept).into_owned()),
                None => structural,
            };
            if let Some(new) = new {
                edits.push((span, json::literal(&new)));
            }
        }
        apply_byte_edits(data, edits)
    }

    /// The sweep: finds JWTs (their signatures become known secrets) and vendor tokens, masks
    /// secrets in URLs,
    /// replaces every known secret in its plain spellings, and looks inside base64 runs.
    pub(super) fn sweep(&mut self, place: &Place, data: &[u8], depth: usize) -> Option<Vec<u8>> {
        self.discover_jwts(data);
        self.discover_vendor_tokens(data);
        let mut current: Cow<'_, [u8]> = Cow::Borrowed(data);
        if let Ok(text) = std::str::from_utf8(data)
            && (text.contains("://") || (text.starts_with('/') && text.contains(['?', '#'])))
            && let Some(new) = self.urls(place, text)
        {
            current = Cow::Owned(new.into_bytes());
        }
        if let Some((new, kinds)) = self.book.replace_known(&current) {
            for kind in kinds {
                self.record(place, kind);
            }
            current = Cow::Owned(new);
        }
        if depth < MAX_DEPTH
            && let Some(new) = self.base64_runs(place, &current, depth)
        {
            current = Cow::Owned(new);
        }
        match current {
            Cow::Owned(new) if new != data => Some(new),
            _ => None,
        }
    }

    /// Registers every vendor token in `data` (a known prefix at a word start, then at least
    /// 16 token characters), wherever it stands.
    fn discover_vendor_tokens(&mut self, data: &[u8]) {
        let Some(prefixes) = &self.vendor_start else { return };
        let found: Vec<(usize, usize)> =
            prefixes.find_iter(data).map(|found| (found.start(), found.end())).collect();
        for (start, prefix_end) in found {
            if start > 0 && is_token_byte(data[start - 1]) {
                continue;
            }
            let end = run_end(data, prefix_end, is_token_byte);
            if end - prefix_end < 16 {
                continue;
            }
            if let Ok(token) = std::str::from_utf8(&data[start..end])
                && is_maskable(token)
            {
                self.book.register(token, SecretKind::Token);
            }
        }
    }

    /// Registers the signature of every JWT in `data` (found by its `eyJ` header).
    fn discover_jwts(&mut self, data: &[u8]) {
        let starts: Vec<usize> = self.jwt_start.find_iter(data).collect();
        for start in starts {
            if start > 0 && is_base64url_byte(data[start - 1]) {
                continue;
            }
            let header_end = run_end(data, start, is_base64url_byte);
            if data.get(header_end) != Some(&b'.') {
                continue;
            }
            let claims_end = run_end(data, header_end + 1, is_base64url_byte);
            if data.get(claims_end) != Some(&b'.') {
                continue;
            }
            let signature_end = run_end(data, claims_end + 1, is_base64url_byte);
            let Ok(token) = std::str::from_utf8(&data[start..signature_end]) else { continue };
            if let Some((_, signature)) = jwt_parts(token)
                && signature.len() >= super::book::MIN_SWEEP_LEN
                && is_maskable(signature)
            {
                self.book.register(signature, SecretKind::TokenSignature);
            }
        }
    }

    /// Decodes every base64 run of `data` long enough to hold a secret and rewrites what it
    /// holds (JSON with secret keys, `user:password`, known secrets).
    fn base64_runs(&mut self, place: &Place, data: &[u8], depth: usize) -> Option<Vec<u8>> {
        let mut edits: Vec<(std::ops::Range<usize>, Vec<u8>)> = Vec::new();
        for (start, core_end) in long_base64_runs(data) {
            if is_hex_id(&data[start..core_end]) {
                continue;
            }
            let mut end = core_end;
            while end < data.len() && end - core_end < 2 && data[end] == b'=' {
                end += 1;
            }
            // JWT segments are kept as they are (the claims must stay readable and identical).
            let next_is_dot = data.get(core_end) == Some(&b'.');
            let prev_is_dot = start > 0 && data[start - 1] == b'.';
            if next_is_dot || prev_is_dot {
                continue;
            }
            let Ok(run) = std::str::from_utf8(&data[start..end]) else { continue };
            let Some(base64) = Base64Text::parse(run, false) else { continue };
            let inner = place.sub("(base64)");
            if let Some(new) = self.decoded_blob(&inner, &base64.decoded, depth + 1) {
                edits.push((start..end, base64.encode(&new).into_bytes()));
            }
        }
        apply_byte_edits(data, edits)
    }

    /// What a base64 run decoded to: JSON, a `user:password` pair, or anything else (swept).
    fn decoded_blob(&mut self, place: &Place, decoded: &[u8], depth: usize) -> Option<Vec<u8>> {
        if json::is_json_document(decoded) {
            return self.json(place, decoded, depth);
        }
        if let Some((user, password)) = credential_pair(decoded)
            && is_maskable(password)
        {
            let replacement = self.password(place, password);
            return Some(format!("{user}:{replacement}").into_bytes());
        }
        self.sweep(place, decoded, depth)
    }
}

/// `(header.claims, signature)` of a JWT-shaped value whose header decodes to a JSON object.
fn jwt_parts(value: &str) -> Option<(&str, &str)> {
    let (signing_input, signature) = value.rsplit_once('.')?;
    let (header, claims) = signing_input.split_once('.')?;
    if !header.starts_with("eyJ")
        || claims.contains('.')
        || !signature.bytes().all(|byte| is_base64url_byte(byte) || byte == b'=')
    {
        return None;
    }
    crate::token::decode_token(value).jwt()?;
    Some((signing_input, signature))
}

/// `user:password` as base64 `auth` values and Basic credentials hold: a plausible user name
/// (letters, digits, `._@+-<>`, as in `<token>`) and a password without control characters.
fn credential_pair(decoded: &[u8]) -> Option<(&str, &str)> {
    if decoded.len() > 4096 {
        return None;
    }
    let text = std::str::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    let plausible_user = (1..=256).contains(&user.len())
        && user.bytes().all(|byte| {
            byte.is_ascii_alphanumeric()
                || matches!(byte, b'.' | b'_' | b'@' | b'+' | b'-' | b'<' | b'>')
        })
        && !matches!(
            user.to_ascii_lowercase().as_str(),
            "sha256" | "sha384" | "sha512" | "sha1" | "md5"
        );
    let plausible_password = !password.is_empty()
        && !password.starts_with(' ')
        && !password.chars().any(char::is_control);
    (plausible_user && plausible_password).then_some((user, password))
}

fn looks_like_form(text: &str) -> bool {
    text.contains('=')
        && text.len() <= 1 << 20
        && text.bytes().all(|byte| {
            byte.is_ascii_alphanumeric()
                || matches!(byte, b'%' | b'+' | b'=' | b'&' | b'.' | b'_' | b'*' | b'~' | b'-')
        })
}

/// Digests, UUID parts and request ids: runs of only lower- or only upper-case hex digits.
/// Base64 of anything holding a secret is all hex with a chance of about 4^-16, so the
/// sweep does not decode these (they are everywhere in registry traffic).
pub(super) fn is_hex_id(run: &[u8]) -> bool {
    run.iter().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
        || run.iter().all(|byte| matches!(byte, b'0'..=b'9' | b'A'..=b'F'))
}

/// Bit 0: base64url alphabet; bit 1: either base64 alphabet.
const BASE64_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 256 {
        let ch = byte as u8;
        if ch.is_ascii_alphanumeric() || ch == b'-' || ch == b'_' {
            table[byte] = 0b11;
        } else if ch == b'+' || ch == b'/' {
            table[byte] = 0b10;
        }
        byte += 1;
    }
    table
};

/// Characters of an RFC 6750 token (`token68`) plus `~`.
fn is_token_byte(byte: u8) -> bool {
    is_base64_byte(byte) || matches!(byte, b'.' | b'~' | b'=')
}

fn is_base64url_byte(byte: u8) -> bool {
    BASE64_CLASS[usize::from(byte)] & 1 != 0
}

fn is_base64_byte(byte: u8) -> bool {
    BASE64_CLASS[usize::from(byte)] & 2 != 0
}

/// `(start, end)` of every maximal run of base64 characters at least [`MIN_BASE64_RUN`] long.
///
/// Looks at every `MIN_BASE64_RUN`-th byte only, as long as those are not base64: a run that
/// long must cover one of them. Random binary data (most bodies) is skipped ~16 bytes at a
/// time instead of branching on every byte.
fn long_base64_runs(data: &[u8]) -> Vec<(usize, usize)> {
    base64_runs_at_least(data, MIN_BASE64_RUN)
}

/// [`long_base64_runs`] with another minimum length (at least 1).
pub(super) fn base64_runs_at_least(data: &[u8], min_len: usize) -> Vec<(usize, usize)> {
    let min_len = min_len.max(1);
    let mut runs = Vec::new();
    let mut covered_to = 0;
    let mut probe = min_len - 1;
    while probe < data.len() {
        if !is_base64_byte(data[probe]) {
            probe += min_len;
            continue;
        }
        let mut start = probe;
        while start > covered_to && is_base64_byte(data[start - 1]) {
            start -= 1;
        }
        let end = run_end(data, probe, is_base64_byte);
        if end - start >= min_len {
            runs.push((start, end));
        }
        covered_to = end;
        probe = end + min_len;
    }
    runs
}

fn run_end(data: &[u8], start: usize, member: fn(u8) -> bool) -> usize {
    data.get(start..)
        .and_then(|rest| rest.iter().position(|&byte| !member(byte)))
        .map_or(data.len(), |len| start + len)
}

/// `%XX` escapes undone (and `+` as space when `form`); invalid escapes stay as they are.
pub(super) fn percent_decode(text: &str, form: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        let byte = bytes[idx];
        let hex = |at: usize| bytes.get(at).and_then(|digit| char::from(*digit).to_digit(16));
        match byte {
            b'%' => match (hex(idx + 1), hex(idx + 2)) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    idx += 3;
                    continue;
                }
                _ => out.push(byte),
            },
            b'+' if form => out.push(b' '),
            _ => out.push(byte),
        }
        idx += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Byte-range replacements applied to `data` (sorted, non-overlapping ones only).
pub(super) fn apply_byte_edits(
    data: &[u8],
    mut edits: Vec<(std::ops::Range<usize>, Vec<u8>)>,
) -> Option<Vec<u8>> {
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = Vec::with_capacity(data.len() + edits.len() * 16);
    let mut copied_to = 0;
    for (range, bytes) in edits {
        if range.start < copied_to || range.end > data.len() {
            continue;
        }
        out.extend_from_slice(&data[copied_to..range.start]);
        out.extend_from_slice(&bytes);
        copied_to = range.end;
    }
    out.extend_from_slice(&data[copied_to..]);
    (out != data).then_some(out)
}

/// `bytes` encoded with `coding` again, when regauth can write that coding.
fn encode_again(coding: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    match coding {
        "gzip" | "x-gzip" => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(bytes).ok()?;
            encoder.finish().ok()
        }
        "deflate" => {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(bytes).ok()?;
            encoder.finish().ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every maximal run, the slow way.
    fn naive_runs(data: &[u8]) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
            if is_base64_byte(data[pos]) {
                let end = run_end(data, pos, is_base64_byte);
                if end - pos >= MIN_BASE64_RUN {
                    runs.push((pos, end));
                }
                pos = end;
            } else {
                pos += 1;
            }
        }
        runs
    }

    #[test]
    fn skipping_run_finder_finds_what_a_byte_by_byte_scan_finds() {
        // Deterministic pseudo-random inputs with runs of every length around the minimum.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..500 {
            let mut data = Vec::new();
            while data.len() < 300 {
                let run = (next() % 40) as usize;
                data.extend((0..run).map(|_| b"abcXYZ019+/-_"[(next() % 13) as usize]));
                data.extend((0..(next() % 4)).map(|_| b" .\"\x00:"[(next() % 5) as usize]));
            }
            assert_eq!(
                long_base64_runs(&data),
                naive_runs(&data),
                "{:?}",
                String::from_utf8_lossy(&data)
            );
        }
        assert_eq!(long_base64_runs(b""), []);
        assert_eq!(long_base64_runs(&[b'a'; 16]), [(0, 16)]);
        assert_eq!(long_base64_runs(&[b'a'; 15]), []);
    }

    #[test]
    fn content_decoding_stops_at_the_budget_and_says_so() {
        use std::io::Write as _;
        let body = br#"{"refresh_token":"rt-abcdefghijklmnopqrstuvwxyz"}"#;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(body).unwrap();
        let gzipped = encoder.finish().unwrap();
        let place = Place::new(Some(3), "response.content");
        // Enough budget for one copy of the body: the first is rewritten, the second is not.
        let mut redactor = Redactor::new(body.len() as u64 + 10);
        redactor.start_recording_pass();
        let first = redactor.wire_body(&place, &gzipped, "gzip", None, false).expect("rewritten");
        assert!(!first.now_identity && first.new_decoded_len < body.len() + 20);
        assert_eq!(redactor.wire_body(&place, &gzipped, "gzip", None, false).map(|c| c.wire), None);
        assert_eq!(redactor.notes.len(), 1);
        assert_eq!(redactor.notes[0].entry, Some(3));
        assert!(redactor.notes[0].message.contains("decoding budget"), "{:?}", redactor.notes);
    }

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "Password",
            "client_secret",
            "refresh_token",
            "IdentityToken",
            "X-Auth-Token",
            "access-token",
            "X-Amz-Signature",
            "sig",
            "api_key",
            "passwd",
            "a-name-longer-than-the-sixty-four-byte-buffer-for-the-admin-password",
        ] {
            assert!(field_kind(name).is_some(), "{name}");
        }
        for name in [
            "offline_token",
            "token_type",
            "username",
            "scope",
            "service",
            "WWW-Authenticate",
            "expires_in",
        ] {
            assert_eq!(field_kind(name), None, "{name}");
        }
    }
}
