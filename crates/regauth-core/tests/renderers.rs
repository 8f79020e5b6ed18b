//! The renderers for people and CI (Mermaid, SVG, Markdown, JUnit, GitHub annotations) on
//! recorded samples and on hostile captures: every output must parse as its own language and
//! carry capture strings only as text. Snapshots of each format on a real sample live in the
//! CLI tests (`crates/regauth-cli/tests/formats.rs`).

use std::path::Path;

use regauth_core::analysis::{AnalysisConfig, Outcome, analyze};
use regauth_core::capture::{self, Input};
use regauth_core::report::analysis::{AnalysisReport, Secrets};
use regauth_core::report::check::{CheckReport, CheckSpec};
use regauth_core::report::diagram::{MessageKind, NoteKind, Role, Row, sequence};
use regauth_core::report::exchanges::{ExchangeList, ExchangeRow};
use regauth_core::report::github::render_github;
use regauth_core::report::junit::render_junit;
use regauth_core::report::markdown::{render_check, render_markdown};
use regauth_core::report::mermaid::render_mermaid;
use regauth_core::report::runs::{CaptureRun, Checked};
use regauth_core::report::svg::render_svg;

/// Markup, control characters and the syntax of every output language at once.
const HOSTILE: &str = "</title></svg><script>alert(1)</script>]]><![CDATA[x]]> \
    %%{init: {\"theme\":\"dark\"}}%% ;#quot; #59; `tick` ``` | cell | \
    [link](https://evil.example) ![i](https://evil.example/i.png) <img src=x onerror=alert(1)> \
    <foreignObject/> @admin #1 www.evil.example a@b.example $x$ ~~strike~~ *em* _em_ \
    \u{1b}[31mred\u{1b}]0;title\u{7} \r\n::error::forged%0A,title=x: \u{202e}gpj.exe\u{fffe}\u{0}\u{85}\
    \n- list\n# heading\n> quote";

struct Analysed {
    report: AnalysisReport,
    exchanges: Vec<ExchangeRow>,
}

fn analysed(name: &str, bytes: Vec<u8>) -> Analysed {
    let (capture, errors) = capture::read(&[Input::new(name, bytes)]);
    assert!(errors.is_empty(), "{name}: {errors:?}");
    let analysis = analyze(&capture, &AnalysisConfig::default());
    Analysed {
        report: AnalysisReport::new(&capture, &analysis, Secrets::Masked),
        exchanges: ExchangeList::from_capture(&capture).exchanges,
    }
}

fn sample(name: &str) -> Analysed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    analysed(&format!("samples/{name}"), bytes)
}

/// A HAR whose challenge, token service, registry answers, recorder error and creator carry
/// [`HOSTILE`]: the registry denies a pull, a blob request gets no answer.
// hand-written fixture
fn hostile_capture() -> Analysed {
    let entry = |at: &str,
                 method: &str,
                 url: &str,
                 status: u16,
                 headers: serde_json::Value,
                 body: &str| {
        serde_json::json!({
            "startedDateTime": at, "time": 10,
            "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                        "headers": [{"name": "Authorization", "value": "Bearer opaque-token-value-1234567890"}],
                        "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1",
                         "headers": headers, "cookies": [],
                         "content": {"size": body.len(), "mimeType": "application/json", "text": body},
                         "redirectURL": "", "headersSize": -1, "bodySize": body.len()},
            "cache": {}, "timings": {"send": 0, "wait": 10, "receive": 0}
        })
    };
    let service = HOSTILE.replace('"', "'");
    let challenge = format!(
        "Bearer realm=\"https://auth.example/token\",service=\"{service}\",scope=\"repository:evil/app:pull\""
    );
    let denied =
        serde_json::json!({"errors": [{"code": "DENIED", "message": HOSTILE, "detail": HOSTILE}]});
    let mut no_answer = entry(
        "2026-11-23T10:00:03.000Z",
        "GET",
        "https://reg.example/v2/evil/app/blobs/</svg>;#%%{init}%%`x`|y",
        0,
        serde_json::json!([]),
        "",
    );
    no_answer["response"]["_error"] = serde_json::Value::String(HOSTILE.to_owned());
    let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": HOSTILE, "version": "1"}, "entries": [
        entry("2026-11-23T10:00:00.000Z", "GET", "https://reg.example/v2/", 401,
              serde_json::json!([{"name": "WWW-Authenticate", "value": challenge}]), ""),
        entry("2026-11-23T10:00:01.000Z", "GET",
              "https://auth.example/token?service=svc&scope=repository:evil/app:pull", 200,
              serde_json::json!([]), r#"{"token":"opaque-token-value-1234567890","expires_in":300}"#),
        entry("2026-11-23T10:00:02.000Z", "GET", "https://reg.example/v2/evil/app/manifests/1.0", 403,
              serde_json::json!([]), &denied.to_string()),
        no_answer,
    ]}});
    analysed(HOSTILE, har.to_string().into_bytes())
}

