//! The TLS section: every TLS endpoint of a capture with its server chain and the client
//! certificate a mutual-TLS client presented. Part of `regauth.analysis/v1` (field `tls`) and
//! the body of `regauth.tls/v1` (`regauth tls --format json`).
//!
//! # Wire format
//!
//! ```text
//! "tls": {
//!   "certificates": [{index, sha256, subject|null, issuer|null, serial|null,
//!                     not_before|null, not_after|null,          // RFC 3339
//!                     dns_names: [..], ip_addresses: [..], crl_distribution_points: [..],
//!                     ocsp_responders: [..], ca_issuers: [..], extended_key_usage: [..],
//!                     is_ca, public_key|null, problems: [..]}],  // each certificate once
//!   "connections": [{host, port, sni|null, server_addresses: [..], versions: [..], ciphers: [..],
//!                    alpn: [..], established, errors: [..],
//!                    server_chain: [Link], client_chain: [Link],   // leaf first
//!                    server_summary: {subject, issuer, not_before, not_after}|null,  // HAR only
//!                    host_check: "match"|"mismatch"|"no-subject-alt-name"|null,
//!                    host_check_name|null,    // the SAN that matched
//!                    exchanges: [..], first_seen|null, last_seen|null}]
//! }
//! Link = {certificate,                        // index into certificates
//!         validity: "valid"|"expired"|"not-yet-valid"|"unknown",  // over first_seen..last_seen
//!         seconds_to_expiry|null}             // not_after - last_seen (negative: expired)
//! ```
//! Validity is judged at the exchanges' own timestamps (capture clock), never the machine's.
//! `regauth.tls/v1` is `{schema, sources, tls, findings, problems}` with the `tls-*` findings
//! and the Engine-over-plain-tcp finding in the analysis's finding shape. Fields are only ever
//! added, never renamed or removed.

use serde::{Deserialize, Serialize};

use super::printable;

