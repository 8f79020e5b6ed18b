//! HAR 1.2/1.3 reader: `log.entries[i]` → [`Exchange`].
//!
//! # Design
//!
//! ```text
//!  bytes ─► UTF-8 check ─► one serde_json pass over the document, entry by entry:
//!                            │  `log.entries[i]` into a borrowed, lenient `EntryDe<'a>`
//!                            │  (de.rs: a wrong type is a value, not an error)
//!                            ▼
//!           convert_entry: URL split, timestamps, failed requests, headers as spans of the
//!           input, bodies as `Bytes::slice_ref` of it (Raw / Base64 / JsonEscapedText / Latin1Text)
//!                            │  (a wrong type where meaning matters → this entry skipped,
//!                            ▼   InputProblem naming the field: `entries[12].request.url: ...`)
//!           exchanges so far ─► a syntax error or the end of a cut file stops reading; what
//!                               was read before stays, with a problem at the byte offset
//! ```
//!
//! We parse into our own borrowed serde model rather than the `har` crate (0.9). That crate
//! goes through `serde_json::Value` into owned structs, so every body and header is copied
//! (twice: it clones `log` out of the `Value`), and it rejects real files that omit
//! "required" fields (`cache`, `timings`, `cookies`, `headersSize`, ...), which Firefox,
//! Charles and hand-trimmed HARs do. The `har` crate stays as a dev-dependency: a
//! differential oracle in `tests/har_oracle.rs`.
//!
//! One pass: entries are converted as serde_json reaches them, so nothing is sized from the
//! number of entries the file claims, memory grows only with what was read, and a file cut
//! anywhere keeps every complete entry before the cut. Per-entry isolation (one odd entry
//! does not lose the file) comes from the lenient model instead of a second parse of each
//! entry's raw text; the byte offset of each entry comes from where its first key lies in
//! the input. Header names and values are spans of the input (`Headers`), copied only when
//! they carry JSON escapes. Figures: README "Benchmarks".
//!
//! # Leniency
//!
//! Lenient where it is harmless: missing `cache`, `timings`, `cookies`, `headersSize`,
//! `bodySize`, `httpVersion`, `comment`, a UTF-8 byte order mark, numbers written as strings,
//! unknown (`_`-prefixed) fields, duplicate keys (the last wins). Strict where meaning would
//! change: invalid JSON before the first entry is a [`CaptureError::Malformed`] with line,
//! column and byte offset (after it, reading stops there and keeps what it read); an entry
//! whose `request.url`, `request.method`, headers or bodies have the wrong type is skipped with
//! an [`InputProblem`] naming its index and field, and the other entries are still read.

mod de;
mod fast;

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde::Deserialize as _;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{CaptureError, InputProblem, Location, ReaderContext, exchange_memory};
use crate::model::{
    ArcStr, Body, BodyData, CertificateSummary, CompactString, EntryRef, Exchange, Headers,
    Request, Response, TextInterner, Timestamp, Timing, TlsInfo,
};
use de::{
    ContentDe, CreatorDe, Ctx, EntryDe, FieldProblem, Found, FromJson, HeadersDe, In, Key, Obj,
    ParamDe, PostDataDe, RawText, ResponseDe, Scalar, SecurityDetailsDe, Text,
};

pub(crate) type ReadResult =
    Result<(Vec<Exchange>, Vec<InputProblem>, Option<String>), CaptureError>;

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// At most this many problems are listed one by one; a hostile file with a million broken
/// entries gets a summary line instead of a million messages.
const MAX_LISTED_PROBLEMS: usize = 1000;

/// Reads a HAR document held in `bytes` (already decompressed) with the default limits.
#[cfg(test)]
pub(crate) fn read(source_idx: usize, name: &str, bytes: Bytes) -> ReadResult {
    let limits = super::ReadLimits::DEFAULT;
    let context = ReaderContext::new(source_idx, name, bytes.len() as u64, &limits);
    read_with(&context, bytes)
}

/// Reads a HAR document held in `bytes` (already decompressed).
///
/// Bodies and header text stored without JSON escapes become slices of `bytes`, so they are
/// not copied.
pub(crate) fn read_with(context: &ReaderContext<'_>, bytes: Bytes) -> ReadResult {
    read_with_path(context, bytes, true)
}

