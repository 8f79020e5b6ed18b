//! Redacting a HAR file by rewriting single string literals in place.
//!
//! serde_json validates the document and hands out each field we name as a `RawValue`, whose
//! position in the input (pointer difference) is the span to rewrite. Entries are read field by
//! field and leniently: a field of an unexpected type is skipped, never fatal. Request and
//! response headers, URLs, `queryString`, `cookies`, `postData` (`text` and `params`) and
//! `content.text` get their rules; then every other string literal in the document (pages,
//! `_` extensions, comments) gets the sweep. Only changed literals (and the size fields that
//! follow them) are written; every other byte of the file stays as it was.

use std::ops::Range;

use base64::Engine as _;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::RedactError;
use super::json::{self, Frame, Role};
use super::rules::{BodyChange, Place, Redactor, apply_byte_edits};

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Strings shorter than this (quotes included) cannot hold anything the sweep looks for.
const MIN_SWEPT_LITERAL: usize = super::book::MIN_SWEEP_LEN + 2;

pub(super) fn redact(data: &[u8], redactor: &mut Redactor) -> Result<Vec<u8>, RedactError> {
    let bom_len = if data.starts_with(UTF8_BOM) { UTF8_BOM.len() } else { 0 };
    let text = std::str::from_utf8(&data[bom_len..]).map_err(|err| RedactError::Malformed {
        byte_offset: (bom_len + err.valid_up_to()) as u64,
        message: "invalid JSON: not UTF-8 text".to_owned(),
    })?;
    // One pass over the document when it has the usual shape (it is validated on the way);
    // otherwise field by field, so an odd `log` still gets a precise error or its entries.
    let entries = match serde_json::from_str::<DocDe<'_>>(text) {
        Ok(DocDe { log: Some(LogDe { entries }) }) => entries.unwrap_or_default(),
        Ok(DocDe { log: None }) => return Err(not_a_har(bom_len)),
        Err(_) => {
            let root: &RawValue =
                serde_json::from_str(text).map_err(|err| RedactError::Malformed {
                    byte_offset: (bom_len + line_column_to_offset(text, err.line(), err.column()))
                        as u64,
                    message: format!("invalid JSON: {err}"),
                })?;
            let Some(log) = get(&fields(root), "log") else { return Err(not_a_har(bom_len)) };
            get(&fields(log), "entries").map(items).unwrap_or_default()
        }
    };
    let mut har = Har { data, redactor, edits: Vec::new(), handled: Vec::new() };
    for (entry_idx, entry) in entries.into_iter().enumerate() {
        let (request, response) = entry_messages(entry);
        if let Some(request) = request {
            har.message(entry_idx, Side::Request, request);
        }
        if let Some(response) = response {
            har.message(entry_idx, Side::Response, response);
        }
    }
    har.sweep_the_rest();
    let Har { edits, .. } = har;
    Ok(apply_byte_edits(data, edits).unwrap_or_else(|| data.to_vec()))
}

fn not_a_har(bom_len: usize) -> RedactError {
    RedactError::Malformed {
        byte_offset: bom_len as u64,
        message: "not a HAR file: the top-level object has no `log`".to_owned(),
    }
}

#[derive(Deserialize)]
struct DocDe<'a> {
    #[serde(borrow)]
    log: Option<LogDe<'a>>,
}

#[derive(Deserialize)]
struct LogDe<'a> {
    #[serde(borrow)]
    entries: Option<Vec<&'a RawValue>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// How a HAR body text stands for the body's bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stored {
    Text,
    Base64,
    /// One character per byte (mitmproxy's Latin-1 reading of binary request bodies).
    Latin1,
}

struct Har<'d, 'r> {
    data: &'d [u8],
    redactor: &'r mut Redactor,
    edits: Vec<(Range<usize>, Vec<u8>)>,
    /// Start offsets of the literals a structural rule already handled (sorted before the
    /// sweep looks them up).
    handled: Vec<usize>,
}

