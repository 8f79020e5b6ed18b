//! Requests without a usable answer: what the recorder's error says (a certificate refused, a
//! request the client abandoned, a server that could not be reached), a recorder's own error
//! page standing in for an answer, and HTTPS-first probes that the client then repeated over
//! plain HTTP (a registry configured as insecure).
//!
//! Error texts differ per recorder, so each rule matches the class of message rather than one
//! spelling: mitmproxy 8–12 (`Client disconnected.`, `stream reset by client (CANCEL)`,
//! `stream closed by client (...)`, `The remote server does not speak TLS.`), Chromium
//! (`net::ERR_ABORTED`, `net::ERR_SSL_PROTOCOL_ERROR`), Firefox (`NS_BINDING_ABORTED`,
//! `SEC_ERROR_*`), WebKit (`cancelled`), Go proxies (`context canceled`), Charles and Fiddler
//! (`Client closed connection ...`).

use std::borrow::Cow;
use std::collections::HashMap;

use super::classify::Role;
use crate::model::{Exchange, decode_limits, narrow_text};

/// What an error recorded instead of an answer means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoAnswer {
    /// A TLS certificate was refused (by the client or by the recorder checking upstream).
    Certificate { expired: bool },
    /// The client went away (killed, exited, cancelled, a browser aborting a request).
    Abandoned,
    /// The server could not be reached or broke the connection (DNS, refused, reset, TLS
    /// failure, timeout).
    Unreachable,
}

/// What `error` (a recorder's error text for a request without an answer) means.
pub fn no_answer(error: &str) -> NoAnswer {
    if is_certificate_error(error) {
        NoAnswer::Certificate { expired: is_expired_certificate_error(error) }
    } else if is_abandoned(error) {
        NoAnswer::Abandoned
    } else {
        NoAnswer::Unreachable
    }
}

/// Whether the client itself gave the request up. Server-side resets ("Connection reset by
/// peer", "server disconnected") are not: those say the server broke the connection; nor are
/// timeouts, even when the client's own timer cancelled the request (Go: "request canceled
/// (Client.Timeout exceeded ...)"): the server did not answer in time.
pub fn is_abandoned(error: &str) -> bool {
    let lower = error.to_ascii_lowercase();
    if ["timeout", "timed out", "deadline exceeded"].iter().any(|word| lower.contains(word)) {
        return false;
    }
    let by_client = lower.contains("client")
        && ["disconnect", "closed", "abort", "cancel", "reset", "gone away", "went away"]
            .iter()
            .any(|word| lower.contains(word));
    by_client
        || [
            // Chromium (HAR `_error`, Playwright `_failureText`).
            "err_aborted",
            "err_blocked_by_client",
            // Firefox (Playwright's `_failureText`, DevTools).
            "ns_binding_aborted",
            // WebKit ("Load request cancelled"), Go proxies ("context canceled").
            "cancelled",
            "canceled",
            // mitmproxy's user (or an addon) killed the flow: the request never reached a
            // server verdict, and no server failed.
            "connection killed",
        ]
        .iter()
        .any(|needle| lower.contains(needle))
}

