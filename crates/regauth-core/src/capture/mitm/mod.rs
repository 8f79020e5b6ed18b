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
use super::{CaptureError, InputProblem, Location, ReaderContext, exchange_memory};
use flow::{Decoded, FlowContext, NEWEST_VERSION, OLDEST_VERSION, SkipReason};
use tnetstring::{Item, Tag, TnetErrorKind};

/// Most problems recorded per file; further ones are only counted, so a hostile file of
/// millions of broken flows cannot exhaust memory with messages.
const MAX_PROBLEMS: usize = 1000;
/// Most distinct reasons for skipping flows (flow types, versions) reported one by one, and
/// most distinct format versions named in the producer; both are attacker-chosen strings
/// and numbers, so they are bounded too.
const MAX_DISTINCT: usize = 16;

/// Reads a flow file held in `bytes` with the default limits.
#[cfg(test)]
pub(crate) fn read(source_idx: usize, name: &str, bytes: Bytes) -> ReadResult {
    let limits = super::ReadLimits::DEFAULT;
    read_with(&ReaderContext::new(source_idx, name, bytes.len() as u64, &limits), bytes)
}

/// One flow as `flow::decode` read it, with the format version it named and the problems it
/// noted (offset, message), to be recorded in file order.
struct DecodedFlow {
    result: Result<Decoded, flow::FlowError>,
    version: Option<i64>,
    notes: Vec<(u64, String)>,
}

/// What a thread decoding flows reuses from one flow to the next.
#[derive(Default)]
struct Scratch {
    headers: crate::model::Headers,
    texts: crate::model::TextInterner,
    connections: flow::ConnectionCache,
}

/// Decodes the dicts among `batch` (entry index, framed item), in order: on this thread, or
/// split in contiguous parts over up to `context.threads` threads when there are enough flows.
/// A part whose thread cannot be started is decoded here, so the result is always the same.
fn decode_batch(
    batch: &[(usize, Item<'_>)],
    context: &ReaderContext<'_>,
    bytes: &Bytes,
    scratch: &mut Scratch,
) -> Vec<DecodedFlow> {
    let decode_part = |part: &[(usize, Item<'_>)], scratch: &mut Scratch| {
        part.iter()
            .filter(|(_, item)| item.tag() == Tag::Dict)
            .map(|&(entry_idx, item)| {
                let mut ctx = FlowContext {
                    source_idx: context.source_idx,
                    entry_idx,
                    input: bytes,
                    notes: Vec::new(),
                    decode_budget: &context.decode_budget,
                    version: None,
                    header_scratch: &mut scratch.headers,
                    texts: &mut scratch.texts,
                    connections: &mut scratch.connections,
                };
                let result = flow::decode(item, &mut ctx);
                DecodedFlow { result, version: ctx.version, notes: ctx.notes }
            })
            .collect::<Vec<_>>()
    };
    let threads =
        context.threads.min(batch.len() / context.batching.min_flows_per_thread.max(1)).max(1);
    if threads == 1 {
        return decode_part(batch, scratch);
    }
    let part_len = batch.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = batch.chunks(part_len);
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts
            .map(|part| {
                let thread = std::thread::Builder::new()
                    .spawn_scoped(scope, move || decode_part(part, &mut Scratch::default()));
                (part, thread)
            })
            .collect();
        let mut decoded = decode_part(first, scratch);
        for (part, thread) in others {
            match thread.map(|thread| thread.join()) {
                Ok(Ok(part_decoded)) => decoded.extend(part_decoded),
                // Not started (or failed): decoding it here gives the same result, or the
                // same failure as reading on one thread would.
                _ => decoded.extend(decode_part(part, scratch)),
            }
        }
        decoded
    })
}

/// Reads a flow file held in `bytes` (already decompressed).
pub(crate) fn read_with(context: &ReaderContext<'_>, bytes: Bytes) -> ReadResult {
    let name = context.name;
    let input: &[u8] = &bytes;
    let mut memory_used = 0u64;
    let mut exchanges = Vec::new();
    let mut problems = Problems::new(name);
    let mut skipped: Vec<SkippedFlows> = Vec::new();
    let mut n_skipped_otherwise = 0usize;
    let mut versions: Vec<i64> = Vec::new();
    let mut noted_newer_version = false;
    let mut scratch = Scratch::default();
    let mut pos = 0;
    let mut entry_idx = 0;
    // Flows are framed a batch at a time (`context.batching`; cheap: a length prefix each), decoded (on up to
    // `context.threads` threads), then recorded in file order as if read one by one, so the
    // result does not depend on the number of threads, and the memory limit stops reading at
    // the same flow, at most one batch of decoding late.
    let mut batch: Vec<(usize, Item<'_>)> = Vec::new();
    'read: loop {
        batch.clear();
        let batch_start = pos;
        let mut framing_error = None;
        // Trailing whitespace (an editor's final newline) is harmless; mitmproxy would refuse it.
        while pos - batch_start < context.batching.batch_bytes.max(1)
            && input[pos..].iter().any(|byte| !byte.is_ascii_whitespace())
        {
            match tnetstring::read_item(input, pos, input.len(), 0) {
                Ok(item) => {
                    if entry_idx == 0 && item.tag() != Tag::Dict {
                        return Err(CaptureError::Malformed {
                            location: problems.location(0, item.offset()),
                            message: format!(
                                "not a mitmproxy flow file: it starts with {}, not a dict",
                                item.tag().describe()
                            ),
                        });
                    }
                    batch.push((entry_idx, item));
                    pos = item.end();
                    entry_idx += 1;
                }
                Err(err) => {
                    if entry_idx == 0 && !matches!(err.kind, TnetErrorKind::Truncated { .. }) {
                        return Err(CaptureError::Malformed {
                            location: problems.location(0, err.offset),
                            message: format!("not a mitmproxy flow file: {}", err.kind),
                        });
                    }
                    framing_error = Some(err);
                    break;
                }
            }
        }
        let mut decoded = decode_batch(&batch, context, &bytes, &mut scratch).into_iter();
        for &(entry_idx, item) in &batch {
            if item.tag() != Tag::Dict {
                let message =
                    format!("flow {entry_idx} is {}, not a dict; skipped", item.tag().describe());
                problems.push(entry_idx, item.offset(), message);
                continue;
            }
            // `decode_batch` decoded every dict of the batch, in order.
            let Some(DecodedFlow { result, version: flow_version, notes }) = decoded.next() else {
                break 'read;
            };
            for (offset, message) in notes {
                problems.push(entry_idx, offset, message);
            }
            match result {
                Ok(Decoded::Exchange(exchange)) => {
                    memory_used += exchange_memory(&exchange);
                    exchanges.push(exchange);
                    if memory_used > context.memory_limit {
                        let message = context.memory_limit_message(exchanges.len(), memory_used);
                        problems.push(entry_idx, item.offset(), message);
                        break 'read;
                    }
                }
                Ok(Decoded::Skipped { reason }) => {
                    let n_groups = skipped.len();
                    match skipped.iter_mut().find(|seen| seen.reason == reason) {
                        Some(seen) => seen.count += 1,
                        None if n_groups < MAX_DISTINCT => skipped.push(SkippedFlows {
                            reason,
                            count: 1,
                            entry_idx,
                            offset: item.offset(),
                        }),
                        None => n_skipped_otherwise += 1,
                    }
                }
                Err(err) => problems.push(
                    entry_idx,
                    err.offset,
                    format!("flow {entry_idx} skipped: {}", err.message),
                ),
            }
            if let Some(version) = flow_version {
                if version > NEWEST_VERSION && !noted_newer_version {
                    noted_newer_version = true;
                    problems.push(
                        entry_idx,
                        item.offset(),
                        format!(
                            "flow format version {version} is newer than regauth knows ({NEWEST_VERSION}); \
                             read as version {NEWEST_VERSION}"
                        ),
                    );
                }
                if let Err(insert_at) = versions.binary_search(&version)
                    && versions.len() < MAX_DISTINCT
                {
                    versions.insert(insert_at, version);
                }
            }
        }
        if let Some(err) = framing_error {
            let message = if matches!(err.kind, TnetErrorKind::Truncated { .. }) {
                format!("flow {entry_idx} is cut off: {}", err.kind)
            } else {
                format!(
                    "cannot find where flow {entry_idx} starts, so reading stops here: {}",
                    err.kind
                )
            };
            problems.push(entry_idx, err.offset, message);
            break;
        }
        if batch.is_empty() {
            break;
        }
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
        problems.push(group.entry_idx, group.offset, message);
    }
    if n_skipped_otherwise > 0 {
        let message = format!(
            "skipped {n_skipped_otherwise} more flows of yet other types or versions regauth does not read"
        );
        problems.push_summary(message);
    }
    let producer = match versions.as_slice() {
        [] => None,
        [version] => Some(format!("mitmproxy flow format {version}")),
        several => Some(format!(
            "mitmproxy flow formats {}",
            several.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        )),
    };
    Ok((exchanges, problems.finish(), producer))
}

/// The problems of one file, at most [`MAX_PROBLEMS`] of them kept.
pub(super) struct Problems<'n> {
    source_name: &'n str,
    kept: Vec<InputProblem>,
    n_dropped: usize,
}