impl<'d> Har<'d, '_> {
    fn span(&self, raw: &RawValue) -> Option<Range<usize>> {
        let start = (raw.get().as_ptr() as usize).checked_sub(self.data.as_ptr() as usize)?;
        let end = start.checked_add(raw.get().len())?;
        (end <= self.data.len()).then_some(start..end)
    }

    /// Marks `raw` as handled and, when `new` is given, replaces it with that string.
    fn set_string(&mut self, raw: &RawValue, new: Option<String>) {
        let Some(span) = self.span(raw) else { return };
        self.handled.push(span.start);
        if let Some(new) = new {
            self.edits.push((span, json::literal(&new)));
        }
    }

    /// Replaces a number that equals `old` with `new`.
    fn fix_size(&mut self, raw: Option<&RawValue>, old: usize, new: usize) {
        let Some(raw) = raw else { return };
        if old == new || raw.get().trim().parse::<u64>().ok() != Some(old as u64) {
            return;
        }
        if let Some(span) = self.span(raw) {
            self.edits.push((span, new.to_string().into_bytes()));
        }
    }

    fn message(&mut self, entry: usize, side: Side, message: Message<'d>) {
        let side_name = match side {
            Side::Request => "request",
            Side::Response => "response",
        };
        let header = |name: &str| {
            message
                .headers
                .iter()
                .find(|(header_name, _)| header_name.eq_ignore_ascii_case(name))
                .and_then(|(_, value)| string(value))
        };
        let encoding = header("content-encoding").unwrap_or_default();

        let body_key = if side == Side::Request { "postData" } else { "content" };
        let mut body: Option<(usize, BodyChange)> = None;
        if let Some(container) = &message.body {
            let mime = container.mime_type.clone().or_else(|| header("content-type"));
            if let Some(text) = container.text {
                let is_base64 = container
                    .encoding
                    .as_deref()
                    .is_some_and(|encoding| encoding.eq_ignore_ascii_case("base64"));
                let place = Place::new(Some(entry), format!("{side_name}.{body_key}.text"));
                body = self.body_text(&place, text, is_base64, mime.as_deref(), &encoding, side);
            }
            for (name, value) in &container.params {
                let place = Place::new(Some(entry), format!("{side_name}.{body_key}.params"));
                let new = string(value).and_then(|text| self.redactor.param(&place, name, &text));
                self.set_string(value, new);
            }
            if let Some((_, change)) = &body {
                self.fix_size(container.size, change.old_decoded_len, change.new_decoded_len);
            }
        }
        if let Some((old_stored_len, change)) = &body {
            self.fix_size(message.body_size, *old_stored_len, change.wire.len());
        }

        let mut headers_delta: i64 = 0;
        let headers_place = Place::new(Some(entry), format!("{side_name}.headers"));
        for (name, raw_value) in &message.headers {
            let Some(original) = string(raw_value) else { continue };
            let mut value = original.clone();
            if let Some((old_stored_len, change)) = &body {
                if name.eq_ignore_ascii_case("content-length")
                    && original.trim() == old_stored_len.to_string()
                {
                    value = change.wire.len().to_string();
                } else if name.eq_ignore_ascii_case("content-encoding") && change.now_identity {
                    value = "identity".to_owned();
                }
            }
            let place = headers_place.sub(name);
            let new = match self.redactor.header(&place, name, value.as_bytes()) {
                Some(new) => Some(String::from_utf8_lossy(&new).into_owned()),
                None => (value != original).then_some(value),
            };
            if let Some(new) = &new {
                headers_delta += new.len() as i64 - original.len() as i64;
            }
            self.set_string(raw_value, new);
        }
        if headers_delta != 0
            && let Some(raw) = message.headers_size
            && let Ok(old) = raw.get().trim().parse::<i64>()
            && old >= 0
        {
            let new = usize::try_from(old + headers_delta).unwrap_or(0);
            self.fix_size(Some(raw), old as usize, new);
        }

        let url_key = if side == Side::Request { "url" } else { "redirectURL" };
        if let Some(raw) = message.url {
            let place = Place::new(Some(entry), format!("{side_name}.{url_key}"));
            let new = string(raw).and_then(|url| self.redactor.string(&place, url.as_bytes()));
            self.set_string(raw, new.map(|new| String::from_utf8_lossy(&new).into_owned()));
        }
        for (name, value) in &message.query {
            let place = Place::new(Some(entry), format!("{side_name}.queryString"));
            let new = string(value).and_then(|text| self.redactor.param(&place, name, &text));
            self.set_string(value, new);
        }
        for (name, value) in &message.cookies {
            let place = Place::new(Some(entry), format!("{side_name}.cookie")).sub(name);
            let new = string(value).and_then(|text| self.redactor.cookie_value(&place, &text));
            self.set_string(value, new);
        }
    }

    /// A body's `text`: its bytes (base64 or Latin-1 undone), rewritten through the body
    /// rules (content-encoding undone when the text still carries it), written back alike.
    /// Returns the stored length before and the change.
    fn body_text(
        &mut self,
        place: &Place,
        raw: &RawValue,
        is_base64: bool,
        mime: Option<&str>,
        encoding: &str,
        side: Side,
    ) -> Option<(usize, BodyChange)> {
        let text = string(raw)?;
        let span = self.span(raw)?;
        self.handled.push(span.start);
        let (bytes, stored) = if is_base64 {
            let compact: std::borrow::Cow<'_, str> =
                if memchr::memchr3(b' ', b'\n', b'\r', text.as_bytes()).is_some()
                    || memchr::memchr(b'\t', text.as_bytes()).is_some()
                {
                    text.split_ascii_whitespace().collect::<String>().into()
                } else {
                    text.as_str().into()
                };
            match super::rules::Base64Text::parse(&compact, false) {
                Some(base64) => (base64.decoded, Stored::Base64),
                None => {
                    let message =
                        format!("{}: says base64 but is not; searched as text", place.field);
                    self.redactor.note(place.entry, Some(span.start as u64), message);
                    (text.into_bytes(), Stored::Text)
                }
            }
        } else if side == Side::Request
            && !declares_text_charset(mime)
            && !text.is_ascii()
            && text.chars().all(|ch| u32::from(ch) < 0x100)
        {
            (text.chars().map(|ch| ch as u8).collect(), Stored::Latin1)
        } else {
            (text.into_bytes(), Stored::Text)
        };
        // HAR producers store bodies decoded; only bytes that still start with the coding's
        // magic number are taken as encoded (the HAR reader's rule).
        let coding = if still_encoded(encoding, &bytes) { encoding } else { "" };
        let change = self.redactor.wire_body(place, &bytes, coding, mime, side == Side::Request)?;
        let new_text = match stored {
            Stored::Base64 => base64::engine::general_purpose::STANDARD.encode(&change.wire),
            Stored::Latin1 => change.wire.iter().map(|&byte| char::from(byte)).collect(),
            Stored::Text => String::from_utf8_lossy(&change.wire).into_owned(),
        };
        self.edits.push((span, json::literal(&new_text)));
        Some((bytes.len(), change))
    }

    /// The sweep over every string literal no rule handled (skipping keys and strings too
    /// short to matter). Items found get the literal's JSON path as their field.
    fn sweep_the_rest(&mut self) {
        self.handled.sort_unstable();
        let Har { data, redactor, edits, handled } = self;
        let data: &[u8] = data;
        json::for_each_string(data, |span, role, frames| {
            if role == Role::Key
                || span.len() < MIN_SWEPT_LITERAL
                || handled.binary_search(&span.start).is_ok()
            {
                return;
            }
            let Some(literal) = data.get(span.clone()) else { return };
            let value = crate::capture::json_string::unescape(literal);
            let masked_before = redactor.masked.len();
            if let Some(new) = redactor.string(&Place::new(None, ""), value.as_bytes()) {
                edits.push((span, json::literal(&String::from_utf8_lossy(&new))));
            }
            if redactor.masked.len() > masked_before {
                let (entry, path) = locate(data, frames);
                for item in &mut redactor.masked[masked_before..] {
                    item.entry = entry;
                    item.field = if item.field.is_empty() {
                        path.clone()
                    } else {
                        format!("{path} {}", item.field)
                    };
                }
            }
        });
    }
}

