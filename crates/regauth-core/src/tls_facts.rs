//! TLS facts of a capture: every TLS endpoint the client reached, the certificate chain the
//! server presented and the client certificate a mutual-TLS client sent, read from the DER the
//! readers keep in [`TlsInfo`](crate::model::TlsInfo).
//!
//! ```text
//!  exchanges ──► group by host:port + SNI + chains ──► TlsConnection
//!  DER ──► x509-cert ──► CertificateFacts (subject, issuer, validity, SANs, CRL/OCSP, key)
//!  facts + the exchanges' own timestamps ──► validity at capture time, host name check
//! ```
//!
//! Validity is judged at the exchange's timestamp (the capture clock), never the machine's
//! clock. Host names are checked the way Go's `crypto/x509` does (docker, podman, containerd
//! and skopeo are Go programs): subjectAltName only (the Common Name has been ignored since
//! Go 1.15), a `*` only as the whole leftmost label and matching exactly one label, case
//! insensitive, IP literals only against IP SANs.

use std::collections::HashMap;

use chrono::DateTime;
use x509_cert::Certificate;
use x509_cert::der::asn1::AnyRef;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::oid::AssociatedOid as _;
use x509_cert::der::oid::db::{rfc5280, rfc5912, rfc8410};
use x509_cert::der::{Decode as _, Encode as _, Reader as _, SliceReader, Tag, Tagged as _};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};

use crate::capture::Capture;
use crate::model::{CertificateSummary, Timestamp};

/// A client certificate that expires within this many days of capture time gets a warning.
pub const CLIENT_CERTIFICATE_WARNING_DAYS: i64 = 30;

/// What one certificate says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateFacts {
    /// SHA-256 of the DER, lower-case hex: identifies the certificate.
    pub sha256: String,
    /// RFC 4514 distinguished names.
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// Hex, as `openssl x509 -serial` prints it.
    pub serial: Option<String>,
    pub not_before: Option<Timestamp>,
    pub not_after: Option<Timestamp>,
    /// subjectAltName dNSName entries.
    pub dns_names: Vec<String>,
    /// subjectAltName iPAddress entries.
    pub ip_addresses: Vec<String>,
    /// CRL distribution point URIs.
    pub crl_distribution_points: Vec<String>,
    /// OCSP responder URIs (authorityInfoAccess id-ad-ocsp).
    pub ocsp_responders: Vec<String>,
    /// Issuer certificate URIs (authorityInfoAccess id-ad-caIssuers).
    pub ca_issuers: Vec<String>,
    /// extendedKeyUsage, by name where known (`serverAuth`, `clientAuth`, ...).
    pub extended_key_usage: Vec<String>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// `RSA 2048`, `EC P-256`, `Ed25519`, or the algorithm OID.
    pub public_key: Option<String>,
    /// Why the certificate (or part of it) could not be read.
    pub problems: Vec<String>,
}

