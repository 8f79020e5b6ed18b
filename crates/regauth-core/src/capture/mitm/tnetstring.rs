//! A lazy, zero-copy reader for tnetstrings as mitmproxy writes them.
//!
//! Hand-written on purpose: the only tnetstring crate on crates.io (`tnetstring` 0.2) is
//! AGPL-3.0 (this project is MIT/Apache) and parses from `&str`, so UTF-8 only, while
//! mitmproxy stores request paths, header names and values and bodies as arbitrary bytes
//! (`,`) next to its own unicode tag (`;`); the other Rust implementation around is a module
//! inside an application (condure, with ZeroMQ and mio as dependencies). We also want what a diagnostic reader needs and a generic parser does
//! not give: slices of the caller's buffer instead of copies, the byte offset in every error,
//! and hard caps on declared lengths and nesting so hostile input cannot exhaust memory or
//! the stack.
//!
//! Format: `<decimal length>:<payload><tag>`, where the tag is one of
//! `,` bytes, `;` UTF-8 text (mitmproxy's extension), `#` integer, `^` float, `!` boolean
//! (`true`/`false`), `~` null (empty payload), `]` list (concatenated items) and
//! `}` dict (alternating key and value items).
//!
//! The reader is lazy: [`read_item`] only frames one item (length, payload span, tag); lists
//! and dicts are walked on demand by [`ListIter`] and [`DictIter`]. Framing an item is O(digits)
//! however large its payload, so skipping a 100 MB body costs nothing, and a consumer only
//! pays for (and only sees errors in) what it actually reads. Walking never recurses, and
//! every container handed out knows its depth, so no consumer can be driven past
//! [`MAX_DEPTH`] levels.

use std::fmt;

/// Deepest nesting handed out. A mitmproxy flow needs about 6 levels (flow, connection,
/// address list, ...); user metadata can nest further, but nothing regauth reads does.
pub(crate) const MAX_DEPTH: usize = 64;

/// Longest length prefix accepted, as in mitmproxy's own loader: 12 digits is just under 1 TB,
/// far above any input this reader is handed (the declared length is then checked against the
/// bytes actually present, so a huge prefix never allocates anything).
const MAX_LENGTH_DIGITS: usize = 12;

/// What a tnetstring item holds, from its trailing type tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    /// `,` arbitrary bytes
    Bytes,
    /// `;` UTF-8 text (mitmproxy's extension)
    Text,
    /// `#`
    Integer,
    /// `^`
    Float,
    /// `!`
    Bool,
    /// `~`
    Null,
    /// `]`
    List,
    /// `}`
    Dict,
}

impl Tag {
    fn from_byte(byte: u8) -> Option<Tag> {
        Some(match byte {
            b',' => Tag::Bytes,
            b';' => Tag::Text,
            b'#' => Tag::Integer,
            b'^' => Tag::Float,
            b'!' => Tag::Bool,
            b'~' => Tag::Null,
            b']' => Tag::List,
            b'}' => Tag::Dict,
            _ => return None,
        })
    }

    /// What to call it in messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Tag::Bytes => "a byte string",
            Tag::Text => "a text string",
            Tag::Integer => "an integer",
            Tag::Float => "a float",
            Tag::Bool => "a boolean",
            Tag::Null => "null",
            Tag::List => "a list",
            Tag::Dict => "a dict",
        }
    }
}

/// A malformed or unexpected item, located by the byte offset of the item's first byte.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {offset})")]
pub(crate) struct TnetError {
    /// Offset in the whole input, not in the enclosing item.
    pub(crate) offset: u64,
    pub(crate) kind: TnetErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TnetErrorKind {
    /// The item does not start with a decimal length (what it starts with instead, printable).
    MissingLength {
        found: String,
    },
    LengthTooLong,
    MissingColon {
        found: String,
    },
    /// The declared payload (plus tag) runs past the end of the input: the file is cut short.
    Truncated {
        declared: u64,
        available: u64,
    },
    /// The declared payload (plus tag) runs past the end of the list or dict that holds it.
    OverrunsContainer {
        declared: u64,
        available: u64,
    },
    UnknownTag {
        tag: u8,
    },
    InvalidInteger,
    IntegerOutOfRange,
    InvalidFloat,
    InvalidBool,
    NonEmptyNull,
    TooDeep,
    DictKeyWithoutValue,
    UnexpectedType {
        expected: &'static str,
        found: Tag,
    },
}

impl fmt::Display for TnetErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TnetErrorKind::MissingLength { found } => {
                write!(f, "not a tnetstring: expected a decimal length, found {found}")
            }
            TnetErrorKind::LengthTooLong => {
                write!(f, "not a tnetstring: length prefix longer than {MAX_LENGTH_DIGITS} digits")
            }
            TnetErrorKind::MissingColon { found } => {
                write!(f, "not a tnetstring: expected `:` after the length, found {found}")
            }
            TnetErrorKind::Truncated { declared, available } => write!(
                f,
                "input ends early: item declares {declared} bytes and a type tag but only {available} bytes remain (the file is truncated)"
            ),
            TnetErrorKind::OverrunsContainer { declared, available } => write!(
                f,
                "item declares {declared} bytes and a type tag but its enclosing list or dict has only {available} bytes left"
            ),
            TnetErrorKind::UnknownTag { tag } => {
                write!(f, "unknown tnetstring type tag ({})", describe_byte(*tag))
            }
            TnetErrorKind::InvalidInteger => f.write_str("invalid integer literal"),
            TnetErrorKind::IntegerOutOfRange => f.write_str("integer does not fit in 64 bits"),
            TnetErrorKind::InvalidFloat => f.write_str("invalid float literal"),
            TnetErrorKind::InvalidBool => {
                f.write_str("invalid boolean literal (expected true or false)")
            }
            TnetErrorKind::NonEmptyNull => f.write_str("null item with a non-empty payload"),
            TnetErrorKind::TooDeep => write!(f, "nested deeper than {MAX_DEPTH} levels"),
            TnetErrorKind::DictKeyWithoutValue => f.write_str("dict key without a value"),
            TnetErrorKind::UnexpectedType { expected, found } => {
                write!(f, "expected {expected}, found {}", found.describe())
            }
        }
    }
}

