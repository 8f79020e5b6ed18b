//! The normalized exchange model every reader produces and the auth engine consumes.
//!
//! These are plain value types, deliberately not `Serialize`: the wire formats live in the
//! report layer, so changing an internal type never changes an output contract by accident.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

/// The string type of an exchange's small text fields (method, scheme, host, versions,
/// reason, addresses, encodings, MIME types): a thin (8-byte) reference-counted string, so
/// equal values read from many exchanges are stored once (readers intern them: see
/// [`TextInterner`]). It dereferences to `str` and compares with `&str` and `String`; build
/// one with `ArcStr::from("GET")` or `"GET".into()`.
///
/// Eight bytes, not the 24 of an inline small string: an exchange has fifteen such fields,
/// and on a capture of a hundred thousand small exchanges they were a third of its model
/// (issue 9: peak memory within twice the input).
pub use arcstr::ArcStr;
use bytes::Bytes;
use chrono::{DateTime, Utc};
/// Small text built while reading (lower-cased, formatted) before it is interned.
pub(crate) use compact_str::CompactString;

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
    pub server_address: Option<ArcStr>,
    /// `ip:port` of the client, when the recorder noted it.
    pub client_address: Option<ArcStr>,
    /// TLS facts of the server connection; `None` for plain HTTP or when the source has none.
    /// Shared: the exchanges of one connection have the same facts, and a reader hands them
    /// one copy (a few hundred bytes an exchange otherwise, a sixth of a header-heavy capture's).
    pub tls: Option<Arc<TlsInfo>>,
    /// Why the exchange did not complete (connection refused, TLS failure, aborted response).
    /// Boxed at its length: 8 bytes less in every exchange, and most have none.
    pub error: Option<Box<str>>,
    /// The recorder's name for the connection the exchange used (HAR `connection`), so
    /// exchanges that shared a connection (and so its TLS session and credentials) can be grouped.
    pub connection: Option<ArcStr>,
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
    pub method: ArcStr,
    /// `http` or `https` (lower case).
    pub scheme: ArcStr,
    /// Host name or IP literal, without port and without IPv6 brackets.
    pub host: ArcStr,
    pub port: u16,
    /// Path plus query, as sent (`/v2/library/alpine/manifests/latest?x=1`).
    pub path: String,
    /// `HTTP/1.1`, `HTTP/2.0`, ... as the source spells it; empty when unknown.
    pub http_version: ArcStr,
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
        // Built in one allocation: listing a capture asks every exchange for its URL.
        let mut url =
            String::with_capacity(self.scheme.len() + self.host.len() + self.path.len() + 11);
        url.push_str(&self.scheme);
        url.push_str("://");
        if self.host.contains(':') {
            url.push('[');
            url.push_str(&self.host);
            url.push(']');
        } else {
            url.push_str(&self.host);
        }
        if self.port != default_port && self.port != 0 {
            url.push(':');
            url.push_str(itoa::Buffer::new().format(self.port));
        }
        url.push_str(&self.path);
        url
    }

    /// [`Self::authority`] shared through `names`: the request's own `host` when the port is
    /// the default, so a capture of a hundred thousand hosts does not name each twice.
    pub(crate) fn shared_authority(&self, names: &mut TextInterner) -> ArcStr {
        if self.has_default_port() { names.share(&self.host) } else { names.get(&self.authority()) }
    }

    /// [`Self::authority`] as an `ArcStr`: the request's own `host` (not a copy) when the port
    /// is the default.
    pub(crate) fn authority_arc(&self) -> ArcStr {
        if self.has_default_port() { self.host.clone() } else { ArcStr::from(self.authority()) }
    }

    fn has_default_port(&self) -> bool {
        let default_port = if self.scheme == "http" { 80 } else { 443 };
        self.port == default_port || self.port == 0
    }

    /// `host` or `host:port` when the port is not the scheme's default; how registries are named.
    pub fn authority(&self) -> String {
        if self.has_default_port() {
            self.host.to_string()
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
    pub reason: ArcStr,
    pub http_version: ArcStr,
    pub headers: Headers,
    pub body: Body,
}

/// Header fields in wire order, repeats kept. Names keep their original case.
///
/// Readers borrow the text from the input: a field is two spans into `source` (a slice of the
/// input buffer), so reading a header-heavy capture allocates nothing per field. A HAR value
/// with JSON escapes (every `WWW-Authenticate`: `Bearer realm=\"…\"`) stays a span of its
/// escaped text and is unescaped each time it is read, which is why values come out as
/// `Cow<str>`: a copy of every challenge was an eighth of the analysis' memory on captures of
/// many 401s (issue 9). Fields whose text is not in the input (flow values that are not UTF-8,
/// HAR text with `\u` escapes, fields added in code) live in `owned`. Each field costs 16
/// bytes either way.
#[derive(Clone, Default)]
pub struct Headers {
    /// The input text borrowed fields point into (validated UTF-8 field by field when read).
    source: Bytes,
    /// Text of the fields that are not in `source`; boxed, as few header lists have any
    /// (8 bytes instead of 24 in every exchange's two lists).
    #[expect(clippy::box_collection, reason = "8 bytes inline where most lists need none")]
    owned: Option<Box<String>>,
    fields: Vec<HeaderField>,
}

#[derive(Clone, Copy, Debug)]
struct HeaderField {
    name: Span,
    value: Span,
}

/// Where a name or value is: `start | OWNED` in `owned`, else in `source`; `len | JSON_ESCAPED`
/// when the text there still has JSON string escapes (values only, never names).
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    len: u32,
}

const OWNED: u32 = 1 << 31;
const JSON_ESCAPED: u32 = 1 << 31;

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        let start = (self.start & !OWNED) as usize;
        start..start + (self.len & !JSON_ESCAPED) as usize
    }
}

impl Headers {
    /// Appends a field whose name and value are, if possible, slices of this `Headers`' source;
    /// text found elsewhere is copied.
    fn push_from_source(&mut self, name: &str, value: &str) {
        let name = self.span_in_source(name).unwrap_or_else(|| self.own(name));
        let value = self.span_in_source(value).unwrap_or_else(|| self.own(value));
        self.fields.push(HeaderField { name, value });
    }

