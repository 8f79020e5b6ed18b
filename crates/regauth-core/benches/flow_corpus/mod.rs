//! Synthetic mitmproxy flow files for benchmarks, generated in memory (deterministic, no I/O):
//! a small tnetstring writer with the layout of mitmproxy 11's format 21, which mitmproxy's
//! own `FlowReader` loads too.
//!
//! Shared by `benches/read_flow.rs` and `examples/bench_corpus.rs` through `#[path]`.
#![allow(dead_code, reason = "shared by the bench and the example, which each use part of it")]

/// A tnetstring value, written the way mitmproxy's `tnetstring.dumps` writes it.
enum T<'a> {
    Bytes(&'a [u8]),
    Text(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    List(Vec<T<'a>>),
    Dict(Vec<(&'a str, T<'a>)>),
}

fn write(value: &T<'_>, out: &mut Vec<u8>) {
    fn framed(out: &mut Vec<u8>, payload: &[u8], tag: u8) {
        out.extend_from_slice(payload.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(payload);
        out.push(tag);
    }
    match value {
        T::Bytes(bytes) => framed(out, bytes, b','),
        T::Text(text) => framed(out, text.as_bytes(), b';'),
        T::Int(int) => framed(out, int.to_string().as_bytes(), b'#'),
        T::Float(float) => framed(out, format!("{float:?}").as_bytes(), b'^'),
        T::Bool(flag) => framed(out, if *flag { b"true" } else { b"false" }, b'!'),
        T::Null => framed(out, b"", b'~'),
        T::List(items) => {
            let mut payload = Vec::new();
            items.iter().for_each(|item| write(item, &mut payload));
            framed(out, &payload, b']');
        }
        T::Dict(fields) => {
            let mut payload = Vec::new();
            for (key, value) in fields {
                write(&T::Text(key), &mut payload);
                write(value, &mut payload);
            }
            framed(out, &payload, b'}');
        }
    }
}

fn headers<'a>(pairs: &'a [(String, String)]) -> T<'a> {
    T::List(
        pairs
            .iter()
            .map(|(name, value)| {
                T::List(vec![T::Bytes(name.as_bytes()), T::Bytes(value.as_bytes())])
            })
            .collect(),
    )
}

/// Which end of the proxy a connection is: mitmproxy stores different fields for each.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Client,
    Server,
}

fn connection<'a>(
    side: Side,
    peer: &'a str,
    port: i64,
    sni: Option<&'a str>,
    tls_setup: Option<f64>,
) -> T<'a> {
    let mut fields = vec![
        ("id", T::Text("00000000-0000-4000-8000-000000000000")),
        ("peername", T::List(vec![T::Text(peer), T::Int(port)])),
        ("sockname", T::List(vec![T::Text("10.0.0.2"), T::Int(50000)])),
        ("transport_protocol", T::Text("tcp")),
        ("error", T::Null),
        ("tls", T::Bool(sni.is_some())),
        ("certificate_list", T::List(vec![])),
        ("alpn", T::Bytes(b"http/1.1")),
        ("alpn_offers", T::List(vec![])),
        ("cipher", T::Text("TLS_AES_128_GCM_SHA256")),
        ("cipher_list", T::List(vec![])),
        ("tls_version", T::Text("TLSv1.3")),
        ("sni", sni.map_or(T::Null, T::Text)),
        ("timestamp_start", T::Float(1_763_899_200.0)),
        ("timestamp_end", T::Null),
        ("timestamp_tls_setup", tls_setup.map_or(T::Null, T::Float)),
    ];
    match side {
        Side::Client => {
            fields.push(("mitmcert", T::Null));
            fields.push(("proxy_mode", T::Text("regular")));
        }
        Side::Server => {
            fields.push(("address", T::List(vec![T::Text("registry.bench.test"), T::Int(port)])));
            fields.push(("timestamp_tcp_setup", T::Null));
            fields.push(("via", T::Null));
        }
    }
    T::Dict(fields)
}

