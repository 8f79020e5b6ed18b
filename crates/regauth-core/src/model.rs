//! The normalized exchange model every reader produces and the auth engine consumes.
//!
//! These are plain value types, deliberately not `Serialize`: the wire formats live in the
//! report layer, so changing an internal type never changes an output contract by accident.

use std::borrow::Cow;

use bytes::Bytes;
use chrono::{DateTime, Utc};

/// A point on the capture clock (the recorder's clock), in UTC with sub-second precision.
pub type Timestamp = DateTime<Utc>;

/// Where an exchange came from: which input, which entry in it, and where in its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EntryRef {
    /// Index into [`crate::Capture::sources`].
    pub source: usize,
    /// Position of the entry within its source (HAR `entries[i]`, i-th flow in a flow file).
    pub index: usize,
    /// Byte offset of the entry in the (decompressed) source, when the reader knows it.
    pub byte_offset: Option<u64>,
}

/// One HTTP request and, if it got one, its response.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Position in the merged capture timeline (0-based, stable for a given set of inputs).
    pub index: usize,
    pub origin: EntryRef,
    pub request: Request,
    pub response: Option<Response>,
    pub timing: Timing,
    /// `ip:port` of the server, when the recorder noted it.
    pub server_address: Option<String>,
    /// `ip:port` of the client, when the recorder noted it.
    pub client_address: Option<String>,
    /// TLS facts of the server connection; `None` for plain HTTP or when the source has none.
    pub tls: Option<TlsInfo>,
    /// Why the exchange did not complete (connection refused, TLS failure, aborted response).
    pub error: Option<String>,
    /// The recorder's name for the connection the exchange used (HAR `connection`), so
    /// exchanges that shared a connection (and so its TLS session and credentials) can be grouped.
    pub connection: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Timing {
    /// When the client started sending the request (capture clock).
    pub request_start: Option<Timestamp>,
    /// When the last byte of the response arrived (capture clock).
    pub response_end: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// `http` or `https` (lower case).
    pub scheme: String,
    /// Host name or IP literal, without port and without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// Path plus query, as sent (`/v2/library/alpine/manifests/latest?x=1`).
    pub path: String,
    /// `HTTP/1.1`, `HTTP/2.0`, ... as the source spells it; empty when unknown.
    pub http_version: String,
    pub headers: Headers,
    pub body: Body,
}

impl Request {
    /// `scheme://host[:port]path`, with the port only when it is not the scheme's default.
    pub fn url(&self) -> String {
        let default_port = match self.scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => 0,
        };
        let host =
            if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == default_port || self.port == 0 {
            format!("{}://{}{}", self.scheme, host, self.path)
        } else {
            format!("{}://{}:{}{}", self.scheme, host, self.port, self.path)
        }
    }

    /// `host` or `host:port` when the port is not the scheme's default; how registries are named.
    pub fn authority(&self) -> String {
        let default_port = if self.scheme == "http" { 80 } else { 443 };
        if self.port == default_port || self.port == 0 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The path without the query string.
    pub fn path_only(&self) -> &str {
        self.path.split_once('?').map_or(self.path.as_str(), |(path, _)| path)
    }

    /// The raw query string (without `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.path.split_once('?').map(|(_, query)| query)
    }
}

#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub http_version: String,
    pub headers: Headers,
    pub body: Body,
}

/// Header fields in wire order, repeats kept. Names keep their original case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// The first value of `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `name` (ASCII case-insensitive), in wire order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(key, value)| (key.as_str(), value.as_str()))
    }
}