/// A recorded failing sample with every capture-derived string of the report replaced by
/// [`HOSTILE`] variants, so each field a renderer prints is tried.
// hand-written fixture (built on a recorded sample)
fn hostile_report() -> Analysed {
    let mut analysed = sample("clock-ahead.flow");
    let report = &mut analysed.report;
    for source in &mut report.sources {
        source.name = HOSTILE.to_owned();
        source.format = HOSTILE.to_owned();
    }
    for session in &mut report.sessions {
        session.registry = format!("reg.example{HOSTILE}");
        session.repository = Some(HOSTILE.to_owned());
        session.title = format!("reg.example/{HOSTILE}");
        session.realm = Some(format!("https://auth.example/{HOSTILE}"));
        session.service = Some(HOSTILE.to_owned());
        for step in &mut session.steps {
            step.title = HOSTILE.to_owned();
        }
    }
    for finding in &mut report.findings {
        finding.message = HOSTILE.to_owned();
        finding.title = HOSTILE.to_owned();
        finding.fix = HOSTILE.to_owned();
    }
    for row in &mut analysed.exchanges {
        row.method = HOSTILE.to_owned();
        row.url = format!("https://user:pw@{HOSTILE}/v2/{HOSTILE}?q={HOSTILE}");
        row.error = Some(HOSTILE.to_owned());
    }
    analysed
}

fn check_of(analysed: &Analysed) -> CheckReport {
    let spec = CheckSpec {
        expect: Outcome::Success,
        deny: Vec::new(),
        allow: Vec::new(),
        max_clock_skew_s: Some(1.0),
    };
    let mut check = CheckReport::new(&analysed.report, &spec);
    for assertion in &mut check.assertions {
        assertion.name.push_str(HOSTILE);
    }
    check
}

fn hostile_inputs() -> Vec<(&'static str, Analysed)> {
    vec![("capture", hostile_capture()), ("report", hostile_report())]
}

// ---------- Mermaid ----------

/// Text with every `#<digits>;` entity code removed.
fn outside_entities(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('#') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        assert!(digits > 0 && after[digits..].starts_with(';'), "a bare # in {text}");
        rest = &after[digits + 1..];
    }
    out.push_str(rest);
    out
}

