//! The serde model of a HAR entry: only the fields regauth uses, strings borrowed from the
//! input, and every type lenient.
//!
//! Lenient means: on well-formed JSON, deserializing never fails. A value of the wrong type
//! becomes [`Found`] (what was there, described), and the reader decides whether that costs a
//! detail or the entry, and names the field in its message. This is what lets the reader
//! parse the whole file in one pass (serde_json stops at the first error, so one `"url": 5`
//! would otherwise end the file) while still isolating a bad entry from the others.
//!
//! Objects are read by hand-written `visit_map`s ([`MapFields`]) rather than derived ones:
//! derived visitors fail on a duplicate key, which hostile files have; here the last wins,
//! as in most JSON parsers. Unknown keys (`cache`, `timings`, `_initiator`, ...) are skipped
//! without being built.
//!
//! Every value is read with the input at hand ([`FromJson`], [`In`]), so header lists go
//! straight into [`Headers`] as spans of the input, with no list of parsed fields in between.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::fast::{Bail, FastFields, FastRead, Parser};
use crate::model::{CompactString, Headers};

/// A JSON value of the wrong type, described for messages (strings are never quoted: they
/// may hold secrets).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Found {
    Number(f64),
    Bool(bool),
    Null,
    String,
    Object,
    Array,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Number(number) => write!(f, "{number}"),
            Found::Bool(value) => write!(f, "{value}"),
            Found::Null => f.write_str("null"),
            Found::String => f.write_str("a string"),
            Found::Object => f.write_str("an object"),
            Found::Array => f.write_str("an array"),
        }
    }
}

/// Implements the listed `visit_*` methods (the JSON types that are not the wanted one) as
/// `$wrong(Found)`; containers are drained first, so the parser stays in step.
macro_rules! wrong_types {
    ($wrong:expr; $($method:ident),* $(,)?) => {
        $( wrong_types!(@impl $wrong; $method); )*
    };
    (@impl $wrong:expr; visit_i64) => {
        fn visit_i64<E: de::Error>(self, number: i64) -> Result<Self::Value, E> {
            Ok($wrong(Found::Number(number as f64)))
        }
    };
    (@impl $wrong:expr; visit_u64) => {
        fn visit_u64<E: de::Error>(self, number: u64) -> Result<Self::Value, E> {
            Ok($wrong(Found::Number(number as f64)))
        }
    };
    (@impl $wrong:expr; visit_f64) => {
        fn visit_f64<E: de::Error>(self, number: f64) -> Result<Self::Value, E> {
            Ok($wrong(Found::Number(number)))
        }
    };
    (@impl $wrong:expr; visit_bool) => {
        fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
            Ok($wrong(Found::Bool(value)))
        }
    };
    (@impl $wrong:expr; visit_str) => {
        fn visit_str<E: de::Error>(self, _text: &str) -> Result<Self::Value, E> {
            Ok($wrong(Found::String))
        }
    };
    (@impl $wrong:expr; visit_unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrong(Found::Null))
        }
    };
    (@impl $wrong:expr; visit_map) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($wrong(Found::Object))
        }
    };
    (@impl $wrong:expr; visit_seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($wrong(Found::Array))
        }
    };
}

/// A JSON string, borrowed from the input when it has no escapes; anything else is `Wrong`.
///
/// serde's own `Cow<str>` borrows only as a direct `#[serde(borrow)]` field, never inside
/// `Option` (serde-rs/serde#1497); this type borrows everywhere, which is what keeps
/// multi-megabyte bodies from being copied.
pub(super) enum Text<'a> {
    Str(Cow<'a, str>),
    Wrong(Found),
}