/// A message body as the source holds it; decoded only when someone asks.
///
/// Readers hand out slices of the input buffer (`Bytes::slice_ref`) wherever the source
/// stores a body verbatim, so a body-heavy capture is scanned, not copied.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub data: BodyData,
    /// Size of the body on the wire (after content-encoding), when known.
    pub size: Option<u64>,
    /// `Content-Encoding` that `data` still carries (`gzip`, `br`, ...); empty when identity.
    pub content_encoding: String,
    /// MIME type the source recorded (HAR `content.mimeType`), if any.
    pub mime_type: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub enum BodyData {
    /// The source recorded no body (or said it omitted it).
    #[default]
    Absent,
    /// The bytes as they were on the wire (minus transfer coding).
    Raw(Bytes),
    /// Base64 text (HAR `"encoding": "base64"`), decoded on demand.
    Base64(Bytes),
    /// Text that HAR producers wrote one character per byte (Latin-1 style) for binary data.
    Latin1Text(Bytes),
    /// The body text as a JSON string literal, quotes and escapes included (a slice of a HAR
    /// file): the escapes are undone on demand, so reading the file never copies the text.
    JsonEscapedText(Bytes),
}

impl Body {
    /// The body bytes, with base64 undone but content-encoding kept.
    pub fn wire_bytes(&self) -> Result<Cow<'_, [u8]>, BodyError> {
        match &self.data {
            BodyData::Absent => Ok(Cow::Borrowed(&[])),
            BodyData::Raw(bytes) => Ok(Cow::Borrowed(bytes)),
            BodyData::Base64(text) => decode_base64_lenient(text).map(Cow::Owned),
            BodyData::JsonEscapedText(literal) => {
                Ok(Cow::Owned(crate::capture::json_string::unescape(literal).into_bytes()))
            }
            BodyData::Latin1Text(text) => match std::str::from_utf8(text) {
                Ok(text) if text.chars().all(|ch| (ch as u32) < 256) => {
                    Ok(Cow::Owned(text.chars().map(|ch| ch as u8).collect()))
                }
                _ => Ok(Cow::Borrowed(text)),
            },
        }
    }

    /// The body bytes with base64 and content-encoding undone, capped at `limit` bytes of output.
    pub fn decoded(&self, limit: usize) -> Result<Cow<'_, [u8]>, BodyError> {
        let wire = self.wire_bytes()?;
        crate::capture::content_encoding::decode(&self.content_encoding, wire, limit)
    }

    /// The decoded body as text (lossy), capped at `limit` bytes.
    pub fn text(&self, limit: usize) -> Result<String, BodyError> {
        Ok(String::from_utf8_lossy(&self.decoded(limit)?).into_owned())
    }

    pub fn is_absent(&self) -> bool {
        matches!(self.data, BodyData::Absent)
    }
}

fn decode_base64_lenient(text: &[u8]) -> Result<Vec<u8>, BodyError> {
    use base64::Engine as _;
    let trimmed: Vec<u8> =
        text.iter().copied().filter(|byte| !byte.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(&trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&trimmed))
        .map_err(|err| BodyError::Base64(err.to_string()))
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    #[error("body is not valid base64: {0}")]
    Base64(String),
    #[error("cannot undo content-encoding {encoding}: {reason}")]
    ContentEncoding { encoding: String, reason: String },
    #[error("content-encoding {0} is not supported")]
    UnsupportedEncoding(String),
}

/// TLS facts of one server connection.
#[derive(Clone, Debug, Default)]
pub struct TlsInfo {
    /// Whether the handshake completed.
    pub established: bool,
    pub sni: Option<String>,
    /// `TLSv1.3`, ...
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub alpn: Option<String>,
    /// Server certificate chain as DER, leaf first (what the recorder saw from the server).
    pub server_certificates: Vec<Bytes>,
    /// Client certificate chain as DER, leaf first, when the client authenticated with one.
    pub client_certificates: Vec<Bytes>,
    /// Why the handshake failed, when it did.
    pub error: Option<String>,
    /// What the recorder said about the server's leaf certificate when it kept no DER
    /// (Playwright HAR `_securityDetails`); `None` when `server_certificates` is the source.
    pub server_certificate_summary: Option<CertificateSummary>,
}

/// A server certificate as a recorder summarised it, without the certificate itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateSummary {
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
}
