//! Escaping for each output language, in one place. Every string that came from a capture
//! (hosts, paths, realms, registry messages quoted in findings, claims) is hostile: it may
//! carry markup, control characters or the syntax of the language it lands in. Each function
//! here first makes the text display-safe ([`safe`]: control, bidi and other invisible
//! characters become visible escapes, so a field is one line), then escapes what is special
//! in its target:
//!
//! ```text
//!  capture text ──► safe ──┬─► mermaid_text   `#59;` entity codes for all but [A-Za-z0-9 ./:_-(),?=[]@+!~*|^]
//!                          ├─► md_text        backslash escapes; URLs, mails, `#`s as code spans
//!                          ├─► md_code        a code span with a fence longer than any backtick run
//!                          ├─► gh_data        GitHub workflow commands: `%`, CR, LF
//!                          └─► gh_property    ... and `:` `,` in `key=value` properties
//! ```
//! XML (JUnit, SVG) is written by quick-xml, which escapes markup; [`safe`] removes what XML
//! 1.0 forbids even as a character reference (NUL, ESC, U+FFFE...).

use std::fmt::Write as _;

use crate::display::safe;

pub use crate::display::shorten;

/// Text for a Mermaid message, note or participant label. Mermaid's lexer ends a message at
/// `;`, `#` or a line break, reads `%%` as a comment or an `%%{init}%%` directive, renders
/// `<br>` and other HTML, and decodes `#name;` entity codes (before parsing, so they are the one
/// safe spelling): everything outside a small set of plain ASCII becomes `#<decimal>;`.
/// Non-ASCII characters that are visible stay as they are, and so does `:` (in a message it
/// only means something in a leading `wrap:`/`nowrap:`, which is encoded).
pub fn mermaid_text(text: &str) -> String {
    let text = safe(text);
    let mut out = String::with_capacity(text.len());
    let lower = text.to_ascii_lowercase();
    let wrap_colon = ["wrap:", "nowrap:"]
        .iter()
        .find(|prefix| lower.starts_with(*prefix))
        .map(|prefix| prefix.len() - 1);
    for (at, ch) in text.char_indices() {
        if Some(at) == wrap_colon {
            out.push_str("#58;");
            continue;
        }
        if ch.is_ascii_alphanumeric() || " ./:_-(),?=[]@+!~*|^".contains(ch) || !ch.is_ascii() {
            out.push(ch);
        } else {
            let _ = write!(out, "#{};", ch as u32);
        }
    }
    out
}

/// ASCII punctuation that means something inline in (GitHub-flavoured) Markdown: emphasis,
/// code, links and images, raw HTML and entities, tables, strikethrough, math.
const MARKDOWN_SPECIAL: &str = "\\`*_[]<>|~$&";
/// What starts a block at the start of a line: list items, headings, setext underlines.
const MARKDOWN_LINE_START: &str = "-+=#";

/// Prose from a capture for Markdown. Words that GitHub would turn into a link (URLs, `www.`,
/// e-mail addresses, `@mentions`, `#123` references) become code spans; in other words every
/// character with an inline meaning is backslash-escaped, and so is a list or heading marker
/// at the start (the text is one line: [`safe`] escapes line breaks). `in_table` also
/// escapes `|` inside the code spans (a GFM table splits cells before it reads code spans).
pub fn md_text(text: &str, in_table: bool) -> String {
    let text = safe(text);
    let mut out = String::with_capacity(text.len() + 16);
    for (idx, word) in text.split(' ').enumerate() {
        if idx > 0 {
            out.push(' ');
        }
        let lower = word.to_ascii_lowercase();
        if lower.contains("://") || lower.contains("www.") || word.contains(['@', '#']) {
            out.push_str(&md_code(word, in_table));
            continue;
        }
        let at_start = out.trim_start().is_empty();
        let n_digits = word.chars().take_while(|ch| ch.is_ascii_digit()).count();
        for (char_idx, ch) in word.chars().enumerate() {
            let starts_block = at_start
                && ((char_idx == 0 && MARKDOWN_LINE_START.contains(ch))
                    || (char_idx == n_digits && n_digits > 0 && (ch == '.' || ch == ')')));
            if MARKDOWN_SPECIAL.contains(ch) || starts_block {
                out.push('\\');
            }
            out.push(ch);
        }
    }
    out
}