impl CertificateFacts {
    /// Reads a DER certificate. Never fails: what cannot be read is in `problems`.
    pub fn from_der(der: &[u8]) -> CertificateFacts {
        use sha2::Digest as _;
        let sha256 = sha2::Sha256::digest(der).iter().map(|byte| format!("{byte:02x}")).collect();
        let mut facts = CertificateFacts {
            sha256,
            subject: None,
            issuer: None,
            serial: None,
            not_before: None,
            not_after: None,
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            crl_distribution_points: Vec::new(),
            ocsp_responders: Vec::new(),
            ca_issuers: Vec::new(),
            extended_key_usage: Vec::new(),
            is_ca: false,
            public_key: None,
            problems: Vec::new(),
        };
        let certificate = match Certificate::from_der(der) {
            Ok(certificate) => certificate,
            Err(error) => {
                facts.problems.push(format!("not an X.509 certificate: {error}"));
                return facts;
            }
        };
        let tbs = &certificate.tbs_certificate;
        facts.subject = Some(tbs.subject.to_string());
        facts.issuer = Some(tbs.issuer.to_string());
        facts.serial =
            Some(tbs.serial_number.as_bytes().iter().map(|b| format!("{b:02X}")).collect());
        let to_timestamp = |time: &x509_cert::time::Time| {
            i64::try_from(time.to_unix_duration().as_secs())
                .ok()
                .and_then(|secs| DateTime::from_timestamp(secs, 0))
        };
        facts.not_before = to_timestamp(&tbs.validity.not_before);
        facts.not_after = to_timestamp(&tbs.validity.not_after);
        facts.public_key = Some(describe_key(&tbs.subject_public_key_info));
        for extension in tbs.extensions.iter().flatten() {
            let value = extension.extn_value.as_bytes();
            let id = extension.extn_id;
            let read = |facts: &mut CertificateFacts,
                        name: &str,
                        res: Result<(), x509_cert::der::Error>| {
                if let Err(error) = res {
                    facts.problems.push(format!("{name} extension unreadable: {error}"));
                }
            };
            if id == SubjectAltName::OID {
                let res = sequence_elements(value).map(|names| {
                    for name in names {
                        match context_number(&name) {
                            Some(GENERAL_NAME_DNS) => facts
                                .dns_names
                                .push(String::from_utf8_lossy(name.value()).into_owned()),
                            Some(GENERAL_NAME_IP) => facts.ip_addresses.push(ip_text(name.value())),
                            _ => {}
                        }
                    }
                });
                read(&mut facts, "subjectAltName", res);
            } else if id == CRL_DISTRIBUTION_POINTS {
                // DistributionPoint ::= SEQUENCE { distributionPoint [0] { fullName [0] GeneralNames } ... }
                let res = sequence_elements(value).and_then(|points| {
                    for point in points {
                        for field in elements(point.value())? {
                            if context_number(&field) != Some(0) {
                                continue;
                            }
                            for name in elements(field.value())? {
                                if context_number(&name) != Some(0) {
                                    continue;
                                }
                                facts.crl_distribution_points.extend(uris(name.value())?);
                            }
                        }
                    }
                    Ok(())
                });
                read(&mut facts, "cRLDistributionPoints", res);
            } else if id == AUTHORITY_INFO_ACCESS {
                // AccessDescription ::= SEQUENCE { accessMethod OID, accessLocation GeneralName }
                let res = sequence_elements(value).and_then(|descriptions| {
                    for description in descriptions {
                        let parts = elements(description.value())?;
                        let (Some(method), Some(location)) = (parts.first(), parts.get(1)) else {
                            continue;
                        };
                        let Ok(method) = ObjectIdentifier::from_bytes(method.value()) else {
                            continue;
                        };
                        if context_number(location) != Some(GENERAL_NAME_URI) {
                            continue;
                        }
                        let uri = String::from_utf8_lossy(location.value()).into_owned();
                        if method == rfc5280::ID_AD_OCSP {
                            facts.ocsp_responders.push(uri);
                        } else if method == rfc5280::ID_AD_CA_ISSUERS {
                            facts.ca_issuers.push(uri);
                        }
                    }
                    Ok(())
                });
                read(&mut facts, "authorityInfoAccess", res);
            } else if id == ExtendedKeyUsage::OID {
                let res = ExtendedKeyUsage::from_der(value).map(|usages| {
                    facts.extended_key_usage = usages.0.iter().map(key_usage_name).collect();
                });
                read(&mut facts, "extendedKeyUsage", res);
            } else if id == BasicConstraints::OID {
                let res = BasicConstraints::from_der(value).map(|constraints| {
                    facts.is_ca = constraints.ca;
                });
                read(&mut facts, "basicConstraints", res);
            }
        }
        facts
    }

    /// The facts a HAR recorder's summary of a leaf gives (no DER: names and dates only).
    pub fn from_summary(summary: &CertificateSummary) -> CertificateFacts {
        CertificateFacts {
            sha256: String::new(),
            subject: summary.subject.clone(),
            issuer: summary.issuer.clone(),
            serial: None,
            not_before: summary.not_before,
            not_after: summary.not_after,
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            crl_distribution_points: Vec::new(),
            ocsp_responders: Vec::new(),
            ca_issuers: Vec::new(),
            extended_key_usage: Vec::new(),
            is_ca: false,
            public_key: None,
            problems: Vec::new(),
        }
    }

