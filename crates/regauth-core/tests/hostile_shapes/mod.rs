//! Generators for the hostile capture shapes of issue 9 (engine side): inputs built to make
//! an analysis quadratic, or its memory a multiple of the input, if any lookup, merge or
//! message were built carelessly. Each shape takes its size, so `tests/hostile_engine.rs`
//! runs them at sizes a CI run affords and `examples/hostile_engine.rs` at full size.
//!
//! Every input is generated in memory, deterministically (no I/O, no randomness).
#![allow(dead_code, reason = "shared by the test and the example, which each use part of it")]

use std::fmt::Write as _;
use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// The capture clock at the first exchange of every shape (2025-11-23T12:00:00Z).
pub const T0: f64 = 1_763_899_200.0;

/// One exchange to write. Header values and bodies are written as given.
pub struct Ex {
    /// Request start, Unix seconds (the response ends 50 ms later).
    pub started: f64,
    pub method: &'static str,
    pub url: String,
    pub request_headers: Vec<(&'static str, String)>,
    /// Form-encoded request body (OAuth2 token requests).
    pub request_form: Option<String>,
    pub status: u16,
    pub response_headers: Vec<(&'static str, String)>,
    pub response_body: Vec<u8>,
}

impl Ex {
    pub fn get(started: f64, url: impl Into<String>, status: u16) -> Ex {
        Ex {
            started,
            method: "GET",
            url: url.into(),
            request_headers: Vec::new(),
            request_form: None,
            status,
            response_headers: Vec::new(),
            response_body: Vec::new(),
        }
    }

    pub fn method(mut self, method: &'static str) -> Ex {
        self.method = method;
        self
    }

    pub fn request_header(mut self, name: &'static str, value: impl Into<String>) -> Ex {
        self.request_headers.push((name, value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Ex {
        self.request_header("Authorization", format!("Bearer {token}"))
    }

    pub fn form(mut self, form: impl Into<String>) -> Ex {
        self.request_headers.push(("Content-Type", "application/x-www-form-urlencoded".to_owned()));
        self.request_form = Some(form.into());
        self
    }

    pub fn response_header(mut self, name: &'static str, value: impl Into<String>) -> Ex {
        self.response_headers.push((name, value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Ex {
        self.response_body = body.into();
        self
    }

    /// A `Date` header `offset_s` away from the capture clock.
    pub fn date(self, offset_s: f64) -> Ex {
        let at = chrono::DateTime::from_timestamp((self.started + offset_s) as i64, 0).unwrap();
        let value = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        self.response_header("Date", value)
    }
}

fn rfc3339(unix_s: f64) -> String {
    let at = chrono::DateTime::from_timestamp_millis((unix_s * 1000.0) as i64).unwrap();
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Writes `text` as a JSON string literal.
fn json_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let mut plain_from = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape: Option<&[u8]> = match byte {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            _ if byte < 0x20 => None,
            _ => continue,
        };
        out.extend_from_slice(&text.as_bytes()[plain_from..at]);
        match escape {
            Some(escaped) => out.extend_from_slice(escaped),
            None => out.extend_from_slice(format!("\\u{byte:04x}").as_bytes()),
        }
        plain_from = at + 1;
    }
    out.extend_from_slice(&text.as_bytes()[plain_from..]);
    out.push(b'"');
}

fn json_headers(out: &mut Vec<u8>, headers: &[(&'static str, String)]) {
    out.push(b'[');
    for (idx, (name, value)) in headers.iter().enumerate() {
        if idx > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        json_str(out, name);
        out.extend_from_slice(b",\"value\":");
        json_str(out, value);
        out.push(b'}');
    }
    out.push(b']');
}

/// A HAR 1.2 file, written entry by entry (the generator never holds a list of exchanges).
pub struct Har {
    out: Vec<u8>,
    n_entries: usize,
}

impl Har {
    pub fn new() -> Har {
        let mut out = Vec::new();
        out.extend_from_slice(
            br#"{"log":{"version":"1.2","creator":{"name":"regauth hostile_shapes","version":"1"},"entries":["#,
        );
        Har { out, n_entries: 0 }
    }

    pub fn push(&mut self, ex: &Ex) {
        let out = &mut self.out;
        if self.n_entries > 0 {
            out.push(b',');
        }
        self.n_entries += 1;
        out.extend_from_slice(b"{\"startedDateTime\":");
        json_str(out, &rfc3339(ex.started));
        out.extend_from_slice(b",\"time\":50,\"request\":{\"method\":");
        json_str(out, ex.method);
        out.extend_from_slice(b",\"url\":");
        json_str(out, &ex.url);
        out.extend_from_slice(b",\"httpVersion\":\"HTTP/1.1\",\"cookies\":[],\"headers\":");
        json_headers(out, &ex.request_headers);
        out.extend_from_slice(b",\"queryString\":[],\"headersSize\":-1,\"bodySize\":");
        match &ex.request_form {
            Some(form) => {
                out.extend_from_slice(form.len().to_string().as_bytes());
                out.extend_from_slice(
                    b",\"postData\":{\"mimeType\":\"application/x-www-form-urlencoded\",\"text\":",
                );
                json_str(out, form);
                out.push(b'}');
            }
            None => out.push(b'0'),
        }
        let _ = write!(out, "}},\"response\":{{\"status\":{},\"statusText\":\"\"", ex.status);
        out.extend_from_slice(b",\"httpVersion\":\"HTTP/1.1\",\"cookies\":[],\"headers\":");
        json_headers(out, &ex.response_headers);
        let _ = write!(out, ",\"content\":{{\"size\":{}", ex.response_body.len());
        match std::str::from_utf8(&ex.response_body) {
            Ok(text) if !text.starts_with('\u{1f}') => {
                out.extend_from_slice(b",\"mimeType\":\"application/json\",\"text\":");
                json_str(out, text);
            }
            _ => {
                out.extend_from_slice(b",\"mimeType\":\"application/octet-stream\",\"encoding\":\"base64\",\"text\":\"");
                out.extend_from_slice(STANDARD.encode(&ex.response_body).as_bytes());
                out.push(b'"');
            }
        }
        out.extend_from_slice(
            b"},\"redirectURL\":\"\",\"headersSize\":-1,\"bodySize\":-1},\"cache\":{},\"timings\":{\"send\":0,\"wait\":50,\"receive\":0}}",
        );
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(b"]}}");
        self.out
    }
}

/// A mitmproxy flow file (format version 21), written flow by flow. Bodies are stored as
/// they were on the wire, so content-encoded bodies stay encoded (unlike HAR).
pub struct Flows {
    out: Vec<u8>,
}

pub fn tnet(out: &mut Vec<u8>, payload: &[u8], tag: u8) {
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(payload);
    out.push(tag);
}

pub fn tnet_dict(fields: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (key, value) in fields {
        tnet(&mut payload, key.as_bytes(), b';');
        payload.extend_from_slice(value);
    }
    let mut out = Vec::new();
    tnet(&mut out, &payload, b'}');
    out
}

pub fn tnet_bytes(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    tnet(&mut out, value, b',');
    out
}

pub fn tnet_text(value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    tnet(&mut out, value.as_bytes(), b';');
    out
}

pub fn tnet_int(value: i64) -> Vec<u8> {
    let mut out = Vec::new();
    tnet(&mut out, value.to_string().as_bytes(), b'#');
    out
}

pub fn tnet_float(value: f64) -> Vec<u8> {
    let mut out = Vec::new();
    tnet(&mut out, format!("{value:?}").as_bytes(), b'^');
    out
}

fn tnet_headers(headers: &[(&'static str, String)]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (name, value) in headers {
        let mut pair = tnet_bytes(name.as_bytes());
        pair.extend(tnet_bytes(value.as_bytes()));
        tnet(&mut payload, &pair, b']');
    }
    let mut out = Vec::new();
    tnet(&mut out, &payload, b']');
    out
}

impl Flows {
    pub fn new() -> Flows {
        Flows { out: Vec::new() }
    }

    pub fn push(&mut self, ex: &Ex) {
        let (scheme, rest) = ex.url.split_once("://").unwrap();
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().unwrap()),
            None => (authority, if scheme == "https" { 443 } else { 80 }),
        };
        let request = tnet_dict(&[
            ("host", tnet_text(host)),
            ("port", tnet_int(port)),
            ("method", tnet_bytes(ex.method.as_bytes())),
            ("scheme", tnet_bytes(scheme.as_bytes())),
            ("authority", tnet_bytes(b"")),
            ("path", tnet_bytes(path.as_bytes())),
            ("http_version", tnet_bytes(b"HTTP/1.1")),
            ("headers", tnet_headers(&ex.request_headers)),
            ("content", tnet_bytes(ex.request_form.as_deref().unwrap_or("").as_bytes())),
            ("timestamp_start", tnet_float(ex.started)),
            ("timestamp_end", tnet_float(ex.started)),
        ]);
        let response = tnet_dict(&[
            ("status_code", tnet_int(i64::from(ex.status))),
            ("reason", tnet_bytes(b"")),
            ("http_version", tnet_bytes(b"HTTP/1.1")),
            ("headers", tnet_headers(&ex.response_headers)),
            ("content", tnet_bytes(&ex.response_body)),
            ("timestamp_start", tnet_float(ex.started + 0.04)),
            ("timestamp_end", tnet_float(ex.started + 0.05)),
        ]);
        self.out.extend(tnet_dict(&[
            ("version", tnet_int(21)),
            ("type", tnet_text("http")),
            ("request", request),
            ("response", response),
        ]));
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// A JWT (unverifiable signature: these tests are about size, not trust) with the given
/// claims JSON.
pub fn jwt_with_claims(claims: &str) -> String {
    format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"ES256","typ":"JWT","kid":"hostile"}"#),
        b64url(claims.as_bytes()),
        b64url(&[7u8; 64])
    )
}

/// A JWT for `service` granting `actions` on `repository`, valid from `iat` for 300 s.
pub fn jwt(seed: usize, service: &str, repository: &str, actions: &str, iat: f64) -> String {
    let actions: Vec<String> = actions.split(',').map(|action| format!("\"{action}\"")).collect();
    jwt_with_claims(&format!(
        r#"{{"iss":"auth.example","sub":"user","aud":"{service}","exp":{},"nbf":{},"iat":{},"jti":"j{seed}","access":[{{"type":"repository","name":"{repository}","actions":[{}]}}]}}"#,
        iat as i64 + 300,
        iat as i64,
        iat as i64,
        actions.join(",")
    ))
}

pub fn token_body(token: &str) -> Vec<u8> {
    format!(r#"{{"token":"{token}","expires_in":300}}"#).into_bytes()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

const REGISTRY: &str = "https://reg.example";
const SERVICE: &str = "reg.example";

fn challenge(realm: &str, scope: &str) -> String {
    format!(r#"Bearer realm="{realm}",service="{SERVICE}",scope="{scope}""#)
}

/// 1: one 401 whose `WWW-Authenticate` names `n` Bearer challenges with distinct realms,
/// then the token request to the first realm and the retry (issue 9: 100k challenges, 11 s).
pub fn realms_in_one_response(n: usize) -> Vec<u8> {
    let mut value = String::new();
    for idx in 0..n {
        if idx > 0 {
            value.push_str(", ");
        }
        let _ = write!(value, r#"Bearer realm="https://auth.example/t{idx}",service="{SERVICE}""#);
    }
    let token = jwt(0, SERVICE, "app", "pull", T0);
    let mut har = Har::new();
    har.push(
        &Ex::get(T0, format!("{REGISTRY}/v2/app/manifests/1"), 401)
            .response_header("WWW-Authenticate", value),
    );
    har.push(
        &Ex::get(
            T0 + 1.0,
            format!("https://auth.example/t0?service={SERVICE}&scope=repository:app:pull"),
            200,
        )
        .body(token_body(&token)),
    );
    har.push(&Ex::get(T0 + 2.0, format!("{REGISTRY}/v2/app/manifests/1"), 200).bearer(&token));
    har.finish()
}

/// 2: `n` separate 401s, each naming its own realm (and repository), each with a `Date`
/// (issue 9: 1e5 of them, 36 MB, 35 s). Every session waits for its token request.
pub fn separate_challenges(n: usize) -> Vec<u8> {
    let mut har = Har::new();
    for idx in 0..n {
        har.push(
            &Ex::get(
                T0 + idx as f64 * 0.001,
                format!("{REGISTRY}/v2/app{idx}/manifests/latest"),
                401,
            )
            .date(0.0)
            .response_header(
                "WWW-Authenticate",
                challenge(
                    &format!("https://auth{idx}.example/token"),
                    &format!("repository:app{idx}:pull"),
                ),
            )
            .response_header("Content-Type", "application/json")
            .body(
                &br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#[..],
            ),
        );
    }
    har.finish()
}

/// What a huge `WWW-Authenticate` header repeats.
#[derive(Clone, Copy, Debug)]
pub enum ChallengeFill {
    /// `a=b,` parameters of one challenge.
    Params,
    /// `x,` challenges without parameters.
    Schemes,
    /// `=,` elements, each a problem.
    Problems,
}

/// 3: one 401 whose `WWW-Authenticate` is `bytes` long, all tiny elements after a real
/// challenge (issue 9: 100 MB of tiny parameters took 3 GB).
pub fn huge_challenge(bytes: usize, fill: ChallengeFill) -> Vec<u8> {
    let mut value = challenge("https://auth.example/token", "repository:app:pull");
    let unit = match fill {
        ChallengeFill::Params => ",a=b",
        ChallengeFill::Schemes => ",x",
        ChallengeFill::Problems => ",=",
    };
    value.reserve(bytes);
    while value.len() < bytes {
        value.push_str(unit);
    }
    let mut har = Har::new();
    har.push(
        &Ex::get(T0, format!("{REGISTRY}/v2/app/manifests/1"), 401)
            .response_header("WWW-Authenticate", value),
    );
    har.finish()
}

/// 4: `n` token responses, each gzip-encoded and inflating to `inflated` bytes (a token then
/// spaces), each followed by the retry with that token (issue 9: 2,000 of them, 8.6 s).
pub fn encoded_token_responses(n: usize, inflated: usize) -> Vec<u8> {
    let mut har = Har::new();
    for idx in 0..n {
        let at = T0 + idx as f64;
        let token = jwt(idx, SERVICE, "app", "pull", at);
        let mut body = token_body(&token);
        body.pop();
        body.extend_from_slice(b",\"padding\":\"");
        body.resize(inflated.max(body.len() + 2) - 2, b' ');
        body.extend_from_slice(b"\"}");
        har.push(
            &Ex::get(
                at,
                format!("https://auth.example/token?service={SERVICE}&scope=repository:app:pull"),
                200,
            )
            .response_header("Content-Encoding", "gzip")
            .body(gzip(&body)),
        );
        har.push(&Ex::get(at + 0.5, format!("{REGISTRY}/v2/app/manifests/1"), 200).bearer(&token));
    }
    har.finish()
}

/// 5: `n` Docker Engine push answers, each a brotli JSON-lines progress stream of
/// `stream_bytes` ending in an `errorDetail` (issue 9: 2,000 of 4 MiB in a 4.3 MB flow,
/// 2 minutes).
pub fn brotli_engine_answers(n: usize, stream_bytes: usize) -> Vec<u8> {
    engine_push_answers(n, &brotli_engine_stream(stream_bytes))
}

/// A push's progress stream of about `stream_bytes` ending in a denial, brotli-compressed.
pub fn brotli_engine_stream(stream_bytes: usize) -> Vec<u8> {
    let mut stream = Vec::new();
    while stream.len() < stream_bytes {
        stream.extend_from_slice(
            b"{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"3f53bb00af94\"}\n",
        );
    }
    stream.extend_from_slice(
        b"{\"errorDetail\":{\"message\":\"denied: requested access to the resource is denied\"},\"error\":\"denied: requested access to the resource is denied\"}\n",
    );
    let mut compressed = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut compressed, 4096, 11, 22);
        writer.write_all(&stream).unwrap();
    }
    compressed
}

/// A flow file of `n` Docker Engine pushes answered 200 with `brotli_body` (`Content-Encoding: br`).
pub fn engine_push_answers(n: usize, brotli_body: &[u8]) -> Vec<u8> {
    let mut flows = Flows::new();
    for idx in 0..n {
        flows.push(
            &Ex::get(
                T0 + idx as f64,
                "http://127.0.0.1:2375/v1.43/images/reg.example/app/push?tag=1.0",
                200,
            )
            .method("POST")
            .request_header("X-Registry-Auth", "e30=")
            .response_header("Content-Type", "application/json")
            .response_header("Content-Encoding", "br")
            .body(brotli_body.to_vec()),
        );
    }
    flows.finish()
}

/// 6: one token, then `n` pushes to `n` distinct repositories, each refused (403): `n`
/// failed sessions, each with its own explaining finding.
pub fn refused_sessions(n: usize) -> Vec<u8> {
    let token = jwt(0, SERVICE, "app0", "pull", T0);
    let mut har = Har::new();
    har.push(
        &Ex::get(
            T0,
            format!("https://auth.example/token?service={SERVICE}&scope=repository:app0:pull"),
            200,
        )
        .body(token_body(&token)),
    );
    for idx in 0..n {
        har.push(
            &Ex::get(T0 + 1.0 + idx as f64 * 0.001, format!("{REGISTRY}/v2/app{idx}/manifests/latest"), 403)
                .method("PUT")
                .bearer(&token)
                .response_header("Content-Type", "application/json")
                .body(&br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#[..]),
        );
    }
    har.finish()
}

/// 7: `n` token requests the capture shows no challenge for, each answered with its own
/// token, then the `n` uses of those tokens in reverse order (a token's first use is far from
/// where it was issued), and `n` more tokens never used.
pub fn tokens_used_once(n: usize) -> Vec<u8> {
    let mut har = Har::new();
    let mut at = T0;
    let tokens: Vec<String> = (0..2 * n).map(|idx| jwt(idx, SERVICE, "app", "pull", T0)).collect();
    for token in &tokens {
        at += 0.001;
        har.push(
            &Ex::get(
                at,
                format!("https://auth.example/token?service={SERVICE}&scope=repository:app:pull"),
                200,
            )
            .body(token_body(token)),
        );
    }
    for token in tokens[..n].iter().rev() {
        at += 0.001;
        har.push(&Ex::get(at, format!("{REGISTRY}/v2/app/manifests/1"), 200).bearer(token));
    }
    har.finish()
}

/// 8: a token response carrying a JWT of `bytes` (past what the engine reads of a token
/// response), and that token sent to the registry.
pub fn big_jwt(bytes: usize) -> Vec<u8> {
    let padding = "x".repeat(bytes * 3 / 4);
    let token = jwt_with_claims(&format!(
        r#"{{"iss":"auth.example","aud":"{SERVICE}","exp":{},"padding":"{padding}"}}"#,
        T0 as i64 + 300
    ));
    let mut har = Har::new();
    har.push(
        &Ex::get(
            T0,
            format!("https://auth.example/token?service={SERVICE}&scope=repository:app:pull"),
            200,
        )
        .body(token_body(&token)),
    );
    har.push(&Ex::get(T0 + 1.0, format!("{REGISTRY}/v2/app/manifests/1"), 200).bearer(&token));
    har.finish()
}

/// A token whose `access` claim has `n` entries (for `regauth token`).
pub fn token_with_access_entries(n: usize) -> String {
    let mut access = String::new();
    for idx in 0..n {
        if idx > 0 {
            access.push(',');
        }
        let _ = write!(access, r#"{{"type":"repository","name":"r{idx}","actions":["pull"]}}"#);
    }
    jwt_with_claims(&format!(
        r#"{{"iss":"auth.example","aud":"{SERVICE}","exp":{},"access":[{access}]}}"#,
        T0 as i64 + 300
    ))
}

/// 9: a challenge naming `n` scopes, a token request asking for `n` other scopes, and `m`
/// pushes refused with `insufficient_scope`, each challenge naming one scope the token lacks:
/// every refusal compares the scopes asked with the scopes needed.
pub fn many_scopes(n: usize, m: usize) -> Vec<u8> {
    let scopes = |prefix: &str| {
        (0..n).map(|idx| format!("repository:{prefix}{idx}:pull")).collect::<Vec<_>>().join(" ")
    };
    let asked = (0..n).map(|idx| format!("scope=repository:asked{idx}:pull")).collect::<Vec<_>>();
    let token = jwt(0, SERVICE, "app", "pull", T0);
    let mut har = Har::new();
    har.push(&Ex::get(T0, format!("{REGISTRY}/v2/app/manifests/1"), 401).response_header(
        "WWW-Authenticate",
        challenge("https://auth.example/token", &scopes("named")),
    ));
    har.push(
        &Ex::get(
            T0 + 1.0,
            format!(
                "https://auth.example/token?service={SERVICE}&{}&scope=repository:app:pull",
                asked.join("&")
            ),
            200,
        )
        .body(token_body(&token)),
    );
    for idx in 0..m {
        har.push(
            &Ex::get(T0 + 2.0 + idx as f64 * 0.001, format!("{REGISTRY}/v2/app/blobs/uploads/"), 401)
                .method("POST")
                .bearer(&token)
                .response_header(
                    "WWW-Authenticate",
                    format!(
                        r#"Bearer realm="https://auth.example/token",service="{SERVICE}",scope="repository:app:pull,push",error="insufficient_scope""#
                    ),
                ),
        );
    }
    har.finish()
}

/// 10: a blob download redirected `n` times, storage host to storage host, the client
/// sending its `Authorization` along every hop.
pub fn redirect_chain(n: usize) -> Vec<u8> {
    let token = jwt(0, SERVICE, "app", "pull", T0);
    let mut har = Har::new();
    har.push(
        &Ex::get(
            T0,
            format!("https://auth.example/token?service={SERVICE}&scope=repository:app:pull"),
            200,
        )
        .body(token_body(&token)),
    );
    har.push(
        &Ex::get(T0 + 1.0, format!("{REGISTRY}/v2/app/blobs/sha256:00"), 307)
            .bearer(&token)
            .response_header("Location", "https://cdn.reg.example/b/0?sig=x"),
    );
    for hop in 0..n {
        let last = hop + 1 == n;
        let mut ex = Ex::get(
            T0 + 2.0 + hop as f64 * 0.001,
            format!("https://cdn.reg.example/b/{hop}?sig=x"),
            if last { 200 } else { 307 },
        )
        .bearer(&token);
        if !last {
            ex = ex.response_header(
                "Location",
                format!("https://cdn.reg.example/b/{}?sig=x", hop + 1),
            );
        }
        har.push(&ex);
    }
    har.finish()
}

/// 11: `n` registries, each answering `/v2/` with a `Date` an hour ahead: `n` clocks,
/// every one of them off.
pub fn distinct_clocks(n: usize) -> Vec<u8> {
    let mut har = Har::new();
    for idx in 0..n {
        har.push(
            &Ex::get(T0 + idx as f64 * 0.001, format!("https://r{idx}.example/v2/"), 200)
                .date(3600.0),
        );
    }
    har.finish()
}

/// 12: one token, expired by the registry's clock, sent `n` times and refused each time
/// with `invalid_token`, after one use that worked.
pub fn refused_token(n: usize) -> Vec<u8> {
    let token = jwt(0, SERVICE, "app", "pull,push", T0);
    let mut har = Har::new();
    har.push(
        &Ex::get(
            T0,
            format!("https://auth.example/token?service={SERVICE}&scope=repository:app:pull,push"),
            200,
        )
        .body(token_body(&token)),
    );
    har.push(
        &Ex::get(T0 + 1.0, format!("{REGISTRY}/v2/app/manifests/1"), 200).bearer(&token).date(0.0),
    );
    for idx in 0..n {
        har.push(
            &Ex::get(T0 + 1000.0 + idx as f64 * 0.001, format!("{REGISTRY}/v2/app/blobs/uploads/"), 401)
                .method("POST")
                .bearer(&token)
                .date(0.0)
                .response_header(
                    "WWW-Authenticate",
                    format!(r#"Bearer realm="https://auth.example/token",service="{SERVICE}",error="invalid_token""#),
                ),
        );
    }
    har.finish()
}

/// 13: `n` OAuth2 POST token requests refused as unsupported (400), then the GET fallback
/// that works and the retry: containerd's fallback, repeated.
pub fn oauth_fallbacks(n: usize) -> Vec<u8> {
    let token = jwt(0, SERVICE, "app", "pull", T0);
    let mut har = Har::new();
    for idx in 0..n {
        har.push(
            &Ex::get(T0 + idx as f64 * 0.001, "https://auth.example/token", 400)
                .method("POST")
                .form(format!("grant_type=password&service={SERVICE}&scope=repository:app:pull&client_id=containerd-client&username=u&password=p")),
        );
    }
    let at = T0 + n as f64 * 0.001 + 1.0;
    har.push(
        &Ex::get(
            at,
            format!("https://auth.example/token?service={SERVICE}&scope=repository:app:pull"),
            200,
        )
        .body(token_body(&token)),
    );
    har.push(&Ex::get(at + 1.0, format!("{REGISTRY}/v2/app/manifests/1"), 200).bearer(&token));
    har.finish()
}
