//! `regauth.exchanges/v1`: the normalized exchanges of a capture, one object per exchange.
//!
//! ```json
//! {"schema": "regauth.exchanges/v1",
//!  "sources": [{"name": "a.flow", "format": "mitmproxy-flow", "compression": "none", "producer": "...", "size": 1234}],
//!  "exchanges": [{"index": 0, "source": 0, "entry": 3, "started_at": "2026-11-23T10:00:00.123456Z",
//!                 "ended_at": "...", "method": "GET", "url": "https://r.example/v2/", "host": "r.example",
//!                 "status": 401, "request_body_size": 0, "response_body_size": 87, "tls": true,
//!                 "error": null}],
//!  "problems": [{"source": "a.flow", "entry": 7, "byte_offset": 9120, "message": "..."}],
//!  "notes": [{"source": "a.har", "message": "... each is counted once, from a.flow"}]}
//! ```
//! `status` is null when the exchange got no response. `notes` (added after the first
//! release) says what was done with the inputs. Fields are only ever added, never renamed.
//! Credentials in URLs (`user:password@`, `password=`, `access_token=`, presigned-URL
//! signatures...) are masked in `url`, `error` and problem messages unless secrets are revealed.

use serde::{Deserialize, Serialize};

use super::SerializedRows;
use super::analysis::Secrets;
use crate::capture::{Capture, Compression, Format};
use crate::model::{Body, Exchange, Timestamp};

pub const SCHEMA: &str = "regauth.exchanges/v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExchangeList {
    pub schema: String,
    pub sources: Vec<SourceRow>,
    pub exchanges: Vec<ExchangeRow>,
    pub problems: Vec<ProblemRow>,
    /// Added field: lists written before it deserialise with none.
    #[serde(default)]
    pub notes: Vec<NoteRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceRow {
    pub name: String,
    pub format: String,
    pub compression: String,
    pub producer: Option<String>,
    pub size: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExchangeRow {
    pub index: usize,
    pub source: usize,
    pub entry: usize,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub method: String,
    pub url: String,
    pub host: String,
    pub status: Option<u16>,
    pub request_body_size: Option<u64>,
    pub response_body_size: Option<u64>,
    pub tls: bool,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemRow {
    pub source: String,
    pub entry: Option<usize>,
    pub byte_offset: Option<u64>,
    pub message: String,
}

/// Something regauth did with the inputs that the reader should know, not a problem in them:
/// an input that repeats exchanges of another is counted once (`capture::InputNote`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoteRow {
    pub source: String,
    pub message: String,
}

impl NoteRow {
    pub fn list(capture: &Capture) -> Vec<NoteRow> {
        capture
            .notes
            .iter()
            .map(|note| NoteRow { source: note.source.clone(), message: note.message.clone() })
            .collect()
    }
}

pub fn format_name(format: Format) -> &'static str {
    match format {
        Format::Har => "har",
        Format::MitmproxyFlow => "mitmproxy-flow",
        Format::Unknown => "unknown",
    }
}

pub fn compression_name(compression: Compression) -> &'static str {
    match compression {
        Compression::None => "none",
        Compression::Gzip => "gzip",
        Compression::Zlib => "zlib",
    }
}

/// RFC 3339 in UTC with microseconds, the way every regauth output writes instants.
pub fn rfc3339(at: &Timestamp) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Body size on the wire: the recorded size, else the length of what was recorded.
pub fn body_size(body: &Body) -> Option<u64> {
    if body.is_absent() {
        return body.size;
    }
    body.size.or_else(|| body.wire_bytes().ok().map(|bytes| bytes.len() as u64))
}

impl SourceRow {
    /// One row per input of the capture.
    pub fn list(capture: &Capture) -> Vec<SourceRow> {
        capture
            .sources
            .iter()
            .map(|source| SourceRow {
                name: source.name.clone(),
                format: format_name(source.format).to_owned(),
                compression: compression_name(source.compression).to_owned(),
                producer: source.producer.clone(),
                size: source.size,
            })
            .collect()
    }
}

impl ProblemRow {
    /// One row per located problem of the capture (messages may quote URLs: masked).
    pub fn list(capture: &Capture, secrets: Secrets) -> Vec<ProblemRow> {
        capture
            .problems
            .iter()
            .map(|problem| ProblemRow {
                source: problem.location.source.clone(),
                entry: problem.location.entry,
                byte_offset: problem.location.byte_offset,
                message: secrets.url_text(&problem.message),
            })
            .collect()
    }
}

impl ExchangeList {
    /// The list with credentials in URLs masked.
    pub fn from_capture(capture: &Capture) -> ExchangeList {
        ExchangeList::new(capture, Secrets::Masked)
    }

    pub fn new(capture: &Capture, secrets: Secrets) -> ExchangeList {
        let rows = StreamedExchangeList::new(capture, secrets);
        ExchangeList {
            schema: SCHEMA.to_owned(),
            sources: SourceRow::list(capture),
            exchanges: rows.exchanges().collect(),
            problems: ProblemRow::list(capture, secrets),
            notes: NoteRow::list(capture),
        }
    }
}

impl ExchangeRow {
    pub fn new(exchange: &Exchange, secrets: Secrets) -> ExchangeRow {
        ExchangeRow {
            index: exchange.index,
            source: exchange.origin.source,
            entry: exchange.origin.index,
            started_at: exchange.timing.request_start.as_ref().map(rfc3339),
            ended_at: exchange.timing.response_end.as_ref().map(rfc3339),
            method: exchange.request.method.to_string(),
            url: secrets.url_text(&exchange.request.url()),
            host: exchange.request.host.to_string(),
            status: exchange.response.as_ref().map(|response| response.status),
            request_body_size: body_size(&exchange.request.body),
            response_body_size: exchange
                .response
                .as_ref()
                .and_then(|response| body_size(&response.body)),
            tls: exchange.request.scheme == "https" || exchange.tls.is_some(),
            error: exchange.error.as_deref().map(|error| secrets.url_text(error)),
        }
    }
}

/// The same list as [`ExchangeList`], each row built as it is asked for: it serialises to the
/// bytes of [`ExchangeList::new`] without holding a row per exchange (`regauth exchanges`).
#[derive(Clone, Copy, Debug)]
pub struct StreamedExchangeList<'a> {
    capture: &'a Capture,
    secrets: Secrets,
}

impl<'a> StreamedExchangeList<'a> {
    pub fn new(capture: &'a Capture, secrets: Secrets) -> Self {
        StreamedExchangeList { capture, secrets }
    }

    pub fn sources(&self) -> Vec<SourceRow> {
        SourceRow::list(self.capture)
    }

    pub fn exchanges(&self) -> impl ExactSizeIterator<Item = ExchangeRow> + 'a {
        let secrets = self.secrets;
        self.capture.exchanges.iter().map(move |exchange| ExchangeRow::new(exchange, secrets))
    }

    pub fn problems(&self) -> Vec<ProblemRow> {
        ProblemRow::list(self.capture, self.secrets)
    }

    pub fn notes(&self) -> Vec<NoteRow> {
        NoteRow::list(self.capture)
    }
}

impl Serialize for StreamedExchangeList<'_> {
    /// The fields of [`ExchangeList`], in its order.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut list = serializer.serialize_struct("ExchangeList", 5)?;
        list.serialize_field("schema", SCHEMA)?;
        list.serialize_field("sources", &self.sources())?;
        list.serialize_field("exchanges", &SerializedRows(|| self.exchanges()))?;
        list.serialize_field("problems", &self.problems())?;
        list.serialize_field("notes", &self.notes())?;
        list.end()
    }
}
