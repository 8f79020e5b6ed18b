//! Token decoding and signature checks running on wasm32 (in Node), where the web app runs them.
//!
//! The crypto crates are pure Rust so that they build there without a C compiler; this test shows
//! they also work there at run time (no clock, no OS randomness needed to verify). The tokens and
//! certificates are minted inside the test with fixed seeds. Run it with
//! `cargo test -p regauth-core --target wasm32-unknown-unknown --test wasm_crypto`; natively it
//! runs as an ordinary test.

use std::str::FromStr as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng as _;
use regauth_core::token::{
    SignatureCheck, SignatureState, Validity, decode_token, verify_signature,
};
use sha2::Sha256;
use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
use x509_cert::der::Encode as _;
use x509_cert::der::asn1::UtcTime;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity as CertValidity};

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn cert_validity() -> CertValidity {
    let time =
        |secs| Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).unwrap());
    CertValidity { not_before: time(1_700_000_000), not_after: time(2_000_000_000) }
}

fn mint(
    header: serde_json::Value,
    claims: serde_json::Value,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
    );
    let signature = URL_SAFE_NO_PAD.encode(sign(input.as_bytes()));
    format!("{input}.{signature}")
}

#[test]
fn es256_and_rs256_chains_verify() {
    use p256::ecdsa::signature::Signer as _;
    use rsa::signature::SignatureEncoding as _;

    let root_name = "CN=wasm root";
    let root_key = p256::ecdsa::SigningKey::random(&mut ChaCha8Rng::seed_from_u64(1));
    let root_spki = SubjectPublicKeyInfoOwned::from_key(*root_key.verifying_key()).unwrap();
    let root_der = CertificateBuilder::new(
        Profile::Root,
        SerialNumber::from(1u32),
        cert_validity(),
        Name::from_str(root_name).unwrap(),
        root_spki,
        &root_key,
    )
    .unwrap()
    .build::<p256::ecdsa::DerSignature>()
    .unwrap()
    .to_der()
    .unwrap();

    let leaf_profile = || Profile::Leaf {
        issuer: Name::from_str(root_name).unwrap(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let claims = serde_json::json!({"iss": "auth", "aud": "registry", "exp": 1_800_000_060, "nbf": 1_800_000_000,
        "access": [{"type": "repository", "name": "library/alpine", "actions": ["pull"]}]});

    // ES256 leaf.
    let ec_key = p256::ecdsa::SigningKey::random(&mut ChaCha8Rng::seed_from_u64(2));
    let ec_spki = SubjectPublicKeyInfoOwned::from_key(*ec_key.verifying_key()).unwrap();
    let ec_leaf = CertificateBuilder::new(
        leaf_profile(),
        SerialNumber::from(2u32),
        cert_validity(),
        Name::from_str("CN=es256 leaf").unwrap(),
        ec_spki,
        &root_key,
    )
    .unwrap()
    .build::<p256::ecdsa::DerSignature>()
    .unwrap()
    .to_der()
    .unwrap();
    let es256 = mint(
        serde_json::json!({"alg": "ES256", "x5c": [STANDARD.encode(&ec_leaf), STANDARD.encode(&root_der)]}),
        claims.clone(),
        |message| {
            let signature: p256::ecdsa::Signature = ec_key.sign(message);
            signature.to_bytes().to_vec()
        },
    );

    // RS256 leaf (a small key keeps key generation quick on wasm).
    let rsa_key = rsa::RsaPrivateKey::new(&mut ChaCha8Rng::seed_from_u64(3), 1024).unwrap();
    let rsa_spki = SubjectPublicKeyInfoOwned::from_key(rsa_key.to_public_key()).unwrap();
    let rsa_leaf = CertificateBuilder::new(
        leaf_profile(),
        SerialNumber::from(3u32),
        cert_validity(),
        Name::from_str("CN=rs256 leaf").unwrap(),
        rsa_spki,
        &root_key,
    )
    .unwrap()
    .build::<p256::ecdsa::DerSignature>()
    .unwrap()
    .to_der()
    .unwrap();
    let rsa_signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(rsa_key);
    let rs256 = mint(
        serde_json::json!({"alg": "RS256", "x5c": [STANDARD.encode(&rsa_leaf)]}),
        claims,
        |message| rsa_signer.sign(message).to_vec(),
    );

    for (raw, leaf_subject) in [(&es256, "CN=es256 leaf"), (&rs256, "CN=rs256 leaf")] {
        let decoded = decode_token(raw);
        assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
        let jwt = decoded.jwt().unwrap();
        assert_eq!(jwt.signature, SignatureState::Present);
        assert_eq!(jwt.claims.access[0].name, "library/alpine");
        assert_eq!(jwt.validity_at(1_800_000_200, 60), Validity::Expired { by_s: 140 });
        match verify_signature(raw, jwt, std::slice::from_ref(&root_der)) {
            SignatureCheck::Valid { chain, anchored } => {
                assert_eq!(chain[0], leaf_subject);
                assert!(anchored);
            }
            other => panic!("{leaf_subject}: {other:?}"),
        }
        let masked = jwt.masked();
        let redacted = decode_token(&masked);
        assert_eq!(redacted.jwt().unwrap().claims, jwt.claims);
        assert!(matches!(
            verify_signature(&masked, redacted.jwt().unwrap(), &[]),
            SignatureCheck::NotChecked { .. }
        ));
    }
}
