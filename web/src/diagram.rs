//! The sequence diagram of one session, as data: one lane per participant (the client, the
//! registry, the token service, and any other host the session talked to: blob storage after
//! a redirect, the Docker daemon for Engine API legs), one row per exchange in timeline
//! order, repeated requests collapsed into one row with a count, the step numbers each arrow
//! stands for, and the failing answer marked with the finding that explains it.
//!
//! Pure (tested natively); built in the worker for the session the page opens, and drawn by
//! the component as SVG.

use regauth_core::analysis::Code;
use regauth_core::report::analysis::{AnalysisReport, FindingRow, SessionRow};
use regauth_core::report::exchanges::ExchangeRow;
use serde::{Deserialize, Serialize};

use crate::view_model::FindingRef;

/// Rows drawn before "show all": a session of 10,000 blob requests that do not collapse must
/// not become 10,000 SVG rows in one task.
pub const ROWS_AT_FIRST: usize = 150;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneModel {
    /// `client`, `registry`, `token service`, `storage`, `Docker daemon`, `other host`.
    pub role: String,
    /// `registry.example:5000`; none for the client.
    pub authority: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiagramRow {
    /// The exchanges this row stands for (more than one when repeats were collapsed), in order.
    pub exchanges: Vec<usize>,
    /// Index into [`Diagram::lanes`] of the host the client talks to.
    pub lane: usize,
    /// `GET /v2/private/app/manifests/1.0`.
    pub request: String,
    /// `401`, `200`, `no answer`.
    pub answer: String,
    /// Steps the request arrow stands for (1, 3, 5) and the answer (2, 4, 6).
    pub request_steps: Vec<u8>,
    pub answer_steps: Vec<u8>,
    /// The answer that made the session fail.
    pub failed: bool,
    /// The finding that explains the failure, on the failing row.
    pub finding: Option<FindingRef>,
    /// Codes of other findings whose evidence includes these exchanges.
    pub notes: Vec<Code>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagram {
    pub lanes: Vec<LaneModel>,
    pub rows: Vec<DiagramRow>,
}

/// `scheme://authority/path` → `authority`.
pub fn authority_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |at| &url[at + 3..]);
    let end = after_scheme.find(['/', '?', '#']).unwrap_or(after_scheme.len());
    &after_scheme[..end]
}

fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |at| &url[at + 3..]);
    after_scheme.find('/').map_or("/", |at| &after_scheme[at..])
}

/// A path with the parts that differ between repeats (digests, upload ids, query strings)
/// replaced, so the blob requests of one pull collapse into one row.
fn path_shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|segment| {
            let hexish = segment.len() >= 16
                && segment.chars().all(|ch| {
                    ch.is_ascii_hexdigit() || ch == '-' || ch == ':' || ch.is_ascii_alphanumeric()
                })
                && segment.chars().filter(char::is_ascii_digit).count() >= 4;
            if segment.starts_with("sha256:") || segment.starts_with("sha512:") || hexish {
                "…"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The row of exchange `index` (rows are in timeline order).
pub fn row_of(exchanges: &[ExchangeRow], index: usize) -> Option<&ExchangeRow> {
    exchanges.binary_search_by_key(&index, |row| row.index).ok().map(|at| &exchanges[at])
}

fn is_engine_api(path: &str) -> bool {
    // `/v1.41/auth`, `/v1.43/images/create`: the Docker Engine API, versioned by its path.
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let version = parts.next().unwrap_or_default();
    version.strip_prefix('v').is_some_and(|rest| {
        rest.split_once('.').is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && (major.chars().chain(minor.chars())).all(|ch| ch.is_ascii_digit())
        })
    })
}

/// What makes two consecutive exchanges repeats of each other.
#[derive(PartialEq)]
struct RepeatKey {
    lane: usize,
    method: String,
    shape: String,
    answer: String,
    steps: (Vec<u8>, Vec<u8>),
}