/// [`read_with`], optionally without the fast path (tests compare the two).
fn read_with_path(context: &ReaderContext<'_>, bytes: Bytes, try_fast: bool) -> ReadResult {
    let name = context.name;
    let bom_len = if bytes.starts_with(UTF8_BOM) { UTF8_BOM.len() } else { 0 };
    // Validating UTF-8 once up front (SIMD) and then parsing `&str` is ~1.6x faster than
    // `from_slice`, which re-validates every string it hands out. Text that stops being UTF-8
    // part-way is read up to there.
    let (json, utf8_error_at) = match super::utf8(&bytes[bom_len..]) {
        Ok(json) => (json, None),
        Err(err) => {
            let valid = err.valid_up_to();
            let prefix = std::str::from_utf8(&bytes[bom_len..bom_len + valid]).unwrap_or_default();
            (prefix, Some(valid))
        }
    };
    let mut state = State::new(context, &bytes);
    // The fast path reads valid HAR; whatever it leaves to the serde path (invalid JSON, odd
    // shapes) is read again from the start by it, which alone reports errors (see fast.rs).
    let fast = try_fast && utf8_error_at.is_none() && fast::read(&mut state, json).is_ok();
    let res = if fast {
        Ok(())
    } else {
        state = State::new(context, &bytes);
        let mut deserializer = serde_json::Deserializer::from_str(json);
        DocumentSeed(&mut state).deserialize(&mut deserializer).and_then(|()| deserializer.end())
    };
    if let Err(err) = res {
        let offset = line_column_to_offset(json.as_bytes(), err.line(), err.column()) + bom_len;
        let location = Location {
            source: name.to_owned(),
            entry: None,
            byte_offset: Some(offset as u64),
            line_column: Some((err.line(), err.column())),
        };
        // serde_json calls some cuts EOF and others by what it was parsing ("invalid number"
        // for `"status": 20` at the very end); an error at the last byte is a cut either way.
        let at_end = err.is_eof() || offset + 1 >= bytes.len();
        let cut_by_utf8 = utf8_error_at.is_some() && at_end;
        if state.entries == EntriesState::NotSeen
            || (state.exchanges.is_empty() && state.n_entries == 0)
        {
            let message = if cut_by_utf8 {
                "invalid JSON: not UTF-8 text".to_owned()
            } else {
                json_error_message(&err)
            };
            let mut location = location;
            if let Some(valid) = utf8_error_at.filter(|_| cut_by_utf8) {
                location.byte_offset = Some((valid + bom_len) as u64);
                location.line_column = Some(offset_to_line_column(&bytes[bom_len..], valid));
            }
            return Err(CaptureError::Malformed { location, message });
        }
        let n_read = state.exchanges.len();
        let message = match (state.entries, cut_by_utf8, at_end) {
            (_, true, _) => format!(
                "the file stops being UTF-8 text here, inside entries[{}]; the {n_read} exchanges read before it \
                 are kept, the rest is not read",
                state.n_entries
            ),
            (EntriesState::Reading, false, true) => format!(
                "the file ends inside entries[{}]: it is cut short; the {n_read} exchanges read before the cut are \
                 kept. Record or copy the file again to get the rest",
                state.n_entries
            ),
            (EntriesState::Reading, false, false) => format!(
                "{} inside entries[{}]; reading stops there, and the {n_read} exchanges read before it are kept",
                json_error_message(&err),
                state.n_entries
            ),
            (_, false, _) => {
                format!("{} after the entries; every entry was read", json_error_message(&err))
            }
        };
        state.problems.push_located(location, message);
    }
    if !state.saw_log {
        return Err(CaptureError::Malformed {
            location: Location { source: name.to_owned(), ..Location::default() },
            message: "not a HAR file: the top-level object has no `log`".to_owned(),
        });
    }
    match state.entries {
        EntriesState::NotSeen => {
            state.problems.push(
                None,
                None,
                "the HAR log has no `entries`; it holds no exchanges".to_owned(),
            );
        }
        EntriesState::NotArray(found) => state.problems.push(
            None,
            None,
            format!("`log.entries` is {found}, not an array; it holds no exchanges"),
        ),
        EntriesState::Reading | EntriesState::Done => {}
    }
    if let Some(n_unread) = state.n_unread_for_memory.filter(|&n_unread| n_unread > 0) {
        state.problems.push(None, None, format!("{n_unread} entries after that were not read"));
    }
    Ok((state.exchanges, state.problems.finish(), state.producer))
}

