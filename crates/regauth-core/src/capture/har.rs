//! HAR 1.2/1.3 reader: `log.entries[i]` → [`Exchange`].
//!
//! # Design
//!
//! ```text
//!  bytes ─► UTF-8 check ─► pass 1: serde_json, `log.entries` as Vec<&RawValue>
//!                            │  (syntax errors → CaptureError::Malformed, line/column/byte)
//!                            ▼
//!           for each raw entry (its byte offset = pointer difference):
//!           pass 2: serde_json into a borrowed, all-optional `EntryDe<'a>`
//!                            │  (wrong shape → this entry skipped, InputProblem)
//!                            ▼
//!           convert_entry: URL split, timestamps, failed requests, bodies as
//!           `Bytes::slice_ref` of the input (Raw / Base64 / JsonEscapedText / Latin1Text)
//! ```
//!
//! We parse into our own borrowed serde model rather than the `har` crate (0.9). That crate
//! goes through `serde_json::Value` into owned structs, so every body is copied (twice: it
//! clones `log` out of the `Value`), and it rejects real files that omit "required" fields
//! (`cache`, `timings`, `cookies`, `headersSize`, ...), which Firefox, Charles and
//! hand-trimmed HARs do. Measured on this 2-core machine class while other builds ran
//! (criterion, `benches/read_har.rs`; figures are medians): on a 203 MB body-heavy HAR
//! (123 entries of 0.5–3 MB, 3/4 base64, 1/8 text, 1/8 JSON) this reader does 1.03 GiB/s
//! (1.10 GB/s; 1.09–1.38 GB/s in a fresh process) against 0.86 GiB/s for `har` in a warm
//! loop and 0.40 GB/s in a fresh process; reading adds 0.9 MiB to peak memory against
//! 386 MiB (2x the input) for `har` (`examples/har_peak_memory.rs`). On a 111 MB
//! header-heavy HAR (44 000 entries × 30 headers) it does 143 MiB/s against 22 MiB/s.
//! Per body kind: base64 ~1.8 GB/s, text with `\n` ~1.5 GB/s, escape-dense JSON ~0.5 GB/s
//! (serde_json's own scanning of escapes is the limit there). Header-heavy speed is bounded
//! by the model's owned `String` per header name and value (allocation and free are ~30%).
//! The two passes cost ~30% over one, and buy per-entry isolation (one odd entry does not
//! lose the file) and exact entry byte offsets (for locations and redaction). The `har`
//! crate stays as a dev-dependency: a differential oracle in `tests/har_oracle.rs`.
//!
//! # Leniency
//!
//! Lenient where it is harmless: missing `cache`, `timings`, `cookies`, `headersSize`,
//! `bodySize`, `httpVersion`, `comment`, a UTF-8 byte order mark, numbers written as strings,
//! unknown (`_`-prefixed) fields. Strict where meaning would change: invalid JSON is a
//! [`CaptureError::Malformed`] with line, column and byte offset; an entry without a usable
//! `request.url` or `request.method` is skipped with an [`InputProblem`] naming its index, and
//! the other entries are still read.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;

use super::{CaptureError, InputProblem, Location};
use crate::model::{
    Body, BodyData, CertificateSummary, EntryRef, Exchange, Headers, Request, Response, Timestamp,
    Timing, TlsInfo,
};

pub(super) type ReadResult =
    Result<(Vec<Exchange>, Vec<InputProblem>, Option<String>), CaptureError>;

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// At most this many problems are listed one by one; a hostile file with a million broken
/// entries gets a summary line instead of a million messages.
const MAX_LISTED_PROBLEMS: usize = 1000;