/// The diagram of `session`; `findings` are the session's own (the notes on its rows).
pub fn build(
    session: &SessionRow,
    report: &AnalysisReport,
    findings: &[&FindingRow],
    exchanges: &[ExchangeRow],
) -> Diagram {
    let realm_authority = session.realm.as_deref().map(authority_of);
    let mut lanes = vec![
        LaneModel { role: "client".to_owned(), authority: None },
        LaneModel { role: "registry".to_owned(), authority: Some(session.registry.clone()) },
    ];
    if let Some(realm) = realm_authority
        && realm != session.registry
    {
        lanes.push(LaneModel {
            role: "token service".to_owned(),
            authority: Some(realm.to_owned()),
        });
    }
    let explanation = session
        .failed_finding
        .as_ref()
        .and_then(|reference| report.findings.get(reference.index))
        .map(|finding| FindingRef { code: finding.code, message: finding.message.clone() });
    let steps_of = |index: usize| -> (Vec<u8>, Vec<u8>) {
        let mut request = Vec::new();
        let mut answer = Vec::new();
        for step in &session.steps {
            if step.exchanges.contains(&index) {
                if step.step % 2 == 1 { request.push(step.step) } else { answer.push(step.step) }
            }
        }
        (request, answer)
    };
    let mut rows: Vec<DiagramRow> = Vec::new();
    let mut last_key: Option<RepeatKey> = None;
    for &index in &session.exchanges {
        let Some(exchange) = row_of(exchanges, index) else { continue };
        let authority = authority_of(&exchange.url).to_owned();
        let path = path_of(&exchange.url);
        let lane = match lanes
            .iter()
            .position(|lane| lane.authority.as_deref() == Some(authority.as_str()))
        {
            Some(lane) => lane,
            None => {
                let role = if is_engine_api(path) { "Docker daemon" } else { "storage" };
                lanes.push(LaneModel { role: role.to_owned(), authority: Some(authority.clone()) });
                lanes.len() - 1
            }
        };
        let answer = match (exchange.status, &exchange.error) {
            (Some(status), _) => status.to_string(),
            (None, Some(_)) => "no answer".to_owned(),
            (None, None) => "no response recorded".to_owned(),
        };
        let (request_steps, answer_steps) = steps_of(index);
        let failed = session.failed_exchange == Some(index);
        let notes: Vec<Code> = findings
            .iter()
            .filter(|finding| finding.exchanges.contains(&index))
            .map(|finding| finding.code)
            .filter(|code| !failed || explanation.as_ref().is_none_or(|shown| shown.code != *code))
            .collect();
        let key = RepeatKey {
            lane,
            method: exchange.method.clone(),
            shape: path_shape(path),
            answer: answer.clone(),
            steps: (request_steps.clone(), answer_steps.clone()),
        };
        // Repeats collapse; a failing row or one with its own findings stays alone.
        if !failed
            && notes.is_empty()
            && last_key.as_ref() == Some(&key)
            && let Some(last) = rows.last_mut()
            && !last.failed
            && last.notes.is_empty()
        {
            last.exchanges.push(index);
            continue;
        }
        last_key = Some(key);
        rows.push(DiagramRow {
            exchanges: vec![index],
            lane,
            request: format!("{} {}", exchange.method, shorten(path, 72)),
            answer,
            request_steps,
            answer_steps,
            failed,
            finding: if failed { explanation.clone() } else { None },
            notes,
        });
    }
    Diagram { lanes, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view_model::tests::analysed_sample;

    fn diagram_of(name: &str, pick: impl Fn(&SessionRow) -> bool) -> Diagram {
        let analysed = analysed_sample(name);
        let session = analysed.report.sessions.iter().find(|session| pick(session)).unwrap();
        analysed.session(session.index).unwrap().diagram
    }

    #[test]
    fn clock_ahead_has_three_lanes_numbered_arrows_and_a_red_answer_with_its_finding() {
        let diagram = diagram_of("clock-ahead.flow", |session| session.failed_step.is_some());
        let roles: Vec<&str> = diagram.lanes.iter().map(|lane| lane.role.as_str()).collect();
        assert_eq!(roles, ["client", "registry", "token service"]);
        let first = &diagram.rows[0];
        assert_eq!(
            (first.request_steps.as_slice(), first.answer_steps.as_slice()),
            (&[1u8][..], &[2u8][..])
        );
        assert_eq!(first.answer, "401");
        let token = diagram.rows.iter().find(|row| row.request_steps.contains(&3)).unwrap();
        assert_eq!(diagram.lanes[token.lane].role, "token service");
        let failed: Vec<&DiagramRow> = diagram.rows.iter().filter(|row| row.failed).collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].answer_steps, [6]);
        assert_eq!(
            failed[0].finding.as_ref().map(|finding| finding.code.as_str()),
            Some("token-not-yet-valid")
        );
    }

    #[test]
    fn repeated_blob_requests_collapse_into_one_row_with_every_exchange_kept() {
        // pull-success: manifest then several blob GETs with different digests, all 200.
        let analysed = analysed_sample("pull-success.flow");
        for session in &analysed.report.sessions {
            let diagram = analysed.session(session.index).unwrap().diagram;
            let kept: usize = diagram.rows.iter().map(|row| row.exchanges.len()).sum();
            let drawn: usize = session
                .exchanges
                .iter()
                .filter(|index| row_of(&analysed.exchanges, **index).is_some())
                .count();
            assert_eq!(kept, drawn, "no exchange lost by collapsing");
        }
        let collapsed = analysed
            .report
            .sessions
            .iter()
            .flat_map(|session| analysed.session(session.index).unwrap().diagram.rows)
            .find(|row| row.exchanges.len() > 1);
        let row = collapsed.expect("some repeats collapse in a pull");
        assert!(
            row.request.contains("/blobs/") || row.request.contains("/manifests/"),
            "{}",
            row.request
        );
    }

    #[test]
    fn paths_are_shaped_so_repeats_match() {
        assert_eq!(path_shape("/v2/a/blobs/sha256:0123abcd"), "/v2/a/blobs/…");
        assert_eq!(
            path_shape("/v2/a/blobs/uploads/7f3c1a2b-9d8e-4f00-8a1b-123456789abc?_state=x"),
            "/v2/a/blobs/uploads/…"
        );
        assert_eq!(path_shape("/v2/a/manifests/1.0"), "/v2/a/manifests/1.0");
        assert!(
            is_engine_api("/v1.41/auth") && !is_engine_api("/v2/") && !is_engine_api("/vx.1/a")
        );
        assert_eq!(authority_of("https://r.example:5000/v2/?a"), "r.example:5000");
    }
}