/// What a few bytes are, in words, for messages: never the bytes themselves, which may be
/// secrets (`end of input` when empty).
fn printable(bytes: &[u8]) -> String {
    let Some(&first) = bytes.first() else { return "end of input".to_owned() };
    describe_byte(first).to_owned()
}

/// The kind of one byte, for messages.
fn describe_byte(byte: u8) -> &'static str {
    match byte {
        b'0'..=b'9' => "a digit",
        b'a'..=b'z' | b'A'..=b'Z' => "a letter",
        b' ' | b'\t' | b'\r' | b'\n' => "whitespace",
        0x21..=0x7e => "a punctuation character",
        0x80..=0xff => "a byte beyond ASCII",
        _ => "a control byte",
    }
}

/// One framed item: where it is in the input, its tag, and its depth.
///
/// Holds the whole input so offsets stay absolute and payloads can be re-sliced by the caller
/// (`Bytes::slice_ref`) without copying.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item<'a> {
    input: &'a [u8],
    payload_start: usize,
    /// Index of the tag byte.
    payload_end: usize,
    /// Length of the `<digits>:` prefix (at most 13), so the item starts at
    /// `payload_start - prefix_len`. Kept small with `depth`: items are moved around a lot.
    prefix_len: u8,
    tag: Tag,
    /// At most [`MAX_DEPTH`].
    depth: u8,
}

/// Frames the item starting at `pos`, which must end at or before `limit`.
///
/// `limit` is the end of the enclosing container, or the input length at the top level; an
/// item running past the input end is reported as [`TnetErrorKind::Truncated`], one running
/// past its container as [`TnetErrorKind::OverrunsContainer`]. `depth` is the nesting level
/// of the new item (0 at the top).
#[inline]
pub(crate) fn read_item(
    input: &[u8],
    pos: usize,
    limit: usize,
    depth: usize,
) -> Result<Item<'_>, TnetError> {
    // This runs for every item of a file: the well-framed case takes the short way, and
    // anything else is read again by the code that says what is wrong.
    if let Ok(depth) = u8::try_from(depth)
        && usize::from(depth) <= MAX_DEPTH
        && let Some((payload_start, payload_end)) = frame(input, pos, limit.min(input.len()))
        && let Some(tag) = Tag::from_byte(input[payload_end])
    {
        // `frame` read at most 12 digits and the colon.
        let prefix_len = (payload_start - pos) as u8;
        return Ok(Item { input, payload_start, payload_end, prefix_len, tag, depth });
    }
    read_item_with_errors(input, pos, limit, depth)
}

/// [`read_item`] step by step, naming what is wrong; reached only when an item is not
/// well framed (or nests too deep), so it is kept out of line.
#[cold]
#[inline(never)]
fn read_item_with_errors(
    input: &[u8],
    pos: usize,
    limit: usize,
    depth: usize,
) -> Result<Item<'_>, TnetError> {
    let error = |kind| TnetError { offset: pos as u64, kind };
    if depth > MAX_DEPTH {
        return Err(error(TnetErrorKind::TooDeep));
    }
    let limit = limit.min(input.len());
    let window = input.get(pos..limit).unwrap_or_default();
    // Digits and their value in one pass (this runs for every item of the file). At most
    // 13 digits are read, so the value cannot overflow u64.
    let mut n_digits = 0;
    let mut declared = 0u64;
    while n_digits <= MAX_LENGTH_DIGITS {
        match window.get(n_digits) {
            Some(&digit) if digit.is_ascii_digit() => {
                declared = declared * 10 + u64::from(digit - b'0');
                n_digits += 1;
            }
            _ => break,
        }
    }
    if n_digits == 0 {
        if window.is_empty() && limit == input.len() {
            return Err(error(TnetErrorKind::Truncated { declared: 0, available: 0 }));
        }
        return Err(error(TnetErrorKind::MissingLength { found: printable(window) }));
    }
    if n_digits > MAX_LENGTH_DIGITS {
        return Err(error(TnetErrorKind::LengthTooLong));
    }
    match window.get(n_digits) {
        Some(b':') => {}
        Some(_) => {
            return Err(error(TnetErrorKind::MissingColon {
                found: printable(&window[n_digits..]),
            }));
        }
        None if limit == input.len() => {
            return Err(error(TnetErrorKind::Truncated { declared, available: 0 }));
        }
        None => return Err(error(TnetErrorKind::MissingColon { found: printable(&[]) })),
    }
    let payload_start = pos + n_digits + 1;
    let available = (limit - payload_start) as u64;
    // The payload is followed by one tag byte, so it needs `declared + 1` bytes.
    if declared >= available {
        let kind = if limit == input.len() {
            TnetErrorKind::Truncated { declared, available }
        } else {
            TnetErrorKind::OverrunsContainer { declared, available }
        };
        return Err(error(kind));
    }
    // declared < available <= usize::MAX, so the conversion is exact.
    let payload_end = payload_start + declared as usize;
    let tag_byte = input[payload_end];
    let tag = Tag::from_byte(tag_byte)
        .ok_or_else(|| error(TnetErrorKind::UnknownTag { tag: tag_byte }))?;
    // Digits were checked above: at most 12 of them, and `depth <= MAX_DEPTH`.
    Ok(Item {
        input,
        payload_start,
        payload_end,
        prefix_len: (n_digits + 1) as u8,
        tag,
        depth: depth as u8,
    })
}