/// Reads a HAR document held in `bytes` (already decompressed).
///
/// Bodies stored without JSON escapes become slices of `bytes`, so they are not copied.
pub(crate) fn read(source_idx: usize, name: &str, bytes: Bytes) -> ReadResult {
    let bom_len = if bytes.starts_with(UTF8_BOM) { UTF8_BOM.len() } else { 0 };
    // Validating UTF-8 once up front (fast, SIMD in std) and then parsing `&str` is ~1.6x
    // faster than `from_slice`, which re-validates every raw entry it hands out.
    let json = std::str::from_utf8(&bytes[bom_len..]).map_err(|err| {
        let offset = err.valid_up_to();
        let line_column = offset_to_line_column(&bytes[bom_len..], offset);
        CaptureError::Malformed {
            location: Location {
                source: name.to_owned(),
                entry: None,
                byte_offset: Some((offset + bom_len) as u64),
                line_column: Some(line_column),
            },
            message: "invalid JSON: not UTF-8 text".to_owned(),
        }
    })?;
    let document: DocumentDe<'_> = serde_json::from_str(json)
        .map_err(|err| malformed_json(name, json.as_bytes(), bom_len, &err))?;
    let mut problems = Problems::new(name);
    let Some(log) = document.log else {
        return Err(CaptureError::Malformed {
            location: Location { source: name.to_owned(), ..Location::default() },
            message: "not a HAR file: the top-level object has no `log`".to_owned(),
        });
    };
    if let Some(version) = log.version.as_ref().and_then(Scalar::text)
        && !version.starts_with("1.")
    {
        problems.push(None, None, format!("unknown HAR version {version:?}, read as HAR 1.2"));
    }
    let producer = log.creator.and_then(|creator| {
        let name = creator.name.map(|text| text.0.into_owned()).unwrap_or_default();
        let version = creator.version.map(|text| text.0.into_owned()).unwrap_or_default();
        let producer = format!("{name} {version}").trim().to_owned();
        (!producer.is_empty()).then_some(producer)
    });
    let Some(raw_entries) = log.entries else {
        problems.push(None, None, "the HAR log has no `entries`; it holds no exchanges".to_owned());
        return Ok((Vec::new(), problems.finish(), producer));
    };
    let context = EntryContext { buffer: &bytes };
    let mut exchanges = Vec::with_capacity(raw_entries.len());
    for (entry_idx, raw_entry) in raw_entries.into_iter().enumerate() {
        let entry_text = raw_entry.get();
        let byte_offset = offset_in(&bytes, entry_text.as_bytes());
        match serde_json::from_str::<EntryDe<'_>>(entry_text) {
            Ok(entry) => {
                let origin = EntryRef { source: source_idx, index: entry_idx, byte_offset };
                if let Some(exchange) = convert_entry(&context, entry, origin, &mut problems) {
                    exchanges.push(exchange);
                }
            }
            Err(err) => {
                // Valid JSON (the document parsed), but a field has a type that changes meaning,
                // e.g. `"url": 5`. Point at the field inside the entry.
                let offset_in_entry =
                    line_column_to_offset(entry_text.as_bytes(), err.line(), err.column());
                let byte_offset = byte_offset.map(|start| start + offset_in_entry as u64);
                problems.push(
                    Some(entry_idx),
                    byte_offset,
                    format!("entry skipped: {}", message_without_position(&err)),
                );
            }
        }
    }
    Ok((exchanges, problems.finish(), producer))
}

fn malformed_json(
    name: &str,
    json: &[u8],
    bom_len: usize,
    err: &serde_json::Error,
) -> CaptureError {
    let offset = line_column_to_offset(json, err.line(), err.column()) + bom_len;
    // A data error means well-formed JSON of the wrong shape (`[1,2]`, `{"log": 5}`).
    let message = match err.classify() {
        serde_json::error::Category::Data => {
            format!("not a HAR file: {}", message_without_position(err))
        }
        _ => format!("invalid JSON: {}", message_without_position(err)),
    };
    CaptureError::Malformed {
        location: Location {
            source: name.to_owned(),
            entry: None,
            byte_offset: Some(offset as u64),
            line_column: Some((err.line(), err.column())),
        },
        message,
    }
}

/// serde_json's message without its trailing "at line L column C", which the location
/// gives already (and, for an entry parsed on its own, relative to the wrong start).
fn message_without_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message,
    }
}

/// Byte offset of serde_json's 1-based (line, column); column 0 means "before the first byte".
fn line_column_to_offset(text: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.iter()
            .enumerate()
            .filter(|&(_, &byte)| byte == b'\n')
            .nth(line - 2)
            .map_or(text.len(), |(idx, _)| idx + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// 1-based (line, column) of a byte offset, counting columns in bytes like serde_json.
fn offset_to_line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |idx| idx + 1);
    (line, offset - line_start + 1)
}

/// Where `part` starts inside `buffer`, if it is a subslice of it.
fn offset_in(buffer: &Bytes, part: &[u8]) -> Option<u64> {
    let start = buffer.as_ptr() as usize;
    let part_start = part.as_ptr() as usize;
    (part_start >= start && part_start + part.len() <= start + buffer.len())
        .then(|| (part_start - start) as u64)
}

