//! The secrets found in one capture and what each is replaced with.
//!
//! Replacements are chosen so that the redacted capture still analyses the same:
//!
//! * Passwords and other credentials a person chose (`password`, `client_secret`, Basic
//!   credentials, unknown `Authorization` schemes) become the fixed [`MARKER`]. They are never
//!   hashed: a short password's hash is guessable, and nothing in the analysis needs to tell
//!   two passwords apart.
//! * Machine-issued tokens (JWT signatures, opaque access tokens, refresh and identity tokens,
//!   cookies) become `MARKER-<8 hex>`, the first 32 bits of the SHA-256 of the secret, so the
//!   same token gets the same replacement in every place and in every file (token uses still
//!   match their issue). 32 bits of a hash of a value with well over 100 bits of entropy tell
//!   nothing about it. A token-like value that is short or repetitive (under 20 characters or
//!   under 10 distinct ones) could be guessed from its hash, so it gets `MARKER-n<k>`, a
//!   counter in order of discovery: consistent within the file, and random-free.
//! * An opaque token with a known vendor prefix (`ya29.`, `glpat-`, ...) keeps the prefix, so
//!   its kind stays recognisable.
//!
//! Values that already contain the marker are never registered, so redacting a redacted file
//! changes nothing.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use sha2::{Digest as _, Sha256};

use super::SecretKind;
use crate::secret::Secret;

/// What every replacement starts with.
pub const MARKER: &str = "redacted-by-regauth";

/// Secrets shorter than this are masked only where a rule finds them (a header, a form field,
/// a JSON key); the sweep for known secrets elsewhere ignores them, since a short string also
/// occurs by chance in unrelated text.
pub(super) const MIN_SWEEP_LEN: usize = 8;

/// Secrets shorter than this are swept only where they stand alone (no letter or digit on
/// either side), for the same reason.
const MIN_UNBOUNDED_LEN: usize = 16;

/// Prefixes of opaque tokens that say which vendor issued them; kept in the replacement, and
/// a token with one of them is masked wherever it stands, labelled or not.
pub(super) const VENDOR_PREFIXES: &[&str] = &[
    // Google: OAuth2 access token, refresh token, API key.
    "ya29.",
    "1//",
    "AIza",
    // GitHub, GitLab, Docker Hub personal and organisation access tokens.
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "dckr_pat_",
    "dckr_oat_",
];

/// Whether `value` starts with a known vendor token prefix (and has more after it).
pub(super) fn has_vendor_prefix(value: &str) -> bool {
    VENDOR_PREFIXES.iter().any(|prefix| value.len() > prefix.len() && value.starts_with(prefix))
}

/// How a secret is replaced (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Style {
    /// The fixed marker: passwords and other chosen credentials.
    Fixed,
    /// Marker plus fingerprint (or counter when the value is low-entropy): tokens.
    Fingerprint,
}

impl SecretKind {
    pub(super) fn style(self) -> Style {
        match self {
            SecretKind::Password | SecretKind::Secret => Style::Fixed,
            SecretKind::TokenSignature
            | SecretKind::Token
            | SecretKind::RefreshToken
            | SecretKind::IdentityToken
            | SecretKind::Cookie => Style::Fingerprint,
        }
    }
}

struct Entry {
    secret: Secret,
    replacement: String,
    kind: SecretKind,
}

/// What the sweep searches for: one spelling of one secret.
struct Pattern {
    entry: usize,
    /// The replacement in the same spelling.
    replacement: Vec<u8>,
    /// Needs non-alphanumeric neighbours (short secrets).
    bounded: bool,
}

#[derive(Default)]
pub(super) struct Book {
    entries: Vec<Entry>,
    by_secret: HashMap<String, usize>,
    n_counted: usize,
    /// Built by [`Book::freeze`]; `None` while secrets are still being discovered.
    sweep: Option<(AhoCorasick, Vec<Pattern>)>,
    /// How many entries the automaton covers.
    frozen_len: usize,
}

/// Whether `value` is worth registering at all.
pub(super) fn is_maskable(value: &str) -> bool {
    let trimmed = value.trim();
    !trimmed.is_empty()
        && !trimmed.contains(MARKER)
        && !matches!(trimmed, "true" | "false" | "null" | "undefined")
}

