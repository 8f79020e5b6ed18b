//! Checking a JWT's signature against the leaf certificate of its own `x5c` chain, and the chain
//! itself (each certificate signed by the next; optionally ending at a root the caller trusts).
//!
//! Pure-Rust crypto only (`rsa`, `p256`, `p384`, `sha2`, `x509-cert`), so it builds on wasm32
//! without a C compiler. Supported: RS256/384/512, PS256/384/512, ES256, ES384 for tokens, and
//! sha{256,384,512}WithRSAEncryption and ecdsa-with-SHA{256,384} for certificates. Certificate
//! dates are not judged here; see [`x5c_validity_at`], which takes the instant to judge against.

use std::borrow::Cow;

use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use crate::token::{Jwt, SignatureState};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The signature verifies with the leaf's key and every certificate is signed by the next.
    Valid {
        /// Subjects of the chain, leaf first (RFC 4514 strings).
        chain: Vec<String>,
        /// The chain ends at (or is signed by) one of the supplied roots.
        anchored: bool,
    },
    Invalid {
        reason: Cow<'static, str>,
    },
    /// Nothing to check against, or an algorithm this build does not know.
    NotChecked {
        reason: Cow<'static, str>,
    },
    /// The token or a certificate of its chain uses a key or algorithm this build cannot check
    /// (an RSA key over [`MAX_RSA_KEY_BITS`], an unknown curve or certificate signature
    /// algorithm): nothing is known about the signature, which is not the same as a bad one.
    Unsupported {
        reason: Cow<'static, str>,
    },
}

/// Largest RSA modulus checked, in bits: the `rsa` crate's bound (`RsaPublicKey::MAX_SIZE`),
/// which keeps hostile keys from costing unbounded time.
pub const MAX_RSA_KEY_BITS: usize = rsa::RsaPublicKey::MAX_SIZE;

impl SignatureCheck {
    pub fn is_valid(&self) -> bool {
        matches!(self, SignatureCheck::Valid { .. })
    }

    /// The state as the JSON outputs name it (`signature_check`): `valid`, `invalid`,
    /// `not-checked` or `unsupported`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SignatureCheck::Valid { .. } => "valid",
            SignatureCheck::Invalid { .. } => "invalid",
            SignatureCheck::NotChecked { .. } => "not-checked",
            SignatureCheck::Unsupported { .. } => "unsupported",
        }
    }
}

/// Why a key could not verify a signature.
#[derive(Debug)]
enum KeyFailure {
    /// The signature (or the key itself) is wrong: the token or chain is invalid.
    Mismatch(String),
    /// This build cannot check it: unknown, not wrong.
    Unsupported(String),
}

impl From<String> for KeyFailure {
    fn from(reason: String) -> Self {
        KeyFailure::Mismatch(reason)
    }
}

impl From<&str> for KeyFailure {
    fn from(reason: &str) -> Self {
        KeyFailure::Mismatch(reason.to_owned())
    }
}

/// One `x5c` certificate's validity window judged at a given instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateValidity {
    pub subject: String,
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    pub valid_at: bool,
}

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const CURVE_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const CURVE_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

