//! Decoding one mitmproxy flow dict (flow format versions 14 to 21) into an [`Exchange`].
//!
//! mitmproxy itself reads old files by migrating each flow dict step by step to the current
//! version (`mitmproxy/io/compat.py`) and then restoring objects from it. We read every
//! supported version directly instead, picking the field names and meanings each version
//! used. What differs between 14 and 21 in the fields regauth reads:
//!
//! | field               | 14 to 18                               | 19 to 21                       |
//! |---------------------|----------------------------------------|--------------------------------|
//! | server ip:port      | `server_conn.ip_address`               | `server_conn.peername`         |
//! | client ip:port      | `client_conn.address`                  | `client_conn.peername`         |
//! | cipher              | `cipher_name`                          | `cipher`                       |
//! | TLS handshake done  | `tls_established` (bool)               | `timestamp_tls_setup` not null |
//! | server SNI          | text, or `true` for the connected host | text                           |
//! | address host        | bytes or text                          | text                           |
//!
//! and 20 → 21 renamed the TLS version `QUIC` to `QUICv1`. The request and response dicts
//! have the same fields in every version from 14 to 21 (the remaining migrations touch
//! websocket messages, `timestamp_created`, `mode`, `proxy_mode` and connection `state`,
//! none of which regauth reads). mitmproxy writes `method`, `scheme`, `path`, `authority`,
//! `http_version`, `reason`, header names and values and bodies as byte strings and `host`
//! as text; both tags are accepted everywhere and bytes are decoded as lossy UTF-8.
//!
//! Bodies are stored as they were on the wire (still content-encoded), so they become
//! [`BodyData::Raw`] slices of the input plus the `Content-Encoding` header value.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use chrono::DateTime;

use super::tnetstring::{Item, Tag, TnetError};
use crate::model::{
    Body, BodyData, CompactString, DecodeBudget, EntryRef, Exchange, Headers, Request, Response,
    TextInterner, Timestamp, Timing, TlsInfo,
};

/// Oldest flow format read: mitmproxy 7.
pub(crate) const OLDEST_VERSION: i64 = 14;
/// Newest flow format known: mitmproxy 11 and 12 (and 13 in development) write 21.
pub(crate) const NEWEST_VERSION: i64 = 21;

/// What became of one flow.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one value per flow, moved straight into the exchange list: boxing it cost an allocation and a free per flow"
)]
pub(super) enum Decoded {
    Exchange(Exchange),
    /// A flow regauth does not read (TCP, UDP, DNS, or an unsupported format version); the
    /// caller reports these once per kind instead of once per flow.
    Skipped {
        reason: SkipReason,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum SkipReason {
    NotHttp { flow_type: String },
    UnsupportedVersion { version: String },
}

/// Why a flow could not be decoded; it is skipped and reported at `offset`.
#[derive(Debug)]
pub(super) struct FlowError {
    pub(super) offset: u64,
    pub(super) message: String,
}

impl From<TnetError> for FlowError {
    fn from(err: TnetError) -> FlowError {
        FlowError { offset: err.offset, message: err.kind.to_string() }
    }
}

/// Where the flow being decoded sits, and where its lesser problems go.
pub(super) struct FlowContext<'c> {
    pub(super) source_idx: usize,
    pub(super) entry_idx: usize,
    /// The whole input, to hand out body and certificate slices without copying.
    pub(super) input: &'c Bytes,
    /// What was wrong but did not stop the flow from being read (offset, message), for the
    /// caller to record in file order (flows may be decoded on several threads).
    pub(super) notes: Vec<(u64, String)>,
    /// Shared by every body of the input.
    pub(super) decode_budget: &'c Arc<DecodeBudget>,
    /// The flow's integer format version, once read (for the producer string).
    pub(super) version: Option<i64>,
    /// Reused for collecting each header list (see `Headers::take_compact`).
    pub(super) header_scratch: &'c mut Headers,
    /// The shared copies of the exchanges' small text (one per thread).
    pub(super) texts: &'c mut TextInterner,
    /// Connection dicts decoded lately (one cache per thread).
    pub(super) connections: &'c mut ConnectionCache,
}

impl FlowContext<'_> {
    /// Records something that was wrong but did not stop the flow from being read.
    fn note(&mut self, offset: u64, message: impl Into<String>) {
        self.notes.push((offset, message.into()));
    }

