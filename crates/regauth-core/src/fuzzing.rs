//! Fuzz harnesses: one function per `fuzz/` target, each feeding arbitrary bytes to one parser
//! and asserting what must hold for any input (besides "does not panic").
//!
//! They live in the core, not in `fuzz/`, so that the internals they reach (the tnetstring
//! framer, the HAR and flow readers before sniffing) stay `pub(crate)`, and so that the
//! ordinary test run exercises them: `tests/fuzz_regressions.rs` runs every harness on seeds
//! taken from `samples/` and on every input fuzzing ever found a problem with. The `fuzz/`
//! crate only wraps each function in `libfuzzer_sys::fuzz_target!`.
//!
//! Not part of the supported API (hidden from the docs); the assertions here are the
//! properties the fuzzer checks, so a failed one is a finding, not a misuse.
#![allow(clippy::panic, reason = "a harness reports a broken property by panicking")]

use bytes::Bytes;

use crate::analysis::{AnalysisConfig, Code, Outcome, analyze};
use crate::capture::mitm::tnetstring::{self, Tag};
use crate::capture::{self, Capture, Input};
use crate::protocol::challenge::parse_challenges;
use crate::protocol::engine_api::{is_engine_api_path, parse_auth_body, parse_x_registry_auth};
use crate::protocol::scope::{parse_scope, parse_scope_list};
use crate::protocol::token_response::parse_token_response;
use crate::report::analysis::{AnalysisReport, Secrets};
use crate::report::check::{CheckReport, CheckSpec};
use crate::report::exchanges::ExchangeList;
use crate::report::github::render_github;
use crate::report::junit::render_junit;
use crate::report::markdown::render_check;
use crate::report::mermaid::render_mermaid;
use crate::report::runs::{CaptureRun, Checked};
use crate::report::svg::render_svg;
use crate::report::text::{TextStyle, render};
use crate::token::{REDACTED_SIGNATURE, TokenKind, decode_token, mask_token, verify_signature};

/// A harness: takes the fuzzer's bytes, panics when a property breaks.
pub type Harness = fn(&[u8]);

/// Every fuzz target, as named in `fuzz/Cargo.toml` and by `cargo xtask fuzz`, with its harness.
pub const TARGETS: &[(&str, Harness)] = &[
    ("tnetstring", tnetstring),
    ("flow", flow),
    ("har", har),
    ("challenge", challenge),
    ("scope", scope),
    ("token_response", token_response),
    ("jwt", jwt),
    ("registry_auth", registry_auth),
    ("pipeline", pipeline),
];

/// The tnetstring framer: lazy reading and the strict validator agree, every item lies
/// inside the input, and the fast paths for header lists and dict fields agree with reading
/// item by item.
pub fn tnetstring(data: &[u8]) {
    let Ok(top) = tnetstring::read_item(data, 0, data.len(), 0) else { return };
    assert!(top.end() <= data.len(), "item ends past the input");
    let strict = tnetstring::validate(top);
    // Walk the tree the way the flow decoder does (lazily), with an explicit stack.
    let mut lazy_ok = true;
    let mut stack = vec![top];
    'walk: while let Some(item) = stack.pop() {
        let mut fast_pairs = Vec::new();
        if item.string_pairs(|name, value| fast_pairs.push((name, value))) {
            assert_eq!(Some(fast_pairs), string_pairs_read_generically(item), "header fast path");
        }
        if let Ok(dict) = item.dict() {
            const NAMES: [&str; 4] = ["type", "version", "headers", ""];
            if let Some(fast) = dict.clone().fields_of_well_framed(&NAMES) {
                let located = |slots: [Option<tnetstring::Item<'_>>; 4]| {
                    slots.map(|slot| slot.map(|item| (item.offset(), item.end(), item.tag())))
                };
                let walked = dict.fields_walked(NAMES).map(located);
                assert_eq!(Ok(located(fast)), walked.map_err(drop), "dict fast path");
            }
        }
        match item.tag() {
            Tag::List | Tag::Dict => {
                let children: Vec<_> = if item.tag() == Tag::List {
                    match item.list() {
                        Ok(list) => list.collect(),
                        Err(_) => unreachable_tag(),
                    }
                } else {
                    match item.dict() {
                        Ok(dict) => dict
                            .flat_map(|pair| match pair {
                                Ok((key, value)) => vec![Ok(key), Ok(value)],
                                Err(err) => vec![Err(err)],
                            })
                            .collect(),
                        Err(_) => unreachable_tag(),
                    }
                };
                let mut previous_end = None;
                for child in children {
                    let Ok(child) = child else {
                        lazy_ok = false;
                        break 'walk;
                    };
                    assert!(child.end() <= item.end(), "child ends past its container");
                    assert!(
                        previous_end.is_none_or(|end| child.offset() >= end as u64),
                        "children overlap"
                    );
                    previous_end = Some(child.end());
                    stack.push(child);
                }
            }
            _ => {
                if item.check_scalar().is_err() {
                    lazy_ok = false;
                    break 'walk;
                }
            }
        }
    }
    assert_eq!(strict.is_ok(), lazy_ok, "validate and lazy reading disagree: {strict:?}");
}

