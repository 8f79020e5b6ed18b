//! TLS facts from certificates minted here with x509-cert's builder (seeded keys, so runs are
//! reproducible): every certificate is a hand-written fixture whose facts are what we put in.

use std::str::FromStr as _;
use std::time::Duration;

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng as _;
use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
use x509_cert::der::asn1::{Ia5String, OctetString};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, CrlDistributionPoints, ExtendedKeyUsage,
    SubjectAltName,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use super::*;
use crate::capture::{Capture, Compression, Format, SourceInfo};
use crate::model::{Body, EntryRef, Exchange, Headers, Request, Response, Timing, TlsInfo};

/// The capture clock of these tests: 2027-01-15T08:00:00Z.
pub const CAPTURE_AT: i64 = 1_800_000_000;
const DAY: i64 = 24 * 3600;

pub fn at(unix: i64) -> Timestamp {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

fn key(seed: u64) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::random(&mut ChaCha8Rng::seed_from_u64(seed))
}

fn name(text: &str) -> Name {
    Name::from_str(text).unwrap()
}

fn validity(not_before: i64, not_after: i64) -> Validity {
    let time = |secs: i64| {
        Time::UtcTime(
            x509_cert::der::asn1::UtcTime::from_unix_duration(Duration::from_secs(secs as u64))
                .unwrap(),
        )
    };
    Validity { not_before: time(not_before), not_after: time(not_after) }
}

/// A certificate to mint: a hand-written fixture.
pub struct Spec<'a> {
    pub subject: &'a str,
    pub not_before: i64,
    pub not_after: i64,
    pub dns: &'a [&'a str],
    pub ips: &'a [[u8; 4]],
    pub client: bool,
    pub urls: bool,
}

impl Default for Spec<'_> {
    /// A server certificate for registry.example valid a year around the capture.
    fn default() -> Self {
        Spec {
            subject: "CN=registry.example,O=regauth test",
            not_before: CAPTURE_AT - 180 * DAY,
            not_after: CAPTURE_AT + 180 * DAY,
            dns: &["registry.example"],
            ips: &[],
            client: false,
            urls: false,
        }
    }
}

pub const CA: &str = "CN=regauth test CA,O=regauth test";

/// A P-256 CA and what it signs.
pub struct TestCa {
    key: p256::ecdsa::SigningKey,
    pub der: Vec<u8>,
    name: &'static str,
}

impl TestCa {
    pub fn new() -> TestCa {
        TestCa::named(CA)
    }

    /// A CA with another name (an interceptor's, say).
    pub fn named(ca_name: &'static str) -> TestCa {
        let key = key(7);
        let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).unwrap();
        let builder = CertificateBuilder::new(
            Profile::Root,
            SerialNumber::from(1u32),
            validity(CAPTURE_AT - 3650 * DAY, CAPTURE_AT + 3650 * DAY),
            name(ca_name),
            spki,
            &key,
        )
        .unwrap();
        let der =
            x509_cert::der::Encode::to_der(&builder.build::<p256::ecdsa::DerSignature>().unwrap())
                .unwrap();
        TestCa { key, der, name: ca_name }
    }

    pub fn mint(&self, spec: &Spec<'_>) -> Vec<u8> {
        let leaf_key = key(11);
        let spki = SubjectPublicKeyInfoOwned::from_key(*leaf_key.verifying_key()).unwrap();
        let mut builder = CertificateBuilder::new(
            Profile::Leaf {
                issuer: name(self.name),
                enable_key_agreement: false,
                enable_key_encipherment: false,
            },
            SerialNumber::from(0x1234u32),
            validity(spec.not_before, spec.not_after),
            name(spec.subject),
            spki,
            &self.key,
        )
        .unwrap();
        let mut sans: Vec<GeneralName> =
            spec.dns.iter().map(|dns| GeneralName::DnsName(Ia5String::new(dns).unwrap())).collect();
        sans.extend(
            spec.ips
                .iter()
                .map(|ip| GeneralName::IpAddress(OctetString::new(ip.to_vec()).unwrap())),
        );
        if !sans.is_empty() {
            builder.add_extension(&SubjectAltName(sans)).unwrap();
        }
        let usage =
            if spec.client { rfc5280::ID_KP_CLIENT_AUTH } else { rfc5280::ID_KP_SERVER_AUTH };
        builder.add_extension(&ExtendedKeyUsage(vec![usage])).unwrap();
        if spec.urls {
            let uri =
                |text: &str| GeneralName::UniformResourceIdentifier(Ia5String::new(text).unwrap());
            builder
                .add_extension(&CrlDistributionPoints(vec![DistributionPoint {
                    distribution_point: Some(DistributionPointName::FullName(vec![uri(
                        "http://crl.example/ca.crl",
                    )])),
                    reasons: None,
                    crl_issuer: None,
                }]))
                .unwrap();
            builder
                .add_extension(&AuthorityInfoAccessSyntax(vec![
                    AccessDescription {
                        access_method: rfc5280::ID_AD_OCSP,
                        access_location: uri("http://ocsp.example"),
                    },
                    AccessDescription {
                        access_method: rfc5280::ID_AD_CA_ISSUERS,
                        access_location: uri("http://ca.example/ca.crt"),
                    },
                ]))
                .unwrap();
        }
        x509_cert::der::Encode::to_der(&builder.build::<p256::ecdsa::DerSignature>().unwrap())
            .unwrap()
    }
}