/// Every line is one statement regauth wrote, with its text free of Mermaid syntax.
fn assert_mermaid_statements(mermaid: &str, participant_ids: &[String]) {
    let mut lines = mermaid.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"));
    for line in lines {
        let statement =
            line.strip_prefix("    ").unwrap_or_else(|| panic!("not indented: {line:?}"));
        let text = if let Some(title) = statement.strip_prefix("title ") {
            title
        } else if let Some(participant) = statement.strip_prefix("participant ") {
            let (id, label) = participant.split_once(" as ").unwrap_or_else(|| panic!("{line}"));
            assert!(participant_ids.iter().any(|known| known == id), "{line}");
            label
        } else if let Some(note) = statement.strip_prefix("Note over ") {
            let (over, text) = note.split_once(": ").unwrap_or_else(|| panic!("{line}"));
            assert!(
                over.split(',').all(|id| participant_ids.iter().any(|known| known == id)),
                "{line}"
            );
            text
        } else {
            let (arrow, text) = statement.split_once(": ").unwrap_or_else(|| panic!("{line}"));
            let known = ["-->>", "->>", "--x", "-x", "-)"].iter().any(|kind| {
                arrow.split_once(kind).is_some_and(|(from, to)| {
                    participant_ids.iter().any(|id| id == from)
                        && participant_ids.iter().any(|id| id == to)
                })
            });
            assert!(known, "not a message between known participants: {line}");
            text
        };
        let plain = outside_entities(text);
        for forbidden in [";", "#", "%", "<", ">", "\"", "'", "`", "{", "}", "&", "\\", "\r"] {
            assert!(!plain.contains(forbidden), "{forbidden:?} in {line}");
        }
        assert!(!plain.to_ascii_lowercase().starts_with("wrap:"), "{line}");
        assert!(!plain.chars().any(char::is_control), "{line:?}");
    }
}

#[test]
fn mermaid_keeps_hostile_text_inside_labels() {
    for (what, analysed) in hostile_inputs() {
        let diagram = sequence(&analysed.report, &analysed.exchanges, None);
        let ids: Vec<String> = diagram.participants.iter().map(|p| p.id.clone()).collect();
        let mermaid = render_mermaid(&analysed.report, &analysed.exchanges, None);
        assert_mermaid_statements(&mermaid, &ids);
        // One line per participant and row, plus the header and the title: nothing injected.
        assert_eq!(mermaid.lines().count(), 2 + ids.len() + diagram.rows.len(), "{what}");
        assert!(mermaid.contains("#60;/svg#62;"), "{what}: the text is still there, encoded");
        assert!(!mermaid.contains("user:pw"), "{what}: user info in a URL is not shown");
    }
}

// ---------- SVG ----------