    /// Appends a field whose name and value are, if possible, slices of `buffer` (the whole
    /// input); text found elsewhere is copied.
    pub(crate) fn push_borrowing(&mut self, buffer: &Bytes, name: &str, value: &str) {
        self.borrow_from(buffer, name, value);
        self.push_from_source(name, value);
    }

    /// Makes `source`, a slice of the input that is UTF-8 text, the text this empty list's
    /// fields are spans of, for [`Self::push_source_spans`]. False, and nothing changed, when
    /// the list is not empty or `source` is too long for spans (2 GiB).
    pub(crate) fn borrow_all_from(&mut self, source: Bytes) -> bool {
        let fits = u32::try_from(source.len()).is_ok_and(|len| len & OWNED == 0);
        if !fits || !self.fields.is_empty() || !self.source.is_empty() {
            return false;
        }
        self.source = source;
        true
    }

    /// Appends a field whose name and value are the byte ranges `name` and `value` of the
    /// source given to [`Self::borrow_all_from`], which start and end on character boundaries:
    /// for a reader that knows where each field is, this costs a few instructions a field,
    /// where finding the text's place in the input, as [`Self::push_borrowing`] does, was a
    /// fifth of the time spent reading a header-heavy flow file. A range outside the source
    /// reads as empty text.
    #[inline]
    pub(crate) fn push_source_spans(
        &mut self,
        name: std::ops::Range<usize>,
        value: std::ops::Range<usize>,
    ) {
        // Inside a source shorter than 2 GiB neither flag can be set; masking them keeps a
        // wrong range from reading as owned or escaped text.
        let span = |range: std::ops::Range<usize>| Span {
            start: range.start as u32 & !OWNED,
            len: range.end.saturating_sub(range.start) as u32 & !JSON_ESCAPED,
        };
        self.fields.push(HeaderField { name: span(name), value: span(value) });
    }

    /// Appends a field whose value is the text between the quotes of a JSON string literal
    /// with escapes (`Bearer realm=\"r\"`), kept escaped as a span of `buffer` when it is
    /// one and unescaped when read. The caller checked the literal's syntax, and it has no
    /// `\u` escapes, so unescaping it gives exactly what serde_json would.
    pub(crate) fn push_borrowing_escaped(&mut self, buffer: &Bytes, name: &str, escaped: &str) {
        self.borrow_from(buffer, name, escaped);
        let name = self.span_in_source(name).unwrap_or_else(|| self.own(name));
        let value = match self.span_in_source(escaped) {
            Some(span) => Span { len: span.len | JSON_ESCAPED, ..span },
            None => self.own(&crate::capture::json_string::unescape_inner(escaped.as_bytes())),
        };
        self.fields.push(HeaderField { name, value });
    }

    /// The first field borrowed fixes where this `Headers`' source starts in `buffer`, so
    /// later fields (further on in the input) are spans from there.
    fn borrow_from(&mut self, buffer: &Bytes, name: &str, value: &str) {
        if self.source.is_empty() {
            let start =
                match (offset_in(buffer, name.as_bytes()), offset_in(buffer, value.as_bytes())) {
                    (Some(name), Some(value)) => Some(name.min(value)),
                    (name, value) => name.or(value),
                };
            if let Some(start) = start {
                self.source = buffer.slice(start..);
            }
        }
    }

    /// Moves the fields out into a `Headers` of their own whose field list is allocated at its
    /// exact size, and leaves `self` empty with its capacity kept: readers collect each header
    /// list in one reused `Headers` this way, so no list regrows and none holds spare room.
    pub(crate) fn take_compact(&mut self) -> Headers {
        let fields = self.fields.as_slice().to_vec();
        self.fields.clear();
        let mut owned = self.owned.take();
        if let Some(owned) = &mut owned {
            owned.shrink_to_fit();
        }
        Headers { source: std::mem::take(&mut self.source), owned, fields }
    }

    fn span_in_source(&self, text: &str) -> Option<Span> {
        let base = self.source.as_ptr() as usize;
        let start = (text.as_ptr() as usize).checked_sub(base)?;
        let end = start.checked_add(text.len())?;
        if end > self.source.len() {
            return None;
        }
        let start = u32::try_from(start).ok().filter(|start| start & OWNED == 0)?;
        let len = u32::try_from(text.len()).ok().filter(|len| len & JSON_ESCAPED == 0)?;
        Some(Span { start, len })
    }

    fn own(&mut self, text: &str) -> Span {
        let owned = self.owned.get_or_insert_default();
        let start = owned.len();
        match (u32::try_from(start), u32::try_from(text.len())) {
            (Ok(start), Ok(len)) if start & OWNED == 0 && len & JSON_ESCAPED == 0 => {
                owned.push_str(text);
                Span { start: start | OWNED, len }
            }
            // Past 2 GiB of header text in one message; nothing real gets here.
            _ => Span { start: OWNED, len: 0 },
        }
    }

    /// The text of a name, or of a value with no JSON escapes kept (see [`Self::value`]).
    fn text(&self, span: Span) -> &str {
        let range = span.range();
        if span.start & OWNED != 0 {
            self.owned.as_deref().and_then(|owned| owned.get(range)).unwrap_or_default()
        } else {
            // Readers only borrow text they checked to be UTF-8, so this never falls back.
            self.source
                .get(range)
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .unwrap_or_default()
        }
    }