/// `text` as `Bytes`: a slice of `buffer` when serde_json borrowed it (no escapes), else a copy.
fn bytes_of(buffer: &Bytes, text: Cow<'_, str>) -> Bytes {
    match text {
        Cow::Borrowed(text) if offset_in(buffer, text.as_bytes()).is_some() => {
            buffer.slice_ref(text.as_bytes())
        }
        Cow::Borrowed(text) => Bytes::copy_from_slice(text.as_bytes()),
        Cow::Owned(text) => Bytes::from(text.into_bytes()),
    }
}

struct Problems {
    source: String,
    listed: Vec<InputProblem>,
    unlisted: usize,
}

impl Problems {
    fn new(source: &str) -> Problems {
        Problems { source: source.to_owned(), listed: Vec::new(), unlisted: 0 }
    }

    fn push(&mut self, entry: Option<usize>, byte_offset: Option<u64>, message: String) {
        if self.listed.len() >= MAX_LISTED_PROBLEMS {
            self.unlisted += 1;
            return;
        }
        let location =
            Location { source: self.source.clone(), entry, byte_offset, line_column: None };
        self.listed.push(InputProblem { location, message });
    }

    fn finish(mut self) -> Vec<InputProblem> {
        if self.unlisted > 0 {
            let location = Location { source: self.source.clone(), ..Location::default() };
            let message = format!("{} more problems not listed", self.unlisted);
            self.listed.push(InputProblem { location, message });
        }
        self.listed
    }
}

struct EntryContext<'b> {
    /// The whole input, so borrowed body text can become `Bytes` slices of it.
    buffer: &'b Bytes,
}

fn convert_entry(
    context: &EntryContext<'_>,
    entry: EntryDe<'_>,
    origin: EntryRef,
    problems: &mut Problems,
) -> Option<Exchange> {
    let entry_idx = origin.index;
    let byte_offset = origin.byte_offset;
    let mut skip = |reason: String| {
        problems.push(Some(entry_idx), byte_offset, format!("entry skipped: {reason}"))
    };
    let Some(request) = entry.request else {
        skip("it has no `request`".to_owned());
        return None;
    };
    let Some(method) = request.method.map(|text| text.0).filter(|method| !method.is_empty()) else {
        skip("`request.method` is missing".to_owned());
        return None;
    };
    let Some(url) = request.url.map(|text| text.0) else {
        skip("`request.url` is missing".to_owned());
        return None;
    };
    let url_parts = match split_url(&url) {
        Ok(url_parts) => url_parts,
        Err(reason) => {
            skip(format!("`request.url` {url:?} {reason}"));
            return None;
        }
    };

    let request_start =
        entry.started_date_time.and_then(Scalar::into_text).and_then(|text| match parse_timestamp(
            &text,
        ) {
            Ok((timestamp, None)) => Some(timestamp),
            Ok((timestamp, Some(note))) => {
                problems.push(Some(entry_idx), byte_offset, note);
                Some(timestamp)
            }
            Err(reason) => {
                problems.push(
                    Some(entry_idx),
                    byte_offset,
                    format!("`startedDateTime` {text:?} {reason}"),
                );
                None
            }
        });
    // `time` is the total elapsed milliseconds; HAR writes -1 (or nothing) when unknown.
    let response_end =
        request_start.zip(entry.time.and_then(|time| time.as_f64())).and_then(|(start, millis)| {
            let micros = (millis * 1000.0).round();
            if !(0.0..=1e15).contains(&micros) {
                return None;
            }
            start.checked_add_signed(TimeDelta::microseconds(micros as i64))
        });

    let request_headers = convert_headers(request.headers);
    let request_body = request.post_data.map_or_else(Body::default, |post_data| {
        convert_request_body(context, post_data, request.body_size.as_ref(), &request_headers)
    });
    let request_out = Request {
        method: method.into_owned(),
        scheme: url_parts.scheme,
        host: url_parts.host,
        port: url_parts.port,
        path: url_parts.path,
        http_version: request
            .http_version
            .and_then(Scalar::into_text)
            .map(Cow::into_owned)
            .unwrap_or_default(),
        headers: request_headers,
        body: request_body,
    };

    let mut error = entry
        .error
        .and_then(Scalar::into_text)
        .map(Cow::into_owned)
        .filter(|error| !error.is_empty());
    let response = match entry.response {
        None => {
            error.get_or_insert_with(|| "the capture holds no response".to_owned());
            None
        }
        Some(mut response) => {
            let response_error = response
                .error
                .take()
                .or(response.failure_text.take())
                .and_then(Scalar::into_text)
                .map(Cow::into_owned)
                .filter(|error| !error.is_empty());
            if error.is_none() {
                error = response_error;
            }
            match response.status.as_ref().and_then(Scalar::as_f64) {
                // Producers write status 0 (mitmproxy, Chrome) or -1 (Playwright) for a request
                // that never got a response.
                Some(status) if status <= 0.0 => {
                    error.get_or_insert_with(|| "no response (status 0)".to_owned());
                    None
                }
                Some(status) if status.fract() == 0.0 && status <= 999.0 => {
                    Some(convert_response(context, response, status as u16, problems, &origin))
                }
                _ => {
                    let shown = response
                        .status
                        .as_ref()
                        .map_or_else(|| "missing".to_owned(), Scalar::describe);
                    problems.push(
                        Some(entry_idx),
                        byte_offset,
                        format!(
                            "`response.status` is {shown}, not an HTTP status; response ignored"
                        ),
                    );
                    error.get_or_insert_with(|| format!("unreadable response status {shown}"));
                    None
                }
            }
        }
    };

    let server_address =
        entry.server_ip_address.and_then(Scalar::into_text).filter(|ip| !ip.is_empty()).map(|ip| {
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            // Playwright notes the port; other producers only the IP, so the URL's port stands in.
            let port =
                entry.server_port.as_ref().and_then(Scalar::as_u16).unwrap_or(url_parts.port);
            if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") }
        });
    let tls = entry.security_details.and_then(convert_security_details);
    let connection = entry
        .connection
        .and_then(|connection| connection.as_text())
        .filter(|text| !text.is_empty());

    Some(Exchange {
        index: entry_idx,
        origin,
        request: request_out,
        response,
        timing: Timing { request_start, response_end },
        server_address,
        client_address: None,
        tls,
        error,
        connection,
    })
}

