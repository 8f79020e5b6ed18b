//! The redaction guarantee, checked on every recorded sample (every `*.flow` and `*.har` under
//! `samples/`, found by walking the directory, so samples added later are covered too), plain
//! and gzip-compressed:
//!
//! 1. no known secret survives in the redacted copy in any spelling: raw, JSON-escaped,
//!    percent-encoded (form and RFC 3986), base64 and base64url (padded or not) and inside a
//!    longer base64 run at each of the three byte alignments; searched in the copy's bytes and
//!    in every header, path and decoded body (content-encoding undone) regauth reads from it.
//!    Known secrets are the passwords of the accounts table in `samples/README.md` and every
//!    password, token, refresh token, identity token and cookie found in the *original* by the
//!    core's protocol parsers (independent of the redaction code), plus every JWT in its bytes;
//! 2. the copy analyses the same: overall outcome, sessions (registry, repository, scheme,
//!    outcome, failing step and exchange, steps), finding codes with severity and step, clocks,
//!    and each issued token's uses and refused uses (so token uses still match their issue);
//! 3. the copy reads the same: same exchanges, methods, statuses, hosts and paths (query values
//!    may be masked), same header names;
//! 4. the original bytes are untouched, and redacting the copy again changes nothing.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use regauth_core::analysis::{Analysis, AnalysisConfig, analyze};
use regauth_core::capture::{self, Capture, Compression, Input};
use regauth_core::protocol::{
    Authorization, Credential, parse_auth_body, parse_authorization, parse_token_request,
    parse_token_response, parse_x_registry_auth,
};
use regauth_core::redact::{MARKER, RedactConfig, redact};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

fn collect_samples(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name =
            path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            if name != "record" {
                collect_samples(&path, out);
            }
        } else if [".flow", ".har", ".flow.gz", ".har.gz"].iter().any(|ext| name.ends_with(ext)) {
            out.push(path);
        }
    }
}

fn samples() -> Vec<PathBuf> {
    let mut files = Vec::new();
    collect_samples(&samples_dir(), &mut files);
    files.sort();
    assert!(files.len() >= 70, "the corpus shrank to {} files", files.len());
    files
}

/// The passwords of the accounts table in samples/README.md (the third column).
fn readme_passwords() -> Vec<String> {
    let readme =
        std::fs::read_to_string(samples_dir().join("README.md")).expect("samples/README.md");
    let table = readme.split("Test accounts").nth(1).expect("an accounts table");
    let mut passwords = Vec::new();
    for line in table
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
    {
        let columns: Vec<&str> = line.split('|').map(str::trim).collect();
        if let Some(column) = columns.get(3) {
            passwords.extend(
                column
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .filter(|text| text.contains("pass"))
                    .map(str::to_owned),
            );
        }
    }
    assert!(passwords.len() >= 4, "accounts table not found: {passwords:?}");
    passwords
}

fn label(path: &Path) -> String {
    path.strip_prefix(samples_dir()).unwrap_or(path).display().to_string()
}

