//! Token decoding and verification tests. Every JWT and certificate here is minted in the test
//! with the signing crates (seeded RNGs, so runs are reproducible), then decoded and verified:
//! expectations are the inputs we signed, not answers copied from elsewhere.

use std::str::FromStr as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng as _;
use serde_json::{Value, json};
use sha2::Sha256;
use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
use x509_cert::der::Encode as _;
use x509_cert::der::asn1::UtcTime;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity as CertValidity};

use super::*;

/// Certificates minted here are valid from 2023-11-14T22:13:20Z for 10 years.
const NOT_BEFORE: u64 = 1_700_000_000;
const NOT_AFTER: u64 = NOT_BEFORE + 10 * 365 * 24 * 3600;

fn validity() -> CertValidity {
    let time =
        |secs| Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).unwrap());
    CertValidity { not_before: time(NOT_BEFORE), not_after: time(NOT_AFTER) }
}

fn name(text: &str) -> Name {
    Name::from_str(text).unwrap()
}

fn p256_key(seed: u64) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::random(&mut ChaCha8Rng::seed_from_u64(seed))
}

fn p384_key(seed: u64) -> p384::ecdsa::SigningKey {
    p384::ecdsa::SigningKey::random(&mut ChaCha8Rng::seed_from_u64(seed))
}

fn rsa_key(seed: u64) -> rsa::RsaPrivateKey {
    // 1024 bits: generating 2048-bit keys makes this suite several times slower, and the
    // verification code does not depend on the key size.
    rsa::RsaPrivateKey::new(&mut ChaCha8Rng::seed_from_u64(seed), 1024).unwrap()
}

fn p256_spki(key: &p256::ecdsa::SigningKey) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).unwrap()
}

fn p384_spki(key: &p384::ecdsa::SigningKey) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned::from_key(*key.verifying_key()).unwrap()
}

fn rsa_spki(key: &rsa::RsaPrivateKey) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).unwrap()
}

fn cert_signed_by_p256(
    profile: Profile,
    serial: u32,
    subject: &str,
    spki: SubjectPublicKeyInfoOwned,
    issuer_key: &p256::ecdsa::SigningKey,
) -> Vec<u8> {
    let builder = CertificateBuilder::new(
        profile,
        SerialNumber::from(serial),
        validity(),
        name(subject),
        spki,
        issuer_key,
    )
    .unwrap();
    builder.build::<p256::ecdsa::DerSignature>().unwrap().to_der().unwrap()
}

fn cert_signed_by_rsa(
    profile: Profile,
    serial: u32,
    subject: &str,
    spki: SubjectPublicKeyInfoOwned,
    issuer_key: &rsa::RsaPrivateKey,
) -> Vec<u8> {
    cert_signed_by_rsa_with::<Sha256>(profile, serial, subject, spki, issuer_key)
}

/// Like [`cert_signed_by_rsa`], with the digest of the certificate signature chosen by `D`.
fn cert_signed_by_rsa_with<D>(
    profile: Profile,
    serial: u32,
    subject: &str,
    spki: SubjectPublicKeyInfoOwned,
    issuer_key: &rsa::RsaPrivateKey,
) -> Vec<u8>
where
    D: sha2::Digest + x509_cert::der::oid::AssociatedOid + rsa::pkcs1v15::RsaSignatureAssociatedOid,
{
    let signer = rsa::pkcs1v15::SigningKey::<D>::new(issuer_key.clone());
    let builder = CertificateBuilder::new(
        profile,
        SerialNumber::from(serial),
        validity(),
        name(subject),
        spki,
        &signer,
    )
    .unwrap();
    builder.build::<rsa::pkcs1v15::Signature>().unwrap().to_der().unwrap()
}

fn leaf(issuer: &str) -> Profile {
    Profile::Leaf {
        issuer: name(issuer),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    }
}

/// A P-256 root CA that signs everything below.
struct Pki {
    root_key: p256::ecdsa::SigningKey,
    root_der: Vec<u8>,
}