impl<'a> Text<'a> {
    pub(super) fn ok(self) -> Option<Cow<'a, str>> {
        match self {
            Text::Str(text) => Some(text),
            Text::Wrong(_) => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Text::Str(text) => Some(text),
            Text::Wrong(_) => None,
        }
    }

    /// The string, or a message naming `path` and what was there instead.
    pub(super) fn expect(self, path: impl fmt::Display) -> Result<Cow<'a, str>, String> {
        match self {
            Text::Str(text) => Ok(text),
            Text::Wrong(found) => Err(format!("{path}: expected a string, found {found}")),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Owned(text)))
            }
            wrong_types!(Text::Wrong; visit_i64, visit_u64, visit_f64, visit_bool, visit_unit, visit_map, visit_seq);
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// Any JSON value, for fields that only add detail: HAR wants a number or a string there but
/// producers differ (`"status": "200"`, `"connection": "12"` or `12`, `"time": null`,
/// `"statusText": 404`). An odd type costs that detail, not the whole entry. Fields whose
/// meaning matters (`url`, `method`, `headers`, bodies) are read strictly instead.
pub(super) enum Scalar<'a> {
    Number(f64),
    Text(Cow<'a, str>),
    Bool(bool),
    Null,
    /// An object or array where a scalar belongs; kept so messages can say so.
    Structure,
}

impl<'a> Scalar<'a> {
    /// The string, if the value is one.
    pub(super) fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }

    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }

    pub(super) fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Number(number) => Some(*number).filter(|number| number.is_finite()),
            Scalar::Text(text) => {
                text.trim().parse::<f64>().ok().filter(|number| number.is_finite())
            }
            Scalar::Bool(_) | Scalar::Null | Scalar::Structure => None,
        }
    }

    pub(super) fn as_u16(&self) -> Option<u16> {
        self.as_f64()
            .filter(|number| number.fract() == 0.0 && (0.0..=65535.0).contains(number))
            .map(|n| n as u16)
    }

    pub(super) fn as_text(&self) -> Option<CompactString> {
        match self {
            // Display's spelling, as before (`format_compact!` formats through `Display`).
            Scalar::Number(number) => Some(compact_str::format_compact!("{number}")),
            Scalar::Text(text) => Some(CompactString::from(&**text)),
            Scalar::Bool(_) | Scalar::Null | Scalar::Structure => None,
        }
    }

    /// Seconds since the Unix epoch (Chromium's certificate validity) as a timestamp.
    pub(super) fn as_unix_time(&self) -> Option<crate::model::Timestamp> {
        let seconds = self.as_f64()?;
        if !(-1e12..=1e12).contains(&seconds) {
            return None;
        }
        chrono::DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64)
    }

    /// What the value is, for messages; strings are described, never quoted.
    pub(super) fn describe(&self) -> String {
        match self {
            Scalar::Number(number) => number.to_string(),
            Scalar::Text(_) => "a string that is not a number".to_owned(),
            Scalar::Bool(value) => value.to_string(),
            Scalar::Null => "null".to_owned(),
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
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
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
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Structure)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Structure)
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// A map key, borrowed when it has no escapes (almost always).
pub(super) struct Key<'a>(pub(super) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(text.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// What every value is read with: the whole input, so borrowed text can become spans of it.
#[derive(Clone, Copy)]
pub(super) struct Ctx<'b> {
    pub(super) buffer: &'b Bytes,
    /// Where header lists are collected before each is moved out at its exact size.
    pub(super) scratch: &'b RefCell<Headers>,
}

/// A value read from JSON with the input at hand (a [`Deserialize`] with context).
pub(super) trait FromJson<'de>: Sized {
    fn from_json<D: Deserializer<'de>>(deserializer: D, ctx: Ctx<'_>) -> Result<Self, D::Error>;
}

/// The seed that reads a `T` with `ctx` (`map.next_value_seed(In::new(ctx))`).
pub(super) struct In<'b, T> {
    ctx: Ctx<'b>,
    _value: PhantomData<T>,
}

impl<'b, T> In<'b, T> {
    pub(super) fn new(ctx: Ctx<'b>) -> In<'b, T> {
        In { ctx, _value: PhantomData }
    }
}

impl<'de, T: FromJson<'de>> DeserializeSeed<'de> for In<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::from_json(deserializer, self.ctx)
    }
}

