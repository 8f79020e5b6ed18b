//! Finding every string literal of a JSON text with its byte span and what it is (a key, a
//! member value, an array item), so redaction can rewrite single literals in place and leave
//! every other byte (whitespace, key order, numbers, unknown fields) as it was.
//!
//! Hand-written because serde_json reads values, not spans: `RawValue` gives the span of a
//! value we name in a struct, but not of every string in a document whose shape we do not
//! know (HAR `_` extensions, arbitrary JSON bodies). The scanner only tracks nesting and
//! string boundaries; callers validate the text with serde_json first, so on valid JSON it is
//! exact, and on anything else it still never panics and never reads out of bounds.

use std::borrow::Cow;
use std::ops::Range;

/// One level of nesting around the current position.
#[derive(Clone, Debug)]
pub(super) enum Frame {
    /// Inside an object; `key` is the span of the member key last seen (quotes included).
    Object { key: Option<Range<usize>>, expect_key: bool },
    /// Inside an array; `index` is the position of the current item.
    Array { index: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// An object key.
    Key,
    /// The value of an object member (the key is the innermost frame's `key`).
    Member,
    /// An array item, or the whole document.
    Item,
}

/// Calls `visit(span, role, frames)` for every string literal in `json`, in order. `span`
/// includes the quotes; `frames` is the nesting around it, outermost first.
pub(super) fn for_each_string(json: &[u8], mut visit: impl FnMut(Range<usize>, Role, &[Frame])) {
    let mut frames: Vec<Frame> = Vec::new();
    let mut pos = 0;
    while pos < json.len() {
        match json[pos] {
            b'{' => frames.push(Frame::Object { key: None, expect_key: true }),
            b'[' => frames.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object { expect_key, .. }) => *expect_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b'"' => {
                let end = string_end(json, pos);
                let span = pos..end;
                let role = match frames.last_mut() {
                    Some(Frame::Object { key, expect_key: expect_key @ true }) => {
                        *key = Some(span.clone());
                        *expect_key = false;
                        Role::Key
                    }
                    Some(Frame::Object { .. }) => Role::Member,
                    Some(Frame::Array { .. }) | None => Role::Item,
                };
                visit(span, role, &frames);
                pos = end;
                continue;
            }
            _ => {}
        }
        pos += 1;
    }
}

/// Index just past the closing quote of the literal opening at `start` (or the end of input
/// for an unterminated literal).
fn string_end(json: &[u8], start: usize) -> usize {
    let mut pos = start + 1;
    while let Some(found) = memchr::memchr2(b'"', b'\\', json.get(pos..).unwrap_or_default()) {
        let at = pos + found;
        if json[at] == b'\\' {
            pos = at + 2;
        } else {
            return at + 1;
        }
    }
    json.len()
}

/// The text of the key `frame` is in, escapes undone (empty for arrays and keyless objects).
pub(super) fn frame_key(json: &[u8], frame: &Frame) -> Option<String> {
    match frame {
        Frame::Object { key: Some(span), .. } => {
            json.get(span.clone()).map(crate::capture::json_string::unescape)
        }
        _ => None,
    }
}

/// The text of a string literal (quotes included): borrowed when it has no escapes.
pub(super) fn literal_text(literal: &[u8]) -> Cow<'_, str> {
    let inner = literal.get(1..literal.len().saturating_sub(1)).unwrap_or_default();
    match std::str::from_utf8(inner) {
        Ok(text) if memchr::memchr(b'\\', inner).is_none() => Cow::Borrowed(text),
        _ => Cow::Owned(crate::capture::json_string::unescape(literal)),
    }
}

/// `a.b[3].c` for the position `frames` describe.
pub(super) fn render_path(json: &[u8], frames: &[Frame]) -> String {
    let mut path = String::new();
    for frame in frames {
        match frame {
            Frame::Object { .. } => {
                if let Some(key) = frame_key(json, frame) {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&key);
                }
            }
            Frame::Array { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    path
}

/// A JSON string literal (quotes included) for `text`.
pub(super) fn literal(text: &str) -> Vec<u8> {
    // Serialising a &str cannot fail; the fallback is never taken.
    serde_json::to_vec(text).unwrap_or_else(|_| b"\"\"".to_vec())
}

/// Whether `bytes` is one complete JSON value (object or array) and nothing else.
pub(super) fn is_json_document(bytes: &[u8]) -> bool {
    let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
    matches!(first, Some(b'{' | b'['))
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(json: &str) -> Vec<(String, Role, String)> {
        let mut out = Vec::new();
        for_each_string(json.as_bytes(), |span, role, frames| {
            out.push((json[span].to_owned(), role, render_path(json.as_bytes(), frames)));
        });
        out
    }

    // hand-written fixture: keys, members, array items, escapes, nesting
    #[test]
    fn finds_every_literal_with_its_role_and_path() {
        let found = strings(r#"{"a": "x\"}", "b": [1, "y", {"c\n": "z"}], "d": {"e": []}}"#);
        let expected = [
            (r#""a""#, Role::Key, "a"),
            (r#""x\"}""#, Role::Member, "a"),
            (r#""b""#, Role::Key, "b"),
            (r#""y""#, Role::Item, "b[1]"),
            (r#""c\n""#, Role::Key, "b[2].c\n"),
            (r#""z""#, Role::Member, "b[2].c\n"),
            (r#""d""#, Role::Key, "d"),
            (r#""e""#, Role::Key, "d.e"),
        ];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for ((text, role, path), (want_text, want_role, want_path)) in found.iter().zip(expected) {
            assert_eq!((text.as_str(), *role, path.as_str()), (want_text, want_role, want_path));
        }
    }

    #[test]
    fn never_panics_on_cut_or_garbled_text() {
        let text = br#"{"a": ["b\\", {"c": "d\"e"}], "f": "\u00e9"}"#;
        for end in 0..=text.len() {
            for_each_string(&text[..end], |span, _, frames| {
                assert!(span.end <= end);
                let _ = render_path(&text[..end], frames);
            });
            for_each_string(&text[end..], |_, _, _| {});
        }
        for_each_string(b"\"\\", |_, _, _| {});
        for_each_string(b"]]]}}},,,\"", |_, _, _| {});
    }

    #[test]
    fn literal_and_document_check() {
        assert_eq!(literal("a\"b\n"), br#""a\"b\n""#.to_vec());
        assert!(is_json_document(b" {\"a\": 1}\n"));
        assert!(!is_json_document(b"{\"a\": 1"));
        assert!(!is_json_document(b"\"just a string\""));
    }
}