fn read(name: &str, bytes: &[u8]) -> Capture {
    let (capture, errors) = capture::read(&[Input::new(name, bytes.to_vec())]);
    assert!(errors.is_empty(), "{name}: {errors:?}");
    capture
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes.to_vec();
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out).expect("gunzip");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// Secrets found in the original, by what they are.
#[derive(Default)]
struct Known(BTreeMap<String, &'static str>);

impl Known {
    fn add(&mut self, value: &str, what: &'static str) {
        let value = value.trim();
        if value.len() >= 8 && !value.contains(MARKER) {
            self.0.entry(value.to_owned()).or_insert(what);
        }
    }

    /// A token: the whole of it, and for a JWT its signature.
    fn add_token(&mut self, token: &str, what: &'static str) {
        self.add(token, what);
        let parts: Vec<&str> = token.trim().split('.').collect();
        if parts.len() == 3 && parts[0].starts_with("eyJ") {
            self.add(parts[2], "jwt signature");
        }
    }
}

fn body_text(body: &regauth_core::model::Body) -> Vec<u8> {
    body.decoded(64 << 20).map(|bytes| bytes.into_owned()).unwrap_or_default()
}

/// Every secret the core's protocol parsers (not the redaction code) find in a capture, and
/// every JWT in its bytes.
fn known_secrets(capture: &Capture, raw: &[u8]) -> Known {
    let mut known = Known::default();
    for exchange in &capture.exchanges {
        let request = &exchange.request;
        for (name, value) in request.headers.iter() {
            if name.eq_ignore_ascii_case("authorization")
                || name.eq_ignore_ascii_case("proxy-authorization")
            {
                match parse_authorization(&value) {
                    Ok(Authorization::Basic { password, .. }) => {
                        known.add(password.expose(), "basic password")
                    }
                    Ok(Authorization::Bearer(token)) => {
                        known.add_token(token.expose(), "bearer token")
                    }
                    _ => {}
                }
            }
            if name.eq_ignore_ascii_case("x-registry-auth")
                && let Ok(config) = parse_x_registry_auth(&value)
            {
                add_auth_config(&mut known, &config);
            }
            if name.eq_ignore_ascii_case("cookie") {
                for pair in value.split(';') {
                    if let Some((_, cookie)) = pair.split_once('=') {
                        known.add(cookie, "cookie");
                    }
                }
            }
        }
        let token_request = parse_token_request(request);
        match &token_request.credential {
            Credential::Basic { password, .. } | Credential::Password { password, .. } => {
                known.add(password.expose(), "token request password")
            }
            Credential::RefreshToken(token) => {
                known.add_token(token.expose(), "refresh token (request)")
            }
            Credential::Bearer(token) => known.add_token(token.expose(), "bearer token (request)"),
            Credential::Anonymous => {}
        }
        let request_body = body_text(&request.body);
        if let Ok(config) = parse_auth_body(&request_body) {
            add_auth_config(&mut known, &config);
        }
        let Some(response) = &exchange.response else { continue };
        for value in response.headers.get_all("set-cookie") {
            if let Some((_, rest)) = value.split_once('=') {
                known.add(rest.split(';').next().unwrap_or_default(), "set-cookie");
            }
        }
        let response_body = body_text(&response.body);
        if let Ok(tokens) = parse_token_response(&response_body) {
            for token in [&tokens.token, &tokens.access_token].into_iter().flatten() {
                known.add_token(token.expose(), "issued token");
            }
            if let Some(refresh) = &tokens.refresh_token {
                known.add_token(refresh.expose(), "refresh token");
            }
        }
        if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(&response_body) {
            for (key, value) in &object {
                if key.eq_ignore_ascii_case("identitytoken")
                    && let Some(token) = value.as_str()
                {
                    known.add_token(token, "identity token");
                }
            }
        }
    }
    for token in jwts_in(raw) {
        known.add_token(&token, "jwt in the file");
    }
    known
}

fn add_auth_config(known: &mut Known, config: &regauth_core::protocol::RegistryAuthConfig) {
    if let Some(password) = &config.password {
        known.add(password.expose(), "engine password");
    }
    for token in [&config.identitytoken, &config.registrytoken].into_iter().flatten() {
        known.add_token(token.expose(), "engine identity token");
    }
    if let Some((_, password)) = config.auth_pair() {
        known.add(password.expose(), "engine auth password");
    }
}

/// Every `header.claims.signature` whose header starts `eyJ`, as plain text in `bytes`.
fn jwts_in(bytes: &[u8]) -> Vec<String> {
    let is_segment = |byte: &u8| byte.is_ascii_alphanumeric() || *byte == b'-' || *byte == b'_';
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(at) =
        bytes[pos..].windows(3).position(|window| window == b"eyJ").map(|idx| pos + idx)
    {
        let mut end = at;
        let mut dots = 0;
        while end < bytes.len() && (is_segment(&bytes[end]) || (bytes[end] == b'.' && dots < 2)) {
            dots += usize::from(bytes[end] == b'.');
            end += 1;
        }
        if dots == 2 {
            found.push(String::from_utf8_lossy(&bytes[at..end]).into_owned());
        }
        pos = end.max(at + 1);
    }
    found
}

/// Every spelling of `secret` the copy must not contain.
fn spellings(secret: &str) -> Vec<(String, Vec<u8>)> {
    let bytes = secret.as_bytes();
    let mut out: Vec<(String, Vec<u8>)> = vec![("raw".into(), bytes.to_vec())];
    let json = serde_json::to_string(secret).expect("json");
    out.push(("json-escaped".into(), json.as_bytes()[1..json.len() - 1].to_vec()));
    let form: String = form_urlencoded::byte_serialize(bytes).collect();
    out.push(("percent (form)".into(), form.clone().into_bytes()));
    out.push(("percent (rfc 3986)".into(), form.replace('+', "%20").into_bytes()));
    for (name, engine) in [
        ("base64", &STANDARD),
        ("base64 unpadded", &STANDARD_NO_PAD),
        ("base64url", &URL_SAFE),
        ("base64url unpadded", &URL_SAFE_NO_PAD),
    ] {
        out.push((name.into(), engine.encode(bytes).into_bytes()));
    }
    for offset in 0..3usize {
        let mut shifted = vec![b'x'; offset];
        shifted.extend_from_slice(bytes);
        let first = (4 * offset).div_ceil(3);
        let last = 4 * (offset + bytes.len()) / 3;
        for (name, engine) in
            [("base64 run", &STANDARD_NO_PAD), ("base64url run", &URL_SAFE_NO_PAD)]
        {
            let encoded = engine.encode(&shifted);
            out.push((
                format!("{name} at alignment {offset}"),
                encoded.as_bytes()[first..last].to_vec(),
            ));
        }
    }
    out
}

/// Everything regauth reads from a capture, where a secret could hide: paths, header values,
/// decoded bodies.
fn readable_texts(capture: &Capture) -> Vec<Vec<u8>> {
    let mut texts = Vec::new();
    for exchange in &capture.exchanges {
        texts.push(exchange.request.path.clone().into_bytes());
        for (_, value) in exchange.request.headers.iter() {
            texts.push(value.as_bytes().to_vec());
        }
        texts.push(body_text(&exchange.request.body));
        if let Some(response) = &exchange.response {
            for (_, value) in response.headers.iter() {
                texts.push(value.as_bytes().to_vec());
            }
            texts.push(body_text(&response.body));
        }
    }
    texts
}

/// What must not change between the original and the copy.
fn analysis_summary(analysis: &Analysis) -> Vec<String> {
    let mut summary = vec![format!("outcome {:?}", analysis.outcome)];
    for session in &analysis.sessions {
        summary.push(format!(
            "session {} {:?} {:?} {:?} {:?} {:?} failed {:?} at #{:?} steps {:?} exchanges {:?}",
            session.registry,
            session.repository,
            session.scheme,
            session.realm,
            session.service,
            session.outcome,
            session.failed_step,
            session.failed_exchange,
            session.steps,
            session.exchanges
        ));
    }
    for finding in &analysis.findings {
        summary.push(format!("finding {} {:?} {:?}", finding.code, finding.severity, finding.step));
    }
    for clock in &analysis.clocks {
        summary.push(format!(
            "clock {} {:?} {:.3} ±{:.3}",
            clock.host, clock.role, clock.offset_s, clock.uncertainty_s
        ));
    }
    for token in &analysis.tokens {
        summary.push(format!(
            "token issued by #{} in {:?} ({}) used by {:?} refused {:?} lifetime {}",
            token.issued_by,
            token.session,
            token.credential_kind(),
            token.uses,
            token.rejected_uses,
            token.effective_lifetime_s
        ));
    }
    summary
}

fn exchange_summary(capture: &Capture) -> Vec<String> {
    capture
        .exchanges
        .iter()
        .map(|exchange| {
            let request = &exchange.request;
            let query_names: Vec<&str> = request
                .query()
                .unwrap_or("")
                .split('&')
                .map(|pair| pair.split('=').next().unwrap_or(""))
                .collect();
            let header_names: Vec<&str> = request.headers.iter().map(|(name, _)| name).collect();
            format!(
                "#{} {} {}://{}:{}{} {:?} {:?} -> {:?} {:?}",
                exchange.index,
                request.method,
                request.scheme,
                request.host,
                request.port,
                request.path_only(),
                query_names,
                header_names,
                exchange.response.as_ref().map(|response| response.status),
                exchange.response.as_ref().map(|response| response
                    .headers
                    .iter()
                    .map(|(name, _)| name.to_owned())
                    .collect::<Vec<_>>()),
            )
        })
        .collect()
}

struct Totals {
    files: usize,
    gzip_files: usize,
    secrets: usize,
    checks: usize,
    masked: usize,
}

/// Checks one capture; returns the secrets its original held.
fn check_one(
    name: &str,
    original: &[u8],
    readme_passwords: &[String],
    totals: &mut Totals,
    failures: &mut Vec<String>,
) -> Known {
    let original_copy = original.to_vec();
    let plain_original = gunzip(original);
    let capture = read(name, original);
    let mut known = known_secrets(&capture, &plain_original);
    let found_in_original = Known(known.0.clone());
    for password in readme_passwords {
        known.add(password, "accounts table password");
    }
    let redacted = match redact(original, &RedactConfig::default()) {
        Ok(redacted) => redacted,
        Err(err) => {
            failures.push(format!("{name}: redaction failed: {err}"));
            return found_in_original;
        }
    };
    assert_eq!(original, &original_copy[..], "{name}: the original was modified");
    assert_eq!(
        redacted.bytes.starts_with(&[0x1f, 0x8b]),
        original.starts_with(&[0x1f, 0x8b]),
        "{name}: the copy has another compression"
    );
    if original.starts_with(&[0x1f, 0x8b]) {
        assert_eq!(redacted.compression, Compression::Gzip);
    }
    let plain_copy = gunzip(&redacted.bytes);
    let copy_name = format!("{name} (redacted)");
    let copy = read(&copy_name, &redacted.bytes);
    let texts = readable_texts(&copy);

    totals.files += 1;
    totals.secrets += known.0.len();
    totals.masked += redacted.masked.len();
    // One automaton over every spelling of every secret, run over the copy's bytes and over
    // everything regauth reads from it.
    let mut needles = Vec::new();
    let mut described = Vec::new();
    for (secret, what) in &known.0 {
        for (spelling, needle) in spellings(secret) {
            if needle.len() >= 8 {
                needles.push(needle);
                described.push(format!("a {what} ({} chars) survives as {spelling}", secret.len()));
            }
        }
    }
    totals.checks += needles.len();
    let automaton = aho_corasick::AhoCorasick::new(&needles).expect("automaton");
    for haystack in std::iter::once(&plain_copy).chain(&texts) {
        for found in automaton.find_overlapping_iter(haystack.as_slice()) {
            failures.push(format!("{name}: {}", described[found.pattern().as_usize()]));
        }
    }
    for item in &redacted.masked {
        assert!(
            !known.0.keys().any(|secret| item.field.contains(secret.as_str())),
            "{name}: a masked item's field names a secret"
        );
    }

    let config = AnalysisConfig::default();
    let before = analysis_summary(&analyze(&capture, &config));
    let after = analysis_summary(&analyze(&copy, &config));
    if before != after {
        let first = before.iter().zip(&after).find(|(a, b)| a != b);
        failures.push(format!(
            "{name}: analyses differ: {first:?} ({} vs {} lines)",
            before.len(),
            after.len()
        ));
    }
    if exchange_summary(&capture) != exchange_summary(&copy) {
        let before = exchange_summary(&capture);
        let after = exchange_summary(&copy);
        let first = before.iter().zip(&after).find(|(a, b)| a != b);
        failures.push(format!("{name}: exchanges differ: {first:?}"));
    }
    match redact(&redacted.bytes, &RedactConfig::default()) {
        Ok(again) if gunzip(&again.bytes) == plain_copy => {}
        Ok(_) => failures.push(format!("{name}: redacting the copy again changed it")),
        Err(err) => failures.push(format!("{name}: redacting the copy again failed: {err}")),
    }
    found_in_original
}

#[test]
fn no_known_secret_survives_and_every_sample_analyses_the_same() {
    let passwords = readme_passwords();
    let mut totals = Totals { files: 0, gzip_files: 0, secrets: 0, checks: 0, masked: 0 };
    let mut failures = Vec::new();
    let mut passwords_seen = std::collections::BTreeSet::new();
    for path in samples() {
        let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let found = check_one(&label(&path), &bytes, &passwords, &mut totals, &mut failures);
        passwords_seen
            .extend(passwords.iter().filter(|password| found.0.contains_key(*password)).cloned());
    }
    // The parsers find the account passwords in the originals, so the check is not vacuous
    // (bob's account exists but no scenario logs in as bob).
    assert!(passwords_seen.len() >= 3, "account passwords found: {passwords_seen:?}");
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    assert!(totals.secrets >= 300, "only {} secrets found in the corpus", totals.secrets);
    assert!(
        totals.masked >= totals.secrets,
        "{} masked items for {} secrets",
        totals.masked,
        totals.secrets
    );
    #[allow(clippy::print_stderr, reason = "the figures the README quotes")]
    {
        eprintln!(
            "redaction guarantee: {} files, {} known secrets, {} spellings checked, {} values masked",
            totals.files, totals.secrets, totals.checks, totals.masked
        );
    }
    let _ = totals.gzip_files;
}

#[test]
fn gzip_compressed_samples_stay_gzip_and_keep_the_guarantee() {
    let passwords = readme_passwords();
    let mut totals = Totals { files: 0, gzip_files: 0, secrets: 0, checks: 0, masked: 0 };
    let mut failures = Vec::new();
    for name in [
        "docker-login-pull-push.flow",
        "oauth2-post.har",
        "chromium-playwright.har",
        "basic-plain-http.flow",
    ] {
        let bytes = std::fs::read(samples_dir().join(name)).expect("sample");
        check_one(&format!("{name}.gz"), &gzip(&bytes), &passwords, &mut totals, &mut failures);
        totals.gzip_files += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(totals.secrets > 20, "{}", totals.secrets);
}