    /// The text of a value: borrowed, or unescaped when it was kept JSON-escaped.
    fn value(&self, span: Span) -> Cow<'_, str> {
        if span.len & JSON_ESCAPED != 0 {
            Cow::Owned(crate::capture::json_string::unescape_inner(self.raw(span)))
        } else {
            Cow::Borrowed(self.text(span))
        }
    }

    /// The bytes of a span, not checked to be UTF-8 again: for comparing names, where
    /// checking every field on every lookup was most of a lookup's cost.
    fn raw(&self, span: Span) -> &[u8] {
        let range = span.range();
        let bytes = if span.start & OWNED != 0 {
            self.owned.as_deref().map_or(&[][..], String::as_bytes)
        } else {
            &self.source
        };
        bytes.get(range).unwrap_or_default()
    }

    /// Whether the field's name is `name`, ASCII case-insensitively.
    fn is_named(&self, field: &HeaderField, name: &str) -> bool {
        // Both sides are UTF-8 (see `text`), so comparing bytes equals comparing text.
        field.name.len as usize == name.len()
            && self.raw(field.name).eq_ignore_ascii_case(name.as_bytes())
    }

    /// Appends a field (copied).
    pub fn push(&mut self, name: &str, value: &str) {
        let name = self.own(name);
        let value = self.own(value);
        self.fields.push(HeaderField { name, value });
    }

    /// Keeps only the fields for which `keep(name, value)` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        let fields = std::mem::take(&mut self.fields);
        self.fields = fields
            .into_iter()
            .filter(|field| keep(self.text(field.name), &self.value(field.value)))
            .collect();
    }

    /// Replaces the value of the field at `position` (wire order); does nothing past the end.
    pub fn set_value(&mut self, position: usize, value: &str) {
        if position < self.fields.len() {
            let span = self.own(value);
            self.fields[position].value = span;
        }
    }

    /// The field at `position` in wire order.
    pub fn at(&self, position: usize) -> Option<(&str, Cow<'_, str>)> {
        self.fields.get(position).map(|field| (self.text(field.name), self.value(field.value)))
    }

    /// The first value of `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        self.fields
            .iter()
            .find(|field| self.is_named(field, name))
            .map(|field| self.value(field.value))
    }

    /// Every value of `name` (ASCII case-insensitive), in wire order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Cow<'a, str>> + 'a {
        self.fields
            .iter()
            .filter(move |field| self.is_named(field, name))
            .map(|field| self.value(field.value))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Cow<'_, str>)> {
        self.fields.iter().map(|field| (self.text(field.name), self.value(field.value)))
    }

    /// Bytes of memory the fields take beyond the `Headers` value itself (for read budgets).
    pub(crate) fn heap_size(&self) -> usize {
        self.fields.capacity() * size_of::<HeaderField>()
            + self.owned.as_deref().map_or(0, |owned| size_of::<String>() + owned.capacity())
    }
}

/// The part of `text` that `part` picks (a slice of it), borrowed as `text` is: for reading
/// a piece of a header value ([`Headers::get`]) without copying the values that need none.
pub(crate) fn narrow_text<'a>(
    text: Cow<'a, str>,
    part: impl FnOnce(&str) -> Option<&str>,
) -> Option<Cow<'a, str>> {
    match text {
        Cow::Borrowed(text) => part(text).map(Cow::Borrowed),
        Cow::Owned(text) => part(&text).map(|part| Cow::Owned(part.to_owned())),
    }
}

/// Where `part` starts in `buffer`, if it is a non-empty slice of it.
fn offset_in(buffer: &[u8], part: &[u8]) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(buffer.as_ptr() as usize)?;
    (!part.is_empty() && start.checked_add(part.len())? <= buffer.len()).then_some(start)
}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(fields: I) -> Headers {
        let mut headers = Headers::default();
        for (name, value) in fields {
            headers.push(name.as_ref(), value.as_ref());
        }
        headers
    }
}

impl From<Vec<(String, String)>> for Headers {
    fn from(fields: Vec<(String, String)>) -> Headers {
        fields.into_iter().collect()
    }
}

/// A message body as the source holds it; decoded only when someone asks.
///
/// Readers hand out slices of the input buffer (`Bytes::slice_ref`) wherever the source
/// stores a body verbatim, so a body-heavy capture is scanned, not copied.
///
/// Decoding (base64, JSON escapes, `Content-Encoding`) happens on demand, up to a limit the
/// caller names for its use ([`decode_limits`]). A decompressed result is cached in the body:
/// asking again for the same or a shorter prefix costs nothing. Decompression is also charged to the
/// capture's decoding budget ([`DecodeBudget`]), so no capture can make its readers inflate
/// more than a fixed multiple of its own size, however many bodies it holds.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub data: BodyData,
    /// Size of the body on the wire (after content-encoding), when known.
    pub size: Option<u64>,
    /// `Content-Encoding` that `data` still carries (`gzip`, `br`, ...); empty when identity.
    pub content_encoding: ArcStr,
    /// MIME type the source recorded (HAR `content.mimeType`), if any.
    pub mime_type: Option<ArcStr>,
    /// The decompressed prefix asked for last, and the budget decompression is charged to.
    /// `DecodeCache::default()` (or `..Body::default()`) for bodies built in code.
    pub cache: DecodeCache,
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

impl BodyData {
    /// Identifies the stored bytes, so a cache can tell whether `data` was replaced.
    fn fingerprint(&self) -> (u8, usize, usize) {
        match self {
            BodyData::Absent => (0, 0, 0),
            BodyData::Raw(bytes) => (1, bytes.as_ptr() as usize, bytes.len()),
            BodyData::Base64(bytes) => (2, bytes.as_ptr() as usize, bytes.len()),
            BodyData::Latin1Text(bytes) => (3, bytes.as_ptr() as usize, bytes.len()),
            BodyData::JsonEscapedText(bytes) => (4, bytes.as_ptr() as usize, bytes.len()),
        }
    }
}

/// Decoding limits for each use the analysis has for a body: enough for what it looks for,
/// small enough that a hostile capture cannot make it decode megabytes per exchange.
pub mod decode_limits {
    /// A token service's JSON answer (`token`, `access_token`, `expires_in`, ...). Real ones
    /// are a few KiB; a JWT with a long `x5c` chain stays well under 64 KiB.
    pub const TOKEN_RESPONSE: usize = 1 << 20;
    /// A registry error body (`{"errors":[...]}`) or an HTML error page.
    pub const ERROR_BODY: usize = 64 << 10;
    /// A form-encoded token request or a Docker Engine `/auth` body.
    pub const REQUEST_FORM: usize = 64 << 10;
    /// The JSON-lines progress stream of a Docker Engine push or pull.
    pub const ENGINE_STREAM: usize = 4 << 20;
    /// What [`super::Body::decoded_tail`] may decompress for a body with no input budget
    /// (bodies built in code).
    pub const TAIL_WITHOUT_BUDGET: u64 = 256 << 20;
}