    /// Where `at` lies relative to the validity period.
    pub fn validity_at(&self, at: Timestamp) -> Option<ValidityAt> {
        let (not_before, not_after) = (self.not_before?, self.not_after?);
        Some(if at < not_before {
            ValidityAt::NotYetValid { starts_in_s: (not_before - at).num_seconds() }
        } else if at > not_after {
            ValidityAt::Expired { since_s: (at - not_after).num_seconds() }
        } else {
            ValidityAt::Valid { remaining_s: (not_after - at).num_seconds() }
        })
    }

    /// Whether the certificate is valid for `host` by Go's rules (see the module docs).
    pub fn check_host(&self, host: &str) -> HostCheck {
        let host = host.trim_end_matches('.').trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            let matched = self
                .ip_addresses
                .iter()
                .find(|candidate| candidate.parse::<std::net::IpAddr>().ok() == Some(ip));
            return match matched {
                Some(name) => HostCheck::Matches { name: name.clone() },
                None => HostCheck::Mismatch,
            };
        }
        if self.dns_names.is_empty() && self.ip_addresses.is_empty() {
            return HostCheck::NoSubjectAltName;
        }
        match self.dns_names.iter().find(|pattern| dns_name_matches(pattern, host)) {
            Some(name) => HostCheck::Matches { name: name.clone() },
            None => HostCheck::Mismatch,
        }
    }
}

// The three GeneralName forms regauth reports (RFC 5280 4.2.1.6), read by hand from der's
// generic TLVs: x509-cert's full GeneralName decoders (every CHOICE arm, in three extension
// types) cost the web app about 100 KB of wasm for names nobody shows.
const GENERAL_NAME_DNS: u8 = 2;
const GENERAL_NAME_URI: u8 = 6;
const GENERAL_NAME_IP: u8 = 7;
const CRL_DISTRIBUTION_POINTS: ObjectIdentifier = rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS;
const AUTHORITY_INFO_ACCESS: ObjectIdentifier = rfc5280::ID_PE_AUTHORITY_INFO_ACCESS;

/// The TLVs one after the other in `content` (the value of a SEQUENCE or a constructed tag).
fn elements(content: &[u8]) -> Result<Vec<AnyRef<'_>>, x509_cert::der::Error> {
    let mut reader = SliceReader::new(content)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(AnyRef::decode(&mut reader)?);
    }
    Ok(out)
}

/// The elements of a DER `SEQUENCE`.
fn sequence_elements(der: &[u8]) -> Result<Vec<AnyRef<'_>>, x509_cert::der::Error> {
    let sequence = AnyRef::from_der(der)?;
    sequence.tag().assert_eq(Tag::Sequence)?;
    elements(sequence.value())
}

/// The number of a context-specific tag (`[2]` → 2).
fn context_number(any: &AnyRef<'_>) -> Option<u8> {
    match any.tag() {
        Tag::ContextSpecific { number, .. } => Some(number.value()),
        _ => None,
    }
}

/// The URIs among the GeneralNames in `content`.
fn uris(content: &[u8]) -> Result<Vec<String>, x509_cert::der::Error> {
    Ok(elements(content)?
        .into_iter()
        .filter(|name| context_number(name) == Some(GENERAL_NAME_URI))
        .map(|name| String::from_utf8_lossy(name.value()).into_owned())
        .collect())
}

/// A certificate's validity relative to one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidityAt {
    Valid { remaining_s: i64 },
    Expired { since_s: i64 },
    NotYetValid { starts_in_s: i64 },
}

/// The result of checking a certificate against the host name the client connected to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostCheck {
    /// The SAN entry that matched.
    Matches {
        name: String,
    },
    Mismatch,
    /// No subjectAltName: Go clients refuse it ("certificate relies on legacy Common Name
    /// field"), whatever the Common Name says.
    NoSubjectAltName,
}