fn assert_inert_svg(svg: &str) -> roxmltree::Document<'_> {
    let document =
        roxmltree::Document::parse(svg).unwrap_or_else(|err| panic!("not XML ({err}): {svg}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
    assert!(root.children().any(|child| child.has_tag_name("title")), "an accessible title");
    for node in document.descendants().filter(roxmltree::Node::is_element) {
        let name = node.tag_name().name().to_ascii_lowercase();
        assert!(
            !["script", "foreignobject", "style", "a", "image", "use", "iframe"]
                .contains(&name.as_str()),
            "<{name}> in the SVG"
        );
        for attribute in node.attributes() {
            let key = attribute.name().to_ascii_lowercase();
            assert!(!key.starts_with("on") && key != "href" && key != "style", "attribute {key}");
            assert!(!attribute.value().contains("url("), "a reference in {key}");
        }
    }
    document
}

#[test]
fn svg_is_well_formed_and_inert_for_hostile_text() {
    for (what, analysed) in hostile_inputs() {
        let svg = render_svg(&analysed.report, &analysed.exchanges, None);
        let document = assert_inert_svg(&svg);
        let text: String = document.descendants().filter_map(|node| node.text()).collect();
        assert!(
            text.contains("</svg>") || text.contains("<img"),
            "{what}: hostile text shows as text"
        );
        assert!(
            !text.chars().any(|ch| ch.is_control() && ch != '\n'),
            "{what}: control characters"
        );
        assert!(!svg.contains("user:pw"), "{what}");
    }
}

#[test]
fn svg_marks_the_failing_arrow_by_shape_and_text_not_only_colour() {
    let analysed = sample("clock-ahead.flow");
    let svg = render_svg(&analysed.report, &analysed.exchanges, None);
    let document = assert_inert_svg(&svg);
    let failed: Vec<_> = document
        .descendants()
        .filter(|node| node.attribute("class") == Some("message failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{svg}");
    let arrow = failed[0];
    let label: String =
        arrow.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
    assert!(label.starts_with("6. ✗ 401"), "{label}");
    let n_lines = arrow.children().filter(|node| node.has_tag_name("line")).count();
    assert_eq!(n_lines, 3, "the arrow and the two strokes of its cross");
    let title = arrow.children().find(|node| node.has_tag_name("title")).and_then(|n| n.text());
    assert!(
        title.is_some_and(|title| title.contains("registry registry.regauth.test:5000 → client"))
    );
    let note = document
        .descendants()
        .filter(|node| node.attribute("class") == Some("note"))
        .filter_map(|node| node.children().find(|c| c.has_tag_name("title")).and_then(|t| t.text()))
        .find(|text| text.contains("token-not-yet-valid"));
    assert!(note.is_some(), "a note names the finding");
}

#[test]
fn mermaid_and_svg_draw_the_same_arrows() {
    for name in [
        "clock-ahead.flow",
        "docker-login-pull-push.flow",
        "redirect-auth-forwarded.flow",
        "two-registries.flow",
    ] {
        let analysed = sample(name);
        let mermaid = render_mermaid(&analysed.report, &analysed.exchanges, None);
        let svg = render_svg(&analysed.report, &analysed.exchanges, None);
        let n_mermaid = mermaid
            .lines()
            .skip(1)
            .map(str::trim_start)
            .filter(|line| {
                !["Note over ", "title ", "participant "].iter().any(|kw| line.starts_with(kw))
            })
            .count();
        let document = assert_inert_svg(&svg);
        let n_svg = document
            .descendants()
            .filter(|node| {
                node.attribute("class").is_some_and(|class| class.starts_with("message"))
            })
            .count();
        assert_eq!(n_mermaid, n_svg, "{name}");
    }
}

// ---------- the diagram model ----------

#[test]
fn the_failing_arrow_is_the_answer_that_failed_and_names_its_finding() {
    let analysed = sample("clock-ahead.flow");
    let diagram = sequence(&analysed.report, &analysed.exchanges, Some(0));
    let roles: Vec<Role> = diagram.participants.iter().map(|p| p.role).collect();
    assert_eq!(roles, [Role::Client, Role::Registry, Role::TokenService]);
    let messages: Vec<_> = diagram
        .rows
        .iter()
        .filter_map(|row| match row {
            Row::Message(message) => Some(message),
            _ => None,
        })
        .collect();
    let steps: Vec<Option<u8>> = messages.iter().map(|message| message.step).collect();
    assert_eq!(steps, [Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)]);
    let failed: Vec<_> = messages.iter().filter(|message| message.failed).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].kind, MessageKind::Response);
    assert_eq!(failed[0].exchanges, [2]);
    assert_eq!(failed[0].label(), "6. ✗ 401 Unauthorized");
    let note = diagram.rows.iter().find_map(|row| match row {
        Row::Note(note) if note.kind == NoteKind::Failure => Some(note.text.as_str()),
        _ => None,
    });
    assert_eq!(
        note,
        Some(
            "✗ step 6 failed: token-not-yet-valid: The registry rejected a bearer token that was not valid yet"
        )
    );
}

