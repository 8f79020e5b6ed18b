//! Redacting a mitmproxy flow file: a stream of tnetstring flow dicts.
//!
//! Items are framed with the core's lazy tnetstring reader; an item that does not change is
//! copied byte for byte, a changed string is written again with its own type tag (`,` bytes or
//! `;` text) and new length, and so is every container that holds it. Nothing else changes,
//! so mitmproxy's own `FlowReader` reads the copy like the original (checked in CI by
//! `tests/mitm_diff/check_redacted.py`).
//!
//! Request and response dicts (also inside `backup`, mitmproxy's copy of a flow before it was
//! edited) get the header, URL and body rules; every other string of the flow (websocket
//! messages, metadata, comments, error messages) gets the sweep.

use std::borrow::Cow;
use std::collections::HashMap;

use super::rules::{BodyChange, Place, Redactor};
use crate::capture::mitm::tnetstring::{Item, Tag, TnetError, read_item};

/// Redacts every flow of `input`. A flow that cannot be walked, and a tail that is cut off,
/// are left out of the copy (with a note): unread bytes could hold anything.
pub(super) fn redact(input: &[u8], redactor: &mut Redactor) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 32);
    let mut walk = Walk { input, redactor };
    let mut pos = 0;
    let mut entry = 0;
    while pos < input.len() {
        if input[pos..].iter().all(u8::is_ascii_whitespace) {
            out.extend_from_slice(&input[pos..]);
            break;
        }
        let item = match read_item(input, pos, input.len(), 0) {
            Ok(item) => item,
            Err(err) => {
                let message = format!(
                    "the rest of the file was left out of the copy: it cannot be read ({err})"
                );
                walk.redactor.note(Some(entry), Some(pos as u64), message);
                break;
            }
        };
        match walk.flow(item, entry, false) {
            Ok(Some(new)) => out.extend_from_slice(&new),
            Ok(None) => out.extend_from_slice(walk.whole(&item)),
            Err(err) => {
                let message = format!("flow left out of the copy: it cannot be read ({err})");
                walk.redactor.note(Some(entry), Some(item.offset()), message);
            }
        }
        pos = item.end();
        entry += 1;
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Request => "request",
            Side::Response => "response",
        }
    }
}

type Rewrite = Result<Option<Vec<u8>>, TnetError>;

struct Walk<'a, 'r> {
    input: &'a [u8],
    redactor: &'r mut Redactor,
}

/// A `[name, value]` header pair whose value is a string.
struct Header<'a> {
    item: Item<'a>,
    name: String,
    value: Item<'a>,
}