/// serde_json's message without its position (the location has it) and without quoting input.
fn json_error_message(err: &serde_json::Error) -> String {
    let message = err.to_string();
    let message = match message.rfind(" at line ") {
        Some(cut) => &message[..cut],
        None => &message,
    };
    match err.classify() {
        // Only our own top-level shape errors are data errors; they quote nothing.
        serde_json::error::Category::Data => format!("not a HAR file: {message}"),
        _ => format!("invalid JSON: {message}"),
    }
}

/// Byte offset of serde_json's 1-based (line, column); column 0 means "before the first byte".
fn line_column_to_offset(text: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', text).nth(line - 2).map_or(text.len(), |idx| idx + 1)
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
        let location =
            Location { source: self.source.clone(), entry, byte_offset, line_column: None };
        self.push_located(location, message);
    }

    fn push_located(&mut self, location: Location, message: String) {
        if self.listed.len() >= MAX_LISTED_PROBLEMS {
            self.unlisted += 1;
            return;
        }
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

#[derive(Clone, Copy, Debug, PartialEq)]
enum EntriesState {
    NotSeen,
    Reading,
    Done,
    NotArray(Found),
}

/// What the reader has so far; the serde seeds below fill it as the parser goes.
struct State<'c, 'b> {
    context: &'c ReaderContext<'c>,
    /// The whole input, so borrowed text can become `Bytes` slices of it.
    buffer: &'b Bytes,
    exchanges: Vec<Exchange>,
    problems: Problems,
    producer: Option<String>,
    saw_log: bool,
    entries: EntriesState,
    /// Entries begun so far (the index of the next one).
    n_entries: usize,
    /// Memory the exchanges read so far take (see `exchange_memory`).
    memory_used: u64,
    /// Set once the memory limit is reached: how many entries were skipped since.
    n_unread_for_memory: Option<usize>,
    /// Reused for collecting each header list (see `Headers::take_compact`).
    scratch: RefCell<Headers>,
    /// The shared copies of the exchanges' small text.
    texts: TextInterner,
}

impl<'c, 'b> State<'c, 'b> {
    fn new(context: &'c ReaderContext<'c>, buffer: &'b Bytes) -> State<'c, 'b> {
        State {
            context,
            buffer,
            exchanges: Vec::new(),
            problems: Problems::new(context.name),
            producer: None,
            saw_log: false,
            entries: EntriesState::NotSeen,
            n_entries: 0,
            memory_used: 0,
            n_unread_for_memory: None,
            scratch: RefCell::new(Headers::default()),
            texts: TextInterner::default(),
        }
    }

    /// The shared copy of a small text field; empty when absent or not text.
    fn text_or_empty(&mut self, field: Option<Scalar<'_>>) -> ArcStr {
        field.and_then(Scalar::into_text).map_or_else(ArcStr::new, |text| self.texts.get(&text))
    }

    /// The shared copy of a small text field; `None` when absent, empty or not text.
    fn text_if_any(&mut self, field: Option<Scalar<'_>>) -> Option<ArcStr> {
        field
            .and_then(Scalar::into_text)
            .filter(|text| !text.is_empty())
            .map(|text| self.texts.get(&text))
    }

    /// What the lenient model is read with.
    fn ctx(&self) -> Ctx<'_> {
        Ctx { buffer: self.buffer, scratch: &self.scratch }
    }

    /// `log.version`: anything but 1.x is read as 1.2, with a problem saying so.
    fn check_version(&mut self, version: &Scalar<'_>) {
        if let Some(version) = version.text()
            && !version.starts_with("1.")
        {
            // Shown only when it looks like a version: the text is the file's.
            let shown = if version.len() <= 8
                && version.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.')
            {
                format!("version {version}")
            } else {
                "version (not a number)".to_owned()
            };
            self.problems.push(None, None, format!("unknown HAR {shown}, read as HAR 1.2"));
        }
    }

    /// `log.creator`: the producer, as `name version`.
    fn set_creator(&mut self, creator: Obj<CreatorDe<'_>>) {
        self.producer = creator.ok().and_then(|creator| {
            let text = |text: Option<Text<'_>>| {
                text.and_then(Text::ok).map(Cow::into_owned).unwrap_or_default()
            };
            let producer =
                format!("{} {}", text(creator.name), text(creator.version)).trim().to_owned();
            (!producer.is_empty()).then_some(producer)
        });
    }

    /// Where the object whose first key starts at address `first_key` begins (its `{`).
    fn object_start(&self, first_key: usize) -> Option<usize> {
        let base = self.buffer.as_ptr() as usize;
        let key_offset =
            first_key.checked_sub(base).filter(|&offset| offset <= self.buffer.len())?;
        let before_quote = key_offset.checked_sub(1)?;
        let brace =
            self.buffer[..before_quote].iter().rposition(|byte| !byte.is_ascii_whitespace())?;
        (self.buffer[brace] == b'{').then_some(brace)
    }

    fn take_entry(&mut self, entry: Obj<EntryDe<'_>>) {
        let entry_idx = self.n_entries;
        self.n_entries += 1;
        if let Some(n_unread) = &mut self.n_unread_for_memory {
            *n_unread += 1;
            return;
        }
        let (entry, first_key) = match entry {
            Obj::Present { value, first_key } => (value, first_key),
            Obj::Wrong(found) => {
                self.problems.push(
                    Some(entry_idx),
                    None,
                    format!("entries[{entry_idx}]: expected an object, found {found}; {SKIPPED}"),
                );
                return;
            }
        };
        let entry_start = first_key.and_then(|first_key| self.object_start(first_key));
        let origin = EntryRef {
            source: self.context.source_idx,
            index: entry_idx,
            byte_offset: entry_start.map(|start| start as u64),
        };
        match convert_entry(self, entry, origin) {
            Ok(exchange) => self.keep(exchange, entry_start),
            Err(message) => self.problems.push(
                Some(entry_idx),
                entry_start.map(|start| start as u64),
                format!("{message}; {SKIPPED}"),
            ),
        }
    }

    /// Keeps a converted entry, and stops reading once the exchanges outgrow the memory limit.
    fn keep(&mut self, exchange: Exchange, entry_start: Option<usize>) {
        let entry_idx = exchange.origin.index;
        self.memory_used += exchange_memory(&exchange);
        self.exchanges.push(exchange);
        if self.memory_used > self.context.memory_limit {
            let message = self.context.memory_limit_message(self.exchanges.len(), self.memory_used);
            self.problems.push(Some(entry_idx), entry_start.map(|start| start as u64), message);
            self.n_unread_for_memory = Some(0);
        }
    }

    /// Converts an entry read ahead of its turn (`fast.rs`), where its index is not known yet:
    /// the exchange and where its entry starts when the conversion had nothing to report, else
    /// `None`, and the entry is converted again in its turn, so that what is reported names the
    /// right entry and comes in file order.
    fn convert_ahead(&mut self, entry: Obj<EntryDe<'_>>) -> Option<(Exchange, Option<usize>)> {
        let Obj::Present { value, first_key } = entry else { return None };
        let entry_start = first_key.and_then(|first_key| self.object_start(first_key));
        let origin = EntryRef {
            source: self.context.source_idx,
            index: 0,
            byte_offset: entry_start.map(|start| start as u64),
        };
        let n_listed = self.problems.listed.len();
        let converted = convert_entry(self, value, origin);
        let reported = self.problems.listed.len() != n_listed;
        self.problems.listed.truncate(n_listed);
        let exchange = converted.ok().filter(|_| !reported)?;
        self.memory_used += exchange_memory(&exchange);
        Some((exchange, entry_start))
    }
}