impl Book {
    /// Registers `secret` (if new) and returns its replacement.
    pub(super) fn register(&mut self, secret: &str, kind: SecretKind) -> String {
        if let Some(&idx) = self.by_secret.get(secret) {
            return self.entries[idx].replacement.clone();
        }
        let replacement = match kind.style() {
            Style::Fixed => MARKER.to_owned(),
            Style::Fingerprint => {
                let prefix = if kind == SecretKind::TokenSignature {
                    ""
                } else {
                    VENDOR_PREFIXES
                        .iter()
                        .find(|prefix| has_vendor_prefix(secret) && secret.starts_with(**prefix))
                        .copied()
                        .unwrap_or("")
                };
                if is_high_entropy(secret) {
                    let digest = Sha256::digest(secret.as_bytes());
                    let hex: String =
                        digest.iter().take(4).map(|byte| format!("{byte:02x}")).collect();
                    format!("{prefix}{MARKER}-{hex}")
                } else {
                    self.n_counted += 1;
                    format!("{prefix}{MARKER}-n{}", self.n_counted)
                }
            }
        };
        self.by_secret.insert(secret.to_owned(), self.entries.len());
        self.entries.push(Entry {
            secret: Secret::new(secret),
            replacement: replacement.clone(),
            kind,
        });
        replacement
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether secrets were registered after the last [`Book::freeze`].
    pub(super) fn grew_since_freeze(&self) -> bool {
        self.entries.len() != self.frozen_len
    }

    /// Builds the sweep automaton over every spelling of every secret registered so far.
    pub(super) fn freeze(&mut self) {
        let mut needles: Vec<Vec<u8>> = Vec::new();
        let mut patterns = Vec::new();
        for (entry_idx, entry) in self.entries.iter().enumerate() {
            let secret = entry.secret.expose();
            if secret.len() < MIN_SWEEP_LEN {
                continue;
            }
            let bounded = secret.len() < MIN_UNBOUNDED_LEN;
            for (needle, replacement) in spellings(secret, &entry.replacement) {
                patterns.push(Pattern { entry: entry_idx, replacement, bounded });
                needles.push(needle);
            }
        }
        self.frozen_len = self.entries.len();
        self.sweep = if needles.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&needles)
                .ok()
                .map(|automaton| (automaton, patterns))
        };
    }

    /// Replaces every known secret in `data` (in any of its plain spellings). Returns the new
    /// bytes and the kind of each replaced secret, or `None` when nothing matched.
    pub(super) fn replace_known(&self, data: &[u8]) -> Option<(Vec<u8>, Vec<SecretKind>)> {
        let (automaton, patterns) = self.sweep.as_ref()?;
        let mut out = Vec::new();
        let mut kinds = Vec::new();
        let mut copied_to = 0;
        for found in automaton.find_iter(data) {
            let pattern = &patterns[found.pattern().as_usize()];
            if pattern.bounded && !stands_alone(data, found.start(), found.end()) {
                continue;
            }
            out.extend_from_slice(&data[copied_to..found.start()]);
            out.extend_from_slice(&pattern.replacement);
            copied_to = found.end();
            kinds.push(self.entries[pattern.entry].kind);
        }
        if kinds.is_empty() {
            return None;
        }
        out.extend_from_slice(&data[copied_to..]);
        Some((out, kinds))
    }

    /// The first place in `data` where a known secret stands in one of its plain spellings
    /// (a short secret only where it stands alone), and its kind. For the final check.
    pub(super) fn find_known(&self, data: &[u8]) -> Option<(usize, SecretKind)> {
        let (automaton, patterns) = self.sweep.as_ref()?;
        let mut at = 0;
        while at < data.len() {
            let found = automaton.find(aho_corasick::Input::new(data).span(at..data.len()))?;
            let pattern = &patterns[found.pattern().as_usize()];
            if !pattern.bounded || stands_alone(data, found.start(), found.end()) {
                return Some((found.start(), self.entries[pattern.entry].kind));
            }
            at = found.start() + 1;
        }
        None
    }
}

/// Whether `data[start..end]` has no letter or digit right before or after it (a `%XX`
/// escape before it counts as a boundary, so `%3Asecret` matches).
pub(super) fn stands_alone(data: &[u8], start: usize, end: usize) -> bool {
    let before_ok = match start.checked_sub(1).and_then(|idx| data.get(idx)) {
        None => true,
        Some(byte) if !byte.is_ascii_alphanumeric() => true,
        Some(_) => start >= 3 && data.get(start - 3) == Some(&b'%'),
    };
    let after_ok = data.get(end).is_none_or(|byte| !byte.is_ascii_alphanumeric());
    before_ok && after_ok
}

