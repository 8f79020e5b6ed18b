//! Capture-wide TLS checks over [`crate::tls_facts`]: certificates outside their validity at
//! capture time (server chains and client certificates), host names the server certificate does
//! not cover, and client certificates about to expire.
//!
//! Each exchange is judged at its own timestamp, so a certificate that expires in the middle of
//! a long push is reported from the exchange on which it had expired.

use crate::analysis::findings::Merger;
use crate::analysis::{Code, Finding, Severity};
use crate::capture::Capture;
use crate::tls_facts::{
    CLIENT_CERTIFICATE_WARNING_DAYS, CertificateFacts, HostCheck, TlsConnection, TlsFacts,
    ValidityAt, exchange_time,
};

pub(super) fn tls_findings(
    capture: &Capture,
    facts: &TlsFacts,
    session_of_exchange: &super::ExchangeMap<usize>,
    findings: &mut Merger,
) {
    for connection in &facts.connections {
        let endpoint = endpoint(connection);
        let session =
            connection.exchanges.first().and_then(|idx| session_of_exchange.get(idx)).copied();
        let server_chain: Vec<&CertificateFacts> =
            connection.server_chain.iter().filter_map(|&idx| facts.certificates.get(idx)).collect();
        for (position, certificate) in server_chain.iter().enumerate() {
            // A self-signed CA the server sends along is not what clients verify against (they
            // use their own copy of the root), so only the leaf and intermediates count.
            if position > 0 && certificate.is_ca && certificate.subject == certificate.issuer {
                continue;
            }
            let role = if position == 0 {
                format!("The certificate of {endpoint}")
            } else {
                format!("The intermediate certificate #{position} that {endpoint} sends")
            };
            validity_findings(capture, connection, certificate, &role, session, findings);
        }
        if server_chain.is_empty()
            && let Some(summary) = &connection.server_summary
        {
            // A HAR recorder's summary of the leaf (no DER): dates only.
            let summary_facts = CertificateFacts::from_summary(summary);
            let role = format!("The certificate of {endpoint}");
            validity_findings(capture, connection, &summary_facts, &role, session, findings);
        }
        if let (Some(check), Some(leaf)) = (&connection.host_check, server_chain.first()) {
            let names = leaf
                .dns_names
                .iter()
                .chain(&leaf.ip_addresses)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let message = match check {
                HostCheck::Matches { .. } => None,
                HostCheck::Mismatch => Some(format!(
                    "The certificate of {endpoint} ({}) is for {names}, not for {}: clients refuse it (x509: certificate is valid for {names}, not {}).",
                    subject(leaf),
                    connection.host,
                    connection.host
                )),
                HostCheck::NoSubjectAltName => Some(format!(
                    "The certificate of {endpoint} ({}) has no subjectAltName. Go clients (docker, podman, skopeo, containerd) ignore the Common Name and refuse it (x509: certificate relies on legacy Common Name field, use SANs instead).",
                    subject(leaf)
                )),
            };
            if let Some(message) = message {
                findings.push(Finding {
                    code: Code::TlsHostnameMismatch,
                    severity: Severity::Error,
                    session,
                    step: None,
                    exchanges: connection.exchanges.iter().copied().take(20).collect(),
                    message,
                });
            }
        }
        if let Some(leaf) =
            connection.client_chain.first().and_then(|&idx| facts.certificates.get(idx))
        {
            let role =
                format!("The client certificate ({}) presented to {endpoint}", subject(leaf));
            let judged = validity_findings(capture, connection, leaf, &role, session, findings);
            if !judged
                && let (Some(last), Some(not_after)) = (connection.last_seen, leaf.not_after)
                && let Some(ValidityAt::Valid { remaining_s }) = leaf.validity_at(last)
                && remaining_s <= CLIENT_CERTIFICATE_WARNING_DAYS * 24 * 3600
            {
                findings.push(Finding {
                    code: Code::TlsClientCertificateExpiring,
                    severity: Severity::Warning,
                    session,
                    step: None,
                    exchanges: connection.exchanges.iter().copied().take(20).collect(),
                    message: format!(
                        "{role} expires {} after the capture ({}), issued by {}.{}",
                        describe_span(remaining_s),
                        short_date(&not_after),
                        leaf.issuer.as_deref().unwrap_or("an unknown issuer"),
                        revocation_note(leaf)
                    ),
                });
            }
        }
    }
}