impl HostCheck {
    pub fn as_str(&self) -> &'static str {
        match self {
            HostCheck::Matches { .. } => "match",
            HostCheck::Mismatch => "mismatch",
            HostCheck::NoSubjectAltName => "no-subject-alt-name",
        }
    }
}

/// Go's `matchHostnames`: same number of labels; `*` only as a whole leftmost label.
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    let host = host.trim_end_matches('.');
    // A bare `*` is no valid pattern (Go 1.16+, RFC 6125).
    if pattern.is_empty() || host.is_empty() || pattern == "*" {
        return false;
    }
    let pattern_labels: Vec<&str> = pattern.split('.').collect();
    let host_labels: Vec<&str> = host.split('.').collect();
    if pattern_labels.len() != host_labels.len() {
        return false;
    }
    pattern_labels.iter().zip(&host_labels).enumerate().all(|(idx, (expected, actual))| {
        (idx == 0 && *expected == "*" && !actual.is_empty())
            || expected.eq_ignore_ascii_case(actual)
    })
}

fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => bytes.iter().map(|byte| format!("{byte:02x}")).collect(),
    }
}

fn key_usage_name(oid: &ObjectIdentifier) -> String {
    let known = [
        (rfc5280::ID_KP_SERVER_AUTH, "serverAuth"),
        (rfc5280::ID_KP_CLIENT_AUTH, "clientAuth"),
        (rfc5280::ID_KP_CODE_SIGNING, "codeSigning"),
        (rfc5280::ID_KP_EMAIL_PROTECTION, "emailProtection"),
        (rfc5280::ID_KP_TIME_STAMPING, "timeStamping"),
        (rfc5280::ID_KP_OCSP_SIGNING, "OCSPSigning"),
    ];
    known
        .iter()
        .find(|(known_oid, _)| known_oid == oid)
        .map_or_else(|| oid.to_string(), |(_, name)| (*name).to_owned())
}

fn describe_key(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> String {
    let algorithm = spki.algorithm.oid;
    if algorithm == rfc5912::RSA_ENCRYPTION {
        use rsa::pkcs8::DecodePublicKey as _;
        use rsa::traits::PublicKeyParts as _;
        let bits = spki
            .to_der()
            .ok()
            .and_then(|der| rsa::RsaPublicKey::from_public_key_der(&der).ok())
            .map(|key| key.size() * 8);
        return match bits {
            Some(bits) => format!("RSA {bits}"),
            None => "RSA".to_owned(),
        };
    }
    if algorithm == rfc5912::ID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok());
        return match curve {
            Some(curve) if curve == rfc5912::SECP_256_R_1 => "EC P-256".to_owned(),
            Some(curve) if curve == rfc5912::SECP_384_R_1 => "EC P-384".to_owned(),
            Some(curve) if curve == rfc5912::SECP_521_R_1 => "EC P-521".to_owned(),
            Some(curve) => format!("EC {curve}"),
            None => "EC".to_owned(),
        };
    }
    if algorithm == rfc8410::ID_ED_25519 {
        return "Ed25519".to_owned();
    }
    algorithm.to_string()
}

/// One TLS endpoint as the capture shows it: the same host, port, SNI and certificate chains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConnection {
    /// The host the client asked for (the request's host), which the certificate must name.
    pub host: String,
    pub port: u16,
    pub sni: Option<String>,
    /// Server `ip:port` addresses the recorder noted.
    pub server_addresses: Vec<String>,
    /// Versions, ciphers and ALPN protocols seen (usually one each).
    pub versions: Vec<String>,
    pub ciphers: Vec<String>,
    pub alpn: Vec<String>,
    /// Whether any handshake completed.
    pub established: bool,
    /// Handshake errors the recorder noted.
    pub errors: Vec<String>,
    /// The server chain, leaf first: indexes into [`TlsFacts::certificates`].
    pub server_chain: Vec<usize>,
    /// The client certificate chain a mutual-TLS client presented, leaf first.
    pub client_chain: Vec<usize>,
    /// What a HAR recorder said about the server's leaf when it kept no DER.
    pub server_summary: Option<CertificateSummary>,
    /// The leaf's check against `host`; `None` without a server chain.
    pub host_check: Option<HostCheck>,
    /// Exchanges over this endpoint, in capture order.
    pub exchanges: Vec<usize>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
}