/// Long enough and varied enough that 32 bits of its hash reveal nothing guessable.
fn is_high_entropy(value: &str) -> bool {
    let mut seen = [false; 256];
    for &byte in value.as_bytes() {
        seen[usize::from(byte)] = true;
    }
    value.len() >= 20 && seen.iter().filter(|seen| **seen).count() >= 10
}

/// The plain spellings a secret can take in a capture, each with the replacement spelled the
/// same way: as is, JSON-escaped (with and without `\/`), and percent-encoded (form style with
/// `+` for space, RFC 3986 style with `%20`, upper- and lower-case hex).
fn spellings(secret: &str, replacement: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut add = |needle: Vec<u8>, replacement: Vec<u8>| {
        if !out.iter().any(|(known, _)| *known == needle) {
            out.push((needle, replacement));
        }
    };
    add(secret.as_bytes().to_vec(), replacement.as_bytes().to_vec());
    let json_escaped = super::json::literal(secret);
    let json_inner = json_escaped.get(1..json_escaped.len().saturating_sub(1)).unwrap_or_default();
    let json_replacement = super::json::literal(replacement);
    let json_replacement_inner =
        json_replacement.get(1..json_replacement.len().saturating_sub(1)).unwrap_or_default();
    add(json_inner.to_vec(), json_replacement_inner.to_vec());
    let slash_escaped: Vec<u8> = String::from_utf8_lossy(json_inner).replace('/', "\\/").into();
    add(slash_escaped, json_replacement_inner.to_vec());
    for (form, upper) in [(true, true), (true, false), (false, true), (false, false)] {
        add(percent_encode(secret, form, upper), percent_encode(replacement, form, upper));
    }
    out
}

/// Percent-encoding of `text`: unreserved characters kept, space as `+` when `form`.
pub(super) fn percent_encode(text: &str, form: bool, upper: bool) -> Vec<u8> {
    let hex: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    let mut out = Vec::with_capacity(text.len());
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte),
            b'*' if form => out.push(byte),
            b' ' if form => out.push(b'+'),
            _ => out.extend_from_slice(&[
                b'%',
                hex[usize::from(byte >> 4)],
                hex[usize::from(byte & 0xf)],
            ]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_get_the_fixed_marker_tokens_a_stable_fingerprint() {
        let mut book = Book::default();
        assert_eq!(book.register("hunter2-password", SecretKind::Password), MARKER);
        let token = "rt-8yWjzq1N0eGm4u2cX9p0Vq7sTb3LdK5f";
        let first = book.register(token, SecretKind::RefreshToken);
        assert!(first.starts_with("redacted-by-regauth-") && first.len() == MARKER.len() + 9);
        assert!(!first.contains("8yWj"));
        // Same token, same replacement, whatever kind it is seen as later.
        assert_eq!(book.register(token, SecretKind::IdentityToken), first);
        // Another book (another file) gives the same fingerprint.
        assert_eq!(Book::default().register(token, SecretKind::Token), first);
        // Low-entropy token-like values are counted, not hashed.
        assert_eq!(
            book.register("aaaaaaaaaaaaaaaaaaaaaaaa", SecretKind::Cookie),
            format!("{MARKER}-n1")
        );
        assert_eq!(book.register("abc", SecretKind::Cookie), format!("{MARKER}-n2"));
        assert_eq!(
            book.register("ya29.a0AfH6SMBx3kD8-ZrLqWmN0pTyUvC2hJ", SecretKind::Token)[..5],
            *"ya29."
        );
    }

    #[test]
    fn sweep_replaces_every_plain_spelling_and_respects_word_boundaries() {
        let mut book = Book::default();
        book.register("p@ss word/1", SecretKind::Password);
        book.register("short", SecretKind::Password);
        book.freeze();
        let text =
            br#"a=p%40ss+word%2F1&b=p%40ss%20word%2f1 {"x":"p@ss word\/1"} xp@ss word/1 short"#;
        let (out, kinds) = book.replace_known(text).expect("matches");
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            r#"a=redacted-by-regauth&b=redacted-by-regauth {"x":"redacted-by-regauth"} xp@ss word/1 short"#
        );
        assert_eq!(kinds.len(), 3);
    }
}