const ROOT: &str = "CN=regauth test root,O=regauth";
const INTERMEDIATE: &str = "CN=regauth test intermediate,O=regauth";

fn make_pki(seed: u64) -> Pki {
    let root_key = p256_key(seed);
    let root_der = cert_signed_by_p256(Profile::Root, 1, ROOT, p256_spki(&root_key), &root_key);
    Pki { root_key, root_der }
}

fn encode_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn mint(header: &Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let signing_input = format!("{}.{}", encode_json(header), encode_json(claims));
    let signature = sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn sign_es256(key: &p256::ecdsa::SigningKey) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
    use p256::ecdsa::signature::Signer as _;
    move |message| {
        let signature: p256::ecdsa::Signature = key.sign(message);
        signature.to_bytes().to_vec()
    }
}

fn sign_es384(key: &p384::ecdsa::SigningKey) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
    use p384::ecdsa::signature::Signer as _;
    move |message| {
        let signature: p384::ecdsa::Signature = key.sign(message);
        signature.to_bytes().to_vec()
    }
}

fn sign_rs256(key: &rsa::RsaPrivateKey) -> impl Fn(&[u8]) -> Vec<u8> + '_ {
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
    move |message| signer.sign(message).to_vec()
}

fn x5c(chain: &[&[u8]]) -> Value {
    Value::Array(chain.iter().map(|der| Value::String(STANDARD.encode(der))).collect())
}

/// Claims shaped like a Docker Hub pull token.
fn hub_claims() -> Value {
    json!({
        "access": [{"type": "repository", "name": "library/ubuntu", "actions": ["pull"], "parameters": {"pull_limit": "100"}}],
        "aud": "registry.docker.io",
        "exp": 1_714_557_900,
        "iat": 1_714_557_600,
        "iss": "auth.docker.io",
        "jti": "dckr_jti_abc",
        "nbf": 1_714_557_300,
        "sub": "anonymous-user"
    })
}

fn jwt_of(raw: &str) -> Jwt {
    let decoded = decode_token(raw);
    assert_eq!(decoded.problems, Vec::<String>::new(), "problems decoding {raw}");
    decoded.jwt().cloned().expect("a JWT")
}

#[test]
fn es256_with_x5c_decodes_and_verifies() {
    let pki = make_pki(1);
    let leaf_key = p256_key(2);
    let leaf_der = cert_signed_by_p256(
        leaf(ROOT),
        2,
        "CN=auth.docker.io",
        p256_spki(&leaf_key),
        &pki.root_key,
    );
    let header = json!({"alg": "ES256", "kid": "ABCD:EFGH", "typ": "JWT", "x5c": x5c(&[&leaf_der, &pki.root_der])});
    let raw = mint(&header, &hub_claims(), sign_es256(&leaf_key));

    let jwt = jwt_of(&raw);
    assert_eq!(jwt.header.alg, "ES256");
    assert_eq!(jwt.header.kid.as_deref(), Some("ABCD:EFGH"));
    assert_eq!(jwt.header.typ.as_deref(), Some("JWT"));
    assert_eq!(jwt.header.x5c, [leaf_der.clone(), pki.root_der.clone()]);
    assert_eq!(jwt.signature, SignatureState::Present);
    assert_eq!(jwt.raw_claims(), hub_claims());
    assert_eq!(jwt.raw_header(), header);
    assert_eq!(jwt.claims.iss.as_deref(), Some("auth.docker.io"));
    assert_eq!(jwt.claims.sub.as_deref(), Some("anonymous-user"));
    assert_eq!(jwt.claims.aud, ["registry.docker.io"]);
    assert!(jwt.has_audience("registry.docker.io"));
    assert_eq!(
        (jwt.claims.iat, jwt.claims.nbf, jwt.claims.exp),
        (Some(1_714_557_600), Some(1_714_557_300), Some(1_714_557_900))
    );
    assert_eq!(jwt.lifetime_s(), Some(300));
    assert_eq!(jwt.claims.jti.as_deref(), Some("dckr_jti_abc"));
    assert_eq!(
        jwt.granted_scopes().iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["repository:library/ubuntu:pull"]
    );

    let check = verify_signature(&raw, &jwt, std::slice::from_ref(&pki.root_der));
    assert_eq!(
        check,
        SignatureCheck::Valid {
            chain: vec!["CN=auth.docker.io".into(), ROOT.into()],
            anchored: true
        }
    );
    // Without roots the chain still verifies, but nothing anchors it.
    assert!(matches!(
        verify_signature(&raw, &jwt, &[]),
        SignatureCheck::Valid { anchored: false, .. }
    ));
    // A root that did not sign the chain does not anchor it either.
    let stranger = make_pki(99);
    assert!(matches!(
        verify_signature(&raw, &jwt, &[stranger.root_der]),
        SignatureCheck::Valid { anchored: false, .. }
    ));
}

