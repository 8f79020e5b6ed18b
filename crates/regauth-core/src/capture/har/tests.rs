use std::fmt::Write as _;

use bytes::Bytes;
use expect_test::{Expect, expect};

use crate::capture::{self, CaptureError, Input};
use crate::model::{BodyData, Exchange};

fn read_str(text: &str) -> super::ReadResult {
    super::read(0, "test.har", Bytes::copy_from_slice(text.as_bytes()))
}

/// Renders what the reader made of `input` as stable text.
fn render(result: &super::ReadResult) -> String {
    let mut out = String::new();
    let (exchanges, problems, producer) = match result {
        Ok(ok) => ok,
        Err(err) => return format!("error: {err}\n"),
    };
    if let Some(producer) = producer {
        let _ = writeln!(out, "producer: {producer}");
    }
    for exchange in exchanges {
        render_exchange(&mut out, exchange);
    }
    for problem in problems {
        let _ = writeln!(out, "problem: {problem}");
    }
    out
}

fn render_exchange(out: &mut String, exchange: &Exchange) {
    let request = &exchange.request;
    let _ = writeln!(
        out,
        "entry {} @{:?}: {} {} [{}|{}|{}|{}] {}",
        exchange.origin.index,
        exchange.origin.byte_offset,
        request.method,
        request.url(),
        request.scheme,
        request.host,
        request.port,
        request.path,
        request.http_version,
    );
    let timing = &exchange.timing;
    let _ = writeln!(
        out,
        "  time: {} .. {}",
        timing.request_start.map_or("-".to_owned(), |t| t.to_rfc3339()),
        timing.response_end.map_or("-".to_owned(), |t| t.to_rfc3339())
    );
    for (name, value) in request.headers.iter() {
        let _ = writeln!(out, "  > {name}: {value}");
    }
    render_body(out, ">", &request.body);
    if let Some(response) = &exchange.response {
        let _ =
            writeln!(out, "  < {} {} {}", response.http_version, response.status, response.reason);
        for (name, value) in response.headers.iter() {
            let _ = writeln!(out, "  < {name}: {value}");
        }
        render_body(out, "<", &response.body);
    }
    for (label, value) in [
        ("server", exchange.server_address.as_deref()),
        ("connection", exchange.connection.as_deref()),
        ("error", exchange.error.as_deref()),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "  {label}: {value}");
        }
    }
    if let Some(tls) = &exchange.tls {
        let _ = writeln!(out, "  tls: {tls:?}");
    }
}

fn render_body(out: &mut String, arrow: &str, body: &crate::model::Body) {
    if body.is_absent() && body.size.is_none() {
        return;
    }
    let kind = match &body.data {
        BodyData::Absent => "absent",
        BodyData::Raw(_) => "raw",
        BodyData::Base64(_) => "base64",
        BodyData::Latin1Text(_) => "latin1",
        BodyData::JsonEscapedText(_) => "json-escaped",
    };
    let wire = body
        .wire_bytes()
        .map(|bytes| bytes.into_owned())
        .unwrap_or_else(|err| err.to_string().into_bytes());
    let _ = writeln!(
        out,
        "  {arrow} body {kind} size={:?} mime={:?} content-encoding={:?}: {:?}",
        body.size,
        body.mime_type,
        body.content_encoding,
        Bytes::from(wire)
    );
}

fn check(input: &str, expected: Expect) {
    expected.assert_eq(&render(&read_str(input)));
}

// hand-written fixture: the smallest HAR 1.2 a producer could write, with every optional
// field (cache, timings, cookies, headersSize, bodySize, httpVersion, comment) missing
#[test]
fn minimal_entry_without_optional_fields() {
    check(
        r#"{"log":{"version":"1.2","creator":{"name":"hand","version":"1"},"entries":[
{"startedDateTime":"2024-05-01T10:00:00.123Z","time":250,
 "request":{"method":"GET","url":"https://Registry.Example/v2/"},
 "response":{"status":401,"headers":[{"name":"WWW-Authenticate","value":"Bearer realm=\"https://auth.example/token\",service=\"registry.example\""}]}}
]}}"#,
        expect![[r#"
            producer: hand 1
            entry 0 @Some(76): GET https://registry.example/v2/ [https|registry.example|443|/v2/] 
              time: 2024-05-01T10:00:00.123+00:00 .. 2024-05-01T10:00:00.373+00:00
              <  401 
              < WWW-Authenticate: Bearer realm="https://auth.example/token",service="registry.example"
        "#]],
    );
}