fn convert_headers(headers: Option<Vec<HeaderDe<'_>>>) -> Headers {
    Headers(
        headers
            .unwrap_or_default()
            .into_iter()
            .filter_map(|header| {
                let name = header.name?.0.into_owned();
                let value = header.value.map(|text| text.0.into_owned()).unwrap_or_default();
                Some((name, value))
            })
            .collect(),
    )
}

fn convert_response(
    context: &EntryContext<'_>,
    response: ResponseDe<'_>,
    status: u16,
    problems: &mut Problems,
    origin: &EntryRef,
) -> Response {
    let headers = convert_headers(response.headers);
    let mut body = Body::default();
    if let Some(content) = response.content {
        body.mime_type = content
            .mime_type
            .and_then(Scalar::into_text)
            .map(Cow::into_owned)
            .filter(|mime| !mime.is_empty());
        let is_base64 = is_base64(content.encoding.as_ref());
        body.data = match content.text.map(|text| response_body_data(context, text, is_base64)) {
            None => BodyData::Absent,
            Some(Some(data)) => data,
            Some(None) => {
                let message = "`response.content.text` is not a string; body ignored".to_owned();
                problems.push(Some(origin.index), origin.byte_offset, message);
                BodyData::Absent
            }
        };
        body.size = wire_size(response.body_size.as_ref(), content.size.as_ref(), &headers);
    } else {
        body.size = wire_size(response.body_size.as_ref(), None, &headers);
    }
    body.content_encoding = remaining_content_encoding(&headers, &body.data);
    Response {
        status,
        reason: response
            .status_text
            .and_then(Scalar::into_text)
            .map(Cow::into_owned)
            .unwrap_or_default(),
        http_version: response
            .http_version
            .and_then(Scalar::into_text)
            .map(Cow::into_owned)
            .unwrap_or_default(),
        headers,
        body,
    }
}