/// The parts of a request or response the rules look at; string values stay raw (for their
/// spans), names are read.
struct Message<'a> {
    /// Header name and value (only headers whose value is a string).
    headers: Vec<(String, &'a RawValue)>,
    cookies: Vec<(String, &'a RawValue)>,
    query: Vec<(String, &'a RawValue)>,
    body: Option<BodyParts<'a>>,
    /// `request.url` or `response.redirectURL`, when a string.
    url: Option<&'a RawValue>,
    body_size: Option<&'a RawValue>,
    headers_size: Option<&'a RawValue>,
}

/// `postData` or `content`.
struct BodyParts<'a> {
    text: Option<&'a RawValue>,
    encoding: Option<String>,
    mime_type: Option<String>,
    size: Option<&'a RawValue>,
    params: Vec<(String, &'a RawValue)>,
}

/// An entry's request and response, read in one pass over the entry when it has the usual
/// shape, else field by field (so one odd field never hides the others).
fn entry_messages(entry: &RawValue) -> (Option<Message<'_>>, Option<Message<'_>>) {
    if let Ok(typed) = serde_json::from_str::<EntryDe<'_>>(entry.get()) {
        return (
            typed.request.map(|message| message.into_message(false)),
            typed.response.map(|message| message.into_message(true)),
        );
    }
    let members = fields(entry);
    let lenient = |name: &str, is_response: bool| {
        get(&members, name).map(|raw| lenient_message(raw, is_response))
    };
    (lenient("request", false), lenient("response", true))
}

fn lenient_message(raw: &RawValue, is_response: bool) -> Message<'_> {
    let message = fields(raw);
    let pairs = |name: &str| -> Vec<(String, &RawValue)> {
        get(&message, name)
            .map(items)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|pair| {
                let pair = fields(pair);
                let name = get(&pair, "name").and_then(string).unwrap_or_default();
                Some((name, get(&pair, "value").filter(|value| is_string(value))?))
            })
            .collect()
    };
    let body = get(&message, if is_response { "content" } else { "postData" }).map(|raw| {
        let body = fields(raw);
        BodyParts {
            text: get(&body, "text").filter(|text| is_string(text)),
            encoding: get(&body, "encoding").and_then(string),
            mime_type: get(&body, "mimeType").and_then(string),
            size: get(&body, "size"),
            params: get(&body, "params")
                .map(items)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|pair| {
                    let pair = fields(pair);
                    let name = get(&pair, "name").and_then(string)?;
                    Some((name, get(&pair, "value").filter(|value| is_string(value))?))
                })
                .collect(),
        }
    });
    Message {
        headers: pairs("headers").into_iter().filter(|(name, _)| !name.is_empty()).collect(),
        cookies: pairs("cookies"),
        query: pairs("queryString"),
        body,
        url: get(&message, if is_response { "redirectURL" } else { "url" })
            .filter(|url| is_string(url)),
        body_size: get(&message, "bodySize"),
        headers_size: get(&message, "headersSize"),
    }
}