// hand-written fixture: UTF-8 BOM, HAR 1.3, comment and `_`-prefixed extension fields
#[test]
fn bom_and_har_1_3_with_extensions() {
    check(
        "\u{feff}{\"log\":{\"version\":\"1.3\",\"comment\":\"x\",\"_extra\":{\"deep\":[1,2,{}]},\"creator\":{\"name\":\"Firefox\",\"version\":\"128.0\"},\"entries\":[\
{\"_initiator\":{\"type\":\"script\"},\"startedDateTime\":\"2024-05-01T10:00:00Z\",\"time\":-1,\"cache\":{},\"timings\":{\"send\":0,\"wait\":1,\"receive\":2},\
\"request\":{\"method\":\"HEAD\",\"url\":\"http://localhost:5000/v2/x/blobs/sha256:ab\",\"httpVersion\":\"HTTP/1.1\",\"cookies\":[],\"headers\":[],\"queryString\":[],\"headersSize\":-1,\"bodySize\":-1,\"comment\":\"\"},\
\"response\":{\"status\":200,\"statusText\":\"OK\",\"httpVersion\":\"HTTP/1.1\",\"cookies\":[],\"headers\":[],\"content\":{\"size\":0,\"mimeType\":\"\"},\"redirectURL\":\"\",\"headersSize\":-1,\"bodySize\":0}}]}}",
        expect![[r#"
            producer: Firefox 128.0
            entry 0 @Some(126): HEAD http://localhost:5000/v2/x/blobs/sha256:ab [http|localhost|5000|/v2/x/blobs/sha256:ab] HTTP/1.1
              time: 2024-05-01T10:00:00+00:00 .. -
              < HTTP/1.1 200 OK
              < body absent size=Some(0) mime=None content-encoding="": b""
        "#]],
    );
}

// hand-written fixture: base64 bodies; a decoded body keeps its `Content-Encoding: gzip`
// header (as every producer does) and one body is stored still gzipped
#[test]
fn base64_bodies_and_content_encoding() {
    check(
        r#"{"log":{"version":"1.2","creator":{"name":"mitmproxy","version":"11.0.2"},"entries":[
{"startedDateTime":"2024-05-01T10:00:00.000000+00:00","time":1,
 "request":{"method":"GET","url":"https://r.example/v2/a/blobs/sha256:1","headers":[]},
 "response":{"status":200,"headers":[{"name":"Content-Encoding","value":"gzip"}],"bodySize":30,
   "content":{"size":3,"mimeType":"application/octet-stream","text":"AAH/","encoding":"base64"}}},
{"startedDateTime":"2024-05-01T10:00:00.000000+00:00","time":1,
 "request":{"method":"GET","url":"https://r.example/v2/a/blobs/sha256:2","headers":[]},
 "response":{"status":200,"headers":[{"name":"content-encoding","value":"GZIP"}],"bodySize":-1,
   "content":{"size":-1,"text":"H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA==","encoding":"base64"}}},
{"startedDateTime":"2024-05-01T10:00:00.000000+00:00","time":1,
 "request":{"method":"GET","url":"https://r.example/v2/","headers":[]},
 "response":{"status":200,"headers":[{"name":"Content-Encoding","value":"br"}],
   "content":{"size":2,"text":"{}","mimeType":"application/json"}}}
]}}"#,
        expect![[r#"
            producer: mitmproxy 11.0.2
            entry 0 @Some(86): GET https://r.example/v2/a/blobs/sha256:1 [https|r.example|443|/v2/a/blobs/sha256:1] 
              time: 2024-05-01T10:00:00+00:00 .. 2024-05-01T10:00:00.001+00:00
              <  200 
              < Content-Encoding: gzip
              < body base64 size=Some(30) mime=Some("application/octet-stream") content-encoding="": b"\0\x01\xff"
            entry 1 @Some(433): GET https://r.example/v2/a/blobs/sha256:2 [https|r.example|443|/v2/a/blobs/sha256:2] 
              time: 2024-05-01T10:00:00+00:00 .. 2024-05-01T10:00:00.001+00:00
              <  200 
              < content-encoding: GZIP
              < body base64 size=None mime=None content-encoding="gzip": b"\x1f\x8b\x08\0\0\0\0\0\0\x03\xcbH\xcd\xc9\xc9\x07\0\x86\xa6\x106\x05\0\0\0"
            entry 2 @Some(775): GET https://r.example/v2/ [https|r.example|443|/v2/] 
              time: 2024-05-01T10:00:00+00:00 .. 2024-05-01T10:00:00.001+00:00
              <  200 
              < Content-Encoding: br
              < body raw size=None mime=Some("application/json") content-encoding="": b"{}"
        "#]],
    );
}

// hand-written fixture: mitmproxy writes a binary request body one character per byte without
// `encoding`; a JSON body with non-ASCII text is real UTF-8 and must stay as it is
#[test]
fn binary_request_body_quirk() {
    check(
        r#"{"log":{"version":"1.2","creator":{"name":"mitmproxy","version":"10.1.5"},"entries":[
{"startedDateTime":"2024-05-01T10:00:00+00:00","time":1,
 "request":{"method":"PATCH","url":"https://r.example/v2/a/blobs/uploads/u1","headers":[],"bodySize":5,
   "postData":{"mimeType":"application/octet-stream","text":"\u0000\u0001\u00ff\u00fe\u001f","params":[]}},
 "response":{"status":202,"headers":[]}},
{"startedDateTime":"2024-05-01T10:00:01+00:00","time":1,
 "request":{"method":"POST","url":"https://docker.example:2376/v1.41/auth","headers":[],
   "postData":{"mimeType":"application/json","text":"{\"username\":\"é\"}"}},
 "response":{"status":200,"headers":[]}},
{"startedDateTime":"2024-05-01T10:00:02+00:00","time":1,
 "request":{"method":"PUT","url":"https://r.example/up","headers":[],
   "postData":{"mimeType":"application/octet-stream","text":"AAEC","encoding":"base64"}},
 "response":{"status":201,"headers":[]}}
]}}"#,
        expect![[r#"
            producer: mitmproxy 10.1.5
            entry 0 @Some(86): PATCH https://r.example/v2/a/blobs/uploads/u1 [https|r.example|443|/v2/a/blobs/uploads/u1] 
              time: 2024-05-01T10:00:00+00:00 .. 2024-05-01T10:00:00.001+00:00
              > body latin1 size=Some(5) mime=Some("application/octet-stream") content-encoding="": b"\0\x01\xff\xfe\x1f"
              <  202 
            entry 1 @Some(397): POST https://docker.example:2376/v1.41/auth [https|docker.example|2376|/v1.41/auth] 
              time: 2024-05-01T10:00:01+00:00 .. 2024-05-01T10:00:01.001+00:00
              > body raw size=None mime=Some("application/json") content-encoding="": b"{\"username\":\"\xc3\xa9\"}"
              <  200 
            entry 2 @Some(664): PUT https://r.example/up [https|r.example|443|/up] 
              time: 2024-05-01T10:00:02+00:00 .. 2024-05-01T10:00:02.001+00:00
              > body base64 size=None mime=Some("application/octet-stream") content-encoding="": b"\0\x01\x02"
              <  201 
        "#]],
    );
}

// hand-written fixture: `postData.params` without `text` (an OAuth2 token request)
#[test]
fn form_params_without_text_are_rebuilt() {
    check(
        r#"{"log":{"entries":[
{"startedDateTime":"2024-05-01T10:00:00Z",
 "request":{"method":"POST","url":"https://auth.example/token",
   "postData":{"mimeType":"application/x-www-form-urlencoded","params":[
     {"name":"grant_type","value":"password"},{"name":"scope","value":"repository:a/b:pull,push"},
     {"name":"password","value":"p@ss w&rd"},{"name":"client_id"}]}},
 "response":{"status":200,"content":{"size":2,"text":"{}"}}}
]}}"#,
        expect![[r#"
            entry 0 @Some(20): POST https://auth.example/token [https|auth.example|443|/token] 
              time: 2024-05-01T10:00:00+00:00 .. -
              > body raw size=None mime=Some("application/x-www-form-urlencoded") content-encoding="": b"grant_type=password&scope=repository%3Aa%2Fb%3Apull%2Cpush&password=p%40ss+w%26rd&client_id="
              <  200 
              < body raw size=Some(2) mime=None content-encoding="": b"{}"
        "#]],
    );
}

// hand-written fixture: failed requests in the styles of mitmproxy (status 0 and
// `response._error`), Chrome (entry `_error`) and Playwright (status -1, `_failureText`),
// plus an entry without any response
#[test]
fn failed_requests_have_no_response() {
    check(
        r#"{"log":{"entries":[
{"startedDateTime":"2024-05-01T10:00:00+00:00","time":0,
 "request":{"method":"GET","url":"https://r.example:5000/v2/"},
 "response":{"status":0,"statusText":"","httpVersion":"","headers":[],"content":{},"_error":"remote server does not speak TLS"}},
{"startedDateTime":"2024-05-01T10:00:01+00:00",
 "request":{"method":"GET","url":"https://r.example/v2/"},
 "response":{"status":0,"headers":[]},"_error":"net::ERR_CONNECTION_REFUSED"},
{"startedDateTime":"2024-05-01T10:00:02+00:00",
 "request":{"method":"GET","url":"https://r.example/v2/"},
 "response":{"status":-1,"headers":[],"_failureText":"net::ERR_CERT_AUTHORITY_INVALID"}},
{"startedDateTime":"2024-05-01T10:00:03+00:00",
 "request":{"method":"GET","url":"https://r.example/v2/"}},
{"startedDateTime":"2024-05-01T10:00:04+00:00",
 "request":{"method":"GET","url":"https://r.example/v2/"},
 "response":{"status":"200","statusText":"OK","headers":[]}},
{"startedDateTime":"2024-05-01T10:00:05+00:00",
 "request":{"method":"GET","url":"https://r.example/v2/"},
 "response":{"status":"teapot","headers":[]}}
]}}"#,
        expect![[r#"
            entry 0 @Some(20): GET https://r.example:5000/v2/ [https|r.example|5000|/v2/] 
              time: 2024-05-01T10:00:00+00:00 .. 2024-05-01T10:00:00+00:00
              error: remote server does not speak TLS
            entry 1 @Some(271): GET https://r.example/v2/ [https|r.example|443|/v2/] 
              time: 2024-05-01T10:00:01+00:00 .. -
              error: net::ERR_CONNECTION_REFUSED
            entry 2 @Some(457): GET https://r.example/v2/ [https|r.example|443|/v2/] 
              time: 2024-05-01T10:00:02+00:00 .. -
              error: net::ERR_CERT_AUTHORITY_INVALID
            entry 3 @Some(654): GET https://r.example/v2/ [https|r.example|443|/v2/] 
              time: 2024-05-01T10:00:03+00:00 .. -
              error: the capture holds no response
            entry 4 @Some(762): GET https://r.example/v2/ [https|r.example|443|/v2/] 
              time: 2024-05-01T10:00:04+00:00 .. -
              <  200 OK
            entry 5 @Some(931): GET https://r.example/v2/ [https|r.example|443|/v2/] 
              time: 2024-05-01T10:00:05+00:00 .. -
              error: unreadable response status (a string that is not a number)
            problem: test.har: entry 5 (byte 931): entries[5].response.status is a string that is not a number, not an HTTP status; response ignored
        "#]],
    );
}

