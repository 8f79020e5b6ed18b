pub mod analysis;
pub mod detail;
pub mod diagram;
pub mod dropzone;
pub mod error;
pub mod findings;
pub mod gallery;
pub mod learn;
pub mod loading;
pub mod tokens;

use yew::{Html, html};

/// Prose from the core (finding messages, fixes, lessons) marks commands, headers and claims
/// with Markdown backticks; shown as `<code>` rather than as literal backticks. The text stays
/// text nodes (Yew escapes them), so capture-controlled backticks can only toggle monospace.
pub fn prose(text: &str) -> Html {
    let pieces = code_spans(text);
    html! {
        <>{ for pieces.into_iter().map(|(code, piece)| if code {
            html! { <code>{ piece }</code> }
        } else {
            html! { { piece } }
        }) }</>
    }
}

/// `text` cut at backticks into (is code, piece); an unpaired backtick stays as text.
fn code_spans(text: &str) -> Vec<(bool, String)> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('`') {
        let Some(close) = rest[open + 1..].find('`').map(|at| open + 1 + at) else { break };
        if open > 0 {
            pieces.push((false, rest[..open].to_owned()));
        }
        pieces.push((true, rest[open + 1..close].to_owned()));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push((false, rest.to_owned()));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::code_spans;

    #[test]
    fn backtick_spans_become_code_and_an_unpaired_backtick_stays_text() {
        assert_eq!(
            code_spans("run `chronyc makestep` or `ntpdate`."),
            vec![
                (false, "run ".to_owned()),
                (true, "chronyc makestep".to_owned()),
                (false, " or ".to_owned()),
                (true, "ntpdate".to_owned()),
                (false, ".".to_owned()),
            ]
        );
        assert_eq!(code_spans("a ` b"), vec![(false, "a ` b".to_owned())]);
        assert_eq!(code_spans("``"), vec![(true, String::new())]);
        assert_eq!(code_spans(""), Vec::<(bool, String)>::new());
    }
}
