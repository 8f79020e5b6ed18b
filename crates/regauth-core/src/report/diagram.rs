//! The sequence diagram of auth sessions as data: who talks to whom, in which order, which
//! arrow failed and why. [`super::mermaid`] and [`super::svg`] draw this one model, so
//! `regauth diagram`, the Markdown report and the web app's export show the same arrows.
//!
//! ```text
//!  AnalysisReport (sessions, steps, findings) ─┐
//!  ExchangeRow list (method, URL, status)     ─┴─► sequence() ──► SequenceDiagram
//!                                                                  participants: client, Docker daemon,
//!                                                                    registry, token service, storage...
//!                                                                  rows: session header, messages
//!                                                                    (numbered by step), notes
//! ```
//!
//! Participants follow the hosts: the session's registry, the token service (its realm's
//! host, or whoever answered steps 3 and 4), the Docker daemon for Engine API calls (which
//! then also sends the registry requests: it is the registry's client), and any other host
//! (`storage` after a redirect). Each exchange is a request arrow numbered by its odd step
//! (1, 3, 5) and a response arrow numbered by its even step (2, 4, 6). Consecutive exchanges
//! that differ only in a digest or upload id collapse into one arrow with a count; a long
//! session keeps its first and last arrows and those around the failure. The failing exchange
//! is marked (its answer, or the request when it got none) and followed by a note naming the
//! finding that explains it. Labels hold capture text as it is: each renderer escapes.

use std::collections::HashMap;

use super::analysis::{AnalysisReport, SessionRow};
use super::escape::shorten;
use super::exchanges::ExchangeRow;
use crate::analysis::{Outcome, Severity};
use crate::protocol::engine_api::is_engine_api_path;

/// Arrows (after collapsing) a session shows before the middle is elided.
const MAX_GROUPS: usize = 30;
/// Arrows kept at the start and end of an elided session, and on each side of its failure.
const KEEP_HEAD: usize = 16;
const KEEP_TAIL: usize = 6;
const KEEP_AROUND_FAILURE: usize = 2;
/// Characters of a path shown in a label.
const MAX_PATH_CHARS: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct SequenceDiagram {
    /// `regauth: <sources>`: what the diagram is of.
    pub title: String,
    /// Left to right.
    pub participants: Vec<Participant>,
    /// Top to bottom.
    pub rows: Vec<Row>,
}

/// What a participant is, in the left-to-right order the diagram uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Client,
    DockerDaemon,
    Registry,
    TokenService,
    Storage,
    OtherHost,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::DockerDaemon => "Docker daemon",
            Role::Registry => "registry",
            Role::TokenService => "token service",
            Role::Storage => "storage",
            Role::OtherHost => "other host",
        }
    }

    fn id_stem(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::DockerDaemon => "daemon",
            Role::Registry => "registry",
            Role::TokenService => "token",
            Role::Storage => "storage",
            Role::OtherHost => "host",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    /// A plain identifier (`registry`, `registry2`, ...), safe in any output language.
    pub id: String,
    pub role: Role,
    /// `host:port` as the capture names it; `None` for the client.
    pub host: Option<String>,
}