/// A decoded part of a body: its beginning ([`Body::decoded_prefix`]) or its end
/// ([`Body::decoded_tail`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedPrefix {
    /// At most the limit asked for.
    pub bytes: Bytes,
    /// Whether `bytes` is the whole decoded body (`false`: it goes on past the limit, or
    /// began before it for a tail).
    pub complete: bool,
}

/// How many bytes decompressing bodies may produce for one capture, shared by its bodies.
///
/// Readers give every body of an input the same budget, sized from the input
/// (`ReadLimits::max_decoded_ratio` × its size + a floor), so decoding is bounded by the
/// input's size however many bodies the analysis decodes. Bodies built in code have none.
#[derive(Debug)]
pub struct DecodeBudget {
    remaining: AtomicU64,
    total: u64,
    /// A separate pool for reading the ends of long encoded streams
    /// ([`Body::decoded_tail`]), so decoding a big stream through cannot starve the small
    /// bodies (token answers, error bodies) the analysis decodes after it.
    tail_remaining: AtomicU64,
}

impl DecodeBudget {
    /// How many times the decoding budget the tail pool holds: an encoded stream can only be
    /// judged by its end after decompressing all of it, and progress streams compress 10–30×.
    pub const TAIL_FACTOR: u64 = 4;

    pub fn new(total: u64) -> DecodeBudget {
        DecodeBudget {
            remaining: AtomicU64::new(total),
            total,
            tail_remaining: AtomicU64::new(total.saturating_mul(Self::TAIL_FACTOR)),
        }
    }

    /// The size of the pool for stream ends.
    pub fn tail_total(&self) -> u64 {
        self.total.saturating_mul(Self::TAIL_FACTOR)
    }

    /// Takes `n` bytes from the pool for stream ends; false (taking nothing) when fewer remain.
    pub(crate) fn take_tail(&self, n: u64) -> bool {
        take_from(&self.tail_remaining, n)
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn remaining(&self) -> u64 {
        self.remaining.load(AtomicOrdering::Relaxed)
    }

    /// Takes `n` bytes; false (taking nothing) when fewer remain.
    pub(crate) fn take(&self, n: u64) -> bool {
        take_from(&self.remaining, n)
    }
}

fn take_from(pool: &AtomicU64, n: u64) -> bool {
    let taken = pool
        .fetch_update(AtomicOrdering::Relaxed, AtomicOrdering::Relaxed, |left| left.checked_sub(n))
        .is_ok();
    if !taken {
        // Spent: later bodies fail at once instead of each decoding a little first.
        pool.store(0, AtomicOrdering::Relaxed);
    }
    taken
}

/// What [`Body::decoded_prefix`] keeps between calls (see [`Body`]): for a body whose
/// decompression is charged to a budget, the budget, how much of the body was charged to it,
/// and the decompressed prefix asked for last until `Body::forget_decoded`; nothing for
/// other bodies.
///
/// Boxed, and only for bodies that have a budget: few bodies of a capture are stored
/// compressed, and every exchange has two bodies (8 bytes each instead of 24; issue 9).
#[derive(Default)]
pub struct DecodeCache(Option<Box<Decompression>>);

struct Decompression {
    budget: Arc<DecodeBudget>,
    last: Mutex<Option<CachedDecode>>,
}

struct CachedDecode {
    /// `BodyData::fingerprint` and `content_encoding` of the body this was decoded from.
    fingerprint: (u8, usize, usize),
    content_encoding: String,
    /// Decoded bytes of this body already charged to the budget: decoding them again is free.
    charged: u64,
    /// The last result and the limit it was decoded with; `None` once forgotten.
    kept: Option<(usize, Result<DecodedPrefix, BodyError>)>,
}

impl DecodeCache {
    fn budget(&self) -> Option<&DecodeBudget> {
        self.0.as_deref().map(|decompression| &*decompression.budget)
    }
}

impl Clone for DecodeCache {
    fn clone(&self) -> DecodeCache {
        DecodeCache(self.0.as_deref().map(|decompression| {
            Box::new(Decompression {
                budget: Arc::clone(&decompression.budget),
                last: Mutex::new(None),
            })
        }))
    }
}

impl std::fmt::Debug for DecodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecodeCache")
    }
}

impl Body {
    /// A body that charges decompression to `budget` (readers give each body of an input the same one).
    pub(crate) fn with_budget(mut self, budget: &Arc<DecodeBudget>) -> Body {
        self.cache = DecodeCache(Some(Box::new(Decompression {
            budget: Arc::clone(budget),
            last: Mutex::new(None),
        })));
        self
    }

    /// Where `text` is written verbatim in the body as recorded, as a slice sharing the
    /// input's buffer: so a value read from the body (a token) can be kept without a copy.
    /// `None` when the body is base64 or content-encoded, or `text` is not in it as is (JSON
    /// escapes, for one); the caller then keeps a copy.
    pub fn find_verbatim(&self, text: &str) -> Option<Bytes> {
        if !self.content_encoding.is_empty() || text.is_empty() {
            return None;
        }
        let stored = match &self.data {
            BodyData::Raw(bytes)
            | BodyData::Latin1Text(bytes)
            | BodyData::JsonEscapedText(bytes) => bytes,
            BodyData::Absent | BodyData::Base64(_) => return None,
        };
        let at = memchr::memmem::find(stored, text.as_bytes())?;
        Some(stored.slice(at..at + text.len()))
    }