#[test]
fn rs256_through_an_intermediate_anchors_at_a_root_outside_x5c() {
    let pki = make_pki(3);
    let intermediate_key = rsa_key(4);
    let intermediate_der = cert_signed_by_p256(
        Profile::SubCA { issuer: name(ROOT), path_len_constraint: Some(0) },
        3,
        INTERMEDIATE,
        rsa_spki(&intermediate_key),
        &pki.root_key,
    );
    let leaf_key = rsa_key(5);
    let leaf_der = cert_signed_by_rsa(
        leaf(INTERMEDIATE),
        4,
        "CN=token signer,O=harbor",
        rsa_spki(&leaf_key),
        &intermediate_key,
    );
    let header = json!({"alg": "RS256", "typ": "JWT", "x5c": x5c(&[&leaf_der, &intermediate_der])});
    let claims = json!({"iss": "harbor-token-issuer", "sub": "admin", "aud": ["harbor-registry", "other"], "exp": 2_000_000_000, "access": [{"type": "repository", "name": "library/app", "actions": ["push", "pull"]}]});
    let raw = mint(&header, &claims, sign_rs256(&leaf_key));
    let jwt = jwt_of(&raw);
    assert_eq!(jwt.claims.aud, ["harbor-registry", "other"]);
    assert_eq!(jwt.claims.access[0].actions, ["push", "pull"]);

    let check = verify_signature(&raw, &jwt, std::slice::from_ref(&pki.root_der));
    assert_eq!(
        check,
        SignatureCheck::Valid {
            chain: vec!["CN=token signer,O=harbor".into(), INTERMEDIATE.into()],
            anchored: true
        }
    );
    // Trusting the intermediate itself also anchors the chain.
    assert!(matches!(
        verify_signature(&raw, &jwt, std::slice::from_ref(&intermediate_der)),
        SignatureCheck::Valid { anchored: true, .. }
    ));
    assert!(verify_signature(&raw, &jwt, &[]).is_valid());

    // Changing the claims breaks the signature.
    let (_, rest) = raw.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let mut forged_claims = claims.clone();
    forged_claims["access"][0]["name"] = json!("library/other");
    let forged = format!("{}.{}.{signature}", encode_json(&header), encode_json(&forged_claims));
    let forged_jwt = jwt_of(&forged);
    assert!(
        matches!(verify_signature(&forged, &forged_jwt, &[]), SignatureCheck::Invalid { reason } if reason.contains("does not verify"))
    );

    // The chain in the wrong order is rejected.
    let swapped_header = json!({"alg": "RS256", "x5c": x5c(&[&intermediate_der, &leaf_der])});
    let swapped = mint(&swapped_header, &claims, sign_rs256(&leaf_key));
    assert!(matches!(
        verify_signature(&swapped, &jwt_of(&swapped), &[]),
        SignatureCheck::Invalid { .. }
    ));

    // A certificate that names the right issuer but was signed by another key is rejected.
    let impostor_key = rsa_key(6);
    let impostor_leaf = cert_signed_by_rsa(
        leaf(INTERMEDIATE),
        5,
        "CN=token signer,O=harbor",
        rsa_spki(&leaf_key),
        &impostor_key,
    );
    let impostor_header = json!({"alg": "RS256", "x5c": x5c(&[&impostor_leaf, &intermediate_der])});
    let impostor = mint(&impostor_header, &claims, sign_rs256(&leaf_key));
    assert!(matches!(
        verify_signature(&impostor, &jwt_of(&impostor), &[]),
        SignatureCheck::Invalid { reason } if reason.contains("not signed by x5c[1]")
    ));
}

