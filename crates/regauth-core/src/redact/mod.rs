//! Redaction: a copy of a capture, in the same format, with its secrets replaced, that still
//! analyses the same.
//!
//! # Design overview
//!
//! ```text
//!  input bytes ─► sniff, gunzip ─► HAR: serde (entries, fields as RawValue spans) + string scan
//!                                   flow: tnetstring items (lengths rewritten where a value changed)
//!                      │
//!     pass 1 (discover): every rule runs, secrets go into the Book, output is thrown away
//!     pass 2 (rewrite):  every rule runs again with the complete Book, so a secret found in
//!                        entry 9 is also replaced in entry 2; masked items are recorded
//!                      │
//!     leak check: the output is searched for every secret found, in every spelling (raw,
//!                 JSON-escaped, percent-encoded, base64 at any alignment); a hit is an error
//!                      │
//!     gzip/zlib again if the input was ─► Redacted { bytes, masked, notes }
//! ```
//!
//! What is masked (rules in `rules.rs`, replacements in `book.rs`): Basic and
//! `Proxy-Authorization` credentials (the user name stays), Bearer tokens (a JWT keeps its
//! header and claims, only the signature goes), `X-Registry-Auth`/`X-Registry-Config` (base64
//! JSON: secret fields masked inside, re-encoded in the same alphabet and padding), cookies
//! and `Set-Cookie` values, headers whose names say they hold a secret (`X-Auth-Token`,
//! `Private-Token`, ...), query and fragment parameters and form fields with secret names
//! (`password`, `refresh_token`, `client_secret`, `*token`, `*signature`, ...), URL userinfo
//! passwords, JSON members with secret names at any depth (`token`, `access_token`,
//! `refresh_token`, `IdentityToken`, `identitytoken`, `password`, config.json `auth`, ...),
//! every JWT signature and vendor-prefixed token (`ya29.`, `ghp_`, ...) anywhere, and
//! whatever a base64 run holds (`user:password`, JSON with secret members). Then every secret
//! found is replaced wherever else it occurs.
//!
//! Bodies are read after undoing their content-encoding (gzip, deflate, br, zstd) and
//! HAR base64. A changed gzip or deflate body is compressed again; br and zstd cannot be
//! written here, so such a body, when it held a secret, is stored decoded with
//! `Content-Encoding: identity` (and a [`RedactNote`] says so). A body that cannot be decoded,
//! or would exceed the decoding budget ([`RedactConfig::limits`]), is only searched for
//! known secrets in its stored bytes, and a note says so. `Content-Length` headers and HAR
//! `bodySize`, `content.size` and `headersSize` follow a changed body or header when they
//! matched it before.
//!
//! Everything else is preserved byte for byte: HAR literals are rewritten in place (other
//! fields, whitespace, key order and `_` extensions untouched), flow items keep their types
//! and only the lengths of changed items and their containers change. A flow or HAR file
//! regauth cannot walk is an error, not a partial copy; a flow file whose tail is cut off is
//! redacted up to the cut, and a note names what was dropped.
//!
//! Sans-IO: bytes in, bytes out; memory and time are linear in the input (two passes and a
//! check, base64 looked into at most three levels deep).

mod book;
mod flow;
mod har;
mod json;
mod rules;
#[cfg(test)]
mod tests;

use std::io::Write as _;

pub use book::MARKER;

use crate::capture::{self, Compression, Format};

/// Settings of one redaction: the readers' limits, with the same meaning and defaults.
#[derive(Clone, Debug, Default)]
pub struct RedactConfig {
    /// `max_input_bytes` and `max_inflate_ratio` bound a gzip/zlib input once inflated;
    /// `max_decoded_ratio` bounds what undoing bodies' content-encoding may produce in all
    /// (per pass). A body beyond that is only searched for known secrets as stored, and a
    /// [`RedactNote`] says so. `max_exchange_memory_ratio` is not used here.
    pub limits: capture::ReadLimits,
}

impl RedactConfig {
    /// How far a gzip/zlib input of `compressed_len` bytes may inflate.
    fn max_inflated(&self, compressed_len: u64) -> u64 {
        self.limits
            .max_inflate_ratio
            .saturating_mul(compressed_len)
            .max(capture::INFLATE_FLOOR_BYTES)
            .min(self.limits.max_input_bytes)
    }