const SKIPPED: &str = "this entry is skipped, the others are read";

/// The document: `{"log": ...}`, other keys ignored.
struct DocumentSeed<'s, 'c, 'b>(&'s mut State<'c, 'b>);

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR document (an object with `log`)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key == "log" {
                map.next_value_seed(LogSeed(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _text: &str) -> Result<(), E> {
        Err(E::custom("expected a HAR document (an object with `log`), found a string"))
    }
}

/// `log`: `version`, `creator` and `entries`.
struct LogSeed<'s, 'c, 'b>(&'s mut State<'c, 'b>);

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAR `log` object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        state.saw_log = true;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match key.as_ref() {
                "version" => {
                    let version: Scalar<'_> = map.next_value()?;
                    state.check_version(&version);
                }
                "creator" => {
                    let creator: Obj<CreatorDe<'_>> = map.next_value_seed(In::new(state.ctx()))?;
                    state.set_creator(creator);
                }
                "entries" => map.next_value_seed(EntriesSeed(&mut *state))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _text: &str) -> Result<(), E> {
        Err(E::custom("expected a HAR `log` object, found a string"))
    }
}

/// `log.entries`: each entry converted as soon as it is parsed.
struct EntriesSeed<'s, 'c, 'b>(&'s mut State<'c, 'b>);

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        state.entries = EntriesState::Reading;
        while seq.next_element_seed(EntrySeed(&mut *state))?.is_some() {}
        state.entries = EntriesState::Done;
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.0.entries = EntriesState::NotArray(Found::Object);
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, _text: &str) -> Result<(), E> {
        self.0.entries = EntriesState::NotArray(Found::String);
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<(), E> {
        self.0.entries = EntriesState::NotArray(Found::Number(number as f64));
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<(), E> {
        self.0.entries = EntriesState::NotArray(Found::Number(number as f64));
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<(), E> {
        self.0.entries = EntriesState::NotArray(Found::Number(number));
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<(), E> {
        self.0.entries = EntriesState::NotArray(Found::Bool(value));
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.0.entries = EntriesState::NotArray(Found::Null);
        Ok(())
    }
}

struct EntrySeed<'s, 'c, 'b>(&'s mut State<'c, 'b>);

impl<'de> DeserializeSeed<'de> for EntrySeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.0.n_unread_for_memory.is_some() {
            // Past the memory limit: only count the rest.
            IgnoredAny::deserialize(deserializer)?;
            self.0.take_entry(Obj::Wrong(Found::Null));
            return Ok(());
        }
        let entry = <Obj<EntryDe<'de>> as FromJson<'de>>::from_json(deserializer, self.0.ctx())?;
        self.0.take_entry(entry);
        Ok(())
    }
}

