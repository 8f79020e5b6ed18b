#!/usr/bin/env python3
"""Generate the Docker Engine API mutual-TLS PKI for the recording harness (never committed).

usage: gen_docker_tls.py PKI_DIR [CLIENT_DAYS]

Uses the test CA written by gen_certs.py (PKI_DIR/ca.pem, ca.key) and writes:

PKI_DIR/dockerd-server.pem, .key   dockerd's server cert (IP 127.0.0.1, localhost; 10 years)
PKI_DIR/docker-client.pem, .key    the CLI's client cert, CN "regauth docker client",
                                   extendedKeyUsage clientAuth, valid for CLIENT_DAYS days
                                   (default 20: it expires within 30 days of the recording)
PKI_DIR/docker-client-bundle.pem   client cert + key in one file (mitmproxy's client_certs)

Regenerated at every recording so "expires in CLIENT_DAYS days" holds at capture time.
"""
import datetime
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def main(out, client_days=20):
    out = Path(out)
    ca = x509.load_pem_x509_certificate((out / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((out / "ca.key").read_bytes(), None)
    now = datetime.datetime.now(datetime.timezone.utc)

    def issue(name, cn, days, eku, sans):
        key = ec.generate_private_key(ec.SECP256R1())
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "regauth samples"),
                                      x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(ca.subject).public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(hours=1))
             .not_valid_after(now + datetime.timedelta(days=days))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                            critical=False)
             .add_extension(x509.ExtendedKeyUsage([eku]), critical=False))
        if sans:
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = b.sign(ca_key, hashes.SHA256())
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        (out / f"{name}.pem").write_bytes(cert_pem)
        (out / f"{name}.key").write_bytes(pem_key(key))
        (out / f"{name}.key").chmod(0o600)
        return cert_pem, pem_key(key)

    issue("dockerd-server", "regauth dockerd", 3650, ExtendedKeyUsageOID.SERVER_AUTH,
          [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert_pem, key_pem = issue("docker-client", "regauth docker client", client_days,
                              ExtendedKeyUsageOID.CLIENT_AUTH, None)
    bundle = out / "docker-client-bundle.pem"
    bundle.write_bytes(cert_pem + key_pem)
    bundle.chmod(0o600)
    print(f"docker TLS certs written to {out} (client cert valid {client_days} days)")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20)