#[test]
fn es384_and_algorithm_key_mismatches() {
    let pki = make_pki(7);
    let leaf_key = p384_key(8);
    let leaf_der =
        cert_signed_by_p256(leaf(ROOT), 6, "CN=p384 signer", p384_spki(&leaf_key), &pki.root_key);
    let claims = json!({"iss": "x", "exp": 1});
    let raw =
        mint(&json!({"alg": "ES384", "x5c": x5c(&[&leaf_der])}), &claims, sign_es384(&leaf_key));
    // Only the leaf is in x5c; the root passed in anchors it by signature.
    assert_eq!(
        verify_signature(&raw, &jwt_of(&raw), std::slice::from_ref(&pki.root_der)),
        SignatureCheck::Valid { chain: vec!["CN=p384 signer".into()], anchored: true }
    );

    // ES256 claimed with a P-384 key is refused, whatever the bytes.
    let mismatched =
        mint(&json!({"alg": "ES256", "x5c": x5c(&[&leaf_der])}), &claims, sign_es384(&leaf_key));
    assert!(
        matches!(verify_signature(&mismatched, &jwt_of(&mismatched), &[]), SignatureCheck::Invalid { reason } if reason.contains("curve"))
    );
    // RS256 claimed with an EC key is refused.
    let rsa_claimed =
        mint(&json!({"alg": "RS256", "x5c": x5c(&[&leaf_der])}), &claims, sign_es384(&leaf_key));
    assert!(
        matches!(verify_signature(&rsa_claimed, &jwt_of(&rsa_claimed), &[]), SignatureCheck::Invalid { reason } if reason.contains("RSA key"))
    );
}

#[test]
fn rsa_root_with_sha384_and_sha512_certificates_and_ps256_tokens() {
    const RSA_ROOT: &str = "CN=regauth rsa root";
    let root_key = rsa_key(20);
    let root_der = cert_signed_by_rsa_with::<sha2::Sha384>(
        Profile::Root,
        1,
        RSA_ROOT,
        rsa_spki(&root_key),
        &root_key,
    );
    let ec_leaf_key = p256_key(21);
    let ec_leaf_der = cert_signed_by_rsa_with::<sha2::Sha512>(
        leaf(RSA_ROOT),
        2,
        "CN=ec leaf",
        p256_spki(&ec_leaf_key),
        &root_key,
    );
    let claims = json!({"iss": "issuer", "aud": "svc"});

    let es256 = mint(
        &json!({"alg": "ES256", "x5c": x5c(&[&ec_leaf_der, &root_der])}),
        &claims,
        sign_es256(&ec_leaf_key),
    );
    assert_eq!(
        verify_signature(&es256, &jwt_of(&es256), std::slice::from_ref(&root_der)),
        SignatureCheck::Valid { chain: vec!["CN=ec leaf".into(), RSA_ROOT.into()], anchored: true }
    );

    let rsa_leaf_key = rsa_key(22);
    let rsa_leaf_der =
        cert_signed_by_rsa(leaf(RSA_ROOT), 3, "CN=pss leaf", rsa_spki(&rsa_leaf_key), &root_key);
    let pss_signer = rsa::pss::SigningKey::<Sha256>::new(rsa_leaf_key.clone());
    let sign_ps256 = |message: &[u8]| {
        use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
        pss_signer.sign_with_rng(&mut ChaCha8Rng::seed_from_u64(23), message).to_vec()
    };
    let ps256 = mint(&json!({"alg": "PS256", "x5c": x5c(&[&rsa_leaf_der])}), &claims, sign_ps256);
    assert_eq!(
        verify_signature(&ps256, &jwt_of(&ps256), std::slice::from_ref(&root_der)),
        SignatureCheck::Valid { chain: vec!["CN=pss leaf".into()], anchored: true }
    );
    // The same PSS signature presented as PKCS#1 v1.5 does not verify.
    let (_, pss_signature) = ps256.rsplit_once('.').unwrap();
    let relabelled_header = json!({"alg": "RS256", "x5c": x5c(&[&rsa_leaf_der])});
    let relabelled =
        format!("{}.{}.{pss_signature}", encode_json(&relabelled_header), encode_json(&claims));
    assert!(matches!(
        verify_signature(&relabelled, &jwt_of(&relabelled), &[]),
        SignatureCheck::Invalid { .. }
    ));
}