impl<'a> Walk<'a, '_> {
    fn whole(&self, item: &Item<'a>) -> &'a [u8] {
        self.input.get(item.offset() as usize..item.end()).unwrap_or_default()
    }

    fn flow(&mut self, item: Item<'a>, entry: usize, nested: bool) -> Rewrite {
        if item.tag() != Tag::Dict {
            return self.generic(item, &Place::new(Some(entry), "flow"));
        }
        let pairs = item.dict()?.collect::<Result<Vec<_>, _>>()?;
        let mut new_values = Vec::with_capacity(pairs.len());
        for (key, value) in &pairs {
            let name = key.as_bytes().unwrap_or_default();
            let is_dict = value.tag() == Tag::Dict;
            new_values.push(match name {
                b"request" if is_dict => self.message(*value, entry, Side::Request)?,
                b"response" if is_dict => self.message(*value, entry, Side::Response)?,
                b"backup" if is_dict && !nested => self.flow(*value, entry, true)?,
                _ => self.generic(*value, &Place::new(Some(entry), lossy(name)))?,
            });
        }
        Ok(self.rebuild_dict(&pairs, new_values))
    }

    fn message(&mut self, item: Item<'a>, entry: usize, side: Side) -> Rewrite {
        let pairs = item.dict()?.collect::<Result<Vec<_>, _>>()?;
        let field = |key: &str| {
            pairs
                .iter()
                .find(|(name, _)| name.as_bytes().ok() == Some(key.as_bytes()))
                .map(|(_, value)| *value)
        };
        let headers = match field("headers") {
            Some(list) if list.tag() == Tag::List => self.headers(list)?,
            _ => Vec::new(),
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|header| header.name.eq_ignore_ascii_case(name))
                .map(|header| lossy(header.value.payload()))
        };
        let encoding = header("content-encoding").unwrap_or_default();
        let mime = header("content-type");
        let content =
            field("content").filter(|content| matches!(content.tag(), Tag::Bytes | Tag::Text));
        let body = content.and_then(|content| {
            let place = Place::new(Some(entry), format!("{}.content", side.name()));
            self.redactor
                .wire_body(
                    &place,
                    content.payload(),
                    &encoding,
                    mime.as_deref(),
                    side == Side::Request,
                )
                .map(|change| (content.payload().len(), change))
        });

        let mut new_values = Vec::with_capacity(pairs.len());
        for (key, value) in &pairs {
            let name = key.as_bytes().unwrap_or_default();
            let place = Place::new(Some(entry), format!("{}.{}", side.name(), lossy(name)));
            new_values.push(match name {
                b"headers" if value.tag() == Tag::List => {
                    self.header_list(*value, &headers, &place, body.as_ref())?
                }
                b"trailers" if value.tag() == Tag::List => {
                    let trailers = self.headers(*value)?;
                    self.header_list(*value, &trailers, &place, None)?
                }
                b"content" if matches!(value.tag(), Tag::Bytes | Tag::Text) => {
                    body.as_ref().map(|(_, change)| encode_string(&change.wire, value.tag()))
                }
                _ => self.generic(*value, &place)?,
            });
        }
        Ok(self.rebuild_dict(&pairs, new_values))
    }

    /// The `[name, value]` pairs of a header list whose value is a string.
    fn headers(&self, list: Item<'a>) -> Result<Vec<Header<'a>>, TnetError> {
        let mut headers = Vec::new();
        for pair in list.list()? {
            let pair = pair?;
            if pair.tag() != Tag::List {
                continue;
            }
            let parts = pair.list()?.collect::<Result<Vec<_>, _>>()?;
            if let [name, value] = parts[..]
                && let (Ok(name), Ok(_)) = (name.as_bytes(), value.as_bytes())
            {
                headers.push(Header { item: pair, name: lossy(name).into_owned(), value });
            }
        }
        Ok(headers)
    }

    /// A header list with each value rewritten; `Content-Length` and `Content-Encoding`
    /// follow a changed body (`body` = old stored length and the change).
    fn header_list(
        &mut self,
        list: Item<'a>,
        headers: &[Header<'a>],
        place: &Place,
        body: Option<&(usize, BodyChange)>,
    ) -> Rewrite {
        // Keyed by the pair's offset; a map keeps a list of many changed headers linear.
        let mut changed_pairs: HashMap<usize, Vec<u8>> = HashMap::new();
        for header in headers {
            let original = header.value.payload();
            let mut value = Cow::Borrowed(original);
            if let Some((old_len, change)) = body {
                if header.name.eq_ignore_ascii_case("content-length")
                    && lossy(original).trim() == old_len.to_string()
                {
                    value = Cow::Owned(change.wire.len().to_string().into_bytes());
                } else if header.name.eq_ignore_ascii_case("content-encoding")
                    && change.now_identity
                {
                    value = Cow::Owned(b"identity".to_vec());
                }
            }
            let rewritten = self.redactor.header(&place.sub(&header.name), &header.name, &value);
            let new_value = match rewritten {
                Some(new) => new,
                None if value.as_ref() != original => value.into_owned(),
                None => continue,
            };
            let mut payload = Vec::new();
            let name_item = header.item.list()?.next().transpose()?;
            if let Some(name_item) = name_item {
                payload.extend_from_slice(self.whole(&name_item));
            }
            payload.extend_from_slice(&encode_string(&new_value, header.value.tag()));
            changed_pairs.insert(header.item.offset() as usize, encode(&payload, Tag::List));
        }
        if changed_pairs.is_empty() {
            return Ok(None);
        }
        let mut payload = Vec::with_capacity(list.payload().len() + 64);
        for pair in list.list()? {
            let pair = pair?;
            match changed_pairs.get(&(pair.offset() as usize)) {
                Some(new) => payload.extend_from_slice(new),
                None => payload.extend_from_slice(self.whole(&pair)),
            }
        }
        Ok(Some(encode(&payload, Tag::List)))
    }

    /// Any other value: strings are swept, containers walked (dict keys are kept).
    fn generic(&mut self, item: Item<'a>, place: &Place) -> Rewrite {
        match item.tag() {
            Tag::Bytes | Tag::Text => Ok(self
                .redactor
                .string(place, item.payload())
                .map(|new| encode_string(&new, item.tag()))),
            Tag::List => {
                let children = item.list()?.collect::<Result<Vec<_>, _>>()?;
                let mut new_children = Vec::with_capacity(children.len());
                for child in &children {
                    new_children.push(self.generic(*child, place)?);
                }
                if new_children.iter().all(Option::is_none) {
                    return Ok(None);
                }
                let mut payload = Vec::with_capacity(item.payload().len() + 64);
                for (child, new) in children.iter().zip(new_children) {
                    payload.extend_from_slice(new.as_deref().unwrap_or(self.whole(child)));
                }
                Ok(Some(encode(&payload, Tag::List)))
            }
            Tag::Dict => {
                let pairs = item.dict()?.collect::<Result<Vec<_>, _>>()?;
                let mut new_values = Vec::with_capacity(pairs.len());
                for (_, value) in &pairs {
                    new_values.push(self.generic(*value, place)?);
                }
                Ok(self.rebuild_dict(&pairs, new_values))
            }
            _ => Ok(None),
        }
    }

    fn rebuild_dict(
        &self,
        pairs: &[(Item<'a>, Item<'a>)],
        new_values: Vec<Option<Vec<u8>>>,
    ) -> Option<Vec<u8>> {
        if new_values.iter().all(Option::is_none) {
            return None;
        }
        let mut payload = Vec::new();
        for ((key, value), new) in pairs.iter().zip(new_values) {
            payload.extend_from_slice(self.whole(key));
            payload.extend_from_slice(new.as_deref().unwrap_or(self.whole(value)));
        }
        Some(encode(&payload, Tag::Dict))
    }
}

/// A changed string item, with its original tag unless that is `;` (UTF-8 text) and the new
/// bytes are not UTF-8 (a body compressed again), which only `,` (bytes) may hold.
fn encode_string(payload: &[u8], tag: Tag) -> Vec<u8> {
    let tag =
        if tag == Tag::Text && std::str::from_utf8(payload).is_err() { Tag::Bytes } else { tag };
    encode(payload, tag)
}

/// One tnetstring item: `<length>:<payload><tag>`.
fn encode(payload: &[u8], tag: Tag) -> Vec<u8> {
    let length = payload.len().to_string();
    let mut out = Vec::with_capacity(length.len() + payload.len() + 2);
    out.extend_from_slice(length.as_bytes());
    out.push(b':');
    out.extend_from_slice(payload);
    out.push(tag_byte(tag));
    out
}

fn tag_byte(tag: Tag) -> u8 {
    match tag {
        Tag::Bytes => b',',
        Tag::Text => b';',
        Tag::Integer => b'#',
        Tag::Float => b'^',
        Tag::Bool => b'!',
        Tag::Null => b'~',
        Tag::List => b']',
        Tag::Dict => b'}',
    }
}

fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}
