#!/usr/bin/env python3
"""Generate the test PKI for the recording harness (never committed).

out/ca.pem, ca.key           self-signed "regauth test CA"
out/signer.pem, signer.key   ES256 token-signing cert (issued by the CA)
out/tls.pem, tls.key         server cert for every *.regauth.test name (issued by the CA)
"""
import datetime
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NAMES = ["regauth.test", "*.regauth.test", "registry.regauth.test", "auth.regauth.test",
         "basic.regauth.test", "plain.regauth.test", "open.regauth.test",
         "store.regauth.test", "cdn.store.regauth.test", "*.store.regauth.test"]


def write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    later = now + datetime.timedelta(days=3650)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "regauth samples"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "regauth test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(later)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    write_key(out / "ca.key", ca_key)
    (out / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def leaf(cn, sans, eku):
        key = ec.generate_private_key(ec.SECP256R1())
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "regauth samples"),
                                      x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(ca_name).public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now).not_valid_after(later)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
        if sans:
            alt = [x509.DNSName(n) for n in sans] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        if eku:
            b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
        return key, b.sign(ca_key, hashes.SHA256())

    k, c = leaf("regauth token signer", None, None)
    write_key(out / "signer.key", k)
    (out / "signer.pem").write_bytes(c.public_bytes(serialization.Encoding.PEM))
    k, c = leaf("registry.regauth.test", NAMES, [ExtendedKeyUsageOID.SERVER_AUTH])
    write_key(out / "tls.key", k)
    (out / "tls.pem").write_bytes(c.public_bytes(serialization.Encoding.PEM))
    print(f"certs written to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "pki")