fn convert_entry(
    state: &mut State<'_, '_>,
    entry: EntryDe<'_>,
    origin: EntryRef,
) -> Result<Exchange, String> {
    let entry_idx = origin.index;
    let byte_offset = origin.byte_offset;
    let request = entry
        .request
        .ok_or_else(|| format!("entries[{entry_idx}].request is missing"))?
        .expect(format_args!("entries[{entry_idx}].request"))?;
    let method = request
        .method
        .ok_or_else(|| format!("entries[{entry_idx}].request.method is missing"))?
        .expect(format_args!("entries[{entry_idx}].request.method"))?;
    if method.is_empty() {
        return Err(format!("entries[{entry_idx}].request.method is empty"));
    }
    let url = request
        .url
        .ok_or_else(|| format!("entries[{entry_idx}].request.url is missing"))?
        .expect(format_args!("entries[{entry_idx}].request.url"))?;
    // The URL itself is never quoted: it may carry a password or a token.
    let url_parts =
        split_url(&url).map_err(|reason| format!("entries[{entry_idx}].request.url {reason}"))?;

    let request_start = entry.started_date_time.and_then(|started| match started {
        Scalar::Text(text) => match parse_timestamp(&text) {
            Ok((timestamp, None)) => Some(timestamp),
            Ok((timestamp, Some(note))) => {
                state.problems.push(Some(entry_idx), byte_offset, note);
                Some(timestamp)
            }
            Err(reason) => {
                state.problems.push(
                    Some(entry_idx),
                    byte_offset,
                    format!("entries[{entry_idx}].startedDateTime {reason}; the entry has no start time"),
                );
                None
            }
        },
        _ => None,
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

    let request_headers =
        convert_headers(request.headers, format_args!("entries[{entry_idx}].request.headers"))?;
    let request_body = match request.post_data {
        None => Body::default(),
        Some(post_data) => {
            let post_data =
                post_data.expect(format_args!("entries[{entry_idx}].request.postData"))?;
            convert_request_body(
                state,
                post_data,
                request.body_size.as_ref(),
                &request_headers,
                entry_idx,
            )?
        }
    };
    let request_out = Request {
        method: state.texts.get(&method),
        scheme: state.texts.get(&url_parts.scheme),
        host: state.texts.get(&url_parts.host),
        port: url_parts.port,
        path: url_parts.path,
        http_version: state.text_or_empty(request.http_version),
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
        Some(response) => {
            let mut response = response.expect(format_args!("entries[{entry_idx}].response"))?;
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
                    Some(convert_response(state, response, status as u16, &origin)?)
                }
                _ => {
                    let shown = response
                        .status
                        .as_ref()
                        .map_or_else(|| "missing".to_owned(), Scalar::describe);
                    state.problems.push(
                        Some(entry_idx),
                        byte_offset,
                        format!(
                            "entries[{entry_idx}].response.status is {shown}, not an HTTP status; response ignored"
                        ),
                    );
                    error.get_or_insert_with(|| format!("unreadable response status ({shown})"));
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
            state.texts.get(&socket_address(ip, port))
        });
    let tls =
        entry.security_details.and_then(Obj::ok).and_then(convert_security_details).map(Arc::new);
    let connection = entry
        .connection
        .and_then(|connection| connection.as_text())
        .filter(|text| !text.is_empty())
        .map(|text| state.texts.get(&text));

    Ok(Exchange {
        index: entry_idx,
        origin,
        request: request_out,
        response,
        timing: Timing { request_start, response_end },
        server_address,
        client_address: None,
        tls,
        error: error.map(String::into_boxed_str),
        connection,
    })
}

/// Header fields (already spans of the input, see [`HeadersDe`]), or why the entry fails.
/// A malformed list fails the entry: a request that silently lost its `Authorization` would
/// be analysed as anonymous, which is worse than reporting the entry as unreadable.
fn convert_headers(
    headers: Option<HeadersDe>,
    path: fmt::Arguments<'_>,
) -> Result<Headers, String> {
    match headers {
        None => Ok(Headers::default()),
        Some(HeadersDe::Fields(headers)) => Ok(headers),
        Some(HeadersDe::Wrong(found)) => Err(format!("{path}: expected an array, found {found}")),
        Some(HeadersDe::BadField { index, problem }) => Err(match problem {
            FieldProblem::NotObject(found) => {
                format!("{path}[{index}]: expected an object, found {found}")
            }
            FieldProblem::Name(found) => {
                format!("{path}[{index}].name: expected a string, found {found}")
            }
            FieldProblem::Value(found) => {
                format!("{path}[{index}].value: expected a string, found {found}")
            }
        }),
    }
}

fn convert_response(
    state: &mut State<'_, '_>,
    response: ResponseDe<'_>,
    status: u16,
    origin: &EntryRef,
) -> Result<Response, String> {
    let entry_idx = origin.index;
    let headers =
        convert_headers(response.headers, format_args!("entries[{entry_idx}].response.headers"))?;
    let mut body = Body::default();
    if let Some(content) = response.content {
        let content: ContentDe<'_> =
            content.expect(format_args!("entries[{entry_idx}].response.content"))?;
        body.mime_type = state.text_if_any(content.mime_type);
        let encoding = match content.encoding {
            None => None,
            Some(encoding) => Some(
                encoding.expect(format_args!("entries[{entry_idx}].response.content.encoding"))?,
            ),
        };
        let is_base64 =
            encoding.as_deref().is_some_and(|encoding| encoding.eq_ignore_ascii_case("base64"));
        body.data = match content.text.map(|text| response_body_data(state.buffer, text, is_base64))
        {
            None => BodyData::Absent,
            Some(Some(data)) => data,
            Some(None) => {
                let message = format!(
                    "entries[{entry_idx}].response.content.text is not a string; body ignored"
                );
                state.problems.push(Some(entry_idx), origin.byte_offset, message);
                BodyData::Absent
            }
        };
        body.size = wire_size(response.body_size.as_ref(), content.size.as_ref(), &headers);
    } else {
        body.size = wire_size(response.body_size.as_ref(), None, &headers);
    }
    body.content_encoding = state.texts.get(&remaining_content_encoding(&headers, &body.data));
    if !body.content_encoding.is_empty() {
        body = body.with_budget(&state.context.decode_budget);
    }
    Ok(Response {
        status,
        reason: state.text_or_empty(response.status_text),
        http_version: state.text_or_empty(response.http_version),
        headers,
        body,
    })
}

/// A response body from its raw JSON string literal, without copying it: text without
/// escapes (all base64, much plain text) is a slice of the input, and text with escapes is
/// kept escaped ([`BodyData::JsonEscapedText`]) because unescaping multi-megabyte JSON bodies
/// nobody looks at was most of the reading time. `None` if the value is not a string.
fn response_body_data(buffer: &Bytes, text: RawText<'_>, is_base64: bool) -> Option<BodyData> {
    let literal = text.0;
    // A slice of valid text between two ASCII quotes is text: nothing to check again.
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    let has_escapes = memchr::memchr(b'\\', inner.as_bytes()).is_some();
    Some(match (has_escapes, is_base64) {
        (false, false) => BodyData::Raw(bytes_of(buffer, Cow::Borrowed(inner))),
        (false, true) => BodyData::Base64(bytes_of(buffer, Cow::Borrowed(inner))),
        // Rare (`\/` from PHP-style writers), and base64 must be plain to decode lazily.
        (true, true) => {
            BodyData::Base64(Bytes::from(super::json_string::unescape(literal.as_bytes())))
        }
        (true, false) => BodyData::JsonEscapedText(bytes_of(buffer, Cow::Borrowed(literal))),
    })
}

fn convert_request_body(
    state: &mut State<'_, '_>,
    post_data: PostDataDe<'_>,
    body_size: Option<&Scalar<'_>>,
    headers: &Headers,
    entry_idx: usize,
) -> Result<Body, String> {
    let mime_type = state.text_if_any(post_data.mime_type);
    let text = match post_data.text {
        None => None,
        Some(text) => {
            Some(text.expect(format_args!("entries[{entry_idx}].request.postData.text"))?)
        }
    };
    let params = match post_data.params {
        None => None,
        Some(params) => {
            let items =
                params.expect(format_args!("entries[{entry_idx}].request.postData.params"))?;
            let mut out = Vec::with_capacity(items.len());
            for (param_idx, item) in items.into_iter().enumerate() {
                out.push(item.expect(format_args!(
                    "entries[{entry_idx}].request.postData.params[{param_idx}]"
                ))?);
            }
            Some(out)
        }
    };
    let buffer = state.buffer;
    let data = match (text, params) {
        (Some(text), _) if is_base64(post_data.encoding.as_ref()) => {
            BodyData::Base64(bytes_of(buffer, text))
        }
        // mitmproxy decodes request bodies as Latin-1 unless the Content-Type names a charset
        // or JSON (`_guess_encoding`), so a binary upload arrives one character per byte.
        // Mirroring that rule keeps real UTF-8 text (e.g. JSON with "é") as it was sent.
        (Some(text), _)
            if !declares_text_charset(mime_type.as_deref()) && is_latin1_beyond_ascii(&text) =>
        {
            BodyData::Latin1Text(bytes_of(buffer, text))
        }
        (Some(text), params) if !text.is_empty() || params.as_ref().is_none_or(Vec::is_empty) => {
            BodyData::Raw(bytes_of(buffer, text))
        }
        // Only the parsed form survived (some producers drop `text` when `params` is set):
        // rebuild the urlencoded body the client sent.
        (_, Some(params)) if !params.is_empty() => {
            BodyData::Raw(Bytes::from(form_urlencode(&params)))
        }
        _ => BodyData::Absent,
    };
    let mut body =
        Body { size: wire_size(body_size, None, headers), mime_type, data, ..Body::default() };
    body.content_encoding = state.texts.get(&remaining_content_encoding(headers, &body.data));
    if !body.content_encoding.is_empty() {
        body = body.with_budget(&state.context.decode_budget);
    }
    Ok(body)
}

fn is_base64(encoding: Option<&Text<'_>>) -> bool {
    encoding.and_then(Text::as_str).is_some_and(|encoding| encoding.eq_ignore_ascii_case("base64"))
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
        form_urlencode_into(&mut out, param.name.as_ref().and_then(Text::as_str).unwrap_or(""));
        out.push(b'=');
        form_urlencode_into(&mut out, param.value.as_ref().and_then(Text::as_str).unwrap_or(""));
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
fn remaining_content_encoding(headers: &Headers, data: &BodyData) -> CompactString {
    let Some(encoding) = headers.get("content-encoding") else { return CompactString::default() };
    let encoding = lowercase(encoding.trim());
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
    if still_encoded { encoding } else { CompactString::default() }
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
        text.and_then(Text::ok).map(Cow::into_owned).filter(|text| !text.is_empty())
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
    if let Some(timestamp) = parse_common_rfc3339(text) {
        return Ok((timestamp, None));
    }
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

/// `YYYY-MM-DDTHH:MM:SS[.F](Z|±HH:MM)` with 1 to 9 fractional digits, the shape every common
/// HAR producer writes, read without chrono's format parser (which took a measurable share of
/// reading a header-heavy HAR: one timestamp per entry). Hand-written because chrono has no
/// fixed-shape parser; `None` for anything else (other separators or letter case, a leap
/// second, more digits, an offset of 24 hours or more), which `DateTime::parse_from_rfc3339`
/// then reads. Where it answers it agrees with that parser (tests: `common_rfc3339_*`).
fn parse_common_rfc3339(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    let digit = |idx: usize| -> Option<u32> {
        let byte = *bytes.get(idx)?;
        byte.is_ascii_digit().then(|| u32::from(byte - b'0'))
    };
    let two = |idx: usize| Some(digit(idx)? * 10 + digit(idx + 1)?);
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b'T'
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (two(0)? * 100 + two(2)?, two(5)?, two(8)?);
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    let mut pos = 19;
    let mut nanos = 0;
    if bytes[pos] == b'.' {
        pos += 1;
        let mut scale = 1_000_000_000;
        while let Some(value) = digit(pos) {
            if scale == 1 {
                return None;
            }
            scale /= 10;
            nanos += value * scale;
            pos += 1;
        }
        if pos == 20 {
            return None;
        }
    }
    let offset_seconds = match &bytes[pos..] {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (hours, minutes) = (two(pos + 1)?, two(pos + 4)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    if second > 59 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = chrono::NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let local = date.and_time(time);
    let utc = if offset_seconds == 0 {
        local
    } else {
        local.checked_sub_signed(TimeDelta::seconds(offset_seconds))?
    };
    Some(utc.and_utc())
}

struct UrlParts {
    scheme: CompactString,
    host: CompactString,
    port: u16,
    path: String,
}

/// Splits an absolute URL into scheme, host, port (the scheme's default when absent) and
/// path plus query (fragment dropped: it never goes on the wire). Userinfo is dropped too:
/// HTTP clients turn it into an `Authorization` header, which the capture records anyway.
fn split_url(url: &str) -> Result<UrlParts, &'static str> {
    let url = url.trim();
    // The first `://` (what `split_once("://")` finds, without its substring-search setup).
    let separator = memchr::memchr_iter(b':', url.as_bytes())
        .find(|&colon| url.as_bytes()[colon + 1..].starts_with(b"//"))
        .ok_or("is not an absolute URL")?;
    let (scheme, rest) = (&url[..separator], &url[separator + 3..]);
    let scheme_ok = scheme.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err("has no valid scheme");
    }
    let scheme = lowercase(scheme);
    // Bytes, not a `char` pattern: the three are ASCII, and this runs once per entry.
    let authority_end =
        rest.bytes().position(|byte| matches!(byte, b'/' | b'?' | b'#')).unwrap_or(rest.len());
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
    let without_fragment = memchr::memchr(b'#', tail.as_bytes()).map_or(tail, |hash| &tail[..hash]);
    let mut path = String::with_capacity(without_fragment.len() + 1);
    if !without_fragment.starts_with('/') {
        path.push('/');
    }
    path.push_str(without_fragment);
    Ok(UrlParts { scheme, host: lowercase(host), port, path })
}

/// `text` in ASCII lower case (inline when short, see [`CompactString`]).
fn lowercase(text: &str) -> CompactString {
    let mut text = CompactString::from(text);
    text.make_ascii_lowercase();
    text
}

/// `ip:port`, or `[ip]:port` for IPv6, without going through `format!` (once per entry).
pub(crate) fn socket_address(ip: &str, port: impl itoa::Integer) -> CompactString {
    let mut digits = itoa::Buffer::new();
    let port = digits.format(port);
    let mut out = CompactString::with_capacity(ip.len() + port.len() + 3);
    if ip.contains(':') {
        out.push('[');
        out.push_str(ip);
        out.push(']');
    } else {
        out.push_str(ip);
    }
    out.push(':');
    out.push_str(port);
    out
}

fn default_port(scheme: &str) -> u16 {
    match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