#[test]
fn engine_api_legs_go_through_the_docker_daemon_which_answers_last() {
    let analysed = sample("docker-login-pull-push.flow");
    let diagram = sequence(&analysed.report, &analysed.exchanges, Some(1));
    let daemon = diagram.participants.iter().position(|p| p.role == Role::DockerDaemon);
    let client = diagram.participants.iter().position(|p| p.role == Role::Client);
    let messages: Vec<_> = diagram
        .rows
        .iter()
        .filter_map(|row| match row {
            Row::Message(message) => Some(message),
            _ => None,
        })
        .collect();
    let first = messages.first().expect("messages");
    assert_eq!((Some(first.from), Some(first.to)), (client, daemon), "the CLI asks the daemon");
    let last = messages.last().expect("messages");
    assert_eq!(
        (Some(last.from), Some(last.to)),
        (daemon, client),
        "the daemon answers after its pull"
    );
    assert!(
        messages[1..messages.len() - 1].iter().all(|message| message.from == daemon.unwrap_or(9) || message.to == daemon.unwrap_or(9)),
        "registry traffic is the daemon's"
    );
    let collapsed =
        messages.iter().find(|message| message.exchanges.len() == 3).expect("blob GETs collapsed");
    assert!(collapsed.label().contains("blobs/sha256:… ×3 [#12–#14]"), "{}", collapsed.label());
}

#[test]
fn storage_after_a_redirect_is_its_own_participant() {
    let analysed = sample("redirect-auth-forwarded.flow");
    let diagram = sequence(&analysed.report, &analysed.exchanges, None);
    let storage =
        diagram.participants.iter().find(|p| p.role == Role::Storage).expect("storage lane");
    assert_eq!(storage.host.as_deref(), Some("cdn.store.regauth.test:5005"));
    assert!(diagram.rows.iter().any(
        |row| matches!(row, Row::Note(note) if note.text.contains("auth-forwarded-on-redirect"))
    ));
}