/// An HTTPS exchange to `host:port` at `unix`, with the given chains (hand-written fixture).
pub fn exchange(
    index: usize,
    host: &str,
    port: u16,
    unix: i64,
    server: &[&[u8]],
    client: &[&[u8]],
) -> Exchange {
    Exchange {
        index,
        origin: EntryRef { source: 0, index, byte_offset: None },
        request: Request {
            method: "GET".into(),
            scheme: "https".into(),
            host: host.into(),
            port,
            path: "/v2/".into(),
            http_version: "HTTP/1.1".into(),
            headers: Headers::default(),
            body: Body::default(),
        },
        response: Some(Response {
            status: 200,
            reason: "OK".into(),
            http_version: "HTTP/1.1".into(),
            headers: Headers::default(),
            body: Body::default(),
        }),
        timing: Timing { request_start: Some(at(unix)), response_end: Some(at(unix)) },
        server_address: Some(format!("192.0.2.1:{port}").into()),
        client_address: None,
        tls: Some(std::sync::Arc::new(TlsInfo {
            established: true,
            sni: Some(host.into()),
            version: Some("TLSv1.3".into()),
            cipher: Some("TLS_AES_128_GCM_SHA256".into()),
            alpn: None,
            server_certificates: server.iter().map(|der| Bytes::copy_from_slice(der)).collect(),
            client_certificates: client.iter().map(|der| Bytes::copy_from_slice(der)).collect(),
            error: None,
            server_certificate_summary: None,
        })),
        error: None,
        connection: None,
    }
}

pub fn capture(exchanges: Vec<Exchange>) -> Capture {
    Capture {
        sources: vec![SourceInfo {
            name: "hand-written".into(),
            format: Format::Har,
            compression: Compression::None,
            producer: Some("hand-written fixture".into()),
            size: 0,
        }],
        exchanges,
        problems: Vec::new(),
        notes: Vec::new(),
    }
}

#[test]
fn facts_are_what_was_minted() {
    let ca = TestCa::new();
    let der = ca.mint(&Spec {
        dns: &["registry.example", "*.apps.example"],
        ips: &[[10, 0, 0, 5]],
        urls: true,
        ..Spec::default()
    });
    let facts = CertificateFacts::from_der(&der);
    assert_eq!(facts.problems, Vec::<String>::new());
    assert_eq!(facts.subject.as_deref(), Some("CN=registry.example,O=regauth test"));
    assert_eq!(facts.issuer.as_deref(), Some(CA));
    assert_eq!(facts.serial.as_deref(), Some("1234"));
    assert_eq!(facts.not_before, Some(at(CAPTURE_AT - 180 * DAY)));
    assert_eq!(facts.not_after, Some(at(CAPTURE_AT + 180 * DAY)));
    assert_eq!(facts.dns_names, vec!["registry.example", "*.apps.example"]);
    assert_eq!(facts.ip_addresses, vec!["10.0.0.5"]);
    assert_eq!(facts.crl_distribution_points, vec!["http://crl.example/ca.crl"]);
    assert_eq!(facts.ocsp_responders, vec!["http://ocsp.example"]);
    assert_eq!(facts.ca_issuers, vec!["http://ca.example/ca.crt"]);
    assert_eq!(facts.extended_key_usage, vec!["serverAuth"]);
    assert!(!facts.is_ca);
    assert_eq!(facts.public_key.as_deref(), Some("EC P-256"));
    assert_eq!(facts.sha256.len(), 64);
    let ca_facts = CertificateFacts::from_der(&ca.der);
    assert!(ca_facts.is_ca);
    assert_eq!(ca_facts.subject, ca_facts.issuer);
}

#[test]
fn garbage_is_a_problem_not_a_panic() {
    let facts = CertificateFacts::from_der(b"\x30\x03\x02\x01\x01");
    assert_eq!(facts.subject, None);
    assert_eq!(facts.problems.len(), 1);
    let ca = TestCa::new();
    let der = ca.mint(&Spec { urls: true, ..Spec::default() });
    for end in (0..der.len()).step_by(7) {
        let _ = CertificateFacts::from_der(&der[..end]);
        let mut flipped = der.clone();
        flipped[end] ^= 0x5a;
        let _ = CertificateFacts::from_der(&flipped);
    }
}