impl<'a> Item<'a> {
    /// Offset of the item's first byte in the whole input.
    pub(crate) fn offset(&self) -> u64 {
        (self.payload_start - usize::from(self.prefix_len)) as u64
    }

    /// Index just past the tag byte: where the next sibling starts.
    pub(crate) fn end(&self) -> usize {
        self.payload_end + 1
    }

    pub(crate) fn tag(&self) -> Tag {
        self.tag
    }

    pub(crate) fn payload(&self) -> &'a [u8] {
        &self.input[self.payload_start..self.payload_end]
    }

    fn error(&self, kind: TnetErrorKind) -> TnetError {
        TnetError { offset: self.offset(), kind }
    }

    fn unexpected(&self, expected: &'static str) -> TnetError {
        self.error(TnetErrorKind::UnexpectedType { expected, found: self.tag })
    }

    pub(crate) fn is_null(&self) -> bool {
        self.tag == Tag::Null
    }

    /// The payload of a byte or text string. Python 2 era files used bytes where later ones
    /// use text, so both are accepted; the caller decides how to decode.
    pub(crate) fn as_bytes(&self) -> Result<&'a [u8], TnetError> {
        match self.tag {
            Tag::Bytes | Tag::Text => Ok(self.payload()),
            _ => Err(self.unexpected("a string")),
        }
    }

    pub(crate) fn as_i64(&self) -> Result<i64, TnetError> {
        if self.tag != Tag::Integer {
            return Err(self.unexpected("an integer"));
        }
        parse_i64(self.payload()).map_err(|kind| self.error(kind))
    }

    /// A number as a float; integers are accepted since Python writes whole-second
    /// timestamps as ints.
    pub(crate) fn as_f64(&self) -> Result<f64, TnetError> {
        match self.tag {
            Tag::Float => std::str::from_utf8(self.payload())
                .ok()
                .and_then(|text| text.parse::<f64>().ok())
                .ok_or_else(|| self.error(TnetErrorKind::InvalidFloat)),
            // Via i64 so only valid integer literals pass; precision loss past 2^53 is harmless here.
            Tag::Integer => Ok(self.as_i64()? as f64),
            _ => Err(self.unexpected("a number")),
        }
    }

    pub(crate) fn as_bool(&self) -> Result<bool, TnetError> {
        if self.tag != Tag::Bool {
            return Err(self.unexpected("a boolean"));
        }
        match self.payload() {
            b"true" => Ok(true),
            b"false" => Ok(false),
            _ => Err(self.error(TnetErrorKind::InvalidBool)),
        }
    }

    /// Checks a scalar's payload (number syntax, boolean and null literals) without returning it.
    pub(crate) fn check_scalar(&self) -> Result<(), TnetError> {
        match self.tag {
            Tag::Integer => self.as_i64().map(drop),
            Tag::Float => self.as_f64().map(drop),
            Tag::Bool => self.as_bool().map(drop),
            Tag::Null if !self.payload().is_empty() => Err(self.error(TnetErrorKind::NonEmptyNull)),
            _ => Ok(()),
        }
    }

    pub(crate) fn list(&self) -> Result<ListIter<'a>, TnetError> {
        if self.tag != Tag::List {
            return Err(self.unexpected("a list"));
        }
        Ok(ListIter { children: self.children() })
    }

    pub(crate) fn dict(&self) -> Result<DictIter<'a>, TnetError> {
        if self.tag != Tag::Dict {
            return Err(self.unexpected("a dict"));
        }
        Ok(DictIter { children: self.children() })
    }

    fn children(&self) -> Children<'a> {
        Children {
            input: self.input,
            pos: self.payload_start,
            limit: self.payload_end,
            depth: usize::from(self.depth) + 1,
            failed: false,
        }
    }
}

impl<'a> Item<'a> {
    /// Walks a list of `[name, value]` string pairs (a flow's header list, the commonest shape
    /// in a flow file) with a loop made for that one shape, calling `each(name, value)` per
    /// pair. Returns false as soon as anything differs from that shape or would be an error
    /// (another tag, a third item, a framing problem, nesting past [`MAX_DEPTH`]): the caller
    /// then discards what `each` saw and reads the list with [`Item::list`], so every error and
    /// every odd case still comes from the generic reader, and this only ever agrees with it.
    pub(crate) fn string_pairs(&self, mut each: impl FnMut(&'a [u8], &'a [u8])) -> bool {
        // The pairs are one level below the list and their strings two.
        if self.tag != Tag::List || usize::from(self.depth) + 2 > MAX_DEPTH {
            return false;
        }
        let (input, end) = (self.input, self.payload_end);
        let is_string = |tag: u8| tag == b',' || tag == b';';
        let mut pos = self.payload_start;
        while pos < end {
            let Some((pair_start, pair_end)) = frame(input, pos, end) else { return false };
            if input[pair_end] != b']' {
                return false;
            }
            let Some((name_start, name_end)) = frame(input, pair_start, pair_end) else {
                return false;
            };
            let Some((value_start, value_end)) = frame(input, name_end + 1, pair_end) else {
                return false;
            };
            if !is_string(input[name_end])
                || !is_string(input[value_end])
                || value_end + 1 != pair_end
            {
                return false;
            }
            each(&input[name_start..name_end], &input[value_start..value_end]);
            pos = pair_end + 1;
        }
        true
    }
}

