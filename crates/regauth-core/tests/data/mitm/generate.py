"""Writes small mitmproxy flow files with mitmproxy's own API, for regauth's flow reader tests.

Run it with the Python of a venv that has one mitmproxy version installed; it writes
`mitmproxy-<version>.flow` into the directory given (default: next to this script):

    python3.11 -m venv /tmp/mitm-venv-11 && /tmp/mitm-venv-11/bin/pip install mitmproxy==11.0.2
    /tmp/mitm-venv-11/bin/python generate.py

The versions committed here, and the flow format each writes: 7.0.4 (14, Python 3.9,
`werkzeug<3`), 8.0.0 (15, Python 3.10, `werkzeug<3`), 8.1.1 (17, Python 3.10, `werkzeug<3`),
9.0.1 (18), 10.4.2 (20), 11.0.2 (21, Python 3.11), 12.x (21, Python >= 3.12).
tests/mitm_diff/regenerate.sh makes those venvs and regenerates every file and the expected
readings (tests/mitm_diff/dump_flows.py; see crates/regauth-core/tests/mitm_differential.rs).

Everything is deterministic except what mitmproxy itself randomises: flow, connection and
message ids are fixed here, certificates use fixed Ed25519 keys (deterministic signatures).
"""

from __future__ import annotations

import datetime
import gzip
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes  # noqa: F401  (Ed25519 signs without a hash)
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from mitmproxy import certs
from mitmproxy import flow as mflow
from mitmproxy import http
from mitmproxy import io as mio
from mitmproxy import version as mversion
from mitmproxy.test import tflow

# 2025-11-23 12:00:00.123456 UTC: sub-second on purpose, so readers must keep microseconds.
T0 = 1763899200.123456


def make_cert(common_name: str, seed: int, issuer_name: str | None = None) -> certs.Cert:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name or common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(1000 + seed)
        .not_valid_before(datetime.datetime(2025, 1, 1))
        .not_valid_after(datetime.datetime(2027, 1, 1))
    )
    return certs.Cert(builder.sign(key, None))


def fix_ids(f, n: int) -> None:
    f.id = f"00000000-0000-4000-8000-{n:012d}"
    f.client_conn.id = f"00000000-0000-4000-8001-{n:012d}"
    f.server_conn.id = f"00000000-0000-4000-8002-{n:012d}"


def request(method, scheme, host, port, path, headers, content, t, http_version=b"HTTP/1.1"):
    authority = b"" if http_version != b"HTTP/2.0" else f"{host}:{port}".encode()
    return http.Request(
        host, port, method, scheme, authority, path, http_version,
        http.Headers(headers), content, None, t, t + 0.0005,
    )


def response(status, reason, headers, content, t, http_version=b"HTTP/1.1"):
    return http.Response(
        http_version, status, reason, http.Headers(headers), content, None, t, t + 0.25
    )