use super::exchanges::rfc3339;
use crate::analysis::{Code, Severity};
use crate::tls_facts::{CertificateFacts, TlsConnection, TlsFacts, ValidityAt};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsSection {
    pub certificates: Vec<CertificateRow>,
    pub connections: Vec<ConnectionRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateRow {
    pub index: usize,
    pub sha256: String,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub serial: Option<String>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<String>,
    pub crl_distribution_points: Vec<String>,
    pub ocsp_responders: Vec<String>,
    pub ca_issuers: Vec<String>,
    pub extended_key_usage: Vec<String>,
    pub is_ca: bool,
    pub public_key: Option<String>,
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRow {
    pub host: String,
    pub port: u16,
    pub sni: Option<String>,
    pub server_addresses: Vec<String>,
    pub versions: Vec<String>,
    pub ciphers: Vec<String>,
    pub alpn: Vec<String>,
    pub established: bool,
    pub errors: Vec<String>,
    pub server_chain: Vec<LinkRow>,
    pub client_chain: Vec<LinkRow>,
    pub server_summary: Option<SummaryRow>,
    pub host_check: Option<String>,
    pub host_check_name: Option<String>,
    pub exchanges: Vec<usize>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkRow {
    pub certificate: usize,
    pub validity: String,
    pub seconds_to_expiry: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
}

/// How a certificate fares over a connection's time span: expired if it was at the last
/// exchange, not yet valid if it was at the first.
pub fn validity_over(connection: &TlsConnection, facts: &CertificateFacts) -> &'static str {
    let (Some(first), Some(last)) = (connection.first_seen, connection.last_seen) else {
        return "unknown";
    };
    match (facts.validity_at(first), facts.validity_at(last)) {
        (_, Some(ValidityAt::Expired { .. })) => "expired",
        (Some(ValidityAt::NotYetValid { .. }), _) => "not-yet-valid",
        (Some(_), Some(_)) => "valid",
        _ => "unknown",
    }
}

impl TlsSection {
    pub fn new(facts: &TlsFacts) -> TlsSection {
        let certificates = facts
            .certificates
            .iter()
            .enumerate()
            .map(|(index, cert)| CertificateRow {
                index,
                sha256: cert.sha256.clone(),
                subject: cert.subject.clone(),
                issuer: cert.issuer.clone(),
                serial: cert.serial.clone(),
                not_before: cert.not_before.as_ref().map(rfc3339),
                not_after: cert.not_after.as_ref().map(rfc3339),
                dns_names: cert.dns_names.clone(),
                ip_addresses: cert.ip_addresses.clone(),
                crl_distribution_points: cert.crl_distribution_points.clone(),
                ocsp_responders: cert.ocsp_responders.clone(),
                ca_issuers: cert.ca_issuers.clone(),
                extended_key_usage: cert.extended_key_usage.clone(),
                is_ca: cert.is_ca,
                public_key: cert.public_key.clone(),
                problems: cert.problems.clone(),
            })
            .collect();
        let links = |connection: &TlsConnection, chain: &[usize]| -> Vec<LinkRow> {
            chain
                .iter()
                .filter_map(|&index| {
                    let cert = facts.certificates.get(index)?;
                    Some(LinkRow {
                        certificate: index,
                        validity: validity_over(connection, cert).to_owned(),
                        seconds_to_expiry: match (cert.not_after, connection.last_seen) {
                            (Some(not_after), Some(last)) => Some((not_after - last).num_seconds()),
                            _ => None,
                        },
                    })
                })
                .collect()
        };
        let connections = facts
            .connections
            .iter()
            .map(|connection| ConnectionRow {
                host: connection.host.clone(),
                port: connection.port,
                sni: connection.sni.clone(),
                server_addresses: connection.server_addresses.clone(),
                versions: connection.versions.clone(),
                ciphers: connection.ciphers.clone(),
                alpn: connection.alpn.clone(),
                established: connection.established,
                errors: connection.errors.clone(),
                server_chain: links(connection, &connection.server_chain),
                client_chain: links(connection, &connection.client_chain),
                server_summary: connection.server_summary.as_ref().map(|summary| SummaryRow {
                    subject: summary.subject.clone(),
                    issuer: summary.issuer.clone(),
                    not_before: summary.not_before.as_ref().map(rfc3339),
                    not_after: summary.not_after.as_ref().map(rfc3339),
                }),
                host_check: connection.host_check.as_ref().map(|check| check.as_str().to_owned()),
                host_check_name: match &connection.host_check {
                    Some(crate::tls_facts::HostCheck::Matches { name }) => Some(name.clone()),
                    _ => None,
                },
                exchanges: connection.exchanges.clone(),
                first_seen: connection.first_seen.as_ref().map(rfc3339),
                last_seen: connection.last_seen.as_ref().map(rfc3339),
            })
            .collect();
        TlsSection { certificates, connections }
    }
}

/// Schema of `regauth tls --format json`.
pub const SCHEMA: &str = "regauth.tls/v1";

/// `regauth.tls/v1`: the analysis's TLS section with the findings about TLS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TlsReport {
    pub schema: String,
    pub sources: Vec<super::exchanges::SourceRow>,
    pub tls: TlsSection,
    pub findings: Vec<super::analysis::FindingRow>,
    pub problems: Vec<super::exchanges::ProblemRow>,
}

impl TlsReport {
    /// Takes the TLS parts of an analysis report: the section, and the findings whose code
    /// starts with `tls-` or says credentials went without TLS.
    pub fn from_analysis(report: super::analysis::AnalysisReport) -> TlsReport {
        let super::analysis::AnalysisReport { sources, findings, problems, tls, .. } = report;
        TlsReport {
            schema: SCHEMA.to_owned(),
            sources,
            tls,
            findings: findings
                .into_iter()
                .filter(|finding| {
                    finding.code.as_str().starts_with("tls-")
                        || finding.code == Code::CredentialsOverPlainHttp
                })
                .collect(),
            problems,
        }
    }

    /// Whether a finding of error severity is present.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|finding| finding.severity == Severity::Error)
    }
}