#[test]
fn what_cannot_be_checked_says_why() {
    let key = p256_key(9);
    let claims = json!({"iss": "x"});
    let kid_only = mint(&json!({"alg": "ES256", "kid": "k1"}), &claims, sign_es256(&key));
    assert!(
        matches!(verify_signature(&kid_only, &jwt_of(&kid_only), &[]), SignatureCheck::NotChecked { reason } if reason == NAMES_KEY_WITHOUT_X5C && not_checked_detail(&reason, Some("k1")).contains("\"k1\""))
    );
    let hmac = mint(&json!({"alg": "HS256", "x5c": ["AAAA"]}), &claims, |_| vec![1, 2, 3]);
    assert!(
        matches!(verify_signature(&hmac, &decode_token(&hmac).jwt().unwrap().clone(), &[]), SignatureCheck::NotChecked { reason } if reason.contains("HS256"))
    );
    let garbage_cert = mint(&json!({"alg": "ES256", "x5c": ["AAAA"]}), &claims, sign_es256(&key));
    assert!(
        matches!(verify_signature(&garbage_cert, &jwt_of(&garbage_cert), &[]), SignatureCheck::Invalid { reason } if reason.contains("x5c[0]"))
    );
}

#[test]
fn masked_token_keeps_claims_and_decodes_as_redacted() {
    let pki = make_pki(10);
    let leaf_key = p256_key(11);
    let leaf_der =
        cert_signed_by_p256(leaf(ROOT), 7, "CN=signer", p256_spki(&leaf_key), &pki.root_key);
    let raw = mint(
        &json!({"alg": "ES256", "x5c": x5c(&[&leaf_der])}),
        &hub_claims(),
        sign_es256(&leaf_key),
    );
    let jwt = jwt_of(&raw);
    let masked = jwt.masked();
    let signature = raw.rsplit('.').next().unwrap();
    assert!(!masked.contains(signature));
    assert!(masked.ends_with(".redacted"));

    let redacted = jwt_of(&masked);
    assert_eq!(redacted.signature, SignatureState::Redacted);
    assert_eq!(redacted.claims, jwt.claims);
    assert_eq!(redacted.header, jwt.header);
    assert!(
        matches!(verify_signature(&masked, &redacted, &[]), SignatureCheck::NotChecked { reason } if reason.contains("redacted"))
    );

    // Other sanitisers write something that is not base64url at all.
    let (signing_input, _) = raw.rsplit_once('.').unwrap();
    assert_eq!(jwt_of(&format!("{signing_input}.[REDACTED]")).signature, SignatureState::Redacted);
    // `regauth redact` writes a marker plus a fingerprint, which is valid base64url (28 chars).
    let by_regauth = format!("{signing_input}.redacted-by-regauth-1a2b3c4d");
    assert_eq!(jwt_of(&by_regauth).signature, SignatureState::Redacted);
    assert_eq!(jwt_of(&by_regauth).claims, jwt.claims);
}