    /// How many bytes undoing content-encodings may produce in one pass over `input_len`.
    fn max_decoded(&self, input_len: u64) -> u64 {
        self.limits
            .max_decoded_ratio
            .saturating_mul(input_len)
            .saturating_add(capture::DECODED_FLOOR_BYTES)
    }
}

/// The redacted copy and what was done to make it.
#[derive(Clone, Debug)]
pub struct Redacted {
    /// The copy, in the input's format and compression.
    pub bytes: Vec<u8>,
    pub format: Format,
    pub compression: Compression,
    /// One item per replaced value, in file order.
    pub masked: Vec<MaskedItem>,
    /// What could not be looked into, or was changed beyond replacing a value.
    pub notes: Vec<RedactNote>,
    /// How many distinct secrets were found.
    pub n_secrets: usize,
}

/// One replaced value: where it was and what kind of secret. Never the secret itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedItem {
    /// HAR `log.entries[i]`, or the i-th flow of a flow file; `None` outside the entries.
    pub entry: Option<usize>,
    /// Where in the entry, e.g. `request.header Authorization`,
    /// `response.content (json) refresh_token`, `request.url client_secret`. Names taken from
    /// the capture are cut to printable ASCII.
    pub field: String,
    pub kind: SecretKind,
}

/// What kind of secret was replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKind {
    /// A password (Basic credentials, `password` fields, userinfo, `X-Registry-Auth`).
    Password,
    /// The signature of a JWT or of a signed URL.
    TokenSignature,
    /// An opaque access token.
    Token,
    RefreshToken,
    IdentityToken,
    /// A `Cookie` or `Set-Cookie` value.
    Cookie,
    /// Another credential: `client_secret`, API keys, unknown `Authorization` schemes.
    Secret,
}

impl SecretKind {
    /// Stable name, as `--dry-run` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Password => "password",
            SecretKind::TokenSignature => "token-signature",
            SecretKind::Token => "token",
            SecretKind::RefreshToken => "refresh-token",
            SecretKind::IdentityToken => "identity-token",
            SecretKind::Cookie => "cookie",
            SecretKind::Secret => "secret",
        }
    }
}

impl std::fmt::Display for SecretKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something the caller should know about the copy (a body not looked into, a dropped tail).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedactNote {
    pub entry: Option<usize>,
    /// Offset in the (decompressed) input, when it is about a place in it.
    pub byte_offset: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for RedactNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(entry) = self.entry {
            write!(f, "entry {entry}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(offset) = self.byte_offset {
            write!(f, " (byte {offset})")?;
        }
        Ok(())
    }
}

/// Why no redacted copy was made. Messages never contain a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedactError {
    #[error("input is empty")]
    Empty,
    #[error(
        "not a capture regauth can redact (expected a HAR file or a mitmproxy flow file, found {found})"
    )]
    UnknownFormat { found: String },
    #[error(
        "larger than the limit of {limit} bytes after decompression (raise the input limits to redact it)"
    )]
    TooLarge { limit: u64 },
    #[error("cannot decompress {compression:?} data: {reason}")]
    Decompress { compression: Compression, reason: String },
    #[error("{message} (byte {byte_offset})")]
    Malformed { byte_offset: u64, message: String },
    /// The final check found a secret in the copy: a bug in regauth, so no copy is given.
    #[error(
        "a {kind} found in the capture would survive in the redacted copy (output byte {byte_offset}); no copy was made; please report this"
    )]
    SecretSurvived { kind: SecretKind, byte_offset: u64 },
}