/// `text` as one Markdown code span: nothing inside it is markup, whatever it holds. The fence
/// is one backtick longer than the longest run inside; a space pads text that starts or ends
/// with a backtick. In a table, `|` is written `\|` (GFM reads that inside code spans too).
pub fn md_code(text: &str, in_table: bool) -> String {
    let text = safe(text);
    if text.is_empty() {
        return "(empty)".to_owned();
    }
    let mut longest_run = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest_run = longest_run.max(run);
    }
    let fence = "`".repeat(longest_run + 1);
    let pad = if text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']) { " " } else { "" };
    let body = if in_table { text.replace('|', "\\|") } else { text.into_owned() };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// The message part of a GitHub Actions workflow command (`::error ...::MESSAGE`): GitHub
/// decodes `%25`, `%0D` and `%0A`, so those three are the escapes; line feeds meant as line
/// breaks are passed in as `\n`. Capture text must go through [`safe`] first (the callers
/// do), so a capture cannot start a new command line or colour the log.
pub fn gh_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property value of a workflow command (`title=VALUE`): like [`gh_data`], plus `:` and `,`,
/// which end the property list and a property.
pub fn gh_property(text: &str) -> String {
    gh_data(&safe(text)).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abcd", 4), "abcd");
        assert_eq!(shorten("ééééé", 3), "éé…");
    }

    #[test]
    fn mermaid_text_leaves_no_syntax() {
        let hostile = "a;b#c%%{init: {'theme':'dark'}}%%<br/><script>\"x\"\n`y`&amp;\\:";
        let out = mermaid_text(hostile);
        assert_eq!(
            out,
            "a#59;b#35;c#37;#37;#123;init: #123;#39;theme#39;:#39;dark#39;#125;#125;#37;#37;#60;br/#62;#60;script#62;#34;x#34;#92;n#96;y#96;#38;amp#59;#92;:"
        );
        // Outside the `#<digits>;` entity codes, nothing Mermaid reads as syntax is left.
        let mut outside_entities = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find('#') {
            outside_entities.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let digits = after.chars().take_while(|ch| ch.is_ascii_digit()).count();
            assert!(digits > 0 && after[digits..].starts_with(';'), "a bare # in {out}");
            rest = &after[digits + 1..];
        }
        outside_entities.push_str(rest);
        for bad in [';', '#', '%', '<', '>', '"', '\n', '{', '}', '`', '&', '\\'] {
            assert!(!outside_entities.contains(bad), "{bad:?} in {out}");
        }
        assert_eq!(mermaid_text("GET /v2/ (1) ✓"), "GET /v2/ (1) ✓");
        assert_eq!(mermaid_text("wrap:x"), "wrap#58;x");
        assert_eq!(mermaid_text("NoWrap:x"), "NoWrap#58;x");
    }

    #[test]
    fn markdown_text_escapes_markup_and_fences_links() {
        assert_eq!(
            md_text("a *b* [c](d) <i> | e_f", false),
            "a \\*b\\* \\[c\\](d) \\<i\\> \\| e\\_f"
        );
        assert_eq!(
            md_text("see https://evil.example/x now", false),
            "see `https://evil.example/x` now"
        );
        assert_eq!(md_text("mail a@b.c or @team #12", false), "mail `a@b.c` or `@team` `#12`");
        assert_eq!(md_text("www.evil.example|x", true), "`www.evil.example\\|x`");
        assert_eq!(
            md_text("host:5000 $x$ ~~y~~ &lt;", false),
            "host:5000 \\$x\\$ \\~\\~y\\~\\~ \\&lt;"
        );
        assert_eq!(md_text("- item + x-y", false), "\\- item + x-y");
        assert_eq!(md_text("  + item", false), "  \\+ item");
        assert_eq!(md_text("1. first 2. second", false), "1\\. first 2. second");
        assert_eq!(md_text("=== x", false), "\\=== x");
        assert_eq!(md_text("line\nbreak", false), "line\\\\nbreak");
    }

    #[test]
    fn markdown_code_span_survives_backticks() {
        assert_eq!(md_code("a`b", false), "``a`b``");
        assert_eq!(md_code("`x``", false), "``` `x`` ```");
        assert_eq!(md_code("a|b", true), "`a\\|b`");
        assert_eq!(md_code("", false), "(empty)");
    }

    #[test]
    fn github_command_escapes() {
        assert_eq!(gh_data("100% done\r\n::error::x"), "100%25 done%0D%0A::error::x");
        assert_eq!(gh_property("a:b,c%d\ne"), "a%3Ab%2Cc%25d\\ne");
    }
}