#[test]
fn validity_is_judged_at_the_given_instant() {
    let ca = TestCa::new();
    let facts = CertificateFacts::from_der(&ca.mint(&Spec {
        not_before: CAPTURE_AT,
        not_after: CAPTURE_AT + 10 * DAY,
        ..Spec::default()
    }));
    assert_eq!(
        facts.validity_at(at(CAPTURE_AT - 60)),
        Some(ValidityAt::NotYetValid { starts_in_s: 60 })
    );
    assert_eq!(
        facts.validity_at(at(CAPTURE_AT + DAY)),
        Some(ValidityAt::Valid { remaining_s: 9 * DAY })
    );
    assert_eq!(
        facts.validity_at(at(CAPTURE_AT + 11 * DAY)),
        Some(ValidityAt::Expired { since_s: DAY })
    );
}

#[test]
fn host_names_by_go_rules() {
    let ca = TestCa::new();
    let facts = CertificateFacts::from_der(&ca.mint(&Spec {
        dns: &["registry.example", "*.apps.example"],
        ips: &[[10, 0, 0, 5]],
        ..Spec::default()
    }));
    let check = |host: &str| facts.check_host(host);
    assert_eq!(check("registry.example"), HostCheck::Matches { name: "registry.example".into() });
    assert_eq!(check("REGISTRY.example."), HostCheck::Matches { name: "registry.example".into() });
    assert_eq!(check("harbor.apps.example"), HostCheck::Matches { name: "*.apps.example".into() });
    // A wildcard covers one label only, and not the bare domain.
    assert_eq!(check("a.b.apps.example"), HostCheck::Mismatch);
    assert_eq!(check("apps.example"), HostCheck::Mismatch);
    assert_eq!(check("other.example"), HostCheck::Mismatch);
    // IP literals only against IP SANs.
    assert_eq!(check("10.0.0.5"), HostCheck::Matches { name: "10.0.0.5".into() });
    assert_eq!(check("10.0.0.6"), HostCheck::Mismatch);
    // No SAN at all: Go ignores the Common Name.
    let legacy = CertificateFacts::from_der(&ca.mint(&Spec { dns: &[], ..Spec::default() }));
    assert_eq!(legacy.check_host("registry.example"), HostCheck::NoSubjectAltName);
}

#[test]
fn wildcard_patterns() {
    assert!(dns_name_matches("*.example.com", "a.example.com"));
    assert!(!dns_name_matches("*.example.com", "example.com"));
    assert!(!dns_name_matches("*.example.com", ".example.com"));
    assert!(
        !dns_name_matches("a*.example.com", "ab.example.com"),
        "partial wildcards never match in Go"
    );
    assert!(!dns_name_matches("a.*.example.com", "a.b.example.com"), "only the leftmost label");
    assert!(!dns_name_matches("*", "localhost"));
    assert!(dns_name_matches("localhost", "LOCALHOST"));
    assert!(!dns_name_matches("", "a"));
}

#[test]
fn connections_group_by_endpoint_and_dedupe_certificates() {
    let ca = TestCa::new();
    let leaf = ca.mint(&Spec::default());
    let client =
        ca.mint(&Spec { subject: "CN=docker-client", dns: &[], client: true, ..Spec::default() });
    let capture = capture(vec![
        exchange(0, "registry.example", 443, CAPTURE_AT, &[&leaf, &ca.der], &[]),
        exchange(1, "registry.example", 443, CAPTURE_AT + 5, &[&leaf, &ca.der], &[]),
        exchange(2, "docker.example", 2376, CAPTURE_AT + 9, &[&leaf, &ca.der], &[&client]),
    ]);
    let facts = tls_facts(&capture);
    assert_eq!(facts.certificates.len(), 3, "leaf, CA and client certificate, each once");
    assert_eq!(facts.connections.len(), 2);
    let registry = &facts.connections[0];
    assert_eq!(registry.exchanges, vec![0, 1]);
    assert_eq!(registry.server_chain, vec![0, 1]);
    assert_eq!(registry.first_seen, Some(at(CAPTURE_AT)));
    assert_eq!(registry.last_seen, Some(at(CAPTURE_AT + 5)));
    assert_eq!(registry.host_check, Some(HostCheck::Matches { name: "registry.example".into() }));
    assert_eq!(registry.versions, vec!["TLSv1.3"]);
    let docker = &facts.connections[1];
    assert_eq!(docker.client_chain, vec![2]);
    assert_eq!(docker.host_check, Some(HostCheck::Mismatch));
    assert_eq!(facts.certificates[2].extended_key_usage, vec!["clientAuth"]);
}