    /// The body bytes, with base64 undone but content-encoding kept.
    pub fn wire_bytes(&self) -> Result<Cow<'_, [u8]>, BodyError> {
        match &self.data {
            BodyData::Absent => Ok(Cow::Borrowed(&[])),
            BodyData::Raw(bytes) => Ok(Cow::Borrowed(bytes)),
            BodyData::Base64(text) => decode_base64_lenient(text, usize::MAX).map(Cow::Owned),
            BodyData::JsonEscapedText(literal) => Ok(Cow::Owned(
                crate::capture::json_string::unescape_prefix(literal, usize::MAX).into_bytes(),
            )),
            BodyData::Latin1Text(text) => Ok(latin1_prefix(text, usize::MAX)),
        }
    }

    /// The length of [`Body::wire_bytes`] without decoding it (exact for raw and base64
    /// bodies, an upper bound for escaped text).
    pub fn wire_len(&self) -> u64 {
        match &self.data {
            BodyData::Absent => 0,
            BodyData::Raw(bytes) | BodyData::Latin1Text(bytes) => bytes.len() as u64,
            BodyData::JsonEscapedText(literal) => literal.len().saturating_sub(2) as u64,
            BodyData::Base64(text) => {
                let significant = text.iter().filter(|byte| !byte.is_ascii_whitespace()).count();
                let padding = text
                    .iter()
                    .rev()
                    .filter(|byte| !byte.is_ascii_whitespace())
                    .take(2)
                    .filter(|&&byte| byte == b'=')
                    .count();
                ((significant - padding) * 3 / 4) as u64
            }
        }
    }

    /// The first `limit` bytes of the body with base64, JSON escapes and content-encoding
    /// undone, and whether that is all of it. Decompressed once: that result is cached in the
    /// body, and later calls with the same or a smaller limit return a slice of it, until
    /// the engine drops it (`forget_decoded`; decoding it again then charges the budget nothing).
    ///
    /// Bodies without content-encoding are decoded again on each call: undoing base64 or JSON
    /// escapes is one pass over at most `limit` bytes, charged to no budget, whereas keeping
    /// it held a copy of every such body through the analysis (issue 9: a hundred thousand
    /// token answers, kept decoded, cost a third of the capture again).
    pub fn decoded_prefix(&self, limit: usize) -> Result<DecodedPrefix, BodyError> {
        let content_encoding = self.content_encoding.trim();
        if let (BodyData::Raw(bytes), "") = (&self.data, content_encoding) {
            // Already decoded: a slice of the input, nothing to cache.
            return Ok(DecodedPrefix {
                bytes: bytes.slice(..bytes.len().min(limit)),
                complete: bytes.len() <= limit,
            });
        }
        if let BodyData::Absent = self.data {
            return Ok(DecodedPrefix { bytes: Bytes::new(), complete: true });
        }
        let (false, Some(decompression)) = (content_encoding.is_empty(), self.cache.0.as_deref())
        else {
            // Nothing to cache (see above), or no budget to keep from charging twice (a body
            // built in code).
            return self.decode_uncached(content_encoding, limit);
        };
        let fingerprint = self.data.fingerprint();
        let mut slot = decompression.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let same = slot.as_ref().filter(|cached| {
            cached.fingerprint == fingerprint && cached.content_encoding == content_encoding
        });
        if let Some((cached_limit, result)) = same.and_then(|cached| cached.kept.as_ref()) {
            match result {
                Ok(prefix) if prefix.complete || limit <= prefix.bytes.len() => {
                    return Ok(DecodedPrefix {
                        bytes: prefix.bytes.slice(..prefix.bytes.len().min(limit)),
                        complete: prefix.complete && prefix.bytes.len() <= limit,
                    });
                }
                Err(err) if limit >= *cached_limit => return Err(err.clone()),
                _ => {}
            }
        }
        let prepaid = same.map_or(0, |cached| cached.charged);
        let decoded = self.wire_bytes().and_then(|wire| {
            crate::capture::content_encoding::decode_prefix_prepaid(
                content_encoding,
                &wire,
                limit,
                Some(&decompression.budget),
                prepaid,
            )
        });
        let (result, charged) = match decoded {
            Ok((prefix, n_decoded)) => (Ok(prefix), prepaid.max(n_decoded)),
            Err(err) => (Err(err), prepaid),
        };
        if !matches!(result, Err(BodyError::BudgetSpent { .. })) {
            *slot = Some(CachedDecode {
                fingerprint,
                content_encoding: content_encoding.to_owned(),
                charged,
                kept: Some((limit, result.clone())),
            });
        }
        result
    }

    /// Drops the decoded prefix a decompressed body keeps ([`Body::decoded_prefix`]), keeping
    /// what its decoding was charged to the budget: decoding it again later charges nothing
    /// twice. For a body whose last reader in the analysis has what it needs of it (a token
    /// answer, parsed): a capture of thousands of compressed token answers otherwise held the
    /// whole decoding budget in decoded copies to the end (issue 9).
    pub(crate) fn forget_decoded(&self) {
        if let Some(decompression) = self.cache.0.as_deref() {
            let mut slot =
                decompression.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(cached) = slot.as_mut() {
                cached.kept = None;
            }
        }
    }

    fn decode_uncached(
        &self,
        content_encoding: &str,
        limit: usize,
    ) -> Result<DecodedPrefix, BodyError> {
        if content_encoding.is_empty() {
            // One byte past the limit tells whether the body goes on.
            let wanted = limit.saturating_add(1);
            let mut bytes = match &self.data {
                BodyData::Absent => Vec::new(),
                BodyData::Raw(bytes) => bytes[..bytes.len().min(wanted)].to_vec(),
                BodyData::Base64(text) => decode_base64_lenient(text, wanted)?,
                BodyData::JsonEscapedText(literal) => {
                    crate::capture::json_string::unescape_prefix(literal, wanted).into_bytes()
                }
                BodyData::Latin1Text(text) => latin1_prefix(text, wanted).into_owned(),
            };
            let complete = bytes.len() <= limit;
            bytes.truncate(limit);
            return Ok(DecodedPrefix { bytes: Bytes::from(bytes), complete });
        }
        let wire = self.wire_bytes()?;
        crate::capture::content_encoding::decode_prefix(
            content_encoding,
            &wire,
            limit,
            self.cache.budget(),
        )
    }

    /// The body bytes with base64 and content-encoding undone, capped at `limit` bytes of output.
    pub fn decoded(&self, limit: usize) -> Result<Cow<'_, [u8]>, BodyError> {
        if let (BodyData::Raw(bytes), "") = (&self.data, self.content_encoding.trim()) {
            return Ok(Cow::Borrowed(&bytes[..bytes.len().min(limit)]));
        }
        self.decoded_prefix(limit).map(|prefix| Cow::Owned(prefix.bytes.to_vec()))
    }

    /// The last `keep` bytes of the body with base64 and content-encoding undone, and whether
    /// that is all of it. Decompresses the whole body, keeping only its end, and charges what
    /// it produces to the tail pool of the input's budget ([`DecodeBudget::take_tail`]);
    /// bodies built in code may produce at most [`decode_limits::TAIL_WITHOUT_BUDGET`].
    /// Not cached: the one caller (Docker Engine streams) asks once per body, and only after
    /// [`Body::decoded_prefix`] found the body longer than its prefix.
    pub fn decoded_tail(&self, keep: usize) -> Result<DecodedPrefix, BodyError> {
        let content_encoding = self.content_encoding.trim();
        let wire = self.wire_bytes()?;
        if content_encoding.is_empty() {
            let start = wire.len().saturating_sub(keep);
            return Ok(DecodedPrefix {
                bytes: Bytes::copy_from_slice(&wire[start..]),
                complete: start == 0,
            });
        }
        crate::capture::content_encoding::decode_tail(
            content_encoding,
            &wire,
            keep,
            self.cache.budget(),
        )
    }

    /// The decoded body as text (lossy), capped at `limit` bytes.
    pub fn text(&self, limit: usize) -> Result<String, BodyError> {
        Ok(String::from_utf8_lossy(&self.decoded_prefix(limit)?.bytes).into_owned())
    }

    /// The lines of the first `limit` decoded bytes (without `\n` or `\r\n`), each a slice of
    /// the decoded prefix; a line cut by the limit is left out. For JSON-lines streams such as
    /// Docker Engine progress, read line by line without copying.
    pub fn lines(&self, limit: usize) -> Result<BodyLines, BodyError> {
        let prefix = self.decoded_prefix(limit)?;
        let end = if prefix.complete {
            prefix.bytes.len()
        } else {
            memchr::memrchr(b'\n', &prefix.bytes).map_or(0, |newline| newline + 1)
        };
        Ok(BodyLines { rest: prefix.bytes.slice(..end) })
    }

    pub fn is_absent(&self) -> bool {
        matches!(self.data, BodyData::Absent)
    }
}