    /// `payload` as a zero-copy slice of the input. Payloads always come from the input, but
    /// `Bytes::slice_ref` panics on anything else, so a foreign slice is copied instead.
    fn slice(&self, payload: &[u8]) -> Bytes {
        let input_range =
            self.input.as_ptr() as usize..=self.input.as_ptr() as usize + self.input.len();
        let payload_start = payload.as_ptr() as usize;
        if payload.is_empty() {
            Bytes::new()
        } else if input_range.contains(&payload_start)
            && input_range.contains(&(payload_start + payload.len()))
        {
            self.input.slice_ref(payload)
        } else {
            Bytes::copy_from_slice(payload)
        }
    }
}

/// Decodes the flow dict `flow` (already framed at the top level of the file).
pub(super) fn decode(flow: Item<'_>, ctx: &mut FlowContext<'_>) -> Result<Decoded, FlowError> {
    let [version, flow_type, request, response, error, server_conn, client_conn, backup] =
        flow.dict()?.fields([
            "version",
            "type",
            "request",
            "response",
            "error",
            "server_conn",
            "client_conn",
            "backup",
        ])?;
    let version_item = required(version, flow, "version")?;
    let version = match version_item.tag() {
        Tag::Integer => version_item.as_i64().map_err(in_field("flow", "version"))?,
        // Before format 4 (mitmproxy 3), versions were (major, minor[, patch]) tuples.
        _ => {
            return Ok(Decoded::Skipped {
                reason: SkipReason::UnsupportedVersion {
                    version: describe_old_version(version_item),
                },
            });
        }
    };
    ctx.version = Some(version);
    if version < OLDEST_VERSION {
        return Ok(Decoded::Skipped {
            reason: SkipReason::UnsupportedVersion { version: version.to_string() },
        });
    }
    let flow_type = text(required(flow_type, flow, "type")?)?;
    if flow_type != "http" {
        return Ok(Decoded::Skipped { reason: SkipReason::NotHttp { flow_type } });
    }
    if let Some(backup) = backup.filter(|backup| !backup.is_null()) {
        ctx.note(
            backup.offset(),
            "this flow was modified in mitmproxy after it was recorded; regauth reads the modified version \
             (the recorded original is in its `backup`)",
        );
    }

    let request =
        decode_request(required(request.filter(|item| !item.is_null()), flow, "request")?, ctx)?;
    let response = match response.filter(|item| !item.is_null()) {
        Some(item) => Some(decode_response(item, ctx)?),
        None => None,
    };
    let error = match error.filter(|item| !item.is_null()) {
        Some(item) => decode_error(item, ctx),
        None => None,
    };
    let timing = Timing {
        request_start: request.timestamp_start,
        response_end: response.as_ref().and_then(|response| response.timestamp_end),
    };

    let mut server = match server_conn.filter(|item| !item.is_null()) {
        Some(item) => decode_connection(item, version, Leg::Server, ctx),
        None => Connection::default(),
    };
    let mut client = match client_conn.filter(|item| !item.is_null()) {
        Some(item) => decode_connection(item, version, Leg::Client, ctx),
        None => Connection::default(),
    };
    // Flows that went over the same upstream connection share its id (mitmproxy's
    // `server_conn.id`); without one, the client's connection is the next best grouping.
    let connection = server.id.take().or_else(|| client.id.take());
    let connection = connection.map(|id| ctx.texts.get(&id));
    let server_address = server.peername.take().map(|address| ctx.texts.get(&address));
    let client_address = client.peername.take().map(|address| ctx.texts.get(&address));
    let tls = tls_info(server, client).map(|tls| ctx.connections.share_tls(tls));

    Ok(Decoded::Exchange(Exchange {
        index: ctx.entry_idx,
        origin: EntryRef {
            source: ctx.source_idx,
            index: ctx.entry_idx,
            byte_offset: Some(flow.offset()),
        },
        request: request.request,
        response: response.map(|response| response.response),
        timing,
        server_address,
        client_address,
        tls,
        error: error.map(String::into_boxed_str),
        connection,
    }))
}