/// A list of `[name, value]` string pairs read item by item, or `None` where that fails.
pub(crate) fn string_pairs_read_generically(
    list: tnetstring::Item<'_>,
) -> Option<Vec<(&[u8], &[u8])>> {
    let mut pairs = Vec::new();
    for field in list.list().ok()? {
        let mut parts = field.ok()?.list().ok()?;
        let (Some(name), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
            return None;
        };
        pairs.push((name.ok()?.as_bytes().ok()?, value.ok()?.as_bytes().ok()?));
    }
    Some(pairs)
}

fn unreachable_tag() -> ! {
    panic!("list()/dict() refused its own tag")
}

/// The mitmproxy flow reader (framing, version handling and the flow decoder), without
/// sniffing; and reading in small batches on three threads gives the same result.
pub fn flow(data: &[u8]) {
    read_on_one_and_three_threads(data, "fuzz.flow", capture::mitm::read_with);
}

/// The HAR reader, without sniffing; and reading ahead in small parts on three threads gives
/// the same result.
pub fn har(data: &[u8]) {
    read_on_one_and_three_threads(data, "fuzz.har", capture::har::read_with);
}

/// Reads `data` with `read` on one thread (checking what it read) and on three with small
/// batches and parts ([`capture::Batching::SMALL`]), and asserts the two results are the same.
fn read_on_one_and_three_threads(
    data: &[u8],
    name: &str,
    read: fn(&capture::ReaderContext<'_>, Bytes) -> capture::har::ReadResult,
) {
    let bytes = Bytes::copy_from_slice(data);
    let limits = capture::ReadLimits::DEFAULT;
    let context = capture::ReaderContext::new(0, name, data.len() as u64, &limits);
    let on_one = read(&context, bytes.clone());
    if let Ok((exchanges, problems, _producer)) = &on_one {
        check_read(data, exchanges, problems);
    }
    let limits = capture::ReadLimits { max_threads: 3, ..capture::ReadLimits::DEFAULT };
    let mut context = capture::ReaderContext::new(0, name, data.len() as u64, &limits);
    context.batching = capture::Batching::SMALL;
    let on_three = read(&context, bytes);
    assert_eq!(format!("{on_one:?}"), format!("{on_three:?}"), "threads changed the result");
}

fn check_read(
    data: &[u8],
    exchanges: &[crate::model::Exchange],
    problems: &[capture::InputProblem],
) {
    for problem in problems {
        if let Some(offset) = problem.location.byte_offset {
            assert!(offset <= data.len() as u64, "problem offset {offset} past the input");
        }
    }
    for exchange in exchanges {
        if let Some(offset) = exchange.origin.byte_offset {
            assert!(offset <= data.len() as u64, "entry offset {offset} past the input");
        }
        // Bodies are decoded on demand; decoding must respect its cap whatever the encoding.
        for body in std::iter::once(&exchange.request.body)
            .chain(exchange.response.as_ref().map(|response| &response.body))
        {
            if let Ok(decoded) = body.decoded(4096) {
                assert!(decoded.len() <= 4096, "decoded body exceeds its cap");
            }
        }
        let _ = (exchange.request.url(), exchange.request.authority());
    }
}

/// `WWW-Authenticate` values (one per line): parsing never fails, and every challenge it reads
/// prints (`Display`) to a value that parses back to the same challenge.
pub fn challenge(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (challenges, problems) = parse_challenges(text.split('\n'));
    for problem in &problems {
        let header = text.split('\n').nth(problem.header_index);
        assert!(header.is_some_and(|header| problem.byte_offset <= header.len()));
    }
    for challenge in &challenges {
        let printed = challenge.to_string();
        let (again, again_problems) = parse_challenges([printed.as_str()]);
        assert!(again_problems.is_empty(), "{printed:?} does not reparse: {again_problems:?}");
        assert_eq!(again.as_slice(), std::slice::from_ref(challenge), "round trip of {printed:?}");
        let _ = challenge.scopes_with_errors();
    }
}

/// Scope lists: every scope read prints to a string that parses back to it, and covers itself.
pub fn scope(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (scopes, _errors) = parse_scope_list(&text);
    for scope in &scopes {
        assert!(scope.covers(scope), "{scope} does not cover itself");
        assert!(scope.missing_actions(scope).is_empty());
        let printed = scope.to_string();
        let again = parse_scope(&printed);
        assert_eq!(again.as_ref(), Ok(scope), "round trip of {printed:?}");
    }
}

/// Token service answers: lifetimes are never below the clients' minimum, and the secrets
/// never show through `Debug`.
pub fn token_response(data: &[u8]) {
    if let Ok(response) = parse_token_response(data) {
        let lifetime = response.effective_lifetime_s();
        assert!(lifetime >= crate::protocol::token_response::MIN_LIFETIME_S);
        // Each secret field debugs as its mask and nothing else. (Searching the whole `Debug`
        // for the token's text gave false alarms: a token may equal part of another field.)
        for secret in
            [&response.token, &response.access_token, &response.refresh_token].into_iter().flatten()
        {
            assert_eq!(format!("{secret:?}"), format!("Secret({})", secret.masked()));
            assert_eq!(
                secret.masked(),
                crate::secret::Secret::new("x".repeat(secret.expose().chars().count())).masked()
            );
        }
    }
}

/// Tokens: decoding never fails, a decoded JWT's mask decodes back to the same claims with a
/// redacted signature, and the signature check terminates with a verdict.
pub fn jwt(data: &[u8]) {
    let raw = String::from_utf8_lossy(data);
    let decoded = decode_token(&raw);
    let masked = mask_token(&raw);
    if let TokenKind::Jwt(jwt) = &decoded.kind {
        let _ = verify_signature(&raw, jwt, &[]);
        let _ = crate::token::x5c_validity_at(jwt, 1_700_000_000);
        let _ = jwt.validity_at(1_700_000_000, crate::token::DISTRIBUTION_LEEWAY_S);
        let _ = (jwt.granted_scopes(), jwt.lifetime_s());
        let again = decode_token(&masked);
        let Some(again_jwt) = again.jwt() else {
            panic!("the mask of a JWT is not a JWT: {masked:?}");
        };
        assert_eq!(again_jwt.raw_claims(), jwt.raw_claims(), "masking changed the claims");
        assert!(masked.ends_with(REDACTED_SIGNATURE), "{masked:?}");
    }
}

/// Docker Engine API credentials: `X-Registry-Auth` values and `/auth` bodies.
pub fn registry_auth(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for config in
        [parse_x_registry_auth(&text).ok(), parse_auth_body(data).ok()].into_iter().flatten()
    {
        let _ = (config.carries_secret(), config.effective_username(), config.auth_pair());
        let _ = config.username_marks_identity_token();
    }
    let _ = is_engine_api_path(&text);
}

/// The whole path: sniff (and decompress), read, analyse, and build every report (JSON and
/// text, masked and revealed). The JSON must parse back, and the text must carry no control or
/// bidi character but line feeds, whatever the capture holds.
pub fn pipeline(data: &[u8]) {
    let (capture, _errors) = capture::read(&[Input::new("fuzz-input", data.to_vec())]);
    report_all(&capture);
}

fn report_all(capture: &Capture) {
    let analysis = analyze(capture, &AnalysisConfig::default());
    let exchanges = ExchangeList::from_capture(capture);
    let json = serde_json::to_string(&exchanges).unwrap_or_default();
    assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "exchanges JSON");
    for secrets in [Secrets::Masked, Secrets::Revealed] {
        let report = AnalysisReport::new(capture, &analysis, secrets);
        let json = serde_json::to_string(&report).unwrap_or_default();
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "analysis JSON");
        let text = render(&report, capture, TextStyle { color: false });
        assert_terminal_safe("the text report", &text);
        // `regauth check` over every code: its text is terminal-safe, its JUnit well-formed XML.
        let spec = CheckSpec {
            expect: Outcome::Success,
            deny: Code::ALL.to_vec(),
            allow: Vec::new(),
            max_clock_skew_s: Some(0.0),
        };
        let check = CheckReport::new(&report, &spec);
        assert_terminal_safe("the check text", &check.render_text());
        let run = CaptureRun::checked(
            vec!["fuzz-input".to_owned()],
            Checked { analysis: &report, exchanges: &exchanges.exchanges, check: Some(&check) },
        );
        assert_well_formed_xml(&render_junit(std::slice::from_ref(&run)));
        // The people and CI renderers: SVG is XML too; the others must not panic.
        assert_well_formed_xml(&render_svg(&report, &exchanges.exchanges, None));
        let _ = render_mermaid(&report, &exchanges.exchanges, None);
        let _ = render_check(std::slice::from_ref(&run));
        let _ = render_github(std::slice::from_ref(&run));
    }
}