impl<'n> Problems<'n> {
    fn new(source_name: &'n str) -> Problems<'n> {
        Problems { source_name, kept: Vec::new(), n_dropped: 0 }
    }

    fn location(&self, entry_idx: usize, offset: u64) -> Location {
        Location {
            source: self.source_name.to_owned(),
            entry: Some(entry_idx),
            byte_offset: Some(offset),
            line_column: None,
        }
    }

    pub(super) fn push(&mut self, entry_idx: usize, offset: u64, message: String) {
        if self.kept.len() < MAX_PROBLEMS {
            let location = self.location(entry_idx, offset);
            self.kept.push(InputProblem { location, message });
        } else {
            self.n_dropped += 1;
        }
    }

    /// A problem about the file as a whole, kept even past the cap. Located at the start of
    /// the file, since it has no single place.
    fn push_summary(&mut self, message: String) {
        let location = self.location(0, 0);
        self.kept.push(InputProblem { location, message });
    }

    fn finish(mut self) -> Vec<InputProblem> {
        if self.n_dropped > 0 {
            let n_dropped = self.n_dropped;
            self.push_summary(format!(
                "{n_dropped} more problems in this file are not listed (only the first {MAX_PROBLEMS} are)"
            ));
        }
        self.kept
    }
}

/// Flows skipped for the same reason, reported once with a count instead of once each.
struct SkippedFlows {
    reason: SkipReason,
    count: usize,
    entry_idx: usize,
    offset: u64,
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use expect_test::{Expect, expect};

    use super::*;
    use crate::capture::Batching;
    use crate::model::{BodyData, Exchange};

    /// A tnetstring value to build fixtures from (tests only; mirrors mitmproxy's writer).
    #[derive(Clone, Debug)]
    enum T {
        B(Vec<u8>),
        S(String),
        I(i64),
        F(f64),
        Bool(bool),
        Null,
        L(Vec<T>),
        D(Vec<(String, T)>),
    }

    fn b(bytes: &[u8]) -> T {
        T::B(bytes.to_vec())
    }

    fn s(text: &str) -> T {
        T::S(text.to_owned())
    }