#[test]
fn a_long_session_keeps_its_ends_and_its_failure_and_says_what_it_left_out() {
    // hand-written fixture: 120 distinct uploads in one session, the 70th refused.
    let mut analysed = sample("clock-ahead.flow");
    let template = analysed.exchanges[2].clone();
    let session = &mut analysed.report.sessions[0];
    for idx in 3..123 {
        let mut row = template.clone();
        row.index = idx;
        row.method = if idx % 2 == 0 { "PUT".to_owned() } else { "PATCH".to_owned() };
        row.url = format!("https://registry.regauth.test:5000/v2/private/app/blobs/uploads/{idx}");
        row.status = Some(if idx == 72 { 401 } else { 202 });
        analysed.exchanges.push(row);
        session.exchanges.push(idx);
        for step in session.steps.iter_mut().filter(|step| step.step >= 5) {
            step.exchanges.push(idx);
        }
    }
    session.failed_exchange = Some(72);
    let diagram = sequence(&analysed.report, &analysed.exchanges, Some(0));
    let n_messages = diagram.rows.iter().filter(|row| matches!(row, Row::Message(_))).count();
    assert!(n_messages <= 2 * 30, "{n_messages} arrows");
    let drawn: Vec<usize> = diagram
        .rows
        .iter()
        .filter_map(|row| match row {
            Row::Message(message) => message.exchanges.first().copied(),
            _ => None,
        })
        .collect();
    assert!(drawn.contains(&0) && drawn.contains(&122) && drawn.contains(&72), "{drawn:?}");
    let elided: Vec<&str> = diagram
        .rows
        .iter()
        .filter_map(|row| match row {
            Row::Note(note) if note.kind == NoteKind::Elided => Some(note.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(elided.len(), 2, "before and after the failure: {elided:?}");
    let n_drawn_exchanges: usize = diagram
        .rows
        .iter()
        .filter_map(|row| match row {
            Row::Message(message) if message.kind != MessageKind::Response => {
                Some(message.exchanges.len())
            }
            _ => None,
        })
        .sum();
    let n_left_out: usize = elided
        .iter()
        .map(|text| {
            text.trim_start_matches("… ")
                .split(' ')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(n_drawn_exchanges + n_left_out, 123, "every exchange is drawn or counted");
}

// ---------- JUnit ----------

#[test]
fn junit_is_well_formed_for_hostile_text_and_every_code_point() {
    let mut inputs = hostile_inputs();
    // hand-written fixture: every Unicode scalar value in a finding message.
    let mut everything = sample("clock-ahead.flow");
    let all: String = (0..=0x10FFFFu32).filter_map(char::from_u32).collect();
    for finding in &mut everything.report.findings {
        finding.message = all.clone();
    }
    inputs.push(("every code point", everything));
    for (what, analysed) in &inputs {
        let check = check_of(analysed);
        let runs = [
            CaptureRun {
                unusable: vec![HOSTILE.to_owned()],
                ..CaptureRun::checked(
                    vec![HOSTILE.to_owned()],
                    Checked {
                        analysis: &analysed.report,
                        exchanges: &analysed.exchanges,
                        check: Some(&check),
                    },
                )
            },
            CaptureRun::unreadable(vec![HOSTILE.to_owned()], HOSTILE.to_owned()),
        ];
        let junit = render_junit(&runs);
        let document = roxmltree::Document::parse(&junit)
            .unwrap_or_else(|err| panic!("{what}: not XML ({err})"));
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let suites: Vec<_> =
            root.children().filter(|node| node.has_tag_name("testsuite")).collect();
        assert_eq!(suites.len(), 2, "{what}");
        let cases = suites[0].children().filter(|node| node.has_tag_name("testcase")).count();
        // The unusable input, the sessions, the assertions.
        assert_eq!(cases, 1 + analysed.report.sessions.len() + check.assertions.len(), "{what}");
        assert_eq!(root.attribute("errors"), Some("2"), "{what}: the two inputs not read");
        assert!(document.descendants().all(|node| !node.has_tag_name("script")), "{what}");
        let failure = document
            .descendants()
            .find(|node| {
                node.has_tag_name("failure") && node.attribute("type") != Some("assertion")
            })
            .expect("a session failure");
        assert!(
            failure.attribute("message").is_some_and(|message| message.starts_with("step 6")),
            "{what}"
        );
        let body = failure.text().unwrap_or_default();
        assert!(body.contains("Fix: "), "{what}: the fix travels with the failure");
        assert!(!body.chars().any(|ch| ch.is_control() && ch != '\n'), "{what}");
    }
}

// ---------- Markdown ----------

/// `|` that separate table cells: not escaped by an odd run of backslashes.
fn cell_separators(line: &str) -> usize {
    let mut count = 0;
    let mut backslashes = 0;
    for ch in line.chars() {
        if ch == '|' && backslashes % 2 == 0 {
            count += 1;
        }
        backslashes = if ch == '\\' { backslashes + 1 } else { 0 };
    }
    count
}

fn assert_safe_markdown(markdown: &str, what: &str) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut in_code_block = false;
    let mut n_mermaid = 0;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::Strikethrough) => {
                panic!("{what}: {event:?} in\n{markdown}")
            }
            Event::Html(html) | Event::InlineHtml(html) => panic!("{what}: HTML {html:?}"),
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code_block = true;
                assert!(format!("{kind:?}").contains("mermaid"), "{what}: {kind:?}");
                n_mermaid += 1;
            }
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(text) if in_code_block => {
                assert!(
                    text.starts_with("sequenceDiagram\n"),
                    "{what}: a code block that is not a diagram"
                );
                assert!(!text.contains("```") && !text.contains('<'), "{what}");
            }
            Event::Text(text) => {
                let lower = text.to_lowercase();
                for autolinked in ["://", "www.", "@"] {
                    assert!(
                        !lower.contains(autolinked),
                        "{what}: {autolinked:?} outside code in {text:?}"
                    );
                }
                assert!(!text.chars().any(char::is_control), "{what}: {text:?}");
            }
            _ => {}
        }
    }
    assert!(n_mermaid >= 1, "{what}: a diagram");
    // Table rows keep their cell count: nothing from the capture split a cell.
    let mut table_width = None;
    for line in markdown.lines() {
        if line.starts_with('|') {
            let width = cell_separators(line);
            assert_eq!(*table_width.get_or_insert(width), width, "{what}: {line}");
        } else {
            table_width = None;
        }
    }
}