/// [`read_item`]'s framing without its errors, for fast paths that give up on anything
/// unusual: `(payload start, tag index)` of a well-framed item at `pos` that ends before
/// `limit`, or `None`.
#[inline(always)]
fn frame(input: &[u8], pos: usize, limit: usize) -> Option<(usize, usize)> {
    let window = input.get(pos..limit)?;
    let (n_digits, declared) = match short_length_prefix(window) {
        Some(length) => length,
        None => match length_prefix_of_eight(window) {
            Some(length) => length,
            None => length_prefix(window)?,
        },
    };
    let payload_start = pos + n_digits + 1;
    // The payload is followed by its tag, so it needs `declared + 1` bytes before `limit`.
    if declared >= (limit - payload_start) as u64 {
        return None;
    }
    Some((payload_start, payload_start + declared as usize))
}

/// The `<digits>:` prefix of `window` when it has one or two digits, else `None`: most
/// lengths in a flow file do (header names and values, numbers, short texts), and for them
/// comparing two or three bytes is cheaper than [`length_prefix_of_eight`]'s arithmetic.
#[inline(always)]
fn short_length_prefix(window: &[u8]) -> Option<(usize, u64)> {
    match *window {
        [digit @ b'0'..=b'9', b':', ..] => Some((1, u64::from(digit - b'0'))),
        [tens @ b'0'..=b'9', ones @ b'0'..=b'9', b':', ..] => {
            Some((2, u64::from(tens - b'0') * 10 + u64::from(ones - b'0')))
        }
        _ => None,
    }
}

/// The `<digits>:` prefix of `window` read eight bytes at a time (SWAR): `(digits, value)`
/// when 1 to 7 digits and a colon start an at least 8-byte window, else `None` and
/// [`length_prefix`] decides. Almost every length in a flow file has 1 to 4 digits, and
/// reading them byte by byte was a fifth of the time spent reading one.
#[inline(always)]
fn length_prefix_of_eight(window: &[u8]) -> Option<(usize, u64)> {
    let chunk = u64::from_le_bytes(*window.first_chunk::<8>()?);
    // Each byte's digit value (0..=9 for a digit; anything else is bigger as a byte).
    let values = chunk ^ 0x3030_3030_3030_3030;
    // The high bit of a byte is set where that byte is not a digit. Adding 0x76 can carry into
    // the next byte only from a byte that is itself not a digit, so the first flag is exact.
    let not_digit = (values.wrapping_add(0x7676_7676_7676_7676) | values) & 0x8080_8080_8080_8080;
    let n_digits = (not_digit.trailing_zeros() / 8) as usize;
    if n_digits == 0 || n_digits == 8 || window[n_digits] != b':' {
        return None;
    }
    // The digits, most significant first, moved to the top bytes: 8 - n leading zeros.
    let digits = values << (8 * (8 - n_digits));
    // Then digits are combined pairwise: 2-digit values in every other byte, 4-digit values
    // in every other 16-bit lane, and the whole number in the top 32 bits.
    let pairs = (digits.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    let value = quads.wrapping_mul(10_000 << 32 | 1) >> 32;
    Some((n_digits, value))
}

/// The `<digits>:` prefix of `window` byte by byte: `(digits, value)` for 1 to 12 digits
/// and a colon, else `None`.
#[inline]
fn length_prefix(window: &[u8]) -> Option<(usize, u64)> {
    let mut n_digits = 0;
    let mut declared = 0u64;
    loop {
        let &byte = window.get(n_digits)?;
        if byte == b':' {
            break;
        }
        if !byte.is_ascii_digit() || n_digits == MAX_LENGTH_DIGITS {
            return None;
        }
        declared = declared * 10 + u64::from(byte - b'0');
        n_digits += 1;
    }
    (n_digits > 0).then_some((n_digits, declared))
}

fn parse_i64(payload: &[u8]) -> Result<i64, TnetErrorKind> {
    let (negative, digits) = match payload {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, payload),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(TnetErrorKind::InvalidInteger);
    }
    // Accumulate negatively so i64::MIN parses too.
    let mut value: i64 = 0;
    for &digit in digits {
        value = value
            .checked_mul(10)
            .and_then(|value| value.checked_sub(i64::from(digit - b'0')))
            .ok_or(TnetErrorKind::IntegerOutOfRange)?;
    }
    if negative { Ok(value) } else { value.checked_neg().ok_or(TnetErrorKind::IntegerOutOfRange) }
}

/// Consecutive items inside a container payload. Stops after the first error.
#[derive(Clone, Debug)]
struct Children<'a> {
    input: &'a [u8],
    pos: usize,
    limit: usize,
    depth: usize,
    failed: bool,
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Item<'a>, TnetError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.limit {
            return None;
        }
        let res = read_item(self.input, self.pos, self.limit, self.depth);
        match &res {
            Ok(item) => self.pos = item.end(),
            Err(_) => self.failed = true,
        }
        Some(res)
    }
}

/// The items of a list, in order.
#[derive(Clone, Debug)]
pub(crate) struct ListIter<'a> {
    children: Children<'a>,
}

impl<'a> Iterator for ListIter<'a> {
    type Item = Result<Item<'a>, TnetError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.children.next()
    }
}

/// The key/value pairs of a dict, in file order.
#[derive(Clone, Debug)]
pub(crate) struct DictIter<'a> {
    children: Children<'a>,
}

impl<'a> Iterator for DictIter<'a> {
    type Item = Result<(Item<'a>, Item<'a>), TnetError>;

    fn next(&mut self) -> Option<Self::Item> {
        let key = match self.children.next()? {
            Ok(key) => key,
            Err(err) => return Some(Err(err)),
        };
        match self.children.next() {
            Some(Ok(value)) => Some(Ok((key, value))),
            Some(Err(err)) => Some(Err(err)),
            None => {
                self.children.failed = true;
                Some(Err(key.error(TnetErrorKind::DictKeyWithoutValue)))
            }
        }
    }
}

