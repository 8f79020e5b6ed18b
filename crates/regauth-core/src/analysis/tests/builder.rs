//! A small builder of hand-written captures with virtual timestamps (quinn's `Pair` style):
//! each call adds an exchange at the scenario's current time, later calls shape the last one.
//!
//! ```text
//! Scenario::new()
//!     .get("https://reg.example/v2/").answer(401).www_authenticate(BEARER)
//!     .at(1.0).get(TOKEN_URL).basic("alice", "pw").token_response(&jwt, 300)
//! ```
//!
//! Servers stamp `Date` from their own clock (capture clock plus [`Scenario::clock`]'s offset)
//! unless a test sets one. Tokens are JWTs with a dummy signature: the engine reads claims
//! without trusting them.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use chrono::TimeZone as _;

use crate::analysis::{Analysis, AnalysisConfig, Finding, Severity, analyze};
use crate::capture::{Capture, Compression, Format, SourceInfo};
use crate::model::{
    Body, BodyData, EntryRef, Exchange, Headers, Request, Response, Timestamp, Timing,
};

/// Unix time of the scenario's `t = 0` on the capture clock.
pub const T0: i64 = 1_800_000_000;

pub fn stamp(t: f64) -> Timestamp {
    let millis = (t * 1000.0).round() as i64;
    chrono::Utc.timestamp_millis_opt(T0 * 1000 + millis).single().unwrap_or_default()
}

/// Unix seconds of scenario time `t` (capture clock).
pub fn unix(t: f64) -> i64 {
    T0 + t.floor() as i64
}

pub struct Scenario {
    exchanges: Vec<Exchange>,
    now: f64,
    /// Per-host clock offsets (seconds, that clock minus the capture clock).
    clocks: Vec<(String, f64)>,
    /// Whether the last exchange got `answer()` yet (headers go to the request before).
    answered: bool,
    /// Hosts whose responses carry no `Date`.
    dateless: bool,
    producer: Option<String>,
}

impl Default for Scenario {
    fn default() -> Scenario {
        Scenario::new()
    }
}

impl Scenario {
    pub fn new() -> Scenario {
        Scenario {
            exchanges: Vec::new(),
            now: 0.0,
            clocks: Vec::new(),
            answered: false,
            dateless: false,
            producer: None,
        }
    }

    /// Moves the capture clock to `t` seconds after `T0`.
    pub fn at(mut self, t: f64) -> Scenario {
        self.now = t;
        self
    }

    /// Sets the clock offset of `host` (applies to the `Date` of its later responses).
    pub fn clock(mut self, host: &str, offset_s: f64) -> Scenario {
        self.clocks.retain(|(known, _)| known != host);
        self.clocks.push((host.to_owned(), offset_s));
        self
    }

    /// Responses carry no `Date` header.
    pub fn without_dates(mut self) -> Scenario {
        self.dateless = true;
        self
    }

    pub fn producer(mut self, producer: &str) -> Scenario {
        self.producer = Some(producer.to_owned());
        self
    }

    pub fn get(self, url: &str) -> Scenario {
        self.request("GET", url)
    }
    pub fn head(self, url: &str) -> Scenario {
        self.request("HEAD", url)
    }
    pub fn post(self, url: &str) -> Scenario {
        self.request("POST", url)
    }
    pub fn put(self, url: &str) -> Scenario {
        self.request("PUT", url)
    }
    pub fn patch(self, url: &str) -> Scenario {
        self.request("PATCH", url)
    }