#[test]
fn markdown_has_no_links_html_or_broken_tables_whatever_the_capture_says() {
    for (what, analysed) in hostile_inputs() {
        let markdown = render_markdown(&analysed.report, &analysed.exchanges);
        assert_safe_markdown(&markdown, what);
        assert!(!markdown.contains("user:pw"), "{what}");
        let check = check_of(&analysed);
        let runs = [
            CaptureRun {
                unusable: vec![HOSTILE.to_owned()],
                ..CaptureRun::checked(
                    vec![HOSTILE.to_owned()],
                    Checked {
                        analysis: &analysed.report,
                        exchanges: &analysed.exchanges,
                        check: Some(&check),
                    },
                )
            },
            CaptureRun::unreadable(vec![HOSTILE.to_owned()], HOSTILE.to_owned()),
        ];
        assert_safe_markdown(&render_check(&runs), what);
    }
}

#[test]
fn markdown_says_the_verdict_first_and_draws_the_failing_session() {
    let analysed = sample("clock-ahead.flow");
    let markdown = render_markdown(&analysed.report, &analysed.exchanges);
    let verdict = markdown.lines().nth(2).unwrap_or_default();
    assert!(verdict.starts_with("❌ **Failure**: 1 of 1 session(s) failed"), "{verdict}");
    assert!(verdict.contains("step 6") && verdict.contains("`token-not-yet-valid`"), "{verdict}");
    assert!(markdown.contains("**Fix:** Synchronise the clocks"), "fixes are listed");
    assert!(markdown.contains("registry--xclient: 6. ✗ 401 Unauthorized"), "the failing arrow");
}

// ---------- GitHub annotations ----------

#[test]
fn github_annotations_stay_one_command_each() {
    for (what, analysed) in hostile_inputs() {
        let check = check_of(&analysed);
        let runs = [
            CaptureRun {
                unusable: vec![HOSTILE.to_owned()],
                ..CaptureRun::checked(
                    vec![HOSTILE.to_owned()],
                    Checked {
                        analysis: &analysed.report,
                        exchanges: &analysed.exchanges,
                        check: Some(&check),
                    },
                )
            },
            CaptureRun::unreadable(vec![HOSTILE.to_owned()], HOSTILE.to_owned()),
        ];
        let output = render_github(&runs);
        assert!(!output.contains('\r'), "{what}");
        let lines: Vec<&str> = output.lines().collect();
        let (summary, commands) = lines.split_last().expect("lines");
        assert!(summary.starts_with("regauth: 2 capture(s)"), "{what}: {summary}");
        let n_failed_assertions = check.assertions.iter().filter(|a| !a.passed).count();
        let n_failed_sessions =
            analysed.report.sessions.iter().filter(|s| s.outcome == Outcome::Failure).count();
        assert!(commands.len() >= 1 + n_failed_assertions + n_failed_sessions, "{what}: {output}");
        for line in commands {
            let rest = ["::error ", "::warning ", "::notice "]
                .iter()
                .find_map(|prefix| line.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("{what}: not a workflow command: {line}"));
            let (properties, message) = rest.split_once("::").unwrap_or_else(|| panic!("{line}"));
            let properties: Vec<&str> = properties.split(',').collect();
            assert_eq!(properties.len(), 2, "{what}: {line}");
            for (property, key) in properties.iter().zip(["file=", "title="]) {
                let value = property.strip_prefix(key).unwrap_or_else(|| panic!("{line}"));
                assert!(!value.contains(':'), "{what}: raw `:` in {value}");
            }
            assert!(!message.chars().any(char::is_control), "{what}: {message:?}");
        }
        assert!(
            output.contains("%3A%3Aerror%3A%3Aforged%250A"),
            "{what}: the forged command is data"
        );
    }
}