/// The usual shape of an entry, every leaf raw; any other shape falls back to the lenient
/// reading.
#[derive(Deserialize)]
struct EntryDe<'a> {
    #[serde(borrow)]
    request: Option<MessageDe<'a>>,
    #[serde(borrow)]
    response: Option<MessageDe<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageDe<'a> {
    #[serde(borrow, default)]
    headers: Vec<PairDe<'a>>,
    #[serde(borrow, default)]
    cookies: Vec<PairDe<'a>>,
    #[serde(borrow, default)]
    query_string: Vec<PairDe<'a>>,
    #[serde(borrow)]
    post_data: Option<BodyDe<'a>>,
    #[serde(borrow)]
    content: Option<BodyDe<'a>>,
    #[serde(borrow)]
    url: Option<&'a RawValue>,
    #[serde(borrow, rename = "redirectURL")]
    redirect_url: Option<&'a RawValue>,
    #[serde(borrow)]
    body_size: Option<&'a RawValue>,
    #[serde(borrow)]
    headers_size: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BodyDe<'a> {
    #[serde(borrow)]
    text: Option<&'a RawValue>,
    #[serde(borrow)]
    encoding: Option<&'a RawValue>,
    #[serde(borrow)]
    mime_type: Option<&'a RawValue>,
    #[serde(borrow)]
    size: Option<&'a RawValue>,
    #[serde(borrow, default)]
    params: Vec<PairDe<'a>>,
}