    fn d(fields: Vec<(&str, T)>) -> T {
        T::D(fields.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
    }

    fn dump(value: &T, out: &mut Vec<u8>) {
        let (payload, tag): (Vec<u8>, u8) = match value {
            T::B(bytes) => (bytes.clone(), b','),
            T::S(text) => (text.as_bytes().to_vec(), b';'),
            T::I(int) => (int.to_string().into_bytes(), b'#'),
            T::F(float) => (format!("{float:?}").into_bytes(), b'^'),
            T::Bool(flag) => (flag.to_string().into_bytes(), b'!'),
            T::Null => (Vec::new(), b'~'),
            T::L(items) => {
                let mut payload = Vec::new();
                items.iter().for_each(|item| dump(item, &mut payload));
                (payload, b']')
            }
            T::D(fields) => {
                let mut payload = Vec::new();
                for (key, value) in fields {
                    dump(&T::S(key.clone()), &mut payload);
                    dump(value, &mut payload);
                }
                (payload, b'}')
            }
        };
        out.extend_from_slice(format!("{}:", payload.len()).as_bytes());
        out.extend_from_slice(&payload);
        out.push(tag);
    }

    fn dumps(values: &[T]) -> Bytes {
        let mut out = Vec::new();
        values.iter().for_each(|value| dump(value, &mut out));
        Bytes::from(out)
    }

    impl T {
        /// Replaces (or adds) `key` in a dict, following a dotted path.
        fn set(mut self, path: &str, value: T) -> T {
            let (key, rest) =
                path.split_once('.').map_or((path, None), |(key, rest)| (key, Some(rest)));
            let T::D(fields) = &mut self else { panic!("not a dict") };
            match (fields.iter_mut().find(|(name, _)| name == key), rest) {
                (Some((_, slot)), None) => *slot = value,
                (Some((_, slot)), Some(rest)) => *slot = slot.clone().set(rest, value),
                (None, None) => fields.push((key.to_owned(), value)),
                (None, Some(_)) => panic!("no {key}"),
            }
            self
        }
    }

    fn headers(pairs: &[(&[u8], &[u8])]) -> T {
        T::L(pairs.iter().map(|(name, value)| T::L(vec![b(name), b(value)])).collect())
    }

    // hand-written fixture: a format-21 flow with the fields mitmproxy 11 writes
    fn flow_v21() -> T {
        d(vec![
            ("version", T::I(21)),
            ("type", s("http")),
            ("id", s("f1")),
            (
                "request",
                d(vec![
                    ("host", s("registry.example")),
                    ("port", T::I(443)),
                    ("method", b(b"GET")),
                    ("scheme", b(b"https")),
                    ("authority", b(b"")),
                    ("path", b(b"/v2/library/alpine/manifests/latest")),
                    ("http_version", b(b"HTTP/1.1")),
                    (
                        "headers",
                        headers(&[
                            (b"Accept", b"*/*"),
                            (b"Accept", b"x/y"),
                            (b"X-Bin", b"caf\xe9"),
                        ]),
                    ),
                    ("content", b(b"")),
                    ("trailers", T::Null),
                    ("timestamp_start", T::F(1_700_000_000.25)),
                    ("timestamp_end", T::F(1_700_000_000.5)),
                ]),
            ),
            (
                "response",
                d(vec![
                    ("status_code", T::I(401)),
                    ("reason", b(b"Unauthorized")),
                    ("http_version", b(b"HTTP/1.1")),
                    (
                        "headers",
                        headers(&[
                            (b"WWW-Authenticate", b"Bearer realm=\"r\""),
                            (b"Content-Encoding", b"gzip"),
                        ]),
                    ),
                    ("content", b(b"\x1f\x8b\x00binary")),
                    ("trailers", T::Null),
                    ("timestamp_start", T::F(1_700_000_001.0)),
                    ("timestamp_end", T::I(1_700_000_002)),
                ]),
            ),
            ("error", T::Null),
            (
                "server_conn",
                d(vec![
                    ("id", s("5e1f0000-0000-4000-8000-000000000001")),
                    ("address", T::L(vec![s("registry.example"), T::I(443)])),
                    ("peername", T::L(vec![s("2001:db8::1"), T::I(443), T::I(0), T::I(0)])),
                    ("sockname", T::L(vec![s("10.0.0.2"), T::I(50000)])),
                    ("tls", T::Bool(true)),
                    ("timestamp_tls_setup", T::F(1_699_999_999.9)),
                    ("sni", s("registry.example")),
                    ("tls_version", s("QUIC")),
                    ("cipher", s("TLS_AES_128_GCM_SHA256")),
                    ("alpn", b(b"h2")),
                    ("certificate_list", T::L(vec![b(b"0\x03\x02\x01\x01")])),
                    ("error", T::Null),
                ]),
            ),
            (
                "client_conn",
                d(vec![
                    ("peername", T::L(vec![s("127.0.0.1"), T::I(40000)])),
                    ("tls", T::Bool(false)),
                    ("certificate_list", T::L(vec![])),
                ]),
            ),
            ("backup", T::Null),
            ("metadata", d(vec![])),
        ])
    }

    fn read_bytes(bytes: Bytes) -> ReadResult {
        read(3, "test.flow", bytes)
    }

    /// One line per exchange and per problem, for snapshots.
    fn render(res: &ReadResult) -> String {
        let (exchanges, problems, producer) = match res {
            Ok(ok) => ok,
            Err(err) => return format!("error: {err}\n"),
        };
        let mut out = String::new();
        writeln!(out, "producer: {producer:?}").unwrap();
        for exchange in exchanges {
            render_exchange(exchange, &mut out);
        }
        for problem in problems {
            writeln!(out, "problem: {problem}").unwrap();
        }
        out
    }

    fn render_exchange(exchange: &Exchange, out: &mut String) {
        let request = &exchange.request;
        let origin = &exchange.origin;
        writeln!(
            out,
            "#{} source {} offset {:?}: {} {} {} at {:?}",
            origin.index,
            origin.source,
            origin.byte_offset,
            request.method,
            request.url(),
            request.http_version,
            exchange.timing.request_start.map(|ts| ts.to_rfc3339())
        )
        .unwrap();
        writeln!(out, "  request headers {:?} body {}", request.headers, body(&request.body))
            .unwrap();
        if let Some(response) = &exchange.response {
            writeln!(
                out,
                "  response {} {:?} {} headers {:?} body {} until {:?}",
                response.status,
                response.reason,
                response.http_version,
                response.headers,
                body(&response.body),
                exchange.timing.response_end.map(|ts| ts.to_rfc3339())
            )
            .unwrap();
        }
        writeln!(
            out,
            "  server {:?} client {:?} connection {:?} error {:?}",
            exchange.server_address, exchange.client_address, exchange.connection, exchange.error
        )
        .unwrap();
        if let Some(tls) = &exchange.tls {
            writeln!(
                out,
                "  tls established {} sni {:?} version {:?} cipher {:?} alpn {:?} server certs {:?} client certs {:?} error {:?}",
                tls.established,
                tls.sni,
                tls.version,
                tls.cipher,
                tls.alpn,
                tls.server_certificates.iter().map(Bytes::len).collect::<Vec<_>>(),
                tls.client_certificates.iter().map(Bytes::len).collect::<Vec<_>>(),
                tls.error
            )
            .unwrap();
        }
    }

    fn body(body: &crate::model::Body) -> String {
        match &body.data {
            BodyData::Absent => "absent".to_owned(),
            BodyData::Raw(bytes) => {
                format!("{} bytes encoding {:?}", bytes.len(), body.content_encoding)
            }
            other => format!("unexpected {other:?}"),
        }
    }

    fn check(values: &[T], expect: Expect) {
        expect.assert_eq(&render(&read_bytes(dumps(values))));
    }

    #[test]
    fn reads_every_field_of_a_format_21_flow() {
        check(
            &[flow_v21()],
            expect![[r#"
                producer: Some("mitmproxy flow format 21")
                #0 source 3 offset Some(0): GET https://registry.example/v2/library/alpine/manifests/latest HTTP/1.1 at Some("2023-11-14T22:13:20.250+00:00")
                  request headers [("Accept", "*/*"), ("Accept", "x/y"), ("X-Bin", "caf�")] body 0 bytes encoding ""
                  response 401 "Unauthorized" HTTP/1.1 headers [("WWW-Authenticate", "Bearer realm=\"r\""), ("Content-Encoding", "gzip")] body 9 bytes encoding "gzip" until Some("2023-11-14T22:13:22+00:00")
                  server Some("[2001:db8::1]:443") client Some("127.0.0.1:40000") connection Some("5e1f0000-0000-4000-8000-000000000001") error None
                  tls established true sni Some("registry.example") version Some("QUICv1") cipher Some("TLS_AES_128_GCM_SHA256") alpn Some("h2") server certs [5] client certs [] error None
            "#]],
        );
    }

    // hand-written fixture: the same flow in format 18 (mitmproxy 9) field names
    fn flow_v18() -> T {
        let T::D(mut fields) = flow_v21() else { unreachable!() };
        fields.retain(|(key, _)| key != "server_conn" && key != "client_conn" && key != "backup");
        T::D(fields)
            .set("version", T::I(18))
            .set(
                "server_conn",
                d(vec![
                    ("address", T::L(vec![b(b"registry.example"), T::I(443)])),
                    ("ip_address", T::L(vec![s("192.0.2.7"), T::I(443)])),
                    ("source_address", T::L(vec![s("10.0.0.2"), T::I(50000)])),
                    ("tls_established", T::Bool(true)),
                    ("timestamp_tls_setup", T::Null),
                    ("sni", T::Bool(true)),
                    ("tls_version", s("TLSv1.2")),
                    ("cipher_name", s("ECDHE-RSA-AES128-GCM-SHA256")),
                    ("alpn", T::Null),
                    ("certificate_list", T::L(vec![])),
                    ("tls", T::Bool(true)),
                    ("via2", T::Null),
                    ("state", T::I(0)),
                ]),
            )
            .set(
                "client_conn",
                d(vec![
                    ("address", T::L(vec![s("127.0.0.1"), T::I(40000)])),
                    ("tls_established", T::Bool(false)),
                    ("certificate_list", T::L(vec![])),
                ]),
            )
    }

    #[test]
    fn reads_format_18_connection_field_names() {
        check(
            &[flow_v18()],
            expect![[r#"
                producer: Some("mitmproxy flow format 18")
                #0 source 3 offset Some(0): GET https://registry.example/v2/library/alpine/manifests/latest HTTP/1.1 at Some("2023-11-14T22:13:20.250+00:00")
                  request headers [("Accept", "*/*"), ("Accept", "x/y"), ("X-Bin", "caf�")] body 0 bytes encoding ""
                  response 401 "Unauthorized" HTTP/1.1 headers [("WWW-Authenticate", "Bearer realm=\"r\""), ("Content-Encoding", "gzip")] body 9 bytes encoding "gzip" until Some("2023-11-14T22:13:22+00:00")
                  server Some("192.0.2.7:443") client Some("127.0.0.1:40000") connection None error None
                  tls established true sni Some("registry.example") version Some("TLSv1.2") cipher Some("ECDHE-RSA-AES128-GCM-SHA256") alpn None server certs [] client certs [] error None
            "#]],
        );
    }

    #[test]
    fn tls_facts_come_from_the_client_leg_when_only_it_used_tls() {
        // hand-written fixture: mitmproxy in reverse mode terminating mutual TLS in front of a
        // plain-HTTP server (a Docker daemon on tcp://), with a PEM client certificate.
        let pem = b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
        let flow = flow_v21()
            .set("server_conn.tls", T::Bool(false))
            .set("server_conn.timestamp_tls_setup", T::Null)
            .set("server_conn.certificate_list", T::L(vec![]))
            .set("client_conn.tls", T::Bool(true))
            .set("client_conn.timestamp_tls_setup", T::F(1_700_000_000.0))
            .set("client_conn.sni", s("docker.example"))
            .set("client_conn.tls_version", s("TLSv1.3"))
            .set("client_conn.certificate_list", T::L(vec![b(pem)]));
        let (exchanges, problems, _) = read_bytes(dumps(&[flow])).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let tls = exchanges[0].tls.as_ref().unwrap();
        assert!(tls.established);
        assert_eq!(tls.sni.as_deref(), Some("docker.example"));
        assert_eq!(tls.version.as_deref(), Some("TLSv1.3"));
        assert!(tls.server_certificates.is_empty());
        assert_eq!(tls.client_certificates, [Bytes::from_static(b"\x30\x03\x02\x01\x01")]);

        // No TLS on either leg: no TLS facts at all.
        let plain = flow_v21()
            .set("server_conn.tls", T::Bool(false))
            .set("server_conn.timestamp_tls_setup", T::Null)
            .set("server_conn.certificate_list", T::L(vec![]));
        let (exchanges, _, _) = read_bytes(dumps(&[plain])).unwrap();
        assert!(exchanges[0].tls.is_none());
    }

    /// UTF-8 header lists become spans of the list itself; names and values of every length
    /// and with characters of every width read back as they were written. Hand-written fixture.
    #[test]
    fn utf8_header_fields_read_back_exactly() {
        let fields: [(&[u8], &[u8]); 6] = [
            ("X-Ünïcode".as_bytes(), "café ☕ 😀".as_bytes()),
            (b"", b""),
            (b"Accept", b"*/*"),
            ("é".as_bytes(), b""),
            (b"X-Long", &[b'v'; 300]),
            (b"WWW-Authenticate", b"Bearer realm=\"https://auth.example/token\",service=\"r\""),
        ];
        let flow = flow_v21().set("request.headers", headers(&fields));
        let (exchanges, problems, _) = read_bytes(dumps(&[flow])).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let read: Vec<(String, String)> = exchanges[0]
            .request
            .headers
            .iter()
            .map(|(name, value)| (name.to_owned(), value.into_owned()))
            .collect();
        let written: Vec<(String, String)> = fields
            .iter()
            .map(|(name, value)| {
                (
                    String::from_utf8(name.to_vec()).unwrap(),
                    String::from_utf8(value.to_vec()).unwrap(),
                )
            })
            .collect();
        assert_eq!(read, written);
        assert_eq!(exchanges[0].request.headers.get("x-Ünïcode").as_deref(), Some("café ☕ 😀"));
    }

    /// Flows that repeat a connection dict byte for byte (decoded once and then copied, see
    /// `flow::ConnectionCache`) read as each flow does on its own, and a problem in a
    /// repeated dict is noted for every flow that has it. Hand-written fixtures.
    #[test]
    fn flows_repeating_a_connection_read_as_each_does_alone() {
        let other_server = flow_v21()
            .set("server_conn.sni", s("other.example"))
            .set("server_conn.peername", T::L(vec![s("192.0.2.8"), T::I(443)]));
        let broken_client = flow_v21().set("client_conn.peername", T::I(5));
        // The same bytes decode differently as a server dict and as a client dict, and in
        // format 18 and format 21 (other field names), so neither may stand in for the other.
        let T::D(fields) = flow_v18() else { unreachable!() };
        let old_server_conn =
            fields.iter().find(|(key, _)| key == "server_conn").unwrap().1.clone();
        let legs_swapped = flow_v18().set("client_conn", old_server_conn.clone());
        let newer_version = flow_v21().set("server_conn", old_server_conn);
        let flows = [
            flow_v21(),
            other_server.clone(),
            flow_v21(),
            broken_client.clone(),
            broken_client,
            other_server,
            flow_v18(),
            legs_swapped,
            newer_version,
            flow_v21(),
        ];
        let (together, problems, _) = read_bytes(dumps(&flows)).unwrap();
        assert_eq!(together.len(), flows.len());
        // Everything but the first line (the flow's index and offset) is the flow's own.
        let details = |exchange: &Exchange| {
            let mut out = String::new();
            render_exchange(exchange, &mut out);
            out.split_once('\n').unwrap().1.to_owned()
        };
        for (flow_idx, flow) in flows.iter().enumerate() {
            let (alone, _, _) = read_bytes(dumps(std::slice::from_ref(flow))).unwrap();
            assert_eq!(details(&together[flow_idx]), details(&alone[0]), "flow {flow_idx}");
        }
        assert_ne!(details(&together[0]), details(&together[1]));
        // Read as a client dict of format 18, the server dict's `address` is the peer; read
        // as a server dict of format 21, it has no peer (`peername` is the name there).
        assert_eq!(together[6].server_address.as_deref(), Some("192.0.2.7:443"));
        assert_eq!(together[7].client_address.as_deref(), Some("registry.example:443"));
        assert_eq!(together[8].server_address, None);
        // Flows in a row with the same TLS facts share one copy of them, even when their
        // connection dicts differ in other fields (here the client's peer).
        let tls = |flow_idx: usize| together[flow_idx].tls.as_ref().unwrap();
        assert!(std::sync::Arc::ptr_eq(tls(2), tls(3)));
        assert!(!std::sync::Arc::ptr_eq(tls(4), tls(5)));
        assert_ne!(tls(4), tls(5));
        let noted: Vec<_> = problems
            .iter()
            .filter(|problem| problem.message.starts_with("client_conn.peername"))
            .map(|problem| problem.location.entry)
            .collect();
        assert_eq!(noted, [Some(3), Some(4)], "{problems:?}");
    }

    #[test]
    fn skips_other_flow_types_and_versions_with_one_note_each() {
        let tcp = || d(vec![("version", T::I(21)), ("type", s("tcp")), ("messages", T::L(vec![]))]);
        check(
            &[
                tcp(),
                flow_v21().set("version", T::I(13)),
                tcp(),
                flow_v21().set("type", s("dns")),
                tcp(),
                flow_v21().set("version", T::L(vec![T::I(0), T::I(11)])),
            ],
            expect![[r#"
                producer: Some("mitmproxy flow formats 13, 21")
                problem: test.flow: entry 0 (byte 0): skipped 3 of: tcp flow, the first here: regauth reads HTTP flows only
                problem: test.flow: entry 1 (byte 46): skipped a flow in format version 13 (regauth reads versions 14 to 21, written by mitmproxy 7 and later): open and save the file with a newer mitmproxy to convert it
                problem: test.flow: entry 3 (byte 1259): skipped a dns flow: regauth reads HTTP flows only
                problem: test.flow: entry 5 (byte 2471): skipped a flow in format version (0, 11) (regauth reads versions 14 to 21, written by mitmproxy 7 and later): open and save the file with a newer mitmproxy to convert it
            "#]],
        );
    }

    #[test]
    fn newer_versions_are_read_with_a_note_and_edited_flows_are_flagged() {
        let edited = flow_v21().set("backup", d(vec![("version", T::I(21))]));
        let res = read_bytes(dumps(&[
            flow_v21().set("version", T::I(22)),
            flow_v21().set("version", T::I(23)),
            edited,
        ]));
        let (exchanges, problems, producer) = res.unwrap();
        assert_eq!(exchanges.len(), 3);
        assert_eq!(producer.as_deref(), Some("mitmproxy flow formats 21, 22, 23"));
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        expect![[r#"
            [
                "test.flow: entry 0 (byte 0): flow format version 22 is newer than regauth knows (21); read as version 21",
                "test.flow: entry 2 (byte 3483): this flow was modified in mitmproxy after it was recorded; regauth reads the modified version (the recorded original is in its `backup`)",
            ]
        "#]]
        .assert_debug_eq(&messages);
    }

    #[test]
    fn a_damaged_flow_is_skipped_and_reading_goes_on() {
        let damaged = [
            flow_v21().set("request.port", T::I(70000)),
            flow_v21().set("request.headers", T::L(vec![T::L(vec![b(b"only-a-name")])])),
            flow_v21().set("request.method", T::I(1)),
            flow_v21().set("response.status_code", s("200")),
            flow_v21().set("request", T::Null),
            d(vec![("type", s("http"))]),
            // Lesser damage keeps the flow: a bad timestamp, a bad address, a bad certificate.
            flow_v21()
                .set("request.timestamp_start", s("yesterday"))
                .set("server_conn.peername", T::L(vec![T::I(1)]))
                .set("server_conn.certificate_list", T::L(vec![b(b"not a certificate")]))
                .set("response.timestamp_end", T::F(f64::INFINITY))
                .set("error", d(vec![("message", s("wrong key"))])),
            T::L(vec![]),
        ];
        check(
            &damaged,
            expect![[r#"
                producer: Some("mitmproxy flow format 21")
                #6 source 3 offset Some(5485): GET https://registry.example/v2/library/alpine/manifests/latest HTTP/1.1 at None
                  request headers [("Accept", "*/*"), ("Accept", "x/y"), ("X-Bin", "caf�")] body 0 bytes encoding ""
                  response 401 "Unauthorized" HTTP/1.1 headers [("WWW-Authenticate", "Bearer realm=\"r\""), ("Content-Encoding", "gzip")] body 9 bytes encoding "gzip" until None
                  server None client Some("127.0.0.1:40000") connection Some("5e1f0000-0000-4000-8000-000000000001") error Some("unknown error")
                  tls established true sni Some("registry.example") version Some("QUICv1") cipher Some("TLS_AES_128_GCM_SHA256") alpn Some("h2") server certs [] client certs [] error None
                problem: test.flow: entry 0 (byte 92): flow 0 skipped: request.port: not between 0 and 65535
                problem: test.flow: entry 1 (byte 1400): flow 1 skipped: request.headers: header field is not a [name, value] pair
                problem: test.flow: entry 2 (byte 2405): flow 2 skipped: request.method: expected a string, found an integer
                problem: test.flow: entry 3 (byte 3879): flow 3 skipped: response.status_code: expected an integer, found a text string
                problem: test.flow: entry 4 (byte 4630): flow 4 skipped: flow has no `request` field
                problem: test.flow: entry 5 (byte 5467): flow 5 skipped: flow has no `version` field
                problem: test.flow: entry 6 (byte 5820): request.timestamp_start: expected a number, found a text string
                problem: test.flow: entry 6 (byte 6131): response.timestamp_end inf is not a usable point in time
                problem: test.flow: entry 6 (byte 6146): flow error has no `msg`
                problem: test.flow: entry 6 (byte 6289): server_conn.peername: expected a string, found an integer
                problem: test.flow: entry 6 (byte 6498): server_conn certificate 0 is neither PEM nor DER; ignored
                problem: test.flow: entry 7 (byte 6650): flow 7 is a list, not a dict; skipped
            "#]],
        );
    }

    #[test]
    fn a_cut_file_keeps_the_flows_before_the_cut() {
        let whole = dumps(&[flow_v21(), flow_v21()]);
        let cut = whole.slice(..whole.len() - 10);
        let (exchanges, problems, _) = read_bytes(cut).unwrap();
        assert_eq!(exchanges.len(), 1);
        expect![[r#"
            [
                InputProblem {
                    location: Location {
                        source: "test.flow",
                        entry: Some(
                            1,
                        ),
                        byte_offset: Some(
                            1167,
                        ),
                        line_column: None,
                    },
                    message: "flow 1 is cut off: input ends early: item declares 1161 bytes and a type tag but only 1152 bytes remain (the file is truncated)",
                },
            ]
        "#]]
        .assert_debug_eq(&problems);
    }

    #[test]
    fn input_that_is_no_flow_file_is_an_error() {
        check(
            &[T::L(vec![])],
            expect![[r#"
            error: test.flow: entry 0 (byte 0): not a mitmproxy flow file: it starts with a list, not a dict
        "#]],
        );
        expect![[r#"
            error: test.flow: entry 0 (byte 0): not a mitmproxy flow file: unknown tnetstring type tag (a letter)
        "#]]
        .assert_eq(&render(&read_bytes(Bytes::from_static(b"3:abcx"))));
        // Trailing whitespace after the last flow is tolerated.
        let mut with_newline = dumps(&[flow_v21()]).to_vec();
        with_newline.extend_from_slice(b"\n\n");
        let (exchanges, problems, _) = read_bytes(Bytes::from(with_newline)).unwrap();
        assert_eq!((exchanges.len(), problems.len()), (1, 0));
    }

    #[test]
    fn bodies_and_der_certificates_are_slices_of_the_input() {
        let input = dumps(&[flow_v21()]);
        let (exchanges, _, _) = read_bytes(input.clone()).unwrap();
        let input_range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
        let BodyData::Raw(body) = &exchanges[0].response.as_ref().unwrap().body.data else {
            panic!()
        };
        assert!(input_range.contains(&(body.as_ptr() as usize)));
        let cert = &exchanges[0].tls.as_ref().unwrap().server_certificates[0];
        assert!(input_range.contains(&(cert.as_ptr() as usize)));
    }

    #[test]
    fn deep_nesting_and_huge_lengths_inside_a_flow_are_located() {
        // Metadata nested far deeper than the cap is never walked, so the flow still reads.
        let mut nested = T::L(vec![]);
        for _ in 0..4 * tnetstring::MAX_DEPTH {
            nested = T::L(vec![nested]);
        }
        let (exchanges, _, _) =
            read_bytes(dumps(&[flow_v21().set("metadata", nested.clone())])).unwrap();
        assert_eq!(exchanges.len(), 1);
        // Where the reader does descend, nesting is bounded (a header value that is a deep list).
        let deep_header = T::L(vec![T::L(vec![b(b"name"), nested])]);
        let (exchanges, problems, _) =
            read_bytes(dumps(&[flow_v21().set("request.headers", deep_header)])).unwrap();
        assert_eq!(exchanges.len(), 0);
        assert!(problems[0].message.contains("expected a string, found a list"), "{problems:?}");

        // A body claiming a gigabyte inside a well-framed flow (same byte count as before, so
        // the enclosing frames still fit): the claim overruns the response dict.
        let mut input = dumps(&[flow_v21()]).to_vec();
        let at = input.windows(5).position(|window| window == b"9:\x1f\x8b\x00").unwrap();
        input.splice(at..at + 12, b"999999999:ab".iter().copied());
        let (exchanges, problems, _) = read_bytes(Bytes::from(input)).unwrap();
        assert_eq!(exchanges.len(), 0);
        assert!(problems[0].message.contains("declares 999999999 bytes"), "{problems:?}");
        assert_eq!(problems[0].location.byte_offset, Some(at as u64));
    }

    #[test]
    fn floods_of_broken_or_odd_flows_stay_bounded() {
        // hand-written fixture: 200,000 tiny flows, each with its own type, version or defect.
        let mut input = Vec::new();
        for flow_idx in 0..200_000i64 {
            let flow = match flow_idx % 3 {
                0 => d(vec![("version", T::I(21)), ("type", T::S(format!("kind{flow_idx}")))]),
                1 => d(vec![("version", T::I(flow_idx % 14)), ("type", s("http"))]),
                _ => d(vec![("version", T::I(21)), ("type", s("http"))]),
            };
            dump(&flow, &mut input);
        }
        let (exchanges, problems, producer) = read_bytes(Bytes::from(input)).unwrap();
        assert!(exchanges.is_empty());
        assert!(problems.len() <= MAX_PROBLEMS + MAX_DISTINCT + 2, "{}", problems.len());
        let last_messages: Vec<&str> =
            problems.iter().rev().take(2).map(|problem| problem.message.as_str()).collect();
        expect![[r#"
            [
                "65682 more problems in this file are not listed (only the first 1000 are)",
                "skipped 95230 more flows of yet other types or versions regauth does not read",
            ]
        "#]]
        .assert_debug_eq(&last_messages);
        assert_eq!(
            producer.as_deref(),
            Some("mitmproxy flow formats 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 21")
        );
    }

    /// A small real file: generated with mitmproxy's test helpers (see tests/data/mitm/generate.py).
    const GENERATED_FLOW: &[u8] = include_bytes!("../../../tests/data/mitm/mitmproxy-11.0.2.flow");

    #[test]
    fn reads_a_file_written_by_mitmproxy() {
        let (exchanges, problems, producer) =
            read_bytes(Bytes::from_static(GENERATED_FLOW)).unwrap();
        assert_eq!(producer.as_deref(), Some("mitmproxy flow format 21"));
        assert_eq!(exchanges.len(), 7);
        let messages: Vec<String> =
            problems.iter().map(|problem| problem.message.clone()).collect();
        expect![[r#"
            [
                "skipped a tcp flow: regauth reads HTTP flows only",
                "skipped a udp flow: regauth reads HTTP flows only",
                "skipped a dns flow: regauth reads HTTP flows only",
            ]
        "#]]
        .assert_debug_eq(&messages);
    }

    /// Every problem and error must say where it is.
    fn assert_located(res: &ReadResult, what: &str) {
        match res {
            Ok((_, problems, _)) => {
                for problem in problems {
                    assert!(problem.location.byte_offset.is_some(), "{what}: unlocated {problem}");
                    assert!(problem.location.entry.is_some(), "{what}: no entry in {problem}");
                }
            }
            Err(CaptureError::Malformed { location, .. }) => {
                assert!(location.byte_offset.is_some(), "{what}: unlocated error");
            }
            Err(err) => panic!("{what}: unexpected error kind {err}"),
        }
    }

    #[test]
    fn truncation_at_every_offset_is_reported_where_it_happens() {
        let whole = Bytes::from_static(GENERATED_FLOW);
        let (all_exchanges, _, _) = read_bytes(whole.clone()).unwrap();
        let mut flow_ends = Vec::new();
        let mut pos = 0;
        while pos < whole.len() {
            pos = tnetstring::read_item(&whole, pos, whole.len(), 0).unwrap().end();
            flow_ends.push(pos);
        }
        for cut_at in 1..whole.len() {
            let res = read_bytes(whole.slice(..cut_at));
            assert_located(&res, &format!("cut at {cut_at}"));
            if let Ok((exchanges, problems, _)) = &res {
                // Every flow that ends before the cut is read, and the cut is reported.
                let n_complete = all_exchanges
                    .iter()
                    .filter(|exchange| exchange.origin.byte_offset.unwrap() < cut_at as u64)
                    .count();
                assert!(
                    exchanges.len() + 1 >= n_complete,
                    "cut at {cut_at}: lost flows before the cut"
                );
                // A cut exactly between two flows looks like a complete file.
                assert!(
                    flow_ends.contains(&cut_at)
                        || problems.iter().any(|problem| problem.message.contains("cut off")),
                    "cut at {cut_at}: the cut is not reported"
                );
            }
        }
    }

    #[test]
    fn flipped_bits_never_panic_and_problems_are_located() {
        let mut buf = GENERATED_FLOW.to_vec();
        // One flip per byte, rotating through low, middle and high bits (digits, tags and
        // letters differ in different bits), keeps the run short in debug builds.
        for byte_idx in 0..buf.len() {
            let mask = [0x01u8, 0x10, 0x80, 0x04][byte_idx % 4];
            buf[byte_idx] ^= mask;
            let res = read_bytes(Bytes::copy_from_slice(&buf));
            assert_located(&res, &format!("byte {byte_idx} ^ {mask:#x}"));
            buf[byte_idx] ^= mask;
        }
    }

    /// The flows of the other tests in one file: a real recording (with flows of other
    /// types), damaged, skipped, newer and odd flows between its copies, and a cut at the end.
    fn mixed_flows(copies: usize) -> Vec<u8> {
        let mut input = Vec::new();
        for copy in 0..copies {
            input.extend_from_slice(GENERATED_FLOW);
            let odd = [
                flow_v21().set("request.port", T::I(70000)),
                flow_v21().set("request.timestamp_start", s("yesterday")),
                flow_v21().set("version", T::I(22 + (copy as i64 % 3))),
                d(vec![("version", T::I(copy as i64 % 20)), ("type", s("http"))]),
                d(vec![("version", T::I(21)), ("type", T::S(format!("kind{}", copy % 20)))]),
                T::L(vec![]),
                flow_v21(),
            ];
            odd.iter().for_each(|flow| dump(flow, &mut input));
        }
        let last = dumps(&[flow_v21()]);
        input.extend_from_slice(&last[..last.len() - 7]);
        input
    }

    fn read_on_threads(input: &Bytes, threads: usize) -> String {
        let limits =
            super::super::ReadLimits { max_threads: threads, ..super::super::ReadLimits::DEFAULT };
        let mut context = ReaderContext::new(3, "test.flow", input.len() as u64, &limits);
        context.batching = Batching::SMALL;
        render(&read_with(&context, input.clone()))
    }

    #[test]
    fn the_result_is_the_same_on_any_number_of_threads() {
        // 40 copies make about 250 small batches, with enough flows each to be decoded on
        // several threads.
        let input = Bytes::from(mixed_flows(40));
        assert!(input.len() > 200 * Batching::SMALL.batch_bytes, "{}", input.len());
        let on_one = read_on_threads(&input, 1);
        assert!(on_one.contains("flow format version 22 is newer"), "{on_one}");
        assert!(on_one.contains("is cut off"), "{on_one}");
        assert!(on_one.contains("is a list, not a dict"), "{on_one}");
        assert!(on_one.contains("expected a number, found a text string"), "{on_one}");
        for threads in [2, 3, 8] {
            assert_eq!(read_on_threads(&input, threads), on_one, "on {threads} threads");
        }
        // One batch with many flows, parts of every size.
        let one_batch = Bytes::from(mixed_flows(1));
        let on_one = read_on_threads(&one_batch, 1);
        for threads in 2..12 {
            assert_eq!(read_on_threads(&one_batch, threads), on_one, "on {threads} threads");
        }
    }

    #[test]
    fn the_memory_limit_stops_at_the_same_flow_on_any_number_of_threads() {
        let input = Bytes::from(mixed_flows(20));
        let read = |threads| {
            let limits = super::super::ReadLimits {
                max_threads: threads,
                ..super::super::ReadLimits::DEFAULT
            };
            let mut context = ReaderContext::new(3, "test.flow", input.len() as u64, &limits);
            context.memory_limit = 200_000;
            context.batching = Batching::SMALL;
            render(&read_with(&context, input.clone()))
        };
        let on_one = read(1);
        assert!(on_one.contains("stopped reading after"), "{on_one}");
        assert_eq!(read(4), on_one);
    }
}