/// Names the field a reading error happened in (`request.method: expected a string, ...`).
fn in_field(what: &'static str, name: &'static str) -> impl Fn(TnetError) -> FlowError {
    move |err| {
        let field = if name.is_empty() { what.to_owned() } else { format!("{what}.{name}") };
        FlowError { offset: err.offset, message: format!("{field}: {}", err.kind) }
    }
}

fn required<'a>(
    field: Option<Item<'a>>,
    parent: Item<'a>,
    name: &str,
) -> Result<Item<'a>, FlowError> {
    field.ok_or_else(|| FlowError {
        offset: parent.offset(),
        message: format!("flow has no `{name}` field"),
    })
}

fn required_in<'a>(
    field: Option<Item<'a>>,
    parent: Item<'a>,
    what: &str,
    name: &str,
) -> Result<Item<'a>, FlowError> {
    field.ok_or_else(|| FlowError {
        offset: parent.offset(),
        message: format!("{what} has no `{name}` field"),
    })
}

/// A byte or text string as lossy UTF-8.
fn text(item: Item<'_>) -> Result<String, TnetError> {
    let bytes = item.as_bytes()?;
    // `from_utf8` first: `from_utf8_lossy` walks the bytes in slower chunks even when, as
    // almost always, they are valid.
    Ok(match crate::capture::utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// A byte or text string as lossy UTF-8, for the model's small fields (inline when short).
fn small_text(item: Item<'_>) -> Result<CompactString, TnetError> {
    let bytes = item.as_bytes()?;
    Ok(match crate::capture::utf8(bytes) {
        Ok(text) => CompactString::from(text),
        Err(_) => CompactString::from(String::from_utf8_lossy(bytes)),
    })
}

/// `(0, 18)`-style versions of files older than mitmproxy 3, for the message.
fn describe_old_version(item: Item<'_>) -> String {
    let Ok(parts) = item.list() else { return format!("<{}>", item.tag().describe()) };
    let parts: Vec<String> = parts
        .map(|part| {
            part.and_then(|part| part.as_i64())
                .map_or_else(|_| "?".to_owned(), |part| part.to_string())
        })
        .collect();
    format!("({})", parts.join(", "))
}

struct DecodedRequest {
    request: Request,
    timestamp_start: Option<Timestamp>,
}

struct DecodedResponse {
    response: Response,
    timestamp_end: Option<Timestamp>,
}

fn decode_request(item: Item<'_>, ctx: &mut FlowContext<'_>) -> Result<DecodedRequest, FlowError> {
    let what = "request";
    let [method, scheme, host, port, path, http_version, headers, content, timestamp_start] =
        item.dict().map_err(in_field(what, ""))?.fields([
            "method",
            "scheme",
            "host",
            "port",
            "path",
            "http_version",
            "headers",
            "content",
            "timestamp_start",
        ])?;
    let small_text_field = |field: Option<Item<'_>>, name: &'static str| {
        small_text(required_in(field, item, what, name)?).map_err(in_field(what, name))
    };
    let port_item = required_in(port, item, what, "port")?;
    let port =
        u16::try_from(port_item.as_i64().map_err(in_field(what, "port"))?).map_err(|_| {
            FlowError {
                offset: port_item.offset(),
                message: "request.port: not between 0 and 65535".to_owned(),
            }
        })?;
    let headers = decode_headers(required_in(headers, item, what, "headers")?, what, ctx)?;
    let body = decode_body(content, &headers, ctx).map_err(in_field(what, "content"))?;
    let host = small_text_field(host, "host")?;
    let mut scheme = small_text_field(scheme, "scheme")?;
    scheme.make_ascii_lowercase();
    let method = small_text_field(method, "method")?;
    let http_version = optional_text(http_version).map_err(in_field(what, "http_version"))?;
    // mitmproxy keeps IPv6 hosts unbracketed, but be sure: the model wants them bare.
    let host = host.strip_prefix('[').and_then(|host| host.strip_suffix(']')).unwrap_or(&host);
    let request = Request {
        method: ctx.texts.get(&method),
        scheme: ctx.texts.get(&scheme),
        host: ctx.texts.get(host),
        port,
        path: text(required_in(path, item, what, "path")?).map_err(in_field(what, "path"))?,
        http_version: ctx.texts.get(&http_version),
        headers,
        body,
    };
    let timestamp_start = timestamp(timestamp_start, "request.timestamp_start", ctx);
    Ok(DecodedRequest { request, timestamp_start })
}

fn decode_response(
    item: Item<'_>,
    ctx: &mut FlowContext<'_>,
) -> Result<DecodedResponse, FlowError> {
    let what = "response";
    let [status_code, reason, http_version, headers, content, timestamp_end] = item
        .dict()
        .map_err(in_field(what, ""))?
        .fields(["status_code", "reason", "http_version", "headers", "content", "timestamp_end"])?;
    let status_item = required_in(status_code, item, what, "status_code")?;
    let status = status_item.as_i64().map_err(in_field(what, "status_code"))?;
    let status = u16::try_from(status).map_err(|_| FlowError {
        offset: status_item.offset(),
        message: "response.status_code: not between 0 and 65535".to_owned(),
    })?;
    let headers = decode_headers(required_in(headers, item, what, "headers")?, what, ctx)?;
    let body = decode_body(content, &headers, ctx).map_err(in_field(what, "content"))?;
    let reason = optional_text(reason).map_err(in_field(what, "reason"))?;
    let http_version = optional_text(http_version).map_err(in_field(what, "http_version"))?;
    let response = Response {
        status,
        reason: ctx.texts.get(&reason),
        http_version: ctx.texts.get(&http_version),
        headers,
        body,
    };
    let timestamp_end = timestamp(timestamp_end, "response.timestamp_end", ctx);
    Ok(DecodedResponse { response, timestamp_end })
}

/// A string field that may be absent or null (then empty).
fn optional_text(item: Option<Item<'_>>) -> Result<CompactString, TnetError> {
    match item.filter(|item| !item.is_null()) {
        Some(item) => small_text(item),
        None => Ok(CompactString::default()),
    }
}

/// Headers are a list of `[name, value]` pairs in wire order.
///
/// A broken header list fails the whole flow rather than dropping fields: a request that
/// silently lost its `Authorization` would be analysed as anonymous, which is worse than
/// reporting the flow as unreadable.
fn decode_headers(
    item: Item<'_>,
    what: &'static str,
    ctx: &mut FlowContext<'_>,
) -> Result<Headers, FlowError> {
    let in_headers = in_field(what, "headers");
    let fields = item.list().map_err(&in_headers)?;
    // The whole list is checked to be UTF-8 once (almost always it is, and the check is fast
    // on ASCII); then names and values are spans of it, with no check or copy per field.
    let payload = item.payload();
    let text = crate::capture::utf8(payload).ok();
    let source = text.map(|_| ctx.slice(payload));
    // Fields are collected in the reused scratch list and moved out at their exact size.
    let (headers, input) = (&mut *ctx.header_scratch, ctx.input);
    // The usual case: UTF-8 `[name, value]` string pairs, each name and value a span of the
    // list. They are UTF-8 on their own too: each lies between a length prefix's colon and a
    // type tag, both ASCII, so it starts and ends on character boundaries.
    if let Some(source) = source
        && headers.borrow_all_from(source)
    {
        let base = payload.as_ptr() as usize;
        let range = |part: &[u8]| {
            let start = part.as_ptr() as usize - base;
            start..start + part.len()
        };
        if item.string_pairs(|name, value| headers.push_source_spans(range(name), range(value))) {
            return Ok(headers.take_compact());
        }
        headers.take_compact();
    }
    let push = |headers: &mut Headers, name: &[u8], value: &[u8]| match text {
        Some(text) => {
            let span = |part: &[u8]| {
                let start = part.as_ptr() as usize - payload.as_ptr() as usize;
                text.get(start..start + part.len()).unwrap_or_default()
            };
            headers.push_borrowing(input, span(name), span(value));
        }
        // Bytes that are not UTF-8 (rare: Latin-1 values) are copied as lossy text.
        None => headers.push_borrowing(
            input,
            &String::from_utf8_lossy(name),
            &String::from_utf8_lossy(value),
        ),
    };
    if text.is_none() && item.string_pairs(|name, value| push(headers, name, value)) {
        return Ok(headers.take_compact());
    }
    // Not the usual shape: start again the generic way, which says what is wrong.
    headers.take_compact();
    for field in fields {
        match header_pair(field, what, &in_headers) {
            Ok((name, value)) => push(headers, name, value),
            Err(err) => {
                headers.take_compact();
                return Err(err);
            }
        }
    }
    Ok(headers.take_compact())
}

/// The name and value of one `[name, value]` header field (slices of the list's payload).
fn header_pair<'a>(
    field: Result<Item<'a>, TnetError>,
    what: &'static str,
    in_headers: &impl Fn(TnetError) -> FlowError,
) -> Result<(&'a [u8], &'a [u8]), FlowError> {
    let field = field.map_err(in_headers)?;
    let mut parts = field.list().map_err(in_headers)?;
    let (Some(name), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(FlowError {
            offset: field.offset(),
            message: format!("{what}.headers: header field is not a [name, value] pair"),
        });
    };
    let name = name.and_then(|name| name.as_bytes()).map_err(in_headers)?;
    let value = value.and_then(|value| value.as_bytes()).map_err(in_headers)?;
    Ok((name, value))
}

fn decode_body(
    content: Option<Item<'_>>,
    headers: &Headers,
    ctx: &mut FlowContext<'_>,
) -> Result<Body, TnetError> {
    // `content` is null when mitmproxy streamed the body through without keeping it.
    let data = match content.filter(|item| !item.is_null()) {
        Some(item) => BodyData::Raw(ctx.slice(item.as_bytes()?)),
        None => BodyData::Absent,
    };
    let size = match &data {
        BodyData::Raw(bytes) => Some(bytes.len() as u64),
        _ => None,
    };
    // Almost always none or one value: joined only when there are several.
    let mut encodings = headers.get_all("content-encoding");
    let content_encoding = match (encodings.next(), encodings.next()) {
        (None, _) => CompactString::default(),
        (Some(only), None) => CompactString::from(only.trim()),
        (Some(first), Some(second)) => CompactString::from(
            [first, second].into_iter().chain(encodings).collect::<Vec<_>>().join(", ").trim(),
        ),
    };
    let content_encoding = ctx.texts.get(&content_encoding);
    let body = Body { data, size, content_encoding, mime_type: None, ..Body::default() };
    Ok(if body.content_encoding.is_empty() { body } else { body.with_budget(ctx.decode_budget) })
}

fn decode_error(item: Item<'_>, ctx: &mut FlowContext<'_>) -> Option<String> {
    let res = item
        .dict()
        .and_then(|dict| dict.fields(["msg"]))
        .and_then(|[msg]| msg.map(text).transpose());
    match res {
        Ok(Some(msg)) => Some(msg),
        Ok(None) => {
            ctx.note(item.offset(), "flow error has no `msg`");
            Some("unknown error".to_owned())
        }
        Err(err) => {
            ctx.note(err.offset, format!("flow error: {}", err.kind));
            Some("unknown error".to_owned())
        }
    }
}

/// A timestamp in float seconds since the epoch; `None` (with a note) when unusable.
fn timestamp(item: Option<Item<'_>>, what: &str, ctx: &mut FlowContext<'_>) -> Option<Timestamp> {
    let item = item.filter(|item| !item.is_null())?;
    match item.as_f64() {
        Ok(seconds) => {
            let res = seconds_to_timestamp(seconds);
            if res.is_none() {
                ctx.note(item.offset(), format!("{what} {seconds} is not a usable point in time"));
            }
            res
        }
        Err(err) => {
            ctx.note(err.offset, format!("{what}: {}", err.kind));
            None
        }
    }
}

/// Float seconds since the epoch, rounded to the microsecond.
///
/// A float near 1.7e9 s resolves about a quarter of a microsecond, so finer digits are
/// noise; rounding as Python's `datetime.fromtimestamp` does makes regauth show the same
/// times as mitmproxy (`…00.173456`, not `…00.173455950`).
pub(crate) fn seconds_to_timestamp(seconds: f64) -> Option<Timestamp> {
    if !seconds.is_finite() {
        return None;
    }
    let whole = seconds.floor();
    // ±4e18 s is far beyond chrono's range, so the cast below cannot saturate into a wrong value.
    if whole.abs() > 4.0e18 {
        return None;
    }
    let mut secs = whole as i64;
    let mut micros = ((seconds - whole) * 1e6).round_ties_even() as u32;
    if micros >= 1_000_000 {
        secs += 1;
        micros -= 1_000_000;
    }
    DateTime::from_timestamp(secs, micros * 1000)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Leg {
    /// mitmproxy → server
    Server = 0,
    /// client → mitmproxy
    Client = 1,
}

/// Connection dicts decoded lately on one thread, by where their bytes are in the input.
///
/// Every flow carries a copy of its client and server connection dicts, and the flows that
/// went over one connection (keep-alive, a pull's dozens of blobs) repeat them byte for byte:
/// decoding them was a quarter of the time spent on a header-heavy flow file. A dict equal to
/// a remembered one of the same leg (same bytes, same field names for its format version)
/// decodes to the same [`Connection`], so it is cloned instead. Only dicts decoded without a
/// problem are remembered, so every problem is still noted at its own flow's offset.
#[derive(Default)]
pub(super) struct ConnectionCache {
    /// Per leg (server, client): (named the old way, range of the dict in the input, what
    /// it decoded to), the most recently used last, at most [`ConnectionCache::CAPACITY`].
    legs: [Vec<(bool, std::ops::Range<usize>, Connection)>; 2],
    /// The TLS facts handed out last, for the next exchange with the same facts to share.
    last_tls: Option<Arc<TlsInfo>>,
}

impl ConnectionCache {
    /// Enough for the connections a client keeps open at once (a pull fetches a few layers
    /// side by side); a miss costs a comparison per entry, which mostly stops at the first
    /// bytes (a connection's id comes first).
    const CAPACITY: usize = 4;

    /// `tls` shared with the exchange before, when that had the same facts (the flows of a
    /// connection follow each other mostly, and equal facts are equal whatever their dicts'
    /// other fields, such as timestamps, say).
    fn share_tls(&mut self, tls: TlsInfo) -> Arc<TlsInfo> {
        match &self.last_tls {
            Some(last) if **last == tls => Arc::clone(last),
            _ => Arc::clone(self.last_tls.insert(Arc::new(tls))),
        }
    }
}

/// The parts of a connection dict regauth uses.
#[derive(Clone, Default)]
struct Connection {
    /// mitmproxy's id of the connection (a UUID), shared by the flows that used it.
    id: Option<CompactString>,
    /// `ip:port` of the remote end.
    peername: Option<CompactString>,
    /// TLS was wanted on this connection (`tls`).
    tls_wanted: bool,
    tls_established: bool,
    sni: Option<String>,
    tls_version: Option<String>,
    cipher: Option<String>,
    alpn: Option<String>,
    certificates: Vec<Bytes>,
    error: Option<String>,
}

/// [`decode_connection_afresh`], or a copy of what an identical dict decoded to lately.
fn decode_connection(
    item: Item<'_>,
    version: i64,
    leg: Leg,
    ctx: &mut FlowContext<'_>,
) -> Connection {
    let old_names = version <= 18;
    let range = item.offset() as usize..item.end();
    let (input, cache) = (ctx.input, &mut ctx.connections.legs[leg as usize]);
    let is_same = |(cached_old, cached, _): &(bool, std::ops::Range<usize>, Connection)| {
        *cached_old == old_names && input[cached.clone()] == input[range.clone()]
    };
    if let Some(hit) = cache.iter().rposition(is_same) {
        let entry = cache.remove(hit);
        let connection = entry.2.clone();
        cache.push(entry);
        return connection;
    }
    let n_notes = ctx.notes.len();
    let connection = decode_connection_afresh(item, version, leg, ctx);
    if ctx.notes.len() == n_notes {
        let cache = &mut ctx.connections.legs[leg as usize];
        if cache.len() == ConnectionCache::CAPACITY {
            cache.remove(0);
        }
        cache.push((old_names, range, connection.clone()));
    }
    connection
}

fn decode_connection_afresh(
    item: Item<'_>,
    version: i64,
    leg: Leg,
    ctx: &mut FlowContext<'_>,
) -> Connection {
    let what = match leg {
        Leg::Server => "server_conn",
        Leg::Client => "client_conn",
    };
    // Field names per version: see the table in the module docs (compat.py convert_18_19).
    let old_names = version <= 18;
    let peername_key = match (leg, old_names) {
        (Leg::Server, true) => "ip_address",
        (Leg::Client, true) => "address",
        (_, false) => "peername",
    };
    let cipher_key = if old_names { "cipher_name" } else { "cipher" };
    // For an old client connection `peername_key` is "address" too; `fields` then fills only
    // the first slot, and the second (`address`, used for the server SNI only) stays empty.
    let fields = item.dict().and_then(|dict| {
        dict.fields([
            "id",
            peername_key,
            "address",
            "tls",
            "tls_established",
            "timestamp_tls_setup",
            "sni",
            "tls_version",
            cipher_key,
            "alpn",
            "certificate_list",
            "error",
        ])
    });
    let [
        id,
        peername,
        address,
        tls,
        tls_established,
        timestamp_tls_setup,
        sni,
        tls_version,
        cipher,
        alpn,
        certificates,
        error,
    ] = match fields {
        Ok(fields) => fields,
        Err(err) => {
            ctx.note(err.offset, format!("{what}: {}; connection details ignored", err.kind));
            return Connection::default();
        }
    };
    let note_err = |ctx: &mut FlowContext<'_>, err: TnetError, field: &str| {
        ctx.note(err.offset, format!("{what}.{field}: {}", err.kind));
    };
    let optional_text = |ctx: &mut FlowContext<'_>, item: Option<Item<'_>>, field: &str| {
        let item = item.filter(|item| !item.is_null())?;
        text(item).map_err(|err| note_err(ctx, err, field)).ok()
    };
    let mut connection = Connection {
        sni: optional_text(ctx, sni.filter(|item| item.tag() != Tag::Bool), "sni"),
        tls_version: optional_text(ctx, tls_version, "tls_version").map(|version| {
            // compat.py convert_20_21
            if version == "QUIC" { "QUICv1".to_owned() } else { version }
        }),
        cipher: optional_text(ctx, cipher, "cipher"),
        alpn: optional_text(ctx, alpn, "alpn"),
        error: optional_text(ctx, error, "error"),
        id: id
            .filter(|item| !item.is_null())
            .and_then(|item| small_text(item).map_err(|err| note_err(ctx, err, "id")).ok()),
        ..Connection::default()
    };
    connection.peername =
        peername.filter(|item| !item.is_null()).and_then(|item| match address_text(item) {
            Ok(address) => Some(address),
            Err(err) => {
                ctx.note(err.offset, format!("{what}.{peername_key}: {}", err.kind));
                None
            }
        });
    connection.tls_wanted = tls.is_some_and(|item| item.as_bool().unwrap_or(false));
    // Up to 18 a `tls_established` flag was stored; from 19 it is derived from the handshake
    // timestamp (as mitmproxy's `Connection.tls_established` does), and the flag is gone.
    connection.tls_established = match tls_established.map(|item| item.as_bool()) {
        Some(Ok(flag)) => flag,
        _ => timestamp_tls_setup.is_some_and(|item| !item.is_null()),
    };
    // Up to version 18 the server SNI could be `true`, meaning "the host we connect to"
    // (compat.py convert_18_19).
    if leg == Leg::Server && sni.is_some_and(|item| item.as_bool().unwrap_or(false)) {
        connection.sni = address
            .and_then(|item| item.list().ok()?.next()?.ok())
            .and_then(|host| text(host).ok());
    }
    if let Some(list) = certificates.filter(|item| !item.is_null()) {
        connection.certificates = decode_certificates(list, what, ctx);
    }
    connection
}

/// `[host, port]` (IPv6 may add flowinfo and scope id) as `host:port` or `[v6]:port`.
fn address_text(item: Item<'_>) -> Result<CompactString, TnetError> {
    let mut parts = item.list()?;
    let host = match parts.next() {
        Some(host) => small_text(host?)?,
        None => return Ok(CompactString::default()),
    };
    let port = match parts.next() {
        Some(port) => port?.as_i64()?,
        None => return Ok(host),
    };
    Ok(crate::capture::har::socket_address(&host, port))
}

/// Certificates as mitmproxy stores them (PEM since mitmproxy 7) into DER.
fn decode_certificates(list: Item<'_>, what: &str, ctx: &mut FlowContext<'_>) -> Vec<Bytes> {
    let mut out = Vec::new();
    let items = match list.list() {
        Ok(items) => items,
        Err(err) => {
            ctx.note(err.offset, format!("{what}.certificate_list: {}", err.kind));
            return out;
        }
    };
    for (cert_idx, cert) in items.enumerate() {
        let res = cert.and_then(|cert| Ok((cert.offset(), cert.as_bytes()?)));
        match res {
            // DER starts with a SEQUENCE tag; keep it as a slice of the input.
            Ok((_, der)) if der.first() == Some(&0x30) => out.push(ctx.slice(der)),
            Ok((offset, pem)) => match pem_to_der(pem) {
                Some(ders) if !ders.is_empty() => out.extend(ders.into_iter().map(Bytes::from)),
                _ => ctx.note(
                    offset,
                    format!("{what} certificate {cert_idx} is neither PEM nor DER; ignored"),
                ),
            },
            Err(err) => {
                ctx.note(err.offset, format!("{what}.certificate_list: {}", err.kind));
                break;
            }
        }
    }
    out
}

/// Every `CERTIFICATE` block of a PEM text, decoded; `None` if one is not valid base64.
fn pem_to_der(pem: &[u8]) -> Option<Vec<Vec<u8>>> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(begin) = find(rest, BEGIN) {
        let body_start = begin + BEGIN.len();
        let body_len = find(&rest[body_start..], END)?;
        let body: Vec<u8> = rest[body_start..body_start + body_len]
            .iter()
            .copied()
            .filter(|byte| !byte.is_ascii_whitespace())
            .collect();
        out.push(base64::engine::general_purpose::STANDARD.decode(body).ok()?);
        rest = &rest[body_start + body_len + END.len()..];
    }
    Some(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// TLS facts for the exchange: those of the server leg, which is what the real server did.
///
/// When only the client leg used TLS (mitmproxy in reverse mode terminating TLS in front of
/// a plain-HTTP server, e.g. a Docker daemon), the client leg's facts are the only TLS there
/// was, and they carry the client certificate a mutual-TLS client presented.
fn tls_info(server: Connection, client: Connection) -> Option<TlsInfo> {
    let used_tls =
        |leg: &Connection| leg.tls_wanted || leg.tls_established || !leg.certificates.is_empty();
    let client_certificates = client.certificates.clone();
    let (leg, server_certificates) = if used_tls(&server) {
        let certificates = server.certificates.clone();
        (server, certificates)
    } else if used_tls(&client) {
        (client, Vec::new())
    } else {
        return None;
    };
    Some(TlsInfo {
        established: leg.tls_established,
        sni: leg.sni,
        version: leg.tls_version,
        cipher: leg.cipher,
        alpn: leg.alpn,
        server_certificates,
        client_certificates,
        error: leg.error,
        // mitmproxy keeps the certificates themselves, so there is nothing to summarise.
        server_certificate_summary: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_to_the_microsecond() {
        let ts = seconds_to_timestamp(1_763_899_200.173_456).unwrap();
        assert_eq!(ts.to_rfc3339(), "2025-11-23T12:00:00.173456+00:00");
        assert_eq!(seconds_to_timestamp(-0.5).unwrap().timestamp(), -1);
        assert_eq!(seconds_to_timestamp(0.999_999_9).unwrap().timestamp(), 1);
        assert_eq!(seconds_to_timestamp(0.999_999_9).unwrap().timestamp_subsec_nanos(), 0);
        assert!(seconds_to_timestamp(f64::NAN).is_none());
        assert!(seconds_to_timestamp(f64::INFINITY).is_none());
        assert!(seconds_to_timestamp(1e300).is_none());
    }

    // hand-written fixture: a minimal self-signed-looking PEM block (not a real certificate)
    #[test]
    fn pem_blocks_become_der() {
        let pem = b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_to_der(pem).unwrap(), vec![vec![0x30, 0x03, 0x02, 0x01, 0x01]]);
        assert_eq!(pem_to_der(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----"), None);
        assert_eq!(pem_to_der(b"nothing here").unwrap(), Vec::<Vec<u8>>::new());
    }
}