/// Expired / not-yet-valid findings for one certificate; `true` when it emitted one.
fn validity_findings(
    capture: &Capture,
    connection: &TlsConnection,
    certificate: &CertificateFacts,
    role: &str,
    session: Option<usize>,
    findings: &mut Merger,
) -> bool {
    let mut expired: Vec<(usize, i64)> = Vec::new();
    let mut early: Vec<(usize, i64)> = Vec::new();
    for &idx in &connection.exchanges {
        let Some(at) = capture.exchanges.get(idx).and_then(exchange_time) else { continue };
        match certificate.validity_at(at) {
            Some(ValidityAt::Expired { since_s }) => expired.push((idx, since_s)),
            Some(ValidityAt::NotYetValid { starts_in_s }) => early.push((idx, starts_in_s)),
            _ => {}
        }
    }
    let mut emitted = false;
    if let (Some(&(_, since_s)), Some(not_after)) = (expired.first(), certificate.not_after) {
        findings.push(Finding {
            code: Code::TlsCertificateExpired,
            severity: Severity::Error,
            session,
            step: None,
            exchanges: expired.iter().map(|(idx, _)| *idx).take(20).collect(),
            message: format!(
                "{role} had expired {} before the capture (not after {}).",
                describe_span(since_s),
                short_date(&not_after)
            ),
        });
        emitted = true;
    }
    if let (Some(&(_, starts_in_s)), Some(not_before)) = (early.first(), certificate.not_before) {
        findings.push(Finding {
            code: Code::TlsCertificateNotYetValid,
            severity: Severity::Error,
            session,
            step: None,
            exchanges: early.iter().map(|(idx, _)| *idx).take(20).collect(),
            message: format!(
                "{role} was not valid yet: its validity starts {} after the capture time (not before {}). Either it was issued with a future date or the clock of the machine that recorded (and ran the client) is behind.",
                describe_span(starts_in_s),
                short_date(&not_before)
            ),
        });
        emitted = true;
    }
    emitted
}

/// `2027-01-14T08:00:00Z` (chrono's strftime would add kilobytes to the web app for this).
fn short_date(at: &crate::model::Timestamp) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn endpoint(connection: &TlsConnection) -> String {
    let host = if connection.host.contains(':') {
        format!("[{}]", connection.host)
    } else {
        connection.host.clone()
    };
    format!("{host}:{}", connection.port)
}

fn subject(certificate: &CertificateFacts) -> &str {
    certificate.subject.as_deref().unwrap_or("unreadable subject")
}

fn revocation_note(certificate: &CertificateFacts) -> String {
    let mut endpoints: Vec<String> = Vec::new();
    endpoints.extend(certificate.crl_distribution_points.iter().map(|url| format!("CRL {url}")));
    endpoints.extend(certificate.ocsp_responders.iter().map(|url| format!("OCSP {url}")));
    if endpoints.is_empty() {
        " It names no CRL or OCSP endpoint.".to_owned()
    } else {
        format!(" Revocation: {}.", endpoints.join(", "))
    }
}

