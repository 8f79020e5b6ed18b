//! The sequence diagram as a self-contained SVG image, drawn from [`super::diagram::sequence`]
//! (the same model as the Mermaid text).
//!
//! Written with quick-xml, which escapes markup in text and attributes; capture text is made
//! [`safe`](crate::display::safe) first, which also removes what XML 1.0 forbids. The image has no script, no
//! `foreignObject`, no style sheet, no link and no reference to anything outside itself
//! (arrowheads are drawn, not `marker`s). Lanes are participants; requests are solid arrows,
//! answers dashed. The failing arrow is red, thicker, ends in a cross and its label starts
//! with `✗`, so colour is never the only signal. The image and every arrow carry a `<title>`
//! (the arrow's full label: labels are shortened to fit between lanes).

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::analysis::AnalysisReport;
use super::diagram::{Message, MessageKind, NoteKind, Row, SequenceDiagram, sequence};
use super::escape::shorten;
use super::exchanges::ExchangeRow;
use crate::analysis::{Outcome, Severity};
use crate::display::safe;

const MIN_LANE_GAP: f64 = 250.0;
const MAX_LANE_GAP: f64 = 460.0;
const MARGIN: f64 = 20.0;
const TITLE_Y: f64 = 26.0;
const HEADER_TOP: f64 = 44.0;
const HEADER_HEIGHT: f64 = 44.0;
const HEADER_WIDTH: f64 = 230.0;
const FIRST_ROW: f64 = HEADER_TOP + HEADER_HEIGHT + 36.0;
const MESSAGE_HEIGHT: f64 = 34.0;
const NOTE_HEIGHT: f64 = 30.0;
const LINE_HEIGHT: f64 = 16.0;
/// Average advance of a 12 px sans-serif character, for fitting labels.
const CHAR_WIDTH: f64 = 6.6;
const FONT: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

const INK: &str = "#1f2328";
const MUTED: &str = "#59636e";
const FAILED: &str = "#c62828";

/// The SVG of one session (`Some(SessionRow::index)`, 0-based) or of every session (`None`).
pub fn render_svg(
    report: &AnalysisReport,
    exchanges: &[ExchangeRow],
    session: Option<usize>,
) -> String {
    draw(&sequence(report, exchanges, session))
}