/// Values that need no context read as plain `Deserialize`.
macro_rules! from_json_by_deserialize {
    ($($ty:ty),* $(,)?) => {
        $(impl<'de: 'a, 'a> FromJson<'de> for $ty {
            fn from_json<D: Deserializer<'de>>(deserializer: D, _ctx: Ctx<'_>) -> Result<Self, D::Error> {
                <$ty as Deserialize<'de>>::deserialize(deserializer)
            }
        })*
    };
}

from_json_by_deserialize!(Text<'a>, Scalar<'a>);

/// A value's JSON text as it is in the input (a string keeps its quotes and escapes), so a
/// body is scanned once and neither unescaped nor copied while reading.
pub(super) struct RawText<'a>(pub(super) &'a str);

impl<'de: 'a, 'a> FromJson<'de> for RawText<'a> {
    fn from_json<D: Deserializer<'de>>(deserializer: D, _ctx: Ctx<'_>) -> Result<Self, D::Error> {
        <&'de RawValue as Deserialize<'de>>::deserialize(deserializer).map(|raw| RawText(raw.get()))
    }
}

/// An object read field by field (see the module docs).
pub(super) trait MapFields<'de>: Default {
    /// Reads the value of `key` from `map`, or skips it.
    fn field<A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
        ctx: Ctx<'_>,
    ) -> Result<(), A::Error>;
}

/// A JSON object read into `T`, or what was there instead.
pub(super) enum Obj<T> {
    Present {
        value: T,
        /// Where the first key starts in the input (its text, when borrowed), so a reader can
        /// locate the object without a second pass.
        first_key: Option<usize>,
    },
    Wrong(Found),
}

impl<T> Obj<T> {
    pub(super) fn expect(self, path: impl fmt::Display) -> Result<T, String> {
        match self {
            Obj::Present { value, .. } => Ok(value),
            Obj::Wrong(found) => Err(format!("{path}: expected an object, found {found}")),
        }
    }

    pub(super) fn ok(self) -> Option<T> {
        match self {
            Obj::Present { value, .. } => Some(value),
            Obj::Wrong(_) => None,
        }
    }
}

impl<'de, T: MapFields<'de>> FromJson<'de> for Obj<T> {
    fn from_json<D: Deserializer<'de>>(deserializer: D, ctx: Ctx<'_>) -> Result<Self, D::Error> {
        struct ObjVisitor<'b, T>(Ctx<'b>, PhantomData<T>);
        impl<'de, T: MapFields<'de>> Visitor<'de> for ObjVisitor<'_, T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut value = T::default();
                let mut first_key = None;
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    if first_key.is_none()
                        && let Cow::Borrowed(text) = &key
                    {
                        first_key = Some(text.as_ptr() as usize);
                    }
                    value.field(&key, &mut map, self.0)?;
                }
                Ok(Obj::Present { value, first_key })
            }
            wrong_types!(Obj::Wrong; visit_i64, visit_u64, visit_f64, visit_bool, visit_str, visit_unit, visit_seq);
        }
        deserializer.deserialize_any(ObjVisitor(ctx, PhantomData))
    }
}

/// A JSON array of `T`, or what was there instead.
pub(super) enum Seq<T> {
    Items(Vec<T>),
    Wrong(Found),
}

impl<T> Seq<T> {
    pub(super) fn expect(self, path: impl fmt::Display) -> Result<Vec<T>, String> {
        match self {
            Seq::Items(items) => Ok(items),
            Seq::Wrong(found) => Err(format!("{path}: expected an array, found {found}")),
        }
    }
}