/// Every certificate (each once) and every TLS endpoint of a capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsFacts {
    pub certificates: Vec<CertificateFacts>,
    pub connections: Vec<TlsConnection>,
}

/// When the exchange happened on the capture clock.
pub fn exchange_time(exchange: &crate::model::Exchange) -> Option<Timestamp> {
    exchange.timing.request_start.or(exchange.timing.response_end)
}

/// Collects the TLS facts of a capture. Linear in the exchanges and the certificate bytes.
pub fn tls_facts(capture: &Capture) -> TlsFacts {
    let mut facts = TlsFacts::default();
    // `Bytes` clones share the buffer, so keying by them copies no certificate.
    let mut certificate_index: HashMap<bytes::Bytes, usize> = HashMap::new();
    type Key = (
        String,
        u16,
        Option<String>,
        Vec<usize>,
        Vec<usize>,
        Option<(Option<String>, Option<String>)>,
    );
    let mut connection_index: HashMap<Key, usize> = HashMap::new();
    for exchange in &capture.exchanges {
        let Some(tls) = &exchange.tls else { continue };
        let mut chain_of = |ders: &[bytes::Bytes], facts: &mut TlsFacts| -> Vec<usize> {
            ders.iter()
                .map(|der| {
                    *certificate_index.entry(der.clone()).or_insert_with(|| {
                        facts.certificates.push(CertificateFacts::from_der(der));
                        facts.certificates.len() - 1
                    })
                })
                .collect()
        };
        let server_chain = chain_of(&tls.server_certificates, &mut facts);
        let client_chain = chain_of(&tls.client_certificates, &mut facts);
        let host = exchange.request.host.as_str().to_ascii_lowercase();
        let summary_key = tls
            .server_certificate_summary
            .as_ref()
            .map(|summary| (summary.subject.clone(), summary.issuer.clone()));
        let key: Key = (
            host.clone(),
            exchange.request.port,
            tls.sni.clone(),
            server_chain.clone(),
            client_chain.clone(),
            summary_key,
        );
        let slot = *connection_index.entry(key).or_insert_with(|| {
            let host_check =
                server_chain.first().map(|&leaf| facts.certificates[leaf].check_host(&host));
            facts.connections.push(TlsConnection {
                host,
                port: exchange.request.port,
                sni: tls.sni.clone(),
                server_addresses: Vec::new(),
                versions: Vec::new(),
                ciphers: Vec::new(),
                alpn: Vec::new(),
                established: false,
                errors: Vec::new(),
                server_chain,
                client_chain,
                server_summary: tls.server_certificate_summary.clone(),
                host_check,
                exchanges: Vec::new(),
                first_seen: None,
                last_seen: None,
            });
            facts.connections.len() - 1
        });
        let connection = &mut facts.connections[slot];
        let note = |list: &mut Vec<String>, value: Option<&str>| {
            if let Some(value) = value
                && !list.iter().any(|seen| seen == value)
            {
                list.push(value.to_owned());
            }
        };
        note(&mut connection.server_addresses, exchange.server_address.as_deref());
        note(&mut connection.versions, tls.version.as_deref());
        note(&mut connection.ciphers, tls.cipher.as_deref());
        note(&mut connection.alpn, tls.alpn.as_deref());
        note(&mut connection.errors, tls.error.as_deref());
        connection.established |= tls.established;
        connection.exchanges.push(exchange.index);
        if let Some(at) = exchange_time(exchange) {
            connection.first_seen = Some(connection.first_seen.map_or(at, |seen| seen.min(at)));
            connection.last_seen = Some(connection.last_seen.map_or(at, |seen| seen.max(at)));
        }
    }
    facts
}

#[cfg(test)]
pub(crate) mod tests;