/// A response body from its raw JSON string literal, without copying it: text without
/// escapes (all base64, much plain text) is a slice of the input, and text with escapes is
/// kept escaped ([`BodyData::JsonEscapedText`]) because unescaping multi-megabyte JSON bodies
/// nobody looks at was most of the reading time. `None` if the value is not a string.
fn response_body_data(
    context: &EntryContext<'_>,
    text: &RawValue,
    is_base64: bool,
) -> Option<BodyData> {
    let literal = text.get().as_bytes();
    let inner = literal.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let has_escapes = memchr::memchr(b'\\', inner).is_some();
    Some(match (has_escapes, is_base64) {
        (false, false) => BodyData::Raw(bytes_of(context.buffer, Cow::Borrowed(as_str(inner)))),
        (false, true) => BodyData::Base64(bytes_of(context.buffer, Cow::Borrowed(as_str(inner)))),
        // Rare (`\/` from PHP-style writers), and base64 must be plain to decode lazily.
        (true, true) => BodyData::Base64(Bytes::from(super::json_string::unescape(literal))),
        (true, false) => {
            BodyData::JsonEscapedText(bytes_of(context.buffer, Cow::Borrowed(text.get())))
        }
    })
}

/// `bytes` as text; `RawValue` text is valid UTF-8 already, so the fallback never runs.
fn as_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

fn convert_request_body(
    context: &EntryContext<'_>,
    post_data: PostDataDe<'_>,
    body_size: Option<&Scalar<'_>>,
    headers: &Headers,
) -> Body {
    let mime_type = post_data
        .mime_type
        .and_then(Scalar::into_text)
        .map(Cow::into_owned)
        .filter(|mime| !mime.is_empty());
    let data = match (post_data.text, post_data.params) {
        (Some(text), _) if is_base64(post_data.encoding.as_ref()) => {
            BodyData::Base64(bytes_of(context.buffer, text.0))
        }
        // mitmproxy decodes request bodies as Latin-1 unless the Content-Type names a charset
        // or JSON (`_guess_encoding`), so a binary upload arrives one character per byte.
        // Mirroring that rule keeps real UTF-8 text (e.g. JSON with "é") as it was sent.
        (Some(text), _)
            if !declares_text_charset(mime_type.as_deref()) && is_latin1_beyond_ascii(&text.0) =>
        {
            BodyData::Latin1Text(bytes_of(context.buffer, text.0))
        }
        (Some(text), params) if !text.0.is_empty() || params.as_ref().is_none_or(Vec::is_empty) => {
            BodyData::Raw(bytes_of(context.buffer, text.0))
        }
        // Only the parsed form survived (some producers drop `text` when `params` is set):
        // rebuild the urlencoded body the client sent.
        (_, Some(params)) if !params.is_empty() => {
            BodyData::Raw(Bytes::from(form_urlencode(&params)))
        }
        _ => BodyData::Absent,
    };
    let mut body = Body {
        size: wire_size(body_size, None, headers),
        content_encoding: String::new(),
        mime_type,
        data,
    };
    body.content_encoding = remaining_content_encoding(headers, &body.data);
    body
}

fn is_base64(encoding: Option<&Text<'_>>) -> bool {
    encoding.is_some_and(|encoding| encoding.0.eq_ignore_ascii_case("base64"))
}

fn declares_text_charset(mime_type: Option<&str>) -> bool {
    let Some(mime_type) = mime_type else { return false };
    let mime_type = mime_type.to_ascii_lowercase();
    let latin1 = ["latin-1", "latin1", "iso-8859-1", "iso8859-1"]
        .iter()
        .any(|name| mime_type.contains(name));
    mime_type.contains("json") || (mime_type.contains("charset=") && !latin1)
}

fn is_latin1_beyond_ascii(text: &str) -> bool {
    !text.is_ascii() && text.chars().all(|ch| u32::from(ch) < 0x100)
}

/// `application/x-www-form-urlencoded` serialisation of HAR `postData.params`.
fn form_urlencode(params: &[ParamDe<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (param_idx, param) in params.iter().enumerate() {
        if param_idx > 0 {
            out.push(b'&');
        }
        form_urlencode_into(&mut out, param.name.as_ref().map_or("", |text| &text.0));
        out.push(b'=');
        form_urlencode_into(&mut out, param.value.as_ref().map_or("", |text| &text.0));
    }
    out
}

fn form_urlencode_into(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(byte),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(&[
                b'%',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]),
        }
    }
}