#[derive(Clone, Copy, Debug)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(message).to_vec(),
            Hash::Sha384 => Sha384::digest(message).to_vec(),
            Hash::Sha512 => Sha512::digest(message).to_vec(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Scheme {
    RsaPkcs1(Hash),
    RsaPss(Hash),
    /// ECDSA with the signature as fixed-size `r || s` (JWS) or DER (X.509).
    Ecdsa {
        hash: Hash,
        der: bool,
    },
}

/// Verifies `raw` (the token exactly as sent) with the key of the leaf certificate in
/// `jwt.header.x5c`, checks that each certificate is signed by the next, and, when
/// `extra_roots_der` is not empty, whether the chain ends at one of them.
pub fn verify_signature(raw: &str, jwt: &Jwt, extra_roots_der: &[Vec<u8>]) -> SignatureCheck {
    match jwt.signature {
        SignatureState::Present => {}
        SignatureState::Missing => return not_checked("the token has no signature"),
        SignatureState::Redacted => {
            return not_checked("the signature was redacted from the capture");
        }
    }
    if jwt.header.x5c.is_empty() {
        // Fixed texts, the key's name put in by `not_checked_detail` when a report shows it: a
        // hundred thousand tokens each with its own copy of the sentence cost more than their
        // text (issue 9).
        return not_checked(if jwt.header.kid.is_some() {
            NAMES_KEY_WITHOUT_X5C
        } else {
            "the token carries no x5c certificate chain"
        });
    }
    let Some((signing_input, signature_b64)) = raw.trim().rsplit_once('.') else {
        return invalid("the token is not in header.claims.signature form");
    };
    let signature = {
        use base64::Engine as _;
        match base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature_b64.trim_end_matches('='))
        {
            Ok(signature) => signature,
            Err(_) => return invalid("the signature is not base64url"),
        }
    };
    let scheme = match jwt.header.alg.as_str() {
        "RS256" => Scheme::RsaPkcs1(Hash::Sha256),
        "RS384" => Scheme::RsaPkcs1(Hash::Sha384),
        "RS512" => Scheme::RsaPkcs1(Hash::Sha512),
        "PS256" => Scheme::RsaPss(Hash::Sha256),
        "PS384" => Scheme::RsaPss(Hash::Sha384),
        "PS512" => Scheme::RsaPss(Hash::Sha512),
        "ES256" => Scheme::Ecdsa { hash: Hash::Sha256, der: false },
        "ES384" => Scheme::Ecdsa { hash: Hash::Sha384, der: false },
        "none" => return invalid("alg is none: the token is unsigned"),
        other => return not_checked(format!("alg {other:?} is not supported")),
    };

    let mut certificates = Vec::with_capacity(jwt.header.x5c.len());
    for (idx, der) in jwt.header.x5c.iter().enumerate() {
        match Certificate::from_der(der) {
            Ok(certificate) => certificates.push(certificate),
            Err(error) => return invalid(format!("x5c[{idx}] is not a DER certificate: {error}")),
        }
    }
    let chain: Vec<String> = certificates.iter().map(subject).collect();

    let leaf_key = &certificates[0].tbs_certificate.subject_public_key_info;
    match verify_with_key(leaf_key, scheme, signing_input.as_bytes(), &signature) {
        Ok(()) => {}
        Err(KeyFailure::Mismatch(reason)) => {
            return invalid(format!(
                "the token signature does not verify with the key of {}: {reason}",
                chain[0]
            ));
        }
        Err(KeyFailure::Unsupported(reason)) => {
            return unsupported(format!(
                "the token signature cannot be checked with the key of {}: {reason}",
                chain[0]
            ));
        }
    }

    for idx in 0..certificates.len().saturating_sub(1) {
        let (child, parent) = (&certificates[idx], &certificates[idx + 1]);
        if child.tbs_certificate.issuer != parent.tbs_certificate.subject {
            return invalid(format!(
                "x5c[{idx}] ({}) is issued by {}, but x5c[{}] is {}",
                chain[idx],
                child.tbs_certificate.issuer,
                idx + 1,
                chain[idx + 1]
            ));
        }
        match verify_certificate(child, &parent.tbs_certificate.subject_public_key_info) {
            Ok(()) => {}
            Err(KeyFailure::Mismatch(reason)) => {
                return invalid(format!(
                    "x5c[{idx}] ({}) is not signed by x5c[{}]: {reason}",
                    chain[idx],
                    idx + 1
                ));
            }
            Err(KeyFailure::Unsupported(reason)) => {
                return unsupported(format!(
                    "whether x5c[{idx}] ({}) is signed by x5c[{}] cannot be checked: {reason}",
                    chain[idx],
                    idx + 1
                ));
            }
        }
    }

    let anchored = is_anchored(&certificates, extra_roots_der);
    SignatureCheck::Valid { chain, anchored }
}

/// Each `x5c` certificate's validity window judged at `at_unix` (e.g. the capture time of the
/// request that carried the token). Unparseable certificates are left out.
pub fn x5c_validity_at(jwt: &Jwt, at_unix: i64) -> Vec<CertificateValidity> {
    jwt.header
        .x5c
        .iter()
        .filter_map(|der| Certificate::from_der(der).ok())
        .map(|certificate| {
            let validity = &certificate.tbs_certificate.validity;
            let unix = |time: &x509_cert::time::Time| {
                i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
            };
            let not_before_unix = unix(&validity.not_before);
            let not_after_unix = unix(&validity.not_after);
            CertificateValidity {
                subject: subject(&certificate),
                not_before_unix,
                not_after_unix,
                valid_at: (not_before_unix..=not_after_unix).contains(&at_unix),
            }
        })
        .collect()
}