fn assert_terminal_safe(what: &str, text: &str) {
    if let Some(bad) = text.chars().find(|&ch| ch != '\n' && crate::display::is_unsafe_char(ch)) {
        panic!("{what} writes {bad:?} raw:\n{text}");
    }
}

fn assert_well_formed_xml(xml: &str) {
    // XML 1.0 `Char`: no C0 control but tab, line feed and carriage return, no U+FFFE/U+FFFF.
    // quick-xml's reader does not check characters, so this does.
    let forbidden = |ch: char| {
        (ch < ' ' && !matches!(ch, '\t' | '\n' | '\r')) || ch == '\u{fffe}' || ch == '\u{ffff}'
    };
    if let Some(bad) = xml.chars().find(|&ch| forbidden(ch)) {
        panic!("JUnit carries {bad:?}, which XML 1.0 forbids:\n{xml}");
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(_) => {}
            Err(err) => {
                panic!("JUnit is not well-formed at {}: {err}\n{xml}", reader.buffer_position())
            }
        }
    }
    assert_eq!(depth, 0, "unbalanced JUnit:\n{xml}");
}

/// Seed inputs for each target, taken from one capture file (the bytes of a sample): the file
/// itself for the readers and the whole path, and the header values, bodies and tokens the
/// parsers see for the others. `cargo xtask fuzz` writes them to `fuzz/corpus/<target>/`.
pub fn seeds(name: &str, bytes: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut seeds: Vec<(&'static str, Vec<u8>)> = vec![("pipeline", bytes.to_vec())];
    let sniffed = capture::sniff(bytes);
    match sniffed.format {
        capture::Format::Har => seeds.push(("har", bytes.to_vec())),
        capture::Format::MitmproxyFlow => {
            seeds.push(("flow", bytes.to_vec()));
            // The tnetstring target gets single flows (a file is many top-level items).
            let mut pos = 0;
            while let Ok(item) = tnetstring::read_item(bytes, pos, bytes.len(), 0) {
                seeds.push(("tnetstring", bytes[pos..item.end()].to_vec()));
                pos = item.end();
                if pos >= bytes.len() || seeds.len() > 64 {
                    break;
                }
            }
        }
        capture::Format::Unknown => {}
    }
    let (capture, _errors) = capture::read(&[Input::new(name, bytes.to_vec())]);
    for exchange in &capture.exchanges {
        for (header_name, value) in exchange.request.headers.iter() {
            if header_name.eq_ignore_ascii_case("x-registry-auth") {
                seeds.push(("registry_auth", value.as_bytes().to_vec()));
            } else if header_name.eq_ignore_ascii_case("authorization")
                && let Some(token) = value.strip_prefix("Bearer ")
            {
                seeds.push(("jwt", token.as_bytes().to_vec()));
            }
        }
        if let Some(query) = exchange.request.path.split_once('?').map(|(_, query)| query) {
            for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                if key == "scope" {
                    seeds.push(("scope", value.as_bytes().to_vec()));
                }
            }
        }
        if is_engine_api_path(exchange.request.path_only()).is_some()
            && let Ok(body) = exchange.request.body.decoded(1 << 16)
            && !body.is_empty()
        {
            seeds.push(("registry_auth", body.into_owned()));
        }
        let Some(response) = &exchange.response else { continue };
        let challenges: Vec<_> = response
            .headers
            .iter()
            .filter(|(header_name, _)| header_name.eq_ignore_ascii_case("www-authenticate"))
            .map(|(_, value)| value)
            .collect();
        if !challenges.is_empty() {
            seeds.push(("challenge", challenges.join("\n").into_bytes()));
        }
        if response.status == 200
            && let Ok(body) = response.body.decoded(1 << 16)
            && body.starts_with(b"{")
            && (body.windows(7).any(|window| window == b"\"token\"")
                || body.windows(14).any(|window| window == b"\"access_token\""))
        {
            if let Ok(parsed) = parse_token_response(&body)
                && let Some(token) = parsed.effective_token()
            {
                seeds.push(("jwt", token.expose().as_bytes().to_vec()));
            }
            seeds.push(("token_response", body.into_owned()));
        }
    }
    seeds.sort();
    seeds.dedup();
    seeds
}