    pub fn request(mut self, method: &str, url: &str) -> Scenario {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), port.parse().unwrap_or(0)),
            None => (authority.to_owned(), if scheme == "http" { 80 } else { 443 }),
        };
        let index = self.exchanges.len();
        let start = self.now;
        self.exchanges.push(Exchange {
            index,
            origin: EntryRef { source: 0, index, byte_offset: None },
            request: Request {
                method: method.into(),
                scheme: scheme.into(),
                host: host.into(),
                port,
                path: if path.is_empty() { "/".to_owned() } else { path.to_owned() },
                http_version: "HTTP/1.1".into(),
                headers: Headers::default(),
                body: Body::default(),
            },
            response: None,
            timing: Timing { request_start: Some(stamp(start)), response_end: None },
            server_address: None,
            client_address: None,
            tls: None,
            error: None,
            connection: None,
        });
        self.answered = false;
        // The next request starts a little later unless the test moves the clock.
        self.now += 0.1;
        self
    }

    pub(super) fn last(&mut self) -> &mut Exchange {
        let Some(last) = self.exchanges.last_mut() else { panic!("add a request first") };
        last
    }

    /// Adds a header to the request, or to the response once `answer()` was called.
    pub fn header(mut self, name: &str, value: &str) -> Scenario {
        let answered = self.answered;
        let exchange = self.last();
        match (&mut exchange.response, answered) {
            (Some(response), true) => response.headers.push(name, value),
            _ => exchange.request.headers.push(name, value),
        }
        self
    }

    pub fn basic(self, user: &str, password: &str) -> Scenario {
        let value = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        self.header("Authorization", &value)
    }

    pub fn bearer(self, token: &str) -> Scenario {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    /// Sets the request body (with a Content-Type).
    pub fn form(mut self, content_type: &str, body: &str) -> Scenario {
        let exchange = self.last();
        exchange.request.headers.push("Content-Type", content_type);
        exchange.request.body = raw_body(body);
        self
    }

    /// The server answers `status` 50 ms after the request (with `Date` from its clock).
    pub fn answer(mut self, status: u16) -> Scenario {
        let dateless = self.dateless;
        let clocks = self.clocks.clone();
        let exchange = self.last();
        let start = exchange
            .timing
            .request_start
            .map(|at| (at.timestamp_millis() - T0 * 1000) as f64 / 1000.0)
            .unwrap_or(0.0);
        let end = start + 0.05;
        exchange.timing.response_end = Some(stamp(end));
        let mut headers = Headers::default();
        if !dateless {
            let offset = clocks
                .iter()
                .find(|(host, _)| *host == exchange.request.host)
                .map_or(0.0, |(_, offset)| *offset);
            // The server stamps its Date somewhere between request and response.
            let server = stamp(start + 0.025 + offset);
            headers.push("Date", &server.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
        }
        exchange.response = Some(Response {
            status,
            reason: Default::default(),
            http_version: "HTTP/1.1".into(),
            headers,
            body: Body::default(),
        });
        self.answered = true;
        self
    }

    /// The answer's last byte arrives at `t` (a slow upload, or a daemon that answers once its
    /// registry legs are done), instead of 50 ms after the request.
    pub fn answered_at(mut self, t: f64) -> Scenario {
        self.last().timing.response_end = Some(stamp(t));
        self
    }

    pub fn www_authenticate(self, value: &str) -> Scenario {
        self.header("WWW-Authenticate", value)
    }

    /// Replaces the response `Date` header.
    pub fn date(mut self, value: &str) -> Scenario {
        let exchange = self.last();
        if let Some(response) = &mut exchange.response {
            response.headers.retain(|name, _| !name.eq_ignore_ascii_case("date"));
            response.headers.push("Date", value);
        }
        self
    }

    /// A JSON response body.
    pub fn json(mut self, body: &str) -> Scenario {
        let exchange = self.last();
        if let Some(response) = &mut exchange.response {
            response.headers.push("Content-Type", "application/json");
            response.body = raw_body(body);
        }
        self
    }

    /// Gzips the response body, as a proxy that compresses answers would send it.
    pub fn gzipped(mut self) -> Scenario {
        use std::io::Write as _;
        let exchange = self.last();
        if let Some(response) = &mut exchange.response {
            let plain = response.body.wire_bytes().expect("a body built in code").into_owned();
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(&plain).expect("writing to memory");
            let gz = encoder.finish().expect("writing to memory");
            response.headers.push("Content-Encoding", "gzip");
            response.body = Body {
                size: Some(gz.len() as u64),
                data: BodyData::Raw(Bytes::from(gz)),
                content_encoding: "gzip".into(),
                ..Body::default()
            };
        }
        self
    }

    /// 200 with `{"token", "access_token", "expires_in", "issued_at"}`; `issued_at` from the
    /// token's `iat` when it has one.
    pub fn token_response(self, token: &str, expires_in: i64) -> Scenario {
        let iat = crate::token::decode_token(token).kind;
        let issued_at = match iat {
            crate::token::TokenKind::Jwt(jwt) => jwt.claims.iat,
            crate::token::TokenKind::Opaque(_) => None,
        }
        .and_then(|iat| chrono::DateTime::from_timestamp(iat, 0))
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let body = serde_json::json!({
            "token": token,
            "access_token": token,
            "expires_in": expires_in,
            "issued_at": issued_at,
        });
        let scenario = if self.answered { self } else { self.answer(200) };
        scenario.json(&body.to_string())
    }

    /// The exchange got no answer: `error` says why.
    pub fn fails(mut self, error: &str) -> Scenario {
        let exchange = self.last();
        exchange.error = Some(error.into());
        exchange.response = None;
        self
    }

    pub fn capture(self) -> Capture {
        Capture {
            sources: vec![SourceInfo {
                name: "scenario.har".to_owned(),
                format: Format::Har,
                compression: Compression::None,
                producer: self.producer,
                size: 0,
            }],
            exchanges: self.exchanges,
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn analyze(self) -> Analysed {
        Analysed::of(self.capture())
    }
}

fn raw_body(text: &str) -> Body {
    Body {
        data: BodyData::Raw(Bytes::copy_from_slice(text.as_bytes())),
        size: Some(text.len() as u64),
        content_encoding: Default::default(),
        mime_type: None,
        ..Body::default()
    }
}

/// A JWT with chosen claims and a dummy signature.
#[derive(Clone, Debug)]
pub struct Jwt {
    claims: serde_json::Map<String, serde_json::Value>,
    access: Vec<serde_json::Value>,
}

impl Jwt {
    /// Issued by `auth.example`, for `aud`, at issuer time `iat` (unix), valid for `lifetime` s.
    pub fn new(aud: &str, iat: i64, lifetime: i64) -> Jwt {
        let mut claims = serde_json::Map::new();
        claims.insert("iss".into(), "auth.example".into());
        claims.insert("sub".into(), "alice".into());
        claims.insert("aud".into(), aud.into());
        claims.insert("iat".into(), iat.into());
        claims.insert("nbf".into(), iat.into());
        claims.insert("exp".into(), (iat + lifetime).into());
        claims.insert("jti".into(), format!("jti-{iat}-{lifetime}-{aud}").into());
        Jwt { claims, access: Vec::new() }
    }

    pub fn claim(mut self, name: &str, value: serde_json::Value) -> Jwt {
        self.claims.insert(name.into(), value);
        self
    }

    pub fn access(mut self, name: &str, actions: &[&str]) -> Jwt {
        self.access
            .push(serde_json::json!({"type": "repository", "name": name, "actions": actions}));
        self
    }

    pub fn mint(&self) -> String {
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": "TEST:KEY"});
        let mut claims = self.claims.clone();
        claims.insert("access".into(), serde_json::Value::Array(self.access.clone()));
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(serde_json::Value::Object(claims).to_string()),
            URL_SAFE_NO_PAD.encode(b"not-a-real-signature-0123456789abcdef"),
        )
    }
}

/// A capture and what the engine made of it, with assertion helpers.
pub struct Analysed {
    pub capture: Capture,
    pub analysis: Analysis,
}

impl Analysed {
    /// Analyses a capture (e.g. a scenario's, reshaped by hand) with the default settings.
    pub fn of(capture: Capture) -> Analysed {
        let analysis = analyze(&capture, &AnalysisConfig::default());
        Analysed { capture, analysis }
    }

    pub fn codes(&self) -> Vec<(&'static str, Severity)> {
        self.analysis
            .findings
            .iter()
            .map(|finding| (finding.code.as_str(), finding.severity))
            .collect()
    }

    pub fn has(&self, code: &str) -> bool {
        self.analysis.findings.iter().any(|finding| finding.code.as_str() == code)
    }

    /// The single finding with `code` (fails when there is none or several).
    pub fn finding(&self, code: &str) -> &Finding {
        let found: Vec<&Finding> =
            self.analysis.findings.iter().filter(|finding| finding.code.as_str() == code).collect();
        assert_eq!(
            found.len(),
            1,
            "expected one {code} finding, got {:#?}",
            self.analysis.findings
        );
        found[0]
    }

    pub fn errors(&self) -> Vec<&Finding> {
        self.analysis
            .findings
            .iter()
            .filter(|finding| finding.severity == Severity::Error)
            .collect()
    }

    pub fn assert_no_errors(&self) {
        assert!(self.errors().is_empty(), "unexpected errors: {:#?}", self.errors());
    }

    /// Renders the text report (secrets masked), exercising the report layer too.
    pub fn text(&self) -> String {
        let report = crate::report::analysis::AnalysisReport::new(
            &self.capture,
            &self.analysis,
            crate::report::analysis::Secrets::Masked,
        );
        crate::report::text::render(
            &report,
            &self.capture,
            crate::report::text::TextStyle { color: false },
        )
    }

    /// The JSON report (secrets masked).
    pub fn json(&self) -> String {
        let report = crate::report::analysis::AnalysisReport::new(
            &self.capture,
            &self.analysis,
            crate::report::analysis::Secrets::Masked,
        );
        serde_json::to_string(&report).unwrap_or_default()
    }
}