#[test]
fn x5c_inside_an_embedded_jwk_is_used() {
    let pki = make_pki(30);
    let leaf_key = p256_key(31);
    let leaf_der =
        cert_signed_by_p256(leaf(ROOT), 9, "CN=jwk signer", p256_spki(&leaf_key), &pki.root_key);
    let header =
        json!({"alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256", "x5c": x5c(&[&leaf_der])}});
    let raw = mint(&header, &json!({"iss": "x"}), sign_es256(&leaf_key));
    let jwt = jwt_of(&raw);
    assert_eq!(jwt.header.x5c, [leaf_der]);
    assert_eq!(jwt.header.jwk.as_ref().and_then(|jwk| jwk.get("kty")), Some(&json!("EC")));
    assert_eq!(
        verify_signature(&raw, &jwt, std::slice::from_ref(&pki.root_der)),
        SignatureCheck::Valid { chain: vec!["CN=jwk signer".into()], anchored: true }
    );
}

#[test]
fn mask_token_hides_signatures_and_opaque_values() {
    let key = p256_key(32);
    let raw = mint(&json!({"alg": "ES256"}), &hub_claims(), sign_es256(&key));
    let masked = mask_token(&raw);
    let (signing_input, signature) = raw.rsplit_once('.').unwrap();
    assert_eq!(masked, format!("{signing_input}.{REDACTED_SIGNATURE}"));
    assert!(!masked.contains(signature));
    assert_eq!(mask_token("opaque-secret"), "•••• (13 chars)");
}

#[test]
fn unsigned_token_has_a_missing_signature() {
    // hand-written fixture
    let raw =
        format!("{}.{}.", encode_json(&json!({"alg": "none"})), encode_json(&json!({"sub": "x"})));
    let decoded = decode_token(&raw);
    let jwt = decoded.jwt().unwrap();
    assert_eq!(jwt.signature, SignatureState::Missing);
    assert_eq!(decoded.problems, ["the JWT has no signature"]);
    assert!(matches!(verify_signature(&raw, jwt, &[]), SignatureCheck::NotChecked { .. }));
}

#[test]
fn validity_window_with_leeway() {
    // hand-written fixture
    let raw = mint(&json!({"alg": "ES256"}), &json!({"nbf": 1000, "exp": 2000}), |_| vec![0; 64]);
    let jwt = jwt_of(&raw);
    assert_eq!(jwt.validity_at(1500, 0), Validity::Valid);
    assert_eq!(jwt.validity_at(2000, 0), Validity::Valid);
    assert_eq!(jwt.validity_at(2001, 0), Validity::Expired { by_s: 1 });
    assert_eq!(
        jwt.validity_at(2050, DISTRIBUTION_LEEWAY_S),
        Validity::Valid,
        "distribution's 60 s leeway saves it"
    );
    assert_eq!(jwt.validity_at(2061, 60), Validity::Expired { by_s: 61 });
    assert_eq!(jwt.validity_at(999, 0), Validity::NotYetValid { by_s: 1 });
    assert_eq!(jwt.validity_at(950, 60), Validity::Valid);
    assert_eq!(jwt.validity_at(900, 60), Validity::NotYetValid { by_s: 100 });

    let timeless = jwt_of(&mint(&json!({"alg": "ES256"}), &json!({"iss": "x"}), |_| vec![0; 64]));
    assert_eq!(timeless.validity_at(0, 0), Validity::Unknown);
    let float_exp =
        jwt_of(&mint(&json!({"alg": "ES256"}), &json!({"exp": 2000.9}), |_| vec![0; 64]));
    assert_eq!(float_exp.claims.exp, Some(2000));
    let extreme =
        jwt_of(&mint(&json!({"alg": "ES256"}), &json!({"exp": i64::MAX, "nbf": i64::MIN}), |_| {
            vec![0; 64]
        }));
    assert_eq!(extreme.validity_at(0, i64::MAX), Validity::Valid);
}