/// The TLS report as text for people.
pub fn render_text(report: &TlsReport, color: bool) -> String {
    use std::fmt::Write as _;
    let paint = |code: &str, text: &str| {
        if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    };
    // `2026-11-22T11:37:11.000000Z` → `2026-11-22 11:37:11 UTC`: seconds are enough here.
    let date = |text: &Option<String>| {
        text.as_deref().map_or("?".to_owned(), |text| {
            format!("{} UTC", text.get(..19).unwrap_or(text).replace('T', " "))
        })
    };
    let mut out = String::new();
    if report.tls.connections.is_empty() {
        let _ = writeln!(out, "No TLS connections in the capture.");
    }
    for connection in &report.tls.connections {
        let mut header = format!("{}:{}", printable(&connection.host), connection.port);
        if let Some(sni) = &connection.sni {
            let _ = write!(header, "  SNI {}", printable(sni));
        }
        for version in &connection.versions {
            let _ = write!(header, "  {}", printable(version));
        }
        for address in &connection.server_addresses {
            let _ = write!(header, "  {}", printable(address));
        }
        let _ = writeln!(out, "{}", paint("1", &header));
        let mut shown: Vec<String> =
            connection.exchanges.iter().take(12).map(|idx| format!("#{idx}")).collect();
        if connection.exchanges.len() > 12 {
            shown.push("...".to_owned());
        }
        let _ = writeln!(
            out,
            "  {} exchange(s) {}, {} .. {}",
            connection.exchanges.len(),
            shown.join(" "),
            date(&connection.first_seen),
            date(&connection.last_seen)
        );
        if !connection.established {
            let _ = writeln!(out, "  {}", paint("1;31", "handshake did not complete"));
        }
        for error in &connection.errors {
            let _ = writeln!(out, "  error: {}", printable(error));
        }
        match (connection.host_check.as_deref(), &connection.host_check_name) {
            (Some("match"), Some(name)) => {
                let _ = writeln!(out, "  host name: matches {}", printable(name));
            }
            (Some(other), _) => {
                let _ = writeln!(out, "  host name: {}", paint("1;31", other));
            }
            (None, _) => {}
        }
        if let Some(summary) = &connection.server_summary {
            let _ = writeln!(
                out,
                "  server certificate (recorder's summary): {} issued by {}, valid {} .. {}",
                printable(summary.subject.as_deref().unwrap_or("?")),
                printable(summary.issuer.as_deref().unwrap_or("?")),
                date(&summary.not_before),
                date(&summary.not_after)
            );
        }
        for (title, chain) in [
            ("server chain", &connection.server_chain),
            ("client certificate", &connection.client_chain),
        ] {
            if chain.is_empty() {
                if title == "client certificate" {
                    let _ = writeln!(out, "  client certificate: none");
                }
                continue;
            }
            let _ = writeln!(out, "  {title}:");
            for (position, link) in chain.iter().enumerate() {
                let Some(cert) = report.tls.certificates.get(link.certificate) else { continue };
                let validity = match link.validity.as_str() {
                    "valid" => paint("32", "valid at capture time"),
                    "expired" => paint("1;31", "EXPIRED at capture time"),
                    "not-yet-valid" => paint("1;31", "NOT YET VALID at capture time"),
                    other => other.to_owned(),
                };
                let expiry = link
                    .seconds_to_expiry
                    .filter(|seconds| *seconds >= 0)
                    .map(|seconds| format!(", expires {} day(s) after", seconds / 86_400))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    {position} {}",
                    printable(cert.subject.as_deref().unwrap_or("(unreadable certificate)"))
                );
                let _ = writeln!(
                    out,
                    "      issuer   {}",
                    printable(cert.issuer.as_deref().unwrap_or("?"))
                );
                let _ = writeln!(
                    out,
                    "      valid    {} .. {} ({validity}{expiry})",
                    date(&cert.not_before),
                    date(&cert.not_after)
                );
                let mut names: Vec<String> =
                    cert.dns_names.iter().map(|name| printable(name)).collect();
                names.extend(cert.ip_addresses.iter().map(|ip| format!("IP {}", printable(ip))));
                if !names.is_empty() {
                    let _ = writeln!(out, "      SANs     {}", names.join(", "));
                }
                let mut key = cert.public_key.clone().unwrap_or_default();
                if !cert.extended_key_usage.is_empty() {
                    let _ = write!(key, "; usage {}", cert.extended_key_usage.join(", "));
                }
                if cert.is_ca {
                    key.push_str("; CA");
                }
                let _ = writeln!(out, "      key      {}", printable(&key));
                let list = |items: &[String]| {
                    if items.is_empty() {
                        "none".to_owned()
                    } else {
                        items.iter().map(|item| printable(item)).collect::<Vec<_>>().join(", ")
                    }
                };
                let _ = writeln!(
                    out,
                    "      CRL      {}; OCSP {}",
                    list(&cert.crl_distribution_points),
                    list(&cert.ocsp_responders)
                );
                let _ = writeln!(out, "      sha256   {}", cert.sha256);
                for problem in &cert.problems {
                    let _ = writeln!(out, "      problem  {}", printable(problem));
                }
            }
        }
        let _ = writeln!(out);
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out, "{}", paint("1", "Findings"));
        for finding in &report.findings {
            let severity_text = format!("{:<7}", finding.severity.as_str());
            let severity = match finding.severity {
                Severity::Error => paint("1;31", &severity_text),
                Severity::Warning => paint("33", &severity_text),
                Severity::Info => paint("36", &severity_text),
            };
            let _ = writeln!(out, "  {severity} {}", finding.code);
            let _ = writeln!(out, "          {}", printable(&finding.message));
            let _ = writeln!(out, "          fix: {}", finding.fix);
        }
    }
    out
}
