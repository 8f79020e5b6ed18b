//! The sequence diagram as Mermaid text (`sequenceDiagram`), for `regauth diagram`, the
//! Markdown report and the web app's export. Drawn from [`super::diagram::sequence`].
//!
//! Requests are solid arrows (`->>`), answers dotted (`-->>`); an unanswered request is an
//! open async arrow (`-)`). The failing arrow ends in a cross (`-x` / `--x`), its label starts
//! with `✗` and a note names the finding: the mark never depends on colour. Every label goes
//! through [`mermaid_text`], so capture text cannot end a statement, open a directive or
//! carry HTML; participant ids are regauth's own.

use std::fmt::Write as _;

use super::analysis::AnalysisReport;
use super::diagram::{MessageKind, Row, SequenceDiagram, sequence};
use super::escape::mermaid_text;
use super::exchanges::ExchangeRow;

/// The Mermaid `sequenceDiagram` of one session (`Some(SessionRow::index)`, 0-based) or of
/// every session (`None`).
pub fn render_mermaid(
    report: &AnalysisReport,
    exchanges: &[ExchangeRow],
    session: Option<usize>,
) -> String {
    draw(&sequence(report, exchanges, session))
}

/// Draws a diagram model.
pub fn draw(diagram: &SequenceDiagram) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let _ = writeln!(out, "    title {}", mermaid_text(&diagram.title));
    for participant in &diagram.participants {
        let _ = writeln!(
            out,
            "    participant {} as {}",
            participant.id,
            mermaid_text(&participant.label())
        );
    }
    let id = |idx: usize| diagram.participants.get(idx).map_or("client", |p| p.id.as_str());
    let over = |(left, right): (usize, usize)| {
        if left == right { id(left).to_owned() } else { format!("{},{}", id(left), id(right)) }
    };
    if diagram.rows.is_empty() {
        let _ = writeln!(out, "    Note over client: no session");
    }
    for row in &diagram.rows {
        match row {
            Row::Session(header) => {
                let _ = writeln!(
                    out,
                    "    Note over {}: {}",
                    over(header.span),
                    mermaid_text(&header.label())
                );
            }
            Row::Message(message) => {
                let arrow = match (message.kind, message.failed) {
                    (MessageKind::Request, false) => "->>",
                    (MessageKind::Response, false) => "-->>",
                    (MessageKind::Unanswered, false) => "-)",
                    (MessageKind::Request | MessageKind::Unanswered, true) => "-x",
                    (MessageKind::Response, true) => "--x",
                };
                let _ = writeln!(
                    out,
                    "    {}{arrow}{}: {}",
                    id(message.from),
                    id(message.to),
                    mermaid_text(&message.label())
                );
            }
            Row::Note(note) => {
                let _ = writeln!(
                    out,
                    "    Note over {}: {}",
                    over(note.over),
                    mermaid_text(&note.text)
                );
            }
        }
    }
    out
}