// hand-written fixture: entries without url or method are skipped and located; the rest stays
#[test]
fn entries_without_url_or_method_are_skipped() {
    check(
        r#"{"log":{"entries":[
{"request":{"method":"GET"},"response":{"status":200}},
{"request":{"url":"https://r.example/v2/"},"response":{"status":200}},
{"request":{"method":"GET","url":"/v2/relative"},"response":{"status":200}},
{"request":{"method":"GET","url":5},"response":{"status":200}},
{"response":{"status":200}},
"not an entry",
{"request":{"method":"GET","url":"https://r.example/v2/"},"response":{"status":200}}
]}}"#,
        expect![[r#"
            entry 6 @Some(333): GET https://r.example/v2/ [https|r.example|443|/v2/] 
              time: - .. -
              <  200 
            problem: test.har: entry 0 (byte 20): entries[0].request.url is missing; this entry is skipped, the others are read
            problem: test.har: entry 1 (byte 76): entries[1].request.method is missing; this entry is skipped, the others are read
            problem: test.har: entry 2 (byte 147): entries[2].request.url is not an absolute URL; this entry is skipped, the others are read
            problem: test.har: entry 3 (byte 224): entries[3].request.url: expected a string, found 5; this entry is skipped, the others are read
            problem: test.har: entry 4 (byte 288): entries[4].request is missing; this entry is skipped, the others are read
            problem: test.har: entry 5: entries[5]: expected an object, found a string; this entry is skipped, the others are read
        "#]],
    );
}