def flows():
    out = []

    # 0: mitmproxy's own default test flow with a response.
    f = tflow.tflow(resp=True)
    out.append(f)

    # 1: mitmproxy's own test flow that failed (no response, an error).
    f = tflow.tflow(err=True)
    out.append(f)

    # 2: a registry challenge over TLS, with repeated headers and a server certificate chain.
    f = tflow.tflow(resp=True)
    f.request = request(
        b"GET", b"https", "registry.regauth.test", 5000, b"/v2/",
        [(b"Host", b"registry.regauth.test:5000"), (b"User-Agent", b"docker/24.0.7 go/go1.20.10"),
         (b"Accept-Encoding", b"gzip")],
        b"", T0,
    )
    f.response = response(
        401, b"Unauthorized",
        [(b"Content-Type", b"application/json"),
         (b"Docker-Distribution-Api-Version", b"registry/2.0"),
         (b"WWW-Authenticate", b'Bearer realm="https://auth.regauth.test/token",service="registry.regauth.test:5000"'),
         (b"WWW-Authenticate", b'Basic realm="fallback"'),
         (b"Content-Encoding", b"gzip")],
        gzip.compress(b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}\n', mtime=0),
        T0 + 0.01,
    )
    sc = f.server_conn
    sc.address = ("registry.regauth.test", 5000)
    sc.peername = ("127.0.0.1", 5000)
    sc.tls = True
    sc.sni = "registry.regauth.test"
    sc.alpn = b"http/1.1"
    sc.cipher = "TLS_AES_128_GCM_SHA256"
    sc.tls_version = "TLSv1.3"
    sc.timestamp_tls_setup = T0 - 0.002
    sc.certificate_list = [
        make_cert("registry.regauth.test", 1, "regauth test CA"),
        make_cert("regauth test CA", 2),
    ]
    out.append(f)

    # 3: a token request with Basic credentials and a binary, non-UTF-8 request body and header.
    f = tflow.tflow(resp=True)
    f.request = request(
        b"POST", b"https", "auth.regauth.test", 443, b"/token?service=registry.regauth.test%3A5000&scope=repository%3Asamalba%2Fmy-app%3Apull%2Cpush",
        [(b"Authorization", b"Basic dXNlcjpwYXNz"), (b"X-Binary", b"caf\xe9"),
         (b"Content-Type", b"application/octet-stream")],
        bytes(range(256)), T0 + 0.05,
    )
    f.response = response(
        200, b"OK", [(b"Content-Type", b"application/json")],
        b'{"token":"abc.def.ghi","expires_in":300,"issued_at":"2025-11-23T12:00:00Z"}',
        T0 + 0.06,
    )
    f.server_conn.address = ("auth.regauth.test", 443)
    f.server_conn.peername = ("::1", 443)
    f.server_conn.tls = True
    f.server_conn.sni = "auth.regauth.test"
    f.server_conn.tls_version = "TLSv1.2"
    f.server_conn.timestamp_tls_setup = T0 + 0.04
    out.append(f)

    # 4: mutual TLS: the client presented a certificate; HTTP/2; body streamed (not kept).
    f = tflow.tflow(resp=True)
    f.request = request(
        b"GET", b"https", "registry.regauth.test", 443, b"/v2/library/alpine/blobs/sha256:" + b"ab" * 32,
        [(b"authorization", b"Bearer abc.def.ghi")], b"", T0 + 0.1, http_version=b"HTTP/2.0",
    )
    f.response = response(200, b"", [(b"content-length", b"1048576")], None, T0 + 0.11, http_version=b"HTTP/2.0")
    f.server_conn.tls = True
    f.server_conn.tls_version = "TLSv1.3"
    f.server_conn.timestamp_tls_setup = T0 + 0.09
    f.server_conn.certificate_list = [make_cert("registry.regauth.test", 3)]
    f.client_conn.tls = True
    f.client_conn.certificate_list = [make_cert("docker client", 4)]
    out.append(f)

    # 5: a WebSocket connection (an HTTP flow carrying messages).
    out.append(tflow.twebsocketflow())

    # 6: a TCP flow, which regauth skips.
    out.append(tflow.ttcpflow())

    # 7, 8: UDP and DNS flows where this mitmproxy has them (skipped by regauth too).
    if hasattr(tflow, "tudpflow"):
        out.append(tflow.tudpflow())
    if hasattr(tflow, "tdnsflow"):
        try:
            out.append(tflow.tdnsflow(resp=True))
        except TypeError:  # older signature without keywords
            out.append(tflow.tdnsflow())

    # Last: a plain-HTTP request with an empty response body and a connection error on the server.
    f = tflow.tflow(resp=True, err=True)
    f.request = request(b"HEAD", b"http", "registry.regauth.test", 80, b"/v2/", [], b"", T0 + 0.2)
    f.response = response(404, b"Not Found", [(b"Content-Length", b"0")], b"", T0 + 0.21)
    f.error = mflow.Error("connection closed by peer", T0 + 0.5)
    out.append(f)

    for n, f in enumerate(out):
        fix_ids(f, n)
        # Some helpers stamp the creation time with the clock; pin it for reproducible files.
        f.timestamp_created = T0 + n
        messages = getattr(f, "messages", None) or (f.websocket.messages if getattr(f, "websocket", None) else [])
        for m_idx, message in enumerate(messages):
            message.timestamp = T0 + n + m_idx / 10
    return out


def main() -> None:
    outdir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    path = outdir / f"mitmproxy-{mversion.VERSION}.flow"
    with open(path, "wb") as fo:
        writer = mio.FlowWriter(fo)
        for f in flows():
            writer.add(f)
    print(f"{path}: flow format {mversion.FLOW_FORMAT_VERSION}")


if __name__ == "__main__":
    main()
