//! Unit tests of redaction on hand-written fixtures; the recorded corpus is covered by
//! `tests/redact.rs`.

use std::io::{Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

use super::*;
use crate::capture::{self, Input};

const PASSWORD: &str = "s3cret-Passw0rd!";
const REFRESH: &str = "rt-9fK2mQx7LpZ4vB8nW1cY6hJ3dT5sR0aE";
/// A JWT shape (header and claims are real base64url JSON; the signature is random text).
const JWT_SIGNATURE: &str = "Xb3k9QmZ7vLr2pT8sWc1yN4hD6fJ0aGe5uKiOqRtVwYxAzBnCmEoFlHpIsUj";

fn jwt() -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(
        br#"{"iss":"issuer","sub":"writer","aud":"registry.test","exp":2000000000,"access":[{"type":"repository","name":"a/b","actions":["pull"]}]}"#,
    );
    format!("{header}.{claims}.{JWT_SIGNATURE}")
}

/// A tnetstring value, for hand-written flow fixtures.
enum T<'a> {
    B(&'a [u8]),
    S(&'a str),
    I(i64),
    F(f64),
    N,
    L(Vec<T<'a>>),
    D(Vec<(&'a str, T<'a>)>),
}

fn tnet(value: &T<'_>) -> Vec<u8> {
    let (payload, tag): (Vec<u8>, u8) = match value {
        T::B(bytes) => (bytes.to_vec(), b','),
        T::S(text) => (text.as_bytes().to_vec(), b';'),
        T::I(number) => (number.to_string().into_bytes(), b'#'),
        T::F(number) => (number.to_string().into_bytes(), b'^'),
        T::N => (Vec::new(), b'~'),
        T::L(items) => (items.iter().flat_map(tnet).collect(), b']'),
        T::D(pairs) => (
            pairs
                .iter()
                .flat_map(|(key, value)| [tnet(&T::S(key)), tnet(value)].concat())
                .collect(),
            b'}',
        ),
    };
    [payload.len().to_string().into_bytes(), vec![b':'], payload, vec![tag]].concat()
}

fn headers<'a>(pairs: &[(&'a str, &'a str)]) -> T<'a> {
    T::L(
        pairs
            .iter()
            .map(|(name, value)| T::L(vec![T::B(name.as_bytes()), T::B(value.as_bytes())]))
            .collect(),
    )
}

// hand-written fixture: one mitmproxy 11 style HTTP flow
fn flow<'a>(
    method: &'a str,
    path: &'a str,
    request_headers: &[(&'a str, &'a str)],
    request_body: &'a [u8],
    response_headers: &[(&'a str, &'a str)],
    response_body: &'a [u8],
    extra: Vec<(&'a str, T<'a>)>,
) -> Vec<u8> {
    let mut fields = vec![
        ("version", T::I(21)),
        ("type", T::S("http")),
        ("id", T::S("0f2a")),
        (
            "request",
            T::D(vec![
                ("method", T::B(method.as_bytes())),
                ("scheme", T::B(b"https")),
                ("host", T::S("registry.test")),
                ("port", T::I(443)),
                ("path", T::B(path.as_bytes())),
                ("authority", T::B(b"")),
                ("http_version", T::B(b"HTTP/1.1")),
                ("headers", headers(request_headers)),
                ("content", T::B(request_body)),
                ("trailers", T::N),
                ("timestamp_start", T::F(1_700_000_000.25)),
                ("timestamp_end", T::F(1_700_000_000.5)),
            ]),
        ),
        (
            "response",
            T::D(vec![
                ("status_code", T::I(200)),
                ("reason", T::B(b"OK")),
                ("http_version", T::B(b"HTTP/1.1")),
                ("headers", headers(response_headers)),
                ("content", T::B(response_body)),
                ("trailers", T::N),
                ("timestamp_start", T::F(1_700_000_000.75)),
                ("timestamp_end", T::F(1_700_000_001.0)),
            ]),
        ),
        ("error", T::N),
    ];
    fields.extend(extra);
    tnet(&T::D(fields))
}

fn redacted(input: &[u8]) -> Redacted {
    redact(input, &RedactConfig::default()).unwrap_or_else(|err| panic!("redaction failed: {err}"))
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    memchr::memmem::find(haystack, needle.as_bytes()).is_some()
}

fn read_one(bytes: &[u8]) -> crate::model::Exchange {
    let (capture, errors) = capture::read(&[Input::new("copy", bytes.to_vec())]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(capture.problems.is_empty(), "{:?}", capture.problems);
    assert_eq!(capture.exchanges.len(), 1);
    capture.exchanges.into_iter().next().unwrap()
}

fn body_of(body: &crate::model::Body) -> String {
    String::from_utf8(body.decoded(1 << 20).unwrap().into_owned()).unwrap()
}

fn kinds(redacted: &Redacted) -> Vec<(String, SecretKind)> {
    redacted.masked.iter().map(|item| (item.field.clone(), item.kind)).collect()
}

#[test]
fn x_registry_auth_keeps_user_and_server_in_both_alphabets_padded_or_not() {
    // Six `?` in a row give a `/` (standard) or `_` (URL-safe) at any alignment, before and after.
    let config = format!(
        r#"{{"username":"writer","password":"{PASSWORD}","serveraddress":"registry.test:5000","email":"??????"}}"#
    );
    for (engine, name) in [
        (&URL_SAFE, "url-safe padded"),
        (&URL_SAFE_NO_PAD, "url-safe"),
        (&STANDARD, "standard padded"),
        (&STANDARD_NO_PAD, "standard"),
    ] {
        let header = engine.encode(config.as_bytes());
        let input = flow(
            "POST",
            "/v1.41/images/create",
            &[("X-Registry-Auth", &header)],
            b"",
            &[],
            b"",
            vec![],
        );
        let copy = redacted(&input);
        let exchange = read_one(&copy.bytes);
        let value = exchange.request.headers.get("x-registry-auth").unwrap();
        assert_eq!(
            value.contains(['-', '_']),
            header.contains(['-', '_']),
            "{name}: alphabet kept"
        );
        assert_eq!(
            value.contains(['+', '/']),
            header.contains(['+', '/']),
            "{name}: alphabet kept"
        );
        assert_eq!(value.ends_with('='), header.ends_with('='), "{name}: padding kept");
        let parsed = crate::protocol::parse_x_registry_auth(&value).unwrap();
        assert_eq!(parsed.username.as_deref(), Some("writer"), "{name}");
        assert_eq!(parsed.serveraddress.as_deref(), Some("registry.test:5000"), "{name}");
        assert_eq!(
            parsed.password.as_ref().map(|p| p.expose().to_owned()),
            Some(MARKER.to_owned())
        );
        assert!(!contains(&copy.bytes, PASSWORD), "{name}");
        assert_eq!(
            kinds(&copy),
            [(
                "request.headers X-Registry-Auth (base64 json) password".to_owned(),
                SecretKind::Password
            )]
        );
    }
    // `{}` carries nothing and stays byte for byte.
    let anonymous =
        flow("POST", "/v1.41/images/create", &[("X-Registry-Auth", "e30=")], b"", &[], b"", vec![]);
    assert_eq!(redacted(&anonymous).bytes, anonymous);
}

#[test]
fn authorization_basic_bearer_and_other_schemes() {
    let basic = format!("Basic {}", STANDARD.encode(format!("alice:{PASSWORD}")));
    let unpadded_basic = format!("basic {}", URL_SAFE_NO_PAD.encode(format!("bob:{PASSWORD}??")));
    let bearer = format!("Bearer {}", jwt());
    let cases: [(&str, &str); 5] = [
        ("Authorization", &basic),
        ("Proxy-Authorization", &unpadded_basic),
        ("Authorization", &bearer),
        ("Authorization", "Bearer ya29.a0AfH6SMBx3kD8-ZrLqWmN0pTyUvC2hJk"),
        (
            "Authorization",
            "Digest username=\"alice\", response=\"6629fae49393a05397450978507c4ef1\"",
        ),
    ];
    let mut rewritten = Vec::new();
    for (name, value) in cases {
        let input = flow("GET", "/v2/", &[(name, value)], b"", &[], b"", vec![]);
        let copy = redacted(&input);
        let exchange = read_one(&copy.bytes);
        rewritten.push(exchange.request.headers.get(name).unwrap().into_owned());
        assert!(!contains(&copy.bytes, PASSWORD));
    }
    match crate::protocol::parse_authorization(&rewritten[0]).unwrap() {
        crate::protocol::Authorization::Basic { username, password } => {
            assert_eq!((username.as_str(), password.expose()), ("alice", MARKER));
        }
        other => panic!("{other:?}"),
    }
    assert!(rewritten[0].ends_with('='), "padding kept: {}", rewritten[0]);
    assert!(rewritten[1].starts_with("basic ") && !rewritten[1].ends_with('='));
    let (signing_input, _) =
        jwt().rsplit_once('.').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap();
    assert!(
        rewritten[2].starts_with(&format!("Bearer {signing_input}.{MARKER}-")),
        "{}",
        rewritten[2]
    );
    assert!(!rewritten[2].contains(JWT_SIGNATURE));
    let decoded = crate::token::decode_token(rewritten[2].trim_start_matches("Bearer "));
    assert_eq!(decoded.jwt().unwrap().signature, crate::token::SignatureState::Redacted);
    assert_eq!(decoded.jwt().unwrap().claims.sub.as_deref(), Some("writer"));
    assert!(rewritten[3].starts_with(&format!("Bearer ya29.{MARKER}-")), "{}", rewritten[3]);
    assert_eq!(rewritten[4], format!("Digest {MARKER}"));
}

#[test]
fn vendor_tokens_are_masked_wherever_they_stand() {
    let text = "note: use ghp_16C7e42F292c6912E7710c838347Ae178B4a, key AIzaSyA-1234567890abcdefghijklmnopqrstu; not ghp_short";
    let copy = redacted(&flow(
        "POST",
        "/notes",
        &[("Content-Type", "text/plain")],
        text.as_bytes(),
        &[],
        b"",
        vec![],
    ));
    let body = body_of(&read_one(&copy.bytes).request.body);
    assert!(body.starts_with(&format!("note: use ghp_{MARKER}-")), "{body}");
    assert!(body.contains(&format!(", key AIza{MARKER}-")), "{body}");
    assert!(body.ends_with("; not ghp_short"), "{body}");
    assert!(!body.contains("16C7e42F") && !body.contains("SyA-12345"));
}

#[test]
fn tokens_used_as_basic_passwords_keep_their_kind() {
    let ya29 = "ya29.a0AfH6SMBx3kD8-ZrLqWmN0pTyUvC2hJk";
    let cases = [
        format!("oauth2accesstoken:{ya29}"),
        format!("00000000-0000-0000-0000-000000000000:{}", jwt()),
        format!("alice:{PASSWORD}"),
    ];
    let mut passwords = Vec::new();
    for pair in &cases {
        let header = format!("Basic {}", STANDARD.encode(pair));
        let copy =
            redacted(&flow("GET", "/v2/", &[("Authorization", &header)], b"", &[], b"", vec![]));
        let exchange = read_one(&copy.bytes);
        match crate::protocol::parse_authorization(
            exchange.request.headers.get("authorization").as_deref().unwrap(),
        ) {
            Ok(crate::protocol::Authorization::Basic { password, .. }) => {
                passwords.push(password.expose().to_owned())
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(passwords[0].starts_with(&format!("ya29.{MARKER}-")), "{}", passwords[0]);
    let (signing_input, _) =
        jwt().rsplit_once('.').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap();
    assert!(passwords[1].starts_with(&format!("{signing_input}.{MARKER}-")), "{}", passwords[1]);
    assert_eq!(passwords[2], MARKER);
}

#[test]
fn one_token_gets_one_replacement_everywhere() {
    let token_response = format!(
        r#"{{"token": "{jwt}", "access_token": "{jwt}", "expires_in": 300, "refresh_token": "{REFRESH}"}}"#,
        jwt = jwt()
    );
    let form = format!(
        "grant_type=refresh_token&refresh_token={REFRESH}&service=registry.test&client_id=docker"
    );
    let registry_auth = URL_SAFE.encode(format!(r#"{{"identitytoken":"{REFRESH}"}}"#));
    let mut input = flow(
        "POST",
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", &form.len().to_string()),
        ],
        form.as_bytes(),
        &[("Content-Type", "application/json")],
        token_response.as_bytes(),
        vec![],
    );
    let bearer = format!("Bearer {}", jwt());
    input.extend(flow(
        "GET",
        "/v2/a/b/manifests/1",
        &[("Authorization", &bearer)],
        b"",
        &[],
        b"",
        vec![],
    ));
    input.extend(flow(
        "POST",
        "/v1.41/images/create",
        &[("X-Registry-Auth", &registry_auth)],
        b"",
        &[],
        b"",
        vec![],
    ));
    let copy = redacted(&input);
    assert!(!contains(&copy.bytes, REFRESH) && !contains(&copy.bytes, JWT_SIGNATURE));
    let (capture, _) = capture::read(&[Input::new("copy", copy.bytes.clone())]);
    let response = crate::protocol::parse_token_response(
        &capture.exchanges[0].response.as_ref().unwrap().body.decoded(1 << 20).unwrap(),
    )
    .unwrap();
    let issued = response.token.unwrap().expose().to_owned();
    let refresh = response.refresh_token.unwrap().expose().to_owned();
    assert_eq!(response.access_token.unwrap().expose(), issued);
    assert!(refresh.starts_with(MARKER) && refresh.len() == MARKER.len() + 9, "{refresh}");
    let form = body_of(&capture.exchanges[0].request.body);
    assert!(form.contains(&format!("refresh_token={refresh}&")), "{form}");
    assert_eq!(
        capture.exchanges[0].request.headers.get("content-length").as_deref(),
        Some(form.len().to_string().as_str()),
        "Content-Length follows the body"
    );
    assert_eq!(
        capture.exchanges[1].request.headers.get("authorization").as_deref(),
        Some(format!("Bearer {issued}").as_str())
    );
    let identity = crate::protocol::parse_x_registry_auth(
        capture.exchanges[2].request.headers.get("x-registry-auth").as_deref().unwrap(),
    )
    .unwrap();
    assert_eq!(identity.identitytoken.unwrap().expose(), refresh);
    // The analysis still ties the Bearer use to the token's issue.
    let analysis = crate::analysis::analyze(&capture, &crate::analysis::AnalysisConfig::default());
    assert_eq!(analysis.tokens.first().map(|token| token.uses.clone()), Some(vec![1]));
}

#[test]
fn urls_lose_secret_query_values_and_userinfo_passwords_only() {
    let path = format!(
        "/token?service=registry.test&scope=repository%3Aa%2Fb%3Apull&offline_token=true&account=alice&password={}&access_token=abcdefghijklmnop&X-Amz-Signature=0123456789abcdef0123&client_secret=shh-its-a-secret#id_token=zyxwvutsrqponmlk",
        PASSWORD.replace('!', "%21")
    );
    let location = format!(
        "https://alice:{}@cdn.test/blob?sig=SIGNATURE0123456789&expires=99",
        PASSWORD.replace('!', "%21")
    );
    let input =
        flow("GET", &path, &[("Referer", &location)], b"", &[("Location", &location)], b"", vec![]);
    let copy = redacted(&input);
    let exchange = read_one(&copy.bytes);
    let new_path = exchange.request.path.clone();
    for secret in
        [PASSWORD, "%21", "abcdefghijklmnop", "0123456789abcdef0123", "shh-its", "zyxwvutsrqponmlk"]
    {
        assert!(!new_path.contains(secret), "{secret} in {new_path}");
    }
    assert!(
        new_path.starts_with("/token?service=registry.test&scope=repository%3Aa%2Fb%3Apull&offline_token=true&account=alice&password=redacted-by-regauth&access_token=redacted-by-regauth-"),
        "{new_path}"
    );
    assert!(
        new_path.contains(&format!("&client_secret={MARKER}#id_token={MARKER}-")),
        "{new_path}"
    );
    let new_location =
        exchange.response.unwrap().headers.get("location").as_deref().unwrap().to_owned();
    assert!(
        new_location.starts_with(&format!("https://alice:{MARKER}@cdn.test/blob?sig={MARKER}-"))
    );
    assert!(
        new_location.ends_with("&expires=99") && !new_location.contains("SIGNATURE"),
        "{new_location}"
    );
    assert_eq!(exchange.request.headers.get("referer").as_deref(), Some(new_location.as_str()));
    // Raw `?` and `;` inside a value belong to it; an unencoded nested URL has its own query.
    let raw = flow(
        "GET",
        "/cb?next=https://other.test/cb?access_token=abcdefghijklmnopqrst&password=ab?cd;efgh",
        &[],
        b"",
        &[],
        b"",
        vec![],
    );
    let path = read_one(&redacted(&raw).bytes).request.path;
    assert!(
        path.starts_with("/cb?next=https://other.test/cb?access_token=redacted-by-regauth-"),
        "{path}"
    );
    assert!(path.ends_with(&format!("&password={MARKER}")), "{path}");
    // A mitmproxy mode string is not a URL with a password.
    let mode = flow(
        "GET",
        "/",
        &[],
        b"",
        &[],
        b"",
        vec![(
            "client_conn",
            T::D(vec![("proxy_mode", T::S("reverse:http://127.0.0.1:2375@2376"))]),
        )],
    );
    assert_eq!(redacted(&mode).bytes, mode);
}

#[test]
fn json_bodies_config_json_and_credential_helpers() {
    let auth = STANDARD.encode(format!("alice:{PASSWORD}"));
    let config = format!(
        r#"{{
  "auths": {{"registry.test": {{"auth": "{auth}", "identitytoken": "{REFRESH}"}},
            "other.test": {{"auth": "{empty}"}}}},
  "credHelpers": {{"gcr.io": "gcloud"}},
  "Secret": "helper-secret-value", "ServerURL": "https://registry.test", "Username": "alice",
  "nested": [{{"client_secret": "another-secret-value", "token_type": "Bearer", "expires_in": 300}}]
}}"#,
        empty = STANDARD.encode("bob:")
    );
    let input = flow(
        "POST",
        "/v1.41/auth",
        &[("Content-Type", "application/json")],
        config.as_bytes(),
        &[],
        b"",
        vec![],
    );
    let copy = redacted(&input);
    let exchange = read_one(&copy.bytes);
    let body = body_of(&exchange.request.body);
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let new_auth = value["auths"]["registry.test"]["auth"].as_str().unwrap();
    assert_eq!(STANDARD.decode(new_auth).unwrap(), format!("alice:{MARKER}").into_bytes());
    assert!(value["auths"]["registry.test"]["identitytoken"].as_str().unwrap().starts_with(MARKER));
    assert_eq!(value["auths"]["other.test"]["auth"], STANDARD.encode("bob:"), "nothing to hide");
    assert_eq!(value["Secret"], MARKER);
    assert_eq!(value["Username"], "alice");
    assert_eq!(value["nested"][0]["client_secret"], MARKER);
    assert_eq!(value["nested"][0]["token_type"], "Bearer");
    // Only the literals changed: the layout (newlines, spacing, key order) is the original's.
    assert_eq!(body.lines().count(), config.lines().count());
    assert!(body.starts_with("{\n  \"auths\": {\"registry.test\": {\"auth\": \""));
    let mut found = kinds(&copy);
    found.sort();
    assert_eq!(found.len(), 4, "{found:?}");
}

#[test]
fn secrets_inside_any_base64_value_are_found() {
    // A text body holding base64 JSON with a password, and base64 of `user:password`.
    let inner_json = STANDARD.encode(format!(r#"{{"user":"carol","password":"{PASSWORD}"}}"#));
    let pair = URL_SAFE_NO_PAD.encode(format!("carol:{PASSWORD}"));
    let text = format!("config={inner_json}\nalso: {pair}\n");
    let input = flow(
        "POST",
        "/upload",
        &[("Content-Type", "text/plain")],
        text.as_bytes(),
        &[],
        b"",
        vec![],
    );
    let copy = redacted(&input);
    let body = body_of(&read_one(&copy.bytes).request.body);
    assert!(!contains(body.as_bytes(), &inner_json) && !contains(body.as_bytes(), &pair));
    let new_json = body.trim_start_matches("config=").split('\n').next().unwrap();
    let decoded: serde_json::Value =
        serde_json::from_slice(&STANDARD.decode(new_json).unwrap()).unwrap();
    assert_eq!(decoded["password"], MARKER);
    assert_eq!(decoded["user"], "carol");
    let new_pair = body.lines().nth(1).unwrap().trim_start_matches("also: ");
    assert_eq!(URL_SAFE_NO_PAD.decode(new_pair).unwrap(), format!("carol:{MARKER}").into_bytes());
}

#[test]
fn cookies_and_set_cookie_values_only() {
    let input = flow(
        "GET",
        "/",
        &[("Cookie", "session=4f9c1d2b8e7a6f5c3d2e1f0a9b8c7d6e; theme=dark")],
        b"",
        &[("Set-Cookie", "session=4f9c1d2b8e7a6f5c3d2e1f0a9b8c7d6e; Path=/; HttpOnly; Secure")],
        b"",
        vec![],
    );
    let copy = redacted(&input);
    let exchange = read_one(&copy.bytes);
    let cookie = exchange.request.headers.get("cookie").as_deref().unwrap().to_owned();
    let set_cookie =
        exchange.response.unwrap().headers.get("set-cookie").as_deref().unwrap().to_owned();
    let replacement = cookie.trim_start_matches("session=").split(';').next().unwrap().to_owned();
    assert!(replacement.starts_with(MARKER));
    assert_eq!(cookie, format!("session={replacement}; theme={MARKER}-n1"));
    assert_eq!(set_cookie, format!("session={replacement}; Path=/; HttpOnly; Secure"));
}

#[test]
fn compressed_bodies_are_redacted_inside() {
    let body = format!(r#"{{"token":"{}","refresh_token":"{REFRESH}"}}"#, jwt());
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(body.as_bytes()).unwrap();
    let gzipped = gzip.finish().unwrap();
    let input = flow(
        "GET",
        "/token",
        &[],
        b"",
        &[("Content-Encoding", "gzip"), ("Content-Length", &gzipped.len().to_string())],
        &gzipped,
        vec![],
    );
    let copy = redacted(&input);
    let response = read_one(&copy.bytes).response.unwrap();
    assert_eq!(response.body.content_encoding, "gzip", "still gzip");
    let wire = response.body.wire_bytes().unwrap();
    assert_eq!(
        response.headers.get("content-length").as_deref(),
        Some(wire.len().to_string().as_str())
    );
    let text = body_of(&response.body);
    assert!(!text.contains(REFRESH) && !text.contains(JWT_SIGNATURE) && text.contains(MARKER));

    // brotli: regauth cannot write it, so the body is stored plain with `identity`.
    // Python's `brotli.compress(b'{"refresh_token":"rt-abcdefghijklmnop0123"}')` (tool output).
    let brotli: &[u8] = &[
        0x0b, 0x15, 0x80, 0x7b, 0x22, 0x72, 0x65, 0x66, 0x72, 0x65, 0x73, 0x68, 0x5f, 0x74, 0x6f,
        0x6b, 0x65, 0x6e, 0x22, 0x3a, 0x22, 0x72, 0x74, 0x2d, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
        0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x30, 0x31, 0x32, 0x33, 0x22,
        0x7d, 0x03,
    ];
    let decoded = crate::capture::content_encoding::decode("br", brotli.into(), 1000).unwrap();
    assert_eq!(&decoded[..], br#"{"refresh_token":"rt-abcdefghijklmnop0123"}"#, "fixture");
    let input = flow("GET", "/token", &[], b"", &[("Content-Encoding", "br")], brotli, vec![]);
    let copy = redacted(&input);
    let response = read_one(&copy.bytes).response.unwrap();
    assert_eq!(response.headers.get("content-encoding").as_deref(), Some("identity"));
    assert!(body_of(&response.body).starts_with(&format!(r#"{{"refresh_token":"{MARKER}-"#)));
    assert_eq!(copy.notes.len(), 1, "{:?}", copy.notes);
    assert!(copy.notes[0].message.contains("identity"));

    // A body that cannot be decoded is searched as stored, and a note says so.
    let input =
        flow("GET", "/x", &[], b"", &[("Content-Encoding", "gzip")], b"not gzip at all", vec![]);
    let copy = redacted(&input);
    assert_eq!(copy.bytes, input);
    assert!(copy.notes[0].message.contains("not inspected"), "{:?}", copy.notes);
}

#[test]
fn backup_and_websocket_messages_are_redacted_too() {
    let bearer = format!("Bearer {}", jwt());
    let backup = T::D(vec![(
        "request",
        T::D(vec![("headers", headers(&[("Authorization", &bearer)])), ("content", T::B(b""))]),
    )]);
    let message = format!("token was {}", jwt());
    let websocket = T::D(vec![(
        "messages",
        T::L(vec![T::L(vec![T::I(1), T::B(message.as_bytes()), T::S("true")])]),
    )]);
    let input =
        flow("GET", "/", &[], b"", &[], b"", vec![("backup", backup), ("websocket", websocket)]);
    let copy = redacted(&input);
    assert!(!contains(&copy.bytes, JWT_SIGNATURE));
    let (capture, errors) = capture::read(&[Input::new("copy", copy.bytes.clone())]);
    assert!(errors.is_empty() && capture.exchanges.len() == 1, "{errors:?}");
}

#[test]
fn har_rewrites_only_the_literals_that_hold_secrets() {
    let token_body =
        serde_json::to_string(&format!(r#"{{"token":"{}","refresh_token":"{REFRESH}"}}"#, jwt()))
            .unwrap();
    let base64_body = STANDARD.encode(format!(r#"{{"access_token":"{REFRESH}x"}}"#));
    let form = format!("grant_type=password&username=alice&password={PASSWORD}");
    // hand-written fixture: odd spacing, key order and `_` extensions that must survive
    let har = format!(
        "\u{feff}{{\"log\": {{\"version\": \"1.2\", \"creator\": {{\"name\": \"hand\", \"version\": \"1\"}},\n\"entries\": [\n  {{ \"_extra\" : {{\"note\": \"keep  me\", \"copy\": \"{REFRESH}\"}},\n \"startedDateTime\": \"2024-05-01T10:00:00.000Z\", \"time\": 1,\n\
         \"request\": {{\"method\": \"POST\", \"url\": \"https://auth.test/token?client_secret=abcdefghijklmnopqr\", \"httpVersion\": \"HTTP/1.1\",\n\
           \"headers\": [{{\"value\": \"{len}\", \"name\": \"Content-Length\"}}, {{\"name\": \"Authorization\", \"value\": \"Basic {basic}\"}}],\n\
           \"queryString\": [{{\"name\": \"client_secret\", \"value\": \"abcdefghijklmnopqr\"}}], \"cookies\": [{{\"name\": \"s\", \"value\": \"cookie-value-123\"}}],\n\
           \"postData\": {{\"mimeType\": \"application/x-www-form-urlencoded\", \"text\": \"{form}\", \"params\": [{{\"name\": \"password\", \"value\": \"{PASSWORD}\"}}]}},\n\
           \"headersSize\": 100, \"bodySize\": {len}}},\n\
         \"response\": {{\"status\": 200, \"statusText\": \"OK\", \"httpVersion\": \"HTTP/1.1\", \"headers\": [], \"cookies\": [],\n\
           \"content\": {{\"size\": {size}, \"mimeType\": \"application/json\", \"text\": {token_body}}}, \"redirectURL\": \"\", \"headersSize\": -1, \"bodySize\": {size}}},\n\
         \"cache\": {{}}, \"timings\": {{\"send\": 0, \"wait\": 1, \"receive\": 0}}}},\n\
         {{\"startedDateTime\": \"2024-05-01T10:00:01.000Z\", \"time\": 1, \"request\": {{\"method\": \"GET\", \"url\": \"https://r.test/v2/\", \"headers\": []}},\n\
          \"response\": {{\"status\": 200, \"headers\": [], \"content\": {{\"size\": 10, \"mimeType\": \"application/json\", \"encoding\": \"base64\", \"text\": \"{base64_body}\"}}}}}}\n]}}}}\n",
        len = form.len(),
        basic = STANDARD.encode(format!("alice:{PASSWORD}")),
        size = serde_json::from_str::<String>(&token_body).unwrap().len(),
    );
    let copy = redacted(har.as_bytes());
    let text = String::from_utf8(copy.bytes.clone()).unwrap();
    for secret in [PASSWORD, REFRESH, JWT_SIGNATURE, "abcdefghijklmnopqr", "cookie-value-123"] {
        assert!(!text.contains(secret), "{secret} survived:\n{text}");
    }
    assert!(text.starts_with("\u{feff}{\"log\": {\"version\": \"1.2\", \"creator\": {\"name\": \"hand\", \"version\": \"1\"},\n\"entries\": [\n  { \"_extra\" : {\"note\": \"keep  me\", \"copy\": \"redacted-by-regauth-"));
    assert_eq!(text.lines().count(), har.lines().count(), "layout kept");
    let (capture, errors) = capture::read(&[Input::new("copy.har", copy.bytes.clone())]);
    assert!(errors.is_empty() && capture.problems.is_empty(), "{errors:?} {:?}", capture.problems);
    let request = &capture.exchanges[0].request;
    let new_form = body_of(&request.body);
    assert_eq!(new_form, format!("grant_type=password&username=alice&password={MARKER}"));
    assert_eq!(
        request.headers.get("content-length").as_deref(),
        Some(new_form.len().to_string().as_str())
    );
    assert!(
        text.contains(&format!("\"bodySize\": {}}}", new_form.len())),
        "request bodySize follows"
    );
    let response = capture.exchanges[0].response.as_ref().unwrap();
    let new_size = body_of(&response.body).len();
    assert!(
        text.contains(&format!("\"content\": {{\"size\": {new_size}, ")),
        "content.size follows"
    );
    assert!(text.contains("\"headersSize\": -1"), "unknown stays unknown");
    assert!(
        !text.contains("\"headersSize\": 100,"),
        "headersSize follows the Authorization change"
    );
    let base64_response = capture.exchanges[1].response.as_ref().unwrap();
    assert!(body_of(&base64_response.body).starts_with(&format!(r#"{{"access_token":"{MARKER}-"#)));
    let fields: Vec<String> =
        copy.masked.iter().map(|item| format!("{:?} {}", item.entry, item.field)).collect();
    assert!(fields.contains(&"Some(0) _extra.copy".to_owned()), "{fields:?}");
    assert!(fields.contains(&"Some(0) request.headers Authorization".to_owned()), "{fields:?}");
}

#[test]
fn gzip_input_gives_gzip_output_and_the_original_is_untouched() {
    let input = flow(
        "GET",
        "/v2/",
        &[("Authorization", &format!("Basic {}", STANDARD.encode(format!("a:{PASSWORD}"))))],
        b"",
        &[],
        b"",
        vec![],
    );
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&input).unwrap();
    let gz = encoder.finish().unwrap();
    let before = gz.clone();
    let copy = redacted(&gz);
    assert_eq!(gz, before);
    assert_eq!(copy.compression, Compression::Gzip);
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&copy.bytes[..]).read_to_end(&mut plain).unwrap();
    let exchange = read_one(&plain);
    let authorization = exchange.request.headers.get("authorization").unwrap();
    assert_eq!(authorization, format!("Basic {}", STANDARD.encode(format!("a:{MARKER}"))));
}

#[test]
fn redacting_twice_changes_nothing_more() {
    let body = format!(r#"{{"token":"{}","refresh_token":"{REFRESH}"}}"#, jwt());
    let input = flow(
        "GET",
        "/token?password=abc",
        &[("Authorization", &format!("Basic {}", STANDARD.encode(format!("a:{PASSWORD}"))))],
        b"",
        &[],
        body.as_bytes(),
        vec![],
    );
    let once = redacted(&input);
    let twice = redacted(&once.bytes);
    assert_eq!(twice.bytes, once.bytes);
}

#[test]
fn a_secret_that_cannot_be_rewritten_stops_the_copy() {
    // The password's base64 glued to other base64 characters: aligned, the sweep decodes the
    // run and masks it; misaligned, no rule can, and the final check (which decodes every run
    // from each of its first four characters) refuses to hand out the copy.
    let basic = format!("Basic {}", STANDARD.encode(format!("alice:{PASSWORD}")));
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for prefix in ["", "x", "xy", "xyz", "wxyz"] {
            for suffix in ["", "!", "?>?"] {
                let hidden =
                    format!("{prefix}{}", engine.encode(format!("alice:{PASSWORD}{suffix}")));
                let input = flow(
                    "POST",
                    "/",
                    &[("Authorization", &basic)],
                    hidden.as_bytes(),
                    &[],
                    b"",
                    vec![],
                );
                let result = redact(&input, &RedactConfig::default());
                if prefix.len() % 4 == 0 {
                    let copy = result.unwrap_or_else(|err| panic!("{prefix:?} {suffix:?}: {err}"));
                    let body = body_of(&read_one(&copy.bytes).request.body);
                    let decoded = engine.decode(body.trim_start_matches(prefix)).unwrap();
                    let decoded = String::from_utf8(decoded).unwrap();
                    assert!(decoded.starts_with(&format!("alice:{MARKER}")), "{decoded}");
                    assert!(!decoded.contains(PASSWORD), "{decoded}");
                } else {
                    assert!(
                        matches!(
                            result,
                            Err(RedactError::SecretSurvived { kind: SecretKind::Password, .. })
                        ),
                        "{prefix:?} {suffix:?}: {:?}",
                        result.map(|copy| copy.masked)
                    );
                }
            }
        }
    }
}

#[test]
fn short_secrets_are_masked_where_found_but_not_swept() {
    let input = flow(
        "POST",
        "/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"username=u&password=pw1",
        &[],
        b"the word pw1 elsewhere stays",
        vec![],
    );
    let copy = redacted(&input);
    let exchange = read_one(&copy.bytes);
    assert_eq!(body_of(&exchange.request.body), format!("username=u&password={MARKER}"));
    assert_eq!(body_of(&exchange.response.unwrap().body), "the word pw1 elsewhere stays");
}

#[test]
fn truncated_flow_files_keep_the_whole_flows_and_say_what_was_dropped() {
    let one = flow(
        "GET",
        "/v2/",
        &[("Authorization", "Bearer abcdefghijklmnopqrstuvwxyz012345")],
        b"",
        &[],
        b"",
        vec![],
    );
    let mut input = one.clone();
    input.extend_from_slice(&one[..one.len() / 2]);
    let copy = redacted(&input);
    assert!(!contains(&copy.bytes, "abcdefghijklmnopqrstuvwxyz012345"));
    assert_eq!(copy.notes.len(), 1, "{:?}", copy.notes);
    assert_eq!(copy.notes[0].entry, Some(1));
    assert_eq!(copy.notes[0].byte_offset, Some(one.len() as u64));
    read_one(&copy.bytes);
}

#[test]
fn unusable_input_is_an_error_that_names_no_secret() {
    assert_eq!(redact(b"", &RedactConfig::default()).unwrap_err(), RedactError::Empty);
    assert!(matches!(
        redact(b"GIF89a", &RedactConfig::default()),
        Err(RedactError::UnknownFormat { .. })
    ));
    let broken = format!(
        r#"{{"log": {{"entries": [{{"request": {{"url": "https://x/?password={PASSWORD}"}}]}}"#
    );
    let err = redact(broken.as_bytes(), &RedactConfig::default()).unwrap_err();
    assert!(matches!(err, RedactError::Malformed { .. }), "{err}");
    assert!(!err.to_string().contains(PASSWORD), "{err}");
    assert!(matches!(
        redact(br#"{"nolog": 1}"#, &RedactConfig::default()),
        Err(RedactError::Malformed { .. })
    ));
}

#[test]
fn hostile_bytes_never_panic() {
    let body = format!(r#"{{"token":"{}","refresh_token":"{REFRESH}"}}"#, jwt());
    let input = flow(
        "POST",
        "/token?password=abcdefghi",
        &[
            ("Authorization", &format!("Basic {}", STANDARD.encode(format!("a:{PASSWORD}")))),
            ("Cookie", "a=b; c"),
        ],
        b"password=x&refresh_token=y",
        &[("Content-Encoding", "gzip")],
        body.as_bytes(),
        vec![],
    );
    let har = br#"{"log":{"entries":[{"request":{"url":"https://u:p@h/?token=abcdefghijkl","headers":[{"name":"Authorization","value":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"}],"postData":{"text":"x=1","params":[{"name":"password","value":"pppppppppp"}]}},"response":{"status":200,"content":{"text":"eyJ0b2tlbiI6ImFiY2RlZmdoaWprbG1ubyJ9","encoding":"base64","size":3}}}]}}"#;
    for sample in [&input[..], &har[..]] {
        for cut in 0..sample.len() {
            let _ = redact(&sample[..cut], &RedactConfig::default());
        }
        for idx in (0..sample.len()).step_by(3) {
            for byte in [b'0', b':', b'"', b'\\', b'{', b']', 0xff] {
                let mut mangled = sample.to_vec();
                mangled[idx] = byte;
                let _ = redact(&mangled, &RedactConfig::default());
            }
        }
    }
}