/// Where readers get the [`ArcStr`] of an exchange's small text: one shared copy per distinct
/// value (most exchanges of a capture repeat a few methods, hosts and versions). The analysis
/// shares its names (registry, repository, realm, service, issuer) through one too
/// ([`TextInterner::unbounded`]).
///
/// One per reading thread, so equal values read on two threads may be two copies.
pub(crate) struct TextInterner {
    texts: std::collections::HashSet<ArcStr>,
    /// Above this many distinct values a new one is no longer kept for sharing (it is still
    /// returned).
    max_distinct: usize,
}

impl Default for TextInterner {
    /// For readers: at most [`Self::MAX_DISTINCT`] values kept, so a hostile capture of
    /// unique values costs no table on top of them.
    fn default() -> TextInterner {
        TextInterner { texts: std::collections::HashSet::new(), max_distinct: Self::MAX_DISTINCT }
    }
}

impl TextInterner {
    const MAX_DISTINCT: usize = 1 << 16;

    /// Every distinct value kept: for the analysis' names, which sessions, roles, challenges
    /// and clocks hold for the whole analysis, so sharing each is worth its table entry.
    pub(crate) fn unbounded() -> TextInterner {
        TextInterner { texts: std::collections::HashSet::new(), max_distinct: usize::MAX }
    }

    /// The shared copy of `text`, made the first time it is seen.
    pub(crate) fn get(&mut self, text: &str) -> ArcStr {
        if text.is_empty() {
            return ArcStr::new();
        }
        if let Some(shared) = self.texts.get(text) {
            return shared.clone();
        }
        let shared = ArcStr::from(text);
        if self.texts.len() < self.max_distinct {
            self.texts.insert(shared.clone());
        }
        shared
    }

    /// The shared copy of `text`; `text` itself (not a copy) the first time it is seen.
    pub(crate) fn share(&mut self, text: &ArcStr) -> ArcStr {
        if let Some(shared) = self.texts.get(text.as_str()) {
            return shared.clone();
        }
        if self.texts.len() < self.max_distinct {
            self.texts.insert(text.clone());
        }
        text.clone()
    }
}

/// Lines of a decoded body (see [`Body::lines`]).
#[derive(Clone, Debug)]
pub struct BodyLines {
    rest: Bytes,
}

impl Iterator for BodyLines {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        if self.rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', &self.rest).unwrap_or(self.rest.len());
        let mut line = self.rest.slice(..end);
        self.rest = self.rest.slice((end + 1).min(self.rest.len())..);
        if line.ends_with(b"\r") {
            line.truncate(line.len() - 1);
        }
        Some(line)
    }
}

/// Decodes base64 text (standard alphabet, padded or not, whitespace ignored) up to `limit`
/// output bytes, decoding only as much of the text as that takes.
fn decode_base64_lenient(text: &[u8], limit: usize) -> Result<Vec<u8>, BodyError> {
    use base64::Engine as _;
    let wanted_chars = limit.div_ceil(3).saturating_mul(4);
    let trimmed: Vec<u8> = text
        .iter()
        .copied()
        .filter(|byte| !byte.is_ascii_whitespace())
        .take(wanted_chars)
        .collect();
    let mut decoded = base64::engine::general_purpose::STANDARD
        .decode(&trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&trimmed))
        .map_err(|err| BodyError::Base64(err.to_string()))?;
    decoded.truncate(limit);
    Ok(decoded)
}