/// `3 days 4 h`, `5 h 2 min`, `40 s`.
fn describe_span(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) =
        (seconds / 86_400, (seconds % 86_400) / 3600, (seconds % 3600) / 60);
    if days > 0 {
        format!("{days} day{} {hours} h", if days == 1 { "" } else { "s" })
    } else if hours > 0 {
        format!("{hours} h {minutes} min")
    } else if minutes > 0 {
        format!("{minutes} min {} s", seconds % 60)
    } else {
        format!("{seconds} s")
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::{AnalysisConfig, Severity, analyze};
    use crate::capture::Capture;
    use crate::model::CertificateSummary;
    use crate::tls_facts::tests::{CAPTURE_AT, Spec, TestCa, at, capture, exchange};

    const DAY: i64 = 24 * 3600;

    /// (code, severity, exchanges, message) of every TLS finding.
    fn tls_findings(capture: &Capture) -> Vec<(&'static str, Severity, Vec<usize>, String)> {
        analyze(capture, &AnalysisConfig::default())
            .findings
            .into_iter()
            .filter(|finding| finding.code.as_str().starts_with("tls-"))
            .map(|finding| {
                (
                    finding.code.as_str(),
                    finding.severity,
                    finding.exchanges.to_vec(),
                    finding.message,
                )
            })
            .collect()
    }

    fn codes(capture: &Capture) -> Vec<&'static str> {
        tls_findings(capture).into_iter().map(|(code, ..)| code).collect()
    }

    #[test]
    fn valid_matching_chain_gives_no_finding() {
        let ca = TestCa::new();
        let leaf = ca.mint(&Spec { dns: &["*.example"], ..Spec::default() });
        let capture =
            capture(vec![exchange(0, "registry.example", 443, CAPTURE_AT, &[&leaf, &ca.der], &[])]);
        assert_eq!(codes(&capture), Vec::<&str>::new());
    }

    #[test]
    fn expired_server_certificate_from_the_exchange_on() {
        let ca = TestCa::new();
        // hand-written fixture: expires one day into a two-day capture.
        let leaf = ca.mint(&Spec { not_after: CAPTURE_AT + DAY, ..Spec::default() });
        let capture = capture(vec![
            exchange(0, "registry.example", 443, CAPTURE_AT, &[&leaf], &[]),
            exchange(1, "registry.example", 443, CAPTURE_AT + 2 * DAY, &[&leaf], &[]),
        ]);
        let found = tls_findings(&capture);
        assert_eq!(found.len(), 1, "{found:?}");
        let (code, severity, exchanges, message) = &found[0];
        assert_eq!((*code, *severity), ("tls-certificate-expired", Severity::Error));
        assert_eq!(exchanges, &vec![1], "judged at each exchange's own time");
        assert!(
            message.contains("registry.example:443") && message.contains("1 day 0 h"),
            "{message}"
        );
    }

    #[test]
    fn two_endpoints_with_expired_certificates_keep_both_messages() {
        let ca = TestCa::new();
        let registry = ca.mint(&Spec { not_after: CAPTURE_AT - DAY, ..Spec::default() });
        let auth = ca.mint(&Spec {
            subject: "CN=auth.example",
            dns: &["auth.example"],
            not_after: CAPTURE_AT - 2 * DAY,
            ..Spec::default()
        });
        // Outside any session (no registry API path), so the engine would merge the two.
        let mut exchanges = vec![
            exchange(0, "registry.example", 443, CAPTURE_AT, &[&registry], &[]),
            exchange(1, "auth.example", 443, CAPTURE_AT, &[&auth], &[]),
        ];
        for exchange in &mut exchanges {
            exchange.request.path = "/index.html".into();
        }
        let found = tls_findings(&capture(exchanges));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].2, vec![0, 1]);
        assert!(
            found[0].3.contains("registry.example:443") && found[0].3.contains("auth.example:443"),
            "{}",
            found[0].3
        );
    }

    #[test]
    fn not_yet_valid_server_certificate() {
        let ca = TestCa::new();
        let leaf = ca.mint(&Spec { not_before: CAPTURE_AT + 3600, ..Spec::default() });
        let capture =
            capture(vec![exchange(0, "registry.example", 443, CAPTURE_AT, &[&leaf], &[])]);
        let found = tls_findings(&capture);
        assert_eq!(
            found.iter().map(|f| f.0).collect::<Vec<_>>(),
            vec!["tls-certificate-not-yet-valid"]
        );
        assert!(found[0].3.contains("1 h 0 min"), "{}", found[0].3);
    }

    #[test]
    fn expired_intermediate_counts_but_a_sent_root_does_not() {
        let ca = TestCa::new();
        let leaf = ca.mint(&Spec::default());
        // hand-written fixture: a second, expired non-CA certificate standing in as intermediate.
        let old = ca.mint(&Spec {
            subject: "CN=old intermediate",
            not_after: CAPTURE_AT - DAY,
            ..Spec::default()
        });
        let capture = capture(vec![exchange(
            0,
            "registry.example",
            443,
            CAPTURE_AT,
            &[&leaf, &old, &ca.der],
            &[],
        )]);
        let found = tls_findings(&capture);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].3.contains("intermediate certificate #1"), "{}", found[0].3);
    }

    #[test]
    fn host_name_mismatch_wildcards_and_missing_san() {
        let ca = TestCa::new();
        let other = ca.mint(&Spec { dns: &["other.example", "*.apps.example"], ..Spec::default() });
        let capture_mismatch =
            capture(vec![exchange(0, "registry.example", 443, CAPTURE_AT, &[&other], &[])]);
        let found = tls_findings(&capture_mismatch);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), vec!["tls-hostname-mismatch"]);
        assert!(
            found[0].3.contains("other.example, *.apps.example, not for registry.example"),
            "{}",
            found[0].3
        );
        // One label under the wildcard matches; two do not.
        let one =
            capture(vec![exchange(0, "harbor.apps.example", 443, CAPTURE_AT, &[&other], &[])]);
        assert_eq!(codes(&one), Vec::<&str>::new());
        let two =
            capture(vec![exchange(0, "a.harbor.apps.example", 443, CAPTURE_AT, &[&other], &[])]);
        assert_eq!(codes(&two), vec!["tls-hostname-mismatch"]);
        // No SAN: the Common Name does not count.
        let legacy = ca.mint(&Spec { dns: &[], ..Spec::default() });
        let found = tls_findings(&capture(vec![exchange(
            0,
            "registry.example",
            443,
            CAPTURE_AT,
            &[&legacy],
            &[],
        )]));
        assert_eq!(found.len(), 1);
        assert!(found[0].3.contains("legacy Common Name"), "{}", found[0].3);
    }

    #[test]
    fn client_certificate_expiring_within_30_days() {
        let ca = TestCa::new();
        let server = ca.mint(&Spec { dns: &["docker.example"], ..Spec::default() });
        let soon = ca.mint(&Spec {
            subject: "CN=docker-client,O=ci",
            dns: &[],
            client: true,
            urls: true,
            not_after: CAPTURE_AT + 10 * DAY,
            ..Spec::default()
        });
        let capture_soon =
            capture(vec![exchange(0, "docker.example", 2376, CAPTURE_AT, &[&server], &[&soon])]);
        let found = tls_findings(&capture_soon);
        assert_eq!(found.len(), 1, "{found:?}");
        let (code, severity, _, message) = &found[0];
        assert_eq!((*code, *severity), ("tls-client-certificate-expiring", Severity::Warning));
        assert!(
            message.contains("CN=docker-client,O=ci") && message.contains("docker.example:2376"),
            "{message}"
        );
        assert!(message.contains("10 days 0 h"), "{message}");
        assert!(
            message.contains("CRL http://crl.example/ca.crl")
                && message.contains("OCSP http://ocsp.example"),
            "{message}"
        );
        let later = ca.mint(&Spec {
            subject: "CN=docker-client",
            dns: &[],
            client: true,
            not_after: CAPTURE_AT + 40 * DAY,
            ..Spec::default()
        });
        let capture_later =
            capture(vec![exchange(0, "docker.example", 2376, CAPTURE_AT, &[&server], &[&later])]);
        assert_eq!(codes(&capture_later), Vec::<&str>::new());
        let expired = ca.mint(&Spec {
            subject: "CN=docker-client",
            dns: &[],
            client: true,
            not_after: CAPTURE_AT - DAY,
            ..Spec::default()
        });
        let found = tls_findings(&capture(vec![exchange(
            0,
            "docker.example",
            2376,
            CAPTURE_AT,
            &[&server],
            &[&expired],
        )]));
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), vec!["tls-certificate-expired"]);
        assert!(
            found[0].3.starts_with("The client certificate (CN=docker-client)"),
            "{}",
            found[0].3
        );
    }

    #[test]
    fn recorder_summaries_without_der_are_judged_too() {
        // hand-written fixture: Playwright's `_securityDetails` of an expired certificate.
        let mut expired = exchange(0, "registry.example", 443, CAPTURE_AT, &[], &[]);
        if let Some(tls) = expired.tls.as_mut().map(std::sync::Arc::make_mut) {
            tls.server_certificate_summary = Some(CertificateSummary {
                subject: Some("registry.example".into()),
                issuer: Some("Some CA".into()),
                not_before: Some(at(CAPTURE_AT - 400 * DAY)),
                not_after: Some(at(CAPTURE_AT - 35 * DAY)),
            });
        }
        assert_eq!(codes(&capture(vec![expired])), vec!["tls-certificate-expired"]);
    }

    #[test]
    fn an_interceptor_ca_in_the_chain_is_tls_intercepted() {
        let ca = TestCa::named("CN=mitmproxy,O=mitmproxy");
        let leaf = ca.mint(&Spec::default());
        let capture =
            capture(vec![exchange(0, "registry.example", 443, CAPTURE_AT, &[&leaf], &[])]);
        let found = tls_findings(&capture);
        assert_eq!(
            found.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(),
            vec![("tls-intercepted", Severity::Info)]
        );
    }
}