impl Participant {
    /// `registry registry.example:5000`, `client`.
    pub fn label(&self) -> String {
        match &self.host {
            Some(host) => format!("{} {host}", self.role.label()),
            None => self.role.label().to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    /// The start of a session's arrows.
    Session(SessionHeader),
    Message(Message),
    Note(Note),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SessionHeader {
    /// `SessionRow::index` (0-based); people read `index + 1`.
    pub index: usize,
    pub title: String,
    pub outcome: Outcome,
    /// `failure at step 6`, `success`, `incomplete`.
    pub verdict: String,
    /// Leftmost and rightmost participant the session uses.
    pub span: (usize, usize),
}

impl SessionHeader {
    /// `Session 1: registry.example/app: failure at step 6`.
    pub fn label(&self) -> String {
        format!("Session {}: {}: {}", self.index + 1, self.title, self.verdict)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    Request,
    Response,
    /// A request that got no answer (connection refused, TLS failure, cut capture).
    Unanswered,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// Indexes into [`SequenceDiagram::participants`].
    pub from: usize,
    pub to: usize,
    pub kind: MessageKind,
    /// The protocol step this arrow is (1-6), if it is one.
    pub step: Option<u8>,
    /// `GET /v2/private/app/manifests/1.0`, `401 Unauthorized`.
    pub text: String,
    /// The exchanges this arrow stands for (several when collapsed).
    pub exchanges: Vec<usize>,
    /// The arrow where the session failed.
    pub failed: bool,
}

impl Message {
    /// What the arrow says: `5. GET /v2/app/blobs/sha256:… ×3 [#12–#14]`, `6. ✗ 401 Unauthorized`.
    pub fn label(&self) -> String {
        let mut label = String::new();
        if let Some(step) = self.step {
            label.push_str(&format!("{step}. "));
        }
        if self.failed {
            label.push_str("✗ ");
        }
        label.push_str(&self.text);
        if self.kind == MessageKind::Unanswered {
            label.push_str(" (no answer)");
        }
        if self.exchanges.len() > 1 {
            label.push_str(&format!(" ×{}", self.exchanges.len()));
        }
        if self.kind != MessageKind::Response {
            label.push_str(&format!(" [{}]", exchange_refs(&self.exchanges)));
        }
        label
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    /// Why the marked arrow failed.
    Failure,
    /// An error or warning finding on the session that did not make it fail.
    Finding(Severity),
    /// Arrows left out of a long session.
    Elided,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    /// Leftmost and rightmost participant the note spans.
    pub over: (usize, usize),
    pub kind: NoteKind,
    pub text: String,
}

/// `#3`, `#3–#5`, `#3 +4`.
fn exchange_refs(exchanges: &[usize]) -> String {
    match exchanges {
        [] => String::new(),
        [only] => format!("#{only}"),
        [first, .., last] if last - first + 1 == exchanges.len() => format!("#{first}–#{last}"),
        [first, rest @ ..] => format!("#{first} +{}", rest.len()),
    }
}

/// The reason phrase of the status codes registries and token services answer with.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// `401 Unauthorized`.
pub fn status_text(status: u16) -> String {
    match reason_phrase(status) {
        "" => status.to_string(),
        phrase => format!("{status} {phrase}"),
    }
}

/// The authority (without user info) and the path (without query) of a URL.
pub fn url_parts(url: &str) -> (&str, &str) {
    let Some((_, after_scheme)) = url.split_once("://") else {
        return ("", url.split(['?', '#']).next().unwrap_or(""));
    };
    let authority_end = after_scheme.find(['/', '?', '#']).unwrap_or(after_scheme.len());
    let authority = &after_scheme[..authority_end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let rest = &after_scheme[authority_end..];
    let path = rest.split(['?', '#']).next().unwrap_or("");
    (authority, if path.is_empty() { "/" } else { path })
}

/// Hosts compare without case and without the scheme's default port.
fn same_host(left: &str, right: &str) -> bool {
    fn bare(host: &str) -> &str {
        host.strip_suffix(":443").or_else(|| host.strip_suffix(":80")).unwrap_or(host)
    }
    bare(left).eq_ignore_ascii_case(bare(right))
}

/// A path with digests and upload ids abbreviated, so `GET …/blobs/sha256:<a>` and
/// `GET …/blobs/sha256:<b>` collapse into one arrow.
fn path_shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let (algorithm, hex) = segment.split_once(':').unwrap_or(("", segment));
            let is_id =
                hex.len() >= 24 && hex.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '-');
            match (is_id, algorithm.is_empty()) {
                (true, true) => "…".to_owned(),
                (true, false) => format!("{algorithm}:…"),
                (false, _) => segment.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ParticipantKey<'a> {
    role: Role,
    host: Option<&'a str>,
}

/// One exchange, placed.
struct Placed<'a> {
    index: usize,
    from: ParticipantKey<'a>,
    to: ParticipantKey<'a>,
    method: &'a str,
    path: &'a str,
    /// [`path_shape`] of `path`: what consecutive exchanges must share to collapse.
    shape: String,
    status: Option<u16>,
    /// RFC 3339 in UTC with the same precision everywhere, so they compare as strings.
    started_at: Option<&'a str>,
    ended_at: Option<&'a str>,
    request_step: Option<u8>,
    response_step: Option<u8>,
    failed: bool,
}

/// The row of exchange `index`: at its position when the list is the whole capture's.
pub(crate) fn lookup(exchanges: &[ExchangeRow], index: usize) -> Option<&ExchangeRow> {
    match exchanges.get(index) {
        Some(row) if row.index == index => Some(row),
        _ => exchanges.iter().find(|row| row.index == index),
    }
}

/// Places every exchange of `session` between two participants.
fn place<'a>(session: &'a SessionRow, exchanges: &'a [ExchangeRow]) -> Vec<Placed<'a>> {
    let realm_host = session.realm.as_deref().map(|realm| url_parts(realm).0);
    let mut indexes = session.exchanges.clone();
    indexes.sort_unstable();
    indexes.dedup();
    let rows: Vec<&ExchangeRow> =
        indexes.iter().filter_map(|&index| lookup(exchanges, index)).collect();
    let is_daemon_call = |row: &ExchangeRow| {
        let (host, path) = url_parts(&row.url);
        !same_host(host, &session.registry) && is_engine_api_path(path).is_some()
    };
    // With Engine API calls in the session, the daemon is the registry's client.
    let daemon = rows.iter().find(|row| is_daemon_call(row)).map(|row| url_parts(&row.url).0);
    // Exchange -> (request step, response step), in one pass (sessions can hold thousands).
    let mut steps_of: HashMap<usize, (Option<u8>, Option<u8>)> = HashMap::new();
    for step in &session.steps {
        for &index in &step.exchanges {
            let (request, response) = steps_of.entry(index).or_default();
            if step.step % 2 == 1 {
                *request = Some(request.map_or(step.step, |seen| seen.min(step.step)));
            } else {
                *response = Some(response.map_or(step.step, |seen| seen.max(step.step)));
            }
        }
    }
    let mut after_redirect = false;
    let mut placed = Vec::with_capacity(rows.len());
    for row in rows {
        let (host, path) = url_parts(&row.url);
        let (request_step, response_step) = steps_of.get(&row.index).copied().unwrap_or_default();
        let role = if is_daemon_call(row) {
            Role::DockerDaemon
        } else if same_host(host, &session.registry) {
            Role::Registry
        } else if realm_host.is_some_and(|realm| same_host(realm, host))
            || matches!(request_step, Some(3))
            || matches!(response_step, Some(4))
        {
            Role::TokenService
        } else if after_redirect {
            Role::Storage
        } else {
            Role::OtherHost
        };
        let host = match role {
            Role::Registry => session.registry.as_str(),
            _ => host,
        };
        let to = ParticipantKey { role, host: Some(host) };
        let from = match (role, daemon) {
            (Role::DockerDaemon, _) | (_, None) => {
                ParticipantKey { role: Role::Client, host: None }
            }
            (_, Some(daemon)) => ParticipantKey { role: Role::DockerDaemon, host: Some(daemon) },
        };
        after_redirect |= row.status.is_some_and(|status| (300..400).contains(&status));
        placed.push(Placed {
            index: row.index,
            from,
            to,
            method: &row.method,
            path,
            shape: path_shape(path),
            status: row.status,
            started_at: row.started_at.as_deref(),
            ended_at: row.ended_at.as_deref(),
            request_step,
            response_step,
            failed: session.outcome == Outcome::Failure
                && session.failed_exchange == Some(row.index),
        });
    }
    placed
}

/// Consecutive exchanges that say the same thing.
fn groups<'p, 'a>(placed: &'p [Placed<'a>]) -> Vec<&'p [Placed<'a>]> {
    let same = |left: &Placed<'_>, right: &Placed<'_>| {
        !left.failed
            && !right.failed
            && left.from == right.from
            && left.to == right.to
            && left.method == right.method
            && left.status == right.status
            && left.request_step == right.request_step
            && left.response_step == right.response_step
            && left.shape == right.shape
    };
    placed.chunk_by(|left, right| same(left, right)).collect()
}

/// A group to draw, or a run of groups left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Group(usize),
    /// Groups `start..end` are elided.
    Gap(usize, usize),
}

/// Which groups to draw: all of them, or the head, the tail and those around the failure.
fn keep(groups_len: usize, failed_group: Option<usize>) -> Vec<Slot> {
    if groups_len <= MAX_GROUPS {
        return (0..groups_len).map(Slot::Group).collect();
    }
    let mut kept: Vec<bool> =
        (0..groups_len).map(|idx| idx < KEEP_HEAD || idx + KEEP_TAIL >= groups_len).collect();
    if let Some(failed) = failed_group {
        let first = failed.saturating_sub(KEEP_AROUND_FAILURE);
        let last = (failed + KEEP_AROUND_FAILURE).min(groups_len - 1);
        kept[first..=last].iter_mut().for_each(|slot| *slot = true);
    }
    let mut out = Vec::new();
    for (idx, &is_kept) in kept.iter().enumerate() {
        match (is_kept, out.last_mut()) {
            (true, _) => out.push(Slot::Group(idx)),
            (false, Some(Slot::Gap(_, end))) => *end = idx + 1,
            (false, _) => out.push(Slot::Gap(idx, idx + 1)),
        }
    }
    out
}

/// The request arrow of one group of exchanges, and its answer: the response arrow, and the
/// note saying why it failed when it did.
fn messages(
    group: &[Placed<'_>],
    position: &impl Fn(&ParticipantKey<'_>) -> usize,
    failure_note: impl FnOnce() -> String,
) -> (Row, Vec<Row>) {
    let first = &group[0];
    let from = position(&first.from);
    let to = position(&first.to);
    let indexes: Vec<usize> = group.iter().map(|exchange| exchange.index).collect();
    let path = if group.len() > 1 { first.shape.clone() } else { first.path.to_owned() };
    let request_text = format!("{} {}", first.method, shorten(&path, MAX_PATH_CHARS));
    let note = || {
        Row::Note(Note {
            over: (from.min(to), from.max(to)),
            kind: NoteKind::Failure,
            text: failure_note(),
        })
    };
    let Some(status) = first.status else {
        let request = Row::Message(Message {
            from,
            to,
            kind: MessageKind::Unanswered,
            step: first.request_step,
            text: request_text,
            exchanges: indexes,
            failed: first.failed,
        });
        return (request, if first.failed { vec![note()] } else { Vec::new() });
    };
    let request = Row::Message(Message {
        from,
        to,
        kind: MessageKind::Request,
        step: first.request_step,
        text: request_text,
        exchanges: indexes.clone(),
        failed: false,
    });
    let mut answer = vec![Row::Message(Message {
        from: to,
        to: from,
        kind: MessageKind::Response,
        step: first.response_step,
        text: status_text(status),
        exchanges: indexes,
        failed: first.failed,
    })];
    if first.failed {
        answer.push(note());
    }
    (request, answer)
}

/// Moves the deferred answers that ended by `until` (all with `None`) into `rows`, in the
/// order they ended.
fn flush_answers(deferred: &mut Vec<(String, Vec<Row>)>, until: Option<&str>, rows: &mut Vec<Row>) {
    deferred.sort_by(|left, right| left.0.cmp(&right.0));
    let n_due = deferred
        .iter()
        .take_while(|(ended_at, _)| until.is_none_or(|until| ended_at.as_str() <= until))
        .count();
    for (_, answer) in deferred.drain(..n_due) {
        rows.extend(answer);
    }
}

/// The diagram of one session (`Some(SessionRow::index)`) or of all sessions (`None`).
/// A session index the report does not have gives a diagram with no rows.
pub fn sequence(
    report: &AnalysisReport,
    exchanges: &[ExchangeRow],
    session: Option<usize>,
) -> SequenceDiagram {
    let sessions: Vec<&SessionRow> = report
        .sessions
        .iter()
        .filter(|row| session.is_none_or(|wanted| row.index == wanted))
        .collect();
    let placed: Vec<Vec<Placed<'_>>> =
        sessions.iter().map(|session| place(session, exchanges)).collect();

    let mut keys: Vec<ParticipantKey<'_>> = vec![ParticipantKey { role: Role::Client, host: None }];
    for exchange in placed.iter().flatten() {
        for key in [exchange.from, exchange.to] {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    // Stable: hosts of one role keep the order they first appear in.
    keys.sort_by_key(|key| key.role);
    let position =
        |key: &ParticipantKey<'_>| keys.iter().position(|known| known == key).unwrap_or(0);
    let mut participants = Vec::with_capacity(keys.len());
    for (idx, key) in keys.iter().enumerate() {
        let same_role_before = keys[..idx].iter().filter(|other| other.role == key.role).count();
        let id = match same_role_before {
            0 => key.role.id_stem().to_owned(),
            n => format!("{}{}", key.role.id_stem(), n + 1),
        };
        participants.push(Participant { id, role: key.role, host: key.host.map(str::to_owned) });
    }

    let mut rows = Vec::new();
    for (session, placed) in sessions.iter().zip(&placed) {
        let positions =
            placed.iter().flat_map(|exchange| [position(&exchange.from), position(&exchange.to)]);
        let span = (positions.clone().min().unwrap_or(0), positions.max().unwrap_or(0));
        let verdict = match (session.outcome, session.failed_step) {
            (Outcome::Failure, Some(step)) => format!("failure at step {step}"),
            (outcome, _) => outcome.as_str().to_owned(),
        };
        rows.push(Row::Session(SessionHeader {
            index: session.index,
            title: session.title.clone(),
            outcome: session.outcome,
            verdict,
            span,
        }));
        let failure = session.failed_finding.as_ref().and_then(|reference| {
            report.findings.get(reference.index).map(|finding| (reference.index, finding))
        });
        let groups = groups(placed);
        let failed_group =
            groups.iter().position(|group| group.iter().any(|exchange| exchange.failed));
        // An Engine API call answers after the registry traffic it caused: its answer is
        // drawn where it ended, not right after its request.
        let mut deferred: Vec<(String, Vec<Row>)> = Vec::new();
        for slot in keep(groups.len(), failed_group) {
            let group = match slot {
                Slot::Group(idx) => groups[idx],
                Slot::Gap(start, end) => {
                    let left_out: Vec<usize> = groups[start..end]
                        .iter()
                        .flat_map(|group| group.iter().map(|exchange| exchange.index))
                        .collect();
                    rows.push(Row::Note(Note {
                        over: span,
                        kind: NoteKind::Elided,
                        text: format!(
                            "… {} more exchange(s) [{}] …",
                            left_out.len(),
                            exchange_refs(&left_out)
                        ),
                    }));
                    continue;
                }
            };
            let Some(first) = group.first() else { continue };
            if first.started_at.is_some() {
                flush_answers(&mut deferred, first.started_at, &mut rows);
            }
            let (request, answer) = messages(group, &position, || {
                let step = session
                    .failed_step
                    .map_or_else(|| "failed".to_owned(), |step| format!("step {step} failed"));
                match failure {
                    Some((_, finding)) => format!("✗ {step}: {}: {}", finding.code, finding.title),
                    None => format!("✗ {step}"),
                }
            });
            rows.push(request);
            match first.ended_at {
                Some(ended_at) if first.to.role == Role::DockerDaemon && group.len() == 1 => {
                    deferred.push((ended_at.to_owned(), answer));
                }
                _ => rows.extend(answer),
            }
        }
        flush_answers(&mut deferred, None, &mut rows);
        for (finding_idx, finding) in report.findings.iter().enumerate() {
            let explains_failure = failure.is_some_and(|(index, _)| index == finding_idx);
            if finding.session == Some(session.index)
                && finding.severity != Severity::Info
                && !explains_failure
            {
                let mark = if finding.severity == Severity::Error { "✗" } else { "⚠" };
                rows.push(Row::Note(Note {
                    over: span,
                    kind: NoteKind::Finding(finding.severity),
                    text: format!("{mark} {}: {}", finding.code, finding.title),
                }));
            }
        }
    }
    let names: Vec<&str> = report.sources.iter().map(|source| source.name.as_str()).collect();
    let title = if names.is_empty() {
        "regauth".to_owned()
    } else {
        format!("regauth: {}", names.join(", "))
    };
    SequenceDiagram { title, participants, rows }
}