impl<'de, T: FromJson<'de>> FromJson<'de> for Seq<T> {
    fn from_json<D: Deserializer<'de>>(deserializer: D, ctx: Ctx<'_>) -> Result<Self, D::Error> {
        struct SeqVisitor<'b, T>(Ctx<'b>, PhantomData<T>);
        impl<'de, T: FromJson<'de>> Visitor<'de> for SeqVisitor<'_, T> {
            type Value = Seq<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // No `size_hint` preallocation: the hint comes from the input.
                let mut items = Vec::new();
                while let Some(item) = seq.next_element_seed(In::new(self.0))? {
                    items.push(item);
                }
                Ok(Seq::Items(items))
            }
            wrong_types!(Seq::Wrong; visit_i64, visit_u64, visit_f64, visit_bool, visit_str, visit_unit, visit_map);
        }
        deserializer.deserialize_any(SeqVisitor(ctx, PhantomData))
    }
}

/// A HAR header list (`[{"name": ..., "value": ...}, ...]`), read straight into [`Headers`]:
/// names and values are spans of the input, copied only when they carry escapes.
pub(super) enum HeadersDe {
    Fields(Headers),
    /// The list is not an array.
    Wrong(Found),
    /// Field `index` (the first that is) is not an object of strings.
    BadField {
        index: usize,
        problem: FieldProblem,
    },
}

/// What is wrong with a header field.
#[derive(Clone, Copy, Debug)]
pub(super) enum FieldProblem {
    NotObject(Found),
    Name(Found),
    Value(Found),
}

impl<'de> FromJson<'de> for HeadersDe {
    fn from_json<D: Deserializer<'de>>(deserializer: D, ctx: Ctx<'_>) -> Result<Self, D::Error> {
        struct HeadersVisitor<'b>(Ctx<'b>);
        impl<'de> Visitor<'de> for HeadersVisitor<'_> {
            type Value = HeadersDe;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of headers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // Header lists never nest, so the scratch is always free; a fresh one would do too.
                let mut fresh = None;
                let mut scratch = self.0.scratch.try_borrow_mut();
                let headers = match &mut scratch {
                    Ok(scratch) => &mut **scratch,
                    Err(_) => fresh.insert(Headers::default()),
                };
                let mut index = 0;
                while let Some(outcome) = seq.next_element_seed(FieldSeed {
                    headers: &mut *headers,
                    buffer: self.0.buffer,
                })? {
                    if let Err(problem) = outcome {
                        headers.take_compact();
                        // The first bad field fails the list; the rest is only skipped over.
                        while seq.next_element::<IgnoredAny>()?.is_some() {}
                        return Ok(HeadersDe::BadField { index, problem });
                    }
                    index += 1;
                }
                Ok(HeadersDe::Fields(headers.take_compact()))
            }
            wrong_types!(HeadersDe::Wrong; visit_i64, visit_u64, visit_f64, visit_bool, visit_str, visit_unit, visit_map);
        }
        deserializer.deserialize_any(HeadersVisitor(ctx))
    }
}

fn not_an_object(found: Found) -> Result<(), FieldProblem> {
    Err(FieldProblem::NotObject(found))
}

/// One `{"name": ..., "value": ...}` of a header list, pushed onto `headers` as it is read
/// (a field without a name says nothing and is dropped).
struct FieldSeed<'h, 'b> {
    headers: &'h mut Headers,
    buffer: &'b Bytes,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = Result<(), FieldProblem>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_> {
    type Value = Result<(), FieldProblem>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a header object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut name, mut value) = (None, None);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match key.as_ref() {
                "name" => name = Some(map.next_value::<Text<'de>>()?),
                "value" => value = Some(map.next_value::<Text<'de>>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let name = match name {
            None => return Ok(Ok(())),
            Some(Text::Wrong(found)) => return Ok(Err(FieldProblem::Name(found))),
            Some(Text::Str(name)) => name,
        };
        let value = match value {
            None => Cow::Borrowed(""),
            Some(Text::Wrong(found)) => return Ok(Err(FieldProblem::Value(found))),
            Some(Text::Str(value)) => value,
        };
        self.headers.push_borrowing(self.buffer, &name, &value);
        Ok(Ok(()))
    }
    wrong_types!(not_an_object; visit_i64, visit_u64, visit_f64, visit_bool, visit_str, visit_unit, visit_seq);
}