impl<'a> DictIter<'a> {
    /// Looks up several keys in one pass over the dict: `slots[i]` receives the value of
    /// `names[i]` (the last one wins if a key repeats, as in a Python dict).
    ///
    /// Flow dicts have a dozen keys and are read field by field, so one pass with a small
    /// linear match beats both repeated scans and building a map.
    #[inline(always)]
    pub(crate) fn fields<const N: usize>(
        self,
        names: [&str; N],
    ) -> Result<[Option<Item<'a>>; N], TnetError> {
        match self.fields_of_well_framed(&names) {
            Some(slots) => Ok(slots),
            // Something is not well framed: the generic walk says what and where.
            None => self.fields_walked(names),
        }
    }

    /// [`DictIter::fields`] by walking the dict pair by pair.
    #[inline(never)]
    pub(crate) fn fields_walked<const N: usize>(
        self,
        names: [&str; N],
    ) -> Result<[Option<Item<'a>>; N], TnetError> {
        let mut slots = [None; N];
        for pair in self {
            let (key, value) = pair?;
            let key_bytes = key.as_bytes()?;
            if let Some(slot_idx) = names.iter().position(|name| name.as_bytes() == key_bytes) {
                slots[slot_idx] = Some(value);
            }
        }
        Ok(slots)
    }

    /// [`DictIter::fields`] for a dict whose keys are strings and whose keys and values are
    /// all well framed (nearly every dict of a flow file): one loop over the payload with
    /// [`frame`], without building an iterator item per key and value. `None` at the first
    /// thing that is not so, and the caller walks the dict the generic way.
    #[inline(always)]
    pub(crate) fn fields_of_well_framed<const N: usize>(
        &self,
        names: &[&str; N],
    ) -> Option<[Option<Item<'a>>; N]> {
        let Children { input, pos, limit, depth, failed } = self.children;
        // Keys and values are at `depth`, which `read_item` refuses past MAX_DEPTH.
        let depth = u8::try_from(depth).ok().filter(|&depth| usize::from(depth) <= MAX_DEPTH)?;
        if failed {
            return None;
        }
        // Keys are matched by length and first eight bytes as one integer, then by the rest
        // (flow dict keys rarely have more than eight bytes to compare): comparing slices took
        // a call to `memcmp` for every name of the same length.
        let names_first_words: [u64; N] =
            std::array::from_fn(|idx| first_word(names[idx].as_bytes()));
        let mut slots = [None; N];
        let mut pos = pos;
        while pos < limit {
            let (key_start, key_end) = frame(input, pos, limit)?;
            if !matches!(input[key_end], b',' | b';') {
                return None;
            }
            let value_at = key_end + 1;
            let (payload_start, payload_end) = frame(input, value_at, limit)?;
            let tag = Tag::from_byte(input[payload_end])?;
            let key = &input[key_start..key_end];
            // The key's tag and its value follow it, so eight bytes from its start are nearly
            // always there to be read at once (and masked to the key when it is shorter).
            let key_first_word = match input.get(key_start..).and_then(<[u8]>::first_chunk::<8>) {
                Some(&first_eight) => {
                    let word = u64::from_le_bytes(first_eight);
                    if key.len() < 8 { word & ((1u64 << (8 * key.len())) - 1) } else { word }
                }
                None => first_word(key),
            };
            let same = |(name, &name_first_word): (&&str, &u64)| {
                let name = name.as_bytes();
                name.len() == key.len()
                    && name_first_word == key_first_word
                    && (name.len() <= 8 || name[8..] == key[8..])
            };
            if let Some(slot_idx) = names.iter().zip(&names_first_words).position(same) {
                // `frame` read at most 12 digits and the colon.
                let prefix_len = (payload_start - value_at) as u8;
                slots[slot_idx] =
                    Some(Item { input, payload_start, payload_end, prefix_len, tag, depth });
            }
            pos = payload_end + 1;
        }
        Some(slots)
    }
}

/// The first eight bytes of `bytes` (fewer, zero-padded, when it is shorter) as a
/// little-endian integer.
#[inline]
fn first_word(bytes: &[u8]) -> u64 {
    // Byte by byte: a copy of a variable length would be a call to `memcpy`.
    bytes.iter().take(8).rev().fold(0, |word, &byte| word << 8 | u64::from(byte))
}