/// `n_flows` flows of registry traffic with `n_headers` extra headers each way and a
/// response body of `body_len` bytes.
pub fn flow_file(n_flows: usize, n_headers: usize, body_len: usize) -> Vec<u8> {
    let body: Vec<u8> = (0..body_len).map(|idx| (idx * 31 % 251) as u8).collect();
    let mut out = Vec::new();
    for flow_idx in 0..n_flows {
        let start = 1_763_899_200.0 + flow_idx as f64 * 0.001;
        let path = format!("/v2/library/alpine/blobs/sha256:{flow_idx:064x}");
        let mut request_headers = vec![
            ("Host".to_owned(), "registry.bench.test".to_owned()),
            ("User-Agent".to_owned(), "containerd/1.7.13".to_owned()),
            ("Authorization".to_owned(), format!("Bearer eyJhbGciOiJFUzI1NiJ9.{flow_idx}.sig")),
        ];
        let mut response_headers = vec![
            ("Content-Type".to_owned(), "application/octet-stream".to_owned()),
            ("Content-Length".to_owned(), body_len.to_string()),
            ("Docker-Content-Digest".to_owned(), format!("sha256:{flow_idx:064x}")),
        ];
        for header_idx in 0..n_headers {
            request_headers
                .push((format!("X-Request-Extra-{header_idx}"), format!("value {flow_idx}")));
            response_headers
                .push((format!("X-Response-Extra-{header_idx}"), format!("value {flow_idx}")));
        }
        let flow = T::Dict(vec![
            ("version", T::Int(21)),
            ("type", T::Text("http")),
            ("id", T::Text("00000000-0000-4000-8000-000000000001")),
            ("error", T::Null),
            ("client_conn", connection(Side::Client, "127.0.0.1", 40000, None, None)),
            (
                "server_conn",
                connection(
                    Side::Server,
                    "192.0.2.10",
                    443,
                    Some("registry.bench.test"),
                    Some(start),
                ),
            ),
            ("intercepted", T::Bool(false)),
            ("is_replay", T::Null),
            ("marked", T::Text("")),
            ("metadata", T::Dict(vec![])),
            ("comment", T::Text("")),
            ("timestamp_created", T::Float(start)),
            ("backup", T::Null),
            (
                "request",
                T::Dict(vec![
                    ("host", T::Text("registry.bench.test")),
                    ("port", T::Int(443)),
                    ("method", T::Bytes(b"GET")),
                    ("scheme", T::Bytes(b"https")),
                    ("authority", T::Bytes(b"")),
                    ("path", T::Bytes(path.as_bytes())),
                    ("http_version", T::Bytes(b"HTTP/1.1")),
                    ("headers", headers(&request_headers)),
                    ("content", T::Bytes(b"")),
                    ("trailers", T::Null),
                    ("timestamp_start", T::Float(start)),
                    ("timestamp_end", T::Float(start + 0.0001)),
                ]),
            ),
            (
                "response",
                T::Dict(vec![
                    ("status_code", T::Int(200)),
                    ("reason", T::Bytes(b"OK")),
                    ("http_version", T::Bytes(b"HTTP/1.1")),
                    ("headers", headers(&response_headers)),
                    ("content", T::Bytes(&body)),
                    ("trailers", T::Null),
                    ("timestamp_start", T::Float(start + 0.0002)),
                    ("timestamp_end", T::Float(start + 0.0005)),
                ]),
            ),
            ("websocket", T::Null),
        ]);
        write(&flow, &mut out);
    }
    out
}

/// Flows of body-heavy blob traffic (8 KiB bodies, 4 extra headers each way) until the file
/// holds at least `min_bytes`.
pub fn body_heavy(min_bytes: usize) -> Vec<u8> {
    flow_file(min_bytes.div_ceil(BODY_HEAVY_FLOW_BYTES).max(1), 4, 8 * 1024)
}

/// Flows of header-heavy API chatter (30 extra headers each way, 64-byte bodies) until the
/// file holds at least `min_bytes`.
pub fn header_heavy(min_bytes: usize) -> Vec<u8> {
    flow_file(min_bytes.div_ceil(HEADER_HEAVY_FLOW_BYTES).max(1), 30, 64)
}

/// Bytes one generated flow takes (a lower bound), to size files by bytes.
const BODY_HEAVY_FLOW_BYTES: usize = 10_000;
const HEADER_HEAVY_FLOW_BYTES: usize = 4_500;