/// Defines a struct of optional fields and its [`MapFields`] by JSON key.
macro_rules! har_object {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty = $key:literal,)* }) => {
        $(#[$meta])*
        #[derive(Default)]
        pub(super) struct $name<'a> {
            $($(#[$field_meta])* pub(super) $field: Option<$ty>,)*
            _input: PhantomData<&'a str>,
        }
        impl<'de> MapFields<'de> for $name<'de> {
            fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, ctx: Ctx<'_>) -> Result<(), A::Error> {
                match key {
                    $($key => self.$field = Some(map.next_value_seed(In::new(ctx))?),)*
                    _ => { map.next_value::<IgnoredAny>()?; }
                }
                Ok(())
            }
        }
        // The same fields read by the fast path (`fast.rs`).
        impl<'a> FastFields<'a> for $name<'a> {
            fn fast_field(&mut self, key: &str, parser: &mut Parser<'a>, ctx: Ctx<'_>) -> Result<(), Bail> {
                match key {
                    $($key => self.$field = Some(FastRead::fast_read(parser, ctx)?),)*
                    _ => parser.skip_value()?,
                }
                Ok(())
            }
        }
    };
}

har_object!(CreatorDe {
    name: Text<'a> = "name",
    version: Text<'a> = "version",
});

har_object!(EntryDe {
    started_date_time: Scalar<'a> = "startedDateTime",
    time: Scalar<'a> = "time",
    request: Obj<RequestDe<'a>> = "request",
    response: Obj<ResponseDe<'a>> = "response",
    server_ip_address: Scalar<'a> = "serverIPAddress",
    server_port: Scalar<'a> = "_serverPort",
    connection: Scalar<'a> = "connection",
    error: Scalar<'a> = "_error",
    security_details: Obj<SecurityDetailsDe<'a>> = "_securityDetails",
});

har_object!(RequestDe {
    method: Text<'a> = "method",
    url: Text<'a> = "url",
    http_version: Scalar<'a> = "httpVersion",
    headers: HeadersDe = "headers",
    post_data: Obj<PostDataDe<'a>> = "postData",
    body_size: Scalar<'a> = "bodySize",
});

har_object!(PostDataDe {
    mime_type: Scalar<'a> = "mimeType",
    text: Text<'a> = "text",
    params: Seq<Obj<ParamDe<'a>>> = "params",
    /// Not in HAR 1.2, but some producers mark base64 request bodies like response bodies.
    encoding: Text<'a> = "encoding",
});

har_object!(ParamDe {
    name: Text<'a> = "name",
    value: Text<'a> = "value",
});

har_object!(ResponseDe {
    status: Scalar<'a> = "status",
    status_text: Scalar<'a> = "statusText",
    http_version: Scalar<'a> = "httpVersion",
    headers: HeadersDe = "headers",
    content: Obj<ContentDe<'a>> = "content",
    body_size: Scalar<'a> = "bodySize",
    /// mitmproxy and Chrome: why a request got no response.
    error: Scalar<'a> = "_error",
    /// Playwright: why a request got no response.
    failure_text: Scalar<'a> = "_failureText",
});

har_object!(ContentDe {
    size: Scalar<'a> = "size",
    mime_type: Scalar<'a> = "mimeType",
    /// Raw, so the text is scanned once and neither unescaped nor copied here.
    text: RawText<'a> = "text",
    encoding: Text<'a> = "encoding",
});

har_object!(SecurityDetailsDe {
    protocol: Text<'a> = "protocol",
    subject_name: Text<'a> = "subjectName",
    issuer: Text<'a> = "issuer",
    cipher: Text<'a> = "cipher",
    valid_from: Scalar<'a> = "validFrom",
    valid_to: Scalar<'a> = "validTo",
});