pub fn is_certificate_error(error: &str) -> bool {
    let lower = error.to_ascii_lowercase();
    [
        "certificate",
        "x509",
        "unknown ca",
        "unknown_ca",
        "self signed",
        "self-signed",
        "self_signed",
        "tlsv1 alert",
        // Chromium (`net::ERR_CERT_AUTHORITY_INVALID`, ...) and Firefox (`SEC_ERROR_UNKNOWN_ISSUER`,
        // `MOZILLA_PKIX_ERROR_...`, `SSL_ERROR_BAD_CERT_DOMAIN`) name certificate failures by code.
        "err_cert_",
        "sec_error_",
        "mozilla_pkix_error",
        "_bad_cert",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// A certificate error that is about the certificate's dates (expired or not yet valid).
pub fn is_expired_certificate_error(error: &str) -> bool {
    let lower = error.to_ascii_lowercase();
    [
        "err_cert_date_invalid",
        "expired_certificate",
        "expired certificate",
        "certificate has expired",
        "certificate is not yet valid",
        "certificate expired",
        "cert_has_expired",
        "has expired or is not yet valid",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// Whether the error says the server answered, but not with TLS (a plain-HTTP server on the
/// port the client reached with `https://`).
pub fn is_not_tls(error: &str) -> bool {
    let lower = error.to_ascii_lowercase();
    [
        // mitmproxy.
        "does not speak tls",
        // Go: "tls: first record does not look like a TLS handshake".
        "does not look like a tls handshake",
        // OpenSSL / Python.
        "wrong version number",
        "wrong_version_number",
        "unknown protocol",
        // Chromium, Firefox.
        "err_ssl_protocol_error",
        "ssl_error_rx_record_too_long",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// Servers whose own error page may stand in for a response that never came (they answer
/// 502/503/504 when they cannot reach the server).
const RECORDERS: [&str; 6] =
    ["mitmproxy", "charles", "fiddler", "http toolkit", "httptoolkit", "burp"];

/// A recorder's (or another proxy's) own 502/503/504 answer to a request it could not deliver,
/// described as the error it stands for: the registry itself never answered. Known by the
/// recorder's name in `Server` or in the page, or by a TLS failure the page quotes.
pub fn recorder_error(exchange: &Exchange) -> Option<String> {
    let response = exchange.response.as_ref()?;
    if !matches!(response.status, 502..=504) {
        return None;
    }
    let server = response.headers.get("server").unwrap_or_default().to_ascii_lowercase();
    let page = response.body.text(decode_limits::ERROR_BODY).unwrap_or_default();
    let page_lower = page.to_ascii_lowercase();
    let recorder =
        RECORDERS.iter().find(|name| server.contains(*name) || page_lower.contains(*name)).copied();
    if recorder.is_none() && !is_not_tls(&page) && !is_certificate_error(&page) {
        return None;
    }
    let reason = if is_not_tls(&page) {
        ": the server does not speak TLS"
    } else if is_certificate_error(&page) {
        ": the server's certificate was refused"
    } else {
        ""
    };
    Some(format!("{} answered {} itself{reason}", recorder.unwrap_or("the proxy"), response.status))
}

/// How long after an HTTPS attempt its plain-HTTP repetition may start. Clients fall back
/// within milliseconds; a minute leaves room for slow DNS and proxies, not for a new run.
const FALLBACK_WINDOW_S: f64 = 60.0;

/// How many later plain-HTTP requests to the same registry are looked at for the one that
/// repeats a probe (bounds the work on captures with thousands of them).
const FALLBACK_CANDIDATES: usize = 64;

/// HTTPS-first probes: registry requests over `https://` that got no answer from the registry
/// (an error, or a recorder's 502/503/504) and that the same client then repeated over plain
/// `http://` to the same host and port, which answered. Maps each probe to that plain-HTTP
/// exchange.
///
/// "The same client": the same `User-Agent` and client IP when both requests carry them, and
/// the repetition starting within [`FALLBACK_WINDOW_S`]. Default ports count as the same
/// registry (`https://host/` → `http://host/`), as clients fall back from 443 to 80.
pub fn fallback_probes(exchanges: &[Exchange], roles: &[Role]) -> HashMap<usize, usize> {
    // Answered plain-HTTP registry requests per authority, in capture order.
    let mut plain: HashMap<&str, Vec<usize>> = HashMap::new();
    for (idx, role) in roles.iter().enumerate() {
        if let Role::Registry { authority, .. } = role
            && exchanges[idx].request.scheme.eq_ignore_ascii_case("http")
            && exchanges[idx].response.as_ref().is_some_and(|response| response.status < 500)
        {
            plain.entry(&**authority).or_default().push(idx);
        }
    }
    let mut probes = HashMap::new();
    if plain.is_empty() {
        return probes;
    }
    for (idx, role) in roles.iter().enumerate() {
        let Role::Registry { authority, .. } = role else { continue };
        let probe = &exchanges[idx];
        if !probe.request.scheme.eq_ignore_ascii_case("https") || !failed_without_registry(probe) {
            continue;
        }
        let Some(candidates) = plain.get(&**authority) else { continue };
        let first_later = candidates.partition_point(|&other| other <= idx);
        let fallback = candidates[first_later..]
            .iter()
            .take(FALLBACK_CANDIDATES)
            .copied()
            .take_while(|&later| within_window(probe, &exchanges[later]))
            .find(|&later| same_client(probe, &exchanges[later]));
        if let Some(fallback) = fallback {
            probes.insert(idx, fallback);
        }
    }
    probes
}

/// Whether the request got no answer from the registry itself: an error that is not the
/// client giving up, or a recorder's error page.
fn failed_without_registry(exchange: &Exchange) -> bool {
    match (&exchange.response, &exchange.error) {
        (None, Some(error)) => !is_abandoned(error),
        (Some(_), _) => recorder_error(exchange).is_some(),
        (None, None) => false,
    }
}

fn within_window(probe: &Exchange, later: &Exchange) -> bool {
    match (probe.timing.request_start, later.timing.request_start) {
        (Some(probe_at), Some(later_at)) => {
            let gap = (later_at - probe_at).num_milliseconds() as f64 / 1000.0;
            gap <= FALLBACK_WINDOW_S
        }
        // Without timestamps, capture order is all there is.
        _ => true,
    }
}

fn same_client(probe: &Exchange, later: &Exchange) -> bool {
    fn agent(exchange: &Exchange) -> Option<Cow<'_, str>> {
        narrow_text(exchange.request.headers.get("user-agent")?, |agent| Some(agent.trim()))
    }
    let client_ip = |exchange: &Exchange| {
        exchange.client_address.as_deref().map(|address| {
            // `ip:port`, `[v6]:port`: the port differs per connection.
            address.rsplit_once(':').map_or(address, |(ip, _)| ip).to_owned()
        })
    };
    fn agree<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
    agree(agent(probe), agent(later)) && agree(client_ip(probe), client_ip(later))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_side_endings_are_abandoned_and_server_side_ones_are_not() {
        for error in [
            "Client disconnected.",
            "stream reset by client (CANCEL)",
            "stream closed by client (H3_REQUEST_CANCELLED)",
            "net::ERR_ABORTED",
            "NS_BINDING_ABORTED",
            "Load request cancelled",
            "context canceled",
            "Client closed connection before receiving entire response",
            "Connection killed.",
        ] {
            assert_eq!(no_answer(error), NoAnswer::Abandoned, "{error}");
        }
        for error in [
            "Connection reset by peer",
            "[Errno 104] ECONNRESET",
            "Server disconnected.",
            "peer closed connection",
            "The remote server does not speak TLS.",
            "net::ERR_CONNECTION_REFUSED",
            "dial tcp: lookup reg.example: no such host",
            "i/o timeout",
            "net/http: request canceled (Client.Timeout exceeded while awaiting headers)",
        ] {
            assert_eq!(no_answer(error), NoAnswer::Unreachable, "{error}");
        }
        assert_eq!(
            no_answer("x509: certificate has expired or is not yet valid"),
            NoAnswer::Certificate { expired: true }
        );
        // mitmproxy's note when the client hangs up during the handshake with the recorder:
        // a certificate the client refused, not a request it gave up.
        assert_eq!(
            no_answer(
                "The client disconnected during the handshake. If this happens consistently for reg.example, this may indicate that the client does not trust the proxy's certificate."
            ),
            NoAnswer::Certificate { expired: false }
        );
    }

    #[test]
    fn plain_http_answers_on_a_tls_port_are_recognised() {
        for error in [
            "The remote server does not speak TLS.",
            "tls: first record does not look like a TLS handshake",
            "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
            "net::ERR_SSL_PROTOCOL_ERROR",
            "SSL_ERROR_RX_RECORD_TOO_LONG",
        ] {
            assert!(is_not_tls(error), "{error}");
        }
        assert!(!is_not_tls("Connection refused"));
    }
}