// hand-written fixture: timestamps with every offset style and fractional-second length
#[test]
fn timestamps_with_any_offset() {
    let entry = |started: &str, time: &str| {
        format!(
            r#"{{"startedDateTime":"{started}"{time},"request":{{"method":"GET","url":"http://r.example/"}},"response":{{"status":204}}}}"#
        )
    };
    let entries = [
        entry("2024-05-01T12:00:00.5+02:00", r#","time":1000.5"#),
        entry("2024-05-01T10:00:00.123456789123Z", r#","time":0.25"#),
        entry("2024-05-01T10:00:00.000000+00:00", r#","time":-1"#),
        entry("2024-05-01T05:30:00-04:30", ""),
        entry("2024-05-01 10:00:00", r#","time":"12""#),
        entry("2024-05-01T10:00:00", ""),
        entry("yesterday", r#","time":5"#),
    ];
    check(
        &format!(r#"{{"log":{{"entries":[{}]}}}}"#, entries.join(",\n")),
        expect![[r#"
            entry 0 @Some(19): GET http://r.example/ [http|r.example|80|/] 
              time: 2024-05-01T10:00:00.500+00:00 .. 2024-05-01T10:00:01.500500+00:00
              <  204 
            entry 1 @Some(163): GET http://r.example/ [http|r.example|80|/] 
              time: 2024-05-01T10:00:00.123456789+00:00 .. 2024-05-01T10:00:00.123706789+00:00
              <  204 
            entry 2 @Some(311): GET http://r.example/ [http|r.example|80|/] 
              time: 2024-05-01T10:00:00+00:00 .. -
              <  204 
            entry 3 @Some(456): GET http://r.example/ [http|r.example|80|/] 
              time: 2024-05-01T10:00:00+00:00 .. -
              <  204 
            entry 4 @Some(584): GET http://r.example/ [http|r.example|80|/] 
              time: 2024-05-01T10:00:00+00:00 .. 2024-05-01T10:00:00.012+00:00
              <  204 
            entry 5 @Some(718): GET http://r.example/ [http|r.example|80|/] 
              time: 2024-05-01T10:00:00+00:00 .. -
              <  204 
            entry 6 @Some(840): GET http://r.example/ [http|r.example|80|/] 
              time: - .. -
              <  204 
            problem: test.har: entry 4 (byte 584): `startedDateTime` "2024-05-01 10:00:00" has no UTC offset; read as UTC
            problem: test.har: entry 5 (byte 718): `startedDateTime` "2024-05-01T10:00:00" has no UTC offset; read as UTC
            problem: test.har: entry 6 (byte 840): entries[6].startedDateTime is not an RFC 3339 timestamp; the entry has no start time
        "#]],
    );
}

// hand-written fixture: URL shapes: IPv6 literals, default and explicit ports, userinfo,
// fragments, a bare host, a query without path, a bad port
#[test]
fn url_shapes() {
    let urls = [
        "http://[::1]:5000/v2/",
        "https://[2001:DB8::1]/v2/_catalog?n=10",
        "HTTPS://Registry.Example:443/v2/",
        "http://registry.example:8080",
        "https://user:secret@registry.example/v2/?x=1#frag",
        "https://registry.example?service=x",
        "wss://registry.example/socket",
        "https://registry.example:99999/v2/",
        "https://[::1/v2/",
        "data:image/png;base64,AAAA",
    ];
    let entries: Vec<String> = urls
        .iter()
        .map(|url| {
            format!(r#"{{"request":{{"method":"GET","url":"{url}"}},"response":{{"status":200}}}}"#)
        })
        .collect();
    check(
        &format!(r#"{{"log":{{"entries":[{}]}}}}"#, entries.join(",\n")),
        expect![[r#"
            entry 0 @Some(19): GET http://[::1]:5000/v2/ [http|::1|5000|/v2/] 
              time: - .. -
              <  200 
            entry 1 @Some(105): GET https://[2001:db8::1]/v2/_catalog?n=10 [https|2001:db8::1|443|/v2/_catalog?n=10] 
              time: - .. -
              <  200 
            entry 2 @Some(208): GET https://registry.example/v2/ [https|registry.example|443|/v2/] 
              time: - .. -
              <  200 
            entry 3 @Some(305): GET http://registry.example:8080/ [http|registry.example|8080|/] 
              time: - .. -
              <  200 
            entry 4 @Some(398): GET https://registry.example/v2/?x=1 [https|registry.example|443|/v2/?x=1] 
              time: - .. -
              <  200 
            entry 5 @Some(512): GET https://registry.example/?service=x [https|registry.example|443|/?service=x] 
              time: - .. -
              <  200 
            entry 6 @Some(611): GET wss://registry.example:443/socket [wss|registry.example|443|/socket] 
              time: - .. -
              <  200 
            problem: test.har: entry 7 (byte 705): entries[7].request.url has an invalid port; this entry is skipped, the others are read
            problem: test.har: entry 8 (byte 804): entries[8].request.url has an unclosed IPv6 bracket; this entry is skipped, the others are read
            problem: test.har: entry 9 (byte 885): entries[9].request.url is not an absolute URL; this entry is skipped, the others are read
        "#]],
    );
}

// hand-written fixture: Playwright's TLS and server fields, Chrome's HTTP/2 pseudo-headers
#[test]
fn playwright_security_details_and_pseudo_headers() {
    check(
        r#"{"log":{"version":"1.2","creator":{"name":"Playwright","version":"1.65.1"},"entries":[
{"startedDateTime":"2024-05-01T10:00:00.000Z","time":12.5,
 "request":{"method":"GET","url":"https://[2001:db8::5]:8443/v2/","httpVersion":"HTTP/2.0",
   "headers":[{"name":":authority","value":"[2001:db8::5]:8443"},{"name":":method","value":"GET"},{"name":":path","value":"/v2/"},{"name":":scheme","value":"https"},{"name":"authorization","value":"Bearer abc"}]},
 "response":{"status":200,"httpVersion":"HTTP/2.0","headers":[{"name":":status","value":"200"}],"content":{"size":0}},
 "serverIPAddress":"[2001:db8::5]","_serverPort":8443,"connection":"4711",
 "_securityDetails":{"protocol":"TLS 1.3","subjectName":"registry.example","issuer":"Example CA","validFrom":1700000000,"validTo":1800000000}},
{"startedDateTime":"2024-05-01T10:00:00.000Z",
 "request":{"method":"GET","url":"http://127.0.0.1:5000/v2/"},"response":{"status":200},
 "serverIPAddress":"127.0.0.1","connection":12,"_securityDetails":{}}
]}}"#,
        expect![[r#"
            producer: Playwright 1.65.1
            entry 0 @Some(87): GET https://[2001:db8::5]:8443/v2/ [https|2001:db8::5|8443|/v2/] HTTP/2.0
              time: 2024-05-01T10:00:00+00:00 .. 2024-05-01T10:00:00.012500+00:00
              > :authority: [2001:db8::5]:8443
              > :method: GET
              > :path: /v2/
              > :scheme: https
              > authorization: Bearer abc
              < HTTP/2.0 200 
              < :status: 200
              < body absent size=Some(0) mime=None content-encoding="": b""
              server: [2001:db8::5]:8443
              connection: 4711
              tls: TlsInfo { established: true, sni: None, version: Some("TLSv1.3"), cipher: None, alpn: None, server_certificates: [], client_certificates: [], error: None, server_certificate_summary: Some(CertificateSummary { subject: Some("registry.example"), issuer: Some("Example CA"), not_before: Some(2023-11-14T22:13:20Z), not_after: Some(2027-01-15T08:00:00Z) }) }
            entry 1 @Some(790): GET http://127.0.0.1:5000/v2/ [http|127.0.0.1|5000|/v2/] 
              time: 2024-05-01T10:00:00+00:00 .. -
              <  200 
              server: 127.0.0.1:5000
              connection: 12
        "#]],
    );
}

// hand-written fixtures: documents that are not HAR at all
#[test]
fn not_a_har() {
    check(
        "{\"log\":{\"entries\":[{\"request\":{\"method\":\"GET\",\n\"url\":\"http://r/\"} x]}}",
        expect![[r#"
        error: test.har: line 2 column 20 (byte 66): invalid JSON: expected `,` or `}`
    "#]],
    );
    check(
        "{\"log\":{\"entries\":[",
        expect![[r#"
        error: test.har: line 1 column 19 (byte 18): invalid JSON: EOF while parsing a list
    "#]],
    );
    check(
        "{\"notlog\":1}",
        expect![[r#"
        error: test.har: not a HAR file: the top-level object has no `log`
    "#]],
    );
    check(
        "[1,2]",
        expect![[r#"
            error: test.har: line 1 column 1 (byte 0): not a HAR file: invalid type: sequence, expected a HAR document (an object with `log`)
        "#]],
    );
    check(
        "{\"log\":{\"version\":\"2.0\"}}",
        expect![[r#"
            problem: test.har: unknown HAR version 2.0, read as HAR 1.2
            problem: test.har: the HAR log has no `entries`; it holds no exchanges
        "#]],
    );
    check(
        "\u{feff}\n\n  {\"log\": nope}",
        expect![[r#"
        error: test.har: line 3 column 12 (byte 16): invalid JSON: expected ident
    "#]],
    );
}

// serde_json skips unknown values without recursing and limits the depth of what it builds,
// so hostile nesting anywhere gives an error or a skipped entry, never a stack overflow.
#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let texts = [
        format!(r#"{{"log":{{"entries":[{{"_x":{}}}]}}}}"#, deep(100_000)),
        format!(
            r#"{{"log":{{"entries":[{{"request":{{"method":"GET","url":"http://r/","headers":{}}}}}]}}}}"#,
            deep(100_000)
        ),
        format!(r#"{{"log":{{"entries":{}}}}}"#, deep(100_000)),
        deep(100_000),
    ];
    for text in texts {
        let result = read_str(&text);
        let rendered = render(&result);
        assert!(
            rendered.starts_with("error:") || rendered.contains("entry is skipped"),
            "{rendered}"
        );
    }
}

// hand-written fixture: a body without escapes is a slice of the input, not a copy
#[test]
fn unescaped_bodies_borrow_the_input() {
    let text = r#"{"log":{"entries":[{"request":{"method":"GET","url":"http://r/"},"response":{"status":200,"content":{"text":"plain body","mimeType":"text/plain"}}},{"request":{"method":"GET","url":"http://r/"},"response":{"status":200,"content":{"text":"line\nbreak"}}}]}}"#;
    let input = Bytes::copy_from_slice(text.as_bytes());
    let (exchanges, problems, _) = super::read(0, "t.har", input.clone()).unwrap();
    assert!(problems.is_empty());
    let body_of = |exchange: &Exchange| match &exchange.response.as_ref().unwrap().body.data {
        BodyData::Raw(bytes) => bytes.clone(),
        other => panic!("{other:?}"),
    };
    let borrowed = body_of(&exchanges[0]);
    assert_eq!(&borrowed[..], b"plain body");
    let input_range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
    assert!(input_range.contains(&(borrowed.as_ptr() as usize)), "body was copied");
    let escaped = &exchanges[1].response.as_ref().unwrap().body;
    assert!(
        matches!(&escaped.data, BodyData::JsonEscapedText(literal) if &literal[..] == br#""line\nbreak""#)
    );
    assert_eq!(&escaped.wire_bytes().unwrap()[..], b"line\nbreak");
}

// hand-written fixture: header values with JSON escapes. Two-character escapes (a
// challenge's `\"`) stay spans of the input; `\u` escapes are decoded once, as serde_json
// decodes them; an escaped backslash before a `u` is not a `\u` escape.
#[test]
fn escaped_header_values_read_as_their_text_without_copies_of_challenges() {
    let text = r#"{"log":{"entries":[{"request":{"method":"GET","url":"http://r/v2/"},"response":{"status":401,"headers":[
        {"name":"WWW-Authenticate","value":"Bearer realm=\"http://r/token\",service=\"r\""},
        {"name":"X-Unicode","value":"caf\u00e9 \ud83d\ude00"},
        {"name":"X-Backslash-U","value":"C:\\users\\u"}]}}]}}"#;
    let (exchanges, problems, _) = super::read(0, "t.har", Bytes::from(text)).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let headers = &exchanges[0].response.as_ref().unwrap().headers;
    assert_eq!(
        headers.get("www-authenticate").as_deref(),
        Some(r#"Bearer realm="http://r/token",service="r""#)
    );
    assert_eq!(headers.get("x-unicode").as_deref(), Some("café 😀"));
    assert_eq!(headers.get("x-backslash-u").as_deref(), Some(r"C:\users\u"));
    // Only the `\u` value is copied (8 bytes of text): the field list is 16 bytes a field,
    // and the copy a `String` and its text.
    assert_eq!(headers.heap_size(), 3 * 16 + size_of::<String>() + "café 😀".len());
    assert!(fast_path_completes(text), "read by the fast path");
    let (fast, serde) = read_both_ways(text.as_bytes());
    assert_eq!(fast, serde);
}

const SMALL_HAR: &str = r#"{"log":{"version":"1.2","creator":{"name":"hand","version":"1"},"entries":[
{"startedDateTime":"2024-05-01T10:00:00.123+00:00","time":250,"request":{"method":"GET","url":"https://r.example/v2/","headers":[{"name":"Accept","value":"*/*"}]},"response":{"status":401,"statusText":"Unauthorized","headers":[{"name":"WWW-Authenticate","value":"Bearer realm=\"https://auth.example/token\""}],"content":{"size":5,"text":"e30=","encoding":"base64"}}},
{"startedDateTime":"2024-05-01T10:00:01+00:00","time":3,"request":{"method":"POST","url":"http://[::1]:80/token","postData":{"mimeType":"application/octet-stream","text":"\u00ff\u0000"}},"response":{"status":0,"_error":"refused"}}
]}}"#;

// hand-written fixture (SMALL_HAR), compressed the ways captures are shared: `.zhar` (zlib)
// and gzip, read through `capture::read` like any input
#[test]
fn zlib_and_gzip_inputs() {
    use std::io::Write as _;
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(SMALL_HAR.as_bytes()).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(SMALL_HAR.as_bytes()).unwrap();
    let inputs = [
        Input::new("a.zhar", zlib.finish().unwrap()),
        Input::new("b.har.gz", gzip.finish().unwrap()),
        Input::new("c.har", SMALL_HAR),
    ];
    let (capture, errors) = capture::read(&inputs);
    assert_eq!(errors, []);
    let mut out = String::new();
    for source in &capture.sources {
        let _ = writeln!(out, "{source:?}");
    }
    for exchange in &capture.exchanges {
        let _ = writeln!(
            out,
            "{} {:?} {} {}",
            exchange.index,
            exchange.origin,
            exchange.request.method,
            exchange.request.url()
        );
    }
    // The three are one recording: its exchanges count once, from the first input.
    for note in &capture.notes {
        let _ = writeln!(out, "note: {note}");
    }
    expect![[r#"
        SourceInfo { name: "a.zhar", format: Har, compression: Zlib, producer: Some("hand 1"), size: 379 }
        SourceInfo { name: "b.har.gz", format: Har, compression: Gzip, producer: Some("hand 1"), size: 391 }
        SourceInfo { name: "c.har", format: Har, compression: None, producer: Some("hand 1"), size: 678 }
        0 EntryRef { source: 0, index: 0, byte_offset: Some(76) } GET https://r.example/v2/
        1 EntryRef { source: 0, index: 1, byte_offset: Some(444) } POST http://[::1]/token
        note: b.har.gz: 2 of its 2 exchanges are also in a.zhar (the same session given twice, or a flow file and the HAR written from it); each is counted once, from a.zhar
        note: c.har: 2 of its 2 exchanges are also in a.zhar (the same session given twice, or a flow file and the HAR written from it); each is counted once, from a.zhar
    "#]].assert_eq(&out);
}

/// Truncates and corrupts SMALL_HAR every way it can: the reader must never panic, and must
/// answer with exchanges or with an error that says where.
#[test]
fn truncated_and_corrupted_input_never_panics() {
    let original = SMALL_HAR.as_bytes();
    let mut variants: Vec<Vec<u8>> =
        (0..original.len()).map(|len| original[..len].to_vec()).collect();
    for idx in 0..original.len() {
        for flip in [0x01, 0x20, 0x80, 0xff] {
            let mut corrupted = original.to_vec();
            corrupted[idx] ^= flip;
            variants.push(corrupted);
        }
    }
    for variant in variants {
        match super::read(0, "v.har", Bytes::from(variant.clone())) {
            Ok((exchanges, problems, _)) => {
                for exchange in &exchanges {
                    // Touch the lazy bodies too: decoding must not panic either.
                    let _ = exchange.request.body.decoded(1 << 20);
                    if let Some(response) = &exchange.response {
                        let _ = response.body.decoded(1 << 20);
                    }
                }
                for problem in problems {
                    assert!(
                        problem.location.entry.is_some()
                            || problem.location.byte_offset.is_some()
                            || problem.message.contains("entries")
                            || problem.message.contains("version"),
                        "{problem}"
                    );
                }
            }
            Err(CaptureError::Malformed { location, .. }) => {
                assert!(
                    location.byte_offset.is_some()
                        || location.line_column.is_some()
                        || location.entry.is_none()
                );
                if let Some(offset) = location.byte_offset {
                    assert!(offset as usize <= variant.len());
                }
            }
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }
}

// hand-written fixture: Latin-1 bytes where JSON requires UTF-8
#[test]
fn invalid_utf8_is_located() {
    let result = super::read(0, "l.har", Bytes::from_static(b"{\"log\":\n {\"x\":\"caf\xe9\"}}"));
    expect![[r#"
        error: l.har: line 2 column 11 (byte 18): invalid JSON: not UTF-8 text
    "#]]
    .assert_eq(&render(&result));
}

// hand-written fixture: odd types in fields that only add detail cost that detail, not the
// entry; an odd `headers` changes meaning, so that entry is skipped and located
#[test]
fn odd_types_in_optional_fields() {
    check(
        r#"{"log":{"version":1.2,"creator":"someone","entries":[
{"startedDateTime":1714557600,"time":null,"serverIPAddress":5,"_serverPort":"x","connection":{},"_error":{},"_securityDetails":"n/a",
 "request":{"method":"GET","url":"https://r.example/v2/","httpVersion":2,"bodySize":"?"},
 "response":{"status":200,"statusText":404,"httpVersion":null,"bodySize":[],"content":{"size":"big","mimeType":7,"text":"ok"}}},
{"request":{"method":"GET","url":"https://r.example/v2/","headers":{"Authorization":"Bearer x"}},"response":{"status":200}},
{"request":{"method":"GET","url":"https://r.example/v2/"},"response":{"status":{"code":200},"content":{"text":{"not":"a string"}}}}
]}}"#,
        expect![[r#"
            entry 0 @Some(54): GET https://r.example/v2/ [https|r.example|443|/v2/] 
              time: - .. -
              <  200 
              < body raw size=None mime=None content-encoding="": b"ok"
            entry 2 @Some(532): GET https://r.example/v2/ [https|r.example|443|/v2/] 
              time: - .. -
              error: unreadable response status (an object or array)
            problem: test.har: entry 1 (byte 407): entries[1].request.headers: expected an array, found an object; this entry is skipped, the others are read
            problem: test.har: entry 2 (byte 532): entries[2].response.status is an object or array, not an HTTP status; response ignored
        "#]],
    );
}

/// The real Chromium recording, truncated and corrupted at many places: never a panic.
#[test]
fn corrupted_chromium_recording_never_panics() {
    let original: &[u8] = include_bytes!("../../../tests/data/har/chromium-playwright.har");
    let mut n_read = 0;
    let n_complete = super::read(0, "whole.har", Bytes::from_static(original)).unwrap().0.len();
    let mut n_kept_before = 0;
    let mut n_partial = 0;
    for cut in (0..original.len()).step_by(37) {
        let result = super::read(0, "cut.har", Bytes::copy_from_slice(&original[..cut]));
        match result {
            Err(CaptureError::Malformed { .. }) => assert_eq!(n_kept_before, 0, "cut at {cut}"),
            Ok((exchanges, problems, _)) => {
                // A cut keeps the complete entries before it, never fewer than a shorter cut.
                assert!(
                    exchanges.len() >= n_kept_before && exchanges.len() < n_complete,
                    "cut at {cut}"
                );
                assert!(
                    problems.iter().any(|problem| problem.message.contains("cut short")
                        && problem.location.byte_offset.is_some()),
                    "cut at {cut}: {problems:?}"
                );
                n_kept_before = exchanges.len();
                n_partial += 1;
            }
            Err(err) => panic!("cut at {cut}: {err}"),
        }
    }
    assert!(n_partial > 0 && n_kept_before > 0);
    for idx in (0..original.len()).step_by(7) {
        for flip in [0x01, 0x22 ^ 0x5c, 0x80] {
            let mut corrupted = original.to_vec();
            corrupted[idx] ^= flip;
            if let Ok((exchanges, _, _)) = super::read(0, "flip.har", Bytes::from(corrupted)) {
                n_read += 1;
                for exchange in exchanges {
                    let _ =
                        exchange.response.map(|response| response.body.decoded(1 << 20).is_ok());
                }
            }
        }
    }
    assert!(n_read > 0);
}

/// Both paths of the reader on `bytes`: the fast path (with the serde path behind it) and
/// the serde path alone. They must agree on everything they report.
fn read_both_ways(bytes: &[u8]) -> (String, String) {
    let limits = capture::ReadLimits::DEFAULT;
    let context = capture::ReaderContext::new(0, "t.har", bytes.len() as u64, &limits);
    let fast = super::read_with_path(&context, Bytes::copy_from_slice(bytes), true);
    let context = capture::ReaderContext::new(0, "t.har", bytes.len() as u64, &limits);
    let serde = super::read_with_path(&context, Bytes::copy_from_slice(bytes), false);
    (render(&fast), render(&serde))
}

/// Whether the fast path reads `json` to the end by itself.
fn fast_path_completes(json: &str) -> bool {
    let limits = capture::ReadLimits::DEFAULT;
    let context = capture::ReaderContext::new(0, "t.har", json.len() as u64, &limits);
    let buffer = Bytes::copy_from_slice(json.as_bytes());
    let json = std::str::from_utf8(&buffer).unwrap();
    let mut state = super::State::new(&context, &buffer);
    super::fast::read(&mut state, json).is_ok()
}

#[expect(clippy::disallowed_methods, reason = "a test reads the recorded samples from disk")]
fn every_har_file() -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [root.join("../../samples"), root.join("tests/data/har")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "har") {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    assert!(files.len() > 10, "{files:?}");
    files
}

/// Every recorded HAR goes through the fast path alone, and it reads each exactly as the
/// serde path does.
#[test]
fn fast_path_reads_every_sample_as_the_serde_path_does() {
    for (path, bytes) in every_har_file() {
        let text = std::str::from_utf8(&bytes).unwrap();
        let json = text.strip_prefix('\u{feff}').unwrap_or(text);
        assert!(fast_path_completes(json), "{}: the fast path gave up", path.display());
        let (fast, serde) = read_both_ways(&bytes);
        assert_eq!(fast, serde, "{}", path.display());
    }
}

/// Damaged HAR (cut, bytes flipped into quotes, backslashes, control characters, digits):
/// whatever the fast path does with it, the result is the serde path's.
#[test]
fn fast_path_agrees_with_the_serde_path_on_damaged_input() {
    let original: &[u8] = include_bytes!("../../../tests/data/har/chromium-playwright.har");
    for cut in (0..original.len()).step_by(97) {
        let (fast, serde) = read_both_ways(&original[..cut]);
        assert_eq!(fast, serde, "cut at {cut}");
    }
    let small = SMALL_HAR.as_bytes();
    for idx in 0..small.len() {
        for replacement in [b'"', b'\\', b'\n', 0x01, b'0', b'-', b'e', b'{', b']', b',', b'u'] {
            let mut damaged = small.to_vec();
            damaged[idx] = replacement;
            let (fast, serde) = read_both_ways(&damaged);
            assert_eq!(fast, serde, "byte {idx} set to {replacement:#x}");
        }
    }
}

/// A JSON value for random HAR documents, written with the spacing and escapes chosen.
#[derive(Clone, Debug)]
enum Json {
    /// A literal written as is: `null`, a number, a string with its quotes.
    Raw(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn write(&self, out: &mut String, spaced: bool) {
        let space = if spaced { "\n  " } else { "" };
        match self {
            Json::Raw(text) => out.push_str(text),
            Json::Array(items) => {
                out.push('[');
                for (idx, item) in items.iter().enumerate() {
                    out.push_str(if idx > 0 { "," } else { "" });
                    out.push_str(space);
                    item.write(out, spaced);
                }
                out.push_str(space);
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (idx, (key, value)) in fields.iter().enumerate() {
                    out.push_str(if idx > 0 { "," } else { "" });
                    let _ = write!(out, "{space}\"{key}\" :{space}");
                    value.write(out, spaced);
                }
                out.push_str(space);
                out.push('}');
            }
        }
    }
}

mod random_documents {
    use proptest::prelude::*;

    use super::{Json, read_both_ways};

    /// Literals that each path must take the same way: odd numbers (one out of range),
    /// escapes (one a lone surrogate), timestamps, URLs, words the reader looks for.
    const LITERALS: &[&str] = &[
        "null",
        "true",
        "false",
        "0",
        "-0",
        "200",
        "-1",
        "12.5",
        "1e3",
        "1E-7",
        "1e400",
        "18446744073709551616",
        "-9223372036854775809",
        "0.30000000000000004",
        r#""""#,
        r#""GET""#,
        r#""POST""#,
        r#""https://r.example/v2/x?a=1#frag""#,
        r#""http://[::1]:5000/v2/""#,
        r#""https://user:pw@r.example:8443/""#,
        r#""not a url""#,
        r#""2024-05-01T10:00:00.123456Z""#,
        r#""2024-05-01 10:00:00""#,
        r#""HTTP/1.1""#,
        r#""base64""#,
        r#""aGVsbG8=""#,
        r#""gzip""#,
        r#""application/json""#,
        r#""text/plain; charset=latin-1""#,
        r#""caf\u00e9""#,
        r#""\ud83d\ude00""#,
        r#""\ud800 lone""#,
        r#""a\"b\\c\/d\n""#,
        r#""\u0000""#,
        r#""200""#,
        r#""Authorization""#,
        r#""Bearer x.y.z""#,
        r#""content-encoding""#,
        r#""Content-Encoding""#,
        r#""10.0.0.1""#,
        r#""::1""#,
        r#""TLS 1.3""#,
        r#""é ünïcödé""#,
    ];

    const KEYS: &[&str] = &[
        "startedDateTime",
        "time",
        "request",
        "response",
        "serverIPAddress",
        "_serverPort",
        "connection",
        "_error",
        "_securityDetails",
        "method",
        "url",
        "httpVersion",
        "headers",
        "postData",
        "bodySize",
        "status",
        "statusText",
        "content",
        "_failureText",
        "size",
        "mimeType",
        "text",
        "encoding",
        "params",
        "name",
        "value",
        "protocol",
        "subjectName",
        "issuer",
        "cipher",
        "validFrom",
        "validTo",
        "cache",
        "timings",
        "comment",
        "_x",
        // Escaped spellings of keys the reader looks for.
        r"na\u006de",
        r"\u0075rl",
    ];

    fn literal() -> impl Strategy<Value = Json> {
        prop::sample::select(LITERALS).prop_map(|text| Json::Raw(text.to_owned()))
    }

    fn value() -> impl Strategy<Value = Json> {
        literal().prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(
                    |fields| {
                        Json::Object(
                            fields
                                .into_iter()
                                .map(|(key, value)| (key.to_owned(), value))
                                .collect(),
                        )
                    }
                ),
            ]
        })
    }

    /// A header list: mostly well-formed fields, some odd.
    fn headers() -> impl Strategy<Value = Json> {
        let field =
            (literal(), literal(), prop::bool::weighted(0.8)).prop_map(|(name, value, usual)| {
                if usual {
                    Json::Object(vec![("name".to_owned(), name), ("value".to_owned(), value)])
                } else {
                    Json::Object(vec![
                        ("value".to_owned(), value),
                        ("name".to_owned(), name),
                        ("name".to_owned(), Json::Raw(r#""X""#.to_owned())),
                    ])
                }
            });
        prop_oneof![
            4 => prop::collection::vec(prop_oneof![9 => field, 1 => value()], 0..6).prop_map(Json::Array),
            1 => value(),
        ]
    }

    /// An object whose keys are mostly `keys`, each holding a value from `values`.
    fn object_of(
        keys: &'static [&'static str],
        values: BoxedStrategy<Json>,
    ) -> BoxedStrategy<Json> {
        prop::collection::vec((prop::sample::select(keys), values), 0..keys.len() + 2)
            .prop_map(|fields| {
                Json::Object(
                    fields.into_iter().map(|(key, value)| (key.to_owned(), value)).collect(),
                )
            })
            .boxed()
    }

    fn entry() -> impl Strategy<Value = Json> {
        let request = object_of(
            &["method", "url", "httpVersion", "headers", "postData", "bodySize", "cookies"],
            prop_oneof![3 => literal(), 1 => headers(), 1 => value()].boxed(),
        );
        let content =
            object_of(&["size", "mimeType", "text", "encoding", "compression"], literal().boxed());
        let response = object_of(
            &["status", "statusText", "httpVersion", "headers", "content", "bodySize", "_error"],
            prop_oneof![3 => literal(), 1 => headers(), 1 => content].boxed(),
        );
        let fields = prop_oneof![
            (Just("request"), request),
            (Just("response"), response),
            (
                prop::sample::select(
                    &[
                        "startedDateTime",
                        "time",
                        "serverIPAddress",
                        "_serverPort",
                        "connection",
                        "_error",
                        "_securityDetails",
                        "cache"
                    ][..]
                ),
                prop_oneof![3 => literal(), 1 => value()].boxed()
            ),
        ];
        prop::collection::vec(fields, 0..9).prop_map(|fields| {
            Json::Object(fields.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]
        /// Random HAR-shaped documents (odd types, escapes, duplicate and unknown keys,
        /// out-of-range numbers, lone surrogates): the fast path and the serde path agree.
        #[test]
        fn fast_path_agrees_with_the_serde_path_on_random_documents(
            entries in prop::collection::vec(prop_oneof![9 => entry().boxed(), 1 => value().boxed()], 0..6),
            version in literal(),
            spaced in any::<bool>(),
        ) {
            let log = Json::Object(vec![
                ("version".to_owned(), version),
                ("creator".to_owned(), Json::Object(vec![("name".to_owned(), Json::Raw(r#""gen""#.to_owned()))])),
                ("entries".to_owned(), Json::Array(entries)),
            ]);
            let mut text = String::new();
            Json::Object(vec![("log".to_owned(), log)]).write(&mut text, spaced);
            let (fast, serde) = read_both_ways(text.as_bytes());
            prop_assert_eq!(fast, serde, "{}", text);
        }
    }
}

mod common_rfc3339 {
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    use super::super::parse_common_rfc3339;

    fn chrono_reads(text: &str) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text).ok().map(|time| time.with_timezone(&Utc))
    }

    #[test]
    fn common_rfc3339_shapes_producers_write() {
        for text in [
            "2024-05-01T10:00:00.000+00:00",
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00.123456789Z",
            "2024-12-31T23:59:59.9-05:30",
            "2024-02-29T00:00:00.5+14:00",
        ] {
            let fast = parse_common_rfc3339(text);
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, chrono_reads(text), "{text}");
        }
        // Left to chrono (or rejected): other shapes, impossible dates, leap seconds.
        for text in [
            "2024-05-01 10:00:00Z",
            "2024-05-01t10:00:00z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T10:00:60Z",
            "2024-05-01T10:00:00.1234567891Z",
            "2024-05-01T10:00:00+24:00",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00+0100",
            "2024-05-01T10:00:00+01:00 ",
            "\u{661}024-05-01T10:00:00Z",
        ] {
            assert_eq!(parse_common_rfc3339(text), None, "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        /// Every field in and out of range: wherever the fast path answers, chrono's RFC 3339
        /// parser answers the same; for valid values in the common shape it always answers.
        #[test]
        fn common_rfc3339_agrees_with_chrono(
            year in 0u32..10_000, month in 0u32..14, day in 0u32..33,
            hour in 0u32..26, minute in 0u32..62, second in 0u32..62,
            fraction in proptest::option::of("[0-9]{0,11}"),
            offset in prop_oneof![
                Just("Z".to_owned()),
                (prop_oneof![Just('+'), Just('-')], 0u32..26, 0u32..62)
                    .prop_map(|(sign, hours, minutes)| format!("{sign}{hours:02}:{minutes:02}")),
            ],
        ) {
            let fraction = fraction.map(|digits| format!(".{digits}")).unwrap_or_default();
            let text = format!(
                "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{offset}"
            );
            let fast = parse_common_rfc3339(&text);
            let chrono = chrono_reads(&text);
            if fast.is_some() {
                prop_assert_eq!(fast, chrono, "{}", text);
            }
            // No fraction, or 1 to 9 digits after the point.
            let in_common_shape = fraction.is_empty() || (2..=10).contains(&fraction.len());
            let in_range = hour < 24 && minute < 60 && second < 60
                && (offset == "Z" || (offset[1..3] < *"24" && offset[4..6] < *"60"));
            if chrono.is_some() && in_common_shape && in_range {
                prop_assert!(fast.is_some(), "{}", text);
            }
        }
    }
}

/// The reader with `threads` threads and small parts (`Batching::SMALL`), so that small
/// inputs are read ahead in parts too; with how many parts read ahead were taken over.
fn read_on_threads(bytes: &[u8], threads: usize, memory_limit: Option<u64>) -> (String, usize) {
    let limits = capture::ReadLimits { max_threads: threads, ..capture::ReadLimits::DEFAULT };
    let mut context = capture::ReaderContext::new(0, "t.har", bytes.len() as u64, &limits);
    context.batching = capture::Batching::SMALL;
    if let Some(limit) = memory_limit {
        context.memory_limit = limit;
    }
    let taken_before = super::fast::PARTS_TAKEN.with(std::cell::Cell::get);
    let read = render(&super::read_with(&context, Bytes::copy_from_slice(bytes)));
    (read, super::fast::PARTS_TAKEN.with(std::cell::Cell::get) - taken_before)
}

/// Hand-written entries (a fixture, not a recording) of every kind the read-ahead must hand
/// back in order: plain ones, ones with problems to report (a timestamp with a note, one
/// that does not parse, a wrong status, a skipped entry), `_`-keyed objects in arrays that
/// look like entry starts to the guess, escapes, and a WebSocket-like array.
fn mixed_entries(copies: usize) -> String {
    let mut entries = Vec::new();
    for copy in 0..copies {
        entries.push(format!(
            r#"{{"startedDateTime":"2024-05-01T10:00:{:02}.5+00:00","time":12,"request":{{"method":"GET","url":"https://r{copy}.example/v2/a/manifests/{copy}","headers":[{{"name":"Accept","value":"*/*"}},{{"name":"X-\u0041","value":"tab\there"}}]}},"response":{{"status":401,"headers":[{{"name":"WWW-Authenticate","value":"Bearer realm=\"https://auth{copy}.example/token\""}}],"content":{{"size":2,"text":"{{}}"}}}}}}"#,
            copy % 60
        ));
        entries.push(format!(
            r#"{{"_initiator":{{"type":"other","stack":[{{"_a":1}},{{"_b":[{{"_c":2}},{{"time":3}}]}}]}},"request":{{"method":"GET","url":"https://r.example/v2/{copy}","headers":[]}},"response":{{"status":200,"headers":[],"_webSocketMessages":[{{"type":"send","time":1}},{{"type":"receive","time":2}}]}}}}"#
        ));
        match copy % 5 {
            0 => entries.push(format!(
                r#"{{"startedDateTime":"yesterday","request":{{"method":"GET","url":"https://r.example/{copy}"}},"response":{{"status":200}}}}"#
            )),
            1 => entries.push(
                r#"{"startedDateTime":"2024-05-01 10:00:00","request":{"method":"GET","url":"https://r.example/"},"response":{"status":"teapot"}}"#.to_owned(),
            ),
            2 => entries.push(r#"{"request":{"method":5,"url":"https://r.example/"}}"#.to_owned()),
            3 => entries.push(r#"{"time":1,"request":{"url":"https://r.example/"}}"#.to_owned()),
            _ => entries.push(
                r#"{"pageref":"p","request":{"method":"PUT","url":"https://r.example/v2/x/blobs/uploads/?digest=sha256%3Aab","postData":{"mimeType":"application/octet-stream","text":"\u00ff"}},"response":{"status":0,"_error":"refused"}}"#.to_owned(),
            ),
        }
    }
    format!(
        "{{\"log\":{{\"version\":\"1.2\",\"entries\":[\n{}\n],\"creator\":{{\"name\":\"hand\",\"version\":\"1\"}}}}}}",
        entries.join(",\n  ")
    )
}

#[test]
fn the_result_is_the_same_on_any_number_of_threads() {
    let mut taken = 0;
    for (path, bytes) in every_har_file() {
        let (on_one, _) = read_on_threads(&bytes, 1, None);
        for threads in [2, 3, 5] {
            let (on_more, parts) = read_on_threads(&bytes, threads, None);
            assert_eq!(on_more, on_one, "{} on {threads} threads", path.display());
            taken += parts;
        }
    }
    assert!(taken > 20, "parts read ahead were taken over {taken} times");

    let mixed = mixed_entries(30);
    let (on_one, parts) = read_on_threads(mixed.as_bytes(), 1, None);
    assert_eq!(parts, 0);
    for expected in [
        "is not an RFC 3339 timestamp",
        "has no UTC offset",
        "not an HTTP status",
        "request.method: expected a string",
        "request.method is missing",
        "entry 89 ",
    ] {
        assert!(on_one.contains(expected), "{expected}: {on_one}");
    }
    for threads in 2..12 {
        let (on_more, parts) = read_on_threads(mixed.as_bytes(), threads, None);
        assert_eq!(on_more, on_one, "on {threads} threads");
        assert!(parts > 0, "on {threads} threads, nothing was read ahead");
    }
    // Cut anywhere: the same entries kept and the same problem, whatever the threads.
    for cut in (0..mixed.len()).step_by(331) {
        let bytes = &mixed.as_bytes()[..cut];
        assert_eq!(
            read_on_threads(bytes, 4, None).0,
            read_on_threads(bytes, 1, None).0,
            "cut at {cut}"
        );
    }
}

#[test]
fn the_memory_limit_stops_at_the_same_entry_on_any_number_of_threads() {
    let mixed = mixed_entries(30);
    for limit in [5_000, 15_000, 25_000, 35_000] {
        let (on_one, _) = read_on_threads(mixed.as_bytes(), 1, Some(limit));
        assert!(on_one.contains("stopped reading after"), "{on_one}");
        for threads in [2, 3, 7] {
            let (on_more, _) = read_on_threads(mixed.as_bytes(), threads, Some(limit));
            assert_eq!(on_more, on_one, "limit {limit}, {threads} threads");
        }
    }
}

#[test]
fn only_entry_like_places_are_guessed_as_entry_starts() {
    let text =
        br#"[{"a":1}, {"startedDateTime":1},{"name":"x"},{"_x":1},	{ "request":{}},{ "time" :1}]"#;
    let starts: Vec<usize> = (0..text.len())
        .filter(|&at| text[at] == b'{' && super::fast::looks_like_entry_start(text, at))
        .collect();
    let shown: Vec<&str> =
        starts.iter().map(|&at| std::str::from_utf8(&text[at..at + 5]).unwrap()).collect();
    expect![[r#"["{\"sta", "{\"_x\"", "{ \"re", "{ \"ti"]"#]].assert_eq(&format!("{shown:?}"));
    assert_eq!(super::fast::entry_start_from(text, 0, text.len()), Some(starts[0]));
    assert_eq!(super::fast::entry_start_from(text, starts[0] + 1, text.len()), Some(starts[1]));
    assert_eq!(super::fast::entry_start_from(text, starts[3] + 1, text.len()), None);
    assert_eq!(super::fast::entry_start_from(text, 0, starts[0]), None);
}