/// Redacts a capture (HAR or mitmproxy flow file, gzip/zlib-compressed or not) into the same
/// format and compression. Never modifies `input`.
pub fn redact(input: &[u8], config: &RedactConfig) -> Result<Redacted, RedactError> {
    if input.is_empty() {
        return Err(RedactError::Empty);
    }
    let sniffed = capture::sniff(input);
    let inflated: Vec<u8>;
    let payload: &[u8] = if sniffed.compression == Compression::None {
        input
    } else {
        inflated = inflate(input, sniffed.compression, config.max_inflated(input.len() as u64))?;
        &inflated
    };
    if payload.len() as u64 > config.limits.max_input_bytes {
        return Err(RedactError::TooLarge { limit: config.limits.max_input_bytes });
    }
    let format = capture::sniff(payload).format;
    if format == Format::Unknown {
        return Err(RedactError::UnknownFormat { found: capture::sniff::describe_start(payload) });
    }
    let mut redactor = rules::Redactor::new(config.max_decoded(payload.len() as u64));
    run(format, payload, &mut redactor)?;
    // Pass 2, repeated while it still finds new secrets (a secret first seen inside something
    // only the rewrite pass decodes); in practice one round.
    let mut output = Vec::new();
    for _ in 0..3 {
        redactor.book.freeze();
        redactor.start_recording_pass();
        output = run(format, payload, &mut redactor)?;
        if !redactor.book.grew_since_freeze() {
            break;
        }
    }
    if redactor.book.grew_since_freeze() {
        redactor.book.freeze();
    }
    check_no_leak(&output, &redactor.book)?;
    let bytes = compress_like(sniffed.compression, output);
    Ok(Redacted {
        bytes,
        format,
        compression: sniffed.compression,
        masked: redactor.masked,
        notes: redactor.notes,
        n_secrets: redactor.book.len(),
    })
}

fn run(
    format: Format,
    payload: &[u8],
    redactor: &mut rules::Redactor,
) -> Result<Vec<u8>, RedactError> {
    match format {
        Format::Har => har::redact(payload, redactor),
        Format::MitmproxyFlow => Ok(flow::redact(payload, redactor)),
        Format::Unknown => {
            Err(RedactError::UnknownFormat { found: capture::sniff::describe_start(payload) })
        }
    }
}

/// A whole gzip or zlib input, inflated to at most `limit` bytes. Unlike the readers, a cut
/// or damaged stream is an error: a copy of part of a capture would silently drop the rest.
fn inflate(input: &[u8], compression: Compression, limit: u64) -> Result<Vec<u8>, RedactError> {
    use std::io::Read as _;
    let mut out = Vec::new();
    let res = match compression {
        Compression::None => return Ok(input.to_vec()),
        Compression::Gzip => flate2::read::MultiGzDecoder::new(input)
            .take(limit.saturating_add(1))
            .read_to_end(&mut out),
        Compression::Zlib => flate2::read::ZlibDecoder::new(input)
            .take(limit.saturating_add(1))
            .read_to_end(&mut out),
    };
    match res {
        Ok(_) if out.len() as u64 > limit => Err(RedactError::TooLarge { limit }),
        Ok(_) => Ok(out),
        Err(err) => Err(RedactError::Decompress { compression, reason: err.to_string() }),
    }
}

/// The last line of defence: no secret the passes found may be left in the copy, in any plain
/// spelling, nor inside a base64 run at any alignment (each run is decoded from each of its
/// first four characters, both alphabets at once).
fn check_no_leak(output: &[u8], book: &book::Book) -> Result<(), RedactError> {
    if let Some((at, kind)) = book.find_known(output) {
        return Err(RedactError::SecretSurvived { kind, byte_offset: at as u64 });
    }
    for (start, end) in rules::base64_runs_at_least(output, book::MIN_SWEEP_LEN) {
        if rules::is_hex_id(&output[start..end]) {
            continue;
        }
        let standard: Vec<u8> = output[start..end]
            .iter()
            .map(|&byte| match byte {
                b'-' => b'+',
                b'_' => b'/',
                other => other,
            })
            .collect();
        for skip in 0..4 {
            let Some(part) = standard.get(skip..) else { break };
            // A lone character after the last full quad encodes no whole byte.
            let usable = if part.len() % 4 == 1 { &part[..part.len() - 1] } else { part };
            let Some(decoded) = rules::decode_standard(usable) else { continue };
            if let Some((_, kind)) = book.find_known(&decoded) {
                return Err(RedactError::SecretSurvived {
                    kind,
                    byte_offset: (start + skip) as u64,
                });
            }
        }
    }
    Ok(())
}

fn compress_like(compression: Compression, bytes: Vec<u8>) -> Vec<u8> {
    let written = match compression {
        Compression::None => return bytes,
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&bytes).and_then(|()| encoder.finish())
        }
        Compression::Zlib => {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&bytes).and_then(|()| encoder.finish())
        }
    };
    // Writing into a Vec cannot fail; if it somehow did, the plain copy is still correct.
    written.unwrap_or(bytes)
}
