//! mitmproxy native flow files (`mitmdump -w`): a plain concatenation of tnetstring-encoded
//! flow dicts, one per flow, with no header or index.
//!
//! ```text
//!  bytes ──► tnetstring::read_item (frame one flow) ──► flow::decode ──► Exchange
//!                 │ truncated / garbage: stop,            │ broken flow: skip it,
//!                 ▼ report the offset                     ▼ report, go on with the next
//! ```
//!
//! Every flow is framed by its length prefix, so a flow whose inside is damaged is skipped
//! and reading resumes at the next one; only damage to a frame itself (or the end of a cut
//! file) ends reading. Bodies and DER certificates are slices of the input buffer, so a
//! multi-gigabyte file is scanned, not copied.

mod flow;
pub(crate) mod tnetstring;

use bytes::Bytes;

use super::har::ReadResult;
use super::{CaptureError, InputProblem, Location};
use flow::{Decoded, FlowContext, NEWEST_VERSION, OLDEST_VERSION, SkipReason};
use tnetstring::{Tag, TnetErrorKind};

pub(crate) fn read(source_idx: usize, name: &str, bytes: Bytes) -> ReadResult {
    let input: &[u8] = &bytes;
    let mut exchanges = Vec::new();
    let mut problems = Vec::new();
    let mut skipped: Vec<SkippedFlows> = Vec::new();
    let mut versions: Vec<i64> = Vec::new();
    let mut pos = 0;
    let mut entry_idx = 0;
    let location = |entry: usize, offset: u64| Location {
        source: name.to_owned(),
        entry: Some(entry),
        byte_offset: Some(offset),
        line_column: None,
    };
    // Trailing whitespace (an editor's final newline) is harmless; mitmproxy would refuse it.
    while input[pos..].iter().any(|byte| !byte.is_ascii_whitespace()) {
        let item = match tnetstring::read_item(input, pos, input.len(), 0) {
            Ok(item) => item,
            Err(err) => {
                let truncated = matches!(err.kind, TnetErrorKind::Truncated { .. });
                if entry_idx == 0 && !truncated {
                    return Err(CaptureError::Malformed {
                        location: location(0, err.offset),
                        message: format!("not a mitmproxy flow file: {}", err.kind),
                    });
                }
                let message = if truncated {
                    format!("flow {entry_idx} is cut off: {}", err.kind)
                } else {
                    format!(
                        "cannot find where flow {entry_idx} starts, so reading stops here: {}",
                        err.kind
                    )
                };
                problems.push(InputProblem { location: location(entry_idx, err.offset), message });
                break;
            }
        };
        if item.tag() != Tag::Dict {
            if entry_idx == 0 {
                return Err(CaptureError::Malformed {
                    location: location(0, item.offset()),
                    message: format!(
                        "not a mitmproxy flow file: it starts with {}, not a dict",
                        item.tag().describe()
                    ),
                });
            }
            problems.push(InputProblem {
                location: location(entry_idx, item.offset()),
                message: format!(
                    "flow {entry_idx} is {}, not a dict; skipped",
                    item.tag().describe()
                ),
            });
        } else {
            let mut ctx = FlowContext {
                source_idx,
                source_name: name,
                entry_idx,
                input: &bytes,
                problems: &mut problems,
            };
            match flow::decode(item, &mut ctx) {
                Ok(Decoded::Exchange(exchange)) => exchanges.push(*exchange),
                Ok(Decoded::Skipped { reason }) => {
                    match skipped.iter_mut().find(|seen| seen.reason == reason) {
                        Some(seen) => seen.count += 1,
                        None => skipped.push(SkippedFlows {
                            reason,
                            count: 1,
                            entry_idx,
                            offset: item.offset(),
                        }),
                    }
                }
                Err(err) => problems.push(InputProblem {
                    location: location(entry_idx, err.offset),
                    message: format!("flow {entry_idx} skipped: {}", err.message),
                }),
            }
            if let Some(version) = flow_version(item)
                && let Err(insert_at) = versions.binary_search(&version)
            {
                if version > NEWEST_VERSION && !versions.iter().any(|&seen| seen > NEWEST_VERSION) {
                    problems.push(InputProblem {
                        location: location(entry_idx, item.offset()),
                        message: format!(
                            "flow format version {version} is newer than regauth knows ({NEWEST_VERSION}); \
                             read as version {NEWEST_VERSION}"
                        ),
                    });
                }
                versions.insert(insert_at, version);
            }
        }
        pos = item.end();
        entry_idx += 1;
    }
    for group in skipped {
        let what = match &group.reason {
            SkipReason::NotHttp { flow_type } => format!("{flow_type} flow"),
            SkipReason::UnsupportedVersion { version } => format!(
                "flow in format version {version} (regauth reads versions {OLDEST_VERSION} to {NEWEST_VERSION}, \
                 written by mitmproxy 7 and later)"
            ),
        };
        let why = match &group.reason {
            SkipReason::NotHttp { .. } => "regauth reads HTTP flows only",
            SkipReason::UnsupportedVersion { .. } => {
                "open and save the file with a newer mitmproxy to convert it"
            }
        };
        let message = if group.count == 1 {
            format!("skipped a {what}: {why}")
        } else {
            format!("skipped {} of: {what}, the first here: {why}", group.count)
        };
        problems.push(InputProblem { location: location(group.entry_idx, group.offset), message });
    }
    let producer = match versions.as_slice() {
        [] => None,
        [version] => Some(format!("mitmproxy flow format {version}")),
        several => Some(format!(
            "mitmproxy flow formats {}",
            several.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        )),
    };
    Ok((exchanges, problems, producer))
}

/// Flows skipped for the same reason, reported once with a count instead of once each.
struct SkippedFlows {
    reason: SkipReason,
    count: usize,
    entry_idx: usize,
    offset: u64,
}

/// The integer `version` of a flow dict, if it has one (for the producer string).
fn flow_version(flow: tnetstring::Item<'_>) -> Option<i64> {
    let [version] = flow.dict().ok()?.fields(["version"]).ok()?;
    version?.as_i64().ok()
}
