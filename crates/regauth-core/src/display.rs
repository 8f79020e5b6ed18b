//! Display-safe text: capture-derived strings shown with their control and invisible format
//! characters escaped, so a capture cannot drive the terminal (window titles, clearing the
//! screen, OSC 8 hyperlinks, `\r` overwrites) or reorder what people read (bidi overrides).
//!
//! ```text
//!  "realm\x1b]0;pwned\x07"  ──► Safe(..) / safe(..) ──►  realm\x1b]0;pwned\x07   (visible escapes)
//!  "admin\u{202e}gpj.exe"   ──►                     ──►  admin\u{202e}gpj.exe
//! ```
//!
//! Escaped: every `Cc` control (C0, DEL, C1; so `\n`, `\r` and `\t` too: a field is one line),
//! every `Cf` format character (bidi embeddings, overrides and isolates, zero-width spaces and
//! joiners, the BOM, invisible operators, tag characters...), the line and paragraph separators
//! U+2028/U+2029, and the noncharacters (U+FFFE, U+FFFF, ...), which XML 1.0 also forbids.
//! Escapes use Rust's spelling: `\n`, `\r`, `\t`, `\x1b` below U+0080, `\u{202e}` above.
//!
//! Text outputs (the CLI's text formats and stderr, the text report, JUnit) apply this at the
//! boundary to every string that came from a capture; JSON needs nothing (serde escapes every
//! control character, and the value stays exact).

use std::borrow::Cow;
use std::fmt;

/// The `Cf` (format) ranges of Unicode 16. Hand-written: one small table that Unicode extends
/// rarely, against a general-category crate pulled into the core (and the wasm) for it.
const FORMAT_RANGES: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `ch` must not reach a terminal or a text report as it is.
pub fn is_unsafe_char(ch: char) -> bool {
    let code = ch as u32;
    if (0x20..0x7f).contains(&code) {
        // Printable ASCII, nearly every character of a capture: no table to search.
        return false;
    }
    ch.is_control()
        || code == 0x2028
        || code == 0x2029
        || (0xFDD0..=0xFDEF).contains(&code)
        || code & 0xFFFE == 0xFFFE
        || FORMAT_RANGES.iter().any(|&(first, last)| (first..=last).contains(&code))
}

/// A string that displays with its unsafe characters escaped (see the module docs).
#[derive(Clone, Copy, Debug)]
pub struct Safe<'a>(pub &'a str);

impl fmt::Display for Safe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_printable_ascii(self.0) {
            return f.write_str(self.0);
        }
        let mut clean_from = 0;
        for (at, ch) in self.0.char_indices() {
            if !is_unsafe_char(ch) {
                continue;
            }
            f.write_str(&self.0[clean_from..at])?;
            match ch {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                ch if (ch as u32) < 0x80 => write!(f, "\\x{:02x}", ch as u32)?,
                ch => write!(f, "\\u{{{:x}}}", ch as u32)?,
            }
            clean_from = at + ch.len_utf8();
        }
        f.write_str(&self.0[clean_from..])
    }
}

/// Whether `text` is printable ASCII only (nothing to escape), checked a byte at a time,
/// which the compiler vectorises, instead of a character at a time.
fn is_printable_ascii(text: &str) -> bool {
    text.bytes().all(|byte| (0x20..0x7f).contains(&byte))
}

/// At most `max_chars` characters of `text`, with `…` when cut.
pub fn shorten(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars.saturating_sub(1)) {
        Some((cut, _)) if text[cut..].chars().nth(1).is_some() => {
            Cow::Owned(format!("{}…", &text[..cut]))
        }
        _ => Cow::Borrowed(text),
    }
}

/// `text` with its unsafe characters escaped; borrowed when there is none.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !is_printable_ascii(text) && text.chars().any(is_unsafe_char) {
        Cow::Owned(Safe(text).to_string())
    } else {
        Cow::Borrowed(text)
    }
}

/// Like [`safe`], but keeps line breaks (`\n`) for text that is several lines on purpose;
/// every other unsafe character, `\r` included, is escaped.
pub fn safe_lines(text: &str) -> String {
    text.split('\n').map(safe).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_bidi_are_shown_escaped() {
        // hand-written fixtures: what a hostile capture puts in realms, URLs and messages.
        let check = |input: &str, expected: &str| assert_eq!(safe(input), expected);
        check("title\x1b]0;pwned\x07", "title\\x1b]0;pwned\\x07");
        check("\x1b[2Jcleared", "\\x1b[2Jcleared");
        check(
            "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
            "\\x1b]8;;https://evil.example\\x1b\\link\\x1b]8;;\\x1b\\",
        );
        check("ok\rFAKE", "ok\\rFAKE");
        check("user\u{202e}gpj.exe", "user\\u{202e}gpj.exe");
        check("a\u{2066}b\u{2069}c\u{200b}d\u{feff}", "a\\u{2066}b\\u{2069}c\\u{200b}d\\u{feff}");
        check(
            "c1\u{9b}31m del\x7f nul\0 tab\t nl\n",
            "c1\\u{9b}31m del\\x7f nul\\x00 tab\\t nl\\n",
        );
        check("tag\u{e0041} nonchar\u{fffe}\u{ffff}", "tag\\u{e0041} nonchar\\u{fffe}\\u{ffff}");
        check("ls\u{2028}ps\u{2029}", "ls\\u{2028}ps\\u{2029}");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for text in ["registry.example:5000/v2/ → 401", "pässwörd ✗ 日本語 emoji 🙂", "", "a\\x1b"]
        {
            assert!(matches!(safe(text), Cow::Borrowed(_)), "{text}");
            assert_eq!(Safe(text).to_string(), text);
        }
    }

    #[test]
    fn safe_lines_keeps_only_line_feeds() {
        assert_eq!(safe_lines("one\x1b[1m\ntwo\r\n"), "one\\x1b[1m\ntwo\\r\n");
    }

    #[test]
    fn nothing_unsafe_survives() {
        // Every code point, in chunks: the escaped form has no unsafe character left.
        let all: String = (0..=0x10FFFFu32).filter_map(char::from_u32).collect();
        let shown = safe(&all);
        assert!(!shown.chars().any(is_unsafe_char));
        assert!(
            shown.contains("\\u{202e}") && shown.contains("\\x1b") && shown.contains("\\u{85}")
        );
    }
}