#[test]
fn certificate_dates_are_judged_at_a_given_time() {
    let pki = make_pki(12);
    let leaf_key = p256_key(13);
    let leaf_der =
        cert_signed_by_p256(leaf(ROOT), 8, "CN=dated", p256_spki(&leaf_key), &pki.root_key);
    let raw = mint(
        &json!({"alg": "ES256", "x5c": x5c(&[&leaf_der, &pki.root_der])}),
        &json!({}),
        sign_es256(&leaf_key),
    );
    let jwt = jwt_of(&raw);
    let inside = x5c_validity_at(&jwt, NOT_BEFORE as i64 + 10);
    assert_eq!(inside.len(), 2);
    assert!(inside.iter().all(|cert| cert.valid_at));
    assert_eq!(
        (inside[0].not_before_unix, inside[0].not_after_unix),
        (NOT_BEFORE as i64, NOT_AFTER as i64)
    );
    assert_eq!(inside[0].subject, "CN=dated");
    assert!(x5c_validity_at(&jwt, NOT_BEFORE as i64 - 1).iter().all(|cert| !cert.valid_at));
    assert!(x5c_validity_at(&jwt, NOT_AFTER as i64 + 1).iter().all(|cert| !cert.valid_at));
}

#[test]
fn opaque_kinds() {
    assert_eq!(
        decode_token("ya29.a0AfB_byC-example").kind,
        TokenKind::Opaque(OpaqueKind::GoogleOAuth)
    );
    // ECR's password: base64 of a JSON object with payload and datakey.
    let ecr = STANDARD.encode(br#"{"payload":"abc","datakey":"def","version":"2","type":"DATA_KEY","expiration":1714600000}"#);
    assert_eq!(decode_token(&ecr).kind, TokenKind::Opaque(OpaqueKind::EcrJson));
    assert_eq!(
        decode_token(&STANDARD.encode("alice:s3cret")).kind,
        TokenKind::Opaque(OpaqueKind::BasicPair)
    );
    let unknown = decode_token("djE6ZGVhZGJlZWY6c2lnbmF0dXJl\u{1}");
    assert_eq!(unknown.kind, TokenKind::Opaque(OpaqueKind::Unknown));
    assert_eq!(decode_token("plain-opaque-token-123").kind, TokenKind::Opaque(OpaqueKind::Unknown));
    assert_eq!(decode_token("").kind, TokenKind::Opaque(OpaqueKind::Unknown));
    // Three dot-separated parts that are not base64 JSON: opaque, and no noise about JWTs.
    let dotted = decode_token("v1.abc.def");
    assert_eq!(dotted.kind, TokenKind::Opaque(OpaqueKind::Unknown));
    assert!(dotted.problems.is_empty());
}

#[test]
fn broken_jwts_are_reported() {
    // hand-written fixture
    let header = encode_json(&json!({"alg": "RS256"}));
    let broken_claims = decode_token(&format!("{header}.not-json.sig"));
    assert_eq!(broken_claims.kind, TokenKind::Opaque(OpaqueKind::Unknown));
    assert!(broken_claims.problems[0].contains("claims segment"));

    let odd = jwt_of_with_problems(&mint(
        &json!({"kid": 5, "x5c": "nope"}),
        &json!({"aud": 3, "exp": "soon", "access": [{"type": "repository"}, {"type": "repository", "name": "a", "actions": "pull", "class": "plugin"}]}),
        |_| vec![1],
    ));
    let joined = odd.1.join("\n");
    for expected in [
        "no alg",
        "x5c is not an array",
        "kid is not a string",
        "aud is neither",
        "exp is not a number",
        "access[0]",
    ] {
        assert!(joined.contains(expected), "missing {expected:?} in {joined}");
    }
    assert_eq!(odd.0.claims.access.len(), 1);
    assert_eq!(odd.0.claims.access[0].resource_class.as_deref(), Some("plugin"));
    assert_eq!(odd.0.claims.access[0].to_scope().to_string(), "repository(plugin):a:");
}

fn jwt_of_with_problems(raw: &str) -> (Jwt, Vec<String>) {
    let decoded = decode_token(raw);
    (decoded.jwt().cloned().unwrap(), decoded.problems)
}

#[test]
fn never_panics_on_mangled_tokens() {
    let raw = mint(&json!({"alg": "ES256", "x5c": ["AAAA"]}), &hub_claims(), |_| vec![7; 64]);
    for end in 0..raw.len() {
        let decoded = decode_token(&raw[..end]);
        if let Some(jwt) = decoded.jwt() {
            let _ = verify_signature(&raw[..end], jwt, &[]);
            let _ = jwt.validity_at(0, 60);
        }
        let _ = decode_token(&raw[end..]);
    }
}

/// An RSA public key of `bits` bits that nobody holds the private half of: enough for a
/// certificate's subject key, which is all the size check looks at.
fn oversized_rsa_spki(bits: usize) -> SubjectPublicKeyInfoOwned {
    let modulus = (rsa::BigUint::from(1u8) << (bits - 1)) + rsa::BigUint::from(12_345u32);
    let key = rsa::RsaPublicKey::new_with_max_size(modulus, rsa::BigUint::from(65_537u32), 16_384)
        .unwrap();
    SubjectPublicKeyInfoOwned::from_key(key).unwrap()
}

#[test]
fn rsa_keys_over_4096_bits_are_unsupported_not_invalid() {
    let claims = json!({"iss": "issuer"});
    // The token's own key is too large: a 4608-bit leaf (the certificate is signed by a small key).
    let small_root = rsa_key(40);
    let big_leaf_der = cert_signed_by_rsa(
        leaf("CN=small root"),
        41,
        "CN=big leaf",
        oversized_rsa_spki(4608),
        &small_root,
    );
    let token =
        mint(&json!({"alg": "RS256", "x5c": x5c(&[&big_leaf_der])}), &claims, |_| vec![7; 576]);
    let check = verify_signature(&token, &jwt_of(&token), &[]);
    assert_eq!(check.as_str(), "unsupported");
    assert!(
        matches!(&check, SignatureCheck::Unsupported { reason } if reason.contains("4608 bits") && reason.contains("over 4096")),
        "{check:?}"
    );
    // A 4096-bit key is still checked (and this made-up signature does not match it).
    let edge_leaf_der = cert_signed_by_rsa(
        leaf("CN=small root"),
        42,
        "CN=edge leaf",
        oversized_rsa_spki(4096),
        &small_root,
    );
    let edge =
        mint(&json!({"alg": "RS256", "x5c": x5c(&[&edge_leaf_der])}), &claims, |_| vec![7; 512]);
    assert_eq!(verify_signature(&edge, &jwt_of(&edge), &[]).as_str(), "invalid");

    // A chain whose parent key is too large: the token verifies with its leaf, the link to the
    // parent cannot be checked.
    let leaf_key = p256_key(43);
    let leaf_der = cert_signed_by_rsa(
        leaf("CN=big root"),
        44,
        "CN=ec leaf",
        p256_spki(&leaf_key),
        &small_root,
    );
    let big_root_der =
        cert_signed_by_rsa(Profile::Root, 45, "CN=big root", oversized_rsa_spki(8192), &small_root);
    let chained = mint(
        &json!({"alg": "ES256", "x5c": x5c(&[&leaf_der, &big_root_der])}),
        &claims,
        sign_es256(&leaf_key),
    );
    let check = verify_signature(&chained, &jwt_of(&chained), &[]);
    assert!(
        matches!(&check, SignatureCheck::Unsupported { reason } if reason.contains("x5c[0]") && reason.contains("8192 bits")),
        "{check:?}"
    );
}
