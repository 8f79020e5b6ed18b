//! Undoing JSON string escapes, for body text the HAR reader kept escaped.

/// The text of a JSON string literal (`"a\nb"`, quotes included), escapes undone.
///
/// Infallible on purpose: the HAR reader already checked the literal's syntax, but JSON
/// allows lone UTF-16 surrogates (`"\ud800"`) that no Rust string can hold; those, and
/// anything else unexpected, become U+FFFD so that a body never fails to decode.
pub(crate) fn unescape(literal: &[u8]) -> String {
    unescape_prefix(literal, usize::MAX)
}

/// Like [`unescape`], but stops once at least `limit` bytes are out (the result may end in
/// the middle of a character, which then becomes U+FFFD, and may run a few bytes past `limit`).
pub(crate) fn unescape_prefix(literal: &[u8], limit: usize) -> String {
    let inner =
        literal.strip_prefix(b"\"").and_then(|rest| rest.strip_suffix(b"\"")).unwrap_or(literal);
    unescape_inner_prefix(inner, limit)
}

/// The text between a JSON string literal's quotes (`a\nb`), escapes undone; see [`unescape`].
pub(crate) fn unescape_inner(inner: &[u8]) -> String {
    unescape_inner_prefix(inner, usize::MAX)
}

fn unescape_inner_prefix(inner: &[u8], limit: usize) -> String {
    let mut out = Vec::with_capacity(inner.len().min(limit));
    let mut pos = 0;
    while pos < inner.len() && out.len() < limit {
        let Some(escape_at) =
            inner[pos..].iter().position(|&byte| byte == b'\\').map(|idx| pos + idx)
        else {
            let room = limit - out.len();
            out.extend_from_slice(&inner[pos..inner.len().min(pos.saturating_add(room))]);
            break;
        };
        let room = limit - out.len();
        if escape_at - pos >= room {
            out.extend_from_slice(&inner[pos..pos + room]);
            break;
        }
        out.extend_from_slice(&inner[pos..escape_at]);
        pos = escape_at + 2;
        let simple = match inner.get(escape_at + 1) {
            Some(b'"') => b'"',
            Some(b'\\') => b'\\',
            Some(b'/') => b'/',
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'u') => {
                let (ch, used) = decode_unicode_escape(&inner[escape_at..]);
                let mut buf = [0; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                pos = escape_at + used;
                continue;
            }
            _ => {
                out.extend_from_slice(
                    char::REPLACEMENT_CHARACTER.encode_utf8(&mut [0; 4]).as_bytes(),
                );
                continue;
            }
        };
        out.push(simple);
    }
    match String::from_utf8(out) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    }
}

/// Decodes `\uXXXX` (or a surrogate pair `\uD83D\uDE00`) at the start of `escape`;
/// returns the character and how many bytes it took.
fn decode_unicode_escape(escape: &[u8]) -> (char, usize) {
    let hex4 = |at: usize| -> Option<u32> {
        let digits = escape.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    let Some(first) = hex4(2) else { return (char::REPLACEMENT_CHARACTER, 2) };
    if (0xd800..0xdc00).contains(&first)
        && escape.get(6..8) == Some(b"\\u")
        && let Some(second) = hex4(8).filter(|second| (0xdc00..0xe000).contains(second))
    {
        let code = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
        return (char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER), 12);
    }
    (char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER), 6)
}

#[cfg(test)]
mod tests {
    use super::unescape;

    // hand-written fixtures: every escape JSON has, pairs and lone surrogates
    #[test]
    fn undoes_every_escape() {
        assert_eq!(unescape(br#""plain""#), "plain");
        assert_eq!(unescape(br#""a\"b\\c\/d\be\ff\ng\rh\ti""#), "a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti");
        assert_eq!(unescape(br#""\u00e9\u0000\uD83D\uDE00x""#), "é\0😀x");
        assert_eq!(unescape(br#""\ud800 lone""#), "\u{fffd} lone");
        assert_eq!(unescape(br#""\ud800\u0041""#), "\u{fffd}A");
        assert_eq!(unescape(br#""bad \q and cut \u12""#), "bad \u{fffd} and cut \u{fffd}12");
        assert_eq!(unescape(br#""trailing \""#), "trailing \u{fffd}");
        assert_eq!(unescape("\"ünïcödé\"".as_bytes()), "ünïcödé");
    }

    // hand-written fixtures: a prefix stops at the limit, escapes included
    #[test]
    fn prefix_stops_at_the_limit() {
        use super::unescape_prefix;
        assert_eq!(unescape_prefix(br#""abcdef""#, 3), "abc");
        assert_eq!(unescape_prefix(br#""a\nbcdef""#, 3), "a\nb");
        assert_eq!(unescape_prefix(br#""\n\n\n\n""#, 2), "\n\n");
        assert_eq!(unescape_prefix(br#""abc""#, 0), "");
    }
}