/// The body's size on the wire: HAR `bodySize` (after content-encoding), or `content.size`
/// (decoded) when nothing was content-encoded; `-1` means unknown in both.
fn wire_size(
    body_size: Option<&Scalar<'_>>,
    content_size: Option<&Scalar<'_>>,
    headers: &Headers,
) -> Option<u64> {
    let known =
        |size: &Scalar<'_>| size.as_f64().filter(|size| *size >= 0.0 && size.fract() == 0.0);
    if let Some(size) = body_size.and_then(known) {
        return Some(size as u64);
    }
    let identity =
        headers.get("content-encoding").is_none_or(|encoding| encoding.trim().is_empty());
    content_size.and_then(known).filter(|_| identity).map(|size| size as u64)
}

/// The content-encoding `data` still carries.
///
/// HAR producers store bodies *decoded* (the HAR 1.2 spec says so, and Chrome, Firefox,
/// mitmproxy and Playwright do it) but keep the `Content-Encoding` response header. Passing
/// that header on would make every consumer gunzip plain text, so the encoding is dropped
/// unless the stored bytes still start with the encoding's magic number (gzip, zstd, zlib).
/// Brotli has no magic number; stored brotli is taken as decoded, as the spec requires.
fn remaining_content_encoding(headers: &Headers, data: &BodyData) -> String {
    let Some(encoding) = headers.get("content-encoding") else { return String::new() };
    let encoding = encoding.trim().to_ascii_lowercase();
    let head = first_wire_bytes(data);
    let still_encoded = match encoding.as_str() {
        "gzip" | "x-gzip" => head.starts_with(&[0x1f, 0x8b]),
        "zstd" => head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]),
        "deflate" => {
            head.len() >= 2
                && head[0] & 0x0f == 8
                && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0
        }
        _ => false,
    };
    if still_encoded { encoding } else { String::new() }
}

/// The first few bytes `data` stands for, decoding only as much base64 as that takes.
fn first_wire_bytes(data: &BodyData) -> Vec<u8> {
    use base64::Engine as _;
    match data {
        BodyData::Absent => Vec::new(),
        BodyData::Raw(bytes) => bytes.iter().take(4).copied().collect(),
        BodyData::Base64(text) => {
            let head: Vec<u8> =
                text.iter().copied().filter(|byte| !byte.is_ascii_whitespace()).take(8).collect();
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(head.strip_suffix(b"==").or(head.strip_suffix(b"=")).unwrap_or(&head))
                .unwrap_or_default()
        }
        BodyData::JsonEscapedText(literal) => {
            let head = &literal[..literal.len().min(32)];
            super::json_string::unescape(head).bytes().take(4).collect()
        }
        BodyData::Latin1Text(text) => String::from_utf8_lossy(&text[..text.len().min(16)])
            .chars()
            .take(4)
            .filter_map(|ch| u8::try_from(u32::from(ch)).ok())
            .collect(),
    }
}

fn convert_security_details(details: SecurityDetailsDe<'_>) -> Option<TlsInfo> {
    let text = |text: Option<Text<'_>>| {
        text.map(|text| text.0.into_owned()).filter(|text| !text.is_empty())
    };
    let version = text(details.protocol).map(|protocol| match protocol.strip_prefix("TLS ") {
        // Playwright (Chromium) writes "TLS 1.3"; the model spells it "TLSv1.3" like mitmproxy.
        Some(number) => format!("TLSv{number}"),
        None => protocol,
    });
    let summary = CertificateSummary {
        subject: text(details.subject_name),
        issuer: text(details.issuer),
        not_before: details.valid_from.as_ref().and_then(Scalar::as_unix_time),
        not_after: details.valid_to.as_ref().and_then(Scalar::as_unix_time),
    };
    // Playwright writes `"_securityDetails": {}` for plain HTTP; that is no TLS at all.
    if version.is_none() && summary == CertificateSummary::default() {
        return None;
    }
    Some(TlsInfo {
        established: true,
        version,
        cipher: text(details.cipher),
        server_certificate_summary: (summary != CertificateSummary::default()).then_some(summary),
        ..TlsInfo::default()
    })
}

/// Parses `startedDateTime`: RFC 3339 with any offset and any number of fractional digits.
/// A timestamp without an offset is read as UTC, with a note saying so.
fn parse_timestamp(text: &str) -> Result<(Timestamp, Option<String>), &'static str> {
    let text = text.trim();
    if let Ok(timestamp) = DateTime::parse_from_rfc3339(text) {
        return Ok((timestamp.with_timezone(&Utc), None));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            let note = format!("`startedDateTime` {text:?} has no UTC offset; read as UTC");
            return Ok((naive.and_utc(), Some(note)));
        }
    }
    Err("is not an RFC 3339 timestamp")
}

