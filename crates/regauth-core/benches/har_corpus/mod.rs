//! Synthetic HAR files for benchmarks, generated in memory (deterministic, no I/O).
//!
//! Shared by `benches/read_har.rs` and `examples/har_peak_memory.rs` through `#[path]`.
#![allow(dead_code, reason = "shared by the bench and the example, which each use part of it")]

use std::fmt::Write as _;

/// A small deterministic generator (xorshift64*), so every run parses the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const WORDS: [&str; 12] = [
    "layer", "digest", "sha256", "manifest", "config", "blob", "token", "scope", "pull", "push",
    "alpine", "v2",
];

fn headers(out: &mut String, rng: &mut Rng, count: usize) {
    out.push('[');
    for header_idx in 0..count {
        if header_idx > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"name":"X-Header-{header_idx}","value":"value-{:016x}-{}"}}"#,
            rng.next(),
            WORDS[header_idx % WORDS.len()]
        );
    }
    out.push(']');
}

fn entry_start(out: &mut String, rng: &mut Rng, entry_idx: usize, n_headers: usize) {
    let _ = write!(
        out,
        r#"{{"startedDateTime":"2024-05-{:02}T{:02}:{:02}:{:02}.{:03}+00:00","time":{}.5,"request":{{"method":"GET","url":"https://registry.example/v2/library/alpine/blobs/sha256:{:016x}?n={entry_idx}","httpVersion":"HTTP/1.1","cookies":[],"headers":"#,
        // One entry a second, in time order as recorders write them (an earlier version
        // wrapped every hour, which made every big capture look shuffled).
        1 + (entry_idx / 86_400) % 28,
        (entry_idx / 3_600) % 24,
        (entry_idx / 60) % 60,
        entry_idx % 60,
        entry_idx % 1000,
        entry_idx % 500,
        rng.next()
    );
    headers(out, rng, n_headers);
    out.push_str(r#","queryString":[],"headersSize":-1,"bodySize":0},"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":"#);
    headers(out, rng, n_headers);
}

fn entry_end(out: &mut String) {
    out.push_str(r#","redirectURL":"","headersSize":-1,"bodySize":-1},"cache":{},"timings":{"send":0,"wait":1,"receive":2},"serverIPAddress":"10.0.0.1","connection":"443"}"#);
}

fn document(entries: impl FnOnce(&mut String)) -> Vec<u8> {
    let mut out = String::from(
        r#"{"log":{"version":"1.2","creator":{"name":"regauth-bench","version":"1"},"entries":["#,
    );
    entries(&mut out);
    out.push_str("]}}");
    out.into_bytes()
}

/// What a generated body holds.
#[derive(Clone, Copy, Debug)]
pub enum BodyKind {
    /// Base64 of binary data (image layers, `"encoding": "base64"`): no JSON escapes.
    Base64,
    /// Plain text with a line break (`\n` escape) every 100 bytes or so (logs, HTML).
    Text,
    /// Pretty JSON (`\"` every few bytes): the slowest text to unescape.
    Json,
}

/// The mix of [`body_heavy`]: mostly binary layers, as in a recorded `docker pull`.
pub const REALISTIC_MIX: [BodyKind; 8] = [
    BodyKind::Base64,
    BodyKind::Base64,
    BodyKind::Text,
    BodyKind::Base64,
    BodyKind::Base64,
    BodyKind::Base64,
    BodyKind::Json,
    BodyKind::Base64,
];

/// A body-heavy HAR of at least `min_bytes`: a few hundred entries with 0.5–3 MB bodies,
/// 3/4 base64, 1/8 text and 1/8 JSON text.
pub fn body_heavy(min_bytes: usize) -> Vec<u8> {
    body_heavy_with(min_bytes, &REALISTIC_MIX)
}

/// A body-heavy HAR whose bodies cycle through `kinds`.
pub fn body_heavy_with(min_bytes: usize, kinds: &[BodyKind]) -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    document(|out| {
        let mut entry_idx = 0;
        while out.len() < min_bytes {
            if entry_idx > 0 {
                out.push(',');
            }
            entry_start(out, &mut rng, entry_idx, 12);
            // Sizes cycle independently of the kind, so each kind gets the same average size.
            let body_len = [512 << 10, 1 << 20, 2 << 20, 3 << 20][(entry_idx / kinds.len()) % 4];
            let target = out.len() + body_len;
            match kinds[entry_idx % kinds.len()] {
                BodyKind::Base64 => {
                    out.push_str(r#","content":{"size":0,"mimeType":"application/octet-stream","encoding":"base64","text":""#);
                    let mut word = rng.next();
                    for byte_idx in 0..body_len {
                        if byte_idx % 10 == 0 {
                            word = rng.next();
                        }
                        out.push(char::from(
                            BASE64_ALPHABET[((word >> ((byte_idx % 10) * 6)) & 63) as usize],
                        ));
                    }
                }
                BodyKind::Text => {
                    out.push_str(r#","content":{"size":0,"mimeType":"text/plain","text":""#);
                    let mut words_on_line = 0;
                    while out.len() < target {
                        out.push_str(WORDS[(rng.next() % 12) as usize]);
                        words_on_line += 1;
                        if words_on_line == 14 {
                            out.push_str("\\n");
                            words_on_line = 0;
                        } else {
                            out.push(' ');
                        }
                    }
                }
                BodyKind::Json => {
                    out.push_str(r#","content":{"size":0,"mimeType":"application/json","text":"{\"layers\":["#);
                    while out.len() < target {
                        let _ = write!(
                            out,
                            r#"{{\"digest\":\"sha256:{:016x}\",\"size\":{}}},\n"#,
                            rng.next(),
                            rng.next() % 100_000
                        );
                    }
                    out.push_str(r#"{}]}"#);
                }
            }
            out.push_str(r#""}"#);
            entry_end(out);
            entry_idx += 1;
        }
    })
}

/// A header-heavy HAR: `n_entries` entries with 15 request and 15 response headers each
/// and small JSON bodies (the shape of a long `docker pull` through a proxy).
pub fn header_heavy(n_entries: usize) -> Vec<u8> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    document(|out| {
        for entry_idx in 0..n_entries {
            if entry_idx > 0 {
                out.push(',');
            }
            entry_start(out, &mut rng, entry_idx, 15);
            let _ = write!(
                out,
                r#","content":{{"size":120,"mimeType":"application/json","text":"{{\"token\":\"{:016x}{:016x}\",\"expires_in\":300,\"issued_at\":\"2024-05-01T10:00:00Z\"}}"}}"#,
                rng.next(),
                rng.next()
            );
            entry_end(out);
        }
    })
}

/// Bytes one [`header_heavy`] entry takes (a lower bound), to size files by bytes.
const HEADER_HEAVY_ENTRY_BYTES: usize = 2_500;

/// A header-heavy HAR of at least `min_bytes` (see [`header_heavy`]).
pub fn header_heavy_bytes(min_bytes: usize) -> Vec<u8> {
    header_heavy(min_bytes.div_ceil(HEADER_HEAVY_ENTRY_BYTES).max(1))
}