fn subject(certificate: &Certificate) -> String {
    certificate.tbs_certificate.subject.to_string()
}

/// The reason [`verify_signature`] gives for a token that names its key (`kid`) but carries no
/// certificate chain; [`not_checked_detail`] says it with the key's name.
pub const NAMES_KEY_WITHOUT_X5C: &str =
    "the token names its key but carries no x5c chain; its issuer's keys are needed";

/// A [`SignatureCheck::NotChecked`] reason in words, with the token's `kid` where the reason is
/// about it.
pub fn not_checked_detail(reason: &str, kid: Option<&str>) -> String {
    match kid {
        Some(kid) if reason == NAMES_KEY_WITHOUT_X5C => format!(
            "the token names key {kid:?} but carries no x5c chain; its issuer's keys are needed"
        ),
        _ => reason.to_owned(),
    }
}

fn invalid(reason: impl Into<Cow<'static, str>>) -> SignatureCheck {
    SignatureCheck::Invalid { reason: reason.into() }
}

fn not_checked(reason: impl Into<Cow<'static, str>>) -> SignatureCheck {
    SignatureCheck::NotChecked { reason: reason.into() }
}

fn unsupported(reason: impl Into<Cow<'static, str>>) -> SignatureCheck {
    SignatureCheck::Unsupported { reason: reason.into() }
}

/// Whether the chain reaches a supplied root: one of its certificates is a root (a trust anchor
/// may sit anywhere in the chain), or its last certificate is signed by one.
fn is_anchored(certificates: &[Certificate], roots_der: &[Vec<u8>]) -> bool {
    if roots_der.is_empty() {
        return false;
    }
    let in_chain = certificates
        .iter()
        .filter_map(|certificate| certificate.to_der().ok())
        .any(|der| roots_der.contains(&der));
    let Some(last) = certificates.last() else { return false };
    in_chain
        || roots_der.iter().any(|root_der| {
            let Ok(root) = Certificate::from_der(root_der) else { return false };
            last.tbs_certificate.issuer == root.tbs_certificate.subject
                && verify_certificate(last, &root.tbs_certificate.subject_public_key_info).is_ok()
        })
}

fn verify_certificate(
    certificate: &Certificate,
    issuer_key: &SubjectPublicKeyInfoOwned,
) -> Result<(), KeyFailure> {
    let algorithm = certificate.signature_algorithm.oid;
    let scheme = if algorithm == SHA256_WITH_RSA {
        Scheme::RsaPkcs1(Hash::Sha256)
    } else if algorithm == SHA384_WITH_RSA {
        Scheme::RsaPkcs1(Hash::Sha384)
    } else if algorithm == SHA512_WITH_RSA {
        Scheme::RsaPkcs1(Hash::Sha512)
    } else if algorithm == ECDSA_WITH_SHA256 {
        Scheme::Ecdsa { hash: Hash::Sha256, der: true }
    } else if algorithm == ECDSA_WITH_SHA384 {
        Scheme::Ecdsa { hash: Hash::Sha384, der: true }
    } else {
        return Err(KeyFailure::Unsupported(format!(
            "signature algorithm {algorithm} is not supported"
        )));
    };
    let tbs = certificate
        .tbs_certificate
        .to_der()
        .map_err(|error| format!("cannot re-encode the certificate: {error}"))?;
    let signature = certificate.signature.as_bytes().ok_or("the signature has unused bits")?;
    verify_with_key(issuer_key, scheme, &tbs, signature)
}