/// Text written one character per byte, back to bytes (or as it is, if it is not that).
fn latin1_prefix(text: &[u8], limit: usize) -> Cow<'_, [u8]> {
    match std::str::from_utf8(text) {
        Ok(text) if text.chars().all(|ch| (ch as u32) < 256) => {
            Cow::Owned(text.chars().take(limit).map(|ch| ch as u8).collect())
        }
        _ => Cow::Borrowed(&text[..text.len().min(limit)]),
    }
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
    #[error(
        "body not decoded: decompressing the bodies of this input may produce at most {budget} bytes in all \
         (the input's decoding budget, `max_decoded_ratio` times its size; raise it with regauth's \
         --max-decoded-ratio), and that budget is spent"
    )]
    BudgetSpent { budget: u64 },
    #[error(
        "its end not read: decompressing long streams to read their ends may produce at most {budget} bytes in all \
         for this input ({factor} times its decoding budget; raise it with regauth's --max-decoded-ratio), and that is spent",
        factor = DecodeBudget::TAIL_FACTOR
    )]
    TailBudgetSpent { budget: u64 },
}

/// TLS facts of one server connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn gzip_body(data: &[u8]) -> Body {
        Body {
            data: BodyData::Raw(Bytes::from(gzip(data))),
            content_encoding: "gzip".into(),
            ..Body::default()
        }
    }

    // hand-written fixtures: a token in bodies stored every way a reader stores one
    #[test]
    fn text_written_verbatim_in_a_body_is_found_as_a_slice_of_its_buffer() {
        let input = Bytes::from_static(br#"{\"token\":\"eyJh.eyJj.c2ln\",\"url\":\"a\/b\"}"#);
        let body = |data: BodyData| Body { data, ..Body::default() };
        let escaped = body(BodyData::JsonEscapedText(input.clone()));
        let found = escaped.find_verbatim("eyJh.eyJj.c2ln").expect("verbatim in the literal");
        assert_eq!(&found[..], b"eyJh.eyJj.c2ln");
        // The same memory, not a copy.
        let offset = found.as_ptr() as usize - input.as_ptr() as usize;
        assert_eq!(&input[offset..offset + found.len()], &found[..]);
        // Text whose JSON spelling differs is not there as is.
        assert_eq!(escaped.find_verbatim("a/b"), None);
        let raw = body(BodyData::Raw(Bytes::from_static(b"token=abc&x=1")));
        assert_eq!(raw.find_verbatim("abc").as_deref(), Some(&b"abc"[..]));
        assert_eq!(raw.find_verbatim("abd"), None);
        assert_eq!(raw.find_verbatim(""), None);
        assert_eq!(body(BodyData::Base64(Bytes::from_static(b"YWJj"))).find_verbatim("YWJj"), None);
        assert_eq!(gzip_body(b"abc").find_verbatim("abc"), None);
        assert_eq!(Body::default().find_verbatim("abc"), None);
    }

    // hand-written fixture: JSON lines, gzip-encoded
    #[test]
    fn a_prefix_says_whether_it_is_all_and_lines_stop_at_whole_lines() {
        let body = gzip_body(b"{\"a\":1}\n{\"b\":2}\r\n{\"c\":3}\n");
        let whole = body.decoded_prefix(1 << 20).unwrap();
        assert!(whole.complete);
        assert_eq!(whole.bytes.len(), 25);
        let cut = body.decoded_prefix(12).unwrap();
        assert!(!cut.complete);
        assert_eq!(&cut.bytes[..], b"{\"a\":1}\n{\"b\"");
        let lines: Vec<Bytes> = body.lines(12).unwrap().collect();
        assert_eq!(lines, [Bytes::from_static(b"{\"a\":1}")], "the cut line is left out");
        let lines: Vec<Bytes> = body.lines(1 << 20).unwrap().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(&lines[1][..], b"{\"b\":2}");
        assert_eq!(body.text(7).unwrap(), "{\"a\":1}");
        assert_eq!(&body.decoded(3).unwrap()[..], b"{\"a");
    }

    #[test]
    fn only_decompressed_bodies_keep_their_decoded_prefix() {
        let cached = |body: &Body| {
            body.cache.0.as_ref().is_some_and(|cache| {
                cache.last.lock().unwrap().as_ref().is_some_and(|cached| cached.kept.is_some())
            })
        };
        let escaped = Body {
            data: BodyData::JsonEscapedText(Bytes::from_static(br#""{\"token\":\"abc\"}""#)),
            ..Body::default()
        };
        let base64 =
            Body { data: BodyData::Base64(Bytes::from_static(b"aGVsbG8=")), ..Body::default() };
        for _ in 0..2 {
            assert_eq!(&escaped.decoded_prefix(100).unwrap().bytes[..], br#"{"token":"abc"}"#);
            assert_eq!(&base64.decoded_prefix(100).unwrap().bytes[..], b"hello");
        }
        assert!(!cached(&escaped) && !cached(&base64), "a copy kept of a body cheap to decode");
        let compressed = gzip_body(b"hello").with_budget(&Arc::new(DecodeBudget::new(1 << 20)));
        assert_eq!(&compressed.decoded_prefix(100).unwrap().bytes[..], b"hello");
        assert!(cached(&compressed), "a decompressed body decoded again on each use");
        compressed.forget_decoded();
        assert!(!cached(&compressed), "forgotten");
        assert_eq!(&compressed.decoded_prefix(100).unwrap().bytes[..], b"hello");
    }

    #[test]
    fn a_forgotten_decoding_is_decoded_again_without_charging_the_budget_twice() {
        let budget = Arc::new(DecodeBudget::new(150_000));
        let body = gzip_body(&[b'x'; 100_000]).with_budget(&budget);
        assert_eq!(body.decoded_prefix(1 << 20).unwrap().bytes.len(), 100_000);
        let after_first = budget.remaining();
        body.forget_decoded();
        assert_eq!(body.decoded_prefix(1 << 20).unwrap().bytes.len(), 100_000);
        assert_eq!(budget.remaining(), after_first, "decoded again, charged once");
        // Another body spends the rest of the budget; this one still decodes what it paid
        // for, while a body that paid nothing yet is refused.
        let other = gzip_body(&[b'y'; 100_000]).with_budget(&budget);
        assert!(matches!(other.decoded_prefix(1 << 20), Err(BodyError::BudgetSpent { .. })));
        assert_eq!(budget.remaining(), 0);
        body.forget_decoded();
        assert_eq!(body.decoded_prefix(1 << 20).unwrap().bytes.len(), 100_000);
        let longer = gzip_body(&[b'z'; 100_000]).with_budget(&budget);
        longer.decoded_prefix(10).unwrap_err();
    }

    #[test]
    fn decoding_is_cached_and_charged_to_the_budget_once() {
        let budget = Arc::new(DecodeBudget::new(150_000));
        let body = gzip_body(&[b'x'; 100_000]).with_budget(&budget);
        assert_eq!(body.decoded_prefix(1 << 20).unwrap().bytes.len(), 100_000);
        let after_first = budget.remaining();
        assert!(after_first <= 50_000, "{after_first}");
        for limit in [10, 1000, 100_000, 1 << 20] {
            let prefix = body.decoded_prefix(limit).unwrap();
            assert_eq!(prefix.bytes.len(), limit.min(100_000));
        }
        assert_eq!(budget.remaining(), after_first, "cached: nothing decoded again");
        // Replacing the data invalidates the cache.
        let mut replaced = body.clone();
        replaced.data = BodyData::Raw(Bytes::from(gzip(b"new")));
        assert_eq!(&replaced.decoded_prefix(100).unwrap().bytes[..], b"new");
        // A second body of the same input finds the budget spent, and says how to raise it.
        let other = gzip_body(&[b'y'; 100_000]).with_budget(&budget);
        let err = other.decoded_prefix(1 << 20).unwrap_err();
        assert!(matches!(err, BodyError::BudgetSpent { budget: 150_000 }), "{err}");
        assert!(err.to_string().contains("--max-decoded-ratio"), "{err}");
        assert_eq!(budget.remaining(), 0, "spent: later bodies fail without decoding");
    }

    #[test]
    fn base64_and_escaped_prefixes_decode_only_what_is_asked() {
        let base64 = Body {
            data: BodyData::Base64(Bytes::from_static(b"aGVs\nbG8gd29y bGQ=")),
            ..Body::default()
        };
        assert_eq!(&base64.decoded_prefix(5).unwrap().bytes[..], b"hello");
        assert!(!base64.decoded_prefix(5).unwrap().complete);
        assert!(base64.decoded_prefix(11).unwrap().complete);
        assert_eq!(base64.wire_len(), 11);
        let escaped = Body {
            data: BodyData::JsonEscapedText(Bytes::from_static(br#""a\nb\u00e9c""#)),
            ..Body::default()
        };
        assert_eq!(escaped.text(100).unwrap(), "a\nbéc");
        assert_eq!(&escaped.decoded_prefix(3).unwrap().bytes[..], b"a\nb");
    }

    // hand-written fixture: a HAR challenge as the input holds it, JSON escapes and all
    #[test]
    fn json_escaped_values_stay_spans_of_the_source_and_read_unescaped() {
        let source = Bytes::from_static(br#"WWW-Authenticate Bearer realm=\"https://a/t\",x=\\"#);
        let text = std::str::from_utf8(&source).unwrap();
        let mut scratch = Headers::default();
        scratch.push_borrowing_escaped(&source, &text[..16], &text[17..]);
        scratch.push_borrowing_escaped(&source, "X-Copied", r#"a\"b\tc"#);
        let headers = scratch.take_compact();
        assert_eq!(
            headers.get("www-authenticate").as_deref(),
            Some(r#"Bearer realm="https://a/t",x=\"#)
        );
        assert!(matches!(headers.get("www-authenticate"), Some(Cow::Owned(_))), "unescaped");
        assert_eq!(
            headers.owned.as_deref().map(String::as_str),
            Some("X-Copieda\"b\tc"),
            "only the text not in the source is copied, unescaped"
        );
        assert_eq!(headers.get("x-copied").as_deref(), Some("a\"b\tc"));
        assert!(matches!(headers.get("x-copied"), Some(Cow::Borrowed(_))));
        assert_eq!(
            headers,
            Headers::from_iter([
                ("WWW-Authenticate", r#"Bearer realm="https://a/t",x=\"#),
                ("X-Copied", "a\"b\tc"),
            ])
        );
    }

    #[test]
    fn headers_borrow_from_the_source_and_copy_the_rest() {
        let source = Bytes::from_static(b"Accept: */*; Authorization: Bearer x");
        let text = std::str::from_utf8(&source).unwrap();
        let mut scratch = Headers::default();
        scratch.push_borrowing(&source, &text[..6], &text[8..11]);
        scratch.push_borrowing(&source, "Authorization", &text[28..]);
        let mut headers = scratch.take_compact();
        assert!(scratch.is_empty() && scratch.owned.is_none() && scratch.source.is_empty());
        assert_eq!(headers.fields.capacity(), 2, "moved out at its exact size");
        assert_eq!(headers.source.as_ptr(), source.as_ptr(), "the first field fixes the source");
        headers.push("X-Added", "yes");
        assert_eq!(
            headers.owned.as_deref().map(String::as_str).unwrap_or_default(),
            "AuthorizationX-Addedyes",
            "only text not in the source is copied"
        );
        assert_eq!(headers.get("accept").as_deref(), Some("*/*"));
        assert_eq!(headers.get("AUTHORIZATION").as_deref(), Some("Bearer x"));
        assert_eq!(headers.get_all("x-added").collect::<Vec<_>>(), ["yes"]);
        headers.set_value(0, "text/plain");
        headers.retain(|name, _| name != "X-Added");
        let pairs: Vec<(&str, String)> =
            headers.iter().map(|(name, value)| (name, value.into_owned())).collect();
        assert_eq!(
            pairs,
            [("Accept", "text/plain".to_owned()), ("Authorization", "Bearer x".to_owned())]
        );
        assert_eq!(
            headers,
            Headers::from(vec![
                ("Accept".to_owned(), "text/plain".to_owned()),
                ("Authorization".to_owned(), "Bearer x".to_owned()),
            ])
        );
    }
}