struct UrlParts {
    scheme: String,
    host: String,
    port: u16,
    path: String,
}

/// Splits an absolute URL into scheme, host, port (the scheme's default when absent) and
/// path plus query (fragment dropped: it never goes on the wire). Userinfo is dropped too:
/// HTTP clients turn it into an `Authorization` header, which the capture records anyway.
fn split_url(url: &str) -> Result<UrlParts, &'static str> {
    let (scheme, rest) = url.trim().split_once("://").ok_or("is not an absolute URL")?;
    let scheme_ok = scheme.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && scheme.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '-' | '.'));
    if !scheme_ok {
        return Err("has no valid scheme");
    }
    let scheme = scheme.to_ascii_lowercase();
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host_port)| host_port);
    let (host, port_text) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or("has an unclosed IPv6 bracket")?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or("has junk after the IPv6 host")?)),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err("has no host");
    }
    let port = match port_text {
        None | Some("") => default_port(&scheme),
        Some(port) => port.parse::<u16>().map_err(|_| "has an invalid port")?,
    };
    let without_fragment = tail.split_once('#').map_or(tail, |(before, _)| before);
    let path = if without_fragment.starts_with('/') {
        without_fragment.to_owned()
    } else {
        format!("/{without_fragment}")
    };
    Ok(UrlParts { scheme, host: host.to_ascii_lowercase(), port, path })
}

fn default_port(scheme: &str) -> u16 {
    match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// The serde model: only the fields regauth uses, every one optional, strings borrowed.
// serde skips everything else (`cache`, `timings`, `cookies`, `_initiator`, ...) without
// building it.

#[derive(Deserialize)]
#[serde(expecting = "a HAR document (an object with `log`)")]
struct DocumentDe<'a> {
    #[serde(borrow)]
    log: Option<LogDe<'a>>,
}

#[derive(Deserialize)]
#[serde(expecting = "a HAR `log` object")]
struct LogDe<'a> {
    #[serde(borrow)]
    version: Option<Scalar<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient")]
    creator: Option<CreatorDe<'a>>,
    /// Kept raw so one odd entry can be skipped on its own, and so each entry's byte offset
    /// is known (the raw text is a slice of the input).
    #[serde(borrow)]
    entries: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct CreatorDe<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    version: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", expecting = "a HAR entry object")]
struct EntryDe<'a> {
    #[serde(borrow)]
    started_date_time: Option<Scalar<'a>>,
    #[serde(borrow)]
    time: Option<Scalar<'a>>,
    #[serde(borrow)]
    request: Option<RequestDe<'a>>,
    #[serde(borrow)]
    response: Option<ResponseDe<'a>>,
    #[serde(borrow, rename = "serverIPAddress")]
    server_ip_address: Option<Scalar<'a>>,
    #[serde(borrow, rename = "_serverPort")]
    server_port: Option<Scalar<'a>>,
    #[serde(borrow)]
    connection: Option<Scalar<'a>>,
    #[serde(borrow, rename = "_error")]
    error: Option<Scalar<'a>>,
    #[serde(borrow, rename = "_securityDetails", default, deserialize_with = "lenient")]
    security_details: Option<SecurityDetailsDe<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestDe<'a> {
    #[serde(borrow)]
    method: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    http_version: Option<Scalar<'a>>,
    #[serde(borrow)]
    headers: Option<Vec<HeaderDe<'a>>>,
    #[serde(borrow)]
    post_data: Option<PostDataDe<'a>>,
    #[serde(borrow)]
    body_size: Option<Scalar<'a>>,
}