/// Draws a diagram model.
pub fn draw(diagram: &SequenceDiagram) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    match write_svg(&mut writer, diagram) {
        // Writing into a Vec cannot fail, and quick-xml writes UTF-8 from `&str`s.
        Ok(()) => String::from_utf8(writer.into_inner()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Where things go: the distance between lanes fits the longest label (within limits).
#[derive(Clone, Copy)]
struct Layout {
    gap: f64,
}

impl Layout {
    fn of(diagram: &SequenceDiagram) -> Layout {
        let widest = diagram
            .rows
            .iter()
            .filter_map(|row| match row {
                Row::Message(message) => {
                    let lanes = message.from.abs_diff(message.to).max(1) as f64;
                    Some((message.label().chars().count() as f64 * CHAR_WIDTH + 24.0) / lanes)
                }
                _ => None,
            })
            .fold(MIN_LANE_GAP, f64::max);
        Layout { gap: widest.min(MAX_LANE_GAP) }
    }

    fn lane_x(self, lane: usize) -> f64 {
        MARGIN + self.gap / 2.0 + lane as f64 * self.gap
    }
}

fn num(value: f64) -> String {
    format!("{value:.1}").trim_end_matches(".0").to_owned()
}

/// A label that fits `width` pixels.
fn fit(text: &str, width: f64) -> String {
    let max_chars = ((width / CHAR_WIDTH) as usize).max(8);
    shorten(&safe(text), max_chars).into_owned()
}

/// Lines of at most `width` pixels, broken at spaces; at most three, the last shortened.
fn wrap(text: &str, width: f64) -> Vec<String> {
    const MAX_LINES: usize = 3;
    let max_chars = ((width / CHAR_WIDTH) as usize).max(8);
    let text = safe(text);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let fits = current.chars().count() + 1 + word.chars().count() <= max_chars;
        if current.is_empty() || fits {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        } else {
            lines.push(std::mem::take(&mut current));
            current.push_str(word);
        }
    }
    lines.push(current);
    if lines.len() > MAX_LINES {
        let rest = lines.split_off(MAX_LINES - 1).join(" ");
        lines.push(rest);
    }
    lines.into_iter().map(|line| shorten(&line, max_chars).into_owned()).collect()
}

/// The lines of a note across lanes `over`, and its left and right edges.
fn note_box(layout: Layout, (left, right): (usize, usize), text: &str) -> (Vec<String>, f64, f64) {
    let x1 = layout.lane_x(left) - layout.gap / 2.0 + 8.0;
    let x2 = layout.lane_x(right) + layout.gap / 2.0 - 8.0;
    (wrap(text, x2 - x1 - 12.0), x1, x2)
}

fn note_height(n_lines: usize) -> f64 {
    NOTE_HEIGHT + (n_lines.saturating_sub(1) as f64) * LINE_HEIGHT
}

fn row_height(layout: Layout, row: &Row) -> f64 {
    match row {
        Row::Message(_) => MESSAGE_HEIGHT,
        Row::Session(header) => {
            note_height(note_box(layout, header.span, &header.label()).0.len()) + 6.0
        }
        Row::Note(note) => note_height(note_box(layout, note.over, &note.text).0.len()) + 6.0,
    }
}

/// One sentence per session for the image's `<desc>`.
fn description(diagram: &SequenceDiagram) -> String {
    let mut sentences = Vec::new();
    for row in &diagram.rows {
        match row {
            Row::Session(header) => sentences.push(format!("{}.", header.label())),
            Row::Message(message) if message.failed => sentences.push(format!(
                "Failing arrow, from {} to {}: {}.",
                diagram.participants.get(message.from).map(|p| p.label()).unwrap_or_default(),
                diagram.participants.get(message.to).map(|p| p.label()).unwrap_or_default(),
                message.label()
            )),
            Row::Note(note) if note.kind == NoteKind::Failure => {
                sentences.push(format!("{}.", note.text));
            }
            _ => {}
        }
    }
    if sentences.is_empty() {
        "No registry auth session.".to_owned()
    } else {
        safe(&sentences.join(" ")).into_owned()
    }
}

fn write_svg(writer: &mut Writer<Vec<u8>>, diagram: &SequenceDiagram) -> io::Result<()> {
    let layout = Layout::of(diagram);
    let n_lanes = diagram.participants.len().max(1);
    let width = 2.0 * MARGIN + n_lanes as f64 * layout.gap;
    let body_height: f64 = diagram.rows.iter().map(|row| row_height(layout, row)).sum();
    let bottom = FIRST_ROW + body_height.max(NOTE_HEIGHT);
    let height = bottom + MARGIN;
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("svg")
        .with_attributes([
            ("xmlns", "http://www.w3.org/2000/svg"),
            ("version", "1.1"),
            ("width", &num(width)),
            ("height", &num(height)),
            ("viewBox", &format!("0 0 {} {}", num(width), num(height))),
            ("role", "img"),
            ("aria-labelledby", "regauth-diagram-title regauth-diagram-desc"),
            ("font-family", FONT),
            ("font-size", "12"),
        ])
        .write_inner_content(|writer| {
            writer
                .create_element("title")
                .with_attribute(("id", "regauth-diagram-title"))
                .write_text_content(BytesText::new(&safe(&diagram.title)))?;
            writer
                .create_element("desc")
                .with_attribute(("id", "regauth-diagram-desc"))
                .write_text_content(BytesText::new(&description(diagram)))?;
            writer
                .create_element("rect")
                .with_attributes([("width", "100%"), ("height", "100%"), ("fill", "#ffffff")])
                .write_empty()?;
            writer
                .create_element("text")
                .with_attributes([
                    ("x", num(MARGIN).as_str()),
                    ("y", num(TITLE_Y).as_str()),
                    ("font-size", "14"),
                    ("font-weight", "bold"),
                    ("fill", INK),
                ])
                .write_text_content(BytesText::new(&fit(&diagram.title, width - 2.0 * MARGIN)))?;
            write_lanes(writer, layout, diagram, bottom)?;
            let mut y = FIRST_ROW;
            for row in &diagram.rows {
                match row {
                    Row::Session(header) => {
                        let fill =
                            if header.outcome == Outcome::Failure { "#fdecea" } else { "#eef4fb" };
                        write_note(
                            writer,
                            layout,
                            header.span,
                            y,
                            &header.label(),
                            NoteStyle { fill, stroke: INK, bold: true },
                        )?;
                    }
                    Row::Note(note) => {
                        let (fill, stroke): (&'static str, &'static str) = match note.kind {
                            NoteKind::Failure | NoteKind::Finding(Severity::Error) => {
                                ("#fdecea", FAILED)
                            }
                            NoteKind::Finding(_) => ("#fff8c5", "#9a6700"),
                            NoteKind::Elided => ("#f6f8fa", MUTED),
                        };
                        let style = NoteStyle { fill, stroke, bold: false };
                        write_note(writer, layout, note.over, y, &note.text, style)?;
                    }
                    Row::Message(message) => write_message(writer, layout, diagram, message, y)?,
                }
                y += row_height(layout, row);
            }
            Ok(())
        })?;
    writer.get_mut().push(b'\n');
    Ok(())
}

/// Participant boxes and their dashed lifelines.
fn write_lanes(
    writer: &mut Writer<Vec<u8>>,
    layout: Layout,
    diagram: &SequenceDiagram,
    bottom: f64,
) -> io::Result<()> {
    for (lane, participant) in diagram.participants.iter().enumerate() {
        let x = layout.lane_x(lane);
        writer.create_element("g").with_attribute(("class", "participant")).write_inner_content(
            |writer| {
                writer
                    .create_element("title")
                    .write_text_content(BytesText::new(&safe(&participant.label())))?;
                writer
                    .create_element("line")
                    .with_attributes([
                        ("x1", num(x).as_str()),
                        ("y1", num(HEADER_TOP + HEADER_HEIGHT).as_str()),
                        ("x2", num(x).as_str()),
                        ("y2", num(bottom).as_str()),
                        ("stroke", MUTED),
                        ("stroke-dasharray", "4 4"),
                    ])
                    .write_empty()?;
                writer
                    .create_element("rect")
                    .with_attributes([
                        ("x", num(x - HEADER_WIDTH / 2.0).as_str()),
                        ("y", num(HEADER_TOP).as_str()),
                        ("width", num(HEADER_WIDTH).as_str()),
                        ("height", num(HEADER_HEIGHT).as_str()),
                        ("rx", "4"),
                        ("fill", "#f6f8fa"),
                        ("stroke", INK),
                    ])
                    .write_empty()?;
                let role_y =
                    if participant.host.is_some() { HEADER_TOP + 18.0 } else { HEADER_TOP + 27.0 };
                writer
                    .create_element("text")
                    .with_attributes([
                        ("x", num(x).as_str()),
                        ("y", num(role_y).as_str()),
                        ("text-anchor", "middle"),
                        ("font-weight", "bold"),
                        ("fill", INK),
                    ])
                    .write_text_content(BytesText::new(participant.role.label()))?;
                if let Some(host) = &participant.host {
                    writer
                        .create_element("text")
                        .with_attributes([
                            ("x", num(x).as_str()),
                            ("y", num(HEADER_TOP + 35.0).as_str()),
                            ("text-anchor", "middle"),
                            ("fill", MUTED),
                        ])
                        .write_text_content(BytesText::new(&fit(host, HEADER_WIDTH - 10.0)))?;
                }
                Ok(())
            },
        )?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
struct NoteStyle {
    fill: &'static str,
    stroke: &'static str,
    bold: bool,
}

/// A box across lanes `over`, its text wrapped.
fn write_note(
    writer: &mut Writer<Vec<u8>>,
    layout: Layout,
    over: (usize, usize),
    y: f64,
    text: &str,
    style: NoteStyle,
) -> io::Result<()> {
    let NoteStyle { fill, stroke, bold } = style;
    let (lines, x1, x2) = note_box(layout, over, text);
    writer.create_element("g").with_attribute(("class", "note")).write_inner_content(|writer| {
        writer.create_element("title").write_text_content(BytesText::new(&safe(text)))?;
        writer
            .create_element("rect")
            .with_attributes([
                ("x", num(x1).as_str()),
                ("y", num(y).as_str()),
                ("width", num(x2 - x1).as_str()),
                ("height", num(note_height(lines.len())).as_str()),
                ("rx", "3"),
                ("fill", fill),
                ("stroke", stroke),
            ])
            .write_empty()?;
        for (line_idx, line) in lines.iter().enumerate() {
            writer
                .create_element("text")
                .with_attributes([
                    ("x", num((x1 + x2) / 2.0).as_str()),
                    ("y", num(y + 19.0 + line_idx as f64 * LINE_HEIGHT).as_str()),
                    ("text-anchor", "middle"),
                    ("font-weight", if bold { "bold" } else { "normal" }),
                    ("fill", INK),
                ])
                .write_text_content(BytesText::new(line))?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_message(
    writer: &mut Writer<Vec<u8>>,
    layout: Layout,
    diagram: &SequenceDiagram,
    message: &Message,
    y: f64,
) -> io::Result<()> {
    let x1 = layout.lane_x(message.from);
    let x2 = if message.from == message.to { x1 + 60.0 } else { layout.lane_x(message.to) };
    let line_y = y + 22.0;
    let direction = if x2 >= x1 { 1.0 } else { -1.0 };
    let colour = if message.failed { FAILED } else { INK };
    let label = message.label();
    let class = match (message.kind, message.failed) {
        (_, true) => "message failed",
        (MessageKind::Request, false) => "message request",
        (MessageKind::Response, false) => "message response",
        (MessageKind::Unanswered, false) => "message unanswered",
    };
    let title = format!(
        "{} → {}: {}",
        diagram.participants.get(message.from).map(|p| p.label()).unwrap_or_default(),
        diagram.participants.get(message.to).map(|p| p.label()).unwrap_or_default(),
        label
    );
    writer.create_element("g").with_attribute(("class", class)).write_inner_content(|writer| {
        writer.create_element("title").write_text_content(BytesText::new(&safe(&title)))?;
        let mut line = writer.create_element("line").with_attributes([
            ("x1", num(x1).as_str()),
            ("y1", num(line_y).as_str()),
            ("x2", num(x2).as_str()),
            ("y2", num(line_y).as_str()),
            ("stroke", colour),
            ("stroke-width", if message.failed { "2.5" } else { "1.2" }),
        ]);
        if message.kind == MessageKind::Response {
            line = line.with_attribute(("stroke-dasharray", "6 4"));
        }
        line.write_empty()?;
        let tip = x2;
        let back = x2 - direction * 9.0;
        if message.failed {
            // A cross at the end of the arrow: the failure shows without colour too.
            let cross = |dx: f64, dy: f64| {
                [
                    ("x1", num(tip - dx)),
                    ("y1", num(line_y - dy)),
                    ("x2", num(tip + dx)),
                    ("y2", num(line_y + dy)),
                ]
            };
            for (dx, dy) in [(6.0, 6.0), (6.0, -6.0)] {
                writer
                    .create_element("line")
                    .with_attributes(
                        cross(dx, dy).iter().map(|(key, value)| (*key, value.as_str())),
                    )
                    .with_attributes([("stroke", colour), ("stroke-width", "2.5")])
                    .write_empty()?;
            }
        } else if message.kind == MessageKind::Unanswered {
            writer
                .create_element("polyline")
                .with_attributes([
                    (
                        "points",
                        format!(
                            "{},{} {},{} {},{}",
                            num(back),
                            num(line_y - 5.0),
                            num(tip),
                            num(line_y),
                            num(back),
                            num(line_y + 5.0)
                        )
                        .as_str(),
                    ),
                    ("fill", "none"),
                    ("stroke", colour),
                    ("stroke-width", "1.2"),
                ])
                .write_empty()?;
        } else {
            writer
                .create_element("polygon")
                .with_attributes([
                    (
                        "points",
                        format!(
                            "{},{} {},{} {},{}",
                            num(back),
                            num(line_y - 4.5),
                            num(tip),
                            num(line_y),
                            num(back),
                            num(line_y + 4.5)
                        )
                        .as_str(),
                    ),
                    ("fill", colour),
                ])
                .write_empty()?;
        }
        writer
            .create_element("text")
            .with_attributes([
                ("x", num((x1 + x2) / 2.0).as_str()),
                ("y", num(line_y - 6.0).as_str()),
                ("text-anchor", "middle"),
                ("fill", colour),
                ("font-weight", if message.failed { "bold" } else { "normal" }),
            ])
            .write_text_content(BytesText::new(&fit(
                &label,
                (x2 - x1).abs().max(layout.gap) - 16.0,
            )))?;
        Ok(())
    })?;
    Ok(())
}