#[derive(Deserialize)]
struct PairDe<'a> {
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
}

impl<'a> MessageDe<'a> {
    fn into_message(self, is_response: bool) -> Message<'a> {
        let pairs = |list: Vec<PairDe<'a>>| -> Vec<(String, &'a RawValue)> {
            list.into_iter()
                .filter_map(|pair| {
                    let name = pair.name.and_then(string).unwrap_or_default();
                    Some((name, pair.value.filter(|value| is_string(value))?))
                })
                .collect()
        };
        let body = if is_response { self.content } else { self.post_data };
        let url = if is_response { self.redirect_url } else { self.url };
        Message {
            headers: pairs(self.headers).into_iter().filter(|(name, _)| !name.is_empty()).collect(),
            cookies: pairs(self.cookies),
            query: pairs(self.query_string),
            body: body.map(|body| BodyParts {
                text: body.text.filter(|text| is_string(text)),
                encoding: body.encoding.and_then(string),
                mime_type: body.mime_type.and_then(string),
                size: body.size,
                params: pairs(body.params)
                    .into_iter()
                    .filter(|(name, _)| !name.is_empty())
                    .collect(),
            }),
            url: url.filter(|url| is_string(url)),
            body_size: self.body_size,
            headers_size: self.headers_size,
        }
    }
}

/// The entry index and the path inside it of a literal at `frames`.
fn locate(data: &[u8], frames: &[Frame]) -> (Option<usize>, String) {
    let key = |idx: usize| frames.get(idx).and_then(|frame| json::frame_key(data, frame));
    if key(0).as_deref() == Some("log")
        && key(1).as_deref() == Some("entries")
        && let Some(Frame::Array { index }) = frames.get(2)
    {
        return (Some(*index), super::rules::clean_label(&json::render_path(data, &frames[3..])));
    }
    (None, super::rules::clean_label(&json::render_path(data, frames)))
}

/// Whether the stored bytes still carry `encoding` (they start with its magic number).
fn still_encoded(encoding: &str, head: &[u8]) -> bool {
    match encoding.trim().to_ascii_lowercase().as_str() {
        "gzip" | "x-gzip" => head.starts_with(&[0x1f, 0x8b]),
        "zstd" => head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]),
        "deflate" => {
            head.len() >= 2
                && head[0] & 0x0f == 8
                && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0
        }
        _ => false,
    }
}

/// Whether a MIME type names a text charset, so mitmproxy wrote the body as text, not Latin-1.
fn declares_text_charset(mime: Option<&str>) -> bool {
    let Some(mime) = mime else { return false };
    let mime = mime.to_ascii_lowercase();
    let latin1 =
        ["latin-1", "latin1", "iso-8859-1", "iso8859-1"].iter().any(|name| mime.contains(name));
    mime.contains("json") || (mime.contains("charset=") && !latin1)
}

fn line_column_to_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize =
        text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// An object's members in file order, each value as the raw JSON it was; empty for anything
/// that is not an object.
fn fields(raw: &RawValue) -> Vec<(String, &RawValue)> {
    serde_json::from_str::<Members<'_>>(raw.get()).map(|members| members.0).unwrap_or_default()
}

/// The value of the first member named `name`.
fn get<'a>(members: &[(String, &'a RawValue)], name: &str) -> Option<&'a RawValue> {
    members.iter().find(|(key, _)| key == name).map(|(_, value)| *value)
}

/// An array's items; empty for anything that is not an array.
fn items(raw: &RawValue) -> Vec<&RawValue> {
    serde_json::from_str::<Vec<&RawValue>>(raw.get()).unwrap_or_default()
}

fn is_string(raw: &RawValue) -> bool {
    raw.get().starts_with('"')
}

/// A string value's text, escapes undone; `None` for other values.
fn string(raw: &RawValue) -> Option<String> {
    is_string(raw).then(|| crate::capture::json_string::unescape(raw.get().as_bytes()))
}

struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for MembersVisitor<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'a>, A::Error> {
                let mut members = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor(std::marker::PhantomData))
    }
}