#[derive(Deserialize)]
struct HeaderDe<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostDataDe<'a> {
    #[serde(borrow)]
    mime_type: Option<Scalar<'a>>,
    #[serde(borrow)]
    text: Option<Text<'a>>,
    #[serde(borrow)]
    params: Option<Vec<ParamDe<'a>>>,
    /// Not in HAR 1.2, but some producers mark base64 request bodies like response bodies.
    #[serde(borrow)]
    encoding: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct ParamDe<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseDe<'a> {
    #[serde(borrow)]
    status: Option<Scalar<'a>>,
    #[serde(borrow)]
    status_text: Option<Scalar<'a>>,
    #[serde(borrow)]
    http_version: Option<Scalar<'a>>,
    #[serde(borrow)]
    headers: Option<Vec<HeaderDe<'a>>>,
    #[serde(borrow)]
    content: Option<ContentDe<'a>>,
    #[serde(borrow)]
    body_size: Option<Scalar<'a>>,
    /// mitmproxy and Chrome: why a request got no response.
    #[serde(borrow, rename = "_error")]
    error: Option<Scalar<'a>>,
    /// Playwright: why a request got no response.
    #[serde(borrow, rename = "_failureText")]
    failure_text: Option<Scalar<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContentDe<'a> {
    #[serde(borrow)]
    size: Option<Scalar<'a>>,
    #[serde(borrow)]
    mime_type: Option<Scalar<'a>>,
    /// Raw, so the text is scanned once and neither unescaped nor copied here.
    #[serde(borrow)]
    text: Option<&'a RawValue>,
    #[serde(borrow)]
    encoding: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecurityDetailsDe<'a> {
    #[serde(borrow)]
    protocol: Option<Text<'a>>,
    #[serde(borrow)]
    subject_name: Option<Text<'a>>,
    #[serde(borrow)]
    issuer: Option<Text<'a>>,
    #[serde(borrow)]
    cipher: Option<Text<'a>>,
    #[serde(borrow)]
    valid_from: Option<Scalar<'a>>,
    #[serde(borrow)]
    valid_to: Option<Scalar<'a>>,
}

/// Reads an optional object that only adds detail (`creator`, `_securityDetails`), so that
/// an odd value for it (`"_securityDetails": "n/a"`) costs that detail and not the entry.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let raw: &'de RawValue = Deserialize::deserialize(deserializer)?;
    Ok(serde_json::from_str(raw.get()).ok())
}

/// A JSON string, borrowed from the input when it has no escapes.
///
/// serde's own `Cow<str>` borrows only as a direct `#[serde(borrow)]` field, never inside
/// `Option` (serde-rs/serde#1497); this newtype borrows everywhere, which is what keeps
/// multi-megabyte bodies from being copied.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// Any JSON value, for fields that only add detail: HAR wants a number or a string there but
/// producers differ (`"status": "200"`, `"connection": "12"` or `12`, `"time": null`,
/// `"statusText": 404`). An odd type costs that detail, not the whole entry, and unlike a
/// buffered retry it costs nothing on well-formed input. Fields whose meaning matters
/// (`url`, `method`, `headers`, bodies) are read strictly instead.
enum Scalar<'a> {
    Number(f64),
    Text(Cow<'a, str>),
    Bool(bool),
    /// An object or array where a scalar belongs; kept so messages can say so.
    Structure,
}

impl<'a> Scalar<'a> {
    /// The string, if the value is one.
    fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Number(number) => Some(*number).filter(|number| number.is_finite()),
            Scalar::Text(text) => {
                text.trim().parse::<f64>().ok().filter(|number| number.is_finite())
            }
            Scalar::Bool(_) | Scalar::Structure => None,
        }
    }

    fn as_u16(&self) -> Option<u16> {
        self.as_f64()
            .filter(|number| number.fract() == 0.0 && (0.0..=65535.0).contains(number))
            .map(|n| n as u16)
    }

    fn as_text(&self) -> Option<String> {
        match self {
            Scalar::Number(number) => Some(number.to_string()),
            Scalar::Text(text) => Some(text.clone().into_owned()),
            Scalar::Bool(_) | Scalar::Structure => None,
        }
    }

    /// Seconds since the Unix epoch (Chromium's certificate validity) as a timestamp.
    fn as_unix_time(&self) -> Option<Timestamp> {
        let seconds = self.as_f64()?;
        if !(-1e12..=1e12).contains(&seconds) {
            return None;
        }
        DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64)
    }

    fn describe(&self) -> String {
        match self {
            Scalar::Number(number) => number.to_string(),
            Scalar::Text(text) => format!("{text:?}"),
            Scalar::Bool(value) => value.to_string(),
            Scalar::Structure => "an object or array".to_owned(),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Number(number as f64))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Self::Value, E> {
                Ok(Scalar::Number(number as f64))
            }
            fn visit_f64<E: de::Error>(self, number: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Number(number))
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(value))
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Owned(text)))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(Scalar::Structure)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Scalar::Structure)
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

#[cfg(test)]
mod tests;