fn verify_with_key(
    key: &SubjectPublicKeyInfoOwned,
    scheme: Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyFailure> {
    let key_bits = key.subject_public_key.as_bytes().ok_or("the public key has unused bits")?;
    let key_algorithm = key.algorithm.oid;
    match scheme {
        Scheme::RsaPkcs1(hash) | Scheme::RsaPss(hash) => {
            if key_algorithm != RSA_ENCRYPTION {
                return Err(
                    format!("an RSA signature needs an RSA key, not {key_algorithm}").into()
                );
            }
            let modulus_bits = rsa_modulus_bits(key_bits)?;
            if modulus_bits > MAX_RSA_KEY_BITS {
                return Err(KeyFailure::Unsupported(format!(
                    "its RSA key has {modulus_bits} bits; keys over {MAX_RSA_KEY_BITS} bits are not supported"
                )));
            }
            use rsa::pkcs1::DecodeRsaPublicKey as _;
            let public_key = rsa::RsaPublicKey::from_pkcs1_der(key_bits)
                .map_err(|error| format!("unreadable RSA key: {error}"))?;
            let hashed = hash.digest(message);
            let result = match (scheme, hash) {
                (Scheme::RsaPss(_), Hash::Sha256) => {
                    public_key.verify(rsa::Pss::new::<Sha256>(), &hashed, signature)
                }
                (Scheme::RsaPss(_), Hash::Sha384) => {
                    public_key.verify(rsa::Pss::new::<Sha384>(), &hashed, signature)
                }
                (Scheme::RsaPss(_), Hash::Sha512) => {
                    public_key.verify(rsa::Pss::new::<Sha512>(), &hashed, signature)
                }
                (_, Hash::Sha256) => {
                    public_key.verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &hashed, signature)
                }
                (_, Hash::Sha384) => {
                    public_key.verify(rsa::Pkcs1v15Sign::new::<Sha384>(), &hashed, signature)
                }
                (_, Hash::Sha512) => {
                    public_key.verify(rsa::Pkcs1v15Sign::new::<Sha512>(), &hashed, signature)
                }
            };
            result.map_err(|_| "the RSA signature does not match".into())
        }
        Scheme::Ecdsa { hash, der } => {
            if key_algorithm != EC_PUBLIC_KEY {
                return Err(
                    format!("an ECDSA signature needs an EC key, not {key_algorithm}").into()
                );
            }
            let curve = key
                .algorithm
                .parameters
                .as_ref()
                .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok());
            // In a JWS the curve is fixed by the algorithm (RFC 7518 §3.4); in X.509 any pairing is allowed.
            if !der
                && !matches!(
                    (hash, curve),
                    (Hash::Sha256, Some(CURVE_P256)) | (Hash::Sha384, Some(CURVE_P384))
                )
            {
                return Err(format!("the alg does not match the key's curve {curve:?}").into());
            }
            let hashed = hash.digest(message);
            use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
            if curve == Some(CURVE_P256) {
                let verifying_key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bits)
                    .map_err(|_| "unreadable P-256 key")?;
                let signature = if der {
                    p256::ecdsa::Signature::from_der(signature)
                } else {
                    p256::ecdsa::Signature::from_slice(signature)
                }
                .map_err(|_| "malformed P-256 signature")?;
                verifying_key
                    .verify_prehash(&hashed, &signature)
                    .map_err(|_| "the ECDSA signature does not match".into())
            } else if curve == Some(CURVE_P384) {
                let verifying_key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bits)
                    .map_err(|_| "unreadable P-384 key")?;
                let signature = if der {
                    p384::ecdsa::Signature::from_der(signature)
                } else {
                    p384::ecdsa::Signature::from_slice(signature)
                }
                .map_err(|_| "malformed P-384 signature")?;
                verifying_key
                    .verify_prehash(&hashed, &signature)
                    .map_err(|_| "the ECDSA signature does not match".into())
            } else {
                Err(KeyFailure::Unsupported(format!("EC curve {curve:?} is not supported")))
            }
        }
    }
}

/// The size of a PKCS#1 `RSAPublicKey`'s modulus in bits, read without building the key (the
/// `rsa` crate refuses keys over its maximum with the same error as a malformed one).
fn rsa_modulus_bits(key_der: &[u8]) -> Result<usize, KeyFailure> {
    let key = rsa::pkcs1::RsaPublicKey::from_der(key_der)
        .map_err(|error| format!("unreadable RSA key: {error}"))?;
    let modulus = key.modulus.as_bytes();
    let leading = modulus.iter().take_while(|byte| **byte == 0).count();
    let significant = &modulus[leading..];
    Ok(significant
        .first()
        .map_or(0, |first| (significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize)))
}