/// Checks a whole item tree (framing of every nested item and every scalar literal)
/// iteratively, never recursing, and failing at [`MAX_DEPTH`].
///
/// The flow decoder does not need this (it reads lazily); it exists for callers that want to
/// know a value is well-formed before trusting parts they do not read, for tests, and for the
/// tnetstring fuzz target, which checks that both ways of reading agree.
pub(crate) fn validate(item: Item<'_>) -> Result<(), TnetError> {
    /// A container being walked; for dicts, the last key seen and whether it still lacks a value.
    struct Open<'a> {
        children: Children<'a>,
        is_dict: bool,
        pending_key: Option<Item<'a>>,
    }
    let mut stack: Vec<Open<'_>> = Vec::new();
    let mut current = Some(item);
    loop {
        if let Some(item) = current.take() {
            match item.tag {
                Tag::List | Tag::Dict => stack.push(Open {
                    children: item.children(),
                    is_dict: item.tag == Tag::Dict,
                    pending_key: None,
                }),
                _ => item.check_scalar()?,
            }
        }
        let Some(open) = stack.last_mut() else { return Ok(()) };
        match open.children.next() {
            Some(child) => {
                let child = child?;
                if open.is_dict {
                    open.pending_key = if open.pending_key.is_some() { None } else { Some(child) };
                }
                current = Some(child);
            }
            None => {
                if let Some(key) = open.pending_key {
                    return Err(key.error(TnetErrorKind::DictKeyWithoutValue));
                }
                stack.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(input: &[u8]) -> Result<Item<'_>, TnetError> {
        read_item(input, 0, input.len(), 0)
    }

    fn kind(res: Result<impl fmt::Debug, TnetError>) -> (u64, TnetErrorKind) {
        let err = res.unwrap_err();
        (err.offset, err.kind)
    }

    // hand-written fixture: one item of each scalar tag
    #[test]
    fn reads_every_scalar_tag() {
        let bytes = top(b"4:a\x00\xffb,").unwrap();
        assert_eq!((bytes.tag(), bytes.as_bytes().unwrap()), (Tag::Bytes, &b"a\x00\xffb"[..]));
        let text = top("6:h\u{e9}llo;".as_bytes()).unwrap();
        assert_eq!((text.tag(), text.as_bytes().unwrap()), (Tag::Text, "h\u{e9}llo".as_bytes()));
        assert_eq!(top(b"5:12345#").unwrap().as_i64().unwrap(), 12345);
        assert_eq!(top(b"2:-7#").unwrap().as_i64().unwrap(), -7);
        assert_eq!(top(b"20:-9223372036854775808#").unwrap().as_i64().unwrap(), i64::MIN);
        assert_eq!(top(b"19:9223372036854775807#").unwrap().as_i64().unwrap(), i64::MAX);
        assert_eq!(top(b"12:1700000000.5^").unwrap().as_f64().unwrap(), 1_700_000_000.5);
        assert_eq!(top(b"10:1700000000#").unwrap().as_f64().unwrap(), 1_700_000_000.0);
        assert_eq!(top(b"5:1e+16^").unwrap().as_f64().unwrap(), 1e16);
        assert!(top(b"3:inf^").unwrap().as_f64().unwrap().is_infinite());
        assert!(top(b"4:true!").unwrap().as_bool().unwrap());
        assert!(!top(b"5:false!").unwrap().as_bool().unwrap());
        assert!(top(b"0:~").unwrap().is_null());
        assert_eq!(top(b"0:,").unwrap().as_bytes().unwrap(), b"");
    }

    // hand-written fixture: nested list and dict, as tnetstring.dumps writes them
    #[test]
    fn walks_lists_and_dicts() {
        let input = b"18:5:12345#4:true!0:~]";
        let list = top(input).unwrap();
        let tags: Vec<Tag> = list.list().unwrap().map(|item| item.unwrap().tag()).collect();
        assert_eq!(tags, [Tag::Integer, Tag::Bool, Tag::Null]);

        let input = b"30:4:host;7:example;4:port;3:443#}";
        let dict = top(input).unwrap();
        let [host, port, missing] = dict.dict().unwrap().fields(["host", "port", "path"]).unwrap();
        assert_eq!(host.unwrap().as_bytes().unwrap(), b"example");
        assert_eq!(port.unwrap().as_i64().unwrap(), 443);
        assert!(missing.is_none());
        assert_eq!(port.unwrap().offset(), 27);
        validate(dict).unwrap();
    }

    #[test]
    fn errors_name_the_offset_of_the_bad_item() {
        // hand-written fixtures, one per error kind
        assert_eq!(
            kind(top(b"x:abc,")),
            (0, TnetErrorKind::MissingLength { found: "a letter".into() })
        );
        assert_eq!(kind(top(b"1234567890123:")), (0, TnetErrorKind::LengthTooLong));
        assert_eq!(
            kind(top(b"3.abc,")),
            (0, TnetErrorKind::MissingColon { found: "a punctuation character".into() })
        );
        assert_eq!(
            kind(top(b"10:abc")),
            (0, TnetErrorKind::Truncated { declared: 10, available: 3 })
        );
        assert_eq!(
            kind(top(b"3:abc")),
            (0, TnetErrorKind::Truncated { declared: 3, available: 3 })
        );
        assert_eq!(kind(top(b"12")), (0, TnetErrorKind::Truncated { declared: 12, available: 0 }));
        assert_eq!(kind(top(b"3:abc?")), (0, TnetErrorKind::UnknownTag { tag: b'?' }));
        assert_eq!(kind(top(b"2:1x#").unwrap().as_i64()), (0, TnetErrorKind::InvalidInteger));
        assert_eq!(kind(top(b"0:#").unwrap().as_i64()), (0, TnetErrorKind::InvalidInteger));
        assert_eq!(
            kind(top(b"20:99999999999999999999#").unwrap().as_i64()),
            (0, TnetErrorKind::IntegerOutOfRange)
        );
        assert_eq!(kind(top(b"3:1.x^").unwrap().as_f64()), (0, TnetErrorKind::InvalidFloat));
        assert_eq!(kind(top(b"3:yes!").unwrap().as_bool()), (0, TnetErrorKind::InvalidBool));
        assert_eq!(kind(validate(top(b"1:x~").unwrap())), (0, TnetErrorKind::NonEmptyNull));
        assert_eq!(
            kind(top(b"3:abc,").unwrap().as_i64()),
            (0, TnetErrorKind::UnexpectedType { expected: "an integer", found: Tag::Bytes })
        );
        // An item inside a container that claims more than the container holds.
        let input = b"7:5:abc,x]";
        let err = top(input).unwrap().list().unwrap().next().unwrap().unwrap_err();
        assert_eq!(
            (err.offset, err.kind),
            (2, TnetErrorKind::OverrunsContainer { declared: 5, available: 5 })
        );
        // A dict with a dangling key.
        let input = b"6:3:abc,}";
        let err = top(input).unwrap().dict().unwrap().next().unwrap().unwrap_err();
        assert_eq!((err.offset, err.kind.clone()), (2, TnetErrorKind::DictKeyWithoutValue));
        assert_eq!(kind(validate(top(input).unwrap())), (2, TnetErrorKind::DictKeyWithoutValue));
        assert_eq!(
            err.to_string(),
            "dict key without a value (at byte 2)",
            "messages are lowercase and carry the offset"
        );
    }

    #[test]
    fn huge_declared_lengths_fail_without_allocating() {
        // hand-written fixtures: lengths far beyond the input
        assert_eq!(
            kind(top(b"999999999999:x,")),
            (0, TnetErrorKind::Truncated { declared: 999_999_999_999, available: 2 })
        );
        let input = b"17:999999999999:abc,]";
        let err = top(input).unwrap().list().unwrap().next().unwrap().unwrap_err();
        assert_eq!(err.offset, 3);
        assert!(matches!(
            err.kind,
            TnetErrorKind::OverrunsContainer { declared: 999_999_999_999, .. }
        ));
    }

    /// `[[[[...]]]]` nested `levels` deep, built without quadratic copying: the payload
    /// length of each level is known from the inside out.
    fn nested_lists(levels: usize) -> Vec<u8> {
        let mut payload_lens = vec![0usize; levels];
        for level in (0..levels.saturating_sub(1)).rev() {
            let inner = payload_lens[level + 1];
            payload_lens[level] = inner.to_string().len() + 1 + inner + 1;
        }
        let mut out = Vec::new();
        for len in &payload_lens {
            out.extend_from_slice(format!("{len}:").as_bytes());
        }
        out.extend(std::iter::repeat_n(b']', levels));
        out
    }

    #[test]
    fn deep_nesting_stops_at_the_cap_without_recursing() {
        let input = nested_lists(100_000);
        let root = top(&input).unwrap();
        let err = validate(root).unwrap_err();
        assert_eq!(err.kind, TnetErrorKind::TooDeep);
        // The item at depth MAX_DEPTH + 1 is the one refused; each level adds a length prefix.
        assert!(err.offset > MAX_DEPTH as u64);

        let input = nested_lists(MAX_DEPTH + 1);
        validate(top(&input).unwrap()).unwrap();
    }

    #[test]
    fn garbage_never_panics() {
        // Every short byte string over a small alphabet of meaningful bytes.
        let alphabet = b"0129:,;#^!~]}-x";
        let mut buf = Vec::new();
        for len in 0..=4u32 {
            for mut code in 0..(alphabet.len() as u64).pow(len) {
                buf.clear();
                for _ in 0..len {
                    buf.push(alphabet[(code % alphabet.len() as u64) as usize]);
                    code /= alphabet.len() as u64;
                }
                if let Ok(item) = top(&buf) {
                    let _ = validate(item);
                    let _ = item.as_f64();
                    let _ = item.as_i64();
                    assert!(item.end() <= buf.len());
                }
            }
        }
    }

    /// `string_pairs` only ever agrees with the generic reader or gives up: on a header list
    /// (hand-written fixture in mitmproxy's layout) and on every cut, every one-byte change to
    /// a meaningful byte, and every nesting depth near the limit.
    #[test]
    fn the_header_fast_path_agrees_with_the_generic_reader_or_gives_up() {
        /// Whether the fast path completed (and then agreed).
        fn check(input: &[u8], depth: usize) -> bool {
            let Ok(list) = read_item(input, 0, input.len(), depth) else { return false };
            let mut fast = Vec::new();
            let completed = list.string_pairs(|name, value| fast.push((name, value)));
            if completed {
                let generic = crate::fuzzing::string_pairs_read_generically(list);
                assert_eq!(
                    Some(fast),
                    generic,
                    "fast path disagrees on {input:?} at depth {depth}"
                );
            }
            completed
        }
        fn item(payload: &[u8], tag: u8) -> Vec<u8> {
            let mut out = format!("{}:", payload.len()).into_bytes();
            out.extend_from_slice(payload);
            out.push(tag);
            out
        }
        let pair = |name: &[u8], name_tag, value: &[u8], value_tag| {
            item(&[item(name, name_tag), item(value, value_tag)].concat(), b']')
        };
        let list = item(
            &[
                pair(b"Host", b',', b"reg.test", b','),
                pair(b"Authorization", b';', b"Bearer", b';'),
                pair(b"X", b',', b"", b','),
            ]
            .concat(),
            b']',
        );
        let list = list.as_slice();
        assert!(check(list, MAX_DEPTH - 2));
        assert!(!check(list, MAX_DEPTH - 1), "strings past MAX_DEPTH are the generic reader's");
        for cut in 0..list.len() {
            check(&list[..cut], 0);
        }
        let (mut changed, mut n_completed) = (list.to_vec(), 0);
        for at in 0..list.len() {
            for &byte in b"019:,;#]}x" {
                changed[at] = byte;
                n_completed += usize::from(check(&changed, 0));
                changed[at] = list[at];
            }
        }
        // Changed text, and length changes that still frame, keep the shape.
        assert!(n_completed > 50, "only {n_completed} changed lists kept the shape");
        // Other shapes are left to the generic reader.
        for odd in [
            item(&[pair(b"a", b',', b"b", b','), item(b"", b']')].concat(), b']'),
            item(
                &item(&[item(b"a", b','), item(b"b", b','), item(b"c", b',')].concat(), b']'),
                b']',
            ),
            item(&item(&[item(b"a", b','), item(b"1", b'#')].concat(), b']'), b']'),
            item(&item(&[item(b"a", b','), item(b"b", b',')].concat(), b'}'), b']'),
            item(&[pair(b"a", b',', b"b", b',')].concat(), b'}'),
        ] {
            assert!(!check(&odd, 0), "{odd:?}");
        }
        // Well-formed pairs are read by the fast path (the shape it exists for).
        let list = item(
            &[pair(b"Host", b',', b"reg.test", b','), pair(b"Authorization", b';', b"Basic", b';')]
                .concat(),
            b']',
        );
        let item = read_item(&list, 0, list.len(), 0).unwrap();
        let mut fast = Vec::new();
        assert!(item.string_pairs(|name, value| fast.push((name, value))));
        assert_eq!(fast, [(&b"Host"[..], &b"reg.test"[..]), (b"Authorization", b"Basic")]);
    }

    /// Reading a length eight bytes at a time gives what reading it byte by byte gives.
    #[test]
    fn lengths_read_eight_bytes_at_a_time_match_byte_by_byte() {
        let mut n_read = 0;
        let (mut n_read_short, mut n_refused_short) = (0, 0);
        let mut check = |window: &[u8]| {
            if let Some(fast) = length_prefix_of_eight(window) {
                n_read += 1;
                assert_eq!(Some(fast), length_prefix(window), "{window:?}");
            }
            match short_length_prefix(window) {
                Some(short) => {
                    n_read_short += 1;
                    assert_eq!(Some(short), length_prefix(window), "{window:?}");
                }
                None => n_refused_short += 1,
            }
        };
        let numbers = (0..20_000u64)
            .chain((0..64).map(|shift| 1u64 << (shift % 24)))
            .chain([999_999, 1_000_000, 1_234_567, 9_999_999, 10_000_000, 98_765_432]);
        for number in numbers {
            for zeros in 0..3 {
                let text = format!("{}{number}:", "0".repeat(zeros));
                for padding in
                    [&b""[..], b"x", b"12345678", b":::::::", b"\xff\xff\xff\xff\xff\xff\xff"]
                {
                    check(&[text.as_bytes(), padding].concat());
                }
            }
        }
        // Every byte value in every position of an eight-byte window of digits and a colon.
        let base = *b"1234567:";
        for at in 0..8 {
            for byte in 0..=255u8 {
                let mut window = base;
                window[at] = byte;
                check(&window);
            }
        }
        assert!(n_read > 100_000, "the fast way read only {n_read} lengths");
        // Both ways of every length below 100 were tried, and longer ones were left alone.
        assert!(
            n_read_short > 500 && n_refused_short > 100_000,
            "{n_read_short} {n_refused_short}"
        );
    }

    /// A dict's fields read in one loop are those the pair-by-pair walk reads, or the loop
    /// gives up: on a flow-like dict (hand-written fixture), every cut and every change of a
    /// meaningful byte.
    /// Keys are matched by length and first eight bytes at once, then by the rest: keys
    /// that share a prefix, differ only past the eighth byte, or end the input (where eight
    /// bytes cannot be read at once) find their own slot as the pair-by-pair walk does.
    #[test]
    fn dict_keys_match_names_by_every_byte() {
        let keys = [
            "timestamp_start",
            "timestamp_end",
            "timestamp_tls_setup",
            "timestamp_startX",
            "timestamp",
            "timestamq",
            "tls",
            "tlS",
            "",
            "a",
        ];
        let names = ["timestamp_start", "timestamp_end", "timestamp", "tls", "", "a", "timestamq"];
        for first in 0..keys.len() {
            // Every key once, starting from a different one each time, so each is last once.
            let mut payload = Vec::new();
            for (value, key) in keys.iter().cycle().skip(first).take(keys.len()).enumerate() {
                payload.extend(format!("{}:{key};", key.len()).bytes());
                payload.extend(format!("{}:{value}#", value.to_string().len()).bytes());
            }
            let input = [format!("{}:", payload.len()).as_bytes(), &payload, b"}"].concat();
            let dict = read_item(&input, 0, input.len(), 0).unwrap().dict().unwrap();
            let fast = dict.clone().fields_of_well_framed(&names).expect("well framed");
            let walked = dict.fields_walked(names).unwrap();
            let values = |slots: [Option<Item<'_>>; 7]| {
                slots.map(|slot| slot.map(|item| item.as_i64().unwrap()))
            };
            assert_eq!(values(fast), values(walked), "starting at {first}");
            assert!(values(fast).iter().all(Option::is_some), "{:?}", values(fast));
        }
    }

    #[test]
    fn dict_fields_read_in_one_loop_match_the_walk_or_give_up() {
        fn check(input: &[u8]) -> bool {
            let Ok(Ok(dict)) = read_item(input, 0, input.len(), 0).map(|item| item.dict()) else {
                return false;
            };
            let names = ["type", "version", "request", "x", ""];
            let Some(fast) = dict.clone().fields_of_well_framed(&names) else { return false };
            let walked = dict.fields_walked(names).expect("well framed, so the walk reads it");
            let describe = |slots: [Option<Item<'_>>; 5]| {
                slots.map(|slot| {
                    slot.map(|item| (item.offset(), item.end(), item.tag(), item.depth))
                })
            };
            assert_eq!(describe(fast), describe(walked), "{input:?}");
            true
        }
        let dict: &[u8] =
            b"71:4:type;4:http;7:version;2:21#7:request;15:6:method;3:GET;}0:,0:~1:x;0:]}";
        assert!(check(dict));
        for cut in 0..dict.len() {
            check(&dict[..cut]);
        }
        let (mut changed, mut n_read) = (dict.to_vec(), 0);
        for at in 0..dict.len() {
            for &byte in b"0139:,;#]}~x" {
                changed[at] = byte;
                n_read += usize::from(check(&changed));
                changed[at] = dict[at];
            }
        }
        assert!(n_read > 40, "only {n_read} changed dicts were read in one loop");
        // Keys that are not strings, a key without a value and an unknown tag are left to the walk.
        for odd in [&b"8:1:1#1:a,}"[..], b"4:1:a,}", b"8:1:a,1:b?}"] {
            let dict = read_item(odd, 0, odd.len(), 0).unwrap().dict().unwrap();
            assert!(dict.fields_of_well_framed(&["a"]).is_none(), "{odd:?}");
        }
    }
}
